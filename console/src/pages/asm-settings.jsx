// What an account's alerts run by: its contacts, a dealer's processing behaviour (who
// receives what), e-mail templates, alerts frequencies and part costs. Each list is read
// and saved whole, as the API replaces it; a refused row is marked beside its field.
import { useEffect, useState } from "preact/hooks";
import { ApiError, call, get, query } from "../api.js";
import { navigate } from "../router.jsx";
import { CONTACT_ROLES, ROLES, UNITS, fieldErrors, useAccounts } from "./asm-common.jsx";

/// A list the API replaces whole: a table of rows to edit, add and remove, saved with one
/// PUT. `columns` are `{key, label, field, type, options}` (type `shown` only shows it), `field` being the API's name
/// of the row's part the column edits (`[2].email`); `place` turns an API error's field
/// into the row and column it is about, where the list sent is not the rows shown.
function ListEditor({ id, path, columns, blankRow, toBody, fromBody, place = (field) => field, empty }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  const [loadError, setLoadError] = useState(null);
  useEffect(() => {
    setRows(null);
    setError(null);
    setSaved(null);
    get(path).then(
      (body) => setRows(fromBody(body)),
      (e) => setLoadError(e.message),
    );
  }, [path]);
  if (loadError) {
    return (
      <p class="field-error" role="alert">
        {loadError}
      </p>
    );
  }
  if (rows === null) return <p aria-live="polite">Loading…</p>;
  const keys = rows.flatMap((_, i) => [`[${i}]`, ...columns.map((c) => `[${i}].${c.field}`)]);
  const placed = error ? new ApiError(error.status, error.message, error.field && place(error.field)) : null;
  const errors = fieldErrors(placed, keys);
  const set = (index, change) => setRows(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  const save = async (event) => {
    event.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const body = await call("PUT", path, toBody(rows));
      setRows(fromBody(body));
      setSaved("Saved.");
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    }
  };
  return (
    <form onSubmit={save} class="list-editor" noValidate>
      {rows.length === 0 && <p class="note">{empty}</p>}
      {rows.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th scope="col">{c.label}</th>
                ))}
                <th scope="col">
                  <span class="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr>
                  {columns.map((c) => {
                    const control = `${id}-${i}-${c.key}`;
                    const key = `[${i}].${c.field}`;
                    const common = {
                      id: control,
                      "aria-label": `${c.label}, row ${i + 1}`,
                      ...errors.props(key, control),
                    };
                    return (
                      <td>
                        {c.type === "shown" ? (
                          row[c.key] || "—"
                        ) : c.type === "select" ? (
                          <select {...common} value={row[c.key]} onChange={(e) => set(i, { [c.key]: e.currentTarget.value })}>
                            {c.options.map(([value, words]) => (
                              <option value={value}>{words}</option>
                            ))}
                          </select>
                        ) : (
                          <input {...common} type={c.type ?? "text"} class={c.type === "number" ? "short" : undefined} value={row[c.key]}
                            onInput={(e) => set(i, { [c.key]: e.currentTarget.value })} />
                        )}
                        {errors.text(key, control)}
                      </td>
                    );
                  })}
                  <td>
                    <button type="button" class="quiet-dark" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                      Remove<span class="visually-hidden"> row {i + 1}</span>
                    </button>
                    {errors.text(`[${i}]`, `${id}-${i}`)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="actions">
        <button type="button" class="quiet-dark" onClick={() => setRows([...rows, blankRow()])}>
          Add a row<span class="visually-hidden"> to {id.replace(/-/g, " ")}</span>
        </button>
        <button type="submit">
          Save<span class="visually-hidden"> {id.replace(/-/g, " ")}</span>
        </button>
      </div>
      {errors.rest && (
        <p class="field-error" role="alert">
          {errors.rest}
        </p>
      )}
      {saved && (
        <p class="done" role="status">
          {saved}
        </p>
      )}
    </form>
  );
}

