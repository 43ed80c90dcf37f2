//! Lists as the API asks for them: limited to what a user sees, filtered and paged in SQL.

use std::collections::BTreeSet;

use chrono::Utc;
use quire_model::{Cycle, DeviceStatus};
use quire_protocol::SiteRange;
use quire_store::{AccountId, DeviceFilter, DeviceId, Page, Role, Store, UserId, Visibility};

use crate::kyocera::kyocera;
use crate::support::{at, backends, file};

/// The tree every test here uses, by name:
///
/// ```text
/// main (dealer) ─┬─ north (dealer) ─┬─ n-shop
///                │                  ├─ n-school
///                │                  └─ north-east (dealer) ── ne-clinic
///                ├─ south (dealer) ── s-shop
///                └─ direct
/// orphan
/// ```
struct Tree {
    ids: Vec<(&'static str, AccountId)>,
}

impl Tree {
    async fn create(store: &Store) -> Tree {
        let mut tree = Tree { ids: Vec::new() };
        let plan: [(&str, Option<&str>, bool); 10] = [
            ("main", None, true),
            ("north", Some("main"), true),
            ("n-shop", Some("north"), false),
            ("n-school", Some("north"), false),
            ("north-east", Some("north"), true),
            ("ne-clinic", Some("north-east"), false),
            ("south", Some("main"), true),
            ("s-shop", Some("south"), false),
            ("direct", Some("main"), false),
            ("orphan", None, false),
        ];
        for (name, parent, dealer) in plan {
            let parent = parent.map(|p| tree.id(p));
            let id = store.create_account(name, parent, dealer).await.unwrap();
            tree.ids.push((name, id));
        }
        tree
    }

    fn id(&self, name: &str) -> AccountId {
        self.ids.iter().find(|(n, _)| *n == name).unwrap().1
    }

    fn name(&self, id: AccountId) -> &'static str {
        self.ids.iter().find(|(_, i)| *i == id).unwrap().0
    }

    fn names(&self, ids: impl IntoIterator<Item = AccountId>) -> BTreeSet<&'static str> {
        ids.into_iter().map(|id| self.name(id)).collect()
    }
}

async fn user(store: &Store, name: &str, role: Role, grants: &[AccountId]) -> Visibility {
    let id: UserId = store
        .create_user(name, "hash", role, grants, Utc::now())
        .await
        .unwrap();
    Visibility::Granted(id)
}

/// One Kyocera per account, serial `S-<account name>`, at address `10.9.0.<n>`.
async fn one_device_each(store: &Store, tree: &Tree) {
    let meters = Cycle::MetersAndSupplies;
    for (n, (name, account)) in tree.ids.iter().enumerate() {
        let reading = kyocera(
            &format!("S-{name}"),
            &format!("00:17:c8:00:00:{n:02x}"),
            1,
            1,
        );
        let address = format!("10.9.0.{n}");
        file(store, *account, &address, at(9, 0), meters, &reading).await;
    }
}

