// Who may do what: the signed-in user's own password and sessions, the dealers and accounts
// they see (as a tree, with a form to add an account under a dealer), the users an
// administrator or dealer user manages, and each account's contacts. Every refusal the API
// names a field for is said beside that field.
import { useEffect, useState } from "preact/hooks";
import { ApiError, call, get, query } from "../api.js";
import { instant, timeZone } from "../format.js";
import { Link, navigate } from "../router.jsx";
import { CONTACT_ROLES, fieldErrors, useAccounts } from "./asm-common.jsx";
import { Outcome } from "../outcome.jsx";

const ROLES = [
  ["account-user", "Account user"],
  ["dealer-user", "Dealer user"],
  ["administrator", "Administrator"],
];

const roleWords = (role) => ROLES.find(([key]) => key === role)?.[1] ?? role;

/// An API error as the forms keep it (a network failure too), for `fieldErrors`.
const asApiError = (e) => (e instanceof ApiError ? e : new ApiError(0, `the server cannot be reached (${e.message})`));

/// A labelled control with its refusal beside it: `errors` places the API's error, `field`
/// is the API's name for what the control holds.
function Field({ id, label, field, errors, hint, children }) {
  const hintId = hint ? `${id}-hint` : null;
  const invalid = errors.props(field, id);
  const described = [invalid["aria-describedby"], hintId].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field admin-field">
      <label for={id}>{label}</label>
      {children({ id, ...invalid, "aria-describedby": described })}
      {hint && (
        <span id={hintId} class="note small">
          {hint}
        </span>
      )}
      {errors.text(field, id)}
    </div>
  );
}

function PasswordChange({ me }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(error, ["current-password", "new-password", "new-password-again"]);

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone(false);
    if (next !== again) {
      setError(new ApiError(0, "this is not the new password typed above", "new-password-again"));
      return;
    }
    setBusy(true);
    try {
      await call("PUT", "/api/v1/me/password", { "current-password": current, "new-password": next });
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} class="admin-form" noValidate aria-labelledby="your-password">
      {/* The name lets a password manager file the new password under the right login. */}
      <input type="text" name="username" autocomplete="username" value={me?.user.name ?? ""} hidden readOnly />
      <Field id="current-password" label="Current password" field="current-password" errors={errors}>
        {(props) => (
          <input {...props} type="password" autocomplete="current-password" required value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)} />
        )}
      </Field>
      <Field id="new-password" label="New password" field="new-password" errors={errors}
        hint="At least 10 characters, not your user name.">
        {(props) => (
          <input {...props} type="password" autocomplete="new-password" required value={next}
            onInput={(e) => setNext(e.currentTarget.value)} />
        )}
      </Field>
      <Field id="new-password-again" label="New password again" field="new-password-again" errors={errors}>
        {(props) => (
          <input {...props} type="password" autocomplete="new-password" required value={again}
            onInput={(e) => setAgain(e.currentTarget.value)} />
        )}
      </Field>
      <div class="actions">
        <button type="submit" disabled={busy || !current || !next}>
          {busy ? "Changing…" : "Change password"}
        </button>
      </div>
      {done && (
        <p id="password-changed" class="done" role="status">
          Password changed. Your other sessions were ended; this one stays signed in.
        </p>
      )}
      <Outcome error={errors.rest} />
    </form>
  );
}

