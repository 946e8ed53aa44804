//! E-mail accounts: the mailboxes mail is fetched from and the servers it is sent through.
//! List, create, edit, deactivate, and test the connection. The password is never shown:
//! the form says whether one is set, and leaving it empty keeps it.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::mail_account::{AfterImport, MailAccount, MailAccountInput, ProbeOutcome, Protocol, Security};
use tikal_core::{DepartmentId, DomainError, HelpTopicId, MailAccountId, Reason};

use super::{Admin, Fields, FormError, path_id, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/mail", get(list).post(create))
        .route("/admin/mail/new", get(new))
        .route("/admin/mail/{id}", get(edit).post(update))
        .route("/admin/mail/{id}/test", post(test))
}

struct Row {
    id: i64,
    name: String,
    protocol: String,
    server: String,
    address: String,
    last_polled: String,
    last_error: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/mail_accounts.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn list(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let accounts = state.desk.mail_accounts(a.principal()).await.map_err(|e| a.fail(e))?;
    let mut c = a.c().clone();
    if saved.saved.is_some() {
        c.notice = Some(c.t("admin-saved"));
    }
    let rows = accounts
        .iter()
        .map(|m| Row {
            id: m.id.get(),
            name: m.name.clone(),
            protocol: c.t(&format!("admin-mail-protocol-{}", m.protocol)),
            server: format!("{}:{} ({})", m.host, m.port, c.t(&format!("admin-mail-security-{}", m.security))),
            address: m.address.clone().unwrap_or_default(),
            last_polled: m.last_polled_at.map(|t| c.when(&t)).unwrap_or_default(),
            last_error: m.last_error.clone().unwrap_or_default(),
            active: m.active,
        })
        .collect();
    Ok(page(&ListPage { c, rows }).into_response())
}

/// The form's values as typed (shown again when refused). Never the password.
#[derive(Default)]
struct Values {
    name: String,
    protocol: String,
    host: String,
    port: String,
    security: String,
    username: String,
    address: String,
    folder: String,
    after_import: String,
    move_to: String,
    poll_seconds: String,
    department_id: String,
    help_topic_id: String,
    active: bool,
}

impl Values {
    fn of(m: &MailAccount) -> Values {
        Values {
            name: m.name.clone(),
            protocol: m.protocol.as_str().into(),
            host: m.host.clone(),
            port: m.port.to_string(),
            security: m.security.as_str().into(),
            username: m.username.clone(),
            address: m.address.clone().unwrap_or_default(),
            folder: m.folder.clone().unwrap_or_default(),
            after_import: m.after_import.as_str().into(),
            move_to: m.move_to.clone().unwrap_or_default(),
            poll_seconds: m.poll_seconds.to_string(),
            department_id: m.department_id.map(|d| d.get().to_string()).unwrap_or_default(),
            help_topic_id: m.help_topic_id.map(|t| t.get().to_string()).unwrap_or_default(),
            active: m.active,
        }
    }

