//! Frozen means frozen: nothing in a closed cycle changes through any mutation, cycle
//! edits never leave a forbidden alignment, carry-over is retry-safe, and closing scores
//! only what was committed to.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use trellis_tests::{TestApp, error_code};

/// The demo's ids, with an initiative, a yearly objective, a draft in the quarter and a
/// later cycle holding a Sales draft, all made before the quarter closes.
struct World {
    app: TestApp,
    admin: String,
    year: Value,
    quarter: Value,
    /// The quarter's first and last day.
    quarter_days: (String, String),
    later: Value,
    company: Value,
    sales: Value,
    sales_kr: Value,
    marketing: Value,
    sales_team: Value,
    dependency: Value,
    initiative: Value,
    quarter_draft: Value,
    yearly: Value,
    later_draft: Value,
}

impl World {
    async fn ask(&self, query: &str, variables: Value) -> Value {
        self.app.graphql(&self.admin, query, variables).await.1
    }

    async fn data(&self, query: &str, variables: Value) -> Value {
        self.app.data(&self.admin, query, variables).await
    }

    async fn audit_total(&self) -> i64 {
        self.data("{ auditEvents { totalCount } }", json!({})).await["auditEvents"]["totalCount"].as_i64().unwrap()
    }

    async fn close_quarter(&self) {
        self.data(
            "mutation($i: CycleStateInput!) { closeCycle(input: $i) { cycle { state } } }",
            json!({ "i": { "id": self.quarter } }),
        )
        .await;
    }
}

async fn objective_id(app: &TestApp, admin: &str, search: &str) -> (Value, Value) {
    let query = "query($s: String) { objectives(filter: { search: $s }) { edges { node { id team { id } keyResults { edges { node { id } } } } } } }";
    let data = app.data(admin, query, json!({ "s": search })).await;
    let found = &data["objectives"]["edges"][0]["node"];
    (found["id"].clone(), found.clone())
}

async fn create_objective(app: &TestApp, admin: &str, team: &Value, cycle: &Value, title: &str) -> Value {
    let query = "mutation($i: CreateObjectiveInput!) { createObjective(input: $i) { objective { id } } }";
    let input = json!({ "i": { "teamId": team, "cycleId": cycle, "title": title } });
    app.data(admin, query, input).await["createObjective"]["objective"]["id"].clone()
}

