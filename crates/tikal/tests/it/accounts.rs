//! Accounts and links, as a stranger would try them: nobody reaches the tickets of an address
//! they have not proved to own; links are used by a button, not by following them; link quotas
//! belong to each client; sessions end when idle, when old, and never silently on a database
//! failure.

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use tikal_core::{EmailAddress, PersonName};
use tikal_jobs::{SmtpMailer, Worker};
use tikal_store::{PendingRegistration, SessionOwner};
use tikal_testkit::{SmtpSink, TestApp};

use crate::portal::queued_links;

fn browser() -> Client {
    Client::builder().cookie_store(true).build().expect("client")
}

fn no_redirects() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn csrf(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a form token") + 19;
    html[start..].split('"').next().unwrap_or_default().to_string()
}

fn notice(html: &str) -> Option<String> {
    html.split("id=\"notice\">").nth(1).and_then(|s| s.split('<').next()).map(str::to_string)
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).expect("email")
}

/// Posts the registration form from `client` (an `X-Forwarded-For` address: the test server
/// sees every request from loopback, as behind a local proxy).
async fn register(c: &Client, app: &TestApp, address: &str, name: &str, password: &str) -> reqwest::Response {
    let html = c.get(app.url("/register")).send().await.expect("get").text().await.expect("body");
    let form = [("csrf", csrf(&html)), ("email", address.into()), ("name", name.into()), ("password", password.into())];
    c.post(app.url("/register")).form(&form).send().await.expect("register")
}

/// An account made by staff: the address is known to be its owner's.
async fn account(app: &TestApp, address: &str, password: &str) {
    let store = app.desk.store();
    let name = PersonName::parse("Ana Torres").expect("name");
    let id = store.ensure_requester(&email(address), &name, tikal_store::now()).await.expect("requester");
    let password_hash = tikal_service::hash_password(password.into()).await.expect("hash");
    store.confirm_registration(id, Some(&PendingRegistration { password_hash, name, language: None })).await.expect("confirm");
}

fn mail_app(sink: &SmtpSink) -> impl FnOnce(&mut tikal::Settings) {
    let url = sink.url();
    move |s| s.mail = Some(tikal_jobs::MailSettings { smtp_url: url, from: "Mesa <mesa@gob.example>".into() })
}

fn worker(app: &TestApp, sink: &SmtpSink) -> Worker {
    let mailer = Arc::new(SmtpMailer::new(&sink.url(), "Mesa <mesa@gob.example>").expect("mailer"));
    Worker::new(app.desk.store().clone(), mailer, tikal_jobs::OutboxSettings::default())
}

/// The path of the link in the one delivered message to `to`.
fn link_to(sink: &SmtpSink, to: &str, path: &str) -> String {
    let message = sink.messages().into_iter().find(|m| m.contains(&format!("To: {to}"))).expect("a message to the address");
    let body = message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let start = body.find("http://").expect("a link");
    let link: String = body[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(link.contains(path), "{link}");
    link.split("127.0.0.1:8080").nth(1).expect("a link to the public URL").to_string()
}

#[tokio::test]
async fn without_mail_registration_never_takes_over_a_requester() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let uni = app.desk.store().create_organisation("Universidad", Some("uni.example"), tikal_store::now()).await.expect("organisation");
    // Someone who only phoned: an agent (here the API) opened a ticket for them.
    app.open_ticket("Sueldo mal calculado", "victima@gob.example").await;
    let before = app.desk.store().requester_account(&email("victima@gob.example")).await.expect("lookup").expect("requester");

    let stranger = no_redirects();
    let r = register(&stranger, &app, "victima@gob.example", "Impostor", "una clave larga 123").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "an address with tickets cannot be claimed without mail");
    let html = r.text().await.expect("body");
    assert!(html.contains("pida a la mesa de ayuda que le cree la cuenta"), "the refusal says what to do: {html}");
    let after = app.desk.store().requester_account(&email("victima@gob.example")).await.expect("lookup").expect("requester");
    assert!(after.password_hash.is_none(), "no password was set on the requester");
    assert_eq!(after.requester.name, before.requester.name, "nor their name overwritten");
    let r = stranger.get(app.url("/tickets")).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "not signed in");

    // A new address may register, but joins no organisation by its domain.
    let r = register(&no_redirects(), &app, "nuevo@uni.example", "Nuevo", "una clave larga 123").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/tickets");
    let created = app.desk.store().requester_account(&email("nuevo@uni.example")).await.expect("lookup").expect("account");
    assert_eq!(created.requester.organisation_id, None, "not in {uni:?} before the address is confirmed");
}

