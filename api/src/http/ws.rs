//! GraphQL subscriptions over WebSocket at `/graphql/ws`: `graphql-transport-ws` and the
//! legacy `graphql-ws` subprotocol. Browsers cannot set headers on a WebSocket, so the
//! token comes in `connection_init` (`{"Authorization": "Bearer …"}` or `{"token": "…"}`).
//! The server pings every 20 s so that proxies do not drop idle wall displays. The
//! limits on connections and subscriptions are in [`limits`].

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
use std::time::Duration;

/// Read and write buffer of one WebSocket.
const SOCKET_BUFFER: usize = 4 * 1024;

/// How often the server pings an open connection.
const PING_EVERY: Duration = Duration::from_secs(20);

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
    let screen = watch.clone();
    let incoming = incoming.filter_map(move |message| futures::future::ready(screen.screen(message)));
    let (init_state, admit) = (state.clone(), watch.clone());
    let outgoing = Box::pin(
        WebSocket::new(state.schema.clone(), incoming, protocol)
            .on_connection_init(move |payload| admit.admit(connection_init(init_state, payload))),
    );
    let mut outgoing = watch.guard(outgoing, control);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            message = outgoing.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let _closed = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
            _ = ping.tick() => {
                if sink.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
}

async fn connection_init(state: AppState, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let header = field("Authorization")
        .or_else(|| field("authorization"))
        .or_else(|| field("token").map(|token| format!("Bearer {token}")));
    let actor = authenticate(&state, header.as_deref()).await.map_err(|refusal| Error::new(refusal.message))?;
    // Subscription events carry their figures; no loaders (and their caches) per socket.
    let mut data = Data::default();
    data.insert(Caller(actor));
    Ok(data)
}