function Contacts({ account }) {
  return (
    <ListEditor
      id="contacts"
      path={`/api/v1/accounts/${account}/contacts`}
      columns={[
        { key: "role", label: "Role", field: "role", type: "select", options: CONTACT_ROLES },
        { key: "name", label: "Name", field: "name" },
        { key: "email", label: "E-mail", field: "email", type: "email" },
        { key: "id", label: "Number", field: "id", type: "shown" },
      ]}
      blankRow={() => ({ role: "", name: "", email: "", id: "" })}
      fromBody={(list) => list.map((c) => ({ role: c.role ?? "", name: c.name, email: c.email, id: String(c.id) }))}
      toBody={(rows) => rows.map((r) => ({ role: r.role || null, name: r.name, email: r.email }))}
      empty="No contact yet: add the dealer's five primary contacts (or the account's primary one) so alerts reach someone."
    />
  );
}

const RECIPIENTS = [
  ...ROLES.map((r) => [`primary-dealer-contact:${r}`, `Dealer's ${r} contact`]),
  ["primary-account-contact", "Account's primary contact"],
  ["dealer-alternate-contact", "Dealer's alternate contact (number)"],
  ["account-alternate-contact", "Account's alternate contact (number)"],
  ["custom", "This address"],
];

function recipientRow(resultType, recipient) {
  if (recipient === "primary-account-contact") return { resultType, recipient, value: "" };
  const [kind, value] = Object.entries(recipient)[0];
  if (kind === "primary-dealer-contact") return { resultType, recipient: `${kind}:${value}`, value: "" };
  return { resultType, recipient: kind, value: String(value) };
}

function recipientBody(row) {
  if (row.recipient === "primary-account-contact") return row.recipient;
  const [kind, role] = row.recipient.split(":");
  if (role) return { [kind]: role };
  if (kind === "custom") return { custom: row.value };
  return { [kind]: row.value === "" ? null : Number(row.value) };
}

/// The behaviours grouped by result type, in the order of their first row.
function behaviourBody(rows) {
  const groups = [];
  for (const row of rows) {
    let group = groups.find((g) => g["result-type"] === row.resultType);
    if (!group) {
      group = { "result-type": row.resultType, recipients: [] };
      groups.push(group);
    }
    group.recipients.push(recipientBody(row));
  }
  return groups;
}

function Behaviours({ account }) {
  const [rows, setRows] = useState([]);
  /// `[g].recipients[k]` is the k-th row of group g's result type.
  const place = (field) => {
    const found = field.match(/^\[(\d+)\]\.([a-z-]+)(?:\[(\d+)\])?/);
    if (!found) return field;
    const group = behaviourBody(rows)[Number(found[1])];
    if (!group) return field;
    const members = rows.map((r, i) => [r, i]).filter(([r]) => r.resultType === group["result-type"]);
    const row = members[Number(found[3] ?? 0)]?.[1] ?? members[0]?.[1];
    return `[${row}].${found[2] === "result-type" ? "result-type" : "recipients"}`;
  };
  return (
    <ListEditor
      id="processing-behaviour"
      path={`/api/v1/accounts/${account}/processing-behaviours`}
      columns={[
        { key: "resultType", label: "Result type", field: "result-type" },
        { key: "recipient", label: "Recipient", field: "recipients", type: "select", options: RECIPIENTS },
        { key: "value", label: "Contact number or address", field: "recipients" },
      ]}
      blankRow={() => ({ resultType: "email", recipient: "primary-dealer-contact:supplies", value: "" })}
      fromBody={(list) => {
        const flat = list.flatMap((b) => b.recipients.map((r) => recipientRow(b["result-type"], r)));
        setRows(flat);
        return flat;
      }}
      toBody={(shown) => {
        setRows(shown);
        return behaviourBody(shown);
      }}
      place={place}
      empty="No processing behaviour: add a row per recipient, in order, for each result type (email) this dealer's alerts produce."
    />
  );
}

