/** The dashboard's frame: who is signed in, sign-in from the printed link, and the two pages. */
import { useEffect, useState } from "preact/hooks";
import { api, ApiFailure } from "./api";
import { RunPage } from "./run-page";
import { RunsPage } from "./runs-page";
import { useRoute } from "./route";

type Session =
  { state: "loading" } | { state: "signed-out"; message?: string } | { state: "in"; owner: string };

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session>({ state: "loading" });

  useEffect(() => {
    if (route.page === "sign-in") {
      // The code is in the fragment; take it out of the address bar and history before using it.
      history.replaceState(null, "", "/#/");
      api<{ owner: string }>("POST", "/session", { code: route.code }).then(
        ({ owner }) => {
          setSession({ state: "in", owner });
        },
        (e: ApiFailure) => setSession({ state: "signed-out", message: e.error.message }),
      );
      return;
    }
    if (session.state !== "loading") return;
    api<{ owner: string }>("GET", "/session").then(
      ({ owner }) => setSession({ state: "in", owner }),
      (e: ApiFailure) =>
        setSession({ state: "signed-out", message: e.status === 401 ? undefined : e.error.message }),
    );
  }, [route]);

  const signOut = async () => {
    await api("DELETE", "/session").catch(() => undefined);
    setSession({ state: "signed-out" });
  };

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          RepoRunner
        </a>
        {session.state === "in" && (
          <span class="who">
            <span>{session.owner}</span>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </span>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {session.state === "loading" && <p aria-live="polite">Loading…</p>}
        {session.state === "signed-out" && <SignedOut message={session.message} />}
        {session.state === "in" && (route.page === "run" ? <RunPage id={route.id} /> : <RunsPage />)}
      </main>
    </>
  );
}

function SignedOut({ message }: { message?: string }) {
  return (
    <section class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {message && (
        <p class="alert" role="alert">
          {message}
        </p>
      )}
      <p>
        Open the sign-in link that <code>npm start</code> printed, or make a new one with{" "}
        <code>npx reporunner sign-in</code>. Each link works once.
      </p>
    </section>
  );
}
