//! Group commit of new tickets: concurrent creates share transactions without mixing results.

use std::collections::BTreeSet;

use tikal_core::*;
use tikal_store::NewTicket;
use tikal_testkit::TestApp;

fn new_ticket(email: &str, subject: &str, dept: DepartmentId) -> NewTicket {
    tikal_testkit::new_ticket(email, subject, dept, Channel::Email)
}

#[tokio::test]
async fn concurrent_creates_get_distinct_numbers_and_their_own_rows() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    let format = NumberFormat::default();
    let mut tasks = Vec::new();
    for i in 0..120 {
        let (store, format) = (store.clone(), format.clone());
        // A few shared requesters, new to the database, created once each.
        let email = format!("nuevo{}@gob.example", i % 7);
        tasks.push(tokio::spawn(async move {
            store.create_ticket(new_ticket(&email, &format!("Caso {i}"), dept), &format, &[]).await.map(|(t, r)| (i, t, r))
        }));
    }
    let mut numbers = BTreeSet::new();
    let mut requesters = BTreeSet::new();
    for task in tasks {
        let (i, t, r) = task.await.expect("join").expect("created");
        assert_eq!(t.subject.as_str(), format!("Caso {i}"), "each caller gets its own ticket back");
        assert_eq!(r.email.as_str(), format!("nuevo{}@gob.example", i % 7));
        assert_eq!(t.requester_id, r.id);
        let thread = store.thread(t.id).await.expect("thread");
        assert_eq!(thread[0].body.as_deref(), Some(format!("cuerpo de Caso {i}").as_str()), "the first message belongs to its ticket");
        assert_eq!(thread[1].event, Some(EventKind::Created));
        numbers.insert(t.number.to_string());
        requesters.insert(r.id);
    }
    assert_eq!(numbers.len(), 120, "no number twice");
    assert_eq!(requesters.len(), 7, "one requester per address");
    let expected: BTreeSet<String> = (1..=120).map(|n| format!("{n:06}")).collect();
    assert_eq!(numbers, expected, "consecutive numbers, none skipped");
}

#[tokio::test]
async fn a_bad_ticket_in_a_batch_fails_alone() {
    let app = TestApp::spawn().await;
    let dept = app.department("Mesa de Ayuda (Nivel 1)").await;
    let store = app.desk.store().clone();
    let format = NumberFormat::default();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (store, format) = (store.clone(), format.clone());
        // Every tenth names a department that does not exist: a foreign-key violation.
        let d = if i % 10 == 3 { DepartmentId(9999) } else { dept };
        tasks.push(tokio::spawn(async move {
            (i, store.create_ticket(new_ticket("lote@gob.example", &format!("Caso {i}"), d), &format, &[]).await)
        }));
    }
    for task in tasks {
        let (i, result) = task.await.expect("join");
        if i % 10 == 3 {
            assert!(result.is_err(), "ticket {i} has a bad department");
        } else {
            assert_eq!(result.expect("good ticket").0.subject.as_str(), format!("Caso {i}"));
        }
    }
    assert_eq!(store.count_tickets().await.expect("count"), 36);
}
