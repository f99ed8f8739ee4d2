//! Import and export of OKR files, over GraphQL and through the `trellis import` and
//! `trellis export` commands: the example files import, a dry run and a refused file
//! write nothing, every refused record is listed, only admins import, and an export
//! imports into an empty organization as it was.

use api::config::{ExportArgs, FileFormat, ImportArgs, TransferTarget};
use serde_json::{Value, json};
use service::OrgRole;
use std::path::PathBuf;
use trellis_tests::{TestApp, error_code};

const IMPORT: &str = "mutation($i: ImportOkrsInput!) { importOkrs(input: $i) { clientMutationId dryRun imported
    created { teams people memberships objectives keyResults checkIns } problems { line field code message } } }";
const EXPORT: &str =
    "query($c: ID!, $f: OkrFileFormat!) { exportOkrs(cycleId: $c, format: $f) { format records content } }";

/// The repository's example file `name`.
fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("examples").join(name)
}

/// A new organization `slug` with an active cycle over `days`: its admin's token and the cycle.
async fn organization(app: &TestApp, slug: &str, days: (&str, &str)) -> (String, Value) {
    let admin = app.token(slug, "admin", OrgRole::Admin);
    let created = app
        .data(
            &admin,
            "mutation($i: CreateCycleInput!) { createCycle(input: $i) { cycle { id } } }",
            json!({ "i": { "name": "Q4 2026", "startsOn": days.0, "endsOn": days.1 } }),
        )
        .await;
    let cycle = created["createCycle"]["cycle"]["id"].clone();
    app.data(
        &admin,
        "mutation($i: CycleStateInput!) { activateCycle(input: $i) { cycle { id } } }",
        json!({ "i": { "id": cycle } }),
    )
    .await;
    (admin, cycle)
}

const Q4: (&str, &str) = ("2026-10-01", "2026-12-31");

async fn import(app: &TestApp, token: &str, cycle: &Value, format: &str, content: &str, dry_run: bool) -> Value {
    let input = json!({ "i": { "cycleId": cycle, "format": format, "content": content, "dryRun": dry_run, "clientMutationId": "m1" } });
    let payload = app.data(token, IMPORT, input).await["importOkrs"].clone();
    assert_eq!(payload["clientMutationId"], "m1");
    payload
}

async fn export(app: &TestApp, token: &str, cycle: &Value, format: &str) -> String {
    let exported = app.data(token, EXPORT, json!({ "c": cycle, "f": format })).await["exportOkrs"].clone();
    assert_eq!(exported["format"], format);
    exported["content"].as_str().unwrap().to_owned()
}

async fn totals(app: &TestApp, token: &str) -> Value {
    let query = "{ teams { totalCount } objectives { totalCount } auditEvents { totalCount } }";
    app.data(token, query, json!({})).await
}

