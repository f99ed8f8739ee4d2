//! Concurrent writers (SPEC §3.2, §3.3, §3.7): every concurrent check-in is kept and
//! `current` is the latest; two leads racing for a team's last objective place get one
//! place; opposite alignments made at once never close a loop.

use crate::support::{CONVERSION, SALES_OBJECTIVE, World, measure, reading};
use entity::{AlignmentKind, FocusPolicyMode, KeyResultKind, ObjectiveState, TeamRole, objective};
use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use service::check_ins::{NewCheckIn, record};
use service::objectives::ObjectiveOrKeyResult as Parent;
use service::objectives::alignment::align;
use service::objectives::life::activate;
use service::{Actor, OrgRole, Scope, Uuid};
use std::time::Duration;

const WRITERS: usize = 6;

/// "OK", or the error code.
fn outcome<T>(result: &service::Result<T>) -> &'static str {
    result.as_ref().map(|_| "OK").unwrap_or_else(service::Error::code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_check_ins_on_one_key_result_are_all_kept_and_current_is_the_latest() {
    let w = World::demo_on_system_clock().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let before = w.check_ins_of(conversion.id).await.len();

    let tasks = (0..WRITERS).map(|i| {
        let (db, clock, bus) = (w.db.clone(), w.clock.clone(), w.bus.clone());
        let actor = if i % 2 == 0 { sid.clone() } else { sam.clone() };
        let value = 40.0 + i as f64;
        tokio::spawn(async move {
            let scope = Scope { db: &db, clock: &*clock, actor: &actor, bus: &bus };
            record(scope, reading(conversion.id, value)).await
        })
    });
    let results = join_all(tasks).await;

    for result in results {
        let recorded = result.expect("the task ran").expect("every concurrent check-in is recorded");
        assert!(!recorded.replayed);
    }
    let kept = w.check_ins_of(conversion.id).await;
    assert_eq!(kept.len(), before + WRITERS, "every check-in is kept");
    let kr = w.key_result_by_id(conversion.id).await;
    assert_eq!(kr.check_in_count as usize, before + WRITERS);
    let latest = kept.iter().max_by_key(|c| (c.recorded_at, c.id)).unwrap();
    assert_eq!(kr.current_value, latest.value, "current is the reading recorded last");
    assert_eq!(kr.last_check_in_at, Some(latest.recorded_at));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_idempotency_key_record_once() {
    let w = World::demo_on_system_clock().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let before = w.check_ins_of(conversion.id).await.len();

    let tasks = (0..WRITERS).map(|_| {
        let (db, clock, actor, bus) = (w.db.clone(), w.clock.clone(), sid.clone(), w.bus.clone());
        tokio::spawn(async move {
            let input = NewCheckIn { idempotency_key: Some("retry-me".into()), ..reading(conversion.id, 50.0) };
            record(Scope { db: &db, clock: &*clock, actor: &actor, bus: &bus }, input).await
        })
    });
    let results: Vec<_> = join_all(tasks).await.into_iter().map(|r| r.unwrap().unwrap()).collect();

    assert_eq!(results.iter().filter(|r| !r.replayed).count(), 1, "one records, the others replay");
    assert!(results.iter().all(|r| (r.check_in.id, r.check_in.value) == (results[0].check_in.id, 50.0)));
    assert_eq!(w.check_ins_of(conversion.id).await.len(), before + 1);
    assert_eq!(w.key_result_by_id(conversion.id).await.check_in_count as usize, before + 1);
}

/// Two DRAFT objectives of Sales, each with a key result, and two leads of Sales (Sam and
/// a second lead), with room for one more active objective under `mode`.
async fn two_leads_racing(w: &World, mode: FocusPolicyMode) -> [(Actor, Uuid); 2] {
    let sam = w.actor("sam", OrgRole::Member).await;
    let sol = w.actor("sol", OrgRole::Member).await;
    let sales = w.team("Sales").await;
    w.join(&sol, sales.id, TeamRole::Lead).await;
    let quarter = w.quarter().await;
    let mut drafts = Vec::new();
    for (lead, title) in [(&sam, "Shorten procurement reviews"), (&sol, "Win back lapsed accounts")] {
        let draft = w.draft(lead, sales.id, quarter.id, title).await;
        w.add_key_result(lead, draft.id, "Reach 10 of them", measure(KeyResultKind::Increase, 0.0, 10.0)).await;
        drafts.push(draft.id);
    }
    // Sales already has one active objective; the limit leaves room for exactly one more.
    assert_eq!(active_in_sales(w).await, 1);
    w.set_policy(2, mode).await;
    [(sam, drafts[0]), (sol, drafts[1])]
}

async fn active_in_sales(w: &World) -> u64 {
    let sales = w.objective(SALES_OBJECTIVE).await;
    objective::Entity::find()
        .filter(objective::Column::TeamId.eq(sales.team_id))
        .filter(objective::Column::CycleId.eq(sales.cycle_id))
        .filter(objective::Column::State.eq(ObjectiveState::Active))
        .count(&w.db)
        .await
        .unwrap()
}

async fn race(w: &World, racers: [(Actor, Uuid); 2]) -> Vec<service::Result<service::objectives::write::Changed>> {
    let tasks = racers.map(|(actor, id)| {
        let (db, clock, bus) = (w.db.clone(), w.clock.clone(), w.bus.clone());
        tokio::spawn(async move { activate(Scope { db: &db, clock: &*clock, actor: &actor, bus: &bus }, id).await })
    });
    join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_leads_racing_for_the_last_objective_place_get_one_place() {
    let w = World::demo().await;
    let racers = two_leads_racing(&w, FocusPolicyMode::Enforce).await;

    let results = race(&w, racers).await;

    let codes: Vec<_> = results.iter().map(outcome).collect();
    assert_eq!(codes.iter().filter(|c| **c == "OK").count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == "FOCUS_LIMIT_EXCEEDED").count(), 1, "{codes:?}");
    assert_eq!(active_in_sales(&w).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_warn_both_racing_leads_activate() {
    let w = World::demo().await;
    let racers = two_leads_racing(&w, FocusPolicyMode::Warn).await;

    for result in race(&w, racers).await {
        assert_eq!(result.unwrap().objective.state, ObjectiveState::Active);
    }
    assert_eq!(active_in_sales(&w).await, 3, "WARN lets the breach through");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_leads_aligning_their_objectives_to_each_other_at_once_never_make_a_loop() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let maria = w.actor("maria", OrgRole::Member).await;
    let quarter = w.quarter().await.id;
    let ours = w.draft(&sam, w.team("Sales").await.id, quarter, "Ours").await;
    let theirs = w.draft(&maria, w.team("Marketing").await.id, quarter, "Theirs").await;

    let tasks = [(sam, ours.id, theirs.id), (maria, theirs.id, ours.id)].map(|(actor, child, parent)| {
        let (db, clock, bus) = (w.db.clone(), w.clock.clone(), w.bus.clone());
        tokio::spawn(async move {
            let scope = Scope { db: &db, clock: &*clock, actor: &actor, bus: &bus };
            align(scope, child, Some(Parent::Objective(parent)), AlignmentKind::Contributes).await
        })
    });
    let codes: Vec<_> = join_all(tasks).await.into_iter().map(|r| outcome(&r.unwrap())).collect();

    // Whoever comes second must see the first link and be told it would close a loop.
    let (ours, theirs) = (w.objective_by_id(ours.id).await, w.objective_by_id(theirs.id).await);
    assert!(ours.parent_objective_id.is_none() || theirs.parent_objective_id.is_none(), "a loop was stored: {codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == "OK").count(), 1, "{codes:?}");
    assert!(codes.contains(&"ALIGNMENT_LOOP"), "the loser is told why: {codes:?}");
}

/// What an objective's progress should be from the stored rows beneath it.
fn recomputed(o: &objective::Model, all: &[objective::Model], krs: &[entity::key_result::Model]) -> f64 {
    use entity::ProgressDriver::*;
    let mut items: Vec<(f64, f64)> = Vec::new();
    if matches!(o.progress_driver, KeyResults | Both) {
        let own = krs.iter().filter(|k| k.objective_id == o.id && k.archived_at.is_none());
        items.extend(own.map(|k| (k.progress, k.weight)));
    }
    if matches!(o.progress_driver, AlignedObjectives | Both) {
        let contributing = all.iter().filter(|c| {
            c.parent_objective_id == Some(o.id)
                && c.alignment_kind == Some(AlignmentKind::Contributes)
                && c.archived_at.is_none()
        });
        items.extend(contributing.map(|c| (c.progress, 1.0)));
    }
    service::rules::scoring::weighted_average(items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_check_ins_across_teams_leave_every_ancestor_rolled_up_from_committed_rows() {
    let w = World::demo_on_system_clock().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let quarter = w.quarter().await;
    let live: Vec<objective::Model> = objective::Entity::find()
        .filter(objective::Column::CycleId.eq(quarter.id))
        .filter(objective::Column::State.eq(ObjectiveState::Active))
        .all(&w.db)
        .await
        .unwrap();
    let mut targets = Vec::new();
    for o in live.iter().filter(|o| o.parent_objective_id.is_some()) {
        let measured = w.key_results_of(o.id).await.into_iter().filter(|k| k.kind != KeyResultKind::Milestone);
        targets.extend(measured.filter(|k| k.archived_at.is_none()).map(|k| (k.id, k.start_value, k.target_value)));
    }
    assert!(targets.len() >= 4, "the demo has key results in several teams under the company objectives");

    let tasks = targets.iter().cycle().take(4 * WRITERS).enumerate().map(|(i, &(kr, start, target))| {
        let (db, clock, bus, actor) = (w.db.clone(), w.clock.clone(), w.bus.clone(), dana.clone());
        // Readings inside each key result's range, so every one moves the rollup.
        let value = start + (target - start) * (0.1 + (i % 7) as f64 / 10.0);
        tokio::spawn(async move {
            let scope = Scope { db: &db, clock: &*clock, actor: &actor, bus: &bus };
            record(scope, reading(kr, value)).await
        })
    });
    for result in join_all(tasks).await {
        result.expect("the task ran").expect("every concurrent check-in is recorded");
    }

    let all = objective::Entity::find().all(&w.db).await.unwrap();
    let krs = entity::key_result::Entity::find().all(&w.db).await.unwrap();
    for o in all.iter().filter(|o| o.cycle_id == quarter.id && o.state == ObjectiveState::Active) {
        let expected = recomputed(o, &all, &krs);
        assert!(
            (o.progress - expected).abs() < 1e-9,
            "{:?} stores {} but its rows give {expected}",
            o.title,
            o.progress
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writers_take_turns_first_come_first_served_and_other_databases_do_not_wait() {
    let (w, other) = (World::demo().await, World::demo().await);
    let first = service::db::begin_write(&w.db).await.unwrap();
    // Another database's writer is not held up by this one.
    let elsewhere = tokio::time::timeout(Duration::from_secs(5), service::db::begin_write(&other.db)).await;
    assert!(elsewhere.expect("another database's writer gets in").is_ok());

    let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
    let mut waiting = Vec::new();
    for i in 0..5 {
        let (db, order_tx) = (w.db.clone(), order_tx.clone());
        waiting.push(tokio::spawn(async move {
            let txn = service::db::begin_write(&db).await?;
            let _ = order_tx.send(i);
            txn.commit().await
        }));
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let sqlite = w.db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    // SQLite has one writer at a time; PostgreSQL writers run side by side.
    assert_eq!(waiting.iter().all(|t| t.is_finished()), !sqlite);
    first.commit().await.unwrap();
    for task in waiting {
        let done = tokio::time::timeout(Duration::from_secs(5), task).await.expect("every writer gets its turn");
        done.expect("the task ran").expect("the transaction committed");
    }
    drop(order_tx);
    let mut came = Vec::new();
    while let Some(i) = order.recv().await {
        came.push(i);
    }
    if sqlite {
        // SQLite's own lock polling lets late writers in first; the turns keep arrival order.
        assert_eq!(came, vec![0, 1, 2, 3, 4]);
    }
}
