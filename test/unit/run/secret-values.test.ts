import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../components/run/compose";
import {
  containsHidden,
  fieldsWithHiddenValues,
  hiddenValues,
  redact,
  referenceRunEnvironment,
} from "../../../components/run/secret-values";

const ENV = { API_KEY: "k3y-0f-the-run", DB_PASSWORD: "pa$$word", DEBUG: "1" };

/** A Deployment as the translator writes it: `$` doubled in env values, command and args. */
function deployment(container: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "app", namespace: "run-abc12345", labels: {} },
    spec: {
      template: {
        metadata: { labels: {} },
        spec: { containers: [{ name: "app", envFrom: [{ secretRef: { name: "run-env" } }], ...container }] },
      },
    },
  };
}

const containerOf = (object: KubeObject) =>
  (object.spec as { template: { spec: { containers: Record<string, any>[] } } }).template.spec.containers[0]!;

describe("referenceRunEnvironment", () => {
  it("turns an entry that is a run variable into a reference to the run's Secret, whatever its length", () => {
    const [out] = referenceRunEnvironment(
      [
        deployment({
          env: [
            { name: "API_KEY", value: "k3y-0f-the-run" },
            { name: "DEBUG", value: "1" },
            { name: "TOKEN", value: "k3y-0f-the-run" },
          ],
        }),
      ],
      ENV,
      "run-env",
    );
    expect(containerOf(out!).env).toEqual([
      { name: "API_KEY", valueFrom: { secretKeyRef: { name: "run-env", key: "API_KEY" } } },
      { name: "DEBUG", valueFrom: { secretKeyRef: { name: "run-env", key: "DEBUG" } } },
      { name: "TOKEN", valueFrom: { secretKeyRef: { name: "run-env", key: "API_KEY" } } },
    ]);
  });

  it("replaces a run value inside a longer value or a command with $(KEY), keeping the rest literal", () => {
    const [out] = referenceRunEnvironment(
      [
        deployment({
          env: [{ name: "DATABASE_URL", value: "postgres://app:pa$$$$word@db/app?x=$$HOME" }],
          command: ["sh", "-c", "echo 'k3y-0f-the-run' > /tmp/key; kill $$!"],
          args: ["--debug=1"],
        }),
      ],
      ENV,
      "run-env",
    );
    const container = containerOf(out!);
    expect(container.env).toEqual([
      { name: "DATABASE_URL", value: "postgres://app:$(DB_PASSWORD)@db/app?x=$$HOME" },
    ]);
    expect(container.command).toEqual(["sh", "-c", "echo '$(API_KEY)' > /tmp/key; kill $$!"]);
    // A one-character value is not looked for inside other text.
    expect(container.args).toEqual(["--debug=1"]);
    expect(JSON.stringify(out)).not.toContain("k3y-0f-the-run");
    expect(JSON.stringify(out)).not.toContain("pa$$$$word");
  });

  it("reads the value from an alias when the container sets the variable's name to something else", () => {
    const [out] = referenceRunEnvironment(
      [
        deployment({
          env: [
            { name: "API_KEY", value: "the repository's own" },
            { name: "HEADER", value: "Bearer k3y-0f-the-run" },
          ],
        }),
      ],
      ENV,
      "run-env",
    );
    expect(containerOf(out!).env).toEqual([
      { name: "REPORUNNER_ENV_API_KEY", valueFrom: { secretKeyRef: { name: "run-env", key: "API_KEY" } } },
      { name: "API_KEY", value: "the repository's own" },
      { name: "HEADER", value: "Bearer $(REPORUNNER_ENV_API_KEY)" },
    ]);
  });

  it("gives a container that does not read the Secret (an init container) its own alias", () => {
    const object = deployment({});
    (object.spec as any).template.spec.initContainers = [
      { name: "wait", command: ["sh", "-c", "until nc -z k3y-0f-the-run 80; do sleep 1; done"] },
    ];
    const [out] = referenceRunEnvironment([object], ENV, "run-env");
    const init = (out!.spec as any).template.spec.initContainers[0];
    expect(init.env).toEqual([
      { name: "REPORUNNER_ENV_API_KEY", valueFrom: { secretKeyRef: { name: "run-env", key: "API_KEY" } } },
    ]);
    expect(init.command[2]).toBe("until nc -z $(REPORUNNER_ENV_API_KEY) 80; do sleep 1; done");
  });

  it("leaves manifests without run values as they are", () => {
    const object = deployment({ env: [{ name: "GREETING", value: "hello" }], command: ["run"] });
    expect(referenceRunEnvironment([object], ENV, "run-env")).toEqual([object]);
  });
});

describe("hidden values", () => {
  it("hides values of four characters or more, the longest first", () => {
    expect(hiddenValues({ A: "abcd", B: "abcdef", C: "abc" })).toEqual([
      { key: "B", value: "abcdef" },
      { key: "A", value: "abcd" },
    ]);
  });

  it("redacts every occurrence in text and finds them at any depth", () => {
    const hidden = hiddenValues(ENV);
    expect(redact("key=k3y-0f-the-run pw=pa$$word", hidden)).toBe("key=[secret] pw=[secret]");
    expect(containsHidden({ a: [{ b: "x k3y-0f-the-run" }] }, hidden)).toBe(true);
    expect(containsHidden({ a: [1, "1"] }, hidden)).toBe(false);
  });

  it("names the fields of a manifest that still hold a value, for the state to encrypt", () => {
    const config: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "n", labels: { token: "k3y-0f-the-run" } },
      data: { "app.conf": "password=pa$$word" },
    };
    expect(fieldsWithHiddenValues(config, hiddenValues(ENV))).toEqual(["metadata", "data"]);
  });
});