    fn from_form(f: &Fields) -> Values {
        let g = |k: &str| f.get(k).to_string();
        Values {
            name: g("name"),
            protocol: g("protocol"),
            host: g("host"),
            port: g("port"),
            security: g("security"),
            username: g("username"),
            address: g("address"),
            folder: g("folder"),
            after_import: g("after_import"),
            move_to: g("move_to"),
            poll_seconds: g("poll_seconds"),
            department_id: g("department_id"),
            help_topic_id: g("help_topic_id"),
            active: f.checked("active"),
        }
    }
}

/// What the last connection test found, in the user's language.
struct TestResult {
    passed: bool,
    message: String,
}

#[derive(Template)]
#[template(path = "admin/mail_account.html")]
struct AccountPage {
    c: Chrome,
    id: Option<i64>,
    v: Values,
    /// A password is stored (shown as "••• (set)").
    password_set: bool,
    last_error: String,
    protocols: Vec<(&'static str, String)>,
    securities: Vec<(&'static str, String)>,
    after_imports: Vec<(&'static str, String)>,
    departments: Vec<(String, String)>,
    topics: Vec<(String, String)>,
    error: Option<FormError>,
    test: Option<TestResult>,
    history: String,
}

impl AccountPage {
    fn sel(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

async fn account_page(
    state: &AppState,
    a: &Admin,
    existing: Option<&MailAccount>,
    v: Values,
    error: Option<FormError>,
    test: Option<TestResult>,
) -> Result<AccountPage, PageError> {
    let c = a.c().clone();
    let depts = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let catalog = state.desk.catalog().await.map_err(|e| a.fail(e))?;
    let departments = depts
        .iter()
        .filter(|d| d.department.active || d.department.id.get().to_string() == v.department_id)
        .map(|d| (d.department.id.get().to_string(), d.department.name.clone()))
        .collect();
    let topics = catalog
        .topics
        .iter()
        .filter(|t| t.active || t.id.get().to_string() == v.help_topic_id)
        .map(|t| (t.id.get().to_string(), t.name.clone()))
        .collect();
    let label = |prefix: &str, k: &'static str| (k, c.t(&format!("{prefix}-{k}")));
    Ok(AccountPage {
        id: existing.map(|m| m.id.get()),
        password_set: existing.is_some(),
        last_error: existing.and_then(|m| m.last_error.clone()).unwrap_or_default(),
        protocols: Protocol::ALL.iter().map(|p| label("admin-mail-protocol", p.as_str())).collect(),
        securities: Security::ALL.iter().map(|s| label("admin-mail-security", s.as_str())).collect(),
        after_imports: AfterImport::ALL.iter().map(|s| label("admin-mail-after", s.as_str())).collect(),
        departments,
        topics,
        history: existing.map(|m| format!("/admin/audit?entity=mail_account&id={}", m.id.get())).unwrap_or_default(),
        c,
        v,
        error,
        test,
    })
}

async fn new(State(state): State<AppState>, a: Admin) -> Result<Response, PageError> {
    let v = Values {
        protocol: "imap".into(),
        security: "tls".into(),
        folder: tikal_core::mail_account::DEFAULT_FOLDER.into(),
        after_import: "mark_seen".into(),
        poll_seconds: "60".into(),
        active: true,
        ..Default::default()
    };
    Ok(page(&account_page(&state, &a, None, v, None, None).await?).into_response())
}

async fn load(state: &AppState, a: &Admin, raw: &str) -> Result<MailAccount, PageError> {
    let id = MailAccountId(path_id(a.c(), raw)?);
    state.desk.mail_account(a.principal(), id).await.map_err(|e| a.fail(e))
}

async fn edit(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let m = load(&state, &a, &raw).await?;
    Ok(page(&account_page(&state, &a, Some(&m), Values::of(&m), None, None).await?).into_response())
}

fn choice<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<T, DomainError> {
    v.parse().map_err(|_| DomainError::invalid(field, Reason::NotAnOption))
}

fn number(field: &'static str, v: &str) -> Result<Option<u32>, DomainError> {
    match v.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| DomainError::invalid(field, Reason::NotANumber)),
    }
}

fn input(f: &Fields) -> Result<MailAccountInput, DomainError> {
    Ok(MailAccountInput {
        name: f.get("name").into(),
        protocol: choice("protocol", f.get("protocol"))?,
        host: f.get("host").into(),
        port: number("port", f.get("port"))?,
        security: choice("security", f.get("security"))?,
        username: f.get("username").into(),
        // Passwords may begin or end with spaces: taken exactly as typed.
        password: Some(f.all_raw("password")).filter(|p| !p.is_empty()),
        address: f.get("address").into(),
        folder: f.get("folder").into(),
        after_import: match f.get("after_import") {
            "" => AfterImport::MarkSeen,
            v => choice("after_import", v)?,
        },
        move_to: f.get("move_to").into(),
        poll_seconds: number("poll_seconds", f.get("poll_seconds"))?.unwrap_or(60),
        department_id: f.id("department_id")?.map(DepartmentId),
        help_topic_id: f.id("help_topic_id")?.map(HelpTopicId),
        active: f.checked("active"),
    })
}

async fn save(state: AppState, a: Admin, id: Option<MailAccountId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let existing = match id {
        Some(id) => Some(state.desk.mail_account(a.principal(), id).await.map_err(|e| a.fail(e))?),
        None => None,
    };
    let result = match input(&f) {
        Ok(input) => state.desk.save_mail_account(a.principal(), id, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/mail?saved=1").into_response()),
        Err(e) => {
            let error = FormError::from_service(a.c(), e)?;
            Ok(refused(&account_page(&state, &a, existing.as_ref(), Values::from_form(&f), Some(error), None).await?))
        }
    }
}

async fn create(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save(state, a, None, &body).await
}

async fn update(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let id = MailAccountId(path_id(a.c(), &raw)?);
    save(state, a, Some(id), &body).await
}

/// What a test found, said in the user's language (the server's own words as they came).
pub fn describe(c: &Chrome, outcome: &ProbeOutcome) -> (bool, String) {
    match outcome {
        ProbeOutcome::Passed { messages: Some(n) } => {
            (true, format!("{} {}", c.t("admin-mail-test-passed"), c.lang.t_with("admin-mail-test-messages", &[("count", (*n).into())])))
        }
        ProbeOutcome::Passed { messages: None } => (true, c.t("admin-mail-test-passed")),
        ProbeOutcome::Failed { step, detail } => (false, format!("{}: {detail}", c.t(&format!("admin-mail-step-{step}")))),
    }
}

async fn test(State(state): State<AppState>, a: Admin, Path(raw): Path<String>, RawForm(body): RawForm) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let m = load(&state, &a, &raw).await?;
    let outcome = state.desk.test_mail_account(a.principal(), m.id).await.map_err(|e| a.fail(e))?;
    let (passed, message) = describe(a.c(), &outcome);
    let p = account_page(&state, &a, Some(&m), Values::of(&m), None, Some(TestResult { passed, message })).await?;
    Ok(page(&p).into_response())
}
