import { useEffect, useMemo, useState } from "preact/hooks";
import { download, get, query } from "../api.js";
import { DaysChart } from "../chart.jsx";
import { day, instant, number, timeZone } from "../format.js";
import { Link } from "../router.jsx";
import { Outcome } from "../outcome.jsx";

function useApi(path) {
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    let current = true;
    setState({ data: null, error: null });
    get(path).then(
      (data) => current && setState({ data, error: null }),
      (error) => current && setState({ data: null, error }),
    );
    return () => {
      current = false;
    };
  }, [path]);
  return state;
}

function Fact({ name, children }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{children ?? "—"}</dd>
    </>
  );
}

function Level({ supply }) {
  const percent = supply.percent;
  return (
    <div class="level">
      <meter min="0" max="100" low="15" optimum="100" value={percent ?? 0}
        aria-label={`${supply.description}: ${percent === null ? supply.state : `${percent} %`}`} />
      <span>{percent === null ? supply.state : `${percent} %`}</span>
    </div>
  );
}

export function Device({ id }) {
  const device = useApi(`/api/v1/devices/${id}`);
  const readings = useApi(`/api/v1/devices/${id}/readings${query({ limit: 10 })}`);
  const pages = useApi(`/api/v1/devices/${id}/pages-per-day${query({ tz: timeZone(), points: 90 })}`);
  const forecasts = useApi(`/api/v1/devices/${id}/supplies/forecast`);
  const [downloadError, setDownloadError] = useState(null);

  // Counters and supplies come from the newest meters & supplies read; identity facts
  // from the newest read of any cycle.
  const newest = readings.data?.[0];
  const latest = readings.data?.find((r) => r.cycle === "meters-and-supplies");
  const alerting = readings.data?.find((r) => r.cycle === "alerts") ?? latest;
  const emptyOn = useMemo(() => {
    const byIndex = new Map();
    for (const p of forecasts.data?.positions ?? []) byIndex.set(p.index, p.forecast);
    return byIndex;
  }, [forecasts.data]);
  const lines = useMemo(
    () =>
      (pages.data?.chart.counters ?? [])
        .filter((c) => c.pages.some((p) => p !== null))
        .map((c) => ({ label: c.counter, values: c.pages })),
    [pages.data],
  );

  if (device.error) {
    return (
      <main class="page">
        <h1>Device {id}</h1>
        <p class="field-error" role="alert">
          {device.error.status === 404 ? "No such device among the accounts you see." : device.error.message}
        </p>
        <Link href="/">Back to the fleet</Link>
      </main>
    );
  }
  const d = device.data;
  const title = d ? [d.manufacturer, d.model].filter(Boolean).join(" ") || `Device ${id}` : `Device ${id}`;
  return (
    <main class="page">
      <p class="crumbs">
        <Link href="/">Fleet</Link> / {title}
      </p>
      <h1>{title}</h1>
      {!d && <Outcome loading />}
      {d && (
        <section aria-labelledby="identity">
          <h2 id="identity">Identity</h2>
          <dl class="facts">
            <Fact name="Status">{d.status}</Fact>
            <Fact name="Address">{d.addresses.map((a) => a.address).join(", ")}</Fact>
            <Fact name="Maker">{d.manufacturer}</Fact>
            <Fact name="Model">{d.model}</Fact>
            <Fact name="Serial">{d.serial}</Fact>
            <Fact name="MAC">{d.mac}</Fact>
            <Fact name="Firmware">{newest?.reading.identity.firmware}</Fact>
            <Fact name="Read by">{d.strategy ? `${d.strategy.name} ${d.strategy.version}` : null}</Fact>
            <Fact name="First seen">{instant(d["first-seen"])}</Fact>
            <Fact name="Last read">{instant(d["last-seen"])}</Fact>
          </dl>
        </section>
      )}
      <section aria-labelledby="pages">
        <h2 id="pages">Pages per day</h2>
        {pages.error && <p class="field-error">{pages.error.message}</p>}
        {pages.data && lines.length === 0 && (
          <p class="empty">No pages counted in the last days yet: pages appear once two meter reads a day or more apart are filed.</p>
        )}
        {pages.data && lines.length > 0 && (
          <DaysChart title={`Pages per day (${pages.data.chart["time-zone"]})`} days={pages.data.chart.days}
            lines={lines} unit="pages" />
        )}
      </section>
      {readings.data && !latest && (
        <p class="empty">
          Not read for meters and supplies yet: counters and supplies appear after the agent's first meters &amp;
          supplies cycle.
        </p>
      )}
      {latest && (
        <section aria-labelledby="counters">
          <h2 id="counters">Counters</h2>
          <p class="note">As read {instant(latest["taken-at"])}.</p>
          <table class="compact">
            <thead>
              <tr>
                <th scope="col">Counter</th>
                <th scope="col" class="num">Pages</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(latest.reading.counters).map(([name, value]) => (
                <tr>
                  <td>{name}</td>
                  <td class="num">{number(value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {latest && (
        <section aria-labelledby="supplies">
          <h2 id="supplies">Supplies</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Supply</th>
                <th scope="col">Level</th>
                <th scope="col">Part</th>
                <th scope="col">Runs out</th>
              </tr>
            </thead>
            <tbody>
              {latest.reading.supplies.map((s) => {
                const f = emptyOn.get(s.index);
                return (
                  <tr>
                    <td>{s.description}</td>
                    <td>
                      <Level supply={s} />
                    </td>
                    <td>{s["part-number"] ?? "—"}</td>
                    <td>
                      {f?.outcome === "forecast"
                        ? `${day(f["empty-on"])} (${day(f.earliest)} – ${day(f.latest)})`
                        : (f?.message ?? "—")}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
      {alerting && (
        <section aria-labelledby="alerts">
          <h2 id="alerts">Alerts on the device</h2>
          <p class="note">As read {instant(alerting["taken-at"])}.</p>
          {alerting.reading.alerts.length === 0 ? (
            <p class="empty">The device reported no alert at its last read.</p>
          ) : (
            <ul>
              {alerting.reading.alerts.map((a) => (
                <li>
                  <strong>{a.severity}</strong> {a.description ?? a["code-name"] ?? `code ${a.code}`}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {latest?.["has-raw"] && (
        <section aria-labelledby="raw">
          <h2 id="raw">Raw reading</h2>
          <button type="button" onClick={() =>
              download(
                `/api/v1/devices/${id}/readings/${latest.id}/raw.snmprec`,
                `device-${id}-reading-${latest.id}.snmprec`,
              ).catch((e) => setDownloadError(e.message))
            }>
            Download the last reading as .snmprec
          </button>
          {downloadError && <p class="field-error">{downloadError}</p>}
        </section>
      )}
      {readings.error && <p class="field-error">{readings.error.message}</p>}
    </main>
  );
}
