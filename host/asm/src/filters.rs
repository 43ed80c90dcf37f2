//! Which devices a definition looks at. Each filter first cuts by managed vs
//! non-managed, then by its method and value.
//!
//! Filters combine with AND, OR and AND NOT in the source's *linear precedence*: "the
//! filters are grouped using subsequent operators, and every time subsequent operators
//! are different, a new group is created", with the example
//! `F1 AND F2 OR F3 OR F4 OR F5 AND NOT F6` = `(F1) AND (F2 OR F3 OR F4 OR F5) AND NOT (F6)`.
//!
//! How this crate reads that rule, exactly (each filter after the first carries the
//! operator that links it to what comes before; the first filter's operator is ignored):
//!
//! - An operator that *repeats* (the same as the operator just before or just after it)
//!   links inside a group: a run of equal operators groups the filters it joins, its left
//!   operand included (`F2 OR F3 OR F4 OR F5` above).
//! - An operator that stands alone (different from both neighbours) joins groups
//!   (`AND` before F2, `AND NOT` before F6 above).
//! - A group holds one operator only: when a run of a different operator begins right
//!   where a run ended (`F1 OR F2 OR F3 AND F4 AND F5`), the filter between them stays
//!   in the earlier group and the new run's first operator joins the groups:
//!   `(F1 OR F2 OR F3) AND (F4 AND F5)`.
//! - Inside a group and between groups, evaluation goes left to right: `a AND NOT b` is
//!   `a && !b`. `F1 AND F2 OR F3` is `(F1) AND (F2) OR (F3)` = `(F1 && F2) || F3`.
//!
//! No filters at all means every device. [`precedence_text`] shows a dealer the grouping.

use serde::{Deserialize, Serialize};

use crate::facts::DeviceFacts;
use crate::ids::{AccountId, ContractId, GroupId};

/// How a filter links to the filters before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum Joiner {
    /// Both must hold.
    And,
    /// Either may hold.
    Or,
    /// What came before must hold and this must not.
    AndNot,
}

impl Joiner {
    fn combine(self, left: bool, right: bool) -> bool {
        match self {
            Joiner::And => left && right,
            Joiner::Or => left || right,
            Joiner::AndNot => left && !right,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Joiner::And => "AND",
            Joiner::Or => "OR",
            Joiner::AndNot => "AND NOT",
        }
    }
}

/// The first cut of every filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum Managed {
    /// Only devices the dealer manages.
    Managed,
    /// Only devices it does not.
    NonManaged,
    /// Either.
    Both,
}

/// A comparison of a calculated volume.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum VolumeComparison {
    /// The volume is this or more.
    AtLeast(f64),
    /// The volume is this or less.
    AtMost(f64),
    /// The volume is within both bounds, inclusive.
    Between {
        /// The lower bound.
        low: f64,
        /// The upper bound.
        high: f64,
    },
}

impl VolumeComparison {
    fn holds(self, volume: f64) -> bool {
        match self {
            VolumeComparison::AtLeast(low) => volume >= low,
            VolumeComparison::AtMost(high) => volume <= high,
            VolumeComparison::Between { low, high } => low <= volume && volume <= high,
        }
    }
}

/// What a filter looks at, with its value. Text values match case-insensitively.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all_fields = "kebab-case", rename_all = "kebab-case")]
pub enum FilterMethod {
    /// Every device (after the managed cut).
    All,
    /// Devices on a contract of this type.
    ContractType(String),
    /// Devices on this contract.
    Contract(ContractId),
    /// Devices of this maker.
    Manufacturer(String),
    /// Devices of this model family.
    ModelFamily(String),
    /// Devices with this dealer-given model name.
    CustomModel(String),
    /// Devices of this model.
    Model(String),
    /// Devices of this account.
    Account(AccountId),
    /// Devices in this group.
    Group(GroupId),
    /// Devices whose calculated daily average volume compares so.
    DailyAverageVolume(VolumeComparison),
    /// Devices whose calculated monthly average volume compares so.
    MonthlyAverageVolume(VolumeComparison),
}

/// One filter of a definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Filter {
    /// How it links to the filters before it (ignored on the first).
    pub joiner: Joiner,
    /// The managed cut.
    pub managed: Managed,
    /// The method and value.
    pub method: FilterMethod,
}

impl FilterMethod {
    /// The value of a method that compares text.
    fn text(&self) -> Option<&str> {
        match self {
            FilterMethod::ContractType(text)
            | FilterMethod::Manufacturer(text)
            | FilterMethod::ModelFamily(text)
            | FilterMethod::CustomModel(text)
            | FilterMethod::Model(text) => Some(text),
            _ => None,
        }
    }
}

/// Whether `actual` lowercased is `wanted` (already lowercased). ASCII text, what
/// devices report, is compared without building its lowercase copy.
fn same_text(wanted: &str, actual: Option<&str>) -> bool {
    actual.is_some_and(|actual| {
        if actual.is_ascii() {
            actual.len() == wanted.len()
                && actual
                    .bytes()
                    .zip(wanted.bytes())
                    .all(|(actual, wanted)| actual.to_ascii_lowercase() == wanted)
        } else {
            actual.to_lowercase() == wanted
        }
    })
}

