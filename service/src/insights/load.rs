//! A cycle's rows for [`super::evaluate()`], read in a fixed number of statements whatever
//! the organization's size (twelve at most, eleven when every check-in history is
//! remembered), each scoped to the caller's organization.

use super::evaluate::{CheckInRow, Snapshot};
use super::policy::InsightPolicy;
use crate::key_results::Archived;
use crate::tenant::{self, one_of, scoped};
use crate::{Actor, Result};
use chrono::{DateTime, Utc};
use entity::Confidence;
use entity::{check_in, cycle, dependency, initiative, key_result, objective, team};
use lru::LruCache;
use sea_orm::sea_query::{Expr, SelectStatement, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, FromQueryResult, QuerySelect, QueryTrait,
};
use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use uuid::Uuid;

/// Everything insights need about cycle `cycle_id` at `now`, one statement after the
/// other on one connection at a time: running them at once measured no faster on two
/// cores, and would take a request several of the pool's connections.
pub async fn snapshot(
    db: &impl ConnectionTrait,
    actor: &Actor,
    cycle_id: Uuid,
    now: DateTime<Utc>,
    histories: &Histories,
) -> Result<Snapshot> {
    let cycle = tenant::get::<cycle::Entity>(db, actor, cycle_id).await?;
    let organization = tenant::organization(db, actor).await?;
    let teams = scoped::<team::Entity>(actor).all(db).await?;
    let tree = objectives(db, actor, cycle_id).await?;
    let strategy = crate::strategy::map_of(db, actor, cycle.clone(), now, Some(&tree.objectives)).await?;
    let check_ins = histories.of_cycle(db, actor, cycle_id, &tree).await?;
    let live = live_key_results(actor, cycle_id);
    let initiatives =
        scoped::<initiative::Entity>(actor).filter(initiative::Column::KeyResultId.in_subquery(live)).all(db).await?;
    Ok(Snapshot {
        now,
        policy: InsightPolicy::of(&organization),
        organization,
        cycle,
        teams,
        objectives: tree.objectives,
        key_results: tree.key_results,
        check_ins,
        dependencies: tree.dependencies,
        initiatives,
        elsewhere: tree.elsewhere,
        themes: strategy.themes,
    })
}

/// The cycle's objectives, the dependencies that touch them, the objectives of other
/// cycles at their other ends, and the live key results of all of them.
struct Objectives {
    objectives: Vec<objective::Model>,
    dependencies: Vec<dependency::Model>,
    elsewhere: Vec<objective::Model>,
    key_results: Vec<key_result::Model>,
}

