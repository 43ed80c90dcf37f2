import { useState } from "preact/hooks";
import { ApiError, signIn } from "../api.js";
import { Outcome } from "../outcome.jsx";

export function SignIn({ onSignedIn }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(name.trim(), password);
      onSignedIn();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : `the server cannot be reached (${e.message})`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Quire</h1>
        <label for="name">User name</label>
        <input id="name" name="name" autocomplete="username" required value={name}
          onInput={(e) => setName(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required
          value={password} onInput={(e) => setPassword(e.currentTarget.value)}
          aria-describedby={error ? "sign-in-error" : undefined} />
        <Outcome error={error} errorId="sign-in-error" />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
