//! Full-text search rules shared by tickets, requesters and knowledge-base articles: how text
//! becomes index terms, how a query becomes a database match expression, and how a snippet is
//! cut and highlighted. The databases only store and intersect the terms made here (SQLite FTS5,
//! PostgreSQL `tsvector` with the `simple` configuration), so both find exactly the same things.
//!
//! A word is folded (lower case, accents removed: "Teléfono" -> "telefono") and then stemmed
//! with the Snowball stemmers for Spanish and for English; both stems are indexed, so a desk that
//! writes in both languages needs no language setting ("impresoras" and "impresora" meet at
//! "impresor", "printers" and "printer" at "printer"). Folding before stemming keeps indexing
//! and querying in step when one side is typed without accents; Spanish "-cion"/"-sion" get their
//! accent back first, as the Snowball rules for those suffixes expect it.

use std::borrow::Cow;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

/// Longest query accepted, in characters (a query is cheap to parse, never to run unbounded).
pub const MAX_QUERY_CHARS: usize = 200;
/// Terms of a query beyond this many are ignored.
pub const MAX_QUERY_TERMS: usize = 8;
/// The shortest prefix a suggestion query completes (shorter ones would match half the index).
pub const MIN_PREFIX_CHARS: usize = 3;
/// The shortest stem of the word being typed that also completes as a prefix.
const MIN_STEM_PREFIX_CHARS: usize = 5;
/// Longest word indexed; longer runs (hashes, base64) are noise.
const MAX_WORD_CHARS: usize = 40;

/// Words too common to tell documents apart, in both languages (folded).
const STOP_WORDS: &[&str] = &[
    "a", "al", "an", "and", "are", "as", "at", "be", "by", "con", "de", "del", "el", "en", "es", "for", "from", "ha", "he", "in", "is",
    "it", "la", "las", "lo", "los", "me", "mi", "no", "of", "on", "or", "para", "por", "que", "se", "su", "the", "this", "to", "un", "una",
    "was", "with", "y", "ya",
];

/// Lower case without accents or other combining marks: "Teléfono Ñandú" -> "telefono nandu".
pub fn fold(text: &str) -> String {
    text.nfd().filter(|c| !is_combining(*c)).flat_map(char::to_lowercase).collect()
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// The folded words of a text, in order (letters and digits; everything else separates).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(fold).filter(|w| {
        let n = w.chars().count();
        n <= MAX_WORD_CHARS && w.chars().all(char::is_alphanumeric)
    })
}

fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

struct Stemmers {
    es: Stemmer,
    en: Stemmer,
}

impl Stemmers {
    fn new() -> Self {
        Stemmers { es: Stemmer::create(Algorithm::Spanish), en: Stemmer::create(Algorithm::English) }
    }

    /// The distinct stems of one folded word: Spanish first, then English if different. A word
    /// with digits is kept whole (model numbers, extensions: "hp404", "4521").
    fn forms(&self, word: &str) -> Vec<String> {
        if word.chars().any(|c| c.is_ascii_digit()) {
            return vec![word.to_string()];
        }
        let spanish: Cow<str> = match word.strip_suffix("cion").or_else(|| word.strip_suffix("sion")) {
            Some(stem) => Cow::Owned(format!("{stem}{}ión", &word[stem.len()..stem.len() + 1])),
            None => Cow::Borrowed(word),
        };
        let es = fold(&self.es.stem(&spanish));
        let en = self.en.stem(word).into_owned();
        let mut forms = vec![es];
        if !forms.contains(&en) {
            forms.push(en);
        }
        forms.retain(|f| !f.is_empty());
        forms
    }
}

/// The index terms of a text, space separated, for the FTS column or `to_tsvector('simple', ..)`.
/// Stop words are left out; every term is made of letters and digits only, so it is safe to
/// hand to either database's parser.
pub fn index_terms(text: &str) -> String {
    Indexer::new().terms(text)
}

/// Words remembered by an `Indexer` before it forgets them all (bounds its memory).
const INDEXER_CACHE_WORDS: usize = 50_000;

