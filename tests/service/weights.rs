//! Weights (SPEC §4): an objective's progress is the weight-averaged progress of its live
//! key results.

use crate::support::{World, assert_close, measure, reading};
use entity::KeyResultKind;
use service::OrgRole;
use service::check_ins::record;
use service::key_results::write::{KeyResultPatch, archive, update};
use service::rules::measurability::Definition;

#[tokio::test]
async fn objective_progress_is_the_weight_averaged_key_result_progress() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let draft = w.draft(&sam, w.team("Sales").await.id, w.quarter().await.id, "Grow the enterprise segment").await;
    let heavy = Definition { weight: 3.0, ..measure(KeyResultKind::Increase, 0.0, 10.0) };
    let heavy = w.add_key_result(&sam, draft.id, "Sign 10 enterprise logos", heavy).await;
    let light = measure(KeyResultKind::Increase, 0.0, 10.0);
    let light = w.add_key_result(&sam, draft.id, "Run 10 executive briefings", light).await;
    let progress = || async { w.objective_by_id(draft.id).await.progress };
    assert_close(progress().await, 0.0);

    record(w.scope(&sid), reading(heavy.id, 10.0)).await.unwrap();
    assert_close(progress().await, 0.75); // (3 × 1 + 1 × 0) / 4

    let recorded = record(w.scope(&sid), reading(light.id, 5.0)).await.unwrap();
    assert_close(progress().await, 0.875); // (3 × 1 + 1 × 0.5) / 4
    assert_close(recorded.objectives[0].progress, 0.875);

    let reweighed = update(w.scope(&sam), light.id, KeyResultPatch { weight: Some(3.0), ..Default::default() });
    reweighed.await.unwrap();
    assert_close(progress().await, 0.75); // (3 × 1 + 3 × 0.5) / 6

    archive(w.scope(&sam), heavy.id).await.unwrap();
    assert_close(progress().await, 0.5); // an archived key result leaves the average
}

#[tokio::test]
async fn weights_must_be_above_zero_and_at_most_100() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let draft = w.draft(&sam, w.team("Sales").await.id, w.quarter().await.id, "Grow the enterprise segment").await;

    for weight in [0.0, -1.0, 100.5, f64::NAN] {
        let definition = Definition { weight, ..measure(KeyResultKind::Increase, 0.0, 10.0) };
        let input = crate::support::new_key_result(draft.id, "Sign 10 enterprise logos", definition);
        w.refuses("BAD_USER_INPUT", service::key_results::write::create(w.scope(&sam), input)).await;
    }
}
