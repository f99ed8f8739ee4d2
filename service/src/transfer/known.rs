//! What an import needs to know of the organization, read in a few batched statements
//! inside its unit of work, whatever the size of the file.

use crate::Result;
use crate::objectives::ObjectiveOrKeyResult;
use crate::tenant::{self, Org, Tenant, one_of};
use crate::transfer::ForeignIds;
use crate::transfer::file::{Column, Kind, Record};
use crate::unit_of_work::Work;
use entity::{ObjectiveState, TeamRole, cycle, key_result, membership, objective, organization, person, team};
use sea_orm::{ColumnTrait, ConnectionTrait};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Ids or names per `IN` list: well under what SQLite binds in one statement.
const CHUNK: usize = 1_000;

/// The organization as an import finds it.
#[derive(Debug)]
pub struct Known {
    /// The cycle imported into.
    pub cycle: cycle::Model,
    /// The organization, for its focus policy.
    pub policy: organization::Model,
    /// Every team by name, live ones first.
    pub teams: HashMap<String, Vec<team::Model>>,
    /// The people the file names, by subject.
    pub people: HashMap<String, person::Model>,
    /// The memberships of those people, by team and person.
    pub memberships: HashMap<(Uuid, Uuid), TeamRole>,
    /// Active objectives in the cycle, per team.
    pub active: HashMap<Uuid, u64>,
    /// The objectives and key results the file aligns to by id, and their objectives' cycles.
    pub objectives: HashMap<Uuid, objective::Model>,
    pub key_results: HashMap<Uuid, key_result::Model>,
    pub cycles: HashMap<Uuid, cycle::Model>,
}

/// Reads what `records` refer to.
pub async fn load(w: &Work<'_>, records: &[Record], ids: &dyn ForeignIds, cycle: cycle::Model) -> Result<Known> {
    let (db, org) = (w.db(), w.org());
    let policy = tenant::organization(db, org).await?;
    let mut teams: HashMap<String, Vec<team::Model>> = HashMap::new();
    for team in tenant::scoped::<team::Entity>(org).all(db).await? {
        teams.entry(team.name.clone()).or_default().push(team);
    }
    for named in teams.values_mut() {
        named.sort_by_key(|t| t.archived_at.is_some());
    }
    let active = active_per_team(w, records, &teams, cycle.id).await?;
    let subjects: HashSet<&str> = records.iter().filter_map(|r| r.get(Column::Person)).collect();
    let people = people(db, org, subjects).await?;
    let person_ids: Vec<Uuid> = people.values().map(|p| p.id).collect();
    let mut memberships = HashMap::new();
    for part in person_ids.chunks(CHUNK) {
        let column = membership::Column::PersonId;
        let rows = tenant::scoped::<membership::Entity>(org)
            .filter(one_of(db.get_database_backend(), column, part))
            .all(db)
            .await?;
        memberships.extend(rows.into_iter().map(|m| ((m.team_id, m.person_id), m.role)));
    }
    let (objectives, key_results, cycles) = parents(db, org, records, ids).await?;
    Ok(Known { cycle, policy, teams, people, memberships, active, objectives, key_results, cycles })
}

/// Active objectives in the cycle, per team, counted after locking the live teams that
/// the file gives active objectives: an admin activating one meanwhile queues behind the
/// import (as two leads racing for a team's last place queue behind each other).
async fn active_per_team(
    w: &Work<'_>,
    records: &[Record],
    teams: &HashMap<String, Vec<team::Model>>,
    cycle_id: Uuid,
) -> Result<HashMap<Uuid, u64>> {
    let (db, org) = (w.db(), w.org());
    let activating: HashSet<Uuid> = records
        .iter()
        .filter(|r| r.get(Column::Kind).and_then(Kind::named) == Some(Kind::Objective))
        .filter(|r| r.get(Column::State).is_some_and(|s| s.eq_ignore_ascii_case("ACTIVE")))
        .filter_map(|r| teams.get(r.get(Column::Team)?)?.first())
        .filter(|t| t.archived_at.is_none())
        .map(|t| t.id)
        .collect();
    let activating: Vec<Uuid> = activating.into_iter().collect();
    for part in activating.chunks(CHUNK) {
        let backend = db.get_database_backend();
        tenant::scoped::<team::Entity>(org).filter(one_of(backend, team::Column::Id, part)).locked().all(db).await?;
    }
    let rows = tenant::scoped::<objective::Entity>(org)
        .filter(objective::Column::CycleId.eq(cycle_id))
        .filter(objective::Column::State.eq(ObjectiveState::Active))
        .filter(objective::Column::ArchivedAt.is_null())
        .all(db)
        .await?;
    let mut active = HashMap::new();
    for row in rows {
        *active.entry(row.team_id).or_insert(0) += 1;
    }
    Ok(active)
}

async fn people(
    db: &impl ConnectionTrait,
    org: Org,
    subjects: HashSet<&str>,
) -> Result<HashMap<String, person::Model>> {
    let subjects: Vec<&str> = subjects.into_iter().collect();
    let mut found = HashMap::new();
    for part in subjects.chunks(CHUNK) {
        let rows = tenant::scoped::<person::Entity>(org)
            .filter(person::Column::Subject.is_in(part.iter().copied()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|p| (p.subject.clone(), p)));
    }
    Ok(found)
}

type Parents = (HashMap<Uuid, objective::Model>, HashMap<Uuid, key_result::Model>, HashMap<Uuid, cycle::Model>);

/// The objectives and key results that objective records align to by id (not by a ref
/// of the file), with the cycles of their objectives.
async fn parents(db: &impl ConnectionTrait, org: Org, records: &[Record], ids: &dyn ForeignIds) -> Result<Parents> {
    let refs: HashSet<&str> = records.iter().filter_map(|r| r.get(Column::Ref)).collect();
    let mut objective_ids = Vec::new();
    let mut key_result_ids = Vec::new();
    for record in records.iter().filter(|r| r.get(Column::Kind).and_then(Kind::named) == Some(Kind::Objective)) {
        let Some(parent) = record.get(Column::Parent).filter(|p| !refs.contains(p)) else { continue };
        match ids.decode(parent) {
            Some(ObjectiveOrKeyResult::Objective(id)) => objective_ids.push(id),
            Some(ObjectiveOrKeyResult::KeyResult(id)) => key_result_ids.push(id),
            None => {}
        }
    }
    let key_results = by_ids::<key_result::Entity>(db, org, &key_result_ids).await?;
    objective_ids.extend(key_results.values().map(|kr| kr.objective_id));
    let objectives = by_ids::<objective::Entity>(db, org, &objective_ids).await?;
    let cycle_ids: Vec<Uuid> = objectives.values().map(|o| o.cycle_id).collect();
    let cycles = by_ids::<cycle::Entity>(db, org, &cycle_ids).await?;
    Ok((objectives, key_results, cycles))
}

async fn by_ids<E: Tenant>(db: &impl ConnectionTrait, org: Org, ids: &[Uuid]) -> Result<HashMap<Uuid, E::Model>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut found = HashMap::new();
    for part in ids.chunks(CHUNK) {
        found.extend(tenant::by_ids::<E>(db, org, part).await?);
    }
    Ok(found)
}
