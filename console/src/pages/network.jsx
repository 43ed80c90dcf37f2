import { useEffect, useState } from "preact/hooks";
import { ApiError, call, get, query, send } from "../api.js";
import { ago, instant } from "../format.js";
import { navigate } from "../router.jsx";

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
      {done && (
        <p class="done" role="status">
          {done}
        </p>
      )}
      {error && !error.field?.startsWith("line ") && (
        <p class="field-error" role="alert">
          {error.message}
        </p>
      )}
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

  useEffect(() => {
    if (!account) return;
    setSites(null);
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
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
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
          {sites === null && <p aria-live="polite">Loading…</p>}
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
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Upload ranges</h3>
          <RangeUpload account={account} onUploaded={() => setVersion((v) => v + 1)} />
        </section>
      )}
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
