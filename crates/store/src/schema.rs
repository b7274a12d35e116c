//! Introspection of the live schema, so a test can prove the SQLite and PostgreSQL migrations
//! describe the same tables and columns.

use crate::{Db, Result};

/// One column, with its type reduced to a family both backends share.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    pub table: String,
    pub column: String,
    pub nullable: bool,
    pub family: &'static str,
}

/// Reduces a declared SQLite type or a PostgreSQL `data_type` to a rough family.
pub fn type_family(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    match t.as_str() {
        "uuid" | "blob" | "bytea" => "binary",
        "text" | "character varying" | "varchar" | "jsonb" | "json" => "text",
        "integer" | "bigint" | "smallint" | "int" | "int4" | "int8" => "integer",
        "boolean" | "bool" => "boolean",
        "real" | "double precision" | "float" | "numeric" => "number",
        "datetime" | "timestamp with time zone" | "timestamptz" => "time",
        _ => "other",
    }
}

/// The application's tables and columns (migration bookkeeping left out), sorted.
pub async fn columns(db: &Db) -> Result<Vec<ColumnInfo>> {
    // Twins, for the catalogues differ: SQLite describes tables through `sqlite_master` and
    // `pragma_table_info`, PostgreSQL through `information_schema`.
    let raw: Vec<(String, String, bool, String)> = match db {
        Db::Sqlite { read: pool, .. } => {
            sqlx::query_as(
                "SELECT m.name, p.name, p.\"notnull\" = 0, p.type \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx_%'",
            )
            .fetch_all(pool)
            .await?
        }
        Db::Postgres(pool) => {
            sqlx::query_as(
                "SELECT table_name::text, column_name::text, is_nullable = 'YES', data_type::text \
                 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx\\_%'",
            )
            .fetch_all(pool)
            .await?
        }
    };
    let mut cols: Vec<ColumnInfo> = raw
        .into_iter()
        .map(|(table, column, nullable, ty)| ColumnInfo {
            table,
            column,
            nullable,
            family: type_family(&ty),
        })
        .collect();
    cols.sort();
    Ok(cols)
}

/// Tables that have row-level security enabled and forced (PostgreSQL; empty on SQLite).
pub async fn rls_tables(db: &Db) -> Result<Vec<String>> {
    // Only PostgreSQL has row-level security (and `pg_class` to ask about it).
    match db {
        Db::Sqlite { .. } => Ok(Vec::new()),
        Db::Postgres(pool) => Ok(sqlx::query_scalar(
            "SELECT relname::text FROM pg_class \
             WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' \
               AND relrowsecurity AND relforcerowsecurity ORDER BY relname",
        )
        .fetch_all(pool)
        .await?),
    }
}
