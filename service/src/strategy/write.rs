//! Managing strategic themes (admins) and the themes company objectives serve (admins and
//! the company team's leads).

use super::{is_company_team, validate_colour};
use crate::audit::Target;
use crate::events::{self, ChangeKind};
use crate::objectives::guards;
use crate::permissions::{self, TokenScope};
use crate::rules::validate;
use crate::scope::Scope;
use crate::tenant::{self, scoped};
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, new_id};
use chrono::NaiveDate;
use entity::{Perspective, ThemeState, objective, objective_theme, theme};
use sea_orm::ActiveValue::Set;
use sea_orm::ColumnTrait;
use std::collections::HashSet;
use uuid::Uuid;

/// A new theme.
#[derive(Debug, Clone)]
pub struct NewTheme {
    pub name: String,
    pub description: Option<String>,
    pub perspective: Option<Perspective>,
    /// `#rrggbb`.
    pub colour: String,
    pub position: i32,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// Changes to a theme; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ThemePatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub perspective: Option<Option<Perspective>>,
    pub colour: Option<String>,
    pub position: Option<i32>,
    pub state: Option<ThemeState>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<Option<NaiveDate>>,
}

/// Adds a theme (admins).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id()))]
pub async fn create(s: Scope<'_>, new: NewTheme) -> Result<theme::Model> {
    permissions::require_admin(s.actor, "define strategic themes")?;
    let new = NewTheme {
        name: validate::title("name", &new.name)?,
        description: validate::text("description", new.description.as_deref())?,
        colour: validate_colour(&new.colour)?,
        ..new
    };
    period(new.starts_on, new.ends_on)?;
    write(s, TokenScope::Admin, |w| Box::pin(insert(w, &new))).await
}

/// A theme runs a year or longer (the strategy outlives the quarters below it).
fn period(starts_on: NaiveDate, ends_on: Option<NaiveDate>) -> Result<()> {
    match ends_on {
        Some(end) if end < starts_on + chrono::Duration::days(364) => Err(Error::BadUserInput(format!(
            "a theme runs a year or longer: {starts_on} to {end} is shorter (leave `endsOn` out for no end)"
        ))),
        _ => Ok(()),
    }
}

async fn insert(w: &mut Work<'_>, new: &NewTheme) -> Result<theme::Model> {
    let now = w.now();
    let row = theme::Model {
        id: new_id(),
        organization_id: w.org().id(),
        name: new.name.clone(),
        description: new.description.clone(),
        perspective: new.perspective,
        colour: new.colour.clone(),
        position: new.position,
        state: ThemeState::Active,
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        created_at: now,
        updated_at: now,
    };
    w.insert::<theme::Entity>(row.clone()).await?;
    w.audit(Target::Theme(row.id), "create", None::<&()>, Some(&row)).await?;
    w.announce(events::changed(row.organization_id, ChangeKind::Theme, row.id, "created", []));
    Ok(row)
}

/// Edits, reorders or archives a theme (admins).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), theme.id = %id))]
pub async fn update(s: Scope<'_>, id: Uuid, patch: ThemePatch) -> Result<theme::Model> {
    permissions::require_admin(s.actor, "edit strategic themes")?;
    let patch = ThemePatch {
        name: patch.name.as_deref().map(|n| validate::title("name", n)).transpose()?,
        description: patch.description.map(|d| validate::text("description", d.as_deref())).transpose()?,
        colour: patch.colour.as_deref().map(validate_colour).transpose()?,
        ..patch
    };
    write(s, TokenScope::Admin, |w| Box::pin(edit(w, id, &patch))).await
}

