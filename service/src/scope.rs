//! What every service call carries: the database, the clock and the actor.

use crate::events::Bus;
use crate::{Actor, Clock};
use sea_orm::DatabaseConnection;

/// The caller and the outside world, passed to every write.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub db: &'a DatabaseConnection,
    pub clock: &'a dyn Clock,
    pub actor: &'a Actor,
    /// Where changes are announced to live displays.
    pub bus: &'a Bus,
}
