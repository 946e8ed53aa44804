//! The configuration file: exported from one desk, checked (dry run) and applied on another,
//! through the API, the command line and the page; a bad document changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};
use tikal_testkit::{TestApp, fresh_database_url};

/// Posts a configuration document (a dry run unless `dry_run` is false); status and JSON.
pub async fn import(app: &TestApp, doc: &str, dry_run: bool) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/configuration?dry_run={dry_run}")))
        .bearer_auth(&app.key)
        .header("content-type", "application/toml")
        .body(doc.to_string())
        .send()
        .await
        .expect("post");
    (r.status(), r.json().await.expect("json"))
}

/// The desk's configuration document, exported through the API.
pub async fn export(app: &TestApp) -> String {
    let r = app.get("/api/v1/configuration").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.expect("text")
}

/// How many entries the audit log holds (up to 500).
pub async fn audit_len(app: &TestApp) -> usize {
    let log: Vec<Value> = app.get("/api/v1/audit-log?limit=500").await.json().await.expect("json");
    log.len()
}

/// An import report's changes as (entity, name, action).
pub fn actions(report: &Value) -> Vec<(String, String, String)> {
    report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("entity"), s("name"), s("action"))
        })
        .collect()
}

/// PUTs JSON with the desk's API key; the status.
pub async fn put(app: &TestApp, path: &str, body: &Value) -> StatusCode {
    app.client.put(app.url(path)).bearer_auth(&app.key).json(body).send().await.expect("PUT").status()
}

#[tokio::test]
async fn a_desk_is_copied_to_another_through_its_configuration_file() {
    // The first desk: seed 004's two levels and a team.
    let one = TestApp::spawn().await;
    let (admin, _) = one.admin_with_password("director@gob.example").await;
    let n2: Value = one
        .post("/api/v1/departments", &json!({"name": "Consultoría TI (Nivel 2)", "review_required": true}))
        .await
        .json()
        .await
        .expect("json");
    let r = one
        .post(
            "/api/v1/departments",
            &json!({"name": "Mesa de Ayuda (Nivel 1)", "next_level_id": n2["id"], "email": "nivel1@gob.example", "auto_assign": "round_robin"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let admin_id = TestApp::agent_id(&admin).get();
    let r = one.post("/api/v1/teams", &json!({"name": "Redes", "department_id": n2["id"], "members": [admin_id]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = one.get("/api/v1/configuration").await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc = r.text().await.expect("text");
    assert!(doc.contains("next_level = \"Consultoría TI (Nivel 2)\"") && doc.contains("members = [\"director@gob.example\"]"), "{doc}");

    // The second desk: a dry run lists the changes and changes nothing.
    let two = TestApp::spawn().await;
    two.admin_with_password("director@gob.example").await;
    let (status, report) = import(&two, &doc, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], false);
    let actions: Vec<(String, String)> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or_default().to_string(), c["action"].as_str().unwrap_or_default().to_string()))
        .collect();
    assert!(actions.contains(&("Consultoría TI (Nivel 2)".into(), "create".into())), "{actions:?}");
    assert!(actions.contains(&("Redes".into(), "create".into())), "{actions:?}");
    let before: Vec<Value> = two.get("/api/v1/departments").await.json().await.expect("json");
    assert!(before.iter().all(|d| d["name"] != "Consultoría TI (Nivel 2)"));

    // Applied: the same desk, levels and team included; applying again changes nothing.
    let (status, report) = import(&two, &doc, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], true);
    let exported_again = two.get("/api/v1/configuration").await.text().await.expect("text");
    for line in [
        "next_level = \"Consultoría TI (Nivel 2)\"",
        "auto_assign = \"round_robin\"",
        "members = [\"director@gob.example\"]",
        "review_required = true",
    ] {
        assert!(exported_again.contains(line), "{line} in {exported_again}");
    }
    let (_, report) = import(&two, &doc, true).await;
    assert!(
        report["changes"].as_array().expect("changes").iter().all(|c| c["action"] == "unchanged" || c["action"] == "not_in_document"),
        "{report}"
    );

    // Bad documents: refused with where and why, nothing changed.
    let log_before: Vec<Value> = two.get("/api/v1/audit-log?limit=200").await.json().await.expect("json");
    for bad in [
        "version = 1\n[[department]]\nname = \"A\"\nparent = \"No existe\"\n",
        "version = 1\n[[department]]\nname = \"A\"\nparent = \"B\"\n[[department]]\nname = \"B\"\nparent = \"A\"\n",
        "version = 1\n[[department]]\nname = \"A\"\n[[department]]\nname = \"a\"\n",
        "version = 1\n[[team]]\nname = \"T\"\nmembers = [\"nadie@gob.example\"]\n",
        "version = 2\n",
        "version = 1\n[[department]]\nnombre = \"A\"\n",
        "esto no es toml",
    ] {
        let (status, body) = import(&two, bad, false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.len() > 10), "{body}");
    }
    let log_after: Vec<Value> = two.get("/api/v1/audit-log?limit=200").await.json().await.expect("json");
    assert_eq!(log_before.len(), log_after.len(), "bad documents changed nothing");

    // The page: download, check, apply.
    let c = browser();
    let (_, password) = two.admin_with_password("otra.admin@gob.example").await;
    agent_sign_in(&c, &two, "otra.admin@gob.example", &password).await;
    let r = c.get(two.url("/admin/configuration/export")).send().await.expect("get");
    assert!(r.headers()["content-disposition"].to_str().unwrap_or_default().contains("tikal-configuration.toml"));
    let (_, html) = get(&c, &two, "/admin/configuration").await;
    let token = csrf(&html);
    let small = "version = 1\n[[department]]\nname = \"ADT\"\nparent = \"Consultoría TI (Nivel 2)\"\n";
    let (status, html) = post(&c, &two, "/admin/configuration", &[("csrf", &token), ("document", small), ("apply", "no")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("se crea") && html.contains("id=\"apply\""), "{html}");
    let (status, html) = post(&c, &two, "/admin/configuration", &[("csrf", &token), ("document", small), ("apply", "yes")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Configuración importada"), "{html}");
    let (status, html) = post(
        &c,
        &two,
        "/admin/configuration",
        &[("csrf", &token), ("document", "version = 1\n[[department]]\nname = \"X\"\nparent = \"Nada\"\n"), ("apply", "yes")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"form-error\"") && html.contains("Nada"), "{html}");
}

#[tokio::test]
async fn the_command_line_exports_and_imports_with_a_dry_run_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = fresh_database_url(dir.path()).await;
    let tikal = |args: &[&str], input: Option<&str>| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tikal"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--database-url", &url])
            .args(args)
            .env("TIKAL_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run tikal");
        if let Some(text) = input {
            child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
        }
        child.wait_with_output().expect("output")
    };
    let doc = "version = 1\n[[department]]\nname = \"UIT\"\n[[department]]\nname = \"UPAT\"\nparent = \"UIT\"\nreview_required = true\n";
    let dry = tikal(&["config", "import", "-"], Some(doc));
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let out = String::from_utf8_lossy(&dry.stdout);
    assert!(out.contains("department UPAT: create") && out.contains("dry run"), "{out}");
    let exported = String::from_utf8(tikal(&["config", "export"], None).stdout).expect("utf-8");
    assert!(!exported.contains("UPAT"), "the dry run wrote nothing: {exported}");
    let applied = tikal(&["config", "import", "-", "--apply"], Some(doc));
    assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));
    let exported = String::from_utf8(tikal(&["config", "export"], None).stdout).expect("utf-8");
    assert!(exported.contains("name = \"UPAT\"\nparent = \"UIT\""), "{exported}");
    let bad = tikal(&["config", "import", "-"], Some("version = 1\n[[department]]\nname = \"A\"\nnext_level = \"Z\"\n"));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no department named Z"));
}

