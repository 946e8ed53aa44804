//! The knowledge base's use cases: writing articles (agents with `kb.edit`), reading and
//! searching them as each reader may (anonymous visitors: public; signed-in requesters: public
//! and signed-in; agents: everything, drafts too), votes, views, files, the tickets an article
//! solved, and ticket deflection on the portal. Markdown becomes HTML here, sanitised.

use bytes::Bytes;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::kb::{self, ArticleInput, ArticleRef, ArticleState, KbCategory, Reader};
use tikal_core::search::SearchQuery;
use tikal_core::template::Language;
use tikal_core::{ArticleId, AttachmentId, HelpTopicId, KbCategoryId, TicketNumber};
use tikal_store::{Article, ArticleFilter, DeflectionCounts, KbAuthor, KbFile, NewAudit, Revision, SolvedTicket, StoreError};

use crate::{Desk, Principal, Result, ServiceError, Upload};

/// What the audit log keeps of a deleted article.
#[derive(serde::Serialize)]
struct DeletedArticle<'a> {
    title: &'a str,
    slug: &'a str,
    body: &'a str,
    language: &'a str,
    visibility: &'a str,
    state: &'a str,
    revision: i32,
    category_id: Option<i64>,
    help_topic_ids: Vec<i64>,
}

/// What a list or search of articles asks for.
#[derive(Debug, Clone, Default)]
pub struct ArticleSearch {
    pub text: Option<String>,
    /// The last word is being typed (suggestions): it matches as a prefix.
    pub typing: bool,
    pub language: Option<Language>,
    pub category: Option<KbCategoryId>,
    pub topic: Option<HelpTopicId>,
    /// Agents only; other readers always get published articles.
    pub state: Option<ArticleState>,
    pub limit: u64,
}

/// Most articles a suggestion box shows.
pub const SUGGESTIONS: u64 = 5;

/// Markdown to HTML that is safe to show: raw HTML in the Markdown is escaped, and the
/// result is cleaned again (no script, style, event handler or `javascript:` link).
pub fn render_markdown(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html};
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // HTML written in the article is shown as text, never interpreted.
    let events = Parser::new_ext(markdown, opts).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        e => e,
    });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, events);
    ammonia::Builder::default().link_rel(Some("noopener noreferrer")).clean(&out).to_string()
}

