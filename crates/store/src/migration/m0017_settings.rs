//! Settings an administrator edits (organisation, branding, language, time zone, ticket numbers,
//! limits, registration): one row per setting, its value a JSON document. A key without a row
//! takes the configuration file's default. The logo's bytes sit in the `data` of its own row
//! (at most 512 KB), so they are backed up with the database and no blob clean-up removes them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_settings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("settings")
                .col(text("key").primary_key())
                .col(text("value"))
                .col(blob_null("data"))
                .col(big_integer("updated_at"))
                .take(),
        )
        .await
    }
}
