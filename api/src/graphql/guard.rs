//! Limits on a GraphQL document that async-graphql does not have, checked as an
//! extension so that HTTP, Server-Sent Events and WebSocket requests all pass them: the
//! document's size, its aliases, its root fields, and introspection (refused when switched
//! off, otherwise costed like the lists it returns).
//!
//! async-graphql's complexity counts each introspection field as 1 whatever it returns,
//! so `__schema { types { fields { type { fields { … } } } } }` looked cheap while its
//! answer grows with every level. Here each introspection list costs its average length
//! in this schema times its selection, as a connection costs its page size.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation};
use async_graphql::parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet};
use async_graphql::{ErrorExtensions, Name, Positioned, ServerError, ValidationResult, Variables};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The code of every refusal here: the document does not pass the server's rules.
const CODE: &str = "GRAPHQL_VALIDATION_FAILED";

/// The limits this guard enforces, from [`crate::config::Limits`].
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    pub max_query_bytes: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_complexity: usize,
    pub max_depth: usize,
    pub introspection: bool,
}

/// Average lengths of the introspection lists in this schema (rounded up, at least 1).
#[derive(Debug, Clone, Default)]
pub struct IntrospectionSizes {
    lists: HashMap<&'static str, usize>,
}

/// What the sizes are measured with: every list an introspection query can ask for.
const MEASURE: &str = "{ __schema { types { fields(includeDeprecated: true) { args { name } } inputFields { name }
    enumValues(includeDeprecated: true) { name } interfaces { name } possibleTypes { name } }
    directives { args { name } locations } } }";

impl IntrospectionSizes {
    /// Measures `schema` (built without this guard) by asking it for its lists.
    pub fn measure<Q, M, S>(schema: &async_graphql::Schema<Q, M, S>) -> Self
    where
        Q: async_graphql::ObjectType + 'static,
        M: async_graphql::ObjectType + 'static,
        S: async_graphql::SubscriptionType + 'static,
    {
        // Introspection does no I/O: the future completes without a runtime.
        let response = futures::executor::block_on(schema.execute(MEASURE));
        let Ok(data) = response.data.into_json() else { return Self::default() };
        let schema = &data["__schema"];
        let types = items(&schema["types"]);
        let directives = items(&schema["directives"]);
        let fields: Vec<serde_json::Value> = types.iter().flat_map(|t| items(&t["fields"]).to_vec()).collect();
        let args = fields.iter().chain(directives.iter()).map(|f| items(&f["args"]).len()).sum::<usize>();
        let lists = HashMap::from([
            ("types", types.len().max(1)),
            ("directives", directives.len().max(1)),
            ("fields", average_of(types, "fields")),
            ("inputFields", average_of(types, "inputFields")),
            ("enumValues", average_of(types, "enumValues")),
            ("interfaces", average_of(types, "interfaces")),
            ("possibleTypes", average_of(types, "possibleTypes")),
            ("args", args.div_ceil((fields.len() + directives.len()).max(1)).max(1)),
            ("locations", average_of(directives, "locations")),
        ]);
        IntrospectionSizes { lists }
    }

    fn length(&self, field: &str) -> usize {
        self.lists.get(field).copied().unwrap_or(1)
    }
}

/// The average length of `field` over every entry of `list` (rounded up, at least 1): a
/// selection over all types then costs about what it returns. Averages where the list is
/// there at all (objects only) were tried: they priced GraphiQL's own introspection query
/// over the budget, while what matters, the growth with each nested level, is caught
/// either way.
fn average_of(list: &[serde_json::Value], field: &str) -> usize {
    let total: usize = list.iter().map(|t| items(&t[field]).len()).sum();
    total.div_ceil(list.len().max(1)).max(1)
}

fn items(value: &serde_json::Value) -> &[serde_json::Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// The extension factory, added to the schema once.
pub struct DocumentGuard {
    limits: DocumentLimits,
    sizes: Arc<IntrospectionSizes>,
}

impl DocumentGuard {
    /// A guard for `limits`, costing introspection with `sizes`.
    pub fn new(limits: DocumentLimits, sizes: IntrospectionSizes) -> Self {
        DocumentGuard { limits, sizes: Arc::new(sizes) }
    }
}

impl ExtensionFactory for DocumentGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Guard { limits: self.limits, sizes: self.sizes.clone(), extra: AtomicUsize::new(0) })
    }
}

