//! Who may see and do what, through the same use cases every entry point calls.

use tikal_core::{EntryKind, Status, TicketNumber, TicketUpdate};
use tikal_service::{PostMessage, ServiceError, TicketQuery};
use tikal_testkit::TestApp;

fn number(t: &serde_json::Value) -> TicketNumber {
    TicketNumber::parse(t["number"].as_str().expect("number")).expect("valid number")
}

#[tokio::test]
async fn agents_see_only_their_departments() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    let in_mesa = number(&app.open_ticket("Teclado", "a@gob.example").await);
    let resp = app
        .post("/api/v1/tickets", &serde_json::json!({"subject": "Switch caído", "message": "m", "requester": {"email": "b@gob.example"}, "department_id": infra.get()}))
        .await;
    let in_infra = number(&resp.json().await.expect("json"));

    let operator = app.agent("operador@gob.example", "agent", &[mesa]).await;
    let desk = &app.desk;
    assert!(desk.ticket(&operator, &in_mesa).await.is_ok());
    assert!(matches!(desk.ticket(&operator, &in_infra).await, Err(ServiceError::NotFound(_))), "another department's ticket is invisible");
    assert!(matches!(desk.thread(&operator, &in_infra).await, Err(ServiceError::NotFound(_))));
    let reply = PostMessage { kind: EntryKind::Reply, body: "hola".into(), attachments: vec![] };
    assert!(matches!(desk.post_message(&operator, &in_infra, reply.clone()).await, Err(ServiceError::NotFound(_))));
    let listed = desk.list_tickets(&operator, TicketQuery { limit: 50, ..Default::default() }).await.expect("list");
    assert_eq!(listed.tickets.iter().map(|t| t.number.clone()).collect::<Vec<_>>(), vec![in_mesa.clone()]);
    let asked_for_other =
        desk.list_tickets(&operator, TicketQuery { limit: 50, department: Some(infra), ..Default::default() }).await.expect("list");
    assert!(asked_for_other.tickets.is_empty(), "a filter cannot widen what is visible");

    // Transfer away: afterwards the operator no longer sees it.
    desk.update_ticket(&operator, &in_mesa, TicketUpdate { department_id: Some(infra), ..Default::default() }).await.expect("transfer");
    assert!(desk.ticket(&operator, &in_mesa).await.is_err());
}

#[tokio::test]
async fn roles_limit_actions() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let n = number(&app.open_ticket("Impresora", "c@gob.example").await);
    let reader = app.agent("lector@gob.example", "read_only", &[mesa]).await;
    let agent = app.agent("agente@gob.example", "agent", &[mesa]).await;
    let supervisor = app.agent("supervisora@gob.example", "supervisor", &[mesa]).await;
    let desk = &app.desk;
    assert!(desk.ticket(&reader, &n).await.is_ok());
    let note = PostMessage { kind: EntryKind::Note, body: "nota".into(), attachments: vec![] };
    assert!(matches!(desk.post_message(&reader, &n, note.clone()).await, Err(ServiceError::Forbidden)));
    desk.post_message(&agent, &n, note).await.expect("agents write notes");
    desk.update_ticket(&agent, &n, TicketUpdate { status: Some(Status::RESOLVED), ..Default::default() }).await.expect("agents resolve");
    let close = TicketUpdate { status: Some(Status::CLOSED), ..Default::default() };
    assert!(matches!(desk.update_ticket(&agent, &n, close.clone()).await, Err(ServiceError::Forbidden)), "closing is for supervisors");
    assert!(matches!(desk.resolution(&agent, &n, tikal_service::ResolutionAction::Approve, "").await, Err(ServiceError::Forbidden)));
    let t =
        desk.resolution(&supervisor, &n, tikal_service::ResolutionAction::Return, "Falta confirmar con el usuario").await.expect("return");
    assert_eq!(t.status, Status::OPEN);
    let (_, thread, _) = desk.thread(&supervisor, &n).await.expect("thread");
    assert!(thread.iter().any(|e| e.reason.as_deref() == Some("Falta confirmar con el usuario")));
}

