//! People an administrator manages: agents (their grants of a role per department), roles as
//! named permission sets, requesters and organisations, and the import of requesters from a
//! CSV file. Validation only: what a value must be, before anything is stored.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{DomainError, Reason};
use crate::ids::{AgentId, DepartmentId, OrganisationId, RequesterId, RoleId};
use crate::permission::Permission;
use crate::string_enum;
use crate::values::{EmailAddress, PersonName, bounded_text};

/// Refusals of this module that have no `Reason` of their own: `Reason::Other` with these
/// texts (English in the API; the pages translate them by these exact texts).
pub mod refusal {
    pub const TAKEN: &str = "is already used";
    pub const BUILTIN_NAME: &str = "a built-in role keeps its name";
    pub const DEPARTMENT_TWICE: &str = "names a department twice";
    pub const LAST_ADMIN: &str = "the desk would be left without an active administrator";
    pub const IN_USE: &str = "is granted to agents and cannot be deleted";
    pub const BUILTIN_ROLE: &str = "a built-in role cannot be deleted";
    pub const SAME_REQUESTER: &str = "a requester cannot be merged into itself";
    pub const MERGED: &str = "was merged into another requester";
    pub const DUPLICATE_IN_FILE: &str = "appears earlier in the file";
    pub const INVALID_DOMAIN: &str = "is not a valid domain";

    /// Every text above with a short code (the pages' translation key ends with it).
    pub const ALL: &[(&str, &str)] = &[
        (TAKEN, "taken"),
        (BUILTIN_NAME, "builtin_name"),
        (DEPARTMENT_TWICE, "department_twice"),
        (LAST_ADMIN, "last_admin"),
        (IN_USE, "in_use"),
        (BUILTIN_ROLE, "builtin_role"),
        (SAME_REQUESTER, "same_requester"),
        (MERGED, "merged"),
        (DUPLICATE_IN_FILE, "duplicate_in_file"),
        (INVALID_DOMAIN, "invalid_domain"),
    ];
}

fn other(field: &'static str, why: &str) -> DomainError {
    DomainError::invalid(field, Reason::Other(why.to_string()))
}

string_enum! {
    /// The languages of the desk's pages and mail.
    pub enum Language {
        Es => "es",
        En => "en",
    }
}

/// A person's address, reported as `person_email` (a department's address is `email`).
pub fn person_email(raw: &str) -> Result<EmailAddress, DomainError> {
    EmailAddress::parse(raw).map_err(|e| match e {
        DomainError::Invalid { reason, .. } => DomainError::invalid("person_email", reason),
        other => other,
    })
}

/// An optional phone number: digits, spaces and `+ - ( )`, at most 40 characters.
pub fn phone(raw: &str) -> Result<Option<String>, DomainError> {
    match raw.trim() {
        "" => Ok(None),
        p if p.len() > 40 || !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) => {
            Err(DomainError::invalid("phone", Reason::InvalidPhone))
        }
        p => Ok(Some(p.to_string())),
    }
}

/// An optional language: "" is none (the desk's default), else `es` or `en`.
pub fn language(raw: &str) -> Result<Option<Language>, DomainError> {
    match raw.trim().to_lowercase().as_str() {
        "" => Ok(None),
        l => l.parse().map(Some).map_err(|_| DomainError::invalid("language", Reason::NotAnOption)),
    }
}

pub const MAX_ROLE_NAME: usize = 60;

/// The names of the built-in roles (seeded on first start).
pub fn is_builtin_role(name: &str) -> bool {
    crate::permission::builtin_roles().iter().any(|(n, _)| *n == name)
}

/// A role as an administrator edits it. Built-in roles keep their names (the command line and
/// the seeds name them) but their permissions may change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleInput {
    pub name: String,
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSettings {
    pub name: String,
    pub permissions: BTreeSet<Permission>,
}

