//! The first schema: organisation, people, tickets and their thread, attachments, API keys,
//! idempotency records and the job outbox. Times are BIGINT microseconds since the Unix epoch
//! (UTC): identical on both databases and cheap to index and compare.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

fn one_of(col: impl IntoIden + Clone + 'static, values: &[&str]) -> ColumnDef {
    ColumnDef::new(col.clone()).text().not_null().check(Expr::col(col).is_in(values.iter().copied())).take()
}

fn fk(table: impl IntoIden, col: impl IntoIden, to: impl IntoIden, to_col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(to, to_col).take()
}

async fn index(m: &SchemaManager<'_>, name: &str, table: impl IntoIden + Clone, cols: &[&'static str], unique: bool) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for c in cols {
        stmt.col(Alias::new(*c));
    }
    if unique {
        stmt.unique();
    }
    m.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("organisations")
                .col(big_pk_auto("id"))
                .col(text_uniq("name"))
                .col(text_null("domain"))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("requesters")
                .col(big_pk_auto("id"))
                .col(text_uniq("email"))
                .col(text("name"))
                .col(text_null("phone"))
                .col(big_integer_null("organisation_id"))
                .col(text_null("language"))
                .col(text_null("password_hash"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("requesters", "organisation_id", "organisations", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("departments")
                .col(big_pk_auto("id"))
                .col(text_uniq("name"))
                .col(big_integer_null("parent_id"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("departments", "parent_id", "departments", "id"))
                .take(),
        )
        .await?;
        m.create_table(Table::create().table("teams").col(big_pk_auto("id")).col(text_uniq("name")).take()).await?;
        m.create_table(
            Table::create()
                .table("help_topics")
                .col(big_pk_auto("id"))
                .col(text("name"))
                .col(big_integer_null("parent_id"))
                .col(big_integer_null("department_id"))
                .col(ColumnDef::new("default_priority").small_integer().null().check(Expr::col("default_priority").between(1, 5)))
                .col(ColumnDef::new("default_type").text().null().check(Expr::col("default_type").is_in([
                    "incident",
                    "service_request",
                    "problem",
                    "major_incident",
                ])))
                .col(boolean("active").default(true))
                .col(integer("sort").default(0))
                .foreign_key(&mut fk("help_topics", "parent_id", "help_topics", "id"))
                .foreign_key(&mut fk("help_topics", "department_id", "departments", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("custom_fields")
                .col(big_pk_auto("id"))
                .col(text("key"))
                .col(text("label"))
                .col(one_of("kind", &["text", "long_text", "number", "select", "multi_select", "checkbox", "date"]))
                .col(text("options").default("[]"))
                .col(boolean("required").default(false))
                .col(big_integer_null("help_topic_id"))
                .col(integer("sort").default(0))
                .foreign_key(&mut fk("custom_fields", "help_topic_id", "help_topics", "id"))
                .take(),
        )
        .await?;
        index(m, "custom_fields_topic_key", "custom_fields", &["help_topic_id", "key"], true).await?;
        m.create_table(
            Table::create()
                .table("agents")
                .col(big_pk_auto("id"))
                .col(text_uniq("email"))
                .col(text("name"))
                .col(text_null("password_hash"))
                .col(boolean("is_admin").default(false))
                .col(boolean("active").default(true))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        m.create_table(Table::create().table("roles").col(big_pk_auto("id")).col(text_uniq("name")).col(text("permissions")).take())
            .await?;
        m.create_table(
            Table::create()
                .table("agent_departments")
                .col(big_integer("agent_id"))
                .col(big_integer("department_id"))
                .col(big_integer("role_id"))
                .primary_key(Index::create().col("agent_id").col("department_id"))
                .foreign_key(&mut fk("agent_departments", "agent_id", "agents", "id"))
                .foreign_key(&mut fk("agent_departments", "department_id", "departments", "id"))
                .foreign_key(&mut fk("agent_departments", "role_id", "roles", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("tickets")
                .col(big_pk_auto("id"))
                .col(text_uniq("number"))
                .col(big_integer_uniq("seq"))
                .col(text("subject"))
                .col(big_integer("requester_id"))
                .col(one_of("channel", &["web", "email", "phone", "whatsapp", "walk_in", "api"]))
                .col(big_integer_null("help_topic_id"))
                .col(one_of("kind", &["incident", "service_request", "problem", "major_incident"]))
                .col(big_integer("department_id"))
                .col(ColumnDef::new("priority").small_integer().not_null().check(Expr::col("priority").between(1, 5)))
                .col(ColumnDef::new("impact").small_integer().null().check(Expr::col("impact").between(1, 3)))
                .col(ColumnDef::new("urgency").small_integer().null().check(Expr::col("urgency").between(1, 3)))
                .col(one_of("status", &["new", "open", "pending_requester", "pending_third_party", "resolved", "closed"]))
                .col(big_integer_null("owner_id"))
                .col(big_integer_null("responsible_id"))
                .col(big_integer_null("team_id"))
                .col(text("custom_fields").default("{}"))
                .col(integer_null("time_estimate_minutes"))
                .col(integer("time_spent_minutes").default(0))
                .col(big_integer_null("response_due_at"))
                .col(big_integer_null("resolution_due_at"))
                .col(big_integer_null("first_response_at"))
                .col(boolean("resolution_approved").default(false))
                .col(boolean("resolution_confirmed").default(false))
                .col(big_integer_null("resolved_at"))
                .col(big_integer_null("closed_at"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk("tickets", "requester_id", "requesters", "id"))
                .foreign_key(&mut fk("tickets", "help_topic_id", "help_topics", "id"))
                .foreign_key(&mut fk("tickets", "department_id", "departments", "id"))
                .foreign_key(&mut fk("tickets", "owner_id", "agents", "id"))
                .foreign_key(&mut fk("tickets", "responsible_id", "agents", "id"))
                .foreign_key(&mut fk("tickets", "team_id", "teams", "id"))
                .take(),
        )
        .await?;
        // Keyset pagination walks id descending under each filter: one index per filter.
        index(m, "tickets_status_id", "tickets", &["status", "id"], false).await?;
        index(m, "tickets_department_id", "tickets", &["department_id", "id"], false).await?;
        index(m, "tickets_requester_id", "tickets", &["requester_id", "id"], false).await?;
        index(m, "tickets_priority_id", "tickets", &["priority", "id"], false).await?;
        index(m, "tickets_owner_id", "tickets", &["owner_id", "id"], false).await?;
        m.create_table(
            Table::create()
                .table("ticket_collaborators")
                .col(big_pk_auto("id"))
                .col(big_integer("ticket_id"))
                .col(big_integer_null("agent_id"))
                .col(big_integer_null("requester_id"))
                .foreign_key(&mut fk("ticket_collaborators", "ticket_id", "tickets", "id"))
                .foreign_key(&mut fk("ticket_collaborators", "agent_id", "agents", "id"))
                .foreign_key(&mut fk("ticket_collaborators", "requester_id", "requesters", "id"))
                .take(),
        )
        .await?;
        index(m, "ticket_collaborators_ticket", "ticket_collaborators", &["ticket_id"], false).await?;
        m.create_table(
            Table::create()
                .table("thread_entries")
                .col(big_pk_auto("id"))
                .col(big_integer("ticket_id"))
                .col(one_of("kind", &["message", "reply", "note", "event"]))
                .col(one_of("author_kind", &["agent", "requester", "api_key", "system"]))
                .col(big_integer_null("author_id"))
                .col(text_null("author_name"))
                .col(text_null("body"))
                .col(text_null("event_kind"))
                .col(text_null("before_value"))
                .col(text_null("after_value"))
                .col(text_null("reason"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("thread_entries", "ticket_id", "tickets", "id"))
                .take(),
        )
        .await?;
        index(m, "thread_entries_ticket_id", "thread_entries", &["ticket_id", "id"], false).await?;
        m.create_table(
            Table::create()
                .table("time_entries")
                .col(big_pk_auto("id"))
                .col(big_integer("ticket_id"))
                .col(big_integer_null("agent_id"))
                .col(integer("minutes"))
                .col(text_null("note"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("time_entries", "ticket_id", "tickets", "id"))
                .foreign_key(&mut fk("time_entries", "agent_id", "agents", "id"))
                .take(),
        )
        .await?;
        index(m, "time_entries_ticket", "time_entries", &["ticket_id"], false).await?;
        m.create_table(
            Table::create()
                .table("attachments")
                .col(big_pk_auto("id"))
                .col(big_integer("ticket_id"))
                .col(big_integer_null("entry_id"))
                .col(text("filename"))
                .col(text("content_type"))
                .col(big_integer("size"))
                .col(text("sha256"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("attachments", "ticket_id", "tickets", "id"))
                .foreign_key(&mut fk("attachments", "entry_id", "thread_entries", "id"))
                .take(),
        )
        .await?;
        index(m, "attachments_ticket", "attachments", &["ticket_id", "id"], false).await?;
        m.create_table(
            Table::create()
                .table("api_keys")
                .col(big_pk_auto("id"))
                .col(text("name"))
                .col(text_uniq("key_hash"))
                .col(boolean("revoked").default(false))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(big_pk_auto("id"))
                .col(text("scope"))
                .col(text("key"))
                .col(text("request_hash"))
                .col(integer("status_code"))
                .col(text("response_body"))
                .col(text_null("location"))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        index(m, "idempotency_scope_key", "idempotency_keys", &["scope", "key"], true).await?;
        m.create_table(
            Table::create()
                .table("jobs")
                .col(big_pk_auto("id"))
                .col(text("kind"))
                .col(text("payload"))
                .col(big_integer("run_at"))
                .col(integer("attempts").default(0))
                .col(big_integer_null("locked_until"))
                .col(text_null("last_error"))
                .col(big_integer_null("done_at"))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        index(m, "jobs_pending", "jobs", &["done_at", "run_at"], false).await?;
        m.create_table(Table::create().table("counters").col(text("name").primary_key()).col(big_integer("value")).take()).await?;

        // Ticket numbers: a PostgreSQL sequence is never rolled back, so two nodes never hand out
        // the same value and a value is never reused. SQLite has a single writer; a counter row
        // updated inside the creating transaction does the same there.
        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("CREATE SEQUENCE ticket_seq START 1").await?;
            }
            _ => {
                db.execute_unprepared("INSERT INTO counters (name, value) VALUES ('ticket_seq', 0)").await?;
            }
        }
        Ok(())
    }
}
