//! Identity-provider tokens end to end: a JWKS served over loopback, keys rotated while
//! the server runs, a flood of made-up key ids, integration tokens bounded by their
//! scopes, and long-lived streams that end with their token.

use api::config::{AuthSettings, Secret};
use futures::{SinkExt, StreamExt};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use service::SystemClock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use trellis_tests::{Options, TestApp, error_code};

const ISSUER: &str = "https://id.example.com/";
const AUDIENCE: &str = "trellis-api";
const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");

fn private(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&std::fs::read(format!("{KEYS}/{name}.key.pem")).unwrap()).unwrap()
}

fn jwk(name: &str, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&private(name), Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

/// A JWKS endpoint on loopback whose keys the test changes, counting its fetches.
struct Provider {
    url: String,
    keys: Arc<Mutex<Vec<Jwk>>>,
    fetches: Arc<AtomicUsize>,
}

impl Provider {
    async fn start(keys: Vec<Jwk>) -> Self {
        let (keys, fetches) = (Arc::new(Mutex::new(keys)), Arc::new(AtomicUsize::new(0)));
        let (served, counted) = (keys.clone(), fetches.clone());
        let route = axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let set = JwkSet { keys: served.lock().unwrap().clone() };
            async move { ([("cache-control", "public, max-age=3600")], axum::Json(set)) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        tokio::spawn(
            async move { axum::serve(listener, axum::Router::new().route("/.well-known/jwks.json", route)).await },
        );
        Provider { url, keys, fetches }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn sign(key: &str, kid: &str, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(&header, &claims, &private(key)).unwrap()
}

/// Dana, the demo's admin, as an identity provider would describe her: the organization
/// and the role under namespaced claims.
fn dana(key: &str, kid: &str, ttl: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    sign(
        key,
        kid,
        json!({ "sub": seed::demo::ADMIN_SUBJECT, "https://okr.example.com/org": seed::demo::SLUG,
                "https://okr.example.com/roles": ["admin"], "iss": ISSUER, "aud": [AUDIENCE, "other-api"],
                "exp": now + ttl, "iat": now }),
    )
}

async fn with_provider(provider: &Provider, min_refetch_secs: u64) -> TestApp {
    let auth = AuthSettings {
        jwt_secret: None,
        jwt_jwks_url: Some(provider.url.clone()),
        jwt_jwks_min_refetch_secs: min_refetch_secs,
        jwt_issuer: Some(ISSUER.into()),
        jwt_audience: vec![AUDIENCE.into()],
        jwt_org_claim: "https://okr.example.com/org".into(),
        jwt_role_claim: "https://okr.example.com/roles".into(),
        ..AuthSettings::development(Secret::new("unused-development-secret"))
    };
    TestApp::start(Options { demo: true, auth: Some(auth), ..Options::default() }, Arc::new(SystemClock)).await
}

async fn role_of(app: &TestApp, token: &str) -> (reqwest::StatusCode, Value) {
    app.graphql(token, "{ viewer { role } }", json!({})).await
}

#[tokio::test]
async fn keys_rotated_at_the_provider_are_picked_up_without_a_restart() {
    let provider = Provider::start(vec![jwk("rsa-1", "k1")]).await;
    let app = with_provider(&provider, 1).await;
    assert_eq!(provider.fetches(), 1, "fetched once at start");
    let (status, body) = role_of(&app, &dana("rsa-1", "k1", 600)).await;
    assert_eq!((status.as_u16(), &body["data"]["viewer"]["role"]), (200, &json!("ADMIN")), "{body}");
    assert_eq!(provider.fetches(), 1, "a known kid is answered from the cache");

    // The provider rotates: k2 signs from now on, k1 is withdrawn.
    *provider.keys.lock().unwrap() = vec![jwk("rsa-2", "k2")];
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = role_of(&app, &dana("rsa-2", "k2", 600)).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(provider.fetches(), 2, "an unknown kid fetched the JWKS again");
    let (status, body) = role_of(&app, &dana("rsa-1", "k1", 600)).await;
    assert_eq!((status.as_u16(), error_code(&body)), (401, "UNAUTHENTICATED"), "the withdrawn key: {body}");
}

#[tokio::test]
async fn a_flood_of_made_up_key_ids_fetches_the_jwks_at_most_once_per_interval() {
    let provider = Provider::start(vec![jwk("rsa-1", "k1")]).await;
    let app = with_provider(&provider, 30).await;
    let forged: Vec<String> = (0..40).map(|i| dana("rsa-2", &format!("forged-{i}"), 600)).collect();
    let answers = futures::future::join_all(forged.iter().map(|token| role_of(&app, token))).await;
    assert!(answers.iter().all(|(status, _)| status.as_u16() == 401));
    assert_eq!(provider.fetches(), 1, "no fetch within 30 s of the last one");
    let (status, _) = role_of(&app, &dana("rsa-1", "k1", 600)).await;
    assert_eq!(status.as_u16(), 200, "the real key still works during the flood");
}

#[tokio::test]
async fn tokens_for_another_audience_or_issuer_or_without_them_are_refused() {
    let provider = Provider::start(vec![jwk("rsa-1", "k1")]).await;
    let app = with_provider(&provider, 30).await;
    let now = chrono::Utc::now().timestamp();
    let base = json!({ "sub": "dana", "https://okr.example.com/org": seed::demo::SLUG, "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600 });
    let mut cases = Vec::new();
    for (field, value) in [("aud", json!("someone-else")), ("iss", json!("https://evil.example.com/"))] {
        let mut claims = base.clone();
        claims[field] = value;
        cases.push((field, claims));
    }
    let mut without = base.clone();
    without.as_object_mut().unwrap().remove("aud");
    cases.push(("no aud", without));
    for (case, claims) in cases {
        let (status, body) = role_of(&app, &sign("rsa-1", "k1", claims)).await;
        assert_eq!((status.as_u16(), error_code(&body)), (401, "UNAUTHENTICATED"), "{case}: {body}");
    }
    // No role claim: the default role, viewer.
    let (status, body) = role_of(&app, &sign("rsa-1", "k1", base)).await;
    assert_eq!((status.as_u16(), &body["data"]["viewer"]["role"]), (200, &json!("VIEWER")), "{body}");
}

fn integration(sub: &str, scope: &str) -> String {
    trellis_tests::integration_token(seed::demo::SLUG, sub, scope)
}

const CHECK_IN: &str = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id author { displayName } } } }";

async fn a_key_result(app: &TestApp) -> Value {
    let query = r#"{ objectives(filter: { search: "sales cycle" }) { edges { node { keyResults { edges { node { id } } } } } } }"#;
    app.data(&app.demo_admin(), query, json!({})).await["objectives"]["edges"][0]["node"]["keyResults"]["edges"][0]["node"]["id"]
        .clone()
}

#[tokio::test]
async fn an_integration_does_what_its_scopes_allow_and_is_refused_the_rest_naming_the_scope() {
    let app = TestApp::spawn_demo().await;
    let kr = a_key_result(&app).await;
    let sync = integration("crm-sync", "checkin:write");
    let recorded = app.data(&sync, CHECK_IN, json!({ "i": { "keyResultId": kr, "value": 44 } })).await;
    assert_eq!(recorded["checkIn"]["checkIn"]["author"]["displayName"], "crm-sync (integration)");

    let rename = "mutation($i: UpdateKeyResultInput!) { updateKeyResult(input: $i) { keyResult { id } } }";
    let (_, body) = app.graphql(&sync, rename, json!({ "i": { "id": kr, "title": "Renamed by a sync" } })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("`okr:write`"), "{body}");

    let reader = integration("bi-export", "okr:read");
    let (_, body) = app.graphql(&reader, CHECK_IN, json!({ "i": { "keyResultId": kr, "value": 45 } })).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("`checkin:write`"), "{body}");
    let read = app.data(&reader, "{ objectives { totalCount } }", json!({})).await;
    assert!(read["objectives"]["totalCount"].as_i64().unwrap() > 0);

    // A person's admin token narrowed to okr:read reads, and changes nothing.
    let narrowed = api::auth::TokenRequest {
        scope: Some("okr:read"),
        ..api::auth::TokenRequest::person(
            seed::demo::SLUG,
            seed::demo::ADMIN_SUBJECT,
            service::OrgRole::Admin,
            Duration::from_secs(600),
        )
    };
    let narrowed = api::auth::mint(&Secret::new(trellis_tests::SECRET), &narrowed).unwrap();
    let (_, body) = app.graphql(&narrowed, CHECK_IN, json!({ "i": { "keyResultId": kr, "value": 46 } })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

async fn socket(
    app: &TestApp,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("{}/graphql/ws", app.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await.unwrap();
    socket
}

/// The close code the socket ends with, within `within`.
async fn close_code<S>(socket: &mut S, within: Duration) -> u16
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let closed = tokio::time::timeout(within, async {
        while let Some(message) = socket.next().await {
            if let Ok(Message::Close(Some(frame))) = message {
                return u16::from(frame.code);
            }
        }
        0
    });
    closed.await.expect("the server closes the socket in time")
}

#[tokio::test]
async fn a_websocket_closes_with_4401_for_a_bad_token_and_4403_when_its_token_expires() {
    let app = TestApp::spawn_demo().await;
    let mut refused = socket(&app, "not-a-token").await;
    assert_eq!(close_code(&mut refused, Duration::from_secs(2)).await, 4401);

    // The server closes the socket when `exp` passes (the leeway only forgives skew at the door).
    let short =
        api::auth::TokenRequest::person(seed::demo::SLUG, "sid", service::OrgRole::Member, Duration::from_secs(2));
    let short = api::auth::mint(&Secret::new(trellis_tests::SECRET), &short).unwrap();
    let mut expiring = socket(&app, &short).await;
    let ack = tokio::time::timeout(Duration::from_secs(2), expiring.next()).await.unwrap().unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    assert_eq!(close_code(&mut expiring, Duration::from_secs(5)).await, 4403);
}

#[tokio::test]
async fn a_server_sent_events_stream_ends_when_its_token_expires() {
    let app = TestApp::spawn_demo().await;
    // `exp` has whole seconds: a 3 s token lives between 2 and 3 s.
    let short =
        api::auth::TokenRequest::person(seed::demo::SLUG, "sid", service::OrgRole::Member, Duration::from_secs(3));
    let short = api::auth::mint(&Secret::new(trellis_tests::SECRET), &short).unwrap();
    let query = r#"subscription { changes(kinds: [TEAM]) { kind } }"#;
    let started = std::time::Instant::now();
    let response = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(short)
        .header("Accept", "text/event-stream")
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = tokio::time::timeout(Duration::from_secs(6), response.text()).await.expect("the stream ends").unwrap();
    assert!(body.contains("event: complete"), "{body}");
    assert!(started.elapsed() >= Duration::from_millis(1900), "not before the token expired");
}
