import type { Container, PodSpec, Volume, VolumeMount } from "./kube-types";
import type { MountModel, ServiceModel } from "./model";
import { childName, toDnsLabel } from "./names";
import { probesFor } from "./probes";
import { containerSecurityContext } from "./security";

/** How long compose waits between SIGTERM and SIGKILL when `stop_grace_period` is not set. */
const COMPOSE_STOP_GRACE_SECONDS = 10;

/** Names of the objects a service's mounts refer to; see `to-manifests.ts`. */
export const objectNames = {
  /** A home folder's volume (`~/data`, see `volumes.ts`) is `home-data`. */
  volume: (volume: string) => toDnsLabel(volume.startsWith("~") ? `home${volume.slice(1)}` : volume),
  config: (config: string) => childName("config", config),
  secret: (secret: string) => childName("secret", secret),
  repoFiles: (service: ServiceModel, index: number) => childName(service.kubeName, `files-${index}`),
};

/**
 * Kubernetes expands `$(VAR)` in command, args and env values and turns `$$` into `$`. Compose has
 * already interpolated the file, so what is left must reach the container literally: every `$` is
 * doubled.
 */
function literal(text: string): string {
  return text.replaceAll("$", () => "$$");
}

/** The image a service's containers run, and its pull policy. */
function imageOf(service: ServiceModel): { image: string; pullPolicy?: Container["imagePullPolicy"] } {
  const image = service.image.kind === "build" ? service.image.build.imageName : service.image.reference;
  // A built image is loaded into the cluster or pushed under a tag made for this run: never pull it again.
  const pullPolicy = service.image.kind === "build" ? "IfNotPresent" : service.image.pullPolicy;
  return { image, ...(pullPolicy ? { pullPolicy } : {}) };
}

/** Where a seed container mounts the new volume it fills. */
const SEED_MOUNT = "/reporunner-seed";

/**
 * One init container per anonymous volume, of the service's own image and user, that copies what the
 * image holds at the volume's path into the new volume, as compose fills a new volume; without it the
 * emptyDir would hide the image's files (a `node_modules` installed at build time). A path the image
 * does not have leaves the volume empty. The image needs `sh` and `cp`, as the images that declare
 * such volumes (node, python, php) have.
 */
export function seedContainers(service: ServiceModel): Container[] {
  const { image, pullPolicy } = imageOf(service);
  return service.mounts.flatMap((mount, index) =>
    mount.kind === "emptyDir" && mount.seedFromImage
      ? [
          {
            name: `seed-${index}`,
            image,
            ...(pullPolicy ? { imagePullPolicy: pullPolicy } : {}),
            command: [
              "sh",
              "-c",
              `if [ -d "$1" ]; then cp -a "$1/." ${SEED_MOUNT}/; fi`,
              "seed",
              literal(mount.target),
            ],
            volumeMounts: [{ name: `empty-${index}`, mountPath: SEED_MOUNT }],
            securityContext: containerSecurityContext(service),
          },
        ]
      : [],
  );
}

