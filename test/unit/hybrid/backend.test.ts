import { describe, expect, it } from "vitest";
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
