//! Routing rules (ordered; their conditions and actions as JSON lists of `{kind, value}`) and
//! the tags of tickets (set by rules today).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_rules"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("routing_rules")
                .col(big_pk_auto("id"))
                .col(text("name"))
                .col(integer("position"))
                .col(boolean("active").default(true))
                .col(boolean("match_all").default(true))
                .col(boolean("stop").default(false))
                .col(text("conditions"))
                .col(text("actions"))
                .col(big_integer("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("routing_rules_position").table("routing_rules").col("position").col("id").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("ticket_tags")
                .col(big_integer("ticket_id"))
                .col(text("tag"))
                .primary_key(Index::create().col("ticket_id").col("tag"))
                .foreign_key(ForeignKey::create().from("ticket_tags", "ticket_id").to("tickets", "id"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ticket_tags_tag").table("ticket_tags").col("tag").col("ticket_id").to_owned()).await?;
        Ok(())
    }
}
