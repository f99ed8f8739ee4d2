//! A closed cycle changes nothing (SPEC §3.5), held by the unit of work for every write.
//!
//! Each row a write stores names the cycle rows it belongs to (an objective its cycle, a
//! key result its objective, a check-in its key result, a dependency the objective that
//! needs it) and the rows its new links point at (an objective's new parent, a
//! dependency's other end, a cycle's parent). The unit of work collects those
//! [`Anchor`]s as the write stores rows, and before it commits, one statement asks
//! whether any of them lies in a closed cycle: then the whole write is refused with
//! `CYCLE_CLOSED`. Only closing and reopening a cycle may change that cycle's rows.

use crate::tenant::{self, Org, Tenant};
use crate::{Error, Result};
use entity::*;
use sea_orm::ActiveValue;
use sea_orm::ConnectionTrait;
use std::collections::BTreeSet;
use uuid::Uuid;

/// A row that lives in a cycle, named by its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Anchor {
    Cycle(Uuid),
    Objective(Uuid),
    KeyResult(Uuid),
}

/// A tenant table whose rows belong to, or link into, a cycle.
pub trait InCycle: Tenant {
    /// What `row` belongs to, and, for columns it sets (all of them when `inserting`),
    /// what it links to.
    fn anchors(row: &Self::ActiveModel, inserting: bool) -> Vec<Anchor>;

    /// The anchor of the row `id` itself, for writes that name rows only by id.
    fn itself(id: Uuid) -> Option<Anchor>;
}

/// The value a column holds or is given.
fn held<V: Into<sea_orm::Value>>(column: &ActiveValue<V>) -> Option<&V> {
    match column {
        ActiveValue::Set(value) | ActiveValue::Unchanged(value) => Some(value),
        ActiveValue::NotSet => None,
    }
}

/// The value a column is given now: a link the write makes, not one it leaves as it was.
fn given<V: Into<sea_orm::Value>>(column: &ActiveValue<V>, inserting: bool) -> Option<&V> {
    match column {
        ActiveValue::Set(value) => Some(value),
        ActiveValue::Unchanged(value) if inserting => Some(value),
        _ => None,
    }
}

/// Tables outside any cycle.
macro_rules! timeless {
    ($($module:ident),*) => {$(
        impl InCycle for $module::Entity {
            fn anchors(_: &$module::ActiveModel, _: bool) -> Vec<Anchor> {
                Vec::new()
            }
            fn itself(_: Uuid) -> Option<Anchor> {
                None
            }
        }
    )*};
}

timeless!(person, team, membership, team_week, theme, webhook, webhook_delivery, webhook_attempt);

impl InCycle for cycle::Entity {
    fn anchors(row: &cycle::ActiveModel, inserting: bool) -> Vec<Anchor> {
        let own = held(&row.id).map(|id| Anchor::Cycle(*id));
        let parent = given(&row.parent_id, inserting).copied().flatten().map(Anchor::Cycle);
        own.into_iter().chain(parent).collect()
    }
    fn itself(id: Uuid) -> Option<Anchor> {
        Some(Anchor::Cycle(id))
    }
}

impl InCycle for objective::Entity {
    fn anchors(row: &objective::ActiveModel, inserting: bool) -> Vec<Anchor> {
        let own = held(&row.cycle_id).map(|id| Anchor::Cycle(*id));
        let parent = given(&row.parent_objective_id, inserting).copied().flatten().map(Anchor::Objective);
        let parent_kr = given(&row.parent_key_result_id, inserting).copied().flatten().map(Anchor::KeyResult);
        own.into_iter().chain(parent).chain(parent_kr).collect()
    }
    fn itself(id: Uuid) -> Option<Anchor> {
        Some(Anchor::Objective(id))
    }
}

impl InCycle for key_result::Entity {
    fn anchors(row: &key_result::ActiveModel, _: bool) -> Vec<Anchor> {
        held(&row.objective_id).map(|id| Anchor::Objective(*id)).into_iter().collect()
    }
    fn itself(id: Uuid) -> Option<Anchor> {
        Some(Anchor::KeyResult(id))
    }
}

