//! The service catalogue at `/admin/topics` and `/admin/fields` and over the API: seed 003's
//! topics and forms built through the pages, the portal and the agents' forms following them
//! (labels in the visitor's language, help, who must fill what, retirement, portal visibility),
//! refused values changing nothing, every change audited.

use reqwest::StatusCode;
use reqwest::multipart::Form;
use serde_json::{Value, json};
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

use crate::admin::assert_admin_only;

const PAGES: &[&str] = &["/admin/topics", "/admin/topics/new", "/admin/topics/1", "/admin/fields", "/admin/fields/new", "/admin/fields/1"];
const FORMS: &[&str] = &["/admin/topics", "/admin/topics/1", "/admin/topics/1/move", "/admin/fields", "/admin/fields/1"];
const CALLS: &[(&str, &str)] = &[
    ("POST", "/api/v1/help-topics"),
    ("GET", "/api/v1/help-topics/1"),
    ("PUT", "/api/v1/help-topics/1"),
    ("GET", "/api/v1/custom-fields"),
    ("POST", "/api/v1/custom-fields"),
    ("GET", "/api/v1/custom-fields/1"),
    ("PUT", "/api/v1/custom-fields/1"),
];

#[tokio::test]
async fn only_administrators_manage_the_catalogue() {
    let app = TestApp::spawn().await;
    assert_admin_only(&app, PAGES, FORMS, CALLS).await;
    let fields: Vec<Value> = app.get("/api/v1/custom-fields").await.json().await.expect("json");
    assert!(fields.is_empty(), "{fields:?}");
}

/// A topic's id (as text) by its full path, through the administrators' API.
async fn topic_id(app: &TestApp, path: &str) -> String {
    for id in 1..50 {
        let r = app.get(&format!("/api/v1/help-topics/{id}")).await;
        if r.status() == StatusCode::NOT_FOUND {
            break;
        }
        let t: Value = r.json().await.expect("json");
        if t["path"] == path {
            return t["id"].to_string();
        }
    }
    panic!("no topic {path}")
}

async fn field_id(app: &TestApp, key: &str) -> String {
    let all: Vec<Value> = app.get("/api/v1/custom-fields").await.json().await.expect("json");
    all.iter().find(|f| f["key"] == key).map(|f| f["id"].to_string()).unwrap_or_else(|| panic!("no field {key}: {all:?}"))
}

async fn audit_count(app: &TestApp) -> usize {
    let log: Vec<Value> = app.get("/api/v1/audit-log?limit=200").await.json().await.expect("json");
    log.len()
}

/// A guest's new-ticket form sent from the portal (Spanish unless `lang` says otherwise).
async fn portal_ticket(c: &reqwest::Client, app: &TestApp, topic: &str, extra: &[(&str, &str)]) -> (StatusCode, String) {
    let (_, html) = get(c, app, &format!("/tickets/new?topic={topic}")).await;
    let mut form = Form::new()
        .text("csrf", csrf(&html))
        .text("topic", topic.to_string())
        .text("email", "rosa.quispe@gob.example")
        .text("name", "Rosa Quispe")
        .text("subject", "El teclado no responde")
        .text("body", "Varias teclas no funcionan desde ayer.");
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    let r = c.post(app.url("/tickets/new")).header("accept-language", "es").multipart(form).send().await.expect("post");
    (r.status(), r.text().await.expect("body"))
}

