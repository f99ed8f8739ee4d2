//! A JWKS published by an identity provider, fetched over HTTPS and cached as long as its
//! `Cache-Control: max-age` says. A token naming a `kid` the cache does not know makes it
//! fetch again (keys rotate without a restart), but never more than once per
//! `min_refetch` (30 s by default): a flood of made-up `kid`s cannot make Trellis hammer
//! the provider.
//! When a fetch fails, the keys already known stay in use.

use crate::auth::keys::{self, Key, KeySet};
use anyhow::{Context, bail};
use jsonwebtoken::Algorithm;
use std::time::Duration;
use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

/// The least time keys are kept, whatever the response says.
const MIN_MAX_AGE: Duration = Duration::from_secs(30);
/// How long keys are kept when the response names no `max-age`.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
/// The longest a `max-age` may keep keys.
const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// How long one fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The cached keys of one JWKS URL.
pub struct RemoteJwks {
    url: String,
    http: reqwest::Client,
    min_refetch: Duration,
    cache: RwLock<Cache>,
    /// One fetch at a time; the others wait for it and read its result.
    fetching: Mutex<()>,
}

#[derive(Default)]
struct Cache {
    keys: KeySet,
    fresh_until: Option<Instant>,
    last_attempt: Option<Instant>,
}

impl RemoteJwks {
    /// A cache for `url`, which must be HTTPS (plain HTTP only to this machine's loopback,
    /// for tests and local providers). It fetches once now; a failure is logged and
    /// retried when a token arrives.
    pub async fn new(url: &str, min_refetch: Duration) -> anyhow::Result<Self> {
        let parsed = reqwest::Url::parse(url).with_context(|| format!("{url:?} is not a URL"))?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
            bail!("the JWKS URL must be https:// (plain http only on loopback): {url}");
        }
        let http = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build().context("building the JWKS client")?;
        let remote =
            RemoteJwks { url: url.to_owned(), http, min_refetch, cache: RwLock::default(), fetching: Mutex::new(()) };
        remote.refresh(false).await;
        Ok(remote)
    }

    /// The keys a token with `kid` and `alg` may have been signed with, fetching the
    /// JWKS again when the cache is stale or does not know `kid` (at most once per
    /// `min_refetch`).
    pub async fn candidates(&self, kid: Option<&str>, alg: Algorithm) -> Vec<Key> {
        if let Some(keys) = self.cached(kid, alg).await {
            return keys;
        }
        self.refresh(true).await;
        let cache = self.cache.read().await;
        cache.keys.candidates(kid, alg).into_iter().cloned().collect()
    }

    /// The cached candidates, when the cache is fresh and knows `kid`.
    async fn cached(&self, kid: Option<&str>, alg: Algorithm) -> Option<Vec<Key>> {
        let cache = self.cache.read().await;
        let fresh = cache.fresh_until.is_some_and(|until| Instant::now() < until);
        let known = kid.is_none_or(|kid| cache.keys.knows(kid));
        (fresh && known).then(|| cache.keys.candidates(kid, alg).into_iter().cloned().collect())
    }

    /// Fetches the JWKS unless one was fetched (or tried) within `min_refetch` and
    /// `bounded` asks to respect that.
    async fn refresh(&self, bounded: bool) {
        let _one_at_a_time = self.fetching.lock().await;
        let recent = self.cache.read().await.last_attempt.is_some_and(|at| at.elapsed() < self.min_refetch);
        if bounded && recent {
            return;
        }
        self.cache.write().await.last_attempt = Some(Instant::now());
        match self.fetch().await {
            Ok((keys, max_age)) => {
                tracing::info!(jwks.url = %self.url, jwks.keys = keys.len(), "JWKS fetched");
                let mut cache = self.cache.write().await;
                cache.keys = keys;
                cache.fresh_until = Some(Instant::now() + max_age);
            }
            Err(error) => {
                tracing::warn!(jwks.url = %self.url, error = %format!("{error:#}"), "fetching the JWKS failed; keeping the keys known")
            }
        }
    }

    async fn fetch(&self) -> anyhow::Result<(KeySet, Duration)> {
        let response = self.http.get(&self.url).send().await?.error_for_status()?;
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map_or(DEFAULT_MAX_AGE, max_age);
        let body = response.bytes().await?;
        Ok((keys::from_jwks(&body)?, max_age))
    }
}

/// How long a `Cache-Control` value lets keys be kept: its `max-age`, at least
/// [`MIN_MAX_AGE`] and at most a day; `no-store`/`no-cache` keep them [`MIN_MAX_AGE`].
fn max_age(cache_control: &str) -> Duration {
    let mut age = DEFAULT_MAX_AGE;
    for directive in cache_control.split(',').map(str::trim) {
        if directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache") {
            return MIN_MAX_AGE;
        }
        if let Some(seconds) = directive.strip_prefix("max-age=").and_then(|s| s.parse::<u64>().ok()) {
            age = Duration::from_secs(seconds);
        }
    }
    age.clamp(MIN_MAX_AGE, MAX_MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_sets_how_long_keys_are_kept_within_bounds() {
        assert_eq!(max_age("public, max-age=3600"), Duration::from_secs(3600));
        assert_eq!(max_age("max-age=5"), MIN_MAX_AGE, "no faster than the bound");
        assert_eq!(max_age("max-age=99999999"), MAX_MAX_AGE);
        assert_eq!(max_age("no-store"), MIN_MAX_AGE);
        assert_eq!(max_age("private"), DEFAULT_MAX_AGE);
    }
}
