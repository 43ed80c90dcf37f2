import { useEffect, useState } from "preact/hooks";
import { get, query } from "../api.js";
import { ago, instant, number } from "../format.js";
import { Link, navigate } from "../router.jsx";

const PAGE = 50;
const STATUSES = ["running", "warning", "testing", "down", "unknown"];

/// The accounts the user sees, by id, for naming each device's account.
function useAccounts() {
  const [accounts, setAccounts] = useState(new Map());
  useEffect(() => {
    get(`/api/v1/accounts${query({ limit: 1000 })}`).then(
      (list) => setAccounts(new Map(list.map((a) => [a.id, a]))),
      () => setAccounts(new Map()),
    );
  }, []);
  return accounts;
}

export function Fleet({ search }) {
  const q = search.get("q") ?? "";
  const status = search.get("status") ?? "";
  const offset = Number(search.get("offset") ?? 0);
  const accounts = useAccounts();
  const [devices, setDevices] = useState(null);
  const [error, setError] = useState(null);
  const [text, setText] = useState(q);

  useEffect(() => setText(q), [q]);
  useEffect(() => {
    let current = true;
    setError(null);
    get(`/api/v1/devices${query({ q, status, offset, limit: PAGE + 1 })}`).then(
      (rows) => current && setDevices(rows),
      (e) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [q, status, offset]);

  const go = (changes) => navigate(`/${query({ q, status, ...changes })}`);
  const rows = devices ? devices.slice(0, PAGE) : [];
  const more = devices !== null && devices.length > PAGE;

  return (
    <main class="page">
      <h1>Fleet</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ q: text.trim(), offset: 0 });
        }}
      >
        <label for="fleet-q">Search</label>
        <input id="fleet-q" type="search" placeholder="serial, MAC, model or address" value={text}
          onInput={(e) => setText(e.currentTarget.value)} />
        <label for="fleet-status">Status</label>
        <select id="fleet-status" value={status} onChange={(e) => go({ status: e.currentTarget.value, offset: 0 })}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
        <button type="submit">Search</button>
      </form>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      {devices === null && !error && <p aria-live="polite">Loading the fleet…</p>}
      {devices !== null && rows.length === 0 && (
        <p class="empty">
          {q || status
            ? "No device matches these filters. Clear the search or pick another status."
            : "No device has been read yet. Enroll an agent on the customer's network (quire agent enroll) and give its site a discovery range; devices appear after its first cycle."}
        </p>
      )}
      {rows.length > 0 && (
        <table class="fleet">
          <caption class="visually-hidden">Devices, by id</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Device</th>
              <th scope="col">Serial</th>
              <th scope="col">Account</th>
              <th scope="col">Address</th>
              <th scope="col">Last read</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr>
                <td>
                  <span class={`status status-${d.status ?? "unknown"}`}>{d.status ?? "unknown"}</span>
                </td>
                <td>
                  <Link href={`/devices/${d.id}`}>
                    {[d.manufacturer, d.model].filter(Boolean).join(" ") || `Device ${d.id}`}
                  </Link>
                </td>
                <td>{d.serial ?? "—"}</td>
                <td>{accounts.get(d["account-id"])?.name ?? `#${d["account-id"]}`}</td>
                <td>{d.addresses[0]?.address ?? "—"}</td>
                <td title={instant(d["last-seen"])}>{ago(d["last-seen"])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(offset > 0 || more) && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={offset === 0} onClick={() => go({ offset: Math.max(0, offset - PAGE) })}>
            Previous
          </button>
          <span>
            {number(offset + 1)}–{number(offset + rows.length)}
          </span>
          <button type="button" disabled={!more} onClick={() => go({ offset: offset + PAGE })}>
            Next
          </button>
        </nav>
      )}
    </main>
  );
}
