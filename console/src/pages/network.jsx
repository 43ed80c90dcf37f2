import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, call, get, query, send } from "../api.js";
import { ago, instant } from "../format.js";
import { ListEditor } from "../list-editor.jsx";
import { navigate } from "../router.jsx";
import { fieldErrors } from "./asm-common.jsx";
import { Outcome } from "../outcome.jsx";

const DAYS = { monday: "Mon", tuesday: "Tue", wednesday: "Wed", thursday: "Thu", friday: "Fri", saturday: "Sat", sunday: "Sun" };
const hour = (h) => `${String(h).padStart(2, "0")}:00`;

/// A schedule in the words a dealer reads it in.
function schedule(s) {
  switch (s.kind) {
    case "weekly": {
      const days = s.days.length === 7 ? "every day" : s.days.map((d) => DAYS[d] ?? d).join(", ");
      return `${days} at ${s.hours.map(hour).join(", ")}`;
    }
    case "every-hours":
      return s.n === 1 ? "every hour" : `every ${s.n} h from ${hour(s["starting-at"])}`;
    case "every-minutes":
      return `every ${s.n} min`;
    case "once":
      return `once, ${s.date} at ${hour(s.hour)}`;
    case "disabled":
      return "never";
    default:
      return s.kind;
  }
}

function Schedules({ config }) {
  const rows = [
    ["Discovery", config.discovery],
    ["Meters & supplies", config["meters-and-supplies"]],
    ["Alerts", config.alerts],
  ];
  return (
    <ul class="plain">
      {rows.map(([name, cycle]) => (
        <li>
          {name}: {schedule(cycle.default)}
          {Object.entries(cycle.parts ?? {}).map(([part, s]) => ` (${part}: ${schedule(s)})`)}
        </li>
      ))}
      <li class="note">Times in {config["time-zone"]}</li>
    </ul>
  );
}

/// The three network cycles, as the API names them and a dealer reads them.
const CYCLES = [
  ["discovery", "Discovery"],
  ["meters-and-supplies", "Meters & supplies"],
  ["alerts", "Alerts"],
];

/// The kinds a network cycle may have: every few minutes is for USB printers alone, which
/// the API refuses here.
const KINDS = [
  ["weekly", "On these days, at these hours"],
  ["every-hours", "Every few hours"],
  ["once", "Once"],
  ["disabled", "Never"],
];

/// A schedule as its form holds it: every kind's fields, as typed, so switching kinds
/// back and forth keeps what was typed.
function scheduleForm(s) {
  const form = { kind: s.kind, days: Object.keys(DAYS), hours: "8", n: "4", startingAt: "0", date: new Date().toISOString().slice(0, 10), hour: "8" };
  if (s.kind === "weekly") return { ...form, days: s.days, hours: s.hours.join(", ") };
  if (s.kind === "every-hours") return { ...form, n: String(s.n), startingAt: String(s["starting-at"]) };
  if (s.kind === "every-minutes") return { ...form, n: String(s.n) };
  if (s.kind === "once") return { ...form, date: s.date, hour: String(s.hour) };
  return form;
}

/// A whole number as typed, else the text itself, for the API to name the field it is wrong in.
const whole = (text) => (/^\s*\d+\s*$/.test(text) ? Number(text) : text);

function scheduleBody(f) {
  switch (f.kind) {
    case "weekly":
      return { kind: f.kind, days: f.days, hours: f.hours.split(",").map((h) => h.trim()).filter(Boolean).map(whole) };
    case "every-hours":
      return { kind: f.kind, n: whole(f.n), "starting-at": whole(f.startingAt) };
    case "every-minutes":
      return { kind: f.kind, n: whole(f.n) };
    case "once":
      return { kind: f.kind, date: f.date, hour: whole(f.hour) };
    default:
      return { kind: f.kind };
  }
}

function configForm(config) {
  const cycles = {};
  for (const [cycle] of CYCLES) {
    cycles[cycle] = {
      default: scheduleForm(config[cycle].default),
      parts: Object.entries(config[cycle].parts ?? {}).map(([part, s]) => [part, scheduleForm(s)]),
    };
  }
  return { timeZone: config["time-zone"], cycles };
}

