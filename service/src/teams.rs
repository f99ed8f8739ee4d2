//! Teams: the units that own OKRs.

pub mod write;

use crate::Actor;
use crate::search::contains;
use crate::tenant::{Scoped, scoped};
use entity::team;
use sea_orm::ColumnTrait;
use uuid::Uuid;

/// Which teams a list shows.
#[derive(Debug, Clone, Default)]
pub struct TeamFilter {
    /// Only the children of this team.
    pub parent_id: Option<Uuid>,
    /// Only root teams (no parent).
    pub roots_only: bool,
    /// Name contains this text, ignoring case.
    pub search: Option<String>,
    /// Also archived teams.
    pub include_archived: bool,
}

/// The teams matching `filter`, oldest first.
pub fn query(actor: &Actor, filter: &TeamFilter) -> Scoped<team::Entity> {
    let mut select = scoped::<team::Entity>(actor);
    if let Some(parent_id) = filter.parent_id {
        select = select.filter(team::Column::ParentId.eq(parent_id));
    }
    if filter.roots_only {
        select = select.filter(team::Column::ParentId.is_null());
    }
    if let Some(text) = &filter.search {
        select = select.filter(contains(team::Column::Name, text));
    }
    if !filter.include_archived {
        select = select.filter(team::Column::ArchivedAt.is_null());
    }
    select
}
