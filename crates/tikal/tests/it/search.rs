//! Ticket search as each reader meets it: Spanish word forms, accents and capitals folded, every
//! word required, ticket numbers and addresses matched exactly; internal notes found by staff
//! only; an agent never finds another department's tickets; the index follows a new subject and
//! new messages; hostile queries are only words; `tikal search reindex` rebuilds it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_testkit::TestApp;
use tikal_testkit::web::get;

use crate::agent_desk::agent;
use crate::portal::register;

async fn open(app: &TestApp, subject: &str, message: &str, email: &str) -> String {
    let r = app.post("/api/v1/tickets", &json!({"subject": subject, "message": message, "requester": {"email": email}})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "open ticket");
    let t: Value = r.json().await.expect("ticket json");
    t["number"].as_str().expect("number").to_string()
}

async fn message(app: &TestApp, number: &str, kind: &str, body: &str) {
    let r = app.post(&format!("/api/v1/tickets/{number}/messages"), &json!({"kind": kind, "body": body})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{kind} posted");
}

/// The numbers the API finds for `q`, in its order.
async fn found(app: &TestApp, q: &str) -> Vec<String> {
    let r = app.get(&format!("/api/v1/tickets?q={}&limit=50", urlencode(q))).await;
    assert_eq!(r.status(), StatusCode::OK, "q={q}");
    let page: Value = r.json().await.expect("page json");
    page["tickets"].as_array().expect("tickets").iter().map(|t| t["number"].as_str().expect("number").to_string()).collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn spanish_words_accents_and_exact_tokens() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let phone = open(&app, "Teléfono sin tono en la oficina 12", "El anexo 4521 no da tono desde ayer.", "juan.perez@gob.example").await;
    let printer =
        open(&app, "Las impresoras del tercer piso no imprimen", "Salen hojas en blanco de la HP404.", "maria.lopez@gob.example").await;
    let mail = open(&app, "Correo lento", "Outlook tarda en abrir los mensajes.", "juan.perez@gob.example").await;

    assert_eq!(found(&app, "telefono").await, vec![phone.clone()], "no accent typed");
    assert_eq!(found(&app, "TELÉFONOS").await, vec![phone.clone()], "capitals, accent, plural");
    assert_eq!(found(&app, "impresora").await, vec![printer.clone()], "singular finds the plural");
    assert_eq!(found(&app, "hp404").await, vec![printer.clone()], "a model number, from the message");
    assert_eq!(found(&app, "4521").await, vec![phone.clone()], "an extension");
    assert!(found(&app, "impresora telefono").await.is_empty(), "every word must appear");
    assert_eq!(found(&app, &printer).await, vec![printer.clone()], "the ticket number");
    assert_eq!(found(&app, &printer.to_lowercase()).await, vec![printer.clone()], "the number in lower case");
    let mut by_address = found(&app, "Juan.Perez@gob.example").await;
    by_address.sort();
    let mut expected = vec![phone.clone(), mail.clone()];
    expected.sort();
    assert_eq!(by_address, expected, "the requester's address");

    // Replies are searchable as soon as they are written.
    assert!(found(&app, "contraseña").await.is_empty());
    message(&app, &mail, "reply", "Cambie la contraseña y vuelva a abrir Outlook.").await;
    assert_eq!(found(&app, "contrasena").await, vec![mail.clone()]);

    // The message of a later ticket counts too.
    let later = open(&app, "Pantalla parpadea", "Parece un problema del teléfono también.", "ana@gob.example").await;
    let mut both = found(&app, "telefono").await;
    both.sort();
    let mut expected = vec![phone, later];
    expected.sort();
    assert_eq!(both, expected);
}

#[tokio::test]
async fn the_search_page_ranks_subjects_first_and_marks_the_words() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    let subject_hit = open(&app, "Impresora atascada en contabilidad", "Se traba el papel.", "ana@gob.example").await;
    let body_hit = open(&app, "Equipo lento", "Además la impresora hace ruido al imprimir.", "luis@gob.example").await;
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (status, html) = get(&lucia, &app, "/agent/search?q=impresoras").await;
    assert_eq!(status, StatusCode::OK);
    let a = html.find(&format!("/agent/tickets/{subject_hit}\"")).expect("subject hit listed");
    let b = html.find(&format!("/agent/tickets/{body_hit}\"")).expect("message hit listed");
    assert!(a < b, "the subject match (older) comes first");
    assert!(html.contains("<mark>Impresora</mark> atascada"), "subject words marked: {html}");
    assert!(html.contains("la <mark>impresora</mark> hace ruido"), "snippet of the message marked: {html}");
    // Every agent page carries the search box.
    let (_, dash) = get(&lucia, &app, "/agent").await;
    assert!(dash.contains("action=\"/agent/search\""), "search box in the header");
    // An empty search shows the form only; a stop word alone finds nothing.
    let (status, html) = get(&lucia, &app, "/agent/search").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("search-ticket-hits"));
    let (_, html) = get(&lucia, &app, "/agent/search?q=de").await;
    assert!(html.contains("search-no-tickets"), "{html}");
}

