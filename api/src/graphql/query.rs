//! The query root.

use crate::graphql::connection::{Conn, PageArgs, from_query, from_rows};
use crate::graphql::context::scope;
use crate::graphql::cycle::Cycle;
use crate::graphql::enums::{CycleState, ObjectiveState, OrgRole, Quadrant, Status};
use crate::graphql::error::{GqlResult, bad_input};
use crate::graphql::ids::{Kind, expect};
use crate::graphql::initiative::{AuditEvent, Initiative};
use crate::graphql::insight::{Insight, InsightKind, Severity};
use crate::graphql::key_result::KeyResult;
use crate::graphql::node::{Node, resolve};
use crate::graphql::objective::Objective;
use crate::graphql::organization::Organization;
use crate::graphql::person::Person;
use crate::graphql::prefetch;
use crate::graphql::rhythm::DueCheckIn;
use crate::graphql::team::Team;
use crate::graphql::team_week::TeamWeek;
use crate::graphql::theme::{StrategyMap, Theme, ThemeState};
use crate::graphql::transfer::{GlobalIds, OkrExport, OkrFileFormat};
use async_graphql::{Context, ID, InputObject, Object, Result};
use service::objectives::ObjectiveFilter as ServiceObjectiveFilter;
use service::teams::TeamFilter;
use service::{Error, pagination::MAX_PAGE_SIZE};

/// Entry points for reading.
pub struct Query;

/// The signed-in caller.
pub struct Viewer {
    person: std::sync::Arc<entity::person::Model>,
    role: OrgRole,
}

#[Object]
impl Viewer {
    /// The person behind the token.
    async fn person(&self) -> Person {
        Person(self.person.clone())
    }
    /// The teams they belong to, with their role and title in each.
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::person::Membership>> {
        let rows = scope(ctx)?.loaders.memberships_of_person.load_one(self.person.id).await.gql()?.unwrap_or_default();
        Ok(rows.into_iter().map(crate::graphql::person::Membership).collect())
    }
    /// Their role in the organization (from the token).
    async fn role(&self) -> OrgRole {
        self.role
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let s = scope(ctx)?;
        Ok(Organization(service::organizations::current(s.db, s.actor).await.gql()?.into()))
    }
}

/// Which objectives to list; filters combine.
#[derive(InputObject, Default)]
pub struct ObjectiveFilter {
    pub cycle_id: Option<ID>,
    pub team_id: Option<ID>,
    pub state: Option<ObjectiveState>,
    /// Only objectives with this status now.
    pub status: Option<Status>,
    /// Aligned to this objective or key result.
    pub aligned_to_id: Option<ID>,
    /// Title contains this text, ignoring case.
    pub search: Option<String>,
}

impl ObjectiveFilter {
    fn decode(self) -> Result<(ServiceObjectiveFilter, Option<Status>)> {
        let aligned_to_id = match &self.aligned_to_id {
            Some(id) => Some(expect(Kind::Objective, id).or_else(|_| expect(Kind::KeyResult, id))?),
            None => None,
        };
        let status = self.status;
        Ok((
            ServiceObjectiveFilter {
                cycle_id: self.cycle_id.as_ref().map(|id| expect(Kind::Cycle, id)).transpose()?,
                team_id: self.team_id.as_ref().map(|id| expect(Kind::Team, id)).transpose()?,
                state: self.state.map(Into::into),
                aligned_to_id,
                search: self.search,
                include_archived: false,
            },
            status,
        ))
    }
}

/// Which audit events to list; filters combine.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// Events about this object (any global id).
    pub entity_id: Option<ID>,
    /// Events by this person.
    pub actor_id: Option<ID>,
    /// At or after this time.
    pub since: Option<crate::graphql::scalars::DateTime>,
    /// Before this time.
    pub until: Option<crate::graphql::scalars::DateTime>,
}

