//! The service catalogue as an administrator shapes it: help topics (a tree, each with the
//! defaults its tickets take and whether requesters see it) and the custom fields of their
//! forms (labels and help in Spanish and English, who must fill them, retirement). The rules
//! that keep both sound live here; the forms' values are checked by `fields.rs`.
//!
//! Who must fill a field (`RequiredFor`):
//! - `requester`: whoever fills the form — the requester in the portal, and an agent who
//!   registers the ticket on someone's behalf (the agent is filling the requester's form).
//! - `agent`: only staff must fill it (agent intake, API keys); the portal shows it as optional.
//! - `none`: optional for everyone.
//!
//! A retired field is on no form and refused in new input, but the values tickets already hold
//! are kept and still shown under its label.

use crate::error::{DomainError, Reason};
use crate::fields::{FieldDef, FieldKind, valid_key};
use crate::ids::{CustomFieldId, DepartmentId, HelpTopicId, SlaPlanId};
use crate::org::{Department, HelpTopic};
use crate::priority::Priority;
use crate::string_enum;
use crate::ticket::TicketType;
use crate::values::bounded_text;

string_enum! {
    /// Who must fill a custom field (see the module's documentation).
    pub enum RequiredFor {
        None => "none",
        Requester => "requester",
        Agent => "agent",
    }
}

/// Who is filling a ticket's form: a requester (portal, guest form, ticket link) or staff
/// (agent intake, API keys, the server itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Requester,
    Staff,
}

pub const MAX_TOPIC_NAME: usize = 80;
pub const MAX_DESCRIPTION: usize = 500;
pub const MAX_LABEL: usize = 80;
pub const MAX_HELP: usize = 300;
pub const MAX_OPTION: usize = 100;
pub const MAX_OPTIONS: usize = 50;
pub const MAX_SORT: i32 = 100_000;

/// Why the catalogue refused a value, beyond the common reasons. Carried as `Reason::Other`
/// with the English text; the pages find the variant again (`CatalogProblem::of`) to say it in
/// the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogProblem {
    DuplicateTopicName,
    TopicBelowItself,
    RetiredDepartment,
    DuplicateKey,
    KeyFormat,
    KeyFixed,
    KindFixed,
    OptionsNeeded,
    DuplicateOption,
    OptionFormat,
    TooManyOptions,
}

impl CatalogProblem {
    pub const ALL: &'static [CatalogProblem] = &[
        CatalogProblem::DuplicateTopicName,
        CatalogProblem::TopicBelowItself,
        CatalogProblem::RetiredDepartment,
        CatalogProblem::DuplicateKey,
        CatalogProblem::KeyFormat,
        CatalogProblem::KeyFixed,
        CatalogProblem::KindFixed,
        CatalogProblem::OptionsNeeded,
        CatalogProblem::DuplicateOption,
        CatalogProblem::OptionFormat,
        CatalogProblem::TooManyOptions,
    ];

    /// A stable code (the pages' translation key ends with it).
    pub fn code(self) -> &'static str {
        match self {
            CatalogProblem::DuplicateTopicName => "duplicate_topic_name",
            CatalogProblem::TopicBelowItself => "topic_below_itself",
            CatalogProblem::RetiredDepartment => "retired_department",
            CatalogProblem::DuplicateKey => "duplicate_key",
            CatalogProblem::KeyFormat => "key_format",
            CatalogProblem::KeyFixed => "key_fixed",
            CatalogProblem::KindFixed => "kind_fixed",
            CatalogProblem::OptionsNeeded => "options_needed",
            CatalogProblem::DuplicateOption => "duplicate_option",
            CatalogProblem::OptionFormat => "option_format",
            CatalogProblem::TooManyOptions => "too_many_options",
        }
    }

    /// The English text (what the API says).
    pub fn text(self) -> &'static str {
        match self {
            CatalogProblem::DuplicateTopicName => "is used by another topic at the same place of the catalogue",
            CatalogProblem::TopicBelowItself => "cannot be the topic itself or one below it",
            CatalogProblem::RetiredDepartment => "is retired and takes no new tickets",
            CatalogProblem::DuplicateKey => "is used by another field (retired ones included)",
            CatalogProblem::KeyFormat => "may hold lowercase letters a-z, digits and _ only (at most 64)",
            CatalogProblem::KeyFixed => "cannot change once the field exists (tickets keep values under it)",
            CatalogProblem::KindFixed => "cannot change once the field exists; retire it and create another",
            CatalogProblem::OptionsNeeded => "needs at least one option for a list",
            CatalogProblem::DuplicateOption => "lists the same option twice",
            CatalogProblem::OptionFormat => "each option is one line of at most 100 characters",
            CatalogProblem::TooManyOptions => "may list at most 50 options",
        }
    }

    /// The problem a refusal's reason names, if it is one of these.
    pub fn of(reason: &Reason) -> Option<CatalogProblem> {
        match reason {
            Reason::Other(s) => CatalogProblem::ALL.iter().copied().find(|p| p.text() == s),
            _ => None,
        }
    }

    fn on(self, field: &'static str) -> DomainError {
        DomainError::invalid(field, Reason::Other(self.text().into()))
    }
}

