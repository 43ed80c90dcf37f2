//! What a device's pages cost: a cost per page per counter name, set at device,
//! contract or account level and inherited down the dealer hierarchy.
//!
//! **Inheritance.** A device's rate for a counter is the nearest setting on its
//! [`Lineage`]: the device, then its contract, then its account, that account's
//! parent and so on up to the root dealer. Every resolved rate says where it came
//! from ([`ScopeRef`]), so a dealer asking "why is this page 0.009?" gets the
//! contract's id, not a guess.
//!
//! **What is charged.** Only counters with a resolved rate. Dealers bill the
//! counters their contracts name, typically `mono` and `color` and not `total`,
//! though a device reports all three and `total = mono + color`. Which counters
//! overlap is the dealer's choice, so it is reported, not second-guessed: a
//! counter with pages but no rate is listed as unpriced beside the cost lines,
//! and one with a rate is charged even if another charged counter includes it.
//!
//! **Money.** Costs per page such as 0.0085 are [`rust_decimal::Decimal`]: exact in
//! base ten where a float is not, so a line of 1,234 pages at 0.0085 is 10.4890 and
//! not 10.489000000000001. Results are exact, not rounded: rounding to a currency
//! is the invoice's business. In JSON they are strings, so no reader turns them
//! back into floats. A rate is at most [`MAX_COST_PER_PAGE`], which is also what
//! keeps `pages × rate` inside a decimal for any page count.
//!
//! Cost: resolving a lineage of L scopes with R rates each is O(L·R·C) for C
//! counters resolved, a handful of each in practice; a device's cost is
//! O(C log C).

use std::collections::HashMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

/// No page costs a million; a bound makes `pages × rate` fit a decimal for any
/// `u64` page count.
pub const MAX_COST_PER_PAGE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The level a rate is set at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// One device.
    Device,
    /// A contract's devices.
    Contract,
    /// An account (a customer or a dealer) and, by inheritance, its subtree.
    Account,
}

/// Where a rate was set: a scope and the id of its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ScopeRef {
    /// The level.
    pub scope: Scope,
    /// The device's, contract's or account's id.
    pub id: i64,
}

impl fmt::Display for ScopeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = match self.scope {
            Scope::Device => "device",
            Scope::Contract => "contract",
            Scope::Account => "account",
        };
        write!(f, "{scope} {}", self.id)
    }
}

/// A cost per page a dealer set for one counter at one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RateSetting {
    /// Where it is set.
    pub at: ScopeRef,
    /// The counter it prices (`mono`, `color`, `print.color`, …).
    pub counter: String,
    /// The cost of one page on that counter.
    #[schema(value_type = String, example = "0.0085")]
    pub cost_per_page: Decimal,
}

/// The scopes a device inherits rates from, nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lineage<'a> {
    /// The device.
    pub device: i64,
    /// Its contract, if it has one.
    pub contract: Option<i64>,
    /// Its account, then that account's parent, up to the root dealer. Borrowed,
    /// so the devices of one account share one chain.
    pub accounts: &'a [i64],
}

impl Lineage<'_> {
    /// The scopes in the order a rate is looked for: device, contract, accounts.
    pub fn scopes(&self) -> impl Iterator<Item = ScopeRef> + '_ {
        let device = ScopeRef {
            scope: Scope::Device,
            id: self.device,
        };
        let contract = self.contract.map(|id| ScopeRef {
            scope: Scope::Contract,
            id,
        });
        let accounts = self.accounts.iter().map(|&id| ScopeRef {
            scope: Scope::Account,
            id,
        });
        std::iter::once(device).chain(contract).chain(accounts)
    }
}

/// The rate that applies to one counter of a device, and where it was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ResolvedRate {
    /// The counter it prices.
    pub counter: String,
    /// The cost of one page.
    #[schema(value_type = String, example = "0.0085")]
    pub cost_per_page: Decimal,
    /// The nearest scope that set it.
    pub source: ScopeRef,
}

