//! Exporting a cycle: its live objectives with their key results and check-ins, and the
//! teams, people and memberships they need, as a file an import reads back.
//!
//! Everyone in an organization may read all of its OKRs, so anyone may export them. The
//! file holds every live team (so that the tree is whole), the people that memberships,
//! drivers and check-ins name, then each objective followed by its key results, each
//! followed by its readings in time order. Records name each other by refs (`O1`, `K1`);
//! a parent outside the cycle is named by its id.

use crate::key_results::{Archived, ids_of};
use crate::objectives::ObjectiveOrKeyResult;
use crate::tenant::{self, Org};
use crate::transfer::file::{Column, Kind, Record};
use crate::transfer::{ForeignIds, Format, render};
use crate::{Actor, Result};
use chrono::SecondsFormat;
use entity::{check_in, cycle, key_result, membership, objective, person, team};
use sea_orm::{ColumnTrait, ConnectionTrait};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// An exported file.
#[derive(Debug, Clone)]
pub struct Exported {
    pub content: String,
    /// How many records it holds.
    pub records: usize,
}

/// The cycle `cycle_id`'s OKRs as a file in `format`.
#[tracing::instrument(skip_all, fields(actor.id = %actor.person_id(), cycle.id = %cycle_id))]
pub async fn export(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &dyn ForeignIds,
    cycle_id: Uuid,
    format: Format,
) -> Result<Exported> {
    let org = actor.org();
    let cycle = tenant::get::<cycle::Entity>(db, org, cycle_id).await?;
    let rows = read(db, org, &cycle).await?;
    let records = records(&rows, ids);
    Ok(Exported { content: render::render(format, &records)?, records: records.len() })
}

/// Everything a cycle's file holds, as stored.
struct Rows {
    teams: Vec<team::Model>,
    people: HashMap<Uuid, person::Model>,
    memberships: Vec<membership::Model>,
    objectives: Vec<objective::Model>,
    key_results: Vec<key_result::Model>,
    check_ins: Vec<check_in::Model>,
}

async fn read(db: &impl ConnectionTrait, org: Org, cycle: &cycle::Model) -> Result<Rows> {
    let teams = tenant::scoped::<team::Entity>(org).all(db).await?;
    let objectives = tenant::scoped::<objective::Entity>(org)
        .filter(objective::Column::CycleId.eq(cycle.id))
        .filter(objective::Column::ArchivedAt.is_null())
        .all(db)
        .await?;
    // The cycle's live key results, as a subquery: one parameter however many there are.
    let in_cycle = || ids_of(org, objective::Column::CycleId.eq(cycle.id), Archived::Left);
    let key_results = tenant::scoped::<key_result::Entity>(org)
        .filter(key_result::Column::Id.in_subquery(in_cycle()))
        .all(db)
        .await?;
    let mut check_ins = tenant::scoped::<check_in::Entity>(org)
        .filter(check_in::Column::KeyResultId.in_subquery(in_cycle()))
        .all(db)
        .await?;
    check_ins.sort_by_key(|c| (c.recorded_at, c.id));
    let live: HashSet<Uuid> = teams.iter().filter(|t| t.archived_at.is_none()).map(|t| t.id).collect();
    let memberships = tenant::scoped::<membership::Entity>(org).all(db).await?;
    let memberships: Vec<membership::Model> = memberships.into_iter().filter(|m| live.contains(&m.team_id)).collect();
    let mut person_ids: Vec<Uuid> = memberships.iter().map(|m| m.person_id).collect();
    person_ids.extend(key_results.iter().filter_map(|k| k.driver_id));
    person_ids.extend(check_ins.iter().map(|c| c.author_id));
    person_ids.sort_unstable();
    person_ids.dedup();
    let mut people = HashMap::new();
    for part in person_ids.chunks(1_000) {
        people.extend(tenant::by_ids::<person::Entity>(db, org, part).await?);
    }
    Ok(Rows { teams, people, memberships, objectives, key_results, check_ins })
}

