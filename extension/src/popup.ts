/** The toolbar popup: this user's runs (the token's owner), newest first, with their previews. */
import { ask, previewUrlOf, type RunView } from "./messages";

const list = document.getElementById("runs") as HTMLUListElement;
const note = document.getElementById("note") as HTMLParagraphElement;

function row(run: RunView): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.runId = run.id;
  const state = document.createElement("span");
  state.className = "state";
  state.dataset.status = run.status;
  state.textContent = run.status;
  const repo = document.createElement("span");
  repo.className = "repo";
  repo.textContent = run.repoUrl.replace(/^https:\/\/github\.com\//, "").replace(/\.git$/, "");
  repo.title = run.repoUrl;
  li.append(state, " ", repo);
  const url = run.status === "READY" ? previewUrlOf(run) : undefined;
  if (url) {
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = "preview";
    li.append(" ", link);
  }
  return li;
}

async function load(): Promise<void> {
  try {
    const runs = await ask<RunView[]>({ type: "runs:list" });
    list.replaceChildren(...runs.map(row));
    note.textContent = runs.length ? "" : "No runs yet. Open a GitHub repository and press Run Locally.";
  } catch (error) {
    note.textContent = (error as Error).message;
  }
}

document.getElementById("options")?.addEventListener("click", () => void chrome.runtime.openOptionsPage());
void load();