function configBody(form, config) {
  const body = { ...config, "time-zone": form.timeZone.trim() };
  for (const [cycle] of CYCLES) {
    const c = form.cycles[cycle];
    body[cycle] = { default: scheduleBody(c.default), parts: Object.fromEntries(c.parts.map(([part, f]) => [part, scheduleBody(f)])) };
  }
  return body;
}

/// The fields of one schedule; `field` is the API's name for it
/// (`schedules.alerts.default`), `id` the prefix of its controls' ids.
function ScheduleFields({ id, field, label, form, set, errors, kinds }) {
  const input = (name, key, words, extra = {}) => (
    <div class="field">
      <label for={`${id}-${name}`}>{words}</label>
      <input id={`${id}-${name}`} value={form[key]} onInput={(e) => set({ [key]: e.currentTarget.value })}
        {...errors.props(`${field}.${name}`, `${id}-${name}`)} {...extra} />
      {errors.text(`${field}.${name}`, `${id}-${name}`)}
    </div>
  );
  const toggle = (day, on) => set({ days: Object.keys(DAYS).filter((d) => (d === day ? on : form.days.includes(d))) });
  return (
    <div class="grid-fields schedule-fields">
      <div class="field">
        <label for={`${id}-kind`}>{label}</label>
        <select id={`${id}-kind`} value={form.kind} onChange={(e) => set({ kind: e.currentTarget.value })}
          {...errors.props(`${field}.kind`, `${id}-kind`)} {...errors.props(field, `${id}-kind`)}>
          {kinds.map(([kind, words]) => (
            <option value={kind}>{words}</option>
          ))}
        </select>
        {errors.text(`${field}.kind`, `${id}-kind`)}
        {errors.text(field, `${id}-kind`)}
      </div>
      {form.kind === "weekly" && (
        <fieldset class="inline days" aria-describedby={errors.text(`${field}.days`, `${id}-days`) ? `${id}-days-error` : undefined}>
          <legend class="visually-hidden">Days</legend>
          {Object.entries(DAYS).map(([day, short]) => (
            <span class="check">
              <input id={`${id}-day-${day}`} type="checkbox" checked={form.days.includes(day)} onChange={(e) => toggle(day, e.currentTarget.checked)} />
              <label for={`${id}-day-${day}`} title={day}>
                {short}
              </label>
            </span>
          ))}
          {errors.text(`${field}.days`, `${id}-days`)}
        </fieldset>
      )}
      {form.kind === "weekly" && input("hours", "hours", "At hours (0–23, comma separated)", { inputmode: "numeric" })}
      {(form.kind === "every-hours" || form.kind === "every-minutes") &&
        input("n", "n", form.kind === "every-hours" ? "Every (hours)" : "Every (minutes)", { inputmode: "numeric", class: "short" })}
      {form.kind === "every-hours" && input("starting-at", "startingAt", "From hour", { inputmode: "numeric", class: "short" })}
      {form.kind === "once" && input("date", "date", "On", { type: "date" })}
      {form.kind === "once" && input("hour", "hour", "At hour", { inputmode: "numeric", class: "short" })}
    </div>
  );
}

/// Every IANA zone the browser knows, to pick the site's from.
const ZONES = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

