// What the ASM pages share: where an API error belongs among a form's fields, the words
// for ASM's values, and the accounts and devices their rows name.
import { useEffect, useState } from "preact/hooks";
import { get, query } from "../api.js";

/// The key among `keys` that the API's error field falls under (the longest that
/// prefixes it: `filters[1].method.model` is `filters[1].method`'s), or null.
function ownerOf(error, keys) {
  const field = error?.field;
  if (!field) return null;
  let best = null;
  for (const key of keys) {
    const under = field === key || field.startsWith(`${key}.`) || field.startsWith(`${key}[`);
    if (under && (best === null || key.length > best.length)) best = key;
  }
  return best;
}

/// An API error placed beside its field: `props(key, id)` marks the control whose error it
/// is, `text(key, id)` is the message beside it (without the field's name the API puts
/// before it), and `rest` what no field on the form owns, said once at the form's foot.
export function fieldErrors(error, keys) {
  const at = ownerOf(error, keys);
  return {
    props: (key, id) => (at === key ? { "aria-invalid": "true", "aria-describedby": `${id}-error` } : {}),
    text: (key, id) =>
      at === key ? (
        <span id={`${id}-error`} class="field-error" role="alert">
          {error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message}
        </span>
      ) : null,
    rest: error && at === null ? error.message : null,
  };
}

export const CONSUMABLES = [
  ["toner", "Toner"],
  ["ink", "Ink"],
  ["wax", "Solid ink (wax)"],
  ["fuser", "Fuser"],
  ["transfer", "Transfer belt or roller"],
  ["drum", "Drum"],
  ["maintenance-kit", "Maintenance kit"],
  ["waste", "Waste container"],
  ["custom", "A custom consumable, by name"],
];

export const ERROR_GROUPS = [
  ["device", "Device"],
  ["supply", "Supply"],
  ["paper", "Paper"],
  ["tray", "Tray"],
];

export const UNITS = ["minutes", "hours", "days", "weeks"];

export const STATUSES = [
  ["waiting-for-approval", "Waiting for approval"],
  ["alert", "Alert"],
  ["submitted", "Submitted"],
  ["overdue", "Overdue"],
  ["submitted-and-overdue", "Submitted and overdue"],
  ["archived", "Archived"],
];

export const statusWords = (status) => STATUSES.find(([key]) => key === status)?.[1] ?? status;

export const ROLES = ["admin", "support", "service", "supplies", "billing"];

/// A contact's role and its words, as the contacts' lists and forms show them.
export const CONTACT_ROLES = [["", "Alternate"], ...ROLES.map((r) => [r, `Dealer's ${r}`]), ["account-primary", "Account's primary"]];

export const interval = (i) => (i ? `${i.value} ${i.value === 1 ? i.unit.replace(/s$/, "") : i.unit}` : "—");

/// A consumable type as written (`"toner"`, `{"custom": "kit"}`) in words.
export function consumableWords(type) {
  if (typeof type === "object" && type !== null) return `custom “${type.custom}”`;
  return (CONSUMABLES.find(([key]) => key === type)?.[1] ?? type).toLowerCase();
}

/// What makes a definition trigger, in a line.
export function triggerWords(trigger) {
  if (trigger.consumable) {
    const c = trigger.consumable;
    return `${consumableWords(c.consumable)} below ${c["threshold-percent"]} %`;
  }
  const s = trigger.service;
  const states = s.states.map((x) => `${x.state} (${x.group})`).join(", ");
  return `error state ${states}${s["console-message"] ? `, console says “${s["console-message"]}”` : ""}`;
}

/// The accounts the user sees, once loaded (null before), and any error loading them;
/// loaded again whenever `reload` changes (after a page adds one).
export function useAccounts(reload = 0) {
  const [accounts, setAccounts] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get(`/api/v1/accounts${query({ limit: 1000 })}`).then(setAccounts, (e) => setError(e.message));
  }, [reload]);
  return [accounts, error];
}

export const accountName = (accounts, id) => accounts?.find((a) => a.id === id)?.name ?? `account ${id}`;

/// The devices `ids` name, loaded once each: model and serial for an event's row.
export function useDevices(ids) {
  const [devices, setDevices] = useState({});
  const wanted = [...new Set(ids)].sort().join(",");
  useEffect(() => {
    for (const id of wanted ? wanted.split(",") : []) {
      if (devices[id] !== undefined) continue;
      get(`/api/v1/devices/${id}`).then(
        (device) => setDevices((known) => ({ ...known, [id]: device })),
        () => setDevices((known) => ({ ...known, [id]: null })),
      );
    }
  }, [wanted]);
  return devices;
}

export function deviceWords(device, id) {
  if (!device) return `device ${id}`;
  return [device.model, device.serial].filter(Boolean).join(" · ") || `device ${id}`;
}
