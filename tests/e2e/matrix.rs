//! Who may do what, for every mutation of the schema and every kind of caller: people
//! by their organization and team roles, integrations by their scopes, and someone from
//! another organization, to whom Company X's ids do not exist. A mutation added to the
//! schema without a row here fails the test.

use api::config::Secret;
use serde_json::{Value, json};
use service::OrgRole;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use trellis_tests::{TestApp, error_code};

/// The callers, relative to the Sales team that owns the objects the mutations name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Viewer,
    Member,
    Lead,
    OtherMember,
    OtherLead,
    Admin,
    Reader,
    CheckinWriter,
    OkrWriter,
    Foreign,
}

use Who::*;

const EVERYONE: [Who; 10] =
    [Viewer, Member, Lead, OtherMember, OtherLead, Admin, Reader, CheckinWriter, OkrWriter, Foreign];

/// What each mutation allows; everyone else is FORBIDDEN, except the foreigner, who gets
/// NOT_FOUND for any id of Company X.
fn allowed(mutation: &str) -> Option<&'static [Who]> {
    const ADMINS: &[Who] = &[Admin];
    const LEADS: &[Who] = &[Lead, Admin, OkrWriter];
    Some(match mutation {
        "createTeam" | "updateTeam" | "archiveTeam" | "addTeamMember" | "updateTeamMember" | "removeTeamMember"
        | "createCycle" | "updateCycle" | "activateCycle" | "closeCycle" | "reopenCycle" | "updateTheme"
        | "updateWebhook" | "deleteWebhook" | "redeliverWebhook"
        // A file makes teams and memberships too, which admins manage.
        | "importOkrs" => ADMINS,
        // Leads of the company team (nobody in this table) and admins.
        "setObjectiveThemes" => &[Admin, OkrWriter],
        // Names no id: the foreigner changes their own organization's policy.
        "updatePolicy" | "createTheme" | "createWebhook" => &[Admin, Foreign],
        "createObjective" | "updateObjective" | "alignObjective" | "activateObjective" | "closeObjective"
        | "carryOverObjective" | "archiveObjective" | "createKeyResult" | "updateKeyResult" | "archiveKeyResult"
        | "createDependency" => LEADS,
        // Leads of either team: Marketing's lead is the other end.
        "resolveDependency" => &[Lead, OtherLead, Admin, OkrWriter],
        "checkIn" => &[Member, Lead, Admin, CheckinWriter, OkrWriter],
        "createInitiative" | "updateInitiative" | "writeTeamWeek" => &[Member, Lead, Admin, OkrWriter],
        _ => return None,
    })
}

struct Fixture {
    app: TestApp,
    admin: String,
    sales_team: Value,
    company_team: Value,
    year: Value,
    later: Value,
    company_objective: Value,
    sales_objective: Value,
    sales_kr: Value,
    marketing_objective: Value,
    made: AtomicUsize,
    /// An endpoint with one delivery, for the mutations that change or resend.
    webhook: tokio::sync::OnceCell<(Value, Value)>,
}

fn person(sub: &str, role: OrgRole) -> String {
    let request = api::auth::TokenRequest::person(seed::demo::SLUG, sub, role, Duration::from_secs(3600));
    api::auth::mint(&Secret::new(trellis_tests::SECRET), &request).unwrap()
}

fn integration(sub: &str, scope: &str) -> String {
    trellis_tests::integration_token(seed::demo::SLUG, sub, scope)
}

fn token(who: Who) -> String {
    match who {
        Viewer => person("vera", OrgRole::Viewer),
        Member => person("sid", OrgRole::Member),
        Lead => person("sam", OrgRole::Member),
        OtherMember => person("mo", OrgRole::Member),
        OtherLead => person("maria", OrgRole::Member),
        Admin => person(seed::demo::ADMIN_SUBJECT, OrgRole::Admin),
        Reader => integration("bi-export", "okr:read"),
        CheckinWriter => integration("crm-sync", "checkin:write"),
        OkrWriter => integration("planner", "okr:write"),
        Foreign => {
            let request = api::auth::TokenRequest::person("globex", "gus", OrgRole::Admin, Duration::from_secs(3600));
            api::auth::mint(&Secret::new(trellis_tests::SECRET), &request).unwrap()
        }
    }
}

fn id(data: &Value, path: &[&str]) -> Value {
    path.iter().fold(data, |v, k| &v[*k]).clone()
}

