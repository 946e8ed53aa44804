//! The SLA clock and automation: what each SLA plan does at its warning threshold and at a
//! breach, the instant each ticket next needs the sweeper (so a sweep reads only those), the
//! escalations already fired (one row per ticket, target and threshold: the primary key is
//! what makes each fire once, whichever node sweeps), the recurring tasks the nodes share
//! through leases, agents marked away, the round-robin cursor of each department, time rules
//! and their firings, and when a pending ticket's requester was last reminded.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0019_sla"
    }
}

fn add(table: &'static str, col: &mut ColumnDef) -> TableAlterStatement {
    Table::alter().table(Alias::new(table)).add_column(col.take()).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Escalation per plan: the warning threshold in percent of the target (none: no
        // warning) and the actions (comma-separated names) at the warning and at a breach.
        m.alter_table(add("sla_plans", &mut integer_null("warn_percent"))).await?;
        m.alter_table(add("sla_plans", text("warn_actions").default(""))).await?;
        m.alter_table(add("sla_plans", text("breach_actions").default(""))).await?;
        m.alter_table(add("sla_plans", &mut big_integer_null("escalate_to_department_id"))).await?;
        // The next instant the sweeper must look at this ticket (a threshold or a due time);
        // none while paused, done or with nothing left to fire.
        m.alter_table(add("tickets", &mut big_integer_null("sla_next_at"))).await?;
        m.alter_table(add("tickets", boolean("overdue").default(false))).await?;
        m.alter_table(add("tickets", &mut big_integer_null("reminded_at"))).await?;
        m.get_connection()
            .execute_unprepared("CREATE INDEX tickets_sla_next ON tickets (sla_next_at, id) WHERE sla_next_at IS NOT NULL")
            .await?;
        m.create_table(
            Table::create()
                .table("sla_firings")
                .col(big_integer("ticket_id"))
                .col(text("target"))
                .col(text("threshold"))
                .col(big_integer("fired_at"))
                .primary_key(Index::create().col(Alias::new("ticket_id")).col(Alias::new("target")).col(Alias::new("threshold")))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("sla_firings"), Alias::new("ticket_id"))
                        .to(Alias::new("tickets"), Alias::new("id")),
                )
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("scheduled_tasks")
                .col(text("task").primary_key())
                .col(big_integer("next_run_at"))
                .col(text_null("lease_owner"))
                .col(big_integer_null("lease_until"))
                .col(big_integer_null("last_started_at"))
                .col(big_integer_null("last_finished_at"))
                .col(text_null("last_error"))
                .col(integer("failures").default(0))
                .col(big_integer("runs").default(0))
                .take(),
        )
        .await?;
        m.alter_table(add("agents", boolean("away").default(false))).await?;
        m.alter_table(add("departments", &mut big_integer_null("assign_cursor"))).await?;
        m.create_table(
            Table::create()
                .table("time_rules")
                .col(big_pk_auto("id"))
                .col(text_uniq("name"))
                .col(big_integer_null("department_id"))
                .col(text("condition"))
                .col(integer("minutes"))
                .col(text("action"))
                .col(big_integer_null("target_department_id"))
                .col(boolean("active").default(true))
                .col(big_integer("updated_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("time_rule_firings")
                .col(big_integer("rule_id"))
                .col(big_integer("ticket_id"))
                .col(big_integer("fired_at"))
                .primary_key(Index::create().col(Alias::new("rule_id")).col(Alias::new("ticket_id")))
                .take(),
        )
        .await?;
        // The plan every desk starts with warns the owner at 75 % and, at a breach, tells the
        // owner and the manager and marks the ticket overdue (`Escalation::standard`).
        m.get_connection()
            .execute_unprepared(
                "UPDATE sla_plans SET warn_percent = 75, warn_actions = 'notify_owner', \
                 breach_actions = 'notify_owner,notify_manager,mark_overdue' WHERE name = 'Estándar'",
            )
            .await?;
        Ok(())
    }
}
