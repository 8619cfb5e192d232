/**
 * Compose translation: a compose project in a repository → Kubernetes manifests for one run, with
 * warnings for what translates imperfectly and refusals for what a run cannot allow. Pure: no
 * Pulumi, no cluster; the only I/O is reading the repository's files.
 */
export { type ComposeErrorKind, ComposeError, type ComposeProblem, type TranslationWarning } from "./issues";
export type { KubeObject } from "./kube-types";
export type { BuildSpec, ComposeModel, ServiceModel } from "./model";
export { publishedHostPort } from "./ports";
export type { PodSecurityAssessment } from "./security";
export type { PublishedPort } from "./to-manifests";
export { type ComposeTranslation, type TranslateOptions, translateCompose } from "./translate";
