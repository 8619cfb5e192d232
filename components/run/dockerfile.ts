/**
 * The ports a Dockerfile's final stage declares with EXPOSE (`80`, `8080/tcp`, `53/udp`, several per
 * line); ARG/ENV-substituted ports are skipped since their value is not known before the build.
 */
export function exposedPorts(dockerfile: string): { port: number; protocol: "tcp" | "udp" }[] {
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  let ports: { port: number; protocol: "tcp" | "udp" }[] = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.trim().split(/\s+/);
    const keyword = instruction?.toUpperCase();
    // Each FROM starts a stage; only the last stage's EXPOSE describes the image that runs.
    if (keyword === "FROM") ports = [];
    if (keyword !== "EXPOSE") continue;
    for (const token of rest) {
      const match = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(token);
      if (!match) continue;
      const port = Number(match[1]);
      if (port >= 1 && port <= 65535)
        ports.push({ port, protocol: (match[2]?.toLowerCase() ?? "tcp") as "tcp" | "udp" });
    }
  }
  return ports;
}
