//! Statuses are data: a desk adds its own, each mapped to a state category, and retires them
//! without losing history; the schema upgrade keeps every existing ticket.

use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};
use tikal_core::StateCategory;
use tikal_service::{NewStatus, Principal};
use tikal_store::{StatusChange, Store};
use tikal_testkit::{TestApp, fresh_database_url};

fn vendor_wait() -> NewStatus {
    NewStatus {
        key: "espera_proveedor".into(),
        category: StateCategory::Pending,
        awaits_requester: false,
        name_es: "En espera del proveedor".into(),
        name_en: "Waiting on the vendor".into(),
        position: None,
    }
}

#[tokio::test]
async fn an_added_status_is_chosen_listed_by_state_and_retired_without_losing_tickets() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let t = app.open_ticket("El proyector no enciende", "ana@gob.example").await;
    let number = t["number"].as_str().expect("number").to_string();
    let path = format!("/api/v1/tickets/{number}");

    let unknown = app.patch(&path, &json!({"status": "espera_proveedor"})).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY, "no such status yet");

    app.desk.create_status(&Principal::System, vendor_wait()).await.expect("add status");
    let dup = app.desk.create_status(&Principal::System, vendor_wait()).await;
    assert!(dup.is_err(), "keys are unique");
    let listed: Value = app.get("/api/v1/statuses").await.json().await.expect("json");
    let added = listed.as_array().expect("array").iter().find(|s| s["key"] == "espera_proveedor").expect("listed");
    assert_eq!(added["state"], "pending");
    assert_eq!(added["builtin"], false);
    assert_eq!(listed.as_array().expect("array").len(), 7, "six built-in statuses and the new one");

    let moved = app.patch(&path, &json!({"status": "espera_proveedor"})).await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.expect("json");
    assert_eq!(moved["status"], "espera_proveedor");
    assert_eq!(moved["state"], "pending");

    let pending: Value = app.get("/api/v1/tickets?state=pending").await.json().await.expect("json");
    assert_eq!(pending["tickets"][0]["number"], number.as_str(), "the added status counts as pending");
    let open: Value = app.get("/api/v1/tickets?state=new,open").await.json().await.expect("json");
    assert!(open["tickets"].as_array().expect("array").is_empty());
    let by_key: Value = app.get("/api/v1/tickets?status=espera_proveedor").await.json().await.expect("json");
    assert_eq!(by_key["tickets"].as_array().expect("array").len(), 1);
    assert_eq!(app.get("/api/v1/tickets?status=no_existe").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/tickets?status=Mal%20Escrito").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/v1/tickets?state=waiting").await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The status machine treats it as pending: a requester's reply does not end a vendor wait.
    let thread: Value = app.get(&format!("{path}/thread")).await.json().await.expect("json");
    let change = thread["entries"].as_array().expect("entries").iter().rev().find(|e| e["event"] == "status_changed").expect("event");
    assert_eq!(change["before"], "new");
    assert_eq!(change["after"], "espera_proveedor");

    // Retired: kept on the ticket, no longer chosen.
    let retire = StatusChange { name_es: None, name_en: None, position: None, active: Some(false) };
    app.desk.change_status(&Principal::System, "espera_proveedor", retire.clone()).await.expect("retire");
    let shown: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(shown["status"], "espera_proveedor", "a retired status stays on its tickets");
    let back = app.patch(&path, &json!({"status": "open"})).await;
    assert_eq!(back.status(), StatusCode::OK);
    let again = app.patch(&path, &json!({"status": "espera_proveedor"})).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "a retired status can no longer be chosen");
    let builtin = app.desk.change_status(&Principal::System, "resolved", retire).await;
    assert!(builtin.is_err(), "built-in statuses are renamed, never retired");
    let agent = app.agent("tecnico@gob.example", "supervisor", &[]).await;
    assert!(app.desk.create_status(&agent, NewStatus { key: "otro".into(), ..vendor_wait() }).await.is_err(), "not an administrator");
}