/// A help topic as an administrator edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicInput {
    pub name: String,
    pub parent_id: Option<HelpTopicId>,
    pub department_id: Option<DepartmentId>,
    pub default_priority: Option<Priority>,
    pub default_type: Option<TicketType>,
    pub sla_plan_id: Option<SlaPlanId>,
    pub portal_visible: bool,
    pub active: bool,
    pub sort: i32,
    pub description: String,
}

impl TopicInput {
    /// Checks the input against the catalogue: a name unique among its siblings (ignoring
    /// case), an existing parent that is not the topic itself nor below it, an existing
    /// department that takes tickets (a retired one may stay where it already was), a sort
    /// number in range. `id` is the topic being edited (`None` for a new one).
    pub fn validate(mut self, id: Option<HelpTopicId>, all: &[HelpTopic], departments: &[Department]) -> Result<TopicInput, DomainError> {
        self.name = bounded_text("name", &self.name, MAX_TOPIC_NAME)?;
        let folded = self.name.to_lowercase();
        if all.iter().any(|t| Some(t.id) != id && t.parent_id == self.parent_id && t.name.to_lowercase() == folded) {
            return Err(CatalogProblem::DuplicateTopicName.on("name"));
        }
        if let Some(parent) = self.parent_id {
            if !all.iter().any(|t| t.id == parent) {
                return Err(DomainError::invalid("parent_id", Reason::NotFound));
            }
            if let Some(id) = id
                && topic_would_cycle(id, parent, all)
            {
                return Err(CatalogProblem::TopicBelowItself.on("parent_id"));
            }
        }
        if let Some(d) = self.department_id {
            let Some(dept) = departments.iter().find(|x| x.id == d) else {
                return Err(DomainError::invalid("department_id", Reason::NotFound));
            };
            let unchanged = id.and_then(|id| all.iter().find(|t| t.id == id)).is_some_and(|t| t.department_id == Some(d));
            if !dept.active && !unchanged {
                return Err(CatalogProblem::RetiredDepartment.on("department_id"));
            }
        }
        if !(0..=MAX_SORT).contains(&self.sort) {
            return Err(DomainError::invalid("sort", Reason::OutOfRange { min: 0, max: i64::from(MAX_SORT) }));
        }
        self.description = optional_text("description", &self.description, MAX_DESCRIPTION)?;
        Ok(self)
    }
}

/// Optional text: "" stays empty; otherwise trimmed, bounded, without control characters
/// (line breaks allowed in a description).
fn optional_text(field: &'static str, raw: &str, max: usize) -> Result<String, DomainError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let one_line = raw.replace(['\r', '\n'], " ");
    bounded_text(field, &one_line, max)
}

/// Whether making `parent` the parent of `id` would put the topic below itself.
pub fn topic_would_cycle(id: HelpTopicId, parent: HelpTopicId, all: &[HelpTopic]) -> bool {
    let mut cur = Some(parent);
    // Bounded by the number of topics: a corrupt cycle already stored must not hang.
    for _ in 0..=all.len() {
        match cur {
            None => return false,
            Some(c) if c == id => return true,
            Some(c) => cur = all.iter().find(|t| t.id == c).and_then(|t| t.parent_id),
        }
    }
    true
}

/// Whether a topic is offered to `audience` for new tickets: it and every topic above it are
/// active, and requesters see only those visible in the portal (with their ancestors).
pub fn topic_offered(topic: &HelpTopic, all: &[HelpTopic], audience: Audience) -> bool {
    let mut cur = Some(topic);
    for _ in 0..=all.len() {
        let Some(t) = cur else { return true };
        if !t.active || (audience == Audience::Requester && !t.portal_visible) {
            return false;
        }
        cur = t.parent_id.and_then(|p| all.iter().find(|x| x.id == p));
    }
    false
}

