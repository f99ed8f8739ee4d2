//! Strategy themes and the themes company objectives serve.

use crate::graphql::context::scope;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, expect};
use crate::graphql::mutation::written;
use crate::graphql::objective::Objective;
use crate::graphql::scalars::Date;
use crate::graphql::theme::{Perspective, Theme, ThemeState};
use crate::payload;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use service::strategy::write::{self as themes, NewTheme, ThemePatch};

#[derive(Default)]
pub struct StrategyMutation;

/// A new strategic theme.
#[derive(InputObject)]
pub struct CreateThemeInput {
    pub client_mutation_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub perspective: Option<Perspective>,
    /// `#rrggbb`.
    pub colour: String,
    /// Its place among the themes, lowest first.
    #[graphql(default)]
    pub position: i32,
    pub starts_on: Date,
    /// A year or more after `startsOn`; leave it out for no end.
    pub ends_on: Option<Date>,
}

/// Changes to a theme; `state: ARCHIVED` retires it.
#[derive(InputObject)]
pub struct UpdateThemeInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    pub perspective: MaybeUndefined<Perspective>,
    pub colour: Option<String>,
    pub position: Option<i32>,
    pub state: Option<ThemeState>,
    pub starts_on: Option<Date>,
    pub ends_on: MaybeUndefined<Date>,
}

/// The themes a company objective serves, replacing the ones it served.
#[derive(InputObject)]
pub struct SetObjectiveThemesInput {
    pub client_mutation_id: Option<String>,
    pub objective_id: ID,
    pub theme_ids: Vec<ID>,
}

payload!(
    /// The theme after the change.
    ThemePayload { theme: Theme }
);
payload!(
    /// The objective with its themes.
    ObjectiveThemesPayload { objective: Objective }
);

#[Object]
impl StrategyMutation {
    /// Defines a strategic theme (admins).
    async fn create_theme(&self, ctx: &Context<'_>, input: CreateThemeInput) -> Result<ThemePayload> {
        let s = scope(ctx)?;
        let new = NewTheme {
            name: input.name,
            description: input.description,
            perspective: input.perspective.map(Into::into),
            colour: input.colour,
            position: input.position,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.map(|d| d.0),
        };
        let theme = themes::create(s.service(), new).await.gql()?;
        Ok(written(&s, ThemePayload { client_mutation_id: input.client_mutation_id, theme: Theme(theme.into()) }))
    }

    /// Edits, reorders or archives a theme (admins).
    async fn update_theme(&self, ctx: &Context<'_>, input: UpdateThemeInput) -> Result<ThemePayload> {
        let s = scope(ctx)?;
        let patch = ThemePatch {
            name: input.name,
            description: input.description.into(),
            perspective: Option::from(input.perspective.map_value(Into::into)),
            colour: input.colour,
            position: input.position,
            state: input.state.map(Into::into),
            starts_on: input.starts_on.map(|d| d.0),
            ends_on: Option::from(input.ends_on.map_value(|d| d.0)),
        };
        let theme = themes::update(s.service(), expect(Kind::Theme, &input.id)?, patch).await.gql()?;
        Ok(written(&s, ThemePayload { client_mutation_id: input.client_mutation_id, theme: Theme(theme.into()) }))
    }

    /// Sets the themes a company objective serves (admins, leads of the company team).
    async fn set_objective_themes(
        &self,
        ctx: &Context<'_>,
        input: SetObjectiveThemesInput,
    ) -> Result<ObjectiveThemesPayload> {
        let s = scope(ctx)?;
        let objective = expect(Kind::Objective, &input.objective_id)?;
        let theme_ids = input.theme_ids.iter().map(|id| expect(Kind::Theme, id)).collect::<Result<Vec<_>>>()?;
        themes::set_objective_themes(s.service(), objective, theme_ids).await.gql()?;
        written(&s, ());
        let objective = s.loaders.objectives.load_one(objective).await.gql()?;
        let objective =
            objective.ok_or_else(|| service::Error::not_found("objective", input.objective_id.0.clone())).gql()?;
        Ok(ObjectiveThemesPayload { client_mutation_id: input.client_mutation_id, objective: Objective(objective) })
    }
}