function Frequencies({ account }) {
  return (
    <ListEditor
      id="alert-frequencies"
      path={`/api/v1/accounts/${account}/alert-frequencies`}
      columns={[
        { key: "resultType", label: "Result type", field: "result-type" },
        { key: "value", label: "At most once every", field: "interval", type: "number" },
        { key: "unit", label: "Unit", field: "interval", type: "select", options: UNITS.map((u) => [u, u]) },
      ]}
      blankRow={() => ({ resultType: "email", value: "1", unit: "days" })}
      fromBody={(list) => list.map((f) => ({ resultType: f["result-type"], value: String(f.interval.value), unit: f.interval.unit }))}
      toBody={(rows) => rows.map((r) => ({ "result-type": r.resultType, interval: { value: Number(r.value), unit: r.unit } }))}
      empty="No frequency set: each action runs as soon as it is due."
    />
  );
}

function PartCosts({ account }) {
  return (
    <ListEditor
      id="part-costs"
      path={`/api/v1/accounts/${account}/part-costs`}
      columns={[
        { key: "part", label: "Part number", field: "part-number" },
        { key: "cost", label: "Cost", field: "cost" },
      ]}
      blankRow={() => ({ part: "", cost: "" })}
      fromBody={(list) => list.map((p) => ({ part: p["part-number"], cost: p.cost }))}
      toBody={(rows) => rows.map((r) => ({ "part-number": r.part, cost: r.cost }))}
      empty="No part cost of this dealer's own: alert e-mails show the suppliers' cost, or none."
    />
  );
}

const KIND_WORDS = { "consumable-alert": "Consumable alert", "service-alert": "Service alert", redirect: "Redirected e-mail" };

function Templates({ account, accounts }) {
  const path = `/api/v1/accounts/${account}/email-templates`;
  const [templates, setTemplates] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(null);
  useEffect(() => {
    setTemplates(null);
    get(path).then(setTemplates, (e) => setError(new ApiError(e.status, e.message)));
  }, [path]);
  if (templates === null) return error ? <p class="field-error">{error.message}</p> : <p aria-live="polite">Loading…</p>;
  /// Sent: the kinds this dealer owns or whose text was changed here.
  const own = templates.filter((t) => t.edited || (t.source.from === "dealer" && t.source.dealer === account));
  const errors = fieldErrors(
    error?.field ? new ApiError(error.status, error.message, error.field.replace(/^\[(\d+)\]/, (_, i) => `[${templates.indexOf(own[Number(i)])}]`)) : error,
    templates.flatMap((_, i) => [`[${i}]`, `[${i}].subject`, `[${i}].body`]),
  );
  const set = (index, change) => setTemplates(templates.map((t, i) => (i === index ? { ...t, ...change, edited: true } : t)));
  const source = (t) =>
    t.source.from === "built-in" ? "Quire's built-in wording" : t.source.dealer === account ? "this dealer's own" : `${accounts.find((a) => a.id === t.source.dealer)?.name ?? "a dealer above"}'s`;
  const save = async (event) => {
    event.preventDefault();
    setError(null);
    setSaved(null);
    try {
      setTemplates(await call("PUT", path, own.map((t) => ({ kind: t.kind, subject: t.subject, body: t.body }))));
      setSaved("Saved: these are now this dealer's own templates.");
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    }
  };
  return (
    <form onSubmit={save} class="templates" noValidate>
      {templates.map((t, i) => (
        <fieldset>
          <legend>
            {KIND_WORDS[t.kind] ?? t.kind} <span class="muted small">({source(t)})</span>
          </legend>
          <label for={`template-${i}-subject`}>Subject</label>
          <input id={`template-${i}-subject`} value={t.subject} onInput={(e) => set(i, { subject: e.currentTarget.value })}
            {...errors.props(`[${i}].subject`, `template-${i}-subject`)} />
          {errors.text(`[${i}].subject`, `template-${i}-subject`)}
          <label for={`template-${i}-body`}>Body</label>
          <textarea id={`template-${i}-body`} rows="6" value={t.body} onInput={(e) => set(i, { body: e.currentTarget.value })}
            {...errors.props(`[${i}].body`, `template-${i}-body`)} />
          {errors.text(`[${i}].body`, `template-${i}-body`)}
          {errors.text(`[${i}]`, `template-${i}`)}
        </fieldset>
      ))}
      <button type="submit">Save as this dealer's own templates</button>
      {errors.rest && (
        <p class="field-error" role="alert">
          {errors.rest}
        </p>
      )}
      {saved && (
        <p class="done" role="status">
          {saved}
        </p>
      )}
    </form>
  );
}

