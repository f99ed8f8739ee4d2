//! What a delivery says: the public JSON of a change, with the API's global ids, as
//! `{"type", "timestamp", "data"}` (the Standard Webhooks shape). It is rendered from the
//! stored event each time, the same bytes each time, so every attempt carries one body.

use crate::graphql::ids::{Kind, encode};
use entity::webhook_delivery;
use sea_orm::ActiveEnum;
use serde_json::{Value, json};
use service::events::Event;
use service::insights::Subject;
use service::webhooks::EventType;
use service::webhooks::insights::InsightNotice;

/// The `webhook-id` header: the event's, the same for every endpoint and every attempt.
pub fn message_id(delivery: &webhook_delivery::Model) -> String {
    format!("msg_{}", delivery.event_id.simple())
}

/// The global id of what the delivery is about.
pub fn subject(delivery: &webhook_delivery::Model) -> async_graphql::ID {
    let kind = match EventType::parse(&delivery.event_type) {
        Some(EventType::CheckInRecorded) => Kind::KeyResult,
        Some(EventType::CycleActivated | EventType::CycleClosed) => Kind::Cycle,
        Some(EventType::InsightRaised | EventType::InsightCleared) => Kind::Insight,
        Some(EventType::ObjectiveChanged) | None => Kind::Objective,
    };
    encode(kind, delivery.subject_id)
}

/// The delivery's body.
pub fn render(delivery: &webhook_delivery::Model) -> Value {
    let stored = delivery.event.clone();
    let data = match EventType::parse(&delivery.event_type) {
        Some(EventType::InsightRaised | EventType::InsightCleared) => {
            serde_json::from_value::<InsightNotice>(stored.clone()).map(|n| insight(&n))
        }
        _ => serde_json::from_value::<Event>(stored.clone()).map(|e| data(&e)),
    };
    // Written by this server: unreadable only after a downgrade.
    let data = data.unwrap_or(stored);
    json!({
        "type": delivery.event_type,
        "timestamp": delivery.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
}

/// An insight as the API's `Insight` shows it.
fn insight(notice: &InsightNotice) -> Value {
    let i = &notice.insight;
    let subject = match i.subject {
        Subject::KeyResult(s) => id(Kind::KeyResult, s),
        Subject::Objective(s) => id(Kind::Objective, s),
        Subject::Team(s) => id(Kind::Team, s),
        Subject::Dependency(s) => id(Kind::Dependency, s),
        Subject::Theme(s) => id(Kind::Theme, s),
    };
    json!({
        "insightId": id(Kind::Insight, i.id()),
        "kind": screaming(&i.kind),
        "severity": screaming(&i.severity),
        "subjectId": subject,
        "teamId": id(Kind::Team, i.team_id),
        "objectiveId": i.objective_id.map(|o| id(Kind::Objective, o)),
        "keyResultId": i.key_result_id.map(|k| id(Kind::KeyResult, k)),
        "cycleId": id(Kind::Cycle, notice.cycle_id),
        "message": i.message,
        "suggestion": i.suggestion,
        "since": i.since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// `BehindPace` as the schema's enums name it: `BEHIND_PACE`.
fn screaming(value: &impl serde::Serialize) -> String {
    let name = serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn id(kind: Kind, uuid: uuid::Uuid) -> Value {
    Value::String(encode(kind, uuid).0)
}

fn data(event: &Event) -> Value {
    match event {
        Event::CheckInRecorded { team_id, key_result_id, check_in_id, value, confidence, at, .. } => json!({
            "checkInId": id(Kind::CheckIn, *check_in_id),
            "keyResultId": id(Kind::KeyResult, *key_result_id),
            "teamId": id(Kind::Team, *team_id),
            "value": value,
            "confidence": confidence.to_value(),
            "recordedAt": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }),
        Event::ObjectiveChanged { cycle_id, team_id, objective_id, change, .. } => json!({
            "objectiveId": id(Kind::Objective, *objective_id),
            "teamId": id(Kind::Team, *team_id),
            "cycleId": id(Kind::Cycle, *cycle_id),
            "change": change,
        }),
        Event::Changed { id: cycle_id, change, .. } => json!({
            "cycleId": id(Kind::Cycle, *cycle_id),
            "change": change,
        }),
        Event::ProgressChanged { .. } | Event::Resync { .. } => json!({}),
    }
}
