//! Administration at `/admin` and over the API: refused to everyone but administrators,
//! refused values change nothing, and every change is in the audit log with before and after.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

/// Every administration page (GET). Each section adds its own.
pub const ADMIN_PAGES: &[&str] =
    &["/admin", "/admin/audit", "/admin/departments", "/admin/departments/new", "/admin/departments/1", "/admin/teams", "/admin/teams/new"];

/// Every administration form (POST).
pub const ADMIN_FORMS: &[&str] = &["/admin/departments", "/admin/departments/1", "/admin/teams", "/admin/teams/1", "/admin/configuration"];

/// Every administration call of the API.
pub const ADMIN_CALLS: &[(&str, &str)] = &[
    ("POST", "/api/v1/departments"),
    ("GET", "/api/v1/departments/1"),
    ("PUT", "/api/v1/departments/1"),
    ("PUT", "/api/v1/departments/1/rules"),
    ("GET", "/api/v1/teams"),
    ("POST", "/api/v1/teams"),
    ("PUT", "/api/v1/teams/1"),
    ("GET", "/api/v1/audit-log"),
    ("GET", "/api/v1/configuration"),
    ("POST", "/api/v1/configuration?dry_run=false"),
];

/// A department's id (as text) by name, through the API.
pub async fn department_id(app: &TestApp, name: &str) -> String {
    let all: Vec<Value> = app.get("/api/v1/departments").await.json().await.expect("json");
    all.iter().find(|d| d["name"] == name).map(|d| d["id"].to_string()).unwrap_or_else(|| panic!("no department {name}: {all:?}"))
}

