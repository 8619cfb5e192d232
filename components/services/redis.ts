import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_IMAGES } from "./images";
import { checkInfraServiceArgs, createCredentials, type InfraServiceArgs } from "./infra-service";
import { serviceSize } from "./profile";
import { createInfraWorkload, secretEnv, serviceHost } from "./workload";

export const REDIS_TYPE = "reporunner:infra:Redis";
const PORT = 6379;

/** Arguments of `Redis`: the shared infra service arguments. */
export type RedisArgs = InfraServiceArgs;

/**
 * Redis Stack (streams for run events and jobs, JSON and search modules), password-protected, with
 * append-only persistence on a volume.
 */
export class Redis extends pulumi.ComponentResource {
  /** `redis://:<password>@redis.<ns>.svc.cluster.local:6379`; a secret. */
  public readonly url: pulumi.Output<string>;
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  /** The Secret whose `password` key holds the password. */
  public readonly credentialsSecret: pulumi.Output<string>;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super(REDIS_TYPE, name, {}, opts);
    checkInfraServiceArgs(args, this);
    const { secret, values } = createCredentials(
      name,
      { namespace: args.namespace, appName: "redis", component: "cache", generated: ["password"] },
      this,
      args.provider,
    );
    const ping = ["sh", "-c", 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'];
    createInfraWorkload(
      name,
      {
        namespace: args.namespace,
        appName: "redis",
        component: "cache",
        image: args.image ?? DEFAULT_IMAGES.redis,
        size: serviceSize(args.profile ?? "dev", "redis"),
        ports: [{ name: "redis", port: PORT }],
        env: [
          secretEnv("REDIS_PASSWORD", secret, "password"),
          // The image's entrypoint passes REDIS_ARGS to redis-server; $(VAR) is expanded by the kubelet.
          { name: "REDIS_ARGS", value: "--requirepass $(REDIS_PASSWORD) --appendonly yes --dir /data" },
        ],
        dataPath: "/data",
        readinessProbe: { exec: { command: ping }, periodSeconds: 5, timeoutSeconds: 3 },
        livenessProbe: {
          exec: { command: ping },
          initialDelaySeconds: 15,
          periodSeconds: 10,
          timeoutSeconds: 5,
        },
      },
      this,
      args.provider,
    );

    this.host = serviceHost("redis", args.namespace);
    this.port = pulumi.output(PORT);
    this.url = pulumi.secret(pulumi.interpolate`redis://:${values.password}@${this.host}:${PORT}`);
    this.credentialsSecret = secret.metadata.name;
    this.registerOutputs({
      url: this.url,
      host: this.host,
      port: this.port,
      credentialsSecret: this.credentialsSecret,
    });
  }
}
