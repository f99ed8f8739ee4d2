//! Parsed queries, remembered by their text: dashboards send the same few queries over
//! and over, and parsing was the largest single cost of a small request (a quarter of
//! the CPU of a team dashboard, measured with perf).

use async_graphql::parser::types::ExecutableDocument;
use std::collections::HashMap;
use std::sync::RwLock;

/// Queries longer than this are not remembered.
const MAX_QUERY: usize = 16 * 1024;
/// Documents held before the cache starts over.
const MAX_DOCUMENTS: usize = 512;

/// A bounded cache of parsed documents.
#[derive(Default)]
pub struct Documents {
    parsed: RwLock<HashMap<String, ExecutableDocument>>,
}

impl Documents {
    /// The parsed document for `query`, if it was seen.
    pub fn get(&self, query: &str) -> Option<ExecutableDocument> {
        self.parsed.read().ok()?.get(query).cloned()
    }

    /// Keeps the request's parsed document for the next time.
    pub fn remember(&self, request: &mut async_graphql::Request) {
        if request.query.len() > MAX_QUERY {
            return;
        }
        let Ok(document) = request.parsed_query() else { return };
        let document = document.clone();
        if let Ok(mut parsed) = self.parsed.write() {
            if parsed.len() >= MAX_DOCUMENTS {
                parsed.clear();
            }
            parsed.entry(request.query.clone()).or_insert(document);
        }
    }
}
