//! The knowledge base: categories, articles with every revision, votes, view counters, files,
//! the tickets an article solved, ticket deflection, and the article search index (kept in the
//! same transaction as the article it indexes).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement, TransactionTrait, Value,
};
use tikal_core::kb::{ArticleDraft, ArticleRef, ArticleState, KbCategory, Visibility};
use tikal_core::search::{SearchQuery, index_terms};
use tikal_core::template::Language;
use tikal_core::{AgentId, ArticleId, AttachmentId, HelpTopicId, KbCategoryId, TicketId};

use crate::convert::{micros, opt_time, time};
use crate::{NewAttachment, Result, Store, StoreError};

entity!(kb_category, "kb_categories", {
    #[sea_orm(primary_key)] id: i64,
    name: String,
    parent_id: Option<i64>,
    sort: i32,
    created_at: i64,
});

entity!(kb_article, "kb_articles", {
    #[sea_orm(primary_key)] id: i64,
    slug: String,
    title: String,
    body: String,
    category_id: Option<i64>,
    language: String,
    visibility: String,
    state: String,
    revision: i32,
    author_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
    views: i64,
    helpful_yes: i32,
    helpful_no: i32,
});

entity!(kb_revision, "kb_revisions", {
    #[sea_orm(primary_key)] id: i64,
    article_id: i64,
    revision: i32,
    title: String,
    body: String,
    state: String,
    author_id: Option<i64>,
    author_name: String,
    created_at: i64,
});

entity!(kb_article_topic, "kb_article_topics", {
    #[sea_orm(primary_key, auto_increment = false)] article_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] help_topic_id: i64,
});

entity!(kb_vote, "kb_votes", {
    #[sea_orm(primary_key, auto_increment = false)] article_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] voter: String,
    helpful: bool,
    created_at: i64,
});

entity!(kb_attachment, "kb_attachments", {
    #[sea_orm(primary_key)] id: i64,
    article_id: i64,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    created_at: i64,
});

entity!(kb_ticket_link, "kb_ticket_links", {
    #[sea_orm(primary_key, auto_increment = false)] ticket_id: i64,
    #[sea_orm(primary_key, auto_increment = false)] article_id: i64,
    agent_id: Option<i64>,
    created_at: i64,
});

entity!(kb_deflection, "kb_deflections", {
    #[sea_orm(primary_key)] id: i64,
    browser: String,
    article_id: i64,
    opened_at: i64,
    ticket_opened_at: Option<i64>,
});

/// An article as stored: its current text and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub id: ArticleId,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub category_id: Option<KbCategoryId>,
    pub language: Language,
    pub visibility: Visibility,
    pub state: ArticleState,
    pub revision: i32,
    pub author_id: Option<AgentId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub views: i64,
    pub helpful_yes: i32,
    pub helpful_no: i32,
    pub topics: Vec<HelpTopicId>,
}

impl Article {
    pub fn as_ref(&self) -> ArticleRef {
        ArticleRef { id: self.id, slug: self.slug.clone(), title: self.title.clone() }
    }
}

/// One saved version of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub article_id: ArticleId,
    pub revision: i32,
    pub title: String,
    pub body: String,
    pub state: ArticleState,
    pub author_id: Option<AgentId>,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
}

/// Which articles a list or search returns. `visibilities` and `states` are what the reader
/// may see (never empty for a reader outside the desk).
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub visibilities: Vec<Visibility>,
    pub states: Vec<ArticleState>,
    pub language: Option<Language>,
    pub category: Option<KbCategoryId>,
    pub topic: Option<HelpTopicId>,
    /// Words to match (best matches first); none: newest first.
    pub query: Option<SearchQuery>,
    pub limit: u64,
}

/// A file of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct KbFile {
    pub id: AttachmentId,
    pub article_id: ArticleId,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// A ticket an article solved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolvedTicket {
    pub ticket_id: TicketId,
    pub number: String,
    pub subject: String,
    pub agent_id: Option<AgentId>,
    pub at: DateTime<Utc>,
}

