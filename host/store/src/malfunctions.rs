//! Malfunctions: what each reading's strategy made of its alert rows and error-state
//! bits (`reading_assessments`), and the conditions each device shows now
//! (`device_conditions`), which the maintenance dashboard lists.
//!
//! # Conditions
//!
//! A condition is one ASM printer error state (`paper-jam`, `service-call`, …) that a
//! device's latest *alert-bearing* reading assesses as a warning or critical: an
//! informational one asks nothing of anyone. Alert-bearing readings are those of the
//! discovery and alert cycles, which read the alert table; the meter & supply cycle
//! skips it, so its readings would look as if every alert had cleared.
//!
//! Ingest keeps the conditions as readings arrive: a state newly assessed starts its
//! run at that reading (`since`); a state the next alert-bearing reading assesses again
//! keeps its `since`; a state it no longer assesses is cleared. The device's open work
//! orders whose state that reading does not assess at all (of any severity) are closed
//! where the account asked for that ([`crate::work_orders`]). Keeping conditions at
//! ingest rather than recomputing runs when the dashboard is asked costs a few
//! statements per batch of alert readings (none for meter readings) instead of a walk
//! back through each device's history per question.
//!
//! Three rules keep a reading from clearing what it cannot know about:
//! - a reading older than the device's latest alert-bearing one (delivered late from
//!   an agent's queue) changes nothing;
//! - a reading with alerts or error bits but no assessments (from an agent older than
//!   assessments) changes nothing;
//! - where `map-error` failed for an input, the reading adds and continues conditions
//!   but clears none: the failed input may be the one still showing it.
//!
//! Conditions follow the readings as the agent read them (version 1); a re-read stores
//! its assessments beside its version for the API and leaves the conditions alone.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use quire_model::{
    AssessmentOutcome, AssessmentSeverity, Cycle, ErrorAssessment, ErrorGroup, ErrorSource,
    SkillLevel,
};

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, DeviceId, Page, ReadingId, SiteId, Visibility};

/// One ASM error state a device shows now, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The device.
    pub device_id: DeviceId,
    /// The ASM printer error state.
    pub state: String,
    /// Its group.
    pub group: ErrorGroup,
    /// The most severe of its inputs' assessments.
    pub severity: AssessmentSeverity,
    /// The most skilled of them: who must come.
    pub skill: SkillLevel,
    /// Whether any of them needs a field-service visit.
    pub field_service: bool,
    /// The longest of their repair estimates, in minutes.
    pub estimated_minutes: u32,
    /// The alert rows and error bits of the latest reading assessed so.
    pub inputs: Vec<ErrorSource>,
    /// When the first reading of its unbroken run was taken.
    pub since: DateTime<Utc>,
    /// That reading, while it is kept.
    pub since_reading_id: Option<ReadingId>,
    /// The latest alert-bearing reading that showed it, while it is kept.
    pub reading_id: Option<ReadingId>,
}

/// A condition with the device it is on, as the maintenance dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceItem {
    /// The device's account.
    pub account_id: AccountId,
    /// The device's site.
    pub site_id: Option<SiteId>,
    /// The device's serial number.
    pub serial: Option<String>,
    /// The device's maker.
    pub manufacturer: Option<String>,
    /// The device's model.
    pub model: Option<String>,
    /// The condition.
    pub condition: Condition,
}

/// Which conditions the dashboard lists; every condition set must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaintenanceFilter {
    /// Devices of this account only.
    pub account: Option<AccountId>,
    /// Conditions needing this skill.
    pub skill: Option<SkillLevel>,
    /// Conditions needing (or not needing) a field-service visit.
    pub field_service: Option<bool>,
}

impl Store {
    /// A page of the conditions on devices `visibility` covers that match `filter`,
    /// the longest-waiting first (then by device and state).
    pub async fn maintenance(
        &self,
        visibility: Visibility,
        filter: MaintenanceFilter,
        page: Page,
    ) -> Result<Vec<MaintenanceItem>> {
        dispatch!(self.maintenance(visibility, filter, page))
    }

