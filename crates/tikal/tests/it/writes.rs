//! Writes: nothing lost, nothing doubled. SQLite syncs every commit; saves compare a version,
//! not a clock; a create with an `Idempotency-Key` happens once; the group-commit retry never
//! inserts a ticket twice; the ticket writer is supervised and `/readyz` reports it.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};
use tikal_core::*;
use tikal_store::{Created, IdempotencyClaim, NewTicket, Store, TicketChange, WriterStatus};
use tikal_testkit::TestApp;

fn new_ticket(email: &str, subject: &str, dept: DepartmentId) -> NewTicket {
    tikal_testkit::new_ticket(email, subject, dept, Channel::Api)
}

fn claim(key: &str, hash: &str) -> IdempotencyClaim {
    IdempotencyClaim { scope: "test:0:POST /tickets".into(), key: key.into(), request_hash: hash.into() }
}

#[tokio::test]
async fn sqlite_syncs_every_commit_unless_told_otherwise() {
    let app = TestApp::spawn().await;
    let full = app.desk.store().sqlite_synchronous().await.expect("pragma");
    let relaxed = TestApp::spawn_with(|s| s.database.sqlite_synchronous = tikal_store::SqliteSync::Normal).await;
    let normal = relaxed.desk.store().sqlite_synchronous().await.expect("pragma");
    if tikal_testkit::pg_server().is_some() {
        assert_eq!((full, normal), (None, None), "PostgreSQL has no such pragma");
    } else {
        assert_eq!(full, Some(2), "FULL on the writer connection by default");
        assert_eq!(normal, Some(1), "NORMAL only when set");
    }
}

#[tokio::test]
async fn two_saves_from_one_read_conflict_even_with_the_same_updated_at() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store();
    let (t, _) = store.create_ticket(new_ticket("v@gob.example", "Versiones", dept), &NumberFormat::default(), &[]).await.expect("create");
    assert_eq!(t.version, 0);
    // Two writers read the same ticket; their clocks give both saves the same updated_at
    // (same microsecond, a clock step, two nodes).
    let mut first = store.ticket_by_id(t.id).await.expect("read").expect("ticket");
    let mut second = first.clone();
    first.priority = Priority::High;
    second.priority = Priority::Low;
    store.save_ticket_change(&mut first, &TicketChange::default()).await.expect("first save");
    assert_eq!(first.version, 1);
    assert_eq!(first.updated_at, second.updated_at);
    let lost = store.save_ticket_change(&mut second, &TicketChange::default()).await;
    assert!(matches!(lost, Err(tikal_store::StoreError::Stale)), "{lost:?}");
    let stored = store.ticket_by_id(t.id).await.expect("read").expect("ticket");
    assert_eq!((stored.priority, stored.version), (Priority::High, 1), "the second save did not overwrite the first");

    // Through the API every change increments it.
    let n = t.number.to_string();
    assert_eq!(app.patch(&format!("/api/v1/tickets/{n}"), &json!({"priority": 2})).await.status(), StatusCode::OK);
    assert_eq!(store.ticket_by_id(t.id).await.expect("read").expect("ticket").version, 2);
}

#[tokio::test]
async fn tickets_from_before_the_upgrade_get_version_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = tikal_testkit::fresh_database_url(dir.path()).await;
    let db = Database::connect(&url).await.expect("connect");
    tikal_store::migration::Migrator::up(&db, Some(2)).await.expect("schema of the previous release");
    for sql in [
        "INSERT INTO departments (name, created_at) VALUES ('Mesa', 0)",
        "INSERT INTO requesters (email, name, created_at) VALUES ('old@gob.example', 'Old', 0)",
        "INSERT INTO tickets (number, seq, subject, requester_id, channel, kind, department_id, priority, status, created_at, updated_at) \
         VALUES ('000001', 1, 'Antiguo', 1, 'email', 'incident', 1, 3, 'open', 10, 20)",
        "INSERT INTO jobs (kind, payload, run_at, created_at) VALUES ('notify.ticket_created', '{\"ticket_id\":1}', 0, 0)",
    ] {
        db.execute_unprepared(sql).await.expect(sql);
    }
    let _ = db.close().await;
    let store = Store::connect(&url, dir.path()).await.expect("open");
    store.migrate().await.expect("upgrade");
    let t = store.ticket_by_number(&TicketNumber::parse("000001").expect("n")).await.expect("read").expect("ticket");
    assert_eq!(t.version, 0);
    assert_eq!(t.subject.as_str(), "Antiguo");
    assert_eq!(store.pending_jobs().await.expect("jobs"), vec![("notify.ticket_created".to_string(), "{\"ticket_id\":1}".to_string())]);
}

