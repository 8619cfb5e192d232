import { afterAll, describe, expect, it } from "vitest";
import { translateCompose } from "../../../components/run/compose";
import { composeError, manifest, problemAt, warningAt } from "./fixtures";
import { removeTempDirs, tempDir } from "./temp-repo";

/** What the property-based tests (translate-fuzz.test.ts) found, kept as plain examples. */
const translate = (compose: string) =>
  translateCompose(tempDir({ "compose.yaml": compose }), { runId: "abc12345" });

afterAll(removeTempDirs);

describe("compose files the fuzzer found mistranslated", () => {
  it("reports a billion-laughs alias bomb as invalid YAML instead of throwing the parser's error", () => {
    const lines = ["x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let level = 1; level < 6; level++) {
      lines.push(
        `x-l${level}: &l${level} [${Array(9)
          .fill(`*l${level - 1}`)
          .join(", ")}]`,
      );
    }
    const error = composeError(() => translate(`${lines.join("\n")}\nservices: {web: {image: nginx}}\n`));
    expect(error.kind).toBe("yaml");
    expect(problemAt(error, "compose.yaml")).toContain("Excessive alias count");
  });

  it("reports an alias of no anchor and a merge of a list as invalid YAML", () => {
    expect(composeError(() => translate("services:\n  web: *nothing\n")).kind).toBe("yaml");
    expect(composeError(() => translate("x-l: &l [a]\nservices:\n  web:\n    <<: *l\n")).kind).toBe("yaml");
  });

  it("translates a service called __proto__ like any other, with its warnings", () => {
    const { manifests, warnings } = translate("services:\n  __proto__:\n    image: nginx\n    init: true\n");
    expect(manifest(manifests, "Deployment", "proto").spec.template.spec.containers[0].image).toBe("nginx");
    expect(warningAt(warnings, "services.__proto__.init")).toContain("ignored");
  });

  it("refuses depends_on and extends naming a service that exists only on Object.prototype", () => {
    const error = composeError(() =>
      translate(
        "services:\n  web:\n    image: nginx\n    depends_on: [constructor]\n  app:\n    extends: toString\n",
      ),
    );
    expect(problemAt(error, "services.web.depends_on.constructor")).toContain(
      'there is no service "constructor"',
    );
    expect(problemAt(error, "services.app.extends.service")).toContain('there is no service "toString"');
  });
});
