//! The knowledge base: articles in Markdown, in categories that may nest, each in one language,
//! with a visibility (who may read it) and a state (only published articles are read outside
//! the desk). Who may write articles is the `kb.edit` permission in any department.

use crate::error::{DomainError, Reason};
use crate::ids::{ArticleId, KbCategoryId};
use crate::permission::{Access, Permission};
use crate::string_enum;
use crate::template::Language;
use crate::values::bounded_text;

/// Longest article title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest slug (the article's address under `/kb/`).
pub const MAX_SLUG: usize = 120;
/// Longest article body (Markdown), in bytes: long guides fit, a pasted log does not.
pub const MAX_BODY: usize = 100_000;
/// Longest category name.
pub const MAX_CATEGORY_NAME: usize = 100;
/// Categories nest at most this deep (a top-level category is depth 1).
pub const MAX_CATEGORY_DEPTH: usize = 3;
/// A suggestion opened and followed by no ticket from the same session within this many
/// minutes counts as a ticket avoided.
pub const DEFLECTION_MINUTES: i64 = 30;

string_enum! {
    /// Who may read an article.
    pub enum Visibility {
        /// Anyone, signed in or not.
        Public => "public",
        /// Signed-in requesters and agents.
        SignedIn => "signed_in",
        /// Agents only (internal procedures).
        Agents => "agents",
    }
}

string_enum! {
    pub enum ArticleState {
        Draft => "draft",
        Published => "published",
        /// Kept for its history and links, shown to no reader.
        Archived => "archived",
    }
}

/// Who is reading, as far as the knowledge base cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Anonymous,
    Requester,
    /// Agents and integrations: every visibility, every state.
    Staff,
}

impl Reader {
    /// The visibilities this reader may read.
    pub fn visibilities(self) -> &'static [Visibility] {
        match self {
            Reader::Anonymous => &[Visibility::Public],
            Reader::Requester => &[Visibility::Public, Visibility::SignedIn],
            Reader::Staff => Visibility::ALL,
        }
    }

    /// Whether this reader may read an article with this visibility in this state: readers
    /// outside the desk see published articles only.
    pub fn may_read(self, visibility: Visibility, state: ArticleState) -> bool {
        self.visibilities().contains(&visibility) && (self == Reader::Staff || state == ArticleState::Published)
    }
}

/// Whether these grants allow writing articles (the knowledge base belongs to no department:
/// `kb.edit` in any of them is enough).
pub fn may_edit(access: &Access) -> bool {
    access.all || access.grants.values().any(|p| p.contains(&Permission::KbEdit))
}

/// An article's address: the folded title, letters and digits joined by hyphens
/// ("¿Cómo restablezco mi contraseña?" -> "como-restablezco-mi-contrasena").
pub fn slugify(title: &str) -> String {
    let words: Vec<String> =
        crate::search::fold(title).split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    let mut slug = String::new();
    for w in words {
        if slug.len() + w.len() + 1 > MAX_SLUG {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&w);
    }
    slug
}

/// A slug as typed (or derived from the title when empty): lower-case letters, digits and
/// single hyphens, not only digits (those would look like article ids).
pub fn parse_slug(raw: &str, title: &str) -> Result<String, DomainError> {
    let raw = raw.trim();
    let slug = if raw.is_empty() { slugify(title) } else { raw.to_string() };
    if slug.is_empty() {
        return Err(DomainError::invalid("slug", Reason::Required));
    }
    if slug.len() > MAX_SLUG {
        return Err(DomainError::invalid("slug", Reason::TooLong { max: MAX_SLUG }));
    }
    let shape = slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && !slug.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    if !shape {
        return Err(DomainError::invalid("slug", Reason::Other("may hold lower-case letters, digits and single hyphens".into())));
    }
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err(DomainError::invalid("slug", Reason::Duplicate));
    }
    Ok(slug)
}

/// Addresses under `/kb/` the portal uses itself.
const RESERVED_SLUGS: &[&str] = &["suggest", "files", "new"];

/// The Markdown of an article: required, bounded, no NUL.
pub fn parse_article_body(raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::invalid("body", Reason::Required));
    }
    if s.contains('\0') {
        return Err(DomainError::invalid("body", Reason::ControlCharacters));
    }
    if s.len() > MAX_BODY {
        return Err(DomainError::invalid("body", Reason::TooLong { max: MAX_BODY }));
    }
    Ok(s.to_string())
}

/// What an agent writes for an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleInput {
    pub title: String,
    /// Empty: derived from the title.
    pub slug: String,
    pub body: String,
    pub category_id: Option<KbCategoryId>,
    pub language: Language,
    pub visibility: Visibility,
}

/// An article's checked content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleDraft {
    pub title: String,
    pub slug: String,
    pub body: String,
    pub category_id: Option<KbCategoryId>,
    pub language: Language,
    pub visibility: Visibility,
}

