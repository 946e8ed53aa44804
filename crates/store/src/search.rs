//! The ticket search index (migration `m0022_search`): one row per ticket with the index terms
//! of its subject, of its public messages (the requester's and the agents' replies) and of its
//! internal notes, made by `tikal_core::search` so that both databases find the same tickets.
//! SQLite keeps them in an FTS5 table (`ticket_fts`, rowid = ticket id); PostgreSQL in
//! `ticket_search`, whose `tsvector` weighs the subject `A`, public text `B` and notes `D` under
//! one GIN index, so a requester's search asks for `A`/`B` lexemes only and never finds a ticket
//! by words of an internal note.
//!
//! The row is written in the transaction of the change that alters the text (a new ticket, an
//! entry, a new subject): a committed ticket is always findable, and a failed change leaves no
//! trace in the index.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use tikal_core::search::{Exact, Indexer, SearchQuery};
use tikal_core::{EntryKind, EventKind, Ticket, TicketId};

use crate::tickets::TicketChange;
use crate::{Result, Store, StoreError};

/// Bytes of terms kept per column: a thread's later messages beyond this are not indexed
/// (bounds what each reply re-indexes on SQLite and what one row weighs).
pub const MAX_COLUMN_BYTES: usize = 128 * 1024;

/// PostgreSQL's text search configuration for the index's terms: `simple` (lower case only;
/// the terms are stemmed and folded already). Bound as a value, as SeaQuery's custom
/// expressions number their placeholders (`$1`, `$2`) on both databases.
const TS_CONFIG: &str = "simple";

/// Tickets re-indexed per transaction by `reindex_batch`.
pub const REINDEX_BATCH: u64 = 500;

/// One ticket's index row.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct IndexRow {
    pub id: i64,
    pub subject: String,
    pub public: String,
    pub internal: String,
}

fn cap(mut terms: String) -> String {
    if terms.len() > MAX_COLUMN_BYTES {
        let mut cut = MAX_COLUMN_BYTES;
        while !terms.is_char_boundary(cut) {
            cut -= 1;
        }
        terms.truncate(cut);
        // Not half a term.
        if let Some(space) = terms.rfind(' ') {
            terms.truncate(space);
        }
    }
    terms
}

fn appended(existing: &str, ix: &mut Indexer, text: &str) -> String {
    if existing.len() >= MAX_COLUMN_BYTES {
        return existing.to_string();
    }
    let mut out = existing.to_string();
    ix.append(&mut out, text);
    cap(out)
}

fn numbered(values: &mut Vec<Value>, v: impl Into<Value>) -> String {
    values.push(v.into());
    format!("${}", values.len())
}

/// Writes (inserts or replaces) index rows.
pub(crate) async fn put_rows<C: ConnectionTrait>(db: &C, rows: &[IndexRow]) -> Result<()> {
    let backend = db.get_database_backend();
    // 4 values a row; 500 rows stay far below either database's limit of bound values.
    for chunk in rows.chunks(500) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|r| {
                let id = numbered(&mut values, r.id);
                let s = numbered(&mut values, r.subject.clone());
                let p = numbered(&mut values, r.public.clone());
                let i = numbered(&mut values, r.internal.clone());
                format!("({id}, {s}, {p}, {i})")
            })
            .collect();
        let sql = if backend == DbBackend::Postgres {
            format!(
                "INSERT INTO ticket_search (ticket_id, subject_terms, public_terms, internal_terms) VALUES {} \
                 ON CONFLICT (ticket_id) DO UPDATE SET subject_terms = excluded.subject_terms, \
                 public_terms = excluded.public_terms, internal_terms = excluded.internal_terms",
                tuples.join(", ")
            )
        } else {
            // FTS5 has no upsert: the old rows go first (a no-op for new tickets).
            let ids: Vec<String> = chunk.iter().map(|r| r.id.to_string()).collect();
            db.execute_raw(Statement::from_string(backend, format!("DELETE FROM ticket_fts WHERE rowid IN ({})", ids.join(", ")))).await?;
            format!("INSERT INTO ticket_fts (rowid, subject_terms, public_terms, internal_terms) VALUES {}", tuples.join(", "))
        };
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

