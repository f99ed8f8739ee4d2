//! Teams and memberships (organization admins).

use crate::graphql::context::scope;
use crate::graphql::enums::TeamRole;
use crate::graphql::error::{GqlResult, bad_input};
use crate::graphql::ids::{Kind, expect};
use crate::graphql::mutation::{clearable, written};
use crate::graphql::person::Membership;
use crate::graphql::team::Team;
use crate::payload;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use service::teams::write::{self as team_writes, Who};

/// Team and membership mutations.
#[derive(Default)]
pub struct TeamMutation;

/// A new team.
#[derive(InputObject)]
pub struct CreateTeamInput {
    pub client_mutation_id: Option<String>,
    pub name: String,
    /// The team it sits in; omit for the company (root) team.
    pub parent_id: Option<ID>,
}

/// Changes to a team.
#[derive(InputObject)]
pub struct UpdateTeamInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
    pub name: Option<String>,
    /// A new parent; `null` makes it a root team.
    pub parent_id: MaybeUndefined<ID>,
    /// Days between the team's check-ins (1–90); `null` follows the organization's policy.
    pub check_in_rhythm_days: MaybeUndefined<i32>,
}

/// A team to archive.
#[derive(InputObject)]
pub struct ArchiveTeamInput {
    pub client_mutation_id: Option<String>,
    pub id: ID,
}

/// Someone to add to a team: `personId`, or a `subject` (created if unseen).
#[derive(InputObject)]
pub struct AddTeamMemberInput {
    pub client_mutation_id: Option<String>,
    pub team_id: ID,
    pub person_id: Option<ID>,
    pub subject: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    #[graphql(default_with = "TeamRole::Member")]
    pub role: TeamRole,
    /// A role title such as "SDR".
    pub title: Option<String>,
}

/// Changes to a membership.
#[derive(InputObject)]
pub struct UpdateTeamMemberInput {
    pub client_mutation_id: Option<String>,
    /// The membership's id.
    pub id: ID,
    pub role: Option<TeamRole>,
    /// An empty string clears it.
    pub title: Option<String>,
}

/// A membership to end.
#[derive(InputObject)]
pub struct RemoveTeamMemberInput {
    pub client_mutation_id: Option<String>,
    /// The membership's id.
    pub id: ID,
}

payload!(
    /// The team after the change.
    TeamPayload { team: Team }
);
payload!(
    /// The membership after the change.
    MembershipPayload { membership: Membership }
);
payload!(
    /// What a removal left.
    RemoveTeamMemberPayload {
        /// The id of the membership that ended.
        removed_membership_id: ID,
        team: Option<Team>
    }
);

#[Object]
impl TeamMutation {
    /// Creates a team (admins).
    async fn create_team(&self, ctx: &Context<'_>, input: CreateTeamInput) -> Result<TeamPayload> {
        let s = scope(ctx)?;
        let parent = input.parent_id.as_ref().map(|id| expect(Kind::Team, id)).transpose()?;
        let team = team_writes::create(s.service(), &input.name, parent).await.gql()?;
        Ok(written(&s, TeamPayload { client_mutation_id: input.client_mutation_id, team: Team(team.into()) }))
    }

    /// Renames or moves a team (admins).
    async fn update_team(&self, ctx: &Context<'_>, input: UpdateTeamInput) -> Result<TeamPayload> {
        let s = scope(ctx)?;
        let id = expect(Kind::Team, &input.id)?;
        let parent = clearable(Kind::Team, input.parent_id)?;
        let check_in_rhythm_days = input.check_in_rhythm_days.into();
        let patch = team_writes::TeamPatch { name: input.name, parent_id: parent, check_in_rhythm_days };
        let team = team_writes::update(s.service(), id, patch).await.gql()?;
        Ok(written(&s, TeamPayload { client_mutation_id: input.client_mutation_id, team: Team(team.into()) }))
    }

    /// Archives a team (admins).
    async fn archive_team(&self, ctx: &Context<'_>, input: ArchiveTeamInput) -> Result<TeamPayload> {
        let s = scope(ctx)?;
        let team = team_writes::archive(s.service(), expect(Kind::Team, &input.id)?).await.gql()?;
        Ok(written(&s, TeamPayload { client_mutation_id: input.client_mutation_id, team: Team(team.into()) }))
    }

    /// Adds a person to a team (admins).
    async fn add_team_member(&self, ctx: &Context<'_>, input: AddTeamMemberInput) -> Result<MembershipPayload> {
        let s = scope(ctx)?;
        let team_id = expect(Kind::Team, &input.team_id)?;
        let who = match (&input.person_id, input.subject) {
            (Some(id), None) => Who::Person(expect(Kind::Person, id)?),
            (None, Some(subject)) => Who::Subject { subject, display_name: input.display_name, email: input.email },
            _ => return Err(bad_input("give exactly one of `personId` and `subject`")),
        };
        let membership = team_writes::add_member(s.service(), team_id, who, input.role.into(), input.title.as_deref())
            .await
            .gql()?;
        Ok(written(
            &s,
            MembershipPayload {
                client_mutation_id: input.client_mutation_id,
                membership: Membership(membership.into()),
            },
        ))
    }

    /// Changes a member's role or title (admins).
    async fn update_team_member(&self, ctx: &Context<'_>, input: UpdateTeamMemberInput) -> Result<MembershipPayload> {
        let s = scope(ctx)?;
        let id = expect(Kind::Membership, &input.id)?;
        let membership =
            team_writes::update_member(s.service(), id, input.role.map(Into::into), input.title.as_deref())
                .await
                .gql()?;
        Ok(written(
            &s,
            MembershipPayload {
                client_mutation_id: input.client_mutation_id,
                membership: Membership(membership.into()),
            },
        ))
    }

    /// Removes a person from a team (admins).
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveTeamMemberInput,
    ) -> Result<RemoveTeamMemberPayload> {
        let s = scope(ctx)?;
        let removed = team_writes::remove_member(s.service(), expect(Kind::Membership, &input.id)?).await.gql()?;
        let team = s.loaders.teams.load_one(removed.team_id).await.gql()?.map(Team);
        Ok(written(
            &s,
            RemoveTeamMemberPayload {
                client_mutation_id: input.client_mutation_id,
                removed_membership_id: input.id,
                team,
            },
        ))
    }
}
