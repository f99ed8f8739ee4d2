//! Key results (SPEC §3.1, §3.3, §3.4): measurable figures, the per-objective focus limit,
//! drivers from the owning team, and who may add them.

use crate::support::{CONVERSION, LEAD_TIME, SALES_OBJECTIVE, World, assert_close, measure, new_key_result};
use entity::{FocusPolicyMode, KeyResultKind};
use service::OrgRole;
use service::key_results::write::{KeyResultPatch, NewKeyResult, create, update};

#[tokio::test]
async fn an_increase_needs_a_start_below_its_target() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;

    for (start, target) in [(20.0, 10.0), (10.0, 10.0)] {
        let input = new_key_result(sales.id, "More demos", measure(KeyResultKind::Increase, start, target));
        w.refuses("NOT_MEASURABLE", create(w.scope(&sam), input)).await;
    }
}

#[tokio::test]
async fn a_decrease_needs_a_start_above_its_target() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;

    for (start, target) in [(10.0, 20.0), (10.0, 10.0)] {
        let input = new_key_result(sales.id, "Fewer lost deals", measure(KeyResultKind::Decrease, start, target));
        w.refuses("NOT_MEASURABLE", create(w.scope(&sam), input)).await;
    }
}

#[tokio::test]
async fn a_sixth_key_result_exceeds_the_focus_limit_under_enforce_but_not_under_warn() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    assert_eq!(w.key_results_of(sales.id).await.len(), 2);
    for n in 3..=5 {
        w.add_key_result(&sam, sales.id, &format!("Result {n}"), measure(KeyResultKind::Increase, 0.0, 1.0)).await;
    }

    let sixth = || new_key_result(sales.id, "Result 6", measure(KeyResultKind::Increase, 0.0, 1.0));
    w.refuses("FOCUS_LIMIT_EXCEEDED", create(w.scope(&sam), sixth())).await;
    w.set_policy(5, FocusPolicyMode::Warn).await;
    create(w.scope(&sam), sixth()).await.unwrap();
    assert_eq!(w.key_results_of(sales.id).await.len(), 6);
}

#[tokio::test]
async fn a_driver_who_is_not_a_member_of_the_owning_team_is_refused() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let maria = w.person("maria").await;
    let sid = w.person("sid").await;
    let driven_by = |driver| NewKeyResult {
        driver_id: Some(driver),
        ..new_key_result(sales.id, "Book 40 demos", measure(KeyResultKind::Increase, 10.0, 40.0))
    };

    w.refuses("NOT_TEAM_MEMBER", create(w.scope(&sam), driven_by(maria.id))).await;
    let created = create(w.scope(&sam), driven_by(sid.id)).await.unwrap().key_result;
    assert_eq!(created.driver_id, Some(sid.id));
    let handover = KeyResultPatch { driver_id: Some(Some(maria.id)), ..Default::default() };
    w.refuses("NOT_TEAM_MEMBER", update(w.scope(&sam), created.id, handover)).await;
}

#[tokio::test]
async fn an_over_long_title_is_bad_user_input_naming_the_limit() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let titled = |title: &str| new_key_result(sales.id, title, measure(KeyResultKind::Increase, 0.0, 1.0));

    let error = w.refuses("BAD_USER_INPUT", create(w.scope(&sam), titled(&"x".repeat(201)))).await;
    assert!(error.to_string().contains("200"), "the message names the limit: {error}");
    create(w.scope(&sam), titled(&"x".repeat(200))).await.unwrap();
}

#[tokio::test]
async fn a_member_who_is_not_a_lead_cannot_add_or_edit_key_results() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let conversion = w.key_result(CONVERSION).await;

    let input = new_key_result(sales.id, "Book 40 demos", measure(KeyResultKind::Increase, 10.0, 40.0));
    w.refuses("FORBIDDEN", create(w.scope(&sid), input)).await;
    let retarget = KeyResultPatch { target: Some(50.0), ..Default::default() };
    w.refuses("FORBIDDEN", update(w.scope(&sid), conversion.id, retarget)).await;
}

#[tokio::test]
async fn updating_start_or_target_recomputes_progress_up_to_the_objective() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let lead_time = w.key_result(LEAD_TIME).await;
    assert_close(conversion.current_value, 41.0);

    let narrower = KeyResultPatch { start: Some(40.0), target: Some(50.0), ..Default::default() };
    let changed = update(w.scope(&sam), conversion.id, narrower).await.unwrap();

    assert_close(changed.key_result.progress, 0.1); // 40 → 50, now 41
    assert_eq!(w.key_result_by_id(conversion.id).await, changed.key_result);
    let sales = w.objective(SALES_OBJECTIVE).await;
    assert_close(sales.progress, (lead_time.progress + 0.1) / 2.0);
    assert!(changed.rolled_up.iter().any(|o| o.id == sales.id));
    assert_eq!(w.audit_events("key_result.update", conversion.id).await, 1);

    let backwards = KeyResultPatch { target: Some(35.0), ..Default::default() };
    w.refuses("NOT_MEASURABLE", update(w.scope(&sam), conversion.id, backwards)).await;
}