#[tokio::test]
async fn each_kind_of_user_lists_exactly_the_accounts_and_devices_of_its_grants() {
    for db in backends().await {
        let backend = db.backend;
        let store = db.open().await;
        let tree = Tree::create(&store).await;
        one_device_each(&store, &tree).await;
        let north_dealer = user(&store, "nd", Role::DealerUser, &[tree.id("north")]).await;
        let two_customers = user(
            &store,
            "two",
            Role::AccountUser,
            &[tree.id("n-school"), tree.id("s-shop")],
        )
        .await;
        // A customer granted alone does not bring its dealer's other customers, and a
        // dealer's subtree reaches through a sub-dealer.
        let cases: [(&str, Visibility, &[&str]); 3] = [
            (
                "the north dealer user",
                north_dealer,
                &["north", "n-shop", "n-school", "north-east", "ne-clinic"],
            ),
            ("the account user", two_customers, &["n-school", "s-shop"]),
            (
                "an administrator",
                Visibility::All,
                &[
                    "main",
                    "north",
                    "n-shop",
                    "n-school",
                    "north-east",
                    "ne-clinic",
                    "south",
                    "s-shop",
                    "direct",
                    "orphan",
                ],
            ),
        ];
        for (who, visibility, expected) in cases {
            let expected: BTreeSet<&str> = expected.iter().copied().collect();
            let accounts = store.accounts(visibility, Page::ALL).await.unwrap();
            assert_eq!(
                tree.names(accounts.iter().map(|a| a.id)),
                expected,
                "{backend}: accounts of {who}"
            );
            let devices = store
                .list_devices(visibility, &DeviceFilter::default(), Page::ALL)
                .await
                .unwrap();
            let serials: BTreeSet<String> =
                devices.iter().filter_map(|d| d.serial.clone()).collect();
            let want: BTreeSet<String> = expected.iter().map(|n| format!("S-{n}")).collect();
            assert_eq!(serials, want, "{backend}: devices of {who}");
            for (name, account) in &tree.ids {
                assert_eq!(
                    store.sees(visibility, *account).await.unwrap(),
                    expected.contains(name),
                    "{backend}: does {who} see {name}?"
                );
            }
        }
        assert_eq!(
            store
                .visible_accounts(north_dealer)
                .await
                .unwrap()
                .map(|ids| tree.names(ids)),
            Some(
                ["north", "n-shop", "n-school", "north-east", "ne-clinic"]
                    .into_iter()
                    .collect()
            ),
            "{backend}"
        );
        assert_eq!(store.visible_accounts(Visibility::All).await.unwrap(), None);
    }
}

#[tokio::test]
async fn devices_filter_by_account_site_maker_model_status_and_text_and_page_in_id_order() {
    for db in backends().await {
        let backend = db.backend;
        let store = db.open().await;
        let tree = Tree::create(&store).await;
        let shop = tree.id("n-shop");
        let site = store.create_site(shop, "Back office").await.unwrap();
        // (serial, manufacturer, model, status, address)
        let fleet = [
            (
                "K-1",
                "Kyocera",
                "ECOSYS P2040dw",
                DeviceStatus::Running,
                "10.1.0.1",
            ),
            (
                "K-2",
                "KYOCERA",
                "ECOSYS M2540dn",
                DeviceStatus::Down,
                "10.1.0.2",
            ),
            (
                "H-1",
                "HP",
                "LaserJet M404",
                DeviceStatus::Warning,
                "printer-3.shop.example",
            ),
            (
                "H_2",
                "HP",
                "LaserJet M404",
                DeviceStatus::Running,
                "10.1.0.4",
            ),
        ];
        let meters = Cycle::MetersAndSupplies;
        let mut ids = Vec::new();
        for (n, (serial, maker, model, status, address)) in fleet.iter().enumerate() {
            let mut reading = kyocera(serial, &format!("00:17:c8:00:01:{n:02x}"), 1, 1);
            reading.identity.manufacturer = Some((*maker).into());
            reading.identity.model = Some((*model).into());
            reading.status.device = Some(*status);
            let filed = file(&store, shop, address, at(9, 0), meters, &reading).await;
            ids.push(filed.device_id);
        }
        // The school's printer matches every text below but is another account's.
        let school = tree.id("n-school");
        let reading = kyocera("K-9", "00:17:c8:00:02:09", 1, 1);
        file(&store, school, "10.1.0.9", at(9, 0), meters, &reading).await;
        let list = |filter: DeviceFilter| {
            let store = store.clone();
            async move {
                store
                    .list_devices(Visibility::All, &filter, Page::ALL)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|d| d.serial.unwrap())
                    .collect::<Vec<_>>()
            }
        };
        let shop_only = DeviceFilter {
            account: Some(shop),
            ..DeviceFilter::default()
        };
        // What each filter adds to the shop's, and the serials it lists.
        let cases: [(&str, DeviceFilter, &[&str]); 9] = [
            (
                "no filter",
                shop_only.clone(),
                &["K-1", "K-2", "H-1", "H_2"],
            ),
            (
                "maker is case-blind",
                DeviceFilter {
                    manufacturer: Some("kyocera".into()),
                    ..shop_only.clone()
                },
                &["K-1", "K-2"],
            ),
            (
                "model is case-blind",
                DeviceFilter {
                    model: Some("LASERJET M404".into()),
                    ..shop_only.clone()
                },
                &["H-1", "H_2"],
            ),
            (
                "status",
                DeviceFilter {
                    status: Some(DeviceStatus::Running),
                    ..shop_only.clone()
                },
                &["K-1", "H_2"],
            ),
            (
                "text finds an address",
                DeviceFilter {
                    text: Some("shop.EXAMPLE".into()),
                    ..shop_only.clone()
                },
                &["H-1"],
            ),
            (
                "text finds a model",
                DeviceFilter {
                    text: Some("2540".into()),
                    ..shop_only.clone()
                },
                &["K-2"],
            ),
            (
                "`_` is a character, not a wildcard",
                DeviceFilter {
                    text: Some("_".into()),
                    ..shop_only.clone()
                },
                &["H_2"],
            ),
            (
                "text across accounts",
                DeviceFilter {
                    account: None,
                    text: Some("k-".into()),
                    ..shop_only.clone()
                },
                &["K-1", "K-2", "K-9"],
            ),
            (
                "no device was placed in the site",
                DeviceFilter {
                    site: Some(site),
                    ..shop_only.clone()
                },
                &[],
            ),
        ];
        for (what, filter, serials) in cases {
            assert_eq!(list(filter).await, serials, "{backend}: {what}");
        }

        let mut paged: Vec<DeviceId> = Vec::new();
        for offset in (0..6).step_by(3) {
            let page = Page { offset, limit: 3 };
            let devices = store
                .list_devices(Visibility::All, &shop_only, page)
                .await
                .unwrap();
            paged.extend(devices.iter().map(|d| d.id));
        }
        assert_eq!(
            paged, ids,
            "{backend}: two pages of three hold the four in id order"
        );
        let after_second = store
            .list_devices(
                Visibility::All,
                &DeviceFilter {
                    after: Some(ids[1]),
                    ..shop_only.clone()
                },
                Page::from(3),
            )
            .await
            .unwrap();
        assert_eq!(
            after_second.iter().map(|d| d.id).collect::<Vec<_>>(),
            ids[2..],
            "{backend}: a page after the second device"
        );
        let first = store.device(ids[2]).await.unwrap();
        assert_eq!(
            first.addresses[0].address, "printer-3.shop.example",
            "{backend}"
        );
        assert_eq!(first.status, Some(DeviceStatus::Warning), "{backend}");
    }
}

