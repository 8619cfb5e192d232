import type { ECRClient } from "@aws-sdk/client-ecr";
import type { RegistryCredentials } from "../../components/run/pull-secret";

/** How long an ECR authorization token is valid (AWS documents 12 hours). */
export const ECR_TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

/** Registry credentials and when they stop working. */
export interface ExpiringCredentials extends RegistryCredentials {
  readonly expiresAt: Date;
}

export interface EcrTokenOptions {
  /** Default: the SDK's (`AWS_REGION`, the profile's region). */
  readonly region?: string;
  /** A profile of the shared config files; unset: the SDK's default chain (env, SSO, profiles, roles). */
  readonly profile?: string;
  /**
   * The registry host the credentials are for. Unset: the host of the token's `proxyEndpoint`
   * (`<account>.dkr.ecr.<region>.amazonaws.com`). Set it when images are pulled through another name.
   */
  readonly server?: string;
  /** A client to use instead of one made from the options above (tests, custom endpoints). */
  readonly client?: ECRClient;
  readonly now?: () => Date;
}

/**
 * Returns a function that gets fresh ECR registry credentials with `GetAuthorizationToken`. The
 * credentials come from the AWS SDK's default chain; RepoRunner stores none. The SDK also honours
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_ECR`, which is how the tests reach moto.
 */
export function ecrCredentials(options: EcrTokenOptions = {}): () => Promise<ExpiringCredentials> {
  let client = options.client;
  const now = options.now ?? (() => new Date());
  return async () => {
    // The SDK loads with the first token, not when the API starts: only hybrid mode asks for one.
    const { ECRClient, GetAuthorizationTokenCommand } = await import("@aws-sdk/client-ecr");
    client ??= new ECRClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
    });
    const response = await client.send(new GetAuthorizationTokenCommand({}));
    const data = response.authorizationData?.[0];
    if (!data?.authorizationToken) throw new Error("ECR returned no authorization token");
    return credentialsFromToken(
      {
        authorizationToken: data.authorizationToken,
        expiresAt: data.expiresAt,
        proxyEndpoint: data.proxyEndpoint,
      },
      now(),
      options.server,
    );
  };
}

/**
 * Decodes an ECR authorization token (`base64("AWS:<password>")`). An expiry that is missing, past,
 * or further than 12 hours away is not trusted (a skewed clock, or a stand-in such as moto, which
 * answers 2015-01-01): the token is then taken to live 12 hours from `fetchedAt`.
 */
export function credentialsFromToken(
  data: { authorizationToken: string; expiresAt?: Date; proxyEndpoint?: string },
  fetchedAt: Date,
  server?: string,
): ExpiringCredentials {
  const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) throw new Error("the ECR authorization token is not user:password");
  const registry = server ?? (data.proxyEndpoint ? new URL(data.proxyEndpoint).host : undefined);
  if (!registry) throw new Error("the ECR authorization token names no registry (proxyEndpoint)");
  const latest = fetchedAt.getTime() + ECR_TOKEN_LIFETIME_MS;
  const reported = data.expiresAt?.getTime();
  const expiresAt =
    reported !== undefined && reported > fetchedAt.getTime() && reported <= latest ? reported : latest;
  return {
    server: registry,
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    expiresAt: new Date(expiresAt),
  };
}