#[tokio::test]
async fn domain_restricted_registration_needs_mail() {
    let app =
        TestApp::spawn_with(|s| s.portal.registration = tikal_service::Registration::Domains(vec!["institucion.gob.example".into()])).await;
    let c = no_redirects();
    let r = c
        .post(app.url("/register"))
        .header("accept-language", "en")
        .form(&[
            ("csrf", csrf(&c.get(app.url("/register")).send().await.expect("get").text().await.expect("body"))),
            ("email", "ana@institucion.gob.example".into()),
            ("name", "Ana".into()),
            ("password", "una clave larga 123".into()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("needs this site to send mail"), "explained in the visitor's language");
    assert!(app.desk.store().requester_account(&email("ana@institucion.gob.example")).await.expect("lookup").is_none());
}

#[tokio::test]
async fn with_mail_every_address_gets_the_same_answer_and_only_its_owner_activates() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(mail_app(&sink)).await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let uni = app.desk.store().create_organisation("Universidad", Some("uni.example"), tikal_store::now()).await.expect("organisation");
    app.open_ticket("Proyector del aula 5", "decano@uni.example").await;
    account(&app, "ana@uni.example", "la clave de ana 2026").await;
    let decano = app.desk.store().requester_account(&email("decano@uni.example")).await.expect("lookup").expect("requester");

    let mut answers = Vec::new();
    for (address, name, password) in [
        ("nuevo@uni.example", "Nuevo", "la clave del nuevo 1"),
        ("decano@uni.example", "Impostor", "la clave del impostor"),
        ("ana@uni.example", "Impostor", "la clave del impostor"),
    ] {
        let r = register(&no_redirects(), &app, address, name, password).await;
        let status = r.status();
        answers.push((status, notice(&r.text().await.expect("body"))));
    }
    assert_eq!(answers[0].0, StatusCode::OK);
    assert!(answers[0].1.is_some());
    assert!(answers.iter().all(|a| *a == answers[0]), "the same answer for a new, a known and a registered address: {answers:?}");
    let pending = app.desk.store().requester_account(&email("nuevo@uni.example")).await.expect("lookup").expect("requester");
    assert_eq!(pending.requester.name.as_str(), "nuevo", "named after the address until confirmed");
    assert!(pending.password_hash.is_none() && pending.requester.organisation_id.is_none());
    let unchanged = app.desk.store().requester_account(&email("decano@uni.example")).await.expect("lookup").expect("requester");
    assert!(unchanged.password_hash.is_none() && unchanged.requester.name == decano.requester.name, "nothing changes before confirmation");

    assert_eq!(worker(&app, &sink).run_due(tikal_store::now()).await.expect("worker"), 3);
    let to_ana = sink.messages().into_iter().find(|m| m.contains("To: ana@uni.example")).expect("mail to ana");
    assert!(to_ana.contains("Ya tiene una cuenta"), "an existing account is told so: {to_ana}");

    // The owner of a known address got a link someone else asked for: without that person's
    // password it activates nothing, and it stays usable for nobody but the address's owner.
    let path = link_to(&sink, "decano@uni.example", "/register/confirm/");
    let owner = browser();
    let html = owner.get(app.url(&path)).send().await.expect("get").text().await.expect("body");
    let r = owner.post(app.url(&path)).form(&[("csrf", csrf(&html)), ("password", "no sé cuál era".into())]).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.desk.sign_in("decano@uni.example", "la clave del impostor", "test").await.is_err(), "the impostor cannot sign in");

    // A new address confirmed by its owner: signed in, and now in the organisation.
    let path = link_to(&sink, "nuevo@uni.example", "/register/confirm/");
    let c = browser();
    for _ in 0..2 {
        let page = c.get(app.url(&path)).send().await.expect("get");
        assert_eq!(page.status(), StatusCode::OK, "following the link uses nothing");
    }
    let html = c.get(app.url(&path)).send().await.expect("get").text().await.expect("body");
    let r = c.post(app.url(&path)).form(&[("csrf", csrf(&html)), ("password", "la clave del nuevo 1".into())]).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.url().path().starts_with("/tickets"), "confirmed and signed in");
    let nuevo = app.desk.store().requester_account(&email("nuevo@uni.example")).await.expect("lookup").expect("account");
    assert_eq!(nuevo.requester.organisation_id, Some(uni.id), "joined by domain once the address is proved");
    assert_eq!(nuevo.requester.name.as_str(), "Nuevo", "the registration took effect");
}

