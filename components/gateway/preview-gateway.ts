import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_IMAGES } from "../services/images";
import { checkInfraServiceArgs, checkNodePort, type InfraServiceArgs } from "../services/infra-service";
import { serviceSize } from "../services/profile";
import { createInfraWorkload } from "../services/workload";
import { GATEWAY_LISTEN_PORT, gatewayCommand, gatewayNginxConf } from "./nginx-config";

export const PREVIEW_GATEWAY_TYPE = "reporunner:platform:PreviewGateway";
/** The seed's preview port: kind and k3d map the same port on the host. */
export const DEFAULT_PREVIEW_NODE_PORT = 30080;
const CONF_DIR = "/etc/reporunner-gateway";

export interface PreviewGatewayArgs extends InfraServiceArgs {
  /** NodePort the gateway answers on (default 30080). */
  readonly nodePort?: number;
  /** Host name in the URLs this machine uses (default `localhost`). */
  readonly host?: string;
}

/**
 * The one entry to every run's previews: `http://localhost:30080/run-<id>/<service>/` is proxied to
 * that service in namespace `run-<id>`, with the prefix stripped and announced in
 * `X-Forwarded-Prefix`. It keeps no per-run configuration (see `nginx-config.ts`), so runs come and
 * go without touching the platform stack.
 */
export class PreviewGateway extends pulumi.ComponentResource {
  /** `http://localhost:30080`: the preview base; run URLs are `<baseUrl>/run-<id>/<service>/`. */
  public readonly baseUrl: pulumi.Output<string>;

  constructor(name: string, args: PreviewGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PREVIEW_GATEWAY_TYPE, name, {}, opts);
    checkInfraServiceArgs(args, this);
    const nodePort = args.nodePort ?? DEFAULT_PREVIEW_NODE_PORT;
    checkNodePort(nodePort, "nodePort", this);
    const health = { httpGet: { path: "/healthz", port: GATEWAY_LISTEN_PORT } };
    createInfraWorkload(
      name,
      {
        namespace: args.namespace,
        appName: "preview-gateway",
        component: "gateway",
        image: args.image ?? DEFAULT_IMAGES.gateway,
        size: serviceSize(args.profile ?? "dev", "gateway"),
        ports: [{ name: "http", port: GATEWAY_LISTEN_PORT, nodePort }],
        command: gatewayCommand(`${CONF_DIR}/nginx.conf`),
        configFiles: { mountPath: CONF_DIR, files: { "nginx.conf": gatewayNginxConf() } },
        // nginx's own unprivileged user id in the official images; nothing needs root.
        podSecurity: { runAsUser: 101 },
        readinessProbe: { ...health, periodSeconds: 5 },
        livenessProbe: { ...health, initialDelaySeconds: 5, periodSeconds: 15 },
      },
      this,
      args.provider,
    );

    this.baseUrl = pulumi.output(`http://${args.host ?? "localhost"}:${nodePort}`);
    this.registerOutputs({ baseUrl: this.baseUrl });
  }
}
