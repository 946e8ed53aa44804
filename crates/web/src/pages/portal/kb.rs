//! The public knowledge base (`/kb`): categories and published articles the visitor may read
//! (anonymous visitors: public ones; signed-in requesters: those for signed-in requesters
//! too), search with highlighted snippets, the article page with its files and the "was this
//! helpful?" vote, and the suggestions shown while a requester types a new ticket's summary
//! ("¿Ya probó esto?"). Opening a suggestion is recorded for the ticket-deflection count.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::kb::{KbCategory, category_tree};
use tikal_core::search::{SearchQuery, Segment, snippet};
use tikal_core::template::Language;
use tikal_core::{HelpTopicId, KbCategoryId};
use tikal_service::ArticleSearch;

use super::super::{Chrome, PageError, Visitor, page};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kb", get(browse))
        .route("/kb/suggest", get(suggest))
        .route("/kb/files/{id}/{file}", get(file))
        .route("/kb/{slug}", get(article))
        .route("/kb/{slug}/vote", post(vote))
}

struct Hit {
    slug: String,
    title: String,
    snippet: Vec<Segment>,
    category: String,
}

#[derive(Template)]
#[template(path = "portal/kb.html")]
struct BrowsePage {
    c: Chrome,
    q: String,
    searched: bool,
    hits: Vec<Hit>,
    /// (id, name, depth, selected)
    categories: Vec<(i64, String, usize, bool)>,
    category: String,
    /// The other language's code, to browse it instead.
    other_language: &'static str,
    language: &'static str,
}

#[derive(Deserialize, Default)]
struct BrowseParams {
    q: Option<String>,
    category: Option<String>,
    language: Option<String>,
}

fn language_of(c: &Chrome, asked: Option<&str>) -> Language {
    asked.and_then(|l| l.parse().ok()).unwrap_or_else(|| Language::of(Some(c.lang.code())))
}

fn category_name(id: Option<KbCategoryId>, all: &[KbCategory]) -> String {
    id.and_then(|id| all.iter().find(|c| c.id == id)).map(|c| c.path(all)).unwrap_or_default()
}

async fn browse(State(state): State<AppState>, v: Visitor, Query(p): Query<BrowseParams>) -> Result<Response, PageError> {
    let err = |e| PageError::from_service(&v.c, e);
    let cats = state.desk.kb_categories().await.map_err(err)?;
    let language = language_of(&v.c, p.language.as_deref());
    let category = p.category.as_deref().and_then(|c| c.parse::<i64>().ok()).map(KbCategoryId);
    let text = p.q.clone().filter(|q| !q.trim().is_empty());
    let s = ArticleSearch { text: text.clone(), language: Some(language), category, limit: 50, ..Default::default() };
    let found = state.desk.search_articles(v.principal.as_ref(), &s).await.map_err(err)?;
    let query = SearchQuery::parse(text.as_deref().unwrap_or_default());
    let hits = found
        .iter()
        .map(|a| Hit {
            slug: a.slug.clone(),
            title: a.title.clone(),
            snippet: snippet(&tikal_service::markdown_text(&a.body), &query, 200),
            category: category_name(a.category_id, &cats),
        })
        .collect();
    let categories = category_tree(&cats).into_iter().map(|(c, d)| (c.id.get(), c.name.clone(), d, Some(c.id) == category)).collect();
    Ok(page(&BrowsePage {
        q: p.q.unwrap_or_default(),
        searched: text.is_some(),
        hits,
        categories,
        category: category_name(category, &cats),
        other_language: if language == Language::Es { "en" } else { "es" },
        language: language.as_str(),
        c: v.c,
    }))
}

#[derive(Template)]
#[template(path = "portal/kb_suggest.html")]
struct SuggestFragment {
    c: Chrome,
    hits: Vec<(String, String)>,
    q: String,
}

#[derive(Deserialize, Default)]
struct SuggestParams {
    /// The new-ticket form sends its summary field as is.
    subject: Option<String>,
    q: Option<String>,
    /// The help topic chosen in the new-ticket form: its articles come first.
    topic: Option<String>,
}

