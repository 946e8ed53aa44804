//! The knowledge base: categories (nested), articles (their current text, state, visibility,
//! language and counters), every saved revision, the help topics an article belongs to, the
//! "was this helpful?" votes (one per voter), files, the tickets an article solved, the
//! suggestions a portal visitor opened (ticket deflection), and the article search index (same
//! terms on both databases: an FTS5 table on SQLite, a `tsvector` with a GIN index on
//! PostgreSQL).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0021_kb"
    }
}

fn one_of(col: &'static str, values: &[&str]) -> ColumnDef {
    ColumnDef::new(Alias::new(col)).text().not_null().check(Expr::col(Alias::new(col)).is_in(values.iter().copied())).take()
}

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(Alias::new(table), Alias::new(col)).to(Alias::new(to), Alias::new("id")).take()
}

async fn index(m: &SchemaManager<'_>, name: &str, table: &'static str, cols: &[&'static str]) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(Alias::new(table)).to_owned();
    for c in cols {
        stmt.col(Alias::new(*c));
    }
    m.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("kb_categories")
                .col(big_pk_auto("id"))
                .col(text("name"))
                .col(big_integer_null("parent_id"))
                .col(integer("sort").default(0))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("kb_categories", "parent_id", "kb_categories"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("kb_articles")
                .col(big_pk_auto("id"))
                .col(text_uniq("slug"))
                .col(text("title"))
                .col(text("body"))
                .col(big_integer_null("category_id"))
                .col(one_of("language", &["es", "en"]))
                .col(one_of("visibility", &["public", "signed_in", "agents"]))
                .col(one_of("state", &["draft", "published", "archived"]))
                .col(integer("revision").default(1))
                .col(big_integer_null("author_id"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .col(big_integer_null("published_at"))
                // Counters, not a row per view or vote: reading an article costs one update.
                .col(big_integer("views").default(0))
                .col(integer("helpful_yes").default(0))
                .col(integer("helpful_no").default(0))
                .foreign_key(&mut fk("kb_articles", "category_id", "kb_categories"))
                .foreign_key(&mut fk("kb_articles", "author_id", "agents"))
                .take(),
        )
        .await?;
        index(m, "kb_articles_list", "kb_articles", &["state", "language", "updated_at"]).await?;
        index(m, "kb_articles_category", "kb_articles", &["category_id"]).await?;
        m.create_table(
            Table::create()
                .table("kb_revisions")
                .col(big_pk_auto("id"))
                .col(big_integer("article_id"))
                .col(integer("revision"))
                .col(text("title"))
                .col(text("body"))
                .col(text("state"))
                .col(big_integer_null("author_id"))
                .col(text("author_name"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("kb_revisions", "article_id", "kb_articles"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("kb_revisions_article")
                .table(Alias::new("kb_revisions"))
                .col("article_id")
                .col("revision")
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("kb_article_topics")
                .col(big_integer("article_id"))
                .col(big_integer("help_topic_id"))
                .primary_key(Index::create().col(Alias::new("article_id")).col(Alias::new("help_topic_id")))
                .foreign_key(&mut fk("kb_article_topics", "article_id", "kb_articles"))
                .foreign_key(&mut fk("kb_article_topics", "help_topic_id", "help_topics"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("kb_votes")
                .col(big_integer("article_id"))
                // "r:<requester id>" or "b:<hash of the browser's token>": one vote each.
                .col(text("voter"))
                .col(boolean("helpful"))
                .col(big_integer("created_at"))
                .primary_key(Index::create().col(Alias::new("article_id")).col(Alias::new("voter")))
                .foreign_key(&mut fk("kb_votes", "article_id", "kb_articles"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("kb_attachments")
                .col(big_pk_auto("id"))
                .col(big_integer("article_id"))
                .col(text("filename"))
                .col(text("content_type"))
                .col(big_integer("size"))
                .col(text("sha256"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("kb_attachments", "article_id", "kb_articles"))
                .take(),
        )
        .await?;
        index(m, "kb_attachments_article", "kb_attachments", &["article_id"]).await?;
        index(m, "kb_attachments_sha", "kb_attachments", &["sha256"]).await?;
        m.create_table(
            Table::create()
                .table("kb_ticket_links")
                .col(big_integer("ticket_id"))
                .col(big_integer("article_id"))
                .col(big_integer_null("agent_id"))
                .col(big_integer("created_at"))
                .primary_key(Index::create().col(Alias::new("ticket_id")).col(Alias::new("article_id")))
                .foreign_key(&mut fk("kb_ticket_links", "ticket_id", "tickets"))
                .foreign_key(&mut fk("kb_ticket_links", "article_id", "kb_articles"))
                .take(),
        )
        .await?;
        index(m, "kb_ticket_links_article", "kb_ticket_links", &["article_id", "created_at"]).await?;
        m.create_table(
            Table::create()
                .table("kb_deflections")
                .col(big_pk_auto("id"))
                // A hash of the browser's token (never the token itself).
                .col(text("browser"))
                .col(big_integer("article_id"))
                .col(big_integer("opened_at"))
                // Set when the same browser opened a ticket within the window afterwards.
                .col(big_integer_null("ticket_opened_at"))
                .foreign_key(&mut fk("kb_deflections", "article_id", "kb_articles"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("kb_deflections_once")
                .table(Alias::new("kb_deflections"))
                .col("browser")
                .col("article_id")
                .unique()
                .take(),
        )
        .await?;
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE TABLE kb_fts (article_id BIGINT PRIMARY KEY REFERENCES kb_articles (id), title_terms TEXT NOT NULL, \
                     body_terms TEXT NOT NULL, doc TSVECTOR GENERATED ALWAYS AS \
                     (setweight(to_tsvector('simple', title_terms), 'A') || setweight(to_tsvector('simple', body_terms), 'B')) STORED)",
                )
                .await?;
                db.execute_unprepared("CREATE INDEX kb_fts_doc ON kb_fts USING GIN (doc)").await?;
            }
            _ => {
                db.execute_unprepared("CREATE VIRTUAL TABLE kb_fts USING fts5(title_terms, body_terms, tokenize = 'unicode61')").await?;
            }
        }
        Ok(())
    }
}
