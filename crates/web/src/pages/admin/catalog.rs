//! The service catalogue: help topics (a tree with its order, defaults, portal visibility,
//! retirement) and the custom fields of their forms (labels and help in both languages, who
//! must fill them, retirement).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tikal_core::catalog::{CatalogProblem, CustomField, FieldSpec, RequiredFor, TopicInput, topic_tree};
use tikal_core::fields::FieldKind;
use tikal_core::org::{Department, HelpTopic};
use tikal_core::{CustomFieldId, DepartmentId, DomainError, HelpTopicId, Priority, Reason, SlaPlanId, TicketType};
use tikal_service::{ServiceError, field_spec, topic_input};

use super::path_id;
use super::{Admin, Fields, FormError, refused};
use crate::AppState;
use crate::pages::{Chrome, PageError, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/topics", get(topics).post(create_topic))
        .route("/admin/topics/new", get(new_topic))
        .route("/admin/topics/{id}", get(edit_topic).post(update_topic))
        .route("/admin/topics/{id}/move", post(move_topic))
        .route("/admin/fields", get(fields).post(create_field))
        .route("/admin/fields/new", get(new_field))
        .route("/admin/fields/{id}", get(edit_field).post(update_field))
}

/// A refused catalogue form, said in the user's language: the field's label and the reason
/// (the catalogue's own reasons too).
fn form_error(c: &Chrome, e: ServiceError) -> Result<FormError, PageError> {
    match &e {
        ServiceError::Domain(DomainError::Invalid { field, reason }) => {
            let label = c.t(&format!("admin-catalog-field-{field}"));
            let why = match CatalogProblem::of(reason) {
                Some(p) => c.t(&format!("admin-catalog-problem-{}", p.code())),
                None => c.lang.reason(reason),
            };
            Ok(FormError { field: field.to_string(), message: format!("{label}: {why}") })
        }
        _ => FormError::from_service(c, e),
    }
}

#[derive(serde::Deserialize)]
struct ListParams {
    saved: Option<String>,
    topic: Option<String>,
    parent: Option<String>,
}

fn with_notice(mut c: Chrome, p: &ListParams) -> Chrome {
    if p.saved.is_some() {
        c.notice = Some(c.t("admin-saved"));
    }
    c
}

fn dept_name(all: &[Department], id: Option<DepartmentId>) -> String {
    id.and_then(|i| all.iter().find(|d| d.id == i)).map(|d| d.name.clone()).unwrap_or_default()
}

struct TopicRow {
    id: i64,
    name: String,
    depth: usize,
    department: String,
    priority: String,
    kind: String,
    portal_visible: bool,
    active: bool,
    fields: usize,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "admin/topics.html")]
struct TopicsPage {
    c: Chrome,
    rows: Vec<TopicRow>,
}

async fn topics(State(state): State<AppState>, a: Admin, Query(p): Query<ListParams>) -> Result<Response, PageError> {
    let all = state.desk.help_topics_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let fields = state.desk.custom_fields_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let depts = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let depts: Vec<Department> = depts.into_iter().map(|d| d.department).collect();
    let c = with_notice(a.c().clone(), &p);
    let rows = topic_tree(&all)
        .into_iter()
        .map(|(t, depth)| {
            let sibs = tikal_core::catalog::siblings(&all, t.parent_id);
            TopicRow {
                id: t.id.get(),
                name: t.name.clone(),
                depth,
                department: dept_name(&depts, t.department_id),
                priority: t
                    .default_priority
                    .map(|p| format!("{} · {}", p.level(), c.t(&format!("desk-priority-{}", p.level()))))
                    .unwrap_or_default(),
                kind: t.default_type.map(|k| c.t(&format!("desk-type-{k}"))).unwrap_or_default(),
                portal_visible: t.portal_visible,
                active: t.active,
                fields: fields.iter().filter(|f| f.help_topic_id == Some(t.id) && f.active).count(),
                first: sibs.first().is_some_and(|s| s.id == t.id),
                last: sibs.last().is_some_and(|s| s.id == t.id),
            }
        })
        .collect();
    Ok(page(&TopicsPage { c, rows }).into_response())
}

