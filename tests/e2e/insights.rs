//! Insights over the API: each kind appears when its cause does and clears when the cause
//! goes, under a pinned clock, on both databases; the demo tells its story with them.

use chrono::Duration;
use serde_json::{Value, json};
use service::FixedClock;
use std::sync::Arc;
use trellis_tests::{Options, StatusCode, TestApp};

const INSIGHTS: &str = "query($c: ID!, $t: ID, $s: Boolean! = false, $k: [InsightKind!], $m: Severity) {
    insights(cycleId: $c, teamId: $t, subtree: $s, kinds: $k, minSeverity: $m, first: 100) {
        totalCount edges { node { id kind severity message suggestion since
            team { name } objective { title } keyResult { title }
            subject { __typename ... on KeyResult { id } ... on Objective { id } ... on Team { id } ... on Dependency { id } }
            figures { __typename
                ... on BehindPaceFigures { projectedScore slopePerWeek checkIns stretchTarget }
                ... on StaleFigures { daysWithoutCheckIn rhythmDays lastCheckInAt }
                ... on ConfidenceFallingFigures { confidences lowered offTrackInARow }
                ... on ActivityKeyResultFigures { matchedWords }
                ... on BlockedByDependencyFigures { blockerObjectiveId blockerRed blockerProjectedScore }
            } } } } }";

/// The demo's quarter (the year around it is a cycle too).
async fn quarter(app: &TestApp, token: &str) -> Value {
    let data = app.data(token, "{ cycles(state: ACTIVE) { edges { node { id name } } } }", json!({})).await;
    let cycles = data["cycles"]["edges"].as_array().unwrap();
    cycles.iter().find(|c| c["node"]["name"].as_str().unwrap().starts_with('Q')).unwrap()["node"]["id"].clone()
}

fn nodes(data: &Value) -> Vec<Value> {
    data["insights"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

/// The demo, loaded at a pinned moment seven weeks into its quarter, with a clock the
/// test moves.
struct Demo {
    app: TestApp,
    clock: FixedClock,
    token: String,
    cycle: Value,
}

/// 19 November 2026, noon: week 7 of Q4 2026.
pub(crate) fn week_seven() -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 19, 12, 0, 0).unwrap()
}

impl Demo {
    async fn start() -> Demo {
        let clock = FixedClock::new(week_seven());
        let app = TestApp::start(Options { demo: true, ..Options::default() }, Arc::new(clock.clone())).await;
        let token = app.demo_admin();
        let cycle = quarter(&app, &token).await;
        Demo { app, clock, token, cycle }
    }

    async fn insights(&self, variables: Value) -> Vec<Value> {
        let mut variables = variables;
        variables["c"] = self.cycle.clone();
        nodes(&self.app.data(&self.token, INSIGHTS, variables).await)
    }

    /// The insights of `kind` (e.g. "STALE"), by the title of what they are about.
    async fn of(&self, kind: &str) -> Vec<(String, Value)> {
        let found = self.insights(json!({ "k": [kind] })).await;
        found
            .into_iter()
            .map(|n| {
                let title = n["keyResult"]["title"]
                    .as_str()
                    .or(n["objective"]["title"].as_str())
                    .or(n["team"]["name"].as_str());
                (title.unwrap_or_default().to_owned(), n)
            })
            .collect()
    }

    async fn titled(&self, kind: &str, title: &str) -> Option<Value> {
        self.of(kind).await.into_iter().find(|(t, _)| t.contains(title)).map(|(_, n)| n)
    }

    async fn mutate(&self, query: &str, input: Value) -> Value {
        self.app.data(&self.token, query, json!({ "i": input })).await
    }

