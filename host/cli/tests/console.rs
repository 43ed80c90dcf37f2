//! The console as a dealer meets it: `quire demo` (server, simulated fleet, agent) and a
//! real headless Chromium signing in and moving through the pages. One demo and one
//! Chromium driver serve every test here (`harness = false`, with libtest-mimic), each
//! test in a browser profile of its own. Every test saves a screenshot of its last page
//! under `target/tmp/console/` to be looked at, and runs axe-core (from the console's own
//! npm lock) on each page it visits: no serious or critical violation may be found.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use fantoccini::{Client, Locator};
use libtest_mimic::{Arguments, Failed, Trial};
use quire_test_peers::Smtp;
use quire_test_peers::browser::Driver;
use serde_json::{Value, json};

/// The demo the tests share: its console's address, the admin's password and how many
/// printers it simulates.
struct Demo {
    child: Child,
    url: String,
    password: String,
    printers: usize,
    /// The customer account the demo's agent reads for.
    account: i64,
    _data: tempfile::TempDir,
}

impl Demo {
    /// The demo, handing its e-mail to the SMTP server at `smtp` and ticking ASM every
    /// second, so an approval is carried out while a test waits.
    fn start(smtp: SocketAddr) -> Demo {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .args(["demo", "--listen", "127.156.0.1:0", "--asm-every", "1"])
            // The printers print between reads, which come often enough for a test to
            // see pages.
            .args(["--meters-every", "15"])
            .arg(format!("--smtp-url=smtp://{smtp}?security=plain"))
            .args(["--smtp-from", "Quire <alerts@dealer.example>", "--data"])
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut url, mut password, mut printers, mut account) = (None, None, None, None);
        for line in lines.by_ref() {
            let line = line.unwrap();
            let field = |label: &str| line.trim().strip_prefix(label).map(|v| v.trim().to_owned());
            if let Some(value) = field("console") {
                url = value
                    .split_whitespace()
                    .next()
                    .map(|u| u.trim_end_matches('/').to_owned());
            } else if let Some(value) = field("login") {
                password = value.strip_prefix("admin / ").map(str::to_owned);
            } else if let Some(value) = field("fleet") {
                printers = value.split_whitespace().next().and_then(|n| n.parse().ok());
            } else if let Some(value) = field("agent") {
                account = value
                    .strip_prefix("enrolled for account ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|id| id.parse().ok());
                break;
            }
        }
        // The demo keeps writing; its output is drained so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Demo {
            child,
            url: url.expect("the demo printed its console's address"),
            password: password.expect("the demo printed the admin's password"),
            printers: printers.expect("the demo printed its fleet"),
            account: account.expect("the demo printed its agent's account"),
            _data: data,
        }
    }
}

impl Demo {
    /// A bare `quire server` on `database`, with no simulated printers (the shared demo
    /// holds the fleet's addresses), its admin signing in with a password of the test's.
    fn server(database: &str) -> Demo {
        const PASSWORD: &str = "the large fleet's admin";
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
            .args([
                "server",
                "--listen",
                "127.156.0.2:0",
                "--database",
                database,
            ])
            .args(["--admin-password", PASSWORD, "--data"])
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("listening ").map(str::to_owned))
            .expect("the server printed where it listens");
        std::thread::spawn(move || lines.for_each(drop));
        Demo {
            child,
            url,
            password: PASSWORD.to_owned(),
            printers: 0,
            account: 0,
            _data: data,
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Shared {
    runtime: tokio::runtime::Runtime,
    demo: Demo,
    driver: Driver,
    /// The aiosmtpd the demo's server sends its e-mail to.
    smtp: Smtp,
}

/// Where the shared demo's SMTP server listens.
const SMTP: ([u8; 4], u16) = ([127, 156, 3, 1], 2525);

/// Started by the first test that runs, stopped when `main` drops it after the last.
type Lazy = Arc<OnceLock<Shared>>;

fn shared(lazy: &Lazy) -> &Shared {
    lazy.get_or_init(|| {
        let smtp = Smtp::start(SocketAddr::from(SMTP));
        Shared {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap(),
            demo: Demo::start(smtp.address()),
            driver: Driver::start(),
            smtp,
        }
    })
}

/// Where each test leaves the screenshot of its last page.
fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// axe-core as the console's build installed it from `console/package-lock.json`.
fn axe_source() -> &'static str {
    static AXE: OnceLock<String> = OnceLock::new();
    AXE.get_or_init(|| {
        let profile = std::env::current_exe().unwrap();
        let build = profile.parent().unwrap().parent().unwrap().join("build");
        std::fs::read_dir(&build)
            .unwrap()
            .filter_map(|entry| {
                let dir = entry.ok()?.path();
                let name = dir.file_name()?.to_str()?.to_owned();
                name.starts_with("quire-console-").then_some(dir)
            })
            .map(|dir| dir.join("out/npm/node_modules/axe-core/axe.min.js"))
            .find(|file| file.exists())
            .map(|file| std::fs::read_to_string(file).unwrap())
            .unwrap_or_else(|| {
                panic!(
                    "no axe-core installed by the console's build under {}",
                    build.display()
                )
            })
    })
}

type Outcome = Result<(), Failed>;

/// A test of this file: it starts what it shares through the `Lazy` it is given.
type Test = fn(&Lazy) -> Outcome;

/// Runs `test` in a fresh browser window of its own, saving its last page as
/// `{name}.png` whether it passed or not.
fn in_browser<F>(lazy: &Lazy, name: &'static str, width: u32, test: F) -> Outcome
where
    F: AsyncFnOnce(&Client, &Demo) -> Outcome,
{
    let shared = shared(lazy);
    shared.runtime.block_on(async {
        let client = shared.driver.session(name, width, 900).await;
        let outcome = test(&client, &shared.demo).await;
        if let Ok(png) = client.screenshot().await {
            std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
        }
        let _ = client.close().await;
        outcome
    })
}

fn fail(message: impl Into<String>) -> Failed {
    Failed::from(message.into())
}

/// A WebDriver or JSON error as the test's failure, its message kept.
trait OrFail<T> {
    fn or_fail(self) -> Result<T, Failed>;
}

impl<T, E: std::fmt::Display> OrFail<T> for Result<T, E> {
    fn or_fail(self) -> Result<T, Failed> {
        self.map_err(|e| fail(e.to_string()))
    }
}

/// Clicks the element `locator` finds.
async fn click(client: &Client, locator: Locator<'_>) -> Outcome {
    client
        .find(locator)
        .await
        .or_fail()?
        .click()
        .await
        .or_fail()
}

/// The text of the first `css` on the page, once it is there. A page may draw the element
/// again between finding and reading it (the demo's agent reads every few seconds, and
/// pages redraw what they fetch): a stale element is found again, a few times.
async fn text_of(client: &Client, css: &str) -> Result<String, Failed> {
    for _ in 0..5 {
        match wait_for(client, css).await?.text().await {
            Err(e) if e.is_stale_element_reference() => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            read => return read.or_fail(),
        }
    }
    wait_for(client, css).await?.text().await.or_fail()
}

async fn wait_for(client: &Client, css: &str) -> Result<fantoccini::elements::Element, Failed> {
    match client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => Ok(element),
        Err(e) => {
            let at = client.current_url().await.map(|u| u.to_string());
            Err(fail(format!("no `{css}` on {at:?}: {e}")))
        }
    }
}

async fn sign_in(client: &Client, demo: &Demo, password: &str) -> Outcome {
    sign_in_as(client, demo, "admin", password).await
}

async fn sign_in_as(client: &Client, demo: &Demo, name: &str, password: &str) -> Outcome {
    client.goto(&format!("{}/", demo.url)).await.or_fail()?;
    wait_for(client, "#name")
        .await?
        .send_keys(name)
        .await
        .or_fail()?;
    wait_for(client, "#password")
        .await?
        .send_keys(password)
        .await
        .or_fail()?;
    wait_for(client, "form button[type=submit]")
        .await?
        .click()
        .await
        .or_fail()?;
    Ok(())
}

/// Rows of the fleet table once it holds `expected`, reloading while the agent is still
/// finding the printers (its first discovery takes a few seconds).
async fn fleet_rows(client: &Client, expected: usize) -> Result<usize, Failed> {
    let mut rows = 0;
    for _ in 0..60 {
        wait_for(client, "main h1").await?;
        rows = client
            .find_all(Locator::Css("table.fleet tbody tr"))
            .await
            .or_fail()?
            .len();
        if rows >= expected {
            return Ok(rows);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        client.refresh().await.or_fail()?;
    }
    Ok(rows)
}

/// axe-core's serious and critical violations on the page shown, as `rule: target` lines.
async fn accessibility_violations(client: &Client) -> Result<Vec<String>, Failed> {
    client
        .execute(axe_source(), vec![])
        .await
        .map_err(|e| fail(format!("axe-core did not load: {e}")))?;
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then((r) => done(r.violations), (e) => done([{ id: 'axe failed', impact: 'critical', nodes: [{ target: [String(e)] }] }]));",
            vec![],
        )
        .await
        .map_err(|e| fail(format!("axe-core did not run: {e}")))?;
    let mut serious = Vec::new();
    for violation in found.as_array().into_iter().flatten() {
        let impact = violation["impact"].as_str().unwrap_or("");
        if impact == "serious" || impact == "critical" {
            let targets: Vec<String> = violation["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| n["target"].to_string())
                .collect();
            serious.push(format!(
                "{} ({impact}): {}",
                violation["id"],
                targets.join(", ")
            ));
        }
    }
    Ok(serious)
}

async fn accessible(client: &Client, page: &str) -> Outcome {
    let violations = accessibility_violations(client).await?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(fail(format!(
            "axe-core on the {page} page:\n{}",
            violations.join("\n")
        )))
    }
}

fn signing_in_shows_every_printer_the_agent_found(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "fleet", 1366, async |client, demo| {
        client.goto(&format!("{}/", demo.url)).await.or_fail()?;
        wait_for(client, "#name").await?;
        accessible(client, "sign-in").await?;
        sign_in(client, demo, &demo.password).await?;
        let rows = fleet_rows(client, demo.printers).await?;
        if rows != demo.printers {
            return Err(fail(format!(
                "the fleet page lists {rows} devices; the demo simulates {} printers",
                demo.printers
            )));
        }
        let statuses = client
            .find_all(Locator::Css("table.fleet tbody .status"))
            .await
            .or_fail()?;
        if statuses.len() != rows {
            return Err(fail(format!(
                "{} status badges for {rows} rows",
                statuses.len()
            )));
        }
        accessible(client, "fleet").await
    })
}

/// Whether the page says a refusal holding `expected` in `#{error}`, and the field
/// `#{field}` is described by it (among what else describes it), as a screen reader
/// announces it.
async fn refused_beside(client: &Client, field: &str, error: &str, expected: &str) -> Outcome {
    let text = text_of(client, &format!("#{error}")).await?;
    if !text.contains(expected) {
        return Err(fail(format!("#{error} says {text:?}, not {expected:?}")));
    }
    let described = wait_for(client, &format!("#{field}"))
        .await?
        .attr("aria-describedby")
        .await
        .or_fail()?;
    // A field may be described by its hint too; the refusal must be among what it names.
    if !described
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .any(|id| id == error)
    {
        return Err(fail(format!(
            "#{field} is described by {described:?}, not #{error}"
        )));
    }
    Ok(())
}

fn a_wrong_password_is_refused_beside_the_password_field(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "sign-in-refused", 1024, async |client, demo| {
        sign_in(client, demo, "not the password").await?;
        refused_beside(
            client,
            "password",
            "sign-in-error",
            "wrong user name or password",
        )
        .await?;
        accessible(client, "refused sign-in").await
    })
}

/// The Kyocera ECOSYS P2040dw the demo simulates from PrintMaster's recording, as
/// `fixtures/recorded/printmaster/SOURCES.md` states it: serial VD21457943,
/// prtMarkerLifeCount 7432 when recorded (the demo's printers print on from there), the
/// TK-1162 toner at 7056 of 7200 (98 %).
const KYOCERA_SERIAL: &str = "VD21457943";
const KYOCERA_TOTAL: u64 = 7432;
const KYOCERA_TONER: (&str, &str) = ("TK-1162", "98 %");