impl Filter {
    /// Whether one device passes this filter alone.
    pub fn matches(&self, device: &DeviceFacts) -> bool {
        let wanted = self.method.text().map(str::to_lowercase);
        self.matches_lowercase(device, wanted.as_deref().unwrap_or_default())
    }

    /// [`Filter::matches`], given the method's text value lowercased (empty for the
    /// methods that compare no text).
    fn matches_lowercase(&self, device: &DeviceFacts, wanted: &str) -> bool {
        let managed = match self.managed {
            Managed::Managed => device.managed,
            Managed::NonManaged => !device.managed,
            Managed::Both => true,
        };
        managed
            && match &self.method {
                FilterMethod::All => true,
                FilterMethod::ContractType(_) => same_text(wanted, device.contract_type.as_deref()),
                FilterMethod::Contract(contract) => device.contract == Some(*contract),
                FilterMethod::Manufacturer(_) => same_text(wanted, device.manufacturer.as_deref()),
                FilterMethod::ModelFamily(_) => same_text(wanted, device.model_family.as_deref()),
                FilterMethod::CustomModel(_) => same_text(wanted, device.custom_model.as_deref()),
                FilterMethod::Model(_) => same_text(wanted, device.model.as_deref()),
                FilterMethod::Account(account) => device.account == *account,
                FilterMethod::Group(group) => device.groups.contains(group),
                FilterMethod::DailyAverageVolume(comparison) => device
                    .daily_average_volume
                    .is_some_and(|volume| comparison.holds(volume)),
                FilterMethod::MonthlyAverageVolume(comparison) => device
                    .monthly_average_volume
                    .is_some_and(|volume| comparison.holds(volume)),
            }
    }
}

/// One precedence group: filters (by index) linked by one operator, and the operator
/// that joins the group to the groups before it (`None` for the first group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterGroup {
    /// How this group joins the result of the groups before it.
    pub joiner: Option<Joiner>,
    /// The operator inside the group, once it has two members.
    pub inner: Option<Joiner>,
    /// The filters in it, by their index in the definition.
    pub members: Vec<usize>,
}

/// Groups filters by the linear precedence described in this module's doc.
pub fn precedence_groups(filters: &[Filter]) -> Vec<FilterGroup> {
    let operator = |index: usize| {
        (1..filters.len())
            .contains(&index)
            .then(|| filters[index].joiner)
    };
    let mut groups: Vec<FilterGroup> = Vec::new();
    for index in 0..filters.len() {
        let Some(op) = operator(index) else {
            groups.push(FilterGroup {
                joiner: None,
                inner: None,
                members: vec![index],
            });
            continue;
        };
        let repeats = operator(index - 1) == Some(op) || operator(index + 1) == Some(op);
        let current = groups.last_mut().expect("the first filter opened a group");
        if repeats && current.inner.is_none_or(|inner| inner == op) {
            current.inner = Some(op);
            current.members.push(index);
        } else {
            groups.push(FilterGroup {
                joiner: Some(op),
                inner: None,
                members: vec![index],
            });
        }
    }
    groups
}

/// Whether a device passes a definition's filters, by linear precedence. No filters
/// means every device.
pub fn matches(filters: &[Filter], device: &DeviceFacts) -> bool {
    Prepared::new(filters).matches(device)
}

/// A definition's filters made ready to judge many devices: the precedence groups worked
/// out and the text values lowercased once, not for every device a tick looks at.
pub(crate) struct Prepared<'a> {
    filters: &'a [Filter],
    groups: Vec<FilterGroup>,
    /// Each filter's text value lowercased (empty for the methods without one).
    lowercase: Vec<String>,
}

impl<'a> Prepared<'a> {
    pub(crate) fn new(filters: &'a [Filter]) -> Self {
        Prepared {
            filters,
            groups: precedence_groups(filters),
            lowercase: filters
                .iter()
                .map(|filter| {
                    filter
                        .method
                        .text()
                        .map(str::to_lowercase)
                        .unwrap_or_default()
                })
                .collect(),
        }
    }

    /// [`matches`] for these filters.
    pub(crate) fn matches(&self, device: &DeviceFacts) -> bool {
        let passes =
            |index: usize| self.filters[index].matches_lowercase(device, &self.lowercase[index]);
        self.groups
            .iter()
            .fold(None, |result: Option<bool>, group| {
                let inner = group.inner.unwrap_or(Joiner::And);
                let value = group
                    .members
                    .iter()
                    .map(|&index| passes(index))
                    .reduce(|left, right| inner.combine(left, right))
                    .unwrap_or(true);
                Some(match (result, group.joiner) {
                    (Some(left), Some(joiner)) => joiner.combine(left, value),
                    _ => value,
                })
            })
            .unwrap_or(true)
    }
}

/// The grouping as a dealer reads it, filters named `F1`…`Fn`:
/// `(F1) AND (F2 OR F3 OR F4 OR F5) AND NOT (F6)`.
pub fn precedence_text(filters: &[Filter]) -> String {
    let mut text = String::new();
    for group in precedence_groups(filters) {
        if let Some(joiner) = group.joiner {
            text.push_str(&format!(" {} ", joiner.word()));
        }
        let inner = format!(" {} ", group.inner.unwrap_or(Joiner::And).word());
        let names: Vec<String> = group
            .members
            .iter()
            .map(|index| format!("F{}", index + 1))
            .collect();
        text.push_str(&format!("({})", names.join(&inner)));
    }
    text
}