/// What the deflection log says: suggestions opened with no ticket afterwards, once the window
/// passed (`avoided`), and still within it (`pending`); counted once per browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct DeflectionCounts {
    pub avoided: u64,
    pub pending: u64,
    pub followed_by_ticket: u64,
}

/// The author of a write.
#[derive(Debug, Clone)]
pub struct KbAuthor {
    pub id: Option<AgentId>,
    pub name: String,
}

fn to_category(m: kb_category::Model) -> KbCategory {
    KbCategory { id: KbCategoryId(m.id), name: m.name, parent_id: m.parent_id.map(KbCategoryId), sort: m.sort }
}

fn to_article(m: kb_article::Model, topics: Vec<HelpTopicId>) -> Result<Article> {
    Ok(Article {
        id: ArticleId(m.id),
        slug: m.slug,
        title: m.title,
        body: m.body,
        category_id: m.category_id.map(KbCategoryId),
        language: m.language.parse()?,
        visibility: m.visibility.parse()?,
        state: m.state.parse()?,
        revision: m.revision,
        author_id: m.author_id.map(AgentId),
        created_at: time(m.created_at)?,
        updated_at: time(m.updated_at)?,
        published_at: opt_time(m.published_at)?,
        views: m.views,
        helpful_yes: m.helpful_yes,
        helpful_no: m.helpful_no,
        topics,
    })
}

fn to_revision(m: kb_revision::Model) -> Result<Revision> {
    Ok(Revision {
        article_id: ArticleId(m.article_id),
        revision: m.revision,
        title: m.title,
        body: m.body,
        state: m.state.parse()?,
        author_id: m.author_id.map(AgentId),
        author_name: m.author_name,
        created_at: time(m.created_at)?,
    })
}

fn to_file(m: kb_attachment::Model) -> KbFile {
    KbFile {
        id: AttachmentId(m.id),
        article_id: ArticleId(m.article_id),
        filename: m.filename,
        content_type: m.content_type,
        size: u64::try_from(m.size).unwrap_or(0),
        sha256: m.sha256,
        created_at: time(m.created_at).unwrap_or_default(),
    }
}

/// Rewrites the article's row of the search index (same terms on both databases).
async fn reindex(txn: &DatabaseTransaction, id: i64, title: &str, body: &str) -> Result<()> {
    let backend = txn.get_database_backend();
    let (t, b) = (index_terms(title), index_terms(body));
    match backend {
        DbBackend::Postgres => {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO kb_fts (article_id, title_terms, body_terms) VALUES ($1, $2, $3) \
                 ON CONFLICT (article_id) DO UPDATE SET title_terms = EXCLUDED.title_terms, body_terms = EXCLUDED.body_terms",
                [id.into(), t.into(), b.into()],
            ))
            .await?;
        }
        _ => {
            txn.execute_raw(Statement::from_sql_and_values(backend, "DELETE FROM kb_fts WHERE rowid = $1", [id.into()])).await?;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO kb_fts (rowid, title_terms, body_terms) VALUES ($1, $2, $3)",
                [id.into(), t.into(), b.into()],
            ))
            .await?;
        }
    }
    Ok(())
}

async fn set_topics(txn: &DatabaseTransaction, id: i64, topics: &[HelpTopicId]) -> Result<()> {
    kb_article_topic::Entity::delete_many().filter(kb_article_topic::Column::ArticleId.eq(id)).exec(txn).await?;
    for t in topics {
        kb_article_topic::ActiveModel { article_id: Set(id), help_topic_id: Set(t.get()) }.insert(txn).await?;
    }
    Ok(())
}