/// The topic form's values, as typed (shown again when refused).
#[derive(Default)]
struct TopicValues {
    name: String,
    parent_id: String,
    department_id: String,
    default_priority: String,
    default_type: String,
    sla_plan_id: String,
    portal_visible: bool,
    active: bool,
    sort: String,
    description: String,
}

fn opt(o: Option<i64>) -> String {
    o.map(|i| i.to_string()).unwrap_or_default()
}

impl TopicValues {
    fn of(t: &TopicInput) -> TopicValues {
        TopicValues {
            name: t.name.clone(),
            parent_id: opt(t.parent_id.map(HelpTopicId::get)),
            department_id: opt(t.department_id.map(DepartmentId::get)),
            default_priority: t.default_priority.map(|p| p.level().to_string()).unwrap_or_default(),
            default_type: t.default_type.map(|k| k.as_str().to_string()).unwrap_or_default(),
            sla_plan_id: opt(t.sla_plan_id.map(|p| p.get())),
            portal_visible: t.portal_visible,
            active: t.active,
            sort: t.sort.to_string(),
            description: t.description.clone(),
        }
    }

    fn typed(f: &Fields) -> TopicValues {
        TopicValues {
            name: f.get("name").into(),
            parent_id: f.get("parent_id").into(),
            department_id: f.get("department_id").into(),
            default_priority: f.get("default_priority").into(),
            default_type: f.get("default_type").into(),
            sla_plan_id: f.get("sla_plan_id").into(),
            portal_visible: f.checked("portal_visible"),
            active: f.checked("active"),
            sort: f.get("sort").into(),
            description: f.get("description").into(),
        }
    }
}

fn sort_of(raw: &str) -> Result<i32, DomainError> {
    match raw.trim() {
        "" => Ok(0),
        s => s.parse::<i32>().map_err(|_| DomainError::invalid("sort", Reason::NotANumber)),
    }
}

fn topic_input_of(f: &Fields) -> Result<TopicInput, DomainError> {
    let default_priority = match f.get("default_priority") {
        "" => None,
        p => Some(
            p.parse::<u8>()
                .ok()
                .and_then(|n| Priority::try_from(n).ok())
                .ok_or_else(|| DomainError::invalid("default_priority", Reason::NotAnOption))?,
        ),
    };
    let default_type = match f.get("default_type") {
        "" => None,
        k => Some(k.parse::<TicketType>().map_err(|_| DomainError::invalid("default_type", Reason::NotAnOption))?),
    };
    Ok(TopicInput {
        name: f.get("name").into(),
        parent_id: f.id("parent_id")?.map(HelpTopicId),
        department_id: f.id("department_id")?.map(DepartmentId),
        default_priority,
        default_type,
        sla_plan_id: f.id("sla_plan_id")?.map(SlaPlanId),
        portal_visible: f.checked("portal_visible"),
        active: f.checked("active"),
        sort: sort_of(f.get("sort"))?,
        description: f.get("description").into(),
    })
}

struct FieldLine {
    id: i64,
    label: String,
    key: String,
    kind: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/topic.html")]
struct TopicPage {
    c: Chrome,
    id: Option<i64>,
    v: TopicValues,
    /// (id, path) of the topics it may sit below.
    parents: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
    types: Vec<(&'static str, String)>,
    fields: Vec<FieldLine>,
    error: Option<FormError>,
    history: String,
    /// (id, name) of the SLA plans it may name (active ones, and the one it has).
    sla_plans: Vec<(String, String)>,
}

impl TopicPage {
    fn sel(&self, a: &str, b: &str) -> bool {
        a == b
    }