    /// The assessments of the given readings, each version's apart, by (reading,
    /// version); a reading filed without assessments is missing from the map.
    pub async fn assessments(
        &self,
        readings: &[ReadingId],
    ) -> Result<HashMap<(ReadingId, u32), Vec<ErrorAssessment>>> {
        if readings.is_empty() {
            return Ok(HashMap::new());
        }
        dispatch!(self.assessments(readings))
    }

    /// The latest assessment of `input` on `device` (in `reading` only, when given): the
    /// reading and what its strategy said, the highest version of a re-read reading first.
    pub async fn latest_assessment(
        &self,
        device: DeviceId,
        input: ErrorSource,
        reading: Option<ReadingId>,
    ) -> Result<Option<(ReadingId, quire_model::Assessment)>> {
        dispatch!(self.latest_assessment(device, input, reading))
    }

    /// Files what a re-read's strategy made of its version's inputs, beside that version.
    pub async fn add_assessments(
        &self,
        reading: ReadingId,
        version: u32,
        assessments: &[ErrorAssessment],
    ) -> Result<()> {
        dispatch!(self.add_assessments(reading, version, assessments))
    }
}

/// A reading filed in this batch with the assessments its agent sent.
pub(crate) struct Assessed<'r> {
    pub(crate) device: i64,
    pub(crate) reading: i64,
    pub(crate) taken_at: DateTime<Utc>,
    pub(crate) cycle: Cycle,
    /// Whether the reading has alert rows or error bits to judge.
    pub(crate) has_inputs: bool,
    pub(crate) assessments: &'r [ErrorAssessment],
}

impl<'r> Assessed<'r> {
    /// The reading `item`, filed as `filed`, with the assessments its agent sent.
    pub(crate) fn of(
        item: &crate::types::Ingest<'_>,
        filed: crate::types::IngestOutcome,
        assessments: &'r [ErrorAssessment],
    ) -> Self {
        Assessed {
            device: filed.device_id.0,
            reading: filed.reading_id.0,
            taken_at: item.taken_at,
            cycle: item.cycle,
            has_inputs: !item.reading.alerts.is_empty() || !item.reading.status.errors.is_empty(),
            assessments,
        }
    }

    /// Whether the reading moves the device's conditions: it read the alert table, and
    /// its inputs were judged (see the module doc).
    fn tracks(&self) -> bool {
        self.cycle != Cycle::MetersAndSupplies && (!self.assessments.is_empty() || !self.has_inputs)
    }

    /// Whether `map-error` failed for any input.
    fn any_failed(&self) -> bool {
        self.assessments
            .iter()
            .any(|a| matches!(a.outcome, AssessmentOutcome::Failed(_)))
    }
}

/// The stored columns of an input: its kind and its row index or bit.
pub(crate) fn input_columns(input: &ErrorSource) -> (&'static str, i64) {
    match *input {
        ErrorSource::Alert { index } => ("alert", i64::from(index)),
        ErrorSource::State { state } => ("state", i64::from(state.bit())),
    }
}

/// The inverse of [`input_columns`], naming the column when the stored value is unknown.
pub(crate) fn input_of(kind: &str, index: i64) -> Result<ErrorSource> {
    let corrupt = |reason: &str| crate::Error::Corrupt {
        column: "input_kind",
        value: format!("{kind} {index}"),
        reason: reason.to_owned(),
    };
    match kind {
        "alert" => u32::try_from(index)
            .map(|index| ErrorSource::Alert { index })
            .map_err(|_| corrupt("not a row index")),
        "state" => usize::try_from(index)
            .ok()
            .and_then(|bit| quire_model::ErrorState::ALL.get(bit))
            .map(|&state| ErrorSource::State { state })
            .ok_or_else(|| corrupt("not an error-state bit")),
        _ => Err(corrupt("neither `alert` nor `state`")),
    }
}

