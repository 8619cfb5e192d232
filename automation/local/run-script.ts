import { spawn } from "node:child_process";
import { lineSplitter } from "./progress";

/**
 * Runs a command with its output streamed line by line (both streams), resolving when it exits 0 and
 * rejecting with its last lines otherwise: the user sees the build as it happens and the cause when
 * it fails.
 */
export function runStreaming(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; onLine: (line: string) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      options.onLine(line);
    };
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = lineSplitter(onLine);
    const err = lineSplitter(onLine);
    child.stdout.setEncoding("utf8").on("data", (c: string) => out.push(c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => err.push(c));
    child.once("error", reject);
    child.once("close", (code) => {
      out.end();
      err.end();
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${tail.join("\n")}`));
    });
  });
}
