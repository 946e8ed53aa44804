//! Starts Tikal as a user meets it: the real server on a random port with a fresh database
//! (a SQLite file, or a new PostgreSQL database when `TIKAL_TEST_PG` holds a server URL such as
//! `postgres://postgres@127.0.0.1:5432`), plus typed helpers for tests.

use std::path::Path;

mod dovecot;
pub use dovecot::{Dovecot, Left};

use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tempfile::TempDir;
use tikal::Settings;
use tikal_core::{AgentId, DepartmentId, EmailAddress, PersonName};
use tikal_service::{Desk, Principal};
use tikal_store::NewAgent;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The PostgreSQL server to test against, if any.
pub fn pg_server() -> Option<String> {
    std::env::var("TIKAL_TEST_PG").ok().filter(|s| !s.is_empty()).map(|s| s.trim_end_matches('/').to_string())
}

/// A database URL for a fresh, empty database: a new PostgreSQL database (named
/// `tikal_t_<random>`, dropped by the test script) or a SQLite file in `dir`.
pub async fn fresh_database_url(dir: &Path) -> String {
    match pg_server() {
        Some(server) => {
            let name = format!("tikal_t_{:016x}", rand::random::<u64>());
            let admin = Database::connect(format!("{server}/postgres")).await.expect("connect to the PostgreSQL server of TIKAL_TEST_PG");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            let _ = admin.close().await;
            format!("{server}/{name}")
        }
        None => format!("sqlite://{}?mode=rwc", dir.join("tikal.db").display()),
    }
}

pub struct TestApp {
    pub base: String,
    /// A full-access API key.
    pub key: String,
    pub client: reqwest::Client,
    pub desk: Desk,
    pub dir: TempDir,
    /// The database this app runs on (for a second node or a direct look).
    pub database_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Like `spawn`, with settings changed first (portal policy, desk rules...).
    pub async fn spawn_with(change: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = fresh_database_url(dir.path()).await;
        let mut settings = Settings { data_dir: dir.path().to_path_buf(), database_url: Some(url.clone()), ..Settings::default() };
        change(&mut settings);
        let desk = tikal::startup::open_desk(&settings).await.expect("open desk");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let server_desk = desk.clone();
        let http = settings.http.clone();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            tikal::startup::run(server_desk, http, listener, Default::default(), shutdown).await.expect("server");
        });
        let key = desk.create_api_key("tests").await.expect("api key");
        TestApp { base, key, client: reqwest::Client::new(), desk, dir, database_url: url, shutdown: Some(tx), server: Some(server) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(&self.key).send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).bearer_auth(&self.key).json(body).send().await.expect("POST")
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.client.patch(self.url(path)).bearer_auth(&self.key).json(body).send().await.expect("PATCH")
    }

    /// Sends raw bytes as JSON (for malformed-input tests).
    pub async fn post_raw(&self, path: &str, body: &'static str) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn department(&self, name: &str) -> DepartmentId {
        self.desk.store().create_department(name, None, tikal_store::now()).await.expect("department").id
    }

    /// Opens a ticket through the API and returns its JSON.
    pub async fn open_ticket(&self, subject: &str, email: &str) -> Value {
        let resp = self
            .post("/api/v1/tickets", &json!({"subject": subject, "message": "Detalle del problema", "requester": {"email": email}}))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "open ticket");
        resp.json().await.expect("ticket json")
    }

    /// An agent holding `role` (agent, supervisor, read_only) in the given departments.
    pub async fn agent(&self, email: &str, role: &str, depts: &[DepartmentId]) -> Principal {
        let store = self.desk.store();
        let a = store
            .create_agent(
                NewAgent {
                    email: EmailAddress::parse(email).expect("email"),
                    name: PersonName::parse(email).expect("name"),
                    password_hash: None,
                    is_admin: false,
                },
                tikal_store::now(),
            )
            .await
            .expect("agent");
        let roles = store.ensure_builtin_roles().await.expect("roles");
        for d in depts {
            store.grant(a.id, *d, roles[role]).await.expect("grant");
        }
        self.desk.agent_principal(a.id).await.expect("principal")
    }

    /// An agent who signs in at `/agent/login` with the returned password, made the way the
    /// `tikal agent create` command makes one.
    pub async fn agent_with_password(&self, email: &str, role: &str, depts: &[DepartmentId]) -> (Principal, String) {
        let password = "clave de agente 2026".to_string();
        let memberships: Vec<tikal_service::Membership> =
            depts.iter().map(|d| tikal_service::Membership { department: d.get().to_string(), role: role.into() }).collect();
        let a = self
            .desk
            .create_agent(
                &Principal::System,
                EmailAddress::parse(email).expect("email"),
                PersonName::parse(email).expect("name"),
                password.clone(),
                &memberships,
            )
            .await
            .expect("agent");
        (self.desk.agent_principal(a.id).await.expect("principal"), password)
    }

    /// An administrator who signs in at `/agent/login` with the returned password, made the
    /// way `tikal admin create` makes one.
    pub async fn admin_with_password(&self, email: &str) -> (Principal, String) {
        let password = "clave de administración 2026".to_string();
        let a = tikal::demo::create_admin(
            &self.desk,
            EmailAddress::parse(email).expect("email"),
            PersonName::parse("Administradora TI").expect("name"),
            password.clone(),
        )
        .await
        .expect("admin");
        (self.desk.agent_principal(a.id).await.expect("principal"), password)
    }

    pub fn agent_id(p: &Principal) -> AgentId {
        match p {
            Principal::Agent { id, .. } => *id,
            _ => panic!("not an agent"),
        }
    }

    /// A requester principal for the address (created if needed by opening a ticket first).
    pub async fn requester(&self, email: &str) -> Principal {
        let r = self
            .desk
            .store()
            .requester_by_email(&EmailAddress::parse(email).expect("email"))
            .await
            .expect("lookup")
            .expect("requester exists");
        Principal::Requester { id: r.id, name: r.name.as_str().to_string(), organisation: r.organisation_id }
    }

    /// Stops the server, letting in-flight requests finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An SMTP sink on loopback (aiosmtpd, installed by scripts/test) that keeps every message it