fn a_device_found_by_its_serial_shows_its_counter_and_toner(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "device", 1366, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        let search = wait_for(client, "#fleet-q").await?;
        search.send_keys(KYOCERA_SERIAL).await.or_fail()?;
        search.send_keys("\u{E007}").await.or_fail()?;
        let searched = format!("q={KYOCERA_SERIAL}");
        let mut at = String::new();
        for _ in 0..60 {
            at = client.current_url().await.or_fail()?.to_string();
            if at.contains(&searched) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if !at.contains(&searched) {
            return Err(fail(format!("the search is not in the address: {at}")));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rows = fleet_rows(client, 1).await?;
        if rows != 1 {
            return Err(fail(format!(
                "searching {KYOCERA_SERIAL} listed {rows} devices"
            )));
        }
        click(client, Locator::Css("table.fleet tbody a")).await?;
        wait_for(client, "#counters").await?;
        let shown: Value = client
            .execute(
                "const facts = {};
                 for (const dt of document.querySelectorAll('dl.facts dt')) facts[dt.textContent] = dt.nextElementSibling.textContent;
                 const rows = (label) => [...document.querySelectorAll(`section[aria-labelledby=${label}] tbody tr`)]
                     .map((tr) => [...tr.cells].map((td) => td.textContent));
                 return { facts, counters: rows('counters'), supplies: rows('supplies') };",
                vec![],
            )
            .await
            .or_fail()?;
        if shown["facts"]["Serial"] != json!(KYOCERA_SERIAL) {
            return Err(fail(format!("the device page shows {shown}")));
        }
        let digits = |v: &Value| {
            v.as_str()
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        };
        let total = shown["counters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|row| row[0] == json!("total"))
            .and_then(|row| digits(&row[1]).parse::<u64>().ok());
        // The demo's printers print on from their recordings, so the total shown lies
        // between the recorded one and what the API holds now, after the page was read.
        let at = client.current_url().await.or_fail()?;
        let device = at.path().trim_start_matches("/devices/");
        let readings = api(
            client,
            "GET",
            &format!("/api/v1/devices/{device}/readings?limit=20"),
            Value::Null,
        )
        .await?;
        let now = readings
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|r| r["reading"]["counters"]["total"].as_u64());
        if total.is_none_or(|t| t < KYOCERA_TOTAL || now.is_none_or(|now| t > now)) {
            return Err(fail(format!(
                "the total counter shown is {total:?}, not from {KYOCERA_TOTAL} (recorded) to {now:?} (read last): {shown}"
            )));
        }
        let toner = shown["supplies"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|row| row[0] == json!(KYOCERA_TONER.0));
        if toner.is_none_or(|row| row[1] != json!(KYOCERA_TONER.1)) {
            return Err(fail(format!(
                "the {} toner shows {toner:?}, not {}",
                KYOCERA_TONER.0, KYOCERA_TONER.1
            )));
        }
        accessible(client, "device").await
    })
}

fn the_fleet_reads_on_a_tablet(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "fleet-tablet", 768, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        let overflow: Value = client
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
            .await
            .or_fail()?;
        if overflow.as_i64().unwrap_or(0) > 0 {
            return Err(fail(format!(
                "the fleet page is {overflow} px wider than a 768 px tablet"
            )));
        }
        accessible(client, "fleet on a tablet").await
    })
}

/// What the page's script answers for `fetch(path)` with the signed-in session: the test
/// sets up through the same API the console uses.
async fn api(client: &Client, method: &str, path: &str, body: Value) -> Result<Value, Failed> {
    let answer = client
        .execute_async(
            "const [method, path, body, done] = arguments;
             fetch(path, { method, headers: { 'Content-Type': 'application/json',
                 Authorization: `Bearer ${sessionStorage.getItem('quire.session')}` },
                 body: body === null ? undefined : JSON.stringify(body) })
               .then(async (r) => done({ status: r.status, body: await r.json().catch(() => null) }),
                     (e) => done({ status: 0, body: String(e) }));",
            vec![json!(method), json!(path), body],
        )
        .await
        .map_err(|e| fail(format!("{method} {path}: {e}")))?;
    match answer["status"].as_u64() {
        Some(200..=299) => Ok(answer["body"].clone()),
        _ => Err(fail(format!("{method} {path} answered {answer}"))),
    }
}

/// Adds a customer account `account` beside the demo's and its user `name`, signs the
/// admin out and signs that user in.
async fn sign_in_as_another_customer(
    client: &Client,
    demo: &Demo,
    account: &str,
    name: &str,
    password: &str,
) -> Outcome {
    let account = api(
        client,
        "POST",
        "/api/v1/accounts",
        json!({"name": account, "parent-id": MAIN_DEALER}),
    )
    .await?;
    api(
        client,
        "POST",
        "/api/v1/users",
        json!({"name": name, "password": password,
               "role": "account-user", "account-ids": [account["id"]]}),
    )
    .await?;
    click(client, Locator::XPath("//button[text()='Sign out']")).await?;
    sign_in_as(client, demo, name, password).await?;
    // Signed in once the console's bar is there.
    wait_for(client, "header.bar").await.map(drop)
}

fn another_customers_user_sees_none_of_the_fleet_by_list_search_or_link(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "other-account", 1366, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        sign_in_as_another_customer(
            client,
            demo,
            "Another customer",
            "another-customer",
            "a long password of theirs",
        )
        .await?;
        let said = text_of(client, "main p.empty").await?;
        if !said.contains("No device has been read yet") {
            return Err(fail(format!(
                "the other customer's fleet page says {said:?}"
            )));
        }
        client
            .goto(&format!("{}/?q={KYOCERA_SERIAL}", demo.url))
            .await
            .or_fail()?;
        let said = text_of(client, "main p.empty").await?;
        if !said.contains("No device matches") {
            return Err(fail(format!("searching the demo's Kyocera shows {said:?}")));
        }
        client
            .goto(&format!("{}/devices/1", demo.url))
            .await
            .or_fail()?;
        let said = text_of(client, "main p.field-error").await?;
        if !said.contains("No such device among the accounts you see") {
            return Err(fail(format!("the demo's device 1 by link shows {said:?}")));
        }
        if client.find(Locator::Css("dl.facts")).await.is_ok() {
            return Err(fail(
                "the other customer's browser shows the demo device's identity",
            ));
        }
        accessible(client, "device refused").await
    })
}

fn a_range_csv_with_a_bad_line_is_refused_beside_that_line(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "network-csv", 1366, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        client
            .goto(&format!("{}/network?account={}", demo.url, demo.account))
            .await
            .or_fail()?;
        wait_for(client, "section[aria-labelledby=sites] tbody tr").await?;
        let ranges = || async {
            client
                .execute(
                    "return [...document.querySelectorAll('section[aria-labelledby=sites] tbody tr')]
                        .map((tr) => tr.cells[0].textContent + ': ' + tr.cells[1].textContent);",
                    vec![],
                )
                .await
                .or_fail()
        };
        let before = ranges().await?;
        let csv = "site,range\nHead office,127.150.0.1-127.150.0.37\nHead office,127.150.0.300\n";
        wait_for(client, "#csv-text")
            .await?
            .send_keys(csv)
            .await
            .or_fail()?;
        click(client, Locator::XPath("//button[text()='Upload ranges']")).await?;
        wait_for(client, "#csv-error").await?;
        let beside: Value = client
            .execute(
                "const error = document.querySelector('#csv-error');
                 const line = error.closest('li');
                 return { number: [...line.parentElement.children].indexOf(line) + 1,
                          line: line.querySelector('code').textContent,
                          error: error.textContent };",
                vec![],
            )
            .await
            .or_fail()?;
        if beside["number"] != json!(3) || beside["line"] != json!("Head office,127.150.0.300") {
            return Err(fail(format!("the refusal is beside {beside}, not line 3")));
        }
        if !beside["error"]
            .as_str()
            .unwrap_or("")
            .contains("127.150.0.300")
        {
            return Err(fail(format!(
                "the refusal does not name the bad address: {beside}"
            )));
        }
        let after = ranges().await?;
        if after != before || !before.to_string().contains("127.150.0.1-127.150.0.37") {
            return Err(fail(format!(
                "the site's ranges were {before}, and after the refused upload {after}"
            )));
        }
        // The screenshot shows the refusal where the dealer sees it.
        scroll_to(client, "#csv-error", "center").await?;
        accessible(client, "network").await
    })
}

/// The text of each cell of the work orders table, row by row.
async fn work_order_rows(client: &Client) -> Result<Vec<Vec<String>>, Failed> {
    let rows = client
        .execute(
            "return [...document.querySelectorAll('table.work-orders tbody tr')]
                .map((tr) => [...tr.cells].map((td) => td.textContent));",
            vec![],
        )
        .await
        .or_fail()?;
    serde_json::from_value(rows).or_fail()
}

/// Clicks the button whose text starts with `label` in the row of order `order`, and waits
/// until the row's status reads `status`.
async fn progress(client: &Client, order: &str, label: &str, status: &str) -> Outcome {
    let row =
        format!("//table[contains(@class,'work-orders')]//tr[normalize-space(td[1])='{order}']");
    client
        .find(Locator::XPath(&format!(
            "{row}//button[starts-with(normalize-space(.), '{label}')]"
        )))
        .await
        .map_err(|e| fail(format!("no {label:?} button for {order}: {e}")))?
        .click()
        .await
        .or_fail()?;
    for _ in 0..60 {
        let rows = work_order_rows(client).await?;
        if rows.iter().any(|r| r[0] == order && r[5] == status) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(fail(format!(
        "{order} never read {status}: {:?}",
        work_order_rows(client).await?
    )))
}

fn a_work_order_is_opened_from_a_condition_taken_and_done(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "maintenance", 1366, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        client
            .goto(&format!("{}/maintenance", demo.url))
            .await
            .or_fail()?;
        wait_for(client, "section[aria-labelledby=attention] tbody tr").await?;
        // The Kyocera's recording holds alert rows (its SOURCES.md row names three), so
        // the dashboard lists it; its first condition gets the order.
        let kyocera = format!(
            "//section[@aria-labelledby='attention']//tr[td[1][contains(., '{KYOCERA_SERIAL}')]]"
        );
        let condition = client
            .find(Locator::XPath(&format!("{kyocera}/td[2]")))
            .await
            .map_err(|e| {
                fail(format!(
                    "the dashboard does not list the Kyocera {KYOCERA_SERIAL}: {e}"
                ))
            })?
            .text()
            .await
            .or_fail()?;
        let before = work_order_rows(client).await?.len();
        click(client, Locator::XPath(&format!("{kyocera}//button"))).await?;
        let mut rows = Vec::new();
        for _ in 0..60 {
            rows = work_order_rows(client).await?;
            if rows.len() > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let Some(opened) = rows.iter().find(|r| r[2] == condition && r[5] == "open") else {
            return Err(fail(format!(
                "no open order for {condition} among {rows:?}"
            )));
        };
        let order = opened[0].clone();
        progress(client, &order, "Take it", "assigned").await?;
        progress(client, &order, "Mark done", "done").await?;
        let id = order.trim_start_matches('#');
        let history = api(
            client,
            "GET",
            &format!("/api/v1/work-orders/{id}/history"),
            Value::Null,
        )
        .await?;
        let statuses: Vec<&str> = history
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|change| change["status"].as_str())
            .collect();
        if statuses != ["open", "assigned", "done"] {
            return Err(fail(format!("order {order}'s history holds {statuses:?}")));
        }
        accessible(client, "maintenance").await
    })
}

/// Devices of the large fleet.
const LARGE_FLEET: i64 = 100_000;

