import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_IMAGES } from "./images";
import { checkInfraServiceArgs, createCredentials, type InfraServiceArgs } from "./infra-service";
import { serviceSize } from "./profile";
import { createInfraWorkload, secretEnv, serviceHost } from "./workload";

export const MONGODB_TYPE = "reporunner:infra:MongoDB";
const PORT = 27017;
const ROOT_USER = "reporunner";

/** Arguments of `MongoDB`: the shared infra service arguments. */
export type MongoDBArgs = InfraServiceArgs;

/** MongoDB with authentication on, a generated root password and a persistent volume. */
export class MongoDB extends pulumi.ComponentResource {
  /** `mongodb://<user>:<password>@mongodb.<ns>.svc.cluster.local:27017/?authSource=admin`; a secret. */
  public readonly url: pulumi.Output<string>;
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  /** The Secret whose `username` and `password` keys hold the root credentials. */
  public readonly credentialsSecret: pulumi.Output<string>;

  constructor(name: string, args: MongoDBArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MONGODB_TYPE, name, {}, opts);
    checkInfraServiceArgs(args, this);
    const { secret, values } = createCredentials(
      name,
      {
        namespace: args.namespace,
        appName: "mongodb",
        component: "database",
        fixed: { username: ROOT_USER },
        generated: ["password"],
      },
      this,
      args.provider,
    );
    const ping = ["mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"];
    createInfraWorkload(
      name,
      {
        namespace: args.namespace,
        appName: "mongodb",
        component: "database",
        image: args.image ?? DEFAULT_IMAGES.mongodb,
        size: serviceSize(args.profile ?? "dev", "mongodb"),
        ports: [{ name: "mongodb", port: PORT }],
        env: [
          secretEnv("MONGO_INITDB_ROOT_USERNAME", secret, "username"),
          secretEnv("MONGO_INITDB_ROOT_PASSWORD", secret, "password"),
        ],
        dataPath: "/data/db",
        readinessProbe: {
          exec: { command: ping },
          initialDelaySeconds: 5,
          periodSeconds: 10,
          timeoutSeconds: 5,
        },
        livenessProbe: {
          exec: { command: ping },
          initialDelaySeconds: 30,
          periodSeconds: 20,
          timeoutSeconds: 10,
        },
      },
      this,
      args.provider,
    );

    this.host = serviceHost("mongodb", args.namespace);
    this.port = pulumi.output(PORT);
    this.url = pulumi.secret(
      pulumi.interpolate`mongodb://${ROOT_USER}:${values.password}@${this.host}:${PORT}/?authSource=admin`,
    );
    this.credentialsSecret = secret.metadata.name;
    this.registerOutputs({
      url: this.url,
      host: this.host,
      port: this.port,
      credentialsSecret: this.credentialsSecret,
    });
  }
}