/// A site's time zone and its three cycles' schedules, each for the whole site and for any
/// part of its network that runs on its own; saved whole, each refusal beside its field.
function SchedulesForm({ site, onSaved }) {
  const [form, setForm] = useState(() => configForm(site.schedules));
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  const parts = [...new Set(site.ranges.map((r) => r.part).filter(Boolean))];
  const keys = ["schedules.time-zone"];
  for (const [cycle] of CYCLES) {
    const slots = [`schedules.${cycle}.default`, ...form.cycles[cycle].parts.map(([part]) => `schedules.${cycle}.parts.${part}`)];
    for (const slot of slots) keys.push(slot, ...["kind", "days", "hours", "n", "starting-at", "date", "hour"].map((f) => `${slot}.${f}`));
  }
  const errors = fieldErrors(error, keys);
  const setCycle = (cycle, change) => setForm({ ...form, cycles: { ...form.cycles, [cycle]: { ...form.cycles[cycle], ...change } } });
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    setBusy(true);
    try {
      const changed = await call("PUT", `/api/v1/sites/${site.id}/schedules`, configBody(form, site.schedules));
      setForm(configForm(changed.schedules));
      setDone(`Saved: ${site.name}'s agents run on these schedules from their next check-in.`);
      onSaved();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="schedules-form" noValidate aria-labelledby="site-schedules">
      <h3 id="site-schedules">Schedules</h3>
      <div class="field">
        <label for="schedule-time-zone">Time zone (the hours below are its)</label>
        <input id="schedule-time-zone" list="time-zones" value={form.timeZone} onInput={(e) => setForm({ ...form, timeZone: e.currentTarget.value })}
          {...errors.props("schedules.time-zone", "schedule-time-zone")} />
        <datalist id="time-zones">
          {ZONES.map((z) => (
            <option value={z} />
          ))}
        </datalist>
        {errors.text("schedules.time-zone", "schedule-time-zone")}
      </div>
      {CYCLES.map(([cycle, words]) => {
        const c = form.cycles[cycle];
        const free = parts.filter((p) => !c.parts.some(([part]) => part === p));
        return (
          <fieldset class="cycle">
            <legend>{words}</legend>
            <ScheduleFields id={`schedule-${cycle}`} field={`schedules.${cycle}.default`} label="Whole site" form={c.default}
              set={(change) => setCycle(cycle, { default: { ...c.default, ...change } })} errors={errors}
              kinds={c.default.kind === "every-minutes" ? [...KINDS, ["every-minutes", "Every few minutes"]] : KINDS} />
            {c.parts.map(([part, f], i) => (
              <div class="part-schedule">
                <ScheduleFields id={`schedule-${cycle}-part-${i}`} field={`schedules.${cycle}.parts.${part}`} label={`Part “${part}”`} form={f}
                  set={(change) => setCycle(cycle, { parts: c.parts.map((p, j) => (j === i ? [part, { ...f, ...change }] : p)) })}
                  errors={errors} kinds={f.kind === "every-minutes" ? [...KINDS, ["every-minutes", "Every few minutes"]] : KINDS} />
                <button type="button" class="quiet-dark" onClick={() => setCycle(cycle, { parts: c.parts.filter((_, j) => j !== i) })}>
                  Use the site's<span class="visually-hidden"> {words} schedule for part {part}</span>
                </button>
              </div>
            ))}
            {free.length > 0 && (
              <div class="actions">
                {free.map((part) => (
                  <button type="button" class="quiet-dark" onClick={() => setCycle(cycle, { parts: [...c.parts, [part, { ...c.default }]] })}>
                    A schedule of its own for “{part}”<span class="visually-hidden"> ({words})</span>
                  </button>
                ))}
              </div>
            )}
          </fieldset>
        );
      })}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save schedules"}
        </button>
      </div>
      <Outcome done={done} error={errors.rest} />
    </form>
  );
}

/// How fast discovery may send on a site's network, in packets a second; the server refuses
/// a cap out of range beside the field.
function DiscoveryForm({ site, onSaved }) {
  const [rate, setRate] = useState(String(site.discovery["packets-per-second"]));
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(error, ["discovery.packets-per-second"]);
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    setBusy(true);
    const typed = rate.trim().replace(/[\s,]/g, "");
    // What is no whole number goes as typed, so the server's refusal says what was wrong.
    const value = /^-?\d+$/.test(typed) ? Number(typed) : rate;
    try {
      const changed = await call("PUT", `/api/v1/sites/${site.id}/discovery`, { "packets-per-second": value });
      setRate(String(changed.discovery["packets-per-second"]));
      setDone(`Saved: ${site.name}'s agents send at most ${changed.discovery["packets-per-second"]} packets a second from their next check-in.`);
      onSaved();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="pace-form" noValidate aria-labelledby="site-discovery">
      <h3 id="site-discovery">Discovery pace</h3>
      <div class="field">
        <label for="discovery-rate">Packets a second, at most</label>
        <input id="discovery-rate" inputmode="numeric" class="short" value={rate} onInput={(e) => setRate(e.currentTarget.value)}
          {...errors.props("discovery.packets-per-second", "discovery-rate")} />
        {errors.text("discovery.packets-per-second", "discovery-rate")}
      </div>
      <p class="note">
        The default, 250, goes unnoticed on a customer's network (a /16 then takes about 4½ minutes); raise it where the
        customer agrees, up to 100,000 (10,000 sweeps a /16 in about 8 s).
      </p>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save pace"}
        </button>
      </div>
      <Outcome done={done} error={errors.rest} />
    </form>
  );
}