#[tokio::test]
async fn one_document_creates_a_unit_its_topic_and_the_rule_that_names_them() {
    let app = TestApp::spawn().await;
    let doc = "version = 1\n\
        [[department]]\nname = \"ACGII\"\n\
        [[help_topic]]\nname = \"Incidentes de seguridad\"\ndepartment = \"ACGII\"\n\
        [[help_topic]]\nname = \"Correo sospechoso\"\nparent = \"Incidentes de seguridad\"\ndepartment = \"ACGII\"\n\
        [[routing_rule]]\nname = \"Seguridad a ACGII\"\n\
        [[routing_rule.condition]]\nkind = \"topic_under\"\nvalue = \"Incidentes de seguridad\"\n\
        [[routing_rule.action]]\nkind = \"set_topic\"\nvalue = \"Incidentes de seguridad / Correo sospechoso\"\n\
        [[routing_rule.action]]\nkind = \"set_department\"\nvalue = \"ACGII\"\n";
    let (status, report) = import(&app, doc, true).await;
    assert_eq!(status, StatusCode::OK, "the dry run finds what the document itself creates: {report}");
    let (status, report) = import(&app, doc, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let exported = app.get("/api/v1/configuration").await.text().await.expect("text");
    assert!(exported.contains("value = \"Incidentes de seguridad / Correo sospechoso\""), "{exported}");
    let (_, again) = import(&app, doc, true).await;
    let changes = again["changes"].as_array().expect("changes");
    assert!(changes.iter().all(|c| c["action"] == "unchanged" || c["action"] == "not_in_document"), "{again}");
}