    /// The id of the demo key result or objective whose title contains `title`.
    async fn id_of(&self, title: &str) -> Value {
        let query =
            "{ objectives(first: 50) { edges { node { id title keyResults { edges { node { id title } } } } } } }";
        let data = self.app.data(&self.token, query, json!({})).await;
        for o in data["objectives"]["edges"].as_array().unwrap() {
            if o["node"]["title"].as_str().unwrap().contains(title) {
                return o["node"]["id"].clone();
            }
            for k in o["node"]["keyResults"]["edges"].as_array().unwrap() {
                if k["node"]["title"].as_str().unwrap().contains(title) {
                    return k["node"]["id"].clone();
                }
            }
        }
        panic!("nothing titled {title:?}")
    }

    async fn team(&self, name: &str) -> Value {
        let data = self.app.data(&self.token, "{ teams(first: 20) { edges { node { id name } } } }", json!({})).await;
        let teams = data["teams"]["edges"].as_array().unwrap();
        teams.iter().find(|t| t["node"]["name"] == name).unwrap()["node"]["id"].clone()
    }

    async fn check_in(&self, key_result: &Value, value: f64, confidence: &str) {
        let query = "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id } } }";
        self.mutate(query, json!({ "keyResultId": key_result, "value": value, "confidence": confidence })).await;
    }

    /// A new objective of `team` in the quarter with one key result, active.
    async fn objective(&self, team: &Value, title: &str, parent: Option<&Value>) -> Value {
        let query = "mutation($i: CreateObjectiveInput!) { createObjective(input: $i) { objective { id } } }";
        let input = json!({ "teamId": team, "cycleId": self.cycle, "title": title, "parentId": parent });
        let objective = self.mutate(query, input).await["createObjective"]["objective"]["id"].clone();
        self.key_result(&objective, &format!("{title}: raise NPS from 30 to 45")).await;
        let query = "mutation($i: ObjectiveInput!) { activateObjective(input: $i) { objective { id } } }";
        self.mutate(query, json!({ "id": objective })).await;
        objective
    }

    async fn key_result(&self, objective: &Value, title: &str) -> Value {
        let query = "mutation($i: CreateKeyResultInput!) { createKeyResult(input: $i) { keyResult { id } } }";
        let input = json!({ "objectiveId": objective, "title": title, "kind": "INCREASE", "startValue": 30, "targetValue": 45 });
        self.mutate(query, input).await["createKeyResult"]["keyResult"]["id"].clone()
    }

    async fn policy(&self, input: Value) {
        let query = "mutation($i: UpdatePolicyInput!) { updatePolicy(input: $i) { organization { id } } }";
        self.mutate(query, input).await;
    }
}

#[tokio::test]
async fn stale_appears_after_the_rhythm_without_check_ins_and_clears_with_one() {
    let demo = Demo::start().await;
    assert!(demo.of("STALE").await.is_empty(), "the demo checked in this week");
    demo.clock.set(week_seven() + Duration::days(9));
    let stale = demo.titled("STALE", "marketing-qualified leads").await.unwrap();
    assert_eq!(stale["severity"], "WARNING", "{stale}");
    assert_eq!(stale["figures"]["rhythmDays"], 7);
    demo.clock.set(week_seven() + Duration::days(16));
    assert_eq!(demo.titled("STALE", "marketing-qualified leads").await.unwrap()["severity"], "CRITICAL");
    demo.check_in(&demo.id_of("marketing-qualified leads").await, 182.0, "ON_TRACK").await;
    assert!(demo.titled("STALE", "marketing-qualified leads").await.is_none());
    assert!(demo.titled("STALE", "lead to sales time").await.is_some(), "the others are still stale");
    // The rhythm is the organization's: a fortnightly one makes nine quiet days fine.
    demo.clock.set(week_seven() + Duration::days(9));
    demo.policy(json!({ "checkInRhythmDays": 14, "staleCriticalDays": 28 })).await;
    assert!(demo.of("STALE").await.is_empty());
}

const DUE: &str = "query($t: ID!) { dueCheckIns(teamId: $t) {
    keyResult { title } lastHeardAt dueAt overdue daysOverdue rhythmDays } }";

