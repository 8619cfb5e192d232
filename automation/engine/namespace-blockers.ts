/**
 * Why a namespace is not going away. The official provider reports only "timed out waiting for the
 * condition" when a run's namespace outlives its delete timeout; the namespace controller's own
 * conditions name what is left and which finalizers hold it.
 */
import { CoreV1Api, KubeConfig, type V1Namespace } from "@kubernetes/client-node";

/** The namespace controller's conditions that say what keeps a terminating namespace. */
const BLOCKING_CONDITIONS = [
  "NamespaceContentRemaining",
  "NamespaceFinalizersRemaining",
  "NamespaceDeletionContentFailure",
  "NamespaceDeletionDiscoveryFailure",
];

/** What holds the namespace, in the controller's words; undefined when it is not terminating or gone. */
export function namespaceBlockers(namespace: V1Namespace): string | undefined {
  if (namespace.status?.phase !== "Terminating") return undefined;
  const messages = (namespace.status.conditions ?? [])
    .filter((c) => BLOCKING_CONDITIONS.includes(c.type) && c.status === "True" && c.message)
    .map((c) => c.message!.trim().replace(/\.$/, ""));
  const name = namespace.metadata?.name ?? "";
  return messages.length > 0
    ? `namespace ${name} cannot be deleted yet: ${messages.join("; ")}`
    : `namespace ${name} is still terminating`;
}

/** Reads the namespace and says what holds it, or undefined when it is gone or not terminating. */
export async function readNamespaceBlockers(
  kubeconfig: string,
  kubeContext: string | undefined,
  name: string,
): Promise<string | undefined> {
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  if (kubeContext) config.setCurrentContext(kubeContext);
  try {
    return namespaceBlockers(await config.makeApiClient(CoreV1Api).readNamespace({ name }));
  } catch {
    return undefined;
  }
}
