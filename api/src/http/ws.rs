//! GraphQL subscriptions over WebSocket at `/graphql/ws`: `graphql-transport-ws` and the
//! legacy `graphql-ws` subprotocol. Browsers cannot set headers on a WebSocket, so the
//! token comes in `connection_init` (`{"Authorization": "Bearer …"}` or `{"token": "…"}`).
//! The server pings every 20 s so that proxies do not drop idle wall displays.
//!
//! A `connection_init` without a valid token closes the socket with 4401; when the token
//! of an open connection expires, the server closes it with 4403 (the client reconnects
//! with a fresh token); when the server stops, with 1001 (going away).
//! The limits on connections and subscriptions are in [`limits`].

pub mod limits;

use crate::graphql::context::Caller;
use crate::http::AppState;
use crate::http::graphql::authenticate;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Error};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket as Socket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Read and write buffer of one WebSocket.
const SOCKET_BUFFER: usize = 4 * 1024;

/// How often the server pings an open connection.
const PING_EVERY: Duration = Duration::from_secs(20);

/// Close code for a `connection_init` without a valid token.
const UNAUTHORIZED: u16 = 4401;
/// Close code when the connection's token expires.
const FORBIDDEN: u16 = 4403;
/// Close code when the server stops ("going away"): the client reconnects elsewhere.
const GOING_AWAY: u16 = 1001;

/// What `connection_init` learned, for the loop that serves the socket.
#[derive(Debug, Default)]
struct Session {
    /// The token was refused: the close that follows says 4401.
    refused: bool,
    /// When the accepted token expires.
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Upgrades to a GraphQL WebSocket.
pub async fn upgrade(State(state): State<AppState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let offered = headers.get(header::SEC_WEBSOCKET_PROTOCOL).and_then(|v| v.to_str().ok()).unwrap_or("");
    let protocol = offered.split(',').find_map(|p| p.trim().parse::<WebSocketProtocols>().ok());
    let Some(protocol) = protocol else {
        let message = "offer the graphql-transport-ws (or legacy graphql-ws) subprotocol";
        return (StatusCode::BAD_REQUEST, message).into_response();
    };
    // Displays send almost nothing and receive small events: small buffers keep an idle
    // subscriber cheap (the 128 KiB defaults dominated its memory).
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |socket| serve(state, socket, protocol))
}

async fn serve(state: AppState, socket: Socket, protocol: WebSocketProtocols) {
    let _open = crate::metrics::OpenSubscription::opened("websocket");
    let _held = state.shutdown.hold();
    let shutdown = state.shutdown.clone();
    let stopping = shutdown.stopping();
    tokio::pin!(stopping);
    let (watch, control) = limits::Watch::new(&state, protocol);
    let (mut sink, incoming) = socket.split();
    let incoming = incoming
        .take_while(|message| futures::future::ready(matches!(message, Ok(m) if !matches!(m, Message::Close(_)))))
        .filter_map(|message| async move {
            match message {
                Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            }
        });
    let (gate, screen) = (watch.clone(), watch.clone());
    let incoming = incoming
        .filter_map(move |message| {
            let gate = gate.clone();
            async move { gate.allowed(message).await }
        })
        .filter_map(move |message| futures::future::ready(screen.screen(message)));
    let session = Arc::new(Mutex::new(Session::default()));
    let (init_state, init_session, admit) = (state.clone(), session.clone(), watch.clone());
    let outgoing = Box::pin(
        WebSocket::new(state.schema.guarded.clone(), incoming, protocol)
            .on_connection_init(move |payload| admit.admit(connection_init(init_state, init_session, payload))),
    );
    let mut outgoing = watch.guard(outgoing, control);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let far = || tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let expiry = tokio::time::sleep_until(far());
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            message = outgoing.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if let Some(at) = read_session(&session, |s| s.expires_at) {
                        expiry.as_mut().reset(deadline(at));
                    }
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let code = if read_session(&session, |s| s.refused) { UNAUTHORIZED } else { code };
                    let _closed = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
            () = &mut expiry => {
                let frame = CloseFrame { code: FORBIDDEN, reason: "the token has expired: reconnect with a fresh one".into() };
                let _closed = sink.send(Message::Close(Some(frame))).await;
                break;
            }
            () = &mut stopping => {
                let frame = CloseFrame { code: GOING_AWAY, reason: "the server is shutting down: reconnect".into() };
                let _closed = sink.send(Message::Close(Some(frame))).await;
                break;
            }
            _ = ping.tick() => {
                if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
}

fn read_session<T>(session: &Mutex<Session>, read: impl FnOnce(&Session) -> T) -> T {
    // Nothing panics while holding it; a poisoned lock still holds sound data.
    read(&session.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// The instant on the runtime's clock at which `at` (wall time) arrives.
fn deadline(at: chrono::DateTime<chrono::Utc>) -> tokio::time::Instant {
    let left = (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
    tokio::time::Instant::now() + left
}

async fn connection_init(
    state: AppState,
    session: Arc<Mutex<Session>>,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let header = field("Authorization")
        .or_else(|| field("authorization"))
        .or_else(|| field("token").map(|token| format!("Bearer {token}")));
    let authenticated = authenticate(&state, header.as_deref()).await;
    let mut known = session.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let caller = authenticated.map_err(|refusal| {
        known.refused = true;
        Error::new(refusal.message)
    })?;
    known.expires_at = Some(caller.expires_at);
    // Subscription events carry their figures; no loaders (and their caches) per socket.
    let mut data = Data::default();
    data.insert(Caller(caller.actor));
    Ok(data)
}
