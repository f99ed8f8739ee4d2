//! An objective's life (SPEC §3.3, §3.5): DRAFT → ACTIVE → CLOSED, the final score, and
//! carrying an unfinished objective over into a later cycle.

use crate::support::{CONVERSION, SALES_OBJECTIVE, World, day, measure, new_key_result, reading};
use entity::{AlignmentKind, CycleState, KeyResultKind, ObjectiveState};
use service::check_ins::record;
use service::key_results::write::{self as key_result_writes, KeyResultPatch};
use service::objectives::alignment::align;
use service::objectives::life::{activate, carry_over, close};
use service::objectives::write::{self as objective_writes, ObjectivePatch};
use service::{OrgRole, Uuid};

#[tokio::test]
async fn an_objective_without_key_results_cannot_be_activated() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let draft = w.draft(&sam, w.team("Sales").await.id, w.quarter().await.id, "Shorten procurement reviews").await;

    w.refuses("NO_KEY_RESULTS", activate(w.scope(&sam), draft.id)).await;
    // An archived key result does not count either.
    let kr = w.add_key_result(&sam, draft.id, "Halve review time", measure(KeyResultKind::Decrease, 20.0, 10.0)).await;
    key_result_writes::archive(w.scope(&sam), kr.id).await.unwrap();
    w.refuses("NO_KEY_RESULTS", activate(w.scope(&sam), draft.id)).await;
}

#[tokio::test]
async fn activating_twice_is_an_invalid_state_transition() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let draft = w.draft(&sam, w.team("Sales").await.id, w.quarter().await.id, "Shorten procurement reviews").await;
    w.add_key_result(&sam, draft.id, "Halve review time", measure(KeyResultKind::Decrease, 20.0, 10.0)).await;

    let active = activate(w.scope(&sam), draft.id).await.unwrap().objective;
    assert_eq!(active.state, ObjectiveState::Active);
    assert_eq!(w.audit_events("objective.activate", draft.id).await, 1);
    w.refuses("INVALID_STATE_TRANSITION", activate(w.scope(&sam), draft.id)).await;
}

#[tokio::test]
async fn a_member_who_is_not_a_lead_cannot_create_or_activate_objectives() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let sales = w.team("Sales").await;
    let quarter = w.quarter().await;
    let draft = w.draft(&sam, sales.id, quarter.id, "Shorten procurement reviews").await;
    w.add_key_result(&sam, draft.id, "Halve review time", measure(KeyResultKind::Decrease, 20.0, 10.0)).await;

    w.refuses("FORBIDDEN", activate(w.scope(&sid), draft.id)).await;
    let input = objective_writes::NewObjective {
        team_id: sales.id,
        cycle_id: quarter.id,
        title: "My own goal".into(),
        description: None,
        progress_driver: entity::ProgressDriver::KeyResults,
        parent: None,
        alignment: AlignmentKind::Contributes,
    };
    w.refuses("FORBIDDEN", objective_writes::create(w.scope(&sid), input)).await;
}

#[tokio::test]
async fn closing_freezes_the_final_score_and_the_objective_takes_no_more_changes() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let conversion = w.key_result(CONVERSION).await;

    let closed = close(w.scope(&sam), sales.id, Some("Lead time halved; conversion lagged".into())).await.unwrap();

    assert_eq!(closed.objective.state, ObjectiveState::Closed);
    assert_eq!(closed.objective.final_score, Some(sales.progress));
    assert_eq!(closed.objective.closing_note.as_deref(), Some("Lead time halved; conversion lagged"));
    assert_eq!(w.objective_by_id(sales.id).await, closed.objective);
    assert_eq!(w.audit_events("objective.close", sales.id).await, 1);

    let s = || w.scope(&sam);
    let retitle = ObjectivePatch { title: Some("Speed it up more".into()), ..Default::default() };
    w.refuses("OBJECTIVE_CLOSED", objective_writes::update(s(), sales.id, retitle)).await;
    w.refuses("OBJECTIVE_CLOSED", record(w.scope(&sid), reading(conversion.id, 50.0))).await;
    let another = new_key_result(sales.id, "Another one", measure(KeyResultKind::Increase, 0.0, 1.0));
    w.refuses("OBJECTIVE_CLOSED", key_result_writes::create(s(), another)).await;
    let retarget = KeyResultPatch { target: Some(70.0), ..Default::default() };
    w.refuses("OBJECTIVE_CLOSED", key_result_writes::update(s(), conversion.id, retarget)).await;
    w.refuses("OBJECTIVE_CLOSED", align(s(), sales.id, None, AlignmentKind::Contributes)).await;
    w.refuses("OBJECTIVE_CLOSED", activate(s(), sales.id)).await;
    w.refuses("OBJECTIVE_CLOSED", close(s(), sales.id, None)).await;
}