#[tokio::test]
async fn a_lost_commit_answer_does_not_insert_tickets_twice() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    // The next batch commits, then reports an error (as a connection lost during COMMIT does);
    // its tickets are retried one by one.
    store.inject_lost_commit_answer();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.create_ticket(new_ticket("lote@gob.example", &format!("Caso {i}"), dept), &NumberFormat::default(), &[]).await
        }));
    }
    let mut numbers = BTreeSet::new();
    for task in tasks {
        let (t, _) = task.await.expect("join").expect("acknowledged");
        numbers.insert(t.number.to_string());
    }
    assert_eq!(numbers.len(), 24);
    assert_eq!(store.count_tickets().await.expect("count"), 24, "each ticket once");
}

#[tokio::test]
async fn the_idempotency_key_is_committed_with_its_ticket() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    let format = NumberFormat::default();
    // Four requests with one key at the same moment: one ticket, the others learn of it.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        let format = format.clone();
        tasks.push(tokio::spawn(async move {
            store.create_ticket_once(new_ticket("k@gob.example", "Clave", dept), &format, &[], Some(claim("k-1", "h"))).await
        }));
    }
    let (mut new, mut earlier) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.expect("join").expect("create") {
            Created::New(t, _) => new.push(t.number),
            Created::Earlier(rec) => earlier.push(rec.ticket.expect("the key names its ticket")),
        }
    }
    assert_eq!(new.len(), 1, "one ticket for one key");
    assert!(earlier.iter().all(|n| *n == new[0]));
    assert_eq!(store.count_tickets().await.expect("count"), 1);
    // The key exists as soon as the ticket does, before any response is stored.
    let rec = store.idempotent_record("test:0:POST /tickets", "k-1").await.expect("lookup").expect("recorded");
    assert_eq!(rec.ticket.as_ref(), Some(&new[0]));
    assert!(rec.response.is_none());

    // A create that fails leaves its key free.
    let bad =
        store.create_ticket_once(new_ticket("k@gob.example", "Mala", DepartmentId(9999)), &format, &[], Some(claim("k-2", "h"))).await;
    assert!(bad.is_err());
    assert!(store.idempotent_record("test:0:POST /tickets", "k-2").await.expect("lookup").is_none());
}

#[tokio::test]
async fn the_ticket_writer_is_restarted_after_a_panic() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    let format = NumberFormat::default();
    store.inject_writer_panic();
    let failed = store.create_ticket(new_ticket("p@gob.example", "Pánico", dept), &format, &[]).await;
    assert!(failed.is_err(), "the batch being written when the writer failed fails");
    // The next create waits for the restarted writer.
    let (t, _) = store.create_ticket(new_ticket("p@gob.example", "Después", dept), &format, &[]).await.expect("created after restart");
    assert_eq!(t.subject.as_str(), "Después");
    let health = store.writer_health();
    assert_eq!((health.status, health.restarts), (WriterStatus::Running, 1));
}

#[tokio::test]
async fn readiness_reports_a_ticket_writer_that_cannot_run() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    let ready: Value = app.client.get(app.url("/readyz")).send().await.expect("send").json().await.expect("json");
    assert_eq!(ready["writers"]["ticket_writer"], "running");

    store.inject_writer_start_failure(true);
    store.inject_writer_panic();
    assert!(store.create_ticket(new_ticket("r@gob.example", "Caída", dept), &NumberFormat::default(), &[]).await.is_err());
    let resp = app.client.get(app.url("/readyz")).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["writers"]["ticket_writer"], "restarting", "{body}");

    store.inject_writer_start_failure(false);
    // This create waits until the writer runs again.
    store.create_ticket(new_ticket("r@gob.example", "De vuelta", dept), &NumberFormat::default(), &[]).await.expect("created");
    assert_eq!(app.client.get(app.url("/readyz")).send().await.expect("send").status(), StatusCode::OK);
}

