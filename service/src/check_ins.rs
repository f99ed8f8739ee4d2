//! Check-ins: the write path of a reading. Append-only, idempotent with a key, and
//! serialized per key result so that concurrent readings are all kept in order.

use crate::events::{self, Event};
use crate::scope::Scope;
use crate::{Error, Result, audit, db, guards, new_id, permissions, progress, scoring, tenant, validate};
use entity::{Confidence, KeyResultKind, check_in, key_result, objective};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
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
pub async fn record(s: Scope<'_>, input: NewCheckIn) -> Result<Recorded> {
    db::retry(|| record_once(s, &input)).await
}

async fn record_once(s: Scope<'_>, input: &NewCheckIn) -> Result<Recorded> {
    permissions::require_writer(s.actor)?;
    let value = validate::number("value", input.value)?;
    let note = validate::text("note", input.note.as_deref())?;
    if let Some(key) = &input.idempotency_key {
        if key.trim().is_empty() {
            return Err(Error::BadUserInput("`idempotencyKey` must not be blank; omit it instead".into()));
        }
        validate::limit("idempotencyKey", key, MAX_IDEMPOTENCY_KEY)?;
    }
    let txn = db::begin_write(s.db).await?;
    // The lock serializes check-ins on one key result, so `current` ends as the later one.
    let kr = tenant::lock::<key_result::Entity>(&txn, s.actor, input.key_result_id).await?;
    let objective = tenant::get::<objective::Entity>(&txn, s.actor, kr.objective_id).await?;
    permissions::require_member(&txn, s.actor, objective.team_id, "check in on its key results").await?;
    // A retry answers with the first result even if the cycle closed in between.
    if let Some(first) = replay(&txn, s, &kr, input).await? {
        return Ok(first);
    }
    if kr.archived_at.is_some() {
        return Err(Error::Conflict(format!("key result {:?} is archived and takes no check-ins", kr.title)));
    }
    let cycle = guards::writable(&txn, s.actor, &objective).await?;
    if kr.kind == KeyResultKind::Milestone && value != 0.0 && value != 1.0 {
        return Err(Error::NotMeasurable("a milestone is done (1) or not (0): check in 0 or 1".into()));
    }
    let now = s.clock.now();
    let row = check_in::Model {
        id: new_id(),
        organization_id: s.actor.organization_id,
        key_result_id: kr.id,
        value,
        confidence: input.confidence,
        note,
        author_id: s.actor.person_id,
        idempotency_key: input.idempotency_key.clone(),
        recorded_at: now,
    };
    check_in::Entity::insert(check_in::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    let key_result = apply(&txn, kr, &row).await?;
    audit::log(&txn, s.actor, "check_in.record", ("check_in", row.id), None::<&()>, Some(&row), now).await?;
    // Last: from here the chain's rows stay locked until commit.
    let rollup = progress::refresh(&txn, s.actor.organization_id, objective.id, now).await?;
    let mut outbox = s.bus.outbox();
    outbox.push(Event::CheckInRecorded {
        organization_id: s.actor.organization_id,
        team_id: objective.team_id,
        key_result_id: key_result.id,
        check_in_id: row.id,
        value: row.value,
        confidence: row.confidence,
        at: now,
    });
    if let Some(event) = events::rollup_changed(&txn, s.actor, &key_result, &rollup, &cycle, now).await? {
        outbox.push(event);
    }
    outbox.send_in(&txn).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(Recorded { check_in: row, key_result, objectives: rollup.chain, replayed: false })
}

/// The first result of a retried request: the caller's own check-in on this key result
/// with the same key.
async fn replay(
    db: &impl ConnectionTrait,
    s: Scope<'_>,
    kr: &key_result::Model,
    input: &NewCheckIn,
) -> Result<Option<Recorded>> {
    let Some(key) = &input.idempotency_key else { return Ok(None) };
    let first = check_in::Entity::find()
        .filter(check_in::Column::KeyResultId.eq(kr.id))
        .filter(check_in::Column::AuthorId.eq(s.actor.person_id))
        .filter(check_in::Column::IdempotencyKey.eq(key))
        .one(db)
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
pub(crate) async fn apply(
    db: &impl ConnectionTrait,
    kr: key_result::Model,
    reading: &check_in::Model,
) -> Result<key_result::Model> {
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
    Ok(row.update(db).await?)
}