/// Makes index terms for many texts in a row (a reindex, a bulk load): each distinct word is
/// stemmed once. A desk's vocabulary is small next to its volume, so most words are cache hits.
pub struct Indexer {
    stemmers: Stemmers,
    cache: std::collections::HashMap<String, Vec<String>>,
}

impl Default for Indexer {
    fn default() -> Self {
        Self::new()
    }
}

impl Indexer {
    pub fn new() -> Self {
        Indexer { stemmers: Stemmers::new(), cache: std::collections::HashMap::new() }
    }

    /// As `index_terms`.
    pub fn terms(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() / 2);
        self.append(&mut out, text);
        out
    }

    /// Appends the terms of `text` to `out`, space separated.
    pub fn append(&mut self, out: &mut String, text: &str) {
        for word in words(text) {
            if is_stop_word(&word) {
                continue;
            }
            if !self.cache.contains_key(&word) {
                if self.cache.len() >= INDEXER_CACHE_WORDS {
                    self.cache.clear();
                }
                let forms = self.stemmers.forms(&word);
                self.cache.insert(word.clone(), forms);
            }
            for form in self.cache.get(&word).into_iter().flatten() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(form);
            }
        }
    }
}

/// One term of a query: a document matches if it holds any of the forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The folded word as typed (highlighting compares stems of document words with `forms`).
    pub word: String,
    pub forms: Vec<String>,
    /// Matches any indexed term starting with `word` (the last word of a suggestion query).
    pub prefix: bool,
}

/// Something a query names exactly rather than by words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exact {
    /// Looks like a ticket number (has a digit; letters, digits, `-`, `_`): also matched as one.
    TicketNumber(String),
    /// An e-mail address (folded): matched against the requester's address.
    Email(String),
}

/// A parsed search: every term must match (AND); stop words and punctuation are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    pub terms: Vec<Term>,
    pub exact: Option<Exact>,
}

impl SearchQuery {
    /// Parses what a person typed. Never fails: an overlong query is cut, and a query with no
    /// usable word is empty (`is_empty`), which callers show as "type a word to search".
    pub fn parse(raw: &str) -> SearchQuery {
        Self::build(raw, false)
    }

    /// As `parse`, but the last word is also a prefix (search-as-you-type), if it is at least
    /// `MIN_PREFIX_CHARS` long and the text does not end with a space.
    pub fn parse_prefix(raw: &str) -> SearchQuery {
        Self::build(raw, true)
    }

    fn build(raw: &str, prefix_last: bool) -> SearchQuery {
        let raw: String = raw.chars().take(MAX_QUERY_CHARS).collect();
        let trimmed = raw.trim();
        let exact = exact_of(trimmed);
        let stemmers = Stemmers::new();
        let mut all: Vec<String> = words(trimmed).collect();
        let typing = prefix_last && !raw.ends_with(char::is_whitespace);
        let last = if typing { all.pop() } else { None };
        let mut terms: Vec<Term> = Vec::new();
        for word in all {
            if is_stop_word(&word) || terms.iter().any(|t| t.word == word) {
                continue;
            }
            let forms = stemmers.forms(&word);
            terms.push(Term { word, forms, prefix: false });
        }
        if let Some(word) = last {
            if word.chars().count() >= MIN_PREFIX_CHARS {
                // A word typed whole is indexed by its stems only ("imprime": "imprim"), which the
                // word itself, as a prefix, does not find; its stems are prefixes too, unless short
                // enough to take in unrelated words ("atas": "ata").
                let mut forms = vec![word.clone()];
                for f in stemmers.forms(&word) {
                    if f.chars().count() >= MIN_STEM_PREFIX_CHARS && !forms.contains(&f) {
                        forms.push(f);
                    }
                }
                terms.push(Term { forms, word, prefix: true });
            } else if !is_stop_word(&word) {
                let forms = stemmers.forms(&word);
                terms.push(Term { word, forms, prefix: false });
            }
        }
        terms.retain(|t| !t.forms.is_empty());
        if terms.len() > MAX_QUERY_TERMS {
            // Keep the last (the word being typed), drop from the middle.
            let last = terms.pop();
            terms.truncate(MAX_QUERY_TERMS - 1);
            terms.extend(last);
        }
        SearchQuery { terms, exact }
    }

