//! Administration: the audit log of every administrative change, the settings of a department
//! an administrator edits (manager, address, auto-assignment, retirement), and teams with their
//! members.
//!
//! `sla_plan_id` is a plain column for now: the SLA plans' own migration adds the table it
//! names (a foreign key cannot be added to an existing SQLite table).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_admin"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(big_integer("at"))
                // agent, api_key or system; the id and name as they were (the name stays
                // readable after the account is renamed or retired).
                .col(text("actor_kind"))
                .col(big_integer_null("actor_id"))
                .col(text("actor_name"))
                .col(text("action"))
                .col(text("entity"))
                .col(text("entity_id"))
                .col(text("summary"))
                // JSON documents of the entity before and after the change.
                .col(text_null("before"))
                .col(text_null("after"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("audit_log_entity").table("audit_log").col("entity").col("entity_id").col("id").to_owned())
            .await?;
        m.create_index(Index::create().name("audit_log_actor").table("audit_log").col("actor_kind").col("actor_id").col("id").to_owned())
            .await?;

        for col in [big_integer_null("manager_id"), text_null("email"), big_integer_null("sla_plan_id")] {
            m.alter_table(Table::alter().table("departments").add_column(col).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table("departments")
                .add_column(ColumnDef::new("auto_assign").text().not_null().default("off").check(Expr::col("auto_assign").is_in([
                    "off",
                    "round_robin",
                    "least_open",
                ])))
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("departments").add_column(boolean("active").default(true)).to_owned()).await?;

        m.alter_table(Table::alter().table("teams").add_column(big_integer_null("department_id")).to_owned()).await?;
        m.alter_table(Table::alter().table("teams").add_column(boolean("active").default(true)).to_owned()).await?;
        m.create_table(
            Table::create()
                .table("team_members")
                .col(big_integer("team_id"))
                .col(big_integer("agent_id"))
                .primary_key(Index::create().col("team_id").col("agent_id"))
                .foreign_key(ForeignKey::create().from("team_members", "team_id").to("teams", "id"))
                .foreign_key(ForeignKey::create().from("team_members", "agent_id").to("agents", "id"))
                .take(),
        )
        .await?;
        Ok(())
    }
}