function Sessions() {
  const [sessions, setSessions] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    get("/api/v1/sessions").then(setSessions, (e) => setError(e.message));
  }, [version]);
  const end = async (session) => {
    setError(null);
    try {
      await call("DELETE", `/api/v1/sessions/${session.id}`);
      setVersion((v) => v + 1);
    } catch (e) {
      setError(e.message);
    }
  };
  if (error) {
    return <Outcome error={error} />;
  }
  if (sessions === null) return <Outcome loading />;
  return (
    <table class="compact sessions">
      <caption class="note">Times in {timeZone()}</caption>
      <thead>
        <tr>
          <th scope="col">Signed in</th>
          <th scope="col">Ends</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((s) => (
          <tr>
            <td>{instant(s["created-at"])}</td>
            <td>{instant(s["expires-at"])}</td>
            <td>
              {s.current ? (
                <span class="muted">this browser</span>
              ) : (
                <button type="button" class="quiet-dark" onClick={() => end(s)}>
                  End<span class="visually-hidden"> the session begun {instant(s["created-at"])}</span>
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/// The accounts seen, nested under their dealers: the roots are those whose dealer is not
/// among them (the main dealer, or the dealers a dealer user is granted).
function AccountTree({ accounts }) {
  const ids = new Set(accounts.map((a) => a.id));
  const children = (id) => accounts.filter((a) => a["parent-id"] === id);
  const roots = accounts.filter((a) => a["parent-id"] === null || !ids.has(a["parent-id"]));
  const branch = (list) => (
    <ul class="tree">
      {list.map((a) => {
        const under = children(a.id);
        return (
          <li>
            <span class="account-name">{a.name}</span>{" "}
            <span class={a["is-dealer"] ? "status tag-dealer" : "status"}>{a["is-dealer"] ? "dealer" : "customer"}</span>{" "}
            <span class="muted small">#{a.id}</span>
            {under.length > 0 && branch(under)}
            {a["is-dealer"] && under.length === 0 && <p class="note small">No account under this dealer yet: add one below.</p>}
          </li>
        );
      })}
    </ul>
  );
  return branch(roots);
}

function NewAccount({ dealers, onCreated }) {
  const [name, setName] = useState("");
  const [parent, setParent] = useState(String(dealers[0]?.id ?? ""));
  const [isDealer, setIsDealer] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const errors = fieldErrors(error, ["name", "parent-id", "is-dealer"]);

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      const account = await call("POST", "/api/v1/accounts", {
        name: name.trim(),
        "parent-id": Number(parent),
        "is-dealer": isDealer,
      });
      setName("");
      setIsDealer(false);
      setDone(`Added ${account.name} (#${account.id}).`);
      onCreated();
    } catch (e) {
      setError(asApiError(e));
    }
  };

  return (
    <form onSubmit={submit} class="admin-form" noValidate aria-labelledby="new-account">
      <h3 id="new-account">Add an account</h3>
      <Field id="account-name" label="Name" field="name" errors={errors}>
        {(props) => <input {...props} required value={name} onInput={(e) => setName(e.currentTarget.value)} />}
      </Field>
      <Field id="account-parent" label="Under the dealer" field="parent-id" errors={errors}>
        {(props) => (
          <select {...props} value={parent} onChange={(e) => setParent(e.currentTarget.value)}>
            {dealers.map((d) => (
              <option value={d.id}>{d.name}</option>
            ))}
          </select>
        )}
      </Field>
      <div class="field check">
        <input id="account-is-dealer" type="checkbox" checked={isDealer} onChange={(e) => setIsDealer(e.currentTarget.checked)} />
        <label for="account-is-dealer">A dealer, with customers of its own</label>
      </div>
      <div class="actions">
        <button type="submit" disabled={!name.trim() || !parent}>
          Add account
        </button>
      </div>
      <Outcome done={done} error={errors.rest} />
    </form>
  );
}

function NewUser({ accounts, onCreated }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState("account-user");
  const [account, setAccount] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const errors = fieldErrors(error, ["name", "password", "role", "account-ids"]);
  const grantable = accounts.filter((a) => (role === "dealer-user" ? a["is-dealer"] : !a["is-dealer"]));
  const chosen = grantable.some((a) => String(a.id) === account) ? account : String(grantable[0]?.id ?? "");

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      const user = await call("POST", "/api/v1/users", {
        name: name.trim(),
        password,
        role,
        "account-ids": role === "administrator" || !chosen ? [] : [Number(chosen)],
      });
      setName("");
      setPassword("");
      setDone(`Added ${user.name}; they sign in with the password you gave and can change it here.`);
      onCreated();
    } catch (e) {
      setError(asApiError(e));
    }
  };

  return (
    <form onSubmit={submit} class="admin-form" noValidate aria-labelledby="new-user">
      <h3 id="new-user">Add a user</h3>
      <Field id="user-name" label="User name" field="name" errors={errors}>
        {(props) => (
          <input {...props} required autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        )}
      </Field>
      <Field id="user-password" label="Password" field="password" errors={errors} hint="At least 10 characters, not the user name.">
        {(props) => (
          <input {...props} type="password" autocomplete="new-password" required value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} />
        )}
      </Field>
      <Field id="user-role" label="Role" field="role" errors={errors}>
        {(props) => (
          <select {...props} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {ROLES.map(([key, words]) => (
              <option value={key}>{words}</option>
            ))}
          </select>
        )}
      </Field>
      {role !== "administrator" && (
        <Field id="user-account" label={role === "dealer-user" ? "Dealer" : "Customer account"} field="account-ids" errors={errors}>
          {(props) => (
            <select {...props} value={chosen} onChange={(e) => setAccount(e.currentTarget.value)}>
              {grantable.map((a) => (
                <option value={a.id}>{a.name}</option>
              ))}
            </select>
          )}
        </Field>
      )}
      <div class="actions">
        <button type="submit" disabled={!name.trim() || !password || (role !== "administrator" && !chosen)}>
          Add user
        </button>
      </div>
      <Outcome done={done} error={errors.rest} />
    </form>
  );
}

