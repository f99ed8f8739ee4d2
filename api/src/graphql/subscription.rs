//! Live feeds: progress moving up the alignment chain, new check-ins, objectives that
//! change shape. Events come from the process's bus (fed by every replica through
//! PostgreSQL NOTIFY); each subscriber keeps only its organization's events and what its
//! filters ask for. A subscriber that falls behind gets a `resync` event and continues.

use crate::graphql::context::{Caller, RequestData};
use crate::graphql::enums::{Confidence, Status};
use crate::graphql::error::bad_input;
use crate::graphql::ids::{Kind, encode, expect};
use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use futures::{Stream, StreamExt};
use service::events::{Bus, Event, Figures, Topic};
use std::sync::Arc;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use uuid::Uuid;

/// Every subscription.
pub struct Subscription;

/// An objective's figures after a change.
#[derive(SimpleObject)]
pub struct ObjectiveFigures {
    pub objective_id: ID,
    pub team_id: ID,
    pub progress: f64,
    pub expected_progress: f64,
    pub status: Status,
}

impl From<&Figures> for ObjectiveFigures {
    fn from(f: &Figures) -> Self {
        ObjectiveFigures {
            objective_id: encode(Kind::Objective, f.objective_id),
            team_id: encode(Kind::Team, f.team_id),
            progress: f.progress,
            expected_progress: f.expected_progress,
            status: f.status.into(),
        }
    }
}

/// A key result's progress changed. When `resync` is true, events may have been missed:
/// refetch what is on screen (the other fields are then empty).
#[derive(SimpleObject, Default)]
pub struct ProgressEvent {
    pub resync: bool,
    pub key_result_id: Option<ID>,
    pub key_result_progress: Option<f64>,
    pub current_value: Option<f64>,
    pub objective_id: Option<ID>,
    /// The key result's objective and every ancestor it rolls up into, nearest first.
    pub chain: Vec<ObjectiveFigures>,
    pub at: Option<DateTime>,
}

/// A check-in was recorded (or, with `resync`, events may have been missed).
#[derive(SimpleObject, Default)]
pub struct CheckInEvent {
    pub resync: bool,
    pub check_in_id: Option<ID>,
    pub key_result_id: Option<ID>,
    pub team_id: Option<ID>,
    pub value: Option<f64>,
    pub confidence: Option<Confidence>,
    pub at: Option<DateTime>,
}

/// An objective was created, edited, aligned, activated, closed, carried over or archived
/// (or, with `resync`, events may have been missed).
#[derive(SimpleObject, Default)]
pub struct ObjectiveEvent {
    pub resync: bool,
    pub objective_id: Option<ID>,
    pub team_id: Option<ID>,
    /// `created`, `updated`, `aligned`, `activated`, `closed`, `carried_over`, `archived`,
    /// or `cycle_closed` and `cycle_reopened` when its cycle froze or released its score.
    pub change: Option<String>,
}

/// What kind of row a [`ChangeEvent`] is about.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "service::events::ChangeKind")]
pub enum ChangeKind {
    Team,
    Membership,
    Cycle,
    Policy,
    Initiative,
    Dependency,
    TeamWeek,
    Theme,
}

/// A team, membership, cycle, the policy, an initiative, a dependency or a team's weekly
/// note changed (or, with `resync`, events may have been missed: refetch).
#[derive(SimpleObject, Default)]
pub struct ChangeEvent {
    pub resync: bool,
    pub kind: Option<ChangeKind>,
    /// The changed object (the organization for a policy change).
    pub id: Option<ID>,
    /// `created`, `updated`, `archived`, `deleted`, `activated`, `closed`, `reopened` or
    /// `resolved`.
    pub change: Option<String>,
    /// The teams the change concerns (both ends of a dependency; none for cycles and the
    /// policy, which concern everyone).
    pub team_ids: Vec<ID>,
}

fn changed_id(kind: service::events::ChangeKind, id: Uuid) -> ID {
    use service::events::ChangeKind as K;
    let kind = match kind {
        K::Team => Kind::Team,
        K::Membership => Kind::Membership,
        K::Cycle => Kind::Cycle,
        K::Policy => Kind::Organization,
        K::Initiative => Kind::Initiative,
        K::Dependency => Kind::Dependency,
        K::TeamWeek => Kind::TeamWeekNote,
        K::Theme => Kind::Theme,
    };
    encode(kind, id)
}

