//! Verification against every kind of key, and every way a token can be wrong.

use super::*;
use crate::config::AuthSettings;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;
use std::time::Duration;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/keys");
const ISSUER: &str = "https://id.example.com/";
const AUDIENCE: &str = "trellis";

fn key_file(name: &str) -> String {
    format!("{KEYS}/{name}")
}

fn private(name: &str, alg: Algorithm) -> EncodingKey {
    let pem = std::fs::read(key_file(&format!("{name}.key.pem"))).unwrap();
    match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims() -> serde_json::Value {
    json!({ "sub": "ada", "org": "acme", "role": "member", "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600, "iat": now() })
}

fn sign(name: &str, alg: Algorithm, kid: Option<&str>, claims: &serde_json::Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &private(name, alg)).unwrap()
}

fn settings() -> AuthSettings {
    AuthSettings {
        jwt_secret: None,
        jwt_issuer: Some(ISSUER.into()),
        jwt_audience: vec![AUDIENCE.into(), "other".into()],
        ..AuthSettings::development(Secret::new("unused-development-secret"))
    }
}

async fn with_pem(specs: &[&str]) -> Verifier {
    let keys = specs.iter().map(|s| key_file(s)).collect();
    Verifier::from_settings(&AuthSettings { jwt_public_keys: keys, ..settings() }).await.unwrap()
}

fn invalid(result: Result<Verified, AuthError>) -> String {
    match result {
        Err(AuthError::Invalid(reason)) => reason,
        other => panic!("expected an invalid token, got {other:?}"),
    }
}

#[tokio::test]
async fn tokens_signed_with_each_supported_algorithm_verify_against_their_pem_key() {
    let verifier = with_pem(&["rsa-1.pub.pem", "rsa-2.pub.pem=PS256", "ec.pub.pem", "ed.pub.pem"]).await;
    for (name, alg) in
        [("rsa-1", Algorithm::RS256), ("rsa-2", Algorithm::PS256), ("ec", Algorithm::ES256), ("ed", Algorithm::EdDSA)]
    {
        let verified = verifier.verify(&sign(name, alg, None, &claims())).await.unwrap();
        assert_eq!(verified.identity.subject, "ada", "{alg:?}");
        assert_eq!(verified.identity.role, OrgRole::Member);
    }
}

#[tokio::test]
async fn a_key_accepts_only_its_configured_algorithm() {
    let verifier = with_pem(&["rsa-1.pub.pem=PS256"]).await;
    let reason = invalid(verifier.verify(&sign("rsa-1", Algorithm::RS256, None, &claims())).await);
    assert!(reason.contains("RS256 are not accepted"), "{reason}");
}

#[tokio::test]
async fn unsigned_and_hs256_tokens_are_refused_when_only_public_keys_are_configured() {
    let verifier = with_pem(&["rsa-1.pub.pem"]).await;
    // {"alg":"none"} with valid-looking claims and no signature.
    let none =
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhIiwib3JnIjoiYSIsInJvbGUiOiJhZG1pbiIsImV4cCI6OTk5OTk5OTk5OX0.";
    assert!(matches!(verifier.verify(none).await, Err(AuthError::Invalid(_))));
    // The classic confusion: an HS256 token whose "secret" is the public key.
    let public = std::fs::read(key_file("rsa-1.pub.pem")).unwrap();
    let confused = encode(&Header::new(Algorithm::HS256), &claims(), &EncodingKey::from_secret(&public)).unwrap();
    assert!(invalid(verifier.verify(&confused).await).contains("HS256 are not accepted"));
}

#[tokio::test]
async fn issuer_and_audience_are_required_and_checked_with_public_keys() {
    let verifier = with_pem(&["rsa-1.pub.pem"]).await;
    let mut wrong_issuer = claims();
    wrong_issuer["iss"] = json!("https://evil.example.com/");
    assert!(invalid(verifier.verify(&sign("rsa-1", Algorithm::RS256, None, &wrong_issuer)).await).contains("issuer"));
    let mut wrong_audience = claims();
    wrong_audience["aud"] = json!(["someone-else"]);
    assert!(
        invalid(verifier.verify(&sign("rsa-1", Algorithm::RS256, None, &wrong_audience)).await).contains("audience")
    );
    let mut no_audience = claims();
    no_audience.as_object_mut().unwrap().remove("aud");
    assert!(invalid(verifier.verify(&sign("rsa-1", Algorithm::RS256, None, &no_audience)).await).contains("aud"));
    let mut second = claims();
    second["aud"] = json!(["other"]);
    assert!(verifier.verify(&sign("rsa-1", Algorithm::RS256, None, &second)).await.is_ok(), "any configured audience");

    let unconfigured =
        AuthSettings { jwt_public_keys: vec![key_file("rsa-1.pub.pem")], jwt_issuer: None, ..settings() };
    assert!(Verifier::from_settings(&unconfigured).await.is_err(), "public keys without an issuer do not start");
}

#[tokio::test]
async fn exp_is_required_and_nbf_and_iat_are_honoured_with_the_leeway() {
    let verifier = with_pem(&["ec.pub.pem"]).await;
    let mut expired = claims();
    expired["exp"] = json!(now() - 120);
    assert!(matches!(verifier.verify(&sign("ec", Algorithm::ES256, None, &expired)).await, Err(AuthError::Expired)));
    let mut within_leeway = claims();
    within_leeway["exp"] = json!(now() - 10);
    assert!(verifier.verify(&sign("ec", Algorithm::ES256, None, &within_leeway)).await.is_ok());
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert!(invalid(verifier.verify(&sign("ec", Algorithm::ES256, None, &no_exp)).await).contains("exp"));
    let mut early = claims();
    early["nbf"] = json!(now() + 600);
    assert!(invalid(verifier.verify(&sign("ec", Algorithm::ES256, None, &early)).await).contains("nbf"));
    let mut future = claims();
    future["iat"] = json!(now() + 600);
    assert!(invalid(verifier.verify(&sign("ec", Algorithm::ES256, None, &future)).await).contains("iat"));
}

#[tokio::test]
async fn a_jwks_file_names_keys_by_kid_and_their_own_algorithm() {
    let mut rsa = Jwk::from_encoding_key(&private("rsa-1", Algorithm::RS256), Algorithm::RS256).unwrap();
    rsa.common.key_id = Some("rsa-1".into());
    let mut ed = Jwk::from_encoding_key(&private("ed", Algorithm::EdDSA), Algorithm::EdDSA).unwrap();
    ed.common.key_id = Some("ed".into());
    let path = std::env::temp_dir().join(format!("trellis-jwks-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&path, serde_json::to_vec(&JwkSet { keys: vec![rsa, ed] }).unwrap()).unwrap();
    let verifier =
        Verifier::from_settings(&AuthSettings { jwt_jwks_file: Some(path.clone()), ..settings() }).await.unwrap();
    let _removed = std::fs::remove_file(&path);
    assert!(verifier.verify(&sign("rsa-1", Algorithm::RS256, Some("rsa-1"), &claims())).await.is_ok());
    assert!(verifier.verify(&sign("ed", Algorithm::EdDSA, Some("ed"), &claims())).await.is_ok());
    let reason = invalid(verifier.verify(&sign("rsa-2", Algorithm::RS256, Some("rsa-2"), &claims())).await);
    assert!(reason.contains("\"rsa-2\""), "{reason}");
    // A token that names the RSA key but claims EdDSA finds no key of that algorithm.
    assert!(verifier.verify(&sign("ed", Algorithm::EdDSA, Some("rsa-1"), &claims())).await.is_err());
}

#[tokio::test]
async fn the_development_secret_verifies_what_trellis_token_mints() {
    let secret = Secret::new("test-secret-with-enough-length");
    let request = TokenRequest::person("acme", "ada", OrgRole::Member, Duration::from_secs(60));
    let token = mint(&secret, &request).unwrap();
    let verified = Verifier::development(&secret).verify_header(Some(&format!("Bearer {token}"))).await.unwrap();
    assert_eq!((verified.identity.org_slug.as_str(), verified.identity.subject.as_str()), ("acme", "ada"));
    assert!(verified.expires_at > chrono::Utc::now());
    let other = mint(&Secret::new("another-secret-of-some-length"), &request).unwrap();
    assert!(matches!(Verifier::development(&secret).verify(&other).await, Err(AuthError::Invalid(_))));
    assert!(matches!(Verifier::development(&secret).verify_header(Some(&token)).await, Err(AuthError::NotBearer)));
}
