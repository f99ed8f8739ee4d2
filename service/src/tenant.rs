//! Tenant-scoped reads shared by every entity: every query starts with the actor's
//! organization, so an id from another tenant behaves exactly like one that does not
//! exist.

use crate::{Actor, Result};
use entity::*;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, sea_query::IntoCondition,
};
use std::collections::HashMap;
use uuid::Uuid;

/// An organization id taken from a verified [`Actor`]: the only key that opens tenant
/// tables. It cannot be made from a bare id outside this crate, so every query in this
/// module is scoped to an organization someone was verified into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Org(Uuid);

impl Org {
    /// Only the identity lookup makes one, from the organization a token names.
    pub(crate) fn verified(id: Uuid) -> Self {
        Org(id)
    }

    /// The organization's id.
    pub fn id(self) -> Uuid {
        self.0
    }
}

/// Whatever carries a verified organization: an [`Actor`] or an [`Org`] taken from one.
pub trait Owner {
    /// The organization.
    fn org(&self) -> Org;
}

impl Owner for Org {
    fn org(&self) -> Org {
        *self
    }
}

impl Owner for Actor {
    fn org(&self) -> Org {
        Actor::org(self)
    }
}

impl<T: Owner + ?Sized> Owner for &T {
    fn org(&self) -> Org {
        (**self).org()
    }
}

/// An entity that belongs to one organization.
pub trait Tenant:
    EntityTrait<
        Model: Send + Sync + IntoActiveModel<Self::ActiveModel>,
        ActiveModel: Send + ActiveModelTrait<Entity = Self>,
    >
{
    /// The entity's name in messages (`objective`, `key result`).
    const NAME: &'static str;
    /// Its `organization_id` column.
    const ORG: Self::Column;
    /// Its primary key column.
    const ID: Self::Column;
    /// The primary key of a row.
    fn id_of(model: &Self::Model) -> Uuid;
    /// Puts a new row into `org`.
    fn place(model: &mut Self::Model, org: Org);
}

macro_rules! tenant {
    ($module:ident, $name:literal) => {
        impl Tenant for $module::Entity {
            const NAME: &'static str = $name;
            const ORG: Self::Column = $module::Column::OrganizationId;
            const ID: Self::Column = $module::Column::Id;
            fn id_of(model: &Self::Model) -> Uuid {
                model.id
            }
            fn place(model: &mut Self::Model, org: Org) {
                model.organization_id = org.id();
            }
        }
    };
}

tenant!(person, "person");
tenant!(team, "team");
tenant!(membership, "membership");
tenant!(cycle, "cycle");
tenant!(objective, "objective");
tenant!(key_result, "key result");
tenant!(check_in, "check-in");
tenant!(initiative, "initiative");
tenant!(dependency, "dependency");
tenant!(team_week, "team week");
tenant!(theme, "theme");
tenant!(webhook, "webhook");
tenant!(webhook_delivery, "webhook delivery");
tenant!(webhook_attempt, "webhook attempt");
tenant!(objective_theme, "objective theme");
tenant!(audit_event, "audit event");

/// A query of `E` that can only ever see one organization's rows: it is made by
/// [`scoped`] and narrowed by [`Scoped::filter`], never widened.
#[derive(Debug, Clone)]
pub struct Scoped<E: Tenant>(Select<E>);

impl<E: Tenant> Scoped<E> {
    /// Narrows the query.
    pub fn filter(self, condition: impl IntoCondition) -> Self {
        Scoped(self.0.filter(condition))
    }

    /// Locks the rows read until the transaction ends (`FOR UPDATE` on PostgreSQL;
    /// SQLite's write transactions are serialized already).
    pub fn locked(self) -> Self {
        Scoped(self.0.lock_exclusive())
    }

    /// Every matching row, oldest first.
    pub async fn all(self, db: &impl ConnectionTrait) -> Result<Vec<E::Model>> {
        Ok(self.0.all(db).await?)
    }

    /// The first matching row.
    pub async fn one(self, db: &impl ConnectionTrait) -> Result<Option<E::Model>> {
        Ok(self.0.one(db).await?)
    }

    /// How many rows match.
    pub async fn count(self, db: &impl ConnectionTrait) -> Result<u64> {
        Ok(self.0.count(db).await?)
    }

    /// The query itself, for pagination; it stays scoped, since it can only be narrowed.
    pub(crate) fn into_select(self) -> Select<E> {
        self.0
    }
}

/// Every row of `E` in the owner's organization, oldest first.
pub fn scoped<E: Tenant>(owner: impl Owner) -> Scoped<E> {
    Scoped(E::find().filter(E::ORG.eq(owner.org().id())).order_by_asc(E::ID))
}

