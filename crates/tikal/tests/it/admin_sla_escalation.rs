//! An SLA plan's escalation (the warning threshold, the actions at the warning and at a
//! breach, the escalation department) set on its page and through the API: read back as
//! saved, refused values shown again with the field named, and kept when only the targets
//! are edited.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get};

async fn audit_len(app: &TestApp) -> usize {
    let log: Vec<Value> = app.get("/api/v1/audit-log?limit=200").await.json().await.expect("json");
    log.len()
}

async fn new_department(app: &TestApp, name: &str) -> i64 {
    let r = app.post("/api/v1/departments", &json!({"name": name})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{name}");
    r.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

async fn plan_named(app: &TestApp, name: &str) -> Value {
    let plans: Vec<Value> = app.get("/api/v1/sla-plans").await.json().await.expect("json");
    plans.into_iter().find(|p| p["name"] == name).expect("plan")
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[start..].find('"').map(|end| &tag[start..start + end])
}

/// What a browser would send back from the page's `form_id` form unchanged: text inputs,
/// checked boxes, and each select's chosen option (else its first).
fn form_as_shown(html: &str, form_id: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("id=\"{form_id}\"")).expect("form");
    let form = &html[start..start + html[start..].find("</form>").expect("end of form")];
    let mut out = Vec::new();
    for part in form.split("<input").skip(1) {
        let tag = &part[..part.find('>').expect("tag")];
        let (Some(name), value) = (attr(tag, "name"), attr(tag, "value").unwrap_or_default()) else { continue };
        let checkbox = attr(tag, "type") == Some("checkbox");
        if !checkbox || tag.trim_end().ends_with(" checked") || tag.contains(" checked ") {
            out.push((name.to_string(), if checkbox && value.is_empty() { "on".into() } else { value.to_string() }));
        }
    }
    for part in form.split("<select").skip(1) {
        let select = &part[..part.find("</select>").expect("select")];
        let name = attr(select, "name").expect("select name");
        let options: Vec<&str> = select.split("<option").skip(1).map(|o| &o[..o.find('>').expect("option")]).collect();
        let chosen = options.iter().find(|o| o.contains(" selected")).or(options.first()).expect("an option");
        out.push((name.to_string(), attr(chosen, "value").unwrap_or_default().to_string()));
    }
    out
}

fn set(form: &mut Vec<(String, String)>, name: &str, value: &str) {
    form.retain(|(k, _)| k != name);
    form.push((name.into(), value.into()));
}

async fn send(c: &Client, app: &TestApp, path: &str, form: &[(String, String)]) -> (StatusCode, String) {
    let r = c.post(app.url(path)).form(form).send().await.expect("post");
    (r.status(), r.text().await.expect("body"))
}

#[tokio::test]
async fn an_administrator_sets_a_plans_escalation_on_its_page() {
    let app = TestApp::spawn().await;
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let n2 = new_department(&app, "Soporte (Nivel 2)").await;
    let c = browser();
    agent_sign_in(&c, &app, "director.ti@gob.example", &password).await;

    // A new plan's form starts with the standard escalation and offers the departments.
    let (status, html) = get(&c, &app, "/admin/sla/new").await;
    assert_eq!(status, StatusCode::OK);
    let token = csrf(&html);
    assert!(html.contains("Escalamiento") && html.contains("Avisar a los supervisores") && html.contains("no hace nada"), "{html}");
    assert!(html.contains(&format!("<option value=\"{n2}\" >Soporte (Nivel 2)</option>")), "{html}");
    let shown = form_as_shown(&html, "plan-form");
    let has = |f: &[(String, String)], k: &str, v: &str| f.iter().any(|(a, b)| a == k && b == v);
    assert!(has(&shown, "csrf", &token), "{shown:?}");
    assert!(has(&shown, "warn_percent", "75") && has(&shown, "on_warning", "notify_owner"), "{shown:?}");
    assert!(has(&shown, "on_breach", "mark_overdue") && !has(&shown, "on_breach", "transfer"), "{shown:?}");

    let mut form = shown.clone();
    form.retain(|(k, _)| k != "on_warning" && k != "on_breach");
    set(&mut form, "name", "Nivel 1");
    for (k, v) in [
        ("on_warning", "notify_owner"),
        ("on_warning", "notify_responsible"),
        ("on_breach", "transfer"),
        ("on_breach", "notify_manager"),
        ("on_breach", "mark_overdue"),
    ] {
        form.push((k.into(), v.into()));
    }
    set(&mut form, "warn_percent", "80");
    set(&mut form, "transfer_to", &n2.to_string());

    // Refused: the threshold out of range or not a number, a department that does not exist.
    // Each is said in Spanish naming the field, with what was typed shown again.
    let before = audit_len(&app).await;
    for (field, typed, says) in [
        ("warn_percent", "100", "Aviso al: Debe ser un porcentaje entero de 1 a 99"),
        ("warn_percent", "0", "Aviso al: Debe ser un porcentaje"),
        ("warn_percent", "mucho", "Aviso al: Debe ser un porcentaje"),
        ("transfer_to", "424242", "Departamento de escalamiento: No existe"),
    ] {
        let mut bad = form.clone();
        set(&mut bad, field, typed);
        let (status, html) = send(&c, &app, "/admin/sla", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}={typed}: {html}");
        assert!(html.contains("id=\"form-error\"") && html.contains(says), "{says}: {html}");
        assert!(html.contains("value=\"Nivel 1\"") && html.contains("aria-invalid=\"true\""), "{html}");
        let again = form_as_shown(&html, "plan-form");
        assert!(has(&again, "on_warning", "notify_responsible") && has(&again, "on_breach", "transfer"), "{again:?}");
        if field == "warn_percent" {
            assert!(has(&again, "warn_percent", typed) && has(&again, "transfer_to", &n2.to_string()), "{again:?}");
        }
    }
    assert_eq!(audit_len(&app).await, before, "refused plans changed nothing");

    // Saved: the list shows the threshold and the breach actions; the API reads it back.
    let (status, html) = send(&c, &app, "/admin/sla", &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("80 %") && html.contains("Avisar al responsable del departamento, Transferir, Marcar como vencido"), "{html}");
    let plan = plan_named(&app, "Nivel 1").await;
    let want = json!({
        "warn_percent": 80,
        "on_warning": ["notify_owner", "notify_responsible"],
        "on_breach": ["notify_manager", "transfer", "mark_overdue"],
        "transfer_to_department_id": n2,
    });
    assert_eq!(plan["escalation"], want);
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=sla_plan").await.json().await.expect("json");
    assert_eq!(log[0]["after"]["on_breach"], "notify_manager,transfer,mark_overdue", "{log:?}");

    // Editing only a target from the page as it shows the plan keeps the escalation.
    let path = format!("/admin/sla/{}", plan["id"]);
    let (_, html) = get(&c, &app, &path).await;
    let mut edit = form_as_shown(&html, "plan-form");
    set(&mut edit, "resolution_3", "20:00");
    let (status, html) = send(&c, &app, &path, &edit).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let plan = plan_named(&app, "Nivel 1").await;
    assert_eq!(plan["targets"][2]["resolution_minutes"], 1200);
    assert_eq!(plan["escalation"], want, "the escalation is kept");

    // No warning, a transfer without a department (the next level, if any): allowed.
    let mut plain = edit.clone();
    plain.retain(|(k, _)| k != "on_warning" && k != "on_breach");
    set(&mut plain, "warn_percent", "");
    set(&mut plain, "transfer_to", "");
    plain.push(("on_breach".into(), "transfer".into()));
    let (status, html) = send(&c, &app, &path, &plain).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Sin aviso"), "{html}");
    let plan = plan_named(&app, "Nivel 1").await;
    assert_eq!(
        plan["escalation"],
        json!({"warn_percent": null, "on_warning": [], "on_breach": ["transfer"], "transfer_to_department_id": null})
    );
}

#[tokio::test]
async fn a_script_sets_a_plans_escalation_through_the_api() {
    let app = TestApp::spawn().await;
    let n2 = new_department(&app, "Soporte (Nivel 2)").await;
    let put = |path: String, body: Value| {
        let r = app.client.put(app.url(&path)).bearer_auth(&app.key).json(&body).send();
        async move { r.await.expect("put") }
    };
    let targets = |r3: u32| {
        json!([
            {"priority": 1, "first_response_minutes": 480, "resolution_minutes": 2400},
            {"priority": 2, "first_response_minutes": 240, "resolution_minutes": 1440},
            {"priority": 3, "first_response_minutes": 120, "resolution_minutes": r3},
            {"priority": 4, "first_response_minutes": 60, "resolution_minutes": 480},
            {"priority": 5, "first_response_minutes": 30, "resolution_minutes": 240},
        ])
    };

    // Left out on creation: the standard escalation.
    let r = app.post("/api/v1/sla-plans", &json!({"name": "Nivel 1", "targets": targets(960)})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let plan: Value = r.json().await.expect("json");
    let standard = json!({
        "warn_percent": 75,
        "on_warning": ["notify_owner"],
        "on_breach": ["notify_owner", "notify_manager", "mark_overdue"],
        "transfer_to_department_id": null,
    });
    assert_eq!(plan["escalation"], standard);
    let path = format!("/api/v1/sla-plans/{}", plan["id"]);

    // Given: saved with the actions in their canonical order, each once.
    let mut body = plan.clone();
    body["escalation"] = json!({
        "warn_percent": 60,
        "on_warning": ["raise_priority", "notify_supervisors", "raise_priority"],
        "on_breach": ["transfer"],
        "transfer_to_department_id": n2,
    });
    let r = put(path.clone(), body.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let want = json!({
        "warn_percent": 60,
        "on_warning": ["notify_supervisors", "raise_priority"],
        "on_breach": ["transfer"],
        "transfer_to_department_id": n2,
    });
    assert_eq!(r.json::<Value>().await.expect("json")["escalation"], want);
    let got: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(got["escalation"], want);

    // Refused: 422 naming the field; nothing changed.
    let before = audit_len(&app).await;
    for (escalation, field) in [
        (json!({"warn_percent": 0, "on_breach": ["transfer"]}), "warn_percent"),
        (json!({"warn_percent": 100}), "warn_percent"),
        (json!({"on_warning": ["call_the_minister"]}), "on_warning"),
        (json!({"on_breach": ["notify_owner", "llamar"]}), "on_breach"),
        (json!({"on_breach": ["transfer"], "transfer_to_department_id": 424242}), "transfer_to"),
    ] {
        let mut bad = body.clone();
        bad["escalation"] = escalation.clone();
        let r = put(path.clone(), bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{escalation}");
        let e: Value = r.json().await.expect("json");
        assert!(e["error"]["message"].as_str().is_some_and(|m| m.starts_with(&format!("{field}:"))), "{field}: {e}");
    }
    let mut bad = body.clone();
    bad["name"] = json!("Nivel 9");
    bad["escalation"]["transfer_to_department_id"] = json!(424242);
    assert_eq!(app.post("/api/v1/sla-plans", &bad).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit_len(&app).await, before, "refused changes wrote nothing");
    let got: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(got["escalation"], want);

    // Left out on a replacement: the plan keeps its escalation.
    let mut targets_only = plan.clone();
    targets_only.as_object_mut().expect("object").remove("escalation");
    targets_only["targets"] = targets(1200);
    let r = put(path.clone(), targets_only).await;
    assert_eq!(r.status(), StatusCode::OK);
    let got: Value = r.json().await.expect("json");
    assert_eq!(got["targets"][2]["resolution_minutes"], 1200);
    assert_eq!(got["escalation"], want, "kept");

    // No warning, no actions: an empty object clears it.
    let mut none = got.clone();
    none["escalation"] = json!({});
    let r = put(path.clone(), none).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.expect("json")["escalation"],
        json!({"warn_percent": null, "on_warning": [], "on_breach": [], "transfer_to_department_id": null})
    );
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=sla_plan").await.json().await.expect("json");
    assert_eq!((log[0]["before"]["warn_percent"].as_u64(), log[0]["after"]["warn_percent"].as_u64()), (Some(60), None), "{log:?}");
}
