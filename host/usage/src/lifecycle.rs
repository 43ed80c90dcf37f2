//! Each supply position of a device as a sequence of cartridges, each with its life:
//! ordered → shipped → installed → empty → replaced, the pages printed on it and its
//! yield beside the rated one.
//!
//! # Positions
//!
//! A position is a supply's kind and colour plus its rank among the device's supplies of
//! that same kind and colour, by row index ([`SupplyPosition`]). The row index itself is
//! not part of it: firmware updates renumber `prtMarkerSuppliesTable` (a row added for a
//! new part, rows compacted), and a black toner at row 1 that comes back at row 4 is
//! still the black toner. Kind and colour are what the slot physically holds; the rank
//! tells apart the few devices with two supplies of one kind and colour (two black
//! toners, a fuser and a transfer belt both typed `other`), and it survives a
//! renumbering that keeps the rows' order, which is what firmware does. The description
//! is not part of it either: it names the part number, which changes between a standard
//! and a high-yield cartridge in the same slot.
//!
//! # Installs
//!
//! A new cartridge is seen, in this order of evidence:
//! - its chip reports another serial number than the cartridge before (a serial the
//!   device stops reporting is no evidence: chip reads fail);
//! - where either side exposes no serial, its level rose by more than
//!   [`LEVEL_JUMP_PERCENT`] points over the last known level (toner is used, never
//!   added; where both sides expose the same serial a jump is the same cartridge's
//!   gauge being reset or refilled, not a new one);
//! - the agent reported a replacement at that reading ([`ReportedReplacement`]), the
//!   way `quire_protocol::SupplyReplacement` does, for what the readings alone do not
//!   show (an agent configured with a lower threshold);
//! - the position is seen for the first time: the cartridge was already installed and
//!   its start is unknown ([`InstallEvidence::FirstSeen`]); its pages count from then,
//!   and its yield can only be estimated.
//!
//! Devices that report only words (ok, low, empty, some remaining) and no serial show
//! no install this way; the agent's reports and the order events are then all there is.
//!
//! # Orders
//!
//! Orders and shipments come from outside (the API now, ASM purchase orders later) as
//! [`SupplyEvent`]s. Each attaches to the next cartridge at its position that was
//! installed (or first seen) at or after it; when several attach to one cartridge the
//! earliest of each kind is kept, since that is when the need was acted on. Those after
//! the last install are the position's cartridge [`PositionHistory::on_order`]. An
//! install the dealer recorded is not an order and is not used here (see
//! [`supply_history`]).
//!
//! # Pages and yield
//!
//! Pages come from an already corrected cumulative series (resets and board swaps are
//! the caller's, see the pages module): a cartridge's pages are the counter at its end
//! (replacement, or `now`) less the counter at its start, each the last sample at or
//! before that instant. Black toner and supplies without a colour use the `total`
//! counter, since every page, mono or colour, takes black (ISO/IEC 19798 rates a black
//! cartridge in colour printing too); other colours use the `color` counter where the
//! device has one, since mono pages take no colour toner, and `total` where it has none.
//!
//! The yield is [`YieldBasis::Actual`] for a cartridge seen from its install to empty;
//! for one replaced before empty, or first seen already installed, it is
//! [`YieldBasis::Estimated`]: the pages it printed over the level it used, scaled to a
//! full cartridge, and only once it used at least [`MIN_CONSUMED_FOR_ESTIMATE`] points.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use quire_model::{Supply, SupplyState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How many points a level must rise between two readings of a cartridge whose serial
/// is not exposed for the rise to be a new cartridge. Gauges wander by a few points and
/// some report a shaken cartridge a few points up; a cartridge replaced at the usual
/// low threshold (≤ 20 %) jumps by 70 points or more. The agent uses the same value
/// (`quire_agent::supplies::DEFAULT_LEVEL_JUMP`), so the server recomputing a history
/// finds the installs the agent reported.
pub const LEVEL_JUMP_PERCENT: u8 = 30;

/// The fewest points a cartridge must have used for its yield to be extrapolated to a
/// full one: with levels in whole percent, a 1-point reading error on 20 points used
/// is 5 % of the estimate, on 5 points it would be 20 %.
pub const MIN_CONSUMED_FOR_ESTIMATE: u8 = 20;

/// Where a supply sits in a device, stable across firmware that renumbers the rows (see
/// the module doc).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SupplyPosition {
    /// The supply's kind, lower-case (`toner`, `drum`, `waste-toner`).
    pub kind: String,
    /// Its colour, lower-case, where it has one.
    pub color: Option<String>,
    /// 1 for the first supply of this kind and colour by row index, 2 for the next.
    pub rank: u32,
}

impl SupplyPosition {
    /// The positions of one reading's supplies, in the reading's order.
    pub fn of(supplies: &[Supply]) -> Vec<SupplyPosition> {
        let keys: Vec<(String, Option<String>)> = supplies
            .iter()
            .map(|s| {
                let color = s.color.as_deref().map(|c| c.trim().to_lowercase());
                (
                    s.kind.trim().to_lowercase(),
                    color.filter(|c| !c.is_empty()),
                )
            })
            .collect();
        supplies
            .iter()
            .zip(&keys)
            .map(|(supply, key)| {
                let before = supplies
                    .iter()
                    .zip(&keys)
                    .filter(|(other, other_key)| other.index < supply.index && *other_key == key)
                    .count();
                SupplyPosition {
                    kind: key.0.clone(),
                    color: key.1.clone(),
                    rank: u32::try_from(before).unwrap_or(u32::MAX).saturating_add(1),
                }
            })
            .collect()
    }

    /// Whether `a` and `b` have the same positions: [`SupplyPosition::of`] reads only
    /// each supply's index, kind and colour.
    fn same_layout(a: &[Supply], b: &[Supply]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(a, b)| a.index == b.index && a.kind == b.kind && a.color == b.color)
    }

    /// Which page counter measures this position's use (see the module doc).
    pub fn counter(&self, device_has_color_counter: bool) -> PageCounter {
        match self.color.as_deref() {
            Some(color) if !color.contains("black") && device_has_color_counter => {
                PageCounter::Color
            }
            _ => PageCounter::Total,
        }
    }
}

