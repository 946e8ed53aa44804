//! The service catalogue an administrator shapes: help topics gain portal visibility, an SLA
//! plan and a description; custom fields gain labels and help in Spanish and English, who must
//! fill them, and retirement (old values stay on tickets).
//!
//! `sla_plan_id` is a plain column (the SLA plans' own migration adds the table it names; a
//! foreign key cannot be added to an existing SQLite table). The old `label` and `required`
//! columns stay, kept equal to `label_es` and `required_for <> 'none'`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_catalog"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let topics = [
            boolean("portal_visible").default(true).to_owned(),
            big_integer_null("sla_plan_id"),
            text("description").default("").to_owned(),
        ];
        for col in topics {
            m.alter_table(Table::alter().table("help_topics").add_column(col).to_owned()).await?;
        }
        let fields = [
            text("label_es").default("").to_owned(),
            text("label_en").default("").to_owned(),
            text("help_es").default("").to_owned(),
            text("help_en").default("").to_owned(),
            ColumnDef::new("required_for")
                .text()
                .not_null()
                .default("none")
                .check(Expr::col("required_for").is_in(["none", "requester", "agent"]))
                .to_owned(),
            boolean("active").default(true).to_owned(),
        ];
        for col in fields {
            m.alter_table(Table::alter().table("custom_fields").add_column(col).to_owned()).await?;
        }
        // Existing fields keep their one label in both languages and their requirement (what
        // the requester had to fill).
        let db = m.get_connection();
        db.execute_unprepared("UPDATE custom_fields SET label_es = label, label_en = label").await?;
        db.execute_unprepared("UPDATE custom_fields SET required_for = 'requester' WHERE required").await?;
        Ok(())
    }
}
