//! Published plugins — strategies, action plugins and alert-logic plugins: the component
//! bytes and who vouched for them.
//!
//! The store keeps every version it was given; which one is handed out is the highest
//! version not withdrawn, decided by the caller with semver (the store only compares
//! strings). Withdrawing rather than deleting keeps the record of what ran. A name is
//! unique within its kind only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::Result;

/// Which world of the contract a published component is: what the server does with it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// Reads devices; handed out to agents.
    Strategy,
    /// Carries out an ASM action type; run by the server's ASM ticks.
    Action,
    /// Judges devices for ASM; run by the server's ASM ticks.
    AlertLogic,
}

/// A plugin version as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlugin {
    /// Its world.
    pub kind: PluginKind,
    /// Its name: from its own `describe`, or the publisher's for an action plugin
    /// (whose world has none).
    pub name: String,
    /// Its version, from the same place.
    pub version: String,
    /// SHA-256 of the component, hex.
    pub sha256: String,
    /// The ed25519 signature over the component (base64), when it was signed.
    pub signature: Option<String>,
    /// The trusted publisher whose key verified the signature.
    pub publisher: Option<String>,
    /// When it was accepted (UTC).
    pub published_at: DateTime<Utc>,
    /// The user who published it.
    pub published_by: String,
    /// When a rollback withdrew it; withdrawn versions are never handed out again.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// A version to file, with its bytes.
#[derive(Debug, Clone, Copy)]
pub struct NewPlugin<'a> {
    /// Its world.
    pub kind: PluginKind,
    /// Its name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// SHA-256 of `component`, hex.
    pub sha256: &'a str,
    /// The component.
    pub component: &'a [u8],
    /// Its signature, base64.
    pub signature: Option<&'a str>,
    /// The publisher that signed it.
    pub publisher: Option<&'a str>,
    /// When.
    pub published_at: DateTime<Utc>,
    /// By whom.
    pub published_by: &'a str,
}

macro_rules! plugin_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::{Pool, Row};

        use super::{NewPlugin, PluginKind, StoredPlugin};
        use crate::backend::$backend::update_one;
        use crate::backend::{parse_word, word};
        use crate::error::{Context, Error, Result};

        type Db = $db;

        pub(crate) async fn add_plugin(pool: &Pool<Db>, new: &NewPlugin<'_>) -> Result<bool> {
            let inserted = sqlx::query(
                "INSERT INTO plugins (kind, name, version, sha256, component, signature, \
                 publisher, published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (kind, name, version) DO NOTHING",
            )
            .bind(word(&new.kind))
            .bind(new.name)
            .bind(new.version)
            .bind(new.sha256)
            .bind(new.component)
            .bind(new.signature)
            .bind(new.publisher)
            .bind(new.published_at)
            .bind(new.published_by)
            .execute(pool)
            .await
            .context(|| format!("storing {} {}@{}", word(&new.kind), new.name, new.version))?;
            Ok(inserted.rows_affected() == 1)
        }

        pub(crate) async fn plugins(pool: &Pool<Db>) -> Result<Vec<StoredPlugin>> {
            let context = || "listing published plugins".to_owned();
            let rows = sqlx::query(
                "SELECT kind, name, version, sha256, signature, publisher, published_at, \
                 published_by, withdrawn_at FROM plugins ORDER BY kind, name, published_at",
            )
            .fetch_all(pool)
            .await
            .context(context)?;
            rows.into_iter()
                .map(|row| {
                    Ok(StoredPlugin {
                        kind: parse_word("plugins.kind", row.try_get("kind").context(context)?)?,
                        name: row.try_get("name").context(context)?,
                        version: row.try_get("version").context(context)?,
                        sha256: row.try_get("sha256").context(context)?,
                        signature: row.try_get("signature").context(context)?,
                        publisher: row.try_get("publisher").context(context)?,
                        published_at: row.try_get("published_at").context(context)?,
                        published_by: row.try_get("published_by").context(context)?,
                        withdrawn_at: row.try_get("withdrawn_at").context(context)?,
                    })
                })
                .collect()
        }

        pub(crate) async fn plugin_component(
            pool: &Pool<Db>,
            kind: PluginKind,
            name: &str,
            version: &str,
        ) -> Result<Vec<u8>> {
            let what = || format!("{} {name}@{version}", word(&kind));
            sqlx::query_scalar(
                "SELECT component FROM plugins WHERE kind = $1 AND name = $2 AND version = $3",
            )
            .bind(word(&kind))
            .bind(name)
            .bind(version)
            .fetch_optional(pool)
            .await
            .context(|| format!("loading {}", what()))?
            .ok_or_else(|| Error::NotFound { what: what() })
        }

        pub(crate) async fn withdraw_plugin(
            pool: &Pool<Db>,
            kind: PluginKind,
            name: &str,
            version: &str,
            at: DateTime<Utc>,
        ) -> Result<()> {
            let what = format!("{} {name}@{version}", word(&kind));
            let update = sqlx::query(
                "UPDATE plugins SET withdrawn_at = $4 \
                 WHERE kind = $1 AND name = $2 AND version = $3 AND withdrawn_at IS NULL",
            );
            update_one(
                pool,
                update.bind(word(&kind)).bind(name).bind(version).bind(at),
                format!("{what} (not withdrawn yet)"),
                || format!("withdrawing {what}"),
            )
            .await
        }
    };
}

pub(crate) mod sqlite {
    plugin_queries!(sqlx::Sqlite, sqlite);
}

pub(crate) mod postgres {
    plugin_queries!(sqlx::Postgres, postgres);
}

impl Store {
    /// Files a published version; `false` when that kind, name and version are already
    /// filed (a version's bytes never change once published).
    pub async fn add_plugin(&self, new: &NewPlugin<'_>) -> Result<bool> {
        dispatch!(self.add_plugin(new))
    }

    /// Every version ever published, withdrawn ones included, by kind, name, then age.
    pub async fn plugins(&self) -> Result<Vec<StoredPlugin>> {
        dispatch!(self.plugins())
    }

    /// A version's component bytes, or [`crate::Error::NotFound`].
    pub async fn plugin_component(
        &self,
        kind: PluginKind,
        name: &str,
        version: &str,
    ) -> Result<Vec<u8>> {
        dispatch!(self.plugin_component(kind, name, version))
    }

    /// Marks a version withdrawn, so it is never handed out again.
    pub async fn withdraw_plugin(
        &self,
        kind: PluginKind,
        name: &str,
        version: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.withdraw_plugin(kind, name, version, at))
    }
}