/// A rate setting that was refused; the others still apply.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RateError {
    /// A page cannot cost less than nothing.
    #[error("{at}: the cost per page of {counter} is negative ({cost_per_page})")]
    Negative {
        /// Where it was set.
        at: ScopeRef,
        /// The counter.
        counter: String,
        /// The refused rate.
        cost_per_page: Decimal,
    },
    /// Above [`MAX_COST_PER_PAGE`]: a typo, and a risk of overflow.
    #[error("{at}: the cost per page of {counter} ({cost_per_page}) is over {MAX_COST_PER_PAGE}")]
    TooHigh {
        /// Where it was set.
        at: ScopeRef,
        /// The counter.
        counter: String,
        /// The refused rate.
        cost_per_page: Decimal,
    },
    /// Two rates for the same counter at the same scope; the first is kept.
    #[error("{at}: the cost per page of {counter} is set twice; the first ({kept}) is kept")]
    Duplicate {
        /// Where it was set.
        at: ScopeRef,
        /// The counter.
        counter: String,
        /// The rate kept.
        kept: Decimal,
    },
}

/// Every rate setting of the hierarchy, ready to resolve lineages against.
#[derive(Debug, Clone, Default)]
pub struct RateCard {
    /// Rates at each scope, by counter name.
    rates: HashMap<ScopeRef, Vec<(String, Decimal)>>,
}

impl RateCard {
    /// Builds the card from the settings, keeping every valid one and reporting
    /// each refused one, so one bad row never hides the rest.
    pub fn new(settings: impl IntoIterator<Item = RateSetting>) -> (RateCard, Vec<RateError>) {
        let mut card = RateCard::default();
        let mut errors = Vec::new();
        for RateSetting {
            at,
            counter,
            cost_per_page,
        } in settings
        {
            if cost_per_page < Decimal::ZERO {
                errors.push(RateError::Negative {
                    at,
                    counter,
                    cost_per_page,
                });
                continue;
            }
            if cost_per_page > MAX_COST_PER_PAGE {
                errors.push(RateError::TooHigh {
                    at,
                    counter,
                    cost_per_page,
                });
                continue;
            }
            let rates = card.rates.entry(at).or_default();
            match rates.iter().find(|(name, _)| *name == counter) {
                Some(&(_, kept)) => errors.push(RateError::Duplicate { at, counter, kept }),
                None => rates.push((counter, cost_per_page)),
            }
        }
        (card, errors)
    }

    /// The rate of each counter priced anywhere on the lineage, from the nearest
    /// scope that prices it, by counter name.
    pub fn resolve(&self, lineage: &Lineage<'_>) -> Vec<ResolvedRate> {
        let mut resolved: Vec<ResolvedRate> = Vec::new();
        for source in lineage.scopes() {
            for (counter, cost_per_page) in self.rates.get(&source).into_iter().flatten() {
                if !resolved.iter().any(|rate| rate.counter == *counter) {
                    resolved.push(ResolvedRate {
                        counter: counter.clone(),
                        cost_per_page: *cost_per_page,
                        source,
                    });
                }
            }
        }
        resolved.sort_by(|a, b| a.counter.cmp(&b.counter));
        resolved
    }
}

/// One charged counter of a device's period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CostLine {
    /// The counter.
    pub counter: String,
    /// Its pages in the period.
    pub pages: u64,
    /// The rate applied.
    #[schema(value_type = String, example = "0.0085")]
    pub cost_per_page: Decimal,
    /// Where the rate was set.
    pub source: ScopeRef,
    /// `pages × cost_per_page`, exact.
    #[schema(value_type = String, example = "10.4890")]
    pub cost: Decimal,
}

/// A counter that had pages but no rate: not charged, shown so the dealer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct UnpricedCounter {
    /// The counter.
    pub counter: String,
    /// Its pages in the period.
    pub pages: u64,
}

