#!/usr/bin/env bash
# Apache Kafka's jars from Maven Central, for the Kafka stand-in image (testenv/images/kafka): the broker
# (org.apache.kafka:kafka_2.13) and the command-line tools (kafka-tools: the console producer and consumer, the
# metadata quorum command) at KAFKA_VERSION, with every runtime dependency as Maven resolves it, plus the
# log4j2 binding for SLF4J that the release's own distribution ships (same log4j as kafka-server depends on).
# The result is the distribution's libs/ folder; the image's scripts stand in for its bin/ (Maven has no scripts).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

out=$(cache_dir kafka-jars "$KAFKA_VERSION" "$KAFKA_SCALA_VERSION" "$KAFKA_LOG4J_VERSION" "$(sha256sum <"${BASH_SOURCE[0]}")")
if compgen -G "$out/libs/kafka_${KAFKA_SCALA_VERSION}-${KAFKA_VERSION}.jar" >/dev/null; then
  log "kafka $KAFKA_VERSION jars: reusing $out/libs"
else
  command -v mvn >/dev/null || die "mvn not found (Debian's maven package resolves the Kafka jars)"
  log "resolving kafka_${KAFKA_SCALA_VERSION} $KAFKA_VERSION and its dependencies from Maven Central"
  tmp="$out.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
  cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>reporunner.testenv</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_${KAFKA_SCALA_VERSION}</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$KAFKA_LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
  # The local repository lives in the cache too, so a new recipe downloads only what changed.
  (cd "$tmp" && nice -n 10 mvn -B -q -Dmaven.repo.local="$REPORUNNER_CACHE/maven/repository" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs") \
    || die "maven could not resolve kafka $KAFKA_VERSION"
  [[ -s "$tmp/libs/kafka_${KAFKA_SCALA_VERSION}-${KAFKA_VERSION}.jar" ]] || die "no kafka_${KAFKA_SCALA_VERSION}-${KAFKA_VERSION}.jar"
  rm -rf "$out"; mv "$tmp" "$out"
fi
log "kafka $KAFKA_VERSION: $(ls "$out/libs" | wc -l) jars, $(du -sh "$out/libs" | cut -f1) in $out/libs"
# testenv/images/build-standins.sh finds this build through this pointer.
mkdir -p "$TOOLCHAIN_ROOT/builtin-cluster-paths" && printf '%s\n' "$out" > "$TOOLCHAIN_ROOT/builtin-cluster-paths/kafka-jars"
