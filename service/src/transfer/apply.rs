//! Writing a checked file: bulk inserts, each row after the rows it points at; an audit
//! row for each created row and one for the import as a whole; progress rolled up into
//! the existing objectives that new ones contribute to; and coarse events.

use crate::Result;
use crate::audit::Target;
use crate::events::{self, Event};
use crate::objectives::progress;
use crate::teams::write::{membership_changed, team_changed};
use crate::transfer::Counts;
use crate::transfer::plan::Plan;
use crate::unit_of_work::Work;
use entity::{check_in, cycle, key_result, membership, objective, person, team};

/// Rows per insert statement: at most 20 values each, so at most 20,000 bound values, well
/// under SQLite's 32,766.
const CHUNK: usize = 1_000;

/// Beyond this many change events, an import announces one resync of the organization
/// instead: every display refetches once, rather than wading through (and overflowing its
/// buffer with) thousands of events about one write.
pub const MAX_EVENTS: usize = 100;

/// The audit trail's verb for rows an import created: `objective.import`.
const VERB: &str = "import";

/// What the audit row of the import as a whole records.
#[derive(serde::Serialize)]
struct Summary {
    records: usize,
    created: Counts,
}

/// Writes `plan`, checked and without problems, into `cycle`.
pub async fn apply(w: &mut Work<'_>, plan: &Plan, cycle: &cycle::Model, records: usize) -> Result<()> {
    w.insert_many::<team::Entity>(plan.teams.iter().cloned(), CHUNK).await?;
    w.insert_many::<person::Entity>(plan.people.iter().cloned(), CHUNK).await?;
    w.insert_many::<membership::Entity>(plan.memberships.iter().cloned(), CHUNK).await?;
    w.insert_many::<objective::Entity>(plan.objectives.iter().cloned(), CHUNK).await?;
    w.insert_many::<key_result::Entity>(plan.key_results.iter().cloned(), CHUNK).await?;
    w.insert_many::<check_in::Entity>(plan.check_ins.iter().cloned(), CHUNK).await?;
    w.audit_created(VERB, plan.teams.iter().map(|row| (Target::Team(row.id), row))).await?;
    w.audit_created(VERB, plan.people.iter().map(|row| (Target::Person(row.id), row))).await?;
    w.audit_created(VERB, plan.memberships.iter().map(|row| (Target::Membership(row.id), row))).await?;
    w.audit_created(VERB, plan.objectives.iter().map(|row| (Target::Objective(row.id), row))).await?;
    w.audit_created(VERB, plan.key_results.iter().map(|row| (Target::KeyResult(row.id), row))).await?;
    w.audit_created(VERB, plan.check_ins.iter().map(|row| (Target::CheckIn(row.id), row))).await?;
    for parent in &plan.rolls_into {
        progress::refresh_chain(w, *parent).await?;
    }
    let summary = Summary { records, created: plan.counts };
    w.audit(Target::Cycle(cycle.id), VERB, None::<&()>, Some(&summary)).await?;
    announce(w, plan);
    Ok(())
}

/// A created event per team, membership and objective, as their own writes announce; a
/// resync instead when there are more than [`MAX_EVENTS`].
fn announce(w: &mut Work<'_>, plan: &Plan) {
    let count = plan.teams.len() + plan.memberships.len() + plan.objectives.len();
    if count > MAX_EVENTS {
        w.announce(Event::Resync { organization_id: Some(w.org().id()) });
        return;
    }
    w.announce_all(plan.teams.iter().map(|t| team_changed(t, "created")));
    w.announce_all(plan.memberships.iter().map(|m| membership_changed(m, "created")));
    w.announce_all(plan.objectives.iter().map(|o| events::objective_changed(o, "created")));
}
