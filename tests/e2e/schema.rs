//! `schema.graphql` must match the code.

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let current = api::graphql::sdl();
    if std::env::var_os("TRELLIS_UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "schema.graphql is out of date: run `cargo run -q -p api -- schema > schema.graphql` (or TRELLIS_UPDATE_SCHEMA=1 cargo test -p trellis-tests schema) and commit it"
    );
}
