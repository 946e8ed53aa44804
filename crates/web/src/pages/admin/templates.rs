//! E-mail templates: the list of every mail the desk sends in each language, and the editor
//! (subject, text, HTML) with the variables beside it, a preview with the sample ticket,
//! save (checked first) and restore the default.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::Reason;
use tikal_core::template::{Language, TemplateError, TemplateKind, TemplateProblem, TemplateSource};
use tikal_service::RenderedMail;

use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/templates", get(list))
        .route("/admin/templates/{kind}/{lang}", get(edit).post(submit))
        .route("/admin/templates/{kind}/{lang}/restore", post(restore))
}

/// The language the page is shown in, as templates name languages.
fn ui_language(c: &Chrome) -> Language {
    Language::of(Some(c.lang.code()))
}

fn key_of(c: &Chrome, kind: &str, lang: &str) -> Result<(TemplateKind, Language), PageError> {
    match (kind.parse::<TemplateKind>(), lang.parse::<Language>()) {
        (Ok(k), Ok(l)) => Ok((k, l)),
        _ => Err(PageError::not_found(c)),
    }
}

/// A refused template, said in the user's language: the part, the line and why.
fn template_error(c: &Chrome, e: &TemplateError) -> FormError {
    let label = c.t(&format!("admin-template-field-{}", e.part.field()));
    let problem = match &e.problem {
        TemplateProblem::Empty => c.lang.reason(&Reason::Required),
        TemplateProblem::TooLong { max } => c.lang.reason(&Reason::TooLong { max: *max }),
        TemplateProblem::Syntax(d) => c.t1("admin-template-problem-syntax", "detail", d),
        TemplateProblem::UnknownVariable(n) => c.t1("admin-template-problem-unknown_variable", "name", n),
        TemplateProblem::OutOfFuel => c.t("admin-template-problem-out_of_fuel"),
        TemplateProblem::OutputTooLong => c.t("admin-template-problem-output_too_long"),
        TemplateProblem::Render(d) => c.t1("admin-template-problem-render", "detail", d),
    };
    let at = e.line.map(|l| format!(" ({})", c.t1("admin-template-line", "line", &l.to_string()))).unwrap_or_default();
    FormError { field: e.part.field().to_string(), message: format!("{label}{at}: {problem}") }
}

struct Row {
    kind: &'static str,
    name: String,
    hint: String,
    /// (language, its name, customised)
    languages: Vec<(&'static str, String, bool)>,
}

#[derive(Template)]
#[template(path = "admin/templates.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn list(State(state): State<AppState>, a: Admin, Query(saved): Query<Saved>) -> Result<Response, PageError> {
    let all = state.desk.mail_templates(a.principal()).await.map_err(|e| a.fail(e))?;
    let mut c = a.c().clone();
    if saved.saved.is_some() {
        c.notice = Some(c.t("admin-saved"));
    }
    let rows = TemplateKind::ALL
        .iter()
        .map(|k| Row {
            kind: k.as_str(),
            name: c.t(&format!("admin-template-kind-{k}")),
            hint: c.t(&format!("admin-template-kind-{k}-hint")),
            languages: all
                .iter()
                .filter(|t| t.kind == *k)
                .map(|t| (t.language.as_str(), c.t(&format!("admin-template-lang-{}", t.language)), t.customised()))
                .collect(),
        })
        .collect();
    Ok(page(&ListPage { c, rows }).into_response())
}

#[derive(Default)]
struct Values {
    subject: String,
    text_body: String,
    html_body: String,
}

#[derive(Template)]
#[template(path = "admin/template.html")]
struct EditPage {
    c: Chrome,
    kind: &'static str,
    lang: &'static str,
    title: String,
    v: Values,
    /// (name, description) of the variables it may use.
    variables: Vec<(&'static str, &'static str)>,
    customised: bool,
    error: Option<FormError>,
    preview: Option<RenderedMail>,
    history: String,
}

async fn edit_page(
    state: &AppState,
    a: &Admin,
    kind: TemplateKind,
    lang: Language,
    v: Option<Values>,
    error: Option<FormError>,
    preview: Option<RenderedMail>,
) -> Result<EditPage, PageError> {
    let t = state.desk.mail_template(a.principal(), kind, lang).await.map_err(|e| a.fail(e))?;
    let c = a.c().clone();
    let v = v.unwrap_or_else(|| Values {
        subject: t.source.subject.clone(),
        text_body: t.source.text_body.clone(),
        html_body: t.source.html_body.clone().unwrap_or_default(),
    });
    let ui = ui_language(&c);
    let title = format!("{} ({})", c.t(&format!("admin-template-kind-{kind}")), c.t(&format!("admin-template-lang-{lang}")));
    Ok(EditPage {
        kind: kind.as_str(),
        lang: lang.as_str(),
        title,
        v,
        variables: kind.variables().iter().map(|x| (x.name, x.describe(ui))).collect(),
        customised: t.customised(),
        error,
        preview,
        history: format!("/admin/audit?entity=template&id={kind}/{lang}"),
        c,
    })
}

async fn edit(State(state): State<AppState>, a: Admin, Path((kind, lang)): Path<(String, String)>) -> Result<Response, PageError> {
    let (kind, lang) = key_of(a.c(), &kind, &lang)?;
    Ok(page(&edit_page(&state, &a, kind, lang, None, None, None).await?).into_response())
}

async fn submit(
    State(state): State<AppState>,
    a: Admin,
    Path((kind, lang)): Path<(String, String)>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let (kind, lang) = key_of(a.c(), &kind, &lang)?;
    // Fields::get trims; the bodies keep their leading and trailing lines as typed.
    let raw = |k: &str| f.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let v = Values { subject: f.get("subject").to_string(), text_body: raw("text_body"), html_body: raw("html_body") };
    let source = TemplateSource {
        subject: v.subject.clone(),
        text_body: v.text_body.clone(),
        html_body: Some(v.html_body.clone()).filter(|h| !h.trim().is_empty()),
    };
    // The same check as the save, first, so the message says the part and line in the user's language.
    if let Err(e) = tikal_service::mail_templates::check(kind, lang, source.clone()) {
        let error = template_error(a.c(), &e);
        return Ok(refused(&edit_page(&state, &a, kind, lang, Some(v), Some(error), None).await?));
    }
    if f.get("action") == "preview" {
        return match state.desk.preview_mail_template(a.principal(), kind, lang, source) {
            Ok(m) => Ok(page(&edit_page(&state, &a, kind, lang, Some(v), None, Some(m)).await?).into_response()),
            Err(e) => {
                let error = FormError::from_service(a.c(), e)?;
                Ok(refused(&edit_page(&state, &a, kind, lang, Some(v), Some(error), None).await?))
            }
        };
    }
    match state.desk.save_mail_template(a.principal(), kind, lang, source).await {
        Ok(_) => Ok(Redirect::to("/admin/templates?saved=1").into_response()),
        Err(e) => {
            let error = FormError::from_service(a.c(), e)?;
            Ok(refused(&edit_page(&state, &a, kind, lang, Some(v), Some(error), None).await?))
        }
    }
}

async fn restore(
    State(state): State<AppState>,
    a: Admin,
    Path((kind, lang)): Path<(String, String)>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let (kind, lang) = key_of(a.c(), &kind, &lang)?;
    state.desk.restore_mail_template(a.principal(), kind, lang).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/templates?saved=1").into_response())
}
