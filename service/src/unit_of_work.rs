//! The one unit of work every write goes through.
//!
//! [`write()`] opens the transaction (IMMEDIATE on SQLite, after the writer's turn), hands
//! the write function a [`Work`] to read and write through, and then announces the
//! change events the function queued (`pg_notify` inside the transaction on PostgreSQL),
//! writes their webhook deliveries (the durable outbox), commits, and delivers them to
//! this process's subscribers (SQLite). A deadlock or serialization failure, recognised
//! by its SQLSTATE, runs the whole write again. A write function therefore holds only
//! its rules and its rows.

use crate::audit::{self, Target};
use crate::cycles::frozen::{InCycle, Touched};
use crate::db::{self, Write};
use crate::events::{Event, Outbox};
use crate::scope::Scope;
use crate::tenant::{self, Org, one_of};
use crate::{Actor, Clock, Result, permissions};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ConnectionTrait, DbErr, IntoActiveModel, RuntimeErr};
use std::sync::{Mutex, OnceLock};
use uuid::Uuid;

/// How often a write the database aborted as a deadlock victim or for a serialization
/// conflict runs again before the error reaches the caller.
const RETRIES: u32 = 3;

/// One write in progress: the transaction, who writes, when, and the events to announce.
pub struct Work<'a> {
    txn: Write,
    actor: &'a Actor,
    clock: &'a dyn Clock,
    now: OnceLock<DateTime<Utc>>,
    outbox: Outbox,
    touched: Mutex<Touched>,
}

impl<'a> Work<'a> {
    async fn begin(s: Scope<'a>) -> Result<Self> {
        let txn = db::begin_write(s.db).await?;
        let outbox = s.bus.outbox();
        Ok(Work { txn, actor: s.actor, clock: s.clock, now: OnceLock::new(), outbox, touched: Mutex::default() })
    }

    /// The transaction: every read and write of the unit goes through it.
    pub fn db(&self) -> &Write {
        &self.txn
    }

    /// Who writes.
    pub fn actor(&self) -> &'a Actor {
        self.actor
    }

    /// The writer's organization.
    pub fn org(&self) -> Org {
        self.actor.org()
    }

    /// The time of the write: every row it stamps carries the same instant. It is read
    /// on first use, after the write has taken its locks, so that of two writers queued
    /// on one row the later one also carries the later time.
    pub fn now(&self) -> DateTime<Utc> {
        *self.now.get_or_init(|| self.clock.now())
    }

    /// Records `verb` (e.g. `activate`) done to `target` in the audit trail, with the row
    /// before and after where there is one, inside the transaction.
    pub async fn audit<B: serde::Serialize, A: serde::Serialize>(
        &self,
        target: Target,
        verb: &'static str,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<()> {
        let change = audit::Change::by(self.actor, target, verb, before, after);
        audit::record(&self.txn, change, self.now()).await
    }

    /// Records that `verb` (e.g. `import`) made each of `created`, in a few statements
    /// however many there are.
    pub async fn audit_created<'r, A: serde::Serialize + 'r>(
        &self,
        verb: &'static str,
        created: impl IntoIterator<Item = (Target, &'r A)>,
    ) -> Result<()> {
        let changes = created
            .into_iter()
            .map(|(target, row)| audit::Change::by(self.actor, target, verb, None::<&()>, Some(row)));
        audit::record_many(&self.txn, self.org(), changes.collect(), self.now()).await
    }

    /// Queues an event; it is announced only if the unit commits.
    pub fn announce(&mut self, event: Event) {
        self.outbox.push(event);
    }

    /// Queues several events.
    pub fn announce_all(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.outbox.push(event);
        }
    }

    /// Inserts a new row into the writer's organization.
    pub async fn insert<E: InCycle>(&self, row: E::Model) -> Result<()> {
        self.note::<E>(&row.clone().into_active_model(), true);
        tenant::insert::<E>(&self.txn, self.org(), row).await
    }

    /// Inserts many new rows, in statements of at most `chunk` rows.
    pub async fn insert_many<E: InCycle>(&self, rows: impl IntoIterator<Item = E::Model>, chunk: usize) -> Result<()> {
        let rows: Vec<E::Model> = rows.into_iter().collect();
        for row in &rows {
            self.note::<E>(&row.clone().into_active_model(), true);
        }
        tenant::insert_many::<E>(&self.txn, self.org(), rows, chunk).await
    }

    /// Stores the changed columns of `row`; returns the row as stored.
    pub async fn update<E: InCycle>(&self, row: E::ActiveModel) -> Result<E::Model> {
        self.note::<E>(&row, false);
        tenant::update::<E>(&self.txn, self.org(), row).await
    }

    /// Sets `columns` on the rows `ids`.
    pub async fn update_ids<E: InCycle>(&self, ids: &[Uuid], columns: Vec<(E::Column, SimpleExpr)>) -> Result<u64> {
        self.touch(ids.iter().filter_map(|id| E::itself(*id)));
        let backend = self.txn.get_database_backend();
        tenant::update_where::<E>(&self.txn, self.org(), columns, one_of(backend, E::ID, ids)).await
    }

    /// Deletes the row `id`, or answers NOT_FOUND.
    pub async fn delete<E: InCycle>(&self, id: Uuid) -> Result<()> {
        self.touch(E::itself(id));
        tenant::delete::<E>(&self.txn, self.org(), id).await
    }

    /// This write closes or reopens `cycle_id`, so it may change that cycle's rows.
    pub fn changes_state_of(&self, cycle_id: Uuid) {
        self.touched_mut(|t| t.changing_state_of(cycle_id));
    }

    fn note<E: InCycle>(&self, row: &E::ActiveModel, inserting: bool) {
        self.touch(E::anchors(row, inserting));
    }

    fn touch(&self, anchors: impl IntoIterator<Item = crate::cycles::frozen::Anchor>) {
        self.touched_mut(|t| t.add(anchors));
    }

    fn touched_mut(&self, f: impl FnOnce(&mut Touched)) {
        // Nothing panics while holding it; a poisoned lock still holds sound data.
        let mut touched = self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut touched);
    }

    async fn commit(self) -> Result<()> {
        let now = self.now();
        let Work { txn, outbox, touched, actor, .. } = self;
        let touched = touched.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        touched.refuse_closed(&txn, actor.org()).await?;
        crate::webhooks::outbox::enqueue(&txn, actor.org(), outbox.events(), now).await?;
        outbox.send_in(&txn).await?;
        txn.commit().await?;
        outbox.committed();
        Ok(())
    }
}