/// The positions of successive readings' supplies: a device's readings mostly list
/// the same supplies, so the last reading's positions are kept and reused while the
/// next lists the same indexes, kinds and colours, instead of working them out (a few
/// strings each) per reading of a year's history.
#[derive(Debug, Default)]
pub struct Positions {
    layout: Vec<Supply>,
    positions: Vec<SupplyPosition>,
}

impl Positions {
    /// [`SupplyPosition::of`] `supplies`.
    pub fn of(&mut self, supplies: &[Supply]) -> &[SupplyPosition] {
        if self.layout.is_empty() || !SupplyPosition::same_layout(&self.layout, supplies) {
            self.layout = supplies.to_vec();
            self.positions = SupplyPosition::of(supplies);
        }
        &self.positions
    }
}

/// One reading's supplies, as the store keeps them.
#[derive(Debug, Clone, Copy)]
pub struct SuppliesRead<'a> {
    /// When the device was read.
    pub taken_at: DateTime<Utc>,
    /// Its supplies, in the device's order.
    pub supplies: &'a [Supply],
}

/// A sample of an already corrected cumulative page counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PageSample {
    /// When it was read.
    pub taken_at: DateTime<Utc>,
    /// Pages printed since the series began, resets and rollovers already undone.
    pub pages: u64,
}

/// A device's cumulative pages, in time order: what [`crate::pages`] counted, summed
/// from the first reading, so a cartridge's pages are a difference of two samples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CumulativePages {
    /// Every page printed (the `total` counter).
    pub total: Vec<PageSample>,
    /// Colour pages (the `color` counter); empty where the device has none.
    pub color: Vec<PageSample>,
}

impl CumulativePages {
    /// The `total` and `color` series of what [`crate::pages::device_pages`] counted:
    /// each interval's corrected pages added to the sum at its end, an interval it
    /// could not count adding none, so a cartridge never inherits a reset's jump.
    pub fn counted(pages: &crate::pages::DevicePages) -> CumulativePages {
        let series = |name: &str| {
            pages
                .counters
                .iter()
                .find(|series| series.counter == name)
                .map(|series| {
                    let mut sum = 0;
                    std::iter::once(PageSample {
                        taken_at: series.first.taken_at,
                        pages: 0,
                    })
                    .chain(series.intervals.iter().map(|interval| {
                        sum += interval.pages.unwrap_or(0);
                        PageSample {
                            taken_at: interval.after.taken_at,
                            pages: sum,
                        }
                    }))
                    .collect()
                })
                .unwrap_or_default()
        };
        CumulativePages {
            total: series("total"),
            color: series("color"),
        }
    }

    /// The series that measures `counter`.
    pub fn series(&self, counter: PageCounter) -> &[PageSample] {
        match counter {
            PageCounter::Total => &self.total,
            PageCounter::Color => &self.color,
        }
    }
}

/// The page counter a cartridge's pages are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PageCounter {
    /// Every page.
    Total,
    /// Colour pages only.
    Color,
}

/// What happened to the cartridge at a position, from outside the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SupplyEventKind {
    /// A cartridge was ordered for the position.
    Ordered,
    /// It was shipped to the customer.
    Shipped,
    /// The dealer put it in the device: the only record of an install for a part the
    /// device does not report (a maintenance kit counted in pages by an alert-logic
    /// plugin). The history leaves it out, see [`supply_history`].
    Installed,
}

/// An order, shipment or install for a position (an API call, an ASM purchase order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SupplyEvent {
    /// The position the cartridge is for.
    pub position: SupplyPosition,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Ordered, shipped or installed.
    pub kind: SupplyEventKind,
    /// The part ordered, where known: the rated yield is looked up by it when the
    /// device does not report the installed cartridge's own.
    pub part_number: Option<String>,
}

/// A replacement the agent reported at a reading (`quire_protocol::SupplyReplacement`):
/// the reading's time and the supply's row index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportedReplacement {
    /// The reading the agent found the replacement in.
    pub taken_at: DateTime<Utc>,
    /// The supply's row index in that reading.
    pub index: u32,
}

/// Everything a device's supply history is built from.
#[derive(Debug, Clone, Copy)]
pub struct HistoryInput<'a> {
    /// The device's readings, in any order.
    pub readings: &'a [SuppliesRead<'a>],
    /// Orders and shipments for its positions.
    pub events: &'a [SupplyEvent],
    /// Replacements its agent reported.
    pub reported: &'a [ReportedReplacement],
    /// Its page counters.
    pub pages: &'a CumulativePages,
    /// Rated yields in pages, by part number.
    pub rated_yields: &'a BTreeMap<String, u64>,
}

/// A device's supplies, position by position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SupplyHistory {
    /// One per position the device reported, in position order.
    pub positions: Vec<PositionHistory>,
    /// Input that could not be used, each naming where it was; the rest was used.
    pub issues: Vec<HistoryIssue>,
}

/// One position's cartridges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PositionHistory {
    /// Where it is.
    pub position: SupplyPosition,
    /// Its row index in the latest reading.
    pub index: u32,
    /// Its description in the latest reading.
    pub description: String,
    /// Oldest first; the last is the one installed now.
    pub cartridges: Vec<Cartridge>,
    /// A cartridge ordered or shipped for it and not installed yet.
    pub on_order: Option<OnOrder>,
}

/// A cartridge ordered or shipped and not seen installed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct OnOrder {
    /// Ordered or shipped.
    pub stage: CartridgeStage,
    /// When it was ordered, where known.
    pub ordered_at: Option<DateTime<Utc>>,
    /// When it was shipped, where known.
    pub shipped_at: Option<DateTime<Utc>>,
    /// The part ordered, where known.
    pub part_number: Option<String>,
}

