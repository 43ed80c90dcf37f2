//! What agents need from the store: enrollment keys, enrolled agents, the configuration
//! they fetch (sites with schedules and ranges, the account's SNMP credentials), and
//! exactly-once uploads.
//!
//! Keys and secrets arrive hashed, as passwords and session tokens do.

use chrono::{DateTime, Utc};
use quire_protocol::{CredentialSpec, SiteDiscovery, SiteRange};
use quire_schedule::ScheduleConfig;

use crate::error::{Error, Result};
use crate::types::{
    AccountId, Agent, AgentIngest, DeviceId, EnrollmentKey, EnrollmentKeyId, KeyRefusal, NewAgent,
    Page, ReplacementRecord, Site, SiteId, UploadOutcome, Visibility,
};
use crate::{Backend, Store};

impl Store {
    /// Stores a new key (by hash) for `account`, valid until `expires_at`.
    pub async fn issue_enrollment_key(
        &self,
        account: AccountId,
        key_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<EnrollmentKeyId> {
        dispatch!(self.issue_enrollment_key(account, key_hash, now, expires_at))
    }

    /// A page of the keys issued for an account, newest first.
    pub async fn enrollment_keys(
        &self,
        account: AccountId,
        page: Page,
    ) -> Result<Vec<EnrollmentKey>> {
        dispatch!(self.enrollment_keys(account, page))
    }

    /// One key, or [`crate::Error::NotFound`].
    pub async fn enrollment_key(&self, id: EnrollmentKeyId) -> Result<EnrollmentKey> {
        dispatch!(self.enrollment_key(id))
    }

    /// Withdraws a key that was not used yet (a used key stays as it is).
    pub async fn revoke_enrollment_key(
        &self,
        id: EnrollmentKeyId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.revoke_enrollment_key(id, now))
    }

    /// Spends the key with this hash and registers the agent, in one transaction, or says
    /// why the key is refused. Two agents racing for one key: one wins, the other is told
    /// the key was used.
    pub async fn enroll(
        &self,
        key_hash: &str,
        agent: NewAgent<'_>,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<AccountId, KeyRefusal>> {
        dispatch!(self.enroll(key_hash, agent, now))
    }

    /// An agent and its secret's hash.
    pub async fn agent_with_secret(&self, id: &str) -> Result<Option<(Agent, String)>> {
        dispatch!(self.agent_with_secret(id))
    }