async fn get_row<C: ConnectionTrait>(db: &C, id: TicketId) -> Result<Option<IndexRow>> {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "SELECT subject_terms, public_terms, internal_terms FROM ticket_search WHERE ticket_id = $1"
    } else {
        "SELECT subject_terms, public_terms, internal_terms FROM ticket_fts WHERE rowid = $1"
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [id.get().into()])).await?;
    row.map(|r| {
        Ok(IndexRow { id: id.get(), subject: r.try_get_by_index(0)?, public: r.try_get_by_index(1)?, internal: r.try_get_by_index(2)? })
    })
    .transpose()
}

/// The index rows of new tickets: subject and first message.
pub(crate) async fn index_created<C: ConnectionTrait>(db: &C, tickets: &[(TicketId, &str, &str)]) -> Result<()> {
    let mut ix = Indexer::new();
    let rows: Vec<IndexRow> = tickets
        .iter()
        .map(|(id, subject, body)| IndexRow {
            id: id.get(),
            subject: ix.terms(subject),
            public: cap(ix.terms(body)),
            internal: String::new(),
        })
        .collect();
    put_rows(db, &rows).await
}

/// Keeps a ticket's row in step with a change: a new subject replaces the subject's terms; an
/// entry's terms are appended to its column. A ticket without a row (written before the index
/// existed and not reindexed yet) is indexed whole.
pub(crate) async fn index_change<C: ConnectionTrait>(db: &C, t: &Ticket, change: &TicketChange) -> Result<()> {
    let subject_changed = change.events.iter().any(|e| e.kind == EventKind::SubjectChanged);
    let entry = change.entry.as_ref().filter(|e| e.kind != EntryKind::Event && !e.body.trim().is_empty());
    if !subject_changed && entry.is_none() {
        return Ok(());
    }
    let Some(mut row) = get_row(db, t.id).await? else {
        return reindex_ids(db, &[t.id.get()]).await;
    };
    let mut ix = Indexer::new();
    if subject_changed {
        row.subject = ix.terms(t.subject.as_str());
    }
    if let Some(e) = entry {
        if e.kind.is_public() {
            row.public = appended(&row.public, &mut ix, &e.body);
        } else {
            row.internal = appended(&row.internal, &mut ix, &e.body);
        }
    }
    put_rows(db, &[row]).await
}

/// Builds the rows of these tickets again from their subject and thread.
pub(crate) async fn reindex_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let list = list.join(", ");
    let subjects = db
        .query_all_raw(Statement::from_string(backend, format!("SELECT id, subject FROM tickets WHERE id IN ({list}) ORDER BY id")))
        .await?;
    let mut rows: Vec<IndexRow> = Vec::with_capacity(subjects.len());
    let mut ix = Indexer::new();
    for r in &subjects {
        let id: i64 = r.try_get_by_index(0)?;
        let subject: String = r.try_get_by_index(1)?;
        rows.push(IndexRow { id, subject: ix.terms(&subject), ..Default::default() });
    }
    let entries = db
        .query_all_raw(Statement::from_string(
            backend,
            format!(
                "SELECT ticket_id, kind, body FROM thread_entries WHERE ticket_id IN ({list}) \
                 AND kind IN ('message', 'reply', 'note') AND body IS NOT NULL ORDER BY ticket_id, id"
            ),
        ))
        .await?;
    for e in &entries {
        let ticket: i64 = e.try_get_by_index(0)?;
        let kind: String = e.try_get_by_index(1)?;
        let body: String = e.try_get_by_index(2)?;
        let kind: EntryKind = kind.parse()?;
        let Ok(at) = rows.binary_search_by_key(&ticket, |r| r.id) else { continue };
        let row = &mut rows[at];
        let column = if kind.is_public() { &mut row.public } else { &mut row.internal };
        if column.len() < MAX_COLUMN_BYTES {
            ix.append(column, &body);
        }
    }
    for row in &mut rows {
        row.public = cap(std::mem::take(&mut row.public));
        row.internal = cap(std::mem::take(&mut row.internal));
    }
    put_rows(db, &rows).await
}