/// How far a cartridge is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CartridgeStage {
    /// Ordered, not shipped.
    Ordered,
    /// On its way.
    Shipped,
    /// In the device, not empty.
    Installed,
    /// In the device, empty.
    Empty,
    /// Taken out for the next one.
    Replaced,
}

/// What showed a cartridge was installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum InstallEvidence {
    /// It was there when the position was first read; when it went in is unknown.
    FirstSeen,
    /// Its chip reports another serial than the cartridge before.
    SerialChanged {
        /// The serial before.
        before: String,
        /// Its serial.
        after: String,
    },
    /// Its level rose by more than [`LEVEL_JUMP_PERCENT`] points.
    LevelJump {
        /// The last known percent before.
        before: u8,
        /// Its percent.
        after: u8,
    },
    /// The agent reported the replacement.
    ReportedByAgent,
}

/// One cartridge at a position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Cartridge {
    /// Where it is in its life.
    pub stage: CartridgeStage,
    /// When it was installed, or first seen for [`InstallEvidence::FirstSeen`].
    pub since: DateTime<Utc>,
    /// What showed it was installed.
    pub install: InstallEvidence,
    /// Its chip's serial, where the device reports it.
    pub serial: Option<String>,
    /// Its part number: the device's, else the one ordered.
    pub part_number: Option<String>,
    /// When it was ordered, where an order attached to it.
    pub ordered_at: Option<DateTime<Utc>>,
    /// When it was shipped, where a shipment attached to it.
    pub shipped_at: Option<DateTime<Utc>>,
    /// The first reading that found it empty.
    pub emptied_at: Option<DateTime<Utc>>,
    /// When the next cartridge was installed.
    pub replaced_at: Option<DateTime<Utc>>,
    /// The counter its pages are read from.
    pub counter: PageCounter,
    /// Pages printed from `since` to its replacement or now, where the counter covers
    /// both ends.
    pub pages: Option<u64>,
    /// What it yielded, once it is spent.
    #[serde(rename = "yield")]
    pub yield_: Option<CartridgeYield>,
}

/// A spent cartridge's yield beside its rated one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CartridgeYield {
    /// Measured to empty, or extrapolated from a partial use.
    pub basis: YieldBasis,
    /// Pages of a full cartridge: measured, or extrapolated for an estimate.
    pub pages: u64,
    /// Pages printed over the level used.
    pub measured_pages: u64,
    /// The points of level it used, from its first known level to its last (to 0 when
    /// emptied), where its level is known.
    pub consumed_percent: Option<u8>,
    /// The rated yield of its part number, where known.
    pub rated_pages: Option<u64>,
    /// `pages` as a share of `rated_pages`, in percent.
    pub percent_of_rated: Option<u32>,
}

/// How a yield was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum YieldBasis {
    /// Seen from install to empty: the pages it printed.
    Actual,
    /// Replaced before empty, or its install unseen: pages over the level used ×
    /// 100, an estimate.
    Estimated,
}

/// Input the history could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HistoryIssue {
    /// An order or shipment for a position the device never reported.
    EventForUnknownPosition {
        /// Its row in the events given.
        event: usize,
        /// The position it names.
        position: SupplyPosition,
    },
    /// A reported replacement naming a reading or row index that is not there.
    ReportForUnknownSupply {
        /// The reading it names.
        taken_at: DateTime<Utc>,
        /// The row index it names.
        index: u32,
    },
}

impl std::fmt::Display for HistoryIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EventForUnknownPosition { event, position } => write!(
                f,
                "event {event}: the device never reported a {} {} (rank {})",
                position.color.as_deref().unwrap_or("uncoloured"),
                position.kind,
                position.rank
            ),
            Self::ReportForUnknownSupply { taken_at, index } => write!(
                f,
                "reported replacement at {taken_at}: no supply at row index {index} in that reading"
            ),
        }
    }
}

/// The supply history of one device: its positions' cartridges from `input`, with pages
/// counted up to `now` for the cartridges still in use.
///
/// A dealer's [`SupplyEventKind::Installed`] record is left out: where the device reports
/// the position its readings show the install, at the reading that found it, which a
/// record made before or after that reading cannot be matched to without guessing; and
/// a position the device does not report has no cartridges here to attach it to.
pub fn supply_history(input: &HistoryInput<'_>, now: DateTime<Utc>) -> SupplyHistory {
    let mut issues = Vec::new();
    let mut readings: Vec<&SuppliesRead<'_>> = input.readings.iter().collect();
    readings.sort_by_key(|r| r.taken_at);

    let mut samples: BTreeMap<SupplyPosition, Vec<(DateTime<Utc>, &Supply)>> = BTreeMap::new();
    let mut positions = Positions::default();
    for reading in &readings {
        for (position, supply) in positions.of(reading.supplies).iter().zip(reading.supplies) {
            let sample = (reading.taken_at, supply);
            match samples.get_mut(position) {
                Some(samples) => samples.push(sample),
                None => {
                    samples.insert(position.clone(), vec![sample]);
                }
            }
        }
    }
    let mut reported: Vec<(SupplyPosition, DateTime<Utc>)> = Vec::new();
    for report in input.reported {
        let found = readings
            .iter()
            .filter(|r| r.taken_at == report.taken_at)
            .find_map(|r| {
                let at = r.supplies.iter().position(|s| s.index == report.index)?;
                Some(SupplyPosition::of(r.supplies).swap_remove(at))
            });
        match found {
            Some(position) => reported.push((position, report.taken_at)),
            None => issues.push(HistoryIssue::ReportForUnknownSupply {
                taken_at: report.taken_at,
                index: report.index,
            }),
        }
    }

    let mut building: BTreeMap<&SupplyPosition, (Vec<Building>, Option<OnOrder>)> = samples
        .iter()
        .map(|(position, samples)| (position, (cartridges(position, samples, &reported), None)))
        .collect();
    let mut events: Vec<(usize, &SupplyEvent)> = input.events.iter().enumerate().collect();
    events.sort_by_key(|(row, e)| (e.at, *row));
    for (row, event) in events {
        let stage = match event.kind {
            SupplyEventKind::Ordered => CartridgeStage::Ordered,
            SupplyEventKind::Shipped => CartridgeStage::Shipped,
            SupplyEventKind::Installed => continue,
        };
        match building.get_mut(&event.position) {
            Some((cartridges, on_order)) => attach(cartridges, on_order, event, stage),
            None => issues.push(HistoryIssue::EventForUnknownPosition {
                event: row,
                position: event.position.clone(),
            }),
        }
    }

    let has_color = !input.pages.color.is_empty();
    let positions = building
        .into_iter()
        .map(|(position, (cartridges, on_order))| {
            let counter = position.counter(has_color);
            let series = input.pages.series(counter);
            let (index, description) = samples[position]
                .last()
                .map(|(_, s)| (s.index, s.description.clone()))
                .unwrap_or_default();
            PositionHistory {
                position: position.clone(),
                index,
                description,
                cartridges: cartridges
                    .into_iter()
                    .map(|c| c.finish(counter, series, input.rated_yields, now))
                    .collect(),
                on_order,
            }
        })
        .collect();
    SupplyHistory { positions, issues }
}