/// Fills the server's PostgreSQL database with `LARGE_FLEET` devices of a new account, each
/// with a toner and a drum level (every tenth toner low), in a few set-based statements.
async fn fill_large_fleet(url: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO accounts (name) VALUES ('Large customer');
         INSERT INTO sites (account_id, name) SELECT id, 'Head office' FROM accounts WHERE name = 'Large customer';
         INSERT INTO devices (account_id, site_id, identity, serial, mac, manufacturer, model,
             first_seen, last_seen, strategy_name, strategy_version, status)
         SELECT a.id, s.id, 'large-' || i, 'LF' || lpad(i::text, 8, '0'), NULL, 'Kyocera',
             CASE WHEN i % 3 = 0 THEN 'ECOSYS P2040dw' ELSE 'TASKalfa 2553ci' END,
             now() - interval '30 days', now() - (i % 1440) * interval '1 minute',
             'printer-mib', '0.1.0', CASE WHEN i % 50 = 0 THEN 'down' ELSE 'running' END
         FROM accounts a JOIN sites s ON s.account_id = a.id, generate_series(1, {LARGE_FLEET}) i
         WHERE a.name = 'Large customer';
         INSERT INTO daily_levels (device_id, day, idx, kind, color, description, first_at,
             first_percent, last_at, last_percent, min_percent, last_state)
         SELECT d.id, current_date, k.idx, k.kind, k.color, k.description, now(), p.percent,
             now(), p.percent, p.percent,
             CASE WHEN p.percent <= 10 THEN 'low' ELSE 'ok' END
         FROM devices d JOIN accounts a ON a.id = d.account_id AND a.name = 'Large customer'
         CROSS JOIN (VALUES (1, 'toner', 'black', 'TK-1162'), (2, 'drum', NULL, 'DK-1150')) AS k (idx, kind, color, description)
         CROSS JOIN LATERAL (SELECT CASE WHEN k.idx = 1 AND d.id % 10 = 0 THEN 5 ELSE (d.id * 7 + k.idx * 13) % 90 + 11 END AS percent) p;
         ANALYZE;"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
}

fn a_fleet_of_100000_devices_paints_its_first_rows(lazy: &Lazy) -> Outcome {
    let shared = shared(lazy);
    shared.runtime.block_on(async {
        let db = quire_testdb::postgres().await;
        let demo = Demo::server(&db.url);
        fill_large_fleet(&db.url).await;
        let client = shared.driver.session("fleet-100000", 1366, 900).await;
        let outcome: Outcome = async {
            sign_in(&client, &demo, &demo.password).await?;
            wait_for(&client, "table.fleet tbody tr").await?;
            // A fresh load, as opening the console signed in is: navigation start is zero.
            let mut figures = Vec::new();
            for _ in 0..3 {
                client
                    .goto(&format!("{}/", demo.url))
                    .await
                    .or_fail()?;
                wait_for(&client, "table.fleet tbody tr").await?;
                let mut painted = Value::Null;
                for _ in 0..50 {
                    painted = client
                        .execute(
                            "const m = performance.getEntriesByName('fleet-first-rows')[0];
                             return m ? m.startTime : null;",
                            vec![],
                        )
                        .await
                        .or_fail()?;
                    if !painted.is_null() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                figures.push(painted.as_f64().ok_or_else(|| {
                    fail("the fleet page never marked its first rows".to_owned())
                })?);
            }
            let total: Value = client
                .execute(
                    "return document.querySelector('.counts dd').textContent;",
                    vec![],
                )
                .await
                .or_fail()?;
            let digits: String = total
                .as_str()
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if digits.parse::<i64>().unwrap_or(0) < LARGE_FLEET {
                return Err(fail(format!("the fleet counts {total} devices, not over {LARGE_FLEET}")));
            }
            println!(
                "fleet of {total} devices (PostgreSQL): first rows painted {} ms after navigation start \
                 (three loads; machine shared, load {})",
                figures
                    .iter()
                    .map(|ms| format!("{ms:.0}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                std::fs::read_to_string("/proc/loadavg")
                    .unwrap_or_default()
                    .split_whitespace()
                    .next()
                    .unwrap_or("?")
            );
            accessible(&client, "fleet of 100,000").await
        }
        .await;
        if let Ok(png) = client.screenshot().await {
            std::fs::write(screenshots().join("fleet-100000.png"), png).unwrap();
        }
        let _ = client.close().await;
        drop(demo);
        outcome
    })
}

/// The main dealer: the account the demo's customer belongs to.
const MAIN_DEALER: i64 = 1;

/// The Kyocera's model, which the demo simulates once.
const KYOCERA_MODEL: &str = "ECOSYS P2040dw";

/// Saves the page shown as `{name}.png` beside the tests' last pages, for a page a test
/// passes through.
/// Scrolls the element `css` finds to `block` (`start`, `center`) of the window, so a
/// screenshot shows it.
async fn scroll_to(client: &Client, css: &str, block: &str) -> Outcome {
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: arguments[1] });",
            vec![json!(css), json!(block)],
        )
        .await
        .or_fail()?;
    Ok(())
}

async fn snapshot(client: &Client, name: &str) -> Outcome {
    let png = client.screenshot().await.or_fail()?;
    std::fs::write(screenshots().join(format!("{name}.png")), png).or_fail()
}

/// How many px the page is wider than the window.
async fn overflow(client: &Client) -> Result<i64, Failed> {
    let wider: Value = client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .or_fail()?;
    Ok(wider.as_i64().unwrap_or(0))
}

/// Picks `value` in the `<select>` `css`. An option whose value is its text has no
/// `value` attribute (Preact leaves it out), so it is found by its text.
async fn choose(client: &Client, css: &str, value: &str) -> Outcome {
    wait_for(client, css)
        .await?
        .select_by(Locator::XPath(&format!(
            ".//option[@value='{value}' or (not(@value) and normalize-space(.)='{value}')]"
        )))
        .await
        .or_fail()
}

/// Types `text` into the field `css`, in place of what it held.
async fn type_into(client: &Client, css: &str, text: &str) -> Outcome {
    let field = wait_for(client, css).await?;
    field.clear().await.or_fail()?;
    field.send_keys(text).await.or_fail()
}

/// The main dealer's definition `name`, as the API stores it, once it is there.
async fn stored_definition(client: &Client, name: &str) -> Result<Option<Value>, Failed> {
    let all = api(
        client,
        "GET",
        "/api/v1/asm/definitions?limit=1000",
        Value::Null,
    )
    .await?;
    Ok(all
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["definition"]["name"] == json!(name))
        .cloned())
}

fn a_consumable_alert_with_two_filters_is_defined_in_the_form_and_listed(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "asm-definitions", 1366, async |client, demo| {
        const NAME: &str = "Kyocera toner low (defined in the console)";
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        for link in ["ASM", "Definitions", "Define an alert"] {
            client
                .wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::LinkText(link))
                .await
                .map_err(|e| fail(format!("no link {link:?}: {e}")))?
                .click()
                .await
                .or_fail()?;
        }
        type_into(client, "#def-name", NAME).await?;
        choose(client, "#def-consumable", "toner").await?;
        click(client, Locator::XPath("//button[text()='Add a filter']")).await?;
        click(client, Locator::XPath("//button[text()='Add a filter']")).await?;
        choose(client, "#filter-0-method", "manufacturer").await?;
        type_into(client, "#filter-0-value", "Kyocera").await?;
        choose(client, "#filter-1-joiner", "and").await?;
        choose(client, "#filter-1-method", "model").await?;
        type_into(client, "#filter-1-value", KYOCERA_MODEL).await?;
        // A threshold of 0 is refused beside the threshold field, and nothing is stored.
        type_into(client, "#def-threshold", "0").await?;
        click(
            client,
            Locator::XPath("//button[text()='Save the definition']"),
        )
        .await?;
        refused_beside(client, "def-threshold", "def-threshold-error", "1 to 100").await?;
        if let Some(stored) = stored_definition(client, NAME).await? {
            return Err(fail(format!("the refused definition was stored: {stored}")));
        }
        accessible(client, "definition form refused").await?;
        scroll_to(client, "#def-threshold", "start").await?;
        snapshot(client, "asm-definition-form").await?;
        type_into(client, "#def-threshold", "15").await?;
        click(
            client,
            Locator::XPath("//button[text()='Save the definition']"),
        )
        .await?;
        let row = format!(
            "//table[contains(@class,'definitions')]//tr[td[1][normalize-space(.)='{NAME}']]"
        );
        let listed = client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(&row))
            .await
            .map_err(|e| fail(format!("the list does not show {NAME:?}: {e}")))?;
        let groups = listed
            .find_all(Locator::Css(".filter-groups .group"))
            .await
            .or_fail()?;
        let mut shown = Vec::new();
        for group in &groups {
            shown.push(group.text().await.or_fail()?);
        }
        if shown
            != [
                "Manufacturer is Kyocera",
                &format!("Model is {KYOCERA_MODEL}"),
            ]
        {
            return Err(fail(format!(
                "the definition's filters show as the groups {shown:?}, not (Kyocera) AND (model)"
            )));
        }
        let Some(stored) = stored_definition(client, NAME).await? else {
            return Err(fail(format!("the API holds no definition {NAME:?}")));
        };
        let definition = &stored["definition"];
        let filters = json!([
            {"joiner": "and", "managed": "both", "method": {"manufacturer": "Kyocera"}},
            {"joiner": "and", "managed": "both", "method": {"model": KYOCERA_MODEL}},
        ]);
        let trigger = json!({"consumable": {"consumable": "toner", "threshold-percent": 15}});
        if definition["filters"] != filters
            || definition["trigger"] != trigger
            || stored["filter-grouping"] != json!("(F1) AND (F2)")
        {
            return Err(fail(format!("the API stored {stored}")));
        }
        accessible(client, "definitions").await?;
        client.set_window_size(768, 900).await.or_fail()?;
        let wider = overflow(client).await?;
        snapshot(client, "asm-definitions-768").await?;
        if wider > 0 {
            return Err(fail(format!(
                "the definitions page is {wider} px wider than a 768 px tablet"
            )));
        }
        client.set_window_size(1366, 900).await.or_fail()?;
        Ok(())
    })
}

/// The main dealer's e-mail recipients: its admin and supplies contacts, the supplies
/// contact receiving its alerts' e-mails.
const SUPPLIES: &str = "supplies@dealer.example";