/// Re-indexes the next `REINDEX_BATCH` tickets after `after` (by id) in one transaction when
/// `db` is one; returns the last id done and how many, `None` when none was left.
/// `only_missing` skips tickets that already have a row (the upgrade's backfill; a full
/// rebuild passes `false`).
pub(crate) async fn reindex_batch<C: ConnectionTrait>(db: &C, after: i64, only_missing: bool) -> Result<Option<(i64, u64)>> {
    let backend = db.get_database_backend();
    let missing = match (only_missing, backend) {
        (false, _) => "",
        (true, DbBackend::Postgres) => " AND NOT EXISTS (SELECT 1 FROM ticket_search s WHERE s.ticket_id = tickets.id)",
        (true, _) => " AND NOT EXISTS (SELECT 1 FROM ticket_fts f WHERE f.rowid = tickets.id)",
    };
    let page = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT id FROM tickets WHERE id > $1{missing} ORDER BY id LIMIT {REINDEX_BATCH}"),
            [after.into()],
        ))
        .await?;
    let ids: Vec<i64> = page.iter().map(|r| r.try_get_by_index::<i64>(0)).collect::<std::result::Result<_, _>>()?;
    let Some(&last) = ids.last() else {
        return Ok(None);
    };
    reindex_ids(db, &ids).await?;
    Ok(Some((last, ids.len() as u64)))
}

/// A condition written with `$1`, `$2`.. (each once, in order): SeaQuery renumbers those
/// among the query's values on PostgreSQL, and takes `?` on SQLite.
fn custom(backend: DbBackend, sql: &str, values: Vec<Value>) -> Expr {
    if backend == DbBackend::Postgres {
        return Expr::cust_with_values(sql.to_string(), values);
    }
    let mut out = sql.to_string();
    for i in (1..=values.len()).rev() {
        out = out.replace(&format!("${i}"), "?");
    }
    Expr::cust_with_values(out, values)
}

/// What a search may match: agents search notes too; requesters the subject and public
/// messages only, and never by someone's e-mail address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchScope {
    Staff,
    Requester,
}

/// The condition "the ticket matches `text`" for a list whose text was not resolved first
/// (`Store::resolve_text` is the fast way): the words checked ticket by ticket, or the ticket's
/// number, or (staff) the requester's address. A text with no usable word and no exact token
/// matches nothing.
pub(crate) fn text_condition(backend: DbBackend, text: &str, scope: SearchScope) -> Expr {
    let query = SearchQuery::parse(text);
    let mut parts: Vec<Expr> = Vec::new();
    if let Some(m) = match_expr(backend, &query, scope, false) {
        parts.push(per_row(backend, m));
    }
    parts.extend(exact_condition(backend, &query, scope));
    parts.into_iter().reduce(|a, b| a.or(b)).unwrap_or_else(|| Expr::cust("1 = 0"))
}

/// "This ticket's row of the index holds the words": one index seek per ticket.
fn per_row(backend: DbBackend, m: IndexMatch) -> Expr {
    if backend == DbBackend::Postgres {
        custom(
            backend,
            "EXISTS (SELECT 1 FROM ticket_search s WHERE s.ticket_id = tickets.id AND s.doc @@ to_tsquery(CAST($1 AS regconfig), $2))",
            vec![Value::from(TS_CONFIG), Value::from(m.row_query)],
        )
    } else {
        // FTS5 answers `MATCH .. AND rowid = ?` by reading the words' whole doclists again for
        // each ticket (a few hundred µs); the row's own terms, read by rowid, are searched as
        // text instead (a few µs): the same terms, space separated, so the same answer.
        let values = m.row_values.into_iter().map(Value::from).collect();
        custom(backend, &format!("EXISTS (SELECT 1 FROM ticket_fts f WHERE f.rowid = tickets.id AND {})", m.row_query), values)
    }
}

/// A match asked of the index: the database's query text (an FTS5 `MATCH` expression, whose
/// column filter says which columns; or a `to_tsquery('simple', ..)` text). On PostgreSQL a
/// subject-only match reads the subject's own GIN index (`m0023`, unweighted: a GIN index
/// cannot check weights) and checks a row's weighted `doc` (`term:A`): checking the stored
/// `doc` costs about 1 µs a row, parsing `subject_terms` again several.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexMatch {
    /// For the index (FTS5 `MATCH`, or the GIN index named by `subject`).
    query: String,
    /// The check of one ticket's row: PostgreSQL, a tsquery for its `doc` (the same as
    /// `query` but for the subject's weight); SQLite, a condition on the row's terms (`f.`)
    /// whose values, in order, are `row_values`.
    row_query: String,
    row_values: Vec<String>,
    subject: bool,
}