/// A cartridge while its samples are walked.
struct Building {
    since: DateTime<Utc>,
    install: InstallEvidence,
    serial: Option<String>,
    part_number: Option<String>,
    ordered_at: Option<DateTime<Utc>>,
    shipped_at: Option<DateTime<Utc>>,
    first_level: Option<(DateTime<Utc>, u8)>,
    last_level: Option<(DateTime<Utc>, u8)>,
    emptied_at: Option<DateTime<Utc>>,
    replaced_at: Option<DateTime<Utc>>,
}

impl Building {
    fn new(since: DateTime<Utc>, install: InstallEvidence) -> Self {
        Self {
            since,
            install,
            serial: None,
            part_number: None,
            ordered_at: None,
            shipped_at: None,
            first_level: None,
            last_level: None,
            emptied_at: None,
            replaced_at: None,
        }
    }

    fn take(&mut self, at: DateTime<Utc>, supply: &Supply) {
        if self.serial.is_none() {
            self.serial = serial(supply);
        }
        if let Some(part) = trimmed(supply.part_number.as_deref())
            && self.part_number.as_deref() != Some(part)
        {
            self.part_number = Some(part.to_owned());
        }
        if let Some(percent) = supply.percent {
            self.first_level.get_or_insert((at, percent));
            self.last_level = Some((at, percent));
        }
        if self.emptied_at.is_none()
            && (supply.state == SupplyState::Empty || supply.percent == Some(0))
        {
            self.emptied_at = Some(at);
        }
    }

    fn finish(
        self,
        counter: PageCounter,
        series: &[PageSample],
        rated_yields: &BTreeMap<String, u64>,
        now: DateTime<Utc>,
    ) -> Cartridge {
        let stage = match (self.replaced_at, self.emptied_at) {
            (Some(_), _) => CartridgeStage::Replaced,
            (None, Some(_)) => CartridgeStage::Empty,
            (None, None) => CartridgeStage::Installed,
        };
        let rated_pages = self
            .part_number
            .as_ref()
            .and_then(|part| rated_yields.get(part))
            .copied();
        Cartridge {
            stage,
            since: self.since,
            pages: pages_between(series, self.since, self.replaced_at.unwrap_or(now)),
            yield_: self.spent_yield(series, rated_pages),
            install: self.install,
            serial: self.serial,
            part_number: self.part_number,
            ordered_at: self.ordered_at,
            shipped_at: self.shipped_at,
            emptied_at: self.emptied_at,
            replaced_at: self.replaced_at,
            counter,
        }
    }

    /// Its yield once it is spent (empty or replaced); see the module doc.
    fn spent_yield(
        &self,
        series: &[PageSample],
        rated_pages: Option<u64>,
    ) -> Option<CartridgeYield> {
        let (basis, pages, measured_pages, consumed_percent) = match self.emptied_at {
            Some(emptied) if self.install != InstallEvidence::FirstSeen => {
                let measured = pages_between(series, self.since, emptied)?;
                let consumed = self.first_level.map(|(_, first)| first);
                (YieldBasis::Actual, measured, measured, consumed)
            }
            _ if self.emptied_at.is_none() && self.replaced_at.is_none() => return None,
            _ => {
                let (from, first) = self.first_level?;
                let (to, last) = match self.emptied_at {
                    Some(emptied) => (emptied, 0),
                    None => self.last_level?,
                };
                let consumed = first.saturating_sub(last);
                if consumed < MIN_CONSUMED_FOR_ESTIMATE {
                    return None;
                }
                let measured = pages_between(series, from, to)?;
                let full = (measured * 100 + u64::from(consumed) / 2) / u64::from(consumed);
                (YieldBasis::Estimated, full, measured, Some(consumed))
            }
        };
        Some(CartridgeYield {
            basis,
            pages,
            measured_pages,
            consumed_percent,
            rated_pages,
            percent_of_rated: rated_pages
                .filter(|&rated| rated > 0)
                .map(|rated| u32::try_from((pages * 100 + rated / 2) / rated).unwrap_or(u32::MAX)),
        })
    }
}

fn serial(supply: &Supply) -> Option<String> {
    nonempty(supply.serial.as_deref())
}

fn nonempty(value: Option<&str>) -> Option<String> {
    trimmed(value).map(str::to_owned)
}