impl RoleInput {
    /// `current` is the stored name of the role being edited (`None` for a new one); `others`
    /// every role's id and name.
    pub fn validate(self, id: Option<RoleId>, current: Option<&str>, others: &[(RoleId, String)]) -> Result<RoleSettings, DomainError> {
        let name = bounded_text("name", &self.name, MAX_ROLE_NAME)?;
        if let Some(cur) = current
            && is_builtin_role(cur)
            && name != cur
        {
            return Err(other("name", refusal::BUILTIN_NAME));
        }
        let folded = name.to_lowercase();
        if others.iter().any(|(rid, n)| Some(*rid) != id && n.to_lowercase() == folded) {
            return Err(other("name", refusal::TAKEN));
        }
        if self.permissions.is_empty() {
            return Err(DomainError::invalid("permissions", Reason::Required));
        }
        Ok(RoleSettings { name, permissions: self.permissions.into_iter().collect() })
    }
}

/// An agent as an administrator edits (or invites) them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInput {
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub active: bool,
    /// The role the agent holds in each department they work in.
    pub grants: Vec<(DepartmentId, RoleId)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSettings {
    pub email: EmailAddress,
    pub name: PersonName,
    pub is_admin: bool,
    pub active: bool,
    pub grants: Vec<(DepartmentId, RoleId)>,
}

/// What an agent's settings are checked against: the other agents (id, address, whether an
/// active administrator), the departments and the roles.
#[derive(Debug, Clone, Default)]
pub struct AgentContext {
    pub agents: Vec<(AgentId, String, bool)>,
    pub departments: Vec<DepartmentId>,
    pub roles: Vec<RoleId>,
}

impl AgentInput {
    pub fn validate(self, id: Option<AgentId>, ctx: &AgentContext) -> Result<AgentSettings, DomainError> {
        let email = person_email(&self.email)?;
        let name = PersonName::parse(&self.name)?;
        if ctx.agents.iter().any(|(aid, e, _)| Some(*aid) != id && e.eq_ignore_ascii_case(email.as_str())) {
            return Err(other("person_email", refusal::TAKEN));
        }
        let mut seen = BTreeSet::new();
        for (d, r) in &self.grants {
            if !ctx.departments.contains(d) {
                return Err(DomainError::invalid("grants", Reason::NotFound));
            }
            if !ctx.roles.contains(r) {
                return Err(DomainError::invalid("grants", Reason::NotFound));
            }
            if !seen.insert(*d) {
                return Err(other("grants", refusal::DEPARTMENT_TWICE));
            }
        }
        if !self.is_admin && self.grants.is_empty() {
            return Err(DomainError::invalid("grants", Reason::Required));
        }
        // The desk keeps at least one active administrator (when it had one).
        let admin_after = self.is_admin && self.active;
        let others_admin = ctx.agents.iter().any(|(aid, _, admin)| Some(*aid) != id && *admin);
        let was_admin = id.is_some_and(|i| ctx.agents.iter().any(|(aid, _, admin)| *aid == i && *admin));
        if was_admin && !admin_after && !others_admin {
            return Err(other(if self.active { "is_admin" } else { "active" }, refusal::LAST_ADMIN));
        }
        let mut grants = self.grants;
        grants.sort();
        Ok(AgentSettings { email, name, is_admin: self.is_admin, active: self.active, grants })
    }
}

/// A requester as an administrator edits them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequesterInput {
    pub email: String,
    pub name: String,
    pub phone: String,
    pub organisation_id: Option<OrganisationId>,
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequesterSettings {
    pub email: EmailAddress,
    pub name: PersonName,
    pub phone: Option<String>,
    pub organisation_id: Option<OrganisationId>,
    pub language: Option<Language>,
}

impl RequesterInput {
    /// `owner` is the requester already holding the address, if any.
    pub fn validate(
        self,
        id: RequesterId,
        owner: Option<RequesterId>,
        organisations: &[OrganisationId],
    ) -> Result<RequesterSettings, DomainError> {
        let email = person_email(&self.email)?;
        if owner.is_some_and(|o| o != id) {
            return Err(other("person_email", refusal::TAKEN));
        }
        let name = PersonName::parse(&self.name)?;
        let phone = phone(&self.phone)?;
        if let Some(o) = self.organisation_id
            && !organisations.contains(&o)
        {
            return Err(DomainError::invalid("organisation_id", Reason::NotFound));
        }
        let language = language(&self.language)?;
        Ok(RequesterSettings { email, name, phone, organisation_id: self.organisation_id, language })
    }
}

