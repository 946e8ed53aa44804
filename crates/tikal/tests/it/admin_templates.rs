//! E-mail templates at `/admin/templates` and `/api/v1/mail-templates`: an administrator edits
//! the Spanish password reset and the next reset mail says what they wrote; a broken template
//! is refused in Spanish and the old one kept; preview; restore the default; audited.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_jobs::{SmtpMailer, Worker};
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};
use tikal_testkit::{SmtpSink, TestApp};

use crate::admin::assert_admin_only;

const PAGES: &[&str] = &["/admin/templates", "/admin/templates/password_reset/es", "/admin/templates/resolution/en"];
const FORMS: &[&str] = &["/admin/templates/password_reset/es", "/admin/templates/password_reset/es/restore"];
const CALLS: &[(&str, &str)] = &[
    ("GET", "/api/v1/mail-templates"),
    ("GET", "/api/v1/mail-templates/password_reset/es"),
    ("PUT", "/api/v1/mail-templates/password_reset/es"),
    ("DELETE", "/api/v1/mail-templates/password_reset/es"),
    ("POST", "/api/v1/mail-templates/password_reset/es/preview"),
];

fn worker(app: &TestApp, url: &str) -> Worker {
    let mailer = Arc::new(SmtpMailer::new(url, "Mesa de Ayuda <mesa@gob.example>").expect("mailer"));
    Worker::new(app.desk.store().clone(), mailer, tikal_jobs::OutboxSettings::default()).organisation("Mesa de Ayuda de la UIT")
}

