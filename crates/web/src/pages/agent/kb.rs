//! The knowledge base in the workspace (`/agent/kb`): the list with search and filters and the
//! count of tickets avoided, writing an article (with a preview, from a ticket's solution too),
//! publishing, the revision history, files, categories, and the desk's article search (the
//! reply box inserts a link or the text; an article is linked to a ticket as its solution).

use askama::Template;
use axum::extract::{Multipart, Path, Query, RawForm, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tikal_core::kb::{ArticleInput, ArticleState, Visibility, category_tree};
use tikal_core::template::Language;
use tikal_core::{ArticleId, AttachmentId, HelpTopicId, KbCategoryId, TicketNumber};
use tikal_service::{ArticleSearch, ServiceError};
use tikal_store::Article;

use super::Staff;
use crate::AppState;
use crate::pages::auth::{FieldErrors, error_for};
use crate::pages::{Chrome, PageError, encode_component, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agent/kb", get(list))
        .route("/agent/kb/new", get(new_form).post(create))
        .route("/agent/kb/categories", get(categories).post(save_category))
        .route("/agent/kb/search", get(search_fragment))
        .route("/agent/kb/{id}", get(edit_form).post(save))
        .route("/agent/kb/{id}/state", post(set_state))
        .route("/agent/kb/{id}/delete", post(delete))
        .route("/agent/kb/{id}/revisions/{rev}", get(revision))
        .route("/agent/kb/{id}/files", post(upload))
        .route("/agent/kb/{id}/files/{file}", get(file))
        .route("/agent/tickets/{number}/kb", post(link_ticket))
        .route("/agent/tickets/{number}/kb/{id}/unlink", post(unlink_ticket))
}

fn fail(c: &Chrome) -> impl Fn(ServiceError) -> PageError + '_ {
    move |e| PageError::from_service(c, e)
}

/// An article in a list.
pub struct Row {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub state_key: &'static str,
    pub language: &'static str,
    pub visibility: String,
    pub category: String,
    pub updated: String,
    pub views: i64,
    pub helpful: String,
}

fn row(c: &Chrome, a: &Article, cats: &[tikal_core::kb::KbCategory]) -> Row {
    Row {
        id: a.id.get(),
        title: a.title.clone(),
        state: c.t(&format!("kb-state-{}", a.state)),
        state_key: a.state.as_str(),
        language: a.language.as_str(),
        visibility: c.t(&format!("kb-visibility-{}", a.visibility)),
        category: a.category_id.and_then(|id| cats.iter().find(|x| x.id == id)).map(|x| x.path(cats)).unwrap_or_default(),
        updated: c.when(&a.updated_at),
        views: a.views,
        helpful: format!("{} / {}", a.helpful_yes, a.helpful_no),
    }
}

/// (value, label, selected) options of the category picker, indented by depth.
fn category_options(all: &[tikal_core::kb::KbCategory], chosen: Option<i64>) -> Vec<(i64, String, bool)> {
    category_tree(all).into_iter().map(|(c, d)| (c.id.get(), format!("{}{}", "— ".repeat(d), c.name), Some(c.id.get()) == chosen)).collect()
}

#[derive(Template)]
#[template(path = "agent/kb_list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    q: String,
    state: String,
    language: String,
    categories: Vec<(i64, String, bool)>,
    editor: bool,
    avoided: u64,
    pending: u64,
    followed: u64,
}

#[derive(Deserialize, Default)]
struct ListParams {
    q: Option<String>,
    category: Option<String>,
    state: Option<String>,
    language: Option<String>,
}

async fn list(State(state): State<AppState>, s: Staff, Query(p): Query<ListParams>) -> Result<Response, PageError> {
    let by = s.principal();
    let c = &s.v.c;
    let cats = state.desk.kb_categories().await.map_err(fail(c))?;
    let category = p.category.as_deref().and_then(|x| x.parse::<i64>().ok());
    let search = ArticleSearch {
        text: p.q.clone().filter(|q| !q.trim().is_empty()),
        category: category.map(KbCategoryId),
        state: p.state.as_deref().and_then(|x| x.parse().ok()),
        language: p.language.as_deref().and_then(|x| x.parse().ok()),
        limit: 100,
        ..Default::default()
    };
    let found = state.desk.search_articles(Some(by), &search).await.map_err(fail(c))?;
    let d = state.desk.deflections(by).await.map_err(fail(c))?;
    let rows = found.iter().map(|a| row(c, a, &cats)).collect();
    Ok(page(&ListPage {
        rows,
        q: p.q.unwrap_or_default(),
        state: p.state.unwrap_or_default(),
        language: p.language.unwrap_or_default(),
        categories: category_options(&cats, category),
        editor: state.desk.may_edit_kb(by),
        avoided: d.avoided,
        pending: d.pending,
        followed: d.followed_by_ticket,
        c: s.v.c,
    }))
}

