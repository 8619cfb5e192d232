import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GeneratedPassword } from "./generated-password";
import { DEFAULT_IMAGES } from "./images";
import { checkInfraServiceArgs, type InfraServiceArgs } from "./infra-service";
import { serviceSize } from "./profile";
import { createInfraWorkload, peersServiceName, serviceHost } from "./workload";

export const KAFKA_TYPE = "reporunner:infra:Kafka";
const CLIENT_PORT = 9092;
const CONTROLLER_PORT = 9093;

/** Arguments of `Kafka`: the shared infra service arguments. */
export type KafkaArgs = InfraServiceArgs;

/**
 * The KRaft settings of a combined broker+controller quorum of `replicas` pods. Pure, so it is tested
 * directly. Each pod derives its node id from its StatefulSet ordinal (see the container command).
 */
export function kraftEnvironment(replicas: number): k8s.types.input.core.v1.EnvVar[] {
  const peers = peersServiceName("kafka");
  const podHost = (pod: string) => `${pod}.${peers}.$(POD_NAMESPACE).svc.cluster.local`;
  const voters = Array.from(
    { length: replicas },
    (_, i) => `${i}@${podHost(`kafka-${i}`)}:${CONTROLLER_PORT}`,
  );
  const replication = String(Math.min(3, replicas));
  return [
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    { name: "KAFKA_PROCESS_ROLES", value: "broker,controller" },
    { name: "KAFKA_LISTENERS", value: `PLAINTEXT://:${CLIENT_PORT},CONTROLLER://:${CONTROLLER_PORT}` },
    { name: "KAFKA_ADVERTISED_LISTENERS", value: `PLAINTEXT://${podHost("$(POD_NAME)")}:${CLIENT_PORT}` },
    { name: "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", value: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" },
    { name: "KAFKA_CONTROLLER_LISTENER_NAMES", value: "CONTROLLER" },
    { name: "KAFKA_INTER_BROKER_LISTENER_NAME", value: "PLAINTEXT" },
    { name: "KAFKA_CONTROLLER_QUORUM_VOTERS", value: voters.join(",") },
    { name: "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", value: replication },
    { name: "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", value: replication },
    { name: "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", value: String(Math.min(2, replicas)) },
    { name: "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", value: "0" },
    { name: "KAFKA_LOG_DIRS", value: "/var/lib/kafka/data" },
  ];
}

/** Kafka in KRaft mode (no ZooKeeper): one combined broker+controller per pod, quorum sized by profile. */
export class Kafka extends pulumi.ComponentResource {
  /** `kafka.<ns>.svc.cluster.local:9092`: the bootstrap servers clients connect to. */
  public readonly bootstrapServers: pulumi.Output<string>;
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;

  constructor(name: string, args: KafkaArgs, opts?: pulumi.ComponentResourceOptions) {
    super(KAFKA_TYPE, name, {}, opts);
    checkInfraServiceArgs(args, this);
    const size = serviceSize(args.profile ?? "dev", "kafka");
    // KRaft needs a cluster id of 16 random bytes, base64url: generated once, kept in the state.
    const clusterId = new GeneratedPassword(`${name}-cluster-id`, { bytes: 16 }, { parent: this });
    const reachable = { tcpSocket: { port: CLIENT_PORT } };
    createInfraWorkload(
      name,
      {
        namespace: args.namespace,
        appName: "kafka",
        component: "broker",
        image: args.image ?? DEFAULT_IMAGES.kafka,
        size,
        ports: [
          { name: "kafka", port: CLIENT_PORT },
          { name: "controller", port: CONTROLLER_PORT },
        ],
        command: ["sh", "-c", 'export KAFKA_NODE_ID="${HOSTNAME##*-}"; exec /etc/kafka/docker/run'],
        env: [
          ...kraftEnvironment(size.replicas),
          { name: "CLUSTER_ID", value: clusterId.value },
          { name: "KAFKA_HEAP_OPTS", value: "-Xms256m -Xmx512m" },
        ],
        dataPath: "/var/lib/kafka/data",
        // The image runs as uid 1000 (appuser); the volume must be writable by it.
        podSecurity: { fsGroup: 1000 },
        publishNotReadyPeers: true,
        readinessProbe: { ...reachable, initialDelaySeconds: 10, periodSeconds: 5 },
        livenessProbe: { ...reachable, initialDelaySeconds: 60, periodSeconds: 20, timeoutSeconds: 5 },
      },
      this,
      args.provider,
    );

    this.host = serviceHost("kafka", args.namespace);
    this.port = pulumi.output(CLIENT_PORT);
    this.bootstrapServers = pulumi.interpolate`${this.host}:${CLIENT_PORT}`;
    this.registerOutputs({ bootstrapServers: this.bootstrapServers, host: this.host, port: this.port });
  }
}