/// One site's schedules, discovery pace and ranges, edited in place of a CSV upload.
function SiteEditor({ site, onSaved }) {
  const heading = useRef(null);
  useEffect(() => {
    heading.current?.scrollIntoView({ block: "start" });
    heading.current?.focus();
  }, [site.id]);
  return (
    <section aria-labelledby="site-edit" class="site-editor">
      <h2 id="site-edit" tabIndex={-1} ref={heading}>
        {site.name}: schedules and ranges
      </h2>
      <SchedulesForm key={site.id} site={site} onSaved={onSaved} />
      <DiscoveryForm key={`discovery-${site.id}`} site={site} onSaved={onSaved} />
      <h3 id="site-ranges">Discovery ranges</h3>
      <p class="note">
        An address (<code>192.168.1.20</code>), a span (<code>192.168.1.1-192.168.1.254</code>), a network (<code>10.0.4.0/24</code>) or
        a host name; a part names the piece of the network that may run on schedules of its own.
      </p>
      <ListEditor
        key={site.id}
        id="ranges"
        path={`/api/v1/sites/${site.id}`}
        savePath={`/api/v1/sites/${site.id}/ranges`}
        columns={[
          { key: "range", label: "Range", field: "range" },
          { key: "part", label: "Part (optional)", field: "part" },
        ]}
        blankRow={() => ({ range: "", part: "" })}
        fromBody={(s) => s.ranges.map((r) => ({ range: r.range, part: r.part ?? "" }))}
        toBody={(rows) => rows.map((r) => (r.part.trim() ? { range: r.range.trim(), part: r.part.trim() } : { range: r.range.trim() }))}
        place={(field) => field.replace(/^ranges/, "")}
        empty="No range: discovery scans nothing on this site. Add the addresses its printers are on."
        onSaved={onSaved}
      />
    </section>
  );
}

