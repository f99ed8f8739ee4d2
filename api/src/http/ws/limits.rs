//! Limits on GraphQL WebSockets, kept out of the protocol code: a connection that sends
//! no `connection_init` in time is closed with 4408; one token subject holds a bounded
//! number of connections (one more is closed with 4429 at `connection_init`); one
//! connection runs a bounded number of subscriptions at once.
//!
//! One subscription too many is answered as that operation's error (`next`/`data` with
//! `TOO_MANY_SUBSCRIPTIONS`, then `complete`), the way the server ends any operation that
//! fails, rather than by closing the socket: a dashboard that asks for one panel too many
//! keeps the panels it has.

use crate::graphql::context::Caller;
use crate::graphql::error::UNAVAILABLE;
use crate::http::AppState;
use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::{Data, Error};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Close code for a connection that did not initialise in time (graphql-transport-ws).
const INIT_TIMEOUT: u16 = 4408;
/// Close code for one connection too many for a token subject.
const TOO_MANY: u16 = 4429;

/// Open connections per token subject (organization and person), across the process.
#[derive(Default)]
pub struct Connections {
    open: Mutex<HashMap<(Uuid, Uuid), usize>>,
}

/// One counted connection; dropping it (when the socket ends) frees its place.
struct Slot {
    connections: Arc<Connections>,
    key: (Uuid, Uuid),
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.connections.open.lock()
            && let Some(count) = open.get_mut(&self.key)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

impl Connections {
    /// A place for one more connection of `key`, unless it holds `max` already (0: no limit).
    fn take(self: &Arc<Self>, key: (Uuid, Uuid), max: usize) -> Option<Slot> {
        let mut open = self.open.lock().ok()?;
        let count = open.entry(key).or_insert(0);
        if max > 0 && *count >= max {
            return None;
        }
        *count += 1;
        Some(Slot { connections: self.clone(), key })
    }
}

/// What one connection's limits share: its subscriptions, its place, and messages the
/// server sends ahead of the protocol's.
pub struct Watch {
    state: AppState,
    protocol: WebSocketProtocols,
    control: mpsc::UnboundedSender<WsMessage>,
    active: Mutex<HashSet<String>>,
    initialised: AtomicBool,
    slot: Mutex<Option<Slot>>,
}

/// The part of a protocol message the limits read.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

/// A message that starts an operation, read for its document.
#[derive(Deserialize)]
struct Operation {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    #[serde(default)]
    payload: Payload,
}

#[derive(Default, Deserialize)]
struct Payload {
    #[serde(default)]
    query: String,
}

impl Watch {
    /// The watch of a new connection, with the receiver of its control messages.
    pub fn new(state: &AppState, protocol: WebSocketProtocols) -> (Arc<Self>, mpsc::UnboundedReceiver<WsMessage>) {
        let (control, receiver) = mpsc::unbounded_channel();
        let watch = Watch {
            state: state.clone(),
            protocol,
            control,
            active: Mutex::default(),
            initialised: AtomicBool::new(false),
            slot: Mutex::default(),
        };
        (Arc::new(watch), receiver)
    }

    /// Passes a client message on, unless it starts one subscription too many: that one
    /// is answered here with an error and never reaches the protocol.
    pub fn screen(&self, message: Vec<u8>) -> Option<Vec<u8>> {
        let Ok(Envelope { kind, id: Some(id) }) = serde_json::from_slice::<Envelope>(&message) else {
            return Some(message);
        };
        let Ok(mut active) = self.active.lock() else { return Some(message) };
        match kind.as_str() {
            "subscribe" | "start" if !active.contains(&id) => {
                let max = self.state.limits.ws_max_subscriptions;
                if max > 0 && active.len() >= max {
                    self.refuse_subscription(&id, max);
                    return None;
                }
                active.insert(id);
            }
            "complete" | "stop" => {
                active.remove(&id);
            }
            _ => {}
        }
        Some(message)
    }

    fn refuse_subscription(&self, id: &str, max: usize) {
        let message = format!("this connection runs {max} subscriptions already, the limit: complete one first");
        self.refuse(id, "TOO_MANY_SUBSCRIPTIONS", &message);
    }

    /// Ends operation `id` with an error, as the protocol ends any operation that fails.
    fn refuse(&self, id: &str, code: &str, message: &str) {
        let errors = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
        let next = match self.protocol {
            WebSocketProtocols::GraphQLWS => "next",
            WebSocketProtocols::SubscriptionsTransportWS => "data",
        };
        let _sent =
            self.control.send(WsMessage::Text(json!({ "id": id, "type": next, "payload": errors }).to_string()));
        let _sent = self.control.send(WsMessage::Text(json!({ "id": id, "type": "complete" }).to_string()));
    }

