//! Sets `cfg(trellis_postgres)` when the tests run on PostgreSQL, so that tests which only
//! mean something there are marked `#[cfg_attr(not(trellis_postgres), ignore = "…")]` and a
//! SQLite run lists them as ignored instead of passing them silently.
//! (`tests/Cargo.toml` names this file as its build script too.)

fn main() {
    println!("cargo::rustc-check-cfg=cfg(trellis_postgres)");
    println!("cargo::rerun-if-env-changed=TRELLIS_TEST_DATABASE_URL");
    if std::env::var("TRELLIS_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        println!("cargo::rustc-cfg=trellis_postgres");
    }
}