impl Fixture {
    async fn new() -> Self {
        // Endpoints on loopback: the deliveries the rows cause go nowhere else.
        let webhooks = api::config::WebhookSettings {
            webhook_allow_ranges: vec!["127.0.0.0/8".parse().unwrap()],
            ..api::config::WebhookSettings::default()
        };
        let options = trellis_tests::Options { demo: true, webhooks: Some(webhooks), ..Default::default() };
        let app = TestApp::start(options, std::sync::Arc::new(service::SystemClock)).await;
        let admin = app.demo_admin();
        let data = app
            .data(
                &admin,
                r#"{ teams { edges { node { id name } } } cycles { edges { node { id parent { id } } } }
                   objectives { edges { node { id title keyResults { edges { node { id } } } } } } }"#,
                json!({}),
            )
            .await;
        let find = |list: &str, key: &str, value: &str| -> Value {
            data[list]["edges"].as_array().unwrap().iter().find(|e| e["node"][key] == value).unwrap()["node"].clone()
        };
        let cycles = data["cycles"]["edges"].as_array().unwrap();
        let year = cycles.iter().find(|c| c["node"]["parent"].is_null()).unwrap()["node"]["id"].clone();
        let sales_objective = find("objectives", "title", "Speed up our sales cycle");
        let fixture = Fixture {
            sales_team: find("teams", "name", "Sales")["id"].clone(),
            company_team: find("teams", "name", "Company X")["id"].clone(),
            later: Value::Null,
            company_objective:
                find("objectives", "title", "Improve our processes to drive revenue back to positive")["id"].clone(),
            sales_kr: sales_objective["keyResults"]["edges"][0]["node"]["id"].clone(),
            sales_objective: sales_objective["id"].clone(),
            marketing_objective: find("objectives", "title", "Fill the pipeline with qualified leads")["id"].clone(),
            year,
            app,
            admin,
            made: AtomicUsize::new(0),
            webhook: tokio::sync::OnceCell::new(),
        };
        let marketing = find("teams", "name", "Marketing")["id"].clone();
        fixture.run("addTeamMember", json!({ "teamId": marketing, "subject": "mo", "displayName": "Mo" })).await;
        // Focus limits would refuse the objectives the rows make; they are not under test here.
        fixture.run("updatePolicy", json!({ "mode": "WARN" })).await;
        let later = fixture.cycle("ACTIVE").await;
        Fixture { later, ..fixture }
    }

    fn next(&self) -> usize {
        self.made.fetch_add(1, Ordering::SeqCst)
    }

    /// Runs `mutation` with `input` as `token`: the response body.
    async fn call(&self, token: &str, mutation: &str, input: Value) -> Value {
        let input_type = input_type(mutation);
        let query = format!("mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ clientMutationId }} }}");
        self.app.graphql(token, &query, json!({ "i": input })).await.1
    }

    /// Runs `mutation` as the admin and returns its payload.
    async fn run(&self, mutation: &str, input: Value) -> Value {
        let selection = match mutation {
            "createTeam" => "team { id }",
            "addTeamMember" => "membership { id }",
            "createCycle" | "activateCycle" | "closeCycle" => "cycle { id }",
            "createObjective" | "activateObjective" => "objective { id }",
            "createKeyResult" => "keyResult { id }",
            "createInitiative" => "initiative { id }",
            "createDependency" => "dependency { id }",
            "createTheme" => "theme { id }",
            "createWebhook" => "webhook { id }",
            _ => "clientMutationId",
        };
        let query = format!("mutation($i: {}!) {{ {mutation}(input: $i) {{ {selection} }} }}", input_type(mutation));
        self.app.data(&self.admin, &query, json!({ "i": input })).await[mutation].clone()
    }

    async fn theme(&self) -> Value {
        let input = json!({ "name": format!("Theme {}", self.next()), "colour": "#654321", "startsOn": "2026-01-01" });
        id(&self.run("createTheme", input).await, &["theme", "id"])
    }

    async fn team(&self) -> Value {
        let n = self.next();
        id(
            &self.run("createTeam", json!({ "name": format!("Team {n}"), "parentId": self.company_team })).await,
            &["team", "id"],
        )
    }

    async fn membership(&self) -> Value {
        let input = json!({ "teamId": self.sales_team, "subject": format!("hire-{}", self.next()) });
        id(&self.run("addTeamMember", input).await, &["membership", "id"])
    }

    async fn cycle(&self, state: &str) -> Value {
        let n = self.next();
        let input = json!({ "name": format!("Cycle {n}"), "startsOn": "2099-01-01", "endsOn": "2099-03-31" });
        let cycle = id(&self.run("createCycle", input).await, &["cycle", "id"]);
        if state != "PLANNING" {
            self.run("activateCycle", json!({ "id": cycle })).await;
        }
        if state == "CLOSED" {
            self.run("closeCycle", json!({ "id": cycle })).await;
        }
        cycle
    }

    /// A new draft of Sales in the demo's quarter, with a key result when asked.
    async fn draft(&self, with_key_result: bool) -> Value {
        let cycle = self.quarter().await;
        let input = json!({ "teamId": self.sales_team, "cycleId": cycle, "title": format!("Draft {}", self.next()) });
        let objective = id(&self.run("createObjective", input).await, &["objective", "id"]);
        if with_key_result {
            self.key_result(&objective).await;
        }
        objective
    }

    async fn quarter(&self) -> Value {
        let data = self
            .app
            .data(
                &self.admin,
                "query($id: ID!) { objective(id: $id) { cycle { id } } }",
                json!({ "id": self.sales_objective }),
            )
            .await;
        data["objective"]["cycle"]["id"].clone()
    }

    async fn key_result(&self, objective: &Value) -> Value {
        let input = json!({ "objectiveId": objective, "title": format!("Result {}", self.next()), "kind": "INCREASE", "startValue": 0, "targetValue": 10 });
        id(&self.run("createKeyResult", input).await, &["keyResult", "id"])
    }

    async fn new_webhook(&self, enabled: bool) -> Value {
        let input =
            json!({ "url": "http://127.0.0.1:9/okrs", "eventTypes": ["CHECK_IN_RECORDED"], "enabled": enabled });
        id(&self.run("createWebhook", input).await, &["webhook", "id"])
    }

    /// The shared endpoint and its first delivery (a check-in's).
    async fn webhook(&self) -> &(Value, Value) {
        self.webhook
            .get_or_init(|| async {
                let webhook = self.new_webhook(true).await;
                self.run("checkIn", json!({ "keyResultId": self.sales_kr, "value": 41 })).await;
                let query = "query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(first: 1) { edges { node { id } } } } } }";
                let found = self.app.data(&self.admin, query, json!({ "id": webhook })).await;
                (webhook, found["node"]["deliveries"]["edges"][0]["node"]["id"].clone())
            })
            .await
    }

    async fn dependency(&self) -> Value {
        let from = self.draft(false).await;
        let input = json!({ "fromId": from, "toId": self.marketing_objective });
        id(&self.run("createDependency", input).await, &["dependency", "id"])
    }

    /// A fresh input for `mutation`, naming objects of Sales (or of the whole company).
    async fn input(&self, mutation: &str) -> Value {
        let n = self.next();
        match mutation {
            "createTeam" => json!({ "name": format!("New team {n}"), "parentId": self.company_team }),
            "updateTeam" => json!({ "id": self.team().await, "name": format!("Renamed {n}") }),
            "archiveTeam" => json!({ "id": self.team().await }),
            "addTeamMember" => json!({ "teamId": self.sales_team, "subject": format!("new-{n}") }),
            "updateTeamMember" => json!({ "id": self.membership().await, "title": "Closer" }),
            "removeTeamMember" => json!({ "id": self.membership().await }),
            "createCycle" => {
                json!({ "name": format!("Sprint {n}"), "parentId": self.year, "startsOn": "2026-02-01", "endsOn": "2026-02-14" })
            }
            "updateCycle" => json!({ "id": self.cycle("PLANNING").await, "name": format!("Renamed {n}") }),
            "activateCycle" => json!({ "id": self.cycle("PLANNING").await }),
            "closeCycle" => json!({ "id": self.cycle("ACTIVE").await }),
            "reopenCycle" => json!({ "id": self.cycle("CLOSED").await }),
            "updatePolicy" => json!({ "mode": "WARN" }),
            "createObjective" => {
                json!({ "teamId": self.sales_team, "cycleId": self.quarter().await, "title": format!("New {n}") })
            }
            "updateObjective" => json!({ "id": self.sales_objective, "title": "Speed up our sales cycle" }),
            "alignObjective" => json!({ "id": self.draft(false).await, "parentId": self.company_objective }),
            "activateObjective" => json!({ "id": self.draft(true).await }),
            "closeObjective" => {
                let objective = self.draft(true).await;
                self.run("activateObjective", json!({ "id": objective })).await;
                json!({ "id": objective })
            }
            "carryOverObjective" => json!({ "id": self.draft(false).await, "cycleId": self.later }),
            "archiveObjective" => json!({ "id": self.draft(false).await }),
            "createKeyResult" => {
                json!({ "objectiveId": self.draft(false).await, "title": "More", "kind": "INCREASE", "startValue": 0, "targetValue": 5 })
            }
            "updateKeyResult" => json!({ "id": self.sales_kr, "weight": 1.0 }),
            "archiveKeyResult" => json!({ "id": self.key_result(&self.draft(false).await).await }),
            "checkIn" => json!({ "keyResultId": self.sales_kr, "value": 40 }),
            "createInitiative" => json!({ "keyResultId": self.sales_kr, "title": format!("Initiative {n}") }),
            "updateInitiative" => {
                let made = self
                    .run("createInitiative", json!({ "keyResultId": self.sales_kr, "title": format!("Plan {n}") }))
                    .await;
                json!({ "id": id(&made, &["initiative", "id"]), "state": "IN_PROGRESS" })
            }
            "createDependency" => json!({ "fromId": self.draft(false).await, "toId": self.marketing_objective }),
            "resolveDependency" => json!({ "id": self.dependency().await }),
            "writeTeamWeek" => {
                let week = chrono::Datelike::iso_week(&chrono::Utc::now().date_naive());
                let items = json!([{ "section": "PLAN", "text": format!("Plan {n}"), "keyResultId": self.sales_kr }]);
                json!({ "teamId": self.sales_team, "week": format!("{}-W{:02}", week.year(), week.week()), "items": items })
            }
            "createTheme" => json!({ "name": format!("Theme {n}"), "colour": "#123456", "startsOn": "2026-01-01" }),
            "updateTheme" => json!({ "id": self.theme().await, "position": n }),
            "setObjectiveThemes" => json!({ "objectiveId": self.company_objective, "themeIds": [self.theme().await] }),
            "createWebhook" => {
                json!({ "url": format!("http://127.0.0.1:9/{n}"), "eventTypes": ["CYCLE_CLOSED"], "enabled": false })
            }
            "updateWebhook" => {
                json!({ "id": self.webhook().await.0, "eventTypes": ["CHECK_IN_RECORDED", "CYCLE_CLOSED"] })
            }
            "deleteWebhook" => json!({ "id": self.new_webhook(false).await }),
            "redeliverWebhook" => json!({ "deliveryId": self.webhook().await.1 }),
            "importOkrs" => {
                let content = format!("kind,ref,team,title\nobjective,o,Sales,Imported {n}\n");
                json!({ "cycleId": self.quarter().await, "format": "CSV", "content": content })
            }
            other => panic!("no input for {other}"),
        }
    }
}