async fn add_revision(txn: &DatabaseTransaction, m: &kb_article::Model, by: &KbAuthor, at: i64) -> Result<()> {
    kb_revision::ActiveModel {
        article_id: Set(m.id),
        revision: Set(m.revision),
        title: Set(m.title.clone()),
        body: Set(m.body.clone()),
        state: Set(m.state.clone()),
        author_id: Set(by.id.map(AgentId::get)),
        author_name: Set(by.name.clone()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

fn placeholders(values: &mut Vec<Value>, items: impl IntoIterator<Item = Value>) -> String {
    let mut out = Vec::new();
    for v in items {
        values.push(v);
        out.push(format!("${}", values.len()));
    }
    out.join(", ")
}

impl Store {
    pub async fn kb_categories(&self) -> Result<Vec<KbCategory>> {
        let rows = kb_category::Entity::find()
            .order_by_asc(kb_category::Column::Sort)
            .order_by_asc(kb_category::Column::Id)
            .all(&self.read)
            .await?;
        Ok(rows.into_iter().map(to_category).collect())
    }

    /// Creates (`id` none) or changes a category; its name and place were checked by the caller.
    pub async fn save_kb_category(
        &self,
        id: Option<KbCategoryId>,
        name: String,
        parent: Option<KbCategoryId>,
        sort: i32,
    ) -> Result<KbCategory> {
        let row = kb_category::ActiveModel {
            name: Set(name),
            parent_id: Set(parent.map(KbCategoryId::get)),
            sort: Set(sort),
            ..Default::default()
        };
        let saved = match id {
            Some(id) => {
                let mut row = row;
                row.id = sea_orm::Unchanged(id.get());
                row.update(&self.write).await.map_err(|e| match e {
                    sea_orm::DbErr::RecordNotUpdated => StoreError::NotFound("category"),
                    e => e.into(),
                })?
            }
            None => {
                let mut row = row;
                row.created_at = Set(micros(crate::now()));
                row.insert(&self.write).await?
            }
        };
        Ok(to_category(saved))
    }

    /// Deletes an empty category (one with articles or categories under it is a conflict).
    pub async fn delete_kb_category(&self, id: KbCategoryId) -> Result<()> {
        let used = kb_article::Entity::find().filter(kb_article::Column::CategoryId.eq(id.get())).one(&self.read).await?.is_some()
            || kb_category::Entity::find().filter(kb_category::Column::ParentId.eq(id.get())).one(&self.read).await?.is_some();
        if used {
            return Err(StoreError::Conflict("the category is not empty".into()));
        }
        let r = kb_category::Entity::delete_by_id(id.get()).exec(&self.write).await?;
        if r.rows_affected == 0 {
            return Err(StoreError::NotFound("category"));
        }
        Ok(())
    }

    async fn topics_of(&self, id: i64) -> Result<Vec<HelpTopicId>> {
        let rows = kb_article_topic::Entity::find().filter(kb_article_topic::Column::ArticleId.eq(id)).all(&self.read).await?;
        Ok(rows.into_iter().map(|r| HelpTopicId(r.help_topic_id)).collect())
    }

    /// A new article and its first revision, indexed.
    pub async fn create_article(
        &self,
        draft: ArticleDraft,
        state: ArticleState,
        topics: Vec<HelpTopicId>,
        by: KbAuthor,
    ) -> Result<Article> {
        let at = micros(crate::now());
        let txn = self.write.begin().await?;
        let saved = kb_article::ActiveModel {
            slug: Set(draft.slug),
            title: Set(draft.title),
            body: Set(draft.body),
            category_id: Set(draft.category_id.map(KbCategoryId::get)),
            language: Set(draft.language.as_str().into()),
            visibility: Set(draft.visibility.as_str().into()),
            state: Set(state.as_str().into()),
            revision: Set(1),
            author_id: Set(by.id.map(AgentId::get)),
            created_at: Set(at),
            updated_at: Set(at),
            published_at: Set((state == ArticleState::Published).then_some(at)),
            views: Set(0),
            helpful_yes: Set(0),
            helpful_no: Set(0),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        add_revision(&txn, &saved, &by, at).await?;
        set_topics(&txn, saved.id, &topics).await?;
        reindex(&txn, saved.id, &saved.title, &saved.body).await?;
        txn.commit().await?;
        to_article(saved, topics)
    }

    /// Saves a new revision of an article (content, state, topics), re-indexed. With
    /// `expected_revision`, refuses (`Stale`) when someone saved in between.
    pub async fn update_article(
        &self,
        id: ArticleId,
        draft: ArticleDraft,
        state: ArticleState,
        topics: Vec<HelpTopicId>,
        expected_revision: Option<i32>,
        by: KbAuthor,
    ) -> Result<Article> {
        let at = micros(crate::now());
        let txn = self.write.begin().await?;
        let cur = kb_article::Entity::find_by_id(id.get()).one(&txn).await?.ok_or(StoreError::NotFound("article"))?;
        if expected_revision.is_some_and(|r| r != cur.revision) {
            return Err(StoreError::Stale);
        }
        let published_at = match (state, cur.published_at) {
            (ArticleState::Published, None) => Some(at),
            (ArticleState::Published, p) => p,
            _ => cur.published_at,
        };
        let mut row: kb_article::ActiveModel = cur.clone().into();
        row.slug = Set(draft.slug);
        row.title = Set(draft.title);
        row.body = Set(draft.body);
        row.category_id = Set(draft.category_id.map(KbCategoryId::get));
        row.language = Set(draft.language.as_str().into());
        row.visibility = Set(draft.visibility.as_str().into());
        row.state = Set(state.as_str().into());
        row.revision = Set(cur.revision + 1);
        row.updated_at = Set(at);
        row.published_at = Set(published_at);
        let saved = row.update(&txn).await?;
        add_revision(&txn, &saved, &by, at).await?;
        set_topics(&txn, saved.id, &topics).await?;
        reindex(&txn, saved.id, &saved.title, &saved.body).await?;
        txn.commit().await?;
        to_article(saved, topics)
    }

    /// Deletes an article with everything that hangs from it, and records `audit` in the same
    /// transaction.
    pub async fn delete_article(&self, id: ArticleId, audit: crate::NewAudit) -> Result<()> {
        let txn = self.write.begin().await?;
        let i = id.get();
        kb_article_topic::Entity::delete_many().filter(kb_article_topic::Column::ArticleId.eq(i)).exec(&txn).await?;
        kb_vote::Entity::delete_many().filter(kb_vote::Column::ArticleId.eq(i)).exec(&txn).await?;
        kb_attachment::Entity::delete_many().filter(kb_attachment::Column::ArticleId.eq(i)).exec(&txn).await?;
        kb_ticket_link::Entity::delete_many().filter(kb_ticket_link::Column::ArticleId.eq(i)).exec(&txn).await?;
        kb_deflection::Entity::delete_many().filter(kb_deflection::Column::ArticleId.eq(i)).exec(&txn).await?;
        kb_revision::Entity::delete_many().filter(kb_revision::Column::ArticleId.eq(i)).exec(&txn).await?;
        let backend = txn.get_database_backend();
        let sql =
            if backend == DbBackend::Postgres { "DELETE FROM kb_fts WHERE article_id = $1" } else { "DELETE FROM kb_fts WHERE rowid = $1" };
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, [i.into()])).await?;
        let r = kb_article::Entity::delete_by_id(i).exec(&txn).await?;
        if r.rows_affected == 0 {
            return Err(StoreError::NotFound("article"));
        }
        crate::admin::insert_audit(&txn, &audit).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn article(&self, id: ArticleId) -> Result<Option<Article>> {
        match kb_article::Entity::find_by_id(id.get()).one(&self.read).await? {
            Some(m) => Ok(Some(to_article(m, self.topics_of(id.get()).await?)?)),
            None => Ok(None),
        }
    }

    pub async fn article_by_slug(&self, slug: &str) -> Result<Option<Article>> {
        match kb_article::Entity::find().filter(kb_article::Column::Slug.eq(slug)).one(&self.read).await? {
            Some(m) => {
                let topics = self.topics_of(m.id).await?;
                Ok(Some(to_article(m, topics)?))
            }
            None => Ok(None),
        }
    }

    /// Articles matching the filter: by relevance when it has words, else newest first.
    /// Visibility, state, language and category are filtered in SQL.
    pub async fn articles(&self, f: &ArticleFilter) -> Result<Vec<Article>> {
        let backend = self.backend();
        let mut values: Vec<Value> = Vec::new();
        let mut conds: Vec<String> = Vec::new();
        if !f.visibilities.is_empty() {
            let p = placeholders(&mut values, f.visibilities.iter().map(|v| Value::from(v.as_str())));
            conds.push(format!("a.visibility IN ({p})"));
        }
        if !f.states.is_empty() {
            let p = placeholders(&mut values, f.states.iter().map(|v| Value::from(v.as_str())));
            conds.push(format!("a.state IN ({p})"));
        }
        if let Some(l) = f.language {
            let p = placeholders(&mut values, [Value::from(l.as_str())]);
            conds.push(format!("a.language = {p}"));
        }
        if let Some(c) = f.category {
            let p = placeholders(&mut values, [Value::from(c.get())]);
            conds.push(format!("a.category_id = {p}"));
        }
        if let Some(t) = f.topic {
            let p = placeholders(&mut values, [Value::from(t.get())]);
            conds.push(format!("a.id IN (SELECT article_id FROM kb_article_topics WHERE help_topic_id = {p})"));
        }
        let matching = f.query.as_ref().and_then(|q| if backend == DbBackend::Postgres { q.tsquery() } else { q.fts5() });
        let limit = f.limit.clamp(1, 200);
        let sql = match matching {
            Some(m) => {
                let p = placeholders(&mut values, [Value::from(m)]);
                let (from, order) = if backend == DbBackend::Postgres {
                    conds.push(format!("f.doc @@ to_tsquery('simple', {p})"));
                    (
                        "kb_fts f JOIN kb_articles a ON a.id = f.article_id",
                        format!("ts_rank(f.doc, to_tsquery('simple', {p})) DESC, a.id DESC"),
                    )
                } else {
                    conds.push(format!("kb_fts MATCH {p}"));
                    // Title words weigh more than body words.
                    ("kb_fts JOIN kb_articles a ON a.id = kb_fts.rowid", "bm25(kb_fts, 10.0, 1.0), a.id DESC".to_string())
                };
                let wh = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
                format!("SELECT a.* FROM {from}{wh} ORDER BY {order} LIMIT {limit}")
            }
            None if f.query.as_ref().is_some_and(|q| !q.is_empty()) => return Ok(Vec::new()),
            None => {
                let wh = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
                format!("SELECT a.* FROM kb_articles a{wh} ORDER BY a.updated_at DESC, a.id DESC LIMIT {limit}")
            }
        };
        let rows = kb_article::Entity::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, values)).all(&self.read).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let links = kb_article_topic::Entity::find().filter(kb_article_topic::Column::ArticleId.is_in(ids)).all(&self.read).await?;
        rows.into_iter()
            .map(|m| {
                let topics = links.iter().filter(|l| l.article_id == m.id).map(|l| HelpTopicId(l.help_topic_id)).collect();
                to_article(m, topics)
            })
            .collect()
    }

    /// Every revision of an article, newest first.
    pub async fn article_revisions(&self, id: ArticleId) -> Result<Vec<Revision>> {
        let rows = kb_revision::Entity::find()
            .filter(kb_revision::Column::ArticleId.eq(id.get()))
            .order_by_desc(kb_revision::Column::Revision)
            .all(&self.read)
            .await?;
        rows.into_iter().map(to_revision).collect()
    }

    pub async fn article_revision(&self, id: ArticleId, revision: i32) -> Result<Option<Revision>> {
        kb_revision::Entity::find()
            .filter(kb_revision::Column::ArticleId.eq(id.get()))
            .filter(kb_revision::Column::Revision.eq(revision))
            .one(&self.read)
            .await?
            .map(to_revision)
            .transpose()
    }

    /// Counts one view (a counter update, no row per view).
    pub async fn count_article_view(&self, id: ArticleId) -> Result<()> {
        kb_article::Entity::update_many()
            .col_expr(kb_article::Column::Views, Expr::col(kb_article::Column::Views).add(1))
            .filter(kb_article::Column::Id.eq(id.get()))
            .exec(&self.write)
            .await?;
        Ok(())
    }

    /// Records a voter's "was this helpful?" answer; a voter counts once (a second answer
    /// changes nothing). Whether this vote was counted.
    pub async fn vote_article(&self, id: ArticleId, voter: String, helpful: bool) -> Result<bool> {
        let txn = self.write.begin().await?;
        let seen = kb_vote::Entity::find_by_id((id.get(), voter.clone())).one(&txn).await?.is_some();
        if seen {
            return Ok(false);
        }
        kb_vote::ActiveModel { article_id: Set(id.get()), voter: Set(voter), helpful: Set(helpful), created_at: Set(micros(crate::now())) }
            .insert(&txn)
            .await?;
        let col = if helpful { kb_article::Column::HelpfulYes } else { kb_article::Column::HelpfulNo };
        kb_article::Entity::update_many()
            .col_expr(col, Expr::col(col).add(1))
            .filter(kb_article::Column::Id.eq(id.get()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    pub async fn add_article_file(&self, id: ArticleId, file: NewAttachment) -> Result<KbFile> {
        let saved = kb_attachment::ActiveModel {
            article_id: Set(id.get()),
            filename: Set(file.filename),
            content_type: Set(file.content_type),
            size: Set(i64::try_from(file.blob.size).unwrap_or(i64::MAX)),
            sha256: Set(file.blob.sha256),
            created_at: Set(micros(crate::now())),
            ..Default::default()
        }
        .insert(&self.write)
        .await?;
        Ok(to_file(saved))
    }

    pub async fn article_files(&self, id: ArticleId) -> Result<Vec<KbFile>> {
        let rows = kb_attachment::Entity::find()
            .filter(kb_attachment::Column::ArticleId.eq(id.get()))
            .order_by_asc(kb_attachment::Column::Id)
            .all(&self.read)
            .await?;
        Ok(rows.into_iter().map(to_file).collect())
    }

    pub async fn delete_article_file(&self, id: ArticleId, file: AttachmentId) -> Result<()> {
        let r = kb_attachment::Entity::delete_many()
            .filter(kb_attachment::Column::ArticleId.eq(id.get()))
            .filter(kb_attachment::Column::Id.eq(file.get()))
            .exec(&self.write)
            .await?;
        if r.rows_affected == 0 {
            return Err(StoreError::NotFound("file"));
        }
        Ok(())
    }

    /// Of these blob ids, the ones an article file refers to (kept by the orphan sweep).
    pub(crate) async fn kb_blobs(&self, ids: &[String]) -> Result<Vec<String>> {
        Ok(kb_attachment::Entity::find()
            .select_only()
            .column(kb_attachment::Column::Sha256)
            .filter(kb_attachment::Column::Sha256.is_in(ids.iter().cloned()))
            .into_tuple::<String>()
            .all(&self.write)
            .await?)
    }

    /// Records that an article solved a ticket (again: nothing changes). Whether it was new.
    pub async fn link_article_ticket(&self, ticket: TicketId, article: ArticleId, agent: Option<AgentId>) -> Result<bool> {
        if kb_ticket_link::Entity::find_by_id((ticket.get(), article.get())).one(&self.write).await?.is_some() {
            return Ok(false);
        }
        kb_ticket_link::ActiveModel {
            ticket_id: Set(ticket.get()),
            article_id: Set(article.get()),
            agent_id: Set(agent.map(AgentId::get)),
            created_at: Set(micros(crate::now())),
        }
        .insert(&self.write)
        .await?;
        Ok(true)
    }

    pub async fn unlink_article_ticket(&self, ticket: TicketId, article: ArticleId) -> Result<()> {
        kb_ticket_link::Entity::delete_by_id((ticket.get(), article.get())).exec(&self.write).await?;
        Ok(())
    }

    /// The articles linked to a ticket as its known solution.
    pub async fn ticket_articles(&self, ticket: TicketId) -> Result<Vec<ArticleRef>> {
        let links = kb_ticket_link::Entity::find()
            .filter(kb_ticket_link::Column::TicketId.eq(ticket.get()))
            .order_by_asc(kb_ticket_link::Column::CreatedAt)
            .all(&self.read)
            .await?;
        let ids: Vec<i64> = links.iter().map(|l| l.article_id).collect();
        let rows = kb_article::Entity::find().filter(kb_article::Column::Id.is_in(ids.clone())).all(&self.read).await?;
        Ok(ids
            .iter()
            .filter_map(|id| rows.iter().find(|r| r.id == *id))
            .map(|r| ArticleRef { id: ArticleId(r.id), slug: r.slug.clone(), title: r.title.clone() })
            .collect())
    }

    /// The tickets an article solved, newest first (at most `limit`).
    pub async fn article_tickets(&self, article: ArticleId, limit: u64) -> Result<Vec<SolvedTicket>> {
        let links = kb_ticket_link::Entity::find()
            .filter(kb_ticket_link::Column::ArticleId.eq(article.get()))
            .order_by_desc(kb_ticket_link::Column::CreatedAt)
            .limit(limit)
            .all(&self.read)
            .await?;
        let ids: Vec<i64> = links.iter().map(|l| l.ticket_id).collect();
        let tickets = crate::entity::ticket::Entity::find().filter(crate::entity::ticket::Column::Id.is_in(ids)).all(&self.read).await?;
        links
            .iter()
            .filter_map(|l| tickets.iter().find(|t| t.id == l.ticket_id).map(|t| (l, t)))
            .map(|(l, t)| {
                Ok(SolvedTicket {
                    ticket_id: TicketId(t.id),
                    number: t.number.clone(),
                    subject: t.subject.clone(),
                    agent_id: l.agent_id.map(AgentId),
                    at: time(l.created_at)?,
                })
            })
            .collect()
    }

    /// A portal visitor (`browser`: a hash of their browser's token) opened a suggested
    /// article; once per browser and article.
    pub async fn record_suggestion_opened(&self, browser: String, article: ArticleId, at: DateTime<Utc>) -> Result<()> {
        let seen = kb_deflection::Entity::find()
            .filter(kb_deflection::Column::Browser.eq(browser.clone()))
            .filter(kb_deflection::Column::ArticleId.eq(article.get()))
            .one(&self.write)
            .await?
            .is_some();
        if !seen {
            let row = kb_deflection::ActiveModel {
                browser: Set(browser),
                article_id: Set(article.get()),
                opened_at: Set(micros(at)),
                ticket_opened_at: Set(None),
                ..Default::default()
            };
            match row.insert(&self.write).await.map_err(StoreError::from) {
                // Two tabs at once: the other one recorded it.
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The browser opened a ticket: suggestions it opened within the last `window` were not
    /// enough.
    pub async fn record_ticket_after_suggestion(&self, browser: &str, at: DateTime<Utc>, window: chrono::Duration) -> Result<()> {
        kb_deflection::Entity::update_many()
            .col_expr(kb_deflection::Column::TicketOpenedAt, Expr::value(micros(at)))
            .filter(kb_deflection::Column::Browser.eq(browser))
            .filter(kb_deflection::Column::TicketOpenedAt.is_null())
            .filter(kb_deflection::Column::OpenedAt.gte(micros(at - window)))
            .exec(&self.write)
            .await?;
        Ok(())
    }

    /// Tickets avoided: browsers that opened a suggestion and no ticket within `window`.
    pub async fn deflection_counts(&self, at: DateTime<Utc>, window: chrono::Duration) -> Result<DeflectionCounts> {
        let backend = self.backend();
        let sql = "SELECT \
             COUNT(DISTINCT CASE WHEN ticket_opened_at IS NULL AND opened_at < $1 THEN browser END), \
             COUNT(DISTINCT CASE WHEN ticket_opened_at IS NULL AND opened_at >= $1 THEN browser END), \
             COUNT(DISTINCT CASE WHEN ticket_opened_at IS NOT NULL THEN browser END) FROM kb_deflections";
        let row = self.read.query_one_raw(Statement::from_sql_and_values(backend, sql, [micros(at - window).into()])).await?;
        let get = |i| -> Result<u64> {
            Ok(u64::try_from(row.as_ref().map(|r| r.try_get_by_index::<i64>(i)).transpose()?.unwrap_or(0)).unwrap_or(0))
        };
        Ok(DeflectionCounts { avoided: get(0)?, pending: get(1)?, followed_by_ticket: get(2)? })
    }
}