impl IndexMatch {
    /// PostgreSQL: the `tsvector` the GIN probe asks, written as migration `m0023` indexed it.
    fn pg_vector(&self) -> &'static str {
        if self.subject { "to_tsvector('simple', subject_terms)" } else { "doc" }
    }
}

/// The ticket named by the query's number, or (staff) the tickets of the address it names.
fn exact_condition(backend: DbBackend, query: &SearchQuery, scope: SearchScope) -> Option<Expr> {
    match &query.exact {
        Some(Exact::TicketNumber(n)) => Some(custom(backend, "tickets.number = $1", vec![Value::from(n.to_uppercase())])),
        Some(Exact::Email(e)) if scope == SearchScope::Staff => {
            Some(custom(backend, "tickets.requester_id IN (SELECT id FROM requesters WHERE email = $1)", vec![Value::from(e.clone())]))
        }
        _ => None,
    }
}

/// The database's match expression for a query: all columns, the public ones, or (with
/// `subject_only`) the subject's.
pub(crate) fn match_expr(backend: DbBackend, q: &SearchQuery, scope: SearchScope, subject_only: bool) -> Option<IndexMatch> {
    if backend == DbBackend::Postgres {
        // The subject has an index of its own (no weight to check); a requester's query asks
        // the weighted `doc` for subject and public lexemes only.
        let (query, row_query) = match (subject_only, scope) {
            (true, _) => (q.tsquery()?, q.tsquery_weighted("A")?),
            (false, SearchScope::Staff) => (q.tsquery()?, q.tsquery()?),
            (false, SearchScope::Requester) => (q.tsquery_weighted("AB")?, q.tsquery_weighted("AB")?),
        };
        Some(IndexMatch { query, row_query, row_values: Vec::new(), subject: subject_only })
    } else {
        let m = q.fts5()?;
        let query = match (subject_only, scope) {
            (true, _) => format!("{{subject_terms}} : ({m})"),
            (false, SearchScope::Requester) => format!("{{subject_terms public_terms}} : ({m})"),
            (false, SearchScope::Staff) => m,
        };
        let columns = match (subject_only, scope) {
            (true, _) => "f.subject_terms",
            (false, SearchScope::Requester) => "f.subject_terms || ' ' || f.public_terms",
            (false, SearchScope::Staff) => "f.subject_terms || ' ' || f.public_terms || ' ' || f.internal_terms",
        };
        let (row_query, row_values) = terms_condition(q, &format!("(' ' || {columns} || ' ')"));
        Some(IndexMatch { query, row_query, row_values, subject: false })
    }
}

/// SQLite: "`text` (space-separated terms with a space at each end) holds every term of `q`",
/// as `instr` conditions written with `$1`, `$2`.. and their values: ` form ` for a whole
/// term, ` form` for a prefix.
fn terms_condition(q: &SearchQuery, text: &str) -> (String, Vec<String>) {
    let mut values: Vec<String> = Vec::new();
    let mut all: Vec<String> = Vec::new();
    for t in &q.terms {
        let mut any: Vec<String> = Vec::new();
        for f in &t.forms {
            values.push(if t.prefix { format!(" {f}") } else { format!(" {f} ") });
            any.push(format!("instr({text}, ${}) > 0", values.len()));
        }
        all.push(format!("({})", any.join(" OR ")));
    }
    (all.join(" AND "), values)
}

/// Matches read from the index before deciding how a list asks for words (`resolve_text`).
pub const PROBE: usize = 5_000;
/// PostgreSQL: the newest index rows `Store::common` checks, and how many of them must hold the
/// words for those to count as common (0.5 %, as `PROBE` is of a million).
const SAMPLE: usize = 2_000;
const COMMON: i64 = 10;

/// A text filter decided before the list's query (`Store::resolve_text`): every matching
/// ticket's id when the words are rare enough, else the words to check row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedText {
    backend: DbBackend,
    ids: Option<Vec<i64>>,
    tsquery: Option<IndexMatch>,
    exact: Option<Exact>,
    scope: SearchScope,
}

