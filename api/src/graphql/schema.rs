//! Building the schema with its limits, and exporting its SDL.

use crate::config::Limits;
use crate::graphql::context::AppData;
use crate::graphql::guard::{DocumentGuard, DocumentLimits, IntrospectionSizes};
use crate::graphql::mutation::Mutation;
use crate::graphql::query::Query;
use crate::graphql::subscription::Subscription;
use async_graphql::{SDLExportOptions, Schema};

/// The Trellis schema type.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with complexity and the document limits of [`DocumentGuard`] (depth among them);
/// introspection and suggestions as configured. `data` is `None` only for SDL export.
pub fn build_schema(limits: &Limits, data: Option<AppData>) -> AppSchema {
    let guard = DocumentLimits {
        max_query_bytes: limits.max_query_bytes,
        max_aliases: limits.max_aliases,
        max_root_fields: limits.max_root_fields,
        max_complexity: limits.max_complexity,
        max_depth: limits.max_depth,
        introspection: limits.introspection,
    };
    let sizes = if limits.introspection { IntrospectionSizes::measure(&bare()) } else { IntrospectionSizes::default() };
    // Depth is the guard's: it leaves introspection out (see `guard::inspect`).
    let mut builder = Schema::build(Query, Mutation::default(), Subscription)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(32)
        .extension(DocumentGuard::new(guard, sizes));
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    if !limits.suggestions {
        builder = builder.disable_suggestions();
    }
    if let Some(data) = data {
        builder = builder.data(data);
    }
    builder.finish()
}

/// The schema without limits or data: what the SDL and introspection sizes are read from.
pub(crate) fn bare() -> AppSchema {
    Schema::build(Query, Mutation::default(), Subscription).finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    bare().sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}
