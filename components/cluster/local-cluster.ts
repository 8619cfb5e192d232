import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultKubeconfigPath, readExistingKubeconfig } from "./existing";
import type { ImageLoader } from "./image-loader";
import { k3dCommands } from "./k3d";
import { kindClusterConfig, kindCommands } from "./kind";
import { cliEnvironmentVariables } from "./shell";
import { DEFAULT_JAEGER_PORT, DEFAULT_PREVIEW_PORT, type HostPortMapping, hostPortMappings } from "./ports";

export const LOCAL_CLUSTER_TYPE = "reporunner:cluster:LocalCluster";

export type ClusterProvider = "kind" | "k3d" | "existing";

export interface LocalClusterArgs {
  /** `kind` (default) and `k3d` create a cluster with their CLI; `existing` wraps a kubeconfig and creates nothing. */
  readonly provider?: ClusterProvider;
  /** kind/k3d: the cluster's name (default `reporunner`). Changing it replaces the cluster. */
  readonly clusterName?: string;
  /** kind/k3d: worker (agent) nodes beside the control plane (default 1). */
  readonly workers?: number;
  /** kind/k3d: node image, which fixes the Kubernetes version (default: the CLI's own). */
  readonly nodeImage?: string;
  /** kind/k3d: host port of run previews (default 30080). */
  readonly previewPort?: number;
  /** kind/k3d: host port of the Jaeger UI (default 30082). */
  readonly jaegerPort?: number;
  /** kind/k3d: more host → NodePort mappings. */
  readonly extraPorts?: readonly HostPortMapping[];
  /**
   * kind/k3d: environment for the CLI (DOCKER_HOST, KIND_EXPERIMENTAL_PROVIDER, …). Its `PATH` is put
   * before the inherited one, so a folder of tools (a kind build, a docker wrapper) can come first.
   */
  readonly cliEnvironment?: Readonly<Record<string, string>>;
  /**
   * kind/k3d: images of the local Docker engine copied into every node once the cluster is up, before
   * anything is deployed: what a machine that cannot pull needs for the services' images.
   */
  readonly preloadImages?: readonly string[];
  /** existing: kubeconfig file (default `$KUBECONFIG`, then `~/.kube/config`). */
  readonly kubeconfigPath?: string;
  /** existing: context (default: the kubeconfig's current context). */
  readonly context?: string;
  /** existing: how images reach the nodes (default `registry`). */
  readonly imageLoad?: "containerd" | "registry" | "none";
  /** existing with imageLoad `registry`: the `host:port` nodes pull from. */
  readonly registry?: string;
  /** existing with imageLoad `containerd`: containerd's socket (default `/run/containerd/containerd.sock`). */
  readonly containerdAddress?: string;
}

/**
 * The Kubernetes cluster RepoRunner runs on: a kind or k3d cluster it creates and deletes, or an
 * existing one (Docker Desktop, minikube, EKS, the project's own test environment) it only uses.
 * Everything deployed into the cluster goes through `provider`.
 */
export class LocalCluster extends pulumi.ComponentResource {
  /** The admin kubeconfig; a secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The context inside `kubeconfig` that reaches this cluster. */
  public readonly context: pulumi.Output<string>;
  /** The provider every in-cluster resource receives. */
  public readonly provider: k8s.Provider;
  /** How images built on this machine reach the nodes. */
  public readonly imageLoader: pulumi.Output<ImageLoader>;