#[tokio::test]
async fn carrying_over_makes_a_draft_copy_in_the_later_cycle_that_links_back() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let originals = w.key_results_of(sales.id).await;
    let next_quarter = w.add_cycle("Q1 2027", day(2027, 1, 1), day(2027, 3, 31)).await;
    close(w.scope(&sam), sales.id, None).await.unwrap();

    let copy = carry_over(w.scope(&sam), sales.id, next_quarter.id).await.unwrap().changed.objective;

    assert_ne!(copy.id, sales.id);
    assert_eq!(copy, w.objective_by_id(copy.id).await);
    assert_eq!(copy.state, ObjectiveState::Draft);
    assert_eq!(copy.carried_over_from_id, Some(sales.id));
    assert_eq!((copy.cycle_id, copy.team_id, copy.title.as_str()), (next_quarter.id, sales.team_id, SALES_OBJECTIVE));
    assert_eq!((copy.parent_objective_id, copy.alignment_kind, copy.final_score), (None, None, None));
    assert_eq!(copy.progress, 0.0, "the copies start from their start values");
    let copies = w.key_results_of(copy.id).await;
    assert_eq!(copies.len(), originals.len());
    for (fresh, original) in copies.iter().zip(&originals) {
        assert_eq!(
            (fresh.title.as_str(), fresh.kind, fresh.driver_id),
            (original.title.as_str(), original.kind, original.driver_id)
        );
        assert_eq!((fresh.start_value, fresh.target_value), (original.start_value, original.target_value));
        assert_eq!(fresh.current_value, original.start_value);
        assert_eq!((fresh.progress, fresh.check_in_count, fresh.latest_confidence), (0.0, 0, None));
        assert_eq!(fresh.last_check_in_at, None);
        assert!(w.check_ins_of(fresh.id).await.is_empty(), "no check-ins are copied");
        assert!(!w.check_ins_of(original.id).await.is_empty(), "the original keeps its history");
    }
    let source = w.objective_by_id(sales.id).await;
    assert_eq!((source.state, source.final_score), (ObjectiveState::Closed, Some(sales.progress)));
    assert_eq!(w.audit_events("objective.carry_over", copy.id).await, 1);
}

#[tokio::test]
async fn carrying_over_into_an_earlier_or_the_same_cycle_is_bad_user_input() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let quarter = w.quarter().await;
    let earlier = w.add_cycle("Q3 2026", day(2026, 7, 1), day(2026, 9, 30)).await;

    let targets: [Uuid; 3] = [earlier.id, quarter.id, quarter.parent_id.unwrap()];
    for target in targets {
        w.refuses("BAD_USER_INPUT", carry_over(w.scope(&sam), sales.id, target)).await;
    }
}

#[tokio::test]
async fn carrying_over_into_a_closed_cycle_is_refused() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let next_quarter = w.add_cycle("Q1 2027", day(2027, 1, 1), day(2027, 3, 31)).await;
    w.set_cycle_state(next_quarter.id, CycleState::Closed).await;

    w.refuses("CYCLE_CLOSED", carry_over(w.scope(&sam), sales.id, next_quarter.id)).await;
}