/// The CSV as sent, line by line, with the server's refusal beside the line it names.
function UploadedLines({ text, error }) {
  const bad = error?.field?.match(/^line (\d+)$/);
  const badLine = bad ? Number(bad[1]) : null;
  return (
    <ol class="csv-lines">
      {text.replace(/\n$/, "").split("\n").map((line, i) => (
        <li class={i + 1 === badLine ? "bad" : undefined} aria-describedby={i + 1 === badLine ? "csv-error" : undefined}>
          <code>{line || " "}</code>
          {i + 1 === badLine && (
            <span id="csv-error" class="field-error" role="alert">
              {error.message}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}

function RangeUpload({ account, onUploaded }) {
  const [text, setText] = useState("");
  const [sent, setSent] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    setSent(text);
    try {
      const changed = await send("POST", `/api/v1/accounts/${account}/ranges-csv`, text, "text/csv");
      setDone(`Ranges replaced on ${changed.length} site${changed.length === 1 ? "" : "s"}: ${changed.map((s) => s.name).join(", ")}.`);
      onUploaded();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    }
  };
  const pick = async (event) => {
    const file = event.currentTarget.files[0];
    if (file) setText(await file.text());
  };

  return (
    <form onSubmit={submit} class="stack">
      <p class="note">
        One <code>site,range[,part]</code> a line; every site named gets the ranges of its lines in place of its old
        ones, and one bad line refuses the whole upload.
      </p>
      <label for="csv-file">CSV file</label>
      <input id="csv-file" type="file" accept=".csv,text/csv" onChange={pick} />
      <label for="csv-text">Or the lines themselves</label>
      <textarea id="csv-text" rows="6" value={text} onInput={(e) => setText(e.currentTarget.value)}
        placeholder={"site,range,part\nHead office,192.168.1.1-192.168.1.254"} />
      <button type="submit" disabled={!text.trim()}>
        Upload ranges
      </button>
      <Outcome done={done} error={error && !error.field?.startsWith("line ") && error.message} />
      {error?.field?.startsWith("line ") && sent !== null && <UploadedLines text={sent} error={error} />}
    </form>
  );
}

export function Network({ search }) {
  const [accounts, setAccounts] = useState(null);
  const [sites, setSites] = useState(null);
  const [agents, setAgents] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    get(`/api/v1/accounts${query({ limit: 1000 })}`).then(setAccounts, (e) => setError(e.message));
  }, []);
  const customers = (accounts ?? []).filter((a) => !a["is-dealer"]);
  const account = Number(search.get("account")) || customers[0]?.id || null;
  const editing = sites?.find((s) => String(s.id) === search.get("site")) ?? null;

  useEffect(() => setSites(null), [account]);
  useEffect(() => {
    if (!account) return;
    get(`/api/v1/accounts/${account}/sites${query({ limit: 1000 })}`).then(setSites, (e) => setError(e.message));
    get(`/api/v1/agents${query({ limit: 1000 })}`).then(
      (all) => setAgents(all.filter((a) => a["account-id"] === account)),
      (e) => setError(e.message),
    );
  }, [account, version]);

  const revoke = async (agent) => {
    if (!window.confirm(`Revoke the agent on ${agent.hostname}? Every call it makes is refused from then on.`)) return;
    try {
      await call("POST", `/api/v1/agents/${agent.id}/revoke`);
      setVersion((v) => v + 1);
    } catch (e) {
      setError(e.message);
    }
  };

  return (
    <main class="page">
      <h1>Network</h1>
      <Outcome error={error} />
      {accounts !== null && customers.length === 0 && (
        <p class="empty">No customer account yet: add one (quire admin account add) to give it sites and agents.</p>
      )}
      {customers.length > 0 && (
        <div class="filters">
          <label for="network-account">Account</label>
          <select id="network-account" value={account ?? ""}
            onChange={(e) => navigate(`/network${query({ account: e.currentTarget.value })}`)}>
            {customers.map((a) => (
              <option value={a.id}>{a.name}</option>
            ))}
          </select>
        </div>
      )}
      {account && (
        <section aria-labelledby="sites">
          <h2 id="sites">Sites and discovery ranges</h2>
          {sites === null && <Outcome loading />}
          {sites !== null && sites.length === 0 && (
            <p class="empty">This account has no site yet: add one (quire admin site add) before uploading its ranges.</p>
          )}
          {sites !== null && sites.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Site</th>
                  <th scope="col">Ranges</th>
                  <th scope="col">Schedules</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sites.map((site) => (
                  <tr>
                    <td>{site.name}</td>
                    <td>
                      {site.ranges.length === 0 ? (
                        "none: discovery scans nothing"
                      ) : (
                        <ul class="plain">
                          {site.ranges.map((r) => (
                            <li>
                              <code>{r.range}</code>
                              {r.part ? ` (${r.part})` : ""}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td>
                      <Schedules config={site.schedules} />
                    </td>
                    <td>
                      <button type="button" class="quiet-dark"
                        onClick={() => navigate(`/network${query({ account, site: site.id })}`)}>
                        Edit<span class="visually-hidden"> the schedules and ranges of {site.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Upload ranges</h3>
          <RangeUpload account={account} onUploaded={() => setVersion((v) => v + 1)} />
        </section>
      )}
      {account && editing && <SiteEditor site={editing} onSaved={() => setVersion((v) => v + 1)} />}
      {account && (
        <section aria-labelledby="agents">
          <h2 id="agents">Agents</h2>
          {agents !== null && agents.length === 0 && (
            <p class="empty">No agent enrolled for this account: issue an enrollment key (quire admin key issue) and run quire agent enroll on a machine of the customer's network.</p>
          )}
          {agents !== null && agents.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Version</th>
                  <th scope="col">Enrolled</th>
                  <th scope="col">Last check-in</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {agents.map((agent) => (
                  <tr>
                    <td>{agent.hostname}</td>
                    <td>{agent.version}</td>
                    <td>{instant(agent["enrolled-at"])}</td>
                    <td title={instant(agent["last-check-in"])}>{ago(agent["last-check-in"])}</td>
                    <td>
                      {agent["revoked-at"] ? (
                        `revoked ${instant(agent["revoked-at"])}`
                      ) : (
                        <button type="button" class="danger" onClick={() => revoke(agent)}>
                          Revoke<span class="visually-hidden"> the agent on {agent.hostname}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </main>
  );
}
