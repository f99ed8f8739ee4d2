//! Public keys that sign tokens, each with the one algorithm it is accepted for: read
//! from PEM files (`path` or `path=ALG`) or from a JWKS document. A key's algorithm is
//! configured (or, for a JWK, its `alg`), never taken from a token.

use anyhow::{Context, bail};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::path::Path;

/// One verification key.
#[derive(Clone)]
pub struct Key {
    /// The `kid` tokens name it by, if any.
    pub kid: Option<String>,
    /// The only algorithm tokens signed with it may use.
    pub algorithm: Algorithm,
    /// The key itself.
    pub key: DecodingKey,
}

/// A set of keys, looked up by `kid` and algorithm.
#[derive(Clone, Default)]
pub struct KeySet(Vec<Key>);

impl KeySet {
    /// The keys a token with `kid` and `alg` may have been signed with: the key named by
    /// its `kid`, or, for a token without one, every key of that algorithm.
    pub fn candidates(&self, kid: Option<&str>, alg: Algorithm) -> Vec<&Key> {
        self.0.iter().filter(|k| k.algorithm == alg && (kid.is_none() || k.kid.as_deref() == kid)).collect()
    }

    /// Whether a key with this `kid` is in the set (whatever its algorithm).
    pub fn knows(&self, kid: &str) -> bool {
        self.0.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the keys of `other`.
    pub fn extend(&mut self, other: KeySet) {
        self.0.extend(other.0);
    }

    /// Adds one key.
    pub fn push(&mut self, key: Key) {
        self.0.push(key);
    }
}

/// The asymmetric algorithms Trellis accepts.
const ACCEPTED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn accepted(name: &str) -> anyhow::Result<Algorithm> {
    let algorithm: Algorithm = name.parse().with_context(|| format!("unknown JWT algorithm {name:?}"))?;
    if !ACCEPTED.contains(&algorithm) {
        bail!(
            "{name} is not accepted for public keys: use RS256, PS256, ES256, ES384 or EdDSA (and their stronger variants)"
        );
    }
    Ok(algorithm)
}

/// A PEM public key from `spec`: `path` (RSA keys default to RS256, EC keys to ES256,
/// Ed25519 keys to EdDSA) or `path=ALG`.
pub fn from_pem(spec: &str) -> anyhow::Result<Key> {
    let (path, algorithm) = match spec.rsplit_once('=') {
        Some((path, alg)) => (path, Some(accepted(alg)?)),
        None => (spec, None),
    };
    let pem = std::fs::read(Path::new(path)).with_context(|| format!("reading the public key {path}"))?;
    let (key, default) = if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        (key, Algorithm::RS256)
    } else if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
        (key, Algorithm::ES256)
    } else if let Ok(key) = DecodingKey::from_ed_pem(&pem) {
        (key, Algorithm::EdDSA)
    } else {
        bail!("{path} holds no RSA, EC or Ed25519 public key in PEM form");
    };
    Ok(Key { kid: None, algorithm: algorithm.unwrap_or(default), key })
}

/// The signing keys of a JWKS document. Keys meant for encryption, of an unsupported
/// type or algorithm, are left out, with a warning.
pub fn from_jwks(json: &[u8]) -> anyhow::Result<KeySet> {
    let set: JwkSet = serde_json::from_slice(json).context("not a JWKS document (`{\"keys\": [...]}`)")?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        match from_jwk(jwk) {
            Ok(Some(key)) => keys.push(key),
            Ok(None) => {}
            Err(error) => tracing::warn!(jwk.kid = ?jwk.common.key_id, error = %error, "a JWKS key is left out"),
        }
    }
    Ok(KeySet(keys))
}

fn from_jwk(jwk: &Jwk) -> anyhow::Result<Option<Key>> {
    if jwk.common.public_key_use == Some(PublicKeyUse::Encryption) {
        return Ok(None);
    }
    let algorithm = match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(alg), _) => accepted(&format!("{alg:?}"))?,
        (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (None, AlgorithmParameters::EllipticCurve(ec)) if ec.curve == EllipticCurve::P256 => Algorithm::ES256,
        (None, AlgorithmParameters::EllipticCurve(ec)) if ec.curve == EllipticCurve::P384 => Algorithm::ES384,
        (None, AlgorithmParameters::OctetKeyPair(_)) => Algorithm::EdDSA,
        (None, _) => bail!("a key of a type without a default algorithm: give it an `alg`"),
    };
    let key = DecodingKey::from_jwk(jwk).context("an unusable JWK")?;
    Ok(Some(Key { kid: jwk.common.key_id.clone(), algorithm, key }))
}

/// A JWKS file's keys.
pub fn from_jwks_file(path: &Path) -> anyhow::Result<KeySet> {
    let json = std::fs::read(path).with_context(|| format!("reading the JWKS file {}", path.display()))?;
    from_jwks(&json).with_context(|| format!("reading the JWKS file {}", path.display()))
}