  constructor(name: string, args: LocalClusterArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super(LOCAL_CLUSTER_TYPE, name, {}, opts);
    const kind = args.provider ?? "kind";
    const access = kind === "existing" ? this.useExisting(args) : this.createWithCli(name, kind, args);

    this.kubeconfig = pulumi.secret(access.kubeconfig);
    this.context = pulumi.output(access.context);
    this.imageLoader = pulumi.output(access.imageLoader);
    this.provider = new k8s.Provider(
      `${name}-provider`,
      {
        kubeconfig: this.kubeconfig,
        context: this.context,
        // A deleted kind/k3d cluster must not block `pulumi destroy` of what was in it.
        deleteUnreachable: kind !== "existing",
      },
      // Nothing is deployed before the preloaded images are in the nodes.
      { parent: this, dependsOn: access.ready ?? [] },
    );
    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      context: this.context,
      imageLoader: this.imageLoader,
    });
  }

  private createWithCli(name: string, kind: "kind" | "k3d", args: LocalClusterArgs): ClusterAccess {
    const clusterName = args.clusterName ?? "reporunner";
    if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(clusterName)) {
      throw new pulumi.ResourceError(
        `clusterName must be a lowercase DNS label of at most 32 characters, got "${clusterName}"`,
        this,
      );
    }
    const workers = args.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 0 || workers > 10) {
      throw new pulumi.ResourceError(`workers must be an integer from 0 to 10, got ${workers}`, this);
    }
    let ports: HostPortMapping[];
    try {
      ports = hostPortMappings(
        args.previewPort ?? DEFAULT_PREVIEW_PORT,
        args.jaegerPort ?? DEFAULT_JAEGER_PORT,
        args.extraPorts ?? [],
      );
    } catch (error) {
      throw new pulumi.ResourceError(`extraPorts: ${(error as Error).message}`, this);
    }
    const spec = { clusterName, workers, nodeImage: args.nodeImage, ports };
    const commands = kind === "kind" ? kindCommands(spec) : k3dCommands(spec);
    const kindConfig = kind === "kind" ? kindClusterConfig(spec) : "";
    const environment = cliEnvironmentVariables(args.cliEnvironment);
    const cluster = new command.local.Command(
      // Named after the component only: a new cluster name replaces it through `triggers`, not a rename.
      `${name}-${kind}`,
      {
        create: commands.create,
        delete: commands.delete,
        environment: kind === "kind" ? { ...environment, KIND_CONFIG: kindConfig } : environment,
        triggers: [kind, clusterName, workers, args.nodeImage ?? "", kindConfig, JSON.stringify(ports)],
        // stdout is the kubeconfig: keep it out of the logs and encrypted in the state.
        logging: "stderr",
      },
      { parent: this, additionalSecretOutputs: ["stdout"], deleteBeforeReplace: true },
    );
    const imageLoader: ImageLoader =
      kind === "kind" ? { method: "kind-load", clusterName } : { method: "k3d-import", clusterName };
    const images = args.preloadImages ?? [];
    const preload =
      images.length === 0
        ? undefined
        : new command.local.Command(
            `${name}-preload`,
            {
              create: commands.preload(images),
              environment,
              // A new cluster has none of them: load again whenever the cluster is replaced.
              triggers: [cluster.id, ...images],
            },
            { parent: this, dependsOn: cluster },
          );
    return {
      kubeconfig: cluster.stdout,
      context: commands.context,
      imageLoader,
      ready: preload ? [preload] : undefined,
    };
  }

  private useExisting(args: LocalClusterArgs): ClusterAccess {
    const file = args.kubeconfigPath ?? defaultKubeconfigPath();
    let found: { kubeconfig: string; context: string };
    try {
      found = readExistingKubeconfig(file, args.context);
    } catch (error) {
      throw new pulumi.ResourceError(`kubeconfigPath: ${(error as Error).message}`, this);
    }
    const imageLoad = args.imageLoad ?? "registry";
    let imageLoader: ImageLoader;
    if (imageLoad === "registry") {
      if (!args.registry) {
        throw new pulumi.ResourceError(
          "registry is required when imageLoad is 'registry' (host:port the nodes pull from)",
          this,
        );
      }
      imageLoader = { method: "registry", registry: args.registry };
    } else if (imageLoad === "containerd") {
      imageLoader = {
        method: "containerd-import",
        containerdAddress: args.containerdAddress ?? "/run/containerd/containerd.sock",
      };
    } else {
      imageLoader = { method: "none" };
    }
    return { kubeconfig: found.kubeconfig, context: found.context, imageLoader };
  }
}

interface ClusterAccess {
  readonly kubeconfig: pulumi.Input<string>;
  readonly context: string;
  readonly imageLoader: ImageLoader;
  /** What must be done before anything is deployed into the cluster. */
  readonly ready?: pulumi.Resource[];
}
