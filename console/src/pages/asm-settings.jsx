// What an account's alerts run by: its contacts, a dealer's processing behaviour (who
// receives what), e-mail templates, alerts frequencies and part costs. Each list is read
// and saved whole, as the API replaces it; a refused row is marked beside its field.
import { useEffect, useState } from "preact/hooks";
import { ApiError, call, get, query } from "../api.js";
import { ListEditor } from "../list-editor.jsx";
import { navigate } from "../router.jsx";
import { CONTACT_ROLES, ROLES, UNITS, fieldErrors, useAccounts } from "./asm-common.jsx";
import { Outcome } from "../outcome.jsx";

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
  if (templates === null) return error ? <p class="field-error">{error.message}</p> : <Outcome loading />;
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
      <Outcome error={errors.rest} done={saved} />
    </form>
  );
}

const RULES = [
  ["dealer", "The dealer's own cost"],
  ["first-available-supplier", "The first supplier, by priority, that prices the part"],
  ["lowest-supplier", "The lowest cost among the suppliers by priority"],
];

/// The administrator's cost rule and the suppliers it ranks: read by everyone, set by
/// administrators, each refused supplier marked in its row.
function CostSetting({ suppliers, admin }) {
  const [setting, setSetting] = useState(null);
  const [rule, setRule] = useState("dealer");
  const [priority, setPriority] = useState([]);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const take = (s) => {
    setSetting(s);
    setRule(s.rule);
    setPriority(s["supplier-priority"].map(String));
  };
  useEffect(() => {
    get("/api/v1/asm/part-cost-setting").then(take, (e) => setError(new ApiError(e.status, e.message)));
  }, []);
  if (!setting) return error ? <p class="field-error">{error.message}</p> : null;
  const name = (id) => suppliers.find((s) => String(s.id) === String(id))?.name ?? `supplier ${id}`;
  if (!admin) {
    const words = RULES.find(([key]) => key === setting.rule)?.[1] ?? setting.rule;
    return (
      <p class="note">
        Alert e-mails quote: {words.toLowerCase()}
        {setting["supplier-priority"].length > 0 ? `; suppliers by priority: ${setting["supplier-priority"].map(name).join(", ")}` : ""}.
      </p>
    );
  }
  const errors = fieldErrors(error, ["rule", "supplier-priority", ...priority.map((_, i) => `supplier-priority[${i}]`)]);
  const unranked = suppliers.filter((s) => !priority.includes(String(s.id)));
  const save = async (event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      take(await call("PUT", "/api/v1/asm/part-cost-setting", { rule, "supplier-priority": priority.map(Number) }));
      setDone("Saved: alert e-mails quote part costs this way from now on.");
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    }
  };
  return (
    <form onSubmit={save} class="cost-setting" noValidate aria-labelledby="cost-setting">
      <h3 id="cost-setting">Which cost alert e-mails quote</h3>
      <div class="field">
        <label for="cost-rule">Quote</label>
        <select id="cost-rule" value={rule} onChange={(e) => setRule(e.currentTarget.value)} {...errors.props("rule", "cost-rule")}>
          {RULES.map(([key, words]) => (
            <option value={key}>{words}</option>
          ))}
        </select>
        {errors.text("rule", "cost-rule")}
      </div>
      <p class="note" id="priority-note">
        Suppliers by priority, highest first{rule === "dealer" ? " (used once a supplier rule is chosen)" : ""}:
      </p>
      {priority.length === 0 && <p class="note">None ranked yet.</p>}
      <ol class="rows">
        {priority.map((id, i) => (
          <li class="row-form">
            <div class="field">
              <label for={`priority-${i}`}>Priority {i + 1}</label>
              <select id={`priority-${i}`} value={id} onChange={(e) => setPriority(priority.map((p, j) => (j === i ? e.currentTarget.value : p)))}
                {...errors.props(`supplier-priority[${i}]`, `priority-${i}`)}>
                {suppliers.filter((s) => s.id === Number(id) || !priority.includes(String(s.id))).map((s) => (
                  <option value={s.id}>{s.name}</option>
                ))}
              </select>
            </div>
            <button type="button" class="quiet-dark" onClick={() => setPriority(priority.filter((_, j) => j !== i))}>
              Remove<span class="visually-hidden"> {name(id)} from the priority</span>
            </button>
            {errors.text(`supplier-priority[${i}]`, `priority-${i}`)}
          </li>
        ))}
      </ol>
      <div class="actions">
        {unranked.length > 0 && (
          <button type="button" class="quiet-dark" onClick={() => setPriority([...priority, String(unranked[0].id)])}>
            Rank another supplier
          </button>
        )}
        <button type="submit">Save where costs come from</button>
      </div>
      <Outcome error={errors.rest} done={done} />
    </form>
  );
}

