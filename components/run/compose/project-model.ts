import type { ComposeSpecification, DefinitionsService } from "compose-spec-ts";
import { readFileObject } from "./config-objects";
import { type ComposeFileLoader, resolveExtends } from "./extends";
import { listOrDictRecord } from "./list-or-dict";
import type { ComposeModel, FileObject, NamedVolume, ServiceModel } from "./model";
import type { ModelContext } from "./model-context";
import { objectNames } from "./pod-spec";
import { readService } from "./service-model";
import { asBoolean } from "./units";

/** Options for reading a project into the model. */
export interface ProjectOptions {
  /** Profiles to enable; services without `profiles:` are always enabled. */
  readonly profiles: readonly string[];
  /** The image reference a service built from the repository runs. */
  readonly imageFor: (service: string) => string;
}

/**
 * Reads a validated compose document into the model: resolves `extends`, selects the services of
 * the enabled profiles, reads each service, checks `depends_on` (known, enabled, acyclic) and
 * gathers the volumes, configs and secrets the services use. Throws nothing itself: every problem
 * lands in `context.findings`.
 */
export function readProject(
  document: ComposeSpecification,
  file: string,
  load: ComposeFileLoader,
  options: ProjectOptions,
  context: ModelContext,
): ComposeModel {
  const { findings } = context;
  if (document.version !== undefined)
    findings.warn("version", "ignored: the compose specification no longer uses it");
  if (document.name !== undefined)
    findings.warn("name", "ignored: the run's namespace takes the place of the project name");
  if (document.include !== undefined) {
    findings.refuse(
      "include",
      "included compose files are not supported yet: move their services into this file",
    );
  }
  const networks = Object.keys(document.networks ?? {});
  if (networks.length) {
    findings.warn(
      "networks",
      `${networks.join(", ")} ignored: all services of a run share one network, isolated from other runs; service names resolve as on a compose network`,
    );
  }

  const all = resolveExtends(document, file, context.files, load, findings);
  const enabled = new Set(options.profiles);
  const active = Object.entries(all).filter(([name, service]) => {
    const profiles = service.profiles ?? [];
    if (profiles.length === 0 || profiles.some((profile) => enabled.has(profile))) return true;
    findings.warn(
      `services.${name}`,
      `not started: it belongs to profile ${profiles.join(", ")}; pass --profile ${profiles[0]} to include it`,
    );
    return false;
  });
  const activeNames = new Set(active.map(([name]) => name));
  const declared = {
    volumes: new Set(Object.keys(document.volumes ?? {})),
    configs: new Set(Object.keys(document.configs ?? {})),
    secrets: new Set(Object.keys(document.secrets ?? {})),
  };
  const services = active.map(([name, service]) => {
    const model = readService(name, service, declared, options.imageFor, context);
    return { ...model, dependsOn: checkDependencies(name, model, all, activeNames, context) };
  });
  refuseCycles(services, context);
  refuseNameClashes(services, context);
  const model = {
    file,
    services,
    volumes: usedVolumes(services, document, context),
    configs: usedFileObjects("config", services, document, context),
    secrets: usedFileObjects("secret", services, document, context),
  };
  refuseObjectNameClashes("volumes", model.volumes.keys(), objectNames.volume, context);
  refuseObjectNameClashes("configs", model.configs.keys(), objectNames.config, context);
  refuseObjectNameClashes("secrets", model.secrets.keys(), objectNames.secret, context);
  return model;
}

/**
 * Two volumes (or configs, or secrets) whose names differ only where Kubernetes cannot follow
 * (`db_data` and `db-data`, `Data` and `data`) would become one claim or one Secret, shared without a
 * word; compose keeps them apart, so the run refuses them, naming both.
 */
function refuseObjectNameClashes(
  kind: "volumes" | "configs" | "secrets",
  names: Iterable<string>,
  kubeName: (name: string) => string,
  context: ModelContext,
): void {
  const owners = new Map<string, string>();
  const what = { volumes: "PersistentVolumeClaim", configs: "ConfigMap", secrets: "Secret" }[kind];
  for (const name of names) {
    const object = kubeName(name);
    const owner = owners.get(object);
    if (owner === undefined) {
      owners.set(object, name);
    } else {
      context.findings.refuse(
        `${kind}.${name}`,
        `"${name}" and "${owner}" both become the ${what} "${object}", so they would be one: rename one of them`,
      );
    }
  }
}

