//! Administration of priorities (names, colours, the impact x urgency matrix), ticket types,
//! statuses, SLA plans and business-hours calendars: through the pages and the API, refused
//! values change nothing, every change is in the audit log, and only administrators get in.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

use crate::admin::assert_admin_only;

const PAGES: &[&str] = &[
    "/admin/priorities",
    "/admin/types",
    "/admin/statuses",
    "/admin/statuses/open",
    "/admin/sla",
    "/admin/sla/new",
    "/admin/sla/1",
    "/admin/calendars",
    "/admin/calendars/new",
    "/admin/calendars/1",
];

const FORMS: &[&str] = &[
    "/admin/priorities",
    "/admin/priorities/matrix",
    "/admin/types/incident",
    "/admin/statuses",
    "/admin/statuses/open",
    "/admin/sla",
    "/admin/sla/1",
    "/admin/calendars",
    "/admin/calendars/1",
    "/admin/calendars/1/holidays",
    "/admin/calendars/1/holidays/1/delete",
];

const CALLS: &[(&str, &str)] = &[
    ("GET", "/api/v1/priorities"),
    ("PUT", "/api/v1/priorities"),
    ("GET", "/api/v1/priority-matrix"),
    ("PUT", "/api/v1/priority-matrix"),
    ("GET", "/api/v1/ticket-types"),
    ("GET", "/api/v1/ticket-types/incident"),
    ("PUT", "/api/v1/ticket-types/incident"),
    ("POST", "/api/v1/statuses"),
    ("PATCH", "/api/v1/statuses/open"),
    ("GET", "/api/v1/sla-plans"),
    ("POST", "/api/v1/sla-plans"),
    ("GET", "/api/v1/sla-plans/1"),
    ("PUT", "/api/v1/sla-plans/1"),
    ("GET", "/api/v1/calendars"),
    ("POST", "/api/v1/calendars"),
    ("GET", "/api/v1/calendars/1"),
    ("PUT", "/api/v1/calendars/1"),
    ("POST", "/api/v1/calendars/1/holidays"),
    ("DELETE", "/api/v1/calendars/1/holidays/1"),
];

#[tokio::test]
async fn only_administrators_configure_priorities_and_sla() {
    let app = TestApp::spawn().await;
    assert_admin_only(&app, PAGES, FORMS, CALLS).await;
    let plans: Vec<Value> = app.get("/api/v1/sla-plans").await.json().await.expect("json");
    assert_eq!(plans.len(), 1, "only the standard plan of a fresh install: {plans:?}");
}

async fn audit_len(app: &TestApp) -> usize {
    let log: Vec<Value> = app.get("/api/v1/audit-log?limit=200").await.json().await.expect("json");
    log.len()
}

/// Posts forms that must each be refused with 422 and a Spanish message containing `says`,
/// and checks that none of them changed anything.
async fn refused(c: &Client, app: &TestApp, path: &str, token: &str, cases: &[(Vec<(&str, &str)>, &str)]) {
    let before = audit_len(app).await;
    for (form, says) in cases {
        let mut f = vec![("csrf", token)];
        f.extend(form.iter().copied());
        let (status, html) = post(c, app, path, &f).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {form:?}: {html}");
        assert!(html.contains("id=\"form-error\"") && html.contains(says), "{path} {form:?} says {says}: {html}");
    }
    assert_eq!(audit_len(app).await, before, "refused forms on {path} changed nothing");
}