/// The catalogue's topics in tree order (siblings by sort, then name), each with its depth.
pub fn topic_tree(all: &[HelpTopic]) -> Vec<(&HelpTopic, usize)> {
    fn walk<'a>(all: &'a [HelpTopic], parent: Option<HelpTopicId>, depth: usize, out: &mut Vec<(&'a HelpTopic, usize)>) {
        if depth > 16 {
            return;
        }
        for t in siblings(all, parent) {
            out.push((t, depth));
            walk(all, Some(t.id), depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(all.len());
    walk(all, None, 0, &mut out);
    // Topics below a missing parent (or in a stored cycle) are not lost: listed at the end.
    for t in all {
        if !out.iter().any(|(x, _)| x.id == t.id) {
            out.push((t, 0));
        }
    }
    out
}

/// The children of `parent` in display order.
pub fn siblings(all: &[HelpTopic], parent: Option<HelpTopicId>) -> Vec<&HelpTopic> {
    let mut v: Vec<&HelpTopic> = all.iter().filter(|t| t.parent_id == parent).collect();
    v.sort_by(|a, b| a.sort.cmp(&b.sort).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())).then(a.id.cmp(&b.id)));
    v
}

/// The new sort numbers of a topic's siblings after moving it one place up or down: every
/// sibling renumbered 10, 20, 30... in the new order; only those whose number changes are
/// returned. Empty when it cannot move further.
pub fn move_topic(all: &[HelpTopic], id: HelpTopicId, up: bool) -> Vec<(HelpTopicId, i32)> {
    let Some(topic) = all.iter().find(|t| t.id == id) else { return Vec::new() };
    let mut order: Vec<&HelpTopic> = siblings(all, topic.parent_id);
    let Some(i) = order.iter().position(|t| t.id == id) else { return Vec::new() };
    let j = match (up, i) {
        (true, 0) => return Vec::new(),
        (true, i) => i - 1,
        (false, i) if i + 1 >= order.len() => return Vec::new(),
        (false, i) => i + 1,
    };
    order.swap(i, j);
    order
        .iter()
        .enumerate()
        .filter_map(|(n, t)| {
            let sort = i32::try_from((n + 1) * 10).unwrap_or(MAX_SORT).min(MAX_SORT);
            (t.sort != sort).then_some((t.id, sort))
        })
        .collect()
}

/// A custom field of a form, as stored and as the forms show it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomField {
    pub id: CustomFieldId,
    /// The topic whose form shows it (and the forms of the topics below); `None`: every form.
    pub help_topic_id: Option<HelpTopicId>,
    pub key: String,
    pub kind: FieldKind,
    /// The choices of a list (select, multi-select); empty for other kinds.
    pub options: Vec<String>,
    pub label_es: String,
    pub label_en: String,
    pub help_es: String,
    pub help_en: String,
    pub required_for: RequiredFor,
    /// A retired field is on no form; tickets keep its values.
    pub active: bool,
    pub sort: i32,
}

impl CustomField {
    /// The label in English (`true`) or Spanish, else in the other language.
    pub fn label(&self, english: bool) -> &str {
        pick(english, &self.label_en, &self.label_es)
    }

    /// The help text in English (`true`) or Spanish, else in the other language ("" if none).
    pub fn help(&self, english: bool) -> &str {
        pick(english, &self.help_en, &self.help_es)
    }

    /// Whether `audience` must fill it.
    pub fn required_of(&self, audience: Audience) -> bool {
        match self.required_for {
            RequiredFor::None => false,
            RequiredFor::Requester => true,
            RequiredFor::Agent => audience == Audience::Staff,
        }
    }

    /// The definition its input is checked against, for `audience`.
    pub fn def(&self, audience: Audience) -> FieldDef {
        FieldDef {
            key: self.key.clone(),
            label: self.label_es.clone(),
            kind: self.kind,
            options: self.options.clone(),
            required: self.required_of(audience),
        }
    }
}

fn pick<'a>(english: bool, en: &'a str, es: &'a str) -> &'a str {
    let (first, second) = if english { (en, es) } else { (es, en) };
    if first.trim().is_empty() { second } else { first }
}

