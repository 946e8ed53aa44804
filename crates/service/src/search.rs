//! Search across the desk: tickets (full text over subject, messages and, for staff, internal
//! notes; ticket numbers and requesters' addresses exactly), requesters (staff who may register
//! tickets for callers) and knowledge-base articles, each as the caller may see them. Snippets
//! are cut and highlighted here (`tikal_core::search::snippet`).

use tikal_core::Ticket;
use tikal_core::search::{Matcher, SearchQuery, Segment};
use tikal_store::Article;

use crate::{ArticleSearch, Caller, Desk, Principal, Result, ServiceError, TicketQuery};

/// Characters of a snippet.
pub const SNIPPET_CHARS: usize = 180;
/// Tickets one search shows at most.
pub const MAX_TICKET_HITS: u64 = 50;
/// Messages of a ticket read to find the one to quote.
const ENTRIES_READ: usize = 30;

/// A ticket found, with the subject and the best-matching message highlighted.
#[derive(Debug, Clone)]
pub struct TicketHit {
    pub ticket: Ticket,
    pub subject: Vec<Segment>,
    pub snippet: Vec<Segment>,
    /// The quoted text is an internal note (staff only).
    pub in_note: bool,
}

/// What the agents' search page shows.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub tickets: Vec<TicketHit>,
    /// `None`: the caller may not search the directory.
    pub requesters: Option<Vec<Caller>>,
    pub articles: Vec<Article>,
}

impl Desk {
    /// Tickets the caller may see that match `text`, best first (subject matches, then the
    /// rest; newest first in each), with snippets. An empty or stop-words-only text finds none.
    pub async fn search_tickets(&self, by: &Principal, text: &str, limit: u64) -> Result<Vec<TicketHit>> {
        let text: String = text.chars().take(tikal_core::search::MAX_QUERY_CHARS).collect();
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let q = TicketQuery { text: Some(text.clone()), limit, ..Default::default() };
        let Some(filter) = self.filter_for(by, &q).await? else {
            return Ok(Vec::new());
        };
        let tickets = self.store.search_tickets(&filter, &text, limit.clamp(1, MAX_TICKET_HITS)).await?;
        self.with_snippets(by, tickets, &text).await
    }

    /// Snippets for tickets found by `text` (search page, portal list, API).
    pub async fn with_snippets(&self, by: &Principal, tickets: Vec<Ticket>, text: &str) -> Result<Vec<TicketHit>> {
        let query = SearchQuery::parse(text);
        if query.is_empty() {
            // Nothing to quote (no text, or a number or address alone): no thread is read.
            return Ok(tickets
                .into_iter()
                .map(|ticket| {
                    let subject = vec![Segment { text: ticket.subject.as_str().to_string(), hit: false }];
                    TicketHit { ticket, subject, snippet: Vec::new(), in_note: false }
                })
                .collect());
        }
        let ids: Vec<_> = tickets.iter().map(|t| t.id).collect();
        let entries = self.store.entry_texts(&ids, by.is_staff(), ENTRIES_READ).await?;
        // One matcher for the page: a word of many messages is stemmed once.
        let mut matcher = Matcher::new(&query);
        Ok(tickets
            .into_iter()
            .map(|ticket| {
                let own: Vec<_> = entries.iter().filter(|e| e.ticket_id == ticket.id).collect();
                let best = own.iter().find(|e| matcher.matches_text(&e.body)).or(own.first());
                let (snippet, in_note) = match best {
                    Some(e) => (matcher.snippet(&e.body, SNIPPET_CHARS), !e.kind.is_public()),
                    None => (Vec::new(), false),
                };
                let subject = matcher.snippet(ticket.subject.as_str(), 300);
                TicketHit { ticket, subject, snippet, in_note }
            })
            .collect())
    }

    /// The agents' search: tickets, people and articles at once.
    pub async fn search_all(&self, by: &Principal, text: &str) -> Result<SearchResults> {
        if !by.is_staff() {
            return Err(ServiceError::Forbidden);
        }
        let tickets = self.search_tickets(by, text, MAX_TICKET_HITS).await?;
        let requesters = match self.find_callers(by, text).await {
            Ok(found) => Some(found),
            Err(ServiceError::Forbidden) => None,
            Err(e) => return Err(e),
        };
        let articles = if SearchQuery::parse(text).is_empty() {
            Vec::new()
        } else {
            self.search_articles(Some(by), &ArticleSearch { text: Some(text.to_string()), limit: 10, ..Default::default() }).await?
        };
        Ok(SearchResults { tickets, requesters, articles })
    }

    /// Builds the ticket search index again (`tikal search reindex`): every ticket, or with
    /// `only_missing` those without a row. `progress` hears the count after each batch.
    pub async fn reindex_search(&self, only_missing: bool, progress: impl FnMut(u64)) -> Result<u64> {
        Ok(self.store.reindex_tickets(only_missing, progress).await?)
    }
}
