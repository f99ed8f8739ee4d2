//! Keyset pagination over time-ordered ids, for Relay connections.
//!
//! Ids are UUIDv7, so ordering by id is ordering by creation; a cursor is the id of the
//! row it points at, and a page is `id > after` (or `id < before`), never an offset.

use crate::tenant::{Scoped, Tenant};
use crate::{Error, Result};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use uuid::Uuid;

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;
/// The page size when the client gives neither `first` nor `last`.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// A client's page request, already decoded from cursors.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest {
    pub first: Option<u64>,
    pub after: Option<Uuid>,
    pub last: Option<u64>,
    pub before: Option<Uuid>,
}

/// One page of rows, in ascending id order.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_previous: bool,
    pub has_next: bool,
}

impl PageRequest {
    /// The number of rows asked for, checked against [`MAX_PAGE_SIZE`].
    pub fn size(&self) -> Result<u64> {
        if self.first.is_some() && self.last.is_some() {
            return Err(Error::BadUserInput("give either `first` or `last`, not both".into()));
        }
        let size = self.first.or(self.last).unwrap_or(DEFAULT_PAGE_SIZE);
        if size > MAX_PAGE_SIZE {
            return Err(Error::BadUserInput(format!(
                "a page holds at most {MAX_PAGE_SIZE} items; ask for fewer and follow `pageInfo.endCursor`"
            )));
        }
        Ok(size)
    }

    /// Whether the client pages backwards from the end.
    fn backwards(&self) -> bool {
        self.last.is_some()
    }
}

/// Runs a scoped query one page at a time.
pub async fn paginate<E: Tenant>(
    db: &impl ConnectionTrait,
    select: Scoped<E>,
    request: PageRequest,
) -> Result<Page<E::Model>> {
    let size = request.size()?;
    let mut query = select.into_select();
    if let Some(after) = request.after {
        query = query.filter(E::ID.gt(after));
    }
    if let Some(before) = request.before {
        query = query.filter(E::ID.lt(before));
    }
    // `scoped` orders ascending; a backwards page reads the tail in reverse.
    let query = if request.backwards() {
        QueryTrait::query(&mut query).clear_order_by();
        query.order_by_desc(E::ID)
    } else {
        query
    };
    let mut items = query.limit(size + 1).all(db).await?;
    let more = items.len() as u64 > size;
    items.truncate(size as usize);
    if request.backwards() {
        items.reverse();
        Ok(Page { items, has_previous: more, has_next: request.before.is_some() })
    } else {
        Ok(Page { items, has_previous: request.after.is_some(), has_next: more })
    }
}

/// Counts what `select` matches, for `totalCount`.
pub async fn count<E: Tenant>(db: &DatabaseConnection, select: Scoped<E>) -> Result<u64> {
    select.count(db).await
}

/// Pages through rows already in memory (a nested list loaded in one batch for many
/// parents), using the same cursor rules as [`paginate`]. `id_of` gives each row's id;
/// rows must be in the order the client sees them.
pub fn page_in_memory<T>(rows: Vec<T>, request: PageRequest, id_of: impl Fn(&T) -> Uuid) -> Result<Page<T>> {
    let size = request.size()? as usize;
    let start = match request.after {
        Some(after) => rows.iter().position(|r| id_of(r) == after).map_or(0, |i| i + 1),
        None => 0,
    };
    let end = match request.before {
        Some(before) => rows.iter().position(|r| id_of(r) == before).unwrap_or(rows.len()),
        None => rows.len(),
    }
    .max(start);
    let (from, to) =
        if request.backwards() { (end.saturating_sub(size).max(start), end) } else { (start, (start + size).min(end)) };
    let has_previous = from > 0;
    let has_next = to < rows.len();
    let items = rows.into_iter().skip(from).take(to - from).collect();
    Ok(Page { items, has_previous, has_next })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<Uuid> {
        (0..n).map(|_| Uuid::now_v7()).collect()
    }

    #[test]
    fn in_memory_pages_forward_and_backward() {
        let rows = ids(5);
        let first = page_in_memory(rows.clone(), PageRequest { first: Some(2), ..Default::default() }, |r| *r).unwrap();
        assert_eq!(first.items, rows[..2]);
        assert!(first.has_next && !first.has_previous);
        let next = page_in_memory(
            rows.clone(),
            PageRequest { first: Some(2), after: Some(rows[1]), ..Default::default() },
            |r| *r,
        )
        .unwrap();
        assert_eq!(next.items, rows[2..4]);
        let tail = page_in_memory(rows.clone(), PageRequest { last: Some(2), ..Default::default() }, |r| *r).unwrap();
        assert_eq!(tail.items, rows[3..]);
        assert!(tail.has_previous && !tail.has_next);
    }

    #[test]
    fn oversized_pages_are_refused() {
        let request = PageRequest { first: Some(MAX_PAGE_SIZE + 1), ..Default::default() };
        assert_eq!(request.size().unwrap_err().code(), "BAD_USER_INPUT");
    }
}