function checkDependencies(
  name: string,
  model: ServiceModel,
  all: Record<string, DefinitionsService>,
  activeNames: ReadonlySet<string>,
  context: ModelContext,
): ServiceModel["dependsOn"] {
  return model.dependsOn.filter((dependency) => {
    const at = `services.${name}.depends_on.${dependency.service}`;
    if (!Object.hasOwn(all, dependency.service)) {
      context.findings.refuse(
        at,
        `there is no service "${dependency.service}": fix the name or remove the dependency`,
      );
      return false;
    }
    if (activeNames.has(dependency.service)) return true;
    if (dependency.required !== false) {
      const profiles = all[dependency.service]!.profiles ?? [];
      context.findings.refuse(
        at,
        `"${dependency.service}" is only in profile ${profiles.join(", ")}: pass --profile ${profiles[0]} or mark the dependency required: false`,
      );
    }
    return false;
  });
}

function refuseCycles(services: readonly ServiceModel[], context: ModelContext): void {
  const byName = new Map(services.map((service) => [service.name, service]));
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, chain: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...chain.slice(chain.indexOf(name)), name].join(" → ");
      context.findings.refuse(
        `services.${name}.depends_on`,
        `dependencies form a cycle (${cycle}): remove one of them`,
      );
      return;
    }
    state.set(name, "visiting");
    for (const dependency of byName.get(name)?.dependsOn ?? []) visit(dependency.service, [...chain, name]);
    state.set(name, "done");
  };
  for (const service of services) visit(service.name, []);
}

/** Two compose names that map to the same Kubernetes name would silently share a Service. */
function refuseNameClashes(services: readonly ServiceModel[], context: ModelContext): void {
  const owners = new Map<string, string>();
  for (const service of services) {
    for (const [name, what] of [
      [service.kubeName, "name"],
      ...service.aliases.map((alias) => [alias, `alias "${alias}"`]),
    ] as const) {
      const owner = owners.get(name);
      if (owner && owner !== service.name) {
        context.findings.refuse(
          `services.${service.name}`,
          `its ${what} becomes "${name}", which ${owner} already uses: rename one of them`,
        );
      }
      owners.set(name, service.name);
    }
  }
}

function usedVolumes(
  services: readonly ServiceModel[],
  document: ComposeSpecification,
  context: ModelContext,
): Map<string, NamedVolume> {
  const volumes = new Map<string, NamedVolume>();
  for (const service of services) {
    for (const mount of service.mounts) {
      if (mount.kind !== "volume" || volumes.has(mount.volume)) continue;
      const definition = document.volumes?.[mount.volume] ?? {};
      const at = `volumes.${mount.volume}`;
      if (
        asBoolean(definition.external as boolean | string | undefined) ||
        typeof definition.external === "object"
      ) {
        context.findings.warn(at, "external: a run starts from nothing, so a new, empty volume is created");
      }
      if (definition.driver || definition.driver_opts) {
        context.findings.warn(
          at,
          "driver and driver_opts are ignored: the cluster's default storage class is used",
        );
      }
      volumes.set(mount.volume, { name: mount.volume, labels: listOrDictRecord(definition.labels) });
    }
  }
  return volumes;
}

function usedFileObjects(
  kind: "config" | "secret",
  services: readonly ServiceModel[],
  document: ComposeSpecification,
  context: ModelContext,
): Map<string, FileObject> {
  const definitions = (kind === "config" ? document.configs : document.secrets) ?? {};
  const objects = new Map<string, FileObject>();
  const names = new Set(
    services.flatMap((service) =>
      service.mounts.filter((mount) => mount.kind === kind).map((mount) => (mount as { name: string }).name),
    ),
  );
  for (const name of names) {
    const object = readFileObject(kind, name, definitions[name] ?? {}, context);
    if (object) objects.set(name, object);
  }
  return objects;
}
