//! What a delivery says: the public JSON of a change, with the API's global ids, as
//! `{"type", "timestamp", "data"}` (the Standard Webhooks shape). It is rendered from the
//! stored event each time, the same bytes each time, so every attempt carries one body.

use crate::graphql::ids::{Kind, encode};
use entity::webhook_delivery;
use sea_orm::ActiveEnum;
use serde_json::{Value, json};
use service::events::Event;
use service::webhooks::EventType;

/// The `webhook-id` header: the event's, the same for every endpoint and every attempt.
pub fn message_id(delivery: &webhook_delivery::Model) -> String {
    format!("msg_{}", delivery.event_id.simple())
}

/// The global id of what the delivery is about.
pub fn subject(delivery: &webhook_delivery::Model) -> async_graphql::ID {
    let kind = match EventType::parse(&delivery.event_type) {
        Some(EventType::CheckInRecorded) => Kind::KeyResult,
        Some(EventType::CycleActivated | EventType::CycleClosed) => Kind::Cycle,
        Some(EventType::ObjectiveChanged) | None => Kind::Objective,
    };
    encode(kind, delivery.subject_id)
}

/// The delivery's body.
pub fn render(delivery: &webhook_delivery::Model) -> Value {
    let data = match serde_json::from_value::<Event>(delivery.event.clone()) {
        Ok(event) => data(&event),
        // Written by this server from an `Event`: unreadable only after a downgrade.
        Err(_) => delivery.event.clone(),
    };
    json!({
        "type": delivery.event_type,
        "timestamp": delivery.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
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
