//! Building the schema with its limits, and exporting its SDL.

use crate::config::Limits;
use crate::graphql::context::AppData;
use crate::graphql::guard::{DocumentGuard, DocumentLimits, IntrospectionSizes, inspect};
use crate::graphql::mutation::Mutation;
use crate::graphql::query::Query;
use crate::graphql::subscription::Subscription;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{SDLExportOptions, Schema, SchemaBuilder, ServerError};
use std::sync::Arc;

/// The Trellis schema type.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema, built twice from the same settings. async-graphql runs every field of a
/// request through the extensions when a schema has any, which cost a tree request about
/// a sixth of its throughput (`bench/telemetry`); so HTTP requests are checked against the
/// [`DocumentGuard`]'s rules before execution ([`Schemas::check`]) and run on `lean`, a
/// schema without it, unless they ask for introspection, whose cost only the guard's
/// validation hook can add up. WebSocket and SSE operations run on `guarded`.
#[derive(Clone)]
pub struct Schemas {
    pub guarded: AppSchema,
    pub lean: AppSchema,
    limits: DocumentLimits,
    sizes: Arc<IntrospectionSizes>,
}

impl Schemas {
    /// Both schemas with complexity and the document limits of [`DocumentGuard`] (depth
    /// among them); introspection and suggestions as configured. `data` is `None` only for
    /// SDL export.
    pub fn build(limits: &Limits, data: Option<AppData>) -> Self {
        let guard = DocumentLimits {
            max_query_bytes: limits.max_query_bytes,
            max_aliases: limits.max_aliases,
            max_root_fields: limits.max_root_fields,
            max_complexity: limits.max_complexity,
            max_depth: limits.max_depth,
            introspection: limits.introspection,
        };
        let sizes =
            if limits.introspection { IntrospectionSizes::measure(&bare()) } else { IntrospectionSizes::default() };
        let guarded = builder(limits, data.clone()).extension(DocumentGuard::new(guard, sizes.clone())).finish();
        let lean = builder(limits, data).finish();
        Schemas { guarded, lean, limits: guard, sizes: Arc::new(sizes) }
    }

    /// The schema that runs a parsed `document` which passed the guard's rules, or the
    /// refusal: `lean` unless the document asks for introspection.
    pub fn check(&self, document: &ExecutableDocument) -> Result<&AppSchema, ServerError> {
        let introspection_cost = inspect(document, &self.limits, &self.sizes)?;
        Ok(if introspection_cost > 0 { &self.guarded } else { &self.lean })
    }
}

/// The schema with the native limits (complexity, recursion, directives); depth is the
/// guard's: it leaves introspection out (see `guard::inspect`).
fn builder(limits: &Limits, data: Option<AppData>) -> SchemaBuilder<Query, Mutation, Subscription> {
    let mut builder = Schema::build(Query, Mutation::default(), Subscription)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(32);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.suggestions {
        builder = builder.disable_suggestions();
    }
    if let Some(data) = data {
        builder = builder.data(data);
    }
    builder
}

/// The schema without limits or data: what the SDL and introspection sizes are read from.
pub(crate) fn bare() -> AppSchema {
    Schema::build(Query, Mutation::default(), Subscription).finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    bare().sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}
