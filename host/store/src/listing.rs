//! Whose rows a user may see, as SQL: every listing and lookup of the API adds this
//! condition to its own query instead of filtering what it read.
//!
//! A user sees the accounts granted and, below every granted dealer, its whole subtree.
//! The subtree is a recursive CTE over `accounts.parent_id` (indexed), which SQLite and
//! PostgreSQL both run; a closure table would save the recursion but has to be kept right
//! on every change of the tree, and walking 2,000 accounts costs well under a millisecond.

use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::Store;
use crate::error::Result;
use crate::types::{AccountId, Page, Visibility};

/// The CTE `visible (id, is_dealer)` up to the user id, which is bound after it.
const VISIBLE_HEAD: &str = "WITH RECURSIVE visible (id, is_dealer) AS ( \
     SELECT a.id, a.is_dealer FROM user_accounts g JOIN accounts a ON a.id = g.account_id \
     WHERE g.user_id = ";

/// The rest of the CTE: children of every visible dealer, recursively.
const VISIBLE_TAIL: &str = " UNION SELECT c.id, c.is_dealer FROM accounts c \
     JOIN visible v ON c.parent_id = v.id WHERE v.is_dealer) ";

/// `select` (which ends in a `WHERE` clause) preceded by the CTE a [`restrict`] needs.
pub(crate) fn select<DB>(visibility: Visibility, select: &str) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new("");
    if let Visibility::Granted(user) = visibility {
        query
            .push(VISIBLE_HEAD)
            .push_bind(user.0)
            .push(VISIBLE_TAIL);
    }
    query.push(select);
    query
}

/// Adds ` AND column IN (visible accounts)`; nothing for an administrator.
pub(crate) fn restrict<DB: Database>(
    query: &mut QueryBuilder<DB>,
    visibility: Visibility,
    column: &str,
) {
    if let Visibility::Granted(_) = visibility {
        query
            .push(" AND ")
            .push(column)
            .push(" IN (SELECT id FROM visible)");
    }
}

/// Adds ` AND column = value` when the filter is set.
pub(crate) fn equal<DB, T>(query: &mut QueryBuilder<DB>, column: &str, value: Option<T>)
where
    DB: Database,
    for<'t> T: Encode<'t, DB> + Type<DB>,
{
    compare(query, column, "=", value);
}

/// Adds ` AND column <op> value` when the filter is set.
pub(crate) fn compare<DB, T>(query: &mut QueryBuilder<DB>, column: &str, op: &str, value: Option<T>)
where
    DB: Database,
    for<'t> T: Encode<'t, DB> + Type<DB>,
{
    if let Some(value) = value {
        query
            .push(" AND ")
            .push(column)
            .push(" ")
            .push(op)
            .push(" ")
            .push_bind(value);
    }
}

/// Adds the list's stable order and the page's bounds.
pub(crate) fn page<DB>(query: &mut QueryBuilder<DB>, order_by: &str, page: Page)
where
    DB: Database,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let (limit, offset) = page.binds();
    query
        .push(" ORDER BY ")
        .push(order_by)
        .push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
}

impl Store {
    /// Whether rows of `account` may be shown: one walk up from the account to the root,
    /// so a check costs the tree's depth, not the size of the user's subtree.
    pub async fn sees(&self, visibility: Visibility, account: AccountId) -> Result<bool> {
        match visibility {
            Visibility::All => Ok(true),
            Visibility::Granted(user) => dispatch!(self.sees(user.0, account)),
        }
    }

    /// The accounts `visibility` covers, by id; `None` for an administrator (every account).
    pub async fn visible_accounts(&self, visibility: Visibility) -> Result<Option<Vec<AccountId>>> {
        match visibility {
            Visibility::All => Ok(None),
            Visibility::Granted(user) => dispatch!(self.visible_accounts(user)).map(Some),
        }
    }
}

macro_rules! visibility_queries {
    ($db:ty) => {
        use sqlx::Pool;

        use crate::error::{Context, Result};
        use crate::types::{AccountId, UserId, Visibility};

        type Db = $db;

        pub(crate) async fn sees(pool: &Pool<Db>, user: i64, account: AccountId) -> Result<bool> {
            sqlx::query_scalar(
                "WITH RECURSIVE up (id, parent_id) AS ( \
                   SELECT id, parent_id FROM accounts WHERE id = $2 \
                   UNION ALL \
                   SELECT a.id, a.parent_id FROM accounts a JOIN up ON a.id = up.parent_id \
                 ) SELECT EXISTS (SELECT 1 FROM up JOIN user_accounts g ON g.account_id = up.id \
                   JOIN accounts ga ON ga.id = g.account_id \
                   WHERE g.user_id = $1 AND (ga.id = $2 OR ga.is_dealer))",
            )
            .bind(user)
            .bind(account.0)
            .fetch_one(pool)
            .await
            .context(|| format!("checking whether user {user} sees {account}"))
        }

        pub(crate) async fn visible_accounts(pool: &Pool<Db>, user: UserId) -> Result<Vec<AccountId>> {
            let visibility = Visibility::Granted(user);
            let mut query = super::select::<Db>(visibility, "SELECT id FROM accounts WHERE TRUE");
            super::restrict(&mut query, visibility, "id");
            query.push(" ORDER BY id");
            let ids: Vec<i64> = query
                .build_query_scalar()
                .fetch_all(pool)
                .await
                .context(|| format!("finding the accounts user {user} may see"))?;
            Ok(ids.into_iter().map(AccountId).collect())
        }
    };
}

mod sqlite {
    visibility_queries!(sqlx::Sqlite);
}

mod postgres {
    visibility_queries!(sqlx::Postgres);
}