    /// Records that the agent fetched its configuration.
    pub async fn check_in(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self.check_in(id, now))
    }

    /// A page of the agents `visibility` covers (of `account` only, when given), by
    /// enrollment time.
    pub async fn agents(
        &self,
        visibility: Visibility,
        account: Option<AccountId>,
        page: Page,
    ) -> Result<Vec<Agent>> {
        dispatch!(self.agents(visibility, account, page))
    }

    /// One agent, or [`crate::Error::NotFound`].
    pub async fn agent(&self, id: &str) -> Result<Agent> {
        dispatch!(self.agent(id))
    }

    /// Cuts an agent off: every later call it makes is refused.
    pub async fn revoke_agent(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        dispatch!(self.revoke_agent(id, now))
    }

    /// A page of the sites of an account with their configuration, by id. Only those
    /// sites' ranges are read, however many other accounts have.
    pub async fn sites(&self, account: AccountId, page: Page) -> Result<Vec<Site>> {
        dispatch!(self.sites(account, page))
    }

    /// The ids of an account's sites, without their configuration.
    pub async fn site_ids(&self, account: AccountId) -> Result<Vec<SiteId>> {
        dispatch!(self.site_ids(account))
    }

    /// One site, or [`crate::Error::NotFound`].
    pub async fn site(&self, id: SiteId) -> Result<Site> {
        dispatch!(self.site(id))
    }

    /// Sets a site's schedules and time zone.
    pub async fn set_site_schedules(&self, site: SiteId, schedules: &ScheduleConfig) -> Result<()> {
        dispatch!(self.set_site_schedules(site, schedules))
    }

    /// Replaces the ranges of each site listed, all in one transaction: either every
    /// site gets its new ranges or none does.
    pub async fn replace_site_ranges(&self, ranges: &[(SiteId, Vec<SiteRange>)]) -> Result<()> {
        dispatch!(self.replace_site_ranges(ranges))
    }

    /// Sets how a site's agents sweep its ranges (checked by the caller).
    pub async fn set_site_discovery(&self, site: SiteId, discovery: &SiteDiscovery) -> Result<()> {
        dispatch!(self.set_site_discovery(site, discovery))
    }

    /// Replaces the printers a site's agents read over IPP by URI (checked by the caller).
    pub async fn set_site_ipp_printers(&self, site: SiteId, printers: &[String]) -> Result<()> {
        dispatch!(self.set_site_ipp_printers(site, printers))
    }

    /// The account's SNMP credentials in the order agents try them, opened where they
    /// are sealed (see `secrets.rs`).
    pub async fn credentials(&self, account: AccountId) -> Result<Vec<CredentialSpec>> {
        let stored: Vec<serde_json::Value> = dispatch!(self.credentials(account))?;
        stored
            .into_iter()
            .enumerate()
            .map(|(position, stored)| {
                let plain = self.plain_spec(stored, account, position)?;
                serde_json::from_value(plain).map_err(|e| Error::Corrupt {
                    column: "account_credentials.spec",
                    value: format!("the spec of {account} at {position}"),
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Replaces the account's SNMP credentials, sealed where this store has a key.
    pub async fn set_credentials(
        &self,
        account: AccountId,
        credentials: &[CredentialSpec],
    ) -> Result<()> {
        let stored: Vec<serde_json::Value> = credentials
            .iter()
            .enumerate()
            .map(|(position, spec)| {
                let plain =
                    serde_json::to_value(spec).expect("a credential spec serialises to JSON");
                self.stored_spec(plain, account, position)
            })
            .collect();
        dispatch!(self.set_credentials(account, &stored))
    }

    /// Every account's credential specs as stored, sealed or not.
    pub(crate) async fn stored_credentials(
        &self,
    ) -> Result<Vec<(AccountId, usize, serde_json::Value)>> {
        dispatch!(self.stored_credentials())
    }

    /// Replaces one stored spec as it is (the caller sealed it).
    pub(crate) async fn replace_stored_credential(
        &self,
        account: AccountId,
        position: usize,
        stored: serde_json::Value,
    ) -> Result<()> {
        dispatch!(self.replace_stored_credential(account, position, stored))
    }

    /// Files an agent's upload in one transaction: readings whose sequence number the
    /// agent already delivered are counted as duplicates and skipped, the rest are filed.
    /// A crash before the commit files nothing, so the agent's retry files all of it once.
    pub async fn ingest_upload(
        &self,
        agent: &str,
        items: &[AgentIngest<'_>],
    ) -> Result<UploadOutcome> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                crate::ingest::sqlite::ingest_upload(pool, agent, items, &self.keyframes).await
            }
            Backend::Postgres(pool) => {
                crate::ingest::postgres::ingest_upload(pool, agent, items, &self.keyframes).await
            }
        }
    }

    /// A page of the supplies the agents saw replaced on a device, oldest first.
    pub async fn supply_replacements(
        &self,
        device: DeviceId,
        page: Page,
    ) -> Result<Vec<ReplacementRecord>> {
        dispatch!(self.supply_replacements(device, page))
    }

    /// The supplies the agents saw replaced on each device in `devices` from `since`
    /// on, by device, then time: how a job reads a page of devices in one query.
    pub async fn supply_replacements_of(
        &self,
        devices: &[DeviceId],
        since: DateTime<Utc>,
    ) -> Result<Vec<(DeviceId, ReplacementRecord)>> {
        dispatch!(self.supply_replacements_of(devices, since))
    }
}

macro_rules! agent_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use quire_protocol::{Range, SiteDiscovery, SiteRange};
        use quire_schedule::ScheduleConfig;
        use sqlx::types::Json;
        use sqlx::{FromRow, Pool, QueryBuilder, Row};

        use crate::backend::$backend::{BEGIN_WRITE, one_row, page_of, update_one};
        use crate::listing;
        use crate::error::{Context, Error, Result};
        use crate::types::*;

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        pub(crate) async fn issue_enrollment_key(
            pool: &Pool<Db>,
            account: AccountId,
            key_hash: &str,
            now: DateTime<Utc>,
            expires_at: DateTime<Utc>,
        ) -> Result<EnrollmentKeyId> {
            sqlx::query_scalar(
                "INSERT INTO enrollment_keys (key_hash, account_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(key_hash)
            .bind(account.0)
            .bind(now)
            .bind(expires_at)
            .fetch_one(pool)
            .await
            .map(EnrollmentKeyId)
            .context(|| format!("issuing an enrollment key for {account}"))
        }

        pub(crate) async fn enrollment_keys(pool: &Pool<Db>, account: AccountId, page: Page) -> Result<Vec<EnrollmentKey>> {
            let context = || format!("listing the enrollment keys of {account}");
            let (limit, offset) = page.binds();
            sqlx::query_as(
                "SELECT id, account_id, created_at, expires_at, used_at, agent_id, revoked_at \
                 FROM enrollment_keys WHERE account_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            )
            .bind(account.0)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await
            .context(context)
        }

        pub(crate) async fn enrollment_key(pool: &Pool<Db>, id: EnrollmentKeyId) -> Result<EnrollmentKey> {
            let context = || format!("reading {id}");
            let select = sqlx::query(
                "SELECT id, account_id, created_at, expires_at, used_at, agent_id, revoked_at \
                 FROM enrollment_keys WHERE id = $1",
            );
            let row = one_row(pool, select.bind(id.0), id, context).await?;
            EnrollmentKey::from_row(&row).context(context)
        }

        pub(crate) async fn revoke_enrollment_key(pool: &Pool<Db>, id: EnrollmentKeyId, now: DateTime<Utc>) -> Result<()> {
            sqlx::query("UPDATE enrollment_keys SET revoked_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL")
                .bind(id.0)
                .bind(now)
                .execute(pool)
                .await
                .context(|| format!("revoking {id}"))?;
            Ok(())
        }

        pub(crate) async fn enroll(
            pool: &Pool<Db>,
            key_hash: &str,
            agent: NewAgent<'_>,
            now: DateTime<Utc>,
        ) -> Result<std::result::Result<AccountId, KeyRefusal>> {
            let context = || format!("enrolling agent {} ({})", agent.id, agent.hostname);
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let row = sqlx::query(
                "SELECT account_id, expires_at, used_at, revoked_at FROM enrollment_keys WHERE key_hash = $1",
            )
            .bind(key_hash)
            .fetch_optional(&mut *tx)
            .await
            .context(context)?;
            let Some(row) = row else {
                return Ok(Err(KeyRefusal::Unknown));
            };
            let expires_at: DateTime<Utc> = row.try_get("expires_at").context(context)?;
            let used_at: Option<DateTime<Utc>> = row.try_get("used_at").context(context)?;
            let revoked_at: Option<DateTime<Utc>> = row.try_get("revoked_at").context(context)?;
            if let Some(at) = used_at {
                return Ok(Err(KeyRefusal::Used(at)));
            }
            if let Some(at) = revoked_at {
                return Ok(Err(KeyRefusal::Revoked(at)));
            }
            if expires_at <= now {
                return Ok(Err(KeyRefusal::Expired(expires_at)));
            }
            let account = AccountId(row.try_get("account_id").context(context)?);
            sqlx::query(
                "INSERT INTO agents (id, account_id, secret_hash, hostname, version, enrolled_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(agent.id)
            .bind(account.0)
            .bind(agent.secret_hash)
            .bind(agent.hostname)
            .bind(agent.version)
            .bind(now)
            .execute(&mut *tx)
            .await
            .context(context)?;
            // The condition makes the key single-use even where two enrollments raced past the check.
            let spent = sqlx::query(
                "UPDATE enrollment_keys SET used_at = $2, agent_id = $3 WHERE key_hash = $1 AND used_at IS NULL",
            )
            .bind(key_hash)
            .bind(now)
            .bind(agent.id)
            .execute(&mut *tx)
            .await
            .context(context)?;
            if spent.rows_affected() == 0 {
                return Ok(Err(KeyRefusal::Used(now)));
            }
            tx.commit().await.context(context)?;
            Ok(Ok(account))
        }

        pub(crate) async fn agent_with_secret(pool: &Pool<Db>, id: &str) -> Result<Option<(Agent, String)>> {
            let context = || format!("reading agent {id}");
            let Some(row) = sqlx::query(
                "SELECT id, account_id, hostname, version, enrolled_at, last_check_in, revoked_at, secret_hash \
                 FROM agents WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
            .context(context)?
            else {
                return Ok(None);
            };
            let agent = Agent::from_row(&row).context(context)?;
            let hash: String = row.try_get("secret_hash").context(context)?;
            Ok(Some((agent, hash)))
        }

        pub(crate) async fn check_in(pool: &Pool<Db>, id: &str, now: DateTime<Utc>) -> Result<()> {
            sqlx::query("UPDATE agents SET last_check_in = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await
                .context(|| format!("recording the check-in of agent {id}"))?;
            Ok(())
        }

        pub(crate) async fn agents(
            pool: &Pool<Db>,
            visibility: Visibility,
            account: Option<AccountId>,
            page: Page,
        ) -> Result<Vec<Agent>> {
            let mut query = listing::select::<Db>(
                visibility,
                "SELECT id, account_id, hostname, version, enrolled_at, last_check_in, revoked_at \
                 FROM agents WHERE TRUE",
            );
            listing::restrict(&mut query, visibility, "account_id");
            listing::equal(&mut query, "account_id", account.map(|a| a.0));
            listing::page(&mut query, "enrolled_at, id", page);
            query.build_query_as().fetch_all(pool).await.context(|| "listing agents".to_owned())
        }

        pub(crate) async fn agent(pool: &Pool<Db>, id: &str) -> Result<Agent> {
            agent_with_secret(pool, id)
                .await?
                .map(|(agent, _)| agent)
                .ok_or_else(|| Error::NotFound { what: format!("agent {id}") })
        }

        pub(crate) async fn revoke_agent(pool: &Pool<Db>, id: &str, now: DateTime<Utc>) -> Result<()> {
            let update = sqlx::query("UPDATE agents SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1");
            update_one(pool, update.bind(id).bind(now), format!("agent {id}"), || format!("revoking agent {id}")).await
        }

        /// The ranges a query selects (`site_id, range_text, part`) for the sites it names:
        /// each caller names its own sites, never another account's, so their number costs
        /// this account nothing.
        async fn ranges(query: sqlx::query::QueryAs<'_, Db, (i64, String, Option<String>), <Db as sqlx::Database>::Arguments>, pool: &Pool<Db>) -> Result<Vec<(i64, SiteRange)>> {
            let rows = query.fetch_all(pool).await.context(|| "reading discovery ranges".into())?;
            rows.into_iter()
                .map(|(site, text, part)| {
                    let range: Range = text.parse().map_err(|e: quire_protocol::RangeError| Error::Corrupt {
                        column: "site_ranges.range_text",
                        value: text.clone(),
                        reason: e.reason,
                    })?;
                    Ok((site, SiteRange { range, part }))
                })
                .collect()
        }

        fn site_from_row(row: &DbRow, ranges: &[(i64, SiteRange)]) -> Result<Site, sqlx::Error> {
            let id: i64 = row.try_get("id")?;
            let schedules: Option<Json<ScheduleConfig>> = row.try_get("schedules")?;
            let Json(ipp_printers) = row.try_get("ipp_printers")?;
            let discovery: Option<Json<SiteDiscovery>> = row.try_get("discovery")?;
            Ok(Site {
                id: SiteId(id),
                account_id: AccountId(row.try_get("account_id")?),
                name: row.try_get("name")?,
                schedules: schedules.map(|Json(s)| s),
                ranges: ranges.iter().filter(|(s, _)| *s == id).map(|(_, r)| r.clone()).collect(),
                discovery: discovery.map(|Json(d)| d),
                ipp_printers,
            })
        }

        pub(crate) async fn sites(pool: &Pool<Db>, account: AccountId, page: Page) -> Result<Vec<Site>> {
            let context = || format!("listing the sites of {account}");
            let (limit, offset) = page.binds();
            let ranges = ranges(
                sqlx::query_as(
                    "SELECT site_id, range_text, part FROM site_ranges WHERE site_id IN \
                     (SELECT id FROM sites WHERE account_id = $1 ORDER BY id LIMIT $2 OFFSET $3) \
                     ORDER BY site_id, position",
                )
                .bind(account.0)
                .bind(limit)
                .bind(offset),
                pool,
            )
            .await?;
            let select = sqlx::query(
                "SELECT id, account_id, name, schedules, ipp_printers, discovery FROM sites WHERE account_id = $1 \
                 ORDER BY id LIMIT $2 OFFSET $3",
            );
            page_of(pool, select.bind(account.0), page, context)
                .await?
                .iter()
                .map(|row| site_from_row(row, &ranges))
                .collect::<Result<_, _>>()
                .context(context)
        }

        pub(crate) async fn site_ids(pool: &Pool<Db>, account: AccountId) -> Result<Vec<SiteId>> {
            let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM sites WHERE account_id = $1 ORDER BY id")
                .bind(account.0)
                .fetch_all(pool)
                .await
                .context(|| format!("listing the sites of {account}"))?;
            Ok(ids.into_iter().map(SiteId).collect())
        }

        pub(crate) async fn site(pool: &Pool<Db>, id: SiteId) -> Result<Site> {
            let context = || format!("reading {id}");
            let select = sqlx::query("SELECT id, account_id, name, schedules, ipp_printers, discovery FROM sites WHERE id = $1");
            let row = one_row(pool, select.bind(id.0), id, context).await?;
            let ranges = ranges(
                sqlx::query_as("SELECT site_id, range_text, part FROM site_ranges WHERE site_id = $1 ORDER BY position")
                    .bind(id.0),
                pool,
            )
            .await?;
            site_from_row(&row, &ranges).context(context)
        }

        pub(crate) async fn set_site_schedules(pool: &Pool<Db>, site: SiteId, schedules: &ScheduleConfig) -> Result<()> {
            let update = sqlx::query("UPDATE sites SET schedules = $2 WHERE id = $1");
            let update = update.bind(site.0).bind(Json(schedules));
            update_one(pool, update, site, || format!("setting the schedules of {site}")).await
        }

        pub(crate) async fn set_site_discovery(pool: &Pool<Db>, site: SiteId, discovery: &SiteDiscovery) -> Result<()> {
            let update = sqlx::query("UPDATE sites SET discovery = $2 WHERE id = $1");
            let update = update.bind(site.0).bind(Json(discovery));
            update_one(pool, update, site, || format!("setting the discovery settings of {site}")).await
        }

        pub(crate) async fn set_site_ipp_printers(pool: &Pool<Db>, site: SiteId, printers: &[String]) -> Result<()> {
            let update = sqlx::query("UPDATE sites SET ipp_printers = $2 WHERE id = $1");
            let update = update.bind(site.0).bind(Json(printers));
            update_one(pool, update, site, || format!("setting the IPP printers of {site}")).await
        }

        pub(crate) async fn replace_site_ranges(pool: &Pool<Db>, ranges: &[(SiteId, Vec<SiteRange>)]) -> Result<()> {
            let context = || format!("replacing the ranges of {} sites", ranges.len());
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            for (site, list) in ranges {
                sqlx::query("DELETE FROM site_ranges WHERE site_id = $1")
                    .bind(site.0)
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
                for (position, range) in list.iter().enumerate() {
                    sqlx::query("INSERT INTO site_ranges (site_id, position, range_text, part) VALUES ($1, $2, $3, $4)")
                        .bind(site.0)
                        .bind(i32::try_from(position).unwrap_or(i32::MAX))
                        .bind(range.range.to_string())
                        .bind(range.part.as_deref())
                        .execute(&mut *tx)
                        .await
                        .context(context)?;
                }
            }
            tx.commit().await.context(context)?;
            Ok(())
        }

        pub(crate) async fn credentials(pool: &Pool<Db>, account: AccountId) -> Result<Vec<serde_json::Value>> {
            let rows: Vec<Json<serde_json::Value>> = sqlx::query_scalar(
                "SELECT spec FROM account_credentials WHERE account_id = $1 ORDER BY position",
            )
            .bind(account.0)
            .fetch_all(pool)
            .await
            .context(|| format!("reading the credentials of {account}"))?;
            Ok(rows.into_iter().map(|Json(spec)| spec).collect())
        }

        pub(crate) async fn stored_credentials(pool: &Pool<Db>) -> Result<Vec<(AccountId, usize, serde_json::Value)>> {
            let context = || "reading every account's credentials".to_owned();
            let rows = sqlx::query("SELECT account_id, position, spec FROM account_credentials")
                .fetch_all(pool)
                .await
                .context(context)?;
            rows.iter()
                .map(|row| {
                    let position: i32 = row.try_get("position").context(context)?;
                    let Json(spec) = row.try_get("spec").context(context)?;
                    Ok((
                        AccountId(row.try_get("account_id").context(context)?),
                        crate::backend::stored_u32("account_credentials.position", position.into())? as usize,
                        spec,
                    ))
                })
                .collect()
        }

        pub(crate) async fn replace_stored_credential(pool: &Pool<Db>, account: AccountId, position: usize, stored: serde_json::Value) -> Result<()> {
            sqlx::query("UPDATE account_credentials SET spec = $1 WHERE account_id = $2 AND position = $3")
                .bind(Json(stored))
                .bind(account.0)
                .bind(i32::try_from(position).unwrap_or(i32::MAX))
                .execute(pool)
                .await
                .context(|| format!("sealing the credential of {account} at {position}"))?;
            Ok(())
        }

        pub(crate) async fn set_credentials(pool: &Pool<Db>, account: AccountId, credentials: &[serde_json::Value]) -> Result<()> {
            let context = || format!("setting the credentials of {account}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            sqlx::query("DELETE FROM account_credentials WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            for (position, spec) in credentials.iter().enumerate() {
                sqlx::query("INSERT INTO account_credentials (account_id, position, spec) VALUES ($1, $2, $3)")
                    .bind(account.0)
                    .bind(i32::try_from(position).unwrap_or(i32::MAX))
                    .bind(Json(spec))
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            tx.commit().await.context(context)?;
            Ok(())
        }

        fn replacement_from_row(row: &<Db as sqlx::Database>::Row) -> Result<ReplacementRecord> {
            let context = || "reading a supply replacement row".to_owned();
            let index: i64 = row.try_get("idx").context(context)?;
            let Json(evidence) = row.try_get("evidence").context(context)?;
            Ok(ReplacementRecord {
                reading_id: ReadingId(row.try_get("reading_id").context(context)?),
                taken_at: row.try_get("taken_at").context(context)?,
                index: crate::backend::stored_u32("supply_replacements.idx", index)?,
                description: row.try_get("description").context(context)?,
                evidence,
            })
        }

        pub(crate) async fn supply_replacements(pool: &Pool<Db>, device: DeviceId, page: Page) -> Result<Vec<ReplacementRecord>> {
            let context = || format!("reading the supply replacements of {device}");
            let select = sqlx::query(
                "SELECT s.reading_id, r.taken_at, s.idx, s.description, s.evidence \
                 FROM supply_replacements s JOIN readings r ON r.id = s.reading_id \
                 WHERE s.device_id = $1 ORDER BY r.taken_at, s.reading_id, s.idx LIMIT $2 OFFSET $3",
            );
            let rows = page_of(pool, select.bind(device.0), page, context).await?;
            rows.iter().map(replacement_from_row).collect()
        }

        pub(crate) async fn supply_replacements_of(
            pool: &Pool<Db>,
            devices: &[DeviceId],
            since: DateTime<Utc>,
        ) -> Result<Vec<(DeviceId, ReplacementRecord)>> {
            let mut records = Vec::new();
            for chunk in devices.chunks(crate::summaries::DEVICES_PER_QUERY) {
                let mut query = QueryBuilder::<Db>::new(
                    "SELECT s.device_id, s.reading_id, r.taken_at, s.idx, s.description, s.evidence \
                     FROM supply_replacements s JOIN readings r ON r.id = s.reading_id WHERE r.taken_at >= ",
                );
                query.push_bind(since).push(" AND s.device_id IN (");
                let mut ids = query.separated(", ");
                for device in chunk {
                    ids.push_bind(device.0);
                }
                query.push(") ORDER BY s.device_id, r.taken_at, s.reading_id, s.idx");
                let rows = query
                    .build()
                    .fetch_all(pool)
                    .await
                    .context(|| format!("reading the supply replacements of {} devices", chunk.len()))?;
                for row in &rows {
                    let device: i64 = row.try_get("device_id").context(|| "reading a supply replacement row".to_owned())?;
                    records.push((DeviceId(device), replacement_from_row(row)?));
                }
            }
            Ok(records)
        }
    };
}

mod sqlite {
    agent_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    agent_queries!(sqlx::Postgres, postgres);
}
