import { afterAll, describe, expect, it } from "vitest";
import { publishedHostPort, translateCompose } from "../../../components/run/compose";
import { addPreviews } from "../../../components/run/manifest-edits";
import { removeTempDirs, tempDir } from "../compose/temp-repo";

afterAll(removeTempDirs);

/** Container port → the port its preview asks for on localhost, for one `web` service publishing `ports`. */
function localPorts(ports: unknown[]): Record<number, number> {
  const translation = translateCompose(tempDir(), {
    runId: "abc12345",
    composeFile: "compose.yaml",
    document: { services: { web: { image: "busybox:latest", ports } } } as never,
  });
  const { previews } = addPreviews(translation.manifests, translation.published);
  return Object.fromEntries(previews.map((preview) => [preview.port, preview.localPort]));
}

describe("the local port of a preview: the host port compose publishes, not the container's", () => {
  it("takes the published port of a short mapping, with or without a host address", () => {
    expect(localPorts(["8088:80"])).toEqual({ 80: 8088 });
    expect(localPorts(["127.0.0.1:8088:80"])).toEqual({ 80: 8088 });
    expect(localPorts(["[::1]:8088:80/tcp"])).toEqual({ 80: 8088 });
  });

  it("takes the published port of a long mapping, as a number or a string", () => {
    expect(localPorts([{ target: 80, published: 8088 }])).toEqual({ 80: 8088 });
    expect(localPorts([{ target: 80, published: "8088", host_ip: "127.0.0.1" }])).toEqual({ 80: 8088 });
  });

  it("pairs a published range with a target range of the same length, port by port", () => {
    expect(localPorts(["9000-9001:80-81"])).toEqual({ 80: 9000, 81: 9001 });
  });

  it("keeps the container's port when compose would pick the host port (none, or a range for one port)", () => {
    expect(localPorts(["80"])).toEqual({ 80: 80 });
    expect(localPorts(["8000-8005:80"])).toEqual({ 80: 80 });
    expect(localPorts([{ target: 80 }])).toEqual({});
  });
});

describe("publishedHostPort", () => {
  it("reads one port, and nothing from a range, an empty value or a number that is no port", () => {
    expect(publishedHostPort("8088")).toBe(8088);
    expect(publishedHostPort("8000-8005")).toBeUndefined();
    expect(publishedHostPort("")).toBeUndefined();
    expect(publishedHostPort("0")).toBeUndefined();
    expect(publishedHostPort("70000")).toBeUndefined();
  });
});
