//! SQLite: a trigram index of requesters' name, address and phone (FTS5's `trigram`
//! tokenizer, over the `requesters` table as external content, kept by triggers). People search
//! compared `lower(column) LIKE` row by row, and SQLite's `lower` folds ASCII letters only:
//! "ÁLVAREZ" or "álvarez" typed did not find "Álvarez". The trigram index folds every letter's
//! case (not its accents, as PostgreSQL's `lower` does not) and answers without reading each
//! requester. Texts under three characters, which it cannot answer, still scan.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0025_people_search_sqlite"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        for sql in [
            "CREATE VIRTUAL TABLE requester_trgm USING fts5(name, email, phone, content = 'requesters', \
             content_rowid = 'id', tokenize = 'trigram')",
            // An external-content index is told the old values to forget them.
            "CREATE TRIGGER requester_trgm_insert AFTER INSERT ON requesters BEGIN \
               INSERT INTO requester_trgm (rowid, name, email, phone) VALUES (new.id, new.name, new.email, new.phone); \
             END",
            "CREATE TRIGGER requester_trgm_delete AFTER DELETE ON requesters BEGIN \
               INSERT INTO requester_trgm (requester_trgm, rowid, name, email, phone) \
               VALUES ('delete', old.id, old.name, old.email, old.phone); \
             END",
            "CREATE TRIGGER requester_trgm_update AFTER UPDATE OF name, email, phone ON requesters BEGIN \
               INSERT INTO requester_trgm (requester_trgm, rowid, name, email, phone) \
               VALUES ('delete', old.id, old.name, old.email, old.phone); \
               INSERT INTO requester_trgm (rowid, name, email, phone) VALUES (new.id, new.name, new.email, new.phone); \
             END",
            "INSERT INTO requester_trgm (requester_trgm) VALUES ('rebuild')",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