#[tokio::test]
async fn the_example_files_import_into_an_empty_organization_after_a_dry_run_that_writes_nothing() {
    let app = TestApp::spawn().await;
    for (slug, format, file) in [("acme-csv", "CSV", "okrs.csv"), ("acme-json", "JSON", "okrs.json")] {
        let content = std::fs::read_to_string(example(file)).unwrap();
        let (admin, cycle) = organization(&app, slug, Q4).await;
        let before = totals(&app, &admin).await;
        let checked = import(&app, &admin, &cycle, format, &content, true).await;
        assert_eq!(checked["problems"], json!([]), "{file}");
        assert_eq!((checked["dryRun"].clone(), checked["imported"].clone()), (json!(true), json!(false)));
        let created =
            json!({ "teams": 3, "people": 4, "memberships": 4, "objectives": 5, "keyResults": 7, "checkIns": 8 });
        assert_eq!(checked["created"], created);
        assert_eq!(totals(&app, &admin).await, before, "a dry run writes nothing");

        let done = import(&app, &admin, &cycle, format, &content, false).await;
        assert_eq!((done["imported"].clone(), done["problems"].clone()), (json!(true), json!([])), "{file}");
        assert_eq!(done["created"], created);
        let read = app
            .data(
                &admin,
                "{ objectives { edges { node { title state progress finalScore closingNote alignment
                    team { name parent { name } } parent { title } parentKeyResult { title }
                    keyResults { edges { node { title currentValue driver { subject } } } } } } } }",
                json!({}),
            )
            .await;
        let objectives: Vec<Value> =
            read["objectives"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
        let titled = |title: &str| objectives.iter().find(|o| o["title"] == title).unwrap().clone();
        let company = titled("Grow revenue with customers who stay");
        // (0.325 × 2 + 1 + Sales's 0.72 + Product's 0.3125) / 5: key results by weight, contributors once each.
        assert!((company["progress"].as_f64().unwrap() - 0.5365).abs() < 1e-9, "{company}");
        let sales = titled("Shorten the sales cycle");
        assert_eq!(
            (sales["team"]["parent"]["name"].clone(), sales["parent"]["title"].clone()),
            (json!("Acme"), company["title"].clone())
        );
        assert!((sales["progress"].as_f64().unwrap() - 0.72).abs() < 1e-9);
        let hires = titled("Hire two account executives");
        assert_eq!((hires["state"].clone(), hires["finalScore"].clone()), (json!("CLOSED"), json!(1.0)));
        assert_eq!(hires["alignment"], "SUPPORTS");
        let onboarding = titled("Make onboarding self-serve");
        assert_eq!(onboarding["parentKeyResult"]["title"], "Keep monthly churn at or below 2 %");
        let kr = &onboarding["keyResults"]["edges"][0]["node"];
        assert_eq!((kr["currentValue"].clone(), kr["driver"]["subject"].clone()), (json!(14.5), json!("cleo")));

        assert_eq!(export(&app, &admin, &cycle, format).await, content, "the example is what an export writes");
        let audit =
            app.data(&admin, "{ auditEvents(last: 1) { totalCount edges { node { action } } } }", json!({})).await;
        assert_eq!(audit["auditEvents"]["edges"][0]["node"]["action"], "cycle.import");
        let rows = 3 + 4 + 4 + 5 + 7 + 8 + 1;
        let audited = audit["auditEvents"]["totalCount"].as_i64().unwrap()
            - before["auditEvents"]["totalCount"].as_i64().unwrap();
        assert_eq!(audited, rows, "an audit row per created row and one for the import");
    }
}

#[tokio::test]
async fn a_file_with_several_bad_records_lists_each_with_line_field_and_code_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (admin, cycle) = organization(&app, "acme", Q4).await;
    let content = "\
kind,ref,parent,team,title,state,measure,startValue,targetValue,value,person
team,,,Sales,,,,,,,
objective,A,,Sales,A good objective,,,,,,
objective,B,,Nowhere,An unknown team,,,,,,
key_result,KA,A,,Backwards,,INCREASE,10,5,,
objective,C,,Sales,Active without key results,ACTIVE,,,,,
key_result,KB,A,,Driven by a stranger,,INCREASE,0,10,,admin
key_result,KM,A,,Ship it,,MILESTONE,0,1,,
check_in,,KM,,,,,,,0.5,
objective,D,E,Sales,Loop one,,,,,,
objective,E,D,Sales,Loop two,,,,,,
objective,F,,Sales,A state that is none,FINISHED,,,,,
objective,A,,Sales,A taken ref,,,,,,
check_in,,K9,,,,,,,1,
";
    let before = totals(&app, &admin).await;
    let answer = import(&app, &admin, &cycle, "CSV", content, false).await;
    assert_eq!(answer["imported"], false);
    let problems: Vec<(i64, &str, &str)> = answer["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_i64().unwrap(), p["field"].as_str().unwrap(), p["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            (4, "team", "NOT_FOUND"),
            (5, "targetValue", "NOT_MEASURABLE"),
            (6, "state", "NO_KEY_RESULTS"),
            (7, "person", "NOT_TEAM_MEMBER"),
            (9, "value", "NOT_MEASURABLE"),
            (10, "parent", "ALIGNMENT_LOOP"),
            (11, "parent", "ALIGNMENT_LOOP"),
            (12, "state", "BAD_USER_INPUT"),
            (13, "ref", "CONFLICT"),
            (14, "parent", "NOT_FOUND"),
        ],
        "{answer}"
    );
    let messages = answer["problems"].as_array().unwrap();
    assert!(messages.iter().all(|p| !p["message"].as_str().unwrap().is_empty()));
    assert!(messages[7]["message"].as_str().unwrap().contains("DRAFT, ACTIVE or CLOSED"), "{}", messages[7]);
    assert_eq!(totals(&app, &admin).await, before, "nothing was written, not even the good records");
}