/// Posts a form of owned values.
async fn send(c: &reqwest::Client, app: &TestApp, path: &str, form: Vec<(&'static str, String)>) -> (StatusCode, String) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post(c, app, path, &pairs).await
}

#[tokio::test]
async fn an_administrator_builds_seed_003s_catalogue_and_the_forms_follow_it() {
    let app = TestApp::spawn_with(|s| s.portal.guests_may_open = true).await;
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await.get().to_string();
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&c, &app, "/admin/topics/new").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let token = csrf(&html);
    let topic = |name: &'static str, parent: String| {
        vec![
            ("csrf", token.clone()),
            ("name", name.to_string()),
            ("parent_id", parent),
            ("department_id", mesa.clone()),
            ("default_priority", "3".into()),
            ("default_type", "incident".into()),
            ("sort", "0".into()),
            ("portal_visible", "on".into()),
            ("active", "on".into()),
        ]
    };
    let (status, html) = send(&c, &app, "/admin/topics", topic("Problema de computadoras", String::new())).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Cambios guardados") && html.contains(">Problema de computadoras</a>"), "{html}");
    let pc = topic_id(&app, "Problema de computadoras").await;
    let (_, html) = send(&c, &app, "/admin/topics", topic("Problemas en el teclado", pc.clone())).await;
    assert!(html.contains(">Problemas en el teclado</a>"), "{html}");
    let (_, html) = send(&c, &app, "/admin/topics", topic("Impresoras", String::new())).await;
    assert!(html.contains(">Impresoras</a>"), "{html}");
    let teclado = topic_id(&app, "Problema de computadoras / Problemas en el teclado").await;
    let impresoras = topic_id(&app, "Impresoras").await;

    // Refused: the same name at the same place, a topic below its own subtopic. Nothing changes.
    let before = audit_count(&app).await;
    let (status, html) = send(&c, &app, "/admin/topics", topic("impresoras", String::new())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Ya hay un tema con ese nombre en el mismo lugar del catálogo"), "{html}");
    assert!(html.contains("value=\"impresoras\""), "typed values kept: {html}");
    let cycle = topic("Problema de computadoras", teclado.clone());
    let (status, html) = send(&c, &app, &format!("/admin/topics/{pc}"), cycle).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("no puede depender de sí mismo"), "{html}");
    assert_eq!(audit_count(&app).await, before, "refused forms change nothing");
    let t: Value = app.get(&format!("/api/v1/help-topics/{pc}")).await.json().await.expect("json");
    assert_eq!(t["parent_id"], Value::Null);

    // Move Impresoras above Problema de computadoras.
    let (_, html) = post(&c, &app, &format!("/admin/topics/{impresoras}/move"), &[("csrf", &token), ("dir", "up")]).await;
    let (i, p) = (html.find(">Impresoras</a>").expect("listed"), html.find(">Problema de computadoras</a>").expect("listed"));
    assert!(i < p, "moved up: {html}");

    // The form of "Problema de computadoras": a list and a date.
    let field = |key: &'static str, kind: &'static str, options: &'static str, es: &'static str, en: &'static str, req: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("key", key.to_string()),
            ("kind", kind.to_string()),
            ("options", options.to_string()),
            ("label_es", es.to_string()),
            ("label_en", en.to_string()),
            ("help_es", if key == "ubicacion" { "Dónde está el equipo".into() } else { String::new() }),
            ("help_en", if key == "ubicacion" { "Where the computer is".into() } else { String::new() }),
            ("required_for", req.to_string()),
            ("help_topic_id", pc.clone()),
            ("sort", "0".into()),
            ("active", "on".into()),
        ]
    };
    let (status, html) =
        send(&c, &app, "/admin/fields", field("ubicacion", "select", "Piso 1\nPiso 2\nPlanta baja", "Ubicación", "Location", "requester"))
            .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(">Ubicación</a>"), "{html}");
    let (_, html) = send(&c, &app, "/admin/fields", field("fecha_compra", "date", "", "Fecha de compra", "Purchase date", "none")).await;
    assert!(html.contains(">Fecha de compra</a>"), "{html}");
    let before = audit_count(&app).await;
    let (status, html) = send(&c, &app, "/admin/fields", field("piso", "select", "\n \n", "Piso", "Floor", "none")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Opciones: Una lista necesita al menos una opción."), "{html}");
    let (status, html) = send(&c, &app, "/admin/fields", field("Ubicación", "text", "", "Otra", "Other", "none")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Clave: Use solo minúsculas"), "{html}");
    let (status, html) = send(&c, &app, "/admin/fields", field("ubicacion", "text", "", "Otra", "Other", "none")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("ya usa esa clave"), "{html}");
    assert_eq!(audit_count(&app).await, before, "refused fields change nothing");
    let (_, html) = get(&c, &app, &format!("/admin/topics/{pc}")).await;
    assert!(html.contains(">Ubicación</a>") && html.contains("fecha_compra"), "the topic lists its fields: {html}");

    // The portal: the subtopic's form inherits the fields, in Spanish with help; in English too.
    let guest = browser();
    let (_, html) = get(&guest, &app, &format!("/tickets/new?topic={teclado}")).await;
    assert!(html.contains("Ubicación *") && html.contains("Dónde está el equipo") && html.contains("Planta baja"), "{html}");
    let english = reqwest::Client::builder().cookie_store(true).default_headers({
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("accept-language", "en".parse().expect("header"));
        h
    });
    let (_, html) = get(&english.build().expect("client"), &app, &format!("/tickets/new?topic={teclado}")).await;
    assert!(html.contains("Location *") && html.contains("Where the computer is") && html.contains("Purchase date"), "{html}");

    let (status, html) = portal_ticket(&guest, &app, &teclado, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Este campo es obligatorio"), "{html}");
    let (status, html) = portal_ticket(&guest, &app, &teclado, &[("cf_ubicacion", "Piso 9")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Elija una de las opciones"), "{html}");
    let (status, html) = portal_ticket(&guest, &app, &teclado, &[("cf_ubicacion", "Piso 2"), ("cf_fecha_compra", "15/03/2024")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Debe ser una fecha"), "{html}");
    let (status, html) = portal_ticket(&guest, &app, &teclado, &[("cf_ubicacion", "Piso 2"), ("cf_fecha_compra", "2024-03-15")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let list: Value = app.get("/api/v1/tickets").await.json().await.expect("json");
    let ticket = &list["tickets"][0];
    assert_eq!(ticket["custom_fields"], json!({"ubicacion": "Piso 2", "fecha_compra": "2024-03-15"}), "{list}");
    let number = ticket["number"].as_str().expect("number").to_string();

    // Retire "Ubicación": off the forms, still on the old ticket; the audit log has before/after.
    let ubicacion = field_id(&app, "ubicacion").await;
    let mut retire = field("ubicacion", "select", "Piso 1\nPiso 2\nPlanta baja", "Ubicación", "Location", "requester");
    retire.retain(|(k, _)| *k != "active");
    let (status, html) = send(&c, &app, &format!("/admin/fields/{ubicacion}"), retire).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let log: Vec<Value> =
        app.get(&format!("/api/v1/audit-log?entity=custom_field&entity_id={ubicacion}")).await.json().await.expect("json");
    assert_eq!(log[0]["action"], "retire", "{log:?}");
    assert_eq!((log[0]["before"]["active"].clone(), log[0]["after"]["active"].clone()), (json!(true), json!(false)));
    let (_, html) = get(&guest, &app, &format!("/tickets/new?topic={teclado}")).await;
    assert!(!html.contains("Ubicación") && html.contains("Fecha de compra"), "{html}");
    let (status, _) = portal_ticket(&guest, &app, &teclado, &[]).await;
    assert_eq!(status, StatusCode::OK, "a retired field is no longer required");
    let (_, html) = get(&c, &app, &format!("/agent/tickets/{number}")).await;
    assert!(html.contains("<dt>Ubicación</dt><dd class=\"custom-field\">Piso 2</dd>"), "{html}");

    // Impresoras for agents only: not in the portal, offered at intake.
    let t: Value = app.get(&format!("/api/v1/help-topics/{impresoras}")).await.json().await.expect("json");
    let mut hidden = t.clone();
    hidden["portal_visible"] = json!(false);
    assert_eq!(
        app.client
            .put(app.url(&format!("/api/v1/help-topics/{impresoras}")))
            .bearer_auth(&app.key)
            .json(&hidden)
            .send()
            .await
            .expect("put")
            .status(),
        StatusCode::OK
    );
    let (_, html) = get(&guest, &app, "/tickets/new").await;
    assert!(!html.contains("Impresoras") && html.contains("Problemas en el teclado"), "{html}");
    let (status, _) = portal_ticket(&guest, &app, &impresoras, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not offered to requesters");
    let (_, html) = get(&c, &app, "/agent/tickets/new").await;
    assert!(html.contains("Impresoras"), "{html}");

    // Retiring the parent takes its subtopics off the forms; its tickets keep it.
    let mut retired = app.get(&format!("/api/v1/help-topics/{pc}")).await.json::<Value>().await.expect("json");
    retired["active"] = json!(false);
    let r = app.client.put(app.url(&format!("/api/v1/help-topics/{pc}"))).bearer_auth(&app.key).json(&retired).send().await.expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let (_, html) = get(&c, &app, "/agent/tickets/new").await;
    assert!(!html.contains("Problemas en el teclado"), "{html}");
    let t: Value = app.get(&format!("/api/v1/tickets/{number}")).await.json().await.expect("json");
    assert_eq!(t["help_topic"]["id"].to_string(), teclado, "{t}");
}

#[tokio::test]
async fn the_catalogue_api_refuses_bad_values_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await.get();
    let r = app.post("/api/v1/help-topics", &json!({"name": "Correo institucional", "department_id": mesa, "default_priority": 3})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let correo: Value = r.json().await.expect("json");
    assert_eq!((correo["portal_visible"].clone(), correo["active"].clone()), (json!(true), json!(true)));
    let id = correo["id"].as_i64().expect("id");

    let before = audit_count(&app).await;
    for bad in [
        json!({"name": "correo INSTITUCIONAL"}),
        json!({"name": "Acceso a sistemas", "default_priority": 9}),
        json!({"name": "Acceso a sistemas", "default_type": "queja"}),
        json!({"name": "Acceso a sistemas", "parent_id": 999}),
        json!({"name": "Acceso a sistemas", "department_id": 999}),
        json!({"name": "Acceso a sistemas", "sort": -4}),
        json!({"name": "Acceso a sistemas", "sla_plan_id": 999}),
        json!({"name": ""}),
    ] {
        let r = app.post("/api/v1/help-topics", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let cycle = json!({"name": "Correo institucional", "parent_id": id});
    let r = app.client.put(app.url(&format!("/api/v1/help-topics/{id}"))).bearer_auth(&app.key).json(&cycle).send().await.expect("put");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.expect("json");
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("cannot be the topic itself")), "{e}");

    let field = json!({"key": "numero_inventario", "kind": "text", "label_es": "Número de inventario", "label_en": "Asset tag",
        "required_for": "agent", "help_topic_id": id});
    let r = app.post("/api/v1/custom-fields", &field).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.expect("json");
    let fid = created["id"].as_i64().expect("id");
    let after_creates = audit_count(&app).await;
    assert_eq!(after_creates, before + 1);
    for bad in [
        json!({"key": "color", "kind": "colour", "label_es": "Color", "label_en": "Colour"}),
        json!({"key": "piso", "kind": "select", "options": [], "label_es": "Piso", "label_en": "Floor"}),
        json!({"key": "piso", "kind": "multi_select", "options": ["A", "a"], "label_es": "Piso", "label_en": "Floor"}),
        json!({"key": "numero_inventario", "kind": "text", "label_es": "Otro", "label_en": "Other"}),
        json!({"key": "piso", "kind": "text", "label_es": "Piso", "label_en": ""}),
        json!({"key": "piso", "kind": "text", "label_es": "Piso", "label_en": "Floor", "required_for": "everyone"}),
        json!({"key": "piso", "kind": "text", "label_es": "Piso", "label_en": "Floor", "help_topic_id": 999}),
    ] {
        let r = app.post("/api/v1/custom-fields", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let mut rekey = created.clone();
    rekey["key"] = json!("inventario");
    let r = app.client.put(app.url(&format!("/api/v1/custom-fields/{fid}"))).bearer_auth(&app.key).json(&rekey).send().await.expect("put");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit_count(&app).await, after_creates, "refused calls change nothing");
    let fields: Vec<Value> = app.get("/api/v1/custom-fields").await.json().await.expect("json");
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!(fields[0], created);

    // Staff (an API key) must fill an agents-only field; the form says so.
    let form: Vec<Value> = app.get(&format!("/api/v1/help-topics/{id}/form")).await.json().await.expect("json");
    assert_eq!(form[0]["required"], json!(true), "{form:?}");
    let open = |fields: Value| json!({"subject": "Sin correo", "message": "No llegan correos", "requester": {"email": "eva@gob.example"}, "help_topic_id": id, "custom_fields": fields});
    assert_eq!(app.post("/api/v1/tickets", &open(json!({}))).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post("/api/v1/tickets", &open(json!({"numero_inventario": "PC-0042"}))).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // Every change is in the audit log with before and after.
    let mut renamed = correo.clone();
    renamed["name"] = json!("Correo electrónico institucional");
    let r = app.client.put(app.url(&format!("/api/v1/help-topics/{id}"))).bearer_auth(&app.key).json(&renamed).send().await.expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let log: Vec<Value> = app.get(&format!("/api/v1/audit-log?entity=help_topic&entity_id={id}")).await.json().await.expect("json");
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!((log[0]["action"].as_str(), log[1]["action"].as_str()), (Some("update"), Some("create")));
    assert_eq!(log[0]["before"]["name"], "Correo institucional");
    assert_eq!(log[0]["after"]["name"], "Correo electrónico institucional");
    assert_eq!(log[1]["before"], Value::Null);
}
