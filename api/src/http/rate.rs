//! Rate limits per client address and per token subject (organization and person), with
//! governor's keyed GCRA limiters. A refusal is HTTP 429 with `RATE_LIMITED`,
//! `Retry-After`, and the IETF draft's `RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset` and `RateLimit-Policy` headers, which allowed requests carry too.
//!
//! The limiters live in this process: with several replicas behind a load balancer, each
//! enforces its own share. The address is the TCP peer's: behind a proxy every client
//! shares the proxy's address (forwarded headers are not trusted, as anyone can send one).

use crate::http::AppState;
use crate::http::reply::{self, Media};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;
use uuid::Uuid;

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// How often keys that are back to a full bucket are forgotten, so that the maps do not
/// grow with every address ever seen.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// One keyed limiter and the figures its headers announce.
struct Limiter<K: Hash + Eq + Clone> {
    keyed: Keyed<K>,
    rate: u32,
    burst: u32,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// `None` when `rate` is 0 (the limit is off); a burst below the rate is raised to it.
    fn new(rate: u32, burst: u32) -> Option<Self> {
        let per_second = NonZeroU32::new(rate)?;
        let burst = NonZeroU32::new(burst.max(rate)).unwrap_or(per_second);
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Some(Limiter { keyed: RateLimiter::hashmap(quota).with_middleware(), rate, burst: burst.get() })
    }

    fn check(&self, key: &K) -> Decision {
        match self.keyed.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let reset = u64::from(self.burst - remaining.min(self.burst)).div_ceil(u64::from(self.rate));
                Decision { allowed: true, headers: self.headers(remaining, reset), retry_after: 0 }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.keyed.clock().now());
                let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Decision {
                    allowed: false,
                    headers: self.headers(0, retry_after.max(1)),
                    retry_after: retry_after.max(1),
                }
            }
        }
    }

    fn headers(&self, remaining: u32, reset: u64) -> HeaderMap {
        let window = u64::from(self.burst).div_ceil(u64::from(self.rate));
        let mut headers = HeaderMap::new();
        headers.insert(LIMIT, HeaderValue::from(self.burst));
        headers.insert(REMAINING, HeaderValue::from(remaining));
        headers.insert(RESET, HeaderValue::from(reset));
        if let Ok(policy) = HeaderValue::from_str(&format!("{};w={window}", self.burst)) {
            headers.insert(POLICY, policy);
        }
        headers
    }

    fn sweep(&self) {
        self.keyed.retain_recent();
        self.keyed.shrink_to_fit();
    }
}

/// What a limiter decided, with the headers that say so.
pub struct Decision {
    allowed: bool,
    headers: HeaderMap,
    retry_after: u64,
}

impl Decision {
    /// `Err` with the 429 response when refused; otherwise the headers to add.
    pub fn into_result(self, media: Media, whose: &str) -> Result<HeaderMap, Box<Response>> {
        if self.allowed {
            return Ok(self.headers);
        }
        let message = format!("too many requests from this {whose}: retry in {} s", self.retry_after);
        let mut response = reply::error(StatusCode::TOO_MANY_REQUESTS, media, "RATE_LIMITED", &message);
        response.headers_mut().extend(self.headers);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(self.retry_after));
        Err(Box::new(response))
    }
}

/// The process's rate limiters; a limit whose rate is 0 is off.
pub struct RateLimits {
    address: Option<Limiter<IpAddr>>,
    subject: Option<Limiter<(Uuid, Uuid)>>,
}

impl RateLimits {
    /// Limiters for the configured rates and bursts.
    pub fn new(limits: &crate::config::Limits) -> Self {
        RateLimits {
            address: Limiter::new(limits.rate_per_address, limits.burst_per_address),
            subject: Limiter::new(limits.rate_per_subject, limits.burst_per_subject),
        }
    }

    /// Counts one request of `actor`: `None` when the per-subject limit is off.
    pub fn subject(&self, actor: &service::Actor) -> Option<Decision> {
        Some(self.subject.as_ref()?.check(&(actor.organization_id(), actor.person_id())))
    }

    fn address(&self, ip: IpAddr) -> Option<Decision> {
        Some(self.address.as_ref()?.check(&ip))
    }

    /// Forgets idle keys now and then, for as long as the process runs.
    pub fn sweep_forever(self: std::sync::Arc<Self>) {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            loop {
                every.tick().await;
                self.address.iter().for_each(Limiter::sweep);
                self.subject.iter().for_each(Limiter::sweep);
            }
        });
    }
}

/// Counts one request of the caller behind `actor` after authentication: `Err` is the
/// 429 to answer, `Ok` the headers for the answer.
pub fn admit_subject(state: &AppState, actor: &service::Actor, media: Media) -> Result<HeaderMap, Box<Response>> {
    match state.rates.subject(actor) {
        Some(decision) => decision.into_result(media, "token subject"),
        None => Ok(HeaderMap::new()),
    }
}

/// Middleware: counts every request against its client address. The per-subject headers,
/// when a handler set them, are the ones the client sees (they are the tighter limit).
pub async fn per_address(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    let Some(decision) = peer.and_then(|ip| state.rates.address(ip)) else {
        return next.run(request).await;
    };
    let media = Media::negotiate(request.headers()).unwrap_or(Media::Json);
    match decision.into_result(media, "address") {
        Err(refused) => *refused,
        Ok(headers) => {
            let mut response = next.run(request).await;
            if !response.headers().contains_key(LIMIT) {
                response.headers_mut().extend(headers);
            }
            response
        }
    }
}