async fn edit(w: &mut Work<'_>, id: Uuid, patch: &ThemePatch) -> Result<theme::Model> {
    let current = tenant::get::<theme::Entity>(w.db(), w.org(), id).await?;
    period(patch.starts_on.unwrap_or(current.starts_on), patch.ends_on.unwrap_or(current.ends_on))?;
    let before = current.clone();
    let mut row: theme::ActiveModel = current.into();
    set(&mut row.name, patch.name.clone());
    set(&mut row.description, patch.description.clone());
    set(&mut row.perspective, patch.perspective);
    set(&mut row.colour, patch.colour.clone());
    set(&mut row.position, patch.position);
    set(&mut row.state, patch.state);
    set(&mut row.starts_on, patch.starts_on);
    set(&mut row.ends_on, patch.ends_on);
    row.updated_at = Set(w.now());
    let updated = w.update::<theme::Entity>(row).await?;
    w.audit(Target::Theme(id), "update", Some(&before), Some(&updated)).await?;
    let change = match (before.state, updated.state) {
        (ThemeState::Active, ThemeState::Archived) => "archived",
        _ => "updated",
    };
    w.announce(events::changed(updated.organization_id, ChangeKind::Theme, id, change, []));
    Ok(updated)
}

fn set<T: Into<sea_orm::Value>>(column: &mut sea_orm::ActiveValue<T>, value: Option<T>) {
    if let Some(value) = value {
        *column = Set(value);
    }
}

/// Sets the themes a company objective serves, replacing the ones it served (admins and
/// the company team's leads). Team objectives inherit theirs from what they align to.
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), objective.id = %objective_id))]
pub async fn set_objective_themes(s: Scope<'_>, objective_id: Uuid, theme_ids: Vec<Uuid>) -> Result<Vec<Uuid>> {
    write(s, TokenScope::OkrWrite, |w| Box::pin(link(w, objective_id, &theme_ids))).await
}

async fn link(w: &mut Work<'_>, objective_id: Uuid, theme_ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let objective = tenant::get::<objective::Entity>(w.db(), w.org(), objective_id).await?;
    permissions::require_lead(w.db(), w.actor(), objective.team_id, "choose its objectives' themes").await?;
    guards::writable(w.db(), w.org(), &objective).await?;
    if !is_company_team(w.db(), w.org(), objective.team_id).await? {
        return Err(Error::BadUserInput(
            "only company objectives serve themes directly; a team objective inherits the themes of what it aligns to"
                .into(),
        ));
    }
    let wanted: Vec<Uuid> = theme_ids.iter().copied().collect::<HashSet<_>>().into_iter().collect();
    let themes = tenant::by_ids::<theme::Entity>(w.db(), w.org(), &wanted).await?;
    for id in &wanted {
        match themes.get(id) {
            None => return Err(Error::not_found("theme", *id)),
            Some(t) if t.state == ThemeState::Archived => {
                return Err(Error::Conflict(format!("theme {:?} is archived and takes no objectives", t.name)));
            }
            Some(_) => {}
        }
    }
    let current = scoped::<objective_theme::Entity>(w.org())
        .filter(objective_theme::Column::ObjectiveId.eq(objective_id))
        .all(w.db())
        .await?;
    let before: Vec<Uuid> = current.iter().map(|l| l.theme_id).collect();
    for link in current.iter().filter(|l| !wanted.contains(&l.theme_id)) {
        w.delete::<objective_theme::Entity>(link.id).await?;
    }
    let now = w.now();
    for theme_id in wanted.iter().filter(|t| !before.contains(t)) {
        let row = objective_theme::Model {
            id: new_id(),
            organization_id: w.org().id(),
            objective_id,
            theme_id: *theme_id,
            created_at: now,
        };
        w.insert::<objective_theme::Entity>(row).await?;
    }
    w.audit(Target::Objective(objective_id), "set_themes", Some(&before), Some(&wanted)).await?;
    for theme_id in before.iter().chain(&wanted).collect::<HashSet<_>>() {
        w.announce(events::changed(
            objective.organization_id,
            ChangeKind::Theme,
            *theme_id,
            "linked",
            [objective.team_id],
        ));
    }
    let mut wanted = wanted;
    wanted.sort_by_key(|id| themes.get(id).map(|t| (t.position, t.id)));
    Ok(wanted)
}