/// One request's guard: what introspection adds to its complexity is found while
/// parsing and added when async-graphql has counted the rest.
struct Guard {
    limits: DocumentLimits,
    sizes: Arc<IntrospectionSizes>,
    extra: AtomicUsize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Guard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> Result<ExecutableDocument, ServerError> {
        check_size(query, self.limits.max_query_bytes)?;
        let document = next.run(ctx, query, variables).await?;
        let extra = inspect(&document, &self.limits, &self.sizes)?;
        self.extra.store(extra, Ordering::Relaxed);
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let total = result.complexity.saturating_add(self.extra.load(Ordering::Relaxed));
        if total > self.limits.max_complexity {
            let max = self.limits.max_complexity;
            let message = format!(
                "the query is too complex: {total} (introspection lists count their length in this schema), over the limit of {max}"
            );
            return Err(vec![refusal(message)]);
        }
        Ok(result)
    }
}

/// Checks a parsed document's aliases, root fields, depth and introspection; returns
/// what its introspection lists add to the complexity async-graphql counts.
///
/// Depth is counted here rather than by async-graphql so that introspection can be left
/// out: the query GraphiQL and code generators send nests 13 deep through `ofType`, and
/// introspection is bounded by its cost instead.
pub fn inspect(
    document: &ExecutableDocument,
    limits: &DocumentLimits,
    sizes: &IntrospectionSizes,
) -> Result<usize, ServerError> {
    check_aliases(document, limits.max_aliases)?;
    let walk = Walk { fragments: &document.fragments, sizes };
    let mut extra = 0usize;
    for (_, operation) in document.operations.iter() {
        let roots = walk.root_fields(&operation.node.selection_set.node);
        if roots.len() > limits.max_root_fields {
            let (max, n) = (limits.max_root_fields, roots.len());
            return Err(refusal(format!("the operation selects {n} root fields, over the limit of {max}")));
        }
        for root in roots {
            let set = &root.selection_set.node;
            if !is_introspection(root) {
                let depth = 1 + walk.depth(set, 0);
                if depth > limits.max_depth {
                    let max = limits.max_depth;
                    return Err(refusal(format!(
                        "the query is nested too deep: {depth} levels, over the limit of {max}"
                    )));
                }
            } else if !limits.introspection {
                return Err(refusal("introspection is disabled on this server".into()));
            } else {
                extra = extra.saturating_add(walk.cost(set, true, 0).saturating_sub(walk.cost(set, false, 0)));
            }
        }
    }
    Ok(extra)
}

/// Refuses a document longer than `max` bytes, before it is parsed.
pub fn check_size(query: &str, max: usize) -> Result<(), ServerError> {
    if query.len() > max {
        return Err(refusal(format!("the query is {} bytes long, over the limit of {max} bytes", query.len())));
    }
    Ok(())
}

