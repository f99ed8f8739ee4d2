//! Check-ins (SPEC §3.4, §3.5, §3.6, §3.7): who may record a reading, which values count,
//! idempotency, and how a reading rolls up.

use crate::support::{
    COMPANY_OBJECTIVE, CONVERSION, ENABLEMENT_KIT, LEAD_TIME, MARKETING_OBJECTIVE, SALES_OBJECTIVE, World,
    assert_close, now, reading,
};
use entity::{Confidence, CycleState};
use service::OrgRole;
use service::check_ins::{NewCheckIn, record};

#[tokio::test]
async fn a_member_records_a_check_in_and_it_rolls_up_to_the_company_objective() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let company_before = w.objective(COMPANY_OBJECTIVE).await;

    let input = NewCheckIn {
        confidence: Confidence::AtRisk,
        note: Some("new pricing helps".into()),
        ..reading(conversion.id, 45.0)
    };
    let recorded = record(w.scope(&sid), input).await.unwrap();

    assert!(!recorded.replayed);
    assert_eq!(recorded.check_in.author_id, sid.person_id());
    let kr = w.key_result_by_id(conversion.id).await;
    assert_eq!(kr, recorded.key_result);
    assert_close(kr.current_value, 45.0);
    assert_close(kr.progress, 0.5); // 30 → 60, now 45
    assert_eq!(kr.check_in_count, conversion.check_in_count + 1);
    assert_eq!(kr.latest_confidence, Some(Confidence::AtRisk));
    assert_eq!(kr.last_check_in_at, Some(now()));

    let lead_time = w.key_result(LEAD_TIME).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    assert_close(sales.progress, (lead_time.progress + 0.5) / 2.0);
    let marketing = w.objective(MARKETING_OBJECTIVE).await;
    let company = w.objective(COMPANY_OBJECTIVE).await;
    assert_close(company.progress, (sales.progress + marketing.progress) / 2.0);
    assert!(company.progress > company_before.progress, "the company objective rolls up its contributors");
    let changed: Vec<_> = recorded.objectives.iter().map(|o| o.id).collect();
    assert_eq!(changed, [sales.id, company.id], "the objective and its ancestors, nearest first");

    assert_eq!(w.audit_events("check_in.record", recorded.check_in.id).await, 1);
}

#[tokio::test]
async fn the_same_idempotency_key_records_once_and_replays_the_first_check_in() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let input = NewCheckIn { idempotency_key: Some("week-48".into()), ..reading(conversion.id, 44.0) };

    let first = record(w.scope(&sid), input.clone()).await.unwrap();
    let after_first = w.snapshot().await;
    let retry = record(w.scope(&sid), input).await.unwrap();

    assert!(!first.replayed);
    assert!(retry.replayed);
    assert_eq!(retry.check_in, first.check_in);
    assert_eq!(w.snapshot().await, after_first, "a replay writes nothing, not even an audit event");
    let kept = w.check_ins_of(conversion.id).await;
    assert_eq!(kept.iter().filter(|c| c.idempotency_key.as_deref() == Some("week-48")).count(), 1);
    assert_eq!(w.key_result_by_id(conversion.id).await.check_in_count, conversion.check_in_count + 1);
}

#[tokio::test]
async fn a_check_in_answers_with_what_is_stored_so_that_a_replay_answers_the_same() {
    // On the system clock: instants finer than the database keeps (PostgreSQL: microseconds).
    let w = World::demo_on_system_clock().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let input = NewCheckIn { idempotency_key: Some("week-48".into()), ..reading(conversion.id, 44.0) };

    let first = record(w.scope(&sid), input.clone()).await.unwrap();
    let retry = record(w.scope(&sid), input).await.unwrap();

    let stored = w.check_ins_of(conversion.id).await.into_iter().find(|c| c.id == first.check_in.id).unwrap();
    assert_eq!(first.check_in, stored, "the first answer is the stored check-in");
    assert_eq!(retry.check_in, first.check_in, "a retry gets the first result");
    assert_eq!(first.key_result, w.key_result_by_id(conversion.id).await);
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_value_is_a_conflict() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let key = Some("week-48".to_owned());
    record(w.scope(&sid), NewCheckIn { idempotency_key: key.clone(), ..reading(conversion.id, 44.0) }).await.unwrap();

    let other = NewCheckIn { idempotency_key: key, ..reading(conversion.id, 46.0) };
    w.refuses("CONFLICT", record(w.scope(&sid), other)).await;
}

