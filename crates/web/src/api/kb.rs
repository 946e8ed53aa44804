//! The knowledge base over the API: articles (list and search, read, write, delete) and
//! categories. Readers see what the portal would show them; writing needs `kb.edit`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tikal_core::kb::{ArticleInput, ArticleState, Visibility};
use tikal_core::template::Language;
use tikal_core::{ArticleId, HelpTopicId, KbCategoryId};
use tikal_service::ArticleSearch;
use tikal_store::Article;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::ApiCaller;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kb/articles", get(list).post(create))
        .route("/kb/articles/{id}", get(show).put(update).delete(delete))
        .route("/kb/categories", get(categories).post(create_category))
        .route("/kb/deflections", get(deflections))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, update, delete, categories, create_category, deflections),
    tags((name = "knowledge base", description = "Articles in Markdown (rendered and sanitised), per language, with visibility and state, in nested categories; search with Spanish and English stemming"))
)]
pub struct Doc;

/// An article.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleDto {
    pub id: i64,
    pub slug: String,
    pub title: String,
    /// Markdown, as written.
    pub body: String,
    /// The body rendered to HTML and sanitised.
    pub html: String,
    pub category_id: Option<i64>,
    /// `es` or `en`.
    pub language: String,
    /// `public`, `signed_in` or `agents`.
    pub visibility: String,
    /// `draft`, `published` or `archived`.
    pub state: String,
    /// The number of the latest revision (send it back as `revision` to detect concurrent edits).
    pub revision: i32,
    pub help_topic_ids: Vec<i64>,
    pub views: i64,
    pub helpful_yes: i32,
    pub helpful_no: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn dto(a: Article) -> ArticleDto {
    ArticleDto {
        id: a.id.get(),
        html: tikal_service::render_markdown(&a.body),
        slug: a.slug,
        title: a.title,
        body: a.body,
        category_id: a.category_id.map(|c| c.get()),
        language: a.language.to_string(),
        visibility: a.visibility.to_string(),
        state: a.state.to_string(),
        revision: a.revision,
        help_topic_ids: a.topics.iter().map(|t| t.get()).collect(),
        views: a.views,
        helpful_yes: a.helpful_yes,
        helpful_no: a.helpful_no,
        created_at: a.created_at,
        updated_at: a.updated_at,
        published_at: a.published_at,
    }
}

/// What an article is written with.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ArticleWriteDto {
    pub title: String,
    /// Empty or missing: made from the title.
    #[serde(default)]
    pub slug: String,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub category_id: Option<i64>,
    /// `es` (default) or `en`.
    #[serde(default)]
    pub language: Option<String>,
    /// `public` (default), `signed_in` or `agents`.
    #[serde(default)]
    pub visibility: Option<String>,
    /// `draft` (default), `published` or `archived`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub help_topic_ids: Vec<i64>,
    /// On update: the revision this edit started from; a newer one is a conflict (409).
    #[serde(default)]
    pub revision: Option<i32>,
}

fn parse<T: std::str::FromStr>(field: &'static str, v: Option<&str>, default: T) -> Result<T, ApiError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| tikal_core::DomainError::invalid(field, tikal_core::Reason::NotAnOption).into()),
    }
}

fn input(d: &ArticleWriteDto) -> Result<(ArticleInput, ArticleState, Vec<HelpTopicId>), ApiError> {
    let input = ArticleInput {
        title: d.title.clone(),
        slug: d.slug.clone(),
        body: d.body.clone(),
        category_id: d.category_id.map(KbCategoryId),
        language: parse("language", d.language.as_deref(), Language::Es)?,
        visibility: parse("visibility", d.visibility.as_deref(), Visibility::Public)?,
    };
    let state = parse("state", d.state.as_deref(), ArticleState::Draft)?;
    Ok((input, state, d.help_topic_ids.iter().copied().map(HelpTopicId).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Words to search for (Spanish and English forms match: "impresoras" finds "impresora").
    pub q: Option<String>,
    pub category: Option<i64>,
    /// `es` or `en`.
    pub language: Option<String>,
    /// `draft`, `published` or `archived` (staff only; other callers see published articles).
    pub state: Option<String>,
    pub help_topic: Option<i64>,
    /// At most 200; default 50.
    pub limit: Option<u64>,
}

/// List or search articles the caller may read; with `q`, the best matches first.
#[utoipa::path(get, path = "/kb/articles", tag = "knowledge base", params(ListParams), responses((status = 200, body = Vec<ArticleDto>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Vec<ArticleDto>>, ApiError> {
    let Query(p) = q?;
    let s = ArticleSearch {
        text: p.q,
        typing: false,
        language: p.language.as_deref().map(|l| parse("language", Some(l), Language::Es)).transpose()?,
        category: p.category.map(KbCategoryId),
        topic: p.help_topic.map(HelpTopicId),
        state: p.state.as_deref().map(|s| parse("state", Some(s), ArticleState::Published)).transpose()?,
        limit: p.limit.unwrap_or(50).clamp(1, 200),
    };
    Ok(Json(state.desk.search_articles(Some(&by), &s).await?.into_iter().map(dto).collect()))
}

/// Write an article (needs `kb.edit`); its first revision.
#[utoipa::path(post, path = "/kb/articles", tag = "knowledge base", request_body = ArticleWriteDto,
    responses((status = 201, body = ArticleDto), (status = 403), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    body: Result<Json<ArticleWriteDto>, JsonRejection>,
) -> Result<(StatusCode, Json<ArticleDto>), ApiError> {
    let Json(d) = body?;
    let (input, st, topics) = input(&d)?;
    Ok((StatusCode::CREATED, Json(dto(state.desk.create_article(&by, input, st, topics).await?))))
}

/// An article the caller may read.
#[utoipa::path(get, path = "/kb/articles/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 200, body = ArticleDto), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Json<ArticleDto>, ApiError> {
    let Path(id) = path?;
    Ok(Json(dto(state.desk.article(Some(&by), ArticleId(id)).await?)))
}

