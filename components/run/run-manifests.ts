import type { ComposeTranslation } from "./compose";
import {
  addImagePullSecret,
  addPreviews,
  addRunEnvironment,
  type PreviewPort,
  replaceImages,
} from "./manifest-edits";
import { addMigrationJobs } from "./migration-jobs";
import { RUN_ENV_SECRET } from "./run-env";
import { referenceRunEnvironment } from "./secret-values";
import type { DetectedMigration } from "./source/migrations";

/**
 * The translated manifests as the run applies them: built images in place of the placeholders,
 * migration Jobs, the run's environment, the pull secret (hybrid mode) and the preview Services.
 * Every run value the translation put into a container (`environment: [API_KEY]`, `${API_KEY}` in a
 * command) is replaced by a reference to the run's Secret: no workload carries one in plain text.
 * Pure; returns the previews to publish and a note per migration.
 */
export function runManifests(
  translation: ComposeTranslation,
  edits: {
    readonly builtImages: ReadonlyMap<string, string>;
    readonly migrations: readonly DetectedMigration[];
    /** The pull Secret's name, when images come from a registry that needs credentials. */
    readonly pullSecret?: string;
    /** The run's environment, whose values the manifests must only reference (default none). */
    readonly runEnv?: Readonly<Record<string, string>>;
  },
): { manifests: ComposeTranslation["manifests"]; previews: PreviewPort[]; notes: string[] } {
  const migrations = addMigrationJobs(
    replaceImages(translation.manifests, edits.builtImages),
    edits.migrations,
    translation.images,
  );
  const withEnvironment = referenceRunEnvironment(
    addRunEnvironment(migrations.manifests, RUN_ENV_SECRET),
    edits.runEnv ?? {},
    RUN_ENV_SECRET,
  );
  const withPullSecret = edits.pullSecret
    ? addImagePullSecret(withEnvironment, edits.pullSecret)
    : withEnvironment;
  const { manifests, previews } = addPreviews(withPullSecret, translation.published);
  return { manifests, previews, notes: migrations.notes };
}