/// The ASM states a reading's assessments show as warning or critical, each the most
/// demanding of the inputs assessed so, by state.
fn active(assessments: &[ErrorAssessment]) -> BTreeMap<String, Active> {
    let mut states: BTreeMap<String, Active> = BTreeMap::new();
    for judged in assessments {
        let Some(a) = judged.assessment() else {
            continue;
        };
        if a.severity < AssessmentSeverity::Warning {
            continue;
        }
        let entry = states.entry(a.state.clone()).or_insert(Active {
            group: a.group,
            severity: a.severity,
            skill: a.skill,
            field_service: a.field_service,
            estimated_minutes: a.estimated_minutes,
            inputs: Vec::new(),
        });
        entry.severity = entry.severity.max(a.severity);
        entry.skill = entry.skill.max(a.skill);
        entry.field_service |= a.field_service;
        entry.estimated_minutes = entry.estimated_minutes.max(a.estimated_minutes);
        entry.inputs.push(judged.input);
    }
    states
}

/// What one reading's inputs say of one ASM state.
struct Active {
    group: ErrorGroup,
    severity: AssessmentSeverity,
    skill: SkillLevel,
    field_service: bool,
    estimated_minutes: u32,
    inputs: Vec<ErrorSource>,
}

/// What a device's last reading of a batch showed, when it settles which of the
/// device's work orders may close: every ASM state it assessed, of any severity.
pub(crate) struct Settled {
    pub(crate) device: i64,
    pub(crate) reading: i64,
    pub(crate) states: Vec<String>,
}

