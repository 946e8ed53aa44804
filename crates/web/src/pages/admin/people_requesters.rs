//! Requesters (search, edit, merge a duplicate into another), organisations, and the import of
//! requesters from a CSV file (a preview with every row's problems, then the valid rows).

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::people::{Encoding, ImportAction, ImportError, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, OrganisationInput, RequesterInput};
use tikal_core::{DomainError, OrganisationId, Reason, RequesterId};
use tikal_service::{ImportReport, MergePreview, REQUESTER_PAGE, ServiceError};

use super::path_id;
use super::people::{ListQuery, form_error, noticed};
use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/requesters", get(requesters))
        .route("/admin/requesters/import", get(import_form).post(import_preview))
        .route("/admin/requesters/import/apply", post(import_apply))
        .route("/admin/requesters/{id}", get(edit_requester).post(update_requester))
        .route("/admin/requesters/{id}/merge", get(merge_preview).post(merge))
        .route("/admin/requesters/{id}/bounce", post(clear_bounce))
        .route("/admin/organisations", get(organisations).post(create_organisation))
        .route("/admin/organisations/new", get(new_organisation))
        .route("/admin/organisations/{id}", get(edit_organisation).post(update_organisation))
}

// -------------------------------------------------------------------------------- requesters

struct RequesterListRow {
    id: i64,
    name: String,
    email: String,
    phone: String,
    organisation: String,
    language: String,
}

#[derive(Template)]
#[template(path = "admin/people_requesters.html")]
struct RequestersPage {
    c: Chrome,
    q: String,
    rows: Vec<RequesterListRow>,
    /// The link to the next page, when there may be one.
    next: Option<String>,
}

fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn organisation_names(state: &AppState, a: &Admin) -> Result<Vec<(OrganisationId, String)>, PageError> {
    let orgs = state.desk.organisation_rows(a.principal()).await.map_err(|e| a.fail(e))?;
    Ok(orgs.into_iter().map(|o| (o.organisation.id, o.organisation.name)).collect())
}

async fn requesters(State(state): State<AppState>, a: Admin, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
    let after = q.after.as_deref().and_then(|s| s.parse::<i64>().ok()).map(RequesterId);
    let text = q.q.clone().unwrap_or_default();
    let rows = state.desk.requester_rows(a.principal(), Some(&text), after, REQUESTER_PAGE).await.map_err(|e| a.fail(e))?;
    let orgs = organisation_names(&state, &a).await?;
    let next = (rows.len() as u64 == REQUESTER_PAGE)
        .then(|| rows.last().map(|r| format!("/admin/requesters?q={}&after={}", query_value(&text), r.requester.id.get())))
        .flatten();
    let c = noticed(a.c().clone(), &q);
    let rows = rows
        .into_iter()
        .map(|r| RequesterListRow {
            id: r.requester.id.get(),
            name: r.requester.name.as_str().into(),
            email: r.requester.email.as_str().into(),
            phone: r.phone.unwrap_or_default(),
            organisation: r
                .requester
                .organisation_id
                .and_then(|o| orgs.iter().find(|(id, _)| *id == o))
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            language: r.language.unwrap_or_default(),
        })
        .collect();
    Ok(page(&RequestersPage { c, q: text, rows, next }).into_response())
}

#[derive(Default)]
struct RequesterValues {
    email: String,
    name: String,
    phone: String,
    organisation_id: String,
    language: String,
}

#[derive(Template)]
#[template(path = "admin/people_requester.html")]
struct RequesterPage {
    c: Chrome,
    id: i64,
    v: RequesterValues,
    organisations: Vec<(String, String)>,
    merged_into: Option<i64>,
    into: String,
    error: Option<FormError>,
    /// Mail to the address bounced: when, and the report's words.
    bounced: Option<String>,
}