/// Defines, through the API, the main dealer's alert `name` on the Kyocera's toner below
/// 99 % (its recording's 98 % triggers it), e-mailed once approved; its id.
async fn kyocera_alert(client: &Client, name: &str) -> Result<i64, Failed> {
    let definition = api(
        client,
        "POST",
        "/api/v1/asm/definitions",
        json!({
            "owner-account-id": MAIN_DEALER,
            "name": name,
            "hierarchical": true,
            "trigger": {"consumable": {"consumable": "toner", "threshold-percent": 99}},
            "overdue": {"unit": "days", "value": 7},
            "stale": {"unit": "days", "value": 7},
            "filters": [{"joiner": "and", "managed": "both", "method": {"model": KYOCERA_MODEL}}],
            "actions": [{"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                "requires-approval": true, "timing": "immediate", "max-attempts": 3}],
        }),
    )
    .await?;
    definition["id"]
        .as_i64()
        .ok_or_else(|| fail(format!("the definition created is {definition}")))
}

/// The id of `definition`'s event once the server's tick raised it, waiting for approval.
async fn waiting_event(client: &Client, definition: i64) -> Result<i64, Failed> {
    let path = format!("/api/v1/asm/events?definition-id={definition}&status=waiting-for-approval");
    for _ in 0..120 {
        let events = api(client, "GET", &path, Value::Null).await?;
        if let Some(id) = events[0]["id"].as_i64() {
            return Ok(id);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(fail(format!(
        "no event of definition {definition} waits for approval after a minute"
    )))
}

fn an_alert_approved_in_the_console_is_emailed_to_the_smtp_mailbox(lazy: &Lazy) -> Outcome {
    let smtp = &shared(lazy).smtp;
    in_browser(lazy, "asm-approved", 1366, async |client, demo| {
        const NAME: &str = "Kyocera toner for approval";
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        api(
            client,
            "PUT",
            &format!("/api/v1/accounts/{MAIN_DEALER}/contacts"),
            json!([
                {"role": "admin", "name": "Ada Admin", "email": "admin@dealer.example"},
                {"role": "supplies", "name": "Sam Supplies", "email": SUPPLIES},
            ]),
        )
        .await?;
        api(
            client,
            "PUT",
            &format!("/api/v1/accounts/{MAIN_DEALER}/processing-behaviours"),
            json!([{"result-type": "email", "recipients": [{"primary-dealer-contact": "supplies"}]}]),
        )
        .await?;
        let definition = kyocera_alert(client, NAME).await?;
        let event = waiting_event(client, definition).await?;
        client.goto(&format!("{}/asm", demo.url)).await.or_fail()?;
        let queued = format!(
            "//table[@aria-label='Alerts waiting for approval']//tr[@data-event='{event}']"
        );
        client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(&queued))
            .await
            .map_err(|e| {
                fail(format!(
                    "the approvals queue does not list alert {event}: {e}"
                ))
            })?;
        accessible(client, "approvals").await?;
        snapshot(client, "asm-approvals").await?;
        click(
            client,
            Locator::XPath(&format!(
                "{queued}//button[starts-with(normalize-space(.), 'Approve')]"
            )),
        )
        .await?;
        let filed = text_of(client, "section[aria-labelledby=approvals] p.done").await?;
        if !filed.contains(&format!("#{event} approved")) {
            return Err(fail(format!("approving says {filed:?}")));
        }
        let mut mail = None;
        for _ in 0..180 {
            mail = smtp
                .messages()
                .into_iter()
                .find(|m| m.subject.contains(NAME) && m.rcpt_tos.iter().any(|to| to == SUPPLIES));
            if mail.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let Some(mail) = mail else {
            return Err(fail(format!(
                "no e-mail of {NAME:?} to {SUPPLIES} reached the SMTP server in 90 s; it holds {:?}",
                smtp.messages()
                    .iter()
                    .map(|m| &m.subject)
                    .collect::<Vec<_>>()
            )));
        };
        if !mail.subject.contains(KYOCERA_SERIAL) || !mail.body.contains("toner") {
            return Err(fail(format!(
                "the e-mail is not about the Kyocera's toner: {mail:?}"
            )));
        }
        // The alert's own page, the settings the e-mail went by and what ASM still lacks,
        // each looked at and checked by axe-core.
        client
            .goto(&format!("{}/asm/events/{event}", demo.url))
            .await
            .or_fail()?;
        wait_for(client, "section[aria-labelledby=event] dl.facts").await?;
        accessible(client, "alert event").await?;
        snapshot(client, "asm-event").await?;
        client
            .goto(&format!("{}/asm/settings?account={MAIN_DEALER}", demo.url))
            .await
            .or_fail()?;
        let contact = wait_for(client, "#contacts-1-email")
            .await?
            .prop("value")
            .await
            .or_fail()?;
        if contact.as_deref() != Some(SUPPLIES) {
            return Err(fail(format!(
                "the settings show the second contact as {contact:?}, not {SUPPLIES}"
            )));
        }
        wait_for(client, "#processing-behaviour-0-recipient").await?;
        wait_for(client, "#template-0-subject").await?;
        accessible(client, "ASM settings").await?;
        snapshot(client, "asm-settings").await?;
        client
            .goto(&format!("{}/asm/preconditions", demo.url))
            .await
            .or_fail()?;
        wait_for(
            client,
            "ul.preconditions li, section[aria-labelledby=preconditions] p.done",
        )
        .await?;
        accessible(client, "ASM preconditions").await?;
        snapshot(client, "asm-preconditions").await?;
        // The e-mail history shows it sent, to the supplies contact.
        client
            .goto(&format!("{}/asm/emails", demo.url))
            .await
            .or_fail()?;
        let sent = format!(
            "//table[contains(@class,'emails')]//tr[td[4][contains(., '{NAME}')]][td[2][contains(., 'sent')]][td[3][contains(., '{SUPPLIES}')]]"
        );
        let mut listed = false;
        for _ in 0..30 {
            wait_for(
                client,
                "section[aria-labelledby=emails] table, section[aria-labelledby=emails] p.empty",
            )
            .await?;
            if client.find(Locator::XPath(&sent)).await.is_ok() {
                listed = true;
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            client.refresh().await.or_fail()?;
        }
        if !listed {
            return Err(fail("the e-mail history does not show the e-mail sent"));
        }
        accessible(client, "e-mail history").await?;
        client.set_window_size(768, 900).await.or_fail()?;
        let wider = overflow(client).await?;
        snapshot(client, "asm-emails-768").await?;
        client.set_window_size(1366, 900).await.or_fail()?;
        if wider > 0 {
            return Err(fail(format!(
                "the e-mail history is {wider} px wider than a 768 px tablet"
            )));
        }
        Ok(())
    })
}

fn another_accounts_user_sees_no_asm_definition_or_alert_by_list_link_or_form(
    lazy: &Lazy,
) -> Outcome {
    in_browser(lazy, "asm-other-account", 768, async |client, demo| {
        const NAME: &str = "Kyocera toner, hidden from others";
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        let definition = kyocera_alert(client, NAME).await?;
        let event = waiting_event(client, definition).await?;
        sign_in_as_another_customer(
            client,
            demo,
            "ASM outsider",
            "asm-outsider",
            "the outsider's long password",
        )
        .await?;
        let said = |css: &'static str, expected: &'static str, page: String| async move {
            client
                .goto(&format!("{}{page}", demo.url))
                .await
                .or_fail()?;
            let text = text_of(client, css).await?;
            let body = text_of(client, "main").await?;
            if !text.contains(expected) {
                return Err(fail(format!("{page} says {text:?}, not {expected:?}")));
            }
            if body.contains(NAME) || body.contains(KYOCERA_SERIAL) {
                return Err(fail(format!(
                    "{page} shows the other account's alert: {body}"
                )));
            }
            accessible(client, &page).await
        };
        said(
            "section[aria-labelledby=approvals] p.empty",
            "No alert waits for approval",
            "/asm".into(),
        )
        .await?;
        said(
            "section[aria-labelledby=events] p.empty",
            "No alert event here",
            "/asm".into(),
        )
        .await?;
        said(
            "section[aria-labelledby=definitions] p.empty",
            "No alert defined for your accounts",
            "/asm/definitions".into(),
        )
        .await?;
        said(
            "main p.field-error",
            "No such alert definition among the accounts you see",
            format!("/asm/definitions/{definition}"),
        )
        .await?;
        said(
            "main p.field-error",
            "No such alert event among the accounts you see",
            format!("/asm/events/{event}"),
        )
        .await?;
        said(
            "main p.field-error",
            "No such account among the accounts you see",
            format!("/asm/settings?account={MAIN_DEALER}"),
        )
        .await?;
        said(
            "section[aria-labelledby=emails] p.empty",
            "No e-mail yet",
            "/asm/emails".into(),
        )
        .await?;
        // By form: the outsider is offered none, and the API refuses what it would send.
        said(
            "section[aria-labelledby=definition] p.empty",
            "Only a dealer's users define alerts",
            "/asm/definitions/new".into(),
        )
        .await?;
        let refused: Value = client
            .execute_async(
                "const [path, done] = arguments;
                 fetch(path, { method: 'POST', headers: {
                     Authorization: `Bearer ${sessionStorage.getItem('quire.session')}` } })
                   .then((r) => done(r.status), (e) => done(String(e)));",
                vec![json!(format!("/api/v1/asm/events/{event}/approve"))],
            )
            .await
            .or_fail()?;
        if refused != json!(404) {
            return Err(fail(format!(
                "the outsider approving alert {event} was answered {refused}, not 404"
            )));
        }
        Ok(())
    })
}

/// Every leaf of `value` with its path as the strategies page writes it
/// (`supplies[0].level`).
fn leaves(value: &Value, path: String, into: &mut Vec<(String, Value)>) {
    let step = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                leaves(v, step(key), into);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{path}[{i}]"), into);
            }
        }
        Value::Object(_) => into.push((path, json!("{}"))),
        Value::Array(_) => into.push((path, json!("[]"))),
        leaf => into.push((path, leaf.clone())),
    }
}

/// The version the strategies page shows in use for `name`, once it reads `expected`.
async fn version_shown(client: &Client, name: &str, expected: &str) -> Outcome {
    let cell = format!(
        "//table[contains(@class,'plugins')]//tr[th[starts-with(normalize-space(.), '{name}')]]/td[1]"
    );
    let mut shown = String::new();
    for _ in 0..120 {
        if let Ok(found) = client.find(Locator::XPath(&cell)).await {
            shown = found.text().await.or_fail()?;
            if shown == expected {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(fail(format!(
        "the strategies page shows {name} {shown:?}, not {expected}"
    )))
}

/// The published printer-mib versions as the API lists them: (version, serving, withdrawn).
async fn printer_mib_versions(client: &Client) -> Result<Vec<(String, bool, bool)>, Failed> {
    let listed = api(client, "GET", "/api/v1/plugins", Value::Null).await?;
    Ok(listed
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["kind"] == "strategy" && p["name"] == "printer-mib")
        .map(|p| {
            (
                p["version"].as_str().unwrap_or("").to_owned(),
                p["serving"] == json!(true),
                !p["withdrawn-at"].is_null(),
            )
        })
        .collect())
}

fn a_strategy_is_uploaded_re_read_through_and_rolled_back(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "strategies", 1366, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        // The simulated Kyocera, its strategy and how many devices that strategy reads.
        let found = api(
            client,
            "GET",
            &format!("/api/v1/fleet?q={KYOCERA_SERIAL}"),
            Value::Null,
        )
        .await?;
        let Some(device) = found["devices"][0]["device"]["id"].as_i64() else {
            return Err(fail(format!("the demo has no Kyocera: {found}")));
        };
        let strategy = found["devices"][0]["device"]["strategy"]["name"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let same = api(
            client,
            "GET",
            &format!("/api/v1/fleet?strategy={strategy}&limit=1"),
            Value::Null,
        )
        .await?;
        let reads = same["counts"]["devices"].as_u64().unwrap_or(0);
        // A reading made by the built-in version, before the upload: the agent's next
        // ones may be the new version's.
        let readings = api(
            client,
            "GET",
            &format!("/api/v1/devices/{device}/readings?limit=1"),
            Value::Null,
        )
        .await?;
        let (Some(reading), true) = (readings[0]["id"].as_i64(), readings[0]["has-raw"] == true)
        else {
            return Err(fail(format!(
                "device {device}'s last reading kept no exchange: {readings}"
            )));
        };
        let stored_by = format!(
            "read by {strategy} {}",
            readings[0]["strategy"]["version"].as_str().unwrap_or("")
        );
        client
            .goto(&format!("{}/strategies", demo.url))
            .await
            .or_fail()?;
        version_shown(client, "printer-mib", "0.1.0").await?;
        let link = format!(
            "//table[contains(@class,'plugins')]//tr[th[starts-with(normalize-space(.), '{strategy}')]]//a"
        );
        // The counts arrive after the versions: wait for the link rather than race it.
        let count = client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(&link))
            .await
            .or_fail()?
            .text()
            .await
            .or_fail()?;
        if !count.starts_with(&reads.to_string()) {
            return Err(fail(format!(
                "{strategy} reads {count:?} devices on the page, {reads} by the API"
            )));
        }
        accessible(client, "strategies").await?;

        wait_for(client, "#upload-component")
            .await?
            .send_keys(
                quire_test_guests::path("quire_guest_printer_mib_next")
                    .to_str()
                    .unwrap(),
            )
            .await
            .or_fail()?;
        click(client, Locator::XPath("//button[text()='Upload']")).await?;
        let said = text_of(client, "form p.done").await?;
        if !said.contains("printer-mib 0.2.0") {
            return Err(fail(format!("the upload says {said:?}")));
        }
        version_shown(client, "printer-mib", "0.2.0").await?;
        let published = printer_mib_versions(client).await?;
        if published != [("0.2.0".to_owned(), true, false)] {
            return Err(fail(format!(
                "after the upload the API lists {published:?}"
            )));
        }

        // One of its devices' stored readings, read again through the new version.
        client
            .goto(&format!("{}/strategies?device={device}", demo.url))
            .await
            .or_fail()?;
        wait_for(client, "#reread-reading").await?;
        click(
            client,
            Locator::Css(&format!("#reread-reading option[value='{reading}']")),
        )
        .await?;
        click(
            client,
            Locator::Css("#reread-strategy option[value='printer-mib@0.2.0']"),
        )
        .await?;
        click(
            client,
            Locator::XPath("//button[text()='Re-read and compare']"),
        )
        .await?;
        let said = text_of(client, "#reread-result").await?;
        if !said.contains(&stored_by) || !said.contains("re-read now by printer-mib 0.2.0") {
            return Err(fail(format!(
                "the re-read says {said:?}, not {stored_by:?} and re-read by printer-mib 0.2.0"
            )));
        }
        // The fields listed as changing are those whose values differ between the stored
        // reading and the API's re-read of it through the same version.
        let again = api(
            client,
            "POST",
            &format!(
                "/api/v1/devices/{device}/readings/{reading}/reinterpret?strategy=printer-mib&version=0.2.0"
            ),
            Value::Null,
        )
        .await?;
        let (mut stored, mut now) = (Vec::new(), Vec::new());
        leaves(&readings[0]["reading"], String::new(), &mut stored);
        leaves(&again["reading"], String::new(), &mut now);
        let mut differ: Vec<String> = stored
            .iter()
            .chain(&now)
            .map(|(path, _)| path.clone())
            .filter(|path| {
                let of = |all: &[(String, Value)]| {
                    all.iter().find(|(p, _)| p == path).map(|(_, v)| v.clone())
                };
                of(&stored) != of(&now)
            })
            .collect();
        differ.sort();
        differ.dedup();
        let listed: Value = client
            .execute(
                "return [...document.querySelectorAll('table.changes tbody td code')].map((c) => c.textContent);",
                vec![],
            )
            .await
            .or_fail()?;
        let mut listed: Vec<String> = serde_json::from_value(listed).or_fail()?;
        listed.sort();
        if listed != differ || differ.is_empty() {
            return Err(fail(format!(
                "the page lists {listed:?} as changing; the API's readings differ in {differ:?}"
            )));
        }
        accessible(client, "strategies re-read").await?;
        scroll_to(client, "#reread-result", "center").await?;
        snapshot(client, "strategies-re-read").await?;

        client
            .goto(&format!("{}/strategies", demo.url))
            .await
            .or_fail()?;
        version_shown(client, "printer-mib", "0.2.0").await?;
        click(
            client,
            Locator::XPath("//button[normalize-space(.)='Roll back printer-mib 0.2.0']"),
        )
        .await?;
        client.accept_alert().await.or_fail()?;
        version_shown(client, "printer-mib", "0.1.0").await?;
        let after = printer_mib_versions(client).await?;
        if after != [("0.2.0".to_owned(), false, true)] {
            return Err(fail(format!("after the rollback the API lists {after:?}")));
        }
        let built_in = api(client, "GET", "/api/v1/built-in-plugins", Value::Null).await?;
        let generic = built_in
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["kind"] == "strategy" && p["name"] == "printer-mib");
        if generic.is_none_or(|p| p["serving"] != json!(true)) {
            return Err(fail(format!(
                "the built-in printer-mib is not in use again: {built_in}"
            )));
        }
        client
            .execute("window.scrollTo(0, 0);", vec![])
            .await
            .or_fail()?;
        accessible(client, "strategies rolled back").await
    })
}

/// What the billing page shows: its rows' device, counter, start, end and pages, and the
/// period its date fields name, as the API's instants (local midnights).
async fn billing_shown(client: &Client) -> Result<Value, Failed> {
    client
        .execute(
            "const midnight = (text, days) => { const [y, m, d] = text.split('-').map(Number);
                 return new Date(y, m - 1, d + days).toISOString(); };
             const rows = [...document.querySelectorAll('table.billing tbody tr')].map((tr) => ({
                 device: tr.querySelector('a').getAttribute('href'),
                 counter: tr.cells[1].firstChild.textContent,
                 start: tr.cells[2].firstChild.textContent,
                 end: tr.cells[3].firstChild.textContent,
                 pages: tr.cells[4].textContent }));
             return { rows, from: midnight(document.querySelector('#billing-from').value, 0),
                      to: midnight(document.querySelector('#billing-to').value, 1) };",
            vec![],
        )
        .await
        .or_fail()
}

