import { GATEWAY_ANSWER_HEADER, GATEWAY_SERVICE_PORT, previewServiceName } from "./routes";

/** Where the gateway container listens; the Service maps the preview NodePort to it. */
export const GATEWAY_LISTEN_PORT = 8080;

/** Written by the container's start command: the pod's own DNS server (see `gatewayCommand`). */
const RESOLVER_FILE = "/tmp/resolver.conf";

/**
 * nginx's configuration for the preview gateway. Routing needs no reload: the run and the segment
 * come from the path and the upstream is resolved through cluster DNS per request, so a run is
 * reachable as soon as its preview Service exists, and gone with it.
 *
 * Runs as any non-root user: every file nginx writes lives under /tmp.
 */
export function gatewayNginxConf(): string {
  const upstream = `${previewServiceName("$segment")}.$run.svc.cluster.local:${GATEWAY_SERVICE_PORT}`;
  return `worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log /dev/stdout;
  client_body_temp_path /tmp/client_body;
  proxy_temp_path /tmp/proxy;
  fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi;
  scgi_temp_path /tmp/scgi;
  include ${RESOLVER_FILE};
  # Relative redirects: the host and port the browser used stay as they were.
  absolute_redirect off;
  server_tokens off;
  client_max_body_size 64m;
  map $http_upgrade $connection_upgrade { default upgrade; "" ""; }

  server {
    listen ${GATEWAY_LISTEN_PORT};
    default_type text/plain;

    location = /healthz { return 200 "ok\\n"; }

    # /run-<id>/<segment> → add the slash, so the app's relative links resolve under its prefix.
    location ~ "^/run-[a-z0-9]{8,12}/[a-z0-9]([-a-z0-9]*[a-z0-9])?$" { return 308 $uri/$is_args$args; }

    location ~ "^/(?<run>run-[a-z0-9]{8,12})/(?<segment>[a-z0-9]([-a-z0-9]*[a-z0-9])?)/" {
      set $prefix /$run/$segment;
      rewrite "^/[^/]+/[^/]+(/.*)$" $1 break;
      proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Prefix $prefix;
      # An app that redirects to /login lands on /run-<id>/<segment>/login.
      proxy_redirect ~^/(.*)$ $prefix/$1;
      proxy_read_timeout 1h;
      proxy_buffering off;
      proxy_intercept_errors off;
      error_page 502 504 = @unreachable;
    }

    # The gateway's own answers say so (${GATEWAY_ANSWER_HEADER}): a preview check must not take them for the app's.
    location @unreachable {
      add_header ${GATEWAY_ANSWER_HEADER} unreachable always;
      return 404 "no preview $segment in $run: the run is gone, not ready yet, or has no such service\\n";
    }

    location / {
      add_header ${GATEWAY_ANSWER_HEADER} no-route always;
      return 404 "previews are under /run-<id>/<service>/\\n";
    }
  }
}
`;
}

/**
 * The container's command: nginx's resolver needs an address, so the pod's own DNS server (from
 * /etc/resolv.conf, which the kubelet writes) is put into an included file before nginx starts.
 */
export function gatewayCommand(confPath: string): string[] {
  return [
    "sh",
    "-c",
    `echo "resolver $(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf) valid=5s ipv6=off;" > ${RESOLVER_FILE}` +
      ` && exec nginx -e stderr -c ${confPath} -g 'daemon off;'`,
  ];
}