/// The events of the subscriber's organization on `topic`, with resyncs for gaps.
fn feed(ctx: &Context<'_>, topic: Topic) -> Result<impl Stream<Item = Arc<Event>> + use<>> {
    let bus = ctx.data::<crate::graphql::context::AppData>()?.bus.clone();
    let organization = match ctx.data_opt::<Caller>() {
        Some(caller) => caller.0.organization_id(),
        None => ctx.data::<RequestData>()?.actor.organization_id(),
    };
    Ok(stream(&bus, organization, topic))
}

fn stream(bus: &Bus, organization: Uuid, topic: Topic) -> impl Stream<Item = Arc<Event>> + use<> {
    BroadcastStream::new(bus.subscribe_to(organization, topic)).filter_map(move |item| async move {
        match item {
            Ok(event) => {
                metrics::counter!("trellis_events_fanned_out_total").increment(1);
                Some(event)
            }
            Err(BroadcastStreamRecvError::Lagged(_)) => {
                metrics::counter!("trellis_events_resync_total", "reason" => "lagged").increment(1);
                Some(Arc::new(Event::Resync { organization_id: Some(organization) }))
            }
        }
    })
}

fn optional(kind: Kind, id: &Option<ID>) -> Result<Option<Uuid>> {
    id.as_ref().map(|id| expect(kind, id)).transpose()
}

/// An insight as a subscriber hears it: ids and figures, no nested objects (a socket has
/// no per-request loaders; fetch what you need with `nodes(ids:)`).
#[derive(SimpleObject)]
pub struct InsightNotice {
    pub id: ID,
    pub kind: crate::graphql::insight::InsightKind,
    pub severity: crate::graphql::insight::Severity,
    pub message: String,
    pub suggestion: String,
    pub since: DateTime,
    /// The key result, objective, team or dependency it is about.
    pub subject_id: ID,
    pub team_id: ID,
    pub objective_id: Option<ID>,
    pub key_result_id: Option<ID>,
}

impl From<&service::insights::Insight> for InsightNotice {
    fn from(i: &service::insights::Insight) -> Self {
        use service::insights::Subject;
        let subject_id = match i.subject {
            Subject::KeyResult(id) => encode(Kind::KeyResult, id),
            Subject::Objective(id) => encode(Kind::Objective, id),
            Subject::Team(id) => encode(Kind::Team, id),
            Subject::Dependency(id) => encode(Kind::Dependency, id),
            Subject::Theme(id) => encode(Kind::Theme, id),
        };
        InsightNotice {
            id: encode(Kind::Insight, i.id()),
            kind: i.kind.into(),
            severity: i.severity.into(),
            message: i.message.clone(),
            suggestion: i.suggestion.clone(),
            since: DateTime(i.since),
            subject_id,
            team_id: encode(Kind::Team, i.team_id),
            objective_id: i.objective_id.map(|o| encode(Kind::Objective, o)),
            key_result_id: i.key_result_id.map(|k| encode(Kind::KeyResult, k)),
        }
    }
}

/// Insights that appeared (or changed severity) and cleared; `resync` when some changes
/// may have been missed: refetch `insights`.
#[derive(SimpleObject, Default)]
pub struct InsightChange {
    pub resync: bool,
    pub appeared: Vec<InsightNotice>,
    pub cleared: Vec<InsightNotice>,
}

#[Subscription]
impl Subscription {
    /// The insights of a cycle (of one team, with `teamId`) that appear or clear, after
    /// check-ins and edits and as time passes (looked at every `--insights-sweep-secs`).
    async fn insights_changed(
        &self,
        ctx: &Context<'_>,
        cycle_id: ID,
        team_id: Option<ID>,
    ) -> Result<impl Stream<Item = InsightChange>> {
        let (cycle, team) = (expect(Kind::Cycle, &cycle_id)?, optional(Kind::Team, &team_id)?);
        let data = ctx.data::<crate::graphql::context::AppData>()?;
        let actor = match ctx.data_opt::<Caller>() {
            Some(caller) => caller.0.clone(),
            None => ctx.data::<RequestData>()?.actor.clone(),
        };
        let changes = BroadcastStream::new(data.insights.subscribe(&actor, cycle));
        Ok(changes.filter_map(move |change| async move {
            let change = match change {
                Ok(change) => change,
                Err(BroadcastStreamRecvError::Lagged(_)) => {
                    return Some(InsightChange { resync: true, ..Default::default() });
                }
            };
            let mine = |i: &&std::sync::Arc<service::insights::Insight>| team.is_none_or(|t| i.team_id == t);
            let notices = |list: &[std::sync::Arc<service::insights::Insight>]| {
                list.iter().filter(mine).map(|i| InsightNotice::from(&**i)).collect::<Vec<_>>()
            };
            let (appeared, cleared) = (notices(&change.appeared), notices(&change.cleared));
            (!appeared.is_empty() || !cleared.is_empty()).then_some(InsightChange { resync: false, appeared, cleared })
        }))
    }