impl Demo {
    /// The team's due check-ins, by key result title.
    async fn due(&self, team: &Value) -> Vec<(String, Value)> {
        let data = self.app.data(&self.token, DUE, json!({ "t": team })).await;
        let due = data["dueCheckIns"].as_array().unwrap();
        due.iter().map(|d| (d["keyResult"]["title"].as_str().unwrap().to_owned(), d.clone())).collect()
    }

    async fn rhythm(&self, team: &Value, days: Value) -> (StatusCode, Value) {
        let query = "mutation($i: UpdateTeamInput!) { updateTeam(input: $i) { team { checkInRhythmDays } } }";
        self.app.graphql(&self.token, query, json!({ "i": { "id": team, "checkInRhythmDays": days } })).await
    }
}

#[tokio::test]
async fn a_team_keeps_its_own_rhythm_for_due_check_ins_and_stale_key_results() {
    let demo = Demo::start().await;
    let marketing = demo.team("Marketing").await;
    let overdue = |due: &[(String, Value)]| -> Vec<String> {
        due.iter().filter(|(_, d)| d["overdue"] == true).map(|(t, _)| t.clone()).collect()
    };
    assert!(overdue(&demo.due(&marketing).await).is_empty(), "the demo checked in this week");
    demo.clock.set(week_seven() + Duration::days(9));
    let due = demo.due(&marketing).await;
    let (_, leads) =
        due.iter().find(|(t, _)| t.contains("marketing-qualified leads")).unwrap_or_else(|| panic!("not due: {due:?}"));
    assert_eq!((leads["overdue"].clone(), leads["rhythmDays"].clone()), (json!(true), json!(7)), "{leads}");
    assert!(leads["daysOverdue"].as_i64().unwrap() >= 1, "{leads}");
    assert!(demo.titled("STALE", "marketing-qualified leads").await.is_some());

    // Marketing checks in fortnightly: nine quiet days are fine for it, and only for it.
    let (_, body) = demo.rhythm(&marketing, json!(14)).await;
    assert_eq!(body["data"]["updateTeam"]["team"]["checkInRhythmDays"], 14, "{body}");
    assert!(overdue(&demo.due(&marketing).await).is_empty());
    assert!(demo.titled("STALE", "marketing-qualified leads").await.is_none());
    let stale = demo.of("STALE").await;
    assert!(
        stale.iter().all(|(_, n)| n["team"]["name"] != "Marketing" && n["figures"]["rhythmDays"] == 7),
        "{stale:?}"
    );
    demo.clock.set(week_seven() + Duration::days(20));
    let stale = demo.titled("STALE", "marketing-qualified leads").await.expect("quiet for longer than a fortnight");
    assert_eq!(stale["figures"]["rhythmDays"], 14);

    // Back to the organization's rhythm; out-of-range rhythms are refused.
    demo.rhythm(&marketing, Value::Null).await;
    demo.clock.set(week_seven() + Duration::days(9));
    assert!(overdue(&demo.due(&marketing).await).iter().any(|t| t.contains("marketing-qualified leads")));
    for wrong in [0, 91] {
        let (_, body) = demo.rhythm(&marketing, json!(wrong)).await;
        assert_eq!(trellis_tests::error_code(&body), "BAD_USER_INPUT", "{body}");
    }
}

#[tokio::test]
async fn behind_pace_follows_the_trend_of_the_check_ins() {
    let demo = Demo::start().await;
    let behind = demo.titled("BEHIND_PACE", "trial activation").await.unwrap();
    let figures = &behind["figures"];
    assert!(figures["projectedScore"].as_f64().unwrap() < 0.7, "{behind}");
    assert_eq!((figures["checkIns"].clone(), figures["stretchTarget"].clone()), (json!(7), json!(0.7)));
    assert!(figures["slopePerWeek"].as_f64().unwrap() > 0.0, "rising, but not fast enough: {behind}");
    let activation = demo.id_of("trial activation").await;
    for (day, value) in [(1, 40.0), (2, 44.0), (3, 45.0)] {
        demo.clock.set(week_seven() + Duration::days(day));
        demo.check_in(&activation, value, "ON_TRACK").await;
    }
    assert!(demo.titled("BEHIND_PACE", "trial activation").await.is_none(), "{:?}", demo.of("BEHIND_PACE").await);
}

