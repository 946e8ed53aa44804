//! The job outbox: written with the change that causes it, claimed with leases, never twice.

use std::collections::BTreeSet;

use chrono::Duration;
use tikal_testkit::TestApp;

#[tokio::test]
async fn changes_enqueue_jobs_that_are_claimed_once() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    for i in 0..6 {
        app.open_ticket(&format!("Caso {i}"), "jobs@gob.example").await;
    }
    let store = app.desk.store();
    let pending = store.pending_jobs().await.expect("pending");
    assert_eq!(pending.len(), 6, "one notification job per opened ticket, in the same transaction");
    assert!(pending.iter().all(|(kind, payload)| kind == "notify.ticket_created" && payload.starts_with("{\"ticket_id\":")));

    let now = tikal_store::now();
    // Two workers claiming at once never get the same job.
    let (a, b) = tokio::join!(store.claim_jobs(now, Duration::seconds(60), 4), store.claim_jobs(now, Duration::seconds(60), 4));
    let (a, b) = (a.expect("claim a"), b.expect("claim b"));
    let ids_a: BTreeSet<i64> = a.iter().map(|j| j.id).collect();
    let ids_b: BTreeSet<i64> = b.iter().map(|j| j.id).collect();
    assert!(ids_a.is_disjoint(&ids_b));
    assert_eq!(ids_a.len() + ids_b.len(), 6);
    assert!(store.claim_jobs(now, Duration::seconds(60), 10).await.expect("claim").is_empty(), "all leased");

    let first = a.first().or(b.first()).expect("a job").clone();
    assert_eq!(first.attempts, 1);
    store.complete_job(first.id, now).await.expect("complete");
    let second = a.get(1).or(b.first()).expect("another job").clone();
    store.fail_job(second.id, "smtp down", now + Duration::seconds(30)).await.expect("fail");

    // After the lease expires the unfinished jobs come back; the failed one only when due.
    let later = now + Duration::seconds(61);
    let again = store.claim_jobs(later, Duration::seconds(60), 10).await.expect("claim");
    let again_ids: BTreeSet<i64> = again.iter().map(|j| j.id).collect();
    assert!(!again_ids.contains(&first.id), "done jobs never come back");
    assert!(again_ids.contains(&second.id), "the failed job is due again");
    assert_eq!(again.len(), 5);
    assert!(again.iter().all(|j| j.attempts == 2));
}

#[tokio::test]
async fn housekeeping_purges_only_what_has_expired() {
    use tikal_core::RequesterId;
    use tikal_store::{SessionOwner, TokenPurpose};
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Caso", "limpieza@gob.example").await;
    let store = app.desk.store();
    let rid: RequesterId =
        store.requester_by_email(&tikal_core::EmailAddress::parse("limpieza@gob.example").expect("e")).await.expect("q").expect("r").id;
    let now = tikal_store::now();
    let long_ago = now - Duration::days(3);
    let owner = SessionOwner::Requester(rid);
    store.create_session("old-session", &owner, "t", long_ago, long_ago + Duration::days(1)).await.expect("session");
    store.create_session("live-session", &owner, "t", now, now + Duration::days(1)).await.expect("session");
    store.create_token("old-token", TokenPurpose::PasswordReset, rid, None, long_ago, long_ago + Duration::hours(24)).await.expect("token");
    store.create_token("live-token", TokenPurpose::PasswordReset, rid, None, now, now + Duration::hours(24)).await.expect("token");
    store.record_attempts(&["acct:x".into()], long_ago).await.expect("attempt");
    store.record_attempts(&["acct:x".into()], now).await.expect("attempt");

    let removed = store.purge_expired(now).await.expect("purge");
    assert_eq!(removed, 3, "one expired session, one old link, one old attempt");
    assert!(store.session("live-session", now, long_ago, long_ago).await.expect("q").is_some());
    assert_eq!(store.count_attempts("acct:x", now - Duration::days(30)).await.expect("count"), 1);
    assert!(store.consume_token("live-token", TokenPurpose::PasswordReset, now).await.expect("q").is_some(), "live links survive");
    assert_eq!(store.purge_expired(now).await.expect("purge"), 0, "idempotent");
}
