import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { resetCreated, resolveOutput, settle, setupMocks } from "../mocks";

let parsePlatformConfig: typeof import("../../../stacks/config").parsePlatformConfig;
let parseBootstrapConfig: typeof import("../../../stacks/bootstrap-config").parseBootstrapConfig;
let platform: typeof import("../../../stacks/platform").platform;

const ROOT = path.join(__dirname, "..", "..", "..");

/** A stack file's `reporunner:` keys as Pulumi hands them to the program: strings, objects as JSON. */
function stackConfig(file: string): Record<string, string> {
  const { config } = parse(fs.readFileSync(path.join(ROOT, file), "utf8")) as {
    config: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key.replace(/^reporunner:/, ""),
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

beforeAll(async () => {
  await setupMocks();
  ({ parsePlatformConfig } = await import("../../../stacks/config"));
  ({ parseBootstrapConfig } = await import("../../../stacks/bootstrap-config"));
  ({ platform } = await import("../../../stacks/platform"));
});
beforeEach(resetCreated);

describe("the hybrid stack files", () => {
  it("Pulumi.hybrid-bootstrap.yaml is a valid bootstrap stack that creates its own baseline", () => {
    const config = parseBootstrapConfig(stackConfig("Pulumi.hybrid-bootstrap.yaml"));
    expect(config.stack).toBe("bootstrap");
    expect(config.baseline).toBe("pulumi");
    expect(config.lockTable.name).toBe("reporunner-terraform-locks");
  });

  it("Pulumi.hybrid.yaml is a platform stack whose runs push to ECR", async () => {
    const config = parsePlatformConfig(stackConfig("Pulumi.hybrid.yaml"));
    expect(config.hybrid).toEqual({
      region: "eu-west-1",
      registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    });
    const outputs = platform(config);
    await settle();
    expect(await resolveOutput(outputs.imageLoader)).toEqual({
      method: "registry",
      registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    });
  });

  it("refuses a registry that is not a host", () => {
    expect(() =>
      parsePlatformConfig({ hybrid: JSON.stringify({ region: "eu-west-1", registry: "https://ecr/x" }) }),
    ).toThrow(/reporunner:hybrid\.registry/);
  });
});