/// receives as a file, so tests read what Tikal sent.
pub struct SmtpSink {
    pub port: u16,
    dir: TempDir,
    child: std::process::Child,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port");
        let mailbox = dir.path().join("mail");
        let child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&mailbox)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (scripts/test installs it)");
        let sink = SmtpSink { port, dir, child };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return sink;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the SMTP sink did not start (is aiosmtpd installed?)");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as raw RFC 5322 text.
    pub fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("mail").join("new");
        let mut out: Vec<String> = std::fs::read_dir(new)
            .map(|entries| entries.filter_map(|e| e.ok()).filter_map(|e| std::fs::read_to_string(e.path()).ok()).collect())
            .unwrap_or_default();
        out.sort();
        out
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A ticket to hand straight to the store (group-commit and write tests), decided by the core's
/// opening rules with the default matrix and SLA targets.
pub fn new_ticket(email: &str, subject: &str, dept: tikal_core::DepartmentId, channel: tikal_core::Channel) -> tikal_store::NewTicket {
    use tikal_core::*;
    let (matrix, sla) = (PriorityMatrix::default(), tikal_core::sla::SlaPolicy::default());
    let rules = OpeningRules { matrix: &matrix, sla: &sla };
    let title = Subject::parse(subject).expect("subject");
    let opening = Opening::decide(
        title,
        channel,
        dept,
        TopicDefaults::default(),
        Requested::default(),
        Default::default(),
        rules,
        tikal_store::now(),
    )
    .expect("opening");
    tikal_store::NewTicket {
        opening,
        requester_email: EmailAddress::parse(email).expect("email"),
        requester_name: PersonName::parse("Usuario").expect("name"),
        body: format!("cuerpo de {subject}"),
        opened_by: None,
        attachments: Vec::new(),
        mail: None,
    }
}

/// A browser without JavaScript: keeps cookies, follows redirects, reads form tokens.
pub mod web {
    use reqwest::{Client, StatusCode};

    use super::TestApp;

    pub fn browser() -> Client {
        Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::limited(5)).build().expect("client")
    }

    /// The first form token in a page.
    pub fn csrf(html: &str) -> String {
        let start = html.find("name=\"csrf\" value=\"").expect("a form token on the page") + 19;
        html[start..].split('"').next().unwrap_or_default().to_string()
    }

    pub async fn get(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String) {
        let r = c.get(app.url(path)).send().await.expect("get");
        (r.status(), r.text().await.expect("body"))
    }

    pub async fn post(c: &Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let r = c.post(app.url(path)).form(form).send().await.expect("post");
        (r.status(), r.text().await.expect("body"))
    }

    /// Signs an agent in at `/agent/login`; returns the dashboard's HTML.
    pub async fn agent_sign_in(c: &Client, app: &TestApp, email: &str, password: &str) -> String {
        let (_, html) = get(c, app, "/agent/login").await;
        let token = csrf(&html);
        let (status, html) = post(c, app, "/agent/login", &[("csrf", &token), ("email", email), ("password", password)]).await;
        assert_eq!(status, StatusCode::OK, "signed in: {html}");
        html
    }
}
