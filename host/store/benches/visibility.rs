//! The API's device list for a dealer user, on PostgreSQL: 100,000 devices in 2,000
//! customer accounts under 50 dealers; the user is granted a dealer whose subtree holds
//! 500 accounts (itself, 9 sub-dealers, 490 customers: 24,500 devices). Page 1 and page 200
//! (50 a page) with a status filter, beside the same query for one account and a plain
//! `SELECT` of one account's devices. Then an agent's check-in (its account, sites and
//! credentials) before and after another account gets 200,000 discovery ranges.
//! The goal is ≤ 50 ms a page.
//!
//! `cargo bench -p quire-store --bench visibility`
//!
//! PostgreSQL is the server at `postgres://postgres@127.0.0.1:5432/postgres` (or
//! `QUIRE_TEST_POSTGRES_URL`); a fresh database is created and dropped, as for the tests.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::Utc;
use quire_model::DeviceStatus;
use quire_protocol::SiteRange;
use quire_store::{AccountId, DeviceFilter, Page, Role, Store, Visibility};
use sqlx::{Connection, PgConnection};

/// Times each query is run; the figures are the median and the slowest.
const RUNS: usize = 30;

/// Rows of a page, as the console asks.
const PAGE: u64 = 50;

/// The dealer the user is granted: accounts 1 (the dealer) and 2–10 (its sub-dealers) are
/// dealers, 51–540 their customers.
const BIG_DEALER: i64 = 1;

/// One customer of that dealer, for the single-account rows.
const ONE_CUSTOMER: i64 = 51;

/// Ranges given to another customer before the second check-in.
const FLOOD: i64 = 200_000;

/// The tree and the fleet, in a few statements: ids are given so the tree's shape is a
/// formula. Customer `c` (0–1,999, id 51 + c) is under dealers 1–10 for `c` < 490 and
/// under the 40 independent dealers 11–50 after; a device's maker and status vary within
/// every account, one device in five is down.
const POPULATE: &[&str] = &[
    "INSERT INTO accounts (id, name, parent_id, is_dealer) OVERRIDING SYSTEM VALUE \
     SELECT d, 'Dealer ' || d, CASE WHEN d BETWEEN 2 AND 10 THEN 1 END, TRUE \
     FROM generate_series(1, 50) d",
    "INSERT INTO accounts (id, name, parent_id, is_dealer) OVERRIDING SYSTEM VALUE \
     SELECT 51 + c, 'Customer ' || c, \
     CASE WHEN c < 490 THEN 1 + c % 10 ELSE 11 + (c - 490) % 40 END, FALSE \
     FROM generate_series(0, 1999) c",
    "INSERT INTO devices (account_id, identity, serial, manufacturer, model, first_seen, \
     last_seen, status) \
     SELECT 51 + i % 2000, 'serial:SN' || i, 'SN' || lpad(i::text, 7, '0'), \
     (ARRAY['HP', 'Kyocera', 'Lexmark', 'Ricoh'])[1 + (i / 2000) % 4], 'Model ' || (i / 8000), \
     now(), now(), CASE WHEN (i / 2000) % 5 = 0 THEN 'down' ELSE 'running' END \
     FROM generate_series(0, 99999) i",
    "INSERT INTO device_addresses (device_id, address, first_seen, last_seen) \
     SELECT id, '10.' || (id / 65536) || '.' || ((id / 256) % 256) || '.' || (id % 256), \
     now(), now() FROM devices",
    "INSERT INTO sites (account_id, name) SELECT id, 'Office' FROM accounts",
    "ANALYZE",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db = quire_testdb::postgres().await;
    run(&db.url).await
}

