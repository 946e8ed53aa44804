//! The ticket desk's forms over the desk service, as a browser without JavaScript meets them:
//! escalation to the next level, merging, links, collaborators, canned responses, the time
//! sheet, who else is on the ticket (presence) and the check that nothing new arrived before a
//! reply goes out.

use reqwest::{Client, StatusCode};
use tikal_core::TicketNumber;
use tikal_core::desk::{CannedOwner, DepartmentRules};
use tikal_service::Principal;
use tikal_testkit::TestApp;
use tikal_testkit::web::{csrf, get, post};

use super::agent_desk::{agent, desk, message_action, ticket, version};

/// Sends a desk form from the page as it is now (its token and the ticket's version).
async fn form(c: &Client, app: &TestApp, number: &str, action: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (_, html) = get(c, app, &format!("/agent/tickets/{number}")).await;
    // A reader's page has no form with the version: any version does for a refusal.
    let v = if html.contains("name=\"version\"") { version(&html) } else { "0".into() };
    let token = csrf(&html);
    let mut body = vec![("csrf", token.as_str()), ("version", v.as_str())];
    body.extend_from_slice(fields);
    post(c, app, &format!("/agent/tickets/{number}/{action}"), &body).await
}

fn number_of(t: &serde_json::Value) -> String {
    t["number"].as_str().expect("number").to_string()
}

