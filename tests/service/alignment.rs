//! Alignment (SPEC §3.2): no loops, compatible cycles, and CONTRIBUTES counting in the
//! parent's rollup while SUPPORTS does not.

use crate::support::{
    COMPANY_OBJECTIVE, MARKETING_OBJECTIVE, PRODUCT_OBJECTIVE, SALES_OBJECTIVE, World, assert_close, day, measure,
};
use entity::{AlignmentKind, KeyResultKind, key_result, objective};
use service::objectives::ObjectiveOrKeyResult as Parent;
use service::objectives::alignment::align;
use service::objectives::write::{NewObjective, create};
use service::{Actor, OrgRole};

/// A ← B ← C across three teams, each with one key result; returns them with their key results.
async fn chain(w: &World, dana: &Actor) -> [(objective::Model, key_result::Model); 3] {
    let quarter = w.quarter().await.id;
    let a = w.draft(dana, w.team("Company X").await.id, quarter, "A").await;
    let b = w.draft_aligned(dana, w.team("Sales").await.id, quarter, "B", Some(Parent::Objective(a.id))).await;
    let c = w.draft_aligned(dana, w.team("Marketing").await.id, quarter, "C", Some(Parent::Objective(b.id))).await;
    let mut out = Vec::new();
    for o in [a, b, c] {
        let moves = measure(KeyResultKind::Increase, 0.0, 1.0);
        let kr = w.add_key_result(dana, o.id, &format!("{} moves", o.title), moves).await;
        out.push((o, kr));
    }
    out.try_into().unwrap()
}

#[tokio::test]
async fn aligning_an_objective_to_its_descendant_is_a_loop() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let [(a, _), (b, _), (c, _)] = chain(&w, &dana).await;

    for descendant in [b.id, c.id] {
        let closing = align(w.scope(&dana), a.id, Some(Parent::Objective(descendant)), AlignmentKind::Contributes);
        w.refuses("ALIGNMENT_LOOP", closing).await;
    }
}

#[tokio::test]
async fn aligning_an_objective_to_itself_or_its_own_key_result_is_a_loop() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let [(a, own), _, _] = chain(&w, &dana).await;

    for parent in [Parent::Objective(a.id), Parent::KeyResult(own.id)] {
        w.refuses("ALIGNMENT_LOOP", align(w.scope(&dana), a.id, Some(parent), AlignmentKind::Supports)).await;
    }
}

#[tokio::test]
async fn aligning_to_a_key_result_of_a_descendant_is_a_loop() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let [(a, _), _, (_, of_c)] = chain(&w, &dana).await;

    let closing = align(w.scope(&dana), a.id, Some(Parent::KeyResult(of_c.id)), AlignmentKind::Contributes);
    w.refuses("ALIGNMENT_LOOP", closing).await;
}

#[tokio::test]
async fn aligning_to_a_key_result_links_its_objective_and_the_key_result() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let [_, (b, _), (c, of_c)] = chain(&w, &dana).await;

    let aligned = align(w.scope(&dana), b.id, Some(Parent::KeyResult(of_c.id)), AlignmentKind::Supports).await;
    // C hangs below B, so B cannot hang below C's key result.
    assert_eq!(aligned.unwrap_err().code(), "ALIGNMENT_LOOP");
    let marketing = w.objective(MARKETING_OBJECTIVE).await;
    let kit = &w.key_results_of(marketing.id).await[1];
    let aligned = align(w.scope(&dana), c.id, Some(Parent::KeyResult(kit.id)), AlignmentKind::Supports).await.unwrap();
    assert_eq!(aligned.objective.parent_objective_id, Some(marketing.id));
    assert_eq!(aligned.objective.parent_key_result_id, Some(kit.id));
    assert_eq!(aligned.objective.alignment_kind, Some(AlignmentKind::Supports));
    assert_eq!(w.audit_events("objective.align", c.id).await, 1);
}

