//! Persisted queries across processes: `trellis persisted add` registers documents that a
//! `--persisted-queries-only` server then runs (and nothing else); a hash registered
//! through one server process is known to another on the same database.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod support;

use serde_json::{Value, json};
use std::process::Command;

const ALLOWED: &str = "query Name { organization { name } }";

fn persisted(database: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trellis"))
        .arg("persisted")
        .args(args)
        .args(["--database-url", database])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

fn sha(query: &str) -> String {
    service::persisted_queries::hash(query)
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn documents_added_by_the_operator_are_the_only_ones_a_locked_server_runs() {
    let database = testdb::TestDatabase::create().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("name.graphql");
    std::fs::write(&file, format!("{ALLOWED}\n")).unwrap();
    let manifest = dir.path().join("manifest.json");
    let operations = json!({ "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{ "id": "x", "name": "Slug", "type": "query", "body": "query Slug { organization { slug } }" }] });
    std::fs::write(&manifest, operations.to_string()).unwrap();

    let added = persisted(&database.url, &["add", file.to_str().unwrap(), manifest.to_str().unwrap()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let printed = String::from_utf8(added.stdout).unwrap();
    assert!(printed.contains(&sha(ALLOWED)) && printed.contains("Slug"), "{printed}");
    let listed = String::from_utf8(persisted(&database.url, &["list"]).stdout).unwrap();
    assert!(
        listed.contains(&sha(ALLOWED)) && listed.contains(&sha("query Slug { organization { slug } }")),
        "{listed}"
    );
    let broken = dir.path().join("broken.graphql");
    std::fs::write(&broken, "query { organization {").unwrap();
    let refused = persisted(&database.url, &["add", broken.to_str().unwrap()]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("not a GraphQL document"));

    let locked = support::serve(&database.url, &["--demo", "--persisted-queries-only"], &[]);
    let token = support::token("admin", "admin");
    let (status, body) = support::graphql(&locked.1, &token, json!({ "query": ALLOWED })).await;
    assert_eq!((status, &body["data"]["organization"]["name"]), (200, &json!("Company X")), "{body}");
    let by_hash = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha(ALLOWED) } } });
    let (_, body) = support::graphql(&locked.1, &token, by_hash.clone()).await;
    assert_eq!(body["data"]["organization"]["name"], "Company X", "{body}");
    let (status, body) = support::graphql(&locked.1, &token, json!({ "query": "{ organization { id } }" })).await;
    assert_eq!((status, code(&body)), (403, "PERSISTED_QUERY_NOT_ALLOWED"), "{body}");

    let removed = persisted(&database.url, &["remove", &sha(ALLOWED)]);
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    // A fresh process sees the removal at once (a running one within a minute).
    drop(locked);
    let locked = support::serve(&database.url, &["--persisted-queries-only"], &[]);
    let (status, body) = support::graphql(&locked.1, &token, json!({ "query": ALLOWED })).await;
    assert_eq!((status, code(&body)), (403, "PERSISTED_QUERY_NOT_ALLOWED"), "{body}");
}

#[tokio::test]
async fn a_hash_registered_through_one_process_is_known_to_another() {
    let database = testdb::TestDatabase::create().await.unwrap();
    let first = support::serve(&database.url, &["--demo"], &[]);
    let second = support::serve(&database.url, &[], &[]);
    let token = support::token("admin", "admin");
    let query = "query Slug { organization { slug } }";
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha(query) } });
    let (_, body) = support::graphql(&second.1, &token, json!({ "extensions": extensions })).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    let (_, body) = support::graphql(&first.1, &token, json!({ "query": query, "extensions": extensions })).await;
    assert_eq!(body["data"]["organization"]["slug"], "company-x", "{body}");
    let (_, body) = support::graphql(&second.1, &token, json!({ "extensions": extensions })).await;
    assert_eq!(body["data"]["organization"]["slug"], "company-x", "{body}");
}
