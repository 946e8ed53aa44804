//! The agent's ticket desk: per-department rules (next level, review of resolutions), recorded
//! solutions, merges, links, unique collaborators, presence (collision notices), canned
//! responses, and API keys that act as an agent.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_desk"
    }
}

fn fk(table: &'static str, col: &'static str, to: &'static str, to_col: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(to, to_col).take()
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create().name(name).table(table).if_not_exists().to_owned();
    for c in cols {
        stmt.col(Alias::new(*c));
    }
    stmt
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("department_rules")
                .col(big_integer("department_id").primary_key())
                .col(big_integer_null("next_level_id"))
                .col(boolean_null("review_required"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk("department_rules", "department_id", "departments", "id"))
                .foreign_key(&mut fk("department_rules", "next_level_id", "departments", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("ticket_solutions")
                .col(big_integer("ticket_id").primary_key())
                .col(text("body"))
                .col(ColumnDef::new("author_kind").text().not_null().check(Expr::col("author_kind").is_in([
                    "agent",
                    "requester",
                    "api_key",
                    "system",
                ])))
                .col(big_integer_null("author_id"))
                .col(text_null("author_name"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("ticket_solutions", "ticket_id", "tickets", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("ticket_merges")
                .col(big_integer("merged_id").primary_key())
                .col(big_integer("survivor_id"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("ticket_merges", "merged_id", "tickets", "id"))
                .foreign_key(&mut fk("ticket_merges", "survivor_id", "tickets", "id"))
                .take(),
        )
        .await?;
        m.create_index(index("ticket_merges_survivor", "ticket_merges", &["survivor_id"])).await?;
        m.create_table(
            Table::create()
                .table("ticket_links")
                .col(big_pk_auto("id"))
                .col(big_integer("low_id"))
                .col(big_integer("high_id"))
                .col(ColumnDef::new("kind").text().not_null().check(Expr::col("kind").is_in([
                    "related",
                    "duplicate_of",
                    "duplicated_by",
                    "parent_of",
                    "child_of",
                ])))
                .col(big_integer("created_at"))
                .check(Expr::col("low_id").lt(Expr::col("high_id")))
                .foreign_key(&mut fk("ticket_links", "low_id", "tickets", "id"))
                .foreign_key(&mut fk("ticket_links", "high_id", "tickets", "id"))
                .take(),
        )
        .await?;
        m.create_index(index("ticket_links_pair", "ticket_links", &["low_id", "high_id"]).unique().to_owned()).await?;
        m.create_index(index("ticket_links_high", "ticket_links", &["high_id"])).await?;
        // Collaborators existed without use: one row per person and ticket from now on.
        m.create_index(index("ticket_collaborators_agent", "ticket_collaborators", &["ticket_id", "agent_id"]).unique().to_owned()).await?;
        m.create_index(index("ticket_collaborators_requester", "ticket_collaborators", &["ticket_id", "requester_id"]).unique().to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table("ticket_presence")
                .col(big_integer("ticket_id"))
                .col(big_integer("agent_id"))
                .col(ColumnDef::new("activity").text().not_null().check(Expr::col("activity").is_in(["viewing", "replying"])))
                .col(big_integer("seen_at"))
                .primary_key(Index::create().col("ticket_id").col("agent_id"))
                .foreign_key(&mut fk("ticket_presence", "ticket_id", "tickets", "id"))
                .foreign_key(&mut fk("ticket_presence", "agent_id", "agents", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("canned_responses")
                .col(big_pk_auto("id"))
                .col(text("title"))
                .col(text("body"))
                .col(big_integer_null("department_id"))
                .col(big_integer_null("agent_id"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                // Personal (an agent's), a department's, or the whole desk's (neither): not both.
                .check(Expr::col("department_id").is_null().or(Expr::col("agent_id").is_null()))
                .foreign_key(&mut fk("canned_responses", "department_id", "departments", "id"))
                .foreign_key(&mut fk("canned_responses", "agent_id", "agents", "id"))
                .take(),
        )
        .await?;
        m.create_index(index("canned_responses_department", "canned_responses", &["department_id"])).await?;
        m.create_index(index("canned_responses_agent", "canned_responses", &["agent_id"])).await?;
        m.create_table(
            Table::create()
                .table("agent_api_keys")
                .col(big_integer("api_key_id").primary_key())
                .col(big_integer("agent_id"))
                .foreign_key(&mut fk("agent_api_keys", "api_key_id", "api_keys", "id"))
                .foreign_key(&mut fk("agent_api_keys", "agent_id", "agents", "id"))
                .take(),
        )
        .await?;
        Ok(())
    }
}