impl ArticleInput {
    /// Checks the fields; `categories` are the existing ones (the category must be one).
    pub fn validate(self, categories: &[KbCategory]) -> Result<ArticleDraft, DomainError> {
        let title = bounded_text("title", &self.title, MAX_TITLE)?;
        let slug = parse_slug(&self.slug, &title)?;
        let body = parse_article_body(&self.body)?;
        if let Some(c) = self.category_id
            && !categories.iter().any(|x| x.id == c)
        {
            return Err(DomainError::invalid("category_id", Reason::NotFound));
        }
        Ok(ArticleDraft { title, slug, body, category_id: self.category_id, language: self.language, visibility: self.visibility })
    }
}

/// A category of articles.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KbCategory {
    pub id: KbCategoryId,
    pub name: String,
    pub parent_id: Option<KbCategoryId>,
    pub sort: i32,
}

impl KbCategory {
    /// "Redes › VPN": the names from the top down to this one.
    pub fn path(&self, all: &[KbCategory]) -> String {
        let mut names = vec![self.name.clone()];
        let mut cur = self.parent_id;
        // Bounded: a damaged stored cycle must not hang.
        for _ in 0..all.len() {
            let Some(p) = cur.and_then(|id| all.iter().find(|c| c.id == id)) else { break };
            names.push(p.name.clone());
            cur = p.parent_id;
        }
        names.reverse();
        names.join(" › ")
    }

    /// How deep this category sits (top level: 1).
    pub fn depth(&self, all: &[KbCategory]) -> usize {
        depth_of(Some(self.id), all)
    }
}

fn depth_of(id: Option<KbCategoryId>, all: &[KbCategory]) -> usize {
    let mut depth = 0;
    let mut cur = id;
    for _ in 0..=all.len() {
        let Some(c) = cur.and_then(|id| all.iter().find(|c| c.id == id)) else { break };
        depth += 1;
        cur = c.parent_id;
    }
    depth
}

/// How deep the deepest category under `id` goes below it (0 when it has none).
fn height(id: KbCategoryId, all: &[KbCategory], budget: usize) -> usize {
    if budget == 0 {
        return 0;
    }
    all.iter().filter(|c| c.parent_id == Some(id)).map(|c| 1 + height(c.id, all, budget - 1)).max().unwrap_or(0)
}

/// Checks a category's name and place: a unique name under its parent, an existing parent
/// that is neither the category itself nor below it, and no deeper than `MAX_CATEGORY_DEPTH`
/// (counting the categories already below an edited one). `id` is `None` for a new one.
pub fn validate_category(
    id: Option<KbCategoryId>,
    name: &str,
    parent_id: Option<KbCategoryId>,
    all: &[KbCategory],
) -> Result<String, DomainError> {
    let name = bounded_text("name", name, MAX_CATEGORY_NAME)?;
    let folded = name.to_lowercase();
    if all.iter().any(|c| Some(c.id) != id && c.parent_id == parent_id && c.name.to_lowercase() == folded) {
        return Err(DomainError::invalid("name", Reason::Duplicate));
    }
    if let Some(parent) = parent_id {
        if !all.iter().any(|c| c.id == parent) {
            return Err(DomainError::invalid("parent_id", Reason::NotFound));
        }
        if let Some(id) = id {
            let mut cur = Some(parent);
            for _ in 0..=all.len() {
                let Some(c) = cur else { break };
                if c == id {
                    return Err(DomainError::invalid("parent_id", Reason::Cycle));
                }
                cur = all.iter().find(|x| x.id == c).and_then(|x| x.parent_id);
            }
        }
    }
    let below = id.map_or(0, |id| height(id, all, MAX_CATEGORY_DEPTH + 1));
    if depth_of(parent_id, all) + 1 + below > MAX_CATEGORY_DEPTH {
        return Err(DomainError::invalid("parent_id", Reason::OutOfRange { min: 1, max: MAX_CATEGORY_DEPTH as i64 }));
    }
    Ok(name)
}

