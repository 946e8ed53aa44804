//! `tikal bench seed` as a benchmark runs it: a realistic desk written straight to the database,
//! listed by the API like any other, and never mixed into a database by accident.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::Value;
use tikal_core::{StateCategory, StatusKey};
use tikal_service::{Principal, TicketQuery};
use tikal_store::TicketCount;
use tikal_testkit::{TestApp, web};

const TICKETS: u64 = 2_000;

pub fn seed(app: &TestApp, args: &[&str]) -> std::process::Output {
    seed_with_input(app, args, "")
}

fn seed_with_input(app: &TestApp, args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tikal"))
        .env("TIKAL_DATA_DIR", app.dir.path())
        .env("TIKAL_DATABASE_URL", &app.database_url)
        .env("TIKAL_LOG", "warn")
        .args(["bench", "seed"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tikal bench seed");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("tikal bench seed output")
}

async fn counters(app: &TestApp) -> Vec<TicketCount> {
    let mut kept = app.desk.store().ticket_counts(None).await.expect("counters");
    kept.sort();
    kept
}

async fn count(app: &TestApp, q: TicketQuery) -> u64 {
    app.desk.count_tickets(&Principal::System, &q).await.expect("count")
}

fn states(states: Vec<StateCategory>) -> TicketQuery {
    TicketQuery { states, ..Default::default() }
}

async fn page(app: &TestApp, query: &str) -> Value {
    let resp = app.get(&format!("/api/v1/tickets?limit=50{query}")).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {query}");
    resp.json().await.expect("json")
}

#[tokio::test]
async fn seeds_a_realistic_desk_the_api_lists_and_refuses_to_seed_twice() {
    let app = TestApp::spawn().await;
    let indexes = |app: &TestApp| {
        let store = app.desk.store().clone();
        async move { (store.index_names("tickets").await.expect("indexes"), store.index_names("thread_entries").await.expect("indexes")) }
    };
    let before = indexes(&app).await;
    let out = seed(&app, &["--tickets", &TICKETS.to_string()]);
    assert!(out.status.success(), "seed: {}", String::from_utf8_lossy(&out.stderr));
    // The indexes a seed into an empty database drops while it writes are all built again.
    assert_eq!(indexes(&app).await, before);
    assert!(before.0.len() > 10, "{before:?}");
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |name: &str| {
        printed.lines().find_map(|l| l.strip_prefix(&format!("{name}\t"))).unwrap_or_else(|| panic!("{name} in {printed}")).to_string()
    };
    assert_eq!(field("tickets"), TICKETS.to_string());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2000 of 2000 tickets"), "progress on stderr");

    // Counts and a desk's distribution: most tickets done, some in every active state.
    assert_eq!(app.desk.store().count_tickets().await.expect("count"), TICKETS);
    let done = count(&app, states(StateCategory::done())).await;
    let active = count(&app, states(StateCategory::active())).await;
    assert_eq!(done + active, TICKETS);
    assert!(done * 100 >= TICKETS * 70, "most tickets resolved or closed: {done}");
    for state in [StateCategory::New, StateCategory::Open, StateCategory::Pending] {
        assert!(count(&app, states(vec![state])).await > 0, "some {state} tickets");
    }
    let added = TicketQuery { statuses: vec![StatusKey::parse(&field("status")).expect("key")], ..Default::default() };
    assert!(count(&app, added).await > 0, "some tickets in the added status");
    assert!(app.desk.store().departments().await.expect("departments").iter().any(|d| d.name == "Mesa de Ayuda (Nivel 1)"));
    assert!(app.desk.store().organisations().await.expect("organisations").len() >= 4);

    // The API lists them: pages with cursors, filters, a requester with many tickets.
    let first = page(&app, "").await;
    let tickets = first["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), 50);
    assert!(first["next_cursor"].is_string());
    let requesters: std::collections::BTreeSet<&str> = tickets.iter().filter_map(|t| t["requester"]["email"].as_str()).collect();
    assert!(requesters.len() > 10, "many requesters: {requesters:?}");
    let number = tickets[0]["number"].as_str().expect("number");
    let thread: Value = app.get(&format!("/api/v1/tickets/{number}/thread")).await.json().await.expect("thread");
    assert!(thread.to_string().contains("message"), "a first message: {thread}");
    let second = page(&app, &format!("&cursor={}", first["next_cursor"].as_str().expect("cursor"))).await;
    assert_eq!(second["tickets"].as_array().expect("tickets").len(), 50);
    let busiest = field("requester");
    let mine = page(&app, &format!("&requester={busiest}")).await;
    assert!(mine["tickets"].as_array().expect("tickets").len() >= 5, "the busiest requester has many tickets");
    let dept = page(&app, &format!("&department={}", field("department"))).await;
    assert_eq!(dept["tickets"].as_array().expect("tickets").len(), 50);
    let by_status = page(&app, &format!("&status={}", field("status"))).await;
    assert!(!by_status["tickets"].as_array().expect("tickets").is_empty());

    // Created over a year: the oldest ticket is months older than the newest.
    let oldest = app
        .desk
        .list_tickets(&Principal::System, TicketQuery { oldest_first: true, limit: 1, ..Default::default() })
        .await
        .expect("oldest");
    let newest = app.desk.list_tickets(&Principal::System, TicketQuery { limit: 1, ..Default::default() }).await.expect("newest");
    let span = newest.tickets[0].created_at - oldest.tickets[0].created_at;
    assert!(span.num_days() > 300, "spread over a year: {} days", span.num_days());

    // Never into a database that has tickets, unless asked to append.
    let again = seed(&app, &["--tickets", "10"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--append"), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(app.desk.store().count_tickets().await.expect("count"), TICKETS);
    let more = seed(&app, &["--tickets", "10", "--append"]);
    assert!(more.status.success(), "append: {}", String::from_utf8_lossy(&more.stderr));
    assert_eq!(app.desk.store().count_tickets().await.expect("count"), TICKETS + 10);
    assert_eq!(app.desk.store().departments().await.expect("departments").len(), 6, "the catalogue is reused");

    // Numbering moved on: a ticket opened afterwards gets a number of its own.
    let t = app.open_ticket("Sin acceso al correo", "nueva@gob.example").await;
    assert!(t["number"].is_string());
}

#[tokio::test]
async fn seeded_counters_equal_a_count_of_the_tickets_and_the_supervisor_signs_in() {
    let app = TestApp::spawn().await;
    let password = "bench agent password";
    let out = seed_with_input(&app, &["--tickets", "3000", "--agent-password-stdin"], password);
    assert!(out.status.success(), "seed: {}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let agent = printed.lines().find_map(|l| l.strip_prefix("agent\t")).expect("the agent printed").to_string();

    // The counters kept while seeding are the numbers a count of the tickets gives.
    let recount = app.desk.store().recount_tickets().await.expect("recount");
    assert_eq!(recount.iter().map(|c| c.n).sum::<u64>(), 3000);
    assert!(recount.len() > 20, "tickets in many departments, statuses and owners: {}", recount.len());
    assert_eq!(counters(&app).await, recount);

    // Appending adds to them, and the counters' trigger is back: a ticket opened afterwards counts.
    let more = seed(&app, &["--tickets", "500", "--append"]);
    assert!(more.status.success(), "append: {}", String::from_utf8_lossy(&more.stderr));
    app.open_ticket("La impresora no imprime", "despues@gob.example").await;
    let recount = app.desk.store().recount_tickets().await.expect("recount");
    assert_eq!(recount.iter().map(|c| c.n).sum::<u64>(), 3501);
    assert_eq!(counters(&app).await, recount);

    // Threads: the requester's message, the owner's replies; Spanish and English requesters.
    let list: Value = app.get("/api/v1/tickets?limit=100&state=resolved,closed").await.json().await.expect("json");
    let number = list["tickets"][0]["number"].as_str().expect("a resolved ticket").to_string();
    let thread: Value = app.get(&format!("/api/v1/tickets/{number}/thread")).await.json().await.expect("thread");
    let kinds: Vec<&str> = thread
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_else(|| thread["entries"].as_array().expect("entries").iter().filter_map(|e| e["kind"].as_str()).collect());
    assert_eq!(kinds, ["message", "reply", "reply"], "message, first reply, resolution: {thread}");
    let subjects = list["tickets"].as_array().expect("tickets").iter().filter_map(|t| t["subject"].as_str()).collect::<Vec<_>>();
    assert!(
        subjects.iter().any(|s| s.starts_with("The ") || s.contains(" does not ") || s.starts_with("No WiFi")),
        "English: {subjects:?}"
    );

    // The first agent supervises every department and owns tickets: their queue is not empty.
    let browser = web::browser();
    web::agent_sign_in(&browser, &app, &agent, password).await;
    let (status, html) = web::get(&browser, &app, "/agent/tickets?view=mine").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/agent/tickets/0"), "tickets of their own in the queue: {html}");
}
