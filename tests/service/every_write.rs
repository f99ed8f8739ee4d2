//! Every mutation, one row each: the audit rows it writes and the change events live
//! clients hear, after it commits.

use crate::support::{World, day, measure, new_key_result, reading};
use entity::{AlignmentKind, InitiativeState, KeyResultKind, ProgressDriver, TeamRole, audit_event};
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder, QuerySelect};
use service::events::Event;
use service::objectives::ObjectiveOrKeyResult;
use service::objectives::write::{NewObjective, ObjectivePatch};
use service::webhooks::EventType;
use service::webhooks::destination::Destinations;
use service::webhooks::write::{self as webhooks, NewWebhook, WebhookPatch};
use service::{OrgRole, Result, Uuid};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;

/// An event as a short label: `team:created`, `progress`, `check_in`.
fn label(event: &Event) -> String {
    match event {
        Event::ProgressChanged { .. } => "progress".into(),
        Event::CheckInRecorded { .. } => "check_in".into(),
        Event::ObjectiveChanged { change, .. } => format!("objective:{change}"),
        Event::Changed { kind, change, .. } => {
            format!("{}:{change}", serde_json::to_value(kind).unwrap().as_str().unwrap())
        }
        Event::Resync { .. } => "resync".into(),
    }
}

struct Table<'w> {
    w: &'w World,
    events: Receiver<Arc<Event>>,
}

impl Table<'_> {
    /// Runs one write and checks what it left in the audit trail and on the bus.
    async fn row<T>(&mut self, write: impl Future<Output = Result<T>>, audit: &[&str], events: &[&str]) -> T {
        let before = audit_event::Entity::find().count(&self.w.db).await.unwrap();
        let value = write.await.unwrap();
        let added = audit_event::Entity::find().count(&self.w.db).await.unwrap() - before;
        let mut rows = audit_event::Entity::find()
            .order_by_desc(audit_event::Column::Id)
            .limit(added)
            .all(&self.w.db)
            .await
            .unwrap();
        rows.reverse();
        let actions: Vec<String> = rows.into_iter().map(|r| r.action).collect();
        assert_eq!(actions, audit, "audit rows of {audit:?}");
        let mut heard = Vec::new();
        while heard.len() < events.len() {
            match tokio::time::timeout(Duration::from_secs(5), self.events.recv()).await {
                Ok(Ok(event)) => heard.push(label(&event)),
                _ => break,
            }
        }
        // Nothing more than that arrives.
        if let Ok(Ok(extra)) = tokio::time::timeout(Duration::from_millis(100), self.events.recv()).await {
            heard.push(label(&extra));
        }
        assert_eq!(heard, events, "events of {audit:?}");
        value
    }
}

#[test]
fn every_write_leaves_its_audit_rows_and_announces_its_changes_after_commit() {
    // One future awaits every write of the service in turn: in a debug build it outgrows a
    // test thread's 2 MiB stack, so it runs on a thread of its own with room for it.
    let table = std::thread::Builder::new()
        .stack_size(32 * 1024 * 1024)
        .spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(every_write())
        })
        .unwrap();
    if let Err(panic) = table.join() {
        std::panic::resume_unwind(panic);
    }
}

