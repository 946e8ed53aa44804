//! The configuration file, priorities to SLA plans: names and colours of priorities, the
//! matrix, ticket types, statuses, calendars with hours and holidays, and SLA plans that name
//! their calendar (and departments their plan) by name — copied from one desk to another.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_testkit::TestApp;

use super::admin_config::{actions, audit_len, export, import, put};

/// A plan's five targets with priority 3's as given.
fn plan(name: &str, calendar: &str, response_3: u32, resolution_3: u32) -> String {
    let mut doc = format!("version = 1\n[[sla_plan]]\nname = \"{name}\"\ncalendar = \"{calendar}\"\n");
    for (p, r, s) in [(1, 480, 4800), (2, 240, 2400), (3, response_3, resolution_3), (4, 60, 480), (5, 30, 240)] {
        doc.push_str(&format!("[[sla_plan.target]]\npriority = {p}\nresponse_minutes = {r}\nresolution_minutes = {s}\n"));
    }
    doc
}

#[tokio::test]
async fn priorities_statuses_calendars_and_sla_plans_travel_by_name() {
    // Desk one: Ecuador's office hours, a plan on them, a department on the plan, and the rest.
    let one = TestApp::spawn().await;
    one.admin_with_password("director@gob.example").await;
    let hours: Vec<Value> = (1..=5).map(|d| json!({"weekday": d, "start": "08:00", "end": "17:00"})).collect();
    let r = one.post("/api/v1/calendars", &json!({"name": "Oficina Quito", "time_zone": "America/Guayaquil", "hours": hours})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let cal: Value = r.json().await.expect("json");
    let r = one
        .post(
            &format!("/api/v1/calendars/{}/holidays", cal["id"]),
            &json!({"date": "2025-08-10", "yearly": true, "name": "Primer Grito de Independencia"}),
        )
        .await;
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let targets: Vec<Value> = [(1, 480, 4800), (2, 240, 2400), (3, 120, 960), (4, 60, 480), (5, 30, 240)]
        .iter()
        .map(|(p, r, s)| json!({"priority": p, "first_response_minutes": r, "resolution_minutes": s}))
        .collect();
    let r = one.post("/api/v1/sla-plans", &json!({"name": "Nivel 1", "targets": targets, "calendar_id": cal["id"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let plan_one: Value = r.json().await.expect("json");
    let r = one.post("/api/v1/departments", &json!({"name": "Mesa de Ayuda (Nivel 1)", "sla_plan_id": plan_one["id"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // The plan escalates to a department of its own: named by name in the document, and one
    // the document creates on the other desk (departments are synced after plans).
    let r = one.post("/api/v1/departments", &json!({"name": "Soporte (Nivel 2)"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let n2: Value = r.json().await.expect("json");
    let mut escalated = plan_one.clone();
    escalated["escalation"] = json!({
        "warn_percent": 80,
        "on_warning": ["notify_owner", "notify_supervisors"],
        "on_breach": ["notify_manager", "transfer", "mark_overdue"],
        "transfer_to_department_id": n2["id"],
    });
    assert_eq!(put(&one, &format!("/api/v1/sla-plans/{}", plan_one["id"]), &escalated).await, StatusCode::OK);
    let levels = json!([
        {"level": 1, "name_es": "Muy baja", "name_en": "Very low", "colour": "#6b7280"},
        {"level": 2, "name_es": "Baja", "name_en": "Low", "colour": "#2563eb"},
        {"level": 3, "name_es": "Media", "name_en": "Medium", "colour": "#ca8a04"},
        {"level": 4, "name_es": "Alta", "name_en": "High", "colour": "#ea580c"},
        {"level": 5, "name_es": "Crítica", "name_en": "Critical", "colour": "#b91c1c"},
    ]);
    assert_eq!(put(&one, "/api/v1/priorities", &levels).await, StatusCode::OK);
    assert_eq!(put(&one, "/api/v1/priority-matrix", &json!({"matrix": [[1, 2, 3], [2, 3, 4], [3, 5, 5]]})).await, StatusCode::OK);
    let r = one
        .post(
            "/api/v1/statuses",
            &json!({"name_es": "En espera de proveedor", "name_en": "Waiting on the supplier", "category": "pending"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let problem = json!({"name_es": "Problema", "name_en": "Problem", "active": false});
    assert_eq!(put(&one, "/api/v1/ticket-types/problem", &problem).await, StatusCode::OK);

    let doc = export(&one).await;
    for line in [
        "[[calendar]]\nname = \"Oficina Quito\"\ntime_zone = \"America/Guayaquil\"",
        "mon = \"08:00-17:00\"",
        "[[calendar.holiday]]\ndate = \"2025-08-10\"\nyearly = true\nname = \"Primer Grito de Independencia\"",
        "[[sla_plan]]\nname = \"Nivel 1\"\ncalendar = \"Oficina Quito\"",
        "[[sla_plan.target]]\npriority = 5\nresponse_minutes = 30\nresolution_minutes = 240",
        "warn_percent = 80\non_warning = [\n    \"notify_owner\",\n    \"notify_supervisors\",\n]",
        "on_breach = [\n    \"notify_manager\",\n    \"transfer\",\n    \"mark_overdue\",\n]\nescalate_to = \"Soporte (Nivel 2)\"",
        "sla_plan = \"Nivel 1\"",
        "level = 5\nname_es = \"Crítica\"\nname_en = \"Critical\"\ncolour = \"#b91c1c\"",
        "impact_high = [\n    3,\n    5,\n    5,\n]",
        "key = \"en_espera_de_proveedor\"\ncategory = \"pending\"",
        "key = \"problem\"\nname_es = \"Problema\"\nname_en = \"Problem\"\nactive = false",
    ] {
        assert!(doc.contains(line), "{line} in {doc}");
    }
    assert!(!doc.contains("sat = "), "Saturday is not worked: {doc}");

    // Desk two: the dry run lists what it would create and update, and writes nothing.
    let two = TestApp::spawn().await;
    two.admin_with_password("director@gob.example").await;
    let (before, log_before) = (export(&two).await, audit_len(&two).await);
    assert!(!before.contains("[priority_matrix]"), "a fresh desk uses the configuration's matrix: {before}");
    let (status, report) = import(&two, &doc, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], false);
    let got = actions(&report);
    for want in [
        ("calendar", "Oficina Quito", "create"),
        ("sla_plan", "Nivel 1", "create"),
        ("department", "Mesa de Ayuda (Nivel 1)", "create"),
        ("department", "Soporte (Nivel 2)", "create"),
        ("priority", "5 (Crítica)", "update"),
        ("priority", "1 (Muy baja)", "unchanged"),
        ("priority", "matrix", "update"),
        ("status", "en_espera_de_proveedor", "create"),
        ("status", "resolved", "unchanged"),
        ("ticket_type", "problem", "update"),
        ("ticket_type", "incident", "unchanged"),
    ] {
        assert!(got.contains(&(want.0.into(), want.1.into(), want.2.into())), "{want:?} in {got:?}");
    }
    assert_eq!(export(&two).await, before, "the dry run wrote nothing");
    assert_eq!(audit_len(&two).await, log_before);

    // Applied: the two desks' configurations are the same; importing again changes nothing.
    let (status, report) = import(&two, &doc, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], true);
    assert_eq!(export(&two).await, doc, "the second desk is configured as the first");
    let r = two.get("/api/v1/sla-plans").await;
    let plans: Vec<Value> = r.json().await.expect("json");
    let cals: Vec<Value> = two.get("/api/v1/calendars").await.json().await.expect("json");
    let nivel1 = plans.iter().find(|p| p["name"] == "Nivel 1").expect("plan");
    let quito = cals.iter().find(|c| c["name"] == "Oficina Quito").expect("calendar");
    assert_eq!(nivel1["calendar_id"], quito["id"], "the plan names the new calendar by name");
    let depts: Vec<Value> = two.get("/api/v1/departments").await.json().await.expect("json");
    let n2_two = depts.iter().find(|d| d["name"] == "Soporte (Nivel 2)").expect("department");
    assert_eq!(nivel1["escalation"]["transfer_to_department_id"], n2_two["id"], "and the department it creates");
    assert_eq!(nivel1["escalation"]["on_breach"], json!(["notify_manager", "transfer", "mark_overdue"]));
    let log = audit_len(&two).await;
    let (status, report) = import(&two, &doc, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(actions(&report).iter().all(|(_, _, a)| a == "unchanged" || a == "not_in_document"), "{report}");
    assert_eq!(audit_len(&two).await, log, "an unchanged document writes nothing");

    // Editing the document: a holiday less, another added, Saturday mornings, a plan's target.
    let edited = doc
        .replace(
            "name = \"Primer Grito de Independencia\"",
            "name = \"Primer Grito de Independencia\"\n\n[[calendar.holiday]]\ndate = \"2025-11-03\"\nname = \"Puente\"",
        )
        .replace("fri = \"08:00-17:00\"", "fri = \"08:00-17:00\"\nsat = \"08:00-12:00\"");
    let (status, report) = import(&two, &edited, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(actions(&report).contains(&("calendar".into(), "Oficina Quito".into(), "update".into())), "{report}");
    let again = export(&two).await;
    assert!(again.contains("sat = \"08:00-12:00\"") && again.contains("name = \"Puente\""), "{again}");
    let (status, _) = import(&two, &doc, false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export(&two).await, doc, "a holiday the document no longer lists is removed");

    // An existing plan escalating to a department the same document creates: reported as an
    // update in the dry run, set once applied; a plan that gives no escalation keeps its own.
    let level3 = doc.replace("escalate_to = \"Soporte (Nivel 2)\"", "escalate_to = \"Soporte (Nivel 3)\"")
        + "\n[[department]]\nname = \"Soporte (Nivel 3)\"\n";
    let (status, report) = import(&two, &level3, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let got = actions(&report);
    assert!(got.contains(&("sla_plan".into(), "Nivel 1".into(), "update".into())), "{got:?}");
    assert!(got.contains(&("department".into(), "Soporte (Nivel 3)".into(), "create".into())), "{got:?}");
    let (status, report) = import(&two, &level3, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(export(&two).await.contains("escalate_to = \"Soporte (Nivel 3)\""));
    let (status, report) = import(&two, &level3, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(actions(&report).iter().all(|(_, _, a)| a == "unchanged" || a == "not_in_document"), "{report}");
    let bare = plan("Nivel 1", "Oficina Quito", 120, 960);
    let (status, report) = import(&two, &bare, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let after = export(&two).await;
    assert!(after.contains("escalate_to = \"Soporte (Nivel 3)\"") && after.contains("warn_percent = 80"), "{after}");

    // Bad documents: refused with where and why; nothing changed (not even what comes first).
    let (exported, log) = (export(&two).await, audit_len(&two).await);
    let new_calendar =
        "[[calendar]]\nname = \"Oficina Guayaquil\"\ntime_zone = \"America/Guayaquil\"\n[calendar.hours]\nmon = \"08:00-17:00\"\n";
    let bad_plan = plan("Nivel 2", "Oficina Guayaquil", 600, 480);
    let cases = [
        (plan("Nivel 2", "No existe", 120, 960), "no calendar named No existe"),
        (
            "version = 1\n[[calendar]]\nname = \"Oficina X\"\ntime_zone = \"America/Quitumbe\"\n[calendar.hours]\nmon = \"08:00-17:00\"\n".into(),
            "not a known time zone",
        ),
        (
            "version = 1\n[[calendar]]\nname = \"Oficina X\"\ntime_zone = \"America/Guayaquil\"\n[calendar.hours]\nwed = \"18:00-08:00\"\n".into(),
            "hours.wed",
        ),
        (format!("{bad_plan}{new_calendar}"), "target of priority 3"),
        (
            "version = 1\n[[status]]\nkey = \"resolved\"\ncategory = \"resolved\"\nname_es = \"Resuelto\"\nname_en = \"Resolved\"\nactive = false\n".into(),
            "status resolved: a built-in status can be renamed but not retired",
        ),
        (
            "version = 1\n[[status]]\nkey = \"en_espera_de_proveedor\"\ncategory = \"open\"\nname_es = \"X\"\nname_en = \"X\"\n".into(),
            "cannot change",
        ),
        ("version = 1\n[priority_matrix]\nimpact_low = [1, 2, 3]\nimpact_medium = [2, 3, 4]\nimpact_high = [3, 4, 6]\n".into(), "priority_matrix"),
        ("version = 1\n[[priority]]\nlevel = 5\nname_es = \"Crítica\"\nname_en = \"Critical\"\ncolour = \"rojo\"\n".into(), "priority 5: colour"),
        (
            "version = 1\n[[ticket_type]]\nkey = \"incident\"\nname_es = \"Incidente\"\nname_en = \"Incident\"\nactive = false\n[[ticket_type]]\nkey = \"service_request\"\nname_es = \"Solicitud\"\nname_en = \"Request\"\nactive = false\n[[ticket_type]]\nkey = \"major_incident\"\nname_es = \"Mayor\"\nname_en = \"Major\"\nactive = false\n".into(),
            "at least one ticket type",
        ),
        ("version = 1\n[[department]]\nname = \"UPAT\"\nsla_plan = \"Nivel 9\"\n".into(), "no SLA plan named Nivel 9"),
        (
            plan("Nivel 1", "Oficina Quito", 120, 960).replacen("[[sla_plan.target]]", "escalate_to = \"No existe\"\n[[sla_plan.target]]", 1),
            "SLA plan Nivel 1: escalate_to: no department named No existe",
        ),
        (
            plan("Nivel 1", "Oficina Quito", 120, 960).replacen("[[sla_plan.target]]", "on_warning = [\"llamar\"]\n[[sla_plan.target]]", 1),
            "on_warning: unknown action",
        ),
        (
            plan("Nivel 1", "Oficina Quito", 120, 960).replacen("[[sla_plan.target]]", "warn_percent = 100\n[[sla_plan.target]]", 1),
            "warn_percent",
        ),
        ("version = 1\n[[sla_plan]]\nname = \"Nivel 3\"\n[[sla_plan.target]]\npriority = 1\nresponse_minutes = 5\nresolution_minutes = 10\n".into(), "priority 2 is missing"),
    ];
    for (bad, says) in &cases {
        let (status, body) = import(&two, bad, false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{says} in {message}");
    }
    assert_eq!(audit_len(&two).await, log, "bad documents changed nothing");
    assert_eq!(export(&two).await, exported);
}