/// The body of a delivered message with quoted-printable soft breaks and `=3D` undone.
fn decoded(message: &str) -> String {
    message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

/// Asks for a password reset for `email` in the portal, as a visitor.
async fn forgot(app: &TestApp, email: &str) {
    let c = browser();
    let (_, html) = get(&c, app, "/password/forgot").await;
    let (status, _) = post(&c, app, "/password/forgot", &[("csrf", &csrf(&html)), ("email", email)]).await;
    assert_eq!(status, StatusCode::OK);
}

async fn audit(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/audit-log?entity=template").await.json().await.expect("json")
}

#[tokio::test]
async fn only_administrators_reach_the_templates() {
    let app = TestApp::spawn().await;
    assert_admin_only(&app, PAGES, FORMS, CALLS).await;
    let t: Value = app.get("/api/v1/mail-templates/password_reset/es").await.json().await.expect("json");
    assert_eq!(t["customised"], false, "nothing was stored: {t}");
}

#[tokio::test]
async fn an_administrator_rewrites_the_password_reset_mail_through_the_pages() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    // A requester with an account.
    let c = browser();
    let (_, html) = get(&c, &app, "/register").await;
    let form =
        [("csrf", csrf(&html)), ("email", "ana@gob.example".into()), ("name", "Ana".into()), ("password", "la clave de siempre".into())];
    c.post(app.url("/register")).form(&form).send().await.expect("register");

    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let admin = browser();
    agent_sign_in(&admin, &app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&admin, &app, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/admin/templates\"") && html.contains("Plantillas de correo"), "in the menu: {html}");
    let (status, html) = get(&admin, &app, "/admin/templates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Recuperar contraseña") && html.contains("id=\"tpl-password_reset-es\"") && html.contains("Encuesta de satisfacción"),
        "{html}"
    );
    assert!(!html.contains("Personalizada"), "every template is the default on a fresh install");
    let (status, html) = get(&admin, &app, "/admin/templates/password_reset/es").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Recuperar su contraseña") && html.contains("{{ link }}") && html.contains("Horas durante las que sirve el enlace"),
        "{html}"
    );
    assert_eq!(get(&admin, &app, "/admin/templates/nonsense/es").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&admin, &app, "/admin/templates/password_reset/fr").await.0, StatusCode::NOT_FOUND);
    let token = csrf(&html);
    let path = "/admin/templates/password_reset/es";

    // A variable this mail does not have: refused in Spanish with the line, the typed text kept, nothing stored.
    let broken = "Hola:\n\nSu ticket {{ ticket.subject }}\n";
    let (status, html) =
        post(&admin, &app, path, &[("csrf", &token), ("subject", "Nueva clave"), ("text_body", broken), ("action", "save")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("id=\"form-error\"") && html.contains("Texto (línea 3)") && html.contains("no es una variable de esta plantilla"),
        "{html}"
    );
    assert!(html.contains("ticket.subject") && html.contains("value=\"Nueva clave\""), "{html}");
    // A loop that never ends in time, and a syntax error: refused too.
    let loops = "{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}";
    let (status, html) = post(&admin, &app, path, &[("csrf", &token), ("subject", "x"), ("text_body", loops), ("action", "save")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("demasiado trabajo"), "{html}");
    let (status, html) =
        post(&admin, &app, path, &[("csrf", &token), ("subject", "{% if link %}x"), ("text_body", "x"), ("action", "preview")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Asunto") && html.contains("no se puede leer"), "{html}");
    assert!(audit(&app).await.is_empty(), "refused forms changed nothing");
    let t: Value = app.get("/api/v1/mail-templates/password_reset/es").await.json().await.expect("json");
    assert_eq!(t["customised"], false);

    // Preview: the sample ticket's values, the HTML cleaned and shown in a sandboxed frame.
    let text = "Hola:\n\nClave-UIT-7731: abra {{ link }} antes de {{ expires_hours }} horas.\n\n{{ organisation.name }}\n";
    let html_body = "<p>Abra <a href=\"{{ link }}\">este enlace</a>.</p><script>alert('x')</script>";
    let subject = "UIT - nueva clave 7731";
    let (status, html) = post(
        &admin,
        &app,
        path,
        &[("csrf", &token), ("subject", subject), ("text_body", text), ("html_body", html_body), ("action", "preview")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"preview-subject\">UIT - nueva clave 7731<"), "{html}");
    assert!(html.contains("Clave-UIT-7731: abra https://mesa.example.gob/password/reset/3f9a1c antes de 24 horas."), "{html}");
    assert!(html.contains("sandbox srcdoc=") && !html.contains("<script>alert"), "{html}");
    assert!(audit(&app).await.is_empty(), "a preview saves nothing");

    // Save: the list says it is customised, the audit log has before and after.
    let (status, html) = post(
        &admin,
        &app,
        path,
        &[("csrf", &token), ("subject", subject), ("text_body", text), ("html_body", html_body), ("action", "save")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Cambios guardados") && html.contains("Personalizada"), "{html}");
    let log = audit(&app).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0]["action"].as_str(), log[0]["entity_id"].as_str()), (Some("create"), Some("password_reset/es")));
    assert_eq!(log[0]["before"]["customised"], false);
    assert_eq!(log[0]["before"]["subject"], "Recuperar su contraseña");
    assert_eq!(log[0]["after"]["subject"], subject);

    // The next reset mail is written with it, as text and HTML.
    forgot(&app, "ana@gob.example").await;
    assert_eq!(worker(&app, &sink.url()).run_due(tikal_store::now()).await.expect("worker"), 1);
    let messages = sink.messages();
    let m = decoded(&messages[0]);
    assert!(m.contains("Subject: UIT - nueva clave 7731"), "{m}");
    assert!(m.contains("multipart/alternative") && m.contains("text/html"), "{m}");
    assert!(m.contains("Clave-UIT-7731: abra http://127.0.0.1:8080/password/reset/") && m.contains("Mesa de Ayuda de la UIT"), "{m}");
    assert!(!m.contains("<script"), "{m}");
    // An English reset still uses the English default.
    let t: Value = app.get("/api/v1/mail-templates/password_reset/en").await.json().await.expect("json");
    assert_eq!((t["customised"].as_bool(), t["subject"].as_str()), (Some(false), Some("Reset your password")));

    // Restore the default: the stored one is gone, the next mail is the shipped one.
    let (_, html) = get(&admin, &app, path).await;
    assert!(html.contains("id=\"restore-form\""), "{html}");
    let (status, html) = post(&admin, &app, &format!("{path}/restore"), &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Personalizada"), "{html}");
    let log = audit(&app).await;
    assert_eq!(log.len(), 2);
    assert_eq!((log[0]["action"].as_str(), log[0]["after"]["customised"].as_bool()), (Some("delete"), Some(false)));
    forgot(&app, "ana@gob.example").await;
    worker(&app, &sink.url()).run_due(tikal_store::now()).await.expect("worker");
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    let newest = messages.iter().map(|m| decoded(m)).find(|m| !m.contains("Clave-UIT-7731")).expect("the second mail");
    assert!(newest.contains("Para elegir una contrase") && !newest.contains("multipart"), "{newest}");
    // Restoring again changes nothing and records nothing.
    post(&admin, &app, &format!("{path}/restore"), &[("csrf", &token)]).await;
    assert_eq!(audit(&app).await.len(), 2);

    // A worker given the desk signs with the name the administrator saved, at once.
    let r = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&serde_json::json!({"organisation_name": "Gobierno Autónomo — UIT"}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    forgot(&app, "ana@gob.example").await;
    worker(&app, &sink.url()).desk(app.desk.clone()).run_due(tikal_store::now()).await.expect("worker");
    let messages = sink.messages();
    assert_eq!(messages.len(), 3);
    assert!(messages.iter().map(|m| decoded(m)).any(|m| m.contains("Gobierno Aut") && m.contains("UIT")), "{messages:?}");
}

#[tokio::test]
async fn a_script_manages_templates_through_the_api() {
    let app = TestApp::spawn().await;
    let all: Vec<Value> = app.get("/api/v1/mail-templates").await.json().await.expect("json");
    assert_eq!(all.len(), 30, "fifteen mails in two languages");
    let resolution = all.iter().find(|t| t["kind"] == "resolution" && t["language"] == "es").expect("resolution");
    assert!(resolution["text_body"].as_str().is_some_and(|t| t.starts_with("— Responda por encima de esta línea —")), "{resolution}");
    let names: Vec<&str> = resolution["variables"].as_array().expect("variables").iter().filter_map(|v| v["name"].as_str()).collect();
    assert!(names.contains(&"confirm_url") && names.contains(&"not_solved_url") && names.contains(&"ticket.number"), "{names:?}");

    let url = app.url("/api/v1/mail-templates/resolution/en");
    let body =
        json!({"subject": "Solved: {{ ticket.subject }}", "text_body": "{{ message.text }}\nConfirm: {{ confirm_url }}", "html_body": ""});
    let r = app.client.put(&url).bearer_auth(&app.key).json(&body).send().await.expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.expect("json");
    assert_eq!((t["customised"].as_bool(), t["html_body"].clone()), (Some(true), Value::Null));

    for bad in [
        json!({"subject": "x", "text_body": "{{ survey_url }}"}),
        json!({"subject": "x", "text_body": "{% for x in range(999999999) %}{% endfor %}"}),
        json!({"subject": "", "text_body": "x"}),
        json!({"subject": "{{ 'x' * 300 }}", "text_body": "x"}),
        json!({"text_body": "x"}),
    ] {
        let r = app.client.put(&url).bearer_auth(&app.key).json(&bad).send().await.expect("put");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let e: Value = r.json().await.expect("json");
        assert!(e["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    }
    let r =
        app.client.put(&url).bearer_auth(&app.key).json(&json!({"subject": "x", "text_body": "a\n{{ nope }}"})).send().await.expect("put");
    let e: Value = r.json().await.expect("json");
    assert_eq!(e["error"]["message"], "text_body: line 2: `nope` is not a variable of this template", "{e}");
    let t: Value = app.get("/api/v1/mail-templates/resolution/en").await.json().await.expect("json");
    assert_eq!(t["subject"], "Solved: {{ ticket.subject }}", "refused values kept the old template");

    let r = app
        .post("/api/v1/mail-templates/resolution/en/preview", &json!({"subject": "Solved: {{ ticket.subject }}", "text_body": "{{ not_solved_url }}", "html_body": "<b onclick=\"x()\">{{ agent.name }}</b>"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.expect("json");
    assert_eq!(p["subject"], "Solved: Keyboard problems");
    assert_eq!(p["text"], "https://mesa.example.gob/tickets/000042/reopen");
    assert_eq!(p["html"], "<b>Luis Andrade</b>");

    let r = app.client.delete(&url).bearer_auth(&app.key).send().await.expect("delete");
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.expect("json");
    assert_eq!((t["customised"].as_bool(), t["subject"].as_str()), (Some(false), Some("Your request was resolved: {{ ticket.subject }}")));
    for missing in ["/api/v1/mail-templates/nonsense/en", "/api/v1/mail-templates/resolution/fr"] {
        assert_eq!(app.get(missing).await.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    let log = audit(&app).await;
    assert_eq!(log.iter().map(|e| e["action"].as_str().unwrap_or_default()).collect::<Vec<_>>(), ["delete", "create"]);
    assert_eq!(log[1]["actor_kind"], "api_key");
}