async fn every_write() {
    let w = World::demo().await;
    let dana = w.actor("dana", OrgRole::Admin).await;
    let sid = w.actor("sid", OrgRole::Member).await;
    let mut t = Table { w: &w, events: w.events().await };
    let (s, quarter) = (w.scope(&dana), w.quarter().await);
    let sales = w.team("Sales").await;
    use service::{check_ins, cycles, key_results, objectives, organizations, planning, teams};

    let team = t.row(teams::write::create(s, "Ops", Some(sales.id)), &["team.create"], &["team:created"]).await;
    t.row(
        teams::write::update(
            s,
            team.id,
            teams::write::TeamPatch {
                name: Some("Sales ops".into()),
                check_in_rhythm_days: Some(Some(14)),
                ..Default::default()
            },
        ),
        &["team.update"],
        &["team:updated"],
    )
    .await;
    let who = teams::write::Who::Subject { subject: "ola".into(), display_name: None, email: None };
    let ola = t
        .row(
            teams::write::add_member(s, team.id, who, TeamRole::Member, None),
            &["membership.create"],
            &["membership:created"],
        )
        .await;
    t.row(
        teams::write::update_member(s, ola.id, Some(TeamRole::Lead), Some("Lead")),
        &["membership.update"],
        &["membership:updated"],
    )
    .await;
    t.row(teams::write::remove_member(s, ola.id), &["membership.delete"], &["membership:deleted"]).await;
    t.row(teams::write::archive(s, team.id), &["team.archive"], &["team:archived"]).await;

    let policy = organizations::PolicyPatch { max_objectives_per_team: Some(6), ..Default::default() };
    t.row(organizations::update_policy(s, policy), &["organization.update_policy"], &["policy:updated"]).await;

    let next = cycles::write::NewCycle {
        name: "Q1 2027".into(),
        starts_on: day(2027, 1, 1),
        ends_on: day(2027, 3, 31),
        parent_id: None,
    };
    let next = t.row(cycles::write::create(s, next), &["cycle.create"], &["cycle:created"]).await;
    let patch = cycles::write::CyclePatch { name: Some("Q1 FY27".into()), ..Default::default() };
    t.row(cycles::write::update(s, next.id, patch), &["cycle.update"], &["cycle:updated"]).await;
    t.row(cycles::write::activate(s, next.id), &["cycle.activate"], &["cycle:activated"]).await;

    let new = NewObjective {
        team_id: sales.id,
        cycle_id: quarter.id,
        title: "Close the books faster".into(),
        description: None,
        progress_driver: ProgressDriver::KeyResults,
        parent: None,
        alignment: AlignmentKind::Contributes,
    };
    let o = t.row(objectives::write::create(s, new), &["objective.create"], &["objective:created"]).await.objective;
    let patch = ObjectivePatch { title: Some("Close the books in a week".into()), ..Default::default() };
    t.row(objectives::write::update(s, o.id, patch), &["objective.update"], &["objective:updated"]).await;
    let kr = new_key_result(o.id, "Days to close", measure(KeyResultKind::Decrease, 20.0, 7.0));
    let kr = t.row(key_results::write::create(s, kr), &["key_result.create"], &["progress"]).await.key_result;
    let patch = key_results::write::KeyResultPatch { target: Some(5.0), ..Default::default() };
    t.row(key_results::write::update(s, kr.id, patch), &["key_result.update"], &["progress"]).await;
    t.row(objectives::life::activate(s, o.id), &["objective.activate"], &["objective:activated"]).await;
    t.row(check_ins::record(w.scope(&sid), reading(kr.id, 15.0)), &["check_in.record"], &["check_in", "progress"])
        .await;
    let company = w.objective(crate::support::COMPANY_OBJECTIVE).await;
    let aligned = objectives::alignment::align(
        s,
        o.id,
        Some(ObjectiveOrKeyResult::Objective(company.id)),
        AlignmentKind::Supports,
    );
    t.row(aligned, &["objective.align"], &["objective:aligned"]).await;

    let initiative = t
        .row(
            planning::initiatives::create(
                s,
                planning::initiatives::NewInitiative {
                    key_result_id: kr.id,
                    title: "Automate accruals".into(),
                    assignee_id: None,
                    impact: Some(entity::Level::High),
                    effort: None,
                },
            ),
            &["initiative.create"],
            &["initiative:created"],
        )
        .await;
    let patch =
        planning::initiatives::InitiativePatch { state: Some(InitiativeState::InProgress), ..Default::default() };
    t.row(planning::initiatives::update(s, initiative.id, patch), &["initiative.update"], &["initiative:updated"])
        .await;
    let marketing = w.objective(crate::support::MARKETING_OBJECTIVE).await;
    let (from, to) = (ObjectiveOrKeyResult::Objective(o.id), ObjectiveOrKeyResult::Objective(marketing.id));
    let dependency =
        t.row(planning::dependencies::create(s, from, to, None), &["dependency.create"], &["dependency:created"]).await;
    t.row(
        planning::dependencies::resolve_dependency(s, dependency.id),
        &["dependency.resolve"],
        &["dependency:resolved"],
    )
    .await;
    // The demo wrote Sales's note of this week: writing it again updates it.
    use service::rhythm::weeks::{self, Item, Section, Week};
    let note =
        vec![Item { section: Section::Plan, text: "Close the books".into(), key_result_id: None, initiative_id: None }];
    let week = Week::containing(crate::support::now());
    t.row(weeks::write_note(s, sales.id, week, note.clone()), &["team_week.write"], &["team_week:updated"]).await;
    let next_week = Week::containing(crate::support::now() + chrono::Duration::days(7));
    t.row(weeks::write_note(s, sales.id, next_week, note), &["team_week.write"], &["team_week:created"]).await;

    use service::strategy::write::{self as strategy, NewTheme, ThemePatch};
    let new = NewTheme {
        name: "Own the mid-market".into(),
        description: None,
        perspective: Some(entity::Perspective::Customer),
        colour: "#336699".into(),
        position: 7,
        starts_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        ends_on: None,
    };
    let theme = t.row(strategy::create(s, new), &["theme.create"], &["theme:created"]).await;
    let archive = ThemePatch { state: Some(entity::ThemeState::Archived), ..Default::default() };
    t.row(strategy::update(s, theme.id, archive), &["theme.update"], &["theme:archived"]).await;
    let served = t.row(
        strategy::set_objective_themes(s, company.id, Vec::new()),
        &["objective.set_themes"],
        &["theme:linked", "theme:linked", "theme:linked"],
    );
    assert!(served.await.is_empty());

    // An import audits each row it creates and the import itself; it announces what the
    // rows' own writes would (or one resync, when that would be too many).
    let file = "kind,ref,parent,team,title,measure,value,person\n\
                team,,Sales,Field sales,,,,\n\
                member,,,Field sales,Closer,,,fay\n\
                objective,f,,Field sales,Open the northern region,,,\n\
                key_result,fk,f,,Signed deals,INCREASE,,\n\
                check_in,,fk,,,,1,\n";
    let request = service::transfer::ImportRequest {
        cycle_id: quarter.id,
        format: service::transfer::Format::Csv,
        content: file,
        dry_run: false,
    };
    let imported = t
        .row(
            service::transfer::import(s, &api::graphql::transfer::GlobalIds, request),
            &[
                "team.import",
                "person.import",
                "membership.import",
                "objective.import",
                "key_result.import",
                "check_in.import",
                "cycle.import",
            ],
            &["team:created", "membership:created", "objective:created"],
        )
        .await;
    assert!(imported.imported, "{imported:?}");
    let checked = service::transfer::ImportRequest { dry_run: true, ..request };
    let checked = t.row(service::transfer::import(s, &api::graphql::transfer::GlobalIds, checked), &[], &[]).await;
    assert!(!checked.imported && checked.problems.is_empty(), "a dry run writes and announces nothing");

    let carried = t
        .row(objectives::life::carry_over(s, o.id, next.id), &["objective.carry_over"], &["objective:carried_over"])
        .await
        .changed;
    assert_eq!(
        carried.rolled_up.iter().map(|r| r.id).collect::<Vec<Uuid>>(),
        [carried.objective.id],
        "the copy's rolled-up chain comes back"
    );
    t.row(objectives::write::archive(s, carried.objective.id), &["objective.archive"], &["objective:archived"]).await;
    t.row(key_results::write::archive(s, kr.id), &["key_result.archive"], &["progress"]).await;
    t.row(objectives::life::close(s, o.id, None), &["objective.close"], &["objective:closed"]).await;

    // Endpoints are admins' configuration: audited, heard by no display.
    let destinations = Destinations::new(vec!["127.0.0.0/8".parse().unwrap()]);
    let new = NewWebhook {
        url: "http://127.0.0.1:9/okrs".into(),
        event_types: vec![EventType::CycleClosed],
        team_id: None,
        enabled: true,
    };
    let hook = t.row(webhooks::create(s, &destinations, new), &["webhook.create"], &[]).await.webhook;
    let rotate = WebhookPatch { rotate_secret: true, ..Default::default() };
    t.row(webhooks::update(s, &destinations, hook.id, rotate), &["webhook.rotate_secret"], &[]).await;

    // Closing the quarter freezes the score of each of its objectives not closed on their own.
    let open = ["objective:cycle_closed"; 4];
    t.row(cycles::write::close(s, quarter.id), &["cycle.close"], &[&open[..], &["cycle:closed"]].concat()).await;
    let reopened = ["objective:cycle_reopened"; 4];
    t.row(cycles::write::reopen(s, quarter.id), &["cycle.reopen"], &[&reopened[..], &["cycle:reopened"]].concat())
        .await;

    // The close was written to the endpoint's outbox with the change.
    let sent = entity::webhook_delivery::Entity::find().all(&t.w.db).await.unwrap();
    assert_eq!(sent.iter().map(|d| d.event_type.as_str()).collect::<Vec<_>>(), ["cycle.closed"]);
    t.row(webhooks::redeliver(s, sent[0].id), &["webhook_delivery.redeliver"], &[]).await;
    t.row(webhooks::delete(s, hook.id), &["webhook.delete"], &[]).await;
}