#[tokio::test]
async fn falling_confidence_appears_and_clears() {
    let demo = Demo::start().await;
    let lead_time = demo.id_of("lead to sales time").await;
    demo.check_in(&lead_time, 45.0, "AT_RISK").await;
    assert!(demo.titled("CONFIDENCE_FALLING", "lead to sales time").await.is_none(), "one lowering");
    demo.check_in(&lead_time, 46.0, "OFF_TRACK").await;
    let falling = demo.titled("CONFIDENCE_FALLING", "lead to sales time").await.unwrap();
    assert_eq!(falling["figures"]["confidences"], json!(["ON_TRACK", "AT_RISK", "OFF_TRACK"]));
    assert_eq!(falling["severity"], "WARNING");
    demo.check_in(&lead_time, 46.0, "OFF_TRACK").await;
    assert_eq!(demo.titled("CONFIDENCE_FALLING", "lead to sales time").await.unwrap()["severity"], "CRITICAL");
    demo.check_in(&lead_time, 40.0, "ON_TRACK").await;
    assert!(demo.titled("CONFIDENCE_FALLING", "lead to sales time").await.is_none());
}

#[tokio::test]
async fn orphans_and_uncovered_objectives_appear_and_clear_with_alignment() {
    let demo = Demo::start().await;
    let (sales, company) = (demo.team("Sales").await, demo.team("Company X").await);
    let orphan = demo.objective(&sales, "Open the Nordics", None).await;
    assert!(demo.titled("ORPHAN_OBJECTIVE", "Open the Nordics").await.is_some());
    let goal = demo.objective(&company, "Become the market leader in the Nordics", None).await;
    assert!(demo.titled("UNCOVERED_OBJECTIVE", "market leader").await.is_some());
    let query = "mutation($i: AlignObjectiveInput!) { alignObjective(input: $i) { objective { id } } }";
    demo.mutate(query, json!({ "id": orphan, "parentId": goal })).await;
    assert!(demo.titled("ORPHAN_OBJECTIVE", "Open the Nordics").await.is_none());
    assert!(demo.titled("UNCOVERED_OBJECTIVE", "market leader").await.is_none());
}

#[tokio::test]
async fn a_focus_breach_in_warn_mode_is_reported_with_the_limit() {
    let demo = Demo::start().await;
    demo.policy(json!({ "mode": "WARN", "maxObjectivesPerTeam": 1 })).await;
    assert!(demo.of("FOCUS_BREACH").await.is_empty());
    let company = demo.id_of("revenue back").await;
    let extra = demo.objective(&demo.team("Sales").await, "Renew every enterprise contract", Some(&company)).await;
    let breach = demo.titled("FOCUS_BREACH", "Sales").await.unwrap();
    assert_eq!(breach["subject"]["__typename"], "Team");
    assert!(breach["message"].as_str().unwrap().contains("the limit is 1"), "{breach}");
    let query = "mutation($i: ObjectiveInput!) { archiveObjective(input: $i) { objective { id } } }";
    demo.mutate(query, json!({ "id": extra })).await;
    assert!(demo.of("FOCUS_BREACH").await.is_empty());
}