async fn requester_page(
    state: &AppState,
    a: &Admin,
    id: RequesterId,
    v: Option<RequesterValues>,
    into: String,
    error: Option<FormError>,
) -> Result<RequesterPage, PageError> {
    let r = state.desk.requester_row(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let v = v.unwrap_or_else(|| RequesterValues {
        email: r.requester.email.as_str().into(),
        name: r.requester.name.as_str().into(),
        phone: r.phone.clone().unwrap_or_default(),
        organisation_id: r.requester.organisation_id.map(|o| o.get().to_string()).unwrap_or_default(),
        language: r.language.clone().unwrap_or_default(),
    });
    let organisations = organisation_names(state, a).await?.into_iter().map(|(i, n)| (i.get().to_string(), n)).collect();
    let bounced = state.desk.requester_bounce(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let bounced = bounced.map(|(at, why)| format!("{} {}", a.c().when(&at), why.unwrap_or_default()).trim().to_string());
    Ok(RequesterPage {
        c: a.c().clone(),
        id: id.get(),
        v,
        organisations,
        merged_into: r.merged_into.map(|m| m.get()),
        into,
        error,
        bounced,
    })
}

/// Mail to the address works again: automatic mail goes to it.
async fn clear_bounce(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = RequesterId(path_id(a.c(), &raw)?);
    a.check_form(Fields::parse(&body).get("csrf"))?;
    state.desk.clear_bounce(a.principal(), id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/admin/requesters/{}", id.get())).into_response())
}

async fn edit_requester(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = RequesterId(path_id(a.c(), &raw)?);
    Ok(page(&requester_page(&state, &a, id, None, String::new(), None).await?).into_response())
}

async fn update_requester(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = RequesterId(path_id(a.c(), &raw)?);
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let result = match f.id("organisation_id") {
        Ok(org) => {
            let input = RequesterInput {
                email: f.get("person_email").into(),
                name: f.get("name").into(),
                phone: f.get("phone").into(),
                organisation_id: org.map(OrganisationId),
                language: f.get("language").into(),
            };
            state.desk.save_requester(a.principal(), id, input).await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/requesters/{}?saved=1", id.get())).into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let v = RequesterValues {
                email: f.get("person_email").into(),
                name: f.get("name").into(),
                phone: f.get("phone").into(),
                organisation_id: f.get("organisation_id").into(),
                language: f.get("language").into(),
            };
            Ok(refused(&requester_page(&state, &a, id, Some(v), String::new(), Some(error)).await?))
        }
    }
}

#[derive(serde::Deserialize)]
struct IntoQuery {
    into: Option<String>,
}

/// The requester named by an id or an address (for the merge form).
async fn find_requester(state: &AppState, a: &Admin, raw: &str) -> Result<RequesterId, ServiceError> {
    let raw = raw.trim();
    if let Ok(n) = raw.parse::<i64>() {
        return Ok(RequesterId(n));
    }
    let email = tikal_core::people::person_email(raw).map_err(|_| DomainError::invalid("into", Reason::InvalidEmail))?;
    let found = state.desk.requester_rows(a.principal(), Some(email.as_str()), None, 20).await?;
    found
        .into_iter()
        .find(|r| r.requester.email == email)
        .map(|r| r.requester.id)
        .ok_or_else(|| DomainError::invalid("into", Reason::NotFound).into())
}

#[derive(Template)]
#[template(path = "admin/people_merge.html")]
struct MergePage {
    c: Chrome,
    p: MergePreview,
}

async fn merge_preview(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    Query(q): Query<IntoQuery>,
) -> Result<Response, PageError> {
    let id = RequesterId(path_id(a.c(), &raw)?);
    let into_raw = q.into.unwrap_or_default();
    let preview = match find_requester(&state, &a, &into_raw).await {
        Ok(into) => state.desk.merge_preview(a.principal(), id, into).await,
        Err(e) => Err(e),
    };
    match preview {
        Ok(p) => Ok(page(&MergePage { c: a.c().clone(), p }).into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&requester_page(&state, &a, id, None, into_raw, Some(error)).await?))
        }
    }
}

async fn merge(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let id = RequesterId(path_id(a.c(), &raw)?);
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let result = match f.id("into") {
        Ok(Some(into)) => state.desk.merge_requester(a.principal(), id, RequesterId(into)).await.map(|_| into),
        Ok(None) => Err(DomainError::invalid("into", Reason::Required).into()),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(into) => Ok(Redirect::to(&format!("/admin/requesters/{into}?saved=1")).into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&requester_page(&state, &a, id, None, f.get("into").into(), Some(error)).await?))
        }
    }
}