/// A custom field as an administrator edits it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    pub key: String,
    pub kind: FieldKind,
    pub options: Vec<String>,
    pub label_es: String,
    pub label_en: String,
    pub help_es: String,
    pub help_en: String,
    pub required_for: RequiredFor,
    pub help_topic_id: Option<HelpTopicId>,
    pub active: bool,
    pub sort: i32,
}

impl FieldSpec {
    /// Checks a field's definition: a key of `[a-z0-9_]` used by no other field (retired ones
    /// included: old values are stored under it), kept once the field exists, like its kind;
    /// labels in both languages; 1-50 distinct one-line options for a list (none for other
    /// kinds); an existing topic. `id` is the field being edited (`None` for a new one).
    pub fn validate(mut self, id: Option<CustomFieldId>, all: &[CustomField], topics: &[HelpTopic]) -> Result<FieldSpec, DomainError> {
        self.key = self.key.trim().to_string();
        let before = id.and_then(|id| all.iter().find(|f| f.id == id));
        if let Some(b) = before {
            if b.key != self.key {
                return Err(CatalogProblem::KeyFixed.on("key"));
            }
            if b.kind != self.kind {
                return Err(CatalogProblem::KindFixed.on("kind"));
            }
        } else {
            if self.key.is_empty() {
                return Err(DomainError::invalid("key", Reason::Required));
            }
            if !valid_key(&self.key) {
                return Err(CatalogProblem::KeyFormat.on("key"));
            }
            if all.iter().any(|f| f.key == self.key) {
                return Err(CatalogProblem::DuplicateKey.on("key"));
            }
        }
        self.label_es = bounded_text("label_es", &self.label_es, MAX_LABEL)?;
        self.label_en = bounded_text("label_en", &self.label_en, MAX_LABEL)?;
        self.help_es = optional_text("help_es", &self.help_es, MAX_HELP)?;
        self.help_en = optional_text("help_en", &self.help_en, MAX_HELP)?;
        if matches!(self.kind, FieldKind::Select | FieldKind::MultiSelect) {
            let mut options: Vec<String> = Vec::with_capacity(self.options.len());
            for raw in &self.options {
                if raw.trim().is_empty() {
                    continue;
                }
                if raw.contains(['\n', '\r']) || raw.chars().any(char::is_control) || raw.trim().chars().count() > MAX_OPTION {
                    return Err(CatalogProblem::OptionFormat.on("options"));
                }
                let o = raw.trim().to_string();
                if options.iter().any(|x| x.to_lowercase() == o.to_lowercase()) {
                    return Err(CatalogProblem::DuplicateOption.on("options"));
                }
                options.push(o);
            }
            if options.is_empty() {
                return Err(CatalogProblem::OptionsNeeded.on("options"));
            }
            if options.len() > MAX_OPTIONS {
                return Err(CatalogProblem::TooManyOptions.on("options"));
            }
            self.options = options;
        } else {
            // Options mean nothing to other kinds (a form may still send what was typed).
            self.options.clear();
        }
        if let Some(t) = self.help_topic_id
            && !topics.iter().any(|x| x.id == t)
        {
            return Err(DomainError::invalid("help_topic_id", Reason::NotFound));
        }
        if !(0..=MAX_SORT).contains(&self.sort) {
            return Err(DomainError::invalid("sort", Reason::OutOfRange { min: 0, max: i64::from(MAX_SORT) }));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(id: i64, name: &str, parent: Option<i64>) -> HelpTopic {
        HelpTopic::named(HelpTopicId(id), name, parent.map(HelpTopicId))
    }

    fn dept(id: i64, active: bool) -> Department {
        Department {
            id: DepartmentId(id),
            name: format!("d{id}"),
            parent_id: None,
            manager_id: None,
            email: None,
            sla_plan_id: None,
            auto_assign: crate::admin::AutoAssign::Off,
            active,
        }
    }

    fn input(name: &str, parent: Option<i64>) -> TopicInput {
        TopicInput { name: name.into(), parent_id: parent.map(HelpTopicId), active: true, portal_visible: true, ..Default::default() }
    }

    fn catalogue() -> Vec<HelpTopic> {
        vec![topic(1, "Problema de computadoras", None), topic(2, "Problemas en el teclado", Some(1)), topic(3, "Impresoras", None)]
    }

    #[test]
    fn topic_names_are_unique_among_siblings_only() {
        let all = catalogue();
        assert!(input(" impresoras ", None).validate(None, &all, &[]).is_err());
        assert_eq!(input(" impresoras ", None).validate(Some(HelpTopicId(3)), &all, &[]).map(|t| t.name), Ok("impresoras".into()));
        // The same name below another parent is another topic.
        assert!(input("Impresoras", Some(1)).validate(None, &all, &[]).is_ok());
        assert!(input("PROBLEMAS EN EL TECLADO", Some(1)).validate(None, &all, &[]).is_err());
        assert!(input("", None).validate(None, &all, &[]).is_err());
        assert!(input(&"x".repeat(MAX_TOPIC_NAME + 1), None).validate(None, &all, &[]).is_err());
    }

    #[test]
    fn a_topic_cannot_sit_below_itself() {
        let all = catalogue();
        let e = input("Problema de computadoras", Some(2)).validate(Some(HelpTopicId(1)), &all, &[]).expect_err("cycle");
        assert!(
            matches!(&e, DomainError::Invalid { field: "parent_id", reason } if CatalogProblem::of(reason) == Some(CatalogProblem::TopicBelowItself))
        );
        assert!(input("Problema de computadoras", Some(1)).validate(Some(HelpTopicId(1)), &all, &[]).is_err());
        assert!(input("Nuevo", Some(9)).validate(None, &all, &[]).is_err(), "missing parent");
        assert!(input("Problemas en el teclado", Some(3)).validate(Some(HelpTopicId(2)), &all, &[]).is_ok(), "moved elsewhere");
        let corrupt = vec![topic(1, "a", Some(2)), topic(2, "b", Some(1)), topic(3, "c", None)];
        assert!(topic_would_cycle(HelpTopicId(3), HelpTopicId(1), &corrupt));
    }

    #[test]
    fn departments_must_exist_and_take_tickets() {
        let mut all = catalogue();
        let depts = [dept(1, true), dept(2, false)];
        let with = |d: i64| TopicInput { department_id: Some(DepartmentId(d)), ..input("Impresoras", None) };
        assert!(with(1).validate(Some(HelpTopicId(3)), &all, &depts).is_ok());
        assert!(with(9).validate(Some(HelpTopicId(3)), &all, &depts).is_err());
        assert!(with(2).validate(Some(HelpTopicId(3)), &all, &depts).is_err(), "retired");
        all[2].department_id = Some(DepartmentId(2));
        assert!(with(2).validate(Some(HelpTopicId(3)), &all, &depts).is_ok(), "kept where it was");
        let bad_sort = TopicInput { sort: -1, ..input("Impresoras", None) };
        assert!(bad_sort.validate(Some(HelpTopicId(3)), &all, &depts).is_err());
    }

    #[test]
    fn offered_topics_follow_retirement_and_portal_visibility() {
        let mut all = catalogue();
        assert!(topic_offered(&all[1], &all, Audience::Requester));
        all[0].portal_visible = false;
        assert!(!topic_offered(&all[1], &all, Audience::Requester), "below a topic hidden from the portal");
        assert!(topic_offered(&all[1], &all, Audience::Staff));
        all[0].active = false;
        assert!(!topic_offered(&all[1], &all, Audience::Staff), "below a retired topic");
        assert!(topic_offered(&all[2], &all, Audience::Requester));
    }

    #[test]
    fn tree_order_and_moves() {
        let mut all = catalogue();
        all.push(topic(4, "Acceso a sistemas", None));
        let names = |all: &[HelpTopic]| topic_tree(all).iter().map(|(t, d)| format!("{d}{}", t.name)).collect::<Vec<_>>();
        assert_eq!(names(&all), ["0Acceso a sistemas", "0Impresoras", "0Problema de computadoras", "1Problemas en el teclado"]);
        let moves = move_topic(&all, HelpTopicId(1), true);
        assert_eq!(moves, vec![(HelpTopicId(4), 10), (HelpTopicId(1), 20), (HelpTopicId(3), 30)]);
        for (id, sort) in moves {
            all.iter_mut().filter(|t| t.id == id).for_each(|t| t.sort = sort);
        }
        assert_eq!(names(&all)[1], "0Problema de computadoras");
        assert!(move_topic(&all, HelpTopicId(4), true).is_empty(), "first already");
        assert!(move_topic(&all, HelpTopicId(2), false).is_empty(), "only child");
    }

    fn spec(key: &str, kind: FieldKind, options: &[&str]) -> FieldSpec {
        FieldSpec {
            key: key.into(),
            kind,
            options: options.iter().map(|o| o.to_string()).collect(),
            label_es: "Ubicación".into(),
            label_en: "Location".into(),
            help_es: String::new(),
            help_en: String::new(),
            required_for: RequiredFor::Requester,
            help_topic_id: None,
            active: true,
            sort: 0,
        }
    }

    fn field(id: i64, key: &str, kind: FieldKind) -> CustomField {
        CustomField {
            id: CustomFieldId(id),
            help_topic_id: None,
            key: key.into(),
            kind,
            options: vec![],
            label_es: "Fecha".into(),
            label_en: "Date".into(),
            help_es: String::new(),
            help_en: String::new(),
            required_for: RequiredFor::None,
            active: false,
            sort: 0,
        }
    }

    fn problem(r: Result<FieldSpec, DomainError>) -> Option<CatalogProblem> {
        match r {
            Err(DomainError::Invalid { reason, .. }) => CatalogProblem::of(&reason),
            _ => None,
        }
    }

    #[test]
    fn field_keys_are_unique_and_fixed() {
        let all = [field(1, "fecha_compra", FieldKind::Date)];
        assert!(spec("ubicacion", FieldKind::Select, &["Piso 1"]).validate(None, &all, &[]).is_ok());
        assert_eq!(problem(spec("Ubicación", FieldKind::Text, &[]).validate(None, &all, &[])), Some(CatalogProblem::KeyFormat));
        assert_eq!(problem(spec("fecha_compra", FieldKind::Date, &[]).validate(None, &all, &[])), Some(CatalogProblem::DuplicateKey));
        let id = Some(CustomFieldId(1));
        assert!(spec("fecha_compra", FieldKind::Date, &[]).validate(id, &all, &[]).is_ok());
        assert_eq!(problem(spec("otra", FieldKind::Date, &[]).validate(id, &all, &[])), Some(CatalogProblem::KeyFixed));
        assert_eq!(problem(spec("fecha_compra", FieldKind::Text, &[]).validate(id, &all, &[])), Some(CatalogProblem::KindFixed));
        assert!(spec("", FieldKind::Text, &[]).validate(None, &all, &[]).is_err());
    }

    #[test]
    fn lists_need_distinct_options_and_labels_both_languages() {
        assert_eq!(problem(spec("u", FieldKind::Select, &["", " "]).validate(None, &[], &[])), Some(CatalogProblem::OptionsNeeded));
        assert_eq!(
            problem(spec("u", FieldKind::MultiSelect, &["Piso 1", "piso 1"]).validate(None, &[], &[])),
            Some(CatalogProblem::DuplicateOption)
        );
        let many: Vec<String> = (0..51).map(|i| format!("Piso {i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(problem(spec("u", FieldKind::Select, &many).validate(None, &[], &[])), Some(CatalogProblem::TooManyOptions));
        let long = "x".repeat(MAX_OPTION + 1);
        assert_eq!(problem(spec("u", FieldKind::Select, &[&long]).validate(None, &[], &[])), Some(CatalogProblem::OptionFormat));
        assert_eq!(
            spec("u", FieldKind::Select, &[" Piso 1 ", "", "Piso 2"]).validate(None, &[], &[]).map(|s| s.options),
            Ok(vec!["Piso 1".into(), "Piso 2".into()])
        );
        assert_eq!(spec("u", FieldKind::Date, &["x"]).validate(None, &[], &[]).map(|s| s.options), Ok(vec![]));
        let mut no_en = spec("u", FieldKind::Text, &[]);
        no_en.label_en = " ".into();
        assert!(matches!(no_en.validate(None, &[], &[]), Err(DomainError::Invalid { field: "label_en", reason: Reason::Required })));
        let mut bad_topic = spec("u", FieldKind::Text, &[]);
        bad_topic.help_topic_id = Some(HelpTopicId(7));
        assert!(bad_topic.validate(None, &[], &[]).is_err());
    }

    #[test]
    fn who_must_fill_a_field() {
        let mut f = field(1, "inventario", FieldKind::Text);
        f.label_en = String::new();
        assert_eq!(f.label(true), "Fecha", "falls back to the other language");
        f.required_for = RequiredFor::Agent;
        assert!(!f.def(Audience::Requester).required);
        assert!(f.def(Audience::Staff).required);
        f.required_for = RequiredFor::Requester;
        assert!(f.def(Audience::Requester).required && f.def(Audience::Staff).required);
    }
}
