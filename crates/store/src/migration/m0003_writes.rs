//! Writes that are never lost nor doubled: a version column on tickets (optimistic concurrency
//! that does not depend on clocks), the request token of each create (a retried group commit
//! never inserts a ticket twice), the ticket an idempotency key created (recorded in the
//! ticket's own transaction), and leases, attempts and a dead state on outbox jobs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_writes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Existing tickets start at version 0.
        m.alter_table(Table::alter().table("tickets").add_column(big_integer("version").default(0)).to_owned()).await?;
        m.alter_table(Table::alter().table("tickets").add_column(text_null("request_token")).to_owned()).await?;
        // NULLs (tickets opened before this migration) do not collide.
        m.create_index(Index::create().name("tickets_request_token").table("tickets").col("request_token").unique().to_owned()).await?;

        m.alter_table(Table::alter().table("idempotency_keys").add_column(big_integer_null("ticket_id")).to_owned()).await?;
        // Reservations of requests in flight under the old scheme: their outcome is unknown, and
        // the new scheme never stores a key without its ticket.
        m.exec_stmt(Query::delete().from_table("idempotency_keys").and_where(Expr::col("status_code").eq(0)).to_owned()).await?;

        m.alter_table(Table::alter().table("jobs").add_column(text_null("lease_token")).to_owned()).await?;
        m.alter_table(Table::alter().table("jobs").add_column(big_integer_null("dead_at")).to_owned()).await?;
        m.create_index(Index::create().name("jobs_done_at").table("jobs").col("done_at").to_owned()).await?;
        Ok(())
    }
}
