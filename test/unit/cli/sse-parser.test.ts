import { describe, expect, it } from "vitest";
import { SseParser } from "../../../automation/cli/sse-parser";

describe("SseParser", () => {
  it("puts events together across arbitrary chunk boundaries, CRLF included", () => {
    const text =
      'retry: 2000\r\n\r\nid: 1-0\r\nevent: state\r\ndata: {"status":"QUEUED"}\r\n\r\n: heartbeat\n\nid: 2-0\nevent: output\ndata: {"line":"x"}\n\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      expect(events).toEqual([
        { id: "1-0", type: "state", data: '{"status":"QUEUED"}' },
        { id: "2-0", type: "output", data: '{"line":"x"}' },
      ]);
    }
  });

  it("joins multi-line data, keeps the last id, and defaults the type to message", () => {
    const parser = new SseParser();
    expect(parser.push("id: 7-1\ndata: a\ndata: b\n\ndata:c\n\n")).toEqual([
      { id: "7-1", type: "message", data: "a\nb" },
      { id: "7-1", type: "message", data: "c" },
    ]);
  });

  it("does not dispatch an event that has not ended yet", () => {
    const parser = new SseParser();
    expect(parser.push("id: 1-0\nevent: state\ndata: {}\n")).toEqual([]);
    expect(parser.push("\n")).toHaveLength(1);
  });
});
