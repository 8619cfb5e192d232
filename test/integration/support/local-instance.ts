/**
 * A local RepoRunner as a user starts it: `npm start` in a clean HOME, the `reporunner` CLI through
 * npx, `npm run down`. Only the toolchain cache and the machine-wide test environment are shared
 * with the rest of the suite (REPORUNNER_CACHE, REPORUNNER_STATE), as a second checkout on the same
 * machine would share them.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "./testenv";

const realHome = os.homedir();

/** A shell's environment for a new user: no test environment variables, a new HOME. */
export function newUserEnvironment(home: string): NodeJS.ProcessEnv {
  const keep = ["PATH", "LANG", "TERM", "USER", "LOGNAME", "SHELL", "TMPDIR"];
  return {
    ...Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]])),
    HOME: home,
    REPORUNNER_CACHE: path.join(realHome, ".cache", "reporunner"),
    REPORUNNER_STATE: path.join(realHome, ".local", "state", "reporunner"),
    // Any free port: the suite's other servers may hold 7380.
    REPORUNNER_PORT: "0",
  };
}

/** `npx reporunner <args>` with its exit code and output. */
export function reporunnerCli(
  env: NodeJS.ProcessEnv,
  args: string[],
): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync("npx", ["reporunner", ...args], {
      cwd: PROJECT_DIR,
      env,
      encoding: "utf8",
      stdio: "pipe",
    });
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `npm start` in the background, in its own process group (as a terminal runs it). */
export interface StartedInstance {
  readonly process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  readonly exited: Promise<number | null>;
  /** Seconds until "RepoRunner is ready". */
  readonly readySeconds: number;
}

/** `npm start [-- args]`, resolved once it says "RepoRunner is ready". */
export async function npmStart(
  env: NodeJS.ProcessEnv,
  args: readonly string[] = [],
): Promise<StartedInstance> {
  const started = performance.now();
  const child = spawn("npm", ["start", ...(args.length > 0 ? ["--", ...args] : [])], {
    cwd: PROJECT_DIR,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let text = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("RepoRunner is ready")) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`npm start exited with ${code}:\n${text}`)));
  });
  return { process: child, output: () => text, exited, readySeconds: (performance.now() - started) / 1000 };
}

/** Ctrl-C in the terminal: SIGINT to the whole process group. */
export function pressCtrlC(instance: StartedInstance): void {
  process.kill(-instance.process.pid!, "SIGINT");
}

export function npmRunDown(env: NodeJS.ProcessEnv): string {
  return execFileSync("npm", ["run", "down"], { cwd: PROJECT_DIR, env, encoding: "utf8", stdio: "pipe" });
}

/** A new HOME folder, removed by `cleanUp`. */
export function newHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-newuser-"));
}
