import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseS3BackendUrl, type S3Backend } from "../../components/hybrid/backend-url";

/**
 * Removes the lock a crashed update left on a stack of a file or S3 backend, so the next update can
 * run. Only the worker that holds the run's job calls this, after the previous holder's job was
 * claimed, so no live update owns the lock. Other backends are left alone (Pulumi Cloud cancels
 * remotely).
 */
export async function clearStaleLock(backendUrl: string | undefined, stack: string): Promise<void> {
  const s3 = parseS3BackendUrl(backendUrl);
  if (s3) {
    await clearS3Locks(s3, stack);
    return;
  }
  if (!backendUrl?.startsWith("file://")) return;
  const locks = path.join(fileURLToPath(backendUrl), ".pulumi", "locks");
  for (const project of await listDirs(locks, 2)) {
    await fs.rm(path.join(project, stack), { recursive: true, force: true });
  }
}

/** Folders `depth` levels below `dir` (locks live at `locks/<org>/<project>/<stack>`). */
async function listDirs(dir: string, depth: number): Promise<string[]> {
  if (depth === 0) return [dir];
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const nested = await Promise.all(
    entries.filter((e) => e.isDirectory()).map((e) => listDirs(path.join(dir, e.name), depth - 1)),
  );
  return nested.flat();
}

/**
 * The S3 backend keeps a lock as an object `<prefix>/.pulumi/locks/<org>/<project>/<stack>/<id>.json`
 * (seen with Pulumi CLI v3.259.0): delete every one of the stack's. Credentials come from the AWS
 * SDK's default chain, the endpoint and addressing style from the backend URL.
 */
async function clearS3Locks(backend: S3Backend, stack: string): Promise<void> {
  // Loaded here, not at start: only a hybrid instance's cancel needs the S3 SDK (~35 MiB with ECR's).
  const { DeleteObjectsCommand, ListObjectsV2Command, S3Client } = await import("@aws-sdk/client-s3");
  const s3 = new S3Client({
    ...(backend.region ? { region: backend.region } : {}),
    ...(backend.endpoint ? { endpoint: backend.endpoint } : {}),
    forcePathStyle: backend.pathStyle,
  });
  const root = `${backend.prefix ? `${backend.prefix}/` : ""}.pulumi/locks/`;
  const stale: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: backend.bucket, Prefix: root, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const parts = object.Key!.slice(root.length).split("/");
      if (parts.length === 4 && parts[2] === stack) stale.push(object.Key!);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for (let i = 0; i < stale.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: backend.bucket,
        Delete: { Objects: stale.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
  s3.destroy();
}
