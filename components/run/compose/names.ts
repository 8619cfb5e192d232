/**
 * Kubernetes names from compose names. Compose allows `[a-zA-Z0-9._-]` in service, volume, config
 * and secret names; Kubernetes Service names must be DNS-1035 labels (lowercase letters, digits and
 * `-`, starting with a letter, at most 63 characters). Other services reach a compose service by its
 * name, so a rename is reported rather than done silently.
 */

const MAX_LABEL = 63;

/** `my_App.v2` → `my-app-v2`; prefixes `s-` when the name does not start with a letter. */
export function toDnsLabel(name: string): string {
  let label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(label)) label = `s-${label}`;
  return label.slice(0, MAX_LABEL).replace(/-+$/, "");
}

/** True when `name` can be used unchanged as a Service name. */
export function isDnsLabel(name: string): boolean {
  return name.length <= MAX_LABEL && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

/** A child object name `<prefix>-<name>`, kept within the 63 characters a label allows. */
export function childName(prefix: string, name: string): string {
  return toDnsLabel(`${prefix}-${name}`);
}
