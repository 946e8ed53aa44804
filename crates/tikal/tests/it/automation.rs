//! Automation: automatic assignment (round robin skipping away agents, least open tickets,
//! transfers), auto-close, reminders and time rules. Time moves by calling the service's
//! functions with a `now` in the future; nothing sleeps.

use chrono::TimeDelta;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_core::*;
use tikal_service::Principal;
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

use super::admin::assert_admin_only;

fn number(t: &Value) -> TicketNumber {
    TicketNumber::parse(t["number"].as_str().expect("number")).expect("valid number")
}

async fn department(app: &TestApp, name: &str, mode: &str) -> DepartmentId {
    let r = app.post("/api/v1/departments", &json!({"name": name, "auto_assign": mode})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "department {name}");
    let d: Value = r.json().await.expect("json");
    DepartmentId(d["id"].as_i64().expect("id"))
}

async fn open_in(app: &TestApp, subject: &str, dept: DepartmentId) -> Ticket {
    let body =
        json!({"subject": subject, "message": "Detalle", "requester": {"email": "rosa.perez@gob.example"}, "department_id": dept.get()});
    let r = app.post("/api/v1/tickets", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "open {subject}");
    let n = number(&r.json().await.expect("json"));
    app.desk.ticket(&Principal::System, &n).await.expect("ticket")
}

async fn put(app: &TestApp, key: &str, path: &str, body: Value) -> reqwest::Response {
    app.client.put(app.url(path)).bearer_auth(key).json(&body).send().await.expect("PUT")
}

async fn events(app: &TestApp, n: &TicketNumber, kind: EventKind) -> Vec<ThreadEntry> {
    let (_, thread, _) = app.desk.thread(&Principal::System, n).await.expect("thread");
    thread.into_iter().filter(|e| e.event == Some(kind)).collect()
}

async fn jobs(app: &TestApp, kind: &str) -> usize {
    app.desk.store().pending_jobs().await.expect("jobs").iter().filter(|(k, _)| k == kind).count()
}

fn later(t: TimeDelta) -> chrono::DateTime<chrono::Utc> {
    tikal_store::now() + t
}

#[tokio::test]
async fn round_robin_takes_turns_and_skips_away_agents() {
    let app = TestApp::spawn().await;
    let d = department(&app, "Mesa de Ayuda (Nivel 1)", "round_robin").await;
    let a1 = TestApp::agent_id(&app.agent("ana@gob.example", "agent", &[d]).await);
    let a2 = TestApp::agent_id(&app.agent("beto@gob.example", "agent", &[d]).await);
    let a3 = TestApp::agent_id(&app.agent("carla@gob.example", "agent", &[d]).await);
    // May see but not reply: never picked.
    app.agent("lectora@gob.example", "read_only", &[d]).await;

    // Beto marks himself away with his own key; he may not mark a colleague.
    let beto_key = app.desk.create_agent_api_key(a2, "script").await.expect("key");
    let r = put(&app, &beto_key, &format!("/api/v1/agents/{}/away", a2.get()), json!({"away": true})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.expect("json")["away"], true);
    let r = put(&app, &beto_key, &format!("/api/v1/agents/{}/away", a1.get()), json!({"away": true})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let listed: Value = app.get(&format!("/api/v1/agents/{}", a2.get())).await.json().await.expect("json");
    assert_eq!(listed["away"], true);

    let mut owners = Vec::new();
    for i in 0..4 {
        owners.push(open_in(&app, &format!("Impresora {i}"), d).await.owner_id);
    }
    assert_eq!(owners, vec![Some(a1), Some(a3), Some(a1), Some(a3)], "in turns, Beto skipped");
    let t = open_in(&app, "Teclado", d).await;
    let assigned = events(&app, &t.number, EventKind::Assigned).await;
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].author, Author::System, "assigned by the system");
    assert!(jobs(&app, "notify.assigned").await >= 5, "each pick mails the agent");

    // An administrator brings Beto back (audited): the turn goes on after Ana (the last pick).
    let r = put(&app, &app.key, &format!("/api/v1/agents/{}/away", a2.get()), json!({"away": false})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(open_in(&app, "Mouse", d).await.owner_id, Some(a2));
    assert_eq!(open_in(&app, "Monitor", d).await.owner_id, Some(a3));
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=agent").await.json().await.expect("json");
    let beto = a2.get().to_string();
    assert!(log.iter().any(|e| e["entity_id"] == beto.as_str() && e["after"]["away"] == false), "{log:?}");

    // A ticket transferred into the department without an owner gets one too.
    let off = department(&app, "Redes", "off").await;
    let t = open_in(&app, "Sin red", off).await;
    assert_eq!(t.owner_id, None, "mode off: nobody is picked");
    let moved = app.desk.transfer(&Principal::System, &t.number, d, "Es de la mesa").await.expect("transfer");
    assert_eq!(moved.owner_id, Some(a1));
}

