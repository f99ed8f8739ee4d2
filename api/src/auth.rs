//! Tokens: verifying the bearer JWT of each request, and minting development tokens.
//!
//! Production tokens are signed by an identity provider with keys from PEM files, a JWKS
//! file or a JWKS URL; the HS256 development secret is for trying Trellis out. Each key
//! accepts one algorithm, configured, never read from the token: `alg: none` and an
//! HS256 token "signed" with a public key are refused. With public keys configured,
//! `iss` and `aud` are required and checked; `exp` is always required; `nbf` and `iat`
//! are honoured, with a leeway.
//!
//! A missing token and a bad token are different failures, and neither is ever treated
//! as anonymous access: both answer 401 with `UNAUTHENTICATED` and a reason.

pub mod claims;
pub mod jwks;
pub mod keys;
pub mod mint;

pub use mint::{TokenRequest, mint, sign_claims};

use crate::config::{AuthSettings, Secret};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use claims::ClaimMapping;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use keys::{Key, KeySet};
use serde_json::{Map, Value};
use service::{Identity, OrgRole};

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

/// A verified token: who it names, and until when.
#[derive(Debug, Clone)]
pub struct Verified {
    pub identity: Identity,
    pub expires_at: DateTime<Utc>,
}

/// Verifies tokens with the deployment's keys.
pub struct Verifier {
    secret: Option<DecodingKey>,
    keys: KeySet,
    remote: Option<jwks::RemoteJwks>,
    issuer: Vec<String>,
    audience: Vec<String>,
    leeway: u64,
    mapping: ClaimMapping,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("keys", &self.keys.len()).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for HS256 tokens signed with `secret` only (development and tests).
    pub fn development(secret: &Secret) -> Self {
        Verifier {
            secret: Some(DecodingKey::from_secret(secret.expose().as_bytes())),
            keys: KeySet::default(),
            remote: None,
            issuer: Vec::new(),
            audience: Vec::new(),
            leeway: AuthSettings::DEFAULT_LEEWAY_SECS,
            mapping: ClaimMapping::default(),
        }
    }

    /// The verifier `settings` describe: it reads the key files and fetches the JWKS URL.
    pub async fn from_settings(settings: &AuthSettings) -> anyhow::Result<Self> {
        let mut keys = KeySet::default();
        for spec in &settings.jwt_public_keys {
            keys.push(keys::from_pem(spec)?);
        }
        if let Some(path) = &settings.jwt_jwks_file {
            keys.extend(keys::from_jwks_file(path)?);
        }
        let remote = match &settings.jwt_jwks_url {
            Some(url) => {
                let min_refetch = std::time::Duration::from_secs(settings.jwt_jwks_min_refetch_secs);
                Some(jwks::RemoteJwks::new(url, min_refetch).await?)
            }
            None => None,
        };
        let public = !keys.is_empty() || remote.is_some();
        if public && (settings.jwt_issuer.is_none() || settings.jwt_audience.is_empty()) {
            bail!("with public keys, set the expected issuer and audience (TRELLIS_JWT_ISSUER, TRELLIS_JWT_AUDIENCE)");
        }
        if !public && settings.jwt_secret.is_none() {
            bail!(
                "no key to verify tokens with: set TRELLIS_JWT_JWKS_URL (or a key file), or TRELLIS_JWT_SECRET for development"
            );
        }
        let default_role = OrgRole::parse(&settings.jwt_default_role).with_context(|| {
            format!("unknown default role {:?}: use admin, member or viewer", settings.jwt_default_role)
        })?;
        Ok(Verifier {
            secret: settings.jwt_secret.as_ref().map(|s| DecodingKey::from_secret(s.expose().as_bytes())),
            keys,
            remote,
            issuer: settings.jwt_issuer.iter().cloned().collect(),
            audience: settings.jwt_audience.clone(),
            leeway: settings.jwt_leeway_secs,
            mapping: ClaimMapping {
                subject: settings.jwt_subject_claim.clone(),
                organization: settings.jwt_org_claim.clone(),
                role: settings.jwt_role_claim.clone(),
                default_role,
            },
        })
    }

