//! Case-insensitive text search that behaves the same on SQLite and PostgreSQL.

use sea_orm::ColumnTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};

/// `lower(column) LIKE '%text%'`, with the client's `%`, `_` and `\` taken literally.
pub fn contains(column: impl ColumnTrait, text: &str) -> SimpleExpr {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column)))
        .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}
