//! ASM's tables: the alert definitions dealers write, and what the scheduler keeps
//! between ticks — alert events open and archived, the keys answered events settled,
//! when each action pool was last invoked, and the journal of invocations decided. The
//! engine (`quire-asm`) owns the meaning of every body, kept here as JSON; the store
//! keeps beside it the columns it selects, orders and restricts by.
//!
//! A tick's changes are written in one transaction ([`Store::save_asm_tick`]) with the
//! journal of what it decided to invoke, before anything is invoked: a crash after it
//! leaves journal entries with no `carried_out_at`, which the next tick carries out, and
//! the idempotency key makes a decision recorded twice one entry.

use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, DeviceId, Page, UserId, Visibility, id_type};

id_type!(
    /// An alert definition.
    AsmDefinitionId,
    "alert definition"
);
id_type!(
    /// An alert event.
    AsmEventId,
    "alert event"
);
id_type!(
    /// An entry of the ASM journal.
    JournalId,
    "ASM journal entry"
);
id_type!(
    /// A user's approval or rejection of an alert event.
    AsmAnswerId,
    "alert answer"
);

/// An alert definition as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDefinition {
    /// Its id.
    pub id: AsmDefinitionId,
    /// The dealer that owns it.
    pub owner: AccountId,
    /// Its name.
    pub name: String,
    /// The definition, as the engine wrote it.
    pub body: serde_json::Value,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What identifies an open alert event: its definition, device and trigger.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsmKey {
    /// The definition.
    pub definition: AsmDefinitionId,
    /// The device.
    pub device: DeviceId,
    /// The trigger as text (`consumable:toner:black`, `error-state:paper-jam`).
    pub trigger: String,
}

/// An alert event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAlertEvent {
    /// Its id.
    pub id: AsmEventId,
    /// Its key.
    pub key: AsmKey,
    /// The device's account.
    pub account_id: AccountId,
    /// Whether it is still open.
    pub open: bool,
    /// Its status as the engine last set it.
    pub status: String,
    /// When it first triggered.
    pub first_triggered_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The event, as the engine wrote it.
    pub body: serde_json::Value,
}

/// An alert event to write: the open row of its key is updated, or a row is added.
#[derive(Debug, Clone, PartialEq)]
pub struct EventWrite {
    /// Its key.
    pub key: AsmKey,
    /// The device's account.
    pub account_id: AccountId,
    /// Whether it stays open; `false` archives it.
    pub open: bool,
    /// Its status.
    pub status: String,
    /// When it first triggered.
    pub first_triggered_at: DateTime<Utc>,
    /// The event.
    pub body: serde_json::Value,
}

/// A settled key and what the engine remembers of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SettledRow {
    /// The key.
    pub key: AsmKey,
    /// What the engine remembers.
    pub body: serde_json::Value,
}

/// When one action pool was last invoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRow {
    /// The account.
    pub account_id: AccountId,
    /// The action result type.
    pub result_type: String,
    /// When.
    pub last_invoked_at: DateTime<Utc>,
}

/// An invocation or redirect a tick decided, to journal.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJournalEntry {
    /// The decision's idempotency key.
    pub idempotency_key: String,
    /// The event it is for.
    pub key: AsmKey,
    /// The decision, as the engine wrote it.
    pub decision: serde_json::Value,
}

/// A journal entry.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// Its id.
    pub id: JournalId,
    /// The decision's idempotency key.
    pub idempotency_key: String,
    /// The event it is for.
    pub event_id: AsmEventId,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
    /// The decision.
    pub decision: serde_json::Value,
    /// When it was carried out; `None` while it waits.
    pub carried_out_at: Option<DateTime<Utc>>,
    /// What came of it.
    pub outcome: Option<serde_json::Value>,
    /// When the engine took the outcome in.
    pub reported_at: Option<DateTime<Utc>>,
}

