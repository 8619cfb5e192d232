/**
 * Pulumi's S3 backend URL (`s3://<bucket>[/<prefix>]?<query>`), made and read in one place. The CLI
 * opens it with gocloud's s3blob; its query names the region, and for an S3-compatible store the
 * endpoint and path-style addressing. Checked with Pulumi CLI v3.259.0 against moto: both the
 * aws-sdk-go-v2 names (`endpoint=http://host:port&use_path_style=true`) and the legacy v1 names
 * (`endpoint=host:port&disableSSL=true&s3ForcePathStyle=true`) work; the v2 form is what this makes.
 */
export interface S3Backend {
  readonly bucket: string;
  /** Folder inside the bucket the state lives under (`.pulumi/` goes below it); empty: the root. */
  readonly prefix: string;
  readonly region?: string;
  /** `http(s)://host:port` of an S3-compatible store; unset: AWS. */
  readonly endpoint?: string;
  /** Path-style addressing (`host/bucket/key`), what most S3-compatible stores need. */
  readonly pathStyle: boolean;
}

/** The backend URL of a bucket; an endpoint switches path-style addressing on. */
export function s3BackendUrl(backend: {
  readonly bucket: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly prefix?: string;
}): string {
  const query = new URLSearchParams();
  if (backend.region) query.set("region", backend.region);
  if (backend.endpoint) {
    query.set("endpoint", backend.endpoint);
    query.set("use_path_style", "true");
  }
  const prefix = backend.prefix ? `/${backend.prefix.replace(/^\/+|\/+$/g, "")}` : "";
  const q = query.toString();
  return `s3://${backend.bucket}${prefix}${q ? `?${q}` : ""}`;
}

/** Reads an `s3://` backend URL (either query style); undefined for any other backend. */
export function parseS3BackendUrl(url: string | undefined): S3Backend | undefined {
  if (!url?.startsWith("s3://")) return undefined;
  const parsed = new URL(url);
  const q = parsed.searchParams;
  let endpoint = q.get("endpoint") ?? undefined;
  if (endpoint && !/^https?:\/\//.test(endpoint)) {
    const insecure = q.get("disableSSL") === "true" || q.get("disable_https") === "true";
    endpoint = `${insecure ? "http" : "https"}://${endpoint}`;
  }
  return {
    bucket: parsed.hostname,
    prefix: decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, ""),
    region: q.get("region") ?? undefined,
    endpoint,
    pathStyle: q.get("use_path_style") === "true" || q.get("s3ForcePathStyle") === "true",
  };
}
