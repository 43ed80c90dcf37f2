import { useEffect, useState } from "preact/hooks";
import { ApiError, download, get, query } from "../api.js";
import { day, instant, number } from "../format.js";
import { Link, navigate } from "../router.jsx";
import { Outcome } from "../outcome.jsx";

const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
/// A decimal string of the API (`"31.4000"`) as the viewer reads amounts.
const amount = (text) => (text === null || text === undefined ? "—" : money.format(Number(text)));

/// `YYYY-MM-DD` of a local date.
function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/// Local midnight starting `text` (`YYYY-MM-DD`), `days` later, as the API's instant.
function midnight(text, days = 0) {
  const [y, m, d] = text.split("-").map(Number);
  return new Date(y, m - 1, d + days).toISOString();
}

/// The last 30 days through today, in the viewer's calendar.
function lastMonth() {
  const today = new Date();
  return { from: isoDay(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29)), to: isoDay(today) };
}

/// The period's `from`/`to` for the API: local midnights, `to` the day after the last.
function period(from, to) {
  return { from: midnight(from), to: midnight(to, 1) };
}

/// Pages per counter over every row.
function totals(rows) {
  const by = new Map();
  for (const r of rows) by.set(r.counter, (by.get(r.counter) ?? 0) + r.pages);
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/// The devices, total pages and cost as tiles; every other counter's pages on one line.
function Summary({ reads, cost }) {
  const counters = totals(reads.rows);
  const total = counters.find(([counter]) => counter === "total");
  const others = counters.filter(([counter]) => counter !== "total");
  return (
    <>
      <dl class="counts">
        <div class="count">
          <dt>Devices read</dt>
          <dd>{number(new Set(reads.rows.map((r) => r["device-id"])).size)}</dd>
        </div>
        {total && (
          <div class="count">
            <dt>Pages (total counters)</dt>
            <dd>{number(total[1])}</dd>
          </div>
        )}
        <div class="count">
          <dt>Cost</dt>
          <dd>{amount(cost.total)}</dd>
        </div>
      </dl>
      {others.length > 0 && (
        <p class="note">
          Pages by counter: {others.map(([counter, pages]) => `${counter} ${number(pages)}`).join(" · ")}
        </p>
      )}
    </>
  );
}

function Rows({ reads, cost }) {
  const lines = new Map();
  const unpriced = new Set();
  for (const d of cost.devices) {
    for (const l of d.lines) lines.set(`${d["device-id"]}/${l.counter}`, l);
    for (const u of d.unpriced) unpriced.add(`${d["device-id"]}/${u.counter}`);
  }
  return (
    <div class="scroll">
      <table class="billing">
        <caption class="visually-hidden">Pages and cost per device and counter in the period</caption>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Counter</th>
            <th scope="col" class="num">Start</th>
            <th scope="col" class="num">End</th>
            <th scope="col" class="num">Pages</th>
            <th scope="col" class="num">Per page</th>
            <th scope="col" class="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {reads.rows.map((r) => {
            const line = lines.get(`${r["device-id"]}/${r.counter}`);
            const name = [r.manufacturer, r.model].filter(Boolean).join(" ") || `Device ${r["device-id"]}`;
            return (
              <tr>
                <td>
                  <Link href={`/devices/${r["device-id"]}`}>{name}</Link>
                  <div class="muted small">
                    {r.serial ?? ""} {reads.subtree ? `· ${r.account}` : ""}
                  </div>
                </td>
                <td>
                  {r.counter}
                  {r.events.length > 0 && (
                    <div class="muted small">{r.events.map((e) => e.kind).join(", ")}</div>
                  )}
                </td>
                <td class="num" title={instant(r["start-at"])}>
                  {number(r["start-value"])}
                  <div class="muted small">{day(r["start-at"])}</div>
                </td>
                <td class="num" title={instant(r["end-at"])}>
                  {number(r["end-value"])}
                  <div class="muted small">{day(r["end-at"])}</div>
                </td>
                <td class="num pages">{number(r.pages)}</td>
                <td class="num">{line ? amount(line["cost-per-page"]) : "—"}</td>
                <td class="num">
                  {line ? amount(line.cost) : unpriced.has(`${r["device-id"]}/${r.counter}`) ? <span class="muted">no rate</span> : "—"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function Billing({ search }) {
  const [accounts, setAccounts] = useState(null);
  const [listError, setListError] = useState(null);
  const defaults = lastMonth();
  const account = Number(search.get("account")) || null;
  const from = search.get("from") ?? defaults.from;
  const to = search.get("to") ?? defaults.to;
  const subtree = search.get("subtree") === "true";
  const [draft, setDraft] = useState({ from, to });
  const [reads, setReads] = useState(null);
  const [cost, setCost] = useState(null);
  const [error, setError] = useState(null);
  const [exportError, setExportError] = useState(null);

  useEffect(() => {
    get(`/api/v1/accounts${query({ limit: 1000 })}`).then(setAccounts, (e) => setListError(e.message));
  }, []);
  useEffect(() => setDraft({ from, to }), [from, to]);
  const chosen = account ?? (accounts ?? []).find((a) => !a["is-dealer"])?.id ?? accounts?.[0]?.id ?? null;
  const known = accounts?.find((a) => a.id === chosen);

  useEffect(() => {
    setReads(null);
    setCost(null);
    setError(null);
    if (!chosen) return;
    const asked = query({ ...period(from, to), subtree: subtree || undefined });
    Promise.all([get(`/api/v1/accounts/${chosen}/meter-reads${asked}`), get(`/api/v1/accounts/${chosen}/cost${asked}`)]).then(
      ([r, c]) => {
        setReads(r);
        setCost(c);
      },
      (e) => setError(e instanceof ApiError ? e : new ApiError(0, e.message)),
    );
  }, [chosen, from, to, subtree]);

  const go = (changes) =>
    navigate(`/billing${query({ account: chosen, from, to, subtree: subtree || undefined, ...changes })}`);
  const exportCsv = async () => {
    setExportError(null);
    try {
      const asked = query({ ...period(from, to), subtree: subtree || undefined });
      await download(`/api/v1/accounts/${chosen}/meter-reads.csv${asked}`, `meter-reads-${chosen}-${from}-${to}.csv`);
    } catch (e) {
      setExportError(e.message);
    }
  };
  // A refusal naming `from` or `to` goes beside that field; any other under the form.
  const beside = (field) => (error?.field === field ? `billing-${field}-error` : undefined);
  const accountError = error?.status === 404 ? "No such account among the accounts you see." : null;

  return (
    <main class="page">
      <h1>Billing</h1>
      <Outcome error={listError} />
      {accounts !== null && accounts.length === 0 && (
        <p class="empty">You see no account yet: an administrator grants you one (quire admin user add).</p>
      )}
      {(accounts?.length > 0 || account) && (
        <form class="filters" onSubmit={(e) => { e.preventDefault(); go({ from: draft.from, to: draft.to }); }}>
          <span class="field">
          <label for="billing-account">Account</label>
          <select id="billing-account" value={chosen ?? ""} aria-describedby={accountError ? "billing-account-error" : undefined}
            onChange={(e) => go({ account: e.currentTarget.value })}>
            {!known && chosen && <option value={chosen}>Account {chosen}</option>}
            {(accounts ?? []).map((a) => (
              <option value={a.id}>{a.name}</option>
            ))}
          </select>
          {accountError && (
            <span id="billing-account-error" class="field-error" role="alert">
              {accountError}
            </span>
          )}
          </span>
          <span class="field">
          <label for="billing-from">From</label>
          <input id="billing-from" type="date" value={draft.from} required aria-describedby={beside("from")}
            onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })} />
          {beside("from") && <FieldError id="billing-from-error" message={error.message} />}
          </span>
          <span class="field">
          <label for="billing-to">Through</label>
          <input id="billing-to" type="date" value={draft.to} required aria-describedby={beside("to")}
            onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })} />
          {beside("to") && <FieldError id="billing-to-error" message={error.message} />}
          </span>
          <span class="check">
            <input id="billing-subtree" type="checkbox" checked={subtree}
              onChange={(e) => go({ subtree: e.currentTarget.checked || undefined })} />
            <label for="billing-subtree">With the accounts below</label>
          </span>
          <button type="submit">Show</button>
        </form>
      )}
      <Outcome error={error && !accountError && !beside("from") && !beside("to") && error.message} />
      {chosen && !error && reads === null && <Outcome loading />}
      {reads && cost && (
        <section aria-labelledby="pages">
          <h2 id="pages">
            Pages and costs, {day(reads.from)} to {day(new Date(new Date(reads.to).getTime() - 1).toISOString())}
          </h2>
          {reads.rows.length === 0 ? (
            <p class="empty">
              No counter of this account was read in the period: pick a longer period, or tick "with the accounts below" for a
              dealer.
            </p>
          ) : (
            <>
              <Summary reads={reads} cost={cost} />
              <Rows reads={reads} cost={cost} />
            </>
          )}
          <div class="actions export">
            <button type="button" onClick={exportCsv} aria-describedby={exportError ? "billing-export-error" : undefined}>
              Export meter reads (CSV)
            </button>
            {exportError && <FieldError id="billing-export-error" message={exportError} />}
          </div>
          {cost.devices.some((d) => d.unpriced.length > 0) && (
            <p class="note">Counters marked "no rate" have pages but no cost per page set at the device, its contract or its accounts.</p>
          )}
        </section>
      )}
    </main>
  );
}

function FieldError({ id, message }) {
  return (
    <span id={id} class="field-error" role="alert">
      {message}
    </span>
  );
}
