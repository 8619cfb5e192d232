/** A port on the host (bound to 127.0.0.1) that reaches a NodePort of the cluster. */
export interface HostPortMapping {
  /** Port on the host. */
  readonly host: number;
  /** NodePort inside the cluster. */
  readonly node: number;
  /** Default TCP. */
  readonly protocol?: "TCP" | "UDP";
}

/** The seed's ports: previews on 30080, the Jaeger UI on 30082, each the same on host and node. */
export const DEFAULT_PREVIEW_PORT = 30080;
export const DEFAULT_JAEGER_PORT = 30082;

/** Every host → NodePort mapping a cluster publishes, the preview and Jaeger ports first. */
export function hostPortMappings(previewPort: number, jaegerPort: number, extra: readonly HostPortMapping[]) {
  const all: HostPortMapping[] = [
    { host: previewPort, node: previewPort, protocol: "TCP" },
    { host: jaegerPort, node: jaegerPort, protocol: "TCP" },
    ...extra.map((p) => ({ ...p, protocol: p.protocol ?? "TCP" })),
  ];
  const seen = new Set<number>();
  for (const mapping of all) {
    if (seen.has(mapping.host)) throw new Error(`host port ${mapping.host} is mapped twice`);
    seen.add(mapping.host);
  }
  return all;
}
