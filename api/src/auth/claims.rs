//! Which claims carry who the caller is: identity providers put the organization and
//! the role under names of their own (`https://example.com/org`), so the names are
//! configured; a missing role claim means the configured default role.

use crate::auth::AuthError;
use serde_json::{Map, Value};
use service::permissions::TokenScope;
use service::{Identity, OrgRole};

/// The claim names to read, and the role when the role claim is absent.
#[derive(Debug, Clone)]
pub struct ClaimMapping {
    pub subject: String,
    pub organization: String,
    pub role: String,
    pub default_role: OrgRole,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        ClaimMapping {
            subject: "sub".into(),
            organization: "org".into(),
            role: "role".into(),
            default_role: OrgRole::Viewer,
        }
    }
}

impl ClaimMapping {
    /// The identity verified claims describe. A token that carries scopes of ours and no
    /// role claim is an integration: its `sub` names it, and its scopes are all it has.
    pub fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, AuthError> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        let subject = text(&self.subject).ok_or_else(|| missing(&self.subject))?;
        let org = text(&self.organization).ok_or_else(|| missing(&self.organization))?;
        let scope = scope(claims);
        let role = match claims.get(&self.role) {
            None | Some(Value::Null) => None,
            Some(value) => Some(role(value)?),
        };
        let integration = role.is_none() && scope.is_some();
        let role = role.unwrap_or(match scope {
            Some(TokenScope::Admin) if integration => OrgRole::Admin,
            Some(TokenScope::OkrRead) | None => self.default_role,
            Some(_) if integration => OrgRole::Member,
            Some(_) => self.default_role,
        });
        Ok(Identity {
            org_slug: org.to_owned(),
            subject: subject.to_owned(),
            role,
            email: text("email").map(str::to_owned),
            name: text("name").map(str::to_owned),
            scope,
            integration,
        })
    }
}

fn missing(claim: &str) -> AuthError {
    AuthError::Invalid(format!("the token has no `{claim}` claim"))
}

/// The role a claim names: a string, or a list of which the highest known role counts.
fn role(value: &Value) -> Result<OrgRole, AuthError> {
    let unknown = || AuthError::Invalid(format!("unknown role {value}: use admin, member or viewer"));
    match value {
        Value::String(name) => OrgRole::parse(name).ok_or_else(unknown),
        Value::Array(names) => {
            names.iter().filter_map(Value::as_str).filter_map(OrgRole::parse).max().ok_or_else(unknown)
        }
        _ => Err(unknown()),
    }
}

/// The widest of our scopes in `scope` (space-separated, OAuth 2) or `scp` (a list or a
/// string, as some providers send it).
fn scope(claims: &Map<String, Value>) -> Option<TokenScope> {
    let words = |value: Option<&Value>| -> Vec<String> {
        match value {
            Some(Value::String(text)) => text.split_whitespace().map(str::to_owned).collect(),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    };
    let mut all = words(claims.get("scope"));
    all.extend(words(claims.get("scp")));
    TokenScope::widest(all.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(mapping: &ClaimMapping, claims: Value) -> Result<Identity, AuthError> {
        mapping.identity(claims.as_object().unwrap())
    }

    #[test]
    fn namespaced_claims_carry_the_organization_and_the_role() {
        let mapping = ClaimMapping {
            organization: "https://example.com/org".into(),
            role: "https://example.com/roles".into(),
            ..ClaimMapping::default()
        };
        let found = identity(
            &mapping,
            json!({ "sub": "auth0|42", "https://example.com/org": "acme", "https://example.com/roles": ["member", "admin", "x"] }),
        )
        .unwrap();
        assert_eq!((found.org_slug.as_str(), found.subject.as_str(), found.role), ("acme", "auth0|42", OrgRole::Admin));
        assert!(!found.integration && found.scope.is_none());
    }

    #[test]
    fn a_missing_role_claim_means_the_default_role() {
        let found = identity(&ClaimMapping::default(), json!({ "sub": "ada", "org": "acme", "scope": "openid email" }))
            .unwrap();
        assert_eq!(found.role, OrgRole::Viewer);
        assert!(!found.integration, "scopes that are not ours make no integration");
        let unknown = identity(&ClaimMapping::default(), json!({ "sub": "ada", "org": "acme", "role": "owner" }));
        assert!(matches!(unknown, Err(AuthError::Invalid(_))));
    }

    #[test]
    fn a_scoped_token_without_a_role_is_an_integration_limited_to_its_scopes() {
        let sync = identity(
            &ClaimMapping::default(),
            json!({ "sub": "crm-sync", "org": "acme", "scope": "openid checkin:write" }),
        )
        .unwrap();
        assert!(sync.integration);
        assert_eq!((sync.scope, sync.role), (Some(TokenScope::CheckinWrite), OrgRole::Member));
        let admin =
            identity(&ClaimMapping::default(), json!({ "sub": "hris", "org": "acme", "scp": ["admin"] })).unwrap();
        assert_eq!((admin.scope, admin.role), (Some(TokenScope::Admin), OrgRole::Admin));
        let reader =
            identity(&ClaimMapping::default(), json!({ "sub": "bi", "org": "acme", "scope": "okr:read" })).unwrap();
        assert_eq!(reader.role, OrgRole::Viewer);
        let person = identity(
            &ClaimMapping::default(),
            json!({ "sub": "ada", "org": "acme", "role": "admin", "scope": "okr:read" }),
        )
        .unwrap();
        assert!(!person.integration);
        assert_eq!((person.role, person.scope), (OrgRole::Admin, Some(TokenScope::OkrRead)));
    }

    #[test]
    fn subject_and_organization_are_required() {
        assert!(identity(&ClaimMapping::default(), json!({ "org": "acme" })).is_err());
        assert!(identity(&ClaimMapping::default(), json!({ "sub": "ada", "org": " " })).is_err());
    }
}
