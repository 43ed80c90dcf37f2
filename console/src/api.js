// The one way the console talks to Quire: the REST API, with the session's bearer token.
// An error keeps the API's `{message, field}` so a form can show it beside its field.

const TOKEN = "quire.session";

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field ?? null;
  }
}

export function signedIn() {
  return sessionStorage.getItem(TOKEN) !== null;
}

function forget() {
  sessionStorage.removeItem(TOKEN);
}

export async function signIn(name, password) {
  const session = await call("POST", "/api/v1/login", { name, password });
  sessionStorage.setItem(TOKEN, session.token);
  return session;
}

export async function signOut() {
  try {
    await call("POST", "/api/v1/logout");
  } finally {
    forget();
  }
}

export const get = (path) => call("GET", path);

function authorized(headers) {
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/// Saves what `path` answers as the file `name`: a plain link cannot carry the session.
export async function download(path, name) {
  const response = await fetch(path, { headers: authorized({}) });
  if (!response.ok) throw new ApiError(response.status, `the server answered ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

export function call(method, path, body) {
  return send(method, path, body === undefined ? undefined : JSON.stringify(body), "application/json");
}

/// `content` sent as it is, of media type `type` (a CSV upload, a plugin's component),
/// with `extra` headers (a plugin's signature).
export async function send(method, path, content, type, extra = {}) {
  const headers = authorized({ Accept: "application/json", ...extra });
  if (content !== undefined) headers["Content-Type"] = type;
  const response = await fetch(path, { method, headers, body: content });
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    if (response.status === 401 && path !== "/api/v1/login") {
      forget();
      window.dispatchEvent(new Event("quire:signed-out"));
    }
    const message = json?.message ?? `the server answered ${response.status}`;
    throw new ApiError(response.status, message, json?.field);
  }
  return json;
}

/// A query string from the entries whose value is set.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
