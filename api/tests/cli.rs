//! The `trellis` command itself: start-up, bad settings and the helper subcommands.
//! These run the real binary; the GraphQL API is tested end to end in `tests/`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use testdb::TestDatabase;

const SECRET: &str = "cli-test-secret-0123456789";

fn trellis() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trellis"));
    command.env_remove("DATABASE_URL").env_remove("TRELLIS_JWT_SECRET").env_remove("TRELLIS_LISTEN");
    command
}

/// Fails unless the command exited non-zero with one line on stderr and no panic.
fn assert_one_line_failure(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "no panic trace: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(expected), "{expected:?} in {stderr}");
}

#[test]
fn a_database_url_of_an_unknown_kind_is_one_line_and_a_failure() {
    let output = trellis().args(["migrate", "--database-url", "mysql://root@localhost/x"]).output().unwrap();
    assert_one_line_failure(&output, "unsupported database URL");
}

#[test]
fn an_unreachable_postgres_is_one_line_and_a_failure() {
    let output =
        trellis().args(["migrate", "--database-url", "postgres://postgres:pw@127.0.0.1:1/x"]).output().unwrap();
    assert_one_line_failure(&output, "cannot open database postgres://postgres:***@127.0.0.1:1/x");
}

#[test]
fn a_sqlite_file_in_a_missing_folder_is_one_line_and_a_failure() {
    let output = trellis().args(["migrate", "--database-url", "sqlite:///no/such/folder/trellis.db"]).output().unwrap();
    assert_one_line_failure(&output, "does the folder exist");
}

#[test]
fn a_port_in_use_is_one_line_and_a_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let database = TestDatabase::sqlite();
    let output = trellis()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &database.url])
        .env("TRELLIS_JWT_SECRET", SECRET)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_one_line_failure(&output, &format!("cannot listen on 127.0.0.1:{port}"));
}

#[test]
fn serve_without_a_secret_or_demo_says_what_to_set() {
    let database = TestDatabase::sqlite();
    let output = trellis().args(["serve", "--database-url", &database.url]).output().unwrap();
    assert_one_line_failure(&output, "TRELLIS_JWT_SECRET");
}

#[test]
fn migrate_creates_and_migrates_a_new_sqlite_file() {
    let database = TestDatabase::sqlite();
    let output = trellis().args(["migrate", "--database-url", &database.url]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(std::path::Path::new(database.url.trim_start_matches("sqlite://")).exists());
    // Running it again is a no-op, not an error.
    assert!(trellis().args(["migrate", "--database-url", &database.url]).output().unwrap().status.success());
}

#[test]
fn schema_prints_the_sdl() {
    let output = trellis().arg("schema").output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), api::graphql::sdl());
}