/// The article form's fields as typed.
#[derive(Default, Clone)]
struct ArticleForm {
    csrf: String,
    title: String,
    slug: String,
    body: String,
    category: String,
    language: String,
    visibility: String,
    /// The linked help topics (one `topic` checkbox each in the form).
    topics: Vec<HelpTopicId>,
    revision: Option<i32>,
    /// `save`, `publish` or `preview`.
    action: String,
}

impl ArticleForm {
    /// Reads the submitted form; its `topic` checkboxes come as repeated fields.
    fn parse(body: &[u8]) -> ArticleForm {
        let f = crate::pages::admin::Fields::parse(body);
        ArticleForm {
            csrf: f.get("csrf").to_string(),
            title: f.all_raw("title"),
            slug: f.get("slug").to_string(),
            body: f.all_raw("body"),
            category: f.get("category").to_string(),
            language: f.get("language").to_string(),
            visibility: f.get("visibility").to_string(),
            topics: f.all("topic").into_iter().filter_map(|t| t.parse().ok()).map(HelpTopicId).collect(),
            revision: f.get("revision").parse().ok(),
            action: f.get("action").to_string(),
        }
    }
}

struct Opt {
    value: String,
    label: String,
    selected: bool,
}

fn opts(items: &[(&str, String)], chosen: &str) -> Vec<Opt> {
    items.iter().map(|(v, l)| Opt { value: v.to_string(), label: l.clone(), selected: *v == chosen }).collect()
}

struct RevisionRow {
    revision: i32,
    when: String,
    who: String,
    state: String,
}

struct SolvedRow {
    number: String,
    subject: String,
    when: String,
}

struct FileRow {
    id: i64,
    name: String,
    size: String,
    image: bool,
}

#[derive(Template)]
#[template(path = "agent/kb_edit.html")]
struct EditPage {
    c: Chrome,
    /// None: a new article.
    id: Option<i64>,
    f: ArticleForm,
    state: String,
    state_key: String,
    languages: Vec<Opt>,
    visibilities: Vec<Opt>,
    categories: Vec<(i64, String, bool)>,
    preview: Option<String>,
    errors: FieldErrors,
    revisions: Vec<RevisionRow>,
    solved: Vec<SolvedRow>,
    files: Vec<FileRow>,
    editor: bool,
    views: i64,
    helpful: String,
    from: String,
    max_files: usize,
    max_mb: u64,
    /// Help topics to link: (id, path, linked).
    topic_list: Vec<(i64, String, bool)>,
}

