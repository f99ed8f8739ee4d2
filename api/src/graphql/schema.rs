//! Building the schema with its limits, and exporting its SDL.

use crate::config::Limits;
use crate::graphql::context::AppData;
use crate::graphql::mutation::Mutation;
use crate::graphql::query::Query;
use crate::graphql::subscription::Subscription;
use async_graphql::{SDLExportOptions, Schema};

/// The Trellis schema type.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with depth and complexity bounded; `data` is `None` only for SDL export.
pub fn build_schema(limits: &Limits, data: Option<AppData>) -> AppSchema {
    let mut builder = Schema::build(Query, Mutation::default(), Subscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(32);
    if let Some(data) = data {
        builder = builder.data(data);
    }
    builder.finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(&Limits::default(), None).sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}