#[tokio::test]
async fn readiness_reports_a_stuck_ticket_writer_until_it_moves_again() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    // The next batch hangs (and counts as hanging for longer than a batch may take).
    store.inject_writer_stall();
    let create = tokio::spawn({
        let store = store.clone();
        async move { store.create_ticket(new_ticket("s@gob.example", "Atascado", dept), &NumberFormat::default(), &[]).await }
    });
    // Wait until the writer has taken the batch (bounded by count, not by time).
    let mut seen = WriterStatus::Running;
    for _ in 0..10_000 {
        seen = store.writer_health().status;
        if seen == WriterStatus::Stuck {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert_eq!(seen, WriterStatus::Stuck);
    let resp = app.client.get(app.url("/readyz")).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["writers"]["ticket_writer"], "stuck", "{body}");
    assert_eq!(body["writers"]["ticket_writer_restarts"], 0, "a stuck writer is reported, not restarted: {body}");
    assert!(!create.is_finished(), "the create waits for its batch");

    // The batch goes on: the create is answered and the desk is ready again.
    store.release_writer_stall();
    let (t, _) = create.await.expect("join").expect("created once the writer moved on");
    assert_eq!(t.subject.as_str(), "Atascado");
    assert_eq!(store.writer_health().status, WriterStatus::Running);
    let resp = app.client.get(app.url("/readyz")).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["writers"]["ticket_writer"], "running", "{body}");
    assert_eq!(store.count_tickets().await.expect("count"), 1);
}

#[tokio::test]
async fn first_responses_are_stored_with_a_later_batch_and_never_replaced() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    let format = NumberFormat::default();
    let mut numbers = Vec::new();
    for key in ["a", "b", "c"] {
        let created = store.create_ticket_once(new_ticket("r@gob.example", key, dept), &format, &[], Some(claim(key, "h"))).await;
        match created.expect("create") {
            Created::New(t, _) => numbers.push(t.number.to_string()),
            Created::Earlier(_) => panic!("a new key"),
        }
    }
    let response = |n: &str| tikal_store::IdempotentResponse {
        status: 201,
        body: format!("{{\"number\":\"{n}\"}}"),
        location: Some(format!("/api/v1/tickets/{n}")),
    };
    // Stored together with creates queued at the same moment (one transaction), or alone.
    let mut tasks = Vec::new();
    for (key, n) in ["a", "b", "c"].into_iter().zip(&numbers) {
        let (writer, resp) = (store.clone(), response(n));
        tasks.push(tokio::spawn(async move { writer.store_idempotent_response("test:0:POST /tickets", key, &resp).await }));
        let writer = store.clone();
        tasks.push(tokio::spawn(async move {
            writer.create_ticket(new_ticket("otro@gob.example", "Otro", dept), &NumberFormat::default(), &[]).await.map(|_| ())
        }));
    }
    for task in tasks {
        task.await.expect("join").expect("stored");
    }
    for (key, n) in ["a", "b", "c"].into_iter().zip(&numbers) {
        let rec = store.idempotent_record("test:0:POST /tickets", key).await.expect("lookup").expect("recorded");
        assert_eq!(rec.response, Some(response(n)), "key {key}");
        assert_eq!(rec.ticket.map(|t| t.to_string()).as_deref(), Some(n.as_str()));
    }
    // The first response stays.
    let later = tikal_store::IdempotentResponse { status: 500, body: "{}".into(), location: None };
    store.store_idempotent_response("test:0:POST /tickets", "a", &later).await.expect("store");
    let rec = store.idempotent_record("test:0:POST /tickets", "a").await.expect("lookup").expect("recorded");
    assert_eq!(rec.response, Some(response(&numbers[0])));
    assert_eq!(store.count_tickets().await.expect("count"), 6);
}
