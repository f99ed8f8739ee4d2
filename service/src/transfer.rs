//! Import and export of a cycle's OKRs as a file, CSV or JSON: teams (created when
//! missing), people and memberships, objectives with their alignment, key results and
//! their check-in history.
//!
//! An import checks the whole file with the rules every other write applies (the same
//! functions), answers with every refused record (line, field, code), and writes all of
//! it in one unit of work or nothing. It reads what it needs in a fixed number of batched
//! statements and writes in bulk inserts, so a file of 10,000 records takes seconds, and
//! its events are coarse (see [`apply`]). Only organization admins import: a file makes
//! teams and memberships, which are theirs to manage.
//!
//! An export writes the same format, so that an export imports into an empty
//! organization as it was (ids aside).

pub mod apply;
pub mod export;
pub mod file;
mod known;
pub mod parse;
mod plan;
pub mod render;

use crate::objectives::ObjectiveOrKeyResult;
use crate::permissions::TokenScope;
use crate::scope::Scope;
use crate::unit_of_work::{Work, write};
use crate::{Error, Result, permissions};
use uuid::Uuid;

pub use export::{Exported, export};

/// The most records one file may hold: its bulk checks and writes stay within what one
/// statement may bind on SQLite, and one transaction stays a few seconds long.
pub const MAX_RECORDS: usize = 20_000;

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header naming the columns, then one record per line.
    Csv,
    /// `{"version": 1, "records": [{"kind": …, …}, …]}`.
    Json,
}

/// How a file names objectives and key results that are not in it: the ids clients see,
/// which the API layer encodes. Inside a file, records name each other by their `ref`.
pub trait ForeignIds: Sync {
    /// The objective or key result `text` names, if it is such an id.
    fn decode(&self, text: &str) -> Option<ObjectiveOrKeyResult>;
    /// The id that names `id` outside the file.
    fn encode(&self, id: ObjectiveOrKeyResult) -> String;
}

/// Something wrong with one record (or with the file, on line 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The line the record starts on (1 is a CSV file's header).
    pub line: u64,
    /// The column at fault; none when the record or line as a whole is.
    pub field: Option<String>,
    /// The stable code the same refusal carries anywhere else (`NOT_MEASURABLE`).
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    fn bad_input(line: u64, field: Option<&str>, message: String) -> Self {
        Problem { line, field: field.map(str::to_owned), code: "BAD_USER_INPUT", message }
    }

    fn of(line: u64, field: file::Column, error: &Error) -> Self {
        Problem { line, field: Some(field.name().to_owned()), code: error.code(), message: error.to_string() }
    }
}

/// How many rows of each kind an import creates (or would create).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub teams: usize,
    pub people: usize,
    pub memberships: usize,
    pub objectives: usize,
    pub key_results: usize,
    pub check_ins: usize,
}

/// What an import did, or would do.
#[derive(Debug, Clone)]
pub struct Report {
    pub dry_run: bool,
    /// Whether the file was written: it had no problem and this was no dry run.
    pub imported: bool,
    /// What the file creates; records of teams, people and memberships that exist
    /// already create nothing.
    pub created: Counts,
    /// Every problem of every record, in file order. Any problem means nothing was written.
    pub problems: Vec<Problem>,
}

/// A file to import into a cycle.
#[derive(Debug, Clone, Copy)]
pub struct ImportRequest<'a> {
    pub cycle_id: Uuid,
    pub format: Format,
    pub content: &'a str,
    /// Check everything, write nothing.
    pub dry_run: bool,
}

/// Imports a file into a cycle that is not closed, all or nothing (organization admins).
#[tracing::instrument(skip_all, fields(actor.id = %s.actor.person_id(), cycle.id = %request.cycle_id, dry_run = request.dry_run))]
pub async fn import(s: Scope<'_>, ids: &dyn ForeignIds, request: ImportRequest<'_>) -> Result<Report> {
    permissions::require_admin(s.actor, "import OKRs")?;
    let parsed = parse::parse(request.format, request.content);
    let report = write(s, TokenScope::Admin, |w| Box::pin(run(w, ids, &parsed, request))).await?;
    tracing::info!(
        records = parsed.records.len(),
        problems = report.problems.len(),
        imported = report.imported,
        "import checked"
    );
    Ok(report)
}

async fn run(
    w: &mut Work<'_>,
    ids: &dyn ForeignIds,
    parsed: &parse::Parsed,
    request: ImportRequest<'_>,
) -> Result<Report> {
    let cycle = crate::objectives::guards::open_cycle(w.db(), w.org(), request.cycle_id).await?;
    let known = known::load(w, &parsed.records, ids, cycle).await?;
    let mut plan = plan::plan(&parsed.records, &known, ids, w.actor(), w.now());
    let mut problems = parsed.problems.clone();
    problems.append(&mut plan.problems);
    problems.sort_by_key(|p| p.line);
    let created = plan.counts;
    let imported = problems.is_empty() && !request.dry_run;
    if imported {
        apply::apply(w, &plan, &known.cycle, parsed.records.len()).await?;
    }
    Ok(Report { dry_run: request.dry_run, imported, created, problems })
}
