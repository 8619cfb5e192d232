/** The options page: the API's address and token, saved only once `/readyz` and the token check pass. */
import { ask, ExtensionError, type SettingsView } from "./messages";

const form = document.getElementById("settings") as HTMLFormElement;
const apiUrl = document.getElementById("apiUrl") as HTMLInputElement;
const token = document.getElementById("token") as HTMLInputElement;
const result = document.getElementById("result") as HTMLParagraphElement;

ask<SettingsView>({ type: "settings:get" }).then((s) => {
  apiUrl.value = s.apiUrl;
  token.placeholder = s.hasToken ? "saved (leave empty to keep it)" : "reporunner token";
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.className = "";
  result.textContent = "Checking…";
  for (const input of [apiUrl, token]) input.removeAttribute("aria-invalid");
  try {
    const { owner } = await ask<{ owner: string }>({
      type: "settings:save",
      apiUrl: apiUrl.value.trim(),
      token: token.value.trim(),
    });
    token.value = "";
    token.placeholder = "saved (leave empty to keep it)";
    result.className = "ok";
    result.textContent = `Saved. The API is ready, and the token is ${owner}'s.`;
  } catch (error) {
    const e = error as ExtensionError;
    result.className = "error";
    result.textContent = e.message;
    const field = e.field === "token" || e.field === "authorization" ? token : apiUrl;
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
});