/// Checks that a supervisor (every ticket right, not an administrator) is refused every one
/// of these pages, forms and API calls with 403, before anything is read or changed, and that
/// a visitor who is not signed in is sent to the sign-in page. Each administration section
/// calls it with its own pages and calls.
pub async fn assert_admin_only(app: &TestApp, pages: &[&str], forms: &[&str], calls: &[(&str, &str)]) {
    let mesa = app.department(&format!("Mesa {}", rand_suffix())).await;
    let email = format!("supervisora.{}@gob.example", rand_suffix());
    let (agent, password) = app.agent_with_password(&email, "supervisor", &[mesa]).await;

    for path in pages {
        let r = browser().get(app.url(path)).send().await.expect("get");
        assert!(r.url().path() == "/agent/login", "{path} sends a visitor to sign in: {}", r.url());
    }

    let c = browser();
    let dashboard = agent_sign_in(&c, app, &email, &password).await;
    assert!(!dashboard.contains("href=\"/admin\""), "no way to administration shown to a non-admin");
    let token = csrf(&dashboard);
    for path in pages {
        let (status, html) = get(&c, app, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "GET {path}");
        assert!(html.contains("solo para administradores") || html.contains("administrators only"), "{path}: {html}");
    }
    let audit_before = app.desk.audit_log(&tikal_service::Principal::System, &Default::default()).await.expect("audit").len();
    for path in forms {
        let (status, _) = post(&c, app, path, &[("csrf", &token), ("name", "Intrusos"), ("active", "on")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "POST {path}");
    }

    // Nor through the API with the supervisor's own key, whatever the body.
    let key = app.desk.create_agent_api_key(TestApp::agent_id(&agent), "script").await.expect("key");
    let body = json!({"name": "Intrusos", "members": []});
    for (method, path) in calls {
        let r = app
            .client
            .request(Method::from_bytes(method.as_bytes()).expect("method"), app.url(path))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .expect("call");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    let audit_after = app.desk.audit_log(&tikal_service::Principal::System, &Default::default()).await.expect("audit").len();
    assert_eq!(audit_before, audit_after, "refused calls changed nothing");
}

fn rand_suffix() -> String {
    format!("{:08x}", rand::random::<u32>())
}

#[tokio::test]
async fn only_administrators_reach_administration() {
    let app = TestApp::spawn().await;
    assert_admin_only(&app, ADMIN_PAGES, ADMIN_FORMS, ADMIN_CALLS).await;
    let names: Vec<Value> = app.get("/api/v1/departments").await.json().await.expect("json");
    assert!(names.iter().all(|d| d["name"] != "Intrusos"), "nothing was created: {names:?}");
    let log: Vec<Value> = app.get("/api/v1/audit-log").await.json().await.expect("json");
    assert!(log.is_empty(), "no change, no entry: {log:?}");
}

#[tokio::test]
async fn an_administrator_sets_up_seed_003s_units_through_the_pages() {
    let app = TestApp::spawn().await;
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let mesa = app.department("Mesa de Ayuda").await;
    app.agent_with_password("tecnico.upat@gob.example", "agent", &[mesa]).await;
    let c = browser();
    let dashboard = agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    assert!(dashboard.contains("href=\"/admin\""), "the workspace shows administrators the way in");

    let (status, html) = get(&c, &app, "/admin/departments/new").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let token = csrf(&html);

    // UIT, then UPAT below it escalating to ACGII with review of solutions.
    let (status, html) = post(
        &c,
        &app,
        "/admin/departments",
        &[("csrf", &token), ("name", "UIT"), ("auto_assign", "off"), ("review", "inherit"), ("active", "on")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Cambios guardados") && html.contains(">UIT</a>"), "{html}");
    let (_, html) = post(&c, &app, "/admin/departments", &[("csrf", &token), ("name", "ACGII"), ("review", "yes"), ("active", "on")]).await;
    assert!(html.contains(">ACGII</a>"), "{html}");
    let (uit, acgii) = (department_id(&app, "UIT").await, department_id(&app, "ACGII").await);
    let (_, html) = post(
        &c,
        &app,
        "/admin/departments",
        &[
            ("csrf", &token),
            ("name", "UPAT"),
            ("parent_id", &uit),
            ("email", "upat@gob.example"),
            ("next_level_id", &acgii),
            ("review", "yes"),
            ("auto_assign", "least_open"),
            ("active", "on"),
        ],
    )
    .await;
    assert!(html.contains(">UPAT</a>") && html.contains("upat@gob.example"), "{html}");
    let upat_id = department_id(&app, "UPAT").await;

    // Refused values: a clear message in Spanish, the form kept, nothing stored.
    let before: Vec<Value> = app.get("/api/v1/audit-log").await.json().await.expect("json");
    for (form, says) in [
        (vec![("name", "uit"), ("active", "on")], "Nombre"),
        (vec![("name", "  "), ("active", "on")], "Nombre"),
        (vec![("name", "Redes"), ("email", "no es un correo")], "Correo del departamento"),
        (vec![("name", "Redes"), ("parent_id", "abc")], "Depende de"),
        (vec![("name", "Redes"), ("auto_assign", "aleatorio")], "Asignación automática"),
        (vec![("name", "Redes"), ("manager_id", "999999")], "Responsable"),
    ] {
        let mut f = vec![("csrf", token.as_str())];
        f.extend(form.iter().copied());
        let (status, html) = post(&c, &app, "/admin/departments", &f).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {html}");
        assert!(html.contains("id=\"form-error\"") && html.contains(says), "{form:?}: {html}");
        assert!(html.contains(&format!("value=\"{}\"", form[0].1.trim())), "the typed name is kept: {html}");
    }
    let after: Vec<Value> = app.get("/api/v1/audit-log").await.json().await.expect("json");
    assert_eq!(before.len(), after.len(), "refused forms changed nothing");
    // A department cannot sit below itself.
    let (status, html) =
        post(&c, &app, &format!("/admin/departments/{uit}"), &[("csrf", &token), ("name", "UIT"), ("parent_id", &uit), ("active", "on")])
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    // A form without its token is refused before anything is read into the desk.
    let (status, _) = post(&c, &app, "/admin/departments", &[("csrf", "forged"), ("name", "Forjado"), ("active", "on")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Retiring UIT: an edit with "active" unchecked; the audit log says who, what, before and after.
    let (status, html) = get(&c, &app, &format!("/admin/departments/{uit}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"UIT\""), "{html}");
    let (status, _) =
        post(&c, &app, &format!("/admin/departments/{uit}"), &[("csrf", &token), ("name", "UIT"), ("review", "inherit")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = get(&c, &app, "/admin/audit?entity=department").await;
    assert!(
        html.contains("Retiro")
            && html.contains("Administradora TI")
            && html.contains("<code>active</code>: <del>true</del> → <ins>false</ins>"),
        "{html}"
    );
    let (_, html) = get(&c, &app, "/admin/audit?q=upat").await;
    assert!(html.contains("UPAT") && !html.contains("<strong>ACGII</strong>"), "search narrows the log: {html}");
    let (_, html) = get(&c, &app, "/admin/audit?from=2000-01-01&to=2000-12-31").await;
    assert!(html.contains("Todavía no hay cambios") && html.contains("value=\"2000-01-01\""), "a range with no change: {html}");

    let upat: Value = app.get(&format!("/api/v1/departments/{upat_id}")).await.json().await.expect("json");
    assert_eq!(upat["parent_id"].to_string(), uit);
    assert_eq!(upat["next_level_id"].to_string(), acgii);
    assert_eq!(upat["review_required"], true);
    assert_eq!(upat["auto_assign"], "least_open");
    assert_eq!(upat["email"], "upat@gob.example");

    // A team in UPAT with the technician; shown in English when the administrator asks.
    let agents = app.desk.store().agents().await.expect("agents");
    let tech = agents.iter().find(|a| a.email.as_str() == "tecnico.upat@gob.example").expect("tech").id.get().to_string();
    let (_, html) = get(&c, &app, "/admin/teams/new").await;
    assert!(html.contains("tecnico.upat@gob.example"), "{html}");
    let (status, html) = post(
        &c,
        &app,
        "/admin/teams",
        &[("csrf", &token), ("name", "Soporte en sitio"), ("department_id", upat_id.as_str()), ("members", &tech), ("active", "on")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Soporte en sitio") && html.contains("tecnico.upat@gob.example"), "{html}");
    let (status, _) = post(&c, &app, "/agent/language", &[("csrf", &token), ("lang", "en"), ("back", "/agent")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = post(&c, &app, "/admin/teams", &[("csrf", &token), ("name", "SOPORTE EN SITIO"), ("members", "x")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Members") || html.contains("Name"), "{html}");
}

#[tokio::test]
async fn a_script_configures_departments_and_teams_through_the_api() {
    let app = TestApp::spawn().await;
    let r = app.post("/api/v1/departments", &json!({"name": "Mesa de Ayuda (Nivel 1)", "review_required": false})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let n1: Value = r.json().await.expect("json");
    let r = app.post("/api/v1/departments", &json!({"name": "Consultoría TI (Nivel 2)", "review_required": true})).await;
    let n2: Value = r.json().await.expect("json");
    assert_eq!(n2["active"], true);
    assert_eq!(n2["auto_assign"], "off");

    // Seed 004: level 1 escalates to level 2.
    let mut body = n1.clone();
    body["next_level_id"] = n2["id"].clone();
    body["email"] = json!("nivel1@gob.example");
    let r =
        app.client.put(app.url(&format!("/api/v1/departments/{}", n1["id"]))).bearer_auth(&app.key).json(&body).send().await.expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let got: Value = r.json().await.expect("json");
    assert_eq!(got["next_level_id"], n2["id"]);

    // Bad values: 422 with the field named, nothing changed.
    for bad in [
        json!({"name": "mesa de ayuda (nivel 1)"}),
        json!({"name": "X", "auto_assign": "random"}),
        json!({"name": "X", "parent_id": 424242}),
        json!({"name": "X", "email": "nope"}),
        json!({"nombre": "X"}),
    ] {
        let r = app.post("/api/v1/departments", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let e: Value = r.json().await.expect("json");
        assert!(e["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    }
    let all: Vec<Value> = app.get("/api/v1/departments").await.json().await.expect("json");
    assert_eq!(all.len(), 2, "{all:?}");
    let r =
        app.client.put(app.url("/api/v1/departments/999999")).bearer_auth(&app.key).json(&json!({"name": "X"})).send().await.expect("put");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Teams.
    let r = app.post("/api/v1/teams", &json!({"name": "Redes", "department_id": n2["id"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let team: Value = r.json().await.expect("json");
    let r = app.post("/api/v1/teams", &json!({"name": "redes"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post("/api/v1/teams", &json!({"name": "Fantasmas", "members": [987654]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let teams: Vec<Value> = app.get("/api/v1/teams").await.json().await.expect("json");
    assert_eq!(teams.len(), 1);

    // The audit log: newest first, filtered, with before and after as documents.
    let log: Vec<Value> = app.get("/api/v1/audit-log").await.json().await.expect("json");
    assert_eq!(log.len(), 4, "{log:?}");
    assert_eq!(log[0]["entity"], "team");
    assert_eq!(log[0]["entity_id"], team["id"].to_string());
    assert_eq!(log[0]["actor_kind"], "api_key");
    let update = &log[1];
    assert_eq!(update["action"], "update");
    assert_eq!(update["before"]["next_level_id"], Value::Null);
    assert_eq!(update["after"]["next_level_id"], n2["id"]);
    let only: Vec<Value> =
        app.get(&format!("/api/v1/audit-log?entity=department&entity_id={}", n1["id"])).await.json().await.expect("json");
    assert_eq!(only.len(), 2);
    let page: Vec<Value> = app.get(&format!("/api/v1/audit-log?limit=1&before={}", log[0]["id"])).await.json().await.expect("json");
    assert_eq!(page[0]["id"], log[1]["id"]);
    let future: Vec<Value> = app.get("/api/v1/audit-log?since=2999-01-01T00:00:00Z").await.json().await.expect("json");
    assert!(future.is_empty());
    let past: Vec<Value> = app.get("/api/v1/audit-log?until=2000-01-01T00:00:00Z").await.json().await.expect("json");
    assert!(past.is_empty());
    let all: Vec<Value> =
        app.get("/api/v1/audit-log?since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z").await.json().await.expect("json");
    assert_eq!(all.len(), log.len());
    let r = app.get("/api/v1/audit-log?entity=nonsense").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
