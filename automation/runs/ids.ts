/** Run ids: short, lowercase, DNS-safe, so `run-<id>` names a stack and a namespace as they are. */
import { randomInt } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** `[a-z0-9]{8,12}`, the shape every boundary (stack, namespace, label) accepts. */
export const RUN_ID = /^[a-z0-9]{8,12}$/;

/** A new random run id of 10 characters (36^10 ≈ 3.6e15: collisions are not a practical concern). */
export function newRunId(): string {
  let id = "";
  for (let i = 0; i < 10; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