impl ResolvedText {
    /// SQLite, where the list checks each ticket's terms (common words): the list's other
    /// conditions must not lead its planner to read a whole index range and sort it, checking
    /// every row (`crate::tickets::unless_rows_checked`).
    pub(crate) fn sqlite_checks_rows(&self) -> bool {
        self.backend != DbBackend::Postgres && self.ids.is_none() && self.tsquery.is_some()
    }
}

/// A thread entry's text, for snippets.
#[derive(Debug, Clone)]
pub struct EntryText {
    pub ticket_id: TicketId,
    pub kind: EntryKind,
    pub body: String,
}

/// The condition of a resolved text filter.
pub(crate) fn resolved_condition(r: &ResolvedText) -> Expr {
    let mut parts: Vec<Expr> = Vec::new();
    match (&r.ids, &r.tsquery) {
        (Some(ids), _) if !ids.is_empty() => {
            // Ids read from the database, written as numbers: no bound-value limit applies.
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            parts.push(Expr::cust(format!("tickets.id IN ({})", list.join(", "))));
        }
        (None, Some(m)) => parts.push(per_row(r.backend, m.clone())),
        _ => {}
    }
    let query = SearchQuery { terms: Vec::new(), exact: r.exact.clone() };
    parts.extend(exact_condition(r.backend, &query, r.scope));
    parts.into_iter().reduce(|a, b| a.or(b)).unwrap_or_else(|| Expr::cust("1 = 0"))
}