fn input_type(mutation: &str) -> String {
    match mutation {
        "activateCycle" | "closeCycle" | "reopenCycle" => "CycleStateInput".into(),
        "activateObjective" | "archiveObjective" => "ObjectiveInput".into(),
        _ => format!("{}{}Input", mutation[..1].to_uppercase(), &mutation[1..]),
    }
}

#[tokio::test]
async fn every_mutation_allows_exactly_the_callers_its_rules_name() {
    let fixture = Fixture::new().await;
    let mutations = trellis_tests::mutation_names(&fixture.app, &fixture.admin).await;
    let missing: Vec<&String> = mutations.iter().filter(|m| allowed(m).is_none()).collect();
    assert!(missing.is_empty(), "say who may run these: {missing:?}");

    let tokens: Vec<(Who, String)> = EVERYONE.iter().map(|who| (*who, token(*who))).collect();
    let mut wrong = Vec::new();
    for mutation in &mutations {
        let allowed = allowed(mutation).unwrap_or_default();
        for (who, token) in &tokens {
            let input = fixture.input(mutation).await;
            let body = fixture.call(token, mutation, input).await;
            let expected = match (allowed.contains(who), who) {
                (true, _) => "OK",
                (false, Foreign) => "NOT_FOUND",
                (false, _) => "FORBIDDEN",
            };
            let got = if body.get("errors").is_none() { "OK" } else { error_code(&body) };
            if got != expected {
                wrong.push(format!("{mutation} as {who:?}: expected {expected}, got {body}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        mutations.len() * tokens.len(),
        wrong.join("\n")
    );
}