    /// In allow-list mode (`--persisted-queries-only`), passes on only the operations
    /// whose document an operator registered; the others end with
    /// PERSISTED_QUERY_NOT_ALLOWED before they reach the protocol.
    pub async fn allowed(&self, message: Vec<u8>) -> Option<Vec<u8>> {
        if !self.state.limits.persisted_queries_only {
            return Some(message);
        }
        let Ok(Operation { kind, id: Some(id), payload }) = serde_json::from_slice::<Operation>(&message) else {
            return Some(message);
        };
        if !matches!(kind.as_str(), "subscribe" | "start") {
            return Some(message);
        }
        let hash = service::persisted_queries::hash(&payload.query);
        let allowed = self.state.persisted.allows(&hash, self.state.clock.now()).await;
        if allowed.as_ref().is_ok_and(|allowed| *allowed) {
            return Some(message);
        }
        let (code, text) = match allowed {
            Err(error) if error.code() == UNAVAILABLE => (UNAVAILABLE, "the database is unreachable: retry shortly"),
            _ => (crate::http::persisted::NOT_ALLOWED, crate::http::persisted::NOT_ALLOWED_MESSAGE),
        };
        self.refuse(&id, code, text);
        None
    }

    /// Wraps the connection's `connection_init`: once it has identified the caller, takes
    /// a place among their connections, or refuses with 4429.
    pub async fn admit(
        self: Arc<Self>,
        init: impl Future<Output = async_graphql::Result<Data>> + Send + 'static,
    ) -> async_graphql::Result<Data> {
        let data = init.await?;
        let caller = data.get(&TypeId::of::<Caller>()).and_then(|d| d.downcast_ref::<Caller>());
        if let Some(Caller(actor)) = caller {
            let key = (actor.organization_id(), actor.person_id());
            let max = self.state.limits.ws_max_connections_per_subject;
            let Some(slot) = self.state.connections.take(key, max) else {
                let reason = format!("this token subject holds {max} connections already, the limit");
                let _sent = self.control.send(WsMessage::Close(TOO_MANY, reason.clone()));
                return Err(Error::new(reason));
            };
            if let Ok(mut held) = self.slot.lock() {
                *held = Some(slot);
            }
        }
        self.initialised.store(true, Ordering::Release);
        Ok(data)
    }

    /// The server's messages with the limits' own first: a refusal's close replaces the
    /// protocol's, and a connection not initialised within the configured time is closed
    /// with 4408. Completed subscriptions free their place.
    pub fn guard(
        self: Arc<Self>,
        outgoing: impl Stream<Item = WsMessage> + Unpin + Send + 'static,
        mut control: mpsc::UnboundedReceiver<WsMessage>,
    ) -> impl Stream<Item = WsMessage> + Unpin + Send + 'static {
        let timeout = Duration::from_secs(self.state.limits.ws_init_timeout_secs);
        let mut deadline = Box::pin(tokio::time::sleep(timeout));
        let mut outgoing = outgoing;
        let mut closed = false;
        futures::stream::poll_fn(move |cx| {
            if closed {
                return Poll::Ready(None);
            }
            let next = match control.poll_recv(cx) {
                Poll::Ready(Some(message)) => Poll::Ready(Some(message)),
                _ if !self.initialised.load(Ordering::Acquire) && deadline.as_mut().poll(cx).is_ready() => {
                    let reason = format!("no connection_init within {} s", timeout.as_secs());
                    Poll::Ready(Some(WsMessage::Close(INIT_TIMEOUT, reason)))
                }
                _ => outgoing.poll_next_unpin(cx).map(|message| message.map(|m| self.prefer_ours(m, &mut control))),
            };
            if let Poll::Ready(Some(message)) = &next {
                closed = matches!(message, WsMessage::Close(..));
                self.release(message);
            }
            next
        })
    }

    /// The limits' close when one is waiting, in place of the protocol's.
    fn prefer_ours(&self, message: WsMessage, control: &mut mpsc::UnboundedReceiver<WsMessage>) -> WsMessage {
        if let WsMessage::Close(..) = message
            && let Ok(ours @ WsMessage::Close(..)) = control.try_recv()
        {
            return ours;
        }
        message
    }

    fn release(&self, message: &WsMessage) {
        let WsMessage::Text(text) = message else { return };
        if let Ok(Envelope { kind, id: Some(id) }) = serde_json::from_str::<Envelope>(text)
            && kind == "complete"
            && let Ok(mut active) = self.active.lock()
        {
            active.remove(&id);
        }
    }
}