#[tokio::test]
async fn escalation_merging_and_links_from_the_desk() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    let lucia = agent(&app, "lucia.mendoza@gob.example", "agent", &[d.soporte]).await;
    let lector = agent(&app, "lector@gob.example", "read_only", &[d.soporte]).await;
    let both = agent(&app, "coordinadora@gob.example", "agent", &[d.soporte, d.redes]).await;

    // Without a next level there is nothing to escalate to.
    let (_, html) = get(&lucia, &app, &format!("/agent/tickets/{n}")).await;
    assert!(!html.contains("id=\"escalate-form\""), "no next level, no form");
    app.desk
        .set_department_rules(&Principal::System, d.soporte, DepartmentRules { next_level: Some(d.redes), review_required: None })
        .await
        .expect("rules");
    let (_, html) = get(&lucia, &app, &format!("/agent/tickets/{n}")).await;
    assert!(html.contains("id=\"escalate-form\"") && html.contains("El ticket pasará a Redes"), "{html}");
    let (_, html) = get(&lector, &app, &format!("/agent/tickets/{n}")).await;
    assert!(!html.contains("id=\"escalate-form\""), "not offered to a read-only agent");
    let (status, _) = form(&lector, &app, n, "escalate", &[("reason", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "and refused");

    // The reason is required; with it the ticket goes up a level and the reason is in the history.
    let (status, html) = form(&lucia, &app, n, "escalate", &[("reason", "  ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"escalate-reason-error\""), "{html}");
    let (status, html) = form(&both, &app, n, "escalate", &[("reason", "Hace falta revisar el switch")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Ticket escalado al siguiente nivel."));
    assert!(html.contains("Escalado al siguiente nivel") && html.contains("Motivo: Hace falta revisar el switch"), "{html}");
    assert_eq!(ticket(&app, n).await["department"]["id"], d.redes.get());
    // Lucía has no role in Redes: the ticket is gone for her.
    assert_eq!(get(&lucia, &app, &format!("/agent/tickets/{n}")).await.0, StatusCode::NOT_FOUND);

    // Merging: a second ticket (another requester's, in Soporte) is merged into the first.
    let second = app.open_ticket("Sin red en el piso 2", "maria.lopez@gob.example").await;
    let m = number_of(&second);
    let third = app.open_ticket("Cable dañado", "maria.lopez@gob.example").await;
    let l = number_of(&third);
    let (status, html) = form(&both, &app, &m, "merge", &[("into", n)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the confirmation is required");
    assert!(html.contains("id=\"merge-confirm-error\""));
    let (status, html) = form(&both, &app, &m, "merge", &[("into", "999999"), ("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"merge-into-error\"") && html.contains("No existe un ticket con ese número"), "{html}");
    let (status, html) = form(&both, &app, &m, "merge", &[("into", &m), ("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not into itself: {html}");
    let (status, html) = form(&both, &app, &m, "merge", &[("into", n), ("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Tickets fusionados"), "lands on the survivor: {html}");
    assert!(html.contains("La impresora del piso 2 no imprime"), "the survivor's page");
    assert!(html.contains("id=\"merged-from\"") && html.contains(&format!("/agent/tickets/{m}")), "names the merged ticket");
    let (_, merged) = get(&both, &app, &format!("/agent/tickets/{m}")).await;
    assert!(merged.contains("id=\"merged-into\"") && merged.contains(&format!("fusionado en {n}")), "{merged}");
    assert!(!merged.contains("id=\"merge-form\""), "merged once only");
    assert_eq!(ticket(&app, &m).await["status"], "closed");
    // The merged ticket's messages are in the survivor's thread.
    let (_, survivor) = get(&both, &app, &format!("/agent/tickets/{n}")).await;
    assert_eq!(survivor.matches("Detalle del problema").count(), 2, "both tickets' first messages");

    // Links: both directions listed, refused to itself and twice, removed from either side.
    let (status, html) = form(&both, &app, n, "links", &[("kind", "parent_of"), ("other", &l)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Vínculo agregado.") && html.contains(&format!("Padre de {l}")), "the history says it");
    let links = &html[html.find("id=\"links\"").expect("links")..];
    assert!(links.contains("Padre de <a") && links.contains("Cable dañado"), "{links}");
    let (_, other) = get(&both, &app, &format!("/agent/tickets/{l}")).await;
    let links = &other[other.find("id=\"links\"").expect("links")..];
    assert!(links.contains("Hijo de <a") && links.contains("La impresora del piso 2"), "the other direction: {links}");
    let (status, html) = form(&both, &app, &l, "links", &[("kind", "related"), ("other", n)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "once per pair");
    assert!(html.contains("ya están vinculados"), "{html}");
    let (status, html) = form(&both, &app, &l, "links", &[("kind", "related"), ("other", &l)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not to itself: {html}");
    let (status, html) = form(&both, &app, &l, "links", &[("kind", "sibling_of"), ("other", n)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"link-kind-error\""));
    let (status, _) = form(&lector, &app, n, "links", &[("kind", "related"), ("other", &l)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the ticket is in Redes now: not found for Soporte's reader");
    let (status, html) = form(&both, &app, &l, "links/remove", &[("other", n)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Vínculo quitado.") && html.contains("No hay tickets vinculados."), "{html}");
    let (_, html) = get(&both, &app, &format!("/agent/tickets/{n}")).await;
    assert!(html.contains("No hay tickets vinculados."), "gone from both sides");
    app.stop().await;
}

#[tokio::test]
async fn collaborators_canned_responses_and_the_time_sheet() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    let lucia = agent(&app, "lucia.mendoza@gob.example", "agent", &[d.soporte]).await;
    let lector = agent(&app, "lector@gob.example", "read_only", &[d.soporte]).await;
    let marco = app.agent("marco.soporte@gob.example", "agent", &[d.soporte]).await;
    let marco_id = TestApp::agent_id(&marco).get().to_string();

    // Collaborators: an agent from the list, a requester copied by address; twice is refused.
    let (status, html) = form(&lucia, &app, n, "collaborators", &[("agent", &marco_id)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Colaborador agregado."));
    let (status, html) = form(&lucia, &app, n, "collaborators", &[("agent", &marco_id)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"collab-agent-error\""), "{html}");
    let (status, html) = form(&lucia, &app, n, "collaborators", &[("email", "no es correo")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"cc-email-error\"") && html.contains("value=\"no es correo\""), "kept: {html}");
    let (status, html) = form(&lucia, &app, n, "collaborators", &[("email", "jefa.juan@gob.example"), ("name", "Jefa de Juan")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let list = &html[html.find("id=\"collaborators\"").expect("list")..];
    let list = &list[..list.find("</section>").expect("end")];
    assert!(list.contains("&lt;marco.soporte@gob.example&gt;") && list.contains("Jefa de Juan &lt;jefa.juan@gob.example&gt;"), "{list}");
    assert!(html.contains("Jefa de Juan (CC)"), "the history names the copied requester");
    let (_, page) = get(&lector, &app, &format!("/agent/tickets/{n}")).await;
    assert!(page.contains("Jefa de Juan") && !page.contains("id=\"collab-form\""), "a reader sees the list, not the forms");
    let (status, _) = form(&lector, &app, n, "collaborators", &[("email", "otro@gob.example")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = form(&lector, &app, n, "collaborators/remove", &[("who", &format!("agent:{marco_id}"))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html) = form(&lucia, &app, n, "collaborators/remove", &[("who", &format!("agent:{marco_id}"))]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Colaborador quitado."));
    let list = &html[html.find("id=\"collaborators\"").expect("list")..];
    let list = &list[..list.find("</section>").expect("end")];
    assert!(!list.contains("&lt;marco.soporte@gob.example&gt;") && list.contains("Jefa de Juan"), "{list}");

    // Canned responses: the list fills the reply (a plain GET), with the ticket's values.
    let canned = app
        .desk
        .create_canned(&Principal::System, CannedOwner::Desk, "En revisión", "Su ticket {{ ticket_number }} está en revisión.")
        .await
        .expect("canned");
    let (_, html) = get(&lucia, &app, &format!("/agent/tickets/{n}")).await;
    assert!(html.contains("id=\"canned-form\"") && html.contains(">En revisión</option>"), "{html}");
    let (status, html) = get(&lucia, &app, &format!("/agent/tickets/{n}?canned={}", canned.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!(">Su ticket {n} está en revisión.</textarea>")), "{html}");
    let (status, html) = get(&lucia, &app, &format!("/agent/tickets/{n}?canned={}&body=Hola", canned.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!(">Hola\n\nSu ticket {n} está en revisión.</textarea>")), "appended to what was typed");
    let (_, html) = get(&lucia, &app, &format!("/agent/tickets/{n}?canned=99999")).await;
    assert!(html.contains("id=\"reply-canned-error\""), "an unknown one is said");
    let (_, html) = get(&lector, &app, &format!("/agent/tickets/{n}")).await;
    assert!(!html.contains("id=\"canned-form\""), "nothing to fill for a reader");

    // Time sheet: each entry with who, how long and the note, and the estimate.
    let (status, _) = form(&lucia, &app, n, "properties", &[("estimate", "120")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = form(&lucia, &app, n, "time", &[("minutes", "45"), ("note", "Diagnóstico del equipo")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let sheet = &html[html.find("id=\"timesheet\"").expect("sheet")..];
    let sheet = &sheet[..sheet.find("</section>").expect("end")];
    assert!(sheet.contains("120 min") && sheet.contains("45 min"), "{sheet}");
    assert!(sheet.contains("lucia.mendoza@gob.example") && sheet.contains("Diagnóstico del equipo"), "{sheet}");
    app.stop().await;
}

#[tokio::test]
async fn presence_shows_who_else_is_on_the_ticket_and_a_new_message_stops_a_blind_reply() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let n = d.number.as_str();
    let lucia = agent(&app, "lucia.mendoza@gob.example", "agent", &[d.soporte]).await;
    let marco = agent(&app, "marco.soporte@gob.example", "agent", &[d.soporte]).await;
    let path = format!("/agent/tickets/{n}");

    // Lucía opens the ticket: Marco's page says so; hers does not name herself.
    let (_, html) = get(&lucia, &app, &path).await;
    assert!(!html.contains("También tiene abierto este ticket"), "alone: {html}");
    assert!(html.contains("hx-get=\"/agent/tickets/") && html.contains("hx-trigger=\"every 20s\""), "the page polls its presence");
    assert!(html.contains("hx-trigger=\"focus once\""), "the reply box says when it is used");
    let (token, reply_action) = (csrf(&html), message_action(&html, "reply"));
    let html_before = html.clone();
    let (_, page) = get(&marco, &app, &path).await;
    assert!(page.contains("También tiene abierto este ticket: lucia.mendoza@gob.example"), "{page}");

    // She starts replying (the reply box's focus posts the token): Marco's poll says so.
    let (status, fragment) = post(&lucia, &app, &format!("{path}/presence"), &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(fragment.contains("marco.soporte@gob.example") && fragment.starts_with("<div id=\"presence\""), "{fragment}");
    let (status, fragment) = get(&marco, &app, &format!("{path}/presence")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(fragment.contains("lucia.mendoza@gob.example (respondiendo)"), "{fragment}");
    // Her own poll keeps her "replying".
    let (_, _) = get(&lucia, &app, &format!("{path}/presence")).await;
    let (_, fragment) = get(&marco, &app, &format!("{path}/presence")).await;
    assert!(fragment.contains("(respondiendo)"), "{fragment}");
    assert!(post(&lucia, &app, &format!("{path}/presence"), &[("csrf", "wrong")]).await.0.is_client_error(), "the token is checked");

    // Meanwhile Marco adds a note: Lucía's reply is stopped, what she typed is kept, the note shown.
    let (_, page) = get(&marco, &app, &path).await;
    let mp = reqwest::multipart::Form::new().text("csrf", csrf(&page)).text("body", "El usuario llamó: ya imprime");
    let r = marco.post(app.url(&message_action(&page, "note"))).multipart(mp).send().await.expect("note");
    assert_eq!(r.status(), StatusCode::OK);
    let typed = "Vamos a cambiar el tóner hoy.";
    let mp = reqwest::multipart::Form::new().text("csrf", token.clone()).text("body", typed);
    let r = lucia.post(app.url(&reply_action)).multipart(mp).send().await.expect("reply");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("Llegó algo nuevo a este ticket"), "{html}");
    assert!(html.contains(&format!(">{typed}</textarea>")) && html.contains("El usuario llamó: ya imprime"), "{html}");
    let number = TicketNumber::parse(n).expect("number");
    let (_, entries, _) = app.desk.thread(&Principal::System, &number).await.expect("thread");
    assert!(!entries.iter().any(|e| e.body.as_deref() == Some(typed)), "nothing was sent");
    // A note from the old page is checked the same way.
    let mp = reqwest::multipart::Form::new().text("csrf", token.clone()).text("body", "nota a ciegas");
    let r = lucia.post(app.url(&message_action(&html_before, "note"))).multipart(mp).send().await.expect("note");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Sent from the page it got back, the reply goes through.
    let (_, fresh) = get(&lucia, &app, &path).await;
    let mp = reqwest::multipart::Form::new().text("csrf", token.clone()).text("body", typed);
    let r = lucia.post(app.url(&message_action(&fresh, "reply"))).multipart(mp).send().await.expect("reply");
    assert_eq!(r.status(), StatusCode::OK);
    let (_, entries, _) = app.desk.thread(&Principal::System, &number).await.expect("thread");
    assert!(entries.iter().any(|e| e.body.as_deref() == Some(typed)));
    assert!(!entries.iter().any(|e| e.body.as_deref() == Some("nota a ciegas")));
    app.stop().await;
}

#[tokio::test]
async fn the_requester_reads_the_solution_once_on_the_portal() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    let ana = super::portal::register(&app, "ana@gob.example", "es").await;
    let n = number_of(&app.open_ticket("El teclado no responde", "ana@gob.example").await);
    let lucia = agent(&app, "lucia.mendoza@gob.example", "agent", &[soporte]).await;
    let (status, html) = form(&lucia, &app, &n, "resolve", &[("solution", "Se cambió el teclado por uno nuevo.")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, page) = get(&ana, &app, &format!("/tickets/{n}")).await;
    assert_eq!(page.matches("Se cambió el teclado por uno nuevo.").count(), 1, "once: {page}");
    assert!(page.contains("Solución: Se cambió el teclado por uno nuevo."), "{page}");
    assert!(page.contains("id=\"confirm-resolution\""), "and is asked to confirm it");
    app.stop().await;
}