    /// Each change of a key result's progress, with the new rolled-up progress and status
    /// of every objective up the alignment chain. Filters combine; give at least one.
    /// `objectiveId` matches any objective in the chain, so a display of the company
    /// objective hears a team far below.
    async fn progress_changed(
        &self,
        ctx: &Context<'_>,
        cycle_id: Option<ID>,
        team_id: Option<ID>,
        objective_id: Option<ID>,
    ) -> Result<impl Stream<Item = ProgressEvent>> {
        let (cycle, team, objective) = (
            optional(Kind::Cycle, &cycle_id)?,
            optional(Kind::Team, &team_id)?,
            optional(Kind::Objective, &objective_id)?,
        );
        // The narrowest filter picks the topic; the others are checked on its events.
        let topic = objective.map(Topic::Objective).or(team.map(Topic::Team)).or(cycle.map(Topic::Cycle));
        let topic = topic.ok_or_else(|| bad_input("give at least one of `cycleId`, `teamId` and `objectiveId`"))?;
        Ok(feed(ctx, topic)?.filter_map(move |event| async move {
            match &*event {
                Event::Resync { .. } => Some(ProgressEvent { resync: true, ..Default::default() }),
                Event::ProgressChanged {
                    cycle_id,
                    team_id,
                    key_result_id,
                    key_result_progress,
                    current_value,
                    objective_id,
                    chain,
                    at,
                    ..
                } => {
                    let wanted = cycle.is_none_or(|c| c == *cycle_id)
                        && team.is_none_or(|t| t == *team_id)
                        && objective.is_none_or(|o| chain.iter().any(|f| f.objective_id == o));
                    wanted.then(|| ProgressEvent {
                        resync: false,
                        key_result_id: Some(encode(Kind::KeyResult, *key_result_id)),
                        key_result_progress: Some(*key_result_progress),
                        current_value: Some(*current_value),
                        objective_id: Some(encode(Kind::Objective, *objective_id)),
                        chain: chain.iter().map(Into::into).collect(),
                        at: Some(DateTime(*at)),
                    })
                }
                _ => None,
            }
        }))
    }

    /// Each new check-in of a team or on a key result. Give at least one filter.
    async fn check_in_recorded(
        &self,
        ctx: &Context<'_>,
        team_id: Option<ID>,
        key_result_id: Option<ID>,
    ) -> Result<impl Stream<Item = CheckInEvent>> {
        let (team, key_result) = (optional(Kind::Team, &team_id)?, optional(Kind::KeyResult, &key_result_id)?);
        let topic = key_result.map(Topic::KeyResult).or(team.map(Topic::Team));
        let topic = topic.ok_or_else(|| bad_input("give `teamId` or `keyResultId`"))?;
        Ok(feed(ctx, topic)?.filter_map(move |event| async move {
            match &*event {
                Event::Resync { .. } => Some(CheckInEvent { resync: true, ..Default::default() }),
                Event::CheckInRecorded { team_id, key_result_id, check_in_id, value, confidence, at, .. } => {
                    let wanted = team.is_none_or(|t| t == *team_id) && key_result.is_none_or(|k| k == *key_result_id);
                    wanted.then(|| CheckInEvent {
                        resync: false,
                        check_in_id: Some(encode(Kind::CheckIn, *check_in_id)),
                        key_result_id: Some(encode(Kind::KeyResult, *key_result_id)),
                        team_id: Some(encode(Kind::Team, *team_id)),
                        value: Some(*value),
                        confidence: Some((*confidence).into()),
                        at: Some(DateTime(*at)),
                    })
                }
                _ => None,
            }
        }))
    }

