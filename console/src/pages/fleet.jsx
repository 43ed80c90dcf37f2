import { useEffect, useState } from "preact/hooks";
import { get, query } from "../api.js";
import { ago, instant, number } from "../format.js";
import { Link, navigate } from "../router.jsx";
import { Outcome } from "../outcome.jsx";

const PAGE = 50;
const STATUSES = ["running", "warning", "testing", "down", "unknown"];

// The columns the server sorts by, as `sort` names them.
const COLUMNS = [
  { key: "status", label: "Status" },
  { key: "model", label: "Device" },
  { key: "serial", label: "Serial" },
  { key: "account", label: "Account" },
  { key: "site", label: "Site" },
  { label: "Supplies" },
  { label: "Open alerts", num: true },
  { key: "last-seen", label: "Last read" },
];

// Set once, when the first rows of the page's first answer are on screen: the browser
// test reads it to time the first paint of a large fleet.
let firstRowsMarked = false;

function Supplies({ supplies }) {
  const levels = supplies.filter((s) => s.percent !== null);
  if (levels.length === 0) return <span class="muted">—</span>;
  return (
    <span class="bars">
      {levels.map((s) => {
        const name = [s.color, s.kind].filter(Boolean).join(" ");
        return (
          <meter min="0" max="100" low="15" optimum="100" value={s.percent} class={`bar-${s.state}`}
            aria-label={`${name}: ${s.percent} %${s.state === "low" || s.state === "empty" ? `, ${s.state}` : ""}`}
            title={`${s.description}: ${s.percent} %`} />
        );
      })}
    </span>
  );
}

function SortHeader({ column, sort, order, go }) {
  if (!column.key) return <th scope="col" class={column.num ? "num" : undefined}>{column.label}</th>;
  const active = sort === column.key;
  const next = active && order === "asc" ? "desc" : "asc";
  return (
    <th scope="col" aria-sort={active ? (order === "asc" ? "ascending" : "descending") : undefined}>
      <button type="button" class="sort" onClick={() => go({ sort: column.key, order: next, offset: 0 })}>
        {column.label}
        <span aria-hidden="true">{active ? (order === "asc" ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );
}

function Counts({ counts, go }) {
  const tiles = [
    ["Devices", counts.devices, null],
    ["Down", counts.down, "down"],
    ["Needing service", counts["needing-service"], null],
    ["Supplies low", counts["supplies-low"], null],
  ];
  return (
    <dl class="counts">
      {tiles.map(([label, value, status]) => (
        <div class={value > 0 && label !== "Devices" ? "count alarm" : "count"}>
          <dt>{label}</dt>
          <dd>
            {status && value > 0 ? (
              <a href={`/${query({ status })}`} onClick={(e) => { e.preventDefault(); go({ status, offset: 0 }); }}>
                {number(value)}
              </a>
            ) : (
              number(value)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function Fleet({ search }) {
  const q = search.get("q") ?? "";
  const status = search.get("status") ?? "";
  const strategy = search.get("strategy") ?? "";
  const sort = search.get("sort") ?? "id";
  const order = search.get("order") === "desc" ? "desc" : "asc";
  const offset = Number(search.get("offset") ?? 0);
  const [fleet, setFleet] = useState(null);
  const [error, setError] = useState(null);
  const [text, setText] = useState(q);

  useEffect(() => setText(q), [q]);
  useEffect(() => {
    let current = true;
    setError(null);
    get(`/api/v1/fleet${query({ q, status, strategy, sort, order, offset, limit: PAGE })}`).then(
      (answer) => current && setFleet(answer),
      (e) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [q, status, strategy, sort, order, offset]);
  useEffect(() => {
    if (!firstRowsMarked && fleet?.devices.length > 0) {
      firstRowsMarked = true;
      requestAnimationFrame(() => performance.mark("fleet-first-rows"));
    }
  }, [fleet]);

  const go = (changes) => {
    const next = { q, status, strategy, sort, order, offset, ...changes };
    if (next.sort === "id") delete next.sort;
    if (next.order === "asc") delete next.order;
    if (!next.offset) delete next.offset;
    navigate(`/${query(next)}`);
  };
  const rows = fleet ? fleet.devices : [];
  const total = fleet ? fleet.counts.devices : 0;
  const more = offset + rows.length < total;

  return (
    <main class="page">
      <h1>Fleet</h1>
      {fleet && <Counts counts={fleet.counts} go={go} />}
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
        {strategy && (
          <span class="chip">
            Read by <strong>{strategy}</strong>
            <button type="button" class="quiet-dark" onClick={() => go({ strategy: "", offset: 0 })}>
              Any strategy<span class="visually-hidden">: stop filtering by {strategy}</span>
            </button>
          </span>
        )}
      </form>
      <Outcome error={error} />
      {fleet === null && !error && <p aria-live="polite">Loading the fleet…</p>}
      {fleet !== null && rows.length === 0 && (
        <p class="empty">
          {q || status || strategy
            ? "No device matches these filters. Clear the search or pick another status."
            : "No device has been read yet. Enroll an agent on the customer's network (quire agent enroll) and give its site a discovery range; devices appear after its first cycle."}
        </p>
      )}
      {rows.length > 0 && (
        <table class="fleet">
          <caption class="visually-hidden">Devices; the column headers sort them</caption>
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <SortHeader column={column} sort={sort} order={order} go={go} />
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(({ device: d, ...row }) => (
              <tr>
                <td>
                  <span class={`status status-${d.status ?? "unknown"}`}>{d.status ?? "unknown"}</span>
                </td>
                <td>
                  <Link href={`/devices/${d.id}`}>
                    {[d.manufacturer, d.model].filter(Boolean).join(" ") || `Device ${d.id}`}
                  </Link>
                  <div class="muted small">{d.addresses[0]?.address ?? ""}</div>
                </td>
                <td>{d.serial ?? "—"}</td>
                <td>{row["account-name"]}</td>
                <td>{row["site-name"] ?? "—"}</td>
                <td>
                  <Supplies supplies={row.supplies} />
                </td>
                <td class="num">{row["open-alerts"] > 0 ? <strong class="alerts">{number(row["open-alerts"])}</strong> : "0"}</td>
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
            {number(offset + 1)}–{number(offset + rows.length)} of {number(total)}
          </span>
          <button type="button" disabled={!more} onClick={() => go({ offset: offset + PAGE })}>
            Next
          </button>
        </nav>
      )}
    </main>
  );
}
