//! The settings file: precedence (flags > environment > file > defaults), `trellis
//! config`, one-line errors that name the file's line, and a server that runs by it.
#![expect(clippy::unwrap_used, reason = "in a test, a failed unwrap is a failed test")]

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

/// `trellis` with an environment of only what the test gives it.
fn trellis(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trellis"));
    command.env_clear().args(args).envs(env.iter().copied());
    command.output().unwrap()
}

/// A settings file with `text`, removed with the returned folder.
fn settings_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trellis.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// The line of `trellis config`'s output for `name`.
fn line_of<'a>(printed: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name} = ");
    printed.lines().find(|line| line.starts_with(&prefix)).unwrap_or_else(|| panic!("no {name} in:\n{printed}"))
}

#[test]
fn flags_beat_the_environment_which_beats_the_file_which_beats_the_defaults() {
    let (_dir, path) = settings_file(
        "# limits for this deployment\nmax-depth = 5\nrate-per-subject = 7\nlisten = \"127.0.0.1:9999\"\n\
         cors-origin = [\"https://a.example\", \"https://b.example\"]\njwt-secret = \"file-secret-0123456789\"\n",
    );
    let output = trellis(
        &["config", "--config", path.to_str().unwrap(), "--max-depth", "6"],
        &[("TRELLIS_RATE_PER_SUBJECT", "9"), ("DATABASE_URL", "postgres://u:hunter2@db.example/trellis")],
    );
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let file = path.display().to_string();
    assert!(
        line_of(&printed, "max-depth").starts_with("max-depth = 6 ")
            && line_of(&printed, "max-depth").ends_with("# flag")
    );
    assert!(
        line_of(&printed, "rate-per-subject").contains("= 9 ")
            && printed.contains("# environment TRELLIS_RATE_PER_SUBJECT")
    );
    assert!(
        line_of(&printed, "listen").contains("\"127.0.0.1:9999\"")
            && line_of(&printed, "listen").ends_with(&format!("# {file}:4"))
    );
    assert!(line_of(&printed, "cors-origin").contains("[\"https://a.example\", \"https://b.example\"]"));
    assert!(
        line_of(&printed, "max-aliases").contains("= 30 ") && line_of(&printed, "max-aliases").ends_with("# default")
    );
    // Secrets are masked, a URL's password too.
    assert!(line_of(&printed, "jwt-secret").contains("\"***\""), "{printed}");
    assert!(!printed.contains("file-secret") && !printed.contains("hunter2"), "{printed}");
    assert!(line_of(&printed, "database-url").contains("postgres://u:***@db.example/trellis"));
    assert!(printed.contains("# jwt-issuer (unset)"), "{printed}");
}

#[test]
fn the_file_can_be_named_by_the_environment() {
    let (_dir, path) = settings_file("max-aliases = 3\n");
    let output = trellis(&["config"], &[("TRELLIS_CONFIG", path.to_str().unwrap())]);
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(line_of(&printed, "max-aliases").starts_with("max-aliases = 3 "), "{printed}");
}

/// Fails unless `trellis config` with `text` as its file exits 2 with one line naming
/// the file's `line` and containing `expected`.
fn assert_refused(text: &str, line: usize, expected: &str) {
    let (_dir, path) = settings_file(text);
    let output = trellis(&["config", "--config", path.to_str().unwrap()], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(&format!("{}:{line}: ", path.display())), "line {line} in {stderr}");
    assert!(stderr.contains(expected), "{expected:?} in {stderr}");
}

#[test]
fn a_wrong_setting_is_one_line_naming_the_setting_and_the_line() {
    assert_refused("max-depth = 3\n\nmax_dept = 4\n", 3, "unknown setting `max_dept`");
    assert_refused("max_depth = 4\n", 1, "did you mean `max-depth`?");
    assert_refused("listen = \"127.0.0.1:1\"\nmax-depth = \"deep\"\n", 2, "setting `max-depth`");
    assert_refused("database-url = \"mysql://root@db/x\"\n", 1, "unsupported database URL");
    assert_refused("# traces\notlp-endpoint = \"collector:4318\"\n", 2, "setting `otlp-endpoint`");
    assert_refused("cors-origin = [\"*\"]\n", 1, "setting `cors-origin`");
    assert_refused("max-depth = 3\nmax-depth = = 4\n", 2, "");
    assert_refused("[limits]\nmax-depth = 3\n", 1, "no sections");
    assert_refused("demo = \"yes\"\n", 1, "expected true or false");
}

#[test]
fn a_missing_file_is_one_line() {
    let output = trellis(&["config", "--config", "/no/such/trellis.toml"], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("cannot read the settings file /no/such/trellis.toml"), "{stderr}");
}

#[test]
fn the_example_file_in_the_repository_is_valid_and_changes_nothing() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../trellis.example.toml");
    let with_file = trellis(&["config", "--config", example.to_str().unwrap()], &[]);
    assert!(with_file.status.success(), "{}", String::from_utf8_lossy(&with_file.stderr));
    // Every key in the example is a default spelled out or a commented line.
    let without = trellis(&["config"], &[]);
    let values = |output: &Output| -> Vec<String> {
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.lines().filter(|l| !l.starts_with('#')).map(|l| l.split(" # ").next().unwrap().trim().to_owned()).collect()
    };
    assert_eq!(values(&with_file), values(&without));
}

#[tokio::test]
async fn the_server_runs_by_the_file() {
    let database = testdb::TestDatabase::sqlite();
    let (_dir, path) = settings_file("demo = true\nmax-depth = 2\n");
    let server = support::serve(&database.url, &["--config", path.to_str().unwrap()], &[]);
    let token = support::token("admin", "admin");
    let deep =
        serde_json::json!({"query": "{ objectives { edges { node { keyResults { edges { node { id } } } } } } }"});
    let (_, answer) = support::graphql(&server.1, &token, deep).await;
    let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("over the limit of 2"), "the file's max-depth applies: {answer}");
}