/// Categories in tree order with their depth (0 for top level), for lists and pickers.
pub fn category_tree(all: &[KbCategory]) -> Vec<(&KbCategory, usize)> {
    fn walk<'a>(all: &'a [KbCategory], parent: Option<KbCategoryId>, depth: usize, out: &mut Vec<(&'a KbCategory, usize)>) {
        if depth > MAX_CATEGORY_DEPTH {
            return;
        }
        let mut children: Vec<&KbCategory> = all.iter().filter(|c| c.parent_id == parent).collect();
        children.sort_by(|a, b| a.sort.cmp(&b.sort).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
        for c in children {
            out.push((c, depth));
            walk(all, Some(c.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(all, None, 0, &mut out);
    out
}

/// A pointer to an article, e.g. for "tickets it solved" and suggestions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRef {
    pub id: ArticleId,
    pub slug: String,
    pub title: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DepartmentId;

    fn cat(id: i64, parent: Option<i64>, name: &str) -> KbCategory {
        KbCategory { id: KbCategoryId(id), name: name.into(), parent_id: parent.map(KbCategoryId), sort: 0 }
    }

    #[test]
    fn readers_and_visibility() {
        use ArticleState::*;
        use Visibility::*;
        assert!(Reader::Anonymous.may_read(Public, Published));
        assert!(!Reader::Anonymous.may_read(SignedIn, Published));
        assert!(!Reader::Anonymous.may_read(Public, Draft));
        assert!(Reader::Requester.may_read(SignedIn, Published));
        assert!(!Reader::Requester.may_read(Agents, Published));
        assert!(!Reader::Requester.may_read(Public, Archived));
        assert!(Reader::Staff.may_read(Agents, Draft));
    }

    #[test]
    fn editing_needs_kb_edit_somewhere() {
        let mut a = Access::default();
        assert!(!may_edit(&a));
        a.grant(DepartmentId(3), [Permission::TicketView]);
        assert!(!may_edit(&a));
        a.grant(DepartmentId(4), [Permission::KbEdit]);
        assert!(may_edit(&a));
        assert!(may_edit(&Access::full()));
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("¿Cómo restablezco mi contraseña?"), "como-restablezco-mi-contrasena");
        assert_eq!(slugify("VPN: error 809"), "vpn-error-809");
        assert_eq!(parse_slug("", "Teléfono IP").as_deref(), Ok("telefono-ip"));
        assert_eq!(parse_slug("mi-guia", "x").as_deref(), Ok("mi-guia"));
        assert!(parse_slug("Mi Guía", "x").is_err());
        assert!(parse_slug("a--b", "x").is_err());
        assert!(parse_slug("123", "x").is_err(), "only digits would look like an id");
        assert!(parse_slug("", "¿?").is_err());
        assert!(parse_slug("suggest", "x").is_err(), "the portal's own address");
        assert!(slugify(&"palabra ".repeat(50)).len() <= MAX_SLUG);
    }

    #[test]
    fn article_input_is_checked() {
        let input = |title: &str, body: &str, category: Option<i64>| ArticleInput {
            title: title.into(),
            slug: String::new(),
            body: body.into(),
            category_id: category.map(KbCategoryId),
            language: Language::Es,
            visibility: Visibility::Public,
        };
        let cats = [cat(1, None, "Redes")];
        let ok = input("  Impresora atascada ", "Abra la bandeja.", Some(1)).validate(&cats).expect("valid");
        assert_eq!(ok.title, "Impresora atascada");
        assert_eq!(ok.slug, "impresora-atascada");
        assert!(input("", "x", None).validate(&cats).is_err());
        assert!(input("t", " ", None).validate(&cats).is_err());
        assert!(input("t", &"x".repeat(MAX_BODY + 1), None).validate(&cats).is_err());
        assert!(input(&"t".repeat(MAX_TITLE + 1), "x", None).validate(&cats).is_err());
        assert!(input("t", "x", Some(9)).validate(&cats).is_err());
        assert!(input("t", "x", None).validate(&[]).is_ok(), "no category needed");
    }

    #[test]
    fn categories_nest_without_cycles_and_not_too_deep() {
        let all = [cat(1, None, "Redes"), cat(2, Some(1), "VPN"), cat(3, Some(2), "Windows"), cat(4, None, "Correo")];
        assert_eq!(all[2].path(&all), "Redes › VPN › Windows");
        assert_eq!(all[2].depth(&all), 3);
        assert!(validate_category(None, "Nueva", Some(KbCategoryId(2)), &all).is_ok());
        assert!(validate_category(None, "Demasiado", Some(KbCategoryId(3)), &all).is_err(), "depth 4");
        assert!(validate_category(None, "vpn", Some(KbCategoryId(1)), &all).is_err(), "duplicate name");
        assert!(validate_category(None, "VPN", Some(KbCategoryId(4)), &all).is_ok(), "same name elsewhere");
        assert!(validate_category(Some(KbCategoryId(1)), "Redes", Some(KbCategoryId(3)), &all).is_err(), "cycle");
        assert!(validate_category(Some(KbCategoryId(2)), "VPN", Some(KbCategoryId(4)), &all).is_ok(), "moves with its child");
        assert!(validate_category(Some(KbCategoryId(1)), "Redes", Some(KbCategoryId(4)), &all).is_err(), "subtree too deep");
        assert!(validate_category(None, "X", Some(KbCategoryId(99)), &all).is_err());
        let tree: Vec<(i64, usize)> = category_tree(&all).into_iter().map(|(c, d)| (c.id.get(), d)).collect();
        assert_eq!(tree, vec![(4, 0), (1, 0), (2, 1), (3, 2)]);
    }
}
