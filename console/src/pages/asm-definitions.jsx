// ASM alert definitions: the list, with each one's filters drawn as the groups the server
// reads them in, and the form that defines or changes one.
import { useEffect, useState } from "preact/hooks";
import { ApiError, call, get, query } from "../api.js";
import { instant } from "../format.js";
import { Link, navigate } from "../router.jsx";
import {
  CONSUMABLES,
  ERROR_GROUPS,
  UNITS,
  accountName,
  fieldErrors,
  interval,
  triggerWords,
  useAccounts,
} from "./asm-common.jsx";
import { Outcome } from "../outcome.jsx";

const JOINERS = [
  ["and", "AND"],
  ["or", "OR"],
  ["and-not", "AND NOT"],
];

const MANAGED = [
  ["both", "Managed or not"],
  ["managed", "Managed only"],
  ["non-managed", "Non-managed only"],
];

const METHODS = [
  ["all", "Every device", null],
  ["manufacturer", "Manufacturer is", "text"],
  ["model", "Model is", "text"],
  ["model-family", "Model family is", "text"],
  ["custom-model", "Custom model is", "text"],
  ["contract-type", "Contract type is", "text"],
  ["contract", "Contract number is", "id"],
  ["account", "Account number is", "id"],
  ["group", "Group (site) number is", "id"],
  ["daily-average-volume", "Daily volume", "volume"],
  ["monthly-average-volume", "Monthly volume", "volume"],
];

const COMPARISONS = [
  ["at-least", "at least"],
  ["at-most", "at most"],
  ["between", "between"],
];

const KINDS = [
  ["email", "E-mail"],
  ["webhook", "Webhook"],
  ["plugin", "Plugin"],
  ["work-order", "Work order"],
];

const number = (text) => (text === "" || text === null || text === undefined ? null : Number(text));

const newFilter = () => ({ joiner: "and", managed: "both", method: "manufacturer", value: "", comparison: "at-least", low: "", high: "" });

const newAction = (id) => ({
  id,
  kind: "email",
  resultType: "email",
  endpoint: "",
  plugin: "",
  approval: true,
  timing: "immediate",
  from: "first-trigger",
  attempts: "3",
});

const blank = () => ({
  owner: "",
  name: "",
  hierarchical: true,
  kind: "consumable",
  consumable: "toner",
  custom: "",
  threshold: "20",
  states: [{ state: "", group: "paper" }],
  consoleMessage: "",
  overdue: { value: "7", unit: "days" },
  stale: { value: "7", unit: "days" },
  filters: [],
  actions: [newAction(1)],
});

/// The form's state from a stored definition.
function fromDefinition(view) {
  const d = view.definition;
  const form = { ...blank(), owner: String(view["account-id"]), name: d.name, hierarchical: d.hierarchical };
  if (d.trigger.consumable) {
    const c = d.trigger.consumable;
    form.kind = "consumable";
    form.consumable = typeof c.consumable === "object" ? "custom" : c.consumable;
    form.custom = typeof c.consumable === "object" ? c.consumable.custom : "";
    form.threshold = String(c["threshold-percent"]);
  } else {
    form.kind = "service";
    form.states = d.trigger.service.states.map((s) => ({ ...s }));
    form.consoleMessage = d.trigger.service["console-message"] ?? "";
  }
  form.overdue = { value: String(d.overdue.value), unit: d.overdue.unit };
  form.stale = { value: String(d.stale.value), unit: d.stale.unit };
  form.filters = d.filters.map((f) => {
    const row = { ...newFilter(), joiner: f.joiner, managed: f.managed };
    if (typeof f.method === "string") return { ...row, method: f.method };
    const [method, value] = Object.entries(f.method)[0];
    if (typeof value !== "object") return { ...row, method, value: String(value) };
    const [comparison, bound] = Object.entries(value)[0];
    if (comparison === "between") return { ...row, method, comparison, low: String(bound.low), high: String(bound.high) };
    return { ...row, method, comparison, [comparison === "at-least" ? "low" : "high"]: String(bound) };
  });
  form.actions = [...d.actions]
    .sort((a, b) => a.ordinal - b.ordinal)
    .map((a) => {
      const kind = typeof a.kind === "string" ? a.kind : Object.keys(a.kind)[0];
      return {
        id: a.id,
        kind,
        resultType: a["result-type"],
        endpoint: a.kind.webhook ? String(a.kind.webhook["endpoint-id"] ?? "") : "",
        plugin: a.kind.plugin ?? "",
        approval: a["requires-approval"],
        timing: a.timing === "immediate" ? "immediate" : "on-overdue",
        from: a.timing["on-overdue"]?.from ?? "first-trigger",
        attempts: String(a["max-attempts"]),
      };
    });
  return form;
}