fn the_billing_page_shows_an_accounts_pages_as_the_api_and_exports_them(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "billing-tablet", 1366, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        // A cost per page for the account's total counter, so costs are more than dashes.
        api(
            client,
            "PUT",
            &format!("/api/v1/accounts/{}/rates", demo.account),
            json!([{"counter": "total", "cost-per-page": "0.0085"}]),
        )
        .await?;
        let digits = |v: &Value| -> String {
            let text = v
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string());
            text.chars().filter(char::is_ascii_digit).collect()
        };
        // The demo's printers print between its reads: once a read after the first has
        // counted pages, the page shows them as the API does. A read landing between the
        // page and the API's answer changes the end readings, so the pair is taken again.
        let (mut on_page, mut from_api, mut period) = (Vec::new(), Vec::new(), String::new());
        for _ in 0..60 {
            client
                .goto(&format!("{}/billing?account={}", demo.url, demo.account))
                .await
                .or_fail()?;
            wait_for(client, "table.billing tbody tr").await?;
            let shown = billing_shown(client).await?;
            period = format!(
                "from={}&to={}",
                shown["from"].as_str().unwrap_or(""),
                shown["to"].as_str().unwrap_or("")
            )
            .replace('+', "%2B");
            let reads = api(
                client,
                "GET",
                &format!("/api/v1/accounts/{}/meter-reads?{period}", demo.account),
                Value::Null,
            )
            .await?;
            from_api = reads["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    vec![
                        format!("/devices/{}", r["device-id"]),
                        r["counter"].as_str().unwrap_or("").to_owned(),
                        digits(&r["start-value"]),
                        digits(&r["end-value"]),
                        digits(&r["pages"]),
                    ]
                })
                .collect();
            on_page = shown["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    vec![
                        r["device"].as_str().unwrap_or("").to_owned(),
                        r["counter"].as_str().unwrap_or("").to_owned(),
                        digits(&r["start"]),
                        digits(&r["end"]),
                        digits(&r["pages"]),
                    ]
                })
                .collect();
            let printed = on_page
                .iter()
                .any(|row| row[4].parse::<u64>().is_ok_and(|pages| pages > 0));
            if printed && on_page == from_api {
                break;
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        if on_page.is_empty() || on_page != from_api {
            return Err(fail(format!(
                "the billing page shows {on_page:?}; the API's meter reads are {from_api:?}"
            )));
        }
        if !on_page
            .iter()
            .any(|row| row[4].parse::<u64>().is_ok_and(|pages| pages > 0))
        {
            return Err(fail(format!(
                "three minutes into the demo its printers have printed no page: {on_page:?}"
            )));
        }
        accessible(client, "billing").await?;

        // The export: the file the page saves is the API's CSV of the same period.
        client
            .execute(
                "window.saved = null;
                 const blobs = new Map();
                 const make = URL.createObjectURL;
                 URL.createObjectURL = (blob) => { const url = make(blob); blobs.set(url, blob); return url; };
                 HTMLAnchorElement.prototype.click = function () {
                     const name = this.download;
                     blobs.get(this.href).text().then((text) => { window.saved = { name, text }; });
                 };",
                vec![],
            )
            .await
            .or_fail()?;
        // The demo reads its printers on the hour: a read landing between the export and
        // the API's answer changes the end readings, so the pair is taken again then.
        let (mut saved, mut csv) = (Value::Null, Value::Null);
        for _ in 0..3 {
            client
                .execute("window.saved = null;", vec![])
                .await
                .or_fail()?;
            click(
                client,
                Locator::XPath("//button[text()='Export meter reads (CSV)']"),
            )
            .await?;
            for _ in 0..60 {
                saved = client
                    .execute("return window.saved;", vec![])
                    .await
                    .or_fail()?;
                if !saved.is_null() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            csv = client
                .execute_async(
                    "const [path, done] = arguments;
                     fetch(path, { headers: { Authorization: `Bearer ${sessionStorage.getItem('quire.session')}` } })
                         .then((r) => r.text()).then(done, (e) => done(String(e)));",
                    vec![json!(format!(
                        "/api/v1/accounts/{}/meter-reads.csv?{period}",
                        demo.account
                    ))],
                )
                .await
                .or_fail()?;
            if saved["text"] == csv {
                break;
            }
        }
        let name = saved["name"].as_str().unwrap_or("");
        if saved["text"] != csv || !name.starts_with(&format!("meter-reads-{}-", demo.account)) {
            return Err(fail(format!(
                "the export saved {saved}; the API's CSV is {csv}"
            )));
        }
        let lines = csv.as_str().unwrap_or("").lines().count();
        if lines != from_api.len() + 1 {
            return Err(fail(format!(
                "the CSV holds {lines} lines for {} rows and a header",
                from_api.len()
            )));
        }
        client
            .execute("window.scrollTo(0, 0);", vec![])
            .await
            .or_fail()?;
        snapshot(client, "billing").await?;

        client.set_window_size(768, 900).await.or_fail()?;
        let overflow: Value = client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .or_fail()?;
        if overflow.as_i64().unwrap_or(0) > 0 {
            return Err(fail(format!(
                "the billing page is {overflow} px wider than a 768 px tablet"
            )));
        }
        accessible(client, "billing on a tablet").await
    })
}

fn another_customers_user_sees_none_of_the_strategies_or_billing_of_the_demo(
    lazy: &Lazy,
) -> Outcome {
    in_browser(
        lazy,
        "strategies-billing-other-account",
        1366,
        async |client, demo| {
            sign_in(client, demo, &demo.password).await?;
            fleet_rows(client, demo.printers).await?;
            let device = api(client, "GET", "/api/v1/fleet?limit=1", Value::Null).await?["devices"]
                [0]["device"]["id"]
                .as_i64()
                .ok_or_else(|| fail("the demo has no device"))?;
            sign_in_as_another_customer(
                client,
                demo,
                "Outside customer",
                "outside-customer",
                "an outsider's long password",
            )
            .await?;

            // Strategies: every count of devices read is none of theirs, and no link leads to them.
            client
                .goto(&format!("{}/strategies", demo.url))
                .await
                .or_fail()?;
            wait_for(client, "table.plugins tbody tr").await?;
            let mut counts = Value::Null;
            for _ in 0..60 {
                counts = client
                .execute(
                    "return [...document.querySelectorAll('table.plugins tbody tr')].map((tr) => tr.cells[5].textContent);",
                    vec![],
                )
                .await
                .or_fail()?;
                if !counts.to_string().contains('…') {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            let links = client
                .find_all(Locator::Css("table.plugins a"))
                .await
                .or_fail()?;
            if !links.is_empty()
                || counts
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c != "0" && c != "—")
            {
                return Err(fail(format!(
                    "the outsider's strategies page counts devices read: {counts}"
                )));
            }
            if client.find(Locator::Css("#upload-component")).await.is_ok() {
                return Err(fail("an account user is offered the upload"));
            }
            // By link: the demo's device in the re-read form.
            client
                .goto(&format!("{}/strategies?device={device}", demo.url))
                .await
                .or_fail()?;
            let said = text_of(client, "#reread-device-error").await?;
            if !said.contains("No such device among the accounts you see") {
                return Err(fail(format!(
                    "the demo's device {device} by link shows {said:?}"
                )));
            }
            if client.find(Locator::Css("#reread-reading")).await.is_ok() {
                return Err(fail("the outsider is offered the demo device's readings"));
            }
            accessible(client, "strategies refused").await?;

            // Billing: their account alone to pick, and the demo's by link is refused.
            client
                .goto(&format!("{}/billing", demo.url))
                .await
                .or_fail()?;
            wait_for(client, "#billing-account").await?;
            let choices: Value = client
            .execute(
                "return [...document.querySelectorAll('#billing-account option')].map((o) => o.textContent);",
                vec![],
            )
            .await
            .or_fail()?;
            if choices != json!(["Outside customer"]) {
                return Err(fail(format!(
                    "the outsider can pick the accounts {choices}"
                )));
            }
            account_refused_by_link(
                client,
                demo,
                "billing",
                "#billing-account-error",
                "table.billing",
            )
            .await?;
            accessible(client, "billing refused").await
        },
    )
}

/// Opens `page` for the demo's account by link, as a user who does not see it, and checks
/// the page refuses it beside `error` as an account that does not exist, showing no `table`
/// of its rows.
async fn account_refused_by_link(
    client: &Client,
    demo: &Demo,
    page: &str,
    error: &str,
    table: &str,
) -> Outcome {
    client
        .goto(&format!("{}/{page}?account={}", demo.url, demo.account))
        .await
        .or_fail()?;
    let said = text_of(client, error).await?;
    if !said.contains("No such account among the accounts you see") {
        return Err(fail(format!(
            "the demo's account {} by link to {page} shows {said:?}",
            demo.account
        )));
    }
    if client.find(Locator::Css(table)).await.is_ok() {
        return Err(fail(format!(
            "{page} shows the demo's account's {table} to a user who does not see it"
        )));
    }
    Ok(())
}

/// What `POST /api/v1/login` answers `name` and `password`: the status alone, the way a
/// user sees whether a password still works.
async fn login_status(client: &Client, name: &str, password: &str) -> Result<u64, Failed> {
    let status = client
        .execute_async(
            "const [name, password, done] = arguments;
             fetch('/api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                 body: JSON.stringify({ name, password }) })
               .then((r) => done(r.status), (e) => done(String(e)));",
            vec![json!(name), json!(password)],
        )
        .await
        .or_fail()?;
    status
        .as_u64()
        .ok_or_else(|| fail(format!("logging in as {name} failed: {status}")))
}

/// The names of the accounts the administration page's tree shows, with the name of the
/// account each is nested under (none for a root).
async fn account_tree(client: &Client) -> Result<Vec<(String, Option<String>)>, Failed> {
    wait_for(client, "ul.tree li").await?;
    let nodes = client
        .execute(
            "return [...document.querySelectorAll('ul.tree li')].map((li) => {
                 const parent = li.parentElement.closest('li');
                 return [li.querySelector('.account-name').textContent,
                         parent ? parent.querySelector('.account-name').textContent : null];
             });",
            vec![],
        )
        .await
        .or_fail()?;
    serde_json::from_value(nodes).or_fail()
}

