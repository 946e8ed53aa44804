//! The `tikal` binary as operators run it: CLI commands and crash durability.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tikal_testkit::fresh_database_url;

pub(crate) fn tikal(data_dir: &std::path::Path, db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tikal"));
    c.env("TIKAL_DATA_DIR", data_dir).env("TIKAL_DATABASE_URL", db).env("TIKAL_LOG", "warn");
    c
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Starts `tikal serve` and waits until it answers /readyz (bounded).
async fn start(data_dir: &std::path::Path, db: &str, port: u16) -> Child {
    let mut cmd = tikal(data_dir, db);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")]).stdout(Stdio::null()).stderr(Stdio::null());
    wait_ready(cmd.spawn().expect("spawn tikal"), port, 300).await
}

/// A server's output, written to files so it can be read while it runs.
struct Output {
    stdout: std::path::PathBuf,
    stderr: std::path::PathBuf,
}

impl Output {
    fn new(dir: &std::path::Path, name: &str) -> Output {
        Output { stdout: dir.join(format!("{name}.out")), stderr: dir.join(format!("{name}.err")) }
    }

    fn attach(&self, cmd: &mut Command) {
        cmd.stdout(std::fs::File::create(&self.stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&self.stderr).expect("stderr file"));
    }

    fn read(&self) -> (String, String) {
        (std::fs::read_to_string(&self.stdout).unwrap_or_default(), std::fs::read_to_string(&self.stderr).unwrap_or_default())
    }
}

/// Runs `tikal serve <args>` (logs at the default level unless `log` says) until it is ready.
async fn serve_with_output(data_dir: &std::path::Path, db: &str, port: u16, args: &[&str], log: Option<&str>, out: &Output) -> Child {
    let mut cmd = tikal(data_dir, db);
    match log {
        Some(level) => cmd.env("TIKAL_LOG", level),
        None => cmd.env_remove("TIKAL_LOG"),
    };
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")]).args(args);
    out.attach(&mut cmd);
    // Seeding the demo takes a while on a debug build.
    wait_ready(cmd.spawn().expect("spawn tikal"), port, 2400).await
}

pub(crate) fn stop(mut server: Child) {
    server.kill().expect("kill");
    server.wait().expect("reap");
}

pub(crate) async fn wait_ready(mut child: Child, port: u16, tries: u32) -> Child {
    let client = reqwest::Client::new();
    for _ in 0..tries {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await
            && r.status() == StatusCode::OK
        {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("tikal serve exited: {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("tikal serve did not become ready");
}

#[tokio::test]
async fn cli_commands_and_admin_creation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database_url(dir.path()).await;
    let out = tikal(dir.path(), &db).arg("migrate").output().expect("migrate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = tikal(dir.path(), &db).args(["api-key", "create", "--name", "mesa"]).output().expect("api-key");
    assert!(out.status.success());
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(key.starts_with("tk_") && key.len() == 67, "{key}");
    let listed = tikal(dir.path(), &db).args(["api-key", "list"]).output().expect("list");
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(listed.starts_with("1\tmesa\t") && listed.trim_end().ends_with("active"), "{listed}");
    assert!(!listed.contains(&key[3..]), "the key itself is never shown again");
    assert!(tikal(dir.path(), &db).args(["api-key", "revoke", "--id", "1"]).output().expect("revoke").status.success());
    assert!(!tikal(dir.path(), &db).args(["api-key", "revoke", "--id", "99"]).output().expect("revoke").status.success());
    let listed = tikal(dir.path(), &db).args(["api-key", "list"]).output().expect("list");
    assert!(String::from_utf8_lossy(&listed.stdout).trim_end().ends_with("revoked"));

    let mut admin = tikal(dir.path(), &db)
        .args(["admin", "create", "--email", "jefa@gob.example", "--name", "Jefa de TI", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("admin create");
    {
        use std::io::Write;
        let mut stdin = admin.stdin.take().expect("stdin");
        stdin.write_all(b"una clave larga y segura\n").expect("write");
    }
    let out = admin.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("jefa@gob.example"));

    let mut short = tikal(dir.path(), &db)
        .args(["admin", "create", "--email", "x@gob.example", "--name", "X", "--password-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        short.stdin.take().expect("stdin").write_all(b"corta\n").expect("write");
    }
    assert!(!short.wait_with_output().expect("wait").status.success(), "short passwords are refused");
    let bad = tikal(dir.path(), &db).args(["serve", "--listen", "not-an-address"]).output().expect("run");
    assert!(!bad.status.success());

    // The catalogue from the command line, so a fresh install can take tickets.
    let out = tikal(dir.path(), &db).args(["department", "create", "--name", "Mesa de Ayuda (Nivel 1)"]).output().expect("department");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dept = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let out = tikal(dir.path(), &db)
        .args(["help-topic", "create", "--name", "Impresoras", "--department-id", &dept, "--priority", "4", "--type", "incident"])
        .output()
        .expect("topic");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bad_topic = tikal(dir.path(), &db).args(["help-topic", "create", "--name", "X", "--priority", "9"]).output().expect("topic");
    assert!(!bad_topic.status.success());
    let listed = tikal(dir.path(), &db).args(["help-topic", "list"]).output().expect("list");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("Impresoras"));
    let listed = tikal(dir.path(), &db).args(["department", "list"]).output().expect("list");
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), format!("{dept}\tMesa de Ayuda (Nivel 1)"));
}

/// Every ticket that got a 201 survives a SIGKILL of the server.
#[tokio::test]
async fn acknowledged_tickets_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database_url(dir.path()).await;
    let out = tikal(dir.path(), &db).args(["api-key", "create", "--name", "durability"]).output().expect("api-key");
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // A department to route to.
    let store = tikal_store::Store::connect(&db, dir.path()).await.expect("connect");
    store.create_department("Mesa de Ayuda (Nivel 1)", None, tikal_store::now()).await.expect("department");
    store.close().await;

    let port = free_port();
    let mut server = start(dir.path(), &db, port).await;
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/tickets");
    let mut workers = Vec::new();
    // Answers the clients received (a committed ticket whose answer is still on its way is
    // not acknowledged yet).
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for w in 0..8 {
        let (client, url, key, answered) = (client.clone(), url.clone(), key.clone(), answered.clone());
        workers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..400 {
                let body = json!({"subject": format!("Caso {w}-{i}"), "message": "m", "requester": {"email": format!("w{w}@gob.example")}});
                match client.post(&url).bearer_auth(&key).json(&body).send().await {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        if let Ok(v) = r.json::<serde_json::Value>().await {
                            acked.push(v["number"].as_str().unwrap_or_default().to_string());
                            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                    _ => break,
                }
            }
            acked
        }));
    }
    // Kill while requests are in flight: after some tickets were acknowledged (a generous bound:
    // a loaded CI machine is slow, and the test must not depend on its speed).
    for _ in 0..12_000 {
        if answered.load(std::sync::atomic::Ordering::SeqCst) >= 150 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reap");
    let mut acked = Vec::new();
    for w in workers {
        acked.extend(w.await.expect("worker"));
    }
    assert!(acked.len() >= 150, "tickets were acknowledged before the kill: {}", acked.len());

    let mut server = start(dir.path(), &db, port).await;
    for number in &acked {
        let r = client.get(format!("{url}/{number}")).bearer_auth(&key).send().await.expect("get");
        assert_eq!(r.status(), StatusCode::OK, "acknowledged ticket {number} is there after the crash");
    }
    // Numbers are never reused: the next ticket gets a number above every acknowledged one.
    let r = client
        .post(&url)
        .bearer_auth(&key)
        .json(&json!({"subject": "después", "message": "m", "requester": {"email": "z@gob.example"}}))
        .send()
        .await
        .expect("post");
    let next: serde_json::Value = r.json().await.expect("json");
    let max = acked.iter().filter_map(|n| n.parse::<u32>().ok()).max().unwrap_or(0);
    assert!(next["number"].as_str().and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n > max));
    server.kill().expect("kill");
    server.wait().expect("reap");
}

