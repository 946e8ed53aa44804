//! Routing rules (issue #8, section 8): made in the pages and over the API, applied once to
//! every new ticket, tried without opening one, refused with clear messages, audited, and
//! refused to everyone but administrators.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

use super::admin::assert_admin_only;

const PAGES: &[&str] = &["/admin/rules", "/admin/rules/new", "/admin/rules/try", "/admin/rules/1"];
const FORMS: &[&str] =
    &["/admin/rules", "/admin/rules/1", "/admin/rules/1/move", "/admin/rules/1/active", "/admin/rules/1/delete", "/admin/rules/try"];
const CALLS: &[(&str, &str)] = &[
    ("GET", "/api/v1/routing-rules"),
    ("POST", "/api/v1/routing-rules"),
    ("GET", "/api/v1/routing-rules/1"),
    ("PUT", "/api/v1/routing-rules/1"),
    ("DELETE", "/api/v1/routing-rules/1"),
    ("POST", "/api/v1/routing-rules/try"),
];

#[tokio::test]
async fn only_administrators_manage_routing_rules() {
    let app = TestApp::spawn().await;
    assert_admin_only(&app, PAGES, FORMS, CALLS).await;
    let rules: Vec<Value> = app.get("/api/v1/routing-rules").await.json().await.expect("json");
    assert!(rules.is_empty(), "nothing was created: {rules:?}");
}

/// An administrator signed in, and a form token.
async fn admin(app: &TestApp) -> (Client, String) {
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&c, app, "/admin/rules/new").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    (c, csrf(&html))
}

async fn open(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/tickets", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.expect("ticket")
}

async fn audit_count(app: &TestApp) -> usize {
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=routing_rule").await.json().await.expect("json");
    log.len()
}