impl EditPage {
    fn err(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

fn edit_page(state: &AppState, c: Chrome, id: Option<i64>, f: ArticleForm, cats: &[tikal_core::kb::KbCategory], editor: bool) -> EditPage {
    let languages =
        opts(&[("es", "Español".into()), ("en", "English".into())], if f.language.is_empty() { c.lang.code() } else { &f.language });
    let vis: Vec<(&str, String)> = Visibility::ALL.iter().map(|v| (v.as_str(), c.t(&format!("kb-visibility-{v}")))).collect();
    let visibilities = opts(&vis, if f.visibility.is_empty() { "public" } else { &f.visibility });
    let categories = category_options(cats, f.category.parse().ok());
    let settings = state.desk.settings_now();
    EditPage {
        id,
        state: String::new(),
        state_key: String::new(),
        languages,
        visibilities,
        categories,
        preview: None,
        errors: Vec::new(),
        revisions: Vec::new(),
        solved: Vec::new(),
        files: Vec::new(),
        editor,
        views: 0,
        helpful: String::new(),
        from: String::new(),
        max_files: settings.max_attachments as usize,
        max_mb: u64::from(settings.max_attachment_mb),
        topic_list: Vec::new(),
        f,
        c,
    }
}

/// The help topics an article may be linked to, as checkboxes: the active ones and any the
/// form links (an inactive topic stays linked unless unticked).
async fn with_topics(state: &AppState, mut p: EditPage) -> Result<EditPage, PageError> {
    let catalog = state.desk.catalog().await.map_err(fail(&p.c))?;
    let linked = &p.f.topics;
    p.topic_list = catalog
        .topics
        .iter()
        .filter(|t| t.active || linked.contains(&t.id))
        .map(|t| (t.id.get(), t.path(&catalog.topics), linked.contains(&t.id)))
        .collect();
    Ok(p)
}

#[derive(Deserialize, Default)]
struct NewParams {
    /// A ticket number: the article starts from its subject and solution.
    from: Option<String>,
}

async fn new_form(State(state): State<AppState>, s: Staff, Query(p): Query<NewParams>) -> Result<Response, PageError> {
    let by = s.principal();
    if !state.desk.may_edit_kb(by) {
        return Err(PageError::from_service(&s.v.c, ServiceError::Forbidden));
    }
    let cats = state.desk.kb_categories().await.map_err(fail(&s.v.c))?;
    let mut f = ArticleForm { language: s.v.c.lang.code().to_string(), ..Default::default() };
    let mut from = String::new();
    if let Some(raw) = p.from.filter(|x| !x.is_empty()) {
        let number = TicketNumber::parse(&raw).map_err(|_| PageError::not_found(&s.v.c))?;
        let (title, body) = state.desk.article_from_solution(by, &number).await.map_err(fail(&s.v.c))?;
        f.title = title;
        f.body = body;
        from = number.to_string();
    }
    let mut p = edit_page(&state, s.v.c, None, f, &cats, true);
    p.from = from;
    Ok(page(&with_topics(&state, p).await?))
}

impl ArticleForm {
    fn input(&self) -> ArticleInput {
        ArticleInput {
            title: self.title.clone(),
            slug: self.slug.clone(),
            body: self.body.clone(),
            category_id: self.category.parse().ok().map(KbCategoryId),
            language: self.language.parse().unwrap_or(Language::Es),
            visibility: self.visibility.parse().unwrap_or(Visibility::Public),
        }
    }
}

#[derive(Deserialize, Default)]
struct FromParam {
    from: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    s: Staff,
    Query(q): Query<FromParam>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let f = ArticleForm::parse(&body);
    s.check_form(&f.csrf)?;
    let by = s.principal();
    let cats = state.desk.kb_categories().await.map_err(fail(&s.v.c))?;
    let st = if f.action == "publish" { ArticleState::Published } else { ArticleState::Draft };
    let result = if f.action == "preview" { None } else { Some(state.desk.create_article(by, f.input(), st, f.topics.clone()).await) };
    match result {
        Some(Ok(a)) => {
            // Written from a ticket's solution: that ticket is one it solved.
            if let Some(n) = q.from.as_deref().and_then(|n| TicketNumber::parse(n).ok()) {
                state.desk.link_article(by, &n, a.id).await.map_err(fail(&s.v.c))?;
            }
            Ok(Redirect::to(&format!("/agent/kb/{}?done=saved", a.id)).into_response())
        }
        Some(Err(e)) => refused(&state, s, None, f, &cats, e).await,
        None => {
            let preview = Some(tikal_service::render_markdown(&f.body));
            let mut p = edit_page(&state, s.v.c, None, f, &cats, true);
            p.preview = preview;
            p.from = q.from.unwrap_or_default();
            Ok(page(&with_topics(&state, p).await?))
        }
    }
}

/// The form again with what was typed and why it was refused.
async fn refused(
    state: &AppState,
    s: Staff,
    id: Option<ArticleId>,
    f: ArticleForm,
    cats: &[tikal_core::kb::KbCategory],
    e: ServiceError,
) -> Result<Response, PageError> {
    let errors: FieldErrors = match &e {
        ServiceError::Domain(d) => vec![s.v.c.lang.field_error(d).unwrap_or_else(|| ("form".into(), s.v.c.lang.domain_error(d)))],
        ServiceError::Conflict(_) => vec![("form".into(), s.v.c.t("kb-conflict"))],
        _ => return Err(PageError::from_service(&s.v.c, e)),
    };
    let mut p = match id {
        Some(id) => loaded(state, &s, id, Some(f)).await?,
        None => edit_page(state, s.v.c.clone(), None, f, cats, true),
    };
    p.errors = errors;
    let mut resp = page(&with_topics(state, p).await?);
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

/// The edit page of a stored article (with `typed` instead of the stored text, if given).
async fn loaded(state: &AppState, s: &Staff, id: ArticleId, typed: Option<ArticleForm>) -> Result<EditPage, PageError> {
    let by = s.principal();
    let c = &s.v.c;
    let a = state.desk.article(Some(by), id).await.map_err(fail(c))?;
    let cats = state.desk.kb_categories().await.map_err(fail(c))?;
    let f = typed.unwrap_or_else(|| ArticleForm {
        title: a.title.clone(),
        slug: a.slug.clone(),
        body: a.body.clone(),
        category: a.category_id.map(|x| x.to_string()).unwrap_or_default(),
        language: a.language.to_string(),
        visibility: a.visibility.to_string(),
        topics: a.topics.clone(),
        revision: Some(a.revision),
        ..Default::default()
    });
    let mut p = edit_page(state, c.clone(), Some(a.id.get()), f, &cats, state.desk.may_edit_kb(by));
    p.f.revision = Some(a.revision);
    p.state = c.t(&format!("kb-state-{}", a.state));
    p.state_key = a.state.to_string();
    p.views = a.views;
    p.helpful = format!("{} / {}", a.helpful_yes, a.helpful_no);
    p.preview = Some(tikal_service::render_markdown(&a.body));
    p.revisions = state
        .desk
        .article_revisions(by, id)
        .await
        .map_err(fail(c))?
        .into_iter()
        .map(|r| RevisionRow {
            revision: r.revision,
            when: c.when(&r.created_at),
            who: r.author_name,
            state: c.t(&format!("kb-state-{}", r.state)),
        })
        .collect();
    p.solved = state
        .desk
        .article_tickets(by, id)
        .await
        .map_err(fail(c))?
        .into_iter()
        .map(|t| SolvedRow { number: t.number, subject: t.subject, when: c.when(&t.at) })
        .collect();
    p.files = state
        .desk
        .article_files(Some(by), id)
        .await
        .map_err(fail(c))?
        .into_iter()
        .map(|f| FileRow {
            id: f.id.get(),
            image: matches!(f.content_type.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp"),
            name: f.filename,
            size: format!("{} KB", f.size.div_ceil(1024)),
        })
        .collect();
    Ok(p)
}

#[derive(Deserialize, Default)]
struct DoneParam {
    done: Option<String>,
}

async fn edit_form(
    State(state): State<AppState>,
    s: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DoneParam>,
) -> Result<Response, PageError> {
    let mut p = loaded(&state, &s, ArticleId(id), None).await?;
    if let Some(d) = q.done.filter(|d| ["saved", "state", "files"].contains(&d.as_str())) {
        p.c.notice = Some(p.c.t(&format!("kb-done-{d}")));
    }
    Ok(page(&with_topics(&state, p).await?))
}

async fn save(State(state): State<AppState>, s: Staff, Path(id): Path<i64>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = ArticleForm::parse(&body);
    s.check_form(&f.csrf)?;
    let id = ArticleId(id);
    let by = s.principal();
    let current = state.desk.article(Some(by), id).await.map_err(fail(&s.v.c))?;
    if f.action == "preview" {
        let preview = Some(tikal_service::render_markdown(&f.body));
        let mut p = loaded(&state, &s, id, Some(f)).await?;
        p.preview = preview;
        return Ok(page(&with_topics(&state, p).await?));
    }
    let st = if f.action == "publish" { ArticleState::Published } else { current.state };
    match state.desk.update_article(by, id, f.input(), st, f.topics.clone(), f.revision).await {
        Ok(_) => Ok(Redirect::to(&format!("/agent/kb/{id}?done=saved")).into_response()),
        Err(e) => refused(&state, s, Some(id), f, &[], e).await,
    }
}

#[derive(Deserialize)]
struct StateForm {
    csrf: String,
    state: String,
}

async fn set_state(State(state): State<AppState>, s: Staff, Path(id): Path<i64>, Form(f): Form<StateForm>) -> Result<Response, PageError> {
    s.check_form(&f.csrf)?;
    let st: ArticleState = f.state.parse().map_err(|_| PageError::not_found(&s.v.c))?;
    state.desk.set_article_state(s.principal(), ArticleId(id), st).await.map_err(fail(&s.v.c))?;
    Ok(Redirect::to(&format!("/agent/kb/{id}?done=state")).into_response())
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
}

async fn delete(State(state): State<AppState>, s: Staff, Path(id): Path<i64>, Form(f): Form<TokenForm>) -> Result<Response, PageError> {
    s.check_form(&f.csrf)?;
    state.desk.delete_article(s.principal(), ArticleId(id)).await.map_err(fail(&s.v.c))?;
    Ok(Redirect::to("/agent/kb").into_response())
}

#[derive(Template)]
#[template(path = "agent/kb_revision.html")]
struct RevisionPage {
    c: Chrome,
    id: i64,
    revision: i32,
    title: String,
    when: String,
    who: String,
    html: String,
    markdown: String,
}

async fn revision(State(state): State<AppState>, s: Staff, Path((id, rev)): Path<(i64, i32)>) -> Result<Response, PageError> {
    let r = state.desk.article_revision(s.principal(), ArticleId(id), rev).await.map_err(fail(&s.v.c))?;
    let c = s.v.c;
    Ok(page(&RevisionPage {
        id,
        revision: r.revision,
        title: r.title,
        when: c.when(&r.created_at),
        who: r.author_name,
        html: tikal_service::render_markdown(&r.body),
        markdown: r.body,
        c,
    }))
}

async fn upload(State(state): State<AppState>, s: Staff, Path(id): Path<i64>, multipart: Multipart) -> Result<Response, PageError> {
    let by = s.principal().clone();
    // Who may write, before a byte of the upload is read (the token is checked by read_form).
    if !state.desk.may_edit_kb(&by) {
        return Err(PageError::from_service(&s.v.c, ServiceError::Forbidden));
    }
    let form = crate::pages::portal::read_form(&state, &s.v, multipart).await?;
    match state.desk.add_article_files(&by, ArticleId(id), form.uploads).await {
        Ok(_) => Ok(Redirect::to(&format!("/agent/kb/{id}?done=files")).into_response()),
        Err(ServiceError::TooLarge { what, .. }) => Err(PageError::Status(
            Box::new(s.v.c.clone()),
            StatusCode::PAYLOAD_TOO_LARGE,
            crate::pages::portal::too_large_message(&s.v.c, &state, &what),
        )),
        Err(e) => Err(PageError::from_service(&s.v.c, e)),
    }
}

/// Serves a file of an article (to readers of the article).
pub async fn serve_file(
    state: &AppState,
    c: &Chrome,
    by: Option<&tikal_service::Principal>,
    id: i64,
    file: i64,
) -> Result<Response, PageError> {
    let (meta, data) = state.desk.article_file(by, ArticleId(id), AttachmentId(file)).await.map_err(fail(c))?;
    let mut resp = data.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&meta.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // Pictures show inside the article; everything else downloads.
    let image = matches!(meta.content_type.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp");
    let disposition = if image { "inline" } else { "attachment" };
    if let Ok(d) = HeaderValue::from_str(&format!("{disposition}; filename*=UTF-8''{}", encode_component(&meta.filename))) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(resp)
}

async fn file(State(state): State<AppState>, s: Staff, Path((id, file)): Path<(i64, i64)>) -> Result<Response, PageError> {
    serve_file(&state, &s.v.c, Some(s.principal()), id, file).await
}

#[derive(Template)]
#[template(path = "agent/kb_categories.html")]
struct CategoriesPage {
    c: Chrome,
    /// (id, name, depth, parent id)
    rows: Vec<(i64, String, usize, String)>,
    parents: Vec<(i64, String, bool)>,
    editor: bool,
    name: String,
    error: Option<String>,
}

async fn categories_page(state: &AppState, s: Staff, name: String, error: Option<String>) -> Result<Response, PageError> {
    let cats = state.desk.kb_categories().await.map_err(fail(&s.v.c))?;
    let rows = category_tree(&cats).into_iter().map(|(c, d)| (c.id.get(), c.name.clone(), d, c.path(&cats))).collect();
    let editor = state.desk.may_edit_kb(s.principal());
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut resp = page(&CategoriesPage { rows, parents: category_options(&cats, None), editor, name, error, c: s.v.c });
    *resp.status_mut() = status;
    Ok(resp)
}

async fn categories(State(state): State<AppState>, s: Staff) -> Result<Response, PageError> {
    categories_page(&state, s, String::new(), None).await
}

#[derive(Deserialize)]
struct CategoryForm {
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    delete: Option<String>,
}

async fn save_category(State(state): State<AppState>, s: Staff, Form(f): Form<CategoryForm>) -> Result<Response, PageError> {
    s.check_form(&f.csrf)?;
    let by = s.principal();
    let id = f.id.parse().ok().map(KbCategoryId);
    let result = match (id, f.delete.is_some()) {
        (Some(id), true) => state.desk.delete_kb_category(by, id).await,
        _ => state.desk.save_kb_category(by, id, &f.name, f.parent.parse().ok().map(KbCategoryId), 0).await.map(|_| ()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/agent/kb/categories").into_response()),
        Err(ServiceError::Domain(d)) => {
            let msg = s.v.c.lang.field_error(&d).map(|(_, m)| m).unwrap_or_else(|| s.v.c.lang.domain_error(&d));
            categories_page(&state, s, f.name, Some(msg)).await
        }
        Err(ServiceError::Conflict(_)) => {
            let msg = s.v.c.t("kb-category-not-empty");
            categories_page(&state, s, f.name, Some(msg)).await
        }
        Err(e) => Err(PageError::from_service(&s.v.c, e)),
    }
}

/// Search results for the desk's reply box (htmx fragment).
#[derive(Template)]
#[template(path = "agent/kb_hits.html")]
struct SearchFragment {
    c: Chrome,
    number: String,
    q: String,
    hits: Vec<(i64, String, String)>,
}

/// The same as a page (without JavaScript).
#[derive(Template)]
#[template(path = "agent/kb_search.html")]
struct SearchPage {
    c: Chrome,
    number: String,
    q: String,
    hits: Vec<(i64, String, String)>,
}

#[derive(Deserialize, Default)]
struct SearchParams {
    q: Option<String>,
    number: Option<String>,
}

async fn search_fragment(
    State(state): State<AppState>,
    s: Staff,
    Query(p): Query<SearchParams>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let number = p.number.as_deref().and_then(|n| TicketNumber::parse(n).ok()).ok_or_else(|| PageError::not_found(&s.v.c))?;
    // The ticket must be one this agent sees.
    state.desk.ticket(s.principal(), &number).await.map_err(fail(&s.v.c))?;
    let q = p.q.unwrap_or_default();
    let search = ArticleSearch { text: Some(q.clone()), limit: 8, ..Default::default() };
    let found = if q.trim().is_empty() {
        Vec::new()
    } else {
        state.desk.search_articles(Some(s.principal()), &search).await.map_err(fail(&s.v.c))?
    };
    let parsed = tikal_core::search::SearchQuery::parse(&q);
    let hits = found
        .iter()
        .map(|a| {
            let text = tikal_service::markdown_text(&a.body);
            let snip: String = tikal_core::search::snippet(&text, &parsed, 140).into_iter().map(|x| x.text).collect();
            (a.id.get(), a.title.clone(), snip)
        })
        .collect();
    if headers.contains_key("hx-request") {
        Ok(page(&SearchFragment { c: s.v.c, number: number.to_string(), q, hits }))
    } else {
        Ok(page(&SearchPage { c: s.v.c, number: number.to_string(), q, hits }))
    }
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    article: i64,
}

async fn link_ticket(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    Form(f): Form<LinkForm>,
) -> Result<Response, PageError> {
    s.check_form(&f.csrf)?;
    let number = TicketNumber::parse(&raw).map_err(|_| PageError::not_found(&s.v.c))?;
    state.desk.link_article(s.principal(), &number, ArticleId(f.article)).await.map_err(fail(&s.v.c))?;
    Ok(Redirect::to(&format!("/agent/tickets/{number}?done=kb")).into_response())
}

async fn unlink_ticket(
    State(state): State<AppState>,
    s: Staff,
    Path((raw, id)): Path<(String, i64)>,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    s.check_form(&f.csrf)?;
    let number = TicketNumber::parse(&raw).map_err(|_| PageError::not_found(&s.v.c))?;
    state.desk.unlink_article(s.principal(), &number, ArticleId(id)).await.map_err(fail(&s.v.c))?;
    Ok(Redirect::to(&format!("/agent/tickets/{number}?done=kb")).into_response())
}