/** The service's container. */
export function serviceContainer(service: ServiceModel, mounts: VolumeMount[]): Container {
  const { image, pullPolicy } = imageOf(service);
  const { limits, requests } = service.resources;
  return {
    name: service.kubeName,
    image,
    ...(pullPolicy ? { imagePullPolicy: pullPolicy } : {}),
    ...(service.entrypoint ? { command: service.entrypoint.map(literal) } : {}),
    ...(service.command ? { args: service.command.map(literal) } : {}),
    ...(service.workingDir ? { workingDir: service.workingDir } : {}),
    ...(service.environment.length
      ? { env: service.environment.map(([name, value]) => ({ name, value: literal(value) })) }
      : {}),
    ...(service.ports.length
      ? {
          ports: service.ports.map((port) => ({
            name: port.name ?? portName(port.protocol, port.target),
            containerPort: port.target,
            protocol: port.protocol,
          })),
        }
      : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
    ...(Object.keys(limits).length || Object.keys(requests).length
      ? {
          resources: {
            ...(Object.keys(limits).length ? { limits: { ...limits } } : {}),
            ...(Object.keys(requests).length ? { requests: { ...requests } } : {}),
          },
        }
      : {}),
    ...(service.healthcheck ? probesFor(service.healthcheck) : {}),
    ...(service.postStart || service.preStop
      ? {
          lifecycle: {
            ...(service.postStart ? { postStart: { exec: { command: service.postStart } } } : {}),
            ...(service.preStop ? { preStop: { exec: { command: service.preStop } } } : {}),
          },
        }
      : {}),
    securityContext: containerSecurityContext(service),
    ...(service.tty ? { tty: true } : {}),
    ...(service.stdinOpen ? { stdin: true } : {}),
  };
}

/** `tcp-8080`: unique per port and protocol, and within the 15 characters a port name allows. */
export function portName(protocol: string, port: number): string {
  return `${protocol.toLowerCase()}-${port}`;
}

/** The pod volumes and container mounts for a service's mounts. */
export function volumesFor(service: ServiceModel): { volumes: Volume[]; mounts: VolumeMount[] } {
  const volumes = new Map<string, Volume>();
  const mounts: VolumeMount[] = [];
  service.mounts.forEach((mount, index) => {
    const { volume, volumeMount } = mountParts(service, mount, index);
    if (!volumes.has(volume.name)) volumes.set(volume.name, volume);
    mounts.push(volumeMount);
  });
  return { volumes: [...volumes.values()], mounts };
}

function mountParts(
  service: ServiceModel,
  mount: MountModel,
  index: number,
): { volume: Volume; volumeMount: VolumeMount } {
  switch (mount.kind) {
    case "volume": {
      // A home folder's volume is named by its claim (`~/data` → `volume-home-data`).
      const name = childName(
        "volume",
        mount.volume.startsWith("~") ? objectNames.volume(mount.volume) : mount.volume,
      );
      return {
        volume: { name, persistentVolumeClaim: { claimName: objectNames.volume(mount.volume) } },
        volumeMount: {
          name,
          mountPath: mount.target,
          ...(mount.readOnly ? { readOnly: true } : {}),
          ...(mount.subPath ? { subPath: mount.subPath } : {}),
        },
      };
    }
    case "emptyDir": {
      const name = `empty-${index}`;
      return {
        volume: {
          name,
          emptyDir: {
            ...(mount.memory ? { medium: "Memory" as const } : {}),
            ...(mount.sizeLimit ? { sizeLimit: mount.sizeLimit } : {}),
          },
        },
        volumeMount: { name, mountPath: mount.target },
      };
    }
    case "repoFiles": {
      const name = `files-${index}`;
      // A tree, or a name no key can have: each file's key is put back at its path.
      const items = mount.files.some((file) => file.path !== undefined)
        ? mount.files.map((file) => ({ key: file.key, path: file.path ?? file.key }))
        : undefined;
      return {
        volume: {
          name,
          configMap: { name: objectNames.repoFiles(service, index), ...(items ? { items } : {}) },
        },
        volumeMount: {
          name,
          mountPath: mount.target,
          readOnly: true,
          ...(mount.singleFile ? { subPath: mount.files[0]!.key } : {}),
        },
      };
    }
    case "config":
    case "secret": {
      // One volume per mount: the same config may be mounted at two paths with two modes.
      const name = toDnsLabel(`${mount.kind}-${index}-${mount.name}`);
      const key = mount.name.replace(/[^-._a-zA-Z0-9]/g, "_");
      const items = [{ key, path: key, ...(mount.mode !== undefined ? { mode: mount.mode } : {}) }];
      const volume: Volume =
        mount.kind === "config"
          ? { name, configMap: { name: objectNames.config(mount.name), items } }
          : { name, secret: { secretName: objectNames.secret(mount.name), items } };
      return { volume, volumeMount: { name, mountPath: mount.target, subPath: key, readOnly: true } };
    }
  }
}

/** The pod spec for a service, with its init containers. */
export function podSpecFor(
  service: ServiceModel,
  initContainers: Container[],
  restartPolicy: PodSpec["restartPolicy"],
): PodSpec {
  const { volumes, mounts } = volumesFor(service);
  const dnsConfig =
    service.dnsSearch.length || service.dnsOptions.length
      ? {
          ...(service.dnsSearch.length ? { searches: [...service.dnsSearch] } : {}),
          ...(service.dnsOptions.length
            ? { options: service.dnsOptions.map((option) => ({ ...option })) }
            : {}),
        }
      : undefined;
  const allInit = [...seedContainers(service), ...initContainers];
  return {
    ...(allInit.length ? { initContainers: allInit } : {}),
    containers: [serviceContainer(service, mounts)],
    ...(volumes.length ? { volumes } : {}),
    ...(restartPolicy ? { restartPolicy } : {}),
    // Kubernetes would inject DB_PORT=tcp://... style variables for every Service in the namespace;
    // compose does not, and apps that read DB_PORT or REDIS_PORT break on them.
    enableServiceLinks: false,
    // Compose containers have no cluster credentials; run pods should not either.
    automountServiceAccountToken: false,
    securityContext: {
      seccompProfile: { type: "RuntimeDefault" },
      ...(service.sysctls.length ? { sysctls: service.sysctls.map((sysctl) => ({ ...sysctl })) } : {}),
      ...(service.supplementalGroups.length ? { supplementalGroups: [...service.supplementalGroups] } : {}),
    },
    ...(service.hostname ? { hostname: service.hostname } : {}),
    ...(service.hostAliases.length
      ? { hostAliases: service.hostAliases.map((alias) => ({ ...alias, hostnames: [...alias.hostnames] })) }
      : {}),
    ...(dnsConfig ? { dnsConfig } : {}),
    // Compose waits 10 s after SIGTERM unless stop_grace_period says otherwise; Kubernetes would wait
    // 30 s, so a server that ignores SIGTERM (busybox httpd as PID 1) kept every destroy 20 s longer.
    terminationGracePeriodSeconds: service.stopGracePeriodSeconds ?? COMPOSE_STOP_GRACE_SECONDS,
  };
}
