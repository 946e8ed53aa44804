//! Priorities, ticket types and SLA plans become data an administrator edits:
//! - `priority_levels`: each priority's names and colour (seeded with today's);
//! - `priority_matrix`: impact x urgency -> priority, 9 rows once an administrator saves it
//!   (empty = the configuration file's matrix, which is only the default now);
//! - `ticket_types`: names per language and whether a type is still offered;
//! - `calendars` with `calendar_hours` (one row per worked weekday) and `holidays`;
//! - `sla_plans` with `sla_targets` (one row per priority), seeded with an "Estándar" plan
//!   holding today's 24x7 targets.

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_priorities_sla"
    }
}

const LEVELS: [(i32, &str, &str, &str); 5] = [
    (1, "Muy baja", "Very low", "#6b7280"),
    (2, "Baja", "Low", "#2563eb"),
    (3, "Media", "Medium", "#ca8a04"),
    (4, "Alta", "High", "#ea580c"),
    (5, "Muy alta", "Very high", "#dc2626"),
];

const TYPES: [(&str, &str, &str); 4] = [
    ("incident", "Incidente", "Incident"),
    ("service_request", "Solicitud de servicio", "Service request"),
    ("problem", "Problema", "Problem"),
    ("major_incident", "Incidente mayor", "Major incident"),
];

/// Today's 24x7 targets in hours (first response, resolution) for priorities 1..5.
const STANDARD: [(i32, i32); 5] = [(48, 240), (24, 120), (8, 72), (4, 24), (1, 8)];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("priority_levels")
                .col(ColumnDef::new("level").integer().not_null().primary_key().check(Expr::col("level").between(1, 5)))
                .col(text("name_es"))
                .col(text("name_en"))
                .col(text("colour"))
                .take(),
        )
        .await?;
        let mut insert = Query::insert().into_table("priority_levels").columns(["level", "name_es", "name_en", "colour"]).to_owned();
        for (level, es, en, colour) in LEVELS {
            insert.values_panic([level.into(), es.into(), en.into(), colour.into()]);
        }
        m.exec_stmt(insert).await?;

        m.create_table(
            Table::create()
                .table("priority_matrix")
                .col(ColumnDef::new("impact").integer().not_null().check(Expr::col("impact").between(1, 3)))
                .col(ColumnDef::new("urgency").integer().not_null().check(Expr::col("urgency").between(1, 3)))
                .col(ColumnDef::new("priority").integer().not_null().check(Expr::col("priority").between(1, 5)))
                .primary_key(Index::create().col("impact").col("urgency"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("ticket_types")
                .col(text("key").primary_key())
                .col(text("name_es"))
                .col(text("name_en"))
                .col(integer("position").default(0))
                .col(boolean("active").default(true))
                .take(),
        )
        .await?;
        let mut insert = Query::insert().into_table("ticket_types").columns(["key", "name_es", "name_en", "position", "active"]).to_owned();
        for ((key, es, en), position) in TYPES.into_iter().zip((0i32..).step_by(10)) {
            insert.values_panic([key.into(), es.into(), en.into(), position.into(), true.into()]);
        }
        m.exec_stmt(insert).await?;

        m.create_table(
            Table::create()
                .table("calendars")
                .col(big_pk_auto("id"))
                .col(text_uniq("name"))
                .col(text("time_zone"))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("calendar_hours")
                .col(big_integer("calendar_id"))
                // 1 = Monday .. 7 = Sunday; minutes after midnight, local time.
                .col(ColumnDef::new("weekday").integer().not_null().check(Expr::col("weekday").between(1, 7)))
                .col(ColumnDef::new("start_minute").integer().not_null().check(Expr::col("start_minute").between(0, 1440)))
                .col(ColumnDef::new("end_minute").integer().not_null().check(Expr::col("end_minute").between(0, 1440)))
                .primary_key(Index::create().col("calendar_id").col("weekday"))
                .foreign_key(ForeignKey::create().from("calendar_hours", "calendar_id").to("calendars", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("holidays")
                .col(big_pk_auto("id"))
                .col(big_integer("calendar_id"))
                // YYYY-MM-DD; a yearly holiday recurs on its month and day.
                .col(text("date"))
                .col(boolean("yearly").default(false))
                .col(text("name"))
                .foreign_key(ForeignKey::create().from("holidays", "calendar_id").to("calendars", "id"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("holidays_calendar").table("holidays").col("calendar_id").col("date").to_owned()).await?;

        m.create_table(
            Table::create()
                .table("sla_plans")
                .col(big_pk_auto("id"))
                .col(text_uniq("name"))
                .col(big_integer_null("calendar_id"))
                .col(boolean("pause_when_pending").default(true))
                .col(boolean("active").default(true))
                .col(big_integer("created_at"))
                .foreign_key(ForeignKey::create().from("sla_plans", "calendar_id").to("calendars", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sla_targets")
                .col(big_integer("plan_id"))
                .col(ColumnDef::new("priority").integer().not_null().check(Expr::col("priority").between(1, 5)))
                .col(ColumnDef::new("first_response_minutes").integer().not_null().check(Expr::col("first_response_minutes").gt(0)))
                .col(ColumnDef::new("resolution_minutes").integer().not_null().check(Expr::col("resolution_minutes").gt(0)))
                .primary_key(Index::create().col("plan_id").col("priority"))
                .foreign_key(ForeignKey::create().from("sla_targets", "plan_id").to("sla_plans", "id"))
                .take(),
        )
        .await?;

        // The standard plan, with today's 24x7 targets.
        m.exec_stmt(
            Query::insert()
                .into_table("sla_plans")
                .columns(["name", "pause_when_pending", "active", "created_at"])
                .values_panic(["Estándar".into(), true.into(), true.into(), 0i64.into()])
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let plan: i64 = db
            .query_one_raw(Statement::from_string(backend, "SELECT id FROM sla_plans WHERE name = 'Estándar'"))
            .await?
            .ok_or_else(|| DbErr::Migration("the standard SLA plan was not stored".into()))?
            .try_get_by_index(0)?;
        let mut insert = Query::insert()
            .into_table("sla_targets")
            .columns(["plan_id", "priority", "first_response_minutes", "resolution_minutes"])
            .to_owned();
        for ((r, s), level) in STANDARD.into_iter().zip(1i32..) {
            insert.values_panic([plan.into(), level.into(), (r * 60).into(), (s * 60).into()]);
        }
        m.exec_stmt(insert).await?;
        Ok(())
    }
}
