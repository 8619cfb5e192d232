import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { engineOptionsFromEnv } from "../../../automation/engine/engine-config";
import { workspaceBackend } from "../../../automation/engine/workspace-backend";
import { parseS3BackendUrl, s3BackendUrl } from "../../../components/hybrid/backend-url";

describe("the S3 backend URL", () => {
  it("names the region, and for an S3-compatible store the endpoint with path-style addressing", () => {
    expect(s3BackendUrl({ bucket: "state", region: "eu-west-1" })).toBe("s3://state?region=eu-west-1");
    const url = s3BackendUrl({
      bucket: "state",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:4566",
      prefix: "/team/",
    });
    expect(url).toBe(
      "s3://state/team?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A4566&use_path_style=true",
    );
    expect(parseS3BackendUrl(url)).toEqual({
      bucket: "state",
      prefix: "team",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:4566",
      pathStyle: true,
    });
  });

  it("reads the legacy query names too, and nothing but s3://", () => {
    expect(
      parseS3BackendUrl("s3://b?endpoint=127.0.0.1:9000&disableSSL=true&s3ForcePathStyle=true&region=r"),
    ).toEqual({
      bucket: "b",
      prefix: "",
      region: "r",
      endpoint: "http://127.0.0.1:9000",
      pathStyle: true,
    });
    expect(parseS3BackendUrl("file:///tmp/state")).toBeUndefined();
    expect(parseS3BackendUrl(undefined)).toBeUndefined();
  });
});

describe("the workspace's backend and secrets provider", () => {
  it("come from the environment: an s3:// backend and an awskms:// key", () => {
    expect(
      workspaceBackend({
        PULUMI_BACKEND_URL: "s3://state?region=eu-west-1",
        REPORUNNER_SECRETS_PROVIDER: "awskms://alias/reporunner?region=eu-west-1",
      }),
    ).toEqual({
      backendUrl: "s3://state?region=eu-west-1",
      secretsProvider: "awskms://alias/reporunner?region=eu-west-1",
    });
  });

  it("take a passphrase only with the passphrase to go with it", () => {
    expect(() => workspaceBackend({ REPORUNNER_SECRETS_PROVIDER: "passphrase" })).toThrow(
      /PULUMI_CONFIG_PASSPHRASE/,
    );
    expect(
      workspaceBackend({ REPORUNNER_SECRETS_PROVIDER: "passphrase", PULUMI_CONFIG_PASSPHRASE: "" }),
    ).toEqual({
      backendUrl: undefined,
      secretsProvider: "passphrase",
    });
  });

  it("refuse a secrets provider they do not know, and leave the default alone", () => {
    expect(() => workspaceBackend({ REPORUNNER_SECRETS_PROVIDER: "vault://x" })).toThrow(
      /passphrase" or "awskms/,
    );
    expect(workspaceBackend({ PULUMI_BACKEND_URL: "file:///state" })).toEqual({
      backendUrl: "file:///state",
    });
  });
});

describe("the engine's configuration in hybrid mode", () => {
  const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-kc-")), "config");
  fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");

  it("gets ECR credentials for the registry images are pushed to", () => {
    const options = engineOptionsFromEnv({
      REPORUNNER_KUBECONFIG: kubeconfig,
      REPORUNNER_IMAGE_LOAD: "registry:123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      REPORUNNER_REGISTRY_CREDENTIALS: "ecr",
      REPORUNNER_ECR_REGION: "eu-west-1",
    });
    expect(options.target.imageLoader).toEqual({
      method: "registry",
      registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    });
    expect(typeof options.target.registryCredentials).toBe("function");
  });

  it("refuses ECR credentials without a registry to push to, and has none by default", () => {
    expect(() =>
      engineOptionsFromEnv({ REPORUNNER_KUBECONFIG: kubeconfig, REPORUNNER_REGISTRY_CREDENTIALS: "ecr" }),
    ).toThrow(/REPORUNNER_IMAGE_LOAD=registry/);
    expect(
      engineOptionsFromEnv({ REPORUNNER_KUBECONFIG: kubeconfig }).target.registryCredentials,
    ).toBeUndefined();
  });
});