/// Plain text of an article's Markdown (for inserting into a reply and for snippets).
pub fn markdown_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser, TagEnd};
    let mut out = String::with_capacity(markdown.len());
    for e in Parser::new(markdown) {
        match e {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock) => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Who reads, for the knowledge base: a status-check link is no sign-in.
pub fn reader(by: Option<&Principal>) -> Reader {
    match by {
        None | Some(Principal::TicketLink { .. }) => Reader::Anonymous,
        Some(Principal::Requester { .. }) => Reader::Requester,
        Some(Principal::Agent { .. } | Principal::ApiKey { .. } | Principal::System) => Reader::Staff,
    }
}

fn stale(e: StoreError) -> ServiceError {
    match e {
        StoreError::Stale => ServiceError::Conflict("the article was changed by someone else; reload it".into()),
        StoreError::Conflict(_) => ServiceError::Domain(tikal_core::DomainError::invalid("slug", tikal_core::Reason::Duplicate)),
        e => e.into(),
    }
}

impl Desk {
    /// Writers of the knowledge base: agents with `kb.edit` in some department, integrations.
    fn kb_editor(&self, by: &Principal) -> Result<KbAuthor> {
        let ok = match by {
            Principal::Agent { access, .. } => kb::may_edit(access),
            Principal::ApiKey { .. } | Principal::System => true,
            _ => false,
        };
        if !ok {
            return Err(ServiceError::Forbidden);
        }
        let id = match by {
            Principal::Agent { id, .. } => Some(*id),
            _ => None,
        };
        Ok(KbAuthor { id, name: by.name().to_string() })
    }

    /// Whether `by` may write articles (pages show or hide the buttons).
    pub fn may_edit_kb(&self, by: &Principal) -> bool {
        self.kb_editor(by).is_ok()
    }

    fn kb_staff(&self, by: &Principal) -> Result<()> {
        if reader(Some(by)) == Reader::Staff { Ok(()) } else { Err(ServiceError::Forbidden) }
    }

    pub async fn kb_categories(&self) -> Result<Vec<KbCategory>> {
        Ok(self.store.kb_categories().await?)
    }

    pub async fn save_kb_category(
        &self,
        by: &Principal,
        id: Option<KbCategoryId>,
        name: &str,
        parent: Option<KbCategoryId>,
        sort: i32,
    ) -> Result<KbCategory> {
        self.kb_editor(by)?;
        let all = self.store.kb_categories().await?;
        if let Some(id) = id
            && !all.iter().any(|c| c.id == id)
        {
            return Err(ServiceError::NotFound("category"));
        }
        let name = kb::validate_category(id, name, parent, &all)?;
        Ok(self.store.save_kb_category(id, name, parent, sort).await?)
    }

    pub async fn delete_kb_category(&self, by: &Principal, id: KbCategoryId) -> Result<()> {
        self.kb_editor(by)?;
        Ok(self.store.delete_kb_category(id).await?)
    }

    async fn check_topics(&self, topics: &[HelpTopicId]) -> Result<()> {
        let catalog = self.catalog().await?;
        if topics.iter().any(|t| catalog.topic(*t).is_none()) {
            return Err(tikal_core::DomainError::invalid("help_topics", tikal_core::Reason::NotFound).into());
        }
        Ok(())
    }

    pub async fn create_article(
        &self,
        by: &Principal,
        input: ArticleInput,
        state: ArticleState,
        topics: Vec<HelpTopicId>,
    ) -> Result<Article> {
        let author = self.kb_editor(by)?;
        let draft = input.validate(&self.store.kb_categories().await?)?;
        self.check_topics(&topics).await?;
        self.store.create_article(draft, state, topics, author).await.map_err(stale)
    }

    /// Saves a new revision. `expected_revision`: the revision the writer started from.
    pub async fn update_article(
        &self,
        by: &Principal,
        id: ArticleId,
        input: ArticleInput,
        state: ArticleState,
        topics: Vec<HelpTopicId>,
        expected_revision: Option<i32>,
    ) -> Result<Article> {
        let author = self.kb_editor(by)?;
        let draft = input.validate(&self.store.kb_categories().await?)?;
        self.check_topics(&topics).await?;
        self.store.update_article(id, draft, state, topics, expected_revision, author).await.map_err(stale)
    }

    /// Publishes, unpublishes (back to draft) or archives, as a new revision.
    pub async fn set_article_state(&self, by: &Principal, id: ArticleId, state: ArticleState) -> Result<Article> {
        let author = self.kb_editor(by)?;
        let a = self.store.article(id).await?.ok_or(ServiceError::NotFound("article"))?;
        let draft = kb::ArticleDraft {
            title: a.title,
            slug: a.slug,
            body: a.body,
            category_id: a.category_id,
            language: a.language,
            visibility: a.visibility,
        };
        self.store.update_article(id, draft, state, a.topics, Some(a.revision), author).await.map_err(stale)
    }

    /// Deletes an article with its revisions, files, votes and links. The audit log keeps who
    /// deleted it and what it said, since its revisions go with it.
    pub async fn delete_article(&self, by: &Principal, id: ArticleId) -> Result<()> {
        self.kb_editor(by)?;
        let a = self.store.article(id).await?.ok_or(ServiceError::NotFound("article"))?;
        let before = crate::admin::json(&DeletedArticle {
            title: &a.title,
            slug: &a.slug,
            body: &a.body,
            language: a.language.as_str(),
            visibility: a.visibility.as_str(),
            state: a.state.as_str(),
            revision: a.revision,
            category_id: a.category_id.map(KbCategoryId::get),
            help_topic_ids: a.topics.iter().map(|t| t.get()).collect(),
        });
        let audit = NewAudit {
            at: tikal_store::now(),
            actor: Self::audit_actor(by)?,
            action: AuditAction::Delete,
            entity: AdminEntity::KbArticle,
            entity_id: id.to_string(),
            summary: a.title.clone(),
            before,
            after: None,
        };
        Ok(self.store.delete_article(id, audit).await?)
    }

    fn readable(by: Option<&Principal>, a: Option<Article>) -> Result<Article> {
        a.filter(|a| reader(by).may_read(a.visibility, a.state)).ok_or(ServiceError::NotFound("article"))
    }

    /// An article, if `by` may read it (otherwise "not found": drafts are not probed).
    pub async fn article(&self, by: Option<&Principal>, id: ArticleId) -> Result<Article> {
        Self::readable(by, self.store.article(id).await?)
    }

    pub async fn article_by_slug(&self, by: Option<&Principal>, slug: &str) -> Result<Article> {
        Self::readable(by, self.store.article_by_slug(slug).await?)
    }

    /// Articles `by` may read, matching the search; words rank by relevance.
    pub async fn search_articles(&self, by: Option<&Principal>, s: &ArticleSearch) -> Result<Vec<Article>> {
        let r = reader(by);
        let states = match (r, s.state) {
            (Reader::Staff, Some(st)) => vec![st],
            (Reader::Staff, None) => Vec::new(),
            _ => vec![ArticleState::Published],
        };
        let query = s
            .text
            .as_deref()
            .map(|t| if s.typing { SearchQuery::parse_prefix(t) } else { SearchQuery::parse(t) })
            .filter(|q| !q.is_empty());
        let f = ArticleFilter {
            visibilities: r.visibilities().to_vec(),
            states,
            language: s.language,
            category: s.category,
            topic: s.topic,
            query,
            limit: if s.limit == 0 { 50 } else { s.limit },
        };
        Ok(self.store.articles(&f).await?)
    }

    /// Published articles for a requester writing a ticket: those matching what they type (its
    /// summary), the ones linked to the help topic they chose first; with a topic and nothing
    /// typed yet, the topic's articles.
    pub async fn suggest_articles(
        &self,
        by: Option<&Principal>,
        typed: &str,
        language: Option<Language>,
        topic: Option<HelpTopicId>,
    ) -> Result<Vec<Article>> {
        let typing = !SearchQuery::parse_prefix(typed).is_empty();
        if !typing && topic.is_none() {
            return Ok(Vec::new());
        }
        // Outside the desk a reader's search is for published articles only, whatever they ask.
        let s = ArticleSearch {
            text: typing.then(|| typed.to_string()),
            typing: true,
            language,
            state: Some(ArticleState::Published),
            limit: SUGGESTIONS,
            ..Default::default()
        };
        let mut found = match topic {
            Some(t) => self.search_articles(by, &ArticleSearch { topic: Some(t), ..s.clone() }).await?,
            None => Vec::new(),
        };
        if typing && found.len() < SUGGESTIONS as usize {
            for a in self.search_articles(by, &s).await? {
                if !found.iter().any(|f| f.id == a.id) {
                    found.push(a);
                }
            }
        }
        found.truncate(SUGGESTIONS as usize);
        Ok(found)
    }

    /// Every revision (agents).
    pub async fn article_revisions(&self, by: &Principal, id: ArticleId) -> Result<Vec<Revision>> {
        self.kb_staff(by)?;
        Ok(self.store.article_revisions(id).await?)
    }

    pub async fn article_revision(&self, by: &Principal, id: ArticleId, revision: i32) -> Result<Revision> {
        self.kb_staff(by)?;
        self.store.article_revision(id, revision).await?.ok_or(ServiceError::NotFound("revision"))
    }

    /// Counts a view of a readable article.
    pub async fn view_article(&self, id: ArticleId) -> Result<()> {
        Ok(self.store.count_article_view(id).await?)
    }

    /// A "was this helpful?" answer: a signed-in requester votes once as themselves, anyone
    /// else once per browser (`browser_token`). Whether the vote counted.
    pub async fn vote_article(&self, by: Option<&Principal>, browser_token: &str, id: ArticleId, helpful: bool) -> Result<bool> {
        let a = self.article(by, id).await?;
        let voter = match by {
            Some(Principal::Requester { id, .. }) => format!("r:{id}"),
            Some(Principal::Agent { id, .. }) => format!("a:{id}"),
            _ if browser_token.is_empty() => return Err(ServiceError::Forbidden),
            _ => format!("b:{}", crate::token_hash(browser_token)),
        };
        Ok(self.store.vote_article(a.id, voter, helpful).await?)
    }

    /// Adds files to an article, within the desk's attachment limits.
    pub async fn add_article_files(&self, by: &Principal, id: ArticleId, uploads: Vec<Upload>) -> Result<Vec<KbFile>> {
        self.kb_editor(by)?;
        self.store.article(id).await?.ok_or(ServiceError::NotFound("article"))?;
        let stored = self.store_uploads(uploads).await?;
        let mut out = Vec::new();
        for f in stored {
            out.push(self.store.add_article_file(id, f).await?);
        }
        Ok(out)
    }

    pub async fn article_files(&self, by: Option<&Principal>, id: ArticleId) -> Result<Vec<KbFile>> {
        self.article(by, id).await?;
        Ok(self.store.article_files(id).await?)
    }

    /// A file of an article `by` may read.
    pub async fn article_file(&self, by: Option<&Principal>, id: ArticleId, file: AttachmentId) -> Result<(KbFile, Bytes)> {
        let files = self.article_files(by, id).await?;
        let f = files.into_iter().find(|f| f.id == file).ok_or(ServiceError::NotFound("file"))?;
        let data = self.store.blobs().get(&f.sha256).await?;
        Ok((f, data))
    }

    pub async fn delete_article_file(&self, by: &Principal, id: ArticleId, file: AttachmentId) -> Result<()> {
        self.kb_editor(by)?;
        Ok(self.store.delete_article_file(id, file).await?)
    }

    /// Links an article to a ticket as its known solution (an agent who may reply to it).
    pub async fn link_article(&self, by: &Principal, number: &TicketNumber, article: ArticleId) -> Result<bool> {
        self.kb_staff(by)?;
        let t = self.ticket(by, number).await?;
        let a = self.article(Some(by), article).await?;
        let agent = match by {
            Principal::Agent { id, .. } => Some(*id),
            _ => None,
        };
        Ok(self.store.link_article_ticket(t.id, a.id, agent).await?)
    }

    pub async fn unlink_article(&self, by: &Principal, number: &TicketNumber, article: ArticleId) -> Result<()> {
        self.kb_staff(by)?;
        let t = self.ticket(by, number).await?;
        Ok(self.store.unlink_article_ticket(t.id, article).await?)
    }

    /// The articles linked to a ticket (agents who see the ticket).
    pub async fn ticket_articles(&self, by: &Principal, number: &TicketNumber) -> Result<Vec<ArticleRef>> {
        self.kb_staff(by)?;
        let t = self.ticket(by, number).await?;
        Ok(self.store.ticket_articles(t.id).await?)
    }

    /// The tickets an article solved that `by` may see, newest first.
    pub async fn article_tickets(&self, by: &Principal, id: ArticleId) -> Result<Vec<SolvedTicket>> {
        self.kb_staff(by)?;
        let mut out = Vec::new();
        for s in self.store.article_tickets(id, 50).await? {
            let visible = match TicketNumber::parse(&s.number) {
                Ok(n) => self.ticket(by, &n).await.is_ok(),
                Err(_) => false,
            };
            if visible {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// An article to write from a ticket's solution: its subject as the title, the recorded
    /// solution (or nothing) as the body.
    pub async fn article_from_solution(&self, by: &Principal, number: &TicketNumber) -> Result<(String, String)> {
        self.kb_editor(by)?;
        let t = self.ticket(by, number).await?;
        let solution = self.solution(by, number).await?.map(|s| s.body).unwrap_or_default();
        Ok((t.subject.as_str().to_string(), solution))
    }

    /// A portal visitor opened a suggested article (`browser_token`: their form token, kept
    /// hashed).
    pub async fn suggestion_opened(&self, browser_token: &str, id: ArticleId) -> Result<()> {
        if browser_token.is_empty() {
            return Ok(());
        }
        Ok(self.store.record_suggestion_opened(crate::token_hash(browser_token), id, tikal_store::now()).await?)
    }

    /// The visitor's browser opened a ticket: its suggestions were not enough.
    pub async fn ticket_opened_after_suggestions(&self, browser_token: &str) -> Result<()> {
        if browser_token.is_empty() {
            return Ok(());
        }
        let window = chrono::Duration::minutes(kb::DEFLECTION_MINUTES);
        Ok(self.store.record_ticket_after_suggestion(&crate::token_hash(browser_token), tikal_store::now(), window).await?)
    }

    /// Tickets avoided by suggestions (agents).
    pub async fn deflections(&self, by: &Principal) -> Result<DeflectionCounts> {
        self.kb_staff(by)?;
        Ok(self.store.deflection_counts(tikal_store::now(), chrono::Duration::minutes(kb::DEFLECTION_MINUTES)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_sanitised() {
        let html = render_markdown(
            "# Título\n\n**negrita** [enlace](https://example.com)\n\n<script>alert(1)</script>\n\n<b onclick=\"x()\">b</b>",
        );
        assert!(html.contains("<h1>Título</h1>"));
        assert!(html.contains("<strong>negrita</strong>"));
        assert!(html.contains("href=\"https://example.com\""));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b onclick"), "raw HTML is shown as text: {html}");
        assert!(html.contains("&lt;script&gt;"));
        let js = render_markdown("[x](javascript:alert(1))");
        assert!(!js.contains("javascript:"), "{js}");
    }

    #[test]
    fn markdown_as_text() {
        assert_eq!(markdown_text("# Paso 1\n\nReinicie **el equipo**."), "Paso 1\nReinicie el equipo.");
    }
}
