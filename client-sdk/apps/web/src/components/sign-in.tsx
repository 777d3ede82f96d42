/**
 * Sign in or create an account. The homeserver is the one that served the page unless the user points
 * the "Homeserver" field elsewhere (a URL, or a server name resolved through .well-known).
 */
import { isMatrixError, type MatrixClient } from "@hearth/client-sdk";
import { useState } from "preact/hooks";
import { newClient, rememberServer, resolveServer, savedServer } from "../lib/session.js";

interface Props {
  readonly notice?: string | undefined;
  readonly onSignedIn: (client: MatrixClient) => void;
}

/** A message for a failed sign-in or registration. */
function explain(e: unknown): string {
  if (isMatrixError(e)) {
    switch (e.errcode) {
      case "M_FORBIDDEN":
        return e.status === 403 && /password|login/i.test(e.message)
          ? "Wrong username or password."
          : e.message || "Not allowed.";
      case "M_USER_IN_USE":
        return "That username is taken.";
      case "M_INVALID_USERNAME":
        return "Usernames may contain only lower-case letters, digits and . _ = - /";
      case "M_WEAK_PASSWORD":
        return "Choose a stronger password.";
      case "M_LIMIT_EXCEEDED":
        return "Too many attempts: wait a moment and try again.";
      default:
        return e.message || e.errcode;
    }
  }
  const name = (e as Error)?.name;
  if (name === "ConnectionError") return "The homeserver cannot be reached.";
  return (e as Error)?.message ?? String(e);
}

export function SignIn({ notice, onSignedIn }: Props) {
  const [server, setServer] = useState(savedServer());
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [token, setToken] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<"sign-in" | "register" | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  async function submit(mode: "sign-in" | "register") {
    if (busy) return;
    if (!username.trim() || !password) {
      setError("Enter a username and a password.");
      return;
    }
    setBusy(mode);
    setError(undefined);
    try {
      const baseUrl = await resolveServer(server);
      const client = newClient(baseUrl);
      if (mode === "sign-in") {
        await client.login({ username: username.trim(), password });
      } else {
        // A full user ID names the server already: registration takes the localpart.
        const localpart = username.trim().replace(/^@/, "").replace(/:.*$/, "");
        await client.register({
          username: localpart,
          password,
          ...(token ? { registrationToken: token } : {}),
        });
      }
      rememberServer(baseUrl);
      onSignedIn(client);
    } catch (e) {
      const flows = isMatrixError(e)
        ? (e.extra.flows as Array<{ stages?: string[] }> | undefined)
        : undefined;
      if (
        mode === "register" &&
        token === undefined &&
        flows?.some((f) => f.stages?.includes("m.login.registration_token"))
      ) {
        setToken("");
        setError("This server needs a registration token to create an account.");
      } else {
        setError(explain(e));
      }
      setBusy(undefined);
    }
  }

  return (
    <main class="sign-in">
      <form
        class="card"
        aria-labelledby="sign-in-title"
        onSubmit={(e) => {
          e.preventDefault();
          void submit("sign-in");
        }}
      >
        <h1 id="sign-in-title">
          <span class="logo" aria-hidden="true" /> Hearth
        </h1>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <label for="server">Homeserver</label>
        <input
          id="server"
          name="server"
          type="text"
          inputMode="url"
          autocomplete="url"
          value={server}
          onInput={(e) => setServer(e.currentTarget.value)}
          aria-describedby="server-hint"
        />
        <p id="server-hint" class="hint">
          This page's server by default; any Matrix homeserver (https) works.
        </p>
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          type="text"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {token !== undefined && (
          <>
            <label for="token">Registration token</label>
            <input id="token" type="text" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
          </>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy !== undefined}>
            {busy === "sign-in" ? "Signing in…" : "Sign in"}
          </button>
          <button type="button" disabled={busy !== undefined} onClick={() => void submit("register")}>
            {busy === "register" ? "Creating account…" : "Create account"}
          </button>
        </div>
      </form>
    </main>
  );
}
