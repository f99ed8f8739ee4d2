//! Strategy above the OKRs over GraphQL: themes, the company objectives that serve them,
//! the team objectives that inherit them, and a cycle's strategy map.

use serde_json::{Value, json};
use service::OrgRole;
use trellis_tests::{TestApp, error_code};

const MAP: &str = "query($c: ID!) { strategyMap(cycleId: $c) {
    cycle { name }
    themes { theme { name perspective colour } progress status activeObjectives
        objectives { objective { title progress } contributing { title team { name } } } }
    unservedThemes { name } } }";
const CREATE: &str =
    "mutation($i: CreateThemeInput!) { createTheme(input: $i) { theme { id name state perspective colour } } }";
const UPDATE: &str = "mutation($i: UpdateThemeInput!) { updateTheme(input: $i) { theme { id state } } }";
const LINK: &str = "mutation($i: SetObjectiveThemesInput!) { setObjectiveThemes(input: $i) {
    objective { title themes { name } } } }";

async fn quarter(app: &TestApp) -> Value {
    let data = app.data(&app.demo_admin(), "{ cycles(state: ACTIVE) { edges { node { id name } } } }", json!({})).await;
    let cycles = data["cycles"]["edges"].as_array().unwrap();
    cycles.iter().find(|c| c["node"]["name"].as_str().unwrap().starts_with('Q')).unwrap()["node"]["id"].clone()
}

