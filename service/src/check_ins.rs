//! Check-ins: the write path of a reading. Append-only, idempotent with a key, and
//! serialized per key result so that concurrent readings are all kept in order.

use crate::audit::Target;
use crate::events::{self, Event};
use crate::objectives::{guards, progress};
use crate::permissions::TokenScope;
use crate::rules::{scoring, validate};
use crate::scope::Scope;
use crate::tenant;
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id, permissions};
use entity::{Confidence, KeyResultKind, check_in, key_result, objective};
use sea_orm::{ActiveValue::Set, ColumnTrait};
use uuid::Uuid;

/// Longest idempotency key.
pub const MAX_IDEMPOTENCY_KEY: usize = 128;

/// A reading to record.
#[derive(Debug, Clone)]
pub struct NewCheckIn {
    pub key_result_id: Uuid,
    pub value: f64,
    pub confidence: Confidence,
    pub note: Option<String>,
    /// The same key from the same person on the same key result records once; a retry gets
    /// the first result.
    pub idempotency_key: Option<String>,
}

/// What a check-in changed.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub check_in: check_in::Model,
    pub key_result: key_result::Model,
    /// The objective and each ancestor it rolls up into, as stored now, nearest first.
    pub objectives: Vec<objective::Model>,
    /// True when this answered a retry with the first result.
    pub replayed: bool,
}

/// Records a reading on a key result: updates its current value, progress and
/// confidence, and the stored progress of its objective and every ancestor it rolls up
/// into, with an audit event, in one transaction.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), key_result.id = %input.key_result_id))]
pub async fn record(s: Scope<'_>, input: NewCheckIn) -> Result<Recorded> {
    permissions::require_writer(s.actor)?;
    let value = validate::number("value", input.value)?;
    let note = validate::text("note", input.note.as_deref())?;
    if let Some(key) = &input.idempotency_key {
        if key.trim().is_empty() {
            return Err(Error::BadUserInput("`idempotencyKey` must not be blank; omit it instead".into()));
        }
        validate::limit("idempotencyKey", key, MAX_IDEMPOTENCY_KEY)?;
    }
    let recorded = write(s, TokenScope::CheckinWrite, |w| Box::pin(insert(w, &input, value, note.clone()))).await?;
    if !recorded.replayed {
        metrics::counter!("trellis_check_ins_recorded_total").increment(1);
    }
    Ok(recorded)
}

async fn insert(w: &mut Work<'_>, input: &NewCheckIn, value: f64, note: Option<String>) -> Result<Recorded> {
    // The lock serializes check-ins on one key result, so `current` ends as the later one.
    let kr = tenant::lock::<key_result::Entity>(w.db(), w.org(), input.key_result_id).await?;
    let objective = tenant::get::<objective::Entity>(w.db(), w.org(), kr.objective_id).await?;
    permissions::require_member(w.db(), w.actor(), objective.team_id, "check in on its key results").await?;
    // A retry answers with the first result even if the cycle closed in between.
    if let Some(first) = replay(w, &kr, input).await? {
        return Ok(first);
    }
    if kr.archived_at.is_some() {
        return Err(Error::Conflict(format!("key result {:?} is archived and takes no check-ins", kr.title)));
    }
    let cycle = guards::writable(w.db(), w.org(), &objective).await?;
    fits(kr.kind, value)?;
    let now = w.now();
    let row = check_in::Model {
        id: new_id(),
        organization_id: w.org().id(),
        key_result_id: kr.id,
        value,
        confidence: input.confidence,
        note,
        author_id: w.actor().person_id(),
        idempotency_key: input.idempotency_key.clone(),
        recorded_at: now,
    };
    w.insert::<check_in::Entity>(row.clone()).await?;
    let key_result = apply(w, kr, &row).await?;
    w.audit(Target::CheckIn(row.id), "record", None::<&()>, Some(&row)).await?;
    // Last: from here the chain's rows stay locked until commit.
    let rollup = progress::refresh(w, objective.id).await?;
    w.announce(Event::CheckInRecorded {
        organization_id: row.organization_id,
        team_id: objective.team_id,
        key_result_id: key_result.id,
        check_in_id: row.id,
        value: row.value,
        confidence: row.confidence,
        at: now,
    });
    let progress = events::rollup_changed(w.db(), w.actor(), &key_result, &rollup, &cycle, now).await?;
    w.announce_all(progress);
    Ok(Recorded { check_in: row, key_result, objectives: rollup.chain, replayed: false })
}

/// Refuses a reading that a key result of `kind` cannot take: a milestone is 0 or 1.
pub fn fits(kind: KeyResultKind, value: f64) -> Result<()> {
    if kind == KeyResultKind::Milestone && value != 0.0 && value != 1.0 {
        return Err(Error::NotMeasurable("a milestone is done (1) or not (0): check in 0 or 1".into()));
    }
    Ok(())
}

/// The first result of a retried request: the caller's own check-in on this key result
/// with the same key.
async fn replay(w: &Work<'_>, kr: &key_result::Model, input: &NewCheckIn) -> Result<Option<Recorded>> {
    let Some(key) = &input.idempotency_key else { return Ok(None) };
    let first = tenant::scoped::<check_in::Entity>(w.org())
        .filter(check_in::Column::KeyResultId.eq(kr.id))
        .filter(check_in::Column::AuthorId.eq(w.actor().person_id()))
        .filter(check_in::Column::IdempotencyKey.eq(key))
        .one(w.db())
        .await?;
    let Some(first) = first else { return Ok(None) };
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if first.value != input.value || first.confidence != input.confidence || first.note.as_deref() != note {
        return Err(Error::Conflict(format!(
            "idempotency key {key:?} was already used for a different check-in on this key result; use a new key"
        )));
    }
    Ok(Some(Recorded { check_in: first, key_result: kr.clone(), objectives: Vec::new(), replayed: true }))
}

/// Moves the key result to the reading.
async fn apply(w: &Work<'_>, kr: key_result::Model, reading: &check_in::Model) -> Result<key_result::Model> {
    let progress = scoring::key_result_progress(scoring::Measure {
        kind: kr.kind,
        start: kr.start_value,
        target: kr.target_value,
        current: reading.value,
    });
    let count = kr.check_in_count + 1;
    let mut row: key_result::ActiveModel = kr.into();
    row.current_value = Set(reading.value);
    row.progress = Set(progress);
    row.latest_confidence = Set(Some(reading.confidence));
    row.check_in_count = Set(count);
    row.last_check_in_at = Set(Some(reading.recorded_at));
    row.updated_at = Set(reading.recorded_at);
    w.update::<key_result::Entity>(row).await
}