#[tokio::test]
async fn activity_key_results_name_their_words_and_the_organization_adds_its_own() {
    let demo = Demo::start().await;
    let kit = demo.titled("ACTIVITY_KEY_RESULT", "enablement kit").await.unwrap();
    assert_eq!(kit["figures"]["matchedWords"], json!(["ship"]));
    assert!(kit["suggestion"].as_str().unwrap().contains("initiative"), "{kit}");
    let query = "mutation($i: UpdateKeyResultInput!) { updateKeyResult(input: $i) { keyResult { id } } }";
    let id = demo.id_of("enablement kit").await;
    demo.mutate(query, json!({ "id": id, "title": "80 % of reps win with the new pricing kit" })).await;
    assert!(demo.titled("ACTIVITY_KEY_RESULT", "pricing kit").await.is_none());
    let objective = demo.id_of("Fill the pipeline").await;
    demo.key_result(&objective, "Tidy the lead database").await;
    assert!(demo.titled("ACTIVITY_KEY_RESULT", "Tidy").await.is_none());
    demo.policy(json!({ "activityVerbs": ["Tidy"] })).await;
    assert_eq!(demo.titled("ACTIVITY_KEY_RESULT", "Tidy").await.unwrap()["figures"]["matchedWords"], json!(["tidy"]));
}

#[tokio::test]
async fn a_dependency_on_a_red_objective_blocks_until_it_is_delivered() {
    let demo = Demo::start().await;
    let blocked = demo.titled("BLOCKED_BY_DEPENDENCY", "Speed up our sales cycle").await.unwrap();
    assert_eq!(
        (blocked["severity"].clone(), blocked["subject"]["__typename"].clone()),
        (json!("CRITICAL"), json!("Dependency"))
    );
    assert_eq!(blocked["team"]["name"], "Sales");
    demo.check_in(&demo.id_of("enablement kit").await, 1.0, "ON_TRACK").await;
    assert!(demo.of("BLOCKED_BY_DEPENDENCY").await.is_empty());
}

#[tokio::test]
async fn an_objective_without_key_results_is_reported_a_week_on() {
    let demo = Demo::start().await;
    let query = "mutation($i: CreateObjectiveInput!) { createObjective(input: $i) { objective { id } } }";
    let input = json!({ "teamId": demo.team("Product").await, "cycleId": demo.cycle, "title": "Delight admins" });
    let objective = demo.mutate(query, input).await["createObjective"]["objective"]["id"].clone();
    assert!(demo.titled("NO_KEY_RESULTS", "Delight admins").await.is_none(), "a draft of today has a week");
    demo.clock.set(week_seven() + Duration::days(8));
    assert!(demo.titled("NO_KEY_RESULTS", "Delight admins").await.is_some());
    demo.key_result(&objective, "Raise admin satisfaction from 3.1 to 4.2").await;
    assert!(demo.titled("NO_KEY_RESULTS", "Delight admins").await.is_none());
}

#[tokio::test]
async fn a_behind_key_result_without_an_open_initiative_is_unassigned_work() {
    let demo = Demo::start().await;
    assert!(demo.titled("UNASSIGNED_WORK", "trial activation").await.is_some());
    let query = "mutation($i: CreateInitiativeInput!) { createInitiative(input: $i) { initiative { id } } }";
    let input = json!({ "keyResultId": demo.id_of("trial activation").await, "title": "Guided first project" });
    demo.mutate(query, input).await;
    assert!(demo.titled("UNASSIGNED_WORK", "trial activation").await.is_none());
}