/// The administrator's cost rule and the suppliers it ranks, to read.
function CostSetting() {
  const [setting, setSetting] = useState(null);
  const [suppliers, setSuppliers] = useState(null);
  useEffect(() => {
    get("/api/v1/asm/part-cost-setting").then(setSetting, () => setSetting(null));
    get("/api/v1/asm/suppliers").then(setSuppliers, () => setSuppliers(null));
  }, []);
  if (!setting) return null;
  const rule = { dealer: "the dealer's own cost", "first-available-supplier": "the first supplier, by priority, that prices the part", "lowest-supplier": "the lowest supplier's cost" }[setting.rule];
  const name = (id) => suppliers?.find((s) => s.id === id)?.name ?? `supplier ${id}`;
  return (
    <p class="note">
      Alert e-mails quote {rule ?? setting.rule}
      {setting["supplier-priority"].length > 0 ? `; suppliers by priority: ${setting["supplier-priority"].map(name).join(", ")}` : ""}.
    </p>
  );
}

export function Settings({ search }) {
  const [accounts, error] = useAccounts();
  if (error) {
    return (
      <p class="field-error" role="alert">
        {error}
      </p>
    );
  }
  if (accounts === null) return <p aria-live="polite">Loading…</p>;
  if (accounts.length === 0) return <p class="empty">You see no account: an administrator gives your user its accounts.</p>;
  const account = Number(search.get("account")) || accounts[0].id;
  const chosen = accounts.find((a) => a.id === account);
  if (!chosen) {
    return (
      <p class="field-error" role="alert">
        No such account among the accounts you see.
      </p>
    );
  }
  return (
    <>
      <div class="filters">
        <label for="settings-account">Account</label>
        <select id="settings-account" value={account} onChange={(e) => navigate(`/asm/settings${query({ account: e.currentTarget.value })}`)}>
          {accounts.map((a) => (
            <option value={a.id}>
              {a.name}
              {a["is-dealer"] ? " (dealer)" : ""}
            </option>
          ))}
        </select>
      </div>
      <section aria-labelledby="contacts">
        <h2 id="contacts">Contacts</h2>
        <Contacts account={account} />
      </section>
      {chosen["is-dealer"] && (
        <section aria-labelledby="behaviour">
          <h2 id="behaviour">Processing behaviour</h2>
          <p class="note">Who receives each result type's alerts, in order; the first valid one is used, else the dealer's admin.</p>
          <Behaviours account={account} />
        </section>
      )}
      {chosen["is-dealer"] && (
        <section aria-labelledby="templates">
          <h2 id="templates">E-mail templates</h2>
          <Templates account={account} accounts={accounts} />
        </section>
      )}
      <section aria-labelledby="frequencies">
        <h2 id="frequencies">Alerts frequencies</h2>
        <Frequencies account={account} />
      </section>
      {chosen["is-dealer"] && (
        <section aria-labelledby="part-costs">
          <h2 id="part-costs">Part costs</h2>
          <CostSetting />
          <PartCosts account={account} />
        </section>
      )}
    </>
  );
}