/// A supplier to add, refused beside its name (empty, too long, or taken).
function NewSupplier({ onAdded }) {
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  const errors = fieldErrors(error, ["name"]);
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    try {
      const supplier = await call("POST", "/api/v1/asm/suppliers", { name });
      setName("");
      onAdded(supplier);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    }
  };
  return (
    <form onSubmit={submit} class="grid-fields" noValidate aria-labelledby="new-supplier">
      <h3 id="new-supplier" class="visually-hidden">
        Add a supplier
      </h3>
      <div class="field">
        <label for="supplier-name">New supplier's name</label>
        <input id="supplier-name" value={name} onInput={(e) => setName(e.currentTarget.value)} {...errors.props("name", "supplier-name")} />
        {errors.text("name", "supplier-name")}
      </div>
      <button type="submit">Add supplier</button>
      <Outcome error={errors.rest} />
    </form>
  );
}

/// The suppliers every dealer's alerts may quote, each with its price list: administrators
/// add suppliers, edit their price lists and choose where costs come from.
function Suppliers({ admin }) {
  const [suppliers, setSuppliers] = useState(null);
  const [error, setError] = useState(null);
  const [chosen, setChosen] = useState(null);
  const [added, setAdded] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    get("/api/v1/asm/suppliers").then(setSuppliers, (e) => setError(e.message));
  }, [version]);
  if (error) {
    return <Outcome error={error} />;
  }
  if (suppliers === null) return <Outcome loading />;
  const supplier = suppliers.find((s) => s.id === chosen) ?? suppliers[0] ?? null;
  return (
    <>
      {suppliers.length === 0 && (
        <p class="empty">
          No supplier yet{admin ? ": add one to keep its price list here." : ": an administrator adds the suppliers whose price lists alert e-mails can quote."}
        </p>
      )}
      {admin && (
        <NewSupplier
          onAdded={(s) => {
            setChosen(s.id);
            setAdded(`Added ${s.name}: give it its price list below.`);
            setVersion((v) => v + 1);
          }}
        />
      )}
      <Outcome done={added} />
      {supplier && (
        <>
          <div class="filters">
            <label for="supplier">Price list of</label>
            <select id="supplier" value={supplier.id} onChange={(e) => setChosen(Number(e.currentTarget.value))}>
              {suppliers.map((s) => (
                <option value={s.id}>{s.name}</option>
              ))}
            </select>
          </div>
          {admin ? (
            <ListEditor
              key={supplier.id}
              id="supplier-part-costs"
              path={`/api/v1/asm/suppliers/${supplier.id}/part-costs`}
              columns={[
                { key: "part", label: "Part number", field: "part-number" },
                { key: "cost", label: "Cost", field: "cost" },
              ]}
              blankRow={() => ({ part: "", cost: "" })}
              fromBody={(list) => list.map((p) => ({ part: p["part-number"], cost: p.cost }))}
              toBody={(rows) => rows.map((r) => ({ "part-number": r.part, cost: r.cost }))}
              empty={`${supplier.name} prices no part yet: add a row per part number.`}
            />
          ) : (
            <SupplierPrices supplier={supplier} />
          )}
        </>
      )}
      <CostSetting suppliers={suppliers} admin={admin} />
    </>
  );
}

/// A supplier's price list, to read.
function SupplierPrices({ supplier }) {
  const [rows, setRows] = useState(null);
  useEffect(() => {
    setRows(null);
    get(`/api/v1/asm/suppliers/${supplier.id}/part-costs`).then(setRows, () => setRows([]));
  }, [supplier.id]);
  if (rows === null) return <Outcome loading />;
  if (rows.length === 0) return <p class="note">{supplier.name} prices no part yet.</p>;
  return (
    <table class="compact">
      <thead>
        <tr>
          <th scope="col">Part number</th>
          <th scope="col">Cost</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td>{r["part-number"]}</td>
            <td>{r.cost}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Settings({ search }) {
  const [accounts, error] = useAccounts();
  const [me, setMe] = useState(null);
  useEffect(() => {
    get("/api/v1/me").then(setMe, () => setMe(null));
  }, []);
  if (error) {
    return <Outcome error={error} />;
  }
  if (accounts === null) return <Outcome loading />;
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
          <h2 id="part-costs">Part costs of this dealer</h2>
          <PartCosts account={account} />
        </section>
      )}
      {me && (
        <section aria-labelledby="suppliers">
          <h2 id="suppliers">Suppliers and where quoted costs come from</h2>
          <Suppliers admin={me.user.role === "administrator"} />
        </section>
      )}
    </>
  );
}