#[tokio::test]
async fn values_that_are_not_finite_or_absurdly_large_are_not_measurable() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;

    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e13, -1e13] {
        w.refuses("NOT_MEASURABLE", record(w.scope(&sid), reading(conversion.id, value))).await;
    }
}

#[tokio::test]
async fn a_milestone_is_checked_in_as_0_or_1_only() {
    let w = World::demo().await;
    let maria = w.actor("maria", OrgRole::Member).await;
    let kit = w.key_result(ENABLEMENT_KIT).await;

    w.refuses("NOT_MEASURABLE", record(w.scope(&maria), reading(kit.id, 0.5))).await;
    let done = record(w.scope(&maria), reading(kit.id, 1.0)).await.unwrap();
    assert_close(done.key_result.progress, 1.0);
}

#[tokio::test]
async fn a_viewer_cannot_check_in() {
    let w = World::demo().await;
    let sid_as_viewer = w.actor("sid", OrgRole::Viewer).await;
    let conversion = w.key_result(CONVERSION).await;

    w.refuses("FORBIDDEN", record(w.scope(&sid_as_viewer), reading(conversion.id, 45.0))).await;
}

#[tokio::test]
async fn a_member_of_another_team_cannot_check_in() {
    let w = World::demo().await;
    let maria = w.actor("maria", OrgRole::Member).await;
    let dana_as_member = w.actor("dana", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;

    w.refuses("FORBIDDEN", record(w.scope(&maria), reading(conversion.id, 45.0))).await;
    // Leading the parent team does not make one a member of Sales.
    w.refuses("FORBIDDEN", record(w.scope(&dana_as_member), reading(conversion.id, 45.0))).await;
}

#[tokio::test]
async fn replaying_another_persons_idempotency_key_does_not_get_past_the_permission_check() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let maria = w.actor("maria", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let input = NewCheckIn { idempotency_key: Some("week-48".into()), ..reading(conversion.id, 44.0) };
    record(w.scope(&sid), input.clone()).await.unwrap();

    w.refuses("FORBIDDEN", record(w.scope(&maria), input)).await;
}

#[tokio::test]
async fn an_admin_may_check_in_on_any_team() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let conversion = w.key_result(CONVERSION).await;

    let recorded = record(w.scope(&dana), reading(conversion.id, 45.0)).await.unwrap();
    assert_eq!(recorded.check_in.author_id, dana.person_id());
}

#[tokio::test]
async fn a_key_result_of_another_organization_is_not_found() {
    let w = World::demo().await;
    let rival = w.actor_in("rival", "eve", OrgRole::Admin).await;
    let conversion = w.key_result(CONVERSION).await;

    let foreign = w.refuses("NOT_FOUND", record(w.scope(&rival), reading(conversion.id, 45.0))).await;
    let missing = w.refuses("NOT_FOUND", record(w.scope(&rival), reading(service::new_id(), 45.0))).await;
    // Exactly like an id that never existed, apart from the id itself.
    assert_eq!(foreign.to_string().replace(&conversion.id.to_string(), "ID"), "key result ID was not found");
    assert!(missing.to_string().ends_with("was not found"));
}

#[tokio::test]
async fn a_closed_cycle_takes_no_check_ins() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    w.set_cycle_state(w.quarter().await.id, CycleState::Closed).await;

    w.refuses("CYCLE_CLOSED", record(w.scope(&sid), reading(conversion.id, 45.0))).await;
}

#[tokio::test]
async fn check_ins_stay_open_after_the_end_date_until_the_cycle_is_closed() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let conversion = w.key_result(CONVERSION).await;
    let quarter = w.quarter().await;
    // Read on the first days of the next quarter: the cycle is over but still ACTIVE.
    let late = quarter.ends_on.succ_opt().unwrap().and_hms_opt(9, 0, 0).unwrap().and_utc();
    let clock = service::FixedClock::new(late);
    let scope = service::Scope { clock: &clock, ..w.scope(&sid) };

    let recorded = record(scope, reading(conversion.id, 47.0)).await.unwrap();
    assert_eq!(recorded.check_in.recorded_at, late);
}
