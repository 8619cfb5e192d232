import { describe, expect, it } from "vitest";
import { previewProtocol } from "../../../components/run/compose/preview-protocol";

describe("previewProtocol: which previews are HTTP and which are TCP endpoints", () => {
  it("makes the well-known database, cache and broker ports TCP", () => {
    for (const port of [5432, 6379, 3306, 27017, 9092, 5672, 11211]) {
      expect(previewProtocol({ target: port }), String(port)).toBe("tcp");
    }
  });

  it("makes every other port HTTP, since a preview of a web app is what it is for", () => {
    for (const port of [80, 3000, 8000, 8080, 8081, 9644, 4000]) {
      expect(previewProtocol({ target: port }), String(port)).toBe("http");
    }
  });

  it("lets the compose file decide with app_protocol, either way", () => {
    expect(previewProtocol({ target: 6379, appProtocol: "http" })).toBe("http");
    expect(previewProtocol({ target: 8080, appProtocol: "tcp" })).toBe("tcp");
    expect(previewProtocol({ target: 8080, appProtocol: "postgresql" })).toBe("tcp");
    expect(previewProtocol({ target: 50051, appProtocol: "grpc" })).toBe("http");
  });
});