    fn bad(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.is(field))
    }
}

fn kind_label(c: &Chrome, k: FieldKind) -> String {
    c.t(&format!("admin-catalog-kind-{k}"))
}

async fn topic_page(
    state: &AppState,
    a: &Admin,
    id: Option<HelpTopicId>,
    v: TopicValues,
    error: Option<FormError>,
) -> Result<TopicPage, PageError> {
    let all = state.desk.help_topics_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let depts = state.desk.departments_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let fields = state.desk.custom_fields_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = a.c().clone();
    let english = c.lang == crate::pages::i18n::Lang::En;
    let parents = topic_tree(&all)
        .into_iter()
        .filter(|(t, _)| Some(t.id) != id && id.is_none_or(|me| !tikal_core::catalog::topic_would_cycle(me, t.id, &all)))
        .map(|(t, _)| (t.id.get().to_string(), t.path(&all)))
        .collect();
    let departments = depts
        .iter()
        .filter(|d| d.department.active || v.department_id == d.department.id.get().to_string())
        .map(|d| (d.department.id.get().to_string(), d.department.name.clone()))
        .collect();
    let priorities = (1..=5u8).map(|n| (n.to_string(), format!("{n} · {}", c.t(&format!("desk-priority-{n}"))))).collect();
    let types = TicketType::ALL.iter().map(|k| (k.as_str(), c.t(&format!("desk-type-{k}")))).collect();
    let fields = fields
        .iter()
        .filter(|f| id.is_some() && f.help_topic_id == id)
        .map(|f| FieldLine {
            id: f.id.get(),
            label: f.label(english).into(),
            key: f.key.clone(),
            kind: kind_label(&c, f.kind),
            active: f.active,
        })
        .collect();
    let history = id.map(|i| format!("/admin/audit?entity=help_topic&id={}", i.get())).unwrap_or_default();
    let plans = state.desk.sla_plans(a.principal()).await.map_err(|e| a.fail(e))?;
    let sla_plans = plans
        .iter()
        .filter(|p| p.active || p.id.get().to_string() == v.sla_plan_id)
        .map(|p| (p.id.get().to_string(), p.name.clone()))
        .collect();
    Ok(TopicPage { c, id: id.map(HelpTopicId::get), v, parents, departments, priorities, types, fields, error, history, sla_plans })
}

async fn new_topic(State(state): State<AppState>, a: Admin, Query(p): Query<ListParams>) -> Result<Response, PageError> {
    let v =
        TopicValues { parent_id: p.parent.unwrap_or_default(), portal_visible: true, active: true, sort: "0".into(), ..Default::default() };
    Ok(page(&topic_page(&state, &a, None, v, None).await?).into_response())
}

fn find_topic(all: &[HelpTopic], id: HelpTopicId) -> Option<&HelpTopic> {
    all.iter().find(|t| t.id == id)
}

async fn edit_topic(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = HelpTopicId(path_id(a.c(), &raw)?);
    let all = state.desk.help_topics_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let t = find_topic(&all, id).ok_or_else(|| PageError::not_found(a.c()))?;
    let v = TopicValues::of(&topic_input(t));
    Ok(page(&topic_page(&state, &a, Some(id), v, None).await?).into_response())
}

async fn save_topic(state: AppState, a: Admin, id: Option<HelpTopicId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let result = match topic_input_of(&f) {
        Ok(input) => state.desk.save_help_topic(a.principal(), id, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/topics?saved=1").into_response()),
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&topic_page(&state, &a, id, TopicValues::typed(&f), Some(error)).await?))
        }
    }
}

async fn create_topic(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_topic(state, a, None, &body).await
}

async fn update_topic(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = HelpTopicId(path_id(a.c(), &raw)?);
    save_topic(state, a, Some(id), &body).await
}

async fn move_topic(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = HelpTopicId(path_id(a.c(), &raw)?);
    let f = Fields::parse(&body);
    a.check_form(f.get("csrf"))?;
    let up = match f.get("dir") {
        "up" => true,
        "down" => false,
        _ => return Err(PageError::from_service(a.c(), DomainError::invalid("dir", Reason::NotAnOption).into())),
    };
    state.desk.move_help_topic(a.principal(), id, up).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/admin/topics?saved=1#topic-{}", id.get())).into_response())
}

