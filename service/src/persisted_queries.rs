//! Persisted queries: GraphQL documents known by their SHA-256, for Apollo's automatic
//! persisted queries (a client sends the hash; the document only the first time) and for
//! the operator's allow-list (`--persisted-queries-only`).
//!
//! The documents live in the database, so that a hash registered through one replica is
//! known to all; each process keeps the ones it uses in memory for a minute. The store is
//! bounded: beyond its limit the least recently used automatic entries go (the operator's
//! never do). This is deployment data, not a tenant's: the same text is the same document
//! for every organization, so it is the one table read without an organization.

use chrono::{DateTime, Utc};
use entity::persisted_query::{self, Column, Entity as Stored};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Documents a process keeps in memory.
const MAX_CACHED: usize = 1_000;
/// How long a process trusts what it holds: an operator's removal reaches it by then.
const CACHE_FOR: Duration = Duration::from_secs(60);

/// The lowercase hex SHA-256 of `query`, as Apollo clients compute it.
pub fn hash(query: &str) -> String {
    Sha256::digest(query.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A stored document.
#[derive(Debug, Clone)]
pub struct Document {
    pub query: Arc<str>,
    /// On the operator's allow-list.
    pub allowed: bool,
}

/// The store, with this process's cache in front of it.
#[derive(Debug)]
pub struct PersistedQueries {
    db: DatabaseConnection,
    limit: u64,
    cached: RwLock<HashMap<String, (Document, Instant)>>,
}

impl PersistedQueries {
    /// The store in `db`, keeping at most `limit` automatic entries.
    pub fn new(db: DatabaseConnection, limit: u64) -> Self {
        PersistedQueries { db, limit, cached: RwLock::default() }
    }

    /// The document with `hash`, if any replica registered it.
    pub async fn find(&self, hash: &str, now: DateTime<Utc>) -> crate::Result<Option<Document>> {
        if let Some(document) = self.cached(hash) {
            return Ok(Some(document));
        }
        let Some(row) = Stored::find_by_id(hash.to_owned()).one(&self.db).await? else { return Ok(None) };
        let used = Stored::update_many().col_expr(Column::UsedAt, Expr::value(now)).filter(Column::Hash.eq(hash));
        used.exec(&self.db).await?;
        let document = Document { query: row.query.into(), allowed: row.allowed };
        self.cache(hash, document.clone());
        Ok(Some(document))
    }

    /// Whether the document with `hash` is on the operator's allow-list.
    pub async fn allows(&self, hash: &str, now: DateTime<Utc>) -> crate::Result<bool> {
        Ok(self.find(hash, now).await?.is_some_and(|document| document.allowed))
    }

    /// Registers `query` (whose hash the caller has checked) as an automatic entry.
    pub async fn remember(&self, hash: &str, query: &str, now: DateTime<Utc>) -> crate::Result<()> {
        if self.cached(hash).is_some() {
            return Ok(());
        }
        insert(&self.db, hash, query, false, now).await?;
        self.evict_beyond_limit().await?;
        self.cache(hash, Document { query: query.into(), allowed: false });
        Ok(())
    }

    /// Removes the least recently used automatic entries beyond the limit.
    async fn evict_beyond_limit(&self) -> crate::Result<()> {
        let last_kept = Stored::find()
            .filter(Column::Allowed.eq(false))
            .order_by_desc(Column::UsedAt)
            .offset(self.limit.saturating_sub(1))
            .limit(1)
            .one(&self.db)
            .await?;
        if let Some(last_kept) = last_kept {
            Stored::delete_many()
                .filter(Column::Allowed.eq(false))
                .filter(Column::UsedAt.lt(last_kept.used_at))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    fn cached(&self, hash: &str) -> Option<Document> {
        let cached = self.cached.read().ok()?;
        cached.get(hash).filter(|(_, at)| at.elapsed() < CACHE_FOR).map(|(document, _)| document.clone())
    }

    fn cache(&self, hash: &str, document: Document) {
        if let Ok(mut cached) = self.cached.write() {
            if cached.len() >= MAX_CACHED {
                cached.retain(|_, (_, at)| at.elapsed() < CACHE_FOR);
            }
            if cached.len() < MAX_CACHED {
                cached.insert(hash.to_owned(), (document, Instant::now()));
            }
        }
    }
}

/// Puts `query` on the operator's allow-list; its hash.
pub async fn allow(db: &DatabaseConnection, query: &str, now: DateTime<Utc>) -> crate::Result<String> {
    let hash = hash(query);
    insert(db, &hash, query, true, now).await?;
    Ok(hash)
}

/// The allow-list, oldest first.
pub async fn allowed(db: &DatabaseConnection) -> crate::Result<Vec<persisted_query::Model>> {
    Ok(Stored::find().filter(Column::Allowed.eq(true)).order_by_asc(Column::RegisteredAt).all(db).await?)
}

/// Takes `hash` off the store (and so off the allow-list); whether it was there.
pub async fn remove(db: &DatabaseConnection, hash: &str) -> crate::Result<bool> {
    Ok(Stored::delete_by_id(hash.to_owned()).exec(db).await?.rows_affected > 0)
}

/// Inserts a document; one already there stays, and becomes allowed when `allowed`.
async fn insert(
    db: &impl ConnectionTrait,
    hash: &str,
    query: &str,
    allowed: bool,
    now: DateTime<Utc>,
) -> crate::Result<()> {
    let row = persisted_query::ActiveModel {
        hash: Set(hash.to_owned()),
        query: Set(query.to_owned()),
        allowed: Set(allowed),
        registered_at: Set(now),
        used_at: Set(now),
    };
    let mut on_conflict = OnConflict::column(Column::Hash);
    if allowed {
        on_conflict.update_column(Column::Allowed);
    } else {
        on_conflict.do_nothing();
    }
    Stored::insert(row).on_conflict(on_conflict.to_owned()).try_insert().exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hash_is_apollos() {
        // sha256("{__typename}"), as apollo-link-persisted-queries sends it.
        assert_eq!(super::hash("{__typename}"), "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38");
    }
}