/// What one device's printing cost in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DeviceCost {
    /// The device.
    pub device: i64,
    /// One line per charged counter, by counter name.
    pub lines: Vec<CostLine>,
    /// Counters without a rate, by counter name.
    pub unpriced: Vec<UnpricedCounter>,
    /// The sum of the lines.
    #[schema(value_type = String, example = "31.4")]
    pub total: Decimal,
}

/// What an account's devices cost in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountCost {
    /// The account.
    pub account: i64,
    /// Its devices' costs.
    pub devices: Vec<DeviceCost>,
    /// The sum of the devices' totals.
    #[schema(value_type = String, example = "43.9")]
    pub total: Decimal,
}

/// A cost too large for a decimal, which only rates set around the
/// [`RateCard`]'s checks can produce.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CostError {
    /// One counter's pages times its rate.
    #[error("device {device}: {pages} pages of {counter} at {cost_per_page} overflow a decimal")]
    Line {
        /// The device.
        device: i64,
        /// The counter.
        counter: String,
        /// Its pages.
        pages: u64,
        /// The rate.
        cost_per_page: Decimal,
    },
    /// The sum of a device's lines.
    #[error("device {device}: the sum of its cost lines overflows a decimal")]
    Device {
        /// The device.
        device: i64,
    },
    /// The sum of an account's devices.
    #[error("account {account}: the sum of its devices' costs overflows a decimal")]
    Account {
        /// The account.
        account: i64,
    },
}

/// Prices a device's pages per counter (for a period: the pages of its meter
/// reads) at its resolved rates: a line per counter with a rate, the rest listed
/// as unpriced.
pub fn device_cost<'a>(
    device: i64,
    pages: impl IntoIterator<Item = (&'a str, u64)>,
    rates: &[ResolvedRate],
) -> Result<DeviceCost, CostError> {
    let mut lines = Vec::new();
    let mut unpriced = Vec::new();
    let mut total = Decimal::ZERO;
    for (counter, count) in pages {
        let Some(rate) = rates.iter().find(|rate| rate.counter == counter) else {
            unpriced.push(UnpricedCounter {
                counter: counter.to_owned(),
                pages: count,
            });
            continue;
        };
        let cost = Decimal::from(count)
            .checked_mul(rate.cost_per_page)
            .ok_or_else(|| CostError::Line {
                device,
                counter: counter.to_owned(),
                pages: count,
                cost_per_page: rate.cost_per_page,
            })?;
        total = total
            .checked_add(cost)
            .ok_or(CostError::Device { device })?;
        lines.push(CostLine {
            counter: counter.to_owned(),
            pages: count,
            cost_per_page: rate.cost_per_page,
            source: rate.source,
            cost,
        });
    }
    lines.sort_by(|a, b| a.counter.cmp(&b.counter));
    unpriced.sort_by(|a, b| a.counter.cmp(&b.counter));
    Ok(DeviceCost {
        device,
        lines,
        unpriced,
        total,
    })
}

