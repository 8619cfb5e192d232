import type { ComposeSpecification } from "compose-spec-ts";
import { parseDocument } from "yaml";
import { RepoFileRefusal, type RepoFiles } from "../source/repo-files";
import { parseEnvFile } from "./env-file";
import { interpolateTree, type VariableLookup } from "./interpolate";
import { ComposeError, type ComposeProblem, type Findings } from "./issues";
import { validateComposeDocument } from "./validate";

/**
 * Parses compose YAML text into plain data. YAML 1.1 merge keys (`<<: *defaults`) are honoured
 * because compose files use them widely; duplicate keys are errors, as in compose.
 */
export function parseComposeYaml(text: string, file: string): unknown {
  const document = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ComposeError(
      "yaml",
      document.errors.map((error) => {
        const where = error.linePos?.[0];
        return {
          path: where ? `${file}:${where.line}:${where.col}` : file,
          message: error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""),
        };
      }),
      `${file} is not valid YAML`,
    );
  }
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    // Parsed, but not buildable: an alias of no anchor, a merge of a non-map, or so many aliases
    // (a "billion laughs") that building it would exhaust the worker.
    throw new ComposeError(
      "yaml",
      [{ path: file, message: (error as Error).message }],
      `${file} is not valid YAML`,
    );
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ComposeError("schema", [{ path: file, message: "must be a mapping with a services: key" }]);
  }
  return data;
}

/**
 * Reads a compose file, interpolates it and validates it against the compose specification.
 * `file` is relative to the repository root.
 */
export function loadComposeFile(
  files: RepoFiles,
  file: string,
  lookup: VariableLookup,
  findings: Findings,
): ComposeSpecification {
  const read = files.readFile(".", file);
  if (read === undefined) {
    throw new ComposeError("not-found", [{ path: file, message: "does not exist in the repository" }]);
  }
  if (read instanceof RepoFileRefusal) throw new ComposeError("refused", [fileProblem(file, read)]);
  const raw = parseComposeYaml(read.content.toString("utf8"), file);
  const interpolated = interpolateTree(raw, lookup, findings.inFile(file));
  findings.throwIfRefused();
  validateComposeDocument(interpolated, file);
  return interpolated as ComposeSpecification;
}

/**
 * The variables interpolation sees: the caller's environment first, then the `.env` file beside the
 * compose file, as compose does. The machine's own environment is never read: a run must not depend
 * on, or leak, whatever the worker happens to have set.
 */
export function variableLookup(
  files: RepoFiles,
  projectDir: string,
  environment: Readonly<Record<string, string>>,
): VariableLookup {
  const where = projectDir === "." ? ".env" : `${projectDir}/.env`;
  const read = files.readFile(projectDir, ".env");
  let dotenv = new Map<string, string | null>();
  if (read instanceof RepoFileRefusal) throw new ComposeError("refused", [fileProblem(where, read)]);
  if (read !== undefined) {
    try {
      dotenv = parseEnvFile(read.content.toString("utf8"));
    } catch (error) {
      throw new ComposeError("refused", [
        { path: where, message: `cannot be read as KEY=VALUE lines: ${(error as Error).message}` },
      ]);
    }
  }
  return (name) => environment[name] ?? dotenv.get(name) ?? undefined;
}

function fileProblem(file: string, refusal: RepoFileRefusal): ComposeProblem {
  return { path: file, message: refusal.explain(file) };
}
