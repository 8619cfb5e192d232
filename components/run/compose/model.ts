/**
 * The typed compose model: what a compose project means once its many syntaxes (short and long
 * port and volume forms, lists and maps, strings and arrays) are read. Building manifests from this
 * model needs no file system and no further checks.
 */

import type { Protocol } from "./kube-types";

/** A compose project, reduced to the active services and the top-level objects they use. */
export interface ComposeModel {
  /** The compose file, relative to the repository root. */
  readonly file: string;
  /** Active services (after profiles), in file order. */
  readonly services: readonly ServiceModel[];
  /** Named volumes used by an active service, by compose name. */
  readonly volumes: ReadonlyMap<string, NamedVolume>;
  /** Configs and secrets used by an active service, by compose name. */
  readonly configs: ReadonlyMap<string, FileObject>;
  readonly secrets: ReadonlyMap<string, FileObject>;
}

/** One compose service. */
export interface ServiceModel {
  /** The compose name, used in messages. */
  readonly name: string;
  /** The DNS-label form used for Kubernetes names (equal to `name` when it is already valid). */
  readonly kubeName: string;
  readonly image: ImageSource;
  /** From `entrypoint` (Kubernetes `command`). */
  readonly entrypoint?: string[];
  /** From `command` (Kubernetes `args`). */
  readonly command?: string[];
  readonly workingDir?: string;
  /** Resolved environment, env_file first and `environment` over it, in a stable order. */
  readonly environment: ReadonlyArray<readonly [string, string]>;
  readonly ports: readonly PortModel[];
  readonly mounts: readonly MountModel[];
  readonly dependsOn: readonly Dependency[];
  readonly healthcheck?: HealthcheckModel;
  readonly replicas: number;
  readonly resources: { readonly limits: Record<string, string>; readonly requests: Record<string, string> };
  /** Absent when the file does not say (compose's default is `no`). */
  readonly restart?: RestartPolicy;
  readonly user: UserModel;
  /** `cap_add`: capabilities to keep beyond the defaults; only ever the safe set. */
  readonly capAdd: readonly string[];
  /** `cap_drop`: defaults to give up (`ALL` gives up every one); see `security.ts`. */
  readonly capDrop: readonly string[];
  readonly readOnlyRootFilesystem: boolean;
  /** Container labels and annotations, kept as pod annotations (label values are too restricted). */
  readonly annotations: Readonly<Record<string, string>>;
  /** Extra names other services may use for this one (network aliases, link aliases). */
  readonly aliases: readonly string[];
  readonly hostname?: string;
  readonly hostAliases: ReadonlyArray<{ readonly ip: string; readonly hostnames: string[] }>;
  readonly dnsSearch: readonly string[];
  readonly dnsOptions: ReadonlyArray<{ readonly name: string; readonly value?: string }>;
  readonly sysctls: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly supplementalGroups: readonly number[];
  readonly stopGracePeriodSeconds?: number;
  readonly tty: boolean;
  readonly stdinOpen: boolean;
  readonly postStart?: string[];
  readonly preStop?: string[];
}

/** Where a service's image comes from. */
export type ImageSource =
  | { readonly kind: "pull"; readonly reference: string; readonly pullPolicy?: PullPolicy }
  | { readonly kind: "build"; readonly build: BuildSpec };

export type PullPolicy = "Always" | "IfNotPresent" | "Never";

/** An image to build before the manifests can be applied. */
export interface BuildSpec {
  /** The compose service the image is for. */
  readonly service: string;
  /** The build context, relative to the repository root (`.` for the root). */
  readonly context: string;
  /** The Dockerfile, relative to the repository root; absent when `dockerfileInline` is set. */
  readonly dockerfile?: string;
  /** `build.dockerfile_inline`: the Dockerfile's text. */
  readonly dockerfileInline?: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target?: string;
  /** The image reference the manifests use, from `TranslateOptions.imageFor`. */
  readonly imageName: string;
}

export interface PortModel {
  readonly target: number;
  readonly protocol: Protocol;
  /** The host port compose would publish, when it would; the caller may expose it as a preview. */
  readonly published?: string;
  readonly name?: string;
  readonly appProtocol?: string;
}

export type MountModel =
  | {
      readonly kind: "volume";
      readonly volume: string;
      readonly target: string;
      readonly readOnly: boolean;
      readonly subPath?: string;
    }
  | {
      readonly kind: "emptyDir";
      readonly target: string;
      readonly memory: boolean;
      readonly sizeLimit?: string;
      /**
       * An anonymous volume: compose fills a new one with what the image holds at `target`, so it
       * starts with the image's files (a `node_modules` kept from the build), not empty.
       */
      readonly seedFromImage?: boolean;
    }
  | {
      readonly kind: "repoFiles";
      /** The bind source, relative to the repository root. */
      readonly source: string;
      readonly target: string;
      /** True when the source is one file mounted at `target`; false for a directory. */
      readonly singleFile: boolean;
      readonly files: readonly RepoFile[];
    }
  | {
      readonly kind: "config" | "secret";
      readonly name: string;
      readonly target: string;
      readonly mode?: number;
    };

/** A file read from the repository, keyed by a ConfigMap/Secret key. */
export interface RepoFile {
  readonly key: string;
  /** Where the file is under the mount when that is not `key`: in a subfolder, or a name no key can have. */
  readonly path?: string;
  readonly content: Buffer;
}

export interface NamedVolume {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A compose config or secret, with its content. */
export interface FileObject {
  readonly name: string;
  /** The key inside the ConfigMap/Secret; also the file name a directory mount shows. */
  readonly key: string;
  readonly content: Buffer;
}

export type DependencyCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface Dependency {
  readonly service: string;
  readonly condition: DependencyCondition;
  /** `required: false`: the dependency may be absent (e.g. in a profile that is not enabled). */
  readonly required?: false;
}

export interface HealthcheckModel {
  /** The exec command: CMD as given, CMD-SHELL through `/bin/sh -c`. */
  readonly command: string[];
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startPeriodSeconds: number;
  readonly startIntervalSeconds: number;
}

export type RestartPolicy =
  | { readonly kind: "always" | "unless-stopped" | "no" }
  | { readonly kind: "on-failure"; readonly maxRetries?: number };

/** The compose `user`, as far as Kubernetes can express it (numeric ids only). */
export interface UserModel {
  readonly uid?: number;
  readonly gid?: number;
  /** False when the user is unknown (image default) or a name Kubernetes cannot check. */
  readonly knownNonRoot: boolean;
}