/// Whether `from` may be merged into `into`: two different requesters, neither merged already.
pub fn check_merge(from: RequesterId, into: RequesterId, from_merged: bool, into_merged: bool) -> Result<(), DomainError> {
    if from == into {
        return Err(other("into", refusal::SAME_REQUESTER));
    }
    if from_merged {
        return Err(other("requester", refusal::MERGED));
    }
    if into_merged {
        return Err(other("into", refusal::MERGED));
    }
    Ok(())
}

pub const MAX_ORGANISATION_NAME: usize = 120;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganisationInput {
    pub name: String,
    pub domain: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationSettings {
    pub name: String,
    /// Requesters whose address is at this domain join the organisation when they first appear.
    pub domain: Option<String>,
}

/// A mail domain: lowercase labels of letters, digits and hyphens, at least two of them.
pub fn mail_domain(raw: &str) -> Result<Option<String>, DomainError> {
    let d = raw.trim().trim_start_matches('@').to_lowercase();
    if d.is_empty() {
        return Ok(None);
    }
    let labels: Vec<&str> = d.split('.').collect();
    let ok = d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok { Ok(Some(d)) } else { Err(other("domain", refusal::INVALID_DOMAIN)) }
}

impl OrganisationInput {
    /// `others`: every organisation's id, name and domain.
    pub fn validate(
        self,
        id: Option<OrganisationId>,
        others: &[(OrganisationId, String, Option<String>)],
    ) -> Result<OrganisationSettings, DomainError> {
        let name = bounded_text("name", &self.name, MAX_ORGANISATION_NAME)?;
        let folded = name.to_lowercase();
        let rest = || others.iter().filter(|(oid, _, _)| Some(*oid) != id);
        if rest().any(|(_, n, _)| n.to_lowercase() == folded) {
            return Err(other("name", refusal::TAKEN));
        }
        let domain = mail_domain(&self.domain)?;
        if let Some(d) = &domain
            && rest().any(|(_, _, od)| od.as_deref() == Some(d.as_str()))
        {
            return Err(other("domain", refusal::TAKEN));
        }
        Ok(OrganisationSettings { name, domain })
    }
}

// ---------------------------------------------------------------------------------------------
// CSV import of requesters

/// The largest file accepted, and the most rows.
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// How the file's bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Not valid UTF-8: read as Windows-1252 (what Excel writes as "CSV" on Windows).
    Windows1252,
}

/// Why a whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("the file has more than {max} rows")]
    TooManyRows { max: usize },
    #[error("the file is empty")]
    Empty,
    #[error("the first row must name the columns, with an `email` column")]
    NoEmailColumn,
    #[error("the file cannot be read as CSV: {0}")]
    Unreadable(String),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::TooLarge { .. } => "too_large",
            ImportError::TooManyRows { .. } => "too_many_rows",
            ImportError::Empty => "empty",
            ImportError::NoEmailColumn => "no_email_column",
            ImportError::Unreadable(_) => "unreadable",
        }
    }
}

/// Windows-1252's characters for 0x80..=0x9F (the rest is Latin-1); undefined ones are U+FFFD.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž', '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”',
    '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}', 'ž', 'Ÿ',
];

/// The text of a file: UTF-8 (a leading byte-order mark dropped), else Windows-1252.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), Encoding::Utf8),
        Err(_) => {
            let text = bytes
                .iter()
                .map(|&b| match b {
                    0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                    _ => char::from(b),
                })
                .collect();
            (text, Encoding::Windows1252)
        }
    }
}

/// One row of the file as written (trimmed), with its line number (the header is line 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCells {
    pub line: usize,
    pub email: String,
    pub name: String,
    pub phone: String,
    pub organisation: String,
    pub language: String,
}

/// The columns a file may have, by their names in English or Spanish.
fn column(header: &str) -> Option<usize> {
    let h = header.trim().to_lowercase();
    let h = h.trim_start_matches('\u{feff}');
    match h {
        "email" | "e-mail" | "correo" | "correo electrónico" | "correo electronico" => Some(0),
        "name" | "nombre" => Some(1),
        "phone" | "teléfono" | "telefono" => Some(2),
        "organisation" | "organization" | "organización" | "organizacion" => Some(3),
        "language" | "idioma" => Some(4),
        _ => None,
    }
}