/// An account's cost: its devices' costs and their sum.
pub fn account_cost(account: i64, devices: Vec<DeviceCost>) -> Result<AccountCost, CostError> {
    let total = devices
        .iter()
        .try_fold(Decimal::ZERO, |sum, device| sum.checked_add(device.total))
        .ok_or(CostError::Account { account })?;
    Ok(AccountCost {
        account,
        devices,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Decimal {
        text.parse().expect("a decimal")
    }

    fn device(id: i64) -> ScopeRef {
        ScopeRef {
            scope: Scope::Device,
            id,
        }
    }

    fn contract(id: i64) -> ScopeRef {
        ScopeRef {
            scope: Scope::Contract,
            id,
        }
    }

    fn account(id: i64) -> ScopeRef {
        ScopeRef {
            scope: Scope::Account,
            id,
        }
    }

    fn setting(at: ScopeRef, counter: &str, cost: &str) -> RateSetting {
        RateSetting {
            at,
            counter: counter.into(),
            cost_per_page: money(cost),
        }
    }

    /// Root dealer 1 prices mono and color; its child dealer 2 cheaper color; 2's
    /// customer 3 nothing; contract 9 cheaper mono; device 42 its own color.
    fn card() -> RateCard {
        let (card, errors) = RateCard::new([
            setting(account(1), "mono", "0.0100"),
            setting(account(1), "color", "0.0800"),
            setting(account(2), "color", "0.0700"),
            setting(contract(9), "mono", "0.0090"),
            setting(device(42), "color", "0.0650"),
        ]);
        assert_eq!(errors, vec![]);
        card
    }

    #[test]
    fn the_nearest_setting_wins_and_says_where_it_was_set() {
        let chain = [3, 2, 1];
        struct Case<'a> {
            name: &'a str,
            lineage: Lineage<'a>,
            rates: Vec<(&'a str, &'a str, ScopeRef)>,
        }
        let cases = [
            Case {
                name: "device and contract both set one",
                lineage: Lineage {
                    device: 42,
                    contract: Some(9),
                    accounts: &chain,
                },
                rates: vec![
                    ("color", "0.0650", device(42)),
                    ("mono", "0.0090", contract(9)),
                ],
            },
            Case {
                name: "contract, then the parent dealer",
                lineage: Lineage {
                    device: 43,
                    contract: Some(9),
                    accounts: &chain,
                },
                rates: vec![
                    ("color", "0.0700", account(2)),
                    ("mono", "0.0090", contract(9)),
                ],
            },
            Case {
                name: "no contract: parent dealer, then root dealer",
                lineage: Lineage {
                    device: 44,
                    contract: None,
                    accounts: &chain,
                },
                rates: vec![
                    ("color", "0.0700", account(2)),
                    ("mono", "0.0100", account(1)),
                ],
            },
            Case {
                name: "a device of the root dealer itself",
                lineage: Lineage {
                    device: 45,
                    contract: None,
                    accounts: &[1],
                },
                rates: vec![
                    ("color", "0.0800", account(1)),
                    ("mono", "0.0100", account(1)),
                ],
            },
            Case {
                name: "an account outside the priced tree",
                lineage: Lineage {
                    device: 46,
                    contract: None,
                    accounts: &[5],
                },
                rates: vec![],
            },
        ];
        let card = card();
        for case in cases {
            let expected: Vec<ResolvedRate> = case
                .rates
                .iter()
                .map(|(counter, cost, source)| ResolvedRate {
                    counter: counter.to_string(),
                    cost_per_page: money(cost),
                    source: *source,
                })
                .collect();
            assert_eq!(card.resolve(&case.lineage), expected, "{}", case.name);
        }
    }

    #[test]
    fn only_counters_with_a_rate_are_charged_and_the_rest_are_listed() {
        let rates = card().resolve(&Lineage {
            device: 42,
            contract: Some(9),
            accounts: &[3, 2, 1],
        });
        let cost = device_cost(
            42,
            [
                ("color", 400),
                ("mono", 600),
                ("scan", 50),
                ("total", 1_000),
            ],
            &rates,
        )
        .expect("a cost");
        assert_eq!(
            cost.lines,
            vec![
                CostLine {
                    counter: "color".into(),
                    pages: 400,
                    cost_per_page: money("0.065"),
                    source: device(42),
                    cost: money("26.000"),
                },
                CostLine {
                    counter: "mono".into(),
                    pages: 600,
                    cost_per_page: money("0.009"),
                    source: contract(9),
                    cost: money("5.400"),
                },
            ]
        );
        assert_eq!(
            cost.unpriced,
            vec![
                UnpricedCounter {
                    counter: "scan".into(),
                    pages: 50,
                },
                UnpricedCounter {
                    counter: "total".into(),
                    pages: 1_000,
                },
            ]
        );
        // 400 × 0.065 + 600 × 0.009 = 26 + 5.4.
        assert_eq!(cost.total, money("31.4"));
    }

    #[test]
    fn a_rate_on_total_as_well_is_charged_as_the_dealer_set_it() {
        let (card, errors) = RateCard::new([
            setting(account(1), "mono", "0.01"),
            setting(account(1), "total", "0.002"),
        ]);
        assert_eq!(errors, vec![]);
        let rates = card.resolve(&Lineage {
            device: 7,
            contract: None,
            accounts: &[1],
        });
        let cost = device_cost(7, [("mono", 100), ("total", 100)], &rates).expect("a cost");
        // 100 × 0.01 + 100 × 0.002: both charged, though total includes mono.
        assert_eq!(cost.total, money("1.2"));
        assert_eq!(cost.unpriced, vec![]);
    }

    #[test]
    fn an_account_costs_the_sum_of_its_devices() {
        let rates = card().resolve(&Lineage {
            device: 44,
            contract: None,
            accounts: &[3, 2, 1],
        });
        let first = device_cost(44, [("mono", 1_000)], &rates).expect("a cost");
        let second = device_cost(47, [("color", 100), ("mono", 50)], &rates).expect("a cost");
        // 1,000 × 0.01 = 10; 100 × 0.07 + 50 × 0.01 = 7.5.
        assert_eq!((first.total, second.total), (money("10"), money("7.5")));
        let total = account_cost(3, vec![first, second]).expect("a cost");
        assert_eq!(total.total, money("17.5"));
        assert_eq!(total.devices.len(), 2);
    }

    #[test]
    fn bad_settings_are_refused_by_name_and_the_rest_kept() {
        let (card, errors) = RateCard::new([
            setting(account(1), "mono", "-0.01"),
            setting(account(1), "color", "2000000"),
            setting(contract(9), "mono", "0.009"),
            setting(contract(9), "mono", "0.5"),
            setting(account(1), "color.large", "0.2"),
        ]);
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "account 1: the cost per page of mono is negative (-0.01)",
                "account 1: the cost per page of color (2000000) is over 1000000",
                "contract 9: the cost per page of mono is set twice; the first (0.009) is kept",
            ]
        );
        let rates = card.resolve(&Lineage {
            device: 1,
            contract: Some(9),
            accounts: &[1],
        });
        let kept: Vec<(&str, Decimal)> = rates
            .iter()
            .map(|rate| (rate.counter.as_str(), rate.cost_per_page))
            .collect();
        assert_eq!(
            kept,
            vec![("color.large", money("0.2")), ("mono", money("0.009"))]
        );
    }

    #[test]
    fn an_overflowing_line_names_the_device_and_counter() {
        let rates = [ResolvedRate {
            counter: "mono".into(),
            cost_per_page: Decimal::MAX,
            source: device(3),
        }];
        let error = device_cost(3, [("mono", 1_000)], &rates).expect_err("overflow");
        assert!(
            matches!(&error, CostError::Line { device: 3, counter, .. } if counter == "mono"),
            "{error}"
        );
    }

    #[test]
    fn the_api_schema_calls_money_a_string() {
        let schema =
            serde_json::to_value(<ResolvedRate as utoipa::PartialSchema>::schema()).expect("JSON");
        assert_eq!(schema["properties"]["cost-per-page"]["type"], "string");
        assert_eq!(schema["properties"]["cost-per-page"]["example"], "0.0085");
    }

    #[test]
    fn money_is_a_string_in_json() {
        let json = serde_json::to_value(ResolvedRate {
            counter: "mono".into(),
            cost_per_page: money("0.0085"),
            source: contract(9),
        })
        .expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({
                "counter": "mono",
                "cost-per-page": "0.0085",
                "source": {"scope": "contract", "id": 9},
            })
        );
        let back: RateSetting = serde_json::from_value(serde_json::json!({
            "at": {"scope": "account", "id": 1},
            "counter": "color",
            "cost-per-page": "0.0800",
        }))
        .expect("a setting");
        assert_eq!(back.cost_per_page, money("0.08"));
    }
}
