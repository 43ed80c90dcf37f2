//! Tenants beyond the tree of accounts: users, what each may see, and login sessions.
//!
//! Passwords and session tokens arrive hashed: the store never holds a secret a
//! database dump would give away, and hashing stays with the server that checks them.

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::types::{Account, AccountId, Role, User, UserId, Visibility};
use crate::{Backend, Store};

macro_rules! dispatch {
    ($self:ident . $f:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(pool) => crate::backend::sqlite::tenants::$f(pool, $($arg),*).await,
            Backend::Postgres(pool) => crate::backend::postgres::tenants::$f(pool, $($arg),*).await,
        }
    };
}

impl Store {
    /// Every account, by id.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        dispatch!(self.accounts())
    }

    /// One account, or [`crate::Error::NotFound`].
    pub async fn account(&self, id: AccountId) -> Result<Account> {
        dispatch!(self.account(id))
    }

    /// The main dealer: the first dealer without a parent, once the server has created it.
    pub async fn main_dealer(&self) -> Result<Option<AccountId>> {
        dispatch!(self.main_dealer())
    }

    /// Sets how often the account's agents check in.
    pub async fn set_check_in_seconds(&self, account: AccountId, seconds: u32) -> Result<()> {
        dispatch!(self.set_check_in_seconds(account, seconds))
    }

    /// Creates a user granted `accounts`; the name must be unused.
    pub async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        role: Role,
        accounts: &[AccountId],
        now: DateTime<Utc>,
    ) -> Result<UserId> {
        dispatch!(self.create_user(name, password_hash, role, accounts, now))
    }

    /// Every user, by id.
    pub async fn users(&self) -> Result<Vec<User>> {
        dispatch!(self.users())
    }

    /// A user and their password hash, by login name.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>> {
        dispatch!(self.user_by_name(name))
    }

    /// Replaces a user's password hash.
    pub async fn set_password(&self, user: UserId, password_hash: &str) -> Result<()> {
        dispatch!(self.set_password(user, password_hash))
    }

    /// Opens a session for `user` under the token's hash.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        dispatch!(self.create_session(token_hash, user, now, expires_at))
    }

    /// The user of a live session; `None` when the token is unknown or expired.
    pub async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        dispatch!(self.session_user(token_hash, now))
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        dispatch!(self.delete_session(token_hash))
    }

    /// The accounts `user` may see: administrators all; others the accounts granted,
    /// with the whole subtree of every granted dealer.
    pub async fn visibility(&self, user: &User) -> Result<Visibility> {
        if user.role == Role::Administrator {
            return Ok(Visibility::All);
        }
        dispatch!(self.visible_accounts(user.id)).map(Visibility::Accounts)
    }
}

