//! Queues on a big desk (ADR 011): counters of tickets per department, status and owner kept
//! by triggers, saved views, and the indexes a 50-ticket queue page needs at a million tickets.
//!
//! `ticket_counts (department_id, status, owner_id, n)`: `owner_id` 0 stands for "nobody"
//! (agent ids start at 1; a primary key cannot hold NULL). Triggers on `tickets` keep it equal
//! to a `COUNT(*)` whatever writes the ticket (group commit, changes, bench seed, a DBA's
//! `UPDATE`): on SQLite one row trigger per event; on PostgreSQL statement triggers with
//! transition tables, which fold a multi-row insert into one upsert per bucket and touch the
//! buckets in key order (so two writers never wait on each other in a cycle). The table is
//! filled from the existing tickets here.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_queues"
    }
}

/// Keyset walks per sort and filter (each ends in `id`, the tie-breaker of every cursor).
const INDEXES: [(&str, &[&str]); 4] = [
    // The default sort (updated, newest first) over all visible departments.
    ("tickets_updated_id", &["updated_at", "id"]),
    // One department's queue.
    ("tickets_department_updated_id", &["department_id", "updated_at", "id"]),
    // "My tickets" and "Unassigned" (owner_id IS NULL).
    ("tickets_owner_updated_id", &["owner_id", "updated_at", "id"]),
    ("tickets_created_id", &["created_at", "id"]),
];

/// Partial indexes, identical text on both databases. Queries repeat their `WHERE` terms
/// literally so both planners can use them. An active ticket is one not resolved: the core
/// clears `resolved_at` whenever a ticket goes back to new, open or pending.
const PARTIAL: [&str; 2] = [
    // Overdue, due soon, on time; the due sort.
    "CREATE INDEX tickets_active_due ON tickets (resolution_due_at, id) \
     WHERE resolved_at IS NULL AND resolution_due_at IS NOT NULL",
    // Resolved, not approved yet: a supervisor's review queue and its count.
    "CREATE INDEX tickets_awaiting_review ON tickets (updated_at, id) \
     WHERE resolution_approved = FALSE AND resolved_at IS NOT NULL AND closed_at IS NULL",
];

const BACKFILL: &str = "INSERT INTO ticket_counts (department_id, status, owner_id, n) \
     SELECT department_id, status, COALESCE(owner_id, 0), COUNT(*) FROM tickets GROUP BY department_id, status, COALESCE(owner_id, 0)";

const SQLITE_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets BEGIN \
       INSERT INTO ticket_counts (department_id, status, owner_id, n) VALUES (NEW.department_id, NEW.status, COALESCE(NEW.owner_id, 0), 1) \
         ON CONFLICT (department_id, status, owner_id) DO UPDATE SET n = n + 1; \
     END",
    "CREATE TRIGGER ticket_counts_update AFTER UPDATE OF department_id, status, owner_id ON tickets \
     WHEN OLD.department_id IS NOT NEW.department_id OR OLD.status IS NOT NEW.status OR OLD.owner_id IS NOT NEW.owner_id BEGIN \
       UPDATE ticket_counts SET n = n - 1 \
         WHERE department_id = OLD.department_id AND status = OLD.status AND owner_id = COALESCE(OLD.owner_id, 0); \
       INSERT INTO ticket_counts (department_id, status, owner_id, n) VALUES (NEW.department_id, NEW.status, COALESCE(NEW.owner_id, 0), 1) \
         ON CONFLICT (department_id, status, owner_id) DO UPDATE SET n = n + 1; \
     END",
    "CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets BEGIN \
       UPDATE ticket_counts SET n = n - 1 \
         WHERE department_id = OLD.department_id AND status = OLD.status AND owner_id = COALESCE(OLD.owner_id, 0); \
     END",
];

/// One function per event; each adds the statement's net change per bucket, in key order.
const POSTGRES_TRIGGERS: [&str; 6] = [
    "CREATE FUNCTION ticket_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       INSERT INTO ticket_counts AS c (department_id, status, owner_id, n) \
         SELECT department_id, status, COALESCE(owner_id, 0), COUNT(*) FROM new_rows \
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 \
         ON CONFLICT (department_id, status, owner_id) DO UPDATE SET n = c.n + EXCLUDED.n; \
       RETURN NULL; END $$",
    "CREATE FUNCTION ticket_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       INSERT INTO ticket_counts AS c (department_id, status, owner_id, n) \
         SELECT d, s, o, SUM(k) FROM ( \
           SELECT department_id AS d, status AS s, COALESCE(owner_id, 0) AS o, -1 AS k FROM old_rows \
           UNION ALL SELECT department_id, status, COALESCE(owner_id, 0), 1 FROM new_rows) AS moved \
         GROUP BY d, s, o HAVING SUM(k) <> 0 ORDER BY d, s, o \
         ON CONFLICT (department_id, status, owner_id) DO UPDATE SET n = c.n + EXCLUDED.n; \
       RETURN NULL; END $$",
    "CREATE FUNCTION ticket_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       INSERT INTO ticket_counts AS c (department_id, status, owner_id, n) \
         SELECT department_id, status, COALESCE(owner_id, 0), -COUNT(*) FROM old_rows \
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 \
         ON CONFLICT (department_id, status, owner_id) DO UPDATE SET n = c.n + EXCLUDED.n; \
       RETURN NULL; END $$",
    "CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows \
     FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_insert()",
    // Transition tables exclude a column list (`UPDATE OF`): every UPDATE statement runs it,
    // and one that moves no ticket between buckets writes nothing.
    "CREATE TRIGGER ticket_counts_update AFTER UPDATE ON tickets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows \
     FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_update()",
    "CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets REFERENCING OLD TABLE AS old_rows \
     FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_delete()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("ticket_counts")
                .col(big_integer("department_id"))
                .col(text("status"))
                .col(big_integer("owner_id"))
                .col(big_integer("n"))
                .primary_key(Index::create().col("department_id").col("status").col("owner_id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("saved_views")
                .col(big_pk_auto("id"))
                .col(text("name"))
                .col(text("query"))
                .col(big_integer_null("owner_id"))
                .col(boolean("shared").default(false))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(ForeignKey::create().from("saved_views", "owner_id").to("agents", "id"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("saved_views_owner").table("saved_views").col("owner_id").to_owned()).await?;
        m.create_index(Index::create().name("saved_views_shared").table("saved_views").col("shared").to_owned()).await?;
        for (name, cols) in INDEXES {
            let mut stmt = Index::create().name(name).table("tickets").if_not_exists().to_owned();
            for c in cols {
                stmt.col(Alias::new(*c));
            }
            m.create_index(stmt).await?;
        }
        let db = m.get_connection();
        for sql in PARTIAL {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared(BACKFILL).await?;
        let triggers: &[&str] = match db.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