async fn world() -> World {
    let app = TestApp::spawn_demo().await;
    let admin = app.demo_admin();
    let cycles =
        app.data(&admin, "{ cycles { edges { node { id startsOn endsOn parent { id } } } } }", json!({})).await;
    let cycles: Vec<Value> = cycles["cycles"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    let year = cycles.iter().find(|c| c["parent"].is_null()).unwrap().clone();
    let quarter = cycles.iter().find(|c| !c["parent"].is_null()).unwrap().clone();
    let ends = chrono::NaiveDate::parse_from_str(quarter["endsOn"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    // It overlaps the quarter by its last day, so that alignments across the two are allowed.
    let (starts_later, ends_later) = (ends, ends + chrono::Days::new(90));
    let created = app
        .data(
            &admin,
            "mutation($i: CreateCycleInput!) { createCycle(input: $i) { cycle { id } } }",
            json!({ "i": { "name": "Later", "startsOn": starts_later.to_string(), "endsOn": ends_later.to_string() } }),
        )
        .await;
    let later = created["createCycle"]["cycle"]["id"].clone();
    app.data(
        &admin,
        "mutation($i: CycleStateInput!) { activateCycle(input: $i) { cycle { id } } }",
        json!({ "i": { "id": later } }),
    )
    .await;

    let (company, company_node) = objective_id(&app, &admin, "revenue back").await;
    let (sales, sales_node) = objective_id(&app, &admin, "sales cycle").await;
    let (marketing, _) = objective_id(&app, &admin, "Fill the pipeline").await;
    let sales_team = sales_node["team"]["id"].clone();
    let sales_kr = sales_node["keyResults"]["edges"][0]["node"]["id"].clone();
    let dependency = app
        .data(
            &admin,
            "query($id: ID!) { objective(id: $id) { dependsOn { edges { node { id } } } } }",
            json!({ "id": sales }),
        )
        .await["objective"]["dependsOn"]["edges"][0]["node"]["id"]
        .clone();
    let initiative = app
        .data(
            &admin,
            "mutation($i: CreateInitiativeInput!) { createInitiative(input: $i) { initiative { id } } }",
            json!({ "i": { "keyResultId": sales_kr, "title": "Call every stalled lead" } }),
        )
        .await["createInitiative"]["initiative"]["id"]
        .clone();
    let company_team = company_node["team"]["id"].clone();
    let quarter_draft = create_objective(&app, &admin, &sales_team, &quarter["id"], "A draft never committed to").await;
    let yearly = create_objective(&app, &admin, &company_team, &year["id"], "A goal for the whole year").await;
    let later_draft = create_objective(&app, &admin, &sales_team, &later, "Next quarter's sales goal").await;
    World {
        app,
        admin,
        year: year["id"].clone(),
        quarter: quarter["id"].clone(),
        quarter_days: (quarter["startsOn"].as_str().unwrap().to_owned(), ends.to_string()),
        later,
        company,
        sales,
        sales_kr,
        marketing,
        sales_team,
        dependency,
        initiative,
        quarter_draft,
        yearly,
        later_draft,
    }
}

/// The ISO week of today, as `writeTeamWeek` names it.
fn this_week() -> String {
    let week = chrono::Datelike::iso_week(&chrono::Utc::now().date_naive());
    format!("{}-W{:02}", week.year(), week.week())
}

/// What a mutation does against a closed cycle.
enum Expect {
    /// Refused with this code, leaving no trace.
    Refused(&'static str, &'static str, Value),
    /// The mutation names nothing that lives in a cycle.
    OutsideCycles,
    /// Reopening is the one change a closed cycle takes (tested on its own below).
    Reopens,
}

use Expect::{OutsideCycles, Refused, Reopens};

/// One row per mutation field of the schema; some mutations have several.
fn table(w: &World) -> Vec<(&'static str, Expect)> {
    let q = &w.quarter;
    let kr = &w.sales_kr;
    vec![
        ("createTeam", OutsideCycles),
        ("updateTeam", OutsideCycles),
        ("archiveTeam", OutsideCycles),
        ("addTeamMember", OutsideCycles),
        ("updateTeamMember", OutsideCycles),
        ("removeTeamMember", OutsideCycles),
        ("updatePolicy", OutsideCycles),
        ("createTheme", OutsideCycles),
        ("updateTheme", OutsideCycles),
        // Endpoints hear the organization; a delivery is a past event, resent as it was.
        ("createWebhook", OutsideCycles),
        ("updateWebhook", OutsideCycles),
        ("deleteWebhook", OutsideCycles),
        ("redeliverWebhook", OutsideCycles),
        (
            "setObjectiveThemes",
            Refused(
                "CYCLE_CLOSED",
                "setObjectiveThemes(input: $i) { clientMutationId }",
                json!({ "i": { "objectiveId": w.company, "themeIds": [] } }),
            ),
        ),
        (
            "writeTeamWeek",
            Refused(
                "CYCLE_CLOSED",
                "writeTeamWeek(input: $i) { clientMutationId }",
                json!({ "i": { "teamId": w.sales_team, "week": this_week(), "items": [
                    { "section": "PROGRESS", "text": "A link into the closed quarter", "keyResultId": kr }] } }),
            ),
        ),
        ("reopenCycle", Reopens),
        (
            "createCycle",
            Refused(
                "CYCLE_CLOSED",
                "createCycle(input: $i) { cycle { id } }",
                json!({ "i": { "name": "A sprint inside the closed quarter", "parentId": q,
                    "startsOn": w.quarter_days.0, "endsOn": w.quarter_days.1 } }),
            ),
        ),
        (
            "updateCycle",
            Refused(
                "CYCLE_CLOSED",
                "updateCycle(input: $i) { cycle { id } }",
                json!({ "i": { "id": q, "name": "Renamed" } }),
            ),
        ),
        (
            "activateCycle",
            Refused(
                "INVALID_STATE_TRANSITION",
                "activateCycle(input: $i) { cycle { id } }",
                json!({ "i": { "id": q } }),
            ),
        ),
        (
            "closeCycle",
            Refused("INVALID_STATE_TRANSITION", "closeCycle(input: $i) { cycle { id } }", json!({ "i": { "id": q } })),
        ),
        (
            "createObjective",
            Refused(
                "CYCLE_CLOSED",
                "createObjective(input: $i) { objective { id } }",
                json!({ "i": { "teamId": w.sales_team, "cycleId": q, "title": "Late" } }),
            ),
        ),
        (
            "createObjective",
            Refused(
                "CYCLE_CLOSED",
                "createObjective(input: $i) { objective { id } }",
                json!({ "i": { "teamId": w.sales_team, "cycleId": w.later, "title": "Under a frozen parent", "parentId": w.company } }),
            ),
        ),
        (
            "updateObjective",
            Refused(
                "CYCLE_CLOSED",
                "updateObjective(input: $i) { objective { id } }",
                json!({ "i": { "id": w.sales, "title": "Renamed" } }),
            ),
        ),
        (
            "alignObjective",
            Refused(
                "CYCLE_CLOSED",
                "alignObjective(input: $i) { objective { id } }",
                json!({ "i": { "id": w.later_draft, "parentId": w.company } }),
            ),
        ),
        (
            "alignObjective",
            Refused(
                "CYCLE_CLOSED",
                "alignObjective(input: $i) { objective { id } }",
                json!({ "i": { "id": w.later_draft, "parentId": kr } }),
            ),
        ),
        (
            "activateObjective",
            Refused(
                "CYCLE_CLOSED",
                "activateObjective(input: $i) { objective { id } }",
                json!({ "i": { "id": w.quarter_draft } }),
            ),
        ),
        (
            "closeObjective",
            Refused(
                "CYCLE_CLOSED",
                "closeObjective(input: $i) { objective { id } }",
                json!({ "i": { "id": w.sales } }),
            ),
        ),
        (
            "carryOverObjective",
            Refused(
                "CYCLE_CLOSED",
                "carryOverObjective(input: $i) { objective { id } }",
                json!({ "i": { "id": w.yearly, "cycleId": q } }),
            ),
        ),
        (
            "archiveObjective",
            Refused(
                "CYCLE_CLOSED",
                "archiveObjective(input: $i) { objective { id } }",
                json!({ "i": { "id": w.sales } }),
            ),
        ),
        (
            "createKeyResult",
            Refused(
                "CYCLE_CLOSED",
                "createKeyResult(input: $i) { keyResult { id } }",
                json!({ "i": { "objectiveId": w.sales, "title": "More", "kind": "INCREASE", "startValue": 0, "targetValue": 5 } }),
            ),
        ),
        (
            "updateKeyResult",
            Refused(
                "CYCLE_CLOSED",
                "updateKeyResult(input: $i) { keyResult { id } }",
                json!({ "i": { "id": kr, "title": "Renamed" } }),
            ),
        ),
        (
            "archiveKeyResult",
            Refused("CYCLE_CLOSED", "archiveKeyResult(input: $i) { keyResult { id } }", json!({ "i": { "id": kr } })),
        ),
        (
            "checkIn",
            Refused(
                "CYCLE_CLOSED",
                "checkIn(input: $i) { checkIn { id } }",
                json!({ "i": { "keyResultId": kr, "value": 40 } }),
            ),
        ),
        (
            "createInitiative",
            Refused(
                "CYCLE_CLOSED",
                "createInitiative(input: $i) { initiative { id } }",
                json!({ "i": { "keyResultId": kr, "title": "Late" } }),
            ),
        ),
        (
            "updateInitiative",
            Refused(
                "CYCLE_CLOSED",
                "updateInitiative(input: $i) { initiative { id } }",
                json!({ "i": { "id": w.initiative, "state": "DONE" } }),
            ),
        ),
        (
            "createDependency",
            Refused(
                "CYCLE_CLOSED",
                "createDependency(input: $i) { dependency { id } }",
                json!({ "i": { "fromId": w.sales, "toId": w.marketing } }),
            ),
        ),
        (
            "createDependency",
            Refused(
                "CYCLE_CLOSED",
                "createDependency(input: $i) { dependency { id } }",
                json!({ "i": { "fromId": w.later_draft, "toId": w.marketing } }),
            ),
        ),
        (
            "resolveDependency",
            Refused(
                "CYCLE_CLOSED",
                "resolveDependency(input: $i) { dependency { id } }",
                json!({ "i": { "id": w.dependency } }),
            ),
        ),
        (
            "importOkrs",
            Refused(
                "CYCLE_CLOSED",
                "importOkrs(input: $i) { imported }",
                json!({ "i": { "cycleId": q, "format": "CSV", "content": "kind,ref,team,title\nobjective,late,Sales,Late\n" } }),
            ),
        ),
    ]
}

#[tokio::test]
async fn an_import_that_aligns_into_a_closed_cycle_names_the_record_and_writes_nothing() {
    let w = world().await;
    w.close_quarter().await;
    let before = w.audit_total().await;
    let content = format!(
        "kind,ref,parent,team,title\nobjective,a,,Sales,Free standing\nobjective,b,{},Sales,Under a frozen parent\n",
        w.company.as_str().unwrap()
    );
    let import = "mutation($i: ImportOkrsInput!) { importOkrs(input: $i) { imported problems { line field code } } }";
    let answer = w.data(import, json!({ "i": { "cycleId": w.later, "format": "CSV", "content": content } })).await;
    assert_eq!(
        answer["importOkrs"],
        json!({ "imported": false, "problems": [{ "line": 3, "field": "parent", "code": "CYCLE_CLOSED" }] })
    );
    assert_eq!(w.audit_total().await, before, "nothing was written");
}

#[tokio::test]
async fn every_mutation_that_names_something_in_a_closed_cycle_is_refused_and_leaves_no_trace() {
    let w = world().await;
    w.close_quarter().await;
    let rows = table(&w);

    let in_schema = trellis_tests::mutation_names(&w.app, &w.admin).await;
    let in_table: BTreeSet<String> = rows.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(in_schema, in_table, "every mutation needs a row here: say what it does against a closed cycle");

    for (name, expect) in rows {
        let Refused(code, selection, variables) = expect else { continue };
        let input = format!("{}Input", name[..1].to_uppercase() + &name[1..]);
        let input = match name {
            "activateCycle" | "closeCycle" => "CycleStateInput".to_owned(),
            "activateObjective" | "archiveObjective" => "ObjectiveInput".to_owned(),
            _ => input,
        };
        let before = w.audit_total().await;
        let body = w.ask(&format!("mutation($i: {input}!) {{ {selection} }}"), variables.clone()).await;
        assert_eq!(error_code(&body), code, "{name} {variables}: {body}");
        assert_eq!(w.audit_total().await, before, "{name} left an audit event");
    }
}

#[tokio::test]
async fn a_reopened_cycle_takes_changes_again_and_carry_over_reads_a_closed_one() {
    let w = world().await;
    w.close_quarter().await;
    // Carrying out of a closed cycle writes only into the open one.
    let carry = "mutation($i: CarryOverObjectiveInput!) { carryOverObjective(input: $i) { objective { id state cycle { id } } } }";
    let carried = w.data(carry, json!({ "i": { "id": w.sales, "cycleId": w.later } })).await;
    assert_eq!(carried["carryOverObjective"]["objective"]["cycle"]["id"], w.later);

    w.data(
        "mutation($i: CycleStateInput!) { reopenCycle(input: $i) { cycle { state } } }",
        json!({ "i": { "id": w.quarter } }),
    )
    .await;
    let resolved = w
        .data(
            "mutation($i: ResolveDependencyInput!) { resolveDependency(input: $i) { dependency { state } } }",
            json!({ "i": { "id": w.dependency } }),
        )
        .await;
    assert_eq!(resolved["resolveDependency"]["dependency"]["state"], "RESOLVED");
}

#[tokio::test]
async fn check_ins_under_a_parent_of_a_closed_cycle_stop_rolling_up_at_its_border() {
    let w = world().await;
    // The later Sales objective contributes to the yearly one, whose cycle stays open, and
    // the quarter's company objective is frozen once the quarter closes.
    let align = "mutation($i: AlignObjectiveInput!) { alignObjective(input: $i) { objective { id } } }";
    w.data(align, json!({ "i": { "id": w.later_draft, "parentId": w.company } })).await;
    w.close_quarter().await;
    let company = "query($id: ID!) { objective(id: $id) { progress finalScore } }";
    let frozen = w.data(company, json!({ "id": w.company })).await;
    let kr = w
        .data(
            "mutation($i: CreateKeyResultInput!) { createKeyResult(input: $i) { keyResult { id } } }",
            json!({ "i": { "objectiveId": w.later_draft, "title": "Win ten deals", "kind": "INCREASE", "startValue": 0, "targetValue": 10 } }),
        )
        .await["createKeyResult"]["keyResult"]["id"]
        .clone();
    let check_in = "mutation($i: CheckInInput!) { checkIn(input: $i) { objective { progress } } }";
    let answered = w.data(check_in, json!({ "i": { "keyResultId": kr, "value": 5 } })).await;
    assert_eq!(answered["checkIn"]["objective"]["progress"], 0.5);
    assert_eq!(w.data(company, json!({ "id": w.company })).await, frozen, "the closed quarter's figures do not move");
}

#[tokio::test]
async fn moving_a_cycle_away_from_its_alignments_is_refused_with_how_many_it_would_break() {
    let w = world().await;
    // A draft of the quarter aligns to the objective of the year around it.
    let align = "mutation($i: AlignObjectiveInput!) { alignObjective(input: $i) { objective { id } } }";
    w.data(align, json!({ "i": { "id": w.quarter_draft, "parentId": w.yearly } })).await;
    let update = "mutation($i: UpdateCycleInput!) { updateCycle(input: $i) { cycle { startsOn endsOn } } }";
    let body = w.ask(update, json!({ "i": { "id": w.year, "startsOn": "1990-01-01", "endsOn": "1990-12-31" } })).await;
    assert_eq!(error_code(&body), "ALIGNMENT_CYCLE_MISMATCH", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("would break 1 alignment "), "{message}");

    // Dates that still overlap are fine.
    let moved = w.ask(update, json!({ "i": { "id": w.year, "startsOn": w.quarter_days.0 } })).await;
    assert!(moved.get("errors").is_none(), "{moved}");
}

#[tokio::test]
async fn carrying_the_same_objective_into_the_same_cycle_again_returns_the_first_copy() {
    let w = world().await;
    let carry = "mutation($i: CarryOverObjectiveInput!) { carryOverObjective(input: $i) {
        alreadyCarriedOver objective { id carriedOverFrom { id } } } }";
    let input = json!({ "i": { "id": w.sales, "cycleId": w.later } });
    let first = w.data(carry, input.clone()).await;
    let audit = w.audit_total().await;
    let again = w.data(carry, input).await;
    assert_eq!(first["carryOverObjective"]["alreadyCarriedOver"], false);
    assert_eq!(again["carryOverObjective"]["alreadyCarriedOver"], true);
    assert_eq!(again["carryOverObjective"]["objective"]["id"], first["carryOverObjective"]["objective"]["id"]);
    assert_eq!(w.audit_total().await, audit, "the retry wrote nothing");
    let copies =
        w.data("query($c: ID) { objectives(filter: { cycleId: $c }) { totalCount } }", json!({ "c": w.later })).await;
    assert_eq!(copies["objectives"]["totalCount"], 2, "the later draft and one copy");
}

#[tokio::test]
async fn closing_a_cycle_scores_active_objectives_and_leaves_drafts_unscored() {
    let w = world().await;
    let close = "mutation($i: CloseObjectiveInput!) { closeObjective(input: $i) { objective { finalScore } } }";
    let marketing = w.data(close, json!({ "i": { "id": w.marketing, "closingNote": "done early" } })).await;
    let own_score = marketing["closeObjective"]["objective"]["finalScore"].clone();
    w.close_quarter().await;
    let read = "query($id: ID!) { objective(id: $id) { state progress finalScore } }";
    let draft = w.data(read, json!({ "id": w.quarter_draft })).await;
    assert_eq!(draft["objective"]["state"], "DRAFT");
    assert!(draft["objective"]["finalScore"].is_null(), "a draft was never committed to: {draft}");
    let sales = w.data(read, json!({ "id": w.sales })).await;
    assert_eq!(sales["objective"]["finalScore"], sales["objective"]["progress"]);
    let marketing = w.data(read, json!({ "id": w.marketing })).await;
    assert_eq!(marketing["objective"]["finalScore"], own_score, "closed on its own, it keeps its score");
}

#[tokio::test]
async fn a_check_in_value_is_stored_and_answered_exactly_as_sent() {
    let w = world().await;
    let check_in =
        "mutation($i: CheckInInput!) { checkIn(input: $i) { checkIn { id value } keyResult { currentValue } } }";
    for sent in ["30.350000700000002", "45.00000000000001", "0.30000000000000004", "33.333333333333336"] {
        let body = format!(
            r#"{{"query": {}, "variables": {{"i": {{"keyResultId": {}, "value": {sent}}}}}}}"#,
            serde_json::to_string(check_in).unwrap(),
            w.sales_kr
        );
        let response = w
            .app
            .http
            .post(format!("{}/graphql", w.app.base))
            .bearer_auth(&w.admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let text = response.text().await.unwrap();
        assert!(text.contains(&format!(r#""value":{sent}"#)), "answered exactly: {text}");
        assert!(text.contains(&format!(r#""currentValue":{sent}"#)), "stored exactly: {text}");
        let reread = w.app.http.post(format!("{}/graphql", w.app.base)).bearer_auth(&w.admin).json(&json!({
            "query": "query($id: ID!) { keyResult(id: $id) { currentValue checkIns(first: 1) { edges { node { value } } } } }",
            "variables": { "id": w.sales_kr }
        }));
        let reread = reread.send().await.unwrap().text().await.unwrap();
        assert!(reread.contains(&format!(r#""currentValue":{sent}"#)), "read back exactly: {reread}");
        assert!(reread.contains(&format!(r#""value":{sent}"#)), "read back exactly: {reread}");
    }
}

#[tokio::test]
async fn a_currency_key_result_needs_a_real_iso_4217_code() {
    let w = world().await;
    let create = "mutation($i: CreateKeyResultInput!) { createKeyResult(input: $i) { keyResult { unitLabel } } }";
    let input = |code: &str| {
        json!({ "i": { "objectiveId": w.later_draft, "title": "Revenue", "kind": "INCREASE", "startValue": 0,
            "targetValue": 100, "unit": "CURRENCY", "unitLabel": code } })
    };
    let refused = w.ask(create, input("ZZZ")).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("ISO 4217"), "{refused}");
    let accepted = w.data(create, input("chf")).await;
    assert_eq!(accepted["createKeyResult"]["keyResult"]["unitLabel"], "CHF");
}
