//! The ticket desk (`/agent/tickets/{number}`) as a browser without JavaScript meets it: every
//! form, what each kind of agent is offered and refused, another department's tickets as "not
//! found", and a form sent after the ticket changed keeping what was typed.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tikal_core::DepartmentId;
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

pub struct Desk {
    pub soporte: DepartmentId,
    pub redes: DepartmentId,
    pub number: String,
}

/// Two departments and a ticket in the first ("Soporte").
pub async fn desk(app: &TestApp) -> Desk {
    let soporte = app.department("Soporte").await;
    let redes = app.department("Redes").await;
    let t = app.open_ticket("La impresora del piso 2 no imprime", "juan.perez@gob.example").await;
    let number = t["number"].as_str().expect("number").to_string();
    assert_eq!(t["department"]["id"], soporte.get(), "opened in the first department");
    Desk { soporte, redes, number }
}

/// A browser signed in as a new agent holding `role` in `depts`.
pub async fn agent(app: &TestApp, email: &str, role: &str, depts: &[DepartmentId]) -> Client {
    let (_, password) = app.agent_with_password(email, role, depts).await;
    let c = browser();
    agent_sign_in(&c, app, email, &password).await;
    c
}

/// The ticket's version as the page carries it in its forms.
pub fn version(html: &str) -> String {
    let start = html.find("name=\"version\" value=\"").expect("a version on the page") + 22;
    html[start..].split('"').next().unwrap_or_default().to_string()
}

/// The action URL of a reply or note form (it carries the newest entry the page showed).
pub fn message_action(html: &str, kind: &str) -> String {
    let marker = format!("/{kind}?seen=");
    let end = html.find(&marker).expect("a message form with the entry seen");
    let start = html[..end].rfind('"').expect("action") + 1;
    html[start..].split('"').next().unwrap_or_default().to_string()
}

/// The ticket as the API shows it.
pub async fn ticket(app: &TestApp, number: &str) -> Value {
    app.get(&format!("/api/v1/tickets/{number}")).await.json().await.expect("ticket json")
}

pub async fn send(c: &Client, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (_, html) = get(c, app, &path[..path.rfind('/').expect("a form path")]).await;
    let (token, v) = (csrf(&html), version(&html));
    let mut form = vec![("csrf", token.as_str()), ("version", v.as_str())];
    form.extend_from_slice(fields);
    post(c, app, path, &form).await
}

/// A reply or note with files, as the page's multipart form sends it.
pub async fn send_message(
    c: &Client,
    app: &TestApp,
    number: &str,
    kind: &str,
    body: &str,
    file: Option<(&str, &[u8])>,
) -> (StatusCode, String) {
    let (_, html) = get(c, app, &format!("/agent/tickets/{number}")).await;
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf(&html)).text("body", body.to_string());
    if let Some((name, bytes)) = file {
        form = form.part(
            "attachments",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()).mime_str("text/plain").expect("mime"),
        );
    }
    let url = app.url(&message_action(&html, kind));
    let r = c.post(url).multipart(form).send().await.expect("post");
    (r.status(), r.text().await.expect("body"))
}