/// Waits until the `done` status under the form `form` says something holding `expected`.
async fn done_in(client: &Client, form: &str, expected: &str) -> Outcome {
    let css = format!("form[aria-labelledby={form}] p.done");
    let said = text_of(client, &css).await?;
    if said.contains(expected) {
        Ok(())
    } else {
        Err(fail(format!(
            "the {form} form says {said:?}, not {expected:?}"
        )))
    }
}

fn a_user_added_in_administration_changes_their_own_password(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "administration", 1366, async |client, demo| {
        const ACCOUNT: &str = "Corner bakery";
        const NAME: &str = "bakery-manager";
        const FIRST: &str = "the bakery's first password";
        const RESET: &str = "the password the admin reset";
        const SECOND: &str = "a password only the baker knows";
        sign_in(client, demo, &demo.password).await?;
        wait_for(client, "nav a[href='/administration']")
            .await?
            .click()
            .await
            .or_fail()?;

        // An account under the main dealer, through the page's form.
        type_into(client, "#account-name", ACCOUNT).await?;
        choose(client, "#account-parent", &MAIN_DEALER.to_string()).await?;
        click(client, Locator::XPath("//button[text()='Add account']")).await?;
        done_in(client, "new-account", ACCOUNT).await?;
        let dealer = api(
            client,
            "GET",
            &format!("/api/v1/accounts/{MAIN_DEALER}"),
            Value::Null,
        )
        .await?["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut tree = Vec::new();
        for _ in 0..60 {
            tree = account_tree(client).await?;
            if tree.iter().any(|(name, _)| name == ACCOUNT) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if !tree.contains(&(ACCOUNT.to_owned(), Some(dealer.clone()))) {
            return Err(fail(format!(
                "{ACCOUNT} is not nested under {dealer} in the tree: {tree:?}"
            )));
        }
        let accounts = api(client, "GET", "/api/v1/accounts?limit=1000", Value::Null).await?;
        let account = accounts
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["name"] == json!(ACCOUNT))
            .and_then(|a| a["id"].as_i64())
            .ok_or_else(|| fail(format!("the API lists no {ACCOUNT}: {accounts}")))?;

        // Its user: a weak password is refused beside its field, then a good one is taken.
        type_into(client, "#user-name", NAME).await?;
        type_into(client, "#user-password", "short").await?;
        choose(client, "#user-role", "account-user").await?;
        choose(client, "#user-account", &account.to_string()).await?;
        click(client, Locator::XPath("//button[text()='Add user']")).await?;
        refused_beside(
            client,
            "user-password",
            "user-password-error",
            "10 characters",
        )
        .await?;
        type_into(client, "#user-password", FIRST).await?;
        click(client, Locator::XPath("//button[text()='Add user']")).await?;
        done_in(client, "new-user", NAME).await?;
        let row = format!("//table[contains(@class,'users')]//tr[th[normalize-space(.)='{NAME}']]");
        wait_for(client, "table.users tbody tr").await?;
        let mut shown = String::new();
        for _ in 0..60 {
            if let Ok(found) = client.find(Locator::XPath(&row)).await {
                shown = found.text().await.or_fail()?;
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if !shown.contains("Account user") || !shown.contains(ACCOUNT) {
            return Err(fail(format!(
                "the users table shows {NAME} as {shown:?}, not an account user of {ACCOUNT}"
            )));
        }
        // The administrator resets it, as for a user who forgot theirs.
        click(
            client,
            Locator::XPath(&format!(
                "{row}//button[starts-with(normalize-space(.), 'Reset password')]"
            )),
        )
        .await?;
        type_into(client, "#reset-password", RESET).await?;
        click(client, Locator::XPath("//button[text()='Set password']")).await?;
        let said = text_of(client, "#users-done").await?;
        if !said.contains("password is set") {
            return Err(fail(format!("the reset says {said:?}")));
        }
        accessible(client, "administration (administrator)").await?;
        scroll_to(client, "#accounts", "start").await?;
        snapshot(client, "administration-accounts").await?;
        scroll_to(client, "#users", "start").await?;
        snapshot(client, "administration-users").await?;

        // The user changes the password they were given, reaching the page by their name.
        click(client, Locator::XPath("//button[text()='Sign out']")).await?;
        sign_in_as(client, demo, NAME, RESET).await?;
        wait_for(client, "header.bar a.who").await?;
        if client
            .find(Locator::XPath(
                "//nav//a[normalize-space(.)='Administration']",
            ))
            .await
            .is_ok()
        {
            return Err(fail("an account user's navigation offers Administration"));
        }
        click(client, Locator::Css("header.bar a.who")).await?;
        type_into(client, "#current-password", "not my password at all").await?;
        type_into(client, "#new-password", SECOND).await?;
        type_into(client, "#new-password-again", SECOND).await?;
        click(client, Locator::XPath("//button[text()='Change password']")).await?;
        refused_beside(
            client,
            "current-password",
            "current-password-error",
            "not your current password",
        )
        .await?;
        accessible(client, "administration (refused password)").await?;
        type_into(client, "#current-password", RESET).await?;
        click(client, Locator::XPath("//button[text()='Change password']")).await?;
        let said = text_of(client, "#password-changed").await?;
        if !said.contains("Password changed") {
            return Err(fail(format!("the change says {said:?}")));
        }
        let statuses = (
            login_status(client, NAME, FIRST).await?,
            login_status(client, NAME, RESET).await?,
            login_status(client, NAME, SECOND).await?,
        );
        if statuses != (401, 401, 200) {
            return Err(fail(format!(
                "after the change the first, the reset and the new password answer {statuses:?}"
            )));
        }
        accessible(client, "administration (account user)").await
    })
}

fn another_customers_user_sees_no_other_account_on_the_administration_page(lazy: &Lazy) -> Outcome {
    in_browser(
        lazy,
        "administration-other-account",
        1366,
        async |client, demo| {
            const ACCOUNT: &str = "Separate customer";
            sign_in(client, demo, &demo.password).await?;
            wait_for(client, "header.bar a.who").await?;
            let demo_account = api(
                client,
                "GET",
                &format!("/api/v1/accounts/{}", demo.account),
                Value::Null,
            )
            .await?["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            sign_in_as_another_customer(
                client,
                demo,
                ACCOUNT,
                "separate-customer",
                "a separate customer's long password",
            )
            .await?;
            wait_for(client, "header.bar a.who").await?;
            if client
                .find(Locator::XPath(
                    "//nav//a[normalize-space(.)='Administration']",
                ))
                .await
                .is_ok()
            {
                return Err(fail("an account user's navigation offers Administration"));
            }

            // By link: their own account alone, and no user, account form or user form.
            client
                .goto(&format!("{}/administration", demo.url))
                .await
                .or_fail()?;
            let tree = account_tree(client).await?;
            if tree != [(ACCOUNT.to_owned(), None)] {
                return Err(fail(format!("the account user's tree shows {tree:?}")));
            }
            wait_for(client, "#contacts-account").await?;
            let choices: Value = client
                .execute(
                    "return [...document.querySelectorAll('#contacts-account option')].map((o) => o.textContent);",
                    vec![],
                )
                .await
                .or_fail()?;
            if choices != json!([ACCOUNT]) {
                return Err(fail(format!(
                    "the account user can pick the accounts {choices}"
                )));
            }
            for css in ["table.users", "#user-name", "#account-name", "#users"] {
                if client.find(Locator::Css(css)).await.is_ok() {
                    return Err(fail(format!("the account user is shown {css}")));
                }
            }
            let shown = text_of(client, "main").await?;
            if demo_account.is_empty() || shown.contains(&demo_account) {
                return Err(fail(format!(
                    "the account user's page names {demo_account:?}: {shown}"
                )));
            }

            // By link to the demo's account: refused as one that does not exist.
            account_refused_by_link(
                client,
                demo,
                "administration",
                "#contacts-account-error",
                "table.contacts",
            )
            .await?;
            accessible(client, "administration (account user)").await
        },
    )
}

fn a_dealer_user_administers_their_subtree_and_sees_no_other(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "administration-dealer", 1366, async |client, demo| {
        const DEALER: &str = "Regional dealer";
        const CUSTOMER: &str = "Regional print shop";
        const ADDED: &str = "Regional school";
        sign_in(client, demo, &demo.password).await?;
        wait_for(client, "header.bar a.who").await?;
        let dealer = api(
            client,
            "POST",
            "/api/v1/accounts",
            json!({"name": DEALER, "parent-id": MAIN_DEALER, "is-dealer": true}),
        )
        .await?["id"]
            .clone();
        let customer = api(
            client,
            "POST",
            "/api/v1/accounts",
            json!({"name": CUSTOMER, "parent-id": dealer}),
        )
        .await?["id"]
            .clone();
        for (name, role, account) in [
            ("regional-dealer", "dealer-user", &dealer),
            ("print-shop-owner", "account-user", &customer),
        ] {
            api(
                client,
                "POST",
                "/api/v1/users",
                json!({"name": name, "password": "a regional long password",
                       "role": role, "account-ids": [account]}),
            )
            .await?;
        }
        click(client, Locator::XPath("//button[text()='Sign out']")).await?;
        sign_in_as(client, demo, "regional-dealer", "a regional long password").await?;
        wait_for(client, "nav a[href='/administration']")
            .await?
            .click()
            .await
            .or_fail()?;

        // Their dealer at the root, its customer under it; an account added under it.
        type_into(client, "#account-name", ADDED).await?;
        click(client, Locator::XPath("//button[text()='Add account']")).await?;
        done_in(client, "new-account", ADDED).await?;
        let mut tree = Vec::new();
        for _ in 0..60 {
            tree = account_tree(client).await?;
            if tree.len() == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let expected = [
            (DEALER.to_owned(), None),
            (CUSTOMER.to_owned(), Some(DEALER.to_owned())),
            (ADDED.to_owned(), Some(DEALER.to_owned())),
        ];
        if tree != expected {
            return Err(fail(format!("the dealer user's tree shows {tree:?}")));
        }

        // The users of their subtree alone, without the form only administrators use.
        wait_for(client, "table.users tbody tr").await?;
        let users = client
            .execute(
                "return [...document.querySelectorAll('table.users tbody th')].map((th) => th.textContent);",
                vec![],
            )
            .await
            .or_fail()?;
        if users != json!(["regional-dealer (you)", "print-shop-owner"]) {
            return Err(fail(format!("the dealer user is shown the users {users}")));
        }
        if client.find(Locator::Css("#user-name")).await.is_ok() {
            return Err(fail("a dealer user is offered the form that adds users"));
        }
        accessible(client, "administration (dealer user)").await?;
        scroll_to(client, "#accounts", "start").await?;
        Ok(())
    })
}

/// A site's schedules as the API holds them, once the console's save reached it.
async fn site_schedules(client: &Client, site: &Value) -> Result<Value, Failed> {
    Ok(
        api(client, "GET", &format!("/api/v1/sites/{site}"), Value::Null).await?["schedules"]
            .clone(),
    )
}

/// Clicks the button whose text, hidden words included, is `label`: the name a screen
/// reader says.
async fn press(client: &Client, label: &str) -> Outcome {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(&format!(
            "//button[normalize-space(.)='{label}']"
        )))
        .await
        .map_err(|e| fail(format!("no button {label:?}: {e}")))?
        .click()
        .await
        .or_fail()
}

/// The `value` of the control `css`.
async fn value_of(client: &Client, css: &str) -> Result<String, Failed> {
    Ok(wait_for(client, css)
        .await?
        .prop("value")
        .await
        .or_fail()?
        .unwrap_or_default())
}

fn a_sites_schedules_and_one_range_are_edited_without_a_csv(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "network-edit", 1366, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        wait_for(client, "header.bar a.who").await?;
        // An account of its own, with no agent: the demo's site is read while this edits.
        let account = api(
            client,
            "POST",
            "/api/v1/accounts",
            json!({"name": "Warehouse customer", "parent-id": MAIN_DEALER}),
        )
        .await?["id"]
            .clone();
        let site = api(
            client,
            "POST",
            &format!("/api/v1/accounts/{account}/sites"),
            json!({"name": "Warehouse"}),
        )
        .await?["id"]
            .clone();
        api(
            client,
            "PUT",
            &format!("/api/v1/sites/{site}/ranges"),
            json!([{"range": "127.151.0.1-127.151.0.9"}, {"range": "127.151.0.20", "part": "dock"}]),
        )
        .await?;
        let before = site_schedules(client, &site).await?;
        client
            .goto(&format!("{}/network?account={account}", demo.url))
            .await
            .or_fail()?;
        press(client, "Edit the schedules and ranges of Warehouse").await?;

        // Meters every 30 hours is refused beside the interval, and nothing is stored.
        choose(client, "#schedule-meters-and-supplies-kind", "every-hours").await?;
        type_into(client, "#schedule-meters-and-supplies-n", "30").await?;
        press(client, "Save schedules").await?;
        refused_beside(
            client,
            "schedule-meters-and-supplies-n",
            "schedule-meters-and-supplies-n-error",
            "every 30 hours is not between 1 and 24",
        )
        .await?;
        if site_schedules(client, &site).await? != before {
            return Err(fail("the refused schedules were stored"));
        }
        accessible(client, "site schedules refused").await?;
        scroll_to(client, "#schedule-meters-and-supplies-n", "center").await?;
        snapshot(client, "network-schedules-refused").await?;

        // Every 2 hours from 01:00, discovery on weekdays at 06:00 and 18:00, and the
        // dock's alerts on a schedule of their own.
        type_into(client, "#schedule-meters-and-supplies-n", "2").await?;
        type_into(client, "#schedule-meters-and-supplies-starting-at", "1").await?;
        choose(client, "#schedule-discovery-kind", "weekly").await?;
        for day in ["saturday", "sunday"] {
            click(
                client,
                Locator::Css(&format!("#schedule-discovery-day-{day}")),
            )
            .await?;
        }
        type_into(client, "#schedule-discovery-hours", "6, 18").await?;
        press(client, "A schedule of its own for “dock” (Alerts)").await?;
        choose(client, "#schedule-alerts-part-0-kind", "disabled").await?;
        press(client, "Save schedules").await?;
        let said = text_of(client, "form[aria-labelledby=site-schedules] p.done").await?;
        if !said.contains("Saved") {
            return Err(fail(format!("saving the schedules says {said:?}")));
        }
        let stored = site_schedules(client, &site).await?;
        let weekdays = json!(["monday", "tuesday", "wednesday", "thursday", "friday"]);
        if stored["meters-and-supplies"]["default"]
            != json!({"kind": "every-hours", "n": 2, "starting-at": 1})
            || stored["discovery"]["default"]
                != json!({"kind": "weekly", "days": weekdays, "hours": [6, 18]})
            || stored["alerts"]["parts"] != json!({"dock": {"kind": "disabled"}})
            || stored["alerts"]["default"] != before["alerts"]["default"]
        {
            return Err(fail(format!("the API stored the schedules {stored}")));
        }
        let listed = text_of(client, "section[aria-labelledby=sites] tbody tr").await?;
        if !listed.contains("every 2 h from 01:00") || !listed.contains("dock: never") {
            return Err(fail(format!("the sites table shows {listed:?}")));
        }

        // One range edited to a bad address is refused beside it; then edited right, and
        // the dock's range deleted.
        type_into(client, "#ranges-0-range", "127.151.0.300").await?;
        press(client, "Save ranges").await?;
        refused_beside(
            client,
            "ranges-0-range",
            "ranges-0-range-error",
            "127.151.0.300",
        )
        .await?;
        let ranges = |site: Value| async move {
            Ok::<_, Failed>(
                api(client, "GET", &format!("/api/v1/sites/{site}"), Value::Null).await?["ranges"]
                    .clone(),
            )
        };
        if ranges(site.clone()).await?
            != json!([{"range": "127.151.0.1-127.151.0.9"}, {"range": "127.151.0.20", "part": "dock"}])
        {
            return Err(fail("the refused range was stored"));
        }
        accessible(client, "site ranges refused").await?;
        type_into(client, "#ranges-0-range", "127.151.0.1-127.151.0.5").await?;
        press(client, "Remove row 2").await?;
        press(client, "Save ranges").await?;
        let said = text_of(client, "form.list-editor p.done").await?;
        if !said.contains("Saved") {
            return Err(fail(format!("saving the ranges says {said:?}")));
        }
        let stored = ranges(site.clone()).await?;
        if stored != json!([{"range": "127.151.0.1-127.151.0.5"}]) {
            return Err(fail(format!("the API stored the ranges {stored}")));
        }
        let mut listed = String::new();
        for _ in 0..40 {
            listed = text_of(client, "section[aria-labelledby=sites] tbody tr").await?;
            if !listed.contains("127.151.0.20") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if !listed.contains("127.151.0.1-127.151.0.5") || listed.contains("127.151.0.20") {
            return Err(fail(format!("the sites table shows {listed:?}")));
        }
        accessible(client, "site edited").await?;
        scroll_to(client, "#site-ranges", "start").await?;

        // Discovery's pace: above the highest cap is refused beside the field and the
        // default stays; 1,000 a second is kept.
        let pace = |site: Value| async move {
            Ok::<_, Failed>(
                api(client, "GET", &format!("/api/v1/sites/{site}"), Value::Null).await?
                    ["discovery"]
                    .clone(),
            )
        };
        type_into(client, "#discovery-rate", "200000").await?;
        press(client, "Save pace").await?;
        refused_beside(
            client,
            "discovery-rate",
            "discovery-rate-error",
            "200000 packets a second is not between 1 and 100000",
        )
        .await?;
        if pace(site.clone()).await? != json!({"packets-per-second": 250}) {
            return Err(fail("the refused pace was stored"));
        }
        accessible(client, "discovery pace refused").await?;
        scroll_to(client, "#discovery-rate", "center").await?;
        snapshot(client, "network-discovery-refused").await?;
        type_into(client, "#discovery-rate", "1,000").await?;
        press(client, "Save pace").await?;
        let said = text_of(client, "form[aria-labelledby=site-discovery] p.done").await?;
        if !said.contains("at most 1000 packets a second") {
            return Err(fail(format!("saving the pace says {said:?}")));
        }
        if pace(site.clone()).await? != json!({"packets-per-second": 1000}) {
            return Err(fail("the API did not store the pace of 1,000"));
        }
        snapshot(client, "network-discovery-saved").await?;
        Ok(())
    })
}

