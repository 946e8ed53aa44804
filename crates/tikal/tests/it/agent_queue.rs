//! The dashboard and the queues of the agent workspace over HTTP: counts, views, filters in the
//! URL, keyset pages, bulk actions, saved views, and nothing of another department.

use reqwest::StatusCode;
use serde_json::json;
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

/// Opens a ticket in `dept` and returns its number.
async fn ticket_in(app: &TestApp, dept: tikal_core::DepartmentId, subject: &str, priority: u8) -> String {
    let t = app.open_ticket(subject, "juan.perez@gob.example").await;
    let number = t["number"].as_str().expect("number").to_string();
    let mut change = json!({"priority": priority});
    if t["department"]["id"] != dept.get() {
        change["department_id"] = json!(dept.get());
    }
    let r = app.patch(&format!("/api/v1/tickets/{number}"), &change).await;
    assert!(r.status() == StatusCode::OK || r.status() == StatusCode::CONFLICT, "{}", r.status());
    number
}

/// The ticket numbers listed in a queue page's rows.
fn listed(html: &str) -> Vec<String> {
    html.split("name=\"n\" value=\"").skip(1).map(|s| s.split('"').next().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn queues_show_only_the_agents_departments_filter_and_page() {
    let app = TestApp::spawn().await;
    let level1 = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    let (_, password) = app.agent_with_password("operador@gob.example", "agent", &[level1]).await;
    let mut mine = Vec::new();
    for i in 0..55 {
        mine.push(ticket_in(&app, level1, &format!("Impresora {i} sin tóner"), if i % 5 == 0 { 5 } else { 2 }).await);
    }
    let theirs = ticket_in(&app, infra, "Servidor de correo caído", 5).await;

    let c = browser();
    let html = agent_sign_in(&c, &app, "operador@gob.example", &password).await;
    assert!(html.contains("id=\"counts\""), "{html}");
    assert!(!html.contains("Infraestructura Tecnológica"), "no other department on the dashboard");

    let (status, html) = get(&c, &app, "/agent/tickets").await;
    assert_eq!(status, StatusCode::OK);
    let first = listed(&html);
    assert_eq!(first.len(), 50);
    assert!(!first.contains(&theirs), "another department's ticket is never listed");
    let start = html.find("id=\"next-page\"").map(|i| &html[..i]).and_then(|h| h.rfind("href=\"")).expect("a next page") + 6;
    let next = html[start..].split('"').next().expect("href").replace("&amp;", "&");
    let (_, html) = get(&c, &app, &next).await;
    let second = listed(&html);
    assert_eq!(second.len(), 5);
    assert!(second.iter().all(|n| !first.contains(n)), "pages do not overlap");

    // Filters are URL parameters; a bad one is said, not a 500.
    let (_, html) = get(&c, &app, "/agent/tickets?priority=5&sort=created_asc").await;
    let high = listed(&html);
    assert_eq!(high.len(), 11, "{high:?}");
    assert_eq!(high[0], mine[0], "oldest first");
    let (status, html) = get(&c, &app, "/agent/tickets?priority=9").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"queue-error\""), "{html}");
    let (_, html) = get(&c, &app, &format!("/agent/tickets?department={}", infra.get())).await;
    assert!(listed(&html).is_empty(), "asking for another department shows nothing");
    app.stop().await;
}

#[tokio::test]
async fn bulk_actions_say_what_was_refused_and_views_are_saved() {
    let app = TestApp::spawn().await;
    let level1 = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    let (operator, password) = app.agent_with_password("operador@gob.example", "agent", &[level1]).await;
    let (_, other_password) = app.agent_with_password("tecnico@gob.example", "agent", &[level1]).await;
    let a = ticket_in(&app, level1, "No enciende el monitor", 2).await;
    let b = ticket_in(&app, level1, "Teclado sin respuesta", 2).await;
    let theirs = ticket_in(&app, infra, "Servidor caído", 5).await;

    let c = browser();
    agent_sign_in(&c, &app, "operador@gob.example", &password).await;
    let (_, html) = get(&c, &app, "/agent/tickets?view=unassigned").await;
    let token = csrf(&html);
    let me = TestApp::agent_id(&operator).get().to_string();
    let back = "/agent/tickets?view=unassigned";
    let form =
        [("csrf", token.as_str()), ("back", back), ("action", "assign"), ("owner", me.as_str()), ("n", a.as_str()), ("n", b.as_str())];
    let (status, html) = post(&c, &app, "/agent/tickets/bulk", &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed(&html).is_empty(), "both left the unassigned view: {html}");
    let (_, html) = get(&c, &app, "/agent/tickets?view=mine").await;
    let mut mine = listed(&html);
    mine.sort();
    assert_eq!(mine, vec![a.clone(), b.clone()]);

    // A ticket of another department is refused, by number, and the others are done.
    let form =
        [("csrf", token.as_str()), ("back", back), ("action", "priority"), ("priority", "4"), ("n", a.as_str()), ("n", theirs.as_str())];
    let (status, html) = post(&c, &app, "/agent/tickets/bulk", &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"bulk-refused\"") && html.contains(&theirs), "{html}");
    let t: serde_json::Value = app.get(&format!("/api/v1/tickets/{a}")).await.json().await.expect("json");
    assert_eq!(t["priority"], 4);
    let t: serde_json::Value = app.get(&format!("/api/v1/tickets/{theirs}")).await.json().await.expect("json");
    assert_eq!(t["priority"], 5, "untouched");
    let (status, _) =
        post(&c, &app, "/agent/tickets/bulk", &[("csrf", "x"), ("action", "priority"), ("priority", "1"), ("n", a.as_str())]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the form token is checked");

    // A personal view: saved from the filters, shown to its owner only.
    let (status, html) = post(
        &c,
        &app,
        "/agent/views",
        &[("csrf", token.as_str()), ("name", "Prioridad alta"), ("query", "priority=4,5&sort=priority_desc")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Prioridad alta</h1>"), "{html}");
    assert_eq!(listed(&html), vec![a.clone()]);
    let other = browser();
    let html = agent_sign_in(&other, &app, "tecnico@gob.example", &other_password).await;
    let (_, html2) = get(&other, &app, "/agent/tickets").await;
    assert!(!html.contains("Prioridad alta") && !html2.contains("Prioridad alta"), "a personal view is its owner's");
    app.stop().await;
}
