//! What browsers are told: the CORS allow-list for dashboards on other origins, the
//! security headers on every response, and a Content-Security-Policy for each HTML page.
//!
//! CORS never allows credentials: Trellis reads bearer tokens, not cookies, so a browser
//! has no ambient credential to send, and a wildcard origin is refused at start so that
//! the allow-list is always explicit.

use crate::config::Limits;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Refuses origins that are not `scheme://host[:port]`, and the wildcard.
pub fn check_origins(origins: &[String]) -> anyhow::Result<()> {
    for origin in origins {
        crate::config::parse_origin(origin).map_err(|reason| anyhow::anyhow!("--cors-origin {origin:?}: {reason}"))?;
    }
    Ok(())
}

/// The CORS layer for the configured origins; `None` (no CORS headers at all) without any.
fn cors(limits: &Limits) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = limits.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    let layer = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([
            header::RETRY_AFTER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
            HeaderName::from_static("ratelimit-policy"),
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(PREFLIGHT_MAX_AGE);
    Some(layer)
}

/// Adds the CORS layer (when origins are configured) and the headers every response
/// carries: no MIME sniffing, no framing, no referrer.
pub fn layers(router: Router, limits: &Limits) -> Router {
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ));
    match cors(limits) {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// What every page's policy ends with: nothing may frame it, change its base or post forms.
const PAGE_RULES: &str = "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// GraphiQL's page (async-graphql's `GraphiQLSource`) and its policy: React, GraphiQL's
/// script and stylesheet from unpkg.com, the favicon from graphql.org, the page's own
/// inline script by its hash, and requests to this server only.
pub static GRAPHIQL: LazyLock<(String, String)> = LazyLock::new(|| {
    let page = async_graphql::http::GraphiQLSource::build().endpoint("/graphql").title("Trellis").finish();
    let policy = format!(
        "default-src 'none'; script-src https://unpkg.com {}; style-src https://unpkg.com 'unsafe-inline'; \
         font-src https://unpkg.com data:; img-src https://graphql.org data:; connect-src 'self'; {PAGE_RULES}",
        inline_script_hashes(&page)
    );
    (page, policy)
});

/// The wall's policy for `page`: its inline script by hash, inline styles, requests and
/// the WebSocket to this server only.
pub fn wall_policy(page: &str) -> String {
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; {PAGE_RULES}",
        inline_script_hashes(page)
    )
}

/// `'sha256-…'` sources for each inline `<script>` of `page`, so that no other inline
/// script (an injected one) runs.
fn inline_script_hashes(page: &str) -> String {
    let mut hashes = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<script>") {
        let body = &rest[start + "<script>".len()..];
        let Some(end) = body.find("</script>") else { break };
        let digest = Sha256::digest(&body.as_bytes()[..end]);
        hashes.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        rest = &body[end..];
    }
    hashes.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphiql_has_one_inline_script_and_it_is_allowed_by_hash() {
        let (page, policy) = &*GRAPHIQL;
        assert_eq!(page.matches("<script>").count(), 1);
        assert!(policy.contains("'sha256-") && !policy.contains("script-src https://unpkg.com 'unsafe-inline'"));
    }

    #[test]
    fn wildcards_and_paths_are_not_origins() {
        assert!(check_origins(&["*".into()]).is_err());
        assert!(check_origins(&["https://a.example/".into()]).is_err());
        assert!(check_origins(&["a.example".into()]).is_err());
        assert!(check_origins(&["https://a.example:8443".into(), "http://localhost:3000".into()]).is_ok());
    }
}