async fn run(url: &str) -> anyhow::Result<()> {
    let store = Store::open(url).await?;
    let mut conn = PgConnection::connect(url).await?;
    let started = Instant::now();
    for statement in POPULATE {
        sqlx::raw_sql(*statement).execute(&mut conn).await?;
    }
    let user = store
        .create_user(
            "dealer",
            "hash",
            Role::DealerUser,
            &[AccountId(BIG_DEALER)],
            Utc::now(),
        )
        .await?;
    let dealer = Visibility::Granted(user);
    let subtree = store
        .visible_accounts(dealer)
        .await?
        .map_or(0, |ids| ids.len());
    println!(
        "100,000 devices in 2,000 accounts under 50 dealers, populated in {:.1} s; \
         the dealer user sees {subtree} accounts\n",
        started.elapsed().as_secs_f64()
    );

    let running = DeviceFilter {
        status: Some(DeviceStatus::Running),
        ..DeviceFilter::default()
    };
    let one_account = DeviceFilter {
        account: Some(AccountId(ONE_CUSTOMER)),
        ..running.clone()
    };
    let page = |n: u64| Page {
        offset: (n - 1) * PAGE,
        limit: PAGE,
    };
    println!(
        "{:<62} {:>5} {:>10} {:>10}",
        "device list, status=running, 50 a page", "rows", "median ms", "max ms"
    );
    for (label, visibility, filter, n) in [
        (
            "dealer user, 500-account subtree, page 1",
            dealer,
            &running,
            1,
        ),
        (
            "dealer user, 500-account subtree, page 200",
            dealer,
            &running,
            200,
        ),
        (
            "one account through the same query, page 1",
            Visibility::All,
            &one_account,
            1,
        ),
    ] {
        let (store, page) = (&store, page(n));
        let (rows, times) =
            measure(
                || async move { Ok(store.list_devices(visibility, filter, page).await?.len()) },
            )
            .await?;
        print_row(label, rows, &times);
    }
    let pool = sqlx::PgPool::connect(url).await?;
    let pool = &pool;
    // A client going deeper keeps the last id of its page instead of counting an offset.
    let page_199 = store.list_devices(dealer, &running, page(199)).await?;
    let after = DeviceFilter {
        after: page_199.last().map(|d| d.id),
        ..running.clone()
    };
    let (store_ref, after, first) = (&store, &after, page(1));
    let (rows, times) =
        measure(|| async move { Ok(store_ref.list_devices(dealer, after, first).await?.len()) })
            .await?;
    print_row(
        "dealer user, page 200 after the last id of page 199",
        rows,
        &times,
    );
    let (rows, times) = measure(|| async move {
        let rows = sqlx::query(
            "SELECT id, account_id, site_id, serial, mac, manufacturer, model, first_seen, \
             last_seen, strategy_name, strategy_version, status FROM devices \
             WHERE account_id = $1 AND status = 'running' ORDER BY id LIMIT 50",
        )
        .bind(ONE_CUSTOMER)
        .fetch_all(pool)
        .await?;
        Ok(rows.len())
    })
    .await?;
    print_row(
        "plain SELECT of one account's devices (no addresses)",
        rows,
        &times,
    );

    // An agent's check-in reads its account, its sites with their ranges, its credentials.
    let victim = AccountId(ONE_CUSTOMER);
    let attacker = AccountId(ONE_CUSTOMER + 1);
    let office = store.sites(victim, Page::ALL).await?[0].id;
    let ranges: Vec<SiteRange> = ["10.20.0.0/24", "10.20.1.1-10.20.1.50"]
        .iter()
        .map(|r| SiteRange {
            range: r.parse().expect("a valid range"),
            part: None,
        })
        .collect();
    store.replace_site_ranges(&[(office, ranges)]).await?;
    let check_in = |account: AccountId| {
        let store = store.clone();
        move || {
            let store = store.clone();
            async move {
                store.account(account).await?;
                let sites = store.sites(account, Page::ALL).await?;
                store.credentials(account).await?;
                Ok(sites.iter().map(|s| s.ranges.len()).sum())
            }
        }
    };
    println!(
        "\n{:<62} {:>5} {:>10} {:>10}",
        "agent check-in (account, sites, ranges, credentials)", "ranges", "median ms", "max ms"
    );
    let (rows, times) = measure(check_in(victim)).await?;
    print_row("customer B, before A's flood", rows, &times);
    let flooded = store.sites(attacker, Page::ALL).await?[0].id;
    sqlx::query(
        "INSERT INTO site_ranges (site_id, position, range_text) \
         SELECT $1, i, '10.' || (i / 65536) || '.' || ((i / 256) % 256) || '.' || (i % 256) \
         FROM generate_series(0, $2 - 1) i",
    )
    .bind(flooded.0)
    .bind(FLOOD)
    .execute(&mut conn)
    .await?;
    sqlx::raw_sql("ANALYZE site_ranges")
        .execute(&mut conn)
        .await?;
    let (rows, times) = measure(check_in(victim)).await?;
    print_row("customer B, after A got 200,000 ranges", rows, &times);
    let (rows, times) = measure(check_in(attacker)).await?;
    print_row(
        "customer A itself (what every check-in read before)",
        rows,
        &times,
    );
    store.close().await;
    Ok(())
}

/// Runs `query` once to warm up, then [`RUNS`] times; its row count and the times.
async fn measure<F, Fut>(query: F) -> anyhow::Result<(usize, Vec<Duration>)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let mut query = query;
    let rows = query().await?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        query().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok((rows, times))
}

fn print_row(label: &str, rows: usize, times: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<62} {rows:>5} {:>10.2} {:>10.2}",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
}
