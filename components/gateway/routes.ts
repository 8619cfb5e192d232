/**
 * How the preview gateway names things, shared by the gateway (which routes) and RepoRun (which
 * publishes): `/run-<id>/<segment>/…` reaches Service `<segment>-preview` in namespace `run-<id>` on
 * port `GATEWAY_SERVICE_PORT`. A segment is the Kubernetes name of a compose service for its first
 * published port, and `<name>-<port>` for the others.
 */

/** The port every preview Service offers the gateway, whatever port the app listens on. */
export const GATEWAY_SERVICE_PORT = 80;

/** The header on every answer the gateway makes itself ("not ready yet", "no route"), not the app behind it. */
export const GATEWAY_ANSWER_HEADER = "X-RepoRunner-Gateway";

/** The Service the gateway forwards `segment` to. */
export function previewServiceName(segment: string): string {
  return `${segment}-preview`;
}

/** The path segment of one published port. */
export function previewSegment(serviceName: string, port: number, firstOfService: boolean): string {
  return firstOfService ? serviceName : `${serviceName}-${port}`;
}

/** `http://localhost:30080` + run + segment → `http://localhost:30080/run-<id>/<segment>/`. */
export function gatewayUrl(baseUrl: string, runNamespace: string, segment: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${runNamespace}/${segment}/`;
}