/// Inserts a new row into the owner's organization (whatever organization the row said).
pub(crate) async fn insert<E: Tenant>(db: &impl ConnectionTrait, owner: impl Owner, mut row: E::Model) -> Result<()> {
    E::place(&mut row, owner.org());
    E::insert(row.into_active_model()).exec_without_returning(db).await?;
    Ok(())
}

/// Inserts many new rows into the owner's organization, in statements of at most
/// `chunk` rows (SQLite binds at most 32,766 values per statement).
pub(crate) async fn insert_many<E: Tenant>(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    rows: impl IntoIterator<Item = E::Model>,
    chunk: usize,
) -> Result<()> {
    let org = owner.org();
    let rows: Vec<E::ActiveModel> = rows
        .into_iter()
        .map(|mut row| {
            E::place(&mut row, org);
            row.into_active_model()
        })
        .collect();
    for part in rows.chunks(chunk.max(1)) {
        E::insert_many(part.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Stores the changed columns of `row`, if it is the owner's; returns the row as stored.
pub(crate) async fn update<E: Tenant>(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    row: E::ActiveModel,
) -> Result<E::Model> {
    let update = E::update(row).validate()?.filter(E::ORG.eq(owner.org().id()));
    Ok(update.exec(db).await?)
}

/// Sets `columns` on the owner's rows matching `condition`.
pub(crate) async fn update_where<E: Tenant>(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    columns: Vec<(E::Column, SimpleExpr)>,
    condition: impl IntoCondition,
) -> Result<u64> {
    let mut update = E::update_many().filter(E::ORG.eq(owner.org().id())).filter(condition);
    for (column, value) in columns {
        update = update.col_expr(column, value);
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Deletes the owner's row `id`, or answers NOT_FOUND.
pub(crate) async fn delete<E: Tenant>(db: &impl ConnectionTrait, owner: impl Owner, id: Uuid) -> Result<()> {
    let deleted = E::delete_many().filter(E::ORG.eq(owner.org().id())).filter(E::ID.eq(id)).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(crate::Error::not_found(E::NAME, id));
    }
    Ok(())
}

/// The organization itself: the root every tenant row hangs from.
pub async fn organization(db: &impl ConnectionTrait, owner: impl Owner) -> Result<organization::Model> {
    let org = owner.org().id();
    organization::Entity::find_by_id(org).one(db).await?.ok_or_else(|| crate::Error::not_found("organization", org))
}

/// Stores the changed columns of the owner's organization.
pub async fn update_organization(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    row: organization::ActiveModel,
) -> Result<organization::Model> {
    let update = organization::Entity::update(row).validate()?.filter(organization::Column::Id.eq(owner.org().id()));
    Ok(update.exec(db).await?)
}

/// `column IN (ids)`. On PostgreSQL it is `= ANY($1)` with one array parameter: one
/// statement text whatever the number of ids, so the connection's prepared statement is
/// reused, where an `IN` list of each new length is parsed and planned afresh (and
/// pushes others out of the statement cache).
pub fn one_of(backend: DbBackend, column: impl ColumnTrait, ids: &[Uuid]) -> SimpleExpr {
    if backend == DbBackend::Postgres && !ids.is_empty() {
        column.eq_any(ids.iter().copied())
    } else {
        column.is_in(ids.iter().copied())
    }
}

/// `ids` as one PostgreSQL `uuid[]` parameter.
fn uuid_array(ids: &[Uuid]) -> sea_orm::Value {
    let values = ids.iter().map(|id| sea_orm::Value::from(*id)).collect();
    sea_orm::Value::Array(sea_orm::sea_query::ArrayType::Uuid, Some(Box::new(values)))
}

/// One row by id, or NOT_FOUND.
pub async fn get<E: Tenant>(db: &impl ConnectionTrait, owner: impl Owner, id: Uuid) -> Result<E::Model> {
    scoped::<E>(owner).filter(E::ID.eq(id)).one(db).await?.ok_or_else(|| crate::Error::not_found(E::NAME, id))
}

/// One row by id, locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's
/// write transactions are serialized already), or NOT_FOUND.
pub async fn lock<E: Tenant>(db: &impl ConnectionTrait, owner: impl Owner, id: Uuid) -> Result<E::Model> {
    scoped::<E>(owner).filter(E::ID.eq(id)).locked().one(db).await?.ok_or_else(|| crate::Error::not_found(E::NAME, id))
}

/// The rows with these ids, keyed by id; unknown and foreign ids are simply absent.
pub async fn by_ids<E: Tenant>(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, E::Model>> {
    let backend = db.get_database_backend();
    let rows = scoped::<E>(owner).filter(one_of(backend, E::ID, ids)).all(db).await?;
    Ok(rows.into_iter().map(|row| (E::id_of(&row), row)).collect())
}

/// The rows whose `parent` column holds one of `parent_ids`, grouped by that parent,
/// oldest first within each group; `extra` narrows the rows further.
pub async fn children<E: Tenant>(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    parent: E::Column,
    parent_ids: &[Uuid],
    parent_of: impl Fn(&E::Model) -> Option<Uuid>,
    extra: Option<SimpleExpr>,
) -> Result<HashMap<Uuid, Vec<E::Model>>> {
    let mut select = scoped::<E>(owner).filter(one_of(db.get_database_backend(), parent, parent_ids));
    if let Some(extra) = extra {
        select = select.filter(extra);
    }
    let rows = select.all(db).await?;
    let mut grouped: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
    for row in rows {
        if let Some(parent_id) = parent_of(&row) {
            grouped.entry(parent_id).or_default().push(row);
        }
    }
    Ok(grouped)
}

/// The newest `limit` check-ins of each key result in `key_result_ids`, newest first:
/// one statement, however many key results, without reading older check-ins.
pub async fn latest_check_ins(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    key_result_ids: &[Uuid],
    limit: u64,
) -> Result<HashMap<Uuid, Vec<check_in::Model>>> {
    use sea_orm::{Statement, Value};
    if key_result_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![owner.org().id().into()];
    let sql = if backend == DbBackend::Postgres {
        // One index probe per key result: a window over all their check-ins sorted them
        // all, which cost PostgreSQL twice the rest of a tree request.
        values.push(uuid_array(key_result_ids));
        "SELECT c.* FROM unnest($2) AS k(id) CROSS JOIN LATERAL (SELECT * FROM check_ins \
         WHERE key_result_id = k.id AND organization_id = $1 ORDER BY recorded_at DESC, id DESC LIMIT $3) c"
            .to_owned()
    } else {
        values.extend(key_result_ids.iter().map(|id| Value::from(*id)));
        format!(
            "SELECT * FROM (SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.key_result_id \
             ORDER BY c.recorded_at DESC, c.id DESC) AS position FROM check_ins c \
             WHERE c.organization_id = ? AND c.key_result_id IN ({})) latest WHERE position <= ? \
             ORDER BY key_result_id, position",
            vec!["?"; key_result_ids.len()].join(", ")
        )
    };
    values.push((limit as i64).into());
    let rows =
        check_in::Entity::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, values)).all(db).await?;
    let mut grouped: HashMap<Uuid, Vec<check_in::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.key_result_id).or_default().push(row);
    }
    Ok(grouped)
}

/// A tenant table whose rows hang from a parent row of the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hierarchy {
    /// Objectives aligned to a parent objective.
    Objectives,
    /// Teams inside a parent team.
    Teams,
}