    /// Nothing to match by words (the query may still name a ticket or an address exactly).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The FTS5 MATCH expression, e.g. `("impresor" OR "printer") AND "telefon"*`; `None` when
    /// empty. Terms are letters and digits only, quoted all the same.
    pub fn fts5(&self) -> Option<String> {
        self.render(" AND ", " OR ", |f, prefix| if prefix { format!("\"{f}\"*") } else { format!("\"{f}\"") })
    }

    /// The PostgreSQL `to_tsquery('simple', ..)` text, e.g. `(impresor | printer) & telefon:*`.
    pub fn tsquery(&self) -> Option<String> {
        self.render(" & ", " | ", |f, prefix| if prefix { format!("{f}:*") } else { f.to_string() })
    }

    /// As `tsquery`, each term matching only lexemes of these weights (`"AB"`: `telefon:AB`,
    /// `telefon:*AB`): how one `tsvector` answers for some of its parts only.
    pub fn tsquery_weighted(&self, weights: &str) -> Option<String> {
        let weights: String = weights.chars().filter(|c| matches!(c, 'A'..='D')).collect();
        self.render(" & ", " | ", |f, prefix| if prefix { format!("{f}:*{weights}") } else { format!("{f}:{weights}") })
    }

    /// Does this text hold every term (as the index would find it)? For choosing which of a
    /// ticket's messages to show a snippet of.
    pub fn matches_text(&self, text: &str) -> bool {
        Matcher::new(self).matches_text(text)
    }

    fn render(&self, and: &str, or: &str, term: impl Fn(&str, bool) -> String) -> Option<String> {
        if self.terms.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .terms
            .iter()
            .map(|t| {
                let forms: Vec<String> = t.forms.iter().map(|f| term(f, t.prefix)).collect();
                if forms.len() == 1 { forms.concat() } else { format!("({})", forms.join(or)) }
            })
            .collect();
        Some(parts.join(and))
    }
}

/// Words a `Matcher` remembers before it forgets them all (bounds its memory).
const MATCHER_CACHE_WORDS: usize = 20_000;

/// A query matched against many texts (the snippets of a page of results): each distinct word
/// is stemmed once, as stemming is most of the cost of choosing and cutting snippets.
pub struct Matcher<'q> {
    query: &'q SearchQuery,
    stemmers: Stemmers,
    /// Per folded word: which terms it matches (bit `i` for term `i`; at most 8 terms).
    seen: std::collections::HashMap<String, u16>,
}

impl<'q> Matcher<'q> {
    pub fn new(query: &'q SearchQuery) -> Self {
        Matcher { query, stemmers: Stemmers::new(), seen: std::collections::HashMap::new() }
    }

    /// The terms this folded word matches, as bits.
    fn terms_of(&mut self, word: &str) -> u16 {
        if let Some(bits) = self.seen.get(word) {
            return *bits;
        }
        let stop = is_stop_word(word);
        let mut forms: Option<Vec<String>> = None;
        let mut bits = 0u16;
        // `parse` keeps at most `MAX_QUERY_TERMS` (8) terms: they fit the bits.
        for (i, t) in self.query.terms.iter().take(MAX_QUERY_TERMS).enumerate() {
            let hit = if t.prefix {
                word.starts_with(&t.word)
            } else {
                t.word == word || (!stop && forms.get_or_insert_with(|| self.stemmers.forms(word)).iter().any(|f| t.forms.contains(f)))
            };
            if hit {
                bits |= 1 << i;
            }
        }
        if self.seen.len() >= MATCHER_CACHE_WORDS {
            self.seen.clear();
        }
        self.seen.insert(word.to_string(), bits);
        bits
    }

    /// Is this folded document word one to highlight?
    fn hits(&mut self, word: &str) -> bool {
        !is_stop_word(word) && self.terms_of(word) != 0
    }

    /// As `SearchQuery::matches_text`.
    pub fn matches_text(&mut self, text: &str) -> bool {
        let n = self.query.terms.len().min(MAX_QUERY_TERMS);
        if n == 0 {
            return false;
        }
        let all: u16 = (1u16 << n) - 1;
        let mut found = 0u16;
        for w in words(text) {
            found |= self.terms_of(&w);
            if found == all {
                return true;
            }
        }
        false
    }

