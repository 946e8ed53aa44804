//! The requester portal: sessions in the database (any node serves any request), single-use
//! tokens (status-check links, password resets, address confirmation), login attempts for rate
//! limiting, and the pending-confirmation mark of new accounts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_portal"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sessions")
                .col(text("id_hash").primary_key())
                .col(ColumnDef::new("principal_kind").text().not_null().check(Expr::col("principal_kind").is_in([
                    "requester",
                    "agent",
                    "ticket_link",
                ])))
                .col(big_integer("principal_id"))
                .col(big_integer_null("ticket_id"))
                .col(text("csrf_token"))
                .col(big_integer("created_at"))
                .col(big_integer("expires_at"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("sessions_expires").table("sessions").col("expires_at").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("access_tokens")
                .col(text("token_hash").primary_key())
                .col(ColumnDef::new("purpose").text().not_null().check(Expr::col("purpose").is_in([
                    "ticket_link",
                    "password_reset",
                    "verify_email",
                ])))
                .col(big_integer("requester_id"))
                .col(big_integer_null("ticket_id"))
                .col(big_integer("expires_at"))
                .col(big_integer_null("used_at"))
                .col(big_integer("created_at"))
                .foreign_key(&mut ForeignKey::create().from("access_tokens", "requester_id").to("requesters", "id").take())
                .take(),
        )
        .await?;
        m.create_table(Table::create().table("login_attempts").col(big_pk_auto("id")).col(text("subject")).col(big_integer("at")).take())
            .await?;
        m.create_index(Index::create().name("login_attempts_subject_at").table("login_attempts").col("subject").col("at").to_owned())
            .await?;
        // Accounts registered while outgoing mail is configured wait for their address to be
        // confirmed before they can sign in.
        m.alter_table(Table::alter().table("requesters").add_column(boolean("verification_pending").default(false)).to_owned()).await?;
        Ok(())
    }
}