struct FieldRow {
    id: i64,
    label: String,
    key: String,
    kind: String,
    topic: String,
    required_for: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/fields.html")]
struct FieldsPage {
    c: Chrome,
    rows: Vec<FieldRow>,
    /// (id, path, selected) of the topics to filter by.
    topics: Vec<(String, String, bool)>,
    topic: String,
}

async fn fields(State(state): State<AppState>, a: Admin, Query(p): Query<ListParams>) -> Result<Response, PageError> {
    let all = state.desk.custom_fields_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let topics = state.desk.help_topics_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = with_notice(a.c().clone(), &p);
    let english = c.lang == crate::pages::i18n::Lang::En;
    let filter = p.topic.as_deref().and_then(|t| t.parse::<i64>().ok()).map(HelpTopicId);
    let every = c.t("admin-catalog-every-form");
    let rows = all
        .iter()
        .filter(|f| filter.is_none_or(|t| f.help_topic_id == Some(t)))
        .map(|f| FieldRow {
            id: f.id.get(),
            label: f.label(english).into(),
            key: f.key.clone(),
            kind: kind_label(&c, f.kind),
            topic: f.help_topic_id.and_then(|t| find_topic(&topics, t)).map_or_else(|| every.clone(), |t| t.path(&topics)),
            required_for: c.t(&format!("admin-catalog-required-{}", f.required_for)),
            active: f.active,
        })
        .collect();
    let topic = filter.map(|t| t.get().to_string()).unwrap_or_default();
    let topics = topic_tree(&topics).into_iter().map(|(t, _)| (t.id.get().to_string(), t.path(&topics), Some(t.id) == filter)).collect();
    Ok(page(&FieldsPage { c, rows, topics, topic }).into_response())
}

#[derive(Default)]
struct FieldValues {
    key: String,
    kind: String,
    options: String,
    label_es: String,
    label_en: String,
    help_es: String,
    help_en: String,
    required_for: String,
    help_topic_id: String,
    active: bool,
    sort: String,
}

impl FieldValues {
    fn of(f: &FieldSpec) -> FieldValues {
        FieldValues {
            key: f.key.clone(),
            kind: f.kind.as_str().into(),
            options: f.options.join("\n"),
            label_es: f.label_es.clone(),
            label_en: f.label_en.clone(),
            help_es: f.help_es.clone(),
            help_en: f.help_en.clone(),
            required_for: f.required_for.as_str().into(),
            help_topic_id: opt(f.help_topic_id.map(HelpTopicId::get)),
            active: f.active,
            sort: f.sort.to_string(),
        }
    }