#[tokio::test]
async fn seed_004s_levels_are_routing_rules_made_in_the_pages() {
    let app = TestApp::spawn().await;
    app.department("UIT").await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    app.department("Consultoría TI (Nivel 2)").await;
    let (c, token) = admin(&app).await;

    for (name, range, to) in [
        ("Prioridad baja a Nivel 1", "1-2", "Mesa de Ayuda (Nivel 1)"),
        ("Prioridad media o alta a Nivel 2", "3-5", "Consultoría TI (Nivel 2)"),
    ] {
        let (status, html) = post(
            &c,
            &app,
            "/admin/rules",
            &[
                ("csrf", &token),
                ("name", name),
                ("match", "all"),
                ("cond_kind_1", "priority_in"),
                ("cond_value_1", range),
                ("act_kind_1", "set_department"),
                ("act_value_1", to),
                ("active", "on"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("Cambios guardados") && html.contains(name), "{html}");
    }
    let (_, list) = get(&c, &app, "/admin/rules").await;
    assert!(list.contains("Prioridad entre: 1-2") && list.contains("Enviar al departamento: Mesa de Ayuda (Nivel 1)"), "{list}");

    // Tickets opened through the API land where seed 004 wants them, and say why.
    for (priority, dept, rule) in
        [(2, "Mesa de Ayuda (Nivel 1)", "Prioridad baja a Nivel 1"), (4, "Consultoría TI (Nivel 2)", "Prioridad media o alta a Nivel 2")]
    {
        let t = open(
            &app,
            json!({"subject": "No imprime", "message": "Sale en blanco", "priority": priority, "requester": {"email": "ana@gob.example"}}),
        )
        .await;
        assert_eq!(t["department"]["name"], dept, "priority {priority}: {t}");
        let n = t["number"].as_str().expect("number").to_string();
        let history: Value = app.get(&format!("/api/v1/tickets/{n}/history")).await.json().await.expect("json");
        let routed: Vec<&Value> = history["events"].as_array().expect("events").iter().filter(|e| e["event"] == "routed_by_rule").collect();
        assert_eq!(routed.len(), 1, "{history}");
        assert_eq!(routed[0]["after"], rule);
        // The agents' desk says it; the requester never sees the desk's rule names.
        let (_, desk) = get(&c, &app, &format!("/agent/tickets/{n}")).await;
        assert!(desk.contains("Enrutado por reglas") && desk.contains(rule), "{desk}");
        let ana = app.requester("ana@gob.example").await;
        let number = tikal_core::TicketNumber::parse(&n).expect("number");
        let (_, entries, _) = app.desk.thread(&ana, &number).await.expect("thread");
        assert!(entries.iter().all(|e| e.event != Some(tikal_core::EventKind::RoutedByRule)), "{entries:?}");
    }

    // Every change is audited with before and after.
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=routing_rule").await.json().await.expect("json");
    assert_eq!(log.len(), 2);
    let after: &Value = &log[1]["after"];
    assert_eq!(after["conditions"][0], json!({"kind": "priority_in", "value": "1-2"}), "{log:?}");
    assert!(log[0]["before"].is_null());

    // The edit form shows names, not ids; moving the second rule up reorders them.
    let rules: Vec<Value> = app.get("/api/v1/routing-rules").await.json().await.expect("json");
    let (first, second) = (rules[0]["id"].to_string(), rules[1]["id"].to_string());
    let (_, html) = get(&c, &app, &format!("/admin/rules/{first}")).await;
    assert!(html.contains("value=\"Mesa de Ayuda (Nivel 1)\"") && html.contains("value=\"1-2\""), "{html}");
    let (status, _) = post(&c, &app, &format!("/admin/rules/{second}/move"), &[("csrf", &token), ("direction", "up")]).await;
    assert_eq!(status, StatusCode::OK);
    let rules: Vec<Value> = app.get("/api/v1/routing-rules").await.json().await.expect("json");
    assert_eq!(rules[0]["id"].to_string(), second);
    assert_eq!((rules[0]["position"].as_i64(), rules[1]["position"].as_i64()), (Some(1), Some(2)));
    assert_eq!(audit_count(&app).await, 3);

    // Turned off, the first rule no longer routes: a priority-1 ticket stays in the default.
    let (status, _) = post(&c, &app, &format!("/admin/rules/{first}/active"), &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    let t = open(&app, json!({"subject": "Teclado", "message": "Faltan teclas", "priority": 1, "requester": {"email": "ana@gob.example"}}))
        .await;
    assert_eq!(t["department"]["name"], "UIT", "{t}");
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=routing_rule").await.json().await.expect("json");
    assert_eq!(log[0]["action"], "retire");

    // The try-it box answers what a real opening does, and opens nothing.
    let before: Vec<Value> =
        app.get("/api/v1/tickets").await.json::<Value>().await.expect("json")["tickets"].as_array().cloned().unwrap_or_default();
    let (status, html) =
        post(&c, &app, "/admin/rules/try", &[("csrf", &token), ("channel", "phone"), ("subject", "Correo lento"), ("priority", "4")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Prioridad media o alta a Nivel 2") && html.contains("id=\"try-department\">Consultoría TI (Nivel 2)"), "{html}");
    let after: Vec<Value> =
        app.get("/api/v1/tickets").await.json::<Value>().await.expect("json")["tickets"].as_array().cloned().unwrap_or_default();
    assert_eq!(before.len(), after.len(), "trying opens no ticket");
}

#[tokio::test]
async fn a_supplier_domain_is_tagged_without_auto_response_and_spam_is_rejected() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let supplier = json!({
        "name": "Proveedor: etiqueta y sin respuesta automática",
        "conditions": [{"kind": "sender_domain_is", "value": "@proveedor.example"}],
        "actions": [{"kind": "add_tag", "value": "proveedor"}, {"kind": "no_autoreply"}],
    });
    let r = app.post("/api/v1/routing-rules", &supplier).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.expect("json");
    assert_eq!(created["actions"][1], json!({"kind": "no_autoreply", "value": ""}));
    let spam = json!({
        "name": "Spam",
        "conditions": [{"kind": "subject_matches", "value": "(?:viagra|casino|loter[ií]a)"}],
        "actions": [{"kind": "reject"}],
        "stop": true,
    });
    assert_eq!(app.post("/api/v1/routing-rules", &spam).await.status(), StatusCode::CREATED);

    let t = open(&app, json!({"subject": "Factura de tóner", "message": "Adjuntamos", "requester": {"email": "ventas@proveedor.example"}}))
        .await;
    assert_eq!(t["tags"], json!(["proveedor"]), "{t}");
    let plain = open(&app, json!({"subject": "Sin red", "message": "No hay red", "requester": {"email": "ana@gob.example"}})).await;
    assert_eq!(plain["tags"], json!([]));
    let shown: Value = app.get(&format!("/api/v1/tickets/{}", t["number"].as_str().expect("number"))).await.json().await.expect("json");
    assert_eq!(shown["tags"], json!(["proveedor"]));
    // The new-ticket notice of the supplier's ticket carries "no auto-response"; the other not.
    let jobs = app.desk.store().pending_jobs().await.expect("jobs");
    let created_notices: Vec<&String> = jobs.iter().filter(|(k, _)| k == "notify.ticket_created").map(|(_, p)| p).collect();
    assert_eq!(created_notices.len(), 2, "{jobs:?}");
    assert_eq!(created_notices.iter().filter(|p| p.contains("\"autoreply\":false")).count(), 1, "{jobs:?}");

    // The desk shows the tag.
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (_, desk) = get(&c, &app, &format!("/agent/tickets/{}", t["number"].as_str().expect("number"))).await;
    assert!(desk.contains("id=\"ticket-tags\"") && desk.contains(">proveedor<"), "{desk}");

    // Spam is refused: nothing is opened, the caller is told plainly.
    let count = |v: Value| v["tickets"].as_array().map_or(0, Vec::len);
    let before = count(app.get("/api/v1/tickets").await.json().await.expect("json"));
    let r = app
        .post("/api/v1/tickets", &json!({"subject": "Gane la LOTERÍA hoy", "message": "Click", "requester": {"email": "x@spam.example"}}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.expect("json");
    assert_eq!(e["error"]["code"], "rejected", "{e}");
    assert_eq!(count(app.get("/api/v1/tickets").await.json().await.expect("json")), before);

    // Through the portal: the requester's own page never names the desk's rules, and spam is
    // refused with a plain message next to the text, nothing opened.
    let topic = app
        .desk
        .store()
        .create_help_topic(tikal_store::NewHelpTopic {
            name: "Impresoras".into(),
            parent_id: None,
            department_id: None,
            default_priority: None,
            default_type: None,
        })
        .await
        .expect("topic")
        .id
        .get()
        .to_string();
    let portal = super::portal::register(&app, "soporte@proveedor.example", "es").await;
    let send = |subject: &'static str| {
        let (portal, app, topic) = (&portal, &app, topic.clone());
        async move {
            let (_, html) = get(portal, app, &format!("/tickets/new?topic={topic}")).await;
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf(&html))
                .text("topic", topic)
                .text("subject", subject)
                .text("body", "Detalle");
            let r = portal.post(app.url("/tickets/new")).multipart(form).send().await.expect("post");
            (r.status(), r.text().await.expect("body"))
        }
    };
    let (status, html) = send("Cotización de impresoras").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Cotización de impresoras") && !html.contains("Proveedor: etiqueta") && !html.contains("Enrutado"), "{html}");
    let (status, html) = send("Casino gratis").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("No pudimos aceptar este pedido") && !html.contains("Spam"), "{html}");
    assert_eq!(count(app.get("/api/v1/tickets").await.json().await.expect("json")), before + 1);

    // Trying the same samples says the same.
    let tried: Value = app
        .post("/api/v1/routing-rules/try", &json!({"subject": "Gane la loteria", "sender": "x@spam.example"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!((tried["rejected"].as_bool(), tried["fired"][0]["name"].as_str()), (Some(true), Some("Spam")), "{tried}");
    let tried: Value = app
        .post("/api/v1/routing-rules/try", &json!({"subject": "Factura", "sender": "ventas@proveedor.example", "channel": "api"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!((tried["autoreply"].as_bool(), &tried["tags"]), (Some(false), &json!(["proveedor"])), "{tried}");
    assert_eq!(tried["department_id"], t["department"]["id"]);
    assert_eq!(tried["priority"], t["priority"]);

    // Deleting a rule is audited; its tickets keep their tags.
    let id = created["id"].to_string();
    let r = app.client.delete(app.url(&format!("/api/v1/routing-rules/{id}"))).bearer_auth(&app.key).send().await.expect("delete");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=routing_rule").await.json().await.expect("json");
    assert_eq!((log[0]["action"].as_str(), log[0]["after"].is_null()), (Some("delete"), true), "{log:?}");
    assert_eq!(app.get(&format!("/api/v1/routing-rules/{id}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_rules_are_refused_in_spanish_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let (c, token) = admin(&app).await;
    let long = "a".repeat(301);
    for (cond, value, act, act_value, says) in [
        ("subject_matches", r"(\w{50}){50}", "reject", "", "Condición 1: La expresión regular es demasiado compleja"),
        ("subject_matches", long.as_str(), "reject", "", "Condición 1: Es demasiado largo (máximo 300 caracteres)"),
        ("body_matches", "(a", "reject", "", "Condición 1: No es una expresión regular válida"),
        ("priority_in", "4-2", "reject", "", "Condición 1: Escriba el rango"),
        ("sender_domain_is", "no es dominio", "reject", "", "Condición 1: No es un dominio válido"),
        ("priority_in", "1-2", "set_department", "Nivel 9", "Acción 1: No existe."),
        ("priority_in", "1-2", "", "", "Acciones: Este campo es obligatorio."),
    ] {
        let form = [
            ("csrf", token.as_str()),
            ("name", "Regla mala"),
            ("cond_kind_1", cond),
            ("cond_value_1", value),
            ("act_kind_1", act),
            ("act_value_1", act_value),
            ("active", "on"),
        ];
        let (status, html) = post(&c, &app, "/admin/rules", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{cond} {value}: {html}");
        assert!(html.contains("id=\"form-error\"") && html.contains(says), "{cond} {value}: wanted {says}: {html}");
        assert!(html.contains("value=\"Regla mala\""), "the typed name is kept");
    }
    // The API refuses the same, in English, with the row named.
    let r = app
        .post(
            "/api/v1/routing-rules",
            &json!({"name": "x", "conditions": [{"kind": "subject_matches", "value": r"(\w{50}){50}"}], "actions": [{"kind": "reject"}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.expect("json");
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.starts_with("condition_1: ") && m.contains("too complex")), "{e}");
    let rules: Vec<Value> = app.get("/api/v1/routing-rules").await.json().await.expect("json");
    assert!(rules.is_empty(), "nothing stored: {rules:?}");
    assert_eq!(audit_count(&app).await, 0, "nothing audited");
    // A form without its token is refused.
    let (status, _) = post(&c, &app, "/admin/rules", &[("csrf", "forged"), ("name", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
