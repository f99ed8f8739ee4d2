//! Running the real `trellis` binary in a test: a server process that is killed when
//! dropped, and development tokens minted by `trellis token`.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// The secret every process started here verifies tokens with.
pub const SECRET: &str = "process-test-secret-0123456789";

/// A running `trellis serve` and its base URL; killed when dropped.
pub struct Server(Child, pub String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Kills the process with SIGKILL, as a crash or the OOM killer would, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Sends the process SIGTERM, as an orchestrator stopping it does.
    pub fn terminate(&self) {
        let pid = self.0.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success(), "SIGTERM reaches trellis");
    }

    /// Waits up to `seconds` for the process to exit; its status, or `None` if it did not.
    pub fn exited_within(&mut self, seconds: u64) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.0.try_wait().expect("the process can be waited for") {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

/// `trellis serve` on a free port with `database` and the extra `args` and `env`.
pub fn serve(database: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    start(database, args, env, Stdio::inherit())
}

/// Like [`serve`], with the log (stderr) collected into the returned text.
pub fn serve_logged(database: &str, args: &[&str], env: &[(&str, &str)]) -> (Server, Arc<Mutex<String>>) {
    let mut server = start(database, args, env, Stdio::piped());
    let log = Arc::new(Mutex::new(String::new()));
    let (stderr, collected) = (server.0.stderr.take().expect("a piped stderr"), log.clone());
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut log = collected.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            log.push_str(&line);
            log.push('\n');
        }
    });
    (server, log)
}

fn start(database: &str, args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trellis"));
    command.args(["serve", "--listen", "127.0.0.1:0", "--database-url", database]).args(args);
    command.env("TRELLIS_JWT_SECRET", SECRET).env("RUST_LOG", "off").envs(env.iter().copied());
    let mut child = command.stdout(Stdio::piped()).stderr(stderr).spawn().expect("trellis starts");
    let mut lines = BufReader::new(child.stdout.take().expect("a piped stdout")).lines();
    let base = loop {
        let line = lines.next().expect("trellis says where it serves").expect("a line");
        if let Some(rest) = line.strip_prefix("Trellis is serving ") {
            break rest.trim_end_matches("/graphql").to_owned();
        }
    };
    // Keep draining stdout so the process never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server(child, base)
}

/// A token for `subject` with `role` in the demo organization, from `trellis token`.
pub fn token(subject: &str, role: &str) -> String {
    token_in("company-x", subject, role)
}

/// A token for `subject` with `role` in the organization `org`, from `trellis token`.
pub fn token_in(org: &str, subject: &str, role: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(["token", "--org", org, "--sub", subject, "--role", role])
        .env("TRELLIS_JWT_SECRET", SECRET)
        .output()
        .expect("trellis token runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// POSTs a GraphQL `body` to the server at `base` as `token`'s caller, accepting
/// `application/json`; the status and the JSON answer.
pub async fn graphql(base: &str, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("the request reaches the server");
    (response.status().as_u16(), response.json().await.expect("a JSON answer"))
}

/// The `data` of `query` with `variables`, asked at `base` as `token`'s caller, which must
/// answer without errors.
pub async fn data(base: &str, token: &str, query: &str, variables: serde_json::Value) -> serde_json::Value {
    let (_, body) = graphql(base, token, serde_json::json!({ "query": query, "variables": variables })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}
