//! Tenant-scoped reads shared by every entity: every query starts with the actor's
//! organization, so an id from another tenant behaves exactly like one that does not
//! exist.

use crate::{Actor, Result};
use entity::*;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use std::collections::HashMap;
use uuid::Uuid;

/// An entity that belongs to one organization.
pub trait Tenant: EntityTrait<Model: Send + Sync> {
    /// The entity's name in messages (`objective`, `key result`).
    const NAME: &'static str;
    /// Its `organization_id` column.
    const ORG: Self::Column;
    /// Its primary key column.
    const ID: Self::Column;
    /// The primary key of a row.
    fn id_of(model: &Self::Model) -> Uuid;
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
tenant!(audit_event, "audit event");

/// Every row of `E` in the actor's organization, oldest first.
pub fn scoped<E: Tenant>(actor: &Actor) -> Select<E> {
    E::find().filter(E::ORG.eq(actor.organization_id)).order_by_asc(E::ID)
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
pub async fn get<E: Tenant>(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<E::Model> {
    scoped::<E>(actor).filter(E::ID.eq(id)).one(db).await?.ok_or_else(|| crate::Error::not_found(E::NAME, id))
}

/// One row by id, locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's
/// write transactions are serialized already), or NOT_FOUND.
pub async fn lock<E: Tenant>(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> Result<E::Model> {
    scoped::<E>(actor)
        .filter(E::ID.eq(id))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| crate::Error::not_found(E::NAME, id))
}

/// The rows with these ids, keyed by id; unknown and foreign ids are simply absent.
pub async fn by_ids<E: Tenant>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, E::Model>> {
    let backend = db.get_database_backend();
    let rows = scoped::<E>(actor).filter(one_of(backend, E::ID, ids)).all(db).await?;
    Ok(rows.into_iter().map(|row| (E::id_of(&row), row)).collect())
}

/// The rows whose `parent` column holds one of `parent_ids`, grouped by that parent,
/// oldest first within each group; `extra` narrows the rows further.
pub async fn children<E: Tenant>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    parent: E::Column,
    parent_ids: &[Uuid],
    parent_of: impl Fn(&E::Model) -> Option<Uuid>,
    extra: Option<SimpleExpr>,
) -> Result<HashMap<Uuid, Vec<E::Model>>> {
    let mut select = scoped::<E>(actor).filter(one_of(db.get_database_backend(), parent, parent_ids));
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
    actor: &Actor,
    key_result_ids: &[Uuid],
    limit: u64,
) -> Result<HashMap<Uuid, Vec<check_in::Model>>> {
    use sea_orm::{Statement, Value};
    if key_result_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![actor.organization_id.into()];
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