impl AuditEventFilter {
    fn decode(self) -> Result<service::audit::AuditFilter> {
        let entity_id = match &self.entity_id {
            Some(id) => Some(
                crate::graphql::ids::decode(id)
                    .map(|(_, uuid)| uuid)
                    .ok_or_else(|| bad_input(format!("{:?} is not a Trellis id", id.as_str())))?,
            ),
            None => None,
        };
        Ok(service::audit::AuditFilter {
            entity_id,
            actor_id: self.actor_id.as_ref().map(|id| expect(Kind::Person, id)).transpose()?,
            since: self.since.map(|at| at.0),
            until: self.until.map(|at| at.0),
        })
    }
}

/// A typed lookup's answer: the row, or NOT_FOUND.
fn required<T>(found: Option<T>, entity: &'static str, id: &ID) -> Result<T> {
    found.ok_or_else(|| crate::graphql::error::from_service(&Error::not_found(entity, id.as_str())))
}

#[Object]
impl Query {
    /// Any object by its global id; null when it does not exist for you.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        resolve(&scope(ctx)?, &id).await
    }
    /// Several objects by global id, in the order asked; null where one does not exist.
    #[graphql(complexity = "crate::graphql::connection::bounded_product(ids.len(), child_complexity)")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_PAGE_SIZE as usize {
            return Err(bad_input(format!("ask for at most {MAX_PAGE_SIZE} ids at once")));
        }
        let s = scope(ctx)?;
        let lookups = ids.iter().map(|id| resolve(&s, id));
        futures::future::try_join_all(lookups).await
    }
    /// The caller: their person, role and organization.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let s = scope(ctx)?;
        let person = s.loaders.people.load_one(s.actor.person_id()).await.gql()?;
        let person = required(person, "person", &ID::from(s.actor.person_id().to_string()))?;
        Ok(Viewer { person, role: s.actor.role().into() })
    }
    /// The caller's organization, with its policy.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let s = scope(ctx)?;
        Ok(Organization(service::organizations::current(s.db, s.actor).await.gql()?.into()))
    }
    async fn team(&self, ctx: &Context<'_>, id: ID) -> Result<Team> {
        let loaded = scope(ctx)?.loaders.teams.load_one(expect(Kind::Team, &id)?).await.gql()?;
        required(loaded.map(Team), "team", &id)
    }
    /// Teams, oldest first: all, the children of one team, or the roots.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    #[expect(clippy::too_many_arguments, reason = "Relay arguments plus filters")]
    async fn teams(
        &self,
        ctx: &Context<'_>,
        parent_id: Option<ID>,
        #[graphql(default)] roots_only: bool,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Team>> {
        let s = scope(ctx)?;
        let filter = TeamFilter {
            parent_id: parent_id.map(|id| expect(Kind::Team, &id)).transpose()?,
            roots_only,
            search,
            include_archived: false,
        };
        let select = service::teams::query(s.actor, &filter);
        from_query(s.db, select, &PageArgs::new(first, after, last, before), Kind::Team, Team).await
    }
    async fn cycle(&self, ctx: &Context<'_>, id: ID) -> Result<Cycle> {
        let loaded = scope(ctx)?.loaders.cycles.load_one(expect(Kind::Cycle, &id)?).await.gql()?;
        required(loaded.map(Cycle), "cycle", &id)
    }
    /// Cycles, oldest first, optionally in one state.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn cycles(
        &self,
        ctx: &Context<'_>,
        state: Option<CycleState>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Cycle>> {
        let s = scope(ctx)?;
        let select = service::cycles::query(s.actor, state.map(Into::into));
        from_query(s.db, select, &PageArgs::new(first, after, last, before), Kind::Cycle, Cycle).await
    }
    async fn objective(&self, ctx: &Context<'_>, id: ID) -> Result<Objective> {
        let loaded = scope(ctx)?.loaders.objectives.load_one(expect(Kind::Objective, &id)?).await.gql()?;
        required(loaded.map(Objective), "objective", &id)
    }
    /// What is going wrong in a cycle, most severe first: of one team (with `subtree`, of
    /// it and every team below it) or of the whole organization, of some kinds, from a
    /// severity up. Computed from stored figures and the clock on each read.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments, reason = "a field's arguments")]
    async fn insights(
        &self,
        ctx: &Context<'_>,
        cycle_id: ID,
        team_id: Option<ID>,
        #[graphql(default = false)] subtree: bool,
        kinds: Option<Vec<InsightKind>>,
        min_severity: Option<Severity>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Insight>> {
        let s = scope(ctx)?;
        let cycle = expect(Kind::Cycle, &cycle_id)?;
        let filter = service::insights::InsightFilter {
            team_id: team_id.as_ref().map(|t| expect(Kind::Team, t)).transpose()?,
            subtree,
            kinds: kinds.map(|k| k.into_iter().map(Into::into).collect()),
            min_severity: min_severity.map(Into::into),
        };
        // Through the loader: nested insights fields of the same cycle share one reading.
        let all = s.loaders.insights_of_cycle.load(cycle).await.gql()?;
        let all = all.ok_or_else(|| Error::not_found("cycle", &cycle_id.0)).gql()?;
        from_rows(all.matching(&filter), &PageArgs::new(first, after, last, before), Kind::Insight, |i| i.id(), Insight)
    }
    /// The initiatives on one key result, or on the live key results of one team's live
    /// objectives (give exactly one), oldest first; in one quadrant of the impact/effort
    /// matrix when `quadrant` is given.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments, reason = "a field's arguments")]
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        key_result_id: Option<ID>,
        team_id: Option<ID>,
        quadrant: Option<Quadrant>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Initiative>> {
        use service::planning::initiatives::{self as initiatives, InitiativesOf};
        let s = scope(ctx)?;
        let of = match (key_result_id, team_id) {
            (Some(key_result), None) => InitiativesOf::KeyResult(expect(Kind::KeyResult, &key_result)?),
            (None, Some(team)) => InitiativesOf::Team(expect(Kind::Team, &team)?),
            _ => return Err(bad_input("give exactly one of `keyResultId` and `teamId`")),
        };
        let query = initiatives::query(s.actor, of, quadrant.map(Into::into));
        from_query(s.db, query, &PageArgs::new(first, after, last, before), Kind::Initiative, Initiative).await
    }
    /// The key results of the team's active objectives whose check-in is due within a day
    /// or overdue by its rhythm (`Team.checkInRhythmDays`, else the organization's),
    /// most overdue first.
    async fn due_check_ins(&self, ctx: &Context<'_>, team_id: ID) -> Result<Vec<DueCheckIn>> {
        let s = scope(ctx)?;
        let now = s.clock.now();
        let due = service::rhythm::due(s.db, s.actor, expect(Kind::Team, &team_id)?, now).await.gql()?;
        Ok(due.into_iter().map(|d| DueCheckIn::new(d, now)).collect())
    }
    /// A team's ISO week (`2026-W47`; this week when left out), for its weekly meeting:
    /// its note and the check-ins recorded on its key results during the week.
    async fn team_week(&self, ctx: &Context<'_>, team_id: ID, week: Option<String>) -> Result<TeamWeek> {
        use service::rhythm::weeks::{self, Week};
        let s = scope(ctx)?;
        let now = s.clock.now();
        let week = week.as_deref().map(Week::parse).transpose().gql()?.unwrap_or_else(|| Week::containing(now));
        let found = weeks::read(s.db, s.actor, expect(Kind::Team, &team_id)?, week).await.gql()?;
        Ok(TeamWeek { week: found, now })
    }
    /// The organization's strategic themes, in their order; only those in `state` when given.
    async fn themes(&self, ctx: &Context<'_>, state: Option<ThemeState>) -> Result<Vec<Theme>> {
        let s = scope(ctx)?;
        let themes = service::strategy::themes(s.db, s.actor, state.map(Into::into)).await.gql()?;
        Ok(themes.into_iter().map(|t| Theme(t.into())).collect())
    }
    /// The organization's webhook endpoints, oldest first (admins).
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::webhook::Webhook>> {
        let s = scope(ctx)?;
        let found = service::webhooks::list(s.db, s.actor).await.gql()?;
        Ok(found.into_iter().map(|w| crate::graphql::webhook::Webhook(w.into())).collect())
    }
    /// A cycle's strategy map: the active themes whose period overlaps it, the company
    /// objectives serving each, and the cycle's objectives aligned under those, with each
    /// theme's progress and status; themes nobody serves this cycle are named.
    async fn strategy_map(&self, ctx: &Context<'_>, cycle_id: ID) -> Result<StrategyMap> {
        let s = scope(ctx)?;
        let map = service::strategy::map(s.db, s.actor, expect(Kind::Cycle, &cycle_id)?, s.clock.now()).await.gql()?;
        Ok(StrategyMap(map))
    }
    /// Objectives, oldest first, filtered.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn objectives(
        &self,
        ctx: &Context<'_>,
        filter: Option<ObjectiveFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Objective>> {
        let s = scope(ctx)?;
        let (filter, status) = filter.unwrap_or_default().decode()?;
        let args = PageArgs::new(first, after, last, before);
        let page = match status {
            Some(status) => {
                let rows = service::objectives::with_status(s.db, s.actor, &filter, status.into(), s.clock.now())
                    .await
                    .gql()?;
                let rows = rows.into_iter().map(std::sync::Arc::new).collect();
                from_rows(rows, &args, Kind::Objective, |o| o.id, Objective)
            }
            None => {
                from_query(s.db, service::objectives::query(s.actor, &filter), &args, Kind::Objective, Objective).await
            }
        }?;
        if let Some(node) = prefetch::nodes(&ctx.look_ahead()) {
            let objectives: Vec<_> = page.edges.iter().map(|edge| edge.node.0.clone()).collect();
            prefetch::page(&s, &node, &objectives).await?;
        }
        Ok(page)
    }
    /// Who changed what, oldest first, filtered (everyone in the organization may read it).
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<AuditEvent>> {
        let s = scope(ctx)?;
        let filter = filter.map(AuditEventFilter::decode).transpose()?.unwrap_or_default();
        let select = service::audit::query(s.actor, &filter);
        from_query(s.db, select, &PageArgs::new(first, after, last, before), Kind::AuditEvent, AuditEvent).await
    }
    /// Every objective of a cycle under `rootId` (or the whole organization), to any
    /// depth up to `maxDepth`, as a flat list with depths and parent links, plus the
    /// cross-team dependencies among them: one request, a fixed number of statements.
    async fn alignment_tree(
        &self,
        ctx: &Context<'_>,
        cycle_id: ID,
        root_id: Option<ID>,
        max_depth: Option<i32>,
    ) -> Result<crate::graphql::tree::AlignmentTree> {
        crate::graphql::tree::alignment_tree(ctx, cycle_id, root_id, max_depth).await
    }
    /// What a team page shows for a cycle: objectives with key results, counts by status,
    /// dependencies both ways.
    async fn dashboard(&self, ctx: &Context<'_>, team_id: ID, cycle_id: ID) -> Result<crate::graphql::tree::Dashboard> {
        crate::graphql::tree::dashboard(ctx, team_id, cycle_id).await
    }
    /// A cycle's live objectives with their key results and check-ins, and the teams,
    /// people and memberships they need, as a file that `importOkrs` reads back (into
    /// another organization, say). Everyone in the organization may export it.
    async fn export_okrs(
        &self,
        ctx: &Context<'_>,
        cycle_id: ID,
        #[graphql(default_with = "OkrFileFormat::Csv")] format: OkrFileFormat,
    ) -> Result<OkrExport> {
        let s = scope(ctx)?;
        let cycle = expect(Kind::Cycle, &cycle_id)?;
        let exported = service::transfer::export(s.db, s.actor, &GlobalIds, cycle, format.into()).await.gql()?;
        let records = i32::try_from(exported.records).unwrap_or(i32::MAX);
        Ok(OkrExport { format, content: exported.content, records })
    }
    async fn key_result(&self, ctx: &Context<'_>, id: ID) -> Result<KeyResult> {
        let loaded = scope(ctx)?.loaders.key_results.load_one(expect(Kind::KeyResult, &id)?).await.gql()?;
        required(loaded.map(KeyResult), "key result", &id)
    }
}
