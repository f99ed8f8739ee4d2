//! Tokens: verifying the bearer JWT of each request, and minting development tokens.
//!
//! A missing token and a bad token are different failures, and neither is ever treated
//! as anonymous access: both answer 401 with `UNAUTHENTICATED` and a reason.

use crate::config::Secret;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use service::{Identity, OrgRole};
use std::time::Duration;

/// The claims Trellis reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The person's subject, unique in the organization.
    pub sub: String,
    /// The organization's slug.
    pub org: String,
    /// `admin`, `member` or `viewer`.
    pub role: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Why a request is not authenticated; the text goes to the client.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send `Authorization: Bearer <JWT>`")]
    Missing,
    #[error("the Authorization header must be `Bearer <JWT>`")]
    NotBearer,
    #[error("the token has expired: get a new one")]
    Expired,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

/// Verifies tokens signed with the deployment's key.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for HS256 tokens signed with `secret`.
    pub fn hs256(secret: &Secret) -> Self {
        // Pinned algorithm: the token header's `alg` is never trusted.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 5;
        validation.validate_nbf = true;
        Verifier { key: DecodingKey::from_secret(secret.expose().as_bytes()), validation }
    }

    /// Verifies an `Authorization` header value and returns the identity it carries.
    pub fn verify_header(&self, header: Option<&str>) -> Result<Identity, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::NotBearer)?
            .trim();
        self.verify(token)
    }

    /// Verifies a raw token.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        use jsonwebtoken::errors::ErrorKind;
        let data = decode::<Claims>(token, &self.key, &self.validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::InvalidSignature => AuthError::Invalid("bad signature".into()),
            ErrorKind::MissingRequiredClaim(claim) => AuthError::Invalid(format!("missing claim `{claim}`")),
            ErrorKind::Json(_) => AuthError::Invalid("claims `sub`, `org`, `role` and `exp` are required".into()),
            _ => AuthError::Invalid("not a well-formed HS256 JWT".into()),
        })?;
        let claims = data.claims;
        let role = OrgRole::parse(&claims.role).ok_or_else(|| {
            AuthError::Invalid(format!("unknown role {:?}: use admin, member or viewer", claims.role))
        })?;
        if claims.sub.is_empty() || claims.org.is_empty() {
            return Err(AuthError::Invalid("`sub` and `org` must not be empty".into()));
        }
        Ok(Identity { org_slug: claims.org, subject: claims.sub, role, email: claims.email, name: claims.name })
    }
}

/// What a minted token says.
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    pub org: &'a str,
    pub sub: &'a str,
    pub role: OrgRole,
    pub ttl: Duration,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Signs an HS256 token for `request` with `secret`.
pub fn mint(secret: &Secret, request: &TokenRequest<'_>) -> Result<String, jsonwebtoken::errors::Error> {
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let claims = Claims {
        sub: request.sub.to_owned(),
        org: request.org.to_owned(),
        role: request.role.as_str().to_owned(),
        exp: now + request.ttl.as_secs(),
        iat: Some(now),
        email: request.email.map(str::to_owned),
        name: request.name.map(str::to_owned),
    };
    sign_claims(secret, &claims)
}

/// Signs any claims as an HS256 token (tests use it to craft bad tokens too).
pub fn sign_claims(secret: &Secret, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.expose().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("test-secret-with-enough-length")
    }

    fn request(ttl: Duration) -> TokenRequest<'static> {
        TokenRequest { org: "acme", sub: "ada", role: OrgRole::Member, ttl, email: None, name: None }
    }

    #[test]
    fn accepts_a_token_it_minted() {
        let token = mint(&secret(), &request(Duration::from_secs(60))).unwrap();
        let identity = Verifier::hs256(&secret()).verify_header(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!((identity.org_slug.as_str(), identity.subject.as_str()), ("acme", "ada"));
        assert_eq!(identity.role, OrgRole::Member);
    }

    #[test]
    fn rejects_when_auth_prefix_is_missing() {
        let token = mint(&secret(), &request(Duration::from_secs(60))).unwrap();
        assert!(matches!(Verifier::hs256(&secret()).verify_header(Some(&token)), Err(AuthError::NotBearer)));
    }

    #[test]
    fn rejects_a_token_signed_with_another_secret() {
        let token = mint(&Secret::new("another-secret-of-some-length"), &request(Duration::from_secs(60))).unwrap();
        assert!(matches!(Verifier::hs256(&secret()).verify(&token), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn rejects_an_unsigned_token() {
        // header {"alg":"none"} with valid-looking claims and no signature
        let token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhIiwib3JnIjoiYSIsInJvbGUiOiJhZG1pbiIsImV4cCI6OTk5OTk5OTk5OX0.";
        assert!(Verifier::hs256(&secret()).verify(token).is_err());
    }
}