impl Store {
    /// Decides how a list asks for `f.text`. The index is read first, for at most
    /// `PROBE` matches; if that is all of them, the list looks those tickets up (exact, and
    /// bounded whatever the list's sort); if not, the words are common enough that walking the
    /// list's own order and checking each ticket finds a page within a few thousand rows.
    /// On PostgreSQL, words common among the newest tickets (`common`) skip the probe, whose
    /// bitmap of every match is the slow part for them. Neither planner can tell these apart by
    /// itself: SQLite reads every match of a common word and sorts them (0.5 s for 80,000),
    /// PostgreSQL estimates thousands of matches for a word no ticket holds and checks every
    /// `tsvector` of the desk (14 s at a million).
    pub(crate) async fn resolve_text(&self, f: &crate::TicketFilter) -> Result<crate::TicketFilter> {
        let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(f.clone());
        };
        let backend = self.backend();
        let scope = if f.search_internal { SearchScope::Staff } else { SearchScope::Requester };
        let query = SearchQuery::parse(text);
        let tsquery = match_expr(backend, &query, scope, false);
        let narrow = f.requester.is_some() || f.only.is_some() || f.requester_organisation.is_some();
        let common = match &tsquery {
            Some(m) if backend == DbBackend::Postgres && !narrow => self.common(m).await?,
            _ => false,
        };
        let ids = match &tsquery {
            Some(_) if common => None,
            // A list of one requester or organisation is short: each of its tickets is checked.
            // (PostgreSQL's probe of a requester's weighted query would recheck every match of
            // the desk's `tsvector`s for the weights: far slower for a common word.)
            Some(_) if backend == DbBackend::Postgres && narrow => None,
            Some(m) => match self.probe(m).await? {
                (ids, true) => Some(ids),
                _ => None,
            },
            None => Some(Vec::new()),
        };
        let resolved =
            ResolvedText { backend, tsquery: if ids.is_some() { None } else { tsquery }, ids, exact: query.exact.clone(), scope };
        Ok(crate::TicketFilter { text: None, resolved_text: Some(resolved), ..f.clone() })
    }

    /// PostgreSQL: do the words match at least `COMMON` of the newest `SAMPLE` index rows? A row
    /// check costs about 1 µs, so this answers in a few milliseconds, where the GIN index takes
    /// tens to build its bitmap of a word held by 80,000 tickets (and the probe then reads
    /// thousands of rows). Common words are looked for by walking the list's order, which finds
    /// a page within a few thousand rows; the others by the probe.
    async fn common(&self, m: &IndexMatch) -> Result<bool> {
        let row = self
            .read
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "SELECT COUNT(*) FROM (SELECT doc FROM ticket_search ORDER BY ticket_id DESC LIMIT {SAMPLE}) s \
                     WHERE doc @@ to_tsquery('simple', $1)"
                ),
                [m.row_query.as_str().into()],
            ))
            .await?;
        let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
        Ok(n >= COMMON)
    }

    /// Ticket ids matching `m` (the database's match expression), at most `PROBE`, and whether
    /// that is all of them. PostgreSQL reads its GIN index only (every other plan is ruled out
    /// for the statement's transaction), in no useful order; SQLite walks the FTS5 index newest
    /// first, so its ids are the newest matches.
    async fn probe(&self, m: &IndexMatch) -> Result<(Vec<i64>, bool)> {
        use sea_orm::TransactionTrait;
        let backend = self.backend();
        let rows = if backend == DbBackend::Postgres {
            let txn = self.read.begin().await?;
            // Parallel workers cost more to start than they save here, and share two cores
            // with the other requests.
            txn.execute_unprepared(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL max_parallel_workers_per_gather = 0",
            )
            .await?;
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!("SELECT ticket_id FROM ticket_search WHERE {} @@ to_tsquery('simple', $1) LIMIT {}", m.pg_vector(), PROBE + 1),
                    [m.query.as_str().into()],
                ))
                .await?;
            txn.commit().await?;
            rows
        } else {
            self.read
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!("SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH $1 ORDER BY rowid DESC LIMIT {}", PROBE + 1),
                    [m.query.as_str().into()],
                ))
                .await?
        };
        let complete = rows.len() <= PROBE;
        let mut ids: Vec<i64> = rows.iter().take(PROBE).map(|r| r.try_get_by_index::<i64>(0)).collect::<std::result::Result<_, _>>()?;
        ids.sort_unstable_by(|a, b| b.cmp(a));
        Ok((ids, complete))
    }

    /// The tickets matching `text` among those `f` allows (its own `text` is ignored), best
    /// first: tickets whose subject matches, newest first, then the rest, newest first. Each
    /// part walks the index in id order and stops at `limit`, so a word found in half the desk
    /// costs no more than a rare one.
    pub async fn search_tickets(&self, f: &crate::TicketFilter, text: &str, limit: u64) -> Result<Vec<Ticket>> {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
        let backend = self.backend();
        let scope = if f.search_internal { SearchScope::Staff } else { SearchScope::Requester };
        let base = crate::TicketFilter { text: None, sort: None, cursor: None, after: None, ..f.clone() };
        let query = SearchQuery::parse(text);
        let mut rows = Vec::new();
        let base = &base;
        // One part. PostgreSQL walks common words newest first (`common`) with the GIN bitmap
        // ruled out, so that it neither fetches nor sorts every match, and looks rarer ones up
        // by id when the probe found them all (its planner cannot tell them apart). SQLite walks the
        // FTS5 index newest first joined to the ticket, fast for both. Each stops at `limit`.
        // Returns the part's tickets and whether PostgreSQL found the words common: words
        // common in subjects are common in whole tickets too, so the second part skips its
        // sample then (`known_common`).
        let part = |m: IndexMatch, known_common: bool| async move {
            use crate::entity::ticket::Column;
            use sea_orm::sea_query::{Alias, JoinType, Order};
            use sea_orm::{QueryTrait, TransactionTrait};
            let mut sel = self.filtered(base);
            if backend != DbBackend::Postgres {
                QueryTrait::query(&mut sel)
                    .join(JoinType::InnerJoin, Alias::new("ticket_fts"), Expr::cust("ticket_fts.rowid = tickets.id"))
                    .and_where(custom(backend, "ticket_fts MATCH $1", vec![Value::from(m.query)]))
                    .order_by_expr(Expr::cust("ticket_fts.rowid"), Order::Desc);
                return Ok::<_, StoreError>((sel.limit(limit).all(&self.read).await?, false));
            }
            let common = known_common || self.common(&m).await?;
            if !common {
                let (ids, complete) = self.probe(&m).await?;
                if complete {
                    return Ok((sel.filter(Column::Id.is_in(ids)).order_by_desc(Column::Id).limit(limit).all(&self.read).await?, false));
                }
            }
            QueryTrait::query(&mut sel)
                .join(JoinType::InnerJoin, Alias::new("ticket_search"), Expr::cust("ticket_search.ticket_id = tickets.id"))
                .and_where(custom(
                    backend,
                    "ticket_search.doc @@ to_tsquery(CAST($1 AS regconfig), $2)",
                    vec![Value::from(TS_CONFIG), Value::from(m.row_query)],
                ))
                .order_by_expr(Expr::cust("tickets.id"), Order::Desc);
            let txn = self.read.begin().await?;
            txn.execute_unprepared("SET LOCAL enable_bitmapscan = off; SET LOCAL max_parallel_workers_per_gather = 0").await?;
            let found = sel.limit(limit).all(&txn).await?;
            txn.commit().await?;
            Ok((found, common))
        };
        let mut subject_common = false;
        if let Some(m) = match_expr(backend, &query, scope, true) {
            (rows, subject_common) = part(m, false).await?;
        }
        fn more(rows: &mut Vec<crate::entity::ticket::Model>, found: Vec<crate::entity::ticket::Model>, limit: u64) {
            for r in found {
                if (rows.len() as u64) >= limit {
                    break;
                }
                if !rows.iter().any(|x| x.id == r.id) {
                    rows.push(r);
                }
            }
        }
        if let Some(m) = match_expr(backend, &query, scope, false).filter(|_| (rows.len() as u64) < limit) {
            let (found, _) = part(m, subject_common).await?;
            more(&mut rows, found, limit);
        }
        // The number or address (indexed equality), without the words.
        if let Some(exact) = exact_condition(backend, &query, scope).filter(|_| (rows.len() as u64) < limit) {
            let found =
                self.filtered(base).filter(exact).order_by_desc(crate::entity::ticket::Column::Id).limit(limit).all(&self.read).await?;
            more(&mut rows, found, limit);
        }
        self.to_tickets(rows).await
    }

    /// Rebuilds the index of every ticket (`tikal search reindex`), a batch per transaction;
    /// `progress` hears the number done after each batch. Returns how many were indexed.
    pub async fn reindex_tickets(&self, only_missing: bool, mut progress: impl FnMut(u64)) -> Result<u64> {
        use sea_orm::TransactionTrait;
        let mut after = 0;
        let mut done = 0u64;
        loop {
            let txn = self.write.begin().await?;
            let last = reindex_batch(&txn, after, only_missing).await?;
            txn.commit().await?;
            let Some((last, n)) = last else { break };
            after = last;
            done += n;
            progress(done);
        }
        Ok(done)
    }

    /// The message bodies of these tickets (public ones only unless `notes`), oldest first, at
    /// most `per_ticket` each: what snippets are cut from.
    pub async fn entry_texts(&self, ids: &[TicketId], notes: bool, per_ticket: usize) -> Result<Vec<EntryText>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.backend();
        let list: Vec<String> = ids.iter().map(|t| t.get().to_string()).collect();
        let kinds = if notes { "'message', 'reply', 'note'" } else { "'message', 'reply'" };
        let rows = self
            .read
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT ticket_id, kind, body FROM thread_entries WHERE ticket_id IN ({}) AND kind IN ({kinds}) \
                     AND body IS NOT NULL ORDER BY ticket_id, id",
                    list.join(", ")
                ),
            ))
            .await?;
        let mut out: Vec<EntryText> = Vec::new();
        let mut seen: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        for r in &rows {
            let id: i64 = r.try_get_by_index(0)?;
            let n = seen.entry(id).or_default();
            if *n >= per_ticket {
                continue;
            }
            *n += 1;
            let kind: String = r.try_get_by_index(1)?;
            out.push(EntryText {
                ticket_id: TicketId(id),
                kind: kind.parse().map_err(|_| StoreError::Corrupt(format!("entry kind `{kind}`")))?,
                body: r.try_get_by_index(2)?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_row_check_asks_every_term_whole_or_as_a_prefix() {
        let q = SearchQuery::parse_prefix("impresoras tele");
        let (sql, values) = terms_condition(&q, "doc");
        assert_eq!(sql, "(instr(doc, $1) > 0 OR instr(doc, $2) > 0) AND (instr(doc, $3) > 0)");
        assert_eq!(values, vec![" impresor ", " impresora ", " tele"]);
        let m = match_expr(DbBackend::Sqlite, &q, SearchScope::Requester, false).expect("a match");
        assert!(m.row_query.contains("f.subject_terms || ' ' || f.public_terms ||"), "{}", m.row_query);
        assert!(!m.row_query.contains("internal"), "a requester's check never reads notes: {}", m.row_query);
    }
}
