//! E-mail templates an administrator wrote: one per kind and language. A kind without a row
//! uses the template shipped in the code; restoring the default deletes the row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_templates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("mail_templates")
                .col(text("kind"))
                .col(ColumnDef::new("language").text().not_null().check(Expr::col("language").is_in(["es", "en"])))
                .col(text("subject"))
                .col(text("text_body"))
                .col(text_null("html_body"))
                .col(big_integer("updated_at"))
                .primary_key(Index::create().col("kind").col("language"))
                .take(),
        )
        .await?;
        Ok(())
    }
}