#[tokio::test]
async fn a_parent_in_a_cycle_that_does_not_overlap_is_a_cycle_mismatch() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let next_quarter = w.add_cycle("Q1 2027", day(2027, 1, 1), day(2027, 3, 31)).await;
    let company = w.team("Company X").await;
    let later = w.draft(&dana, company.id, next_quarter.id, "Grow in 2027").await;
    let sales = w.objective(SALES_OBJECTIVE).await;

    let aligning = align(w.scope(&sam), sales.id, Some(Parent::Objective(later.id)), AlignmentKind::Contributes);
    w.refuses("ALIGNMENT_CYCLE_MISMATCH", aligning).await;
    let creating = NewObjective {
        team_id: sales.team_id,
        cycle_id: sales.cycle_id,
        title: "Close the year strong".into(),
        description: None,
        progress_driver: entity::ProgressDriver::KeyResults,
        parent: Some(Parent::Objective(later.id)),
        alignment: AlignmentKind::Contributes,
    };
    w.refuses("ALIGNMENT_CYCLE_MISMATCH", create(w.scope(&sam), creating)).await;
}

#[tokio::test]
async fn a_parent_in_the_enclosing_year_is_compatible() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let year = w.quarter().await.parent_id.unwrap();
    let yearly = w.draft(&dana, w.team("Company X").await.id, year, "Become cash-flow positive").await;
    let sales = w.objective(SALES_OBJECTIVE).await;

    let aligned = align(w.scope(&sam), sales.id, Some(Parent::Objective(yearly.id)), AlignmentKind::Contributes);
    assert_eq!(aligned.await.unwrap().objective.parent_objective_id, Some(yearly.id));
}

#[tokio::test]
async fn only_leads_and_admins_align_and_foreign_ids_are_not_found() {
    let w = World::demo().await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let rival = w.actor_in("rival", "eve", OrgRole::Admin).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let company = w.objective(COMPANY_OBJECTIVE).await;

    let by_member = align(w.scope(&sid), sales.id, None, AlignmentKind::Contributes);
    w.refuses("FORBIDDEN", by_member).await;
    let by_outsider = align(w.scope(&rival), sales.id, Some(Parent::Objective(company.id)), AlignmentKind::Supports);
    w.refuses("NOT_FOUND", by_outsider).await;
    let to_nothing =
        align(w.scope(&sam), sales.id, Some(Parent::KeyResult(service::new_id())), AlignmentKind::Supports);
    w.refuses("NOT_FOUND", to_nothing).await;
}

#[tokio::test]
async fn supports_is_not_counted_in_the_parents_progress_while_contributes_is() {
    let w = World::demo().await;
    let pat = w.actor("pat", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await.progress;
    let marketing = w.objective(MARKETING_OBJECTIVE).await.progress;
    let product = w.objective(PRODUCT_OBJECTIVE).await;
    let company = w.objective(COMPANY_OBJECTIVE).await;
    assert_eq!(product.alignment_kind, Some(AlignmentKind::Supports));
    assert_close(company.progress, (sales + marketing) / 2.0);

    let parent = Some(Parent::Objective(company.id));
    let contributing = align(w.scope(&pat), product.id, parent, AlignmentKind::Contributes).await.unwrap();
    let expected = (sales + marketing + product.progress) / 3.0;
    assert_close(w.objective(COMPANY_OBJECTIVE).await.progress, expected);
    assert!(contributing.changed.iter().any(|o| o.id == company.id && (o.progress - expected).abs() < 1e-9));

    align(w.scope(&pat), product.id, parent, AlignmentKind::Supports).await.unwrap();
    assert_close(w.objective(COMPANY_OBJECTIVE).await.progress, (sales + marketing) / 2.0);
}

#[tokio::test]
async fn removing_an_alignment_recomputes_the_old_parents_progress() {
    let w = World::demo().await;
    let sam = w.actor("sam", OrgRole::Member).await;
    let sales = w.objective(SALES_OBJECTIVE).await;
    let marketing = w.objective(MARKETING_OBJECTIVE).await;

    let removed = align(w.scope(&sam), sales.id, None, AlignmentKind::Contributes).await.unwrap();

    assert_eq!(removed.objective.parent_objective_id, None);
    assert_eq!(removed.objective.alignment_kind, None);
    let company = w.objective(COMPANY_OBJECTIVE).await;
    assert_close(company.progress, marketing.progress);
    assert_eq!(removed.changed.iter().map(|o| o.id).collect::<Vec<_>>(), [company.id]);
    assert_eq!(w.audit_events("objective.align", sales.id).await, 1);
}