/// The id of the first attachment link on the page.
fn attachment_link(html: &str, number: &str) -> String {
    let prefix = format!("/agent/tickets/{number}/attachments/");
    let start = html.find(&prefix).expect("an attachment link");
    html[start..].split('"').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn an_agent_works_a_ticket_with_every_form() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    let c = agent(&app, "lucia.mendoza@gob.example", "agent", &[d.soporte]).await;
    app.agent_with_password("pedro.redes@gob.example", "agent", &[d.redes]).await;
    let desk_path = format!("/agent/tickets/{n}");

    let (status, html) = get(&c, &app, &desk_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("La impresora del piso 2 no imprime") && html.contains("juan.perez@gob.example"), "{html}");
    assert!(html.contains("id=\"reply-form\"") && html.contains("id=\"note-form\"") && html.contains("id=\"transfer-form\""));
    assert!(!html.contains("id=\"review-form\""), "an agent does not review solutions");
    assert!(html.contains("lucia.mendoza@gob.example") && !html.contains("pedro.redes@gob.example"), "only Soporte's agents to assign");

    // A reply with a file, then an internal note: both in the thread, the note marked.
    let (status, html) = send_message(&c, &app, n, "reply", "Estamos revisando la impresora.", Some(("bitacora.txt", b"paso 1"))).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Respuesta enviada."), "notice");
    assert!(html.contains("Estamos revisando la impresora.") && html.contains("bitacora.txt"));
    let link = attachment_link(&html, n);
    let r = c.get(app.url(&link)).send().await.expect("download");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), b"paso 1");
    let (status, html) = send_message(&c, &app, n, "note", "Tóner agotado, pedido a bodega.", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nota interna guardada."));
    let note = html.find("Tóner agotado").expect("the note");
    let entry = html[..note].rfind("<li id=\"entry-").expect("its entry");
    assert!(
        html[entry..note].contains("entry-note internal") && html[entry..note].contains(">Nota interna<"),
        "marked: {}",
        &html[entry..note]
    );
    let r = c.get(app.url(&desk_path)).header("accept-language", "en").send().await.expect("get");
    assert!(r.text().await.expect("body").contains(">Internal note<"), "in English too");

    // Properties: a status the graph allows, a priority, the type, an estimate.
    let (status, html) = send(
        &c,
        &app,
        &format!("{desk_path}/properties"),
        &[("status", "pending_third_party"), ("priority", "4"), ("kind", "problem"), ("estimate", "90")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Propiedades guardadas."));
    let t = ticket(&app, n).await;
    assert_eq!(t["status"], "pending_third_party");
    assert_eq!(t["priority"], 4);
    assert_eq!(t["type"], "problem");
    assert!(html.contains("Cambio de estado") && html.contains("Cambio de prioridad"), "history lines");
    // Impact and urgency work the priority out (high x high = 5).
    let (status, _) = send(&c, &app, &format!("{desk_path}/properties"), &[("impact", "3"), ("urgency", "3")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ticket(&app, n).await["priority"], 5);
    // A status the graph does not allow (back to new) is refused beside the field.
    let (status, html) = send(&c, &app, &format!("{desk_path}/properties"), &[("status", "new")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"props-status-error\"") || html.contains("role=\"alert\""), "{html}");

    // Assignment.
    let lucia = app
        .desk
        .store()
        .agents()
        .await
        .expect("agents")
        .into_iter()
        .find(|a| a.email.as_str() == "lucia.mendoza@gob.example")
        .expect("lucia");
    let id = lucia.id.get().to_string();
    let (status, html) = send(&c, &app, &format!("{desk_path}/assign"), &[("owner", &id), ("responsible", &id)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Asignación guardada.") && html.contains("Cambio de asignado"));
    let t = ticket(&app, n).await;
    assert_eq!((t["owner_id"].as_i64(), t["responsible_id"].as_i64()), (Some(lucia.id.get()), Some(lucia.id.get())));

    // Time.
    let (status, html) = send(&c, &app, &format!("{desk_path}/time"), &[("minutes", "abc")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"time-minutes-error\""));
    let (status, html) = send(&c, &app, &format!("{desk_path}/time"), &[("minutes", "30"), ("note", "Cambio de tóner")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Tiempo registrado.") && html.contains("30 min"));

    // Transfer: the reason is required; with it, the ticket moves and the reason stays on the
    // event, which agents read in the history.
    let (status, html) =
        send(&c, &app, &format!("{desk_path}/transfer"), &[("department", &d.redes.get().to_string()), ("reason", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"transfer-reason-error\""), "{html}");
    let (status, html) =
        send(&c, &app, &format!("{desk_path}/transfer"), &[("department", &d.redes.get().to_string()), ("reason", "Es la red del piso")])
            .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let t = ticket(&app, n).await;
    assert_eq!(t["department"]["id"], d.redes.get());
    // Lucía has no role in Redes: she is back on her dashboard, and the ticket is hidden now.
    assert!(html.contains("id=\"mine-h\"") && !html.contains("id=\"reply-form\""), "{html}");
    let (status, _) = get(&c, &app, &desk_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let number = tikal_core::TicketNumber::parse(n).expect("number");
    let (_, entries, _) = app.desk.thread(&tikal_service::Principal::System, &number).await.expect("thread");
    let moved = entries.iter().find(|e| e.event == Some(tikal_core::EventKind::Transferred)).expect("the transfer event");
    assert_eq!(moved.reason.as_deref(), Some("Es la red del piso"), "the reason is on the event");
    assert!(!entries.iter().any(|e| e.kind == tikal_core::EntryKind::Note && e.body.as_deref().is_some_and(|b| b.contains("Es la red"))));
    let pedro = agent(&app, "pedro.redes2@gob.example", "agent", &[d.redes]).await;
    let (status, html) = get(&pedro, &app, &desk_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Motivo: Es la red del piso"), "agents of Redes read the reason: {html}");
    app.stop().await;
}

#[tokio::test]
async fn a_solution_resolves_and_a_supervisor_approves_or_returns_it() {
    let app = TestApp::spawn_with(|s| {
        s.desk.resolution =
            Some(tikal_core::ResolutionPolicy { approval_required: true, confirmation_required: false, reopen_window_days: 14 })
    })
    .await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    let lucia = agent(&app, "lucia.mendoza@gob.example", "agent", &[d.soporte]).await;
    let jefa = agent(&app, "carla.supervisora@gob.example", "supervisor", &[d.soporte]).await;
    let desk_path = format!("/agent/tickets/{n}");

    // The solution is required; with it the ticket resolves and the solution is recorded, shown
    // on the desk and, once, in the requester's thread.
    let (status, html) = send(&lucia, &app, &format!("{desk_path}/resolve"), &[("solution", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"resolve-solution-error\""));
    let (status, html) = send(&lucia, &app, &format!("{desk_path}/resolve"), &[("solution", "Se reemplazó el tóner.")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Solución registrada; el ticket quedó resuelto."));
    assert!(html.contains("id=\"solution\"") && html.contains("Se reemplazó el tóner."), "the solution box");
    assert_eq!(ticket(&app, n).await["status"], "resolved");
    let number = tikal_core::TicketNumber::parse(n).expect("number");
    let juan = app.requester("juan.perez@gob.example").await;
    let (_, entries, _) = app.desk.thread(&juan, &number).await.expect("thread");
    let mentions: Vec<_> = entries
        .iter()
        .filter(|e| e.body.as_deref() == Some("Se reemplazó el tóner.") || e.after.as_deref() == Some("Se reemplazó el tóner."))
        .collect();
    assert_eq!(mentions.len(), 1, "the requester sees the solution once: {mentions:?}");
    assert_eq!(mentions[0].event, Some(tikal_core::EventKind::SolutionRecorded));
    let stored = app.desk.solution(&tikal_service::Principal::System, &number).await.expect("solution").expect("recorded");
    assert_eq!(stored.body, "Se reemplazó el tóner.");

    // An agent is not offered the review and is refused it.
    assert!(!html.contains("id=\"review-form\""));
    let (status, _) = send(&lucia, &app, &format!("{desk_path}/review"), &[("action", "approve")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The supervisor returns it with a reason (required), then approves the next solution.
    let (_, html) = get(&jefa, &app, &desk_path).await;
    assert!(html.contains("id=\"review-form\""), "{html}");
    let (status, html) = send(&jefa, &app, &format!("{desk_path}/review"), &[("action", "return"), ("reason", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"review-reason-error\"") || html.contains("role=\"alert\""), "{html}");
    let (status, html) =
        send(&jefa, &app, &format!("{desk_path}/review"), &[("action", "return"), ("reason", "Falta probar la impresión")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Solución devuelta al agente.") && html.contains("Falta probar la impresión"));
    assert_eq!(ticket(&app, n).await["status"], "open");
    let (status, _) = send(&lucia, &app, &format!("{desk_path}/resolve"), &[("solution", "Impresión de prueba correcta.")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = send(&jefa, &app, &format!("{desk_path}/review"), &[("action", "approve")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Solución aprobada."));
    assert_eq!(ticket(&app, n).await["status"], "closed");
    app.stop().await;
}

#[tokio::test]
async fn another_department_gets_not_found_and_read_only_gets_no_forms() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    let lucia = agent(&app, "lucia.mendoza@gob.example", "agent", &[d.soporte]).await;
    let (status, html) = send_message(&lucia, &app, n, "note", "Nota con archivo", Some(("nota.txt", b"interno"))).await;
    assert_eq!(status, StatusCode::OK);
    let link = attachment_link(&html, n);
    let before = ticket(&app, n).await;
    let desk_path = format!("/agent/tickets/{n}");
    let forms: [(&str, &[(&str, &str)]); 14] = [
        ("properties", &[("priority", "5")]),
        ("escalate", &[("reason", "x")]),
        ("merge", &[("into", "000002"), ("confirm", "yes")]),
        ("links", &[("kind", "related"), ("other", "000002")]),
        ("links/remove", &[("other", "000002")]),
        ("collaborators", &[("email", "otro@gob.example")]),
        ("collaborators/remove", &[("who", "agent:1")]),
        ("assign", &[("owner", "")]),
        ("transfer", &[("department", "2"), ("reason", "x")]),
        ("time", &[("minutes", "5")]),
        ("resolve", &[("solution", "x")]),
        ("review", &[("action", "approve")]),
        ("reply", &[("body", "x")]),
        ("note", &[("body", "x")]),
    ];

    // An agent of Redes: nothing of Soporte's ticket exists for them.
    let pedro = agent(&app, "pedro.redes@gob.example", "agent", &[d.redes]).await;
    for path in [desk_path.clone(), format!("{desk_path}/print"), format!("{desk_path}/presence"), link.clone()] {
        assert_eq!(get(&pedro, &app, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, dashboard) = get(&pedro, &app, "/agent").await;
    let token = csrf(&dashboard);
    for (form, fields) in forms {
        let mut body = vec![("csrf", token.as_str()), ("version", "0")];
        body.extend_from_slice(fields);
        let status = if form == "reply" || form == "note" {
            let mp = reqwest::multipart::Form::new().text("csrf", token.clone()).text("body", "x");
            pedro.post(app.url(&format!("{desk_path}/{form}?version=0"))).multipart(mp).send().await.expect("post").status()
        } else {
            post(&pedro, &app, &format!("{desk_path}/{form}"), &body).await.0
        };
        assert_eq!(status, StatusCode::NOT_FOUND, "{form}");
    }
    assert_eq!(post(&pedro, &app, &format!("{desk_path}/presence"), &[("csrf", &token)]).await.0, StatusCode::NOT_FOUND);
    // A ticket number that does not exist looks the same.
    assert_eq!(get(&pedro, &app, "/agent/tickets/999999").await.0, StatusCode::NOT_FOUND);

    // A read-only agent of Soporte reads everything, is offered no form and is refused each.
    let lector = agent(&app, "lector@gob.example", "read_only", &[d.soporte]).await;
    let (_, page) = get(&lucia, &app, &desk_path).await;
    let v = version(&page);
    let (status, html) = get(&lector, &app, &desk_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nota con archivo") && html.contains("id=\"read-only\""));
    for form in [
        "reply-form",
        "note-form",
        "props-form",
        "assign-form",
        "transfer-form",
        "time-form",
        "resolve-form",
        "review-form",
        "escalate-form",
        "merge-form",
        "link-form",
        "collab-form",
        "cc-form",
        "canned-form",
    ] {
        assert!(!html.contains(&format!("id=\"{form}\"")), "{form} is not offered");
    }
    assert_eq!(get(&lector, &app, &link).await.0, StatusCode::OK, "attachments are readable");
    let token = csrf(&html);
    for (form, fields) in forms {
        let status = if form == "reply" || form == "note" {
            let mp = reqwest::multipart::Form::new().text("csrf", token.clone()).text("body", "x");
            let seen = message_action(&page, form);
            lector.post(app.url(&seen)).multipart(mp).send().await.expect("post").status()
        } else {
            let mut body = vec![("csrf", token.as_str()), ("version", v.as_str())];
            body.extend_from_slice(fields);
            post(&lector, &app, &format!("{desk_path}/{form}"), &body).await.0
        };
        assert_eq!(status, StatusCode::FORBIDDEN, "{form}");
    }
    let after = ticket(&app, n).await;
    assert_eq!(before["updated_at"], after["updated_at"], "nothing changed");
    app.stop().await;
}

#[tokio::test]
async fn a_form_sent_after_the_ticket_changed_keeps_the_text() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    let lucia = agent(&app, "lucia.mendoza@gob.example", "agent", &[d.soporte]).await;
    let desk_path = format!("/agent/tickets/{n}");
    let (_, html) = get(&lucia, &app, &desk_path).await;
    let (token, old, reply_action) = (csrf(&html), version(&html), message_action(&html, "reply"));

    // Meanwhile a colleague adds a note through the API.
    let r = app.post(&format!("/api/v1/tickets/{n}/messages"), &json!({"kind": "note", "body": "Llamó el solicitante: urgente"})).await;
    assert!(r.status().is_success(), "{}", r.status());

    let typed = "Le escribo para confirmar el modelo de la impresora.";
    let mp = reqwest::multipart::Form::new().text("csrf", token.clone()).text("body", typed);
    let r = lucia.post(app.url(&reply_action)).multipart(mp).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("Llegó algo nuevo a este ticket"), "a notice: {html}");
    assert!(html.contains(&format!(">{typed}</textarea>")), "the text is kept: {html}");
    assert!(html.contains("Llamó el solicitante: urgente"), "what is new is shown");
    let number = tikal_core::TicketNumber::parse(n).expect("number");
    let (_, entries, _) = app.desk.thread(&tikal_service::Principal::System, &number).await.expect("thread");
    assert!(!entries.iter().any(|e| e.body.as_deref() == Some(typed)), "nothing was sent");

    // The same for a plain form: the reason is kept, the ticket stays.
    let (status, html) = post(
        &lucia,
        &app,
        &format!("{desk_path}/transfer"),
        &[("csrf", &token), ("version", &old), ("department", &d.redes.get().to_string()), ("reason", "Es de la red")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains(">Es de la red</textarea>"));
    assert_eq!(ticket(&app, n).await["department"]["id"], d.soporte.get());

    // Sent again from the page it got back, the reply goes through.
    assert_ne!(version(&html), old);
    let again = message_action(&html, "reply");
    assert_ne!(again, reply_action, "the page now carries the newest entry");
    let mp = reqwest::multipart::Form::new().text("csrf", token.clone()).text("body", typed);
    let r = lucia.post(app.url(&again)).multipart(mp).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("body").contains("Respuesta enviada."));
    app.stop().await;
}