impl Hierarchy {
    fn table_and_parent(self) -> (&'static str, &'static str) {
        match self {
            Hierarchy::Objectives => ("objectives", "parent_objective_id"),
            Hierarchy::Teams => ("teams", "parent_id"),
        }
    }
}

/// Chains are never walked deeper than this (alignment and team moves refuse loops; this
/// bounds bad data).
pub const MAX_CHAIN: u32 = 64;

/// `id` and the ids of its ancestors in `hierarchy`, nearest first, read in one recursive
/// statement without locks; a loop in bad data ends the chain.
pub async fn ancestors(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    hierarchy: Hierarchy,
    id: Uuid,
) -> Result<Vec<Uuid>> {
    Ok(chain(db, owner, hierarchy, id, false).await?.into_iter().map(|(id, _)| id).collect())
}

/// An objective's chain as its progress rolls up: `id` and its ancestors, nearest first,
/// up to the first whose cycle is closed (its figures are frozen), which comes second.
pub async fn open_ancestors(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    id: Uuid,
) -> Result<(Vec<Uuid>, Option<Uuid>)> {
    let rows = chain(db, owner, Hierarchy::Objectives, id, true).await?;
    let open = rows.iter().take_while(|(_, closed)| !closed).map(|(id, _)| *id).collect::<Vec<_>>();
    let frozen = rows.get(open.len()).map(|(id, _)| *id);
    Ok((open, frozen))
}