/// Moves the conditions of `current` (by device, then state) through the tracked
/// readings of a batch. Returns the devices whose conditions changed, and for each the
/// last reading that can settle its work orders (tracked, in order, nothing failed).
/// `marks` is each device's latest alert-bearing reading, moved along.
fn track(
    assessed: &[Assessed<'_>],
    marks: &mut HashMap<i64, (DateTime<Utc>, i64)>,
    current: &mut HashMap<i64, BTreeMap<String, Condition>>,
) -> (Vec<i64>, Vec<Settled>) {
    let mut tracked: Vec<&Assessed<'_>> = assessed.iter().filter(|a| a.tracks()).collect();
    tracked.sort_by_key(|a| (a.device, a.taken_at, a.reading));
    let mut changed = Vec::new();
    let mut settled: Vec<Settled> = Vec::new();
    for reading in tracked {
        let mark = (reading.taken_at, reading.reading);
        if marks.get(&reading.device).is_some_and(|&last| mark <= last) {
            continue;
        }
        marks.insert(reading.device, mark);
        if changed.last() != Some(&reading.device) {
            changed.push(reading.device);
        }
        let before = current.remove(&reading.device).unwrap_or_default();
        let mut after: BTreeMap<String, Condition> = active(reading.assessments)
            .into_iter()
            .map(|(state, active)| {
                let (since, since_reading_id) = before
                    .get(&state)
                    .map(|c| (c.since, c.since_reading_id))
                    .unwrap_or((reading.taken_at, Some(ReadingId(reading.reading))));
                let condition = Condition {
                    device_id: DeviceId(reading.device),
                    state: state.clone(),
                    group: active.group,
                    severity: active.severity,
                    skill: active.skill,
                    field_service: active.field_service,
                    estimated_minutes: active.estimated_minutes,
                    inputs: active.inputs,
                    since,
                    since_reading_id,
                    reading_id: Some(ReadingId(reading.reading)),
                };
                (state, condition)
            })
            .collect();
        let failed = reading.any_failed();
        if failed {
            for (state, condition) in before {
                after.entry(state).or_insert(condition);
            }
        }
        current.insert(reading.device, after);
        if settled.last().is_some_and(|s| s.device == reading.device) {
            settled.pop();
        }
        if !failed {
            let mut states: Vec<String> = reading
                .assessments
                .iter()
                .filter_map(|a| a.assessment().map(|a| a.state.clone()))
                .collect();
            states.sort();
            states.dedup();
            settled.push(Settled {
                device: reading.device,
                reading: reading.reading,
                states,
            });
        }
    }
    (changed, settled)
}

macro_rules! malfunction_queries {
    ($db:ty, $backend:ident) => {
        use std::collections::{BTreeMap, HashMap};

        use chrono::{DateTime, Utc};
        use quire_model::{Assessment, AssessmentOutcome, ErrorAssessment, ErrorSource};
        use sqlx::{Pool, QueryBuilder, Row, Transaction};

        use crate::backend::$backend::BEGIN_WRITE;
        use crate::backend::{ROWS_PER_STATEMENT, parse_word, stored_u32, word};
        use crate::error::{Context, Error, Result};
        use crate::malfunctions::{
            Assessed, Condition, MaintenanceFilter, MaintenanceItem, input_columns, input_of, track,
        };
        use crate::types::{AccountId, DeviceId, Page, ReadingId, SiteId, Visibility};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        /// Files a batch's assessments (version 1) and moves its devices' conditions;
        /// runs in the batch's transaction after its readings are in.
        pub(crate) async fn file(tx: &mut Transaction<'static, Db>, assessed: &[Assessed<'_>]) -> Result<()> {
            let rows: Vec<(i64, i64, &ErrorAssessment)> = assessed
                .iter()
                .flat_map(|a| a.assessments.iter().map(move |judged| (a.reading, a.device, judged)))
                .collect();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                insert_assessments(&mut **tx, 1, chunk).await.context(|| format!("filing the assessments of {} readings", assessed.len()))?;
            }
            let devices: Vec<i64> = {
                let mut devices: Vec<i64> = assessed.iter().map(|a| a.device).collect();
                devices.sort_unstable();
                devices.dedup();
                devices
            };
            if devices.is_empty() || !assessed.iter().any(|a| a.cycle != quire_model::Cycle::MetersAndSupplies) {
                return Ok(());
            }
            let context = || format!("following the conditions of {} devices", devices.len());
            let mut marks = HashMap::new();
            let mut select = QueryBuilder::<Db>::new("SELECT device_id, taken_at, reading_id FROM device_alert_readings WHERE device_id IN ");
            select.push_tuples(&devices, |mut row, device| {
                row.push_bind(*device);
            });
            for row in select.build().fetch_all(&mut **tx).await.context(context)? {
                let device: i64 = row.try_get("device_id").context(context)?;
                let taken_at: DateTime<Utc> = row.try_get("taken_at").context(context)?;
                marks.insert(device, (taken_at, row.try_get::<i64, _>("reading_id").context(context)?));
            }
            let mut current: HashMap<i64, BTreeMap<String, Condition>> = HashMap::new();
            let mut select = QueryBuilder::<Db>::new(concat!(crate::malfunctions::condition_columns!(), " FROM device_conditions c WHERE c.device_id IN "));
            select.push_tuples(&devices, |mut row, device| {
                row.push_bind(*device);
            });
            for row in select.build().fetch_all(&mut **tx).await.context(context)? {
                let condition = condition_from_row(&row)?;
                current.entry(condition.device_id.0).or_default().insert(condition.state.clone(), condition);
            }
            let (changed, settled) = track(assessed, &mut marks, &mut current);
            if changed.is_empty() {
                return Ok(());
            }
            let mut delete = QueryBuilder::<Db>::new("DELETE FROM device_conditions WHERE device_id IN ");
            delete.push_tuples(&changed, |mut row, device| {
                row.push_bind(*device);
            });
            delete.build().execute(&mut **tx).await.context(context)?;
            let conditions: Vec<&Condition> = changed.iter().filter_map(|d| current.get(d)).flat_map(|c| c.values()).collect();
            for chunk in conditions.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::<Db>::new(
                    "INSERT INTO device_conditions (device_id, state, error_group, severity, skill, \
                     field_service, estimated_minutes, inputs, since, since_reading_id, reading_id) ",
                );
                let mut failure = None;
                insert.push_values(chunk, |mut row, c| {
                    let inputs = serde_json::to_string(&c.inputs).unwrap_or_else(|e| {
                        failure = Some(e.to_string());
                        String::new()
                    });
                    row.push_bind(c.device_id.0)
                        .push_bind(c.state.clone())
                        .push_bind(word(&c.group))
                        .push_bind(word(&c.severity))
                        .push_bind(word(&c.skill))
                        .push_bind(c.field_service)
                        .push_bind(i64::from(c.estimated_minutes))
                        .push_bind(inputs)
                        .push_bind(c.since)
                        .push_bind(c.since_reading_id.map(|r| r.0))
                        .push_bind(c.reading_id.map(|r| r.0));
                });
                if let Some(reason) = failure {
                    return Err(Error::Invalid { field: "inputs".into(), message: reason });
                }
                insert.build().execute(&mut **tx).await.context(context)?;
            }
            let mut upsert = QueryBuilder::<Db>::new("INSERT INTO device_alert_readings (device_id, reading_id, taken_at) ");
            upsert.push_values(&changed, |mut row, device| {
                let (taken_at, reading) = marks[device];
                row.push_bind(*device).push_bind(reading).push_bind(taken_at);
            });
            upsert.push(
                " ON CONFLICT (device_id) DO UPDATE SET reading_id = excluded.reading_id, taken_at = excluded.taken_at",
            );
            upsert.build().execute(&mut **tx).await.context(context)?;
            crate::work_orders::$backend::auto_close(tx, &settled).await
        }

        /// Inserts `(reading, device, assessment)` rows as `version`.
        async fn insert_assessments<'e, E>(
            executor: E,
            version: i64,
            rows: &[(i64, i64, &ErrorAssessment)],
        ) -> std::result::Result<(), sqlx::Error>
        where
            E: sqlx::Executor<'e, Database = Db>,
        {
            if rows.is_empty() {
                return Ok(());
            }
            let mut insert = QueryBuilder::<Db>::new(
                "INSERT INTO reading_assessments (reading_id, version, device_id, input_kind, input_index, \
                 state, error_group, severity, skill, field_service, estimated_minutes, failure) ",
            );
            insert.push_values(rows, |mut row, (reading, device, judged)| {
                let (kind, index) = input_columns(&judged.input);
                row.push_bind(*reading).push_bind(version).push_bind(*device).push_bind(kind).push_bind(index);
                match &judged.outcome {
                    AssessmentOutcome::Assessed(a) => {
                        row.push_bind(Some(a.state.clone()))
                            .push_bind(Some(word(&a.group)))
                            .push_bind(Some(word(&a.severity)))
                            .push_bind(Some(word(&a.skill)))
                            .push_bind(Some(a.field_service))
                            .push_bind(Some(i64::from(a.estimated_minutes)))
                            .push_bind(None::<String>);
                    }
                    AssessmentOutcome::Failed(reason) => {
                        row.push_bind(None::<String>)
                            .push_bind(None::<String>)
                            .push_bind(None::<String>)
                            .push_bind(None::<String>)
                            .push_bind(None::<bool>)
                            .push_bind(None::<i64>)
                            .push_bind(Some(reason.clone()));
                    }
                }
            });
            insert.build().execute(executor).await.map(|_| ())
        }

        fn condition_from_row(row: &DbRow) -> Result<Condition> {
            let context = || "reading a device condition".to_owned();
            let inputs: String = row.try_get("inputs").context(context)?;
            Ok(Condition {
                device_id: DeviceId(row.try_get("device_id").context(context)?),
                state: row.try_get("state").context(context)?,
                group: parse_word("device_conditions.error_group", row.try_get("error_group").context(context)?)?,
                severity: parse_word("device_conditions.severity", row.try_get("severity").context(context)?)?,
                skill: parse_word("device_conditions.skill", row.try_get("skill").context(context)?)?,
                field_service: row.try_get("field_service").context(context)?,
                estimated_minutes: stored_u32(
                    "device_conditions.estimated_minutes",
                    row.try_get("estimated_minutes").context(context)?,
                )?,
                inputs: serde_json::from_str(&inputs).map_err(|e| Error::Corrupt {
                    column: "device_conditions.inputs",
                    value: inputs.clone(),
                    reason: e.to_string(),
                })?,
                since: row.try_get("since").context(context)?,
                since_reading_id: row.try_get::<Option<i64>, _>("since_reading_id").context(context)?.map(ReadingId),
                reading_id: row.try_get::<Option<i64>, _>("reading_id").context(context)?.map(ReadingId),
            })
        }

        pub(crate) async fn maintenance(
            pool: &Pool<Db>,
            visibility: Visibility,
            filter: MaintenanceFilter,
            page: Page,
        ) -> Result<Vec<MaintenanceItem>> {
            let context = || "listing the devices that need maintenance".to_owned();
            let mut query = crate::listing::select::<Db>(
                visibility,
                concat!(
                    crate::malfunctions::condition_columns!(),
                    ", d.account_id, d.site_id, d.serial, d.manufacturer, d.model \
                     FROM device_conditions c JOIN devices d ON d.id = c.device_id WHERE TRUE"
                ),
            );
            crate::listing::restrict(&mut query, visibility, "d.account_id");
            crate::listing::equal(&mut query, "d.account_id", filter.account.map(|a| a.0));
            crate::listing::equal(&mut query, "c.skill", filter.skill.map(|s| word(&s)));
            crate::listing::equal(&mut query, "c.field_service", filter.field_service);
            crate::listing::page(&mut query, "c.since, c.device_id, c.state", page);
            let rows = query.build().fetch_all(pool).await.context(context)?;
            rows.iter()
                .map(|row| {
                    Ok(MaintenanceItem {
                        account_id: AccountId(row.try_get("account_id").context(context)?),
                        site_id: row.try_get::<Option<i64>, _>("site_id").context(context)?.map(SiteId),
                        serial: row.try_get("serial").context(context)?,
                        manufacturer: row.try_get("manufacturer").context(context)?,
                        model: row.try_get("model").context(context)?,
                        condition: condition_from_row(row)?,
                    })
                })
                .collect()
        }

        /// A `reading_assessments` row (its input and assessment columns) back as the model's.
        fn assessment_from_row(row: &DbRow) -> Result<ErrorAssessment> {
            let context = || "reading an assessment".to_owned();
            let kind: String = row.try_get("input_kind").context(context)?;
            let input = input_of(&kind, row.try_get("input_index").context(context)?)?;
            let failure: Option<String> = row.try_get("failure").context(context)?;
            let outcome = match failure {
                Some(reason) => AssessmentOutcome::Failed(reason),
                None => {
                    let text = |column: &str| -> Result<String> {
                        row.try_get::<Option<String>, _>(column).context(context)?.ok_or_else(|| Error::Corrupt {
                            column: "reading_assessments",
                            value: column.to_owned(),
                            reason: "neither an assessment nor a failure".into(),
                        })
                    };
                    let minutes: Option<i64> = row.try_get("estimated_minutes").context(context)?;
                    let field_service: Option<bool> = row.try_get("field_service").context(context)?;
                    AssessmentOutcome::Assessed(Assessment {
                        state: text("state")?,
                        group: parse_word("reading_assessments.error_group", text("error_group")?)?,
                        severity: parse_word("reading_assessments.severity", text("severity")?)?,
                        skill: parse_word("reading_assessments.skill", text("skill")?)?,
                        field_service: field_service.unwrap_or_default(),
                        estimated_minutes: stored_u32("reading_assessments.estimated_minutes", minutes.unwrap_or_default())?,
                    })
                }
            };
            Ok(ErrorAssessment { input, outcome })
        }

        pub(crate) async fn assessments(
            pool: &Pool<Db>,
            readings: &[ReadingId],
        ) -> Result<HashMap<(ReadingId, u32), Vec<ErrorAssessment>>> {
            let context = || format!("reading the assessments of {} readings", readings.len());
            let mut select = QueryBuilder::<Db>::new(
                "SELECT reading_id, version, input_kind, input_index, state, error_group, severity, \
                 skill, field_service, estimated_minutes, failure FROM reading_assessments WHERE reading_id IN ",
            );
            select.push_tuples(readings, |mut row, reading| {
                row.push_bind(reading.0);
            });
            select.push(" ORDER BY reading_id, version, input_kind, input_index");
            let mut found: HashMap<(ReadingId, u32), Vec<ErrorAssessment>> = HashMap::new();
            for row in select.build().fetch_all(pool).await.context(context)? {
                let reading = ReadingId(row.try_get("reading_id").context(context)?);
                let version = stored_u32("reading_assessments.version", row.try_get("version").context(context)?)?;
                found.entry((reading, version)).or_default().push(assessment_from_row(&row)?);
            }
            // The stored order is by kind; a reading's own order is its alerts, then its bits.
            for list in found.values_mut() {
                list.sort_by_key(|a| match a.input {
                    ErrorSource::Alert { index } => (0, i64::from(index)),
                    ErrorSource::State { state } => (1, i64::from(state.bit())),
                });
            }
            Ok(found)
        }

        pub(crate) async fn latest_assessment(
            pool: &Pool<Db>,
            device: DeviceId,
            input: ErrorSource,
            reading: Option<ReadingId>,
        ) -> Result<Option<(ReadingId, Assessment)>> {
            let context = || format!("finding the latest assessment of {input:?} on {device}");
            let (kind, index) = input_columns(&input);
            let mut select = QueryBuilder::<Db>::new(
                "SELECT a.reading_id, a.version, a.input_kind, a.input_index, a.state, a.error_group, \
                 a.severity, a.skill, a.field_service, a.estimated_minutes, a.failure \
                 FROM reading_assessments a JOIN readings r ON r.id = a.reading_id \
                 WHERE a.failure IS NULL AND a.device_id = ",
            );
            select.push_bind(device.0).push(" AND a.input_kind = ").push_bind(kind);
            select.push(" AND a.input_index = ").push_bind(index);
            if let Some(reading) = reading {
                select.push(" AND a.reading_id = ").push_bind(reading.0);
            }
            select.push(" ORDER BY r.taken_at DESC, r.id DESC, a.version DESC LIMIT 1");
            let Some(row) = select.build().fetch_optional(pool).await.context(context)? else {
                return Ok(None);
            };
            let reading = ReadingId(row.try_get("reading_id").context(context)?);
            match assessment_from_row(&row)?.outcome {
                AssessmentOutcome::Assessed(assessment) => Ok(Some((reading, assessment))),
                AssessmentOutcome::Failed(_) => Ok(None),
            }
        }

        pub(crate) async fn add_assessments(
            pool: &Pool<Db>,
            reading: ReadingId,
            version: u32,
            assessments: &[ErrorAssessment],
        ) -> Result<()> {
            let context = || format!("filing the assessments of version {version} of {reading}");
            let device: i64 = sqlx::query_scalar("SELECT device_id FROM readings WHERE id = $1")
                .bind(reading.0)
                .fetch_optional(pool)
                .await
                .context(context)?
                .ok_or_else(|| Error::NotFound { what: reading.to_string() })?;
            let rows: Vec<(i64, i64, &ErrorAssessment)> = assessments.iter().map(|a| (reading.0, device, a)).collect();
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                insert_assessments(&mut *tx, i64::from(version), chunk).await.context(context)?;
            }
            tx.commit().await.context(context)
        }
    };
}