macro_rules! tenant_queries {
    ($db:ty) => {
        use std::collections::BTreeSet;

        use chrono::{DateTime, Utc};
        use sqlx::{Pool, Row};

        use crate::backend::parse_word;
        use crate::backend::word;
        use crate::error::{Context, Error, Result};
        use crate::types::{Account, AccountId, Role, User, UserId};

        type Db = $db;
        type DbRow = <Db as sqlx::Database>::Row;

        fn account_from_row(row: &DbRow) -> Result<Account> {
            let context = || "reading an account row".to_owned();
            let check_in: i64 = row.try_get("check_in_seconds").context(context)?;
            Ok(Account {
                id: AccountId(row.try_get("id").context(context)?),
                parent: row.try_get::<Option<i64>, _>("parent_id").context(context)?.map(AccountId),
                name: row.try_get("name").context(context)?,
                is_dealer: row.try_get("is_dealer").context(context)?,
                check_in_seconds: crate::backend::stored_u32("accounts.check_in_seconds", check_in)?,
            })
        }

        pub(crate) async fn accounts(pool: &Pool<Db>) -> Result<Vec<Account>> {
            sqlx::query("SELECT id, parent_id, name, is_dealer, CAST(check_in_seconds AS BIGINT) AS check_in_seconds FROM accounts ORDER BY id")
                .fetch_all(pool)
                .await
                .context(|| "listing accounts".into())?
                .iter()
                .map(account_from_row)
                .collect()
        }

        pub(crate) async fn account(pool: &Pool<Db>, id: AccountId) -> Result<Account> {
            let row = sqlx::query("SELECT id, parent_id, name, is_dealer, CAST(check_in_seconds AS BIGINT) AS check_in_seconds FROM accounts WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .context(|| format!("reading {id}"))?
                .ok_or_else(|| Error::NotFound { what: id.to_string() })?;
            account_from_row(&row)
        }

        pub(crate) async fn main_dealer(pool: &Pool<Db>) -> Result<Option<AccountId>> {
            sqlx::query_scalar(
                "SELECT id FROM accounts WHERE parent_id IS NULL AND is_dealer ORDER BY id LIMIT 1",
            )
            .fetch_optional(pool)
            .await
            .map(|id| id.map(AccountId))
            .context(|| "finding the main dealer".into())
        }

        pub(crate) async fn set_check_in_seconds(pool: &Pool<Db>, account: AccountId, seconds: u32) -> Result<()> {
            let done = sqlx::query("UPDATE accounts SET check_in_seconds = $2 WHERE id = $1")
                .bind(account.0)
                .bind(i32::try_from(seconds).unwrap_or(i32::MAX))
                .execute(pool)
                .await
                .context(|| format!("setting the check-in interval of {account}"))?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: account.to_string() });
            }
            Ok(())
        }

        pub(crate) async fn create_user(
            pool: &Pool<Db>,
            name: &str,
            password_hash: &str,
            role: Role,
            accounts: &[AccountId],
            now: DateTime<Utc>,
        ) -> Result<UserId> {
            let context = || format!("creating user `{name}`");
            let mut tx = pool.begin().await.context(context)?;
            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .context(context)?;
            if taken.is_some() {
                return Err(Error::Invalid { field: "name".into(), message: format!("a user named `{name}` exists already") });
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (name, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(password_hash)
            .bind(word(&role))
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .context(context)?;
            for account in accounts {
                sqlx::query("INSERT INTO user_accounts (user_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(account.0)
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            tx.commit().await.context(context)?;
            Ok(UserId(id))
        }

        async fn grants(pool: &Pool<Db>, user: Option<i64>) -> Result<Vec<(i64, AccountId)>> {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT user_id, account_id FROM user_accounts WHERE $1 IS NULL OR user_id = $1 ORDER BY user_id, account_id",
            )
            .bind(user)
            .fetch_all(pool)
            .await
            .context(|| "reading the accounts users were granted".into())?;
            Ok(rows.into_iter().map(|(u, a)| (u, AccountId(a))).collect())
        }

        fn user_from_row(row: &DbRow, grants: &[(i64, AccountId)]) -> Result<User> {
            let context = || "reading a user row".to_owned();
            let id: i64 = row.try_get("id").context(context)?;
            let role: String = row.try_get("role").context(context)?;
            Ok(User {
                id: UserId(id),
                name: row.try_get("name").context(context)?,
                role: parse_word("users.role", role)?,
                accounts: grants.iter().filter(|(u, _)| *u == id).map(|(_, a)| *a).collect(),
            })
        }

        pub(crate) async fn users(pool: &Pool<Db>) -> Result<Vec<User>> {
            let grants = grants(pool, None).await?;
            sqlx::query("SELECT id, name, role FROM users ORDER BY id")
                .fetch_all(pool)
                .await
                .context(|| "listing users".into())?
                .iter()
                .map(|row| user_from_row(row, &grants))
                .collect()
        }

        pub(crate) async fn user_by_name(pool: &Pool<Db>, name: &str) -> Result<Option<(User, String)>> {
            let Some(row) = sqlx::query("SELECT id, name, role, password_hash FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await
                .context(|| format!("reading user `{name}`"))?
            else {
                return Ok(None);
            };
            let id: i64 = row.try_get("id").context(|| format!("reading user `{name}`"))?;
            let grants = grants(pool, Some(id)).await?;
            let hash: String = row.try_get("password_hash").context(|| format!("reading user `{name}`"))?;
            Ok(Some((user_from_row(&row, &grants)?, hash)))
        }

        pub(crate) async fn set_password(pool: &Pool<Db>, user: UserId, password_hash: &str) -> Result<()> {
            let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(user.0)
                .bind(password_hash)
                .execute(pool)
                .await
                .context(|| format!("setting the password of {user}"))?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: user.to_string() });
            }
            Ok(())
        }

        pub(crate) async fn create_session(
            pool: &Pool<Db>,
            token_hash: &str,
            user: UserId,
            now: DateTime<Utc>,
            expires_at: DateTime<Utc>,
        ) -> Result<()> {
            let context = || format!("opening a session for {user}");
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await
                .context(context)?;
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash)
                .bind(user.0)
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await
                .context(context)?;
            Ok(())
        }

        pub(crate) async fn session_user(pool: &Pool<Db>, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
            let context = || "looking up a session".to_owned();
            let Some(row) = sqlx::query(
                "SELECT u.id, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await
            .context(context)?
            else {
                return Ok(None);
            };
            let id: i64 = row.try_get("id").context(context)?;
            let grants = grants(pool, Some(id)).await?;
            user_from_row(&row, &grants).map(Some)
        }

        pub(crate) async fn delete_session(pool: &Pool<Db>, token_hash: &str) -> Result<()> {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await
                .context(|| "ending a session".into())?;
            Ok(())
        }

        pub(crate) async fn visible_accounts(pool: &Pool<Db>, user: UserId) -> Result<BTreeSet<AccountId>> {
            let ids: Vec<i64> = sqlx::query_scalar(
                "WITH RECURSIVE visible (id, is_dealer) AS ( \
                   SELECT a.id, a.is_dealer FROM user_accounts g JOIN accounts a ON a.id = g.account_id \
                   WHERE g.user_id = $1 \
                   UNION \
                   SELECT c.id, c.is_dealer FROM accounts c JOIN visible v ON c.parent_id = v.id \
                   WHERE v.is_dealer \
                 ) SELECT id FROM visible",
            )
            .bind(user.0)
            .fetch_all(pool)
            .await
            .context(|| format!("finding the accounts {user} may see"))?;
            Ok(ids.into_iter().map(AccountId).collect())
        }
    };
}

pub(crate) use tenant_queries;