#[tokio::test]
async fn a_stranger_cannot_use_up_the_link_quota_of_an_address() {
    // Behind a proxy on this machine, so each request can name its client.
    let app = TestApp::spawn_with(|s| s.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("cidr")]).await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Impresora", "rosa@gob.example").await;
    let ask = |c: Client, from: &'static str| {
        let url = app.url("/status");
        async move {
            let html = c.get(&url).send().await.expect("get").text().await.expect("body");
            let form = [("csrf", csrf(&html)), ("email", "rosa@gob.example".into()), ("number", "000001".into())];
            c.post(&url).header("x-forwarded-for", from).form(&form).send().await.expect("post").status()
        }
    };
    // The stored quota, per client and address (the per-client rate limit in front of the
    // page stops a single client earlier; the quota holds across nodes and restarts).
    let number = tikal_core::TicketNumber::parse("000001").expect("number");
    for _ in 0..8 {
        app.desk.request_ticket_link(&email("rosa@gob.example"), &number, "http://h", "203.0.113.66").await.expect("asked");
    }
    assert_eq!(queued_links(&app, "mail.ticket_link").await.len(), 5, "the stranger's allowance for this address");
    let stranger = browser();
    for _ in 0..8 {
        let status = ask(stranger.clone(), "203.0.113.66").await;
        assert!(status == StatusCode::OK || status == StatusCode::TOO_MANY_REQUESTS, "{status}");
    }
    assert_eq!(queued_links(&app, "mail.ticket_link").await.len(), 5, "still the stranger's allowance");
    assert_eq!(ask(browser(), "198.51.100.7").await, StatusCode::OK);
    assert_eq!(queued_links(&app, "mail.ticket_link").await.len(), 6, "rosa still gets her link");
}

#[tokio::test]
async fn links_are_used_by_their_button_and_queued_mail_holds_no_link() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.open_ticket("Sin correo", "rosa@gob.example").await;
    let desk = &app.desk;
    desk.request_ticket_link(&email("rosa@gob.example"), &tikal_core::TicketNumber::parse("000001").expect("n"), "http://h", "test")
        .await
        .expect("link");
    desk.request_password_reset(&email("rosa@gob.example"), "http://h", "test").await.expect("reset");

    // Nothing in a queued job opens anything: not its values, not their hashes.
    for (_, payload) in desk.store().pending_jobs().await.expect("jobs") {
        let v: serde_json::Value = serde_json::from_str(&payload).expect("json");
        assert!(v.get("link").is_none(), "{payload}");
        for value in v.as_object().expect("object").values().filter_map(|x| x.as_str()) {
            for candidate in [value.to_string(), value.rsplit('/').next().unwrap_or_default().to_string()] {
                assert!(desk.ticket_link_target(&candidate).await.expect("lookup").is_none(), "{payload}");
                assert!(!desk.reset_link_live(&candidate).await.expect("lookup"), "{payload}");
            }
        }
    }

    // A mail scanner follows the links: they still work for the person.
    let status = queued_links(&app, "mail.ticket_link").await.remove(0).replacen("http://h", "", 1);
    let reset = queued_links(&app, "mail.password_reset").await.remove(0).replacen("http://h", "", 1);
    for _ in 0..3 {
        let scanned = browser().get(app.url(&status)).send().await.expect("get");
        assert_eq!(scanned.status(), StatusCode::OK);
        assert!(!scanned.text().await.expect("body").contains("Sin correo"), "the page only offers a button");
        assert_eq!(browser().get(app.url(&reset)).send().await.expect("get").status(), StatusCode::OK);
    }
    let c = browser();
    let html = c.get(app.url(&status)).send().await.expect("get").text().await.expect("body");
    let opened = c.post(app.url(&status)).form(&[("csrf", csrf(&html))]).send().await.expect("post");
    assert_eq!(opened.url().path(), "/tickets/000001");
    assert!(opened.text().await.expect("body").contains("Sin correo"));
    let c = browser();
    let html = c.get(app.url(&reset)).send().await.expect("get").text().await.expect("body");
    let form = [("csrf", csrf(&html)), ("password", "una clave nueva y larga".into())];
    let done = c.post(app.url(&reset)).form(&form).send().await.expect("post");
    assert_eq!(done.url().path(), "/tickets", "reset and signed in");
    assert_eq!(browser().get(app.url(&status)).send().await.expect("get").status(), StatusCode::NOT_FOUND, "used up");
    assert_eq!(browser().get(app.url(&reset)).send().await.expect("get").status(), StatusCode::NOT_FOUND, "used up");
    // A form from another site cannot press the button.
    let r = browser().post(app.url(&status)).header("origin", "https://evil.example").form(&[("csrf", "x")]).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_and_downloads_are_not_cached() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let c = browser();
    let r = register(&c, &app, "ana@gob.example", "Ana", "una clave larga 123").await;
    assert_eq!(r.url().path(), "/tickets");
    assert_eq!(r.headers()["cache-control"], "no-store", "a signed-in page");
    let html = c.get(app.url("/tickets/new")).send().await.expect("get").text().await.expect("body");
    let form = reqwest::multipart::Form::new().text("csrf", csrf(&html)).text("subject", "Informe").text("body", "Adjunto").part(
        "attachments",
        reqwest::multipart::Part::bytes(b"%PDF-1.4".to_vec()).file_name("informe.pdf").mime_str("application/pdf").expect("mime"),
    );
    assert_eq!(c.post(app.url("/tickets/new")).multipart(form).send().await.expect("post").status(), StatusCode::OK);
    let download = c.get(app.url("/tickets/000001/attachments/1")).send().await.expect("download");
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["cache-control"], "no-store", "a download");
    let api = app.get("/api/v1/tickets/000001/attachments/1").await;
    assert_eq!(api.status(), StatusCode::OK);
    assert_eq!(api.headers()["cache-control"], "no-store", "a download through the API");
    let login = browser().get(app.url("/login")).send().await.expect("get").text().await.expect("body");
    let css = login.split("href=\"/static/").nth(1).and_then(|s| s.split('"').next()).expect("a stylesheet");
    let css = c.get(app.url(&format!("/static/{css}"))).send().await.expect("css");
    assert_ne!(css.headers().get("cache-control").map(|v| v.to_str().unwrap_or_default()), Some("no-store"), "assets stay cacheable");
    assert!(css.headers().get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
}

