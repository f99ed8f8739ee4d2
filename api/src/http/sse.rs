//! GraphQL over Server-Sent Events (the graphql-sse protocol's distinct-connections
//! mode), for clients that cannot open WebSockets: `POST /graphql` with `Accept:
//! text/event-stream`; each result is a `next` event, the end a `complete` event. The
//! stream ends when the caller's token expires or the server stops.

use crate::graphql::context::RequestData;
use crate::graphql::loaders::Loaders;
use crate::http::AppState;
use crate::http::graphql::authenticate_headers;
use crate::http::reply::{self, Media};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::convert::Infallible;
use std::time::Duration;

/// How often an idle stream sends a comment, so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Runs `request` as a stream of events.
pub async fn stream(state: &AppState, headers: &HeaderMap, request: async_graphql::Request) -> Response {
    if let Some(refused) = crate::http::graphql::refuse_while_unavailable(state, Media::Json) {
        return refused;
    }
    let (actor, expires_at) = match authenticate_headers(state, headers).await {
        Ok(caller) => (caller.actor, caller.expires_at),
        Err(refusal) => return reply::error(refusal.status, Media::Json, refusal.code, &refusal.message),
    };
    if let Err(refused) = crate::http::rate::admit_subject(state, &actor, Media::Json) {
        return *refused;
    }
    let mut request = request;
    if let Err(refused) = crate::http::persisted::resolve(state, Media::Json, &mut request).await {
        return *refused;
    }
    let loaders = Loaders::new(&state.db, &actor, &state.clock, &state.histories);
    let request = request.data(RequestData { actor, loaders });
    let held = (crate::metrics::OpenSubscription::opened("sse"), state.shutdown.hold());
    let results = state.schema.guarded.execute_stream(request).map(move |mut response| {
        let _counted_and_held = &held;
        crate::http::graphql::code_input_errors(&mut response);
        let data =
            serde_json::to_string(&response).unwrap_or_else(|_| r#"{"errors":[{"message":"internal error"}]}"#.into());
        Ok::<_, Infallible>(Event::default().event("next").data(data))
    });
    // The stream ends when the token expires (the client reconnects with a fresh one) or
    // the server stops (the client reconnects to another replica).
    let left = (expires_at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
    let shutdown = state.shutdown.clone();
    let ends = async move {
        tokio::select! {
            () = tokio::time::sleep(left) => {}
            () = shutdown.stopping() => {}
        }
    };
    let results = results.take_until(ends);
    let complete = futures::stream::once(async { Ok(Event::default().event("complete").data("")) });
    Sse::new(results.chain(complete)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response()
}
