//! Initiatives, cross-team dependencies and the focus policy.

use crate::graphql::context::scope;
use crate::graphql::dependency::Dependency;
use crate::graphql::enums::{FocusPolicyMode, InitiativeState, Level};
use crate::graphql::error::{GqlResult, bad_input};
use crate::graphql::ids::{Kind, expect};
use crate::graphql::initiative::Initiative;
use crate::graphql::mutation::{clearable, objective_or_key_result, written};
use crate::graphql::organization::Organization;
use crate::payload;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use service::organizations::{self, PolicyPatch};
use service::planning::dependencies;
use service::planning::initiatives::{self as initiatives, InitiativePatch, NewInitiative};

/// Planning mutations.
#[derive(Default)]
pub struct PlanningMutation;

/// A new initiative on a key result.
#[derive(InputObject)]
pub struct CreateInitiativeInput {
    pub client_mutation_id: Option<String>,
    pub key_result_id: ID,
    pub title: String,
    /// A member of the owning team.
    pub assignee_id: Option<ID>,
    /// Expected impact on the key result.
    pub impact: Option<Level>,
    /// Effort it takes.
    pub effort: Option<Level>,
}

/// Changes to an initiative.
#[derive(InputObject)]
pub struct UpdateInitiativeInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    pub title: Option<String>,
    /// `null` unassigns it.
    pub assignee_id: MaybeUndefined<ID>,
    pub state: Option<InitiativeState>,
    /// `null` clears the rating.
    pub impact: MaybeUndefined<Level>,
    /// `null` clears the rating.
    pub effort: MaybeUndefined<Level>,
}

/// "Our objective (or key result) needs theirs."
#[derive(InputObject)]
pub struct CreateDependencyInput {
    pub client_mutation_id: Option<String>,
    /// Your team's objective or key result.
    pub from_id: ID,
    /// The other team's objective or key result.
    pub to_id: ID,
    pub note: Option<String>,
}

/// A dependency to resolve.
#[derive(InputObject)]
pub struct ResolveDependencyInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
}

/// Changes to the policy (admins): the focus limits and the insight thresholds, each
/// left as it is when not given. The activity word lists replace the organization's own.
#[derive(InputObject)]
pub struct UpdatePolicyInput {
    pub client_mutation_id: Option<String>,
    pub max_objectives_per_team: Option<i32>,
    pub max_key_results_per_objective: Option<i32>,
    pub mode: Option<FocusPolicyMode>,
    pub check_in_rhythm_days: Option<i32>,
    pub stale_critical_days: Option<i32>,
    pub forecast_min_check_ins: Option<i32>,
    pub forecast_critical_below: Option<f64>,
    pub confidence_drops: Option<i32>,
    pub off_track_in_a_row: Option<i32>,
    pub no_key_results_after_days: Option<i32>,
    pub activity_verbs: Option<Vec<String>>,
    pub activity_outputs: Option<Vec<String>>,
}

impl UpdatePolicyInput {
    fn insights(&self) -> Result<service::insights::policy::InsightPolicyPatch> {
        let count = |field: &str, value: Option<i32>| -> Result<Option<u32>> {
            value
                .map(|v| u32::try_from(v).map_err(|_| bad_input(format!("`{field}` cannot be negative, not {v}"))))
                .transpose()
        };
        Ok(service::insights::policy::InsightPolicyPatch {
            check_in_rhythm_days: count("checkInRhythmDays", self.check_in_rhythm_days)?,
            stale_critical_days: count("staleCriticalDays", self.stale_critical_days)?,
            forecast_min_check_ins: count("forecastMinCheckIns", self.forecast_min_check_ins)?,
            forecast_critical_below: self.forecast_critical_below,
            confidence_drops: count("confidenceDrops", self.confidence_drops)?,
            off_track_in_a_row: count("offTrackInARow", self.off_track_in_a_row)?,
            no_key_results_after_days: count("noKeyResultsAfterDays", self.no_key_results_after_days)?,
            activity_verbs: self.activity_verbs.clone(),
            activity_outputs: self.activity_outputs.clone(),
        })
    }
}

