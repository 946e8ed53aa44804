//! The ticket search index (`crate::search`): an FTS5 table on SQLite, a table with a weighted
//! `tsvector` and a GIN index on PostgreSQL, holding terms made in Rust (`tikal_core::search`)
//! so both databases match alike. Tickets written before this migration are indexed by it, a
//! batch at a time (on a large desk this upgrade takes a while: about a minute per few hundred
//! thousand tickets).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0022_search"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE TABLE ticket_search (ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id), \
                     subject_terms TEXT NOT NULL, public_terms TEXT NOT NULL, internal_terms TEXT NOT NULL, \
                     doc TSVECTOR GENERATED ALWAYS AS (setweight(to_tsvector('simple', subject_terms), 'A') || \
                     setweight(to_tsvector('simple', public_terms), 'B') || setweight(to_tsvector('simple', internal_terms), 'D')) STORED)",
                )
                .await?;
                db.execute_unprepared("CREATE INDEX ticket_search_doc ON ticket_search USING GIN (doc)").await?;
            }
            _ => {
                // `detail = column`: no word positions (no phrase queries are asked), a smaller index.
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE ticket_fts USING fts5(subject_terms, public_terms, internal_terms, \
                     tokenize = 'unicode61', detail = column)",
                )
                .await?;
            }
        }
        let mut after = 0;
        while let Some((last, _)) =
            crate::search::reindex_batch(db, after, false).await.map_err(|e| DbErr::Custom(format!("indexing tickets: {e}")))?
        {
            after = last;
        }
        Ok(())
    }
}