    fn typed(f: &Fields) -> FieldValues {
        FieldValues {
            key: f.get("key").into(),
            kind: f.get("kind").into(),
            options: f.get("options").into(),
            label_es: f.get("label_es").into(),
            label_en: f.get("label_en").into(),
            help_es: f.get("help_es").into(),
            help_en: f.get("help_en").into(),
            required_for: f.get("required_for").into(),
            help_topic_id: f.get("help_topic_id").into(),
            active: f.checked("active"),
            sort: f.get("sort").into(),
        }
    }
}

fn field_spec_of(f: &Fields) -> Result<FieldSpec, DomainError> {
    let kind = f.get("kind").parse::<FieldKind>().map_err(|_| DomainError::invalid("kind", Reason::NotAnOption))?;
    let required_for = match f.get("required_for") {
        "" => RequiredFor::None,
        r => r.parse::<RequiredFor>().map_err(|_| DomainError::invalid("required_for", Reason::NotAnOption))?,
    };
    Ok(FieldSpec {
        key: f.get("key").into(),
        kind,
        options: f.get("options").lines().map(str::to_string).collect(),
        label_es: f.get("label_es").into(),
        label_en: f.get("label_en").into(),
        help_es: f.get("help_es").into(),
        help_en: f.get("help_en").into(),
        required_for,
        help_topic_id: f.id("help_topic_id")?.map(HelpTopicId),
        active: f.checked("active"),
        sort: sort_of(f.get("sort"))?,
    })
}

#[derive(Template)]
#[template(path = "admin/field.html")]
struct FieldPage {
    c: Chrome,
    id: Option<i64>,
    v: FieldValues,
    kinds: Vec<(&'static str, String)>,
    required: Vec<(&'static str, String)>,
    topics: Vec<(String, String)>,
    error: Option<FormError>,
    history: String,
}

impl FieldPage {
    fn sel(&self, a: &str, b: &str) -> bool {
        a == b
    }

    fn bad(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.is(field))
    }
}

async fn field_page(
    state: &AppState,
    a: &Admin,
    id: Option<CustomFieldId>,
    v: FieldValues,
    error: Option<FormError>,
) -> Result<FieldPage, PageError> {
    let topics = state.desk.help_topics_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let c = a.c().clone();
    let kinds = FieldKind::ALL.iter().map(|k| (k.as_str(), kind_label(&c, *k))).collect();
    let required = RequiredFor::ALL.iter().map(|r| (r.as_str(), c.t(&format!("admin-catalog-required-{r}")))).collect();
    let topics = topic_tree(&topics).into_iter().map(|(t, _)| (t.id.get().to_string(), t.path(&topics))).collect();
    let history = id.map(|i| format!("/admin/audit?entity=custom_field&id={}", i.get())).unwrap_or_default();
    Ok(FieldPage { c, id: id.map(CustomFieldId::get), v, kinds, required, topics, error, history })
}

async fn new_field(State(state): State<AppState>, a: Admin, Query(p): Query<ListParams>) -> Result<Response, PageError> {
    let v = FieldValues {
        kind: "text".into(),
        required_for: "none".into(),
        help_topic_id: p.topic.unwrap_or_default(),
        active: true,
        sort: "0".into(),
        ..Default::default()
    };
    Ok(page(&field_page(&state, &a, None, v, None).await?).into_response())
}

fn find_field(all: &[CustomField], id: CustomFieldId) -> Option<&CustomField> {
    all.iter().find(|f| f.id == id)
}

async fn edit_field(State(state): State<AppState>, a: Admin, Path(raw): Path<String>) -> Result<Response, PageError> {
    let id = CustomFieldId(path_id(a.c(), &raw)?);
    let all = state.desk.custom_fields_for_admin(a.principal()).await.map_err(|e| a.fail(e))?;
    let f = find_field(&all, id).ok_or_else(|| PageError::not_found(a.c()))?;
    Ok(page(&field_page(&state, &a, Some(id), FieldValues::of(&field_spec(f)), None).await?).into_response())
}

async fn save_field(state: AppState, a: Admin, id: Option<CustomFieldId>, body: &[u8]) -> Result<Response, PageError> {
    let f = Fields::parse(body);
    a.check_form(f.get("csrf"))?;
    let result = match field_spec_of(&f) {
        Ok(spec) => state.desk.save_custom_field(a.principal(), id, spec).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(saved) => {
            let back = saved.help_topic_id.map(|t| format!("&topic={}", t.get())).unwrap_or_default();
            Ok(Redirect::to(&format!("/admin/fields?saved=1{back}")).into_response())
        }
        Err(e) => {
            let error = form_error(a.c(), e)?;
            Ok(refused(&field_page(&state, &a, id, FieldValues::typed(&f), Some(error)).await?))
        }
    }
}

async fn create_field(State(state): State<AppState>, a: Admin, RawForm(body): RawForm) -> Result<Response, PageError> {
    save_field(state, a, None, &body).await
}

async fn update_field(
    State(state): State<AppState>,
    a: Admin,
    Path(raw): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, PageError> {
    let id = CustomFieldId(path_id(a.c(), &raw)?);
    save_field(state, a, Some(id), &body).await
}
