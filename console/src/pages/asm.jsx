// ASM: the approvals queue and current alert events, alert definitions, the e-mail
// history, the settings alerts run by and what must still be configured. One page whose
// sub-pages are paths under /asm, so each can be bookmarked.
import { useEffect, useState } from "preact/hooks";
import { call, get, query } from "../api.js";
import { ago, instant } from "../format.js";
import { Link, navigate } from "../router.jsx";
import { STATUSES, accountName, deviceWords, statusWords, useAccounts, useDevices } from "./asm-common.jsx";
import { DefinitionForm, DefinitionList } from "./asm-definitions.jsx";
import { Settings } from "./asm-settings.jsx";
import { Outcome } from "../outcome.jsx";

const VIEWS = [
  ["/asm", "Alerts"],
  ["/asm/definitions", "Definitions"],
  ["/asm/emails", "E-mail history"],
  ["/asm/settings", "Settings"],
  ["/asm/preconditions", "Preconditions"],
];

function Status({ status }) {
  return <span class={`status status-asm-${status}`}>{statusWords(status)}</span>;
}

/// The definitions' names by id, for events' rows.
function useDefinitionNames() {
  const [names, setNames] = useState({});
  useEffect(() => {
    get(`/api/v1/asm/definitions${query({ limit: 1000 })}`).then(
      (all) => setNames(Object.fromEntries(all.map((d) => [d.id, d.definition.name]))),
      () => setNames({}),
    );
  }, []);
  return names;
}

const level = (event) => {
  const last = event.detail.event["last-level"];
  return last === null || last === undefined ? "—" : `${last} %`;
};