fn suppliers_and_their_part_costs_are_added_and_edited_in_asm_settings(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "asm-suppliers", 1366, async |client, demo| {
        const SUPPLIER: &str = "Toner Wholesale Ltd";
        sign_in(client, demo, &demo.password).await?;
        wait_for(client, "header.bar a.who").await?;
        client
            .goto(&format!("{}/asm/settings?account={MAIN_DEALER}", demo.url))
            .await
            .or_fail()?;
        // A nameless supplier is refused beside its name.
        wait_for(client, "#supplier-name").await?;
        press(client, "Add supplier").await?;
        refused_beside(client, "supplier-name", "supplier-name-error", "empty").await?;
        type_into(client, "#supplier-name", SUPPLIER).await?;
        press(client, "Add supplier").await?;
        let said = text_of(client, "section[aria-labelledby=suppliers] p.done").await?;
        if !said.contains(SUPPLIER) {
            return Err(fail(format!("adding the supplier says {said:?}")));
        }
        let supplier = api(client, "GET", "/api/v1/asm/suppliers", Value::Null)
            .await?
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["name"] == json!(SUPPLIER))
            .map(|s| s["id"].clone())
            .ok_or_else(|| fail(format!("the API lists no supplier {SUPPLIER}")))?;

        // Its price list: a negative cost refused beside it, then the right one saved.
        press(client, "Add a row to supplier part costs").await?;
        type_into(client, "#supplier-part-costs-0-part", "TK-1160").await?;
        type_into(client, "#supplier-part-costs-0-cost", "-5").await?;
        press(client, "Save supplier part costs").await?;
        refused_beside(
            client,
            "supplier-part-costs-0-cost",
            "supplier-part-costs-0-cost-error",
            "negative",
        )
        .await?;
        type_into(client, "#supplier-part-costs-0-cost", "89.90").await?;
        press(client, "Save supplier part costs").await?;
        wait_for(client, "form:has(#supplier-part-costs-0-cost) p.done").await?;
        let prices = api(
            client,
            "GET",
            &format!("/api/v1/asm/suppliers/{supplier}/part-costs"),
            Value::Null,
        )
        .await?;
        if prices != json!([{"part-number": "TK-1160", "cost": "89.90"}]) {
            return Err(fail(format!("the API holds the price list {prices}")));
        }

        // Alert e-mails quote the first supplier that prices a part: this one.
        choose(client, "#cost-rule", "first-available-supplier").await?;
        press(client, "Rank another supplier").await?;
        choose(client, "#priority-0", &supplier.to_string()).await?;
        press(client, "Save where costs come from").await?;
        wait_for(client, "form[aria-labelledby=cost-setting] p.done").await?;
        let setting = api(client, "GET", "/api/v1/asm/part-cost-setting", Value::Null).await?;
        if setting != json!({"rule": "first-available-supplier", "supplier-priority": [supplier]}) {
            return Err(fail(format!("the API holds the cost setting {setting}")));
        }

        // All of it as stored after a reload.
        client.refresh().await.or_fail()?;
        let shown = (
            value_of(client, "#supplier-part-costs-0-part").await?,
            value_of(client, "#supplier-part-costs-0-cost").await?,
            value_of(client, "#cost-rule").await?,
            value_of(client, "#priority-0").await?,
        );
        let expected = (
            "TK-1160".to_owned(),
            "89.90".to_owned(),
            "first-available-supplier".to_owned(),
            supplier.to_string(),
        );
        if shown != expected {
            return Err(fail(format!("after a reload the page shows {shown:?}")));
        }
        accessible(client, "ASM suppliers").await?;
        scroll_to(client, "#suppliers", "start").await
    })
}

fn asm_processing_behaviour_and_frequencies_saved_survive_a_reload(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "asm-settings-saved", 1366, async |client, demo| {
        const ORDERS: &str = "orders@settings-dealer.example";
        sign_in(client, demo, &demo.password).await?;
        wait_for(client, "header.bar a.who").await?;
        // A dealer of its own: the approval test relies on the main dealer's behaviour.
        let dealer = api(
            client,
            "POST",
            "/api/v1/accounts",
            json!({"name": "Settings dealer", "parent-id": MAIN_DEALER, "is-dealer": true}),
        )
        .await?["id"]
            .clone();
        client
            .goto(&format!("{}/asm/settings?account={dealer}", demo.url))
            .await
            .or_fail()?;
        press(client, "Add a row to processing behaviour").await?;
        choose(client, "#processing-behaviour-0-recipient", "custom").await?;
        type_into(client, "#processing-behaviour-0-value", ORDERS).await?;
        press(client, "Save processing behaviour").await?;
        wait_for(client, "form:has(#processing-behaviour-0-value) p.done").await?;
        press(client, "Add a row to alert frequencies").await?;
        type_into(client, "#alert-frequencies-0-value", "6").await?;
        choose(client, "#alert-frequencies-0-unit", "hours").await?;
        press(client, "Save alert frequencies").await?;
        wait_for(client, "form:has(#alert-frequencies-0-value) p.done").await?;

        client.refresh().await.or_fail()?;
        let shown = (
            value_of(client, "#processing-behaviour-0-resultType").await?,
            value_of(client, "#processing-behaviour-0-recipient").await?,
            value_of(client, "#processing-behaviour-0-value").await?,
            value_of(client, "#alert-frequencies-0-value").await?,
            value_of(client, "#alert-frequencies-0-unit").await?,
        );
        let expected = (
            "email".to_owned(),
            "custom".to_owned(),
            ORDERS.to_owned(),
            "6".to_owned(),
            "hours".to_owned(),
        );
        if shown != expected {
            return Err(fail(format!("after a reload the settings show {shown:?}")));
        }
        let behaviour = api(
            client,
            "GET",
            &format!("/api/v1/accounts/{dealer}/processing-behaviours"),
            Value::Null,
        )
        .await?;
        let frequencies = api(
            client,
            "GET",
            &format!("/api/v1/accounts/{dealer}/alert-frequencies"),
            Value::Null,
        )
        .await?;
        if behaviour != json!([{"result-type": "email", "recipients": [{"custom": ORDERS}]}])
            || frequencies
                != json!([{"result-type": "email", "interval": {"value": 6, "unit": "hours"}}])
        {
            return Err(fail(format!(
                "the API holds the behaviour {behaviour} and the frequencies {frequencies}"
            )));
        }
        accessible(client, "ASM settings saved").await?;
        scroll_to(client, "#behaviour", "start").await
    })
}