/// Reads the rows of a CSV file (comma- or semicolon-separated, first row the column names).
pub fn read_csv(bytes: &[u8]) -> Result<(Vec<ImportCells>, Encoding), ImportError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge { max: MAX_IMPORT_BYTES });
    }
    let (text, encoding) = decode(bytes);
    let first = text.lines().next().unwrap_or_default();
    if first.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    let delimiter = if first.contains(';') && !first.contains(',') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| ImportError::Unreadable(e.to_string()))?.clone();
    let map: Vec<Option<usize>> = headers.iter().map(column).collect();
    if !map.contains(&Some(0)) {
        return Err(ImportError::NoEmailColumn);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Unreadable(e.to_string()))?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(ImportError::TooManyRows { max: MAX_IMPORT_ROWS });
        }
        // The line as an editor numbers it (blank lines count).
        let line = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .map(|b| b + text.as_bytes().get(b..).map_or(0, |rest| rest.iter().take_while(|c| matches!(c, b'\n' | b'\r')).count()))
            .and_then(|b| text.as_bytes().get(..b))
            .map_or(rows.len() + 2, |before| before.iter().filter(|c| **c == b'\n').count() + 1);
        let mut cells = ImportCells { line, ..Default::default() };
        for (i, value) in record.iter().enumerate() {
            let value = value.trim().to_string();
            match map.get(i).copied().flatten() {
                Some(0) => cells.email = value,
                Some(1) => cells.name = value,
                Some(2) => cells.phone = value,
                Some(3) => cells.organisation = value,
                Some(4) => cells.language = value,
                _ => {}
            }
        }
        rows.push(cells);
    }
    if rows.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok((rows, encoding))
}

/// What importing a row does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportAction {
    Create,
    /// The address is a requester's already: the row's non-empty cells replace their values.
    Update(RequesterId),
}

/// A row that can be imported: the address, and the values its non-empty cells give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportValues {
    pub email: EmailAddress,
    pub name: Option<PersonName>,
    pub phone: Option<String>,
    pub organisation_id: Option<OrganisationId>,
    pub language: Option<Language>,
}

/// A row of the report: what it says, and what importing it does or why it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub cells: ImportCells,
    pub outcome: Result<(ImportAction, ImportValues), Vec<DomainError>>,
}

