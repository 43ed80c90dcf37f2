//! What a consumable's part costs, as ASM's e-mails quote it (the source's "Consumable
//! Part Cost": "the custom consumable cost specified in the ASM Global Admin Settings
//! page, section Consumable Costs Settings. The values ... can be pulled from either
//! Dealer Specific Values or Supplier Specific Values ... The administrator can specify
//! what default costs should be used for all accounts devices, or can prioritize
//! suppliers to be used to check for first available cost or the lowest cost. Note that
//! Dealer Costs refer to the first Parent Dealer in the Account Hierarchy").
//!
//! The administrator's [`CostSetting`] picks one of three rules for every device:
//! the dealer-specific value of the device's dealer ([`AccountTree::dealer_of`]: the
//! account itself when it is a dealer, else its nearest dealer above, else the main
//! dealer), the first supplier in priority order that prices the part, or the lowest
//! price among the prioritised suppliers (the earlier supplier on a tie). A rule that
//! finds no price quotes none rather than borrowing another rule's: the administrator
//! chose where costs come from. Part numbers match ignoring ASCII case and surrounding
//! blanks, as dealers type them.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::hierarchy::AccountTree;
use crate::ids::{AccountId, SupplierId};

/// Where part costs come from, for every account's devices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CostRule {
    /// The dealer-specific value of the device's dealer.
    #[default]
    Dealer,
    /// The first supplier, in priority order, with a value for the part.
    FirstAvailableSupplier,
    /// The lowest value among the prioritised suppliers.
    LowestSupplier,
}

/// The administrator's consumable cost setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CostSetting {
    /// Which rule applies.
    pub rule: CostRule,
    /// The suppliers the supplier rules look at, highest priority first.
    #[serde(default)]
    pub supplier_priority: Vec<SupplierId>,
}

/// Where a quoted part cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    rename_all = "kebab-case",
    tag = "from",
    rename_all_fields = "kebab-case"
)]
pub enum CostSource {
    /// A dealer's specific value.
    Dealer {
        /// The dealer.
        dealer: AccountId,
    },
    /// A supplier's specific value.
    Supplier {
        /// The supplier.
        supplier: SupplierId,
    },
}

/// A part's cost and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PartCost {
    /// The cost, exact.
    #[schema(value_type = String, example = "89.90")]
    pub cost: Decimal,
    /// Where it came from.
    pub source: CostSource,
}

/// Every dealer- and supplier-specific part cost, keyed by normalised part number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceBook {
    dealers: BTreeMap<(AccountId, String), Decimal>,
    suppliers: BTreeMap<(SupplierId, String), Decimal>,
}

/// A part number as prices are matched by: trimmed, ASCII upper case.
pub fn part_key(part_number: &str) -> String {
    part_number.trim().to_ascii_uppercase()
}

impl PriceBook {
    /// Adds (or replaces) a dealer's value for a part.
    pub fn dealer_price(&mut self, dealer: AccountId, part_number: &str, cost: Decimal) {
        self.dealers.insert((dealer, part_key(part_number)), cost);
    }

    /// Adds (or replaces) a supplier's value for a part.
    pub fn supplier_price(&mut self, supplier: SupplierId, part_number: &str, cost: Decimal) {
        self.suppliers
            .insert((supplier, part_key(part_number)), cost);
    }
}

