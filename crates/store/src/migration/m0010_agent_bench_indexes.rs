//! Indexes the agent workspace needed at a million tickets (measured by bench/agent.sh).
//!
//! The dashboard's bounded counts of overdue and due-soon tickets filter by the departments an
//! agent sees and a range of `resolution_due_at` over active tickets. With only
//! `tickets_active_due (resolution_due_at, id)` and `(department_id, updated_at, id)`, SQLite
//! walked a department's tickets in update order and checked each: "due soon" (a handful of
//! recent tickets) read nearly every row, 3 s a dashboard. `(department_id,
//! resolution_due_at, id)` over active tickets answers each department's range directly.
//!
//! A queue filtered by priority and sorted by due time (`?priority=5&sort=due_asc`) read every
//! ticket of that priority and sorted them (120 ms on SQLite). `(priority, resolution_due_at,
//! id)` over active tickets walks them in due order and stops at the page's end.
//!
//! Same partial-index text on both databases; the queries repeat the `WHERE` terms literally
//! (`ACTIVE`, `HAS_DUE` in store/src/queues.rs) so both planners can use them.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_agent_bench_indexes"
    }
}

const INDEXES: [&str; 2] = [
    "CREATE INDEX IF NOT EXISTS tickets_department_active_due ON tickets (department_id, resolution_due_at, id) \
     WHERE resolved_at IS NULL AND resolution_due_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS tickets_priority_active_due ON tickets (priority, resolution_due_at, id) \
     WHERE resolved_at IS NULL AND resolution_due_at IS NOT NULL",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for sql in INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