#[tokio::test]
async fn over_tls_cookies_are_secure_host_cookies_and_hsts_is_sent() {
    let app = TestApp::spawn_with(|s| s.portal.public_url = "https://mesa.gob.example".into()).await;
    let r = reqwest::get(app.url("/login")).await.expect("get");
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let cookie = r.headers()["set-cookie"].to_str().expect("ascii").to_string();
    assert!(cookie.starts_with("__Host-tikal_csrf=") && cookie.contains("; Secure") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain="), "{cookie}");

    // The browser sends the __Host- cookies back; the session cookie is one too.
    let token = cookie.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_string()).expect("token");
    account(&app, "ana@gob.example", "una clave larga 123").await;
    let r = no_redirects()
        .post(app.url("/login"))
        .header("cookie", format!("__Host-tikal_csrf={token}"))
        .form(&[("csrf", token.as_str()), ("email", "ana@gob.example"), ("password", "una clave larga 123")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-tikal_session="))
        .expect("a __Host- session cookie")
        .to_string();
    assert!(session.contains("; Secure") && session.contains("HttpOnly"), "{session}");
    let value = session.split(';').next().expect("pair").to_string();
    let page = no_redirects().get(app.url("/tickets")).header("cookie", value).send().await.expect("get");
    assert_eq!(page.status(), StatusCode::OK, "signed in with the __Host- cookie");
}

#[tokio::test]
async fn sessions_end_when_idle_and_when_too_old() {
    let app = TestApp::spawn_with(|s| {
        s.portal.session_idle_minutes = 30;
        s.portal.session_lifetime_hours = 2;
    })
    .await;
    account(&app, "ana@gob.example", "una clave larga 123").await;
    let ana = app.desk.store().requester_account(&email("ana@gob.example")).await.expect("lookup").expect("account").requester.id;
    let now = tikal_store::now();
    let session = |token: &str, began: chrono::DateTime<chrono::Utc>| {
        let store = app.desk.store().clone();
        let hash = tikal_service::token_hash(token);
        async move {
            // Expiring far away, as if made under longer settings: the settings of now decide.
            store
                .create_session(&hash, &SessionOwner::Requester(ana), "t", began, began + chrono::Duration::days(14))
                .await
                .expect("session");
        }
    };
    let status = |token: String| {
        let url = app.url("/profile");
        async move { no_redirects().get(url).header("cookie", format!("tikal_session={token}")).send().await.expect("get").status() }
    };
    let (recent, idle, old) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
    session(&recent, now - chrono::Duration::minutes(10)).await;
    session(&idle, now - chrono::Duration::minutes(31)).await;
    assert_eq!(status(recent.clone()).await, StatusCode::OK);
    assert_eq!(status(idle).await, StatusCode::SEE_OTHER, "idle for longer than session_idle_minutes");

    // Use keeps a session alive until its absolute lifetime.
    let hash = tikal_service::token_hash(&recent);
    let seen = app.desk.store().session(&hash, tikal_store::now(), now - chrono::Duration::days(1), now - chrono::Duration::days(1)).await;
    assert!(seen.expect("read").expect("live").last_seen_at > now - chrono::Duration::minutes(1), "the request counted as use");
    session(&old, now - chrono::Duration::hours(3)).await;
    app.desk.store().touch_session(&tikal_service::token_hash(&old), now).await.expect("touch");
    assert_eq!(status(old).await, StatusCode::SEE_OTHER, "older than session_lifetime_hours, however recently used");
}

#[tokio::test]
async fn a_database_failure_reading_the_session_is_an_error_not_a_sign_out() {
    let mut url = None;
    let app = TestApp::spawn_with(|s| url = s.database_url.clone()).await;
    let c = no_redirects();
    let r = register(&c, &app, "ana@gob.example", "Ana", "una clave larga 123").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.get(app.url("/profile")).send().await.expect("get").status(), StatusCode::OK);

    // The sessions table becomes unreadable (as when the database fails).
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(url.expect("database url")).await.expect("connect");
    db.execute_unprepared("ALTER TABLE sessions RENAME TO sessions_away").await.expect("rename");
    let r = c.get(app.url("/profile")).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "not a redirect to the sign-in page");
    let html = r.text().await.expect("body");
    assert!(!html.contains("action=\"/login\"") && !html.contains("sessions_away"), "an error page without internal text: {html}");
    db.execute_unprepared("ALTER TABLE sessions_away RENAME TO sessions").await.expect("rename back");
    let _ = db.close().await;
}

