import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_IMAGES } from "./images";
import { checkInfraServiceArgs, createCredentials, type InfraServiceArgs } from "./infra-service";
import { serviceSize } from "./profile";
import { createInfraWorkload, secretEnv, serviceHost } from "./workload";

export const RABBITMQ_TYPE = "reporunner:infra:RabbitMQ";
const AMQP_PORT = 5672;
const MANAGEMENT_PORT = 15672;
const USER = "reporunner";

/** Arguments of `RabbitMQ`: the shared infra service arguments. */
export type RabbitMQArgs = InfraServiceArgs;

/** RabbitMQ with the management plugin, a generated password and a persistent volume. */
export class RabbitMQ extends pulumi.ComponentResource {
  /** `amqp://<user>:<password>@rabbitmq.<ns>.svc.cluster.local:5672`; a secret. */
  public readonly url: pulumi.Output<string>;
  /** The management UI and HTTP API inside the cluster. */
  public readonly managementUrl: pulumi.Output<string>;
  public readonly host: pulumi.Output<string>;
  /** The Secret whose `username` and `password` keys hold the credentials. */
  public readonly credentialsSecret: pulumi.Output<string>;

  constructor(name: string, args: RabbitMQArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RABBITMQ_TYPE, name, {}, opts);
    checkInfraServiceArgs(args, this);
    const { secret, values } = createCredentials(
      name,
      {
        namespace: args.namespace,
        appName: "rabbitmq",
        component: "broker",
        fixed: { username: USER },
        generated: ["password"],
      },
      this,
      args.provider,
    );
    const ping = ["rabbitmq-diagnostics", "-q", "ping"];
    createInfraWorkload(
      name,
      {
        namespace: args.namespace,
        appName: "rabbitmq",
        component: "broker",
        image: args.image ?? DEFAULT_IMAGES.rabbitmq,
        size: serviceSize(args.profile ?? "dev", "rabbitmq"),
        ports: [
          { name: "amqp", port: AMQP_PORT },
          { name: "management", port: MANAGEMENT_PORT },
        ],
        env: [
          secretEnv("RABBITMQ_DEFAULT_USER", secret, "username"),
          secretEnv("RABBITMQ_DEFAULT_PASS", secret, "password"),
        ],
        dataPath: "/var/lib/rabbitmq",
        readinessProbe: {
          exec: { command: ping },
          initialDelaySeconds: 10,
          periodSeconds: 10,
          timeoutSeconds: 10,
        },
        livenessProbe: {
          exec: { command: ping },
          initialDelaySeconds: 60,
          periodSeconds: 30,
          timeoutSeconds: 15,
        },
      },
      this,
      args.provider,
    );

    this.host = serviceHost("rabbitmq", args.namespace);
    this.url = pulumi.secret(pulumi.interpolate`amqp://${USER}:${values.password}@${this.host}:${AMQP_PORT}`);
    this.managementUrl = pulumi.interpolate`http://${this.host}:${MANAGEMENT_PORT}`;
    this.credentialsSecret = secret.metadata.name;
    this.registerOutputs({
      url: this.url,
      managementUrl: this.managementUrl,
      host: this.host,
      credentialsSecret: this.credentialsSecret,
    });
  }
}
