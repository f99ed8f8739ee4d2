//! Imports into an organization that has OKRs already: rollups into existing objectives,
//! the focus policy counting what is there, cycles, teams and memberships as they are,
//! and a large file as one write with coarse events.

use crate::support::{COMPANY_OBJECTIVE, World, day, now};
use api::graphql::ids::{Kind, encode};
use api::graphql::transfer::GlobalIds;
use entity::{FocusPolicyMode, ObjectiveState, ProgressDriver, audit_event, objective};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use service::OrgRole;
use service::transfer::{Format, ImportRequest, Report, import};
use std::time::Duration;

fn csv(cycle_id: service::Uuid, content: &str, dry_run: bool) -> ImportRequest<'_> {
    ImportRequest { cycle_id, format: Format::Csv, content, dry_run }
}

fn problems(report: &Report) -> Vec<(u64, &str, &str)> {
    report.problems.iter().map(|p| (p.line, p.field.as_deref().unwrap_or_default(), p.code)).collect()
}

#[tokio::test]
async fn objectives_imported_under_an_existing_one_move_its_rolled_up_progress() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let quarter = w.quarter().await;
    let company = w.objective(COMPANY_OBJECTIVE).await;
    assert_ne!(company.progress_driver, ProgressDriver::KeyResults, "the demo's company objective rolls up its teams");
    let parent = encode(Kind::Objective, company.id).0;
    let content = format!(
        "kind,ref,parent,team,title,measure,value\n\
         objective,done,{parent},Sales,Already there,,\n\
         key_result,k,done,,Shipped,MILESTONE,\n\
         check_in,,k,,,,1\n"
    );
    let report = import(w.scope(&dana), &GlobalIds, csv(quarter.id, &content, false)).await.unwrap();
    assert!(report.imported, "{:?}", report.problems);
    let imported = objective::Entity::find().filter(objective::Column::Title.eq("Already there")).one(&w.db).await;
    let imported = imported.unwrap().unwrap();
    assert_eq!((imported.progress, imported.parent_objective_id), (1.0, Some(company.id)));
    let after = w.objective_by_id(company.id).await;
    assert!(after.progress > company.progress, "{} then {}", company.progress, after.progress);
}

#[tokio::test]
async fn an_import_is_checked_against_the_policy_the_cycles_teams_and_memberships_as_they_are() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let quarter = w.quarter().await;
    let sales = w.team("Sales").await;
    let active = objective::Entity::find()
        .filter(objective::Column::TeamId.eq(sales.id))
        .filter(objective::Column::CycleId.eq(quarter.id))
        .filter(objective::Column::State.eq(ObjectiveState::Active))
        .count(&w.db)
        .await
        .unwrap();
    w.set_policy(active as i32 + 1, FocusPolicyMode::Enforce).await;
    let far = w.add_cycle("FY 2030", day(2030, 1, 1), day(2030, 12, 31)).await;
    let far_objective = w.draft(&dana, sales.id, far.id, "Far away").await;
    let content = format!(
        "kind,ref,parent,team,title,state,measure,person,role\n\
         objective,a,,Sales,One more,ACTIVE,,,\n\
         key_result,ka,a,,Counted,,INCREASE,,\n\
         objective,b,,Sales,One too many,ACTIVE,,,\n\
         key_result,kb,b,,Counted too,,INCREASE,,\n\
         objective,c,{},Sales,Misaligned,,,,\n\
         team,,Marketing,Sales,,,,,\n\
         member,,,Sales,,,,sid,LEAD\n\
         key_result,kc,a,,Driven by nobody,,INCREASE,nobody,\n",
        encode(Kind::Objective, far_objective.id).0
    );
    let before = w.snapshot().await;
    let report = import(w.scope(&dana), &GlobalIds, csv(quarter.id, &content, false)).await.unwrap();
    assert_eq!(
        problems(&report),
        [
            (4, "state", "FOCUS_LIMIT_EXCEEDED"),
            (6, "parent", "ALIGNMENT_CYCLE_MISMATCH"),
            (7, "parent", "CONFLICT"),
            (8, "role", "CONFLICT"),
            (9, "person", "NOT_FOUND"),
        ]
    );
    assert_eq!(w.snapshot().await, before, "a refused file writes nothing");

    // The same file, fixed, imports: a team record of an existing team keeps it.
    let fixed = "kind,ref,parent,team,title,state,measure\n\
                 team,,Company X,Sales,,,\n\
                 objective,a,,Sales,One more,ACTIVE,\n\
                 key_result,ka,a,,Counted,,INCREASE\n";
    let report = import(w.scope(&dana), &GlobalIds, csv(quarter.id, fixed, false)).await.unwrap();
    assert!(report.imported, "{:?}", report.problems);
    assert_eq!((report.created.teams, report.created.objectives), (0, 1));
}

#[tokio::test]
async fn a_large_import_is_one_write_with_an_audit_row_per_row_and_one_resync() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let quarter = w.quarter().await;
    let mut content = String::from("kind,ref,parent,team,title,measure,startValue,targetValue,value,recordedAt\n");
    content.push_str("team,,Company X,Imports,,,,,,\n");
    let readings = 8;
    for o in 0..150 {
        content.push_str(&format!("objective,o{o},,Imports,Objective {o},,,,,\n"));
        content.push_str(&format!("key_result,k{o},o{o},,Result {o},INCREASE,0,{readings},,\n"));
        for r in 1..=readings {
            let at = now() - chrono::Duration::days(7 * (readings - r) as i64);
            content.push_str(&format!("check_in,,k{o},,,,,,{r},{}\n", at.to_rfc3339()));
        }
    }
    let rows = 1 + 150 * (2 + readings);
    let mut events = w.events().await;
    let audited = audit_event::Entity::find().count(&w.db).await.unwrap();
    let report = import(w.scope(&dana), &GlobalIds, csv(quarter.id, &content, false)).await.unwrap();
    assert!(report.imported, "{:?}", report.problems.first());
    assert_eq!(audit_event::Entity::find().count(&w.db).await.unwrap() - audited, rows as u64 + 1);
    let first = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.unwrap().unwrap();
    assert!(
        matches!(*first, service::events::Event::Resync { organization_id: Some(o) } if o == dana.organization_id())
    );
    assert!(tokio::time::timeout(Duration::from_millis(200), events.recv()).await.is_err(), "one event only");
    let done = objective::Entity::find().filter(objective::Column::Title.eq("Objective 7")).one(&w.db).await;
    assert_eq!(done.unwrap().unwrap().progress, 1.0, "each key result stands at its latest reading");
}
