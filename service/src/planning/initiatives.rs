//! Initiatives: the activities that should move a key result, where individuals are
//! assigned. They never count towards progress.

use crate::audit::Target;
use crate::events::{self, ChangeKind};
use crate::key_results::write::require_team_member;
use crate::key_results::{Archived, ids_of};
use crate::objectives::guards;
use crate::permissions::TokenScope;
use crate::rules::validate;
use crate::scope::Scope;
use crate::tenant::Scoped;
use crate::unit_of_work::{Work, write};
use crate::{Actor, Error, Result, new_id, permissions, tenant};
use entity::{InitiativeState, Level, initiative, key_result, objective};
use sea_orm::ActiveValue::Set;
use sea_orm::ColumnTrait;
use uuid::Uuid;

/// A new initiative: always on a key result, which keeps every activity traceable to a
/// result.
#[derive(Debug, Clone)]
pub struct NewInitiative {
    pub key_result_id: Uuid,
    pub title: String,
    pub assignee_id: Option<Uuid>,
    pub impact: Option<Level>,
    pub effort: Option<Level>,
}

/// Changes to an initiative; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct InitiativePatch {
    pub title: Option<String>,
    pub assignee_id: Option<Option<Uuid>>,
    pub state: Option<InitiativeState>,
    pub impact: Option<Option<Level>>,
    pub effort: Option<Option<Level>>,
}

/// Where an initiative sits on the impact/effort matrix, once both are rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quadrant {
    /// High impact, low effort: do these first.
    QuickWin,
    /// High impact, high effort: plan them.
    MajorProject,
    /// Low impact, low effort: when there is time.
    FillIn,
    /// Low impact, high effort: question them.
    Thankless,
}

impl Quadrant {
    /// The quadrant of an initiative rated `impact` and `effort`; none until both are.
    pub fn of(impact: Option<Level>, effort: Option<Level>) -> Option<Quadrant> {
        Some(match (impact?, effort?) {
            (Level::High, Level::Low) => Quadrant::QuickWin,
            (Level::High, Level::High) => Quadrant::MajorProject,
            (Level::Low, Level::Low) => Quadrant::FillIn,
            (Level::Low, Level::High) => Quadrant::Thankless,
        })
    }

    /// Its impact and effort.
    fn levels(self) -> (Level, Level) {
        match self {
            Quadrant::QuickWin => (Level::High, Level::Low),
            Quadrant::MajorProject => (Level::High, Level::High),
            Quadrant::FillIn => (Level::Low, Level::Low),
            Quadrant::Thankless => (Level::Low, Level::High),
        }
    }
}

/// Whose initiatives to list.
#[derive(Debug, Clone, Copy)]
pub enum InitiativesOf {
    KeyResult(Uuid),
    /// The initiatives on the live key results of the team's live objectives, every cycle.
    Team(Uuid),
}

/// The caller's organization's initiatives of `of`, in `quadrant` when given, oldest first.
pub fn query(actor: &Actor, of: InitiativesOf, quadrant: Option<Quadrant>) -> Scoped<initiative::Entity> {
    let of = match of {
        InitiativesOf::KeyResult(id) => initiative::Column::KeyResultId.eq(id),
        InitiativesOf::Team(team) => {
            let key_results = ids_of(actor, objective::Column::TeamId.eq(team), Archived::Left);
            initiative::Column::KeyResultId.in_subquery(key_results)
        }
    };
    let found = tenant::scoped::<initiative::Entity>(actor).filter(of);
    match quadrant.map(Quadrant::levels) {
        Some((impact, effort)) => {
            found.filter(initiative::Column::Impact.eq(impact)).filter(initiative::Column::Effort.eq(effort))
        }
        None => found,
    }
}

/// Adds an initiative to a key result; members of the owning team may.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), key_result.id = %new.key_result_id))]
pub async fn create(s: Scope<'_>, new: NewInitiative) -> Result<initiative::Model> {
    let new = NewInitiative { title: validate::title("title", &new.title)?, ..new };
    write(s, TokenScope::OkrWrite, |w| Box::pin(insert(w, &new))).await
}

async fn insert(w: &mut Work<'_>, new: &NewInitiative) -> Result<initiative::Model> {
    let team_id = owning_team(w, new.key_result_id).await?;
    if let Some(assignee) = new.assignee_id {
        require_team_member(w.db(), w.org(), team_id, assignee).await?;
    }
    let now = w.now();
    let row = initiative::Model {
        id: new_id(),
        organization_id: w.org().id(),
        key_result_id: new.key_result_id,
        title: new.title.clone(),
        assignee_id: new.assignee_id,
        state: InitiativeState::Planned,
        impact: new.impact,
        effort: new.effort,
        created_at: now,
        updated_at: now,
    };
    w.insert::<initiative::Entity>(row.clone()).await?;
    w.audit(Target::Initiative(row.id), "create", None::<&()>, Some(&row)).await?;
    w.announce(events::changed(row.organization_id, ChangeKind::Initiative, row.id, "created", [team_id]));
    Ok(row)
}

/// Edits, reassigns or moves an initiative along.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), initiative.id = %id))]
pub async fn update(s: Scope<'_>, id: Uuid, patch: InitiativePatch) -> Result<initiative::Model> {
    let title = patch.title.as_deref().map(|t| validate::title("title", t)).transpose()?;
    write(s, TokenScope::OkrWrite, |w| Box::pin(edit(w, id, &patch, title.as_deref()))).await
}

async fn edit(w: &mut Work<'_>, id: Uuid, patch: &InitiativePatch, title: Option<&str>) -> Result<initiative::Model> {
    let current = tenant::get::<initiative::Entity>(w.db(), w.org(), id).await?;
    let team_id = owning_team(w, current.key_result_id).await?;
    if let Some(Some(assignee)) = patch.assignee_id {
        require_team_member(w.db(), w.org(), team_id, assignee).await?;
    }
    let before = current.clone();
    let mut row: initiative::ActiveModel = current.into();
    if let Some(title) = title {
        row.title = Set(title.to_owned());
    }
    if let Some(assignee) = patch.assignee_id {
        row.assignee_id = Set(assignee);
    }
    if let Some(state) = patch.state {
        row.state = Set(state);
    }
    if let Some(impact) = patch.impact {
        row.impact = Set(impact);
    }
    if let Some(effort) = patch.effort {
        row.effort = Set(effort);
    }
    row.updated_at = Set(w.now());
    let updated = w.update::<initiative::Entity>(row).await?;
    w.audit(Target::Initiative(id), "update", Some(&before), Some(&updated)).await?;
    w.announce(events::changed(updated.organization_id, ChangeKind::Initiative, id, "updated", [team_id]));
    Ok(updated)
}

/// The team owning the key result, after checking the caller may work on it.
async fn owning_team(w: &Work<'_>, key_result_id: Uuid) -> Result<Uuid> {
    let kr = tenant::get::<key_result::Entity>(w.db(), w.org(), key_result_id).await?;
    if kr.archived_at.is_some() {
        return Err(Error::Conflict(format!("key result {:?} is archived", kr.title)));
    }
    let objective = tenant::get::<objective::Entity>(w.db(), w.org(), kr.objective_id).await?;
    guards::writable(w.db(), w.org(), &objective).await?;
    permissions::require_member(w.db(), w.actor(), objective.team_id, "plan initiatives on its key results").await?;
    Ok(objective.team_id)
}
