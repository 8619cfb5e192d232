#!/usr/bin/env bash
# Builds or reuses everything the test environment needs. Idempotent: a build whose cache folder exists is reused.
# Runs the build scripts in build/ SETUP_JOBS (default 2) at a time: the Go builds are CPU-bound but each has
# phases that are not (module downloads, linking), which the other build's compiling fills. A build starts when
# the builds it comes AFTER (below) are done, otherwise in name order; SETUP_JOBS=1 is the old one-by-one run.
# Each build's lines are prefixed with its name; its full log is kept in $REPORUNNER_CACHE/setup-logs/NAME.log.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# What a build needs from an earlier one. Each must name an earlier build, so name order stays a valid order.
declare -A AFTER=(
  [25-moto]="21-debian-packages"                            # python3-venv
  [26-base-rootfs]="21-debian-packages"                     # debootstrap, gcc
  [28-network-policies]="21-debian-packages 26-base-rootfs" # it runs apt-get too: one apt at a time
  [31-kafka-jars]="21-debian-packages"                      # maven
  # Not needed, but these share Go packages with the earlier build: run after it, they take them from Go's
  # cache instead of compiling them a second time alongside it.
  [30-jaeger]="29-otel-collector"
  [32-ferretdb-server]="24-ferretdb"
  [41-kubeadm]="20-kubernetes"
  [43-coredns-kind]="23-coredns"
)
JOBS=${SETUP_JOBS:-2}
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "SETUP_JOBS=$JOBS: want a number of builds to run at a time"
LOGS="$REPORUNNER_CACHE/setup-logs"
mkdir -p "$TOOLCHAIN_ROOT" "$LOGS"

names=()
for script in "$CLUSTER_DIR"/build/*.sh; do names+=("$(basename "$script" .sh)"); done
for n in "${!AFTER[@]}"; do
  for d in ${AFTER[$n]}; do
    [[ -f $CLUSTER_DIR/build/$n.sh && -f $CLUSTER_DIR/build/$d.sh && $d < $n ]] ||
      die "AFTER[$n]=$d: both must be build scripts, $d sorting first"
  done
done
width=0
for n in "${names[@]}"; do ((${#n} > width)) && width=${#n}; done

# build NAME → runs build/NAME.sh with each of its lines prefixed by NAME, and keeps its log.
build() {
  local prefix
  prefix=$(printf "%-${width}s │ " "$1")
  bash "$CLUSTER_DIR/build/$1.sh" </dev/null 2>&1 | tee "$LOGS/$1.log" | sed -u "s/^/$prefix/" >&2
}

declare -A state=() pid_of=() started_at=() # state: running, done or failed
# next_ready → the first build not started whose AFTER builds are done (nothing when there is none).
next_ready() {
  local n d
  for n in "${names[@]}"; do
    [[ -z ${state[$n]:-} ]] || continue
    for d in ${AFTER[$n]:-}; do [[ ${state[$d]:-} == done ]] || continue 2; done
    printf '%s' "$n"; return
  done
}

# Each build in its own process group (job control), so that an interrupt stops it with all it started.
set -m
trap 'for p in "${pid_of[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done' EXIT
trap 'log "interrupted: stopping ${!pid_of[*]}"; exit 130' INT TERM

total=$SECONDS
failed=() sum=0
while :; do
  # After a failure nothing new starts; what runs is let finish (an apt-get cut short leaves dpkg half-done).
  while ((${#failed[@]} == 0 && ${#pid_of[@]} < JOBS)) && n=$(next_ready) && [[ -n $n ]]; do
    state[$n]=running started_at[$n]=$SECONDS
    step "$n" build "$n" &
    pid_of[$n]=$!
  done
  ((${#pid_of[@]})) || break
  if wait -n -p pid; then rc=0; else rc=$?; fi
  for n in "${!pid_of[@]}"; do [[ ${pid_of[$n]} == "$pid" ]] && break; done
  unset "pid_of[$n]"
  sum=$((sum + SECONDS - started_at[$n]))
  if ((rc == 0)); then
    state[$n]=done
  else
    state[$n]=failed; failed+=("$n")
    ((${#pid_of[@]} == 0)) || log "$n failed: letting ${!pid_of[*]} finish, starting nothing else"
  fi
done

if ((${#failed[@]})); then
  for n in "${failed[@]}"; do
    log "✘ $n failed; its last lines ($LOGS/$n.log):"
    tail -n 25 "$LOGS/$n.log" >&2
  done
  not_run=()
  for n in "${names[@]}"; do [[ -n ${state[$n]:-} ]] || not_run+=("$n"); done
  ((${#not_run[@]} == 0)) || log "not run: ${not_run[*]}"
  die "setup failed after $((SECONDS - total))s: ${failed[*]}"
fi
log "setup done in $((SECONDS - total))s (${#names[@]} builds, $JOBS at a time; their own times add up to ${sum}s)"
log "toolchain under $TOOLCHAIN_ROOT, build logs under $LOGS"