/// The users table's row of `name`, as an XPath.
fn user_row(name: &str) -> String {
    format!("//table[contains(@class,'users')]//tr[th[starts-with(normalize-space(.), '{name}')]]")
}

/// The rows of the open "Sessions of" table, once it shows `count` of them.
async fn user_sessions_shown(client: &Client, count: usize) -> Outcome {
    let mut rows = 0;
    for _ in 0..60 {
        rows = client
            .find_all(Locator::Css("table.user-sessions tbody tr"))
            .await
            .or_fail()?
            .len();
        if rows == count {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(fail(format!(
        "the user's sessions show {rows} rows, not {count}"
    )))
}

fn an_administrator_changes_a_role_ends_a_session_disables_and_deletes_a_user(
    lazy: &Lazy,
) -> Outcome {
    in_browser(
        lazy,
        "administration-users-edit",
        1366,
        async |client, demo| {
            const NAME: &str = "shift-supervisor";
            const PASSWORD: &str = "the supervisor's long password";
            const DEALER: &str = "Night-shift dealer";
            sign_in(client, demo, &demo.password).await?;
            wait_for(client, "header.bar a.who").await?;
            let customer = api(
                client,
                "POST",
                "/api/v1/accounts",
                json!({"name": "Night-shift customer", "parent-id": MAIN_DEALER}),
            )
            .await?["id"]
                .clone();
            let dealer = api(
                client,
                "POST",
                "/api/v1/accounts",
                json!({"name": DEALER, "parent-id": MAIN_DEALER, "is-dealer": true}),
            )
            .await?["id"]
                .clone();
            let user = api(
            client,
            "POST",
            "/api/v1/users",
            json!({"name": NAME, "password": PASSWORD, "role": "account-user", "account-ids": [customer]}),
        )
        .await?["id"]
            .clone();
            client
                .goto(&format!("{}/administration", demo.url))
                .await
                .or_fail()?;
            let row = user_row(NAME);
            client
                .wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::XPath(&row))
                .await
                .or_fail()?;

            // A dealer user of the night-shift dealer from now on.
            press(client, &format!("Change role of {NAME}")).await?;
            choose(client, "#role-role", "dealer-user").await?;
            choose(client, "#role-account", &dealer.to_string()).await?;
            click(
                client,
                Locator::XPath("//form//button[text()='Change role']"),
            )
            .await?;
            let said = text_of(client, "#users-done").await?;
            if !said.contains("dealer user") || !said.contains(DEALER) {
                return Err(fail(format!("the role change says {said:?}")));
            }
            let stored = api(client, "GET", "/api/v1/users?limit=1000", Value::Null)
                .await?
                .as_array()
                .into_iter()
                .flatten()
                .find(|u| u["id"] == user)
                .cloned()
                .unwrap_or_default();
            if stored["role"] != json!("dealer-user") || stored["account-ids"] != json!([dealer]) {
                return Err(fail(format!("the API holds the user as {stored}")));
            }
            let mut shown = String::new();
            for _ in 0..40 {
                shown = client
                    .find(Locator::XPath(&row))
                    .await
                    .or_fail()?
                    .text()
                    .await
                    .or_fail()?;
                if shown.contains("Dealer user") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            if !shown.contains("Dealer user") || !shown.contains(DEALER) {
                return Err(fail(format!("the users table shows {shown:?}")));
            }

            // Signed in twice elsewhere; one of the two sessions ended here.
            for _ in 0..2 {
                if login_status(client, NAME, PASSWORD).await? != 200 {
                    return Err(fail(format!("{NAME} cannot sign in")));
                }
            }
            press(client, &format!("Sessions of {NAME}")).await?;
            user_sessions_shown(client, 2).await?;
            accessible(client, "administration (a user's sessions)").await?;
            scroll_to(client, "#user-sessions-title", "center").await?;
            snapshot(client, "administration-user-sessions").await?;
            click(
                client,
                Locator::XPath("(//table[contains(@class,'user-sessions')]//button)[1]"),
            )
            .await?;
            user_sessions_shown(client, 1).await?;
            let live = api(
                client,
                "GET",
                &format!("/api/v1/users/{user}/sessions"),
                Value::Null,
            )
            .await?;
            if live.as_array().map(Vec::len) != Some(1) {
                return Err(fail(format!("the API lists the sessions {live}")));
            }

            // Disabled: they can no longer sign in.
            press(client, &format!("Disable {NAME}")).await?;
            let said = text_of(client, "#users-done").await?;
            if !said.contains("is disabled") {
                return Err(fail(format!("disabling says {said:?}")));
            }
            if login_status(client, NAME, PASSWORD).await? == 200 {
                return Err(fail(format!("{NAME} signs in while disabled")));
            }

            // Deleting asks first: declined, the user stays; accepted, they are gone.
            press(client, &format!("Delete {NAME}")).await?;
            client.dismiss_alert().await.or_fail()?;
            if client.find(Locator::XPath(&row)).await.is_err() {
                return Err(fail("declining the deletion deleted the user"));
            }
            press(client, &format!("Delete {NAME}")).await?;
            client.accept_alert().await.or_fail()?;
            let said = text_of(client, "#users-done").await?;
            if !said.contains("is deleted") {
                return Err(fail(format!("deleting says {said:?}")));
            }
            let users = api(client, "GET", "/api/v1/users?limit=1000", Value::Null).await?;
            if users
                .as_array()
                .into_iter()
                .flatten()
                .any(|u| u["id"] == user)
            {
                return Err(fail(format!("the API still lists {NAME}: {users}")));
            }
            for _ in 0..40 {
                if client.find(Locator::XPath(&row)).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            if client.find(Locator::XPath(&row)).await.is_ok() {
                return Err(fail("the users table still lists the deleted user"));
            }
            accessible(client, "administration (user deleted)").await?;
            scroll_to(client, "#users", "start").await
        },
    )
}

fn a_device_that_printed_shows_its_pages_in_the_graph(lazy: &Lazy) -> Outcome {
    in_browser(lazy, "device-pages", 1366, async |client, demo| {
        sign_in(client, demo, &demo.password).await?;
        fleet_rows(client, demo.printers).await?;
        let stamp = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let now = chrono::Utc::now();
        let period = format!(
            "from={}&to={}",
            stamp(now - chrono::Duration::days(1)),
            stamp(now + chrono::Duration::days(1))
        );
        // The demo's printers print between its reads: wait for one whose pages a read
        // has counted.
        let mut printed = None;
        for _ in 0..60 {
            let reads = api(
                client,
                "GET",
                &format!("/api/v1/accounts/{}/meter-reads?{period}", demo.account),
                Value::Null,
            )
            .await?;
            printed = reads["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["pages"].as_u64().unwrap_or(0) > 0)
                .max_by_key(|r| r["pages"].as_u64())
                .map(|r| r["device-id"].clone());
            if printed.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let Some(device) = printed else {
            return Err(fail(
                "three minutes into the demo no printer has printed a page",
            ));
        };
        client
            .goto(&format!("{}/devices/{device}", demo.url))
            .await
            .or_fail()?;
        wait_for(client, "section[aria-labelledby=pages] .chart canvas").await?;
        if client
            .find(Locator::Css("section[aria-labelledby=pages] p.empty"))
            .await
            .is_ok()
        {
            return Err(fail(format!(
                "device {device}'s page says it counted no pages"
            )));
        }
        accessible(client, "device with pages").await?;
        scroll_to(client, "#pages", "start").await
    })
}

fn main() {
    let arguments = Arguments::from_args();
    let lazy: Lazy = Arc::default();
    let tests: [(&str, Test); 22] = [
        (
            "signing_in_shows_every_printer_the_agent_found",
            signing_in_shows_every_printer_the_agent_found,
        ),
        (
            "a_wrong_password_is_refused_beside_the_password_field",
            a_wrong_password_is_refused_beside_the_password_field,
        ),
        (
            "a_device_found_by_its_serial_shows_its_counter_and_toner",
            a_device_found_by_its_serial_shows_its_counter_and_toner,
        ),
        ("the_fleet_reads_on_a_tablet", the_fleet_reads_on_a_tablet),
        (
            "another_customers_user_sees_none_of_the_fleet_by_list_search_or_link",
            another_customers_user_sees_none_of_the_fleet_by_list_search_or_link,
        ),
        (
            "a_range_csv_with_a_bad_line_is_refused_beside_that_line",
            a_range_csv_with_a_bad_line_is_refused_beside_that_line,
        ),
        (
            "a_work_order_is_opened_from_a_condition_taken_and_done",
            a_work_order_is_opened_from_a_condition_taken_and_done,
        ),
        (
            "a_fleet_of_100000_devices_paints_its_first_rows",
            a_fleet_of_100000_devices_paints_its_first_rows,
        ),
        (
            "a_consumable_alert_with_two_filters_is_defined_in_the_form_and_listed",
            a_consumable_alert_with_two_filters_is_defined_in_the_form_and_listed,
        ),
        (
            "an_alert_approved_in_the_console_is_emailed_to_the_smtp_mailbox",
            an_alert_approved_in_the_console_is_emailed_to_the_smtp_mailbox,
        ),
        (
            "another_accounts_user_sees_no_asm_definition_or_alert_by_list_link_or_form",
            another_accounts_user_sees_no_asm_definition_or_alert_by_list_link_or_form,
        ),
        (
            "a_strategy_is_uploaded_re_read_through_and_rolled_back",
            a_strategy_is_uploaded_re_read_through_and_rolled_back,
        ),
        (
            "the_billing_page_shows_an_accounts_pages_as_the_api_and_exports_them",
            the_billing_page_shows_an_accounts_pages_as_the_api_and_exports_them,
        ),
        (
            "another_customers_user_sees_none_of_the_strategies_or_billing_of_the_demo",
            another_customers_user_sees_none_of_the_strategies_or_billing_of_the_demo,
        ),
        (
            "a_user_added_in_administration_changes_their_own_password",
            a_user_added_in_administration_changes_their_own_password,
        ),
        (
            "another_customers_user_sees_no_other_account_on_the_administration_page",
            another_customers_user_sees_no_other_account_on_the_administration_page,
        ),
        (
            "a_dealer_user_administers_their_subtree_and_sees_no_other",
            a_dealer_user_administers_their_subtree_and_sees_no_other,
        ),
        (
            "a_sites_schedules_and_one_range_are_edited_without_a_csv",
            a_sites_schedules_and_one_range_are_edited_without_a_csv,
        ),
        (
            "suppliers_and_their_part_costs_are_added_and_edited_in_asm_settings",
            suppliers_and_their_part_costs_are_added_and_edited_in_asm_settings,
        ),
        (
            "asm_processing_behaviour_and_frequencies_saved_survive_a_reload",
            asm_processing_behaviour_and_frequencies_saved_survive_a_reload,
        ),
        (
            "an_administrator_changes_a_role_ends_a_session_disables_and_deletes_a_user",
            an_administrator_changes_a_role_ends_a_session_disables_and_deletes_a_user,
        ),
        (
            "a_device_that_printed_shows_its_pages_in_the_graph",
            a_device_that_printed_shows_its_pages_in_the_graph,
        ),
    ];
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
            let lazy = lazy.clone();
            Trial::test(name, move || test(&lazy))
        })
        .collect();
    let conclusion = libtest_mimic::run(&arguments, trials);
    // The demo and the driver stop here, not at exit, which runs no destructor.
    drop(lazy);
    conclusion.exit();
}