async fn objective(app: &TestApp, search: &str) -> Value {
    let query =
        "query($s: String) { objectives(filter: { search: $s }) { edges { node { id title themes { name } } } } }";
    app.data(&app.demo_admin(), query, json!({ "s": search })).await["objectives"]["edges"][0]["node"].clone()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_demo_strategy_map_runs_from_themes_to_the_team_objectives_that_serve_them() {
    let app = TestApp::spawn_demo().await;
    let cycle = quarter(&app).await;
    let data = app.data(&member(&app, "sid"), MAP, json!({ "c": cycle })).await;
    let map = &data["strategyMap"];
    let themes = map["themes"].as_array().unwrap();
    let in_order: Vec<&Value> = themes.iter().map(|t| &t["theme"]["name"]).collect();
    assert_eq!(
        in_order,
        [
            "Return to profitable growth",
            "Be the supplier customers recommend",
            "Sell without friction",
            "Learn faster than the market"
        ]
    );
    let growth = &themes[0];
    assert_eq!((&growth["theme"]["perspective"], &growth["theme"]["colour"]), (&json!("FINANCIAL"), &json!("#2f855a")));
    let served = &growth["objectives"][0];
    assert!(served["objective"]["title"].as_str().unwrap().contains("revenue back to positive"));
    assert_eq!(growth["progress"], served["objective"]["progress"], "one company objective: its progress");
    assert!(growth["status"].is_string());
    let teams: Vec<&Value> = served["contributing"].as_array().unwrap().iter().map(|o| &o["team"]["name"]).collect();
    for team in ["Sales", "Marketing", "Product"] {
        assert!(teams.contains(&&json!(team)), "{team} serves it down the chain: {teams:?}");
    }
    assert!(growth["activeObjectives"].as_i64().unwrap() >= 4, "{growth}");
    assert_eq!((&themes[3]["activeObjectives"], &themes[3]["progress"]), (&json!(0), &Value::Null));
    assert_eq!(names(&map["unservedThemes"]), ["Learn faster than the market"]);

    // Team objectives inherit the themes of what they align to, down the chain.
    let sales = objective(&app, "sales cycle").await;
    assert_eq!(
        names(&sales["themes"]),
        ["Return to profitable growth", "Be the supplier customers recommend", "Sell without friction"]
    );
    let product = objective(&app, "trial convince").await;
    assert_eq!(names(&product["themes"]), names(&sales["themes"]), "two levels down");
}

fn member(app: &TestApp, subject: &str) -> String {
    app.token("company-x", subject, OrgRole::Member)
}

#[tokio::test]
async fn admins_manage_themes_and_company_objectives_choose_theirs() {
    let app = TestApp::spawn_demo().await;
    let admin = app.demo_admin();
    let cycle = quarter(&app).await;
    let theme = json!({ "name": "Open a second market", "perspective": "CUSTOMER", "colour": "#AA3300",
        "position": 9, "startsOn": "2026-01-01", "endsOn": "2027-12-31" });
    let data = app.data(&admin, CREATE, json!({ "i": theme })).await;
    let created = data["createTheme"]["theme"].clone();
    assert_eq!((&created["state"], &created["colour"]), (&json!("ACTIVE"), &json!("#aa3300")));

    let refused = |token: String, query: &'static str, input: Value| {
        let app = &app;
        async move { error_code(&app.graphql(&token, query, json!({ "i": input })).await.1).to_owned() }
    };
    assert_eq!(refused(member(&app, "sam"), CREATE, theme.clone()).await, "FORBIDDEN");
    let short = json!({ "name": "A quarter", "colour": "#000000", "startsOn": "2026-10-01", "endsOn": "2026-12-31" });
    assert_eq!(refused(admin.clone(), CREATE, short).await, "BAD_USER_INPUT");
    let pale = json!({ "name": "Pale", "colour": "red", "startsOn": "2026-01-01" });
    assert_eq!(refused(admin.clone(), CREATE, pale).await, "BAD_USER_INPUT");

    // The company objective now serves only the new theme; every theme it left is unserved.
    let company = objective(&app, "revenue back to positive").await;
    let input = json!({ "objectiveId": company["id"], "themeIds": [created["id"]] });
    let data = app.data(&admin, LINK, json!({ "i": input })).await;
    assert_eq!(names(&data["setObjectiveThemes"]["objective"]["themes"]), ["Open a second market"]);
    let map = app.data(&admin, MAP, json!({ "c": cycle })).await;
    assert_eq!(names(&map["strategyMap"]["unservedThemes"]).len(), 4);
    let sales = objective(&app, "sales cycle").await;
    assert_eq!(names(&sales["themes"]), ["Open a second market"], "inherited at once");
    let input = json!({ "objectiveId": sales["id"], "themeIds": [created["id"]] });
    assert_eq!(refused(admin.clone(), LINK, input).await, "BAD_USER_INPUT", "a team objective inherits");
    let input = json!({ "objectiveId": company["id"], "themeIds": [created["id"]] });
    assert_eq!(refused(member(&app, "sam"), LINK, input).await, "FORBIDDEN", "not a lead of the company team");

    // Archived, it leaves the map and takes no objectives; its history stays.
    let data = app.data(&admin, UPDATE, json!({ "i": { "id": created["id"], "state": "ARCHIVED" } })).await;
    assert_eq!(data["updateTheme"]["theme"]["state"], "ARCHIVED");
    let map = app.data(&admin, MAP, json!({ "c": cycle })).await;
    assert!(
        !names(&json!(
            map["strategyMap"]["themes"].as_array().unwrap().iter().map(|t| &t["theme"]).collect::<Vec<_>>()
        ))
        .contains(&"Open a second market".to_owned())
    );
    let input = json!({ "objectiveId": company["id"], "themeIds": [created["id"]] });
    assert_eq!(refused(admin.clone(), LINK, input).await, "CONFLICT");
    let audit = "query($id: ID) { auditEvents(filter: { entityId: $id }) { edges { node { action } } } }";
    let trail = app.data(&admin, audit, json!({ "id": created["id"] })).await;
    let actions: Vec<&Value> =
        trail["auditEvents"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]["action"]).collect();
    assert_eq!(actions, [&json!("theme.create"), &json!("theme.update")]);
    let all = app.data(&member(&app, "sid"), "{ themes { name state } }", json!({})).await;
    assert_eq!(all["themes"].as_array().unwrap().len(), 5, "everyone reads them, archived too");
    let active = app.data(&member(&app, "sid"), "{ themes(state: ACTIVE) { name } }", json!({})).await;
    assert_eq!(active["themes"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_strategy_map_and_inherited_themes_cost_a_bounded_number_of_statements() {
    let app = TestApp::spawn_demo().await;
    let admin = app.demo_admin();
    let cycle = quarter(&app).await;
    app.data(&admin, MAP, json!({ "c": cycle })).await;
    let count = |query: &'static str, variables: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            let before = app.statements.get();
            app.data(admin, query, variables).await;
            app.statements.get() - before
        }
    };
    // Cycle, themes, links, cycles, objectives; the teams of the contributing objectives.
    let map = count(MAP, json!({ "c": cycle })).await;
    assert!(map <= 7, "{map}");
    // The page; then three levels of alignment, a statement each, the links and the themes.
    let themes = "{ objectives(first: 100) { edges { node { title themes { name } } } } }";
    let inherited = count(themes, json!({})).await;
    assert!(inherited <= 7, "{inherited}");
    eprintln!("statements: strategy map {map}, objectives with their themes {inherited}");
}