function EventTable({ events, label, answer }) {
  const names = useDefinitionNames();
  const devices = useDevices(events.map((e) => e["device-id"]));
  return (
    <div class="scroll">
      <table class="events" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Alert</th>
            <th scope="col">Definition</th>
            <th scope="col">Device</th>
            <th scope="col">Trigger</th>
            <th scope="col" class="num">
              Level
            </th>
            <th scope="col">Status</th>
            <th scope="col">First triggered</th>
            {answer && (
              <th scope="col">
                <span class="visually-hidden">Answer</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr data-event={event.id}>
              <td>
                <Link href={`/asm/events/${event.id}`}>#{event.id}</Link>
              </td>
              <td>{names[event["definition-id"]] ?? `definition ${event["definition-id"]}`}</td>
              <td>
                <Link href={`/devices/${event["device-id"]}`}>{deviceWords(devices[event["device-id"]], event["device-id"])}</Link>
              </td>
              <td>
                <code>{event.trigger}</code>
              </td>
              <td class="num">{level(event)}</td>
              <td>
                <Status status={event.status} />
              </td>
              <td title={instant(event.detail.event["first-triggered-at"])}>{ago(event.detail.event["first-triggered-at"])}</td>
              {answer && (
                <td>
                  <span class="actions">
                    <button type="button" onClick={() => answer(event, true)}>
                      Approve<span class="visually-hidden"> alert {event.id}</span>
                    </button>
                    <button type="button" class="danger" onClick={() => answer(event, false)}>
                      Reject<span class="visually-hidden"> alert {event.id}</span>
                    </button>
                  </span>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/// The approvals queue and the alert events, refreshed every few seconds: an answer is
/// taken in by the server's next tick.
function Alerts({ search }) {
  const [queue, setQueue] = useState(null);
  const [events, setEvents] = useState(null);
  const [error, setError] = useState(null);
  const [filed, setFiled] = useState(null);
  const [version, setVersion] = useState(0);
  const status = search.get("status") ?? "";
  const shown = search.get("open") === "false" ? "false" : "true";

  useEffect(() => {
    const load = () => {
      get(`/api/v1/asm/events${query({ status: "waiting-for-approval", limit: 100 })}`).then(setQueue, (e) => setError(e.message));
      get(`/api/v1/asm/events${query({ open: status ? undefined : shown, status, limit: 100 })}`).then(setEvents, (e) => setError(e.message));
    };
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [status, shown, version]);

  const answer = async (event, approve) => {
    setError(null);
    try {
      await call("POST", `/api/v1/asm/events/${event.id}/${approve ? "approve" : "reject"}`);
      setFiled(`Alert #${event.id} ${approve ? "approved" : "rejected"}: the next tick carries it out.`);
      setVersion((v) => v + 1);
    } catch (e) {
      setError(e.message);
    }
  };
  const filter = (change) => navigate(`/asm${query({ status, open: shown === "true" ? undefined : shown, ...change })}`);

  return (
    <>
      <Outcome error={error} />
      <section aria-labelledby="approvals">
        <h2 id="approvals">Waiting for approval</h2>
        <Outcome done={filed} />
        {queue !== null && queue.length === 0 && (
          <p class="empty">No alert waits for approval. Alerts whose actions need an approval appear here once the server's next tick raises them.</p>
        )}
        {queue !== null && queue.length > 0 && <EventTable events={queue} label="Alerts waiting for approval" answer={answer} />}
      </section>
      <section aria-labelledby="events">
        <h2 id="events">Alert events</h2>
        <div class="filters">
          <label for="events-open">Show</label>
          <select id="events-open" value={shown} disabled={status !== ""} onChange={(e) => filter({ open: e.currentTarget.value === "true" ? undefined : e.currentTarget.value })}>
            <option value="true">Current (open)</option>
            <option value="false">Archived</option>
          </select>
          <label for="events-status">Status</label>
          <select id="events-status" value={status} onChange={(e) => filter({ status: e.currentTarget.value || undefined })}>
            <option value="">Any</option>
            {STATUSES.map(([key, words]) => (
              <option value={key}>{words}</option>
            ))}
          </select>
        </div>
        {events !== null && events.length === 0 && (
          <p class="empty">
            No alert event here. Events are raised by the alert definitions: <Link href="/asm/definitions">see or add one</Link>.
          </p>
        )}
        {events !== null && events.length > 0 && <EventTable events={events} label="Alert events" />}
      </section>
    </>
  );
}

const words = (kebab) => String(kebab).replace(/-/g, " ");

function progressWords(progress) {
  if (!progress) return "—";
  const { stage, ...rest } = progress;
  const more = Object.entries(rest)
    .map(([key, value]) => `${words(key)} ${typeof value === "string" && value.includes("T") ? instant(value) : value}`)
    .join(", ");
  return more ? `${words(stage)} (${more})` : words(stage);
}

/// A journaled decision in a line: what, of which action and attempt, to whom.
function decisionWords(decision) {
  const parts = [words(decision.decision)];
  if (decision.kind) parts.push(typeof decision.kind === "string" ? decision.kind : Object.keys(decision.kind)[0]);
  if (decision.action) parts.push(`action ${decision.action}`);
  if (decision.attempt) parts.push(`attempt ${decision.attempt}`);
  if (decision.recipients?.length) parts.push(`to ${decision.recipients.join(", ")}`);
  return parts.join(", ");
}

/// One alert event: where it stands, its actions, and what was decided and carried out.
function EventDetail({ id }) {
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState(null);
  const [filed, setFiled] = useState(null);
  const names = useDefinitionNames();
  useEffect(() => {
    const load = () =>
      get(`/api/v1/asm/events/${id}`).then(setDetail, (e) =>
        setError(e.status === 404 ? "No such alert event among the accounts you see." : e.message),
      );
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [id]);
  const devices = useDevices(detail ? [detail["device-id"]] : []);
  if (error && !detail) {
    return (
      <section aria-labelledby="event">
        <h2 id="event">Alert #{id}</h2>
        <p class="field-error" role="alert">
          {error}
        </p>
      </section>
    );
  }
  if (!detail) return <Outcome loading />;
  // The event's fields, its journal beside them.
  const event = detail;
  const answer = async (approve) => {
    setError(null);
    try {
      await call("POST", `/api/v1/asm/events/${id}/${approve ? "approve" : "reject"}`);
      setFiled(`${approve ? "Approved" : "Rejected"}: the next tick carries it out.`);
    } catch (e) {
      setError(e.message);
    }
  };
  return (
    <section aria-labelledby="event">
      <h2 id="event">
        Alert #{id} <Status status={event.status} />
      </h2>
      <dl class="facts">
        <dt>Definition</dt>
        <dd>
          <Link href={`/asm/definitions/${event["definition-id"]}`}>{names[event["definition-id"]] ?? `definition ${event["definition-id"]}`}</Link>
        </dd>
        <dt>Device</dt>
        <dd>
          <Link href={`/devices/${event["device-id"]}`}>{deviceWords(devices[event["device-id"]], event["device-id"])}</Link>
        </dd>
        <dt>Trigger</dt>
        <dd>
          <code>{event.trigger}</code>
        </dd>
        <dt>Level</dt>
        <dd>{level(event)}</dd>
        <dt>First triggered</dt>
        <dd>{instant(event.detail.event["first-triggered-at"])}</dd>
        <dt>Last changed</dt>
        <dd>{instant(event["updated-at"])}</dd>
        {event.detail.archived && (
          <>
            <dt>Archived</dt>
            <dd>
              {words(event.detail.archived.reason)}, {instant(event.detail.archived.at)}
            </dd>
          </>
        )}
      </dl>
      {event.status === "waiting-for-approval" && (
        <p class="actions">
          <button type="button" onClick={() => answer(true)}>
            Approve
          </button>
          <button type="button" class="danger" onClick={() => answer(false)}>
            Reject
          </button>
        </p>
      )}
      <Outcome done={filed} error={error} />
      <h3>Actions</h3>
      {Object.keys(event.detail.event.actions).length === 0 ? (
        <p class="note">No action has started yet.</p>
      ) : (
        <ul class="plain">
          {Object.entries(event.detail.event.actions).map(([action, progress]) => (
            <li>
              Action {action}: {progressWords(progress.progress)}
            </li>
          ))}
        </ul>
      )}
      <h3>Journal</h3>
      {detail.journal.length === 0 ? (
        <p class="note">Nothing decided yet.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Decided</th>
                <th scope="col">Decision</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {detail.journal.map((entry) => (
                <tr>
                  <td>{instant(entry["decided-at"])}</td>
                  <td>{decisionWords(entry.decision)}</td>
                  <td>{entry.outcome ? words(entry.outcome.outcome) : "not carried out yet"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Emails({ search }) {
  const [accounts] = useAccounts();
  const [emails, setEmails] = useState(null);
  const [error, setError] = useState(null);
  const status = search.get("status") ?? "";
  useEffect(() => {
    get(`/api/v1/emails${query({ status, limit: 100 })}`).then(setEmails, (e) => setError(e.message));
  }, [status]);
  return (
    <section aria-labelledby="emails">
      <h2 id="emails">E-mail history</h2>
      <div class="filters">
        <label for="emails-status">Status</label>
        <select id="emails-status" value={status} onChange={(e) => navigate(`/asm/emails${query({ status: e.currentTarget.value })}`)}>
          <option value="">Any</option>
          <option value="queued">Queued</option>
          <option value="sent">Sent</option>
          <option value="failed">Failed</option>
        </select>
      </div>
      <Outcome error={error} />
      {emails !== null && emails.length === 0 && (
        <p class="empty">
          No e-mail {status ? `is ${status}` : "yet"}. Alerts with an e-mail action send one once approved or due; the{" "}
          <Link href="/asm/preconditions">preconditions</Link> say what e-mail still needs.
        </p>
      )}
      {emails !== null && emails.length > 0 && (
        <div class="scroll">
          <table class="emails">
            <thead>
              <tr>
                <th scope="col">Queued</th>
                <th scope="col">Status</th>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Account</th>
                <th scope="col" class="num">
                  Attempts
                </th>
              </tr>
            </thead>
            <tbody>
              {emails.map((email) => (
                <tr>
                  <td>{instant(email["created-at"])}</td>
                  <td>
                    <span class={`status status-email-${email.status}`}>{email.status}</span>
                    {email["last-error"] && <div class="small field-error">{email["last-error"]}</div>}
                  </td>
                  <td>
                    {email.to.join(", ")}
                    {email["redirected-from"] && (
                      <div class="small muted">
                        redirected from {email["redirected-from"].join(", ") || "nobody"}
                        {email["redirect-reason"] ? `: ${email["redirect-reason"]}` : ""}
                      </div>
                    )}
                  </td>
                  <td>
                    <details>
                      <summary>{email.subject}</summary>
                      <pre class="mail-body">{email["body-text"]}</pre>
                    </details>
                  </td>
                  <td>{email["account-id"] === null ? "—" : accountName(accounts, email["account-id"])}</td>
                  <td class="num">{email.attempts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/// A missing precondition in words, with where to mend it.
function missingWords(item, accounts) {
  const name = (id) => accountName(accounts, id);
  switch (item.missing) {
    case "smtp":
      return ["The server has no SMTP relay: start it with --smtp-url and --smtp-from.", null];
    case "main-dealer-primary-email":
      return [`The main dealer, ${name(item.dealer)}, has no account-primary contact with an e-mail address.`, item.dealer];
    case "primary-dealer-contact":
      return [`${name(item.dealer)} has no ${item.role} contact with an e-mail address.`, item.dealer];
    case "processing-behaviour":
      return [`${name(item.dealer)} has no processing behaviour: say who receives its alerts' e-mails.`, item.dealer];
    case "email-template":
      return [`${name(item.dealer)}'s own ${item.kind} template no longer renders.`, item.dealer];
    case "primary-account-contact":
      return [`${name(item.account)} has no account-primary contact with an e-mail address.`, item.account];
    default:
      return [JSON.stringify(item), null];
  }
}

function Preconditions() {
  const [accounts] = useAccounts();
  const [missing, setMissing] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get("/api/v1/asm/preconditions").then(setMissing, (e) => setError(e.message));
  }, []);
  return (
    <section aria-labelledby="preconditions">
      <h2 id="preconditions">Preconditions</h2>
      <p class="note">What must be configured before alerts can do their work.</p>
      <Outcome error={error} />
      {missing !== null && missing.length === 0 && <p class="done">Nothing is missing: ASM is ready.</p>}
      {missing !== null && missing.length > 0 && (
        <ul class="preconditions">
          {missing.map((item) => {
            const [words, account] = missingWords(item, accounts);
            return (
              <li>
                {words}
                {account !== null && (
                  <>
                    {" "}
                    <Link href={`/asm/settings${query({ account })}`}>
                      Set it up<span class="visually-hidden"> for {accountName(accounts, account)}</span>
                    </Link>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function view(path, search) {
  const event = path.match(/^\/asm\/events\/(\d+)$/);
  if (event) return <EventDetail id={Number(event[1])} />;
  const definition = path.match(/^\/asm\/definitions\/(\d+|new)$/);
  if (definition) return <DefinitionForm id={definition[1] === "new" ? null : Number(definition[1])} />;
  if (path === "/asm/definitions") return <DefinitionList />;
  if (path === "/asm/emails") return <Emails search={search} />;
  if (path === "/asm/settings") return <Settings search={search} />;
  if (path === "/asm/preconditions") return <Preconditions />;
  if (path === "/asm") return <Alerts search={search} />;
  return (
    <p>
      No ASM page here. <Link href="/asm">Back to the alerts</Link>.
    </p>
  );
}

export function Asm({ path, search }) {
  const current = VIEWS.filter(([href]) => path === href || path.startsWith(`${href}/`)).pop()?.[0];
  return (
    <main class="page">
      <h1>ASM</h1>
      <nav aria-label="ASM" class="subnav">
        {VIEWS.map(([href, words]) => (
          <Link href={href} aria-current={href === current ? "page" : undefined}>
            {words}
          </Link>
        ))}
      </nav>
      {view(path, search)}
    </main>
  );
}