/// The form that sets another user's password, under the users table.
function ResetPassword({ user, onDone, onCancel }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const errors = fieldErrors(error, ["password"]);
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    try {
      await call("PUT", `/api/v1/users/${user.id}/password`, { password });
      onDone(`${user.name}'s password is set and their sessions are ended.`);
    } catch (e) {
      setError(asApiError(e));
    }
  };
  return (
    <form onSubmit={submit} class="admin-form reset" noValidate aria-labelledby="reset-title">
      <h3 id="reset-title">New password for {user.name}</h3>
      <Field id="reset-password" label="New password" field="password" errors={errors} hint="At least 10 characters, not the user name.">
        {(props) => (
          <input {...props} type="password" autocomplete="new-password" required value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} />
        )}
      </Field>
      <div class="actions">
        <button type="submit" disabled={!password}>
          Set password
        </button>
        <button type="button" class="quiet-dark" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <Outcome error={errors.rest} />
    </form>
  );
}

/// The form that gives another user a role and the accounts that go with it, under the
/// users table: a dealer user is granted a dealer, an account user a customer account.
function ChangeRole({ me, user, accounts, onDone, onCancel }) {
  const [role, setRole] = useState(user.role);
  const [account, setAccount] = useState(String(user["account-ids"][0] ?? ""));
  const [error, setError] = useState(null);
  const errors = fieldErrors(error, ["role", "account-ids"]);
  // Only an administrator makes administrators.
  const roles = me.user.role === "administrator" ? ROLES : ROLES.filter(([key]) => key !== "administrator");
  const grantable = accounts.filter((a) => (role === "dealer-user" ? a["is-dealer"] : !a["is-dealer"]));
  const chosen = grantable.some((a) => String(a.id) === account) ? account : String(grantable[0]?.id ?? "");
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    try {
      const changed = await call("PUT", `/api/v1/users/${user.id}/role`, {
        role,
        "account-ids": role === "administrator" || !chosen ? [] : [Number(chosen)],
      });
      const of = changed["account-ids"].map((id) => accounts.find((a) => a.id === id)?.name ?? `#${id}`).join(", ");
      onDone(`${changed.name} is now ${roleWords(changed.role).toLowerCase()}${of ? ` of ${of}` : ""}; their sessions were ended.`);
    } catch (e) {
      setError(asApiError(e));
    }
  };
  return (
    <form onSubmit={submit} class="admin-form reset" noValidate aria-labelledby="role-title">
      <h3 id="role-title">Role of {user.name}</h3>
      <Field id="role-role" label="Role" field="role" errors={errors}>
        {(props) => (
          <select {...props} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {roles.map(([key, words]) => (
              <option value={key}>{words}</option>
            ))}
          </select>
        )}
      </Field>
      {role !== "administrator" && (
        <Field id="role-account" label={role === "dealer-user" ? "Dealer" : "Customer account"} field="account-ids" errors={errors}>
          {(props) => (
            <select {...props} value={chosen} onChange={(e) => setAccount(e.currentTarget.value)}>
              {grantable.map((a) => (
                <option value={a.id}>{a.name}</option>
              ))}
            </select>
          )}
        </Field>
      )}
      <div class="actions">
        <button type="submit" disabled={role !== "administrator" && !chosen}>
          Change role
        </button>
        <button type="button" class="quiet-dark" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <Outcome error={errors.rest} />
    </form>
  );
}

