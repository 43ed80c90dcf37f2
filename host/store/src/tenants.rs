//! Tenants beyond the tree of accounts: users, what each may see, and login sessions.
//!
//! Passwords and session tokens arrive hashed: the store never holds a secret a
//! database dump would give away, and hashing stays with the server that checks them.

use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::Result;
use crate::types::{Account, AccountId, Page, Role, User, UserId, Visibility};

impl Store {
    /// A page of the accounts `visibility` covers, by id.
    pub async fn accounts(&self, visibility: Visibility, page: Page) -> Result<Vec<Account>> {
        dispatch!(self.accounts(visibility, page))
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

    /// A page of the users, by id.
    pub async fn users(&self, page: Page) -> Result<Vec<User>> {
        dispatch!(self.users(page))
    }

    /// One user, or [`crate::Error::NotFound`].
    pub async fn user(&self, id: UserId) -> Result<User> {
        dispatch!(self.user(id))
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
}

macro_rules! tenant_queries {
    ($db:ty, $backend:ident) => {
        use chrono::{DateTime, Utc};
        use sqlx::{Pool, Row};

        use crate::backend::$backend::{one_row, page_of, update_one};
        use crate::backend::{parse_word, word};
        use crate::error::{Context, Error, Result};
        use crate::types::{Account, AccountId, Page, Role, User, UserId, Visibility};

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

        /// `check_in_seconds` is INTEGER, read as BIGINT on both backends.
        const ACCOUNT_COLUMNS: &str = "SELECT id, parent_id, name, is_dealer, \
             CAST(check_in_seconds AS BIGINT) AS check_in_seconds FROM accounts WHERE ";

        pub(crate) async fn accounts(pool: &Pool<Db>, visibility: Visibility, page: Page) -> Result<Vec<Account>> {
            let mut query = crate::listing::select::<Db>(visibility, &format!("{ACCOUNT_COLUMNS}TRUE"));
            crate::listing::restrict(&mut query, visibility, "id");
            crate::listing::page(&mut query, "id", page);
            query
                .build()
                .fetch_all(pool)
                .await
                .context(|| "listing accounts".into())?
                .iter()
                .map(account_from_row)
                .collect()
        }

        pub(crate) async fn account(pool: &Pool<Db>, id: AccountId) -> Result<Account> {
            let select = sqlx::query(sqlx::AssertSqlSafe(format!("{ACCOUNT_COLUMNS}id = $1")));
            let row = one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?;
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
            let update = sqlx::query("UPDATE accounts SET check_in_seconds = $2 WHERE id = $1");
            let update = update.bind(account.0).bind(i32::try_from(seconds).unwrap_or(i32::MAX));
            update_one(pool, update, account, || format!("setting the check-in interval of {account}")).await
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

        /// The grants of the users with ids `first..=last`.
        async fn grants(pool: &Pool<Db>, first: i64, last: i64) -> Result<Vec<(i64, AccountId)>> {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT user_id, account_id FROM user_accounts WHERE user_id BETWEEN $1 AND $2 \
                 ORDER BY user_id, account_id",
            )
            .bind(first)
            .bind(last)
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

        pub(crate) async fn users(pool: &Pool<Db>, page: Page) -> Result<Vec<User>> {
            let select = sqlx::query("SELECT id, name, role FROM users ORDER BY id LIMIT $1 OFFSET $2");
            let rows = page_of(pool, select, page, || "listing users".into()).await?;
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                return Ok(Vec::new());
            };
            let first: i64 = first.try_get("id").context(|| "listing users".into())?;
            let last: i64 = last.try_get("id").context(|| "listing users".into())?;
            let grants = grants(pool, first, last).await?;
            rows.iter().map(|row| user_from_row(row, &grants)).collect()
        }

        pub(crate) async fn user(pool: &Pool<Db>, id: UserId) -> Result<User> {
            let select = sqlx::query("SELECT id, name, role FROM users WHERE id = $1");
            let row = one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?;
            let grants = grants(pool, id.0, id.0).await?;
            user_from_row(&row, &grants)
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
            let grants = grants(pool, id, id).await?;
            let hash: String = row.try_get("password_hash").context(|| format!("reading user `{name}`"))?;
            Ok(Some((user_from_row(&row, &grants)?, hash)))
        }

        pub(crate) async fn set_password(pool: &Pool<Db>, user: UserId, password_hash: &str) -> Result<()> {
            let update = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1");
            let update = update.bind(user.0).bind(password_hash);
            update_one(pool, update, user, || format!("setting the password of {user}")).await
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
            let grants = grants(pool, id, id).await?;
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
    };
}

mod sqlite {
    tenant_queries!(sqlx::Sqlite, sqlite);
}

mod postgres {
    tenant_queries!(sqlx::Postgres, postgres);
}
