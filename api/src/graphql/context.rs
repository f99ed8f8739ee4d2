//! What resolvers reach through the GraphQL context: the app's shared data (schema
//! data) and the caller's actor and loaders (request data).

use crate::graphql::loaders::Loaders;
use async_graphql::Context;
use sea_orm::DatabaseConnection;
use service::{Actor, Clock};
use std::sync::Arc;

/// Shared by every request: set once on the schema.
#[derive(Clone)]
pub struct AppData {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub bus: service::events::Bus,
    /// Live insights for `insightsChanged`.
    pub insights: service::insights::watch::Watches,
    /// Where webhooks may go (checked when one is registered).
    pub destinations: Arc<service::webhooks::destination::Destinations>,
}

/// One request's caller, with loaders scoped to them.
pub struct RequestData {
    pub actor: Actor,
    pub loaders: Loaders,
}

/// The caller of a subscription over WebSocket, which needs no loaders.
pub struct Caller(pub Actor);

/// Everything a resolver needs, borrowed from the context.
pub struct Scope<'a> {
    pub db: &'a DatabaseConnection,
    pub bus: &'a service::events::Bus,
    pub clock: &'a dyn Clock,
    pub actor: &'a Actor,
    pub loaders: &'a Loaders,
}

impl<'a> Scope<'a> {
    /// The service's view of this caller.
    pub fn service(&self) -> service::Scope<'a> {
        service::Scope { db: self.db, clock: self.clock, actor: self.actor, bus: self.bus }
    }
}

/// The resolver's [`Scope`]; fails only when the server wiring is wrong.
pub fn scope<'a>(ctx: &Context<'a>) -> async_graphql::Result<Scope<'a>> {
    let app = ctx.data::<AppData>()?;
    let request = ctx.data::<RequestData>()?;
    Ok(Scope {
        db: &app.db,
        bus: &app.bus,
        clock: app.clock.as_ref(),
        actor: &request.actor,
        loaders: &request.loaders,
    })
}