/// SIGTERM stops accepting work but lets a request already in flight finish.
#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database_url(dir.path()).await;
    let out = tikal(dir.path(), &db).args(["api-key", "create", "--name", "shutdown"]).output().expect("api-key");
    let key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(tikal(dir.path(), &db).args(["department", "create", "--name", "Mesa"]).output().expect("dept").status.success());
    let port = free_port();
    let mut server = start(dir.path(), &db, port).await;

    // A request whose body arrives slowly: SIGTERM is sent while it is still being uploaded.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let url = format!("http://127.0.0.1:{port}/api/v1/tickets");
    let request = tokio::spawn({
        let key = key.clone();
        async move { reqwest::Client::new().post(url).bearer_auth(key).header("content-type", "application/json").body(body).send().await }
    });
    tx.send(Ok(br#"{"subject": "Apagado ordenado", "message": "#.to_vec())).await.expect("first part");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.send(Ok(br#""en curso", "requester": {"email": "fin@gob.example"}}"#.to_vec())).await.expect("second part");
    drop(tx);
    let response = request.await.expect("join").expect("the in-flight request is answered");
    assert_eq!(response.status(), StatusCode::CREATED);
    let status = server.wait().expect("exit");
    assert!(status.success(), "a clean exit after SIGTERM: {status:?}");
}

/// A byte stream fed from a channel (the slow request body).
fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// A cookie-keeping client that registers a portal account (open registration, the default).
async fn portal_requester(base: &str, email: &str) -> reqwest::Client {
    let c = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let html = c.get(format!("{base}/register")).send().await.expect("get").text().await.expect("body");
    let start = html.find("name=\"csrf\" value=\"").expect("a form token") + 19;
    let token = html[start..].split('"').next().unwrap_or_default().to_string();
    let form = [("csrf", token.as_str()), ("email", email), ("name", "Rosa Chávez"), ("password", "una clave larga 123")];
    let r = c.post(format!("{base}/register")).form(&form).send().await.expect("register");
    assert_eq!(r.status(), StatusCode::OK, "registered");
    c
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run tikal");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A fresh install without `--demo`: `serve` says how to create the administrator and creates a
/// default department and help topic, so a ticket can be opened by API and portal at once;
/// a second start adds nothing.
#[tokio::test]
async fn a_fresh_install_takes_tickets_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database_url(dir.path()).await;
    let port = free_port();
    let out = Output::new(dir.path(), "first");
    let server = serve_with_output(dir.path(), &db, port, &[], None, &out).await;
    let (stdout, stderr) = out.read();
    assert!(stdout.contains(&format!("Tikal is running at http://127.0.0.1:{port}/")), "the real address: {stdout}");
    assert!(
        stderr.contains("tikal --data-dir") && stderr.contains("admin create --email") && stderr.contains("--password-stdin"),
        "how to create the administrator: {stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no colour codes when stderr is not a terminal: {stderr:?}");

    let mut admin = tikal(dir.path(), &db)
        .args(["admin", "create", "--email", "jefa@gob.example", "--name", "Jefa de TI", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("admin create");
    {
        use std::io::Write;
        admin.stdin.take().expect("stdin").write_all(b"una clave larga y segura\n").expect("write");
    }
    assert!(admin.wait_with_output().expect("wait").status.success());
    let key = run_ok(tikal(dir.path(), &db).args(["api-key", "create", "--name", "primera"])).trim().to_string();

    let base = format!("http://127.0.0.1:{port}");
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(&key)
        .json(&json!({"subject": "Primer ticket", "message": "Hola", "requester": {"email": "rosa@gob.example"}}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap_or_default());
    let t: serde_json::Value = r.json().await.expect("json");
    assert_eq!(t["department"]["name"], "Mesa de Ayuda");
    let requester = portal_requester(&base, "ana@gob.example").await;
    let page = requester.get(format!("{base}/tickets/new")).send().await.expect("get").text().await.expect("body");
    assert!(page.contains("Consulta general"), "the general help topic is offered: {page}");
    stop(server);

    // A second start finds the department (and an administrator): nothing added, nothing said.
    let again = Output::new(dir.path(), "second");
    stop(serve_with_output(dir.path(), &db, port, &[], None, &again).await);
    let (_, stderr) = again.read();
    assert!(!stderr.contains("admin create"), "{stderr}");
    assert_eq!(run_ok(tikal(dir.path(), &db).args(["department", "list"])).lines().count(), 1);
    assert_eq!(run_ok(tikal(dir.path(), &db).args(["help-topic", "list"])).lines().count(), 1);
}

/// Two nodes starting together on one database create the default catalogue once; it is
/// named in the organisation's language, and never comes back once any department exists.
#[tokio::test]
async fn the_default_catalogue_is_created_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database_url(dir.path()).await;
    let a = tikal_store::Store::connect(&db, dir.path()).await.expect("connect");
    a.migrate().await.expect("migrate");
    let b = tikal_store::Store::connect(&db, dir.path()).await.expect("connect");
    let at = tikal_store::now();
    let (x, y) = tokio::join!(
        a.ensure_default_catalog("Service Desk", "General enquiry", at),
        b.ensure_default_catalog("Service Desk", "General enquiry", at)
    );
    let created = [x.expect("first node"), y.expect("second node")];
    assert_eq!(created.iter().filter(|c| c.is_some()).count(), 1, "one node creates them");
    assert_eq!(a.departments().await.expect("departments").len(), 1);
    let topics = b.help_topics().await.expect("topics");
    assert_eq!(topics.len(), 1);
    assert_eq!((topics[0].name.as_str(), topics[0].department_id.is_some()), ("General enquiry", true));
    b.close().await;
    a.close().await;

    // Through start-up, in English, and not again on a database that has a department.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database_url(dir.path()).await;
    let mut settings = tikal::Settings { data_dir: dir.path().to_path_buf(), database_url: Some(db), ..Default::default() };
    settings.portal.default_language = "en".into();
    let desk = tikal::startup::open_desk(&settings).await.expect("desk");
    tikal::startup::first_start(&settings, &desk).await.expect("first start");
    let names: Vec<String> = desk.store().departments().await.expect("departments").into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["Service Desk"]);
    settings.portal.default_language = "es".into();
    tikal::startup::first_start(&settings, &desk).await.expect("second start");
    assert_eq!(desk.store().departments().await.expect("departments").len(), 1);
    assert_eq!(desk.store().help_topics().await.expect("topics")[0].name, "General enquiry");
}

/// `serve --demo` prints what works at the real address, logs one progress line per 50
/// tickets instead of one per ticket, and on a later start says how to get a new API key.
#[tokio::test]
async fn the_demo_says_how_to_get_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database_url(dir.path()).await;
    let port = free_port();
    let out = Output::new(dir.path(), "demo");
    let now = "2026-11-24T15:00:00Z";
    let server = serve_with_output(dir.path(), &db, port, &["--demo", "--demo-now", now], None, &out).await;
    let (stdout, stderr) = out.read();
    let url = format!("http://127.0.0.1:{port}/");
    assert!(stdout.contains(&format!("{url}login")) && stdout.contains("juan.perez@institucion.gob.example"), "{stdout}");
    assert!(stdout.contains(&format!("{url}api/v1/tickets")) && !stdout.contains("<listen>"), "{stdout}");
    assert!(
        stdout.contains(&format!("{url}agent/login"))
            && stdout.contains("supervisora@tikal.example")
            && stdout.contains("admin@tikal.example"),
        "the agents and the administrator sign in at the workspace: {stdout}"
    );
    let key = stdout.lines().find_map(|l| l.strip_prefix("Demo API key (shown only this once): ")).expect("the key").to_string();
    // A few lines per migration and start-up step, not one per demo ticket (there are dozens).
    assert!(stderr.lines().count() < 70, "no line per demo ticket: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "no colour codes: {stderr:?}");

    // The demo's clock stood still: its tickets are dated in the 60 days before --demo-now.
    // (Newest opened first: the SLA sweep of the demo's overdue tickets updates old ones.)
    let r =
        reqwest::Client::new().get(format!("{url}api/v1/tickets?limit=1&sort=created_desc")).bearer_auth(&key).send().await.expect("get");
    let newest: serde_json::Value = r.json().await.expect("json");
    let created = newest["tickets"][0]["created_at"].as_str().expect("created_at");
    let created = chrono::DateTime::parse_from_rfc3339(created).expect("time");
    let now = chrono::DateTime::parse_from_rfc3339(now).expect("time");
    assert!(created <= now && created > now - chrono::Duration::days(2), "{created}");
    stop(server);

    let again = Output::new(dir.path(), "demo-again");
    stop(serve_with_output(dir.path(), &db, port, &["--demo"], None, &again).await);
    let (stdout, _) = again.read();
    assert!(stdout.contains("api-key create --name") && stdout.contains(&format!("{url}login")), "{stdout}");
    assert!(!stdout.contains("tk_"), "the old key is gone: {stdout}");
}

/// The JSON lines `tikal outbox list <args>` prints.
fn outbox_list(data_dir: &std::path::Path, db: &str, args: &[&str]) -> Vec<serde_json::Value> {
    run_ok(tikal(data_dir, db).args(["outbox", "list"]).args(args))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line: {line:?}: {e}")))
        .collect()
}

/// `tikal outbox list` shows the jobs not done, pending and dead, with attempts and the last
/// error, and filters by state and kind; done jobs are not shown.
#[tokio::test]
async fn outbox_list_shows_pending_and_dead_jobs() {
    use tikal_core::{Channel, JobKind, NumberFormat, TicketNotice};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh_database_url(dir.path()).await;
    run_ok(tikal(dir.path(), &db).arg("migrate"));
    assert!(outbox_list(dir.path(), &db, &[]).is_empty(), "a new desk has nothing waiting");

    let dept = run_ok(tikal(dir.path(), &db).args(["department", "create", "--name", "Mesa"]));
    let dept = tikal_core::DepartmentId(dept.trim().parse().expect("department id"));
    let store = tikal_store::Store::connect(&db, dir.path()).await.expect("connect");
    let mut tickets = Vec::new();
    for subject in ["Se cae la VPN", "Impresora atascada", "Sin correo"] {
        let new = tikal_testkit::new_ticket("cola@gob.example", subject, dept, Channel::Api);
        let (t, _) = store.create_ticket(new, &NumberFormat::default(), &[TicketNotice::Created]).await.expect("create");
        tickets.push(t.id.get());
    }
    // One job is done, one gave up for good, one still waits.
    let now = tikal_store::now();
    let lease = chrono::Duration::seconds(60);
    let mut claimed = store.claim_jobs(JobKind::ALL, now, lease, 2, 10).await.expect("claim");
    assert_eq!(claimed.len(), 2);
    claimed.sort_by_key(|j| j.id);
    store.complete_job(&claimed[0], now).await.expect("complete");
    store.fail_job(&claimed[1], "550 buzón inexistente", tikal_store::Retry::Never, now).await.expect("fail");
    let dead_id = claimed[1].id;
    let before = store.outbox().await.expect("outbox");
    let waiting_id = before.iter().map(|j| j.id).find(|id| claimed.iter().all(|c| c.id != *id)).expect("the unclaimed job");
    let payload_of = |id: i64| -> serde_json::Value {
        let job = before.iter().find(|j| j.id == id).expect("job");
        serde_json::from_str(&job.payload).expect("JSON payload")
    };
    store.close().await;

    let all = outbox_list(dir.path(), &db, &[]);
    let ids: Vec<i64> = all.iter().map(|j| j["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, vec![dead_id, waiting_id], "not done jobs, in order; the done one is not shown: {all:?}");
    let dead = &all[0];
    assert_eq!(dead["state"], "dead");
    assert_eq!(dead["kind"], "notify.ticket_created");
    assert_eq!(dead["attempts"], 1);
    assert_eq!(dead["last_error"], "550 buzón inexistente");
    assert_eq!(dead["payload"], payload_of(dead_id), "the payload is shown as JSON");
    assert!(tickets.iter().any(|t| dead["payload"]["ticket_id"] == *t), "{dead}");
    assert!(chrono::DateTime::parse_from_rfc3339(dead["run_at"].as_str().expect("run_at")).is_ok());
    let waiting = &all[1];
    assert_eq!((&waiting["state"], &waiting["attempts"], &waiting["last_error"]), (&json!("pending"), &json!(0), &json!(null)));
    assert_eq!(waiting["payload"], payload_of(waiting_id));

    assert_eq!(outbox_list(dir.path(), &db, &["--state", "dead"]), vec![dead.clone()]);
    assert_eq!(outbox_list(dir.path(), &db, &["--state", "pending"]), vec![waiting.clone()]);
    assert_eq!(outbox_list(dir.path(), &db, &["--kind", "notify.ticket_created"]).len(), 2);
    assert!(outbox_list(dir.path(), &db, &["--kind", "mail.ticket_link"]).is_empty());
    let bad = tikal(dir.path(), &db).args(["outbox", "list", "--state", "done"]).output().expect("run");
    assert!(!bad.status.success(), "only pending and dead can be asked for");
}
