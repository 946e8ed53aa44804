//! Statuses become data: a `statuses` table (key, state category, names per language, order,
//! retired or not) seeded with the built-in ones, and `tickets.status` refers to it instead of
//! carrying a CHECK constraint with a fixed list.
//!
//! PostgreSQL drops the CHECK and adds a foreign key. SQLite cannot alter a constraint, so the
//! `tickets` table is rebuilt from its own stored definition with the CHECK replaced by the
//! reference (the steps SQLite documents for "other kinds of table schema changes"), with
//! foreign keys switched off on the migrating connection and checked before it ends.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_statuses"
    }
}

/// The built-in statuses as they shipped: key, category, waits on the requester, names.
const BUILTIN: [(&str, &str, bool, &str, &str); 6] = [
    ("new", "new", false, "Nuevo", "New"),
    ("open", "open", false, "Abierto", "Open"),
    ("pending_requester", "pending", true, "En espera del solicitante", "Waiting on the requester"),
    ("pending_third_party", "pending", false, "En espera de terceros", "Waiting on a third party"),
    ("resolved", "resolved", false, "Resuelto", "Resolved"),
    ("closed", "closed", false, "Cerrado", "Closed"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("statuses")
                .col(text("key").primary_key())
                .col(
                    ColumnDef::new("category")
                        .text()
                        .not_null()
                        .check(Expr::col("category").is_in(["new", "open", "pending", "resolved", "closed"])),
                )
                .col(boolean("awaits_requester").default(false))
                .col(text("name_es"))
                .col(text("name_en"))
                .col(integer("position").default(0))
                .col(boolean("active").default(true))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        let mut insert = Query::insert()
            .into_table("statuses")
            .columns(["key", "category", "awaits_requester", "name_es", "name_en", "position", "active", "created_at"])
            .to_owned();
        for ((key, category, awaits, es, en), position) in BUILTIN.into_iter().zip((0i32..).step_by(10)) {
            insert.values_panic([
                key.into(),
                category.into(),
                awaits.into(),
                es.into(),
                en.into(),
                position.into(),
                true.into(),
                0i64.into(),
            ]);
        }
        m.exec_stmt(insert).await?;
        match m.get_database_backend() {
            DbBackend::Postgres => postgres(m).await,
            _ => sqlite(m).await,
        }
    }
}

async fn postgres(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let checks = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT conname FROM pg_constraint WHERE conrelid = 'tickets'::regclass AND contype = 'c' \
             AND pg_get_constraintdef(oid) LIKE '%status%'",
        ))
        .await?;
    for row in checks {
        let name: String = row.try_get_by_index(0)?;
        db.execute_unprepared(&format!("ALTER TABLE tickets DROP CONSTRAINT \"{}\"", name.replace('"', "\"\""))).await?;
    }
    db.execute_unprepared("ALTER TABLE tickets ADD CONSTRAINT tickets_status_fkey FOREIGN KEY (status) REFERENCES statuses (key)").await?;
    Ok(())
}

/// The stored `CREATE TABLE` of `tickets` with the status CHECK replaced by a reference.
fn without_status_check(sql: &str) -> Result<String, DbErr> {
    let start = sql.find("CHECK (\"status\" IN (").ok_or_else(|| DbErr::Migration("tickets: status CHECK not found".into()))?;
    let end = sql[start..].find("))").map(|i| start + i + 2).ok_or_else(|| DbErr::Migration("tickets: status CHECK not closed".into()))?;
    Ok(format!("{}REFERENCES \"statuses\" (\"key\"){}", &sql[..start], &sql[end..]))
}

async fn sqlite(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let one = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_string());
    let table: String = db
        .query_one_raw(one("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tickets'"))
        .await?
        .ok_or_else(|| DbErr::Migration("tickets table not found".into()))?
        .try_get_by_index(0)?;
    let rebuilt = without_status_check(&table)?.replacen("CREATE TABLE \"tickets\"", "CREATE TABLE \"tickets_rebuilt\"", 1);
    let mut indexes = Vec::new();
    for row in
        db.query_all_raw(one("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets' AND sql IS NOT NULL")).await?
    {
        indexes.push(row.try_get_by_index::<String>(0)?);
    }
    // Foreign keys cannot be switched off inside a transaction, and must be back on whatever
    // happens: the migrating connection is the store's writer.
    db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    let result = async {
        db.execute_unprepared("BEGIN IMMEDIATE").await?;
        let steps = async {
            db.execute_unprepared(&rebuilt).await?;
            db.execute_unprepared("INSERT INTO tickets_rebuilt SELECT * FROM tickets").await?;
            db.execute_unprepared("DROP TABLE tickets").await?;
            db.execute_unprepared("ALTER TABLE tickets_rebuilt RENAME TO tickets").await?;
            for index in &indexes {
                db.execute_unprepared(index).await?;
            }
            let broken = db.query_all_raw(one("PRAGMA foreign_key_check")).await?;
            if !broken.is_empty() {
                return Err(DbErr::Migration(format!("{} rows break a foreign key after rebuilding tickets", broken.len())));
            }
            Ok(())
        }
        .await;
        match steps {
            Ok(()) => db.execute_unprepared("COMMIT").await.map(|_| ()),
            Err(e) => {
                let _ = db.execute_unprepared("ROLLBACK").await;
                Err(e)
            }
        }
    }
    .await;
    db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_becomes_a_reference() {
        let sql = "CREATE TABLE \"tickets\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"status\" text NOT NULL CHECK (\"status\" IN ('new', 'open', 'closed')), \"owner_id\" bigint NULL )";
        assert_eq!(
            without_status_check(sql).expect("rewritten"),
            "CREATE TABLE \"tickets\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \"status\" text NOT NULL REFERENCES \"statuses\" (\"key\"), \"owner_id\" bigint NULL )"
        );
        assert!(without_status_check("CREATE TABLE \"tickets\" (\"status\" text)").is_err());
    }
}
