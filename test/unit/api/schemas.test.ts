import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../../automation/api/openapi";
import { createRunSchema, listRunsQuerySchema, refSchema } from "../../../automation/api/schemas";
import { parseOr } from "../../../automation/api/validate";

function fieldOf(value: unknown): string | undefined {
  try {
    parseOr(createRunSchema, value, "body");
  } catch (err: any) {
    return err.field;
  }
  return undefined;
}

describe("createRunSchema", () => {
  it("fills the defaults", () => {
    expect(createRunSchema.parse({ repoUrl: "https://x/y" })).toEqual({
      repoUrl: "https://x/y",
      mode: "auto",
      env: {},
    });
  });

  it("names the field at fault", () => {
    expect(fieldOf(null)).toBe("body");
    expect(fieldOf([])).toBe("body");
    expect(fieldOf({})).toBe("repoUrl");
    expect(fieldOf({ repoUrl: 5 })).toBe("repoUrl");
    expect(fieldOf({ repoUrl: "https://x", ttl: "1h" })).toBe("ttl");
    expect(fieldOf({ repoUrl: "https://x", mode: "helm" })).toBe("mode");
    expect(fieldOf({ repoUrl: "https://x", previewPort: 0 })).toBe("previewPort");
    expect(fieldOf({ repoUrl: "https://x", previewPort: 80.5 })).toBe("previewPort");
    expect(fieldOf({ repoUrl: "https://x", env: { "1BAD": "v" } })).toBe("env.1BAD");
    expect(fieldOf({ repoUrl: "https://x", env: { OK: "a\u0000b" } })).toBe("env.OK");
    expect(fieldOf({ repoUrl: "https://x", extra: 1 })).toBe("extra");
  });

  it.each(["-upload-pack=x", "a..b", "refs//x", "x.lock", "a b", "a@{1}", "ü", "/abs", "x/"])(
    "refuses the ref %j",
    (ref) => expect(refSchema.safeParse(ref).success).toBe(false),
  );

  it.each(["main", "v1.2.3", "feature/x-y_z", "0123456789abcdef0123456789abcdef01234567"])(
    "accepts the ref %j",
    (ref) => expect(refSchema.safeParse(ref).success).toBe(true),
  );
});

describe("listRunsQuerySchema", () => {
  it("takes comma lists and repeated parameters", () => {
    expect(listRunsQuerySchema.parse({ status: "READY,FAILED" }).status).toEqual(["READY", "FAILED"]);
    expect(listRunsQuerySchema.parse({ status: ["READY", "QUEUED"] }).status).toEqual(["READY", "QUEUED"]);
    expect(listRunsQuerySchema.safeParse({ status: "NOPE" }).success).toBe(false);
  });
});

describe("openApiDocument", () => {
  const doc: any = openApiDocument();
  it("documents every endpoint", () => {
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/healthz",
        "/openapi.json",
        "/readyz",
        "/runs",
        "/runs/{id}",
        "/runs/{id}/cancel",
        "/runs/{id}/events",
        "/runs/{id}/extend",
        "/runs/{id}/logs",
        "/runs/{id}/redeploy",
      ].sort(),
    );
  });

  it("uses the request schema that validates, with its limits", () => {
    const body = doc.paths["/runs"].post.requestBody.content["application/json"].schema;
    const schema = body.$ref ? doc.components.schemas[body.$ref.split("/").pop()] : body;
    expect(schema.required).toEqual(["repoUrl"]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.repoUrl.maxLength).toBe(2048);
    expect(schema.properties.mode.enum).toEqual(["auto", "dockerfile", "compose"]);
  });

  it("has no dangling references", () => {
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    for (const r of refs) expect(doc.components.schemas[r.split("/").pop()!]).toBeDefined();
  });
});
