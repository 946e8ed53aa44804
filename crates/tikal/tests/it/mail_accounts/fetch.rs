//! Fetching from real IMAP and POP3 mailboxes (Dovecot): each message is handed to the intake
//! once, even with two pollers at once; the server is changed (seen, moved, deleted) only
//! after the intake stored the message, and a failed step is done on the next poll without
//! importing again; a failing intake leaves the message untouched.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;
use sea_orm::{ActiveModelTrait, Database, DatabaseConnection, NotSet, Set};
use serde_json::json;
use tikal_core::MailAccountId;
use tikal_jobs::{Fetcher, Intake, MailTls};
use tikal_service::Principal;
use tikal_store::entity::mail_inbound;
use tikal_testkit::{Dovecot, TestApp};

use super::{PASSWORD, USER, create, id_of, imap_body, pop3_body};

/// Stands in for the desk's mail intake: keeps one `mail_inbound` row per (account, remote
/// key), as the real one does, and counts the messages it stored. It fails on demand, as
/// the real one does when the database is down.
struct RecordingIntake {
    db: DatabaseConnection,
    stored: AtomicUsize,
    down: AtomicBool,
}

#[async_trait::async_trait]
impl Intake for RecordingIntake {
    async fn ingest(&self, account: MailAccountId, remote_key: String, raw: Bytes) -> Result<(), String> {
        if self.down.load(Ordering::SeqCst) {
            return Err("database unavailable".into());
        }
        let row = mail_inbound::ActiveModel {
            id: NotSet,
            account_id: Set(Some(account.get())),
            remote_key: Set(Some(remote_key)),
            message_id: Set(None),
            sha256: Set(format!("{:x}", raw.len())),
            size: Set(raw.len() as i64),
            status: Set("imported".into()),
            reason: Set(None),
            sender: Set(None),
            subject: Set(None),
            ticket_id: Set(None),
            entry_id: Set(None),
            attempts: Set(1),
            received_at: Set(tikal_store::now().timestamp_micros()),
            processed_at: Set(None),
        };
        match row.insert(&self.db).await {
            Ok(_) => {
                self.stored.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            // The same message again: stored already, which is success.
            Err(e) if e.to_string().to_lowercase().contains("unique") || e.to_string().contains("duplicate") => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

async fn intake(app: &TestApp) -> Arc<RecordingIntake> {
    let db = Database::connect(&app.database_url).await.expect("connect");
    Arc::new(RecordingIntake { db, stored: AtomicUsize::new(0), down: AtomicBool::new(false) })
}

fn fetcher(app: &TestApp, intake: &Arc<RecordingIntake>) -> Fetcher {
    Fetcher::new(app.desk.store().clone(), intake.clone(), MailTls::public().expect("tls"))
}

fn message(subject: &str) -> Vec<u8> {
    format!("From: Ana <ana@uni.example>\r\nTo: mesa@uni.example\r\nSubject: {subject}\r\nMessage-ID: <{subject}@uni.example>\r\n\r\nLa impresora no imprime.\r\n")
        .into_bytes()
}

/// Polls the account once (whatever its interval), as the poller does when it is due.
async fn poll(f: &Fetcher, app: &TestApp, id: MailAccountId) -> Option<Result<usize, String>> {
    let account = app.desk.mail_account(&Principal::System, id).await.expect("account");
    f.poll_account(&account, tikal_store::now()).await.expect("store")
}

#[tokio::test]
async fn imap_messages_are_imported_once_and_marked_seen_after() {
    let server = Dovecot::start(&[(USER, PASSWORD)]).await;
    for s in ["uno", "dos", "tres"] {
        server.append(USER, PASSWORD, "INBOX", &message(s)).await;
    }
    let app = TestApp::spawn().await;
    let id = id_of(&create(&app, imap_body("Buzón", &server, USER, PASSWORD)).await);
    let recorder = intake(&app).await;
    let (a, b) = (fetcher(&app, &recorder), fetcher(&app, &recorder));
    // Two nodes poll at once: one holds the lease, the other finds it taken.
    let now = tikal_store::now();
    let (ra, rb) = tokio::join!(a.poll_due(now), b.poll_due(now));
    let (ra, rb) = (ra.expect("poll"), rb.expect("poll"));
    assert_eq!(ra.imported + rb.imported, 3, "{ra:?} {rb:?}");
    assert_eq!(ra.accounts + rb.accounts, 1, "one node polled: {ra:?} {rb:?}");
    assert_eq!(recorder.stored.load(Ordering::SeqCst), 3);
    let left = server.messages(USER, PASSWORD, "INBOX").await;
    assert!(left.len() == 3 && left.iter().all(|m| m.seen), "{left:?}");
    let account = app.desk.mail_account(&Principal::System, id).await.expect("account");
    assert!(account.last_polled_at.is_some() && account.last_error.is_none() && account.locked_until.is_none(), "{account:?}");
    assert_eq!(a.poll_due(tikal_store::now()).await.expect("poll").accounts, 0, "not due again before its interval");

    // The intake cannot store: the message stays unread on the server, the error is shown,
    // and the next poll imports it.
    server.append(USER, PASSWORD, "INBOX", &message("cuatro")).await;
    recorder.down.store(true, Ordering::SeqCst);
    let failed = poll(&a, &app, id).await.expect("polled");
    assert!(failed.is_err(), "{failed:?}");
    let left = server.messages(USER, PASSWORD, "INBOX").await;
    assert!(left.iter().any(|m| m.subject == "cuatro" && !m.seen), "untouched: {left:?}");
    let account = app.desk.mail_account(&Principal::System, id).await.expect("account");
    assert!(account.last_error.as_deref().is_some_and(|e| e.contains("database unavailable")), "{account:?}");
    recorder.down.store(false, Ordering::SeqCst);
    assert_eq!(poll(&a, &app, id).await, Some(Ok(1)));
    assert_eq!(recorder.stored.load(Ordering::SeqCst), 4);
    assert!(server.messages(USER, PASSWORD, "INBOX").await.iter().all(|m| m.seen));
    assert!(app.desk.mail_account(&Principal::System, id).await.expect("account").last_error.is_none(), "a good poll clears the error");
}

#[tokio::test]
async fn imap_moves_and_deletes_only_what_was_stored() {
    let server = Dovecot::start(&[(USER, PASSWORD), ("borrar", PASSWORD)]).await;
    server.append(USER, PASSWORD, "INBOX", &message("mover")).await;
    let app = TestApp::spawn().await;
    let mut body = imap_body("Mover", &server, USER, PASSWORD);
    body["after_import"] = json!("move");
    body["move_to"] = json!("Procesados");
    let id = id_of(&create(&app, body).await);
    let recorder = intake(&app).await;
    let f = fetcher(&app, &recorder);
    // The folder to move to is missing: the message is stored but stays; the step fails.
    let first = poll(&f, &app, id).await.expect("polled");
    assert!(first.as_ref().is_err_and(|e| e.contains("Procesados") || e.to_lowercase().contains("mailbox")), "{first:?}");
    assert_eq!(recorder.stored.load(Ordering::SeqCst), 1);
    let left = server.messages(USER, PASSWORD, "INBOX").await;
    assert!(left.len() == 1 && !left[0].seen, "left as it was: {left:?}");
    // Once the folder exists, the next poll moves it without importing it again.
    server.create_folder(USER, PASSWORD, "Procesados").await;
    assert_eq!(poll(&f, &app, id).await, Some(Ok(0)));
    assert_eq!(recorder.stored.load(Ordering::SeqCst), 1, "imported once");
    assert!(server.messages(USER, PASSWORD, "INBOX").await.is_empty());
    assert_eq!(server.messages(USER, PASSWORD, "Procesados").await.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(), ["mover"]);

    server.append("borrar", PASSWORD, "INBOX", &message("borrar")).await;
    let mut body = imap_body("Borrar", &server, "borrar", PASSWORD);
    body["after_import"] = json!("delete");
    let del = id_of(&create(&app, body).await);
    recorder.down.store(true, Ordering::SeqCst);
    assert!(poll(&f, &app, del).await.expect("polled").is_err());
    assert_eq!(server.messages("borrar", PASSWORD, "INBOX").await.len(), 1, "not deleted before it is stored");
    recorder.down.store(false, Ordering::SeqCst);
    assert_eq!(poll(&f, &app, del).await, Some(Ok(1)));
    assert!(server.messages("borrar", PASSWORD, "INBOX").await.is_empty(), "deleted once stored");
}

#[tokio::test]
async fn pop3_keeps_or_deletes_after_import() {
    let server = Dovecot::start(&[(USER, PASSWORD), ("borrar", PASSWORD)]).await;
    for s in ["uno", "dos"] {
        server.append(USER, PASSWORD, "INBOX", &message(s)).await;
        server.append("borrar", PASSWORD, "INBOX", &message(s)).await;
    }
    let app = TestApp::spawn().await;
    let keep = id_of(&create(&app, pop3_body("Guardar", &server, USER, PASSWORD)).await);
    let mut body = pop3_body("Borrar", &server, "borrar", PASSWORD);
    body["after_import"] = json!("delete");
    let del = id_of(&create(&app, body).await);
    let recorder = intake(&app).await;
    let (a, b) = (fetcher(&app, &recorder), fetcher(&app, &recorder));
    let (ra, rb) = tokio::join!(poll(&a, &app, keep), poll(&b, &app, keep));
    let imported: usize = [ra, rb].into_iter().flatten().map(|r| r.expect("poll")).sum();
    assert_eq!(imported, 2);
    assert_eq!(poll(&a, &app, keep).await, Some(Ok(0)), "remembered by UIDL");
    assert_eq!(server.messages(USER, PASSWORD, "INBOX").await.len(), 2, "kept on the server");

    assert_eq!(poll(&a, &app, del).await, Some(Ok(2)));
    assert!(server.messages("borrar", PASSWORD, "INBOX").await.is_empty(), "deleted after import");
    assert_eq!(recorder.stored.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn fetched_mail_becomes_a_ticket_through_the_desk_intake() {
    let server = Dovecot::start(&[(USER, PASSWORD)]).await;
    server.append(USER, PASSWORD, "INBOX", &message("impresora-del-tercer-piso")).await;
    let app = TestApp::spawn().await;
    let dept = app.department("Soporte TI").await;
    let mut body = imap_body("Buzón", &server, USER, PASSWORD);
    body["department_id"] = json!(dept.get());
    let id = id_of(&create(&app, body).await);
    let f = Fetcher::new(app.desk.store().clone(), Arc::new(app.desk.clone()), MailTls::public().expect("tls"));
    assert_eq!(poll(&f, &app, id).await, Some(Ok(1)));
    let tickets: serde_json::Value = app.get("/api/v1/tickets").await.json().await.expect("json");
    assert!(tickets.to_string().contains("impresora-del-tercer-piso"), "a ticket from the mail: {tickets}");
    assert!(server.messages(USER, PASSWORD, "INBOX").await.iter().all(|m| m.seen));
    // Polled again (the message unread again by hand): known, not imported twice.
    let mut s = server.session(USER, PASSWORD).await;
    s.select("INBOX").await.expect("select");
    let _: Vec<_> = futures::TryStreamExt::try_collect(s.store("1", "-FLAGS (\\Seen)").await.expect("store")).await.expect("store");
    let _ = s.logout().await;
    assert_eq!(poll(&f, &app, id).await, Some(Ok(0)));
    let again: serde_json::Value = app.get("/api/v1/tickets").await.json().await.expect("json");
    assert_eq!(
        again.to_string().matches("impresora-del-tercer-piso").count(),
        tickets.to_string().matches("impresora-del-tercer-piso").count()
    );
}

/// A node dies in the middle of a poll (its task dropped mid-message, as kill -9 leaves it:
/// the open transaction rolled back, the lease left behind). Once the lease runs out another
/// node takes the account over; every message ends in exactly one ticket and is marked seen.
#[tokio::test]
async fn a_poller_dying_mid_poll_loses_and_duplicates_nothing() {
    const MESSAGES: usize = 40;
    let server = Dovecot::start(&[(USER, PASSWORD)]).await;
    for i in 0..MESSAGES {
        server.append(USER, PASSWORD, "INBOX", &message(&format!("caso-{i:02}"))).await;
    }
    let app = TestApp::spawn().await;
    app.department("Soporte TI").await;
    let id = id_of(&create(&app, imap_body("Buzón", &server, USER, PASSWORD)).await);
    let lease = std::time::Duration::from_secs(3);
    let node = |app: &TestApp| {
        Fetcher::new(app.desk.store().clone(), Arc::new(app.desk.clone()), MailTls::public().expect("tls"))
            .with_lease(lease, std::time::Duration::from_millis(500))
    };
    let imported = |app: &TestApp| {
        let desk = app.desk.clone();
        async move {
            let rows =
                desk.inbound_mail(&Principal::System, Some(tikal_core::mail_intake::InboundStatus::Imported), None).await.expect("list");
            rows.len()
        }
    };
    let first = node(&app);
    let account = app.desk.mail_account(&Principal::System, id).await.expect("account");
    let dying = tokio::spawn(async move { first.poll_account(&account, tikal_store::now()).await });
    let started = std::time::Instant::now();
    while imported(&app).await < 3 && started.elapsed() < std::time::Duration::from_secs(20) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    dying.abort();
    let _ = dying.await;
    let before = imported(&app).await;
    assert!(before < MESSAGES, "the node died mid-poll ({before} imported)");

    let second = node(&app);
    assert_eq!(poll(&second, &app, id).await, None, "the dead node's lease still holds the account");
    tokio::time::sleep(lease + std::time::Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    while server.messages(USER, PASSWORD, "INBOX").await.iter().any(|m| !m.seen) && started.elapsed() < std::time::Duration::from_secs(60) {
        assert!(matches!(poll(&second, &app, id).await, Some(Ok(_))), "the other node takes over");
    }
    assert_eq!(imported(&app).await, MESSAGES, "every message imported");
    let tickets: serde_json::Value = app.get("/api/v1/tickets?limit=100").await.json().await.expect("json");
    assert_eq!(tickets["tickets"].as_array().map(Vec::len), Some(MESSAGES), "once each");
    assert!(server.messages(USER, PASSWORD, "INBOX").await.iter().all(|m| m.seen));
}