#[tokio::test]
async fn internal_notes_are_found_by_staff_only() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    let ana = register(&app, "ana@gob.example", "es").await;
    let number = open(&app, "Acceso a la carpeta compartida", "No puedo abrir la carpeta de finanzas.", "ana@gob.example").await;
    message(&app, &number, "note", "Pedir autorización al jefe de presupuesto antes de dar permisos.").await;
    message(&app, &number, "reply", "Estamos gestionando el permiso de la carpeta.").await;

    // Staff find it by the note's words, and see the note marked as internal.
    assert_eq!(found(&app, "presupuesto").await, vec![number.clone()]);
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (_, html) = get(&lucia, &app, "/agent/search?q=presupuesto").await;
    assert!(html.contains(&format!("/agent/tickets/{number}\"")) && html.contains("Nota interna"), "{html}");

    // The requester: by public words yes, with the words marked; by the note's words never.
    let (status, html) = get(&ana, &app, "/tickets?q=presupuesto").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&number), "a note's words must not find the ticket for its requester: {html}");
    let (_, html) = get(&ana, &app, "/tickets?q=permisos").await;
    assert!(html.contains(&number), "a reply's words find it: {html}");
    assert!(html.contains("<mark>permiso</mark>"), "the reply quoted, marked: {html}");
    assert!(!html.contains("autorización"), "never the note's text: {html}");
    // Someone else's ticket is never found, whatever the words.
    let other = open(&app, "Carpeta compartida de compras", "Tampoco puedo entrar.", "pedro@gob.example").await;
    let (_, html) = get(&ana, &app, "/tickets?q=carpeta").await;
    assert!(html.contains(&number) && !html.contains(&other), "only her own: {html}");
    // A requester's search by someone's address finds nothing of theirs.
    let (_, html) = get(&ana, &app, "/tickets?q=pedro%40gob.example").await;
    assert!(!html.contains(&other));
}

#[tokio::test]
async fn agents_find_only_their_departments() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    let redes = app.department("Redes").await;
    let number = open(&app, "Switch del segundo piso sin enlace", "El switch no tiene luz de enlace.", "ana@gob.example").await;
    let r = app.patch(&format!("/api/v1/tickets/{number}"), &json!({"department_id": redes.get()})).await;
    assert_eq!(r.status(), StatusCode::OK, "moved to Redes");

    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (_, html) = get(&lucia, &app, "/agent/search?q=switch").await;
    assert!(!html.contains(&number), "another department's ticket: {html}");
    let (_, html) = get(&lucia, &app, &format!("/agent/search?q={number}")).await;
    assert!(!html.contains(&format!("/agent/tickets/{number}")), "not even by its number: {html}");
    let (_, html) = get(&lucia, &app, "/agent/tickets?q=switch").await;
    assert!(!html.contains(&number), "nor in a queue: {html}");

    let pablo = agent(&app, "pablo@gob.example", "agent", &[redes]).await;
    let (_, html) = get(&pablo, &app, "/agent/search?q=switches").await;
    assert!(html.contains(&format!("/agent/tickets/{number}\"")), "{html}");
    let (_, html) = get(&pablo, &app, "/agent/tickets?q=enlace").await;
    assert!(html.contains(&number), "the queue's q= searches the thread: {html}");
}

