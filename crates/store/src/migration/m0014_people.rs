//! People administration: agents invited by e-mail (a single-use link to choose their
//! password, stored as the SHA-256 of its token) and requesters merged into another (the
//! merged record stays, so every reference to it keeps its history, and points at the one
//! that absorbed it).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_people"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("agent_invites")
                .col(text("token_hash").primary_key())
                .col(big_integer("agent_id"))
                .col(big_integer("created_at"))
                .col(big_integer("expires_at"))
                .col(big_integer_null("used_at"))
                .foreign_key(ForeignKey::create().from("agent_invites", "agent_id").to("agents", "id"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("agent_invites_agent").table("agent_invites").col("agent_id").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("requester_merges")
                .col(big_integer("merged_id").primary_key())
                .col(big_integer("into_id"))
                .col(big_integer("created_at"))
                .foreign_key(ForeignKey::create().from("requester_merges", "merged_id").to("requesters", "id"))
                .foreign_key(ForeignKey::create().from("requester_merges", "into_id").to("requesters", "id"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("requester_merges_into").table("requester_merges").col("into_id").to_owned()).await?;
        Ok(())
    }
}