/// Another user's live sessions, to end one by one or all at once (a lost laptop, a
/// password seen over a shoulder).
function UserSessions({ user, onClose }) {
  const [sessions, setSessions] = useState(null);
  const [error, setError] = useState(null);
  const [said, setSaid] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    get(`/api/v1/users/${user.id}/sessions`).then(setSessions, (e) => setError(e.message));
  }, [user.id, version]);
  const end = async (path, words) => {
    setError(null);
    setSaid(null);
    try {
      await call("DELETE", path);
      setSaid(words);
      setVersion((v) => v + 1);
    } catch (e) {
      setError(e.message);
    }
  };
  return (
    <div class="admin-form user-sessions" role="group" aria-labelledby="user-sessions-title">
      <h3 id="user-sessions-title">Sessions of {user.name}</h3>
      {sessions === null && !error && <Outcome loading />}
      {sessions !== null && sessions.length === 0 && <p class="empty">{user.name} is signed in nowhere.</p>}
      {sessions !== null && sessions.length > 0 && (
        <table class="compact sessions user-sessions">
          <caption class="note">Times in {timeZone()}</caption>
          <thead>
            <tr>
              <th scope="col">Signed in</th>
              <th scope="col">Ends</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr>
                <td>{instant(s["created-at"])}</td>
                <td>{instant(s["expires-at"])}</td>
                <td>
                  <button type="button" class="quiet-dark"
                    onClick={() => end(`/api/v1/users/${user.id}/sessions/${s.id}`, `The session begun ${instant(s["created-at"])} is ended.`)}>
                    End<span class="visually-hidden"> {user.name}'s session begun {instant(s["created-at"])}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions">
        {sessions !== null && sessions.length > 1 && (
          <button type="button" class="danger" onClick={() => end(`/api/v1/users/${user.id}/sessions`, `Every session of ${user.name} is ended.`)}>
            End every session<span class="visually-hidden"> of {user.name}</span>
          </button>
        )}
        <button type="button" class="quiet-dark" onClick={onClose}>
          Close
        </button>
      </div>
      <Outcome done={said} doneId="user-sessions-done" error={error} />
    </div>
  );
}

function Users({ me, accounts }) {
  const [users, setUsers] = useState(null);
  const [error, setError] = useState(null);
  const [said, setSaid] = useState(null);
  /// The form open under the table: `{ form: "password" | "role" | "sessions", user }`.
  const [panel, setPanel] = useState(null);
  const [version, setVersion] = useState(0);
  const open = (form, user) => {
    setSaid(null);
    setPanel({ form, user });
  };
  useEffect(() => {
    get(`/api/v1/users${query({ limit: 1000 })}`).then(setUsers, (e) => setError(e.message));
  }, [version]);
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const act = async (method, path, body, words) => {
    setError(null);
    setSaid(null);
    try {
      await call(method, path, body);
      setSaid(words);
      setVersion((v) => v + 1);
    } catch (e) {
      setError(e.message);
    }
  };
  const remove = (user) => {
    if (!window.confirm(`Delete ${user.name}? They can no longer sign in; one named in history is disabled instead.`)) return;
    setPanel(null);
    act("DELETE", `/api/v1/users/${user.id}`, undefined, `${user.name} is deleted.`);
  };

  return (
    <>
      <Outcome error={error} done={said} doneId="users-done" />
      {users === null && !error && <Outcome loading />}
      {users !== null && users.length > 0 && (
        <div class="scroll">
          <table class="users">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Accounts</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => {
                const self = user.id === me.user.id;
                return (
                  <tr>
                    <th scope="row">
                      {user.name}
                      {self && <span class="muted"> (you)</span>}
                    </th>
                    <td>{roleWords(user.role)}</td>
                    <td>
                      {user.role === "administrator"
                        ? "every account"
                        : user["account-ids"].map((id) => names.get(id) ?? `#${id}`).join(", ") || "none"}
                    </td>
                    <td>{user.disabled ? <span class="status status-down">disabled</span> : "can sign in"}</td>
                    <td>
                      <div class="actions">
                        {/* A reset ends every session of the user, this one too: one's own password is changed above. */}
                        {self ? (
                          <a href="#your-password">Change yours above</a>
                        ) : (
                          <button type="button" class="quiet-dark" onClick={() => open("password", user)}>
                            Reset password<span class="visually-hidden"> of {user.name}</span>
                          </button>
                        )}
                        {!self && (
                          <button type="button" class="quiet-dark" onClick={() => open("role", user)}>
                            Change role<span class="visually-hidden"> of {user.name}</span>
                          </button>
                        )}
                        {!self && (
                          <button type="button" class="quiet-dark" onClick={() => open("sessions", user)}>
                            Sessions<span class="visually-hidden"> of {user.name}</span>
                          </button>
                        )}
                        {!self && (
                          <button type="button" class="quiet-dark"
                            onClick={() => act("PUT", `/api/v1/users/${user.id}/disabled`, { disabled: !user.disabled },
                              user.disabled ? `${user.name} can sign in again.` : `${user.name} is disabled and signed out.`)}>
                            {user.disabled ? "Enable" : "Disable"}
                            <span class="visually-hidden"> {user.name}</span>
                          </button>
                        )}
                        {!self && (
                          <button type="button" class="danger" onClick={() => remove(user)}>
                            Delete<span class="visually-hidden"> {user.name}</span>
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {panel?.form === "password" && (
        <ResetPassword
          key={panel.user.id}
          user={panel.user}
          onCancel={() => setPanel(null)}
          onDone={(words) => {
            setPanel(null);
            setSaid(words);
          }}
        />
      )}
      {panel?.form === "role" && (
        <ChangeRole
          key={panel.user.id}
          me={me}
          user={panel.user}
          accounts={accounts}
          onCancel={() => setPanel(null)}
          onDone={(words) => {
            setPanel(null);
            setSaid(words);
            setVersion((v) => v + 1);
          }}
        />
      )}
      {panel?.form === "sessions" && <UserSessions key={panel.user.id} user={panel.user} onClose={() => setPanel(null)} />}
      {users !== null && users.length === 0 && (
        <p class="empty">No user has an account of yours yet: an administrator adds them.</p>
      )}
      {me.user.role === "administrator" ? (
        <NewUser accounts={accounts} onCreated={() => setVersion((v) => v + 1)} />
      ) : (
        <p class="note">Users of your accounts are added by an administrator; here you reset their password, change their role, end their sessions, disable or delete them.</p>
      )}
    </>
  );
}

/// The contacts of `account`; `unseen` when the address names an account the user does not
/// see, which is refused as one that does not exist.
function Contacts({ accounts, account, dealer, unseen }) {
  const [contacts, setContacts] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setContacts(null);
    setError(null);
    if (!account) return;
    get(`/api/v1/accounts/${account}/contacts`).then(setContacts, (e) => setError(e.message));
  }, [account]);
  return (
    <>
      <div class="filters">
        <label for="contacts-account">Account</label>
        <select id="contacts-account" value={account ?? ""} aria-invalid={unseen ? "true" : undefined}
          aria-describedby={unseen ? "contacts-account-error" : undefined}
          onChange={(e) => navigate(`/administration${query({ account: e.currentTarget.value })}`)}>
          {unseen && <option value="">Choose an account</option>}
          {accounts.map((a) => (
            <option value={a.id}>{a.name}</option>
          ))}
        </select>
        {unseen && (
          <span id="contacts-account-error" class="field-error" role="alert">
            No such account among the accounts you see.
          </span>
        )}
      </div>
      <Outcome error={error} />
      {contacts !== null && contacts.length === 0 && (
        <p class="empty">
          No contact for this account yet:{" "}
          {dealer ? (
            <>
              add them in <Link href={`/asm/settings${query({ account })}`}>ASM settings</Link> so its alerts reach someone.
            </>
          ) : (
            "your dealer adds them."
          )}
        </p>
      )}
      {contacts !== null && contacts.length > 0 && (
        <table class="contacts">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">E-mail</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {contacts.map((c) => (
              <tr>
                <td>{c.name}</td>
                <td>
                  <a href={`mailto:${c.email}`}>{c.email}</a>
                </td>
                <td>{CONTACT_ROLES.find(([key]) => key === (c.role ?? ""))?.[1] ?? c.role}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {dealer && contacts !== null && contacts.length > 0 && (
        <p class="note">
          Change them in <Link href={`/asm/settings${query({ account })}`}>ASM settings</Link>.
        </p>
      )}
    </>
  );
}

export function Administration({ search }) {
  const [me, setMe] = useState(null);
  const [meError, setMeError] = useState(null);
  const [version, setVersion] = useState(0);
  const [accounts, accountsError] = useAccounts(version);
  const error = meError ?? accountsError;
  useEffect(() => {
    get("/api/v1/me").then(setMe, (e) => setMeError(e.message));
  }, []);

  const role = me?.user.role;
  const dealer = role === "administrator" || role === "dealer-user";
  const dealers = (accounts ?? []).filter((a) => a["is-dealer"]);
  const asked = search.get("account");
  const unseen = asked !== null && accounts !== null && !accounts.some((a) => String(a.id) === asked);
  const contactsAccount = asked === null ? (accounts?.[0]?.id ?? null) : unseen ? null : Number(asked);

  return (
    <main class="page administration">
      <h1>Administration</h1>
      <Outcome error={error} />
      <div class="admin-columns">
        <section aria-labelledby="your-password">
          <h2 id="your-password">Your password{me ? ` (${me.user.name})` : ""}</h2>
          <PasswordChange me={me} />
        </section>
        <section aria-labelledby="your-sessions">
          <h2 id="your-sessions">Your sessions</h2>
          <Sessions />
        </section>
      </div>
      {accounts !== null && me && (
        <section aria-labelledby="accounts">
          <h2 id="accounts">{dealer ? "Dealers and accounts" : "Your accounts"}</h2>
          {accounts.length === 0 ? (
            <p class="empty">You see no account yet: an administrator grants you one.</p>
          ) : (
            <AccountTree accounts={accounts} />
          )}
          {dealer && dealers.length > 0 && <NewAccount dealers={dealers} onCreated={() => setVersion((v) => v + 1)} />}
        </section>
      )}
      {accounts !== null && me && dealer && (
        <section aria-labelledby="users">
          <h2 id="users">Users</h2>
          <Users me={me} accounts={accounts} />
        </section>
      )}
      {accounts !== null && accounts.length > 0 && (
        <section aria-labelledby="contacts">
          <h2 id="contacts">Contacts</h2>
          <Contacts accounts={accounts} account={contactsAccount} dealer={dealer} unseen={unseen} />
        </section>
      )}
    </main>
  );
}