#[tokio::test]
async fn upgrading_keeps_open_sessions_and_pending_accounts() {
    use sea_orm::ConnectionTrait;
    use sea_orm_migration::MigratorTrait;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = tikal_testkit::fresh_database_url(dir.path()).await;
    // A database as the previous version left it (migrations up to m0002), with data in it.
    let db = sea_orm::Database::connect(&url).await.expect("connect");
    tikal_store::migration::Migrator::up(&db, Some(2)).await.expect("old schema");
    let now = tikal_store::now();
    let micros = |t: chrono::DateTime<chrono::Utc>| t.timestamp_micros();
    let hash = tikal_service::hash_password("la clave de antes 1".into()).await.expect("hash");
    let (session, link) = ("s".repeat(64), "l".repeat(64));
    for sql in [
        format!(
            "INSERT INTO requesters (email, name, created_at, verification_pending, password_hash) VALUES ('antes@gob.example', 'Antes', {}, TRUE, '{hash}')",
            micros(now)
        ),
        format!(
            "INSERT INTO sessions (id_hash, principal_kind, principal_id, csrf_token, created_at, expires_at) VALUES ('{}', 'requester', 1, 't', {}, {})",
            tikal_service::token_hash(&session),
            micros(now - chrono::Duration::hours(1)),
            micros(now + chrono::Duration::days(13)),
        ),
        format!(
            "INSERT INTO access_tokens (token_hash, purpose, requester_id, expires_at, created_at) VALUES ('{}', 'verify_email', 1, {}, {})",
            tikal_service::token_hash(&link),
            micros(now + chrono::Duration::hours(23)),
            micros(now),
        ),
    ] {
        db.execute_unprepared(&sql).await.expect("old data");
    }
    let _ = db.close().await;

    let store = tikal_store::Store::connect(&url, dir.path()).await.expect("store");
    store.migrate().await.expect("upgrade");
    let desk = tikal_service::Desk::new(store, tikal_service::DeskConfig::default());
    assert!(desk.session(&session).await.expect("read").is_some(), "a session open at the upgrade goes on");
    assert_eq!(desk.confirm_email(&link, "otra").await.expect("confirm"), tikal_service::Confirmed::WrongPassword);
    let confirmed = desk.confirm_email(&link, "la clave de antes 1").await.expect("confirm");
    assert!(matches!(confirmed, tikal_service::Confirmed::SignedIn(_)), "an account registered before confirms with its link");
    assert!(desk.sign_in("antes@gob.example", "la clave de antes 1", "test").await.is_ok());
}