#[tokio::test]
async fn least_open_picks_the_agent_with_fewest_active_tickets() {
    let app = TestApp::spawn().await;
    let d = department(&app, "Soporte", "least_open").await;
    let other = department(&app, "Redes", "off").await;
    let b1 = TestApp::agent_id(&app.agent("b1@gob.example", "agent", &[d, other]).await);
    let b2 = TestApp::agent_id(&app.agent("b2@gob.example", "agent", &[d]).await);
    // b1 owns two active tickets elsewhere; a resolved one of b2's does not count.
    for i in 0..2 {
        let t = open_in(&app, &format!("Cable {i}"), other).await;
        let u = TicketUpdate { owner_id: Some(Some(b1)), ..Default::default() };
        app.desk.update_ticket(&Principal::System, &t.number, u).await.expect("assign");
    }
    let t = open_in(&app, "Resuelto", other).await;
    let u = TicketUpdate { owner_id: Some(Some(b2)), ..Default::default() };
    app.desk.update_ticket(&Principal::System, &t.number, u).await.expect("assign");
    app.desk.resolve(&Principal::System, &t.number, "Listo", None).await.expect("resolve");

    assert_eq!(open_in(&app, "Uno", d).await.owner_id, Some(b2), "0 against 2");
    assert_eq!(open_in(&app, "Dos", d).await.owner_id, Some(b2), "1 against 2");
    assert_eq!(open_in(&app, "Tres", d).await.owner_id, Some(b1), "2 against 2: the lower id");
}