#[tokio::test]
async fn requesters_see_only_their_own_public_thread() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let mine = number(&app.open_ticket("Mi teclado", "ana@gob.example").await);
    let theirs = number(&app.open_ticket("Su monitor", "luis@gob.example").await);
    let ana = app.requester("ana@gob.example").await;
    let desk = &app.desk;
    let note = PostMessage { kind: EntryKind::Note, body: "Usuario reincidente".into(), attachments: vec![] };
    desk.post_message(&tikal_service::Principal::System, &mine, note).await.expect("note");
    let reply = PostMessage { kind: EntryKind::Reply, body: "Lo revisamos hoy".into(), attachments: vec![] };
    desk.post_message(&tikal_service::Principal::System, &mine, reply).await.expect("reply");

    let (_, thread, _) = desk.thread(&ana, &mine).await.expect("own ticket");
    assert!(thread.iter().all(|e| e.kind != EntryKind::Note), "never an internal note");
    assert!(thread.iter().any(|e| e.body.as_deref() == Some("Lo revisamos hoy")));
    assert!(!thread.iter().any(|e| e.event == Some(tikal_core::EventKind::Assigned)));
    assert!(matches!(desk.ticket(&ana, &theirs).await, Err(ServiceError::NotFound(_))), "someone else's number");
    let listed = desk.list_tickets(&ana, TicketQuery { limit: 50, ..Default::default() }).await.expect("list");
    assert_eq!(listed.tickets.len(), 1);
    let msg = PostMessage { kind: EntryKind::Note, body: "¿Novedades?".into(), attachments: vec![] };
    desk.post_message(&ana, &mine, msg).await.expect("a requester's message");
    let (_, thread, _) = desk.thread(&ana, &mine).await.expect("thread");
    assert_eq!(thread.last().map(|e| e.kind), Some(EntryKind::Message), "a requester always writes a message, never a note");
    let approve = desk.resolution(&ana, &mine, tikal_service::ResolutionAction::Approve, "").await;
    assert!(matches!(approve, Err(ServiceError::Forbidden)));
}

#[tokio::test]
async fn every_action_on_a_hidden_ticket_looks_like_no_ticket_and_nobody_answers_for_the_requester() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let redes = app.department("Redes").await;
    let resp = app
        .post("/api/v1/tickets", &serde_json::json!({"subject": "Switch caído", "message": "m", "requester": {"email": "b@gob.example"}, "department_id": redes.get()}))
        .await;
    let elsewhere = number(&resp.json().await.expect("json"));
    let supervisor = app.agent("supervisora@gob.example", "supervisor", &[mesa]).await;
    let desk = &app.desk;
    let hidden = |r: Result<_, ServiceError>| matches!(r, Err(ServiceError::NotFound(_)));
    let update = TicketUpdate { status: Some(Status::RESOLVED), ..Default::default() };
    assert!(hidden(desk.update_ticket(&supervisor, &elsewhere, update).await.map(|_| ())));
    assert!(hidden(desk.resolution(&supervisor, &elsewhere, tikal_service::ResolutionAction::Approve, "").await.map(|_| ())));
    assert!(hidden(desk.log_time(&supervisor, &elsewhere, 15, None).await.map(|_| ())));
    let note = PostMessage { kind: EntryKind::Note, body: "nota".into(), attachments: vec![] };
    assert!(hidden(desk.post_message(&supervisor, &elsewhere, note).await.map(|_| ())));

    // A resolution is confirmed by its requester only: not by staff, not by an integration.
    desk.update_ticket(
        &tikal_service::Principal::System,
        &elsewhere,
        TicketUpdate { status: Some(Status::RESOLVED), ..Default::default() },
    )
    .await
    .expect("resolve");
    let r = app.post(&format!("/api/v1/tickets/{elsewhere}/resolution"), &serde_json::json!({"action": "confirm"})).await;
    assert!(r.status().is_client_error(), "an API key cannot confirm for the requester: {}", r.status());
    let requester = app.requester("b@gob.example").await;
    desk.resolution(&requester, &elsewhere, tikal_service::ResolutionAction::Confirm, "").await.expect("the requester confirms");
}
