//! Accounts hardening: sessions remember when they were last used (idle timeout), and an
//! address-confirmation link carries the registration it confirms (password, name, language),
//! so nothing of it touches the requester until the owner of the address follows the link.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("sessions").add_column(big_integer("last_seen_at").default(0)).to_owned()).await?;
        // Sessions open at the upgrade count as used when they began.
        let touch = Query::update().table("sessions").value("last_seen_at", Expr::col("created_at")).to_owned();
        m.exec_stmt(touch).await?;
        for column in ["password_hash", "name", "language"] {
            m.alter_table(Table::alter().table("access_tokens").add_column(text_null(column)).to_owned()).await?;
        }
        Ok(())
    }
}