    /// Teams, memberships, cycles, the policy, initiatives and dependencies that change,
    /// so a display can refetch them. With `teamId`, only changes that concern that team
    /// (and those that concern everyone: cycles and the policy); with `kinds`, only those
    /// kinds.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        team_id: Option<ID>,
        kinds: Option<Vec<ChangeKind>>,
    ) -> Result<impl Stream<Item = ChangeEvent>> {
        let team = optional(Kind::Team, &team_id)?;
        let kinds: Option<Vec<service::events::ChangeKind>> = kinds.map(|k| k.into_iter().map(Into::into).collect());
        Ok(feed(ctx, Topic::Changes)?.filter_map(move |event| {
            let kinds = kinds.clone();
            async move {
                match &*event {
                    Event::Resync { .. } => Some(ChangeEvent { resync: true, ..Default::default() }),
                    Event::Changed { kind, id, change, team_ids, .. } => {
                        let wanted = kinds.as_ref().is_none_or(|k| k.contains(kind))
                            && team.is_none_or(|t| team_ids.is_empty() || team_ids.contains(&t));
                        wanted.then(|| ChangeEvent {
                            resync: false,
                            kind: Some((*kind).into()),
                            id: Some(changed_id(*kind, *id)),
                            change: Some(change.clone()),
                            team_ids: team_ids.iter().map(|t| encode(Kind::Team, *t)).collect(),
                        })
                    }
                    _ => None,
                }
            }
        }))
    }

    /// Objectives of a cycle (optionally of one team) that change, so a display can
    /// redraw its tree.
    async fn objective_changed(
        &self,
        ctx: &Context<'_>,
        cycle_id: ID,
        team_id: Option<ID>,
    ) -> Result<impl Stream<Item = ObjectiveEvent>> {
        let (cycle, team) = (expect(Kind::Cycle, &cycle_id)?, optional(Kind::Team, &team_id)?);
        let topic = team.map_or(Topic::Cycle(cycle), Topic::Team);
        Ok(feed(ctx, topic)?.filter_map(move |event| async move {
            match &*event {
                Event::Resync { .. } => Some(ObjectiveEvent { resync: true, ..Default::default() }),
                Event::ObjectiveChanged { cycle_id, team_id, objective_id, change, .. } => {
                    let wanted = *cycle_id == cycle && team.is_none_or(|t| t == *team_id);
                    wanted.then(|| ObjectiveEvent {
                        resync: false,
                        objective_id: Some(encode(Kind::Objective, *objective_id)),
                        team_id: Some(encode(Kind::Team, *team_id)),
                        change: Some(change.clone()),
                    })
                }
                _ => None,
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective_changed(organization_id: Uuid) -> Event {
        Event::ObjectiveChanged {
            organization_id,
            cycle_id: Uuid::nil(),
            team_id: Uuid::nil(),
            objective_id: Uuid::nil(),
            change: "updated".into(),
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_to_resync_and_then_continues() {
        let bus = Bus::local(2);
        let organization = Uuid::now_v7();
        let mut events = Box::pin(stream(&bus, organization, Topic::Cycle(Uuid::nil())));
        for _ in 0..5 {
            bus.deliver(objective_changed(organization));
        }
        let first = events.next().await.unwrap();
        assert!(matches!(*first, Event::Resync { organization_id: Some(o) } if o == organization));
        assert!(matches!(*events.next().await.unwrap(), Event::ObjectiveChanged { .. }), "then it continues");
    }

    #[tokio::test]
    async fn a_subscriber_never_sees_another_organizations_events() {
        let bus = Bus::local(8);
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let mut events = Box::pin(stream(&bus, mine, Topic::Team(Uuid::nil())));
        bus.deliver(objective_changed(theirs));
        bus.deliver(objective_changed(mine));
        let event = events.next().await.unwrap();
        assert_eq!(event.organization_id(), Some(mine));
    }

    #[tokio::test]
    async fn a_subscriber_hears_its_topic_and_every_resync_of_its_organization() {
        let bus = Bus::local(8);
        let organization = Uuid::now_v7();
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        let mut events = Box::pin(stream(&bus, organization, Topic::Team(mine)));
        let mut quiet = bus.subscribe_to(organization, Topic::Team(other));
        let changed = |team_id| Event::ObjectiveChanged {
            organization_id: organization,
            cycle_id: Uuid::nil(),
            team_id,
            objective_id: Uuid::nil(),
            change: "updated".into(),
        };
        bus.deliver(changed(mine));
        assert!(matches!(&*events.next().await.unwrap(), Event::ObjectiveChanged { team_id, .. } if *team_id == mine));
        assert!(quiet.try_recv().is_err(), "another team's subscriber heard nothing");
        bus.deliver(Event::Resync { organization_id: Some(organization) });
        assert!(matches!(*events.next().await.unwrap(), Event::Resync { .. }));
        assert!(matches!(*quiet.try_recv().unwrap(), Event::Resync { .. }));
    }
}