#[tokio::test]
async fn filters_nested_fields_and_ids_agree() {
    let demo = Demo::start().await;
    let all = demo.insights(json!({})).await;
    let severities: Vec<&str> = all.iter().map(|n| n["severity"].as_str().unwrap()).collect();
    let rank = |s: &str| ["CRITICAL", "WARNING", "INFO"].iter().position(|x| *x == s).unwrap();
    assert!(severities.windows(2).all(|w| rank(w[0]) <= rank(w[1])), "most severe first: {severities:?}");
    let again = demo.insights(json!({})).await;
    let ids = |v: &[Value]| v.iter().map(|n| n["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&all), ids(&again), "stable ids");
    let critical = demo.insights(json!({ "m": "CRITICAL" })).await;
    assert!(!critical.is_empty() && critical.iter().all(|n| n["severity"] == "CRITICAL"));
    let (sales, company) = (demo.team("Sales").await, demo.team("Company X").await);
    let of_sales = demo.insights(json!({ "t": sales })).await;
    assert!(!of_sales.is_empty() && of_sales.iter().all(|n| n["team"]["name"] == "Sales"), "{of_sales:?}");
    assert!(demo.insights(json!({ "t": company })).await.len() < all.len());
    assert_eq!(demo.insights(json!({ "t": company, "s": true })).await.len(), all.len(), "the subtree is everyone");

    let query = "query($t: ID!, $c: ID!, $o: ID!, $k: ID!) {
        dashboard(teamId: $t, cycleId: $c) { insights { id team { name } } }
        team(id: $t) { insights(cycleId: $c) { totalCount } }
        objective(id: $o) { insights { edges { node { id kind } } } }
        keyResult(id: $k) { insights { edges { node { id kind } } } } }";
    let (objective, key_result) = (demo.id_of("Speed up").await, demo.id_of("conversion rate").await);
    let vars = json!({ "t": sales, "c": demo.cycle, "o": objective, "k": key_result });
    let data = demo.app.data(&demo.token, query, vars).await;
    assert_eq!(data["dashboard"]["insights"].as_array().unwrap().len(), of_sales.len());
    assert_eq!(data["team"]["insights"]["totalCount"], json!(of_sales.len()));
    let kinds =
        |v: &Value| v["edges"].as_array().unwrap().iter().map(|e| e["node"]["kind"].clone()).collect::<Vec<_>>();
    assert!(kinds(&data["objective"]["insights"]).contains(&json!("BLOCKED_BY_DEPENDENCY")), "{data}");
    assert!(kinds(&data["keyResult"]["insights"]).contains(&json!("BEHIND_PACE")), "{data}");
}

#[tokio::test]
async fn the_demo_tells_its_story_with_insights() {
    let demo = Demo::start().await;
    let kinds: std::collections::BTreeSet<String> =
        demo.insights(json!({})).await.iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
}

/// The next `next` message of a subscription within `seconds`, pings skipped.
async fn next_event(socket: &mut crate::live::Socket, seconds: u64) -> Value {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.expect("an event in time");
        if let Some(Ok(Message::Text(text))) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["type"], "next", "{value}");
            return value["payload"]["data"]["insightsChanged"].clone();
        }
    }
}

fn kinds_of(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn subscribers_hear_insights_appear_and_clear_after_check_ins_and_as_time_passes() {
    use futures::SinkExt;
    let clock = FixedClock::new(week_seven());
    let limits = api::config::Limits { insights_sweep_secs: 1, ..trellis_tests::unthrottled() };
    let options = Options { demo: true, limits: Some(limits), ..Options::default() };
    let app = TestApp::start(options, Arc::new(clock.clone())).await;
    let demo = Demo { token: app.demo_admin(), cycle: Value::Null, clock, app };
    let demo = Demo { cycle: quarter(&demo.app, &demo.token).await, ..demo };
    let sales = demo.team("Sales").await;
    let mut socket = crate::live::connect(&demo.app, "graphql-transport-ws", &demo.token).await;
    let query = "subscription($c: ID!, $t: ID) { insightsChanged(cycleId: $c, teamId: $t) {
        resync appeared { id kind severity teamId subjectId message } cleared { id kind } } }";
    let start = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "c": demo.cycle, "t": sales } } });
    socket.send(tokio_tungstenite::tungstenite::Message::Text(start.to_string().into())).await.unwrap();
    // The watch takes its first look before the writes.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let lead_time = demo.id_of("lead to sales time").await;
    demo.check_in(&lead_time, 45.0, "AT_RISK").await;
    demo.check_in(&lead_time, 46.0, "OFF_TRACK").await;
    // OFF_TRACK makes the key result RED too, and nobody works on it.
    let change = next_event(&mut socket, 3).await;
    assert_eq!(kinds_of(&change["appeared"]), vec!["CONFIDENCE_FALLING", "UNASSIGNED_WORK"], "{change}");
    assert!(change["appeared"].as_array().unwrap().iter().all(|i| i["teamId"] == sales));
    let ids: Vec<Value> = change["appeared"].as_array().unwrap().iter().map(|i| i["id"].clone()).collect();
    demo.check_in(&lead_time, 40.0, "ON_TRACK").await;
    let change = next_event(&mut socket, 3).await;
    let cleared: Vec<Value> = change["cleared"].as_array().unwrap().iter().map(|i| i["id"].clone()).collect();
    assert_eq!(cleared, ids, "{change}");

    // Nine quiet days later, the sweep finds Sales's key results stale: nobody wrote.
    demo.clock.set(week_seven() + Duration::days(9));
    let change = next_event(&mut socket, 4).await;
    let appeared = kinds_of(&change["appeared"]);
    assert_eq!(appeared, vec!["STALE", "STALE"], "{change}");
}