#[tokio::test]
async fn only_organization_admins_import_and_anyone_in_the_organization_exports() {
    let app = TestApp::spawn_demo().await;
    let admin = app.demo_admin();
    let cycles = app.data(&admin, "{ cycles { edges { node { id } } } }", json!({})).await;
    let cycle = cycles["cycles"]["edges"][0]["node"]["id"].clone();
    let content = "kind,ref,team,title\nobjective,x,Sales,Imported by a lead\n";
    let input = json!({ "i": { "cycleId": cycle, "format": "CSV", "content": content, "dryRun": true } });
    for token in [
        app.token(seed::demo::SLUG, "sam", OrgRole::Member),
        app.token(seed::demo::SLUG, "vera", OrgRole::Viewer),
        trellis_tests::integration_token(seed::demo::SLUG, "planner", "okr:write"),
    ] {
        let (_, body) = app.graphql(&token, IMPORT, input.clone()).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        let (_, exported) = app.graphql(&token, EXPORT, json!({ "c": cycle, "f": "CSV" })).await;
        assert!(exported.get("errors").is_none(), "{exported}");
    }
    let foreign = app.token("globex", "gus", OrgRole::Admin);
    let (_, body) = app.graphql(&foreign, EXPORT, json!({ "c": cycle, "f": "CSV" })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "another organization's cycle does not exist for it: {body}");
}

#[tokio::test]
async fn an_export_of_the_benchmark_organization_imports_into_an_empty_one_as_it_was() {
    let app = TestApp::spawn().await;
    let scale = seed::generate::Scale {
        teams: 13,
        objectives_per_team: 3,
        key_results_per_objective: 3,
        check_ins_per_key_result: 5,
    };
    // Weeks into a past quarter: every reading is at its own time (readings the generator
    // would clamp to "now" share one, and their order is the generator's coin toss).
    let then = chrono::DateTime::parse_from_rfc3339("2026-08-20T12:00:00Z").unwrap().to_utc();
    let generated = seed::generate::organization(&app.db, "bench", scale, then).await.unwrap();
    let source = app.token("bench", "admin", OrgRole::Admin);
    let cycle = json!(api::graphql::ids::encode(api::graphql::ids::Kind::Cycle, generated.cycle_id).0);
    let dates = app.data(&source, "query($c: ID!) { cycle(id: $c) { startsOn endsOn } }", json!({ "c": cycle })).await;
    let days = (dates["cycle"]["startsOn"].as_str().unwrap(), dates["cycle"]["endsOn"].as_str().unwrap());
    let csv = export(&app, &source, &cycle, "CSV").await;
    let json_file = export(&app, &source, &cycle, "JSON").await;
    assert_eq!(csv.lines().filter(|l| l.starts_with("objective,")).count(), generated.objectives);
    assert_eq!(csv.lines().filter(|l| l.starts_with("check_in,")).count(), generated.check_ins);

    for (slug, format, file) in [("copy-csv", "CSV", &csv), ("copy-json", "JSON", &json_file)] {
        let (admin, copy) = organization(&app, slug, days).await;
        let done = import(&app, &admin, &copy, format, file, false).await;
        assert_eq!((done["imported"].clone(), done["problems"].clone()), (json!(true), json!([])), "{slug}");
        assert_eq!(done["created"]["objectives"], generated.objectives);
        assert_eq!(&export(&app, &admin, &copy, "CSV").await, &csv, "{slug}: the copy exports as the original");
        assert_eq!(&export(&app, &admin, &copy, "JSON").await, &json_file, "{slug}");
        let progress =
            "query($c: ID) { objectives(filter: { cycleId: $c }, first: 100) { edges { node { title progress } } } }";
        let figures = |data: Value| -> Vec<(String, f64)> {
            let edges = data["objectives"]["edges"].as_array().cloned().unwrap_or_default();
            edges.iter().map(|e| (e["node"]["title"].to_string(), e["node"]["progress"].as_f64().unwrap())).collect()
        };
        let original = figures(app.data(&source, progress, json!({ "c": cycle })).await);
        let copied = figures(app.data(&admin, progress, json!({ "c": copy })).await);
        assert_eq!(copied.len(), original.len());
        for ((title, copy), (_, was)) in copied.iter().zip(&original) {
            // Equal up to the order in which contributors are summed.
            assert!((copy - was).abs() < 1e-9, "{slug}: {title} rolls up to {copy}, the original to {was}");
        }
        assert_eq!(copied.iter().map(|c| &c.0).collect::<Vec<_>>(), original.iter().map(|o| &o.0).collect::<Vec<_>>());
    }
}

