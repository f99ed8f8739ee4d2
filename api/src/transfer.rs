//! The `trellis import` and `trellis export` subcommands: the service's import and
//! export, run against the database directly as one of the organization's admins.

use crate::config::{ExportArgs, FileFormat, ImportArgs, TransferTarget};
use crate::graphql::ids::{self, Kind};
use crate::graphql::transfer::GlobalIds;
use anyhow::{Context, bail};
use service::events::Bus;
use service::transfer::{self, Format, ImportRequest, Report};
use service::{Actor, DatabaseConnection, Identity, OrgRole, Scope, SystemClock, Uuid};
use std::path::Path;

/// Imports the file `args` names; the report says what was (or would be) created, or
/// every problem, and then nothing was written.
pub async fn import(args: &ImportArgs) -> anyhow::Result<Report> {
    let format = match args.format {
        Some(format) => format,
        None => format_of(&args.file)?,
    };
    let content =
        std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let (db, actor, cycle_id) = open(&args.target).await?;
    // Subscribers of a server on this database hear the import through PostgreSQL's
    // NOTIFY; on SQLite the server holds its own in-process bus, which this one is not.
    let bus = Bus::new(&db);
    let s = Scope { db: &db, clock: &SystemClock, actor: &actor, bus: &bus };
    let request = ImportRequest { cycle_id, format: format.into(), content: &content, dry_run: args.dry_run };
    Ok(transfer::import(s, &GlobalIds, request).await?)
}

/// Exports the cycle `args` names to `--output` (or standard output); returns how many
/// records the file holds.
pub async fn export(args: &ExportArgs) -> anyhow::Result<usize> {
    let (db, actor, cycle_id) = open(&args.target).await?;
    let exported = transfer::export(&db, &actor, &GlobalIds, cycle_id, args.format.into()).await?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &exported.content).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => print!("{}", exported.content),
    }
    Ok(exported.records)
}

/// What an import report says, a line each: the counts, or each problem.
pub fn describe(report: &Report) -> String {
    let c = &report.created;
    let counts = format!(
        "{} teams, {} people, {} memberships, {} objectives, {} key results, {} check-ins",
        c.teams, c.people, c.memberships, c.objectives, c.key_results, c.check_ins
    );
    if report.problems.is_empty() {
        let verb = if report.imported { "imported" } else { "checked (dry run, nothing written)" };
        return format!("{verb}: {counts}\n");
    }
    let mut lines = String::new();
    for p in &report.problems {
        let field = p.field.as_deref().map(|f| format!(" {f}")).unwrap_or_default();
        lines.push_str(&format!("line {}{field}: {}: {}\n", p.line, p.code, p.message));
    }
    lines
}

impl From<FileFormat> for Format {
    fn from(format: FileFormat) -> Self {
        match format {
            FileFormat::Csv => Format::Csv,
            FileFormat::Json => Format::Json,
        }
    }
}

fn format_of(file: &Path) -> anyhow::Result<FileFormat> {
    match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Ok(FileFormat::Csv),
        Some("json") => Ok(FileFormat::Json),
        _ => bail!("cannot tell the format of {}: name it .csv or .json, or pass --format", file.display()),
    }
}

/// The database, the admin acting and the cycle of `target`.
async fn open(target: &TransferTarget) -> anyhow::Result<(DatabaseConnection, Actor, Uuid)> {
    let db = service::db::connect_and_migrate(&target.database.database_url).await?;
    // An admin's first token creates its organization; a typo here must not.
    if service::organizations::by_slug(&db, &target.org).await?.is_none() {
        bail!("there is no organization {:?}", target.org);
    }
    let identity = Identity::person(target.org.clone(), target.actor.clone(), OrgRole::Admin);
    let actor = service::actor::identify(&db, &SystemClock, &identity).await?;
    let cycle = cycle(&db, &actor, &target.cycle).await?;
    Ok((db, actor, cycle))
}

/// The cycle `text` names: an id, or the name of exactly one cycle.
async fn cycle(db: &DatabaseConnection, actor: &Actor, text: &str) -> anyhow::Result<Uuid> {
    if let Some((Kind::Cycle, id)) = ids::decode(text) {
        return Ok(id);
    }
    if let Ok(id) = Uuid::try_parse(text) {
        return Ok(id);
    }
    let cycles = service::cycles::query(actor, None).all(db).await?;
    let named: Vec<_> = cycles.iter().filter(|c| c.name == text).collect();
    match named.as_slice() {
        [only] => Ok(only.id),
        [] => {
            let names: Vec<&str> = cycles.iter().map(|c| c.name.as_str()).collect();
            bail!("no cycle is named {text:?}; the organization's cycles: {}", names.join(", "))
        }
        many => bail!("{} cycles are named {text:?}: give the cycle's id instead", many.len()),
    }
}
