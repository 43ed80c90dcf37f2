//! Tenants beyond the tree of accounts: users, what each may see, and login sessions.
//!
//! Passwords and session tokens arrive hashed: the store never holds a secret a
//! database dump would give away, and hashing stays with the server that checks them.

use chrono::{DateTime, Utc};

use crate::Store;
use crate::error::Result;
use crate::types::{Account, AccountId, Page, Role, SessionInfo, User, UserId, Visibility};

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

    /// A user and their password hash, by login name without regard to case (`Admin` is
    /// `admin`).
    pub async fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>> {
        dispatch!(self.user_by_name(name))
    }

    /// Replaces a user's password hash and ends their sessions, all but `keep` (the
    /// session of a user changing their own password), in one transaction.
    pub async fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        dispatch!(self.set_password(user, password_hash, keep))
    }

    /// Gives a user another role and other accounts, and ends their sessions: what a
    /// session was allowed to see is decided again at the next login.
    pub async fn set_role(&self, user: UserId, role: Role, accounts: &[AccountId]) -> Result<()> {
        dispatch!(self.set_role(user, role, accounts))
    }

    /// Disables a user (ending their sessions) or enables them again.
    pub async fn set_disabled(&self, user: UserId, disabled: bool) -> Result<()> {
        dispatch!(self.set_disabled(user, disabled))
    }

    /// Deletes a user with their grants and sessions. A user whose name stands in history
    /// (alert approvals, work orders) is refused with [`crate::Error::Invalid`]: disable
    /// them instead, so the history keeps saying who.
    pub async fn delete_user(&self, user: UserId) -> Result<()> {
        dispatch!(self.delete_user(user))
    }

    /// A user's live sessions, oldest first.
    pub async fn sessions_of(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<SessionInfo>> {
        dispatch!(self.sessions_of(user, now))
    }

    /// Ends one of `user`'s sessions by its [`SessionInfo::id`], or
    /// [`crate::Error::NotFound`].
    pub async fn end_session(&self, user: UserId, id: &str) -> Result<()> {
        dispatch!(self.end_session(user, id))
    }

    /// Ends every session of `user`; how many there were.
    pub async fn end_sessions(&self, user: UserId) -> Result<u64> {
        dispatch!(self.end_sessions(user))
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

        use crate::backend::$backend::{BEGIN_WRITE, one_row, page_of, update_one};
        use crate::backend::{parse_word, word};
        use crate::error::{Context, Error, Result};
        use crate::types::{Account, AccountId, Page, Role, SessionInfo, User, UserId, Visibility};

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
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE lower(name) = lower($1)")
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
                disabled: row.try_get("disabled").context(context)?,
            })
        }

        pub(crate) async fn users(pool: &Pool<Db>, page: Page) -> Result<Vec<User>> {
            let select = sqlx::query("SELECT id, name, role, disabled FROM users ORDER BY id LIMIT $1 OFFSET $2");
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
            let select = sqlx::query("SELECT id, name, role, disabled FROM users WHERE id = $1");
            let row = one_row(pool, select.bind(id.0), id, || format!("reading {id}")).await?;
            let grants = grants(pool, id.0, id.0).await?;
            user_from_row(&row, &grants)
        }

        pub(crate) async fn user_by_name(pool: &Pool<Db>, name: &str) -> Result<Option<(User, String)>> {
            let Some(row) = sqlx::query("SELECT id, name, role, disabled, password_hash FROM users WHERE lower(name) = lower($1)")
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

        pub(crate) async fn set_password(
            pool: &Pool<Db>,
            user: UserId,
            password_hash: &str,
            keep: Option<&str>,
        ) -> Result<()> {
            let context = || format!("setting the password of {user}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(user.0)
                .bind(password_hash)
                .execute(&mut *tx)
                .await
                .context(context)?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: user.to_string() });
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> COALESCE($2, '')")
                .bind(user.0)
                .bind(keep)
                .execute(&mut *tx)
                .await
                .context(context)?;
            tx.commit().await.context(context)
        }

        pub(crate) async fn set_role(pool: &Pool<Db>, user: UserId, role: Role, accounts: &[AccountId]) -> Result<()> {
            let context = || format!("setting the role of {user}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let done = sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
                .bind(user.0)
                .bind(word(&role))
                .execute(&mut *tx)
                .await
                .context(context)?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: user.to_string() });
            }
            for statement in ["DELETE FROM user_accounts WHERE user_id = $1", "DELETE FROM sessions WHERE user_id = $1"] {
                sqlx::query(statement).bind(user.0).execute(&mut *tx).await.context(context)?;
            }
            for account in accounts {
                sqlx::query("INSERT INTO user_accounts (user_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(user.0)
                    .bind(account.0)
                    .execute(&mut *tx)
                    .await
                    .context(context)?;
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn set_disabled(pool: &Pool<Db>, user: UserId, disabled: bool) -> Result<()> {
            let context = || format!("disabling {user}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let done = sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
                .bind(user.0)
                .bind(disabled)
                .execute(&mut *tx)
                .await
                .context(context)?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: user.to_string() });
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            tx.commit().await.context(context)
        }

        pub(crate) async fn delete_user(pool: &Pool<Db>, user: UserId) -> Result<()> {
            let context = || format!("deleting {user}");
            let mut tx = pool.begin_with(BEGIN_WRITE).await.context(context)?;
            let traces: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM asm_answers WHERE user_id = $1) \
                 + (SELECT COUNT(*) FROM work_orders WHERE assignee_id = $1) \
                 + (SELECT COUNT(*) FROM work_order_history WHERE user_id = $1 OR assignee_id = $1)",
            )
            .bind(user.0)
            .fetch_one(&mut *tx)
            .await
            .context(context)?;
            if traces > 0 {
                return Err(Error::Invalid {
                    field: "user".into(),
                    message: format!(
                        "{user} answered alerts or worked on work orders ({traces} entries of history name them); \
                         disable them instead, so the history keeps saying who"
                    ),
                });
            }
            for statement in ["DELETE FROM user_accounts WHERE user_id = $1", "DELETE FROM sessions WHERE user_id = $1"] {
                sqlx::query(statement).bind(user.0).execute(&mut *tx).await.context(context)?;
            }
            let done = sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .context(context)?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: user.to_string() });
            }
            tx.commit().await.context(context)
        }

        pub(crate) async fn sessions_of(pool: &Pool<Db>, user: UserId, now: DateTime<Utc>) -> Result<Vec<SessionInfo>> {
            let context = || format!("listing the sessions of {user}");
            let rows: Vec<(String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
                "SELECT substr(token_hash, 1, 16), created_at, expires_at FROM sessions \
                 WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at, token_hash",
            )
            .bind(user.0)
            .bind(now)
            .fetch_all(pool)
            .await
            .context(context)?;
            Ok(rows
                .into_iter()
                .map(|(id, created_at, expires_at)| SessionInfo { id, created_at, expires_at })
                .collect())
        }

        pub(crate) async fn end_session(pool: &Pool<Db>, user: UserId, id: &str) -> Result<()> {
            let delete = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND substr(token_hash, 1, 16) = $2");
            let delete = delete.bind(user.0).bind(id);
            update_one(pool, delete, format!("session {id}"), || format!("ending a session of {user}")).await
        }

        pub(crate) async fn end_sessions(pool: &Pool<Db>, user: UserId) -> Result<u64> {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
                .context(|| format!("ending the sessions of {user}"))
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
                "SELECT u.id, u.name, u.role, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled",
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
