/**
 * An incremental Server-Sent Events parser (the WHATWG rules the API's stream needs): text arrives in
 * arbitrary chunks, events come out whole. Comments (heartbeats) and `retry:` are dropped.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `id:` of the event; absent when the server sent none. */
  readonly id?: string;
  /** `event:`; "message" when absent. */
  readonly type: string;
  readonly data: string;
}

export class SseParser {
  private buffer = "";
  private id: string | undefined;
  private type = "";
  private data: string[] = [];

  /** Feeds a chunk of text; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer[end] === "\r")) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith("\r\n", end) ? 2 : 1));
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") {
      if (this.data.length === 0) {
        this.type = "";
        return undefined;
      }
      const event = {
        ...(this.id ? { id: this.id } : {}),
        type: this.type || "message",
        data: this.data.join("\n"),
      };
      this.type = "";
      this.data = [];
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.type = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    return undefined;
  }
}
