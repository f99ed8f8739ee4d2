//! Relay connections: cursors are global ids, pages come from keyset queries (top-level
//! lists) or from rows already batch-loaded for many parents (nested lists).

use crate::graphql::error::{GqlResult, bad_input};
use crate::graphql::ids::{self, Kind};
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Object, Result};
use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;
use service::pagination::{self, Page, PageRequest};
use service::tenant::Scoped;
use service::tenant::Tenant;
use std::sync::Arc;
use uuid::Uuid;

/// A connection of `N` with `totalCount`.
pub type Conn<N> = Connection<Cursor, N, Totals, EmptyFields>;

/// An edge's cursor: its node's global id, encoded only when a client reads it (most
/// queries read nodes, not cursors).
pub struct Cursor(Kind, Uuid);

impl CursorType for Cursor {
    type Error = String;

    fn decode_cursor(s: &str) -> std::result::Result<Self, String> {
        ids::decode(s).map(|(kind, id)| Cursor(kind, id)).ok_or_else(|| format!("{s:?} is not a cursor"))
    }

    fn encode_cursor(&self) -> String {
        ids::encode(self.0, self.1).0
    }
}

type Counter = Arc<dyn Fn() -> BoxFuture<'static, service::Result<u64>> + Send + Sync>;

/// The connection's `totalCount`, counted only when a client asks for it.
pub struct Totals(Totals_);

enum Totals_ {
    Known(u64),
    Lazy(Counter),
}

#[Object]
impl Totals {
    /// How many items the whole list holds, across all pages.
    async fn total_count(&self) -> Result<u64> {
        match &self.0 {
            Totals_::Known(count) => Ok(*count),
            Totals_::Lazy(count) => count().await.gql(),
        }
    }
}

/// Connection arguments, as a client sends them.
#[derive(Debug, Default, Clone)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    /// Collects the four Relay arguments.
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Self {
        PageArgs { first, after, last, before }
    }

    /// The arguments of a field the query selects (for looking ahead); `None` when they
    /// are not what the schema accepts, which the field's resolver then reports.
    pub fn of_field(field: &async_graphql::SelectionField<'_>) -> Option<PageArgs> {
        let mut args = PageArgs::default();
        for (name, value) in field.arguments().ok()? {
            match (name.as_str(), value) {
                (_, async_graphql::Value::Null) => {}
                ("first", async_graphql::Value::Number(n)) => args.first = Some(i32::try_from(n.as_i64()?).ok()?),
                ("last", async_graphql::Value::Number(n)) => args.last = Some(i32::try_from(n.as_i64()?).ok()?),
                ("after", async_graphql::Value::String(c)) => args.after = Some(c),
                ("before", async_graphql::Value::String(c)) => args.before = Some(c),
                _ => return None,
            }
        }
        Some(args)
    }

    /// The size of the page when these arguments ask for the newest items (no cursor, no
    /// `last`), which can be read for many parents in one statement.
    pub fn newest(&self, kind: Kind) -> Result<Option<u64>> {
        if self.after.is_some() || self.before.is_some() || self.last.is_some() {
            return Ok(None);
        }
        Ok(Some(self.request(kind)?.size().gql()?))
    }

    /// What a page of `first` (or `last`) items of `child` complexity each costs. The page
    /// size counts at most one over the largest page (a larger one is refused anyway), and
    /// the product saturates far below where the schema's sums could overflow.
    pub fn complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
        let size = first.or(last).map_or(pagination::DEFAULT_PAGE_SIZE as usize, |n| n.max(0) as usize);
        bounded_product(size.min(pagination::MAX_PAGE_SIZE as usize + 1), child)
    }

    /// Decodes cursors of `kind` and checks the sizes.
    pub fn request(&self, kind: Kind) -> Result<PageRequest> {
        let size = |n: Option<i32>, name: &str| match n {
            Some(n) if n < 0 => Err(bad_input(format!("`{name}` must not be negative"))),
            n => Ok(n.map(|n| n as u64)),
        };
        let cursor = |c: &Option<String>| -> Result<Option<Uuid>> {
            c.as_ref().map(|c| ids::expect(kind, &async_graphql::ID(c.clone()))).transpose()
        };
        let request = PageRequest {
            first: size(self.first, "first")?,
            after: cursor(&self.after)?,
            last: size(self.last, "last")?,
            before: cursor(&self.before)?,
        };
        request.size().gql()?;
        Ok(request)
    }
}

fn build<M, N>(page: Page<M>, kind: Kind, id_of: impl Fn(&M) -> Uuid, node: impl Fn(M) -> N, totals: Totals) -> Conn<N>
where
    N: async_graphql::OutputType,
{
    let mut connection = Connection::with_additional_fields(page.has_previous, page.has_next, totals);
    connection.edges = page.items.into_iter().map(|item| Edge::new(Cursor(kind, id_of(&item)), node(item))).collect();
    connection
}

/// A top-level list: one keyset query per page, `totalCount` on demand.
pub async fn from_query<E, N>(
    db: &DatabaseConnection,
    select: Scoped<E>,
    args: &PageArgs,
    kind: Kind,
    node: impl Fn(Arc<E::Model>) -> N,
) -> Result<Conn<N>>
where
    E: Tenant,
    N: async_graphql::OutputType,
{
    let request = args.request(kind)?;
    let page = pagination::paginate(db, select.clone(), request).await.gql()?;
    let page: Page<Arc<E::Model>> = Page {
        items: page.items.into_iter().map(Arc::new).collect(),
        has_previous: page.has_previous,
        has_next: page.has_next,
    };
    let db = db.clone();
    let counter: Counter = Arc::new(move || {
        let db = db.clone();
        let select = select.clone();
        Box::pin(async move { pagination::count(&db, select).await })
    });
    Ok(build(page, kind, |row: &Arc<E::Model>| E::id_of(row), node, Totals(Totals_::Lazy(counter))))
}

/// A nested list whose rows were batch-loaded for many parents at once.
pub fn from_rows<M, N>(
    rows: Vec<M>,
    args: &PageArgs,
    kind: Kind,
    id_of: impl Fn(&M) -> Uuid + Copy,
    node: impl Fn(M) -> N,
) -> Result<Conn<N>>
where
    N: async_graphql::OutputType,
{
    let total = rows.len() as u64;
    let page = pagination::page_in_memory(rows, args.request(kind)?, id_of).gql()?;
    Ok(build(page, kind, id_of, node, Totals(Totals_::Known(total))))
}

/// The first page of a nested list whose rows and total are already known (the newest
/// rows, read with a per-parent limit).
pub fn first_page<M, N>(
    rows: Vec<M>,
    total: u64,
    kind: Kind,
    id_of: impl Fn(&M) -> Uuid,
    node: impl Fn(M) -> N,
) -> Conn<N>
where
    N: async_graphql::OutputType,
{
    let has_next = (rows.len() as u64) < total;
    let page = Page { items: rows, has_previous: false, has_next };
    build(page, kind, id_of, node, Totals(Totals_::Known(total)))
}

/// The largest complexity a field reports: far over any limit, far under `usize::MAX`, so
/// that summing many such fields cannot overflow either.
const COMPLEXITY_CEILING: usize = 1 << 40;

/// `count × each`, at most 2⁴⁰ (far over any limit, far from overflowing a sum).
pub fn bounded_product(count: usize, each: usize) -> usize {
    count.saturating_mul(each).min(COMPLEXITY_CEILING)
}