    /// As `snippet`.
    pub fn snippet(&mut self, text: &str, max_chars: usize) -> Vec<Segment> {
        cut_snippet(text, max_chars, |w| self.hits(w))
    }
}

fn exact_of(text: &str) -> Option<Exact> {
    if text.is_empty() || text.contains(char::is_whitespace) || text.chars().count() > 254 {
        return None;
    }
    if let Some((local, domain)) = text.split_once('@') {
        if !local.is_empty() && domain.contains('.') && !domain.contains('@') {
            return Some(Exact::Email(text.to_lowercase()));
        }
        return None;
    }
    let number = text.trim_start_matches('#');
    let shape = number.len() <= 32 && number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (shape && number.chars().any(|c| c.is_ascii_digit())).then(|| Exact::TicketNumber(number.to_string()))
}

/// A piece of a snippet: `hit` pieces are shown highlighted (`<mark>`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// Up to `max_chars` characters of `text` around its first matching word, with every matching
/// word marked; "…" where the text was cut. Whitespace runs become one space. An empty query or
/// a text without a hit gives the beginning of the text.
pub fn snippet(text: &str, query: &SearchQuery, max_chars: usize) -> Vec<Segment> {
    if query.is_empty() {
        return cut_snippet(text, max_chars, |_| false);
    }
    Matcher::new(query).snippet(text, max_chars)
}