/// Every replica computes for its own subscribers: one on each hears the change once.
#[tokio::test]
#[cfg_attr(not(trellis_postgres), ignore = "PostgreSQL only: SQLite serves one process")]
async fn with_two_replicas_each_subscriber_hears_each_change_once() {
    use futures::{SinkExt, StreamExt};
    let app = TestApp::spawn_demo().await;
    let replica = app.replica().await;
    let demo = Demo { token: app.demo_admin(), cycle: Value::Null, clock: FixedClock::new(week_seven()), app };
    let demo = Demo { cycle: quarter(&demo.app, &demo.token).await, ..demo };
    let query =
        "subscription($c: ID!) { insightsChanged(cycleId: $c) { appeared { kind keyResultId } cleared { kind } } }";
    let start =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "c": demo.cycle } } });
    let mut sockets = Vec::new();
    for server in [&demo.app, &replica] {
        let mut socket = crate::live::connect(server, "graphql-transport-ws", &demo.token).await;
        socket.send(tokio_tungstenite::tungstenite::Message::Text(start.to_string().into())).await.unwrap();
        sockets.push(socket);
    }
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let lead_time = demo.id_of("lead to sales time").await;
    demo.check_in(&lead_time, 45.0, "AT_RISK").await;
    demo.check_in(&lead_time, 46.0, "OFF_TRACK").await;
    for socket in &mut sockets {
        let mut falling = 0;
        // Whatever comes within two seconds: the falling confidence exactly once.
        while let Ok(Some(Ok(message))) = tokio::time::timeout(std::time::Duration::from_secs(2), socket.next()).await {
            if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).unwrap();
                let appeared = kinds_of(&value["payload"]["data"]["insightsChanged"]["appeared"]);
                falling += appeared.iter().filter(|k| *k == "CONFIDENCE_FALLING").count();
            }
        }
        assert_eq!(falling, 1);
    }
}

#[tokio::test]
async fn unserved_theme_names_strategy_nobody_works_on_and_clears_once_served() {
    let demo = Demo::start().await;
    let found = demo.of("UNSERVED_THEME").await;
    assert_eq!(found.len(), 1, "{found:?}");
    let (team, learning) = &found[0];
    assert_eq!((team.as_str(), &learning["severity"]), ("Company X", &json!("WARNING")));
    assert!(learning["message"].as_str().unwrap().contains("Learn faster than the market"), "{learning}");
    assert_eq!(learning["subject"]["__typename"], "Theme");
    let themes = demo.app.data(&demo.token, "{ themes { id } }", json!({})).await;
    let every: Vec<Value> = themes["themes"].as_array().unwrap().iter().map(|t| t["id"].clone()).collect();
    let company = demo.id_of("revenue back to positive").await;
    let query = "mutation($i: SetObjectiveThemesInput!) { setObjectiveThemes(input: $i) { objective { id } } }";
    demo.mutate(query, json!({ "objectiveId": company, "themeIds": every })).await;
    assert!(demo.of("UNSERVED_THEME").await.is_empty());
}