// ----------------------------------------------------------------------------- organisations

struct OrganisationListRow {
    id: i64,
    name: String,
    domain: String,
    requesters: u64,
}

#[derive(Template)]
#[template(path = "admin/people_organisations.html")]
struct OrganisationsPage {
    c: Chrome,
    rows: Vec<OrganisationListRow>,
}

async fn organisations(State(state): State<AppState>, a: Admin, Query(q): Query<ListQuery>) -> Result<Response, PageError> {
    let rows = state.desk.organisation_rows(a.principal()).await.map_err(|e| a.fail(e))?;
    let rows = rows
        .into_iter()
        .map(|o| OrganisationListRow {
            id: o.organisation.id.get(),
            name: o.organisation.name,
            domain: o.domain.unwrap_or_default(),
            requesters: o.requesters,
        })
        .collect();
    Ok(page(&OrganisationsPage { c: noticed(a.c().clone(), &q), rows }).into_response())
}

#[derive(Template)]
#[template(path = "admin/people_organisation.html")]
struct OrganisationPage {
    c: Chrome,
    id: Option<i64>,
    name: String,
    domain: String,
    error: Option<FormError>,
}

async fn new_organisation(a: Admin) -> Response {
    page(&OrganisationPage { c: a.c().clone(), id: None, name: String::new(), domain: String::new(), error: None })
}

async fn edit_organisation(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = OrganisationId(path_id(a.c(), &raw)?);
    let o = state.desk.organisation_row(a.principal(), id).await.map_err(|e| a.fail(e))?;
    let p = OrganisationPage {
        c: a.c().clone(),
        id: Some(id.get()),
        name: o.organisation.name,
        domain: o.domain.unwrap_or_default(),
        error: None,
    };
    Ok(page(&p).into_response())
}

async fn save_organisation(state: AppState, a: Admin, id: Option<OrganisationId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let input = OrganisationInput { name: f.get("name").into(), domain: f.get("domain").into() };
    match state.desk.save_organisation(a.principal(), id, input).await {
        Ok(_) => Ok(Redirect::to("/admin/organisations?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            let p = OrganisationPage {
                c: a.c().clone(),
                id: id.map(|i| i.get()),
                name: f.get("name").into(),
                domain: f.get("domain").into(),
                error: Some(error),
            };
            Ok(refused(&p))
        }
    }
}

async fn create_organisation(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_organisation(state, a, None, &body).await
}

async fn update_organisation(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = OrganisationId(path_id(a.c(), &raw)?);
    save_organisation(state, a, Some(id), &body).await
}

// -------------------------------------------------------------------------------- CSV import

struct ReportRow {
    line: usize,
    email: String,
    name: String,
    phone: String,
    organisation: String,
    language: String,
    /// "create", "update" or "error".
    kind: &'static str,
    /// What importing it does, or every problem, in the user's language.
    says: String,
}

#[derive(Template)]
#[template(path = "admin/people_import.html")]
struct ImportPage {
    c: Chrome,
    /// Why the whole file was refused.
    refused: Option<String>,
    rows: Vec<ReportRow>,
    valid: usize,
    errors: usize,
    windows: bool,
    /// The file as read (UTF-8), sent again to import it.
    csv: String,
    /// (created, updated) once imported.
    applied: Option<(u64, u64)>,
    max_mb: usize,
    max_rows: usize,
}

impl ImportPage {
    fn empty(c: Chrome) -> ImportPage {
        ImportPage {
            c,
            refused: None,
            rows: Vec::new(),
            valid: 0,
            errors: 0,
            windows: false,
            csv: String::new(),
            applied: None,
            max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
            max_rows: MAX_IMPORT_ROWS,
        }
    }
}

async fn import_form(a: Admin) -> Response {
    page(&ImportPage::empty(a.c().clone()))
}

/// Why a file is refused as a whole, in the user's language.
pub(super) fn import_error_text(c: &Chrome, e: &ImportError) -> String {
    match e {
        ImportError::TooLarge { .. } => c.t1("people-import-too-large", "mb", &(MAX_IMPORT_BYTES / (1024 * 1024)).to_string()),
        ImportError::TooManyRows { .. } => c.t1("people-import-too-many", "rows", &MAX_IMPORT_ROWS.to_string()),
        ImportError::Empty => c.t("people-import-empty"),
        ImportError::NoEmailColumn => c.t("people-import-no-email"),
        ImportError::Unreadable(why) => format!("{} ({why})", c.t("people-import-unreadable")),
    }
}

