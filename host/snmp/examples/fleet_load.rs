//! How many devices and requests one simulator process serves: starts a
//! fleet of N copies of a recording (default 10,000) on 127.70.0.0/16, then
//! sends GETBULK requests (max-repetitions 10 over the Printer-MIB supplies
//! table) to every device from a pool of client sockets, and prints start-up
//! time, requests answered per second and peak RSS.
//!
//! `cargo run --release -p quire-snmp --example fleet_load -- [N] [SECONDS]`

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quire_snmp::responder::{Fleet, FleetConfig};
use quire_snmp::wire::{CommunityMessage, Message, Pdu, Version};
use quire_snmp::{Oid, Recording};
use tokio::net::UdpSocket;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec"
);
/// Client sockets, each keeping one request in flight at a time.
const CLIENTS: usize = 64;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let seconds: u64 = args.next().map_or(Ok(10), |a| a.parse())?;
    let source = Recording::load(Path::new(FIXTURE))?;
    let started = Instant::now();
    let fleet = Fleet::start_replicated(
        vec![source],
        count,
        FleetConfig {
            base: Ipv4Addr::new(127, 70, 0, 1),
            port: 16100,
            ..FleetConfig::default()
        },
    )
    .await?;
    println!("{count} devices listening after {:?}", started.elapsed());
    let fleet = Arc::new(fleet);
    let answered = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let supplies: Oid = "1.3.6.1.2.1.43.11.1.1".parse()?;
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (fleet, answered, supplies) = (fleet.clone(), answered.clone(), supplies.clone());
        tasks.push(tokio::spawn(async move {
            let socket = UdpSocket::bind("127.70.255.254:0").await?;
            let mut buf = vec![0u8; 65_535];
            let mut device = client;
            let mut id = 0i32;
            while Instant::now() < deadline {
                id = id.wrapping_add(1);
                let request = Message::Community(CommunityMessage {
                    version: Version::V2c,
                    community: b"public".to_vec(),
                    pdu: Pdu::get_bulk(id, 0, 10, [supplies.clone()]),
                })
                .encode();
                let addr = fleet.addr(device % fleet.len()).ok_or("no device")?;
                socket.send_to(&request, addr).await?;
                if let Ok(Ok((len, _))) =
                    tokio::time::timeout(Duration::from_secs(1), socket.recv_from(&mut buf)).await
                    && Message::decode(&buf[..len]).is_ok()
                {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                device += CLIENTS;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    for task in tasks {
        task.await?.map_err(|e| e.to_string())?;
    }
    let total = answered.load(Ordering::Relaxed);
    println!(
        "{total} GETBULK answered in {seconds} s: {:.0} requests/s",
        total as f64 / seconds as f64
    );
    let status = std::fs::read_to_string("/proc/self/status")?;
    if let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("peak RSS {}", peak.trim_start_matches("VmHWM:").trim());
    }
    Ok(())
}
