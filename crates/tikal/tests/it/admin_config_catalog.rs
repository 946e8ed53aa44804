//! Help topics and custom fields in the configuration file: seed 003's catalogue exported from
//! one desk, checked (dry run) and applied on another, the same again changing nothing, and bad
//! documents refused with where and why, changing nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_testkit::TestApp;

use super::admin_config::{audit_len, import};

/// The (entity, name, action) of each change a report lists for topics and fields.
fn changes(report: &Value) -> Vec<(String, String, String)> {
    let text = |c: &Value, k: &str| c[k].as_str().unwrap_or_default().to_string();
    report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["entity"] == "help_topic" || c["entity"] == "custom_field")
        .map(|c| (text(c, "entity"), text(c, "name"), text(c, "action")))
        .collect()
}

fn change(entity: &str, name: &str, action: &str) -> (String, String, String) {
    (entity.into(), name.into(), action.into())
}

/// The document's topic and field tables, in a fixed order.
fn catalogue_of(doc: &str) -> Vec<String> {
    let mut blocks: Vec<String> = doc
        .split("\n\n")
        .map(|b| b.trim().to_string())
        .filter(|b| b.starts_with("[[help_topic]]") || b.starts_with("[[custom_field]]"))
        .collect();
    blocks.sort();
    blocks
}

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app.post(path, &body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    r.json().await.expect("json")
}

