//! Settings and branding (`/admin/settings`, `/api/v1/settings`): changes show at once on the
//! portal, refused values change nothing, the logo is served so it can never run as a page,
//! and every change is in the audit log with before and after.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tikal_testkit::TestApp;
use tikal_testkit::web::{agent_sign_in, browser, csrf, get, post};

use crate::admin::assert_admin_only;

/// A PNG by its signature (the server checks the bytes, not the name).
fn png(size: usize) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    data.resize(size, 7);
    data
}

const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>";

/// An administrator signed in, and the form token of the settings page.
async fn admin(app: &TestApp) -> (Client, String) {
    let (_, password) = app.admin_with_password("director.ti@gob.example").await;
    let c = browser();
    agent_sign_in(&c, app, "director.ti@gob.example", &password).await;
    let (status, html) = get(&c, app, "/admin/settings").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    (c.clone(), csrf(&html))
}

async fn settings(app: &TestApp) -> Value {
    let r = app.get("/api/v1/settings").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("json")
}

/// Posts the settings form: the current values with `changes` over them.
async fn save(c: &Client, app: &TestApp, token: &str, changes: &[(&str, &str)]) -> (StatusCode, String) {
    let s = settings(app).await;
    let text = |k: &str| s[k].as_str().map(str::to_string).unwrap_or_else(|| s[k].to_string());
    let mut form: Vec<(String, String)> = vec![("csrf".into(), token.into())];
    for k in [
        "organisation_name",
        "brand_colour",
        "brand_ink",
        "default_language",
        "time_zone",
        "ticket_number_format",
        "reopen_window_days",
        "auto_close_days",
        "reminder_days",
        "mail_subject_tag",
        "autoreplies_per_hour",
        "max_attachment_mb",
        "max_attachments",
        "registration",
    ] {
        form.push((k.into(), text(k)));
    }
    let domains: Vec<String> =
        s["allowed_domains"].as_array().into_iter().flatten().filter_map(|d| d.as_str().map(str::to_string)).collect();
    form.push(("allowed_domains".into(), domains.join("\n")));
    for k in ["guests_may_open", "organisation_tickets"] {
        if s[k] == true {
            form.push((k.into(), "on".into()));
        }
    }
    for (k, v) in changes {
        form.retain(|(f, _)| f != k);
        if !v.is_empty() || *k == "allowed_domains" {
            form.push(((*k).into(), (*v).into()));
        }
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post(c, app, "/admin/settings", &pairs).await
}

async fn audit(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/audit-log?entity=settings").await.json().await.expect("json")
}

async fn upload_logo_page(c: &Client, app: &TestApp, token: &str, data: Vec<u8>, name: &str, mime: &str) -> (StatusCode, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", token.to_string())
        .part("logo", reqwest::multipart::Part::bytes(data).file_name(name.to_string()).mime_str(mime).expect("mime"));
    let r = c.post(app.url("/admin/settings/logo")).multipart(form).send().await.expect("upload");
    (r.status(), r.text().await.expect("body"))
}

#[tokio::test]
async fn only_administrators_change_the_settings() {
    let app = TestApp::spawn().await;
    assert_admin_only(
        &app,
        &["/admin/settings"],
        &["/admin/settings", "/admin/settings/logo", "/admin/settings/logo/delete"],
        &[("GET", "/api/v1/settings"), ("PUT", "/api/v1/settings"), ("PUT", "/api/v1/settings/logo"), ("DELETE", "/api/v1/settings/logo")],
    )
    .await;
    assert_eq!(settings(&app).await["organisation_name"], "Mesa de Ayuda", "unchanged");
    assert!(audit(&app).await.is_empty());
}

#[tokio::test]
async fn the_organisation_and_its_language_show_on_the_portal_at_once() {
    let app = TestApp::spawn().await;
    let (c, token) = admin(&app).await;
    let (_, home) = get(&browser(), &app, "/").await;
    assert!(home.contains("Mesa de Ayuda") && home.contains("lang=\"es\""), "the file's defaults first");

    let (status, html) = save(
        &c,
        &app,
        &token,
        &[("organisation_name", "Gobierno Provincial · UIT"), ("default_language", "en"), ("time_zone", "America/La_Paz")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Changes saved"), "the administrator named no language: now the default, English: {html}");

    // A visitor who names no language: the organisation's, at once (this node's cache is told).
    let (_, home) = get(&browser(), &app, "/").await;
    assert!(home.contains("Gobierno Provincial · UIT"), "{home}");
    assert!(home.contains("lang=\"en\""), "the new default language");
    // A visitor whose browser asks for Spanish still gets Spanish.
    let r = browser().get(app.url("/")).header("accept-language", "es-EC").send().await.expect("get");
    assert!(r.text().await.expect("body").contains("lang=\"es\""));

    let s = settings(&app).await;
    assert_eq!(
        (s["organisation_name"].as_str(), s["default_language"].as_str(), s["time_zone"].as_str()),
        (Some("Gobierno Provincial · UIT"), Some("en"), Some("America/La_Paz"))
    );
    let log = audit(&app).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["before"]["organisation_name"], "Mesa de Ayuda");
    assert_eq!(log[0]["after"]["organisation_name"], "Gobierno Provincial · UIT");
    assert_eq!(log[0]["before"]["default_language"], "es");
    assert_eq!(log[0]["after"]["default_language"], "en");
    assert_eq!(log[0]["actor_name"].as_str().map(|n| !n.is_empty()), Some(true));
    assert!(log[0]["summary"].as_str().unwrap_or_default().contains("organisation_name"), "{log:?}");

    // Saving the same values again records nothing.
    let (status, _) = save(&c, &app, &token, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit(&app).await.len(), 1);
}

#[tokio::test]
async fn registration_restricted_to_an_institutional_domain() {
    let app = TestApp::spawn_with(|s| {
        s.mail = Some(tikal_jobs::MailSettings { smtp_url: "smtp://127.0.0.1:2525".into(), from: "Mesa <mesa@gob.example>".into() })
    })
    .await;
    let (c, token) = admin(&app).await;
    let (status, html) = save(&c, &app, &token, &[("registration", "domains"), ("allowed_domains", "gob.example")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");

    let register = |address: &'static str| {
        let app = &app;
        async move {
            let v = browser();
            let (_, html) = get(&v, app, "/register").await;
            let t = csrf(&html);
            post(&v, app, "/register", &[("csrf", &t), ("email", address), ("name", "Ana Pérez"), ("password", "una clave larga 123")])
                .await
        }
    };
    let (status, html) = register("ana.perez@gmail.com").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Solo se admiten correos institucionales"), "refused in Spanish: {html}");
    let (status, html) = register("ana.perez@gob.example").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.contains("Solo se admiten correos institucionales"), "{html}");
    let requester = app.desk.store().requester_account(&tikal_core::EmailAddress::parse("ana.perez@gob.example").expect("email")).await;
    assert!(requester.expect("lookup").is_some(), "the registration waits for its confirmation");

    // A domain list that is not domains is refused; the list stays.
    let (status, html) = save(&c, &app, &token, &[("allowed_domains", "gob example")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Dominios permitidos"), "{html}");
    assert_eq!(settings(&app).await["allowed_domains"], json!(["gob.example"]));
}

#[tokio::test]
async fn a_lower_attachment_limit_refuses_larger_portal_uploads() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let (c, token) = admin(&app).await;
    let (status, html) = save(&c, &app, &token, &[("max_attachment_mb", "1")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");

    let requester = crate::portal::register(&app, "rosa@gob.example", "es").await;
    let (_, html) = get(&requester, &app, "/tickets/new").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf(&html))
        .text("subject", "Problemas en el teclado")
        .text("body", "Adjunto una foto del teclado")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(vec![1u8; 2 * 1024 * 1024]).file_name("teclado.jpg").mime_str("image/jpeg").expect("mime"),
        );
    let r = requester.post(app.url("/tickets/new")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = r.text().await.expect("body");
    assert!(html.contains("supera el límite de 1 MB"), "a clear message: {html}");

    // Through the API too: the service enforces the administrator's limit per file.
    use base64::Engine;
    let big = base64::engine::general_purpose::STANDARD.encode(vec![1u8; 2 * 1024 * 1024]);
    let r = app
        .post(
            "/api/v1/tickets",
            &json!({"subject": "Impresoras", "message": "No imprime", "requester": {"email": "rosa@gob.example"},
                "attachments": [{"filename": "a.pdf", "content_type": "application/pdf", "data_base64": big}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.text().await);
    let t = app.open_ticket("Impresoras", "rosa@gob.example").await;
    assert_eq!(t["number"], "000001", "no ticket was opened by the refused uploads");
}

#[tokio::test]
async fn refused_values_change_nothing() {
    let app = TestApp::spawn().await;
    let (c, token) = admin(&app).await;
    let before = settings(&app).await;
    for (changes, says) in [
        (vec![("time_zone", "Marte/Olimpo")], "no es una zona horaria IANA"),
        (vec![("ticket_number_format", "UIT-{year}")], "No es un formato válido"),
        (vec![("brand_colour", "#3366cc"), ("brand_ink", "#3377dd")], "contraste con el color de marca es menor que 4,5:1"),
        (vec![("brand_colour", "#ffeb3b"), ("brand_ink", "#000000")], "contraste con el blanco"),
        (vec![("max_attachment_mb", "500")], "Debe estar entre 1 y 64"),
        (vec![("organisation_name", "  ")], "obligatorio"),
    ] {
        let (status, html) = save(&c, &app, &token, &changes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{changes:?}");
        assert!(html.to_lowercase().contains(&says.to_lowercase()), "{changes:?}: {html}");
        assert!(html.contains(&format!("value=\"{}\"", changes[0].1.trim())) || changes[0].1.trim().is_empty(), "the typed value is kept");
    }
    // A 3 MB logo and an SVG with a script, through the page and the API.
    let (status, html) = upload_logo_page(&c, &app, &token, png(3 * 1024 * 1024), "logo.png", "image/png").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("La imagen supera 512 KB"), "{html}");
    let (status, html) = upload_logo_page(&c, &app, &token, SVG.to_vec(), "logo.svg", "image/svg+xml").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("PNG o JPEG"), "{html}");
    let put = |data: Vec<u8>, mime: &'static str| {
        app.client.put(app.url("/api/v1/settings/logo")).bearer_auth(&app.key).header("content-type", mime).body(data).send()
    };
    assert_eq!(put(png(3 * 1024 * 1024), "image/png").await.expect("put").status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(put(SVG.to_vec(), "image/svg+xml").await.expect("put").status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(put(SVG.to_vec(), "image/png").await.expect("put").status(), StatusCode::UNPROCESSABLE_ENTITY, "the bytes decide");
    // And bad values through the API.
    for body in [
        json!({"time_zone": "Mars/Olympus"}),
        json!({"ticket_number_format": "{seq}{seq}"}),
        json!({"brand_ink": "#0b5cae"}),
        json!({"registration": "sometimes"}),
    ] {
        let r = app.client.put(app.url("/api/v1/settings")).bearer_auth(&app.key).json(&body).send().await.expect("put");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(settings(&app).await, before, "nothing changed");
    assert!(audit(&app).await.is_empty(), "no change, no entry");
}

#[tokio::test]
async fn the_logo_and_colours_brand_every_page_safely() {
    let app = TestApp::spawn().await;
    let (c, token) = admin(&app).await;
    let (status, html) = upload_logo_page(&c, &app, &token, png(2048), "escudo.png", "image/png").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let s = settings(&app).await;
    let url = s["logo"]["url"].as_str().expect("a logo url").to_string();
    assert_eq!(s["logo"]["content_type"], "image/png");

    // On the portal and the workspace.
    let (_, home) = get(&browser(), &app, "/").await;
    assert!(home.contains(&format!("src=\"{url}\"")), "{home}");
    let (_, dashboard) = get(&c, &app, "/agent").await;
    assert!(dashboard.contains(&format!("src=\"{url}\"")));

    // Served as an image that cannot run script, cached by its versioned URL.
    let r = browser().get(app.url(&url)).send().await.expect("logo");
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert!(h["content-security-policy"].to_str().expect("csp").contains("script-src 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["cache-control"].to_str().expect("cache").contains("immutable"));
    assert_eq!(r.bytes().await.expect("bytes").len(), 2048);
    assert_eq!(browser().get(app.url("/branding/logo")).send().await.expect("logo").status(), StatusCode::OK);

    // Colours: a stylesheet of the organisation's, since inline styles are not allowed.
    let (status, html) = save(&c, &app, &token, &[("brand_colour", "#7A1F1F"), ("brand_ink", "#FFFFFF")]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, home) = get(&browser(), &app, "/").await;
    assert!(home.contains("href=\"/branding/theme/7a1f1fffffff.css\""), "{home}");
    let r = browser().get(app.url("/branding/theme/7a1f1fffffff.css")).send().await.expect("theme");
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert!(r.text().await.expect("css").contains("--brand: #7a1f1f"));
    assert_eq!(browser().get(app.url("/branding/theme/000000ffffff.css")).send().await.expect("theme").status(), StatusCode::NOT_FOUND);

    // Removed through the API: the pages show the name alone; the old URL is gone.
    let r = app.client.delete(app.url("/api/v1/settings/logo")).bearer_auth(&app.key).send().await.expect("delete");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, home) = get(&browser(), &app, "/").await;
    assert!(!home.contains("brand-logo"));
    assert_eq!(browser().get(app.url(&url)).send().await.expect("logo").status(), StatusCode::NOT_FOUND);

    // Each change in the audit log, with before and after.
    let log = audit(&app).await;
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[0]["entity_id"], "logo");
    assert_eq!(log[0]["after"]["logo"], Value::Null);
    assert_eq!(log[0]["before"]["logo"]["content_type"], "image/png");
    assert_eq!(log[1]["before"]["brand_colour"], "#0b5cad");
    assert_eq!(log[1]["after"]["brand_colour"], "#7a1f1f");
    assert_eq!(log[2]["before"], Value::Null, "no logo before");
    assert_eq!(log[2]["after"]["logo"]["bytes"], 2048);
}

#[tokio::test]
async fn ticket_numbers_and_limits_through_the_api() {
    // The configuration file's values are the defaults.
    let app = TestApp::spawn_with(|s| {
        s.portal.organisation_name = "Universidad".into();
        s.desk.max_attachment_mb = Some(5);
    })
    .await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    let s = settings(&app).await;
    assert_eq!((s["organisation_name"].as_str(), s["max_attachment_mb"].as_u64()), (Some("Universidad"), Some(5)));
    assert_eq!(s["ticket_number_format"], "{seq:6}");

    let r = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.key)
        .json(&json!({"ticket_number_format": "UIT-{year}-{seq:5}", "reopen_window_days": 30, "auto_close_days": 3}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let s: Value = r.json().await.expect("json");
    assert_eq!((s["reopen_window_days"].as_u64(), s["auto_close_days"].as_u64()), (Some(30), Some(3)));
    assert_eq!(s["organisation_name"], "Universidad", "fields left out stay");

    let t = app.open_ticket("Correo institucional", "rosa@gob.example").await;
    let year = chrono::Datelike::year(&chrono::Utc::now());
    assert_eq!(t["number"], format!("UIT-{year}-00001"), "{t}");

    // The page previews the next number.
    let (c, _) = admin(&app).await;
    let (_, html) = get(&c, &app, "/admin/settings").await;
    assert!(html.contains(&format!("UIT-{year}-00002")), "{html}");
    let log = audit(&app).await;
    assert_eq!(log[0]["actor_kind"], "api_key");
    assert_eq!(log[0]["before"]["ticket_number_format"], "{seq:6}");
    assert_eq!(log[0]["after"]["ticket_number_format"], "UIT-{year}-{seq:5}");
}