/// "¿Ya probó esto?": published articles matching the summary being typed, the chosen help
/// topic's first; the topic's alone before a word is typed (htmx fragment).
async fn suggest(State(state): State<AppState>, v: Visitor, Query(p): Query<SuggestParams>) -> Result<Response, PageError> {
    let typed = p.q.or(p.subject).unwrap_or_default();
    // A topic that is not a number, or no longer exists, suggests nothing of its own.
    let topic = p.topic.as_deref().and_then(|t| t.trim().parse().ok()).map(HelpTopicId);
    let found =
        state.desk.suggest_articles(v.principal.as_ref(), &typed, None, topic).await.map_err(|e| PageError::from_service(&v.c, e))?;
    let hits = found.into_iter().map(|a| (a.slug, a.title)).collect();
    Ok(page(&SuggestFragment { c: v.c, hits, q: typed.trim().to_string() }))
}

struct FileView {
    id: i64,
    name: String,
    size: String,
}

#[derive(Template)]
#[template(path = "portal/kb_article.html")]
struct ArticlePage {
    c: Chrome,
    id: i64,
    slug: String,
    title: String,
    html: String,
    category: String,
    updated: String,
    files: Vec<FileView>,
    views: i64,
    voted: bool,
}

#[derive(Deserialize, Default)]
struct ArticleParams {
    /// `suggest`: opened from the new-ticket form's suggestions.
    from: Option<String>,
    voted: Option<String>,
}

async fn article(
    State(state): State<AppState>,
    v: Visitor,
    Path(slug): Path<String>,
    Query(p): Query<ArticleParams>,
) -> Result<Response, PageError> {
    let err = |e| PageError::from_service(&v.c, e);
    let by = v.principal.as_ref();
    let a = state.desk.article_by_slug(by, &slug).await.map_err(err)?;
    // The page shown again after a vote is not another reading.
    if p.voted.is_none() {
        state.desk.view_article(a.id).await.map_err(err)?;
    }
    if p.from.as_deref() == Some("suggest") {
        state.desk.suggestion_opened(&v.c.csrf, a.id).await.map_err(err)?;
    }
    let cats = state.desk.kb_categories().await.map_err(err)?;
    let files = state
        .desk
        .article_files(by, a.id)
        .await
        .map_err(err)?
        .into_iter()
        .map(|f| FileView { id: f.id.get(), name: f.filename, size: format!("{} KB", f.size.div_ceil(1024)) })
        .collect();
    let mut c = v.c.clone();
    if p.voted.is_some() {
        c.notice = Some(c.t("kb-vote-thanks"));
    }
    Ok(page(&ArticlePage {
        id: a.id.get(),
        html: tikal_service::render_markdown(&a.body),
        category: category_name(a.category_id, &cats),
        updated: c.when(&a.updated_at),
        views: a.views + i64::from(p.voted.is_none()),
        voted: p.voted.is_some(),
        slug: a.slug,
        title: a.title,
        files,
        c,
    }))
}

#[derive(Deserialize)]
struct VoteForm {
    csrf: String,
    helpful: String,
}

async fn vote(State(state): State<AppState>, v: Visitor, Path(slug): Path<String>, Form(f): Form<VoteForm>) -> Result<Response, PageError> {
    v.check_form(&f.csrf)?;
    let err = |e| PageError::from_service(&v.c, e);
    let by = v.principal.as_ref();
    let a = state.desk.article_by_slug(by, &slug).await.map_err(err)?;
    state.desk.vote_article(by, &v.c.csrf, a.id, f.helpful == "yes").await.map_err(err)?;
    Ok(Redirect::to(&format!("/kb/{}?voted=1", a.slug)).into_response())
}

/// A file of an article. Articles embed their pictures by this address, so an agent signed in
/// to the workspace (previewing a draft or an agents-only article) reads them here too.
async fn file(
    State(state): State<AppState>,
    v: Visitor,
    super::super::agent::AgentVisitor(staff): super::super::agent::AgentVisitor,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let by = staff.principal.as_ref().or(v.principal.as_ref());
    crate::pages::agent::serve_kb_file(&state, &v.c, by, id, file).await
}
