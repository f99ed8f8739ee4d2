//! Opaque global ids: base64url of `Type:uuid`. Decoding checks the type; the
//! organization check happens where the id is looked up, never here.

use crate::graphql::error::bad_input;
use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// The node types that have global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Organization,
    Person,
    Team,
    Membership,
    Cycle,
    Objective,
    KeyResult,
    CheckIn,
    Dependency,
    Initiative,
    AuditEvent,
    Insight,
    TeamWeekNote,
    Theme,
    Webhook,
    WebhookDelivery,
}

const KINDS: [Kind; 16] = [
    Kind::Organization,
    Kind::Person,
    Kind::Team,
    Kind::Membership,
    Kind::Cycle,
    Kind::Objective,
    Kind::KeyResult,
    Kind::CheckIn,
    Kind::Dependency,
    Kind::Initiative,
    Kind::AuditEvent,
    Kind::Insight,
    Kind::TeamWeekNote,
    Kind::Theme,
    Kind::Webhook,
    Kind::WebhookDelivery,
];

impl Kind {
    /// The GraphQL type name, which is also the id prefix.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Organization => "Organization",
            Kind::Person => "Person",
            Kind::Team => "Team",
            Kind::Membership => "Membership",
            Kind::Cycle => "Cycle",
            Kind::Objective => "Objective",
            Kind::KeyResult => "KeyResult",
            Kind::CheckIn => "CheckIn",
            Kind::Dependency => "Dependency",
            Kind::Initiative => "Initiative",
            Kind::AuditEvent => "AuditEvent",
            Kind::Insight => "Insight",
            Kind::TeamWeekNote => "TeamWeekNote",
            Kind::Theme => "Theme",
            Kind::Webhook => "Webhook",
            Kind::WebhookDelivery => "WebhookDelivery",
        }
    }
}

/// The global id of a `kind` row.
pub fn encode(kind: Kind, id: Uuid) -> ID {
    // Built on the stack: a tree request encodes thousands of these.
    let mut plain = [0u8; 48];
    let name = kind.name().as_bytes();
    plain[..name.len()].copy_from_slice(name);
    plain[name.len()] = b':';
    let end = name.len() + 1 + uuid::fmt::Simple::LENGTH;
    id.simple().encode_lower(&mut plain[name.len() + 1..end]);
    ID(URL_SAFE_NO_PAD.encode(&plain[..end]))
}

/// Splits a global id into its type and row id; `None` when it is not one of ours.
pub fn decode(id: &str) -> Option<(Kind, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (name, uuid) = text.split_once(':')?;
    let kind = KINDS.into_iter().find(|k| k.name() == name)?;
    Some((kind, Uuid::try_parse(uuid).ok()?))
}

/// The row id inside a global id that must be of `kind`.
pub fn expect(kind: Kind, id: &ID) -> async_graphql::Result<Uuid> {
    match decode(id) {
        Some((found, uuid)) if found == kind => Ok(uuid),
        Some((found, _)) => {
            Err(bad_input(format!("{:?} is a {} id where a {} id is expected", id.as_str(), found.name(), kind.name())))
        }
        None => Err(bad_input(format!("{:?} is not a Trellis id", id.as_str()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_type() {
        let uuid = Uuid::now_v7();
        let id = encode(Kind::Objective, uuid);
        assert_eq!(decode(&id), Some((Kind::Objective, uuid)));
        assert_eq!(expect(Kind::Objective, &id).unwrap(), uuid);
        assert!(expect(Kind::Team, &id).is_err());
        assert_eq!(decode("not-an-id"), None);
    }
}