fn check_aliases(document: &ExecutableDocument, max: usize) -> Result<(), ServerError> {
    let operations = document.operations.iter().map(|(_, op)| &op.node.selection_set.node);
    let fragments = document.fragments.values().map(|f| &f.node.selection_set.node);
    let aliases: usize = operations.chain(fragments).map(count_aliases).sum();
    if aliases > max {
        return Err(refusal(format!("the document uses {aliases} aliases, over the limit of {max}")));
    }
    Ok(())
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(inline) => count_aliases(&inline.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn is_introspection(field: &async_graphql::parser::types::Field) -> bool {
    matches!(field.name.node.as_str(), "__schema" | "__type")
}

/// Fragment spreads nest at most this deep here; deeper (or cyclic) ones are left to
/// async-graphql's validation, which refuses cycles.
const MAX_SPREADS: usize = 16;

/// Walks selection sets through their fragments.
struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    sizes: &'a IntrospectionSizes,
}

impl<'a> Walk<'a> {
    /// The fields an operation selects at its root, through fragments.
    fn root_fields(&self, set: &'a SelectionSet) -> Vec<&'a async_graphql::parser::types::Field> {
        let mut found = Vec::new();
        self.collect_roots(set, 0, &mut found);
        found
    }

    fn collect_roots(
        &self,
        set: &'a SelectionSet,
        spreads: usize,
        found: &mut Vec<&'a async_graphql::parser::types::Field>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => found.push(&field.node),
                Selection::InlineFragment(inline) => {
                    self.collect_roots(&inline.node.selection_set.node, spreads, found)
                }
                Selection::FragmentSpread(spread) if spreads < MAX_SPREADS => {
                    if let Some(fragment) = self.fragments.get(&spread.node.fragment_name.node) {
                        self.collect_roots(&fragment.node.selection_set.node, spreads + 1, found);
                    }
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }

    /// How deep a selection nests below its field, through fragments.
    fn depth(&self, set: &SelectionSet, spreads: usize) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => 1 + self.depth(&field.node.selection_set.node, spreads),
                Selection::InlineFragment(inline) => self.depth(&inline.node.selection_set.node, spreads),
                Selection::FragmentSpread(spread) if spreads < MAX_SPREADS => self
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |f| self.depth(&f.node.selection_set.node, spreads + 1)),
                Selection::FragmentSpread(_) => 0,
            })
            .max()
            .unwrap_or(0)
    }

    /// A selection's cost: each field 1 plus its children, introspection lists × their
    /// length when `sized` (async-graphql's count when not).
    fn cost(&self, set: &SelectionSet, sized: bool, spreads: usize) -> usize {
        set.items.iter().fold(0usize, |total, item| {
            let cost = match &item.node {
                Selection::Field(field) => {
                    let children = self.cost(&field.node.selection_set.node, sized, spreads);
                    let length = if sized { self.sizes.length(field.node.name.node.as_str()) } else { 1 };
                    length.saturating_mul(children.saturating_add(1))
                }
                Selection::InlineFragment(inline) => self.cost(&inline.node.selection_set.node, sized, spreads),
                Selection::FragmentSpread(spread) if spreads < MAX_SPREADS => self
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |f| self.cost(&f.node.selection_set.node, sized, spreads + 1)),
                Selection::FragmentSpread(_) => 0,
            };
            total.saturating_add(cost)
        })
    }
}

fn refusal(message: String) -> ServerError {
    let mut error = ServerError::new(message.clone(), None);
    error.extensions = async_graphql::Error::new(message).extend_with(|_, e| e.set("code", CODE)).extensions;
    error
}

/// The introspection query GraphiQL and code generators send (graphql-js
/// `getIntrospectionQuery()`): it must always fit the default limits.
pub const GRAPHIQL_INTROSPECTION: &str = r#"query IntrospectionQuery { __schema { queryType { name } mutationType { name }
      subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
    fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description
      args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue }
      interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
      possibleTypes { ...TypeRef } }
    fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
    fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DocumentLimits {
        let defaults = crate::config::Limits::default();
        DocumentLimits {
            max_query_bytes: defaults.max_query_bytes,
            max_aliases: defaults.max_aliases,
            max_root_fields: defaults.max_root_fields,
            max_complexity: defaults.max_complexity,
            max_depth: defaults.max_depth,
            introspection: true,
        }
    }

    fn extra(query: &str) -> Result<usize, ServerError> {
        let sizes = IntrospectionSizes::measure(&crate::graphql::schema::bare());
        let document = async_graphql::parser::parse_query(query).expect("a valid query");
        inspect(&document, &limits(), &sizes)
    }

    #[test]
    fn graphiqls_introspection_costs_less_than_the_default_budget() {
        // It grows with the schema (about 300 per type): when this fails, the schema has
        // outgrown the default budget, and GraphiQL's docs would be refused.
        let extra = extra(GRAPHIQL_INTROSPECTION).expect("no refusal");
        assert!(extra > 1_000 && extra < limits().max_complexity, "{extra}");
    }

    #[test]
    fn nested_introspection_costs_what_it_returns() {
        let nested = "{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }";
        let extra = extra(nested).expect("no refusal");
        assert!(extra > limits().max_complexity, "{extra}");
    }

    #[test]
    fn depth_leaves_introspection_out() {
        let deep = "{ a { b { c { d { e { f { g { h { i { j { k { l { m } } } } } } } } } } } } }";
        let refused = extra(deep).expect_err("13 levels");
        assert!(refused.message.contains("nested too deep: 13 levels"), "{}", refused.message);
        assert!(extra("{ a { b { c { d { e { f { g { h { i { j { k { l } } } } } } } } } } } }").is_ok());
    }
}