fn records(rows: &Rows, ids: &dyn ForeignIds) -> Vec<Record> {
    let mut out = Vec::new();
    let teams: HashMap<Uuid, &team::Model> = rows.teams.iter().map(|t| (t.id, t)).collect();
    let tree = tree(&rows.teams);
    for team in &tree {
        let mut record = Record::of(Kind::Team);
        record.set(Column::Team, &team.name);
        let parent = team.parent_id.and_then(|p| teams.get(&p)).filter(|p| p.archived_at.is_none());
        record.set_some(Column::Parent, parent.map(|p| p.name.as_str()));
        out.push(record);
    }
    let mut people: Vec<&person::Model> = rows.people.values().collect();
    people.sort_by(|a, b| a.subject.cmp(&b.subject));
    for person in people {
        let mut record = Record::of(Kind::Person);
        record.set(Column::Person, &person.subject);
        record.set_some(Column::DisplayName, person.display_name.as_deref());
        record.set_some(Column::Email, person.email.as_deref());
        out.push(record);
    }
    let subject = |id: Uuid| rows.people.get(&id).map(|p| p.subject.as_str());
    for team in &tree {
        for m in rows.memberships.iter().filter(|m| m.team_id == team.id) {
            let mut record = Record::of(Kind::Member);
            record.set(Column::Team, &team.name);
            record.set_some(Column::Person, subject(m.person_id));
            record.set_enum(Column::Role, m.role);
            record.set_some(Column::Title, m.title.as_deref());
            out.push(record);
        }
    }
    let objective_refs: HashMap<Uuid, String> =
        rows.objectives.iter().enumerate().map(|(i, o)| (o.id, format!("O{}", i + 1))).collect();
    let key_result_refs: HashMap<Uuid, String> =
        rows.key_results.iter().enumerate().map(|(i, k)| (k.id, format!("K{}", i + 1))).collect();
    let mut key_results: HashMap<Uuid, Vec<&key_result::Model>> = HashMap::new();
    for kr in &rows.key_results {
        key_results.entry(kr.objective_id).or_default().push(kr);
    }
    let mut readings: HashMap<Uuid, Vec<&check_in::Model>> = HashMap::new();
    for reading in &rows.check_ins {
        readings.entry(reading.key_result_id).or_default().push(reading);
    }
    for objective in &rows.objectives {
        let mut record = Record::of(Kind::Objective);
        record.set_some(Column::Ref, objective_refs.get(&objective.id).map(String::as_str));
        record.set_some(Column::Team, teams.get(&objective.team_id).map(|t| t.name.as_str()));
        record.set(Column::Title, &objective.title);
        record.set_some(Column::Description, objective.description.as_deref());
        record.set_enum(Column::State, objective.state);
        record.set_enum(Column::ProgressDriver, objective.progress_driver);
        let parent = match (objective.parent_key_result_id, objective.parent_objective_id) {
            (Some(kr), _) => Some(
                key_result_refs.get(&kr).cloned().unwrap_or_else(|| ids.encode(ObjectiveOrKeyResult::KeyResult(kr))),
            ),
            (None, Some(o)) => {
                Some(objective_refs.get(&o).cloned().unwrap_or_else(|| ids.encode(ObjectiveOrKeyResult::Objective(o))))
            }
            (None, None) => None,
        };
        if let Some(parent) = parent {
            record.set(Column::Parent, &parent);
            if let Some(kind) = objective.alignment_kind {
                record.set_enum(Column::Alignment, kind);
            }
        }
        record.set_some(Column::ClosingNote, objective.closing_note.as_deref());
        out.push(record);
        for kr in key_results.get(&objective.id).into_iter().flatten() {
            out.push(key_result_record(kr, &objective_refs, &key_result_refs, kr.driver_id.and_then(subject)));
            for reading in readings.get(&kr.id).into_iter().flatten() {
                let mut record = Record::of(Kind::CheckIn);
                record.set_some(Column::Parent, key_result_refs.get(&kr.id).map(String::as_str));
                record.set(Column::Value, &reading.value.to_string());
                record.set_enum(Column::Confidence, reading.confidence);
                record.set(Column::RecordedAt, &reading.recorded_at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
                record.set_some(Column::Note, reading.note.as_deref());
                record.set_some(Column::Person, subject(reading.author_id));
                out.push(record);
            }
        }
    }
    out
}

fn key_result_record(
    kr: &key_result::Model,
    objective_refs: &HashMap<Uuid, String>,
    key_result_refs: &HashMap<Uuid, String>,
    driver: Option<&str>,
) -> Record {
    let mut record = Record::of(Kind::KeyResult);
    record.set_some(Column::Ref, key_result_refs.get(&kr.id).map(String::as_str));
    record.set_some(Column::Parent, objective_refs.get(&kr.objective_id).map(String::as_str));
    record.set(Column::Title, &kr.title);
    record.set_enum(Column::Measure, kr.kind);
    record.set_enum(Column::Unit, kr.unit);
    record.set_some(Column::UnitLabel, kr.unit_label.as_deref());
    record.set(Column::StartValue, &kr.start_value.to_string());
    record.set(Column::TargetValue, &kr.target_value.to_string());
    record.set(Column::Weight, &kr.weight.to_string());
    record.set_some(Column::Person, driver);
    record
}

/// The live teams, each parent before its children (oldest first among siblings).
fn tree(teams: &[team::Model]) -> Vec<&team::Model> {
    let live: Vec<&team::Model> = teams.iter().filter(|t| t.archived_at.is_none()).collect();
    let ids: HashSet<Uuid> = live.iter().map(|t| t.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<&team::Model>> = HashMap::new();
    for team in &live {
        // Under an archived team it is a root of the file.
        let parent = team.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(team);
    }
    let mut ordered = Vec::with_capacity(live.len());
    let mut stack: Vec<&team::Model> = children.get(&None).into_iter().flatten().rev().copied().collect();
    while let Some(team) = stack.pop() {
        ordered.push(team);
        stack.extend(children.get(&Some(team.id)).into_iter().flatten().rev().copied());
    }
    ordered
}