fn cut_snippet(text: &str, max_chars: usize, mut hits: impl FnMut(&str) -> bool) -> Vec<Segment> {
    let clean: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = clean.chars().collect();
    // Word spans in character offsets.
    let mut spans: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            let word: String = fold(&chars[start..i].iter().collect::<String>());
            let hit = word.chars().count() <= MAX_WORD_CHARS && hits(&word);
            spans.push((start, i, hit));
        } else {
            i += 1;
        }
    }
    let first_hit = spans.iter().find(|s| s.2).map(|s| s.0).unwrap_or(0);
    // Start a little before the first hit, at a word boundary.
    let mut start = first_hit.saturating_sub(max_chars / 4);
    if start > 0 {
        start = spans.iter().map(|s| s.0).find(|&s| s >= start).unwrap_or(start);
    }
    let end = (start + max_chars).min(chars.len());
    let mut out: Vec<Segment> = Vec::new();
    let mut push = |text: String, hit: bool| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(&text),
            _ => out.push(Segment { text, hit }),
        }
    };
    if start > 0 {
        push("…".into(), false);
    }
    let mut at = start;
    for &(s, e, hit) in spans.iter().filter(|s| s.2 && s.0 >= start && s.1 <= end) {
        push(chars[at..s].iter().collect(), false);
        push(chars[s..e].iter().collect(), hit);
        at = e;
    }
    push(chars[at..end].iter().collect(), false);
    if end < chars.len() {
        push("…".into(), false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(doc: &str, query: &str) -> bool {
        let terms: Vec<String> = index_terms(doc).split(' ').map(str::to_string).collect();
        let q = SearchQuery::parse(query);
        !q.is_empty()
            && q.terms
                .iter()
                .all(|t| t.forms.iter().any(|f| if t.prefix { terms.iter().any(|x| x.starts_with(f)) } else { terms.contains(f) }))
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOP_WORDS);
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Teléfono ÑANDÚ Camión pingüino"), "telefono nandu camion pinguino");
    }

    #[test]
    fn spanish_rules() {
        let cases = [
            ("El teléfono de la oficina no funciona", "telefono"),
            ("No funciona el telefono", "teléfono"),
            ("La impresora del segundo piso", "impresoras"),
            ("Las impresoras no imprimen", "impresora"),
            ("Falla de comunicación con el servidor", "comunicaciones"),
            ("Problemas de comunicaciones", "comunicacion"),
            ("Solicitud de instalación de software", "instalaciones"),
            ("Reinicio de contraseñas", "contrasena"),
            ("CONTRASEÑA bloqueada", "contraseñas"),
            ("Red inalámbrica caída", "inalambrica"),
            ("Los equipos no encienden", "equipo"),
        ];
        for (doc, q) in cases {
            assert!(matches(doc, q), "{q:?} should find {doc:?}");
        }
    }

    #[test]
    fn english_rules() {
        assert!(matches("The printers on floor 2 are jammed", "printer"));
        assert!(matches("Printer jammed", "PRINTERS"));
        assert!(matches("Password resets for new staff", "password reset"));
        assert!(matches("Connection problems with VPN", "connecting"));
    }

    #[test]
    fn every_term_must_match() {
        assert!(matches("impresora sin tóner", "impresora toner"));
        assert!(!matches("impresora sin papel", "impresora toner"));
        assert!(!matches("teléfono", "impresora"));
    }

    #[test]
    fn digits_are_kept_whole() {
        assert!(matches("Extensión 4521 sin tono", "4521"));
        assert!(!matches("Extensión 4521 sin tono", "452"));
        assert!(matches("Impresora HP404 atascada", "hp404"));
    }

    #[test]
    fn stop_words_alone_make_an_empty_query() {
        assert!(SearchQuery::parse("de la el the").is_empty());
        assert!(SearchQuery::parse("  ¿?  ").is_empty());
        assert!(SearchQuery::parse("").is_empty());
    }

    #[test]
    fn queries_are_bounded() {
        let long = "palabra ".repeat(500);
        let q = SearchQuery::parse(&long);
        assert_eq!(q.terms.len(), 1, "the same word counts once");
        let many: String = (0..50).map(|i| format!("termino{i} ")).collect();
        assert_eq!(SearchQuery::parse(&many).terms.len(), MAX_QUERY_TERMS);
        let overlong: String = "x".repeat(10_000);
        assert!(SearchQuery::parse(&overlong).is_empty(), "a 40+ character word is noise");
    }

    #[test]
    fn match_expressions_are_safe_and_alike() {
        let q = SearchQuery::parse("impresoras \"; DROP TABLE tickets; -- teléfono*");
        let fts = q.fts5().unwrap_or_default();
        let ts = q.tsquery().unwrap_or_default();
        assert!(!fts.contains(';') && !ts.contains(';') && !ts.contains('\''), "{fts} / {ts}");
        assert!(fts.contains("\"impresor\""), "{fts}");
        assert!(ts.contains("impresor"), "{ts}");
        assert_eq!(q.fts5().map(|f| f.matches(" AND ").count()), q.tsquery().map(|t| t.matches(" & ").count()));
        assert_eq!(SearchQuery::parse("de la").fts5(), None);
    }

    #[test]
    fn a_word_typed_whole_finds_its_stems() {
        let q = SearchQuery::parse_prefix("no imprime");
        assert_eq!(q.terms.len(), 1);
        assert_eq!(q.terms[0].forms, ["imprime", "imprim"]);
        assert_eq!(q.fts5().as_deref(), Some("(\"imprime\"* OR \"imprim\"*)"));
        assert!(q.matches_text("La impresora no imprime"));
        // Short stems stay out: "ata" would find "atajo".
        assert_eq!(SearchQuery::parse_prefix("atas").terms[0].forms, ["atas"]);
    }

    #[test]
    fn prefix_completes_the_last_word_only() {
        let q = SearchQuery::parse_prefix("impresora atas");
        assert_eq!(q.terms.len(), 2);
        assert!(q.terms[1].prefix && q.terms[1].word == "atas");
        assert_eq!(q.tsquery().as_deref(), Some("(impresor | impresora) & atas:*"));
        assert_eq!(q.fts5().as_deref(), Some("(\"impresor\" OR \"impresora\") AND \"atas\"*"));
        // A finished word (trailing space) or a too short one is a whole term.
        assert!(!SearchQuery::parse_prefix("impresora ").terms[0].prefix);
        assert!(!SearchQuery::parse_prefix("impresora at").terms.iter().any(|t| t.prefix));
    }

    #[test]
    fn exact_tokens() {
        assert_eq!(SearchQuery::parse("000123").exact, Some(Exact::TicketNumber("000123".into())));
        assert_eq!(SearchQuery::parse("#TK-2026-00042").exact, Some(Exact::TicketNumber("TK-2026-00042".into())));
        assert_eq!(SearchQuery::parse("Ana.Perez@Example.org").exact, Some(Exact::Email("ana.perez@example.org".into())));
        assert_eq!(SearchQuery::parse("impresora").exact, None);
        assert_eq!(SearchQuery::parse("impresora 42").exact, None);
        assert_eq!(SearchQuery::parse("a@b").exact, None);
    }

    #[test]
    fn snippet_marks_every_form() {
        let q = SearchQuery::parse("impresora");
        let s = snippet("Buenos días: las impresoras del piso 2 y la Impresora central fallan.", &q, 200);
        let marked: Vec<&str> = s.iter().filter(|x| x.hit).map(|x| x.text.as_str()).collect();
        assert_eq!(marked, ["impresoras", "Impresora"]);
        let text: String = s.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(text, "Buenos días: las impresoras del piso 2 y la Impresora central fallan.");
    }

    #[test]
    fn snippet_cuts_around_the_first_hit() {
        let q = SearchQuery::parse("servidor");
        let text = format!("{} el servidor no responde {}", "palabra ".repeat(100), "otra ".repeat(100));
        let s = snippet(&text, &q, 80);
        let joined: String = s.iter().map(|x| x.text.as_str()).collect();
        assert!(joined.starts_with('…') && joined.ends_with('…'), "{joined}");
        assert!(s.iter().any(|x| x.hit && x.text == "servidor"));
        assert!(joined.chars().count() <= 82);
    }

    #[test]
    fn snippet_without_query_is_the_beginning() {
        let s = snippet("Hola   mundo\n\nadiós", &SearchQuery::default(), 100);
        assert_eq!(s, vec![Segment { text: "Hola mundo adiós".into(), hit: false }]);
    }

    #[test]
    fn indexer_caches_and_agrees() {
        let mut ix = Indexer::new();
        let text = "Las impresoras del tercer piso no imprimen; impresoras HP404";
        assert_eq!(ix.terms(text), index_terms(text));
        assert_eq!(ix.terms(text), index_terms(text), "second pass, from the cache");
        let mut out = String::from("a");
        ix.append(&mut out, "teléfono");
        assert_eq!(out, format!("a {}", index_terms("telefono")));
    }

    #[test]
    fn weighted_tsquery() {
        let q = SearchQuery::parse_prefix("impresoras tele");
        assert_eq!(q.tsquery_weighted("AB;x1 ").as_deref(), Some("(impresor:AB | impresora:AB) & tele:*AB"));
        assert_eq!(SearchQuery::parse("").tsquery_weighted("A"), None);
    }

    #[test]
    fn text_matches_like_the_index() {
        let q = SearchQuery::parse("telefono impresora");
        assert!(q.matches_text("El TELÉFONO y las impresoras"));
        assert!(!q.matches_text("Solo el teléfono"));
        assert!(SearchQuery::parse_prefix("impre").matches_text("impresión"));
        assert!(!SearchQuery::parse("").matches_text("algo"));
    }

    #[test]
    fn prefix_highlight() {
        let q = SearchQuery::parse_prefix("atas");
        let s = snippet("La impresora está atascada", &q, 100);
        assert!(s.iter().any(|x| x.hit && x.text == "atascada"));
    }

    #[test]
    fn one_matcher_for_many_texts_answers_as_fresh_ones() {
        let q = SearchQuery::parse("telefono impresora");
        let texts = [
            "El TELÉFONO y las impresoras",
            "Solo el teléfono",
            "Las impresoras del piso; el teléfono también",
            "",
            "impresora impresora impresora",
        ];
        let mut m = Matcher::new(&q);
        for _ in 0..2 {
            for t in texts {
                assert_eq!(m.matches_text(t), q.matches_text(t), "{t:?}");
                assert_eq!(m.snippet(t, 60), snippet(t, &q, 60), "{t:?}");
            }
        }
        // A stop word is never highlighted, even when a prefix term would take it.
        let p = SearchQuery::parse_prefix("par");
        assert!(!Matcher::new(&p).snippet("para la impresora", 60).iter().any(|x| x.hit));
    }
}