#[tokio::test]
async fn token_prints_a_token_the_server_accepts() {
    let output = trellis()
        .args(["token", "--org", "acme", "--sub", "ada", "--role", "viewer", "--ttl", "30m"])
        .env("TRELLIS_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).unwrap();
    let verifier = api::auth::Verifier::development(&api::config::Secret::new(SECRET));
    let identity = verifier.verify(token.trim()).await.unwrap().identity;
    assert_eq!((identity.org_slug.as_str(), identity.subject.as_str()), ("acme", "ada"));
    assert_eq!(identity.role, service::OrgRole::Viewer);
}

#[tokio::test]
async fn token_with_scopes_and_no_role_mints_an_integration_token() {
    let output = trellis()
        .args(["token", "--org", "acme", "--sub", "crm-sync", "--scope", "checkin:write"])
        .env("TRELLIS_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let verifier = api::auth::Verifier::development(&api::config::Secret::new(SECRET));
    let identity = verifier.verify(String::from_utf8(output.stdout).unwrap().trim()).await.unwrap().identity;
    assert!(identity.integration);
    assert_eq!(identity.scope, Some(service::permissions::TokenScope::CheckinWrite));
    let unknown = trellis()
        .args(["token", "--org", "acme", "--sub", "x", "--scope", "everything"])
        .env("TRELLIS_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert_one_line_failure(&unknown, "unknown scope");
}

#[test]
fn token_refuses_an_unknown_role() {
    let output = trellis()
        .args(["token", "--org", "acme", "--sub", "ada", "--role", "owner"])
        .env("TRELLIS_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert_one_line_failure(&output, "unknown role");
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_demo_with_no_secret_prints_a_working_admin_token() {
    let database = TestDatabase::sqlite();
    let started = Instant::now();
    let mut child = trellis()
        .args(["--demo", "--listen", "127.0.0.1:0", "--database-url", &database.url])
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut address = None;
    let mut token = None;
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("Trellis is serving ") {
            address = Some(rest.to_owned());
        } else if line.starts_with("eyJ") {
            token = Some(line);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
    }
    let (address, token) = (address.unwrap(), token.unwrap());
    let response: serde_json::Value = reqwest::Client::new()
        .post(&address)
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": "{ viewer { role } organization { name } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(response["data"]["organization"]["name"], "Company X");
    assert_eq!(response["data"]["viewer"]["role"], "ADMIN");
}

#[tokio::test]
async fn import_and_export_work_on_the_database_and_say_what_they_did() {
    use service::{Identity, OrgRole, Scope, SystemClock};
    let database = TestDatabase::create().await.unwrap();
    let db = service::db::connect_and_migrate(&database.url).await.unwrap();
    let admin =
        service::actor::identify(&db, &SystemClock, &Identity::person("acme", "admin", OrgRole::Admin)).await.unwrap();
    let bus = service::events::Bus::local(16);
    let s = Scope { db: &db, clock: &SystemClock, actor: &admin, bus: &bus };
    let day = |text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    let quarter = service::cycles::write::NewCycle {
        name: "Q4 2026".into(),
        starts_on: day("2026-10-01"),
        ends_on: day("2026-12-31"),
        parent_id: None,
    };
    service::cycles::write::create(s, quarter).await.unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/okrs.json");
    let run = |args: &[&str]| {
        trellis()
            .args(args)
            .args(["--database-url", &database.url, "--org", "acme", "--cycle", "Q4 2026"])
            .env("RUST_LOG", "off")
            .output()
            .unwrap()
    };
    let counts = "3 teams, 4 people, 4 memberships, 5 objectives, 7 key results, 8 check-ins";

    let checked = run(&["import", example, "--dry-run"]);
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    assert_eq!(String::from_utf8_lossy(&checked.stdout), format!("checked (dry run, nothing written): {counts}\n"));
    let imported = run(&["import", example]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert_eq!(String::from_utf8_lossy(&imported.stdout), format!("imported: {counts}\n"));

    let exported = run(&["export", "--format", "json"]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    assert_eq!(String::from_utf8_lossy(&exported.stdout), std::fs::read_to_string(example).unwrap());

    // The same file again: its teams, people and memberships are there and are kept.
    let again = run(&["import", example, "--format", "json", "--dry-run"]);
    let kept = "0 teams, 0 people, 0 memberships, 5 objectives, 7 key results, 8 check-ins";
    assert_eq!(String::from_utf8_lossy(&again.stdout), format!("checked (dry run, nothing written): {kept}\n"));
    let folder = tempfile::tempdir().unwrap();
    let bad = folder.path().join("bad.csv");
    std::fs::write(&bad, "kind,ref,team,title\nobjective,a,Nowhere,Lost\n").unwrap();
    let refused = run(&["import", bad.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&refused.stdout), "line 2 team: NOT_FOUND: team \"Nowhere\" was not found\n");
    assert_one_line_failure(&refused, "1 problem in");
    let unknown = trellis()
        .args(["export", "--database-url", &database.url, "--org", "globex", "--cycle", "Q4 2026"])
        .output()
        .unwrap();
    assert_one_line_failure(&unknown, "there is no organization \"globex\"");
}