function filterMethod(f) {
  const shape = METHODS.find(([key]) => key === f.method)?.[2];
  if (shape === null) return f.method;
  if (shape === "text") return { [f.method]: f.value };
  if (shape === "id") return { [f.method]: number(f.value) };
  const bound =
    f.comparison === "between"
      ? { between: { low: number(f.low), high: number(f.high) } }
      : { [f.comparison]: number(f.comparison === "at-least" ? f.low : f.high) };
  return { [f.method]: bound };
}

function actionKind(a) {
  if (a.kind === "webhook") return { webhook: { "endpoint-id": number(a.endpoint) } };
  if (a.kind === "plugin") return { plugin: a.plugin };
  return a.kind;
}

/// The API's body of the form.
function toBody(form) {
  const trigger =
    form.kind === "consumable"
      ? {
          consumable: {
            consumable: form.consumable === "custom" ? { custom: form.custom } : form.consumable,
            "threshold-percent": number(form.threshold),
          },
        }
      : { service: { states: form.states, "console-message": form.consoleMessage.trim() || null } };
  return {
    "owner-account-id": number(form.owner),
    name: form.name,
    hierarchical: form.hierarchical,
    trigger,
    overdue: { value: number(form.overdue.value), unit: form.overdue.unit },
    stale: { value: number(form.stale.value), unit: form.stale.unit },
    filters: form.filters.map((f) => ({ joiner: f.joiner, managed: f.managed, method: filterMethod(f) })),
    actions: form.actions.map((a, index) => ({
      id: a.id,
      ordinal: index + 1,
      kind: actionKind(a),
      "result-type": a.resultType,
      "requires-approval": a.approval,
      timing: a.timing === "immediate" ? "immediate" : { "on-overdue": { from: a.from } },
      "max-attempts": number(a.attempts),
    })),
  };
}

/// A filter in words: `Kyocera (manufacturer), managed only`.
function filterWords(filter) {
  const managed = filter.managed === "both" ? "" : `, ${MANAGED.find(([k]) => k === filter.managed)[1].toLowerCase()}`;
  if (typeof filter.method === "string") return `every device${managed}`;
  const [method, value] = Object.entries(filter.method)[0];
  const label = METHODS.find(([key]) => key === method)?.[1] ?? method;
  if (typeof value !== "object") return `${label} ${value}${managed}`;
  const [comparison, bound] = Object.entries(value)[0];
  const words = comparison === "between" ? `between ${bound.low} and ${bound.high}` : `${comparison.replace("-", " ")} ${bound}`;
  return `${label} ${words}${managed}`;
}

/// The filters as the groups the server reads them in: its `filter-grouping`
/// (`(F1) AND (F2 OR F3)`) with each filter named.
export function FilterGroups({ view }) {
  const filters = view.definition.filters;
  if (filters.length === 0) return <span class="muted">every device</span>;
  const parts = view["filter-grouping"].split(/(\([^)]*\))/).filter((part) => part.trim() !== "");
  return (
    <span class="filter-groups" aria-label={`Filters grouped: ${view["filter-grouping"]}`}>
      {parts.map((part) => {
        if (!part.startsWith("(")) return <strong class="joiner">{part.trim()}</strong>;
        const members = part.slice(1, -1).split(/ (AND NOT|AND|OR) /);
        return (
          <span class="group">
            {members.map((member, i) =>
              i % 2 === 1 ? (
                <strong class="joiner">{member}</strong>
              ) : (
                <span class="filter">{filterWords(filters[Number(member.slice(1)) - 1])}</span>
              ),
            )}
          </span>
        );
      })}
    </span>
  );
}

