import { useEffect, useState } from "preact/hooks";
import { ApiError, call, get, query, send } from "../api.js";
import { instant, number } from "../format.js";
import { Link, navigate } from "../router.jsx";
import { Outcome } from "../outcome.jsx";

const KINDS = { strategy: "Strategy", action: "Action", "alert-logic": "Alert logic" };

/// One row per kind and name: the version in use (a published one, else the built-in
/// one) and every other version known, newest published first.
function installed(published, builtIn) {
  const rows = new Map();
  const row = (kind, name) => {
    const key = `${kind}/${name}`;
    if (!rows.has(key)) rows.set(key, { kind, name, builtIn: null, published: [] });
    return rows.get(key);
  };
  for (const b of builtIn) row(b.kind, b.name).builtIn = b;
  for (const p of published) row(p.kind, p.name).published.push(p);
  for (const r of rows.values()) {
    r.published.sort((a, b) => b["published-at"].localeCompare(a["published-at"]));
    r.serving = r.published.find((p) => p.serving) ?? null;
  }
  return [...rows.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/// Every version of a strategy the server holds, the one in use first: what a stored
/// reading can be re-read through.
function versionsOf(row) {
  const inUse = row.serving ? row.serving.version : row.builtIn?.version;
  const all = [{ version: inUse, note: "in use", inUse: true }];
  for (const p of row.published) {
    if (p.version !== inUse) all.push({ version: p.version, note: p["withdrawn-at"] ? "withdrawn" : "published" });
  }
  if (row.builtIn && row.builtIn.version !== inUse) all.push({ version: row.builtIn.version, note: "built in" });
  return all.map((v) => ({ name: row.name, key: `${row.name}@${v.version}`, ...v }));
}

function Signature({ plugin }) {
  if (!plugin) return <span>built in</span>;
  return plugin.publisher ? (
    <span class="status status-running">signed by {plugin.publisher}</span>
  ) : (
    <span class="status status-warning">unsigned</span>
  );
}

function Earlier({ row }) {
  const others = row.published.filter((p) => p !== row.serving);
  const items = others.map((p) => (
    <li>
      {p.version} {p["withdrawn-at"] ? `withdrawn ${instant(p["withdrawn-at"])}` : "replaced"}
    </li>
  ));
  if (row.builtIn && row.serving) items.push(<li>{row.builtIn.version} built in</li>);
  return items.length ? <ul class="plain small">{items}</ul> : <span class="muted">—</span>;
}

function PluginRow({ row, reads, admin, onRolledBack }) {
  const [error, setError] = useState(null);
  const serving = row.serving;
  const version = serving ? serving.version : row.builtIn?.version;
  const rollBack = async () => {
    const back = row.published.find((p) => p !== serving && !p["withdrawn-at"])?.version ?? row.builtIn?.version;
    const then = back ? `version ${back} is used again` : "no version of it is left";
    if (!window.confirm(`Roll ${row.name} back from ${serving.version}? ${then}.`)) return;
    setError(null);
    try {
      await call("POST", `/api/v1/plugins/${row.kind}/${encodeURIComponent(row.name)}/rollback`);
      onRolledBack();
    } catch (e) {
      setError(e.message);
    }
  };
  const id = `rollback-${row.kind}-${row.name}`;
  return (
    <tr>
      <th scope="row">
        {row.name}
        <div class="muted small">{KINDS[row.kind] ?? row.kind}</div>
      </th>
      <td class="version">{version ?? "—"}</td>
      <td>
        <Signature plugin={serving} />
      </td>
      <td>
        {serving ? (
          <>
            {instant(serving["published-at"])}
            <div class="muted small">by {serving["published-by"]}</div>
          </>
        ) : (
          <span class="muted">with the server</span>
        )}
      </td>
      <td>
        <Earlier row={row} />
      </td>
      <td class="num">
        {row.kind !== "strategy" ? (
          <span class="muted">—</span>
        ) : reads === undefined ? (
          "…"
        ) : reads === 0 ? (
          "0"
        ) : (
          <Link href={`/${query({ strategy: row.name })}`}>
            {number(reads)}
            <span class="visually-hidden"> devices read by {row.name}</span>
          </Link>
        )}
      </td>
      <td>
        {serving && admin && (
          <button type="button" class="quiet-dark" onClick={rollBack} aria-describedby={error ? id : undefined}>
            Roll back<span class="visually-hidden"> {row.name} {serving.version}</span>
          </button>
        )}
        {error && (
          <p id={id} class="field-error" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

/// The form's refusal beside the field it names (`component`, the signature header,
/// `name`, `version`); anything else under the button.
function fieldOf(error, versionGiven) {
  if (!error) return null;
  if (error.field === "x-quire-signature") return "signature";
  if (error.field === "name") return "name";
  if (error.field === "version") return versionGiven ? "version" : "component";
  if (error.field === "component") return "component";
  return "form";
}

function FieldError({ id, error }) {
  return (
    <span id={id} class="field-error" role="alert">
      {error.message}
    </span>
  );
}

function Upload({ onPublished }) {
  const [component, setComponent] = useState(null);
  const [signature, setSignature] = useState(null);
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const at = fieldOf(error, version.trim() !== "");
  const described = (field) => (at === field ? `upload-${field}-error` : undefined);

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      const headers = signature ? { "x-quire-signature": (await signature.text()).trim() } : {};
      const path = `/api/v1/plugins${query({ name: name.trim(), version: version.trim() })}`;
      const filed = await send("POST", path, component, "application/wasm", headers);
      setDone(`Published ${filed.name} ${filed.version} (${KINDS[filed.kind] ?? filed.kind}); agents get a strategy at their next check-in, ASM runs other plugins from its next tick.`);
      onPublished();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    }
  };

  return (
    <form onSubmit={submit} class="stack">
      <label for="upload-component">Component (.wasm)</label>
      <input id="upload-component" type="file" accept=".wasm,application/wasm" aria-describedby={described("component")}
        onChange={(e) => setComponent(e.currentTarget.files[0] ?? null)} />
      {at === "component" && <FieldError id="upload-component-error" error={error} />}
      <label for="upload-signature">Signature (.sig, optional: unsigned uploads are refused where signatures are required)</label>
      <input id="upload-signature" type="file" accept=".sig,text/plain" aria-describedby={described("signature")}
        onChange={(e) => setSignature(e.currentTarget.files[0] ?? null)} />
      {at === "signature" && <FieldError id="upload-signature-error" error={error} />}
      <div class="pair">
        <span class="stack">
          <label for="upload-name">Name (action plugins only)</label>
          <input id="upload-name" value={name} placeholder="erp-order" aria-describedby={described("name")}
            onInput={(e) => setName(e.currentTarget.value)} />
          {at === "name" && <FieldError id="upload-name-error" error={error} />}
        </span>
        <span class="stack">
          <label for="upload-version">Version (action plugins only)</label>
          <input id="upload-version" value={version} placeholder="1.0.0" aria-describedby={described("version")}
            onInput={(e) => setVersion(e.currentTarget.value)} />
          {at === "version" && <FieldError id="upload-version-error" error={error} />}
        </span>
      </div>
      <button type="submit" disabled={!component}>
        Upload
      </button>
      <Outcome done={done} error={at === "form" && error.message} />
    </form>
  );
}

/// Every leaf of a reading as `path → value`, so two readings compare field by field.
function leaves(value, path = "", into = new Map()) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value).map(([k, v]) => [path ? `.${k}` : k, v]);
    if (entries.length === 0) into.set(path, Array.isArray(value) ? "[]" : "{}");
    for (const [key, v] of entries) leaves(v, path + key, into);
  } else {
    into.set(path, value);
  }
  return into;
}

/// A value as the table shows it: absent and null alike are "—" (not read).
const shown = (v) => (v === undefined || v === null ? "—" : typeof v === "number" ? number(v) : String(v));
const read = (v) => v !== undefined && v !== null;

function Changes({ before, after }) {
  const old = leaves(before.reading);
  const now = leaves(after.reading);
  const paths = [...new Set([...old.keys(), ...now.keys()])].sort();
  const changed = paths.filter((p) => old.get(p) !== now.get(p));
  const by = (s) => `${s.name} ${s.version}`;
  return (
    <div aria-live="polite" id="reread-result">
      <p>
        Stored version {before.version}, read by {by(before.strategy)}; re-read now by {by(after.strategy)}:{" "}
        <strong>
          {changed.length === 0
            ? `no value changes (${number(paths.length)} fields read the same)`
            : `${number(changed.length)} of ${number(paths.length)} fields change`}
        </strong>
        . Nothing was stored.
      </p>
      {changed.length > 0 && (
        <table class="changes">
          <caption class="visually-hidden">Fields whose value changes</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Stored ({by(before.strategy)})</th>
              <th scope="col">Re-read ({by(after.strategy)})</th>
            </tr>
          </thead>
          <tbody>
            {changed.map((p) => (
              <tr>
                <td>
                  <code>{p}</code>
                </td>
                <td class={read(old.get(p)) ? "was" : "muted"}>{shown(old.get(p))}</td>
                <td class={read(now.get(p)) ? "now" : "muted"}>{shown(now.get(p))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Reread({ search, strategies, admin }) {
  const device = Number(search.get("device")) || null;
  const [devices, setDevices] = useState(null);
  const [chosen, setChosen] = useState(null);
  const [readings, setReadings] = useState(null);
  const [deviceError, setDeviceError] = useState(null);
  const [reading, setReading] = useState("");
  const [through, setThrough] = useState("");
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    get(`/api/v1/fleet${query({ sort: "model", limit: 200 })}`).then(
      (fleet) => setDevices(fleet.devices.map((r) => r.device)),
      (e) => setDeviceError(e.message),
    );
  }, []);
  useEffect(() => {
    setReadings(null);
    setChosen(null);
    setResult(null);
    setError(null);
    setDeviceError(null);
    if (!device) return;
    get(`/api/v1/devices/${device}`).then(setChosen, (e) =>
      setDeviceError(e.status === 404 ? "No such device among the accounts you see." : e.message),
    );
    get(`/api/v1/devices/${device}/readings${query({ limit: 20 })}`).then(
      (all) => {
        const kept = all.filter((r) => r["has-raw"]);
        setReadings(kept);
        setReading(kept[0] ? String(kept[0].id) : "");
        setThrough(kept[0]?.strategy.name ?? "");
      },
      () => setReadings([]),
    );
  }, [device]);

  const label = (d) => `${[d.manufacturer, d.model].filter(Boolean).join(" ") || `Device ${d.id}`}${d.serial ? ` · ${d.serial}` : ""}`;
  const before = readings?.find((r) => String(r.id) === reading);
  // A strategy's name alone (the reading's own) stands for the version in use.
  const chosenVersion = through.includes("@") ? through : strategies.find((s) => s.name === through && s.inUse)?.key ?? "";
  const reread = async (event) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    try {
      const [strategy, version] = chosenVersion.split("@");
      const path = `/api/v1/devices/${device}/readings/${reading}/reinterpret${query({ strategy, version })}`;
      setResult({ before, after: await call("POST", path) });
    } catch (e) {
      setError(e.message);
    }
  };

  return (
    <form class="stack" onSubmit={reread}>
      <p class="note">
        A reading keeps the exchange its read made, so a strategy can read it again without asking the printer: pick a
        device, one of its stored readings and the strategy version to read it through (the one in use, an earlier one or
        the built-in one), and see which values change. Nothing is stored.
      </p>
      <label for="reread-device">Device</label>
      <select id="reread-device" value={device ?? ""} aria-describedby={deviceError ? "reread-device-error" : undefined}
        onChange={(e) => navigate(`/strategies${query({ device: e.currentTarget.value })}`)}>
        <option value="">choose a device</option>
        {device && !devices?.some((d) => d.id === device) && <option value={device}>{chosen ? label(chosen) : `Device ${device}`}</option>}
        {(devices ?? []).map((d) => (
          <option value={d.id}>{label(d)}</option>
        ))}
      </select>
      {deviceError && (
        <span id="reread-device-error" class="field-error" role="alert">
          {deviceError}
        </span>
      )}
      {devices !== null && devices.length === 0 && !device && (
        <p class="empty">No device has been read yet: once an agent has read one, its stored readings can be re-read here.</p>
      )}
      {chosen && readings !== null && readings.length === 0 && (
        <p class="empty">This device has no stored reading with its exchange kept: readings made after the agent keeps exchanges can be re-read.</p>
      )}
      {chosen && readings?.length > 0 && (
        <>
          <label for="reread-reading">Stored reading</label>
          <select id="reread-reading" value={reading} onChange={(e) => { setReading(e.currentTarget.value); setResult(null); }}>
            {readings.map((r) => (
              <option value={r.id}>
                {instant(r["taken-at"])} · {r.cycle} · {r.strategy.name} {r.strategy.version} (version {r.version})
              </option>
            ))}
          </select>
          <label for="reread-strategy">Read it through</label>
          <select id="reread-strategy" value={chosenVersion} aria-describedby={error ? "reread-error" : undefined}
            onChange={(e) => { setThrough(e.currentTarget.value); setResult(null); }}>
            {strategies.map((s) => (
              <option value={s.key}>
                {s.name} {s.version} ({s.note})
              </option>
            ))}
          </select>
          {error && (
            <span id="reread-error" class="field-error" role="alert">
              {error}
            </span>
          )}
          <button type="submit" disabled={!reading || !chosenVersion || !admin} aria-describedby={admin ? undefined : "reread-admin"}>
            Re-read and compare
          </button>
          {!admin && (
            <span id="reread-admin" class="note">
              Only administrators re-read stored readings.
            </span>
          )}
          {result && <Changes before={result.before} after={result.after} />}
        </>
      )}
    </form>
  );
}

export function Strategies({ search }) {
  const [published, setPublished] = useState(null);
  const [builtIn, setBuiltIn] = useState(null);
  const [reads, setReads] = useState({});
  const [admin, setAdmin] = useState(false);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    get("/api/v1/me").then((me) => setAdmin(me.user.role === "administrator"), () => setAdmin(false));
  }, []);
  useEffect(() => {
    get("/api/v1/plugins").then(setPublished, (e) => setError(e.message));
    get("/api/v1/built-in-plugins").then(setBuiltIn, (e) => setError(e.message));
  }, [version]);
  const rows = published && builtIn ? installed(published, builtIn) : null;
  const strategyNames = (rows ?? []).filter((r) => r.kind === "strategy").map((r) => r.name).join(",");
  useEffect(() => {
    if (!strategyNames) return;
    for (const name of strategyNames.split(",")) {
      get(`/api/v1/fleet${query({ strategy: name, limit: 1 })}`).then(
        (fleet) => setReads((was) => ({ ...was, [name]: fleet.counts.devices })),
        () => setReads((was) => ({ ...was, [name]: 0 })),
      );
    }
  }, [strategyNames, version]);
  const strategies = (rows ?? []).filter((r) => r.kind === "strategy").flatMap(versionsOf);

  return (
    <main class="page">
      <h1>Strategies and plugins</h1>
      <Outcome error={error} />
      <section aria-labelledby="installed">
        <h2 id="installed">Installed</h2>
        {rows === null && !error && <Outcome loading />}
        {rows !== null && rows.length === 0 && (
          <p class="empty">No plugin is installed: upload a strategy's component below.</p>
        )}
        {rows !== null && rows.length > 0 && (
          <div class="scroll">
            <table class="plugins">
              <caption class="visually-hidden">Strategies, action and alert-logic plugins, the version of each in use</caption>
              <thead>
                <tr>
                  <th scope="col">Plugin</th>
                  <th scope="col">Version in use</th>
                  <th scope="col">Signature</th>
                  <th scope="col">Published</th>
                  <th scope="col">Other versions</th>
                  <th scope="col" class="num">Devices read</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <PluginRow row={row} reads={reads[row.name]} admin={admin} onRolledBack={() => setVersion((v) => v + 1)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {admin && (
        <section aria-labelledby="upload">
          <h2 id="upload">Upload a component</h2>
          <p class="note">
            A strategy, an action plugin or an alert-logic plugin (the server tells which from its world); it must be newer
            than the version in use, which the rollback button brings back.
          </p>
          <Upload onPublished={() => setVersion((v) => v + 1)} />
        </section>
      )}
      <section aria-labelledby="reread">
        <h2 id="reread">Re-read a device's stored readings</h2>
        <Reread search={search} strategies={strategies} admin={admin} />
      </section>
    </main>
  );
}