payload!(
    /// The initiative after the change.
    InitiativePayload { initiative: Initiative }
);
payload!(
    /// The dependency after the change.
    DependencyPayload { dependency: Dependency }
);
payload!(
    /// The organization with its new policy.
    UpdatePolicyPayload { organization: Organization }
);

#[Object]
impl PlanningMutation {
    /// Adds an initiative to a key result (members of the owning team).
    async fn create_initiative(&self, ctx: &Context<'_>, input: CreateInitiativeInput) -> Result<InitiativePayload> {
        let s = scope(ctx)?;
        let key_result = expect(Kind::KeyResult, &input.key_result_id)?;
        let assignee = input.assignee_id.as_ref().map(|id| expect(Kind::Person, id)).transpose()?;
        let new = NewInitiative {
            key_result_id: key_result,
            title: input.title,
            assignee_id: assignee,
            impact: input.impact.map(Into::into),
            effort: input.effort.map(Into::into),
        };
        let initiative = initiatives::create(s.service(), new).await.gql()?;
        Ok(written(
            &s,
            InitiativePayload {
                client_mutation_id: input.client_mutation_id,
                initiative: Initiative(initiative.into()),
            },
        ))
    }

    /// Edits, reassigns or moves an initiative along.
    async fn update_initiative(&self, ctx: &Context<'_>, input: UpdateInitiativeInput) -> Result<InitiativePayload> {
        let s = scope(ctx)?;
        let assignee_id = clearable(Kind::Person, input.assignee_id)?;
        let level = |l: MaybeUndefined<Level>| Option::from(l.map_value(Into::into));
        let patch = InitiativePatch {
            title: input.title,
            assignee_id,
            state: input.state.map(Into::into),
            impact: level(input.impact),
            effort: level(input.effort),
        };
        let initiative = initiatives::update(s.service(), expect(Kind::Initiative, &input.id)?, patch).await.gql()?;
        Ok(written(
            &s,
            InitiativePayload {
                client_mutation_id: input.client_mutation_id,
                initiative: Initiative(initiative.into()),
            },
        ))
    }

    /// Records that your objective needs another team's (leads of your team).
    async fn create_dependency(&self, ctx: &Context<'_>, input: CreateDependencyInput) -> Result<DependencyPayload> {
        let s = scope(ctx)?;
        let dependency = dependencies::create(
            s.service(),
            objective_or_key_result(&input.from_id)?,
            objective_or_key_result(&input.to_id)?,
            input.note.as_deref(),
        )
        .await
        .gql()?;
        Ok(written(
            &s,
            DependencyPayload {
                client_mutation_id: input.client_mutation_id,
                dependency: Dependency(dependency.into()),
            },
        ))
    }

    /// Marks a dependency resolved (leads of either team).
    async fn resolve_dependency(&self, ctx: &Context<'_>, input: ResolveDependencyInput) -> Result<DependencyPayload> {
        let s = scope(ctx)?;
        let dependency =
            dependencies::resolve_dependency(s.service(), expect(Kind::Dependency, &input.id)?).await.gql()?;
        Ok(written(
            &s,
            DependencyPayload {
                client_mutation_id: input.client_mutation_id,
                dependency: Dependency(dependency.into()),
            },
        ))
    }

    /// Changes the focus policy (admins).
    async fn update_policy(&self, ctx: &Context<'_>, input: UpdatePolicyInput) -> Result<UpdatePolicyPayload> {
        let s = scope(ctx)?;
        let patch = PolicyPatch {
            max_objectives_per_team: input.max_objectives_per_team,
            max_key_results_per_objective: input.max_key_results_per_objective,
            mode: input.mode.map(Into::into),
            insights: input.insights()?,
        };
        let organization = organizations::update_policy(s.service(), patch).await.gql()?;
        Ok(written(
            &s,
            UpdatePolicyPayload {
                client_mutation_id: input.client_mutation_id,
                organization: Organization(organization.into()),
            },
        ))
    }
}