/// The chain's ids, each with whether it lies in a closed cycle (asked only when
/// `with_cycles`; objectives only).
async fn chain(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    hierarchy: Hierarchy,
    id: Uuid,
    with_cycles: bool,
) -> Result<Vec<(Uuid, bool)>> {
    use sea_orm::{Statement, Value};
    let backend = db.get_database_backend();
    let (table, parent) = hierarchy.table_and_parent();
    let p = |i: usize| if backend == DbBackend::Postgres { format!("${i}") } else { "?".to_owned() };
    let closed = if with_cycles {
        "EXISTS (SELECT 1 FROM objectives o JOIN cycles c ON c.id = o.cycle_id \
         WHERE o.id = chain.id AND c.state = 'CLOSED')"
    } else {
        "FALSE"
    };
    let sql = format!(
        "WITH RECURSIVE chain(id, parent_id, depth) AS (\
         SELECT id, {parent}, 0 FROM {table} WHERE id = {} AND organization_id = {} \
         UNION ALL SELECT t.id, t.{parent}, chain.depth + 1 FROM {table} t \
         JOIN chain ON t.id = chain.parent_id WHERE t.organization_id = {} AND chain.depth < {MAX_CHAIN}) \
         SELECT id, {closed} AS closed FROM chain ORDER BY depth",
        p(1),
        p(2),
        p(3)
    );
    let org = owner.org().id();
    let values: [Value; 3] = [id.into(), org.into(), org.into()];
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut seen = std::collections::HashSet::new();
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        if !seen.insert(id) {
            break;
        }
        ids.push((id, row.try_get("", "closed")?));
    }
    Ok(ids)
}

/// Inserts a new row into the owner's organization unless a row with the same `unique`
/// columns is there already (then nothing changes).
pub async fn insert_or_keep<E: Tenant>(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    mut row: E::Model,
    unique: impl IntoIterator<Item = E::Column>,
) -> Result<()> {
    use sea_orm::sea_query::OnConflict;
    E::place(&mut row, owner.org());
    E::insert(row.into_active_model())
        .on_conflict(OnConflict::columns(unique).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The organization a token's `org` claim names: the one lookup that comes before there
/// is an organization to scope by.
pub(crate) async fn organization_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<organization::Model>> {
    Ok(organization::Entity::find().filter(organization::Column::Slug.eq(slug)).one(db).await?)
}

/// Creates an organization unless one with its slug exists (then nothing changes).
pub(crate) async fn create_organization(db: &impl ConnectionTrait, row: organization::ActiveModel) -> Result<()> {
    use sea_orm::sea_query::OnConflict;
    organization::Entity::insert(row)
        .on_conflict(OnConflict::column(organization::Column::Slug).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Rows whose cycles [`closed_cycle_among`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct CycleRows<'a> {
    pub cycles: &'a [Uuid],
    pub objectives: &'a [Uuid],
    pub key_results: &'a [Uuid],
}

/// The first closed cycle among `rows`' cycles (a cycle itself, an objective's cycle, the
/// cycle of a key result's objective), other than `except`: one statement.
pub async fn closed_cycle_among(
    db: &impl ConnectionTrait,
    owner: impl Owner,
    rows: CycleRows<'_>,
    except: Option<Uuid>,
) -> Result<Option<cycle::Model>> {
    use sea_orm::Condition;
    use sea_orm::sea_query::Query;
    let (backend, org) = (db.get_database_backend(), owner.org().id());
    let cycles_of_objectives = |objectives: SimpleExpr| {
        Query::select()
            .column(objective::Column::CycleId)
            .from(objective::Entity)
            .and_where(objective::Column::OrganizationId.eq(org))
            .and_where(objectives)
            .to_owned()
    };
    let mut any = Condition::any();
    if !rows.cycles.is_empty() {
        any = any.add(one_of(backend, cycle::Column::Id, rows.cycles));
    }
    if !rows.objectives.is_empty() {
        let objectives = one_of(backend, objective::Column::Id, rows.objectives);
        any = any.add(cycle::Column::Id.in_subquery(cycles_of_objectives(objectives)));
    }
    if !rows.key_results.is_empty() {
        let objectives_of_key_results = Query::select()
            .column(key_result::Column::ObjectiveId)
            .from(key_result::Entity)
            .and_where(key_result::Column::OrganizationId.eq(org))
            .and_where(one_of(backend, key_result::Column::Id, rows.key_results))
            .to_owned();
        let objectives = objective::Column::Id.in_subquery(objectives_of_key_results);
        any = any.add(cycle::Column::Id.in_subquery(cycles_of_objectives(objectives)));
    }
    let mut closed = scoped::<cycle::Entity>(owner).filter(cycle::Column::State.eq(CycleState::Closed)).filter(any);
    if let Some(except) = except {
        closed = closed.filter(cycle::Column::Id.ne(except));
    }
    closed.one(db).await
}