fn target(app: &TestApp, org: &str, cycle: &str) -> TransferTarget {
    TransferTarget {
        database: api::config::DatabaseArgs { database_url: app.database_url.clone() },
        org: org.into(),
        cycle: cycle.into(),
        actor: "ops".into(),
    }
}

#[tokio::test]
async fn the_import_and_export_commands_check_write_and_read_back_the_same_file() {
    let app = TestApp::spawn().await;
    let (admin, cycle) = organization(&app, "acme", Q4).await;
    let folder = tempfile::tempdir().unwrap();
    let args =
        |file: PathBuf, dry_run| ImportArgs { file, target: target(&app, "acme", "Q4 2026"), format: None, dry_run };

    let checked = api::transfer::import(&args(example("okrs.csv"), true)).await.unwrap();
    assert!(checked.problems.is_empty() && !checked.imported, "{checked:?}");
    assert!(api::transfer::describe(&checked).starts_with("checked (dry run, nothing written): 3 teams"));
    assert_eq!(totals(&app, &admin).await["objectives"]["totalCount"], 0);

    let bad = folder.path().join("bad.csv");
    std::fs::write(&bad, "kind,ref,team,title\nobjective,a,Nowhere,Lost\nobjective,b,Nowhere,Lost too\n").unwrap();
    let refused = api::transfer::import(&args(bad, false)).await.unwrap();
    let described = api::transfer::describe(&refused);
    assert_eq!(described.lines().count(), 2, "{described}");
    assert!(described.starts_with("line 2 team: NOT_FOUND: team \"Nowhere\" was not found"), "{described}");

    let done = api::transfer::import(&args(example("okrs.csv"), false)).await.unwrap();
    assert!(done.imported, "{done:?}");
    assert_eq!(totals(&app, &admin).await["objectives"]["totalCount"], 5);
    let audit =
        app.data(&admin, "{ auditEvents(last: 1) { edges { node { action actor { subject } } } } }", json!({})).await;
    assert_eq!(
        audit["auditEvents"]["edges"][0]["node"]["actor"]["subject"], "ops",
        "the audit trail names who imported"
    );

    let output = folder.path().join("export.json");
    let export_args = ExportArgs {
        target: target(&app, "acme", cycle.as_str().unwrap()),
        format: FileFormat::Json,
        output: Some(output.clone()),
    };
    let records = api::transfer::export(&export_args).await.unwrap();
    let written = std::fs::read_to_string(&output).unwrap();
    assert_eq!(written, export(&app, &admin, &cycle, "JSON").await, "the command writes what the API answers");
    // Ana, Ben, Cleo and Dana; the admins who wrote nothing themselves are not in it.
    assert_eq!(records, 3 + 4 + 4 + 5 + 7 + 8);

    let missing = ImportArgs { target: target(&app, "no-such-org", "Q4 2026"), ..args(example("okrs.csv"), true) };
    let error = api::transfer::import(&missing).await.unwrap_err();
    assert_eq!(error.to_string(), "there is no organization \"no-such-org\"");
}
