import { useEffect, useState } from "preact/hooks";
import { call, get, query } from "../api.js";
import { instant } from "../format.js";
import { Link, navigate } from "../router.jsx";
import { Outcome } from "../outcome.jsx";

const SKILLS = { anyone: "Anyone", "key-operator": "Key operator", technician: "Technician", specialist: "Specialist" };
const NEXT = { open: ["assigned", "cancelled"], assigned: ["done", "cancelled"], done: [], cancelled: [] };
const VERB = { assigned: "Take it", done: "Mark done", cancelled: "Cancel" };

/// "3 h 20 min", "2 days 4 h": how long a condition has waited.
function waited(seconds) {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

const deviceName = (d) => [d.manufacturer, d.model].filter(Boolean).join(" ") || `Device ${d.id}`;
const money = (m) => (m === null || m === undefined ? "no labour rate set" : Number(m).toLocaleString(undefined, { minimumFractionDigits: 2 }));

function Conditions({ devices, onCreate, errors }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Device</th>
          <th scope="col">Condition</th>
          <th scope="col">Severity</th>
          <th scope="col">Field service</th>
          <th scope="col" class="num">Estimate</th>
          <th scope="col">Waiting</th>
          <th scope="col">
            <span class="visually-hidden">Work order</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {devices.flatMap((d) =>
          d.conditions.map((c) => {
            const key = `${d.device.id}/${c.state}`;
            return (
              <tr>
                <td>
                  <Link href={`/devices/${d.device.id}`}>{deviceName(d.device)}</Link>
                  {d.device.serial ? <span class="note"> {d.device.serial}</span> : null}
                </td>
                <td>{c.state}</td>
                <td>{c.severity}</td>
                <td>{c["field-service"] ? "needed" : "no"}</td>
                <td class="num">{c["estimated-minutes"]} min</td>
                <td title={`since ${instant(c.since)}`}>{waited(c["waiting-seconds"])}</td>
                <td>
                  <button type="button" onClick={() => onCreate(key, d.device.id, c.inputs[0])}
                    aria-describedby={errors[key] ? `error-${key}` : undefined}>
                    Open a work order<span class="visually-hidden"> for {c.state} on {deviceName(d.device)}</span>
                  </button>
                  {errors[key] && (
                    <p id={`error-${key}`} class="field-error" role="alert">
                      {errors[key]}
                    </p>
                  )}
                </td>
              </tr>
            );
          }),
        )}
      </tbody>
    </table>
  );
}

function WorkOrders({ orders, me, onChange, errors }) {
  if (orders.length === 0) {
    return <p class="empty">No work order yet: open one from a condition above.</p>;
  }
  return (
    <table class="work-orders">
      <thead>
        <tr>
          <th scope="col">Order</th>
          <th scope="col">Device</th>
          <th scope="col">For</th>
          <th scope="col">Skill</th>
          <th scope="col" class="num">Estimate</th>
          <th scope="col">Status</th>
          <th scope="col">Opened</th>
          <th scope="col">
            <span class="visually-hidden">Progress</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => (
          <tr>
            <td>#{o.id}</td>
            <td>
              <Link href={`/devices/${o["device-id"]}`}>Device {o["device-id"]}</Link>
            </td>
            <td>{o.assessment.state}</td>
            <td>{SKILLS[o.assessment.skill] ?? o.assessment.skill}</td>
            <td class="num">
              {/* The model's Assessment keeps its fields' Rust names (snake_case) in JSON. */}
              {o.assessment["estimated-minutes"]} min, {money(o.estimate)}
            </td>
            <td>
              <span class={`status status-order-${o.status}`}>{o.status}</span>
            </td>
            <td>{instant(o["created-at"])}</td>
            <td>
              <div class="actions">
              {NEXT[o.status].map((next) => (
                <button type="button" class={next === "cancelled" ? "quiet-dark" : undefined}
                  onClick={() => onChange(o, next, next === "assigned" ? me?.user.id : undefined)}>
                  {VERB[next]}
                  <span class="visually-hidden"> (order #{o.id})</span>
                </button>
              ))}
              </div>
              <Outcome error={errors[o.id]} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Maintenance({ search }) {
  const by = search.get("by") === "field-service" ? "field-service" : "skill";
  const [dashboard, setDashboard] = useState(null);
  const [orders, setOrders] = useState(null);
  const [me, setMe] = useState(null);
  const [error, setError] = useState(null);
  const [errors, setErrors] = useState({});
  const [version, setVersion] = useState(0);

  useEffect(() => {
    get("/api/v1/me").then(setMe, () => setMe(null));
  }, []);
  useEffect(() => {
    get("/api/v1/maintenance").then(setDashboard, (e) => setError(e.message));
    get(`/api/v1/work-orders${query({ limit: 100 })}`).then(setOrders, (e) => setError(e.message));
  }, [version]);

  const create = async (key, device, input) => {
    setErrors({});
    try {
      await call("POST", "/api/v1/work-orders", { "device-id": device, input });
      setVersion((v) => v + 1);
    } catch (e) {
      setErrors({ [key]: e.message });
    }
  };
  const change = async (order, status, assignee) => {
    setErrors({});
    try {
      await call("PUT", `/api/v1/work-orders/${order.id}/status`, { status, "assignee-id": assignee });
      setVersion((v) => v + 1);
    } catch (e) {
      setErrors({ [order.id]: e.message });
    }
  };

  const groups =
    dashboard === null
      ? []
      : by === "skill"
        ? dashboard["by-skill"].map((g) => ({ title: SKILLS[g.skill] ?? g.skill, devices: g.devices }))
        : dashboard["by-field-service"].map((g) => ({
            title: g["field-service"] ? "Field service needed" : "No visit needed",
            devices: g.devices,
          }));

  return (
    <main class="page">
      <h1>Maintenance</h1>
      <Outcome error={error} />
      <div class="filters">
        <label for="maintenance-by">Group by</label>
        <select id="maintenance-by" value={by} onChange={(e) => navigate(`/maintenance${query({ by: e.currentTarget.value })}`)}>
          <option value="skill">skill level</option>
          <option value="field-service">field service</option>
        </select>
      </div>
      <section aria-labelledby="attention">
        <h2 id="attention">Devices needing attention</h2>
        {dashboard !== null && groups.length === 0 && (
          <p class="empty">No device reports a condition that needs attention.</p>
        )}
        {groups.map((g) => (
          <>
            <h3>{g.title}</h3>
            <Conditions devices={g.devices} onCreate={create} errors={errors} />
          </>
        ))}
      </section>
      <section aria-labelledby="orders">
        <h2 id="orders">Work orders</h2>
        {orders !== null && <WorkOrders orders={orders} me={me} onChange={change} errors={errors} />}
      </section>
    </main>
  );
}
