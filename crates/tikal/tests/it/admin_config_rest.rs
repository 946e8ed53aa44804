//! The configuration file's roles, organisations, customised e-mail templates, routing rules
//! and settings: exported from one desk, checked (dry run) and applied on another, imported
//! again without changes; a bad document is refused with where and why and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_testkit::TestApp;

use super::admin_config::{actions, audit_len, export, import, put};

fn has(list: &[(String, String, String)], entity: &str, name: &str, action: &str) -> bool {
    list.iter().any(|(e, n, a)| e == entity && n == name && a == action)
}

const RESET_TEXT: &str = "Hola:\n\nPara elegir una clave nueva abra {{ link }} (vale {{ expires_hours }} horas).\n\nMesa de Ayuda UIT\n";

/// Desk one: seed 004's levels and rules, a role of its own, an organisation, a Spanish reset
/// mail and its own settings.
async fn desk_one() -> (TestApp, String) {
    let one = TestApp::spawn().await;
    one.admin_with_password("director@gob.example").await;
    one.department("Mesa de Ayuda (Nivel 1)").await;
    one.department("Consultoría TI (Nivel 2)").await;
    let r = one.post("/api/v1/roles", &json!({"name": "Consultor", "permissions": ["ticket.view", "ticket.note"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = one.post("/api/v1/organisations", &json!({"name": "UPAT", "domain": "upat.gob.example"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let status = put(
        &one,
        "/api/v1/mail-templates/password_reset/es",
        &json!({"subject": "Recupere su clave de la Mesa de Ayuda", "text_body": RESET_TEXT, "html_body": "<p>Abra <a href=\"{{ link }}\">este enlace</a></p>"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for (name, range, to) in [
        ("Prioridad baja a Nivel 1", "1-2", "Mesa de Ayuda (Nivel 1)"),
        ("Prioridad media o alta a Nivel 2", "3-5", "Consultoría TI (Nivel 2)"),
    ] {
        let body = json!({"name": name, "conditions": [{"kind": "priority_in", "value": range}], "actions": [{"kind": "set_department", "value": to}]});
        let r = one.post("/api/v1/routing-rules", &body).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap_or_default());
    }
    let departments: Vec<Value> = one.get("/api/v1/departments").await.json().await.expect("json");
    let level = |name: &str| departments.iter().find(|d| d["name"] == name).map(|d| d["id"].clone()).expect("department");
    let body = json!({"name": "Sin asignar 30 min", "department_id": level("Mesa de Ayuda (Nivel 1)"), "condition": "unassigned",
        "minutes": 30, "action": "transfer", "target_department_id": level("Consultoría TI (Nivel 2)"), "active": true});
    let r = one.post("/api/v1/time-rules", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap_or_default());
    let status = put(&one, "/api/v1/settings", &json!({"organisation_name": "Mesa de Ayuda UIT", "default_language": "en"})).await;
    assert_eq!(status, StatusCode::OK);
    let doc = export(&one).await;
    (one, doc)
}

#[tokio::test]
async fn roles_organisations_templates_rules_and_settings_go_from_one_desk_to_another() {
    let (_one, doc) = desk_one().await;
    for part in [
        "[[role]]\nname = \"Consultor\"\npermissions = [\n    \"ticket.view\",\n    \"ticket.note\",\n]",
        "[[organisation]]\nname = \"UPAT\"\ndomain = \"upat.gob.example\"",
        "[[mail_template]]\nkind = \"password_reset\"\nlanguage = \"es\"\nsubject = \"Recupere su clave de la Mesa de Ayuda\"",
        "[[routing_rule]]\nname = \"Prioridad baja a Nivel 1\"",
        "kind = \"set_department\"\nvalue = \"Consultoría TI (Nivel 2)\"",
        "[settings]\norganisation_name = \"Mesa de Ayuda UIT\"\n",
        "default_language = \"en\"\ntime_zone = ",
        "[[time_rule]]\nname = \"Sin asignar 30 min\"\nactive = true\ndepartment = \"Mesa de Ayuda (Nivel 1)\"\ncondition = \"unassigned\"\nminutes = 30\naction = \"transfer\"\ntransfer_to = \"Consultoría TI (Nivel 2)\"",
    ] {
        assert!(doc.contains(part), "{part} in {doc}");
    }
    assert!(!doc.contains("password_reset\"\nlanguage = \"en\""), "only customised templates: {doc}");
    assert!(doc.find("Prioridad baja a Nivel 1") < doc.find("Prioridad media o alta a Nivel 2"), "rules in order");
    assert!(!doc.contains("director@gob.example") && !doc.contains("logo"), "no people, no logo: {doc}");

    // Desk two: the dry run lists what it would do and writes nothing.
    let two = TestApp::spawn().await;
    two.admin_with_password("director@gob.example").await;
    let log = audit_len(&two).await;
    let (status, report) = import(&two, &doc, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], false);
    let list = actions(&report);
    for (entity, name, action) in [
        ("role", "Consultor", "create"),
        ("role", "agent", "unchanged"),
        ("organisation", "UPAT", "create"),
        ("template", "password_reset (es)", "create"),
        ("routing_rule", "Prioridad baja a Nivel 1", "create"),
        ("routing_rule", "Prioridad media o alta a Nivel 2", "create"),
        ("settings", "organisation_name, default_language", "update"),
        ("time_rule", "Sin asignar 30 min", "create"),
    ] {
        assert!(has(&list, entity, name, action), "{entity} {name} {action} in {list:?}");
    }
    assert_eq!(audit_len(&two).await, log, "a dry run writes nothing");
    let rules: Vec<Value> = two.get("/api/v1/routing-rules").await.json().await.expect("json");
    assert!(rules.is_empty());
    let settings: Value = two.get("/api/v1/settings").await.json().await.expect("json");
    assert_ne!(settings["organisation_name"], "Mesa de Ayuda UIT");

    // Applied: the two desks' documents are the same; the rules route as on desk one.
    let (status, report) = import(&two, &doc, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], true);
    assert_eq!(export(&two).await, doc);
    let settings: Value = two.get("/api/v1/settings").await.json().await.expect("json");
    assert_eq!((settings["organisation_name"].as_str(), settings["default_language"].as_str()), (Some("Mesa de Ayuda UIT"), Some("en")));
    let t: Value = two.get("/api/v1/mail-templates/password_reset/es").await.json().await.expect("json");
    assert_eq!((t["customised"].as_bool(), t["text_body"].as_str()), (Some(true), Some(RESET_TEXT)));
    let roles: Vec<Value> = two.get("/api/v1/roles").await.json().await.expect("json");
    let consultor = roles.iter().find(|r| r["name"] == "Consultor").expect("role");
    assert_eq!(consultor["permissions"], json!(["ticket.view", "ticket.note"]));
    let body = json!({"subject": "No imprime", "message": "Sale en blanco", "priority": 4, "requester": {"email": "ana@upat.gob.example"}});
    let ticket: Value = two.post("/api/v1/tickets", &body).await.json().await.expect("ticket");
    assert_eq!(ticket["department"]["name"], "Consultoría TI (Nivel 2)", "{ticket}");
    let log: Vec<Value> = two.get("/api/v1/audit-log?limit=500").await.json().await.expect("json");
    for entity in ["role", "organisation", "template", "routing_rule", "settings", "time_rule"] {
        assert!(log.iter().any(|e| e["entity"] == entity), "{entity} audited: {log:?}");
    }

    // Imported again: nothing to do, nothing written.
    let log = audit_len(&two).await;
    let (status, report) = import(&two, &doc, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(actions(&report).iter().all(|(_, _, a)| a == "unchanged" || a == "not_in_document"), "{report}");
    assert_eq!(audit_len(&two).await, log, "an unchanged document writes nothing");

    // The document's order is the rules' order.
    let (first, second) = doc.split_once("[[routing_rule]]\nname = \"Prioridad media").expect("second rule");
    let (head, first_rule) = first.split_once("[[routing_rule]]").expect("first rule");
    let reordered = format!("{head}[[routing_rule]]\nname = \"Prioridad media{second}\n[[routing_rule]]{first_rule}");
    let (status, report) = import(&two, &reordered, true).await;
    assert_eq!(status, StatusCode::OK, "{report}\n{reordered}");
    let list = actions(&report);
    assert!(has(&list, "routing_rule", "Prioridad baja a Nivel 1", "update"), "{list:?}");
    assert!(has(&list, "routing_rule", "Prioridad media o alta a Nivel 2", "update"), "{list:?}");
    let (status, report) = import(&two, &reordered, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rules: Vec<Value> = two.get("/api/v1/routing-rules").await.json().await.expect("json");
    let names: Vec<&str> = rules.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["Prioridad media o alta a Nivel 2", "Prioridad baja a Nivel 1"]);
    let (_, report) = import(&two, &reordered, true).await;
    assert!(actions(&report).iter().all(|(_, _, a)| a == "unchanged" || a == "not_in_document"), "{report}");
}

#[tokio::test]
async fn a_bad_document_says_where_and_why_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.admin_with_password("director@gob.example").await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let log = audit_len(&app).await;
    let before = export(&app).await;
    // Each starts with a good entry: the whole document is checked before anything is written.
    let good = "version = 1\n[[role]]\nname = \"Auditor\"\npermissions = [\"ticket.view\"]\n";
    for (bad, said) in [
        (
            "[[role]]\nname = \"Consultor\"\npermissions = [\"ticket.view\", \"ticket.fly\"]\n",
            "role Consultor: no permission named ticket.fly",
        ),
        (
            "[[mail_template]]\nkind = \"password_reset\"\nlanguage = \"es\"\nsubject = \"Clave\"\ntext = \"Abra {{ link }}\\n{{ ticket.subject }}\"\n",
            "mail_template password_reset (es): text_body (line 2)",
        ),
        ("[[mail_template]]\nkind = \"reset\"\nlanguage = \"es\"\nsubject = \"Clave\"\ntext = \"x\"\n", "no kind named reset"),
        (
            "[[routing_rule]]\nname = \"A ADT\"\n[[routing_rule.condition]]\nkind = \"priority_in\"\nvalue = \"1-2\"\n[[routing_rule.action]]\nkind = \"set_department\"\nvalue = \"ADT\"\n",
            "routing_rule A ADT, action 1: no department named ADT",
        ),
        (
            "[[routing_rule]]\nname = \"Malo\"\n[[routing_rule.condition]]\nkind = \"priority_in\"\nvalue = \"5-1\"\n[[routing_rule.action]]\nkind = \"set_department\"\nvalue = \"Mesa de Ayuda (Nivel 1)\"\n",
            "routing_rule Malo",
        ),
        ("[settings]\ntime_zone = \"Mars/Olympus\"\n", "settings: time_zone"),
        (
            "[[time_rule]]\nname = \"Aviso\"\ncondition = \"unassigned\"\nminutes = 30\naction = \"transfer\"\ntransfer_to = \"ADT\"\n",
            "time_rule Aviso, transfer_to: no department named ADT",
        ),
        (
            "[[time_rule]]\nname = \"Aviso\"\ncondition = \"olvidado\"\nminutes = 30\naction = \"notify_owner\"\n",
            "time_rule Aviso: condition",
        ),
        (
            "[[time_rule]]\nname = \"Aviso\"\ncondition = \"unassigned\"\nminutes = 0\naction = \"notify_owner\"\n",
            "time_rule Aviso: minutes",
        ),
        ("[settings]\nlogo = \"logo.png\"\n", "logo"),
        ("[[organisation]]\nname = \"UPAT\"\ndomain = \"no es un dominio\"\n", "organisation UPAT: domain"),
        (
            "[[organisation]]\nname = \"UPAT\"\ndomain = \"upat.gob.example\"\n[[organisation]]\nname = \"ACGII\"\ndomain = \"upat.gob.example\"\n",
            "organisation ACGII: domain",
        ),
    ] {
        let doc = format!("{good}{bad}");
        for dry_run in [true, false] {
            let (status, body) = import(&app, &doc, dry_run).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{doc}: {body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(said), "{said} in {message}");
        }
    }
    assert_eq!(audit_len(&app).await, log, "bad documents changed nothing");
    assert_eq!(export(&app).await, before);
}