/// Checks every row: the address (valid, once in the file), the name, phone, organisation (by
/// name, ignoring case; it must exist) and language. `existing` maps the addresses the desk
/// knows to their requester.
pub fn plan_import(
    rows: Vec<ImportCells>,
    organisations: &[(OrganisationId, String)],
    existing: &BTreeMap<String, RequesterId>,
) -> Vec<ImportRow> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    rows.into_iter()
        .map(|cells| {
            let mut errors = Vec::new();
            let email = match person_email(&cells.email) {
                Ok(e) => {
                    if seen.contains_key(e.as_str()) {
                        errors.push(other("person_email", refusal::DUPLICATE_IN_FILE));
                    } else {
                        seen.insert(e.as_str().to_string(), cells.line);
                    }
                    Some(e)
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            };
            let name = match cells.name.as_str() {
                "" => None,
                n => PersonName::parse(n).map_err(|e| errors.push(e)).ok(),
            };
            let phone = phone(&cells.phone).map_err(|e| errors.push(e)).ok().flatten();
            let organisation_id = match cells.organisation.to_lowercase().as_str() {
                "" => None,
                wanted => match organisations.iter().find(|(_, n)| n.to_lowercase() == wanted) {
                    Some((id, _)) => Some(*id),
                    None => {
                        errors.push(DomainError::invalid("organisation_id", Reason::NotFound));
                        None
                    }
                },
            };
            let language = language(&cells.language).map_err(|e| errors.push(e)).ok().flatten();
            let outcome = match email {
                Some(email) if errors.is_empty() => {
                    let action = existing.get(email.as_str()).map_or(ImportAction::Create, |id| ImportAction::Update(*id));
                    Ok((action, ImportValues { email, name, phone, organisation_id, language }))
                }
                _ => Err(errors),
            };
            ImportRow { cells, outcome }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_need_a_free_name_and_permissions_and_builtins_keep_their_names() {
        let others = vec![(RoleId(1), "agent".to_string()), (RoleId(2), "Consultor".to_string())];
        let input = |name: &str, perms: Vec<Permission>| RoleInput { name: name.into(), permissions: perms };
        let view = vec![Permission::TicketView, Permission::TicketNote];
        assert!(input(" consultor ", view.clone()).validate(None, None, &others).is_err());
        assert!(input("Consultor", view.clone()).validate(Some(RoleId(2)), Some("Consultor"), &others).is_ok());
        assert!(input("Auditor", vec![]).validate(None, None, &others).is_err());
        assert!(input("agente", view.clone()).validate(Some(RoleId(1)), Some("agent"), &others).is_err());
        let s = input("agent", view).validate(Some(RoleId(1)), Some("agent"), &others).expect("permissions of a built-in change");
        assert_eq!(s.permissions.len(), 2);
    }

    fn ctx() -> AgentContext {
        AgentContext {
            agents: vec![(AgentId(1), "director@gob.example".into(), true), (AgentId(2), "tecnico@gob.example".into(), false)],
            departments: vec![DepartmentId(10), DepartmentId(11)],
            roles: vec![RoleId(1), RoleId(2)],
        }
    }

    fn agent(email: &str, admin: bool, grants: Vec<(i64, i64)>) -> AgentInput {
        AgentInput {
            email: email.into(),
            name: "Luis Pérez".into(),
            is_admin: admin,
            active: true,
            grants: grants.into_iter().map(|(d, r)| (DepartmentId(d), RoleId(r))).collect(),
        }
    }

    #[test]
    fn agents_need_a_free_address_and_sound_grants() {
        assert!(agent("nuevo@gob.example", false, vec![(10, 1)]).validate(None, &ctx()).is_ok());
        assert!(agent("TECNICO@gob.example", false, vec![(10, 1)]).validate(None, &ctx()).is_err());
        assert!(agent("tecnico@gob.example", false, vec![(10, 1)]).validate(Some(AgentId(2)), &ctx()).is_ok());
        assert!(agent("nuevo@gob.example", false, vec![]).validate(None, &ctx()).is_err(), "an agent works somewhere");
        assert!(agent("nuevo@gob.example", true, vec![]).validate(None, &ctx()).is_ok(), "an administrator may not");
        assert!(agent("nuevo@gob.example", false, vec![(99, 1)]).validate(None, &ctx()).is_err());
        assert!(agent("nuevo@gob.example", false, vec![(10, 9)]).validate(None, &ctx()).is_err());
        assert!(agent("nuevo@gob.example", false, vec![(10, 1), (10, 2)]).validate(None, &ctx()).is_err());
        let bad = agent("no es correo", false, vec![(10, 1)]).validate(None, &ctx());
        assert!(matches!(bad, Err(DomainError::Invalid { field: "person_email", .. })), "{bad:?}");
    }

    #[test]
    fn the_last_active_administrator_stays() {
        let mut a = agent("director@gob.example", false, vec![(10, 1)]);
        assert!(a.clone().validate(Some(AgentId(1)), &ctx()).is_err(), "not an administrator any more");
        a.is_admin = true;
        a.active = false;
        assert!(a.clone().validate(Some(AgentId(1)), &ctx()).is_err(), "deactivated");
        let mut two = ctx();
        two.agents.push((AgentId(3), "subdirectora@gob.example".into(), true));
        assert!(a.validate(Some(AgentId(1)), &two).is_ok());
    }

    #[test]
    fn requesters_and_organisations() {
        let input = RequesterInput {
            email: "Rosa@Gob.Example".into(),
            name: "Rosa Quispe".into(),
            phone: "+593 2 123-4567".into(),
            organisation_id: Some(OrganisationId(5)),
            language: "ES".into(),
        };
        let s = input.clone().validate(RequesterId(1), None, &[OrganisationId(5)]).expect("valid");
        assert_eq!((s.email.as_str(), s.language), ("rosa@gob.example", Some(Language::Es)));
        assert!(input.clone().validate(RequesterId(1), Some(RequesterId(2)), &[OrganisationId(5)]).is_err());
        assert!(input.clone().validate(RequesterId(1), None, &[]).is_err());
        assert!(RequesterInput { phone: "llámeme".into(), ..input.clone() }.validate(RequesterId(1), None, &[OrganisationId(5)]).is_err());
        assert!(RequesterInput { language: "fr".into(), ..input }.validate(RequesterId(1), None, &[OrganisationId(5)]).is_err());

        let others = vec![(OrganisationId(1), "Ministerio".to_string(), Some("gob.example".to_string()))];
        let org = |n: &str, d: &str| OrganisationInput { name: n.into(), domain: d.into() };
        assert_eq!(org("UPAT", "@Upat.Gob.Example").validate(None, &others).map(|s| s.domain), Ok(Some("upat.gob.example".into())));
        assert!(org("ministerio", "").validate(None, &others).is_err());
        assert!(org("Otra", "gob.example").validate(None, &others).is_err());
        assert!(org("Otra", "no valido").validate(None, &others).is_err());
        assert!(org("Ministerio", "gob.example").validate(Some(OrganisationId(1)), &others).is_ok());
        assert!(check_merge(RequesterId(1), RequesterId(1), false, false).is_err());
        assert!(check_merge(RequesterId(1), RequesterId(2), false, true).is_err());
        assert!(check_merge(RequesterId(1), RequesterId(2), false, false).is_ok());
    }

    #[test]
    fn a_csv_file_is_read_and_every_row_checked() {
        let file = "email,name,phone,organisation,language\n\
                    rosa@gob.example,Rosa Quispe,099 123 4567,UPAT,es\n\
                    no-es-correo,Alguien,,,\n\
                    ROSA@gob.example,Rosa otra vez,,,\n\
                    jose@gob.example,José Ñúñez Peña,,Desconocida,fr\n\
                    \n\
                    luis@gob.example,,,,EN\n";
        let (rows, enc) = read_csv(file.as_bytes()).expect("read");
        assert_eq!(enc, Encoding::Utf8);
        assert_eq!(rows.len(), 5, "the blank line is skipped");
        let existing: BTreeMap<String, RequesterId> = [("luis@gob.example".to_string(), RequesterId(7))].into_iter().collect();
        let plan = plan_import(rows, &[(OrganisationId(3), "UPAT".into())], &existing);
        assert!(matches!(&plan[0].outcome, Ok((ImportAction::Create, v)) if v.organisation_id == Some(OrganisationId(3))));
        assert!(plan[1].outcome.is_err());
        assert_eq!(plan[2].outcome, Err(vec![other("person_email", refusal::DUPLICATE_IN_FILE)]));
        assert_eq!(plan[3].outcome.as_ref().map_err(Vec::len).err(), Some(2), "unknown organisation and language");
        assert_eq!(plan[3].cells.name, "José Ñúñez Peña");
        assert!(
            matches!(&plan[4].outcome, Ok((ImportAction::Update(RequesterId(7)), v)) if v.name.is_none() && v.language == Some(Language::En))
        );
        assert_eq!(plan[4].cells.line, 7);
    }

    #[test]
    fn windows_1252_semicolons_and_limits() {
        // "José;Núñez" as Excel writes it on Windows, with Spanish headers and semicolons.
        let mut bytes = b"correo;nombre\njose@gob.example;Jos\xe9 N\xfa\xf1ez \x80\n".to_vec();
        let (rows, enc) = read_csv(&bytes).expect("read");
        assert_eq!(enc, Encoding::Windows1252);
        assert_eq!(rows[0].name, "José Núñez €");
        assert_eq!(read_csv(b"nombre\nAna\n"), Err(ImportError::NoEmailColumn));
        assert_eq!(read_csv(b""), Err(ImportError::Empty));
        assert_eq!(read_csv(b"email\n"), Err(ImportError::Empty));
        bytes.resize(MAX_IMPORT_BYTES + 1, b' ');
        assert_eq!(read_csv(&bytes), Err(ImportError::TooLarge { max: MAX_IMPORT_BYTES }));
        let many = format!("email\n{}", "a@b.example\n".repeat(MAX_IMPORT_ROWS + 1));
        assert_eq!(read_csv(many.as_bytes()), Err(ImportError::TooManyRows { max: MAX_IMPORT_ROWS }));
        let bom = b"\xEF\xBB\xBFemail,name\na@b.example,\xC3\x81ngel\n";
        assert_eq!(read_csv(bom).map(|(r, _)| r[0].name.clone()), Ok("Ángel".to_string()));
    }
}