function actionWords(a) {
  const kind = typeof a.kind === "string" ? a.kind : Object.keys(a.kind)[0];
  const name = KINDS.find(([key]) => key === kind)?.[1] ?? kind;
  const detail = a.kind.plugin ? ` “${a.kind.plugin}”` : a.kind.webhook ? ` to endpoint ${a.kind.webhook["endpoint-id"]}` : "";
  const when =
    a.timing === "immediate" ? "at once" : `when overdue from ${a.timing["on-overdue"].from === "approval" ? "approval" : "first trigger"}`;
  return `${name}${detail}, ${when}${a["requires-approval"] ? ", needs approval" : ""}`;
}

export function DefinitionList() {
  const [accounts] = useAccounts();
  const [definitions, setDefinitions] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get(`/api/v1/asm/definitions${query({ limit: 1000 })}`).then(setDefinitions, (e) => setError(e.message));
  }, []);
  const dealer = (accounts ?? []).some((a) => a["is-dealer"]);
  return (
    <section aria-labelledby="definitions">
      <h2 id="definitions">Alert definitions</h2>
      <Outcome error={error} />
      {dealer && (
        <p>
          <Link href="/asm/definitions/new" class="button-link">
            Define an alert
          </Link>
        </p>
      )}
      {definitions !== null && definitions.length === 0 && (
        <p class="empty">
          {dealer
            ? "No alert defined yet: define a consumable alert (a supply below a threshold) or a service alert (printer error states) to start."
            : "No alert defined for your accounts: your dealer defines them."}
        </p>
      )}
      {definitions !== null && definitions.length > 0 && (
        <div class="scroll">
          <table class="definitions">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Triggers on</th>
                <th scope="col">Filters</th>
                <th scope="col">Actions, in order</th>
                <th scope="col">Overdue / stale</th>
                <th scope="col">Owner</th>
              </tr>
            </thead>
            <tbody>
              {definitions.map((view) => (
                <tr>
                  <td>
                    <Link href={`/asm/definitions/${view.id}`}>{view.definition.name}</Link>
                  </td>
                  <td>{triggerWords(view.definition.trigger)}</td>
                  <td>
                    <FilterGroups view={view} />
                  </td>
                  <td>
                    <ol class="compact-list">
                      {[...view.definition.actions]
                        .sort((a, b) => a.ordinal - b.ordinal)
                        .map((a) => (
                          <li>{actionWords(a)}</li>
                        ))}
                    </ol>
                  </td>
                  <td>
                    {interval(view.definition.overdue)} / {interval(view.definition.stale)}
                  </td>
                  <td>
                    {accountName(accounts, view["account-id"])}
                    {view.definition.hierarchical ? " and below" : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/// The keys of the form's fields, as the API names them, for placing its errors.
function fieldKeys(form) {
  const keys = ["owner-account-id", "owner", "name", "hierarchical", "trigger", "trigger.consumable", "trigger.threshold-percent"];
  keys.push("trigger.states", "trigger.console-message", "overdue", "overdue.value", "stale", "stale.value", "filters", "actions");
  form.states.forEach((_, i) => keys.push(`trigger.states[${i}]`, `trigger.states[${i}].state`));
  form.filters.forEach((_, i) => keys.push(`filters[${i}]`, `filters[${i}].method`));
  form.actions.forEach((_, i) => {
    keys.push(`actions[${i}]`, `actions[${i}].kind`, `actions[${i}].result-type`, `actions[${i}].max-attempts`, `actions[${i}].timing`);
  });
  return keys;
}

function FilterRow({ filter, index, set, remove, errors }) {
  const shape = METHODS.find(([key]) => key === filter.method)?.[2];
  const id = `filter-${index}`;
  return (
    <li class="row-form">
      {index === 0 ? (
        <span class="joiner-first">Devices where</span>
      ) : (
        <span class="field">
          <label for={`${id}-joiner`}>Operator</label>
          <select id={`${id}-joiner`} value={filter.joiner} onChange={(e) => set({ joiner: e.currentTarget.value })}>
            {JOINERS.map(([key, words]) => (
              <option value={key}>{words}</option>
            ))}
          </select>
        </span>
      )}
      <span class="field">
        <label for={`${id}-managed`}>Managed</label>
        <select id={`${id}-managed`} value={filter.managed} onChange={(e) => set({ managed: e.currentTarget.value })}>
          {MANAGED.map(([key, words]) => (
            <option value={key}>{words}</option>
          ))}
        </select>
      </span>
      <span class="field">
        <label for={`${id}-method`}>Filter {index + 1}</label>
        <select id={`${id}-method`} value={filter.method} onChange={(e) => set({ method: e.currentTarget.value })}
          {...errors.props(`filters[${index}].method`, `${id}-method`)}>
          {METHODS.map(([key, words]) => (
            <option value={key}>{words}</option>
          ))}
        </select>
      </span>
      {(shape === "text" || shape === "id") && (
        <span class="field">
          <label for={`${id}-value`}>Value</label>
          <input id={`${id}-value`} type={shape === "id" ? "number" : "text"} value={filter.value}
            onInput={(e) => set({ value: e.currentTarget.value })} {...errors.props(`filters[${index}].method`, `${id}-method`)} />
        </span>
      )}
      {shape === "volume" && (
        <>
          <span class="field">
            <label for={`${id}-comparison`}>Pages</label>
            <select id={`${id}-comparison`} value={filter.comparison} onChange={(e) => set({ comparison: e.currentTarget.value })}>
              {COMPARISONS.map(([key, words]) => (
                <option value={key}>{words}</option>
              ))}
            </select>
          </span>
          {filter.comparison !== "at-most" && (
            <span class="field">
              <label for={`${id}-low`}>{filter.comparison === "between" ? "From" : "Pages"}</label>
              <input id={`${id}-low`} type="number" min="0" value={filter.low} onInput={(e) => set({ low: e.currentTarget.value })} />
            </span>
          )}
          {filter.comparison !== "at-least" && (
            <span class="field">
              <label for={`${id}-high`}>{filter.comparison === "between" ? "To" : "Pages"}</label>
              <input id={`${id}-high`} type="number" min="0" value={filter.high} onInput={(e) => set({ high: e.currentTarget.value })} />
            </span>
          )}
        </>
      )}
      <button type="button" class="quiet-dark" onClick={remove}>
        Remove<span class="visually-hidden"> filter {index + 1}</span>
      </button>
      {errors.text(`filters[${index}].method`, `${id}-method`)}
      {errors.text(`filters[${index}]`, id)}
    </li>
  );
}

function ActionRow({ action, index, count, set, move, remove, errors }) {
  const id = `action-${index}`;
  return (
    <li class="row-form">
      <span class="field">
        <label for={`${id}-kind`}>Action {index + 1}</label>
        <select id={`${id}-kind`} value={action.kind} onChange={(e) => set({ kind: e.currentTarget.value })}
          {...errors.props(`actions[${index}].kind`, `${id}-kind`)}>
          {KINDS.map(([key, words]) => (
            <option value={key}>{words}</option>
          ))}
        </select>
      </span>
      {action.kind === "webhook" && (
        <span class="field">
          <label for={`${id}-endpoint`}>Endpoint number</label>
          <input id={`${id}-endpoint`} type="number" value={action.endpoint} onInput={(e) => set({ endpoint: e.currentTarget.value })}
            {...errors.props(`actions[${index}].kind`, `${id}-kind`)} />
        </span>
      )}
      {action.kind === "plugin" && (
        <span class="field">
          <label for={`${id}-plugin`}>Plugin</label>
          <input id={`${id}-plugin`} value={action.plugin} onInput={(e) => set({ plugin: e.currentTarget.value })}
            {...errors.props(`actions[${index}].kind`, `${id}-kind`)} />
        </span>
      )}
      <span class="field">
        <label for={`${id}-result`}>Result type</label>
        <input id={`${id}-result`} value={action.resultType} size="10" onInput={(e) => set({ resultType: e.currentTarget.value })}
          {...errors.props(`actions[${index}].result-type`, `${id}-result`)} />
      </span>
      <span class="field">
        <label for={`${id}-timing`}>When</label>
        <select id={`${id}-timing`} value={action.timing === "immediate" ? "immediate" : action.from}
          onChange={(e) => {
            const value = e.currentTarget.value;
            set(value === "immediate" ? { timing: "immediate" } : { timing: "on-overdue", from: value });
          }}
          {...errors.props(`actions[${index}].timing`, `${id}-timing`)}>
          <option value="immediate">At once</option>
          <option value="first-trigger">Overdue, from first trigger</option>
          <option value="approval">Overdue, from approval</option>
        </select>
      </span>
      <span class="field check">
        <input id={`${id}-approval`} type="checkbox" checked={action.approval} onChange={(e) => set({ approval: e.currentTarget.checked })} />
        <label for={`${id}-approval`}>Needs approval</label>
      </span>
      <span class="field">
        <label for={`${id}-attempts`}>Attempts</label>
        <input id={`${id}-attempts`} type="number" min="1" class="short" value={action.attempts}
          onInput={(e) => set({ attempts: e.currentTarget.value })} {...errors.props(`actions[${index}].max-attempts`, `${id}-attempts`)} />
      </span>
      <span class="actions">
        <button type="button" class="quiet-dark" disabled={index === 0} onClick={() => move(-1)}>
          Up<span class="visually-hidden"> action {index + 1}</span>
        </button>
        <button type="button" class="quiet-dark" disabled={index === count - 1} onClick={() => move(1)}>
          Down<span class="visually-hidden"> action {index + 1}</span>
        </button>
        <button type="button" class="quiet-dark" disabled={count === 1} onClick={remove}>
          Remove<span class="visually-hidden"> action {index + 1}</span>
        </button>
      </span>
      {errors.text(`actions[${index}].kind`, `${id}-kind`)}
      {errors.text(`actions[${index}].result-type`, `${id}-result`)}
      {errors.text(`actions[${index}].timing`, `${id}-timing`)}
      {errors.text(`actions[${index}].max-attempts`, `${id}-attempts`)}
      {errors.text(`actions[${index}]`, id)}
    </li>
  );
}

function IntervalField({ name, label, value, set, errors }) {
  return (
    <fieldset class="inline">
      <legend>{label}</legend>
      <label for={`def-${name}-value`} class="visually-hidden">
        {label}: how many
      </label>
      <input id={`def-${name}-value`} type="number" min="1" class="short" value={value.value}
        onInput={(e) => set({ ...value, value: e.currentTarget.value })} {...errors.props(`${name}.value`, `def-${name}-value`)} />
      <label for={`def-${name}-unit`} class="visually-hidden">
        {label}: unit
      </label>
      <select id={`def-${name}-unit`} value={value.unit} onChange={(e) => set({ ...value, unit: e.currentTarget.value })}>
        {UNITS.map((unit) => (
          <option value={unit}>{unit}</option>
        ))}
      </select>
      {errors.text(`${name}.value`, `def-${name}-value`)}
      {errors.text(name, `def-${name}`)}
    </fieldset>
  );
}

/// The form defining a new alert (`id` null) or changing definition `id`.
export function DefinitionForm({ id }) {
  const [accounts] = useAccounts();
  const [form, setForm] = useState(id === null ? blank() : null);
  const [stored, setStored] = useState(null);
  const [error, setError] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (id === null) return;
    get(`/api/v1/asm/definitions/${id}`).then(
      (view) => {
        setStored(view);
        setForm(fromDefinition(view));
      },
      (e) => setLoadError(e.status === 404 ? "No such alert definition among the accounts you see." : e.message),
    );
  }, [id]);

  const dealers = (accounts ?? []).filter((a) => a["is-dealer"]);
  useEffect(() => {
    if (form && form.owner === "" && dealers.length > 0) setForm({ ...form, owner: String(dealers[0].id) });
  }, [form, dealers.length]);

  if (loadError) {
    return (
      <section aria-labelledby="definition">
        <h2 id="definition">Alert definition</h2>
        <p class="field-error" role="alert">
          {loadError}
        </p>
        <p>
          <Link href="/asm/definitions">Back to the definitions</Link>
        </p>
      </section>
    );
  }
  if (form === null || accounts === null) return <Outcome loading />;

  const errors = fieldErrors(error, fieldKeys(form));
  const set = (change) => setForm({ ...form, ...change });
  const setIn = (list, index, change) => set({ [list]: form[list].map((row, i) => (i === index ? { ...row, ...change } : row)) });
  const removeIn = (list, index) => set({ [list]: form[list].filter((_, i) => i !== index) });
  const moveAction = (index, by) => {
    const actions = [...form.actions];
    [actions[index], actions[index + by]] = [actions[index + by], actions[index]];
    set({ actions });
  };

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setSaving(true);
    try {
      if (id === null) await call("POST", "/api/v1/asm/definitions", toBody(form));
      else await call("PUT", `/api/v1/asm/definitions/${id}`, toBody(form));
      navigate("/asm/definitions");
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    } finally {
      setSaving(false);
    }
  };
  const remove = async () => {
    if (!window.confirm(`Delete the alert “${stored.definition.name}”? Its open alerts are archived at the next tick.`)) return;
    try {
      await call("DELETE", `/api/v1/asm/definitions/${id}`);
      navigate("/asm/definitions");
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, e.message));
    }
  };

  if (dealers.length === 0) {
    return (
      <section aria-labelledby="definition">
        <h2 id="definition">{stored ? stored.definition.name : "Define an alert"}</h2>
        {stored && (
          <p>
            {triggerWords(stored.definition.trigger)}; filters: <FilterGroups view={stored} />
          </p>
        )}
        <p class="empty">Only a dealer's users define alerts: ask your dealer to add or change one.</p>
      </section>
    );
  }

  return (
    <section aria-labelledby="definition">
      <h2 id="definition">{stored ? `Change “${stored.definition.name}”` : "Define an alert"}</h2>
      {stored && <p class="note">Last changed {instant(stored["updated-at"])}. A change of what triggers, the intervals, filters or actions archives its open alerts.</p>}
      <form class="definition-form" onSubmit={submit} noValidate>
        <div class="grid-fields">
          <span class="field">
            <label for="def-name">Name</label>
            <input id="def-name" value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} {...errors.props("name", "def-name")} />
            {errors.text("name", "def-name")}
          </span>
          <span class="field">
            <label for="def-owner">Dealer</label>
            <select id="def-owner" value={form.owner} onChange={(e) => set({ owner: e.currentTarget.value })}
              {...errors.props("owner-account-id", "def-owner")} {...errors.props("owner", "def-owner")}>
              {dealers.map((a) => (
                <option value={a.id}>{a.name}</option>
              ))}
            </select>
            {errors.text("owner-account-id", "def-owner")}
            {errors.text("owner", "def-owner")}
          </span>
          <span class="field check">
            <input id="def-hierarchical" type="checkbox" checked={form.hierarchical} onChange={(e) => set({ hierarchical: e.currentTarget.checked })} />
            <label for="def-hierarchical">Also the accounts below the dealer</label>
          </span>
        </div>

        <fieldset>
          <legend>What triggers it</legend>
          <div class="choice">
            <input type="radio" id="def-kind-consumable" name="def-kind" checked={form.kind === "consumable"} onChange={() => set({ kind: "consumable" })} />
            <label for="def-kind-consumable">Consumable alert: a supply below a threshold</label>
          </div>
          <div class="choice">
            <input type="radio" id="def-kind-service" name="def-kind" checked={form.kind === "service"} onChange={() => set({ kind: "service" })} />
            <label for="def-kind-service">Service alert: printer error states</label>
          </div>
          {form.kind === "consumable" && (
            <div class="grid-fields">
              <span class="field">
                <label for="def-consumable">Supply type</label>
                <select id="def-consumable" value={form.consumable} onChange={(e) => set({ consumable: e.currentTarget.value })}
                  {...errors.props("trigger.consumable", "def-consumable")}>
                  {CONSUMABLES.map(([key, words]) => (
                    <option value={key}>{words}</option>
                  ))}
                </select>
                {errors.text("trigger.consumable", "def-consumable")}
              </span>
              {form.consumable === "custom" && (
                <span class="field">
                  <label for="def-custom">Custom consumable's name</label>
                  <input id="def-custom" value={form.custom} onInput={(e) => set({ custom: e.currentTarget.value })}
                    {...errors.props("trigger.consumable", "def-consumable")} />
                </span>
              )}
              <span class="field">
                <label for="def-threshold">Threshold (%)</label>
                <input id="def-threshold" type="number" min="1" max="100" class="short" value={form.threshold}
                  onInput={(e) => set({ threshold: e.currentTarget.value })} {...errors.props("trigger.threshold-percent", "def-threshold")} />
                {errors.text("trigger.threshold-percent", "def-threshold")}
              </span>
              <p class="note">A level strictly below the threshold raises an alert; above it, the alert recovers.</p>
            </div>
          )}
          {form.kind === "service" && (
            <>
              <ol class="rows">
                {form.states.map((state, i) => (
                  <li class="row-form">
                    <span class="field">
                      <label for={`def-state-${i}`}>Error state {i + 1}</label>
                      <input id={`def-state-${i}`} value={state.state} placeholder="paper-jam"
                        onInput={(e) => setIn("states", i, { state: e.currentTarget.value })}
                        {...errors.props(`trigger.states[${i}].state`, `def-state-${i}`)} />
                    </span>
                    <span class="field">
                      <label for={`def-group-${i}`}>Group</label>
                      <select id={`def-group-${i}`} value={state.group} onChange={(e) => setIn("states", i, { group: e.currentTarget.value })}>
                        {ERROR_GROUPS.map(([key, words]) => (
                          <option value={key}>{words}</option>
                        ))}
                      </select>
                    </span>
                    <button type="button" class="quiet-dark" disabled={form.states.length === 1} onClick={() => removeIn("states", i)}>
                      Remove<span class="visually-hidden"> error state {i + 1}</span>
                    </button>
                    {errors.text(`trigger.states[${i}].state`, `def-state-${i}`)}
                    {errors.text(`trigger.states[${i}]`, `def-state-${i}-row`)}
                  </li>
                ))}
              </ol>
              <button type="button" class="quiet-dark" onClick={() => set({ states: [...form.states, { state: "", group: "device" }] })}>
                Add an error state
              </button>
              {errors.text("trigger.states", "def-states")}
              <span class="field">
                <label for="def-console">Only when the console message contains (optional)</label>
                <input id="def-console" value={form.consoleMessage} onInput={(e) => set({ consoleMessage: e.currentTarget.value })}
                  {...errors.props("trigger.console-message", "def-console")} />
                {errors.text("trigger.console-message", "def-console")}
              </span>
            </>
          )}
          {errors.text("trigger", "def-trigger")}
        </fieldset>

        <div class="grid-fields">
          <IntervalField name="overdue" label="Overdue after" value={form.overdue} set={(overdue) => set({ overdue })} errors={errors} />
          <IntervalField name="stale" label="Stale after (no reading)" value={form.stale} set={(stale) => set({ stale })} errors={errors} />
        </div>

        <fieldset>
          <legend>Which devices (filters)</legend>
          {form.filters.length === 0 && <p class="note">No filter: every device of the dealer{form.hierarchical ? " and the accounts below it" : ""}.</p>}
          {form.filters.length > 1 && (
            <p class="note">
              Filters group in linear precedence: a run of the same operator forms a group, and an operator standing alone joins groups. The
              list shows the groups once saved.
            </p>
          )}
          <ol class="rows">
            {form.filters.map((filter, i) => (
              <FilterRow filter={filter} index={i} set={(change) => setIn("filters", i, change)} remove={() => removeIn("filters", i)} errors={errors} />
            ))}
          </ol>
          <button type="button" class="quiet-dark" onClick={() => set({ filters: [...form.filters, newFilter()] })}>
            Add a filter
          </button>
          {errors.text("filters", "def-filters")}
        </fieldset>

        <fieldset>
          <legend>What it does (actions, in order)</legend>
          <ol class="rows">
            {form.actions.map((action, i) => (
              <ActionRow action={action} index={i} count={form.actions.length} set={(change) => setIn("actions", i, change)}
                move={(by) => moveAction(i, by)} remove={() => removeIn("actions", i)} errors={errors} />
            ))}
          </ol>
          <button type="button" class="quiet-dark"
            onClick={() => set({ actions: [...form.actions, newAction(Math.max(0, ...form.actions.map((a) => a.id)) + 1)] })}>
            Add an action
          </button>
          {errors.text("actions", "def-actions")}
        </fieldset>

        {errors.rest && (
          <p class="field-error" role="alert" id="def-error">
            {errors.rest}
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={saving}>
            Save the definition
          </button>
          <Link href="/asm/definitions">Cancel</Link>
          {stored && (
            <button type="button" class="danger" onClick={remove}>
              Delete it
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