/// A user's approval or rejection, waiting for the next tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsmAnswer {
    /// Its id.
    pub id: AsmAnswerId,
    /// The event answered.
    pub event_id: AsmEventId,
    /// Approved (`true`) or rejected.
    pub approve: bool,
    /// Who.
    pub user_id: UserId,
    /// When.
    pub answered_at: DateTime<Utc>,
}

/// A contact of an account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContact {
    /// Its id.
    pub id: i64,
    /// The account it belongs to.
    pub account_id: AccountId,
    /// A dealer primary contact's role, `account-primary`, or `None` for an alternate.
    pub role: Option<String>,
    /// The person's name.
    pub name: String,
    /// Their address.
    pub email: String,
}

/// A contact to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewContact<'a> {
    /// A dealer primary contact's role, `account-primary`, or `None` for an alternate.
    pub role: Option<&'a str>,
    /// The person's name.
    pub name: &'a str,
    /// Their address.
    pub email: &'a str,
}

/// One dealer's processing behaviour for one action result type.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBehaviour {
    /// The dealer.
    pub dealer: AccountId,
    /// The action result type.
    pub result_type: String,
    /// Who receives, as the engine wrote it.
    pub recipients: serde_json::Value,
}

/// An alerts frequency: how long after the last action of one result type for one
/// account the next may be invoked.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFrequency {
    /// The account.
    pub account_id: AccountId,
    /// The action result type.
    pub result_type: String,
    /// The interval, as the engine wrote it.
    pub frequency: serde_json::Value,
}

/// What a tick changes, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AsmTickChanges {
    /// Events opened, changed or archived.
    pub events: Vec<EventWrite>,
    /// Keys settled, or whose settled memory changed.
    pub settled: Vec<SettledRow>,
    /// Keys no longer settled.
    pub unsettled: Vec<AsmKey>,
    /// Pools invoked.
    pub pools: Vec<PoolRow>,
    /// Invocations and redirects decided, after the events they are for are written.
    pub journal: Vec<NewJournalEntry>,
    /// Journal entries whose outcome the engine took in.
    pub reported: Vec<JournalId>,
    /// Answers the engine took in.
    pub answers_taken: Vec<AsmAnswerId>,
}

/// What the scheduler keeps between ticks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredAsmState {
    /// The open events.
    pub events: Vec<StoredAlertEvent>,
    /// The settled keys.
    pub settled: Vec<SettledRow>,
    /// The pools' last invocations.
    pub pools: Vec<PoolRow>,
}

/// Which alert events a listing shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertEventFilter<'a> {
    /// Only open (`true`) or archived (`false`) ones.
    pub open: Option<bool>,
    /// Only those in this status.
    pub status: Option<&'a str>,
    /// Only this device's.
    pub device: Option<DeviceId>,
    /// Only this definition's.
    pub definition: Option<AsmDefinitionId>,
}

impl Store {
    /// Adds a definition owned by `owner`; `body` is written with its id by
    /// [`Store::replace_asm_definition`] once the id is known, so callers add then replace.
    pub async fn add_asm_definition(
        &self,
        owner: AccountId,
        name: &str,
        body: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<AsmDefinitionId> {
        dispatch!(self.add_asm_definition(owner, name, body, at))
    }

    /// Replaces a live definition's name and body.
    pub async fn replace_asm_definition(
        &self,
        id: AsmDefinitionId,
        name: &str,
        body: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.replace_asm_definition(id, name, body, at))
    }