#[tokio::test]
async fn seed_003s_catalogue_is_copied_to_another_desk_through_the_configuration_file() {
    // The first desk: seed 003's topics and forms, a retired field among them.
    let one = TestApp::spawn().await;
    one.admin_with_password("director.ti@gob.example").await;
    let mesa = one.department("Mesa de Ayuda (Nivel 1)").await.get();
    let plans: Vec<Value> = one.get("/api/v1/sla-plans").await.json().await.expect("json");
    let standard = plans.iter().find(|p| p["name"] == "Estándar").expect("the standard plan")["id"].clone();
    let pc = created(
        &one,
        "/api/v1/help-topics",
        json!({"name": "Problema de computadoras", "department_id": mesa, "default_priority": 3, "default_type": "incident",
               "sla_plan_id": standard, "description": "Equipos que no encienden, lentos o con fallas", "sort": 10}),
    )
    .await;
    created(&one, "/api/v1/help-topics", json!({"name": "Problemas en el teclado", "parent_id": pc["id"], "department_id": mesa})).await;
    created(&one, "/api/v1/help-topics", json!({"name": "Impresoras", "portal_visible": false, "sort": 20})).await;
    created(
        &one,
        "/api/v1/custom-fields",
        json!({"key": "ubicacion", "kind": "select", "options": ["Piso 1", "Piso 2", "Planta baja"], "label_es": "Ubicación",
               "label_en": "Location", "help_es": "Dónde está el equipo", "help_en": "Where the computer is",
               "required_for": "requester", "help_topic_id": pc["id"]}),
    )
    .await;
    created(
        &one,
        "/api/v1/custom-fields",
        json!({"key": "fecha_compra", "kind": "date", "label_es": "Fecha de compra", "label_en": "Purchase date", "help_topic_id": pc["id"], "sort": 5}),
    )
    .await;
    created(
        &one,
        "/api/v1/custom-fields",
        json!({"key": "serie_antigua", "kind": "text", "label_es": "Serie (antigua)", "label_en": "Serial (old)", "active": false}),
    )
    .await;
    let doc = one.get("/api/v1/configuration").await.text().await.expect("text");
    for line in [
        "[[help_topic]]\nname = \"Problemas en el teclado\"\nparent = \"Problema de computadoras\"\ndepartment = \"Mesa de Ayuda (Nivel 1)\"",
        "sla_plan = \"Estándar\"",
        "default_type = \"incident\"",
        "[[custom_field]]\nkey = \"ubicacion\"\ntopic = \"Problema de computadoras\"\nkind = \"select\"",
        "options = [\n    \"Piso 1\",",
        "required_for = \"requester\"",
        "key = \"serie_antigua\"",
        "active = false",
    ] {
        assert!(doc.contains(line), "{line} in {doc}");
    }

    // The second desk: the dry run lists what it would create and changes nothing.
    let two = TestApp::spawn().await;
    two.admin_with_password("director.ti@gob.example").await;
    let log_before = audit_len(&two).await;
    let (status, report) = import(&two, &doc, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let listed = changes(&report);
    for c in [
        change("help_topic", "Problema de computadoras", "create"),
        change("help_topic", "Problema de computadoras / Problemas en el teclado", "create"),
        change("help_topic", "Impresoras", "create"),
        change("custom_field", "ubicacion", "create"),
        change("custom_field", "serie_antigua", "create"),
    ] {
        assert!(listed.contains(&c), "{c:?} in {listed:?}");
    }
    assert_eq!(audit_len(&two).await, log_before, "a dry run writes nothing");
    let fields: Vec<Value> = two.get("/api/v1/custom-fields").await.json().await.expect("json");
    assert!(fields.is_empty(), "{fields:?}");

    // Applied: the same catalogue, each change audited; again: nothing to do.
    let (status, report) = import(&two, &doc, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], true);
    assert!(audit_len(&two).await >= log_before + 7, "a department, three topics and three fields, each audited");
    let again = two.get("/api/v1/configuration").await.text().await.expect("text");
    assert_eq!(catalogue_of(&again), catalogue_of(&doc), "{again}");
    let fields: Vec<Value> = two.get("/api/v1/custom-fields").await.json().await.expect("json");
    let old = fields.iter().find(|f| f["key"] == "serie_antigua").expect("the retired field");
    assert_eq!(old["active"], false);
    let log_applied = audit_len(&two).await;
    let (_, report) = import(&two, &doc, false).await;
    assert!(changes(&report).iter().all(|(_, _, a)| a == "unchanged"), "{report}");
    assert_eq!(audit_len(&two).await, log_applied, "importing the same again changes nothing");

    // Edited by hand: a subtopic before its parent, a field on it, a label changed.
    let edited = format!(
        "{doc}\n[[help_topic]]\nname = \"Sin tóner\"\nparent = \"impresoras / Láser\"\n\n\
         [[help_topic]]\nname = \"Láser\"\nparent = \"Impresoras\"\n\n\
         [[custom_field]]\nkey = \"modelo\"\ntopic = \"Impresoras/Láser/Sin tóner\"\nkind = \"text\"\nlabel_es = \"Modelo\"\nlabel_en = \"Model\"\n"
    )
    .replace("label_en = \"Purchase date\"", "label_en = \"Date of purchase\"");
    let (status, report) = import(&two, &edited, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let listed = changes(&report);
    for c in [
        change("help_topic", "Impresoras / Láser", "create"),
        change("help_topic", "impresoras / Láser / Sin tóner", "create"),
        change("custom_field", "modelo", "create"),
        change("custom_field", "fecha_compra", "update"),
        change("custom_field", "ubicacion", "unchanged"),
    ] {
        assert!(listed.contains(&c), "{c:?} in {listed:?}");
    }
    let (status, report) = import(&two, &edited, false).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let after = two.get("/api/v1/configuration").await.text().await.expect("text");
    assert!(after.contains("name = \"Sin tóner\"\nparent = \"Impresoras / Láser\""), "{after}");
    assert!(after.contains("topic = \"Impresoras / Láser / Sin tóner\"") && after.contains("Date of purchase"), "{after}");

    // Bad documents: refused with where and why; nothing changed, not even what came before.
    let log_before = audit_len(&two).await;
    for (bad, says) in [
        ("[[help_topic]]\nname = \"Teclado\"\nparent = \"No existe\"\n", "help topic No existe / Teclado: no help topic named No existe"),
        (
            "[[custom_field]]\nkey = \"ubicacion\"\nkind = \"text\"\nlabel_es = \"Ubicación\"\nlabel_en = \"Location\"\n",
            "custom field ubicacion: kind",
        ),
        (
            "[[custom_field]]\nkey = \"nuevo\"\nkind = \"text\"\nlabel_es = \"A\"\nlabel_en = \"A\"\n\n\
             [[custom_field]]\nkey = \"nuevo\"\nkind = \"date\"\nlabel_es = \"B\"\nlabel_en = \"B\"\n",
            "custom field nuevo: appears twice",
        ),
        (
            "[[help_topic]]\nname = \"Telefonía\"\n\n[[custom_field]]\nkey = \"piso\"\nkind = \"select\"\noptions = []\nlabel_es = \"Piso\"\nlabel_en = \"Floor\"\n",
            "custom field piso: options",
        ),
        ("[[help_topic]]\nname = \"Correo institucional\"\nsla_plan = \"Oro\"\n", "no SLA plan named Oro"),
        ("[[help_topic]]\nname = \"Impresoras\"\n\n[[help_topic]]\nname = \"IMPRESORAS \"\n", "appears twice"),
        (
            "[[custom_field]]\nkey = \"x\"\ntopic = \"Nada\"\nkind = \"text\"\nlabel_es = \"X\"\nlabel_en = \"X\"\n",
            "no help topic named Nada",
        ),
        ("[[help_topic]]\nname = \"Redes\"\ndefault_priority = 9\n", "default_priority must be 1 to 5"),
    ] {
        let (status, body) = import(&two, &format!("version = 1\n{bad}"), false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{says} in {message}");
    }
    assert_eq!(audit_len(&two).await, log_before, "bad documents change nothing");
    let again = two.get("/api/v1/configuration").await.text().await.expect("text");
    assert_eq!(again, after);
}
