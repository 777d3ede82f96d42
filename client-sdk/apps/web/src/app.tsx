/**
 * The app: the sign-in page until there is a session (restored from localStorage on load), then the
 * chat. Signing out, or the server ending the session, comes back to the sign-in page.
 */
import type { MatrixClient } from "@hearth/client-sdk";
import { useEffect, useState } from "preact/hooks";
import { Chat } from "./components/chat.js";
import { SignIn } from "./components/sign-in.js";
import { restoreClient } from "./lib/session.js";

type State =
  | { readonly kind: "loading" }
  | { readonly kind: "signed-out"; readonly notice?: string }
  | { readonly kind: "signed-in"; readonly client: MatrixClient };

export function App() {
  const [state, setState] = useState<State>({ kind: "loading" });

  useEffect(() => {
    restoreClient().then(
      (client) => setState(client ? { kind: "signed-in", client } : { kind: "signed-out" }),
      () => setState({ kind: "signed-out" }),
    );
  }, []);

  if (state.kind === "loading") return <p class="splash">Loading…</p>;
  if (state.kind === "signed-out")
    return <SignIn notice={state.notice} onSignedIn={(client) => setState({ kind: "signed-in", client })} />;
  return (
    <Chat
      key={state.client.userId}
      client={state.client}
      onSignedOut={(notice) => setState({ kind: "signed-out", ...(notice ? { notice } : {}) })}
    />
  );
}