#[tokio::test]
async fn the_portal_shows_the_desk_s_own_names() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let c = Client::builder().cookie_store(true).build().expect("client");
    let html = c.get(app.url("/register")).send().await.expect("get").text().await.expect("body");
    let start = html.find("name=\"csrf\" value=\"").expect("token") + 19;
    let token = html[start..].split('"').next().unwrap_or_default().to_string();
    let form = [("csrf", token.as_str()), ("email", "luis@gob.example"), ("name", "Luis Mora"), ("password", "una clave larga 123")];
    let r = c.post(app.url("/register")).form(&form).send().await.expect("register");
    assert_eq!(r.status(), StatusCode::OK);
    let t = app.open_ticket("No tengo acceso a la VPN", "luis@gob.example").await;
    let number = t["number"].as_str().expect("number").to_string();
    app.desk.create_status(&Principal::System, vendor_wait()).await.expect("add status");
    let r = app.patch(&format!("/api/v1/tickets/{number}"), &json!({"status": "espera_proveedor"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let list = c.get(app.url("/tickets")).send().await.expect("list").text().await.expect("body");
    assert!(list.contains("En espera del proveedor"), "the open tab lists the added pending status by its name");
    let page = c.get(app.url(&format!("/tickets/{number}"))).send().await.expect("ticket").text().await.expect("body");
    assert!(page.contains("En espera del proveedor"));
    let rename = StatusChange { name_es: Some("Con el proveedor".into()), name_en: None, position: None, active: None };
    app.desk.change_status(&Principal::System, "espera_proveedor", rename).await.expect("rename");
    let page = c.get(app.url(&format!("/tickets/{number}"))).send().await.expect("ticket").text().await.expect("body");
    assert!(page.contains("Con el proveedor"), "a rename shows at once on this node");
}

#[tokio::test]
async fn another_node_reads_a_status_it_has_not_seen() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let t = app.open_ticket("Cambio de contraseña", "eva@gob.example").await;
    let number = t["number"].as_str().expect("number").to_string();
    // A second node: its own store on the same database, which has read the statuses already.
    let other = tikal::startup::open_desk(&tikal::Settings {
        data_dir: app.dir.path().to_path_buf(),
        database_url: Some(app.database_url.clone()),
        ..tikal::Settings::default()
    })
    .await
    .expect("second node");
    assert_eq!(other.statuses().await.expect("statuses").len(), 6);
    app.desk.create_status(&Principal::System, vendor_wait()).await.expect("add status on the first node");
    let r = app.patch(&format!("/api/v1/tickets/{number}"), &json!({"status": "espera_proveedor"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let seen = other.ticket(&Principal::System, &tikal_core::TicketNumber::parse(&number).expect("number")).await.expect("read");
    assert_eq!(seen.status.as_str(), "espera_proveedor");
    assert_eq!(seen.status.category(), StateCategory::Pending);
}

#[tokio::test]
async fn upgrading_keeps_tickets_and_replaces_the_check_with_a_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = fresh_database_url(dir.path()).await;
    {
        // The schema as it shipped before statuses were data, with a ticket in it.
        let db = Database::connect(url.as_str()).await.expect("connect");
        tikal_store::migration::Migrator::up(&db, Some(2)).await.expect("first two migrations");
        for sql in [
            "INSERT INTO requesters (email, name, created_at) VALUES ('ana@gob.example', 'Ana', 0)",
            "INSERT INTO departments (name, created_at) VALUES ('Redes', 0)",
            "INSERT INTO tickets (number, seq, subject, requester_id, channel, kind, department_id, priority, status, \
             custom_fields, time_spent_minutes, resolution_approved, resolution_confirmed, created_at, updated_at) \
             VALUES ('000007', 7, 'Switch caído', 1, 'phone', 'incident', 1, 4, 'pending_third_party', '{}', 0, false, false, 0, 0)",
        ] {
            db.execute_unprepared(sql).await.expect(sql);
        }
        let _ = db.close().await;
    }
    let store = Store::connect(&url, dir.path()).await.expect("store");
    store.migrate().await.expect("upgrade");
    let t = store.ticket_by_number(&tikal_core::TicketNumber::parse("000007").expect("number")).await.expect("read").expect("kept");
    assert_eq!(t.status, tikal_core::Status::PENDING_THIRD_PARTY);
    assert_eq!(t.subject.as_str(), "Switch caído");
    let keys: Vec<String> = store.statuses().await.expect("statuses").into_iter().map(|d| d.status.to_string()).collect();
    assert_eq!(keys, ["new", "open", "pending_requester", "pending_third_party", "resolved", "closed"]);
    // The database itself refuses a status that does not exist (a reference, not a list).
    let db = Database::connect(url.as_str()).await.expect("connect");
    if url.starts_with("sqlite:") {
        db.execute_unprepared("PRAGMA foreign_keys = ON").await.expect("pragma");
    }
    assert!(db.execute_unprepared("UPDATE tickets SET status = 'inventado' WHERE number = '000007'").await.is_err());
    db.execute_unprepared(
        "INSERT INTO statuses (key, category, awaits_requester, name_es, name_en, position, active, created_at) \
         VALUES ('inventado', 'open', false, 'Inventado', 'Made up', 99, true, 0)",
    )
    .await
    .expect("add a status row");
    db.execute_unprepared("UPDATE tickets SET status = 'inventado' WHERE number = '000007'").await.expect("now it exists");
    store.migrate().await.expect("migrating again does nothing");
}

#[tokio::test]
async fn the_command_line_adds_lists_and_retires_statuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = fresh_database_url(dir.path()).await;
    let tikal = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tikal"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--database-url", &url])
            .args(args)
            .env("TIKAL_LOG", "warn")
            .output()
            .expect("run tikal")
    };
    let made =
        tikal(&["status", "create", "--key", "en_atencion", "--category", "open", "--name-es", "En atención", "--name-en", "In progress"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(tikal(&["status", "retire", "en_atencion"]).status.success());
    let listed = String::from_utf8(tikal(&["status", "list"]).stdout).expect("utf-8");
    assert!(listed.lines().any(|l| l == "en_atencion\topen\tEn atención\tIn progress\tretired"), "{listed}");
    let refused = tikal(&["status", "retire", "closed"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("built-in"));
}