/// The columns a condition query selects from `device_conditions c` (a macro, so the
/// SQL stays a literal); the caller adds `FROM` and the rest.
macro_rules! condition_columns {
    () => {
        "SELECT c.device_id, c.state, c.error_group, c.severity, c.skill, c.field_service, \
         CAST(c.estimated_minutes AS BIGINT) AS estimated_minutes, c.inputs, c.since, \
         c.since_reading_id, c.reading_id"
    };
}

pub(crate) use condition_columns;

pub(crate) mod sqlite {
    malfunction_queries!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    malfunction_queries!(sqlx::Postgres, postgres);
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use quire_model::{Assessment, ErrorState};

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, hour, 0, 0).unwrap()
    }

    fn jam(input: ErrorSource, skill: SkillLevel, minutes: u32) -> ErrorAssessment {
        ErrorAssessment {
            input,
            outcome: AssessmentOutcome::Assessed(Assessment {
                state: "paper-jam".into(),
                group: ErrorGroup::Paper,
                severity: AssessmentSeverity::Critical,
                skill,
                field_service: false,
                estimated_minutes: minutes,
            }),
        }
    }

    fn reading<'r>(id: i64, hour: u32, assessments: &'r [ErrorAssessment]) -> Assessed<'r> {
        Assessed {
            device: 1,
            reading: id,
            taken_at: at(hour),
            cycle: Cycle::Alerts,
            has_inputs: !assessments.is_empty(),
            assessments,
        }
    }

    const ALERT: ErrorSource = ErrorSource::Alert { index: 3 };
    const BIT: ErrorSource = ErrorSource::State {
        state: ErrorState::Jammed,
    };

    #[test]
    fn a_state_keeps_its_start_while_it_lasts_and_clears_when_gone() {
        let present = [jam(ALERT, SkillLevel::KeyOperator, 5)];
        let batch = [
            reading(10, 8, &present),
            reading(11, 9, &present),
            reading(12, 10, &[]),
        ];
        let (mut marks, mut current) = (HashMap::new(), HashMap::new());
        let (changed, settled) = track(&batch[..2], &mut marks, &mut current);
        assert_eq!(changed, [1]);
        assert_eq!(
            settled
                .iter()
                .map(|s| (s.device, s.reading, s.states.clone()))
                .collect::<Vec<_>>(),
            [(1, 11, vec!["paper-jam".to_owned()])]
        );
        let condition = &current[&1]["paper-jam"];
        assert_eq!(condition.since, at(8));
        assert_eq!(condition.since_reading_id, Some(ReadingId(10)));
        assert_eq!(condition.reading_id, Some(ReadingId(11)));

        let (_, settled) = track(&batch[2..], &mut marks, &mut current);
        assert_eq!(
            settled
                .iter()
                .map(|s| (s.device, s.reading, s.states.len()))
                .collect::<Vec<_>>(),
            [(1, 12, 0)]
        );
        assert!(current[&1].is_empty());
    }

    #[test]
    fn inputs_of_one_state_join_and_the_most_demanding_wins() {
        let both = [
            jam(ALERT, SkillLevel::KeyOperator, 5),
            jam(BIT, SkillLevel::Technician, 30),
        ];
        let (mut marks, mut current) = (HashMap::new(), HashMap::new());
        track(&[reading(1, 8, &both)], &mut marks, &mut current);
        let condition = &current[&1]["paper-jam"];
        assert_eq!(condition.inputs, [ALERT, BIT]);
        assert_eq!(
            (condition.skill, condition.estimated_minutes),
            (SkillLevel::Technician, 30)
        );
    }

    #[test]
    fn late_unjudged_failed_and_meter_readings_clear_nothing() {
        let present = [jam(ALERT, SkillLevel::KeyOperator, 5)];
        let failed = [ErrorAssessment {
            input: ALERT,
            outcome: AssessmentOutcome::Failed("trapped".into()),
        }];
        let (mut marks, mut current) = (HashMap::new(), HashMap::new());
        track(&[reading(5, 9, &present)], &mut marks, &mut current);
        let late = reading(4, 8, &[]);
        let unjudged = Assessed {
            has_inputs: true,
            ..reading(6, 10, &[])
        };
        let meters = Assessed {
            cycle: Cycle::MetersAndSupplies,
            ..reading(7, 11, &[])
        };
        let broken = reading(8, 12, &failed);
        let (_, settled) = track(&[late, unjudged, meters, broken], &mut marks, &mut current);
        assert!(settled.is_empty());
        assert_eq!(current[&1]["paper-jam"].since, at(9));
        assert_eq!(marks[&1], (at(12), 8));
    }

    #[test]
    fn an_informational_state_is_no_condition() {
        let warming = [ErrorAssessment {
            input: ALERT,
            outcome: AssessmentOutcome::Assessed(Assessment {
                state: "warming-up".into(),
                group: ErrorGroup::Device,
                severity: AssessmentSeverity::Info,
                skill: SkillLevel::Anyone,
                field_service: false,
                estimated_minutes: 0,
            }),
        }];
        let (mut marks, mut current) = (HashMap::new(), HashMap::new());
        track(&[reading(1, 8, &warming)], &mut marks, &mut current);
        assert!(current[&1].is_empty());
    }
}
