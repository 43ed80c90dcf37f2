//! What costs are computed from: the counters of a period's readings with the one
//! before it, and every rate on a selection's lineages, each read set-based.

use chrono::{DateTime, TimeZone, Utc};
use quire_model::Cycle;
use quire_store::{
    AccountNode, ContractTerms, DeviceSelection, Rate, RateScope, ScopedRate, Store,
};

use crate::kyocera::kyocera;
use crate::support::{backends, file, printer_mib};

/// `2026-11-dd hh:00 UTC`.
fn november(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn rate(counter: &str, cost: &str) -> Rate {
    Rate {
        counter: counter.into(),
        cost_per_page: cost.parse().unwrap(),
    }
}

#[tokio::test]
async fn a_periods_samples_start_at_the_last_reading_before_it() {
    for db in backends().await {
        let backend = db.backend;
        let store: Store = db.open().await;
        let acme = store.create_account("Acme", None, false).await.unwrap();
        let serial = |n: u32| format!("VD2000000{n}");
        let read =
            |n: u32, total: u64| kyocera(&serial(n), &format!("00:17:c8:00:00:0{n}"), total, 5000);
        // Printer 1: read on the 1st, 3rd, 5th (an alert cycle), 10th and
        // 20th; printer 2 only on the 12th; printer 3 only after the period. The alert cycle
        // reads no counters, as strategies read none in it.
        let mut filed = Vec::new();
        for (n, day, cycle, total) in [
            (1, 1, Cycle::MetersAndSupplies, 100),
            (1, 3, Cycle::MetersAndSupplies, 130),
            (1, 5, Cycle::Alerts, 0),
            (1, 10, Cycle::MetersAndSupplies, 200),
            (1, 20, Cycle::MetersAndSupplies, 260),
            (2, 12, Cycle::MetersAndSupplies, 40),
            (3, 25, Cycle::MetersAndSupplies, 9),
        ] {
            let mut reading = read(n, total);
            if cycle == Cycle::Alerts {
                reading.counters.clear();
            }
            let outcome = file(
                &store,
                acme,
                &format!("10.0.0.{n}"),
                november(day, 8),
                cycle,
                &reading,
            )
            .await;
            filed.push((n, day, outcome));
        }
        let device = |n: u32| filed.iter().find(|(m, _, _)| *m == n).unwrap().2.device_id;
        let reading = |n: u32, day: u32| {
            filed
                .iter()
                .find(|(m, d, _)| *m == n && *d == day)
                .unwrap()
                .2
                .reading_id
        };

        // [4th, 20th 08:00): printer 1 from its reading of the 3rd up to the 10th's (the
        // 20th's is at the end, not in); printer 2's one reading; printer 3 none.
        let samples = store
            .counter_samples(
                &[device(3), device(2), device(1)],
                november(4, 0),
                november(20, 8),
            )
            .await
            .unwrap();
        let got: Vec<_> = samples
            .iter()
            .map(|s| (s.device, s.reading, s.taken_at, s.counter("total")))
            .collect();
        let mut expected = vec![
            (device(1), reading(1, 3), november(3, 8), Some(130)),
            (device(1), reading(1, 10), november(10, 8), Some(200)),
            (device(2), reading(2, 12), november(12, 8), Some(40)),
        ];
        expected.sort_by_key(|(device, _, at, _)| (*device, *at));
        assert_eq!(got, expected, "{backend}");
        assert!(
            store
                .counter_samples(&[], november(4, 0), november(20, 8))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_rate_tree_holds_every_scope_a_device_inherits_from() {
    for db in backends().await {
        let backend = db.backend;
        let store: Store = db.open().await;
        let root = store.create_account("Root", None, true).await.unwrap();
        let north = store
            .create_account("North", Some(root), true)
            .await
            .unwrap();
        let acme = store
            .create_account("Acme", Some(north), false)
            .await
            .unwrap();
        let south = store
            .create_account("South", Some(root), false)
            .await
            .unwrap();
        let strategy = printer_mib();
        let mut devices = Vec::new();
        for (n, account) in [(1, acme), (2, acme), (3, south)] {
            let reading = kyocera(
                &format!("VD2000000{n}"),
                &format!("00:17:c8:00:00:0{n}"),
                10,
                5000,
            );
            let outcome = store
                .ingest(
                    account,
                    &format!("10.0.0.{n}"),
                    november(1, 8),
                    Cycle::MetersAndSupplies,
                    &strategy,
                    &reading,
                    None,
                )
                .await
                .unwrap();
            devices.push(outcome.device_id);
        }
        let terms = ContractTerms {
            name: "North standard",
            starts_on: None,
            ends_on: None,
        };
        let contract = store.create_contract(north, &terms).await.unwrap();
        store
            .set_device_contract(devices[0], Some(contract))
            .await
            .unwrap();
        for (scope, rates) in [
            (
                RateScope::Account(root),
                vec![rate("mono", "0.01"), rate("color", "0.08")],
            ),
            (RateScope::Account(north), vec![rate("color", "0.07")]),
            (RateScope::Account(south), vec![rate("color", "0.5")]),
            (RateScope::Contract(contract), vec![rate("mono", "0.009")]),
            (RateScope::Device(devices[0]), vec![rate("color", "0.065")]),
            (RateScope::Device(devices[2]), vec![rate("mono", "0.9")]),
        ] {
            store.set_rates(scope, &rates).await.unwrap();
        }
        // Replacing a scope's rates drops the old ones.
        store
            .set_rates(
                RateScope::Account(root),
                &[rate("mono", "0.0100"), rate("color", "0.0800")],
            )
            .await
            .unwrap();
        assert_eq!(
            store.rates(RateScope::Account(root)).await.unwrap(),
            [rate("color", "0.0800"), rate("mono", "0.0100")],
            "{backend}"
        );
        let kept: Vec<String> = store
            .rates(RateScope::Account(root))
            .await
            .unwrap()
            .iter()
            .map(|r| r.cost_per_page.to_string())
            .collect();
        assert_eq!(
            kept,
            ["0.0800", "0.0100"],
            "{backend}: every digit as given"
        );

        let tree = store
            .rate_tree(DeviceSelection::One(devices[0]))
            .await
            .unwrap();
        assert_eq!(tree.devices.len(), 1, "{backend}");
        assert_eq!(
            tree.devices[0].contract,
            Some((contract, "North standard".to_owned())),
            "{backend}"
        );
        let chain: Vec<_> = tree.accounts.iter().map(|a| (a.id, a.parent)).collect();
        assert_eq!(
            chain,
            [(root, None), (north, Some(root)), (acme, Some(north))],
            "{backend}"
        );
        let mut scopes: Vec<(RateScope, String)> = tree
            .rates
            .iter()
            .map(|ScopedRate { scope, rate }| (*scope, rate.counter.clone()))
            .collect();
        scopes.sort_by_key(|(scope, counter)| (format!("{scope}"), counter.clone()));
        let mut expected = vec![
            (RateScope::Account(root), "color".to_owned()),
            (RateScope::Account(root), "mono".to_owned()),
            (RateScope::Account(north), "color".to_owned()),
            (RateScope::Contract(contract), "mono".to_owned()),
            (RateScope::Device(devices[0]), "color".to_owned()),
        ];
        expected.sort_by_key(|(scope, counter)| (format!("{scope}"), counter.clone()));
        assert_eq!(
            scopes, expected,
            "{backend}: South's and printer 3's rates are not on the lineage"
        );

        // The root's book: every device, every account, every rate.
        let tree = store
            .rate_tree(DeviceSelection::Account {
                account: root,
                subtree: true,
            })
            .await
            .unwrap();
        let ids: Vec<_> = tree.devices.iter().map(|d| d.id).collect();
        assert_eq!(ids, devices, "{backend}");
        assert_eq!(tree.accounts.len(), 4, "{backend}");
        assert_eq!(tree.rates.len(), 7, "{backend}");
        // North alone has no devices of its own; Acme's are below it.
        let tree = store
            .rate_tree(DeviceSelection::Account {
                account: north,
                subtree: false,
            })
            .await
            .unwrap();
        assert!(tree.devices.is_empty(), "{backend}");

        assert_eq!(
            store.account_chain(acme).await.unwrap(),
            [
                AccountNode {
                    id: acme,
                    parent: Some(north),
                    name: "Acme".into()
                },
                AccountNode {
                    id: north,
                    parent: Some(root),
                    name: "North".into()
                },
                AccountNode {
                    id: root,
                    parent: None,
                    name: "Root".into()
                },
            ],
            "{backend}"
        );

        // Deleting the contract takes its devices off it and its rates with it.
        store.delete_contract(contract).await.unwrap();
        assert_eq!(
            store.device(devices[0]).await.unwrap().contract_id,
            None,
            "{backend}"
        );
        let tree = store
            .rate_tree(DeviceSelection::One(devices[0]))
            .await
            .unwrap();
        assert!(
            tree.rates
                .iter()
                .all(|r| !matches!(r.scope, RateScope::Contract(_))),
            "{backend}"
        );
    }
}
