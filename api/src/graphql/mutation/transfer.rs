//! Importing an OKR file (organization admins).

use crate::graphql::context::scope;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, expect};
use crate::graphql::mutation::written;
use crate::graphql::transfer::{GlobalIds, ImportCounts, ImportProblem, OkrFileFormat};
use crate::payload;
use async_graphql::{Context, ID, InputObject, Object, Result};
use service::transfer::{self, ImportRequest};

/// The import mutation.
#[derive(Default)]
pub struct TransferMutation;

/// An OKR file to import into a cycle (the README describes the format).
#[derive(InputObject)]
pub struct ImportOkrsInput {
    pub client_mutation_id: Option<String>,
    /// The cycle the file's objectives go into; it must not be closed.
    pub cycle_id: ID,
    pub format: OkrFileFormat,
    /// The file itself.
    pub content: String,
    /// Check everything and answer as an import would, writing nothing.
    #[graphql(default)]
    pub dry_run: bool,
}

payload!(
    /// What the import did, or would do: every refused record is in `problems`, and any
    /// problem means nothing was written.
    ImportOkrsPayload {
        dry_run: bool,
        /// Whether the file was written: it had no problem and this was no dry run.
        imported: bool,
        /// The rows the file creates; teams, people and memberships that exist already
        /// are kept as they are.
        created: ImportCounts,
        /// Every problem of every record, in file order.
        problems: Vec<ImportProblem>,
    }
);

#[Object]
impl TransferMutation {
    /// Imports teams, memberships, objectives with their alignment, key results and
    /// check-ins from a file into a cycle, all or nothing (admins).
    async fn import_okrs(&self, ctx: &Context<'_>, input: ImportOkrsInput) -> Result<ImportOkrsPayload> {
        let s = scope(ctx)?;
        let request = ImportRequest {
            cycle_id: expect(Kind::Cycle, &input.cycle_id)?,
            format: input.format.into(),
            content: &input.content,
            dry_run: input.dry_run,
        };
        let report = transfer::import(s.service(), &GlobalIds, request).await.gql()?;
        Ok(written(
            &s,
            ImportOkrsPayload {
                client_mutation_id: input.client_mutation_id,
                dry_run: report.dry_run,
                imported: report.imported,
                created: report.created.into(),
                problems: report.problems.into_iter().map(Into::into).collect(),
            },
        ))
    }
}
