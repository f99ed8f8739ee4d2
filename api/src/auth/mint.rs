//! Development tokens, signed with the HS256 secret (`trellis token`, tests, the demo).

use crate::config::Secret;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde::Serialize;
use serde_json::{Map, Value, json};
use service::OrgRole;
use std::time::Duration;

/// What a minted token says.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest<'a> {
    pub org: &'a str,
    pub sub: &'a str,
    /// The organization role; none for an integration (then `scope` says what it may do).
    pub role: Option<OrgRole>,
    /// Space-separated scopes (`okr:read checkin:write`).
    pub scope: Option<&'a str>,
    pub ttl: Duration,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    /// `iss` and `aud`, for servers that check them.
    pub issuer: Option<&'a str>,
    pub audience: Option<&'a str>,
}

impl<'a> TokenRequest<'a> {
    /// A person's token with `role`, valid for `ttl`.
    pub fn person(org: &'a str, sub: &'a str, role: OrgRole, ttl: Duration) -> Self {
        TokenRequest { org, sub, role: Some(role), ttl, ..TokenRequest::default() }
    }
}

/// Signs an HS256 token for `request` with `secret`.
pub fn mint(secret: &Secret, request: &TokenRequest<'_>) -> Result<String, jsonwebtoken::errors::Error> {
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(request.sub));
    claims.insert("org".into(), json!(request.org));
    claims.insert("exp".into(), json!(now + request.ttl.as_secs()));
    claims.insert("iat".into(), json!(now));
    let optional = [
        ("role", request.role.map(OrgRole::as_str)),
        ("scope", request.scope),
        ("email", request.email),
        ("name", request.name),
        ("iss", request.issuer),
        ("aud", request.audience),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            claims.insert(name.into(), Value::from(value));
        }
    }
    sign_claims(secret, &claims)
}

/// Signs any claims as an HS256 token (tests use it to craft bad tokens too).
pub fn sign_claims(secret: &Secret, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.expose().as_bytes()))
}
