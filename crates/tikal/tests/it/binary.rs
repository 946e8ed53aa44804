//! The `tikal` binary as operators run it: CLI commands and crash durability.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tikal_testkit::fresh_database_url;

fn tikal(data_dir: &std::path::Path, db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tikal"));
    c.env("TIKAL_DATA_DIR", data_dir).env("TIKAL_DATABASE_URL", db).env("TIKAL_LOG", "warn");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Starts `tikal serve` and waits until it answers /readyz (bounded).
async fn start(data_dir: &std::path::Path, db: &str, port: u16) -> Child {
    let child = tikal(data_dir, db)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn tikal");
    let client = reqwest::Client::new();
    let mut child = child;
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await
            && r.status() == StatusCode::OK
        {
            return child;
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
    for w in 0..8 {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        workers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..400 {
                let body = json!({"subject": format!("Caso {w}-{i}"), "message": "m", "requester": {"email": format!("w{w}@gob.example")}});
                match client.post(&url).bearer_auth(&key).json(&body).send().await {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        if let Ok(v) = r.json::<serde_json::Value>().await {
                            acked.push(v["number"].as_str().unwrap_or_default().to_string());
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
    let probe = reqwest::Client::new();
    for _ in 0..12_000 {
        let page = probe.get(format!("{url}?limit=1")).bearer_auth(&key).send().await.ok();
        let seen = match page {
            Some(p) => p.json::<serde_json::Value>().await.ok().and_then(|v| v["tickets"][0]["number"].as_str().map(str::to_string)),
            None => None,
        };
        if seen.as_deref().and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n >= 150) {
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