    /// Verifies an `Authorization` header value.
    pub async fn verify_header(&self, header: Option<&str>) -> Result<Verified, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::NotBearer)?
            .trim();
        self.verify(token).await
    }

    /// Verifies a raw token.
    pub async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let header = decode_header(token).map_err(|_| AuthError::Invalid("not a well-formed JWT".into()))?;
        let claims = match header.alg {
            Algorithm::HS256 => {
                let secret = self.secret.as_ref().ok_or_else(|| refused_algorithm(header.alg))?;
                self.decode(token, secret, Algorithm::HS256)?
            }
            Algorithm::HS384 | Algorithm::HS512 => return Err(refused_algorithm(header.alg)),
            alg => self.decode_with_keys(token, header.kid.as_deref(), alg).await?,
        };
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_i64)
            .and_then(|exp| DateTime::from_timestamp(exp, 0))
            .ok_or_else(|| AuthError::Invalid("`exp` must be a time in seconds".into()))?;
        self.refuse_future_issue(&claims)?;
        Ok(Verified { identity: self.mapping.identity(&claims)?, expires_at })
    }

    async fn decode_with_keys(
        &self,
        token: &str,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Map<String, Value>, AuthError> {
        let mut candidates: Vec<Key> = self.keys.candidates(kid, alg).into_iter().cloned().collect();
        if let (true, Some(remote)) = (candidates.is_empty(), &self.remote) {
            candidates = remote.candidates(kid, alg).await;
        }
        if candidates.is_empty() {
            return Err(match kid {
                Some(kid) => AuthError::Invalid(format!("no {alg:?} key with id {kid:?} is known")),
                None => refused_algorithm(alg),
            });
        }
        let mut last = AuthError::Invalid("bad signature".into());
        for key in candidates {
            match self.decode(token, &key.key, key.algorithm) {
                Ok(claims) => return Ok(claims),
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    fn decode(&self, token: &str, key: &DecodingKey, alg: Algorithm) -> Result<Map<String, Value>, AuthError> {
        use jsonwebtoken::errors::ErrorKind;
        let mut validation = Validation::new(alg);
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        if self.issuer.is_empty() {
            validation.iss = None;
        } else {
            validation.set_issuer(&self.issuer);
            validation.required_spec_claims.insert("iss".into());
        }
        if self.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.audience);
            validation.required_spec_claims.insert("aud".into());
        }
        let data = decode::<Map<String, Value>>(token, key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::Invalid("the token is not valid yet (`nbf`)".into()),
            ErrorKind::InvalidSignature => AuthError::Invalid("bad signature".into()),
            ErrorKind::InvalidIssuer => AuthError::Invalid("the token was issued by an issuer not trusted here".into()),
            ErrorKind::InvalidAudience => AuthError::Invalid("the token is meant for another audience".into()),
            ErrorKind::MissingRequiredClaim(claim) => AuthError::Invalid(format!("missing claim `{claim}`")),
            ErrorKind::InvalidAlgorithm => refused_algorithm(alg),
            _ => AuthError::Invalid("not a well-formed JWT".into()),
        })?;
        Ok(data.claims)
    }

    /// `iat` in the future (beyond the leeway) means a clock or a token that is wrong.
    fn refuse_future_issue(&self, claims: &Map<String, Value>) -> Result<(), AuthError> {
        let issued = claims.get("iat").and_then(Value::as_i64);
        let latest = Utc::now().timestamp() + self.leeway as i64;
        match issued {
            Some(iat) if iat > latest => {
                Err(AuthError::Invalid("the token says it was issued in the future (`iat`)".into()))
            }
            _ => Ok(()),
        }
    }
}

fn refused_algorithm(alg: Algorithm) -> AuthError {
    AuthError::Invalid(format!("tokens signed with {alg:?} are not accepted here"))
}

#[cfg(test)]
mod tests;