/// The cost of `part_number` for a device of `account` under `setting`, or `None` when
/// the rule finds no value (see the module doc).
pub fn part_cost(
    part_number: &str,
    account: AccountId,
    tree: &AccountTree,
    setting: &CostSetting,
    prices: &PriceBook,
) -> Option<PartCost> {
    let key = part_key(part_number);
    if key.is_empty() {
        return None;
    }
    let supplier = |supplier: SupplierId| {
        prices
            .suppliers
            .get(&(supplier, key.clone()))
            .map(|&cost| PartCost {
                cost,
                source: CostSource::Supplier { supplier },
            })
    };
    match setting.rule {
        CostRule::Dealer => {
            let dealer = tree.dealer_of(account);
            prices
                .dealers
                .get(&(dealer, key.clone()))
                .map(|&cost| PartCost {
                    cost,
                    source: CostSource::Dealer { dealer },
                })
        }
        CostRule::FirstAvailableSupplier => setting
            .supplier_priority
            .iter()
            .find_map(|&id| supplier(id)),
        CostRule::LowestSupplier => setting
            .supplier_priority
            .iter()
            .filter_map(|&id| supplier(id))
            .reduce(|lowest, next| {
                if next.cost < lowest.cost {
                    next
                } else {
                    lowest
                }
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::AccountNode;

    const MAIN: AccountId = AccountId(1);
    const DEALER: AccountId = AccountId(2);
    const CUSTOMER: AccountId = AccountId(3);
    const ORPHAN: AccountId = AccountId(4);
    const ACME: SupplierId = SupplierId(10);
    const BOLT: SupplierId = SupplierId(11);
    const CRANE: SupplierId = SupplierId(12);

    fn tree() -> AccountTree {
        let node = |parent, is_dealer| AccountNode { parent, is_dealer };
        AccountTree {
            accounts: BTreeMap::from([
                (MAIN, node(None, true)),
                (DEALER, node(Some(MAIN), true)),
                (CUSTOMER, node(Some(DEALER), false)),
                (ORPHAN, node(None, false)),
            ]),
            main_dealer: MAIN,
        }
    }

    fn prices() -> PriceBook {
        let mut book = PriceBook::default();
        book.dealer_price(MAIN, "TK-5240K", Decimal::new(9900, 2));
        book.dealer_price(DEALER, "tk-5240k ", Decimal::new(8990, 2));
        book.supplier_price(BOLT, "TK-5240K", Decimal::new(7500, 2));
        book.supplier_price(CRANE, "TK-5240K", Decimal::new(7100, 2));
        book.supplier_price(ACME, "TK-1162", Decimal::new(4000, 2));
        book.supplier_price(CRANE, "TK-1162", Decimal::new(4000, 2));
        book
    }

    fn dealer(cost: i64, dealer: AccountId) -> Option<PartCost> {
        Some(PartCost {
            cost: Decimal::new(cost, 2),
            source: CostSource::Dealer { dealer },
        })
    }

    fn supplier(cost: i64, supplier: SupplierId) -> Option<PartCost> {
        Some(PartCost {
            cost: Decimal::new(cost, 2),
            source: CostSource::Supplier { supplier },
        })
    }

    #[test]
    fn each_rule_quotes_the_cost_the_source_describes_and_names_where_it_came_from() {
        let setting = |rule, priority: &[SupplierId]| CostSetting {
            rule,
            supplier_priority: priority.to_vec(),
        };
        use CostRule::*;
        let cases = [
            // Dealer costs are the first parent dealer's: the customer's dealer, not the main.
            (
                "dealer value of the first parent dealer",
                "TK-5240K",
                CUSTOMER,
                setting(Dealer, &[]),
                dealer(8990, DEALER),
            ),
            (
                "a dealer's own devices use its own value",
                "TK-5240K",
                DEALER,
                setting(Dealer, &[]),
                dealer(8990, DEALER),
            ),
            (
                "an orphan's dealer is the main dealer",
                "TK-5240K",
                ORPHAN,
                setting(Dealer, &[]),
                dealer(9900, MAIN),
            ),
            (
                "part numbers match ignoring case and blanks",
                " tk-5240k",
                CUSTOMER,
                setting(Dealer, &[]),
                dealer(8990, DEALER),
            ),
            (
                "no dealer value quotes nothing",
                "TK-1162",
                CUSTOMER,
                setting(Dealer, &[ACME]),
                None,
            ),
            (
                "first available skips a supplier without the part",
                "TK-5240K",
                CUSTOMER,
                setting(FirstAvailableSupplier, &[ACME, BOLT, CRANE]),
                supplier(7500, BOLT),
            ),
            (
                "first available follows the priority, not the price",
                "TK-5240K",
                CUSTOMER,
                setting(FirstAvailableSupplier, &[CRANE, BOLT]),
                supplier(7100, CRANE),
            ),
            (
                "lowest takes the cheapest prioritised supplier",
                "TK-5240K",
                CUSTOMER,
                setting(LowestSupplier, &[ACME, BOLT, CRANE]),
                supplier(7100, CRANE),
            ),
            (
                "lowest ignores suppliers outside the priority list",
                "TK-5240K",
                CUSTOMER,
                setting(LowestSupplier, &[BOLT]),
                supplier(7500, BOLT),
            ),
            (
                "lowest breaks a tie by priority",
                "TK-1162",
                CUSTOMER,
                setting(LowestSupplier, &[CRANE, ACME]),
                supplier(4000, CRANE),
            ),
            (
                "supplier rules with no supplier quote nothing",
                "TK-5240K",
                CUSTOMER,
                setting(LowestSupplier, &[]),
                None,
            ),
            (
                "an unknown part quotes nothing",
                "XX-1",
                CUSTOMER,
                setting(FirstAvailableSupplier, &[ACME, BOLT]),
                None,
            ),
            (
                "an empty part number quotes nothing",
                "  ",
                CUSTOMER,
                setting(Dealer, &[]),
                None,
            ),
        ];
        for (rule, part, account, setting, expected) in cases {
            assert_eq!(
                part_cost(part, account, &tree(), &setting, &prices()),
                expected,
                "{rule}"
            );
        }
    }
}