impl InCycle for check_in::Entity {
    fn anchors(row: &check_in::ActiveModel, _: bool) -> Vec<Anchor> {
        held(&row.key_result_id).map(|id| Anchor::KeyResult(*id)).into_iter().collect()
    }
    fn itself(_: Uuid) -> Option<Anchor> {
        None
    }
}

impl InCycle for initiative::Entity {
    fn anchors(row: &initiative::ActiveModel, _: bool) -> Vec<Anchor> {
        held(&row.key_result_id).map(|id| Anchor::KeyResult(*id)).into_iter().collect()
    }
    fn itself(_: Uuid) -> Option<Anchor> {
        None
    }
}

impl InCycle for objective_theme::Entity {
    /// A link belongs to its objective: a closed cycle's objectives keep their themes.
    fn anchors(row: &objective_theme::ActiveModel, _: bool) -> Vec<Anchor> {
        held(&row.objective_id).map(|id| Anchor::Objective(*id)).into_iter().collect()
    }
    fn itself(_: Uuid) -> Option<Anchor> {
        None
    }
}

impl InCycle for dependency::Entity {
    /// A dependency belongs to the objective that needs the other; the other end is a
    /// link, so a dependency made before a cycle closed can still be resolved from the
    /// side that is open.
    fn anchors(row: &dependency::ActiveModel, inserting: bool) -> Vec<Anchor> {
        let from = held(&row.from_objective_id).map(|id| Anchor::Objective(*id));
        let from_kr = given(&row.from_key_result_id, inserting).copied().flatten().map(Anchor::KeyResult);
        let to = given(&row.to_objective_id, inserting).map(|id| Anchor::Objective(*id));
        let to_kr = given(&row.to_key_result_id, inserting).copied().flatten().map(Anchor::KeyResult);
        from.into_iter().chain(from_kr).chain(to).chain(to_kr).collect()
    }
    fn itself(_: Uuid) -> Option<Anchor> {
        None
    }
}

/// The anchors a unit of work has touched so far, and the cycle whose state it changes.
#[derive(Debug, Default)]
pub struct Touched {
    anchors: BTreeSet<Anchor>,
    opening_or_closing: Option<Uuid>,
}

impl Touched {
    /// Adds what a stored row touched.
    pub fn add(&mut self, anchors: impl IntoIterator<Item = Anchor>) {
        self.anchors.extend(anchors);
    }

    /// The write closes or reopens `cycle_id`: that cycle's own rows may change.
    pub fn changing_state_of(&mut self, cycle_id: Uuid) {
        self.opening_or_closing = Some(cycle_id);
    }

    /// Refuses the write when anything it touched lies in a closed cycle.
    pub async fn refuse_closed(&self, db: &impl ConnectionTrait, org: Org) -> Result<()> {
        if self.anchors.is_empty() {
            return Ok(());
        }
        let pick = |f: fn(&Anchor) -> Option<Uuid>| self.anchors.iter().filter_map(f).collect::<Vec<_>>();
        let cycles = pick(|a| if let Anchor::Cycle(id) = a { Some(*id) } else { None });
        let objectives = pick(|a| if let Anchor::Objective(id) = a { Some(*id) } else { None });
        let key_results = pick(|a| if let Anchor::KeyResult(id) = a { Some(*id) } else { None });
        let among = tenant::CycleRows { cycles: &cycles, objectives: &objectives, key_results: &key_results };
        match tenant::closed_cycle_among(db, org, among, self.opening_or_closing).await? {
            None => Ok(()),
            Some(closed) => Err(linked_into(&closed)),
        }
    }
}

/// The refusal of a write that stores a row in, or links a row into, the closed `cycle`.
pub fn linked_into(cycle: &cycle::Model) -> Error {
    Error::CycleClosed(format!(
        "cycle {:?} is closed: nothing in it changes, and nothing new links into it, until an \
         organization admin reopens it",
        cycle.name
    ))
}