/// What an attacker with an account of their own would do: fill it with ranges, one of
/// them unreadable. Another account's sites (what its agents' check-in reads) come back
/// exactly as before, and the unreadable row, which any read of it would report, is not
/// reached: the other account's rows are never read at all.
#[tokio::test]
async fn another_accounts_200000_ranges_are_not_read_when_listing_sites() {
    const RANGES: i64 = 200_000;
    for db in backends().await {
        let backend = db.backend;
        let store = db.open().await;
        let attacker = store.create_account("Attacker", None, false).await.unwrap();
        let victim = store.create_account("Victim", None, false).await.unwrap();
        let flood = store.create_site(attacker, "Flood").await.unwrap();
        let office = store.create_site(victim, "Office").await.unwrap();
        let ranges: Vec<SiteRange> = ["10.20.0.0/24", "printer.victim.example"]
            .iter()
            .map(|r| SiteRange {
                range: r.parse().unwrap(),
                part: None,
            })
            .collect();
        store
            .replace_site_ranges(&[(office, ranges.clone())])
            .await
            .unwrap();
        let before = store.sites(victim, Page::ALL).await.unwrap();

        let stored = db.fill_site_ranges(flood.0, RANGES).await;
        assert_eq!(stored, RANGES, "{backend}");

        let after = store.sites(victim, Page::ALL).await.unwrap();
        assert_eq!(after, before, "{backend}: the victim's sites changed");
        assert_eq!(after[0].ranges, ranges, "{backend}");
        assert_eq!(store.site(office).await.unwrap(), before[0], "{backend}");
        let error = store
            .sites(attacker, Page::ALL)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("10.0.0.9-10.0.0.1"),
            "{backend}: reading the attacker's own ranges reports the bad row: {error}"
        );
    }
}