fn matrix_form(token: &str, cells: [[&'static str; 3]; 3]) -> Vec<(String, String)> {
    let mut f = vec![("csrf".to_string(), token.to_string())];
    for (i, row) in cells.iter().enumerate() {
        for (u, p) in row.iter().enumerate() {
            f.push((format!("m_{}_{}", i + 1, u + 1), (*p).to_string()));
        }
    }
    f
}

async fn open_with(app: &TestApp, dept: i64, impact: u8, urgency: u8, kind: Option<&str>) -> reqwest::Response {
    let mut body = json!({
        "subject": "No funciona el teclado",
        "message": "Las teclas no responden",
        "requester": {"email": "ana.perez@gob.example"},
        "department_id": dept,
        "impact": impact,
        "urgency": urgency,
    });
    if let Some(k) = kind {
        body["type"] = json!(k);
    }
    app.post("/api/v1/tickets", &body).await
}

#[tokio::test]
async fn an_administrator_configures_seed_004s_desk_through_the_pages() {
    let app = TestApp::spawn().await;
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let n1 = app.department("Mesa de Ayuda (Nivel 1)").await.get();
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&c, &app, "/admin/priorities").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Muy alta") && html.contains("#dc2626") && html.contains("href=\"/admin/sla\""), "{html}");
    let token = csrf(&html);

    // The matrix: high impact with medium urgency becomes very high too; tickets follow it.
    let r = open_with(&app, n1, 3, 2, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.expect("json")["priority"], 4, "the default matrix first");
    let form = matrix_form(&token, [["1", "2", "3"], ["2", "3", "4"], ["3", "5", "5"]]);
    let r = c.post(app.url("/admin/priorities/matrix")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("body").contains("Cambios guardados"));
    for (impact, urgency, want) in [(3, 3, 5), (3, 2, 5), (2, 2, 3), (1, 1, 1)] {
        let r = open_with(&app, n1, impact, urgency, None).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.json::<Value>().await.expect("json")["priority"], want, "impact {impact} x urgency {urgency}");
    }
    let before = audit_len(&app).await;
    let bad = matrix_form(&token, [["1", "2", "3"], ["2", "3", "4"], ["3", "5", "9"]]);
    let r = c.post(app.url("/admin/priorities/matrix")).form(&bad).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Matriz de prioridades"));
    assert_eq!(audit_len(&app).await, before);

    // Names and colours: "rojo" is no colour, a name is required in both languages.
    let mut levels: Vec<(String, String)> = vec![];
    for (l, es, en, colour) in [
        (1, "Muy baja", "Very low", "#6b7280"),
        (2, "Baja", "Low", "#2563eb"),
        (3, "Media", "Medium", "#ca8a04"),
        (4, "Alta", "High", "#ea580c"),
    ] {
        levels.push((format!("name_es_{l}"), es.into()));
        levels.push((format!("name_en_{l}"), en.into()));
        levels.push((format!("colour_{l}"), colour.into()));
    }
    let with5 = |es: &str, en: &str, colour: &str| {
        let mut f: Vec<(&str, &str)> = levels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        f.push(("name_es_5", es));
        f.push(("name_en_5", en));
        f.push(("colour_5", colour));
        f.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()
    };
    let cases = [with5("Crítica", "Critical", "rojo"), with5("Crítica", " ", "#b91c1c")];
    let says =
        ["Color de la prioridad 5: Debe ser un color en formato #rrggbb", "Nombre en inglés de la prioridad 5: Este campo es obligatorio"];
    for (case, says) in cases.iter().zip(says) {
        let f: Vec<(&str, &str)> = case.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        refused(&c, &app, "/admin/priorities", &token, &[(f, says)]).await;
    }
    let mut ok = vec![("csrf".to_string(), token.clone())];
    ok.extend(with5("Crítica", "Critical", "#B91C1C"));
    let r = c.post(app.url("/admin/priorities")).form(&ok).send().await.expect("post");
    let html = r.text().await.expect("body");
    assert!(html.contains("Cambios guardados") && html.contains("value=\"Crítica\"") && html.contains("#b91c1c"), "{html}");
    // The colours reach every page of the workspace through a stylesheet (no inline styles).
    let css = reqwest::get(app.url("/branding/priorities.css")).await.expect("css").text().await.expect("text");
    assert!(css.contains(".prio-5 { border-left: .35em solid #b91c1c;"), "{css}");

    // Ticket types: "problem" is no longer offered.
    let (status, html) = get(&c, &app, "/admin/types").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Solicitud de servicio"), "{html}");
    let (status, _) = post(&c, &app, "/admin/types/problem", &[("csrf", &token), ("name_es", "Problema"), ("name_en", "Problem")]).await;
    assert_eq!(status, StatusCode::OK);
    let r = open_with(&app, n1, 1, 1, Some("problem")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a type no longer offered");
    let (_, html) = get(&c, &app, "/agent/tickets/new").await;
    assert!(html.contains("<option value=\"incident\"") && !html.contains("<option value=\"problem\""), "{html}");
    // The queue's filters say the names the desk gave, and leave out no type (old tickets keep theirs).
    let (_, html) = get(&c, &app, "/agent/tickets").await;
    assert!(html.contains("5 · Crítica") && html.contains(">Problema<"), "{html}");
    refused(
        &c,
        &app,
        "/admin/types/incident",
        &token,
        &[(vec![("name_es", ""), ("name_en", "Incident"), ("active", "on")], "Nombre en español")],
    )
    .await;

    // A status of the pending category, renamed in English, then retired.
    let form = [("csrf", token.as_str()), ("name_es", "En espera de proveedor"), ("name_en", "Waiting on vendor"), ("category", "pending")];
    let (status, html) = post(&c, &app, "/admin/statuses", &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("En espera de proveedor") && html.contains("en_espera_de_proveedor"), "{html}");
    let (status, html) = post(&c, &app, "/admin/statuses", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the same key twice: {html}");
    let path = "/admin/statuses/en_espera_de_proveedor";
    let (status, html) = post(
        &c,
        &app,
        path,
        &[
            ("csrf", &token),
            ("name_es", "En espera de proveedor"),
            ("name_en", "Waiting on the supplier"),
            ("position", "35"),
            ("active", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Waiting on the supplier"), "{html}");
    let (status, _) = post(
        &c,
        &app,
        path,
        &[("csrf", &token), ("name_es", "En espera de proveedor"), ("name_en", "Waiting on the supplier"), ("position", "35")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let all: Vec<Value> = app.get("/api/v1/statuses").await.json().await.expect("json");
    let vendor = all.iter().find(|s| s["key"] == "en_espera_de_proveedor").expect("added");
    assert_eq!((vendor["state"].as_str(), vendor["active"].as_bool()), (Some("pending"), Some(false)));
    assert_eq!(vendor["name_en"], "Waiting on the supplier");
    refused(
        &c,
        &app,
        "/admin/statuses/resolved",
        &token,
        &[(vec![("name_es", "Resuelto"), ("name_en", "Resolved"), ("position", "40")], "puede renombrarse pero no retirarse")],
    )
    .await;
    refused(&c, &app, path, &token, &[(vec![("name_es", "X"), ("name_en", "Y"), ("position", "diez")], "Orden: Debe ser un número")]).await;

    // A calendar Monday to Friday 08:00-17:00 in Ecuador.
    let mut week: Vec<(String, String)> = vec![];
    for d in 1..=5 {
        week.push((format!("open_{d}"), "on".into()));
        week.push((format!("start_{d}"), "08:00".into()));
        week.push((format!("end_{d}"), "17:00".into()));
    }
    let cal_form = |name: &str, tz: &str, end3: &str| {
        let mut f = vec![("csrf".to_string(), token.clone()), ("name".into(), name.into()), ("time_zone".into(), tz.into())];
        f.extend(week.iter().map(|(k, v)| (k.clone(), if k == "end_3" { end3.to_string() } else { v.clone() })));
        f
    };
    let before = audit_len(&app).await;
    for (form, says) in [
        (cal_form("Oficina Quito", "America/Guayaquil", "25:00"), "Fin del miércoles: Debe ser una hora del día en formato HH:MM"),
        (cal_form("Oficina Quito", "America/Quitumbe", "17:00"), "Zona horaria: No es una zona horaria conocida"),
        (cal_form("Oficina Quito", "America/Guayaquil", "07:00"), "Fin del miércoles: El día debe comenzar antes de terminar"),
    ] {
        let r = c.post(app.url("/admin/calendars")).form(&form).send().await.expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.expect("body");
        assert!(html.contains(says) && html.contains("value=\"Oficina Quito\""), "{says}: {html}");
    }
    assert_eq!(audit_len(&app).await, before, "refused calendars changed nothing");
    let r = c.post(app.url("/admin/calendars")).form(&cal_form("Oficina Quito", "America/Guayaquil", "17:00")).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let cal_path = r.url().path().to_string();
    let html = r.text().await.expect("body");
    assert!(html.contains("Cambios guardados") && html.contains("value=\"America/Guayaquil\""), "{html}");
    let cal_id = cal_path.trim_start_matches("/admin/calendars/").to_string();

    // A yearly holiday: 10 de agosto.
    let holidays = format!("{cal_path}/holidays");
    let h = [("csrf", token.as_str()), ("holiday_date", "2025-08-10"), ("holiday_name", "Primer Grito de Independencia"), ("yearly", "on")];
    let (status, html) = post(&c, &app, &holidays, &h).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Primer Grito de Independencia") && html.contains("2025-08-10"), "{html}");
    refused(
        &c,
        &app,
        &holidays,
        &token,
        &[
            (vec![("holiday_date", "2026-08-10"), ("holiday_name", "Otra vez")], "Ya es feriado en este calendario"),
            (vec![("holiday_date", "10/08/2025"), ("holiday_name", "Mal escrito")], "Fecha: Debe ser una fecha"),
        ],
    )
    .await;

    // The plan "Nivel 1" on that calendar; the response may not come after the resolution.
    let (status, html) = get(&c, &app, "/admin/sla/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Oficina Quito") && html.contains("5 · Crítica"), "{html}");
    let targets = [("1", "8:00", "40:00"), ("2", "4:00", "24:00"), ("3", "2:00", "16:00"), ("4", "1:00", "8:00"), ("5", "0:30", "4:00")];
    let plan_form = |r3: &str, s3: &str| {
        let mut f = vec![
            ("csrf".to_string(), token.clone()),
            ("name".into(), "Nivel 1".into()),
            ("calendar_id".into(), cal_id.clone()),
            ("pause_when_pending".into(), "on".into()),
            ("active".into(), "on".into()),
        ];
        for (l, r, s) in targets {
            let (r, s) = if l == "3" { (r3, s3) } else { (r, s) };
            f.push((format!("response_{l}"), r.into()));
            f.push((format!("resolution_{l}"), s.into()));
        }
        f
    };
    let before = audit_len(&app).await;
    for (form, says) in [
        (plan_form("20:00", "16:00"), "Primera respuesta de la prioridad 3: No puede ser mayor que el tiempo de resolución"),
        (plan_form("dos horas", "16:00"), "Primera respuesta de la prioridad 3: Debe ser horas y minutos"),
        (plan_form("2:00", "0:00"), "Resolución de la prioridad 3"),
    ] {
        let r = c.post(app.url("/admin/sla")).form(&form).send().await.expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.expect("body");
        assert!(html.contains(says) && html.contains("value=\"Nivel 1\""), "{says}: {html}");
    }
    assert_eq!(audit_len(&app).await, before, "refused plans changed nothing");
    let r = c.post(app.url("/admin/sla")).form(&plan_form("2:00", "16:00")).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    assert!(html.contains("Nivel 1") && html.contains("Oficina Quito") && html.contains("5: 0:30 / 4:00"), "{html}");
    let plans: Vec<Value> = app.get("/api/v1/sla-plans").await.json().await.expect("json");
    let plan = plans.iter().find(|p| p["name"] == "Nivel 1").expect("plan").clone();
    assert_eq!(plan["calendar_id"].to_string(), cal_id);
    assert_eq!(plan["targets"][2], json!({"priority": 3, "first_response_minutes": 120, "resolution_minutes": 960}));
    assert_eq!(plan["pause_when_pending"], true);
    let r = c.post(app.url("/admin/sla")).form(&plan_form("2:00", "16:00")).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "the same name twice");

    // The department follows the plan, chosen from a list.
    let (_, html) = get(&c, &app, &format!("/admin/departments/{n1}")).await;
    let plan_id = plan["id"].to_string();
    assert!(html.contains(&format!("<option value=\"{plan_id}\" >Nivel 1</option>")) || html.contains(">Nivel 1</option>"), "{html}");
    let dept_form = |p: &str| {
        vec![
            ("csrf".to_string(), token.clone()),
            ("name".into(), "Mesa de Ayuda (Nivel 1)".into()),
            ("sla_plan_id".into(), p.to_string()),
            ("review".into(), "inherit".into()),
            ("active".into(), "on".into()),
        ]
    };
    let r = c.post(app.url(&format!("/admin/departments/{n1}"))).form(&dept_form("424242")).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Plan de SLA"));
    let r = c.post(app.url(&format!("/admin/departments/{n1}"))).form(&dept_form(&plan_id)).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = app.get(&format!("/api/v1/departments/{n1}")).await.json().await.expect("json");
    assert_eq!(d["sla_plan_id"].to_string(), plan_id);

    // Every change is in the audit log, with before and after.
    let log = |entity: &'static str| {
        let app = &app;
        async move {
            let v: Vec<Value> = app.get(&format!("/api/v1/audit-log?entity={entity}")).await.json().await.expect("json");
            v
        }
    };
    let prio = log("priority").await;
    assert_eq!(prio.len(), 2, "{prio:?}");
    let m = prio.iter().find(|e| e["entity_id"] == "matrix").expect("matrix entry");
    assert_eq!(m["before"]["matrix"][2][1], 4);
    assert_eq!(m["after"]["matrix"][2][1], 5);
    assert_eq!(m["actor_kind"], "agent");
    let levels = prio.iter().find(|e| e["entity_id"] == "levels").expect("levels entry");
    assert_eq!(levels["after"]["levels"][4]["name_es"], "Crítica");
    assert_eq!(levels["before"]["levels"][4]["name_es"], "Muy alta");
    let types = log("ticket_type").await;
    assert_eq!((types.len(), types[0]["action"].as_str(), types[0]["entity_id"].as_str()), (1, Some("retire"), Some("problem")));
    let statuses = log("status").await;
    let actions: Vec<&str> = statuses.iter().map(|e| e["action"].as_str().unwrap_or_default()).collect();
    assert_eq!(actions, vec!["retire", "update", "create"], "{statuses:?}");
    assert_eq!(statuses[1]["before"]["name_en"], "Waiting on vendor");
    assert_eq!(statuses[1]["after"]["name_en"], "Waiting on the supplier");
    let cals = log("calendar").await;
    assert_eq!(cals.len(), 2);
    assert_eq!(cals[0]["after"]["holidays"][0], "yearly 2025-08-10 Primer Grito de Independencia");
    assert_eq!(cals[1]["after"]["hours"]["Mon"], "08:00-17:00");
    let plans = log("sla_plan").await;
    assert_eq!((plans.len(), plans[0]["after"]["response_5"].as_str()), (1, Some("0:30")));

    // The pages list what was saved; removing the holiday is recorded too.
    let (_, html) = get(&c, &app, "/admin/calendars").await;
    assert!(html.contains("Oficina Quito") && html.contains("Lunes 08:00-17:00"), "{html}");
    let cal: Value = app.get(&format!("/api/v1/calendars/{cal_id}")).await.json().await.expect("json");
    let hid = cal["holidays"][0]["id"].to_string();
    let (status, html) = post(&c, &app, &format!("{holidays}/{hid}/delete"), &[("csrf", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Primer Grito de Independencia"), "{html}");
    assert_eq!(log("calendar").await.len(), 3);
}

#[tokio::test]
async fn a_script_configures_priorities_and_sla_through_the_api() {
    let app = TestApp::spawn().await;
    let n1 = app.department("Mesa de Ayuda (Nivel 1)").await.get();
    let put = |path: &str, body: Value| {
        let r = app.client.put(app.url(path)).bearer_auth(&app.key).json(&body).send();
        async move { r.await.expect("put") }
    };

    // A fresh install: the standard plan, today's names, the configuration's matrix.
    let plans: Vec<Value> = app.get("/api/v1/sla-plans").await.json().await.expect("json");
    assert_eq!(plans[0]["name"], "Estándar");
    assert_eq!(plans[0]["targets"][4], json!({"priority": 5, "first_response_minutes": 60, "resolution_minutes": 480}));
    let m: Value = app.get("/api/v1/priority-matrix").await.json().await.expect("json");
    assert_eq!(m, json!({"matrix": [[1, 2, 3], [2, 3, 4], [3, 4, 5]], "saved": false}));
    let levels: Vec<Value> = app.get("/api/v1/priorities").await.json().await.expect("json");
    assert_eq!(levels[2]["name_es"], "Media");

    // Refused values: 422 and nothing changed.
    let before = audit_len(&app).await;
    assert_eq!(put("/api/v1/priority-matrix", json!({"matrix": [[1, 2], [2, 3]]})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut bad_levels = levels.clone();
    bad_levels[4]["colour"] = json!("rojo");
    assert_eq!(put("/api/v1/priorities", json!(bad_levels)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(put("/api/v1/priorities", json!(levels[..4])).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let targets = |r3: u32| {
        json!([
            {"priority": 1, "first_response_minutes": 480, "resolution_minutes": 2400},
            {"priority": 2, "first_response_minutes": 240, "resolution_minutes": 1440},
            {"priority": 3, "first_response_minutes": r3, "resolution_minutes": 960},
            {"priority": 4, "first_response_minutes": 60, "resolution_minutes": 480},
            {"priority": 5, "first_response_minutes": 30, "resolution_minutes": 240},
        ])
    };
    let r = app.post("/api/v1/sla-plans", &json!({"name": "Nivel 1", "targets": targets(1200)})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.expect("json");
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("response_3")), "{e}");
    let r = app.post("/api/v1/sla-plans", &json!({"name": "Nivel 1", "targets": targets(0)})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post("/api/v1/sla-plans", &json!({"name": "Nivel 1", "targets": targets(120), "calendar_id": 999})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let week = |end: &str| (1..=5).map(|d| json!({"weekday": d, "start": "08:00", "end": end})).collect::<Vec<_>>();
    for bad in [
        json!({"name": "Oficina Quito", "time_zone": "America/Guayaquil", "hours": week("25:00")}),
        json!({"name": "Oficina Quito", "time_zone": "Mars/Olympus", "hours": week("17:00")}),
        json!({"name": "Oficina Quito", "time_zone": "America/Guayaquil", "hours": [{"weekday": 8, "start": "08:00", "end": "17:00"}]}),
    ] {
        let r = app.post("/api/v1/calendars", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app.post("/api/v1/statuses", &json!({"category": "open", "awaits_requester": true, "name_es": "Raro", "name_en": "Odd"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.patch("/api/v1/statuses/closed", &json!({"active": false})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.patch("/api/v1/statuses/no_existe", &json!({"active": false})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(audit_len(&app).await, before, "refused calls changed nothing");

    // The matrix, then tickets.
    let r = put("/api/v1/priority-matrix", json!({"matrix": [[1, 1, 2], [2, 3, 4], [3, 4, 5]]})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = json!({"subject": "Impresora sin tóner", "message": "No imprime", "requester": {"email": "luis@gob.example"},
        "department_id": n1, "impact": 1, "urgency": 2});
    let t: Value = app.post("/api/v1/tickets", &body).await.json().await.expect("json");
    assert_eq!(t["priority"], 1);

    // A calendar with a holiday, a plan on it, a status; names per language.
    let r =
        app.post("/api/v1/calendars", &json!({"name": "Oficina Quito", "time_zone": "America/Guayaquil", "hours": week("17:00")})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let cal: Value = r.json().await.expect("json");
    let r = app
        .post(&format!("/api/v1/calendars/{}/holidays", cal["id"]), &json!({"date": "2025-08-10", "yearly": true, "name": "10 de agosto"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let cal: Value = r.json().await.expect("json");
    assert_eq!(cal["holidays"][0]["name"], "10 de agosto");
    let r = app
        .post(
            "/api/v1/sla-plans",
            &json!({"name": "Nivel 1", "targets": targets(120), "calendar_id": cal["id"], "pause_when_pending": false}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let plan: Value = r.json().await.expect("json");
    assert_eq!(plan["pause_when_pending"], false);
    let mut renamed = plan.clone();
    renamed["name"] = json!("Nivel 1 (horario de oficina)");
    let r = put(&format!("/api/v1/sla-plans/{}", plan["id"]), renamed).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut hours = cal.clone();
    hours["hours"] = json!([{"weekday": 6, "start": "09:00", "end": "13:00"}]);
    let r = put(&format!("/api/v1/calendars/{}", cal["id"]), hours).await;
    assert_eq!(r.status(), StatusCode::OK);
    let got: Value = r.json().await.expect("json");
    assert_eq!(got["hours"], json!([{"weekday": 6, "start": "09:00", "end": "13:00"}]));
    assert_eq!(got["holidays"].as_array().map(Vec::len), Some(1), "holidays stay");
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/calendars/{}/holidays/{}", cal["id"], cal["holidays"][0]["id"])))
        .bearer_auth(&app.key)
        .send()
        .await;
    assert_eq!(r.expect("delete").status(), StatusCode::OK);
    let r = app
        .post("/api/v1/statuses", &json!({"category": "pending", "name_es": "En espera de proveedor", "name_en": "Waiting on vendor"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let s: Value = r.json().await.expect("json");
    assert_eq!(s["key"], "en_espera_de_proveedor");
    let r = app.patch("/api/v1/statuses/en_espera_de_proveedor", &json!({"name_en": "Waiting on the supplier", "active": false})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let s: Value = r.json().await.expect("json");
    assert_eq!((s["name_en"].as_str(), s["active"].as_bool()), (Some("Waiting on the supplier"), Some(false)));
    let r = put(
        "/api/v1/ticket-types/major_incident",
        json!({"name_es": "Incidente mayor (crisis)", "name_en": "Major incident", "active": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = app.get("/api/v1/ticket-types/major_incident").await.json().await.expect("json");
    assert_eq!(t["name_es"], "Incidente mayor (crisis)");
    assert_eq!(app.get("/api/v1/ticket-types/nada").await.status(), StatusCode::NOT_FOUND);

    let log: Vec<Value> = app.get("/api/v1/audit-log").await.json().await.expect("json");
    let entities: Vec<&str> = log.iter().map(|e| e["entity"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        entities,
        vec!["ticket_type", "status", "status", "calendar", "calendar", "sla_plan", "sla_plan", "calendar", "calendar", "priority"],
        "{log:?}"
    );
    assert!(log.iter().all(|e| e["actor_kind"] == "api_key"));
}
