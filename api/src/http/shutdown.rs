//! Stopping gracefully. A plain HTTP request finishes by itself (axum stops accepting and
//! waits for it), but a subscription never does: every WebSocket and SSE stream holds a
//! [`Hold`] and watches [`Shutdown::stopping`], says goodbye (close code 1001, the SSE
//! `complete` event) and lets go, and the server waits for the last hold to go before
//! it exits, within the grace period.

use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The shutdown signal and the streams still open, shared by every handler.
#[derive(Debug, Clone)]
pub struct Shutdown {
    stopping: watch::Sender<bool>,
    holds: mpsc::Sender<()>,
}

/// Held by a long-lived stream while it runs; the server waits for every one.
#[derive(Debug)]
pub struct Hold {
    _held: mpsc::Sender<()>,
}

/// The other end: completes when every [`Hold`] (and every [`Shutdown`]) has been dropped.
#[derive(Debug)]
pub struct Released(mpsc::Receiver<()>);

impl Shutdown {
    /// A new signal, and what tells when every stream has let go.
    pub fn new() -> (Self, Released) {
        let (holds, released) = mpsc::channel(1);
        (Shutdown { stopping: watch::Sender::new(false), holds }, Released(released))
    }

    /// Tells every stream to finish.
    pub fn begin(&self) {
        self.stopping.send_replace(true);
    }

    /// Completes once shutdown has begun (at once if it has already).
    pub async fn stopping(&self) {
        let mut watching = self.stopping.subscribe();
        // The sender lives as long as `self`: the wait ends only by the signal.
        let _begun = watching.wait_for(|stopping| *stopping).await;
    }

    /// The signal alone, for background work that holds no stream: it does not keep the
    /// server waiting for its release (the webhook sender finishes within the grace
    /// period on its own).
    pub fn signal(&self) -> Signal {
        Signal(self.stopping.subscribe())
    }

    /// A hold for one stream.
    pub fn hold(&self) -> Hold {
        Hold { _held: self.holds.clone() }
    }
}

impl Released {
    /// Waits up to `grace` for every stream to let go; `false` when some did not.
    pub async fn within(mut self, grace: Duration) -> bool {
        tokio::time::timeout(grace, self.0.recv()).await.is_ok()
    }
}

/// Whether shutdown has begun, without holding the server open.
#[derive(Clone)]
pub struct Signal(watch::Receiver<bool>);

impl Signal {
    /// Completes once shutdown has begun (at once if it has already).
    pub async fn stopping(&mut self) {
        let _begun = self.0.wait_for(|stopping| *stopping).await;
    }

    /// Whether shutdown has begun.
    pub fn stopped(&self) -> bool {
        *self.0.borrow()
    }
}