fn report_page(a: &Admin, report: ImportReport, csv: String) -> ImportPage {
    let c = a.c().clone();
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let (kind, says) = match &r.outcome {
                Ok((ImportAction::Create, _)) => ("create", c.t("people-import-create")),
                Ok((ImportAction::Update(_), _)) => ("update", c.t("people-import-update")),
                Err(errors) => {
                    let says = errors
                        .iter()
                        .map(|e| form_error(&c, ServiceError::Domain(e.clone())).map(|f| f.message).unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(" ");
                    ("error", says)
                }
            };
            ReportRow {
                line: r.cells.line,
                email: r.cells.email.clone(),
                name: r.cells.name.clone(),
                phone: r.cells.phone.clone(),
                organisation: r.cells.organisation.clone(),
                language: r.cells.language.clone(),
                kind,
                says,
            }
        })
        .collect();
    ImportPage {
        valid: report.valid(),
        errors: report.refused(),
        windows: report.encoding == Encoding::Windows1252,
        applied: report.applied,
        rows,
        csv,
        ..ImportPage::empty(c)
    }
}

/// A CSV upload: its form token, and the file (`None` when larger than the limit).
struct Upload {
    csrf: String,
    file: Option<Vec<u8>>,
}

/// Reads the form token and the file (field `file`, or `csv` as text) of an upload, never more
/// than the import's limit of the file.
async fn read_upload(c: &Chrome, mut m: Multipart) -> Result<Upload, PageError> {
    let bad = || PageError::Status(Box::new(c.clone()), axum::http::StatusCode::BAD_REQUEST, c.t("people-import-unreadable"));
    let mut up = Upload { csrf: String::new(), file: Some(Vec::new()) };
    let mut any_file = false;
    while let Some(mut field) = m.next_field().await.map_err(|_| bad())? {
        match field.name() {
            Some("csrf") => up.csrf = field.text().await.map_err(|_| bad())?,
            Some("file" | "csv") => {
                let Some(buf) = up.file.as_mut() else { continue };
                if any_file && !buf.is_empty() {
                    continue;
                }
                any_file = true;
                while let Some(chunk) = field.chunk().await.map_err(|_| bad())? {
                    if buf.len() + chunk.len() > MAX_IMPORT_BYTES {
                        up.file = None;
                        break;
                    }
                    buf.extend_from_slice(&chunk);
                }
                if up.file.is_none() {
                    // The rest of the body is not read: the answer is already known.
                    break;
                }
            }
            _ => {}
        }
    }
    Ok(up)
}

async fn import(state: AppState, a: Admin, m: Multipart, apply: bool) -> Result<Response, PageError> {
    let up = read_upload(a.c(), m).await?;
    a.check_form(&up.csrf)?;
    let Some(bytes) = up.file else {
        let refused_text = import_error_text(a.c(), &ImportError::TooLarge { max: MAX_IMPORT_BYTES });
        return Ok(refused(&ImportPage { refused: Some(refused_text), ..ImportPage::empty(a.c().clone()) }));
    };
    match state.desk.import_requesters(a.principal(), &bytes, apply).await {
        Ok(Ok(report)) => {
            let csv = tikal_core::people::decode(&bytes).0;
            Ok(page(&report_page(&a, report, csv)).into_response())
        }
        Ok(Err(e)) => {
            let refused_text = import_error_text(a.c(), &e);
            Ok(refused(&ImportPage { refused: Some(refused_text), ..ImportPage::empty(a.c().clone()) }))
        }
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&ImportPage { refused: Some(error.message), ..ImportPage::empty(a.c().clone()) }))
        }
    }
}

async fn import_preview(State(state): State<AppState>, a: Admin, m: Multipart) -> Result<Response, PageError> {
    import(state, a, m, false).await
}

async fn import_apply(State(state): State<AppState>, a: Admin, m: Multipart) -> Result<Response, PageError> {
    import(state, a, m, true).await
}