async fn objectives(db: &impl ConnectionTrait, actor: &Actor, cycle_id: Uuid) -> Result<Objectives> {
    let backend = db.get_database_backend();
    let filter = crate::objectives::ObjectiveFilter { cycle_id: Some(cycle_id), ..Default::default() };
    let objectives = crate::objectives::query(actor, &filter).all(db).await?;
    let ids: Vec<Uuid> = objectives.iter().map(|o| o.id).collect();
    let touching = Condition::any().add(one_of(backend, dependency::Column::FromObjectiveId, &ids)).add(one_of(
        backend,
        dependency::Column::ToObjectiveId,
        &ids,
    ));
    let dependencies = scoped::<dependency::Entity>(actor).filter(touching).all(db).await?;
    let known: HashSet<Uuid> = ids.iter().copied().collect();
    let other_ids: Vec<Uuid> = dependencies
        .iter()
        .flat_map(|d| [d.from_objective_id, d.to_objective_id])
        .filter(|id| !known.contains(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let elsewhere = match other_ids.is_empty() {
        true => Vec::new(),
        false => tenant::by_ids::<objective::Entity>(db, actor, &other_ids).await?.into_values().collect(),
    };
    let all_ids: Vec<Uuid> = ids.iter().chain(&other_ids).copied().collect();
    let key_results = crate::key_results::live(db, actor, &all_ids).await?.into_values().flatten().collect();
    Ok(Objectives { objectives, dependencies, elsewhere, key_results })
}

/// The cycle's live key results as a subquery.
fn live_key_results(actor: &Actor, cycle_id: Uuid) -> SelectStatement {
    crate::key_results::ids_of(actor, objective::Column::CycleId.eq(cycle_id), Archived::Left)
}

/// The check-in histories of key results already read, so that a request reads only the
/// ones that changed since. A key result's check-ins are only ever added (never edited or
/// deleted, and added under a lock on its row, which counts them), so a history holding
/// as many check-ins as the row counts is the current one. Process-wide; each key result
/// is looked up only for a caller who could read its row.
pub struct Histories {
    known: Mutex<LruCache<Uuid, Arc<[CheckInRow]>>>,
}

/// Key results whose histories are kept: a benchmark-sized cycle (3,200 key results,
/// 38,400 check-ins) takes about 1.5 MB; this bound keeps the whole under 50 MB.
const HISTORIES_KEPT: NonZeroUsize = NonZeroUsize::new(100_000).expect("a positive bound");

impl Default for Histories {
    fn default() -> Self {
        Histories { known: Mutex::new(LruCache::new(HISTORIES_KEPT)) }
    }
}

impl Histories {
    /// The check-ins of the cycle's live key results: those known and current from here,
    /// the rest in one statement.
    async fn of_cycle(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        cycle_id: Uuid,
        tree: &Objectives,
    ) -> Result<Vec<CheckInRow>> {
        let in_cycle: HashSet<Uuid> = tree.objectives.iter().map(|o| o.id).collect();
        let wanted: Vec<&key_result::Model> =
            tree.key_results.iter().filter(|k| in_cycle.contains(&k.objective_id)).collect();
        let (mut found, missing) = self.recall(&wanted);
        if !missing.is_empty() {
            // Most of the cycle unknown (a first look): the cycle's subquery beats thousands of ids.
            let filter = match missing.len() * 2 > wanted.len() {
                true => check_in::Column::KeyResultId.in_subquery(live_key_results(actor, cycle_id)),
                false => one_of(db.get_database_backend(), check_in::Column::KeyResultId, &missing),
            };
            let read = read(db, actor, filter).await?;
            let missing: HashSet<Uuid> = missing.into_iter().collect();
            let mut known = self.lock();
            for (key_result, history) in read {
                let history: Arc<[CheckInRow]> = history.into();
                known.put(key_result, history.clone());
                if missing.contains(&key_result) {
                    found.push(history);
                }
            }
        }
        Ok(found.iter().flat_map(|h| h.iter().copied()).collect())
    }

    /// The current histories of `key_results` that are known, and the key results with
    /// check-ins whose history is not.
    fn recall(&self, key_results: &[&key_result::Model]) -> (Vec<Arc<[CheckInRow]>>, Vec<Uuid>) {
        let mut known = self.lock();
        let (mut found, mut missing) = (Vec::with_capacity(key_results.len()), Vec::new());
        for k in key_results.iter().filter(|k| k.check_in_count > 0) {
            match known.get(&k.id) {
                Some(history) if history.len() == k.check_in_count as usize => found.push(history.clone()),
                _ => missing.push(k.id),
            }
        }
        (found, missing)
    }

    fn lock(&self) -> MutexGuard<'_, LruCache<Uuid, Arc<[CheckInRow]>>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One key result's check-ins as a JSON array of `[value, confidence, recordedAt]`, in
/// the order they were recorded (check-ins of one instant in the order of their ids).
#[derive(FromQueryResult)]
struct History {
    key_result_id: Uuid,
    readings: String,
}

/// The check-ins of the key results `filter` picks, by key result, read as one row per
/// key result: on SQLite every row that crosses from the database's thread to the
/// request costs more than the database spends finding it, and a key result has a dozen
/// check-ins a cycle.
async fn read(db: &impl ConnectionTrait, actor: &Actor, filter: SimpleExpr) -> Result<HashMap<Uuid, Vec<CheckInRow>>> {
    let readings = match db.get_database_backend() {
        DbBackend::Postgres => {
            "CAST(json_agg(json_build_array(value, confidence, recorded_at) ORDER BY recorded_at, id) AS TEXT)"
        }
        _ => "json_group_array(json_array(value, confidence, recorded_at) ORDER BY recorded_at, id)",
    };
    let mut select = scoped::<check_in::Entity>(actor).filter(filter).into_select();
    // One row per key result, in any order: ordering by check-in id would not group.
    QueryTrait::query(&mut select).clear_order_by();
    let histories = select
        .select_only()
        .column(check_in::Column::KeyResultId)
        .column_as(Expr::cust(readings), "readings")
        .group_by(check_in::Column::KeyResultId)
        .into_model::<History>()
        .all(db)
        .await?;
    let mut read = HashMap::with_capacity(histories.len());
    for history in &histories {
        let readings: Vec<(f64, &str, &str)> = serde_json::from_str(&history.readings).map_err(malformed)?;
        let mut rows = Vec::with_capacity(readings.len());
        for (value, confidence, recorded_at) in readings {
            let confidence = Confidence::try_from_value(&confidence.to_owned())?;
            // RFC 3339 by name: serde's general date parser takes twice as long.
            let recorded_at = DateTime::parse_from_rfc3339(recorded_at).map_err(malformed)?.with_timezone(&Utc);
            rows.push(CheckInRow { key_result_id: history.key_result_id, value, confidence, recorded_at });
        }
        read.insert(history.key_result_id, rows);
    }
    Ok(read)
}

fn malformed(cause: impl std::fmt::Display) -> DbErr {
    DbErr::Json(format!("a check-in history the database built: {cause}"))
}
