//! The example operations in `examples/operations/` (what the codegen check in
//! `tests/codegen` type-checks) run against the demo: queries and the mutation over HTTP
//! with ids looked up through the API, subscriptions over WebSocket with a change made
//! for them to hear. Every file needs a case in [`cases`], so an example that stops
//! working, or a new one nobody ran, fails here.

mod cases;

use async_graphql::parser::parse_query;
use async_graphql::parser::types::{OperationType, Selection, SelectionSet};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use trellis_tests::TestApp;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/operations");

/// One operation file, with the fragments it spreads appended, as a client sends it.
pub struct Operation {
    pub name: String,
    pub kind: OperationType,
    pub document: String,
}

fn graphql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "graphql"))
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

fn spreads(set: &SelectionSet, into: &mut BTreeSet<String>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => spreads(&field.node.selection_set.node, into),
            Selection::FragmentSpread(spread) => {
                into.insert(spread.node.fragment_name.node.to_string());
            }
            Selection::InlineFragment(inline) => spreads(&inline.node.selection_set.node, into),
        }
    }
}

/// The operations, by name. Each file holds one operation named as the file; each file
/// in `fragments/` one fragment named as the file.
pub fn load() -> BTreeMap<String, Operation> {
    let mut fragments = BTreeMap::new();
    for path in graphql_files(&Path::new(DIR).join("fragments")) {
        let text = std::fs::read_to_string(&path).unwrap();
        // A document needs an operation to parse; this one only carries the fragment.
        let probe = parse_query(format!("{text}\nquery Probe {{ __typename }}"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let defined: Vec<String> = probe.fragments.keys().map(ToString::to_string).collect();
        assert_eq!(defined, [stem(&path)], "{}: one fragment, named as the file", path.display());
        assert_eq!(probe.operations.iter().count(), 1, "{}: fragments only", path.display());
        let mut used = BTreeSet::new();
        for fragment in probe.fragments.values() {
            spreads(&fragment.node.selection_set.node, &mut used);
        }
        fragments.insert(stem(&path), (text, used));
    }
    let mut operations = BTreeMap::new();
    for path in graphql_files(Path::new(DIR)) {
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = parse_query(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(parsed.fragments.is_empty(), "{}: fragments go in fragments/", path.display());
        let found: Vec<_> = parsed.operations.iter().collect();
        let [(Some(name), operation)] = found.as_slice() else {
            panic!("{}: exactly one named operation", path.display())
        };
        assert_eq!(name.to_string(), stem(&path), "{}: the operation is named as the file", path.display());
        let mut needed = BTreeSet::new();
        spreads(&operation.node.selection_set.node, &mut needed);
        let mut pending: Vec<String> = needed.iter().cloned().collect();
        while let Some(next) = pending.pop() {
            let (_, used) = fragments.get(&next).unwrap_or_else(|| panic!("{}: no fragment {next}", path.display()));
            pending.extend(used.iter().filter(|u| needed.insert((*u).clone())).cloned());
        }
        let mut document = text.clone();
        for fragment in &needed {
            document.push('\n');
            document.push_str(&fragments[fragment].0);
        }
        let operation = Operation { name: stem(&path), kind: operation.node.ty, document };
        operations.insert(stem(&path), operation);
    }
    operations
}

/// The demo with the ids the operations need, found through the API.
pub struct Ctx {
    pub app: TestApp,
    pub admin: String,
    pub ids: crate::check_ins::Demo,
}

impl Ctx {
    /// Sends a query or mutation over HTTP and returns its `data`, which must come without errors.
    pub async fn send(&self, token: &str, operation: &Operation, variables: Value) -> Value {
        assert_ne!(operation.kind, OperationType::Subscription, "{} goes over the WebSocket", operation.name);
        self.app.data(token, &operation.document, variables).await
    }

    /// Starts a subscription over WebSocket (graphql-transport-ws) as the admin.
    pub async fn subscribe(&self, operation: &Operation, variables: Value) -> crate::live::Socket {
        assert_eq!(operation.kind, OperationType::Subscription, "{} is not a subscription", operation.name);
        let mut socket = crate::live::connect(&self.app, "graphql-transport-ws", &self.admin).await;
        let start = json!({ "id": "1", "type": "subscribe",
            "payload": { "query": operation.document, "variables": variables } });
        socket.send(Message::Text(start.to_string().into())).await.unwrap();
        // Let the subscription reach the bus (and an insights watch take its first look)
        // before the change it waits for is made.
        tokio::time::sleep(Duration::from_millis(500)).await;
        socket
    }
}

/// The subscription's next event's `data.<field>`, within a few seconds; it must come
/// without errors and not be a `resync`.
pub async fn next_event(socket: &mut crate::live::Socket, field: &str) -> Value {
    event_within(socket, field, Duration::from_secs(5)).await.expect("an event within 5 s")
}

/// Like [`next_event`], but `None` when nothing comes within `wait`.
pub async fn event_within(socket: &mut crate::live::Socket, field: &str, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.ok()?;
        let Some(Ok(Message::Text(text))) = message else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(message["type"], "next", "{message}");
        assert!(message["payload"].get("errors").is_none(), "{message}");
        let event = message["payload"]["data"][field].clone();
        assert_eq!(event["resync"], false, "{message}");
        return Some(event);
    }
}

#[tokio::test]
async fn every_example_operation_runs_against_the_demo() {
    let operations = load();
    let files: BTreeSet<&str> = operations.keys().map(String::as_str).collect();
    let cases: BTreeSet<&str> = cases::NAMES.iter().copied().collect();
    assert!(
        files == cases,
        "examples/operations without a case in tests/e2e/operations/cases.rs: {:?}; cases without a file: {:?}",
        files.difference(&cases).collect::<Vec<_>>(),
        cases.difference(&files).collect::<Vec<_>>()
    );

    // An integration registers its endpoint; loopback stands in for it here.
    let webhooks = api::config::WebhookSettings {
        webhook_allow_ranges: vec!["127.0.0.0/8".parse().unwrap()],
        ..api::config::WebhookSettings::default()
    };
    let options = trellis_tests::Options { demo: true, webhooks: Some(webhooks), ..Default::default() };
    let app = TestApp::start(options, std::sync::Arc::new(service::SystemClock)).await;
    let ids = crate::check_ins::demo(&app).await;
    let ctx = Ctx { admin: app.demo_admin(), app, ids };
    for operation in operations.values() {
        cases::run(&ctx, operation).await;
    }
}