/// `value` trimmed, unless that leaves nothing.
fn trimmed(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Walks one position's samples, oldest first, into cartridges.
fn cartridges(
    position: &SupplyPosition,
    samples: &[(DateTime<Utc>, &Supply)],
    reported: &[(SupplyPosition, DateTime<Utc>)],
) -> Vec<Building> {
    let mut done = Vec::new();
    let mut current: Option<Building> = None;
    for &(at, supply) in samples {
        let evidence = match &current {
            None => Some(InstallEvidence::FirstSeen),
            Some(cartridge) => install_evidence(cartridge, supply).or_else(|| {
                reported
                    .iter()
                    .any(|(p, t)| p == position && *t == at)
                    .then_some(InstallEvidence::ReportedByAgent)
            }),
        };
        if let Some(evidence) = evidence {
            if let Some(mut before) = current.take() {
                before.replaced_at = Some(at);
                done.push(before);
            }
            current = Some(Building::new(at, evidence));
        }
        if let Some(cartridge) = current.as_mut() {
            cartridge.take(at, supply);
        }
    }
    done.extend(current);
    done
}

fn install_evidence(cartridge: &Building, now: &Supply) -> Option<InstallEvidence> {
    match (&cartridge.serial, trimmed(now.serial.as_deref())) {
        (Some(before), Some(after)) if before != after => {
            return Some(InstallEvidence::SerialChanged {
                before: before.clone(),
                after: after.to_owned(),
            });
        }
        (Some(_), Some(_)) => return None,
        _ => {}
    }
    let (_, before) = cartridge.last_level?;
    let after = now.percent?;
    (after > before && after - before > LEVEL_JUMP_PERCENT)
        .then_some(InstallEvidence::LevelJump { before, after })
}

/// Attaches an order (`stage` [`CartridgeStage::Ordered`]) or a shipment
/// ([`CartridgeStage::Shipped`]) to its cartridge, or to the one on order.
fn attach(
    cartridges: &mut [Building],
    on_order: &mut Option<OnOrder>,
    event: &SupplyEvent,
    stage: CartridgeStage,
) {
    let shipped = stage == CartridgeStage::Shipped;
    let earliest = |slot: &mut Option<DateTime<Utc>>| {
        *slot = Some(slot.map_or(event.at, |t| t.min(event.at)));
    };
    let part = nonempty(event.part_number.as_deref());
    if let Some(cartridge) = cartridges.iter_mut().find(|c| c.since >= event.at) {
        if shipped {
            earliest(&mut cartridge.shipped_at);
        } else {
            earliest(&mut cartridge.ordered_at);
        }
        if cartridge.part_number.is_none() {
            cartridge.part_number = part;
        }
        return;
    }
    let order = on_order.get_or_insert(OnOrder {
        stage: CartridgeStage::Ordered,
        ordered_at: None,
        shipped_at: None,
        part_number: None,
    });
    if shipped {
        earliest(&mut order.shipped_at);
        order.stage = CartridgeStage::Shipped;
    } else {
        earliest(&mut order.ordered_at);
    }
    if order.part_number.is_none() {
        order.part_number = part;
    }
}

/// The counter's value at `at`: the last sample at or before it.
fn counter_at(series: &[PageSample], at: DateTime<Utc>) -> Option<u64> {
    let after = series.partition_point(|s| s.taken_at <= at);
    after.checked_sub(1).map(|i| series[i].pages)
}

fn pages_between(series: &[PageSample], from: DateTime<Utc>, to: DateTime<Utc>) -> Option<u64> {
    Some(counter_at(series, to)?.saturating_sub(counter_at(series, from)?))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn day(n: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap() + Duration::days(n)
    }

    fn toner(index: u32, color: &str, percent: Option<u8>, serial: Option<&str>) -> Supply {
        Supply {
            index,
            description: format!("{color} toner"),
            kind: "toner".into(),
            color: Some(color.into()),
            unit: Some("percent".into()),
            level: percent.map(i32::from),
            max: Some(100),
            percent,
            state: match percent {
                Some(0) => SupplyState::Empty,
                Some(p) if p <= 10 => SupplyState::Low,
                Some(_) => SupplyState::Ok,
                None => SupplyState::Unknown,
            },
            serial: serial.map(str::to_owned),
            part_number: None,
        }
    }

    #[test]
    fn cumulative_pages_sum_what_was_counted_and_skip_what_was_not() {
        let counters = |total: u64, color: u64| -> [(std::sync::Arc<str>, u64); 2] {
            [("color".into(), color), ("total".into(), total)]
        };
        // Day 1 prints 100 (40 colour); day 2 the total drops to 30 (a reset: 30 pages
        // since); day 3 prints 70 more (10 colour, after 20 colour on day 2).
        let read = [
            counters(1_000, 400),
            counters(1_100, 440),
            counters(30, 460),
            counters(100, 470),
        ];
        let samples: Vec<_> = read
            .iter()
            .enumerate()
            .map(|(n, counters)| crate::pages::Sample {
                reading_id: n as i64,
                taken_at: day(n as i64),
                counters,
            })
            .collect();
        let pages = crate::pages::device_pages(7, &samples, &crate::pages::PageRules::default());
        let cumulative = CumulativePages::counted(&pages);
        let sums = |series: &[PageSample]| {
            series
                .iter()
                .map(|s| (s.taken_at, s.pages))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            sums(&cumulative.total),
            [(day(0), 0), (day(1), 100), (day(2), 130), (day(3), 200)]
        );
        assert_eq!(
            sums(&cumulative.color),
            [(day(0), 0), (day(1), 40), (day(2), 60), (day(3), 70)]
        );
    }

    fn black(percent: u8, serial: Option<&str>) -> Supply {
        toner(1, "black", Some(percent), serial)
    }

    fn black_position() -> SupplyPosition {
        SupplyPosition {
            kind: "toner".into(),
            color: Some("black".into()),
            rank: 1,
        }
    }

    /// One position's history from readings of one supply each, no events or pages.
    fn one_position(
        readings: &[(i64, Supply)],
        reported: &[ReportedReplacement],
    ) -> PositionHistory {
        let supplies: Vec<(DateTime<Utc>, Vec<Supply>)> = readings
            .iter()
            .map(|(d, s)| (day(*d), vec![s.clone()]))
            .collect();
        let reads: Vec<SuppliesRead<'_>> = supplies
            .iter()
            .map(|(t, s)| SuppliesRead {
                taken_at: *t,
                supplies: s,
            })
            .collect();
        let history = supply_history(
            &HistoryInput {
                readings: &reads,
                events: &[],
                reported,
                pages: &CumulativePages::default(),
                rated_yields: &BTreeMap::new(),
            },
            day(100),
        );
        assert_eq!(history.positions.len(), 1);
        assert_eq!(history.issues, []);
        history.positions.into_iter().next().unwrap()
    }

    /// What is shown, the readings by day, and the cartridges expected as (since day,
    /// evidence, stage).
    type InstallCase = (
        &'static str,
        Vec<(i64, Supply)>,
        Vec<(i64, InstallEvidence, CartridgeStage)>,
    );

    #[test]
    fn installs_are_told_from_serials_level_jumps_and_noise() {
        use InstallEvidence::*;
        let serial_change = SerialChanged {
            before: "A".into(),
            after: "B".into(),
        };
        let cases: Vec<InstallCase> = vec![
            (
                "a new serial is a new cartridge, even at a lower level",
                vec![
                    (0, black(50, Some("A"))),
                    (1, black(48, Some("A"))),
                    (2, black(40, Some("B"))),
                ],
                vec![
                    (0, FirstSeen, CartridgeStage::Replaced),
                    (2, serial_change.clone(), CartridgeStage::Installed),
                ],
            ),
            (
                "a serial that stops being reported is no evidence",
                vec![
                    (0, black(50, Some("A"))),
                    (1, black(49, None)),
                    (2, black(48, Some("A"))),
                ],
                vec![(0, FirstSeen, CartridgeStage::Installed)],
            ),
            (
                "a jump with the same serial on both sides is the same cartridge",
                vec![(0, black(20, Some("A"))), (1, black(100, Some("A")))],
                vec![(0, FirstSeen, CartridgeStage::Installed)],
            ),
            (
                "with no serial, a rise of more than 30 points is a new cartridge",
                vec![
                    (0, black(20, None)),
                    (1, black(12, None)),
                    (2, black(95, None)),
                ],
                vec![
                    (0, FirstSeen, CartridgeStage::Replaced),
                    (
                        2,
                        LevelJump {
                            before: 12,
                            after: 95,
                        },
                        CartridgeStage::Installed,
                    ),
                ],
            ),
            (
                "the jump is measured from the last known level, across unknown readings",
                vec![
                    (0, black(9, None)),
                    (1, toner(1, "black", None, None)),
                    (2, black(100, None)),
                ],
                vec![
                    (0, FirstSeen, CartridgeStage::Replaced),
                    (
                        2,
                        LevelJump {
                            before: 9,
                            after: 100,
                        },
                        CartridgeStage::Installed,
                    ),
                ],
            ),
            (
                "gauge noise and a rise of exactly 30 points are not installs",
                vec![
                    (0, black(40, None)),
                    (1, black(45, None)),
                    (2, black(43, None)),
                    (3, black(13, None)),
                    (4, black(43, None)),
                ],
                vec![(0, FirstSeen, CartridgeStage::Installed)],
            ),
            (
                "the first sample at 0 % empties it; the next install replaces it",
                vec![
                    (0, black(3, None)),
                    (1, black(0, None)),
                    (2, black(0, None)),
                    (3, black(100, None)),
                ],
                vec![
                    (0, FirstSeen, CartridgeStage::Replaced),
                    (
                        3,
                        LevelJump {
                            before: 0,
                            after: 100,
                        },
                        CartridgeStage::Installed,
                    ),
                ],
            ),
            (
                "a state of empty with no level empties it too",
                vec![
                    (0, black(5, None)),
                    (
                        1,
                        Supply {
                            state: SupplyState::Empty,
                            ..toner(1, "black", None, None)
                        },
                    ),
                ],
                vec![(0, FirstSeen, CartridgeStage::Empty)],
            ),
        ];
        for (what, readings, expected) in cases {
            let history = one_position(&readings, &[]);
            let got: Vec<(DateTime<Utc>, InstallEvidence, CartridgeStage)> = history
                .cartridges
                .iter()
                .map(|c| (c.since, c.install.clone(), c.stage))
                .collect();
            let expected: Vec<_> = expected
                .into_iter()
                .map(|(d, e, s)| (day(d), e, s))
                .collect();
            assert_eq!(got, expected, "{what}");
        }
    }

    #[test]
    fn the_first_empty_reading_and_the_replacement_are_dated() {
        let history = one_position(
            &[
                (0, black(3, None)),
                (1, black(0, None)),
                (2, black(0, None)),
                (3, black(100, None)),
            ],
            &[],
        );
        let first = &history.cartridges[0];
        assert_eq!(first.emptied_at, Some(day(1)));
        assert_eq!(first.replaced_at, Some(day(3)));
        assert_eq!(history.cartridges[1].emptied_at, None);
    }

    #[test]
    fn an_agent_report_is_an_install_the_readings_do_not_show() {
        let history = one_position(
            &[(0, black(40, None)), (1, black(60, None))],
            &[ReportedReplacement {
                taken_at: day(1),
                index: 1,
            }],
        );
        let installs: Vec<_> = history
            .cartridges
            .iter()
            .map(|c| (c.since, c.install.clone()))
            .collect();
        assert_eq!(
            installs,
            [
                (day(0), InstallEvidence::FirstSeen),
                (day(1), InstallEvidence::ReportedByAgent)
            ]
        );
    }

    #[test]
    fn an_install_the_dealer_recorded_is_neither_an_order_nor_an_issue() {
        let supplies = [black(40, None)];
        let reads = [SuppliesRead {
            taken_at: day(0),
            supplies: &supplies,
        }];
        let kit = SupplyPosition {
            kind: "maintenance-kit".into(),
            color: None,
            rank: 1,
        };
        let installed = |position: SupplyPosition| SupplyEvent {
            position,
            at: day(1),
            kind: SupplyEventKind::Installed,
            part_number: Some("MK-1150".into()),
        };
        let history = supply_history(
            &HistoryInput {
                readings: &reads,
                events: &[installed(black_position()), installed(kit)],
                reported: &[],
                pages: &CumulativePages::default(),
                rated_yields: &BTreeMap::new(),
            },
            day(2),
        );
        assert_eq!(history.issues, []);
        let black = &history.positions[0];
        assert_eq!(black.on_order, None);
        assert_eq!(black.cartridges.len(), 1, "the readings show no install");
    }

    #[test]
    fn a_report_or_an_event_that_names_nothing_is_an_issue_and_the_rest_is_used() {
        let supplies = [black(40, None)];
        let reads = [SuppliesRead {
            taken_at: day(0),
            supplies: &supplies,
        }];
        let cyan = SupplyPosition {
            color: Some("cyan".into()),
            ..black_position()
        };
        let history = supply_history(
            &HistoryInput {
                readings: &reads,
                events: &[
                    SupplyEvent {
                        position: cyan.clone(),
                        at: day(0),
                        kind: SupplyEventKind::Ordered,
                        part_number: None,
                    },
                    SupplyEvent {
                        position: black_position(),
                        at: day(1),
                        kind: SupplyEventKind::Ordered,
                        part_number: None,
                    },
                ],
                reported: &[ReportedReplacement {
                    taken_at: day(0),
                    index: 7,
                }],
                pages: &CumulativePages::default(),
                rated_yields: &BTreeMap::new(),
            },
            day(2),
        );
        assert_eq!(
            history.issues,
            [
                HistoryIssue::ReportForUnknownSupply {
                    taken_at: day(0),
                    index: 7
                },
                HistoryIssue::EventForUnknownPosition {
                    event: 0,
                    position: cyan
                },
            ]
        );
        assert_eq!(
            history.issues[1].to_string(),
            "event 0: the device never reported a cyan toner (rank 1)"
        );
        assert_eq!(
            history.positions[0].on_order.as_ref().unwrap().ordered_at,
            Some(day(1))
        );
    }

    #[test]
    fn positions_survive_firmware_that_renumbers_rows() {
        // Firmware 1: black at row 1, cyan at 2. Firmware 2 adds a drum first and
        // renumbers: drum 1, black 4, cyan 5. Two black toners keep their ranks.
        let before = [
            toner(1, "black", Some(60), None),
            toner(2, "cyan", Some(70), None),
        ];
        let after = [
            Supply {
                kind: "opc".into(),
                color: None,
                ..toner(1, "black", Some(90), None)
            },
            toner(4, "Black", Some(59), None),
            toner(5, "cyan", Some(69), None),
        ];
        assert_eq!(
            SupplyPosition::of(&before)
                .into_iter()
                .map(|p| (p.kind, p.color, p.rank))
                .collect::<Vec<_>>(),
            [
                ("toner".into(), Some("black".into()), 1),
                ("toner".into(), Some("cyan".into()), 1)
            ]
        );
        let reads = [
            SuppliesRead {
                taken_at: day(0),
                supplies: &before,
            },
            SuppliesRead {
                taken_at: day(1),
                supplies: &after,
            },
        ];
        let history = supply_history(
            &HistoryInput {
                readings: &reads,
                events: &[],
                reported: &[],
                pages: &CumulativePages::default(),
                rated_yields: &BTreeMap::new(),
            },
            day(2),
        );
        let black = history
            .positions
            .iter()
            .find(|p| p.position == black_position())
            .unwrap();
        assert_eq!(black.index, 4);
        assert_eq!(black.cartridges.len(), 1, "renumbered, not replaced");
        assert_eq!(history.positions.len(), 3);

        let two_blacks = [
            toner(3, "black", Some(10), None),
            toner(2, "black", Some(80), None),
        ];
        let ranks: Vec<u32> = SupplyPosition::of(&two_blacks)
            .into_iter()
            .map(|p| p.rank)
            .collect();
        assert_eq!(
            ranks,
            [2, 1],
            "ranked by row index, not by the reading's order"
        );
    }

    #[test]
    fn orders_and_shipments_attach_to_the_next_install() {
        let event = |d: i64, kind, part: Option<&str>| SupplyEvent {
            position: black_position(),
            at: day(d),
            kind,
            part_number: part.map(str::to_owned),
        };
        let supplies: Vec<Vec<Supply>> = vec![
            vec![black(15, None)],
            vec![black(100, None)],
            vec![black(40, None)],
        ];
        let days = [0, 5, 20];
        let reads: Vec<SuppliesRead<'_>> = days
            .iter()
            .zip(&supplies)
            .map(|(d, s)| SuppliesRead {
                taken_at: day(*d),
                supplies: s,
            })
            .collect();
        let history = supply_history(
            &HistoryInput {
                readings: &reads,
                events: &[
                    event(3, SupplyEventKind::Shipped, None),
                    event(1, SupplyEventKind::Ordered, Some("CF410A")),
                    event(2, SupplyEventKind::Ordered, None),
                    event(21, SupplyEventKind::Ordered, Some("CF410X")),
                    event(22, SupplyEventKind::Shipped, None),
                ],
                reported: &[],
                pages: &CumulativePages::default(),
                rated_yields: &BTreeMap::new(),
            },
            day(23),
        );
        let black = &history.positions[0];
        let installed = &black.cartridges[1];
        assert_eq!(installed.since, day(5));
        assert_eq!(
            installed.ordered_at,
            Some(day(1)),
            "the earliest order is kept"
        );
        assert_eq!(installed.shipped_at, Some(day(3)));
        assert_eq!(installed.part_number.as_deref(), Some("CF410A"));
        assert_eq!(black.cartridges[0].ordered_at, None);
        assert_eq!(
            black.on_order,
            Some(OnOrder {
                stage: CartridgeStage::Shipped,
                ordered_at: Some(day(21)),
                shipped_at: Some(day(22)),
                part_number: Some("CF410X".into()),
            })
        );
    }

    fn pages(points: &[(i64, u64)]) -> Vec<PageSample> {
        points
            .iter()
            .map(|&(d, pages)| PageSample {
                taken_at: day(d),
                pages,
            })
            .collect()
    }

    #[test]
    fn pages_and_yields_against_the_rated_yield() {
        // Day 0: an old cartridge at 10 %; day 1 a new one (CF410A, rated 5,000) at
        // 100 %, empty on day 30, replaced on day 32 by one (CF410X, rated 6,000) that
        // starts at 100 % and is at 40 % on day 50, replaced on day 51 by one in use.
        let part = |s: Supply, p: &str| Supply {
            part_number: Some(p.into()),
            ..s
        };
        let readings: Vec<(i64, Vec<Supply>)> = vec![
            (0, vec![part(black(10, None), "CF410A")]),
            (1, vec![part(black(100, None), "CF410A")]),
            (15, vec![part(black(50, None), "CF410A")]),
            (30, vec![part(black(0, None), "CF410A")]),
            (32, vec![part(black(100, None), "CF410X")]),
            (50, vec![part(black(40, None), "CF410X")]),
            (51, vec![part(black(97, None), "CF410X")]),
        ];
        let reads: Vec<SuppliesRead<'_>> = readings
            .iter()
            .map(|(d, s)| SuppliesRead {
                taken_at: day(*d),
                supplies: s,
            })
            .collect();
        let device_pages = CumulativePages {
            total: pages(&[
                (0, 1_000),
                (1, 1_100),
                (15, 4_000),
                (30, 7_100),
                (32, 7_300),
                (50, 10_300),
                (51, 10_400),
                (60, 11_000),
            ]),
            color: Vec::new(),
        };
        let rated = BTreeMap::from([("CF410A".to_owned(), 5_000), ("CF410X".to_owned(), 6_000)]);
        let history = supply_history(
            &HistoryInput {
                readings: &reads,
                events: &[],
                reported: &[],
                pages: &device_pages,
                rated_yields: &rated,
            },
            day(60),
        );
        let c = &history.positions[0].cartridges;
        assert_eq!(c.len(), 4);
        // First seen at 10 % and replaced at 10 %: used nothing seen, no yield.
        assert_eq!((c[0].pages, &c[0].yield_), (Some(100), &None));
        // Installed day 1 at 1,100 pages, empty day 30 at 7,100: 6,000 pages, 120 % of
        // 5,000; its pages run to the replacement on day 32 (7,300).
        assert_eq!(c[1].pages, Some(6_200));
        assert_eq!(
            c[1].yield_,
            Some(CartridgeYield {
                basis: YieldBasis::Actual,
                pages: 6_000,
                measured_pages: 6_000,
                consumed_percent: Some(100),
                rated_pages: Some(5_000),
                percent_of_rated: Some(120),
            })
        );
        // Replaced before empty: 100 % → 40 % over 7,300 → 10,300 pages is 3,000 pages
        // for 60 points, 5,000 for a full one, 83 % of 6,000.
        assert_eq!(c[2].stage, CartridgeStage::Replaced);
        assert_eq!(
            c[2].yield_,
            Some(CartridgeYield {
                basis: YieldBasis::Estimated,
                pages: 5_000,
                measured_pages: 3_000,
                consumed_percent: Some(60),
                rated_pages: Some(6_000),
                percent_of_rated: Some(83),
            })
        );
        // In use: pages to now (10,400 → 11,000), no yield yet.
        assert_eq!((c[3].pages, &c[3].yield_), (Some(600), &None));
    }

    #[test]
    fn a_first_seen_cartridge_only_gets_an_estimate_and_colours_use_the_color_counter() {
        // Cyan first seen at 80 % on day 0 (colour counter 200), empty on day 10
        // (colour counter 2,200): 2,000 colour pages over 80 points, 2,500 for a full
        // one; the total counter would have said 9,000.
        let readings: Vec<(i64, Vec<Supply>)> = vec![
            (0, vec![toner(2, "cyan", Some(80), None)]),
            (10, vec![toner(2, "cyan", Some(0), None)]),
        ];
        let reads: Vec<SuppliesRead<'_>> = readings
            .iter()
            .map(|(d, s)| SuppliesRead {
                taken_at: day(*d),
                supplies: s,
            })
            .collect();
        let device_pages = CumulativePages {
            total: pages(&[(0, 1_000), (10, 10_000)]),
            color: pages(&[(0, 200), (10, 2_200)]),
        };
        let history = supply_history(
            &HistoryInput {
                readings: &reads,
                events: &[],
                reported: &[],
                pages: &device_pages,
                rated_yields: &BTreeMap::new(),
            },
            day(10),
        );
        let cyan = &history.positions[0].cartridges[0];
        assert_eq!(cyan.counter, PageCounter::Color);
        assert_eq!(cyan.stage, CartridgeStage::Empty);
        assert_eq!(
            cyan.yield_,
            Some(CartridgeYield {
                basis: YieldBasis::Estimated,
                pages: 2_500,
                measured_pages: 2_000,
                consumed_percent: Some(80),
                rated_pages: None,
                percent_of_rated: None,
            })
        );
        assert_eq!(black_position().counter(true), PageCounter::Total);
        assert_eq!(
            SupplyPosition {
                color: Some("cyan".into()),
                ..black_position()
            }
            .counter(false),
            PageCounter::Total
        );
    }

    #[test]
    fn a_cartridge_replaced_after_using_too_little_gets_no_estimate() {
        // 100 % → 85 %: 15 points, under the 20 needed.
        let readings = [
            (0, black(10, None)),
            (1, black(100, Some("A"))),
            (5, black(85, Some("A"))),
            (6, black(100, Some("B"))),
        ];
        let history = one_position(&readings, &[]);
        assert_eq!(history.cartridges.len(), 3);
        assert_eq!(history.cartridges[1].yield_, None);
    }

    #[test]
    fn the_history_serialises_in_kebab_case() {
        let history = one_position(&[(0, black(50, Some("A")))], &[]);
        let json = serde_json::to_value(&history).unwrap();
        assert_eq!(json["cartridges"][0]["install"]["kind"], "first-seen");
        assert_eq!(json["cartridges"][0]["stage"], "installed");
        assert!(json["cartridges"][0].get("yield").is_some());
        assert!(json["cartridges"][0].get("emptied-at").is_some());
    }
}
