//! OKR files: their format, an import's answer and an export. The file format itself is
//! the service's (`service::transfer`); ids in a file are the global ids clients see.

use crate::graphql::ids::{self, Kind};
use async_graphql::{Enum, SimpleObject};
use service::objectives::ObjectiveOrKeyResult;
use service::transfer::{self as transfer, ForeignIds};

/// How an OKR file is written.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OkrFileFormat {
    /// A header naming the columns, then one record per line.
    Csv,
    /// `{"version": 1, "records": [{"kind": …}, …]}`, one record object per line.
    Json,
}

impl From<OkrFileFormat> for transfer::Format {
    fn from(format: OkrFileFormat) -> Self {
        match format {
            OkrFileFormat::Csv => transfer::Format::Csv,
            OkrFileFormat::Json => transfer::Format::Json,
        }
    }
}

/// A record of an imported file that was refused, and why.
#[derive(SimpleObject)]
pub struct ImportProblem {
    /// The line the record starts on (line 1 of a CSV file is its header).
    pub line: i32,
    /// The column at fault; null when the line as a whole is.
    pub field: Option<String>,
    /// The code the same refusal carries anywhere else (`NOT_MEASURABLE`, …).
    pub code: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl From<transfer::Problem> for ImportProblem {
    fn from(problem: transfer::Problem) -> Self {
        ImportProblem {
            line: i32::try_from(problem.line).unwrap_or(i32::MAX),
            field: problem.field,
            code: problem.code.to_owned(),
            message: problem.message,
        }
    }
}

/// How many rows of each kind an import creates (or would create).
#[derive(SimpleObject)]
pub struct ImportCounts {
    pub teams: i32,
    pub people: i32,
    pub memberships: i32,
    pub objectives: i32,
    pub key_results: i32,
    pub check_ins: i32,
}

impl From<transfer::Counts> for ImportCounts {
    fn from(c: transfer::Counts) -> Self {
        let n = |count: usize| i32::try_from(count).unwrap_or(i32::MAX);
        ImportCounts {
            teams: n(c.teams),
            people: n(c.people),
            memberships: n(c.memberships),
            objectives: n(c.objectives),
            key_results: n(c.key_results),
            check_ins: n(c.check_ins),
        }
    }
}

/// A cycle's OKRs as a file that `importOkrs` reads back.
#[derive(SimpleObject)]
pub struct OkrExport {
    pub format: OkrFileFormat,
    /// The file.
    pub content: String,
    /// How many records it holds.
    pub records: i32,
}

/// Objectives and key results outside a file are named by their global ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct GlobalIds;

impl ForeignIds for GlobalIds {
    fn decode(&self, text: &str) -> Option<ObjectiveOrKeyResult> {
        match ids::decode(text)? {
            (Kind::Objective, id) => Some(ObjectiveOrKeyResult::Objective(id)),
            (Kind::KeyResult, id) => Some(ObjectiveOrKeyResult::KeyResult(id)),
            _ => None,
        }
    }

    fn encode(&self, id: ObjectiveOrKeyResult) -> String {
        match id {
            ObjectiveOrKeyResult::Objective(id) => ids::encode(Kind::Objective, id).0,
            ObjectiveOrKeyResult::KeyResult(id) => ids::encode(Kind::KeyResult, id).0,
        }
    }
}