#[tokio::test]
async fn a_new_subject_replaces_the_old_words() {
    let app = TestApp::spawn().await;
    app.department("Soporte").await;
    let number = open(&app, "Problema con el monitor", "No enciende.", "ana@gob.example").await;
    assert_eq!(found(&app, "monitor").await, vec![number.clone()]);
    let r = app.patch(&format!("/api/v1/tickets/{number}"), &json!({"subject": "Pantalla del portátil sin imagen"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(found(&app, "monitor").await.is_empty(), "the old subject no longer matches");
    assert_eq!(found(&app, "portatil").await, vec![number.clone()]);
    assert_eq!(found(&app, "enciende").await, vec![number], "the first message stays indexed");
}

#[tokio::test]
async fn hostile_queries_are_only_words() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    let number = open(&app, "Impresora sin tóner", "Se acabó el tóner.", "ana@gob.example").await;
    for q in [
        "\"; DROP TABLE tickets; --",
        "impresora\" OR \"x",
        "NEAR(impresora toner)",
        "subject_terms:impresora",
        "{subject_terms internal_terms} : impresora",
        "impresora:*",
        "impresora & !x | y",
        "* ^ - ( ) :",
        "'",
        "\\",
        "%",
        "_",
    ] {
        let r = app.get(&format!("/api/v1/tickets?q={}", urlencode(q))).await;
        assert_eq!(r.status(), StatusCode::OK, "q={q}");
    }
    let r = app.get(&format!("/api/v1/tickets?q={}", urlencode(&"palabra ".repeat(300)))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "an overlong query is refused, with a reason");
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (status, _) = get(&lucia, &app, &format!("/agent/search?q={}", urlencode(&"palabra ".repeat(300)))).await;
    assert_eq!(status, StatusCode::OK, "the search page cuts it");
    // Operators typed as text are ignored, the words still count.
    assert_eq!(found(&app, "impresora\" OR \"toner").await, vec![number.clone()]);
    assert!(found(&app, "impresora OR teclado").await.is_empty(), "OR is a word, not an operator");
    assert_eq!(app.get("/api/v1/tickets").await.status(), StatusCode::OK, "the table is still there");
}

#[tokio::test]
async fn reindex_rebuilds_the_index() {
    let app = TestApp::spawn().await;
    app.department("Soporte").await;
    for i in 0..7 {
        open(&app, &format!("Consulta número {i} sobre el escáner"), "El escáner no envía al correo.", "ana@gob.example").await;
    }
    let numbers = found(&app, "ESCANER").await;
    assert_eq!(numbers.len(), 7);
    let mut reported = Vec::new();
    let done = app.desk.reindex_search(false, |n| reported.push(n)).await.expect("reindex");
    assert_eq!(done, 7);
    assert_eq!(reported, vec![7]);
    assert_eq!(app.desk.reindex_search(true, |_| {}).await.expect("missing only"), 0, "nothing is missing");
    assert_eq!(found(&app, "ESCANER").await, numbers, "the same tickets after a rebuild");
}

/// On a desk where a word is in thousands of tickets (both databases then check ticket by
/// ticket instead of looking up every match), the counts and pages agree with the tickets' own
/// text.
#[tokio::test]
async fn common_words_on_a_seeded_desk_match_the_text() {
    use std::collections::{HashMap, HashSet};
    use tikal_core::search::{SearchQuery, words};
    use tikal_service::{Principal, TicketQuery};

    let app = TestApp::spawn().await;
    let out = crate::bench_seed::seed(&app, &["--tickets", "12000"]);
    assert!(out.status.success(), "seed: {}", String::from_utf8_lossy(&out.stderr));
    let store = app.desk.store();
    let all = store.list_tickets(&tikal_store::TicketFilter::default(), 20_000).await.expect("tickets");
    assert_eq!(all.len(), 12_000);
    let ids: Vec<_> = all.iter().map(|t| t.id).collect();
    let mut texts: HashMap<i64, String> = all.iter().map(|t| (t.id.get(), t.subject.as_str().to_string())).collect();
    for chunk in ids.chunks(2_000) {
        for e in store.entry_texts(chunk, true, 1_000).await.expect("entries") {
            let t = texts.entry(e.ticket_id.get()).or_default();
            t.push('\n');
            t.push_str(&e.body);
        }
    }
    // The word in most tickets (by the same folding), which must be in more than 5,000.
    let mut freq: HashMap<String, usize> = HashMap::new();
    for text in texts.values() {
        for w in words(text).filter(|w| w.chars().count() > 4).collect::<HashSet<_>>() {
            *freq.entry(w).or_default() += 1;
        }
    }
    let (word, _) = freq.into_iter().max_by_key(|(w, n)| (*n, w.clone())).expect("a word");
    let query = SearchQuery::parse(&word);
    let truth: HashSet<i64> = texts.iter().filter(|(_, t)| query.matches_text(t)).map(|(id, _)| *id).collect();
    assert!(truth.len() > 5_000, "`{word}` is in {} tickets", truth.len());

    let counted =
        app.desk.count_tickets(&Principal::System, &TicketQuery { text: Some(word.clone()), ..Default::default() }).await.expect("count");
    assert_eq!(counted, truth.len() as u64, "`{word}`: every match, checked ticket by ticket");
    // Narrowed to two departments and a priority, in a queue's order: the same tickets.
    let mut depts: Vec<_> = all.iter().map(|t| t.department_id).collect();
    depts.sort();
    depts.dedup();
    depts.truncate(2);
    let priority = all.iter().find(|t| truth.contains(&t.id.get())).expect("a match").priority;
    let narrowed = tikal_store::TicketFilter {
        departments: Some(depts.clone()),
        priorities: vec![priority],
        text: Some(word.clone()),
        search_internal: true,
        sort: Some(tikal_core::queue::QueueSort::UpdatedDesc),
        ..Default::default()
    };
    let listed: HashSet<i64> = store.list_tickets(&narrowed, 20_000).await.expect("list").iter().map(|t| t.id.get()).collect();
    let expected: HashSet<i64> = all
        .iter()
        .filter(|t| depts.contains(&t.department_id) && t.priority == priority && truth.contains(&t.id.get()))
        .map(|t| t.id.get())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(listed, expected, "`{word}` in departments {depts:?}, priority {priority:?}");
    // One requester's list is complete on both.
    let (requester, mine) = {
        let mut per: HashMap<i64, u64> = HashMap::new();
        for t in all.iter().filter(|t| truth.contains(&t.id.get())) {
            *per.entry(t.requester_id.get()).or_default() += 1;
        }
        per.into_iter().max_by_key(|(r, n)| (*n, *r)).expect("a requester")
    };
    let principal = Principal::Requester { id: tikal_core::RequesterId(requester), name: "R".into(), organisation: None };
    let staff_words = TicketQuery { text: Some(word.clone()), ..Default::default() };
    let public: HashSet<i64> = {
        let q = SearchQuery::parse(&word);
        let mut public_texts: HashMap<i64, String> =
            all.iter().filter(|t| t.requester_id.get() == requester).map(|t| (t.id.get(), t.subject.as_str().to_string())).collect();
        let theirs: Vec<_> = all.iter().filter(|t| t.requester_id.get() == requester).map(|t| t.id).collect();
        for e in store.entry_texts(&theirs, false, 1_000).await.expect("entries") {
            let t = public_texts.entry(e.ticket_id.get()).or_default();
            t.push('\n');
            t.push_str(&e.body);
        }
        public_texts.into_iter().filter(|(_, t)| q.matches_text(t)).map(|(id, _)| id).collect()
    };
    assert!(mine > 0);
    assert_eq!(app.desk.count_tickets(&principal, &staff_words).await.expect("count"), public.len() as u64, "the requester's own");
    let numbers: HashMap<String, i64> = all.iter().map(|t| (t.number.to_string(), t.id.get())).collect();
    for n in found(&app, &word).await {
        assert!(truth.contains(&numbers[&n]), "{n} listed for `{word}`");
    }
    let hits = app.desk.search_tickets(&Principal::System, &word, 50).await.expect("search");
    assert_eq!(hits.len(), 50);
    assert!(hits.iter().all(|h| truth.contains(&h.ticket.id.get())));
    // A word no ticket holds is answered at once, by the index.
    assert!(found(&app, "xilofono").await.is_empty());
}

#[tokio::test]
async fn people_are_found_by_any_part_of_their_name_address_or_phone() {
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    let app = TestApp::spawn().await;
    app.department("Soporte").await;
    for (name, email) in [("Marta Torres", "mtorres@gob.example"), ("Luis Ñúñez", "luis@uni.example"), ("Ana Pérez", "apz@gob.example")]
    {
        let r = app
            .post("/api/v1/tickets", &json!({"subject": "Sin correo", "message": "No llega.", "requester": {"email": email, "name": name}}))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "open a ticket for {name}");
    }
    let store = app.desk.store();
    let luis = store.requester_by_email(&tikal_core::EmailAddress::parse("luis@uni.example").expect("address")).await.expect("read");
    store.set_requester_phone_if_missing(luis.expect("luis").id, "+502 5512-3344").await.expect("phone");
    let names = |found: Vec<(tikal_core::org::Requester, Option<String>)>| -> Vec<String> {
        found.into_iter().map(|(r, _)| r.name.as_str().to_string()).collect()
    };
    for (q, expected) in [
        ("ORRE", vec!["Marta Torres"]),                  // the middle of a name, any case
        ("PÉR", vec!["Ana Pérez"]),                      // a capital beyond ASCII in the query
        ("ÑÚÑ", vec!["Luis Ñúñez"]),                     // and in the name
        ("luis ñ", vec!["Luis Ñúñez"]),                  // across words
        ("\"ana", vec![]),                               // a quote is a character too
        ("gob.exam", vec!["Ana Pérez", "Marta Torres"]), // part of an address, by name
        ("5512", vec!["Luis Ñúñez"]),                    // part of a phone
        ("to", vec!["Marta Torres"]),                    // under three characters: no trigram to look up
        ("100%", vec![]),                                // LIKE's wildcards are only characters
        ("xilofono", vec![]),
    ] {
        assert_eq!(names(store.search_requesters(q, 10).await.expect("search")), expected, "q={q}");
        // The administration's list of requesters asks the same condition (by id, not name).
        let mut listed: Vec<String> = store
            .requester_rows(Some(q), None, 50)
            .await
            .expect("rows")
            .into_iter()
            .map(|r| r.requester.name.as_str().to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, expected, "admin list, q={q}");
    }
    if store.backend() == DbBackend::Postgres {
        // The trigram indexes exist, and the expressions the search writes are the ones they hold.
        let indexes = store.index_names("requesters").await.expect("indexes");
        for column in ["name", "email", "phone"] {
            let index = format!("requesters_{column}_trgm");
            assert!(indexes.contains(&index), "{index} in {indexes:?}");
            let db = sea_orm::Database::connect(app.database_url.as_str()).await.expect("connect");
            let txn = db.begin().await.expect("begin");
            txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.expect("set");
            let plan = txn
                .query_all_raw(sea_orm::Statement::from_string(
                    DbBackend::Postgres,
                    format!("EXPLAIN SELECT id FROM requesters WHERE LOWER(\"{column}\") LIKE '%orre%' ESCAPE '\\'"),
                ))
                .await
                .expect("explain");
            let plan: Vec<String> = plan.iter().map(|r| r.try_get_by_index::<String>(0).expect("plan line")).collect();
            assert!(plan.iter().any(|l| l.contains(&index)), "{column}: {plan:?}");
        }
    }
}