/// Runs `body` as one unit of work for the caller in `s`, if the caller's token has the
/// `needed` scope: all of it commits, with its audit rows and events, or none of it does.
/// `body` may run more than once (see [`is_transient`]), so it must do all its work
/// through the [`Work`] it is given.
pub async fn write<'a, T, F>(s: Scope<'a>, needed: permissions::TokenScope, mut body: F) -> Result<T>
where
    F: for<'w> FnMut(&'w mut Work<'a>) -> BoxFuture<'w, Result<T>>,
{
    permissions::require_scope(s.actor, needed)?;
    let mut attempt = 0;
    loop {
        let result = match Work::begin(s).await {
            Ok(mut work) => match body(&mut work).await {
                Ok(value) => work.commit().await.map(|()| value),
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        };
        match result {
            Err(crate::Error::Database(error)) if attempt < RETRIES && is_transient(&error) => {
                attempt += 1;
                tracing::warn!(error = %error, attempt, "write aborted by the database; running it again");
            }
            result => return result,
        }
    }
}

/// Whether the database aborted the transaction to break a deadlock (SQLSTATE 40P01) or
/// for a serialization conflict (40001): running it again sees the other writer's change.
pub fn is_transient(error: &DbErr) -> bool {
    matches!(sqlstate(error).as_deref(), Some("40P01" | "40001"))
}

/// The SQLSTATE of a database error, when the database sent one.
fn sqlstate(error: &DbErr) -> Option<String> {
    let (DbErr::Exec(RuntimeErr::SqlxError(error))
    | DbErr::Query(RuntimeErr::SqlxError(error))
    | DbErr::Conn(RuntimeErr::SqlxError(error))) = error
    else {
        return None;
    };
    error.as_database_error()?.code().map(|code| code.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sqlx::error::{DatabaseError, ErrorKind};
    use std::borrow::Cow;
    use std::sync::Arc;

    /// A database error with a chosen SQLSTATE, as a driver reports one.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "error {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl DatabaseError for Coded {
        fn message(&self) -> &str {
            "a database error"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    fn with_code(code: &'static str) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sea_orm::sqlx::Error::Database(Box::new(Coded(code))))))
    }

    #[test]
    fn deadlocks_and_serialization_failures_are_transient_by_their_sqlstate() {
        assert!(is_transient(&with_code("40P01")));
        assert!(is_transient(&with_code("40001")));
        assert!(!is_transient(&with_code("23505")), "a unique violation will fail again");
    }

    #[test]
    fn an_error_that_only_says_deadlock_in_its_text_is_not_transient() {
        assert!(!is_transient(&DbErr::Custom("deadlock detected (40P01)".into())));
        assert!(!is_transient(&DbErr::RecordNotFound("x".into())));
    }
}