    /// Deletes a live definition: it is kept for the events that refer to it, and the
    /// next tick archives its open ones.
    pub async fn delete_asm_definition(
        &self,
        id: AsmDefinitionId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.delete_asm_definition(id, at))
    }

    /// A live definition.
    pub async fn asm_definition(&self, id: AsmDefinitionId) -> Result<StoredDefinition> {
        dispatch!(self.asm_definition(id))
    }

    /// The live definitions whose owners the user sees, by id.
    pub async fn asm_definitions(
        &self,
        visibility: Visibility,
        page: Page,
    ) -> Result<Vec<StoredDefinition>> {
        dispatch!(self.asm_definitions(visibility, page))
    }

    /// What the scheduler kept after its last tick.
    pub async fn asm_state(&self) -> Result<StoredAsmState> {
        dispatch!(self.asm_state())
    }

    /// Writes a tick's changes and journal in one transaction.
    pub async fn save_asm_tick(&self, changes: &AsmTickChanges, at: DateTime<Utc>) -> Result<()> {
        dispatch!(self.save_asm_tick(changes, at))
    }

    /// The journal entries not carried out yet, oldest first.
    pub async fn asm_journal_pending(&self) -> Result<Vec<JournalEntry>> {
        dispatch!(self.asm_journal_pending())
    }

    /// Marks a journal entry carried out, with its outcome.
    pub async fn asm_journal_done(
        &self,
        id: JournalId,
        outcome: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.asm_journal_done(id, outcome, at))
    }

    /// The journal entries carried out whose outcome the engine has not taken in,
    /// oldest first.
    pub async fn asm_journal_unreported(&self) -> Result<Vec<JournalEntry>> {
        dispatch!(self.asm_journal_unreported())
    }

    /// Files a user's approval (`approve`) or rejection of an event for the next tick.
    pub async fn add_asm_answer(
        &self,
        event: AsmEventId,
        approve: bool,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<AsmAnswerId> {
        dispatch!(self.add_asm_answer(event, approve, user, at))
    }

    /// The answers no tick has taken in, oldest first.
    pub async fn asm_answers_waiting(&self) -> Result<Vec<AsmAnswer>> {
        dispatch!(self.asm_answers_waiting())
    }

    /// Replaces an account's contacts with `contacts`, in one transaction.
    pub async fn set_asm_contacts(
        &self,
        account: AccountId,
        contacts: &[NewContact<'_>],
    ) -> Result<()> {
        dispatch!(self.set_asm_contacts(account, contacts))
    }

    /// The contacts of `account`, or of every account when `None`, by account then id.
    pub async fn asm_contacts(&self, account: Option<AccountId>) -> Result<Vec<StoredContact>> {
        dispatch!(self.asm_contacts(account))
    }

    /// Replaces a dealer's processing behaviours, in one transaction.
    pub async fn set_asm_behaviours(
        &self,
        dealer: AccountId,
        behaviours: &[StoredBehaviour],
    ) -> Result<()> {
        dispatch!(self.set_asm_behaviours(dealer, behaviours))
    }

    /// The processing behaviours of `dealer`, or of every dealer when `None`.
    pub async fn asm_behaviours(&self, dealer: Option<AccountId>) -> Result<Vec<StoredBehaviour>> {
        dispatch!(self.asm_behaviours(dealer))
    }

    /// Replaces an account's alerts frequencies, in one transaction.
    pub async fn set_asm_frequencies(
        &self,
        account: AccountId,
        frequencies: &[StoredFrequency],
    ) -> Result<()> {
        dispatch!(self.set_asm_frequencies(account, frequencies))
    }

    /// The alerts frequencies of `account`, or of every account when `None`, by account
    /// then result type.
    pub async fn asm_frequencies(
        &self,
        account: Option<AccountId>,
    ) -> Result<Vec<StoredFrequency>> {
        dispatch!(self.asm_frequencies(account))
    }

    /// The journal entries of one event, oldest first.
    pub async fn asm_journal_of(&self, event: AsmEventId) -> Result<Vec<JournalEntry>> {
        dispatch!(self.asm_journal_of(event))
    }

    /// An alert event.
    pub async fn asm_event(&self, id: AsmEventId) -> Result<StoredAlertEvent> {
        dispatch!(self.asm_event(id))
    }

    /// The alert events of the accounts the user sees that match `filter`, newest first.
    pub async fn asm_events(
        &self,
        visibility: Visibility,
        filter: AlertEventFilter<'_>,
        page: Page,
    ) -> Result<Vec<StoredAlertEvent>> {
        dispatch!(self.asm_events(visibility, filter, page))
    }
}

macro_rules! asm_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use sqlx::{Pool, QueryBuilder, Row};

        use super::{
            AlertEventFilter, AsmAnswer, AsmAnswerId, AsmDefinitionId, AsmEventId, AsmKey, AsmTickChanges,
            JournalEntry, JournalId, NewContact, PoolRow, SettledRow, StoredAlertEvent, StoredAsmState,
            StoredBehaviour, StoredContact, StoredDefinition, StoredFrequency,
        };
        use crate::backend::$backend::{BEGIN_WRITE, one_row, update_one};
        use crate::error::{Context, Result};
        use crate::types::{AccountId, DeviceId, Page, UserId, Visibility};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        const DEFINITION_COLUMNS: &str = "SELECT id, owner_account_id, name, body, created_at, updated_at \
             FROM asm_definitions WHERE deleted_at IS NULL";

        const EVENT_COLUMNS: &str = "SELECT id, definition_id, device_id, account_id, trigger_key, is_open, \
             status, first_triggered_at, updated_at, body FROM asm_events WHERE TRUE";

        const JOURNAL_COLUMNS: &str = "SELECT id, idempotency_key, event_id, decided_at, decision, \
             carried_out_at, outcome, reported_at FROM asm_journal WHERE ";

        fn definition_from_row(row: &DbRow) -> Result<StoredDefinition> {
            let context = || "reading an alert definition row".to_owned();
            let Json(body) = row.try_get("body").context(context)?;
            Ok(StoredDefinition {
                id: AsmDefinitionId(row.try_get("id").context(context)?),
                owner: AccountId(row.try_get("owner_account_id").context(context)?),
                name: row.try_get("name").context(context)?,
                body,
                created_at: row.try_get("created_at").context(context)?,
                updated_at: row.try_get("updated_at").context(context)?,
            })
        }

        fn event_from_row(row: &DbRow) -> Result<StoredAlertEvent> {
            let context = || "reading an alert event row".to_owned();
            let Json(body) = row.try_get("body").context(context)?;
            Ok(StoredAlertEvent {
                id: AsmEventId(row.try_get("id").context(context)?),
                key: AsmKey {
                    definition: AsmDefinitionId(row.try_get("definition_id").context(context)?),
                    device: DeviceId(row.try_get("device_id").context(context)?),
                    trigger: row.try_get("trigger_key").context(context)?,
                },
                account_id: AccountId(row.try_get("account_id").context(context)?),
                open: row.try_get("is_open").context(context)?,
                status: row.try_get("status").context(context)?,
                first_triggered_at: row.try_get("first_triggered_at").context(context)?,
                updated_at: row.try_get("updated_at").context(context)?,
                body,
            })
        }

        fn journal_from_row(row: &DbRow) -> Result<JournalEntry> {
            let context = || "reading an ASM journal row".to_owned();
            let Json(decision) = row.try_get("decision").context(context)?;
            let outcome: Option<Json<serde_json::Value>> = row.try_get("outcome").context(context)?;
            Ok(JournalEntry {
                id: JournalId(row.try_get("id").context(context)?),
                idempotency_key: row.try_get("idempotency_key").context(context)?,
                event_id: AsmEventId(row.try_get("event_id").context(context)?),
                decided_at: row.try_get("decided_at").context(context)?,
                decision,
                carried_out_at: row.try_get("carried_out_at").context(context)?,
                outcome: outcome.map(|Json(outcome)| outcome),
                reported_at: row.try_get("reported_at").context(context)?,
            })
        }

        fn settled_from_row(row: &DbRow) -> Result<SettledRow> {
            let context = || "reading a settled ASM key".to_owned();
            let Json(body) = row.try_get("body").context(context)?;
            Ok(SettledRow {
                key: AsmKey {
                    definition: AsmDefinitionId(row.try_get("definition_id").context(context)?),
                    device: DeviceId(row.try_get("device_id").context(context)?),
                    trigger: row.try_get("trigger_key").context(context)?,
                },
                body,
            })
        }

        pub(crate) async fn add_asm_definition(
            pool: &Pool<Db>,
            owner: AccountId,
            name: &str,
            body: &serde_json::Value,
            at: DateTime<Utc>,
        ) -> Result<AsmDefinitionId> {
            sqlx::query_scalar(
                "INSERT INTO asm_definitions (owner_account_id, name, body, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(owner.0)
            .bind(name)
            .bind(Json(body))
            .bind(at)
            .fetch_one(pool)
            .await
            .map(AsmDefinitionId)
            .context(|| format!("adding the alert definition {name:?} of {owner}"))
        }

        pub(crate) async fn replace_asm_definition(
            pool: &Pool<Db>,
            id: AsmDefinitionId,
            name: &str,
            body: &serde_json::Value,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_definitions SET name = $2, body = $3, updated_at = $4 \
                 WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id.0)
            .bind(name)
            .bind(Json(body))
            .bind(at);
            update_one(pool, update, id, || format!("replacing {id}")).await
        }

        pub(crate) async fn delete_asm_definition(pool: &Pool<Db>, id: AsmDefinitionId, at: DateTime<Utc>) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_definitions SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id.0)
            .bind(at);
            update_one(pool, update, id, || format!("deleting {id}")).await
        }

        pub(crate) async fn asm_definition(pool: &Pool<Db>, id: AsmDefinitionId) -> Result<StoredDefinition> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!("{DEFINITION_COLUMNS} AND id = $1")));
            definition_from_row(&one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?)
        }

        pub(crate) async fn asm_definitions(
            pool: &Pool<Db>,
            visibility: Visibility,
            page: Page,
        ) -> Result<Vec<StoredDefinition>> {
            let mut query = crate::listing::select::<Db>(visibility, DEFINITION_COLUMNS);
            crate::listing::restrict(&mut query, visibility, "owner_account_id");
            crate::listing::page(&mut query, "id", page);
            let rows = query.build().fetch_all(pool).await.context(|| "listing alert definitions".into())?;
            rows.iter().map(definition_from_row).collect()
        }

        pub(crate) async fn asm_state(pool: &Pool<Db>) -> Result<StoredAsmState> {
            let context = || "reading the ASM state".to_owned();
            let events = sqlx::query(sqlx::AssertSqlSafe(format!("{EVENT_COLUMNS} AND is_open ORDER BY id")))
                .fetch_all(pool)
                .await
                .context(context)?;
            let settled = sqlx::query("SELECT definition_id, device_id, trigger_key, body FROM asm_settled")
                .fetch_all(pool)
                .await
                .context(context)?;
            let pools = sqlx::query("SELECT account_id, result_type, last_invoked_at FROM asm_pools")
                .fetch_all(pool)
                .await
                .context(context)?;
            Ok(StoredAsmState {
                events: events.iter().map(event_from_row).collect::<Result<_>>()?,
                settled: settled.iter().map(settled_from_row).collect::<Result<_>>()?,
                pools: pools
                    .iter()
                    .map(|row| {
                        Ok(PoolRow {
                            account_id: AccountId(row.try_get("account_id").context(context)?),
                            result_type: row.try_get("result_type").context(context)?,
                            last_invoked_at: row.try_get("last_invoked_at").context(context)?,
                        })
                    })
                    .collect::<Result<_>>()?,
            })
        }

        pub(crate) async fn save_asm_tick(pool: &Pool<Db>, changes: &AsmTickChanges, at: DateTime<Utc>) -> Result<()> {
            let context = || format!("saving an ASM tick of {} event changes", changes.events.len());
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            for event in &changes.events {
                let updated = sqlx::query(
                    "UPDATE asm_events SET is_open = $4, status = $5, updated_at = $6, body = $7 \
                     WHERE definition_id = $1 AND device_id = $2 AND trigger_key = $3 AND is_open",
                )
                .bind(event.key.definition.0)
                .bind(event.key.device.0)
                .bind(&event.key.trigger)
                .bind(event.open)
                .bind(&event.status)
                .bind(at)
                .bind(Json(&event.body))
                .execute(&mut *tx)
                .await
                .context(context)?;
                if updated.rows_affected() == 0 {
                    sqlx::query(
                        "INSERT INTO asm_events (definition_id, device_id, account_id, trigger_key, is_open, \
                         status, first_triggered_at, updated_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(event.key.definition.0)
                    .bind(event.key.device.0)
                    .bind(event.account_id.0)
                    .bind(&event.key.trigger)
                    .bind(event.open)
                    .bind(&event.status)
                    .bind(event.first_triggered_at)
                    .bind(at)
                    .bind(Json(&event.body))
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
                }
            }
            for key in &changes.unsettled {
                sqlx::query("DELETE FROM asm_settled WHERE definition_id = $1 AND device_id = $2 AND trigger_key = $3")
                    .bind(key.definition.0)
                    .bind(key.device.0)
                    .bind(&key.trigger)
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            for settled in &changes.settled {
                sqlx::query(
                    "INSERT INTO asm_settled (definition_id, device_id, trigger_key, body) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (definition_id, device_id, trigger_key) DO UPDATE SET body = excluded.body",
                )
                .bind(settled.key.definition.0)
                .bind(settled.key.device.0)
                .bind(&settled.key.trigger)
                .bind(Json(&settled.body))
                .execute(&mut *tx)
                .await
                .context(context)?;
            }
            for pool_row in &changes.pools {
                sqlx::query(
                    "INSERT INTO asm_pools (account_id, result_type, last_invoked_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id, result_type) DO UPDATE SET last_invoked_at = excluded.last_invoked_at",
                )
                .bind(pool_row.account_id.0)
                .bind(&pool_row.result_type)
                .bind(pool_row.last_invoked_at)
                .execute(&mut *tx)
                .await
                .context(context)?;
            }
            for entry in &changes.journal {
                let mut insert = QueryBuilder::<Db>::new(
                    "INSERT INTO asm_journal (idempotency_key, event_id, decided_at, decision) SELECT ",
                );
                insert
                    .push_bind(&entry.idempotency_key)
                    .push(", id, ")
                    .push_bind(at)
                    .push(", ")
                    .push_bind(Json(&entry.decision))
                    .push(" FROM asm_events WHERE definition_id = ")
                    .push_bind(entry.key.definition.0)
                    .push(" AND device_id = ")
                    .push_bind(entry.key.device.0)
                    .push(" AND trigger_key = ")
                    .push_bind(&entry.key.trigger)
                    .push(" ORDER BY id DESC LIMIT 1 ON CONFLICT (idempotency_key) DO NOTHING");
                insert.build().execute(&mut *tx).await.context(context)?;
            }
            for id in &changes.reported {
                sqlx::query("UPDATE asm_journal SET reported_at = $2 WHERE id = $1")
                    .bind(id.0)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            for id in &changes.answers_taken {
                sqlx::query("UPDATE asm_answers SET taken_at = $2 WHERE id = $1")
                    .bind(id.0)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn asm_journal_unreported(pool: &Pool<Db>) -> Result<Vec<JournalEntry>> {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{JOURNAL_COLUMNS}carried_out_at IS NOT NULL AND reported_at IS NULL ORDER BY id"
            )))
            .fetch_all(pool)
            .await
            .context(|| "reading the ASM journal".into())?;
            rows.iter().map(journal_from_row).collect()
        }

        pub(crate) async fn add_asm_answer(
            pool: &Pool<Db>,
            event: AsmEventId,
            approve: bool,
            user: UserId,
            at: DateTime<Utc>,
        ) -> Result<AsmAnswerId> {
            sqlx::query_scalar(
                "INSERT INTO asm_answers (event_id, approve, user_id, answered_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(event.0)
            .bind(approve)
            .bind(user.0)
            .bind(at)
            .fetch_one(pool)
            .await
            .map(AsmAnswerId)
            .context(|| format!("answering {event}"))
        }

        pub(crate) async fn asm_answers_waiting(pool: &Pool<Db>) -> Result<Vec<AsmAnswer>> {
            let context = || "reading the alert answers waiting".to_owned();
            let rows = sqlx::query(
                "SELECT id, event_id, approve, user_id, answered_at FROM asm_answers WHERE taken_at IS NULL ORDER BY id",
            )
            .fetch_all(pool)
            .await
            .context(context)?;
            rows.iter()
                .map(|row| {
                    Ok(AsmAnswer {
                        id: AsmAnswerId(row.try_get("id").context(context)?),
                        event_id: AsmEventId(row.try_get("event_id").context(context)?),
                        approve: row.try_get("approve").context(context)?,
                        user_id: UserId(row.try_get("user_id").context(context)?),
                        answered_at: row.try_get("answered_at").context(context)?,
                    })
                })
                .collect()
        }

        pub(crate) async fn set_asm_contacts(pool: &Pool<Db>, account: AccountId, contacts: &[NewContact<'_>]) -> Result<()> {
            let context = || format!("setting the contacts of {account}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            sqlx::query("DELETE FROM asm_contacts WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            for contact in contacts {
                sqlx::query("INSERT INTO asm_contacts (account_id, role, name, email) VALUES ($1, $2, $3, $4)")
                    .bind(account.0)
                    .bind(contact.role)
                    .bind(contact.name)
                    .bind(contact.email)
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn asm_contacts(pool: &Pool<Db>, account: Option<AccountId>) -> Result<Vec<StoredContact>> {
            let context = || "reading contacts".to_owned();
            let mut query = QueryBuilder::<Db>::new("SELECT id, account_id, role, name, email FROM asm_contacts WHERE TRUE");
            crate::listing::equal(&mut query, "account_id", account.map(|a| a.0));
            query.push(" ORDER BY account_id, id");
            let rows = query.build().fetch_all(pool).await.context(context)?;
            rows.iter()
                .map(|row| {
                    Ok(StoredContact {
                        id: row.try_get("id").context(context)?,
                        account_id: AccountId(row.try_get("account_id").context(context)?),
                        role: row.try_get("role").context(context)?,
                        name: row.try_get("name").context(context)?,
                        email: row.try_get("email").context(context)?,
                    })
                })
                .collect()
        }

        pub(crate) async fn set_asm_behaviours(pool: &Pool<Db>, dealer: AccountId, behaviours: &[StoredBehaviour]) -> Result<()> {
            let context = || format!("setting the processing behaviours of {dealer}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            sqlx::query("DELETE FROM asm_behaviours WHERE dealer_account_id = $1")
                .bind(dealer.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            for behaviour in behaviours {
                sqlx::query("INSERT INTO asm_behaviours (dealer_account_id, result_type, recipients) VALUES ($1, $2, $3)")
                    .bind(dealer.0)
                    .bind(&behaviour.result_type)
                    .bind(Json(&behaviour.recipients))
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn asm_behaviours(pool: &Pool<Db>, dealer: Option<AccountId>) -> Result<Vec<StoredBehaviour>> {
            let context = || "reading processing behaviours".to_owned();
            let mut query = QueryBuilder::<Db>::new(
                "SELECT dealer_account_id, result_type, recipients FROM asm_behaviours WHERE TRUE",
            );
            crate::listing::equal(&mut query, "dealer_account_id", dealer.map(|a| a.0));
            query.push(" ORDER BY dealer_account_id, result_type");
            let rows = query.build().fetch_all(pool).await.context(context)?;
            rows.iter()
                .map(|row| {
                    let Json(recipients) = row.try_get("recipients").context(context)?;
                    Ok(StoredBehaviour {
                        dealer: AccountId(row.try_get("dealer_account_id").context(context)?),
                        result_type: row.try_get("result_type").context(context)?,
                        recipients,
                    })
                })
                .collect()
        }

        pub(crate) async fn set_asm_frequencies(
            pool: &Pool<Db>,
            account: AccountId,
            frequencies: &[StoredFrequency],
        ) -> Result<()> {
            let context = || format!("setting the alerts frequencies of {account}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            sqlx::query("DELETE FROM asm_frequencies WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            for frequency in frequencies {
                sqlx::query("INSERT INTO asm_frequencies (account_id, result_type, frequency) VALUES ($1, $2, $3)")
                    .bind(account.0)
                    .bind(&frequency.result_type)
                    .bind(Json(&frequency.frequency))
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn asm_frequencies(pool: &Pool<Db>, account: Option<AccountId>) -> Result<Vec<StoredFrequency>> {
            let context = || "reading alerts frequencies".to_owned();
            let mut query = QueryBuilder::<Db>::new(
                "SELECT account_id, result_type, frequency FROM asm_frequencies WHERE TRUE",
            );
            crate::listing::equal(&mut query, "account_id", account.map(|a| a.0));
            query.push(" ORDER BY account_id, result_type");
            let rows = query.build().fetch_all(pool).await.context(context)?;
            rows.iter()
                .map(|row| {
                    let Json(frequency) = row.try_get("frequency").context(context)?;
                    Ok(StoredFrequency {
                        account_id: AccountId(row.try_get("account_id").context(context)?),
                        result_type: row.try_get("result_type").context(context)?,
                        frequency,
                    })
                })
                .collect()
        }

        pub(crate) async fn asm_journal_pending(pool: &Pool<Db>) -> Result<Vec<JournalEntry>> {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{JOURNAL_COLUMNS}carried_out_at IS NULL ORDER BY id")))
                .fetch_all(pool)
                .await
                .context(|| "reading the ASM journal".into())?;
            rows.iter().map(journal_from_row).collect()
        }

        pub(crate) async fn asm_journal_of(pool: &Pool<Db>, event: AsmEventId) -> Result<Vec<JournalEntry>> {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{JOURNAL_COLUMNS}event_id = $1 ORDER BY id")))
                .bind(event.0)
                .fetch_all(pool)
                .await
                .context(|| format!("reading the ASM journal of {event}"))?;
            rows.iter().map(journal_from_row).collect()
        }

        pub(crate) async fn asm_journal_done(
            pool: &Pool<Db>,
            id: JournalId,
            outcome: &serde_json::Value,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let update = sqlx::query(
                "UPDATE asm_journal SET carried_out_at = $2, outcome = $3 WHERE id = $1 AND carried_out_at IS NULL",
            )
            .bind(id.0)
            .bind(at)
            .bind(Json(outcome));
            update_one(pool, update, id, || format!("marking {id} carried out")).await
        }

        pub(crate) async fn asm_event(pool: &Pool<Db>, id: AsmEventId) -> Result<StoredAlertEvent> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!("{EVENT_COLUMNS} AND id = $1")));
            event_from_row(&one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?)
        }

        pub(crate) async fn asm_events(
            pool: &Pool<Db>,
            visibility: Visibility,
            filter: AlertEventFilter<'_>,
            page: Page,
        ) -> Result<Vec<StoredAlertEvent>> {
            let mut query = crate::listing::select::<Db>(visibility, EVENT_COLUMNS);
            crate::listing::restrict(&mut query, visibility, "account_id");
            crate::listing::equal(&mut query, "is_open", filter.open);
            crate::listing::equal(&mut query, "status", filter.status);
            crate::listing::equal(&mut query, "device_id", filter.device.map(|d| d.0));
            crate::listing::equal(&mut query, "definition_id", filter.definition.map(|d| d.0));
            crate::listing::page(&mut query, "id DESC", page);
            let rows = query.build().fetch_all(pool).await.context(|| "listing alert events".into())?;
            rows.iter().map(event_from_row).collect()
        }
    };
}

mod sqlite {
    asm_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    asm_queries!(sqlx::Postgres, postgres);
}
