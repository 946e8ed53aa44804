//! The job outbox: written with the change that causes it, claimed with leases, never twice.

use std::collections::BTreeSet;

use std::sync::Arc;

use chrono::Duration;
use tikal_core::job::LinkMail;
use tikal_core::{Job, JobKind};
use tikal_jobs::{OutboxSettings, SmtpMailer, Worker};
use tikal_store::{JobState, Retry, StoreError};
use tikal_testkit::TestApp;

const MAX: u32 = 10;

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
    let lease = Duration::seconds(60);
    // Two workers claiming at once never get the same job.
    let (a, b) = tokio::join!(store.claim_jobs(JobKind::ALL, now, lease, 4, MAX), store.claim_jobs(JobKind::ALL, now, lease, 4, MAX));
    let (a, b) = (a.expect("claim a"), b.expect("claim b"));
    let ids_a: BTreeSet<i64> = a.iter().map(|j| j.id).collect();
    let ids_b: BTreeSet<i64> = b.iter().map(|j| j.id).collect();
    assert!(ids_a.is_disjoint(&ids_b));
    assert_eq!(ids_a.len() + ids_b.len(), 6);
    assert!(store.claim_jobs(JobKind::ALL, now, lease, 10, MAX).await.expect("claim").is_empty(), "all leased");
    assert!(a.iter().chain(&b).all(|j| j.kind == JobKind::TicketCreated && matches!(j.job, Ok(Job::TicketCreated(_)))), "typed payloads");

    let first = a.first().or(b.first()).expect("a job").clone();
    assert_eq!(first.attempts, 1);
    store.complete_job(&first, now).await.expect("complete");
    let second = a.get(1).or(b.first()).expect("another job").clone();
    store.fail_job(&second, "smtp down", Retry::At(now + Duration::seconds(30)), now).await.expect("fail");

    // After the lease expires the unfinished jobs come back; the failed one only when due.
    let later = now + Duration::seconds(61);
    let again = store.claim_jobs(JobKind::ALL, later, lease, 10, MAX).await.expect("claim");
    let again_ids: BTreeSet<i64> = again.iter().map(|j| j.id).collect();
    assert!(!again_ids.contains(&first.id), "done jobs never come back");
    assert!(again_ids.contains(&second.id), "the failed job is due again");
    assert_eq!(again.len(), 5);
    assert!(again.iter().all(|j| j.attempts == 2));
    // Only the kinds asked for are claimed.
    app.open_ticket("Otro", "jobs@gob.example").await;
    assert!(store.claim_jobs(JobKind::MAIL, later, lease, 10, MAX).await.expect("claim").is_empty());
}

#[tokio::test]
async fn only_the_holder_of_the_lease_finishes_a_job() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Caso", "lease@gob.example").await;
    let store = app.desk.store();
    let now = tikal_store::now();
    let lease = Duration::seconds(60);
    let slow = store.claim_jobs(JobKind::ALL, now, lease, 1, MAX).await.expect("claim").pop().expect("job");
    // The slow worker's lease runs out and another worker takes the job.
    let later = now + Duration::seconds(61);
    let fast = store.claim_jobs(JobKind::ALL, later, lease, 1, MAX).await.expect("claim").pop().expect("job again");
    assert_eq!(slow.id, fast.id);
    assert_ne!(slow.lease, fast.lease);
    assert!(matches!(store.complete_job(&slow, later).await, Err(StoreError::LeaseLost)));
    assert!(matches!(store.fail_job(&slow, "late", Retry::At(later), later).await, Err(StoreError::LeaseLost)));
    assert_eq!(store.pending_jobs().await.expect("pending").len(), 1, "the stale worker changed nothing");
    store.complete_job(&fast, later).await.expect("the holder completes");
    assert!(store.pending_jobs().await.expect("pending").is_empty());
    assert!(matches!(store.complete_job(&fast, later).await, Err(StoreError::LeaseLost)), "done once");
}

#[tokio::test]
async fn a_job_that_keeps_failing_becomes_dead() {
    let app = TestApp::spawn().await;
    let store = app.desk.store();
    let mail = LinkMail {
        to: "a@gob.example".into(),
        link: Some("http://x/status/y".into()),
        number: Some("000001".into()),
        ..LinkMail::default()
    };
    let now = tikal_store::now();
    store.enqueue_job(&Job::TicketLink(mail), now).await.expect("enqueue");
    // Nothing listens on port 9 of loopback: every attempt fails.
    let mailer = Arc::new(SmtpMailer::new("smtp://127.0.0.1:9", "Mesa <mesa@gob.example>").expect("mailer"));
    let worker = Worker::new(store.clone(), mailer, OutboxSettings { max_attempts: 2, ..OutboxSettings::default() });
    assert_eq!(worker.run_due(now).await.expect("run"), 0);
    let jobs = store.outbox().await.expect("outbox");
    assert_eq!((jobs[0].state, jobs[0].attempts), (JobState::Pending, 1), "retried later");
    let later = now + Duration::hours(2);
    assert_eq!(worker.run_due(later).await.expect("run"), 0);
    let jobs = store.outbox().await.expect("outbox");
    assert_eq!((jobs[0].state, jobs[0].attempts), (JobState::Dead, 2), "given up after the maximum");
    assert!(jobs[0].last_error.as_deref().is_some_and(|e| e.contains("SMTP")), "{:?}", jobs[0].last_error);
    assert!(store.pending_jobs().await.expect("pending").is_empty());
    assert!(store.claim_jobs(JobKind::ALL, later + Duration::days(30), Duration::seconds(60), 10, 2).await.expect("claim").is_empty());
}

#[tokio::test]
async fn a_job_whose_workers_keep_dying_becomes_dead() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Veneno", "poison@gob.example").await;
    let store = app.desk.store();
    let lease = Duration::seconds(60);
    let mut at = tikal_store::now();
    // Each worker claims it and dies before finishing: the lease runs out every time.
    for attempt in 1..=2 {
        let job = store.claim_jobs(JobKind::ALL, at, lease, 1, 2).await.expect("claim").pop().expect("claimed");
        assert_eq!(job.attempts, attempt);
        at += Duration::seconds(61);
    }
    assert!(store.claim_jobs(JobKind::ALL, at, lease, 1, 2).await.expect("claim").is_empty());
    let jobs = store.outbox().await.expect("outbox");
    assert_eq!(jobs[0].state, JobState::Dead);
    assert!(jobs[0].last_error.as_deref().is_some_and(|e| e.contains("gave up")));
}

#[tokio::test]
async fn housekeeping_purges_done_jobs_after_the_configured_time() {
    let app = TestApp::spawn_with(|s| s.outbox.keep_done_hours = 1).await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Viejo", "purga@gob.example").await;
    app.open_ticket("Nuevo", "purga@gob.example").await;
    let store = app.desk.store();
    let now = tikal_store::now();
    let jobs = store.claim_jobs(JobKind::ALL, now, Duration::seconds(60), 10, MAX).await.expect("claim");
    store.complete_job(&jobs[0], now - Duration::hours(2)).await.expect("done long ago");
    store.complete_job(&jobs[1], now - Duration::minutes(10)).await.expect("done recently");
    assert_eq!(store.purge_done_jobs(now).await.expect("purge"), 1);
    assert_eq!(store.count_done_jobs().await.expect("count"), 1, "the recent one is kept");
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