#[tokio::test]
async fn resolved_tickets_close_after_the_configured_days() {
    let app = TestApp::spawn().await;
    let d = department(&app, "Mesa", "off").await;
    let t = open_in(&app, "Clave olvidada", d).await;
    app.desk.resolve(&Principal::System, &t.number, "Se restableció la clave", None).await.expect("resolve");
    let survey_before = jobs(&app, "notify.closed").await;

    assert_eq!(app.desk.auto_close(later(TimeDelta::days(6))).await.expect("run"), 0, "not yet");
    assert_eq!(app.desk.auto_close(later(TimeDelta::days(7) + TimeDelta::minutes(1))).await.expect("run"), 1);
    let closed = app.desk.ticket(&Principal::System, &t.number).await.expect("ticket");
    assert_eq!(closed.status.category(), StateCategory::Closed);
    let changed = events(&app, &t.number, EventKind::StatusChanged).await;
    assert!(changed.last().is_some_and(|e| e.author == Author::System && e.after.as_deref() == Some("closed")), "{changed:?}");
    assert_eq!(jobs(&app, "notify.closed").await, survey_before + 1, "the survey goes out");
    assert_eq!(app.desk.auto_close(later(TimeDelta::days(30))).await.expect("run"), 0, "once");

    // 0 days: never.
    let r = put(&app, &app.key, "/api/v1/settings", json!({"auto_close_days": 0})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t = open_in(&app, "Otra", d).await;
    app.desk.resolve(&Principal::System, &t.number, "Hecho", None).await.expect("resolve");
    assert_eq!(app.desk.auto_close(later(TimeDelta::days(365))).await.expect("run"), 0);
}

#[tokio::test]
async fn requesters_are_reminded_once_per_pending_period() {
    let app = TestApp::spawn().await;
    let d = department(&app, "Mesa", "off").await;
    let t = open_in(&app, "Necesito datos", d).await;
    let pending = |s: Status| TicketUpdate { status: Some(s), ..Default::default() };
    app.desk.update_ticket(&Principal::System, &t.number, pending(Status::PENDING_REQUESTER)).await.expect("pending");
    let settings: Value = app.get("/api/v1/settings").await.json().await.expect("json");
    assert_eq!(settings["reminder_days"], 3, "the default");

    assert_eq!(app.desk.remind_pending(later(TimeDelta::days(2))).await.expect("run"), 0);
    assert_eq!(app.desk.remind_pending(later(TimeDelta::days(3) + TimeDelta::minutes(1))).await.expect("run"), 1);
    assert_eq!(app.desk.remind_pending(later(TimeDelta::days(10))).await.expect("run"), 0, "once per period");
    assert_eq!(jobs(&app, "notify.reminder").await, 1);
    let sent = events(&app, &t.number, EventKind::ReminderSent).await;
    assert_eq!((sent.len(), sent[0].author.clone(), sent[0].after.as_deref()), (1, Author::System, Some("3")));
    // Internal: the requester's thread does not show it (the mail is what they get).
    let rosa = app.requester("rosa.perez@gob.example").await;
    let (_, theirs, _) = app.desk.thread(&rosa, &t.number).await.expect("thread");
    assert!(theirs.iter().all(|e| e.event != Some(EventKind::ReminderSent)));

    // A new pending period: one more reminder.
    app.desk.update_ticket(&Principal::System, &t.number, pending(Status::OPEN)).await.expect("open");
    app.desk.update_ticket(&Principal::System, &t.number, pending(Status::PENDING_REQUESTER)).await.expect("pending");
    assert_eq!(app.desk.remind_pending(later(TimeDelta::days(4))).await.expect("run"), 1);
    assert_eq!(app.desk.remind_pending(later(TimeDelta::days(8))).await.expect("run"), 0);

    let r = put(&app, &app.key, "/api/v1/settings", json!({"reminder_days": 0})).await;
    assert_eq!(r.status(), StatusCode::OK);
    app.desk.update_ticket(&Principal::System, &t.number, pending(Status::OPEN)).await.expect("open");
    app.desk.update_ticket(&Principal::System, &t.number, pending(Status::PENDING_REQUESTER)).await.expect("pending");
    assert_eq!(app.desk.remind_pending(later(TimeDelta::days(30))).await.expect("run"), 0, "0: off");
}

async fn rule(app: &TestApp, body: Value) -> i64 {
    let r = app.post("/api/v1/time-rules", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    r.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

#[tokio::test]
async fn each_time_rule_fires_once_per_ticket() {
    let app = TestApp::spawn().await;
    let du = department(&app, "Sin asignar", "off").await;
    let df = department(&app, "Sin respuesta", "off").await;
    let dp = department(&app, "Esperando", "off").await;
    let dn = department(&app, "Quietos", "off").await;
    let dt = department(&app, "Nivel 2", "off").await;
    let owner = TestApp::agent_id(&app.agent("duena@gob.example", "agent", &[dp]).await);
    app.agent("supervisora@gob.example", "supervisor", &[du]).await;
    rule(&app, json!({"name": "Sin asignar 30 min", "department_id": du.get(), "condition": "unassigned", "minutes": 30, "action": "notify_supervisors"})).await;
    rule(&app, json!({"name": "Sin respuesta 1 h", "department_id": df.get(), "condition": "no_first_response", "minutes": 60, "action": "raise_priority"})).await;
    rule(&app, json!({"name": "Esperando 1 h", "department_id": dp.get(), "condition": "pending_requester", "minutes": 60, "action": "notify_owner"})).await;
    let quiet = rule(&app, json!({"name": "Quieto 2 h", "department_id": dn.get(), "condition": "not_updated", "minutes": 120, "action": "transfer", "target_department_id": dt.get()})).await;
    let r = app
        .post("/api/v1/time-rules", &json!({"name": "Sin destino", "condition": "not_updated", "minutes": 5, "action": "transfer"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a transfer needs its target");

    let u = open_in(&app, "Nadie lo toma", du).await;
    let f = open_in(&app, "Nadie responde", df).await;
    let p = open_in(&app, "Falta un dato", dp).await;
    let update = TicketUpdate { owner_id: Some(Some(owner)), status: Some(Status::PENDING_REQUESTER), ..Default::default() };
    app.desk.update_ticket(&Principal::System, &p.number, update).await.expect("pending");
    let n = open_in(&app, "Olvidado", dn).await;
    let alerts_before = jobs(&app, "notify.alert").await;

    assert_eq!(app.desk.run_time_rules(later(TimeDelta::minutes(10))).await.expect("run"), 0, "too early");
    assert_eq!(app.desk.run_time_rules(later(TimeDelta::hours(3))).await.expect("run"), 4, "each rule on its ticket");
    assert_eq!(app.desk.run_time_rules(later(TimeDelta::hours(3))).await.expect("run"), 0, "not twice");
    assert_eq!(app.desk.run_time_rules(later(TimeDelta::days(5))).await.expect("run"), 0, "once per ticket, ever");

    for (t, name) in [(&u, "Sin asignar 30 min"), (&f, "Sin respuesta 1 h"), (&p, "Esperando 1 h"), (&n, "Quieto 2 h")] {
        let fired = events(&app, &t.number, EventKind::TimeRuleFired).await;
        assert_eq!(fired.len(), 1, "{name}");
        assert_eq!((fired[0].author.clone(), fired[0].after.as_deref()), (Author::System, Some(name)));
    }
    assert_eq!(jobs(&app, "notify.alert").await, alerts_before + 2, "the supervisors' and the owner's alerts");
    let f = app.desk.ticket(&Principal::System, &f.number).await.expect("ticket");
    assert_eq!(f.priority, Priority::High, "medium raised one level");
    let n = app.desk.ticket(&Principal::System, &n.number).await.expect("ticket");
    assert_eq!(n.department_id, dt, "transferred");

    // A retired rule fires no more.
    let mut body: Value = app.get(&format!("/api/v1/time-rules/{quiet}")).await.json().await.expect("json");
    body["active"] = json!(false);
    let r = put(&app, &app.key, &format!("/api/v1/time-rules/{quiet}"), body).await;
    assert_eq!(r.status(), StatusCode::OK);
    open_in(&app, "Otro olvidado", dn).await;
    assert_eq!(app.desk.run_time_rules(later(TimeDelta::hours(3))).await.expect("run"), 0);
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=time_rule").await.json().await.expect("json");
    assert_eq!(log.len(), 5, "four created, one retired: {log:?}");
}

#[tokio::test]
async fn time_rules_are_for_administrators_only() {
    let app = TestApp::spawn().await;
    assert_admin_only(
        &app,
        &["/admin/time-rules", "/admin/time-rules/new"],
        &["/admin/time-rules", "/admin/time-rules/1", "/admin/time-rules/1/active", "/admin/agents/1/away"],
        &[("GET", "/api/v1/time-rules"), ("POST", "/api/v1/time-rules"), ("GET", "/api/v1/time-rules/1"), ("PUT", "/api/v1/time-rules/1")],
    )
    .await;

    // An administrator works them through the pages.
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    let home = agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let token = csrf(&home);
    let (status, html) = get(&c, &app, "/admin/time-rules/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"condition\"") && html.contains("Sin asignar"), "{html}");
    let form = |minutes: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("name", "Sin asignar".into()),
            ("condition", "unassigned".into()),
            ("minutes", minutes.into()),
            ("action", "notify_manager".into()),
            ("active", "on".into()),
        ]
    };
    let refused: Vec<(&str, String)> = form("0");
    let pairs: Vec<(&str, &str)> = refused.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = post(&c, &app, "/admin/time-rules", &pairs).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "0 minutes refused");
    let ok = form("45");
    let pairs: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post(&c, &app, "/admin/time-rules", &pairs).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Sin asignar 45 min"), "listed: {html}");
    let rules: Vec<Value> = app.get("/api/v1/time-rules").await.json().await.expect("json");
    let id = rules[0]["id"].as_i64().expect("id");
    let (status, _) = post(&c, &app, &format!("/admin/time-rules/{id}/active"), &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    let rules: Vec<Value> = app.get("/api/v1/time-rules").await.json().await.expect("json");
    assert_eq!(rules[0]["active"], false, "retired");
}

#[tokio::test]
async fn agents_mark_themselves_away_on_their_dashboard() {
    let app = TestApp::spawn().await;
    let d = department(&app, "Mesa", "round_robin").await;
    let (me, password) = app.agent_with_password("ana@gob.example", "agent", &[d]).await;
    let c = browser();
    let home = agent_sign_in(&c, &app, "ana@gob.example", &password).await;
    assert!(home.contains("id=\"away-form\""), "{home}");
    let (status, html) = post(&c, &app, "/agent/away", &[("csrf", &csrf(&home)), ("away", "on")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"away-state\""), "{html}");
    assert!(app.desk.is_away(TestApp::agent_id(&me)).await.expect("away"));
    assert_eq!(open_in(&app, "Nadie disponible", d).await.owner_id, None, "the only agent is away");
    let (status, _) = post(&c, &app, "/agent/away", &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the form token is checked");
    let (_, html) = post(&c, &app, "/agent/away", &[("csrf", &csrf(&html))]).await;
    assert!(!html.contains("id=\"away-state\""));
    assert_eq!(open_in(&app, "De vuelta", d).await.owner_id, Some(TestApp::agent_id(&me)));
}
