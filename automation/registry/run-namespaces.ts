import { ApiException, CoreV1Api, KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL } from "../../components/labels";

/** A live run namespace: where a pull Secret belongs. */
export interface RunNamespace {
  readonly name: string;
  readonly runId: string;
}

/** What the pull secret refresher needs from a cluster. */
export interface RunNamespaceSecrets {
  /** Namespaces of runs that are not being deleted. */
  listRunNamespaces(): Promise<RunNamespace[]>;
  /** Replaces the Secret (same name and namespace), or creates it when it is missing. */
  putSecret(secret: V1Secret): Promise<void>;
}

/**
 * `RunNamespaceSecrets` through the Kubernetes API (`@kubernetes/client-node`). Run namespaces are the
 * ones carrying RepoRunner's labels (`components/labels.ts`).
 */
export class KubernetesRunNamespaces implements RunNamespaceSecrets {
  private readonly core: CoreV1Api;

  /** `kubeconfig`: the file's text; `context`: default its current context. */
  constructor(kubeconfig: string, context?: string) {
    const config = new KubeConfig();
    config.loadFromString(kubeconfig);
    if (context) config.setCurrentContext(context);
    this.core = config.makeApiClient(CoreV1Api);
  }

  async listRunNamespaces(): Promise<RunNamespace[]> {
    const list = await this.core.listNamespace({
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY},${RUN_ID_LABEL}`,
    });
    return list.items
      .filter((ns) => ns.status?.phase !== "Terminating" && !ns.metadata?.deletionTimestamp)
      .map((ns) => ({ name: ns.metadata!.name!, runId: ns.metadata!.labels![RUN_ID_LABEL] }));
  }

  async putSecret(secret: V1Secret): Promise<void> {
    const name = secret.metadata!.name!;
    const namespace = secret.metadata!.namespace!;
    try {
      await this.core.replaceNamespacedSecret({ name, namespace, body: secret });
    } catch (error) {
      if (!(error instanceof ApiException) || error.code !== 404) throw error;
      await this.core.createNamespacedSecret({ namespace, body: secret });
    }
  }
}
