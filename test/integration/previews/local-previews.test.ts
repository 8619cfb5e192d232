/**
 * Local previews on the real cluster, through the API server: a READY run's Service answers on
 * localhost at its native port (a port-forward to a Ready pod), the run shows it as `localUrls`, a
 * second run asking for the same port gets another, a restarted pod is found again, and a DESTROYED
 * run's port is closed.
 */
import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../../support/api-harness";
import { freePort } from "../../support/services";
import { readyRun } from "../support/ready-run";
import { bodyOf, eventually, kubectl, useTestEnvironment } from "../support/testenv";

const suffix = Math.random().toString(36).slice(2, 10).padEnd(8, "0");
const namespace = `run-pv${suffix}`;
const BODY = `hello from local previews ${suffix}`;
let h: Harness;
let native: number;

/** busybox httpd serving BODY and the pod's name, behind a Service whose port is not the container's. */
const manifests = (port: number) => `
apiVersion: v1
kind: Namespace
metadata: {name: ${namespace}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: busybox:latest
          imagePullPolicy: Never
          command: ["sh", "-c", "mkdir -p /tmp/www && echo \\"${BODY} $(hostname)\\" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${namespace}}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: ${port}, targetPort: http}]
`;

/** A READY run of alice's whose preview `web` is the Service above. */
const readyRunOfWeb = (id: string) =>
  readyRun(id, {
    namespace,
    previewUrls: { web: "http://localhost:30080/" },
    previewTargets: { web: { service: "web", port: native } },
  });

/** The run's `localUrls.web` once local previews have written it. */
const localUrlOf = (id: string) =>
  eventually(
    `local URL of ${id}`,
    async () => (await h.call("GET", `/runs/${id}`)).body?.localUrls?.web,
    30_000,
  );

/** The error code of a TCP connection to 127.0.0.1:`port`, or "connected". */
const connectResult = (port: number) =>
  new Promise<string>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
  });

beforeAll(async () => {
  const env = useTestEnvironment();
  execFileSync(env.LOAD_IMAGE, ["busybox:latest"], { stdio: "pipe" });
  native = await freePort();
  kubectl(["apply", "-f", "-"], manifests(native));
  kubectl(["rollout", "status", "-n", namespace, "deployment/web", "--timeout=120s"]);
  // The server forwards with the kubeconfig useTestEnvironment put in $KUBECONFIG.
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
  kubectl(["delete", "namespace", namespace, "--wait=true", "--timeout=120s", "--ignore-not-found"]);
});

describe("local previews on the test cluster", () => {
  const first = `pv${suffix}`;
  const second = `pw${suffix}`;

  it("answers a READY run's preview on localhost at its native port, and shows it on the run", async () => {
    await h.server.runtime.store.insert(readyRunOfWeb(first));
    expect(await localUrlOf(first)).toBe(`http://localhost:${native}`);
    expect(await bodyOf(`http://localhost:${native}/`)).toContain(BODY);
  });

  it("gives a second run asking for the same native port another port, which answers too", async () => {
    await h.server.runtime.store.insert(readyRunOfWeb(second));
    const url = await localUrlOf(second);
    expect(url).not.toBe(`http://localhost:${native}`);
    expect(await bodyOf(`${url}/`)).toContain(BODY);
  });

  it("finds the new pod after the old one is deleted", async () => {
    const before = (await bodyOf(`http://localhost:${native}/`))!.trim().split(" ").pop();
    kubectl(["delete", "pod", "-n", namespace, "-l", "app=web", "--wait=false"]);
    const after = await eventually("an answer from the new pod", async () => {
      const pod = (await bodyOf(`http://localhost:${native}/`))?.trim().split(" ").pop();
      return pod && pod !== before ? pod : undefined;
    });
    expect(after).toMatch(/^web-/);
  });

  it("closes the port once the run is DESTROYED, and keeps the other run's", async () => {
    const store = h.server.runtime.store;
    expect((await store.transition(first, "DESTROYING")).ok).toBe(true);
    expect((await store.transition(first, "DESTROYED")).ok).toBe(true);
    await eventually("the first run's port closed", async () =>
      (await connectResult(native)) === "ECONNREFUSED" ? true : undefined,
    );
    expect((await h.call("GET", `/runs/${first}`)).body.localUrls).toEqual({});
    expect(await bodyOf(`${await localUrlOf(second)}/`)).toContain(BODY);
  });
});