/// Replace an article's content, state and topics: a new revision (needs `kb.edit`).
#[utoipa::path(put, path = "/kb/articles/{id}", tag = "knowledge base", params(("id" = i64, Path)), request_body = ArticleWriteDto,
    responses((status = 200, body = ArticleDto), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<ArticleWriteDto>, JsonRejection>,
) -> Result<Json<ArticleDto>, ApiError> {
    let Path(id) = path?;
    let Json(d) = body?;
    let (input, st, topics) = input(&d)?;
    Ok(Json(dto(state.desk.update_article(&by, ArticleId(id), input, st, topics, d.revision).await?)))
}

/// Delete an article with its revisions, votes and files (needs `kb.edit`).
#[utoipa::path(delete, path = "/kb/articles/{id}", tag = "knowledge base", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = path?;
    state.desk.delete_article(&by, ArticleId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A category of articles.
#[derive(Debug, Serialize, ToSchema)]
pub struct KbCategoryDto {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    /// "Redes › VPN".
    pub path: String,
    pub sort: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct KbCategoryWriteDto {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub sort: i32,
}

/// Categories, in tree order (nested at most three deep).
#[utoipa::path(get, path = "/kb/categories", tag = "knowledge base", responses((status = 200, body = Vec<KbCategoryDto>)))]
pub async fn categories(State(state): State<AppState>, _: ApiCaller) -> Result<Json<Vec<KbCategoryDto>>, ApiError> {
    let all = state.desk.kb_categories().await?;
    Ok(Json(
        tikal_core::kb::category_tree(&all)
            .into_iter()
            .map(|(c, _)| KbCategoryDto {
                id: c.id.get(),
                name: c.name.clone(),
                parent_id: c.parent_id.map(|p| p.get()),
                path: c.path(&all),
                sort: c.sort,
            })
            .collect(),
    ))
}

/// Add a category (needs `kb.edit`).
#[utoipa::path(post, path = "/kb/categories", tag = "knowledge base", request_body = KbCategoryWriteDto,
    responses((status = 201, body = KbCategoryDto), (status = 403), (status = 422)))]
pub async fn create_category(
    State(state): State<AppState>,
    ApiCaller(by): ApiCaller,
    body: Result<Json<KbCategoryWriteDto>, JsonRejection>,
) -> Result<(StatusCode, Json<KbCategoryDto>), ApiError> {
    let Json(d) = body?;
    let c = state.desk.save_kb_category(&by, None, &d.name, d.parent_id.map(KbCategoryId), d.sort).await?;
    let all = state.desk.kb_categories().await?;
    let path = c.path(&all);
    Ok((
        StatusCode::CREATED,
        Json(KbCategoryDto { id: c.id.get(), name: c.name, parent_id: c.parent_id.map(|p| p.get()), path, sort: c.sort }),
    ))
}

/// Tickets avoided by the portal's suggestions: browsers that opened a suggested article and
/// opened no ticket within 30 minutes (`avoided`), those still within the 30 minutes
/// (`pending`), and those that opened a ticket all the same.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeflectionDto {
    pub avoided: u64,
    pub pending: u64,
    pub followed_by_ticket: u64,
}

/// Ticket deflection counts (staff).
#[utoipa::path(get, path = "/kb/deflections", tag = "knowledge base", responses((status = 200, body = DeflectionDto), (status = 403)))]
pub async fn deflections(State(state): State<AppState>, ApiCaller(by): ApiCaller) -> Result<Json<DeflectionDto>, ApiError> {
    let d = state.desk.deflections(&by).await?;
    Ok(Json(DeflectionDto { avoided: d.avoided, pending: d.pending, followed_by_ticket: d.followed_by_ticket }))
}
