//! The knowledge base: who reads what (anonymous visitors, signed-in requesters, agents; drafts
//! and agents-only articles never outside the desk), who writes (`kb.edit`), Markdown cleaned,
//! Spanish search, suggestions and ticket deflection, votes, revisions, the desk's links and an
//! article written from a ticket's solution.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_testkit::TestApp;
use tikal_testkit::web::{browser, csrf, get, post};

use crate::agent_desk::agent;
use crate::portal::register;

/// An article written through the API (full-access key); returns its JSON.
async fn article(app: &TestApp, title: &str, body: &str, visibility: &str, state: &str) -> Value {
    let r = app.post("/api/v1/kb/articles", &json!({"title": title, "body": body, "visibility": visibility, "state": state})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "article created");
    r.json().await.expect("article json")
}

async fn seed(app: &TestApp) {
    article(app, "Teléfono IP sin tono", "Revise el cable de red del **teléfono**.", "public", "published").await;
    article(app, "Impresora atascada", "Abra la bandeja y retire el papel de la impresora.", "signed_in", "published").await;
    article(app, "Procedimiento interno de impresoras", "Solo para el nivel 2: reinicio del servidor de impresión.", "agents", "published")
        .await;
    article(app, "Borrador sobre impresoras", "Texto a medio escribir sobre la impresora.", "public", "draft").await;
}

#[tokio::test]
async fn each_reader_sees_what_the_visibility_allows() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    seed(&app).await;

    // Anonymous: public and published only, in browse, search and suggestions.
    let anon = browser();
    let (status, html) = get(&anon, &app, "/kb").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Teléfono IP sin tono"), "{html}");
    assert!(!html.contains("Impresora atascada") && !html.contains("Procedimiento interno") && !html.contains("Borrador"), "{html}");
    let (_, html) = get(&anon, &app, "/kb?q=impresora").await;
    assert!(!html.contains("Impresora atascada") && !html.contains("Procedimiento interno") && !html.contains("Borrador"), "{html}");
    let (status, _) = get(&anon, &app, "/kb/impresora-atascada").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "signed-in articles are not for anonymous visitors");
    let (status, _) = get(&anon, &app, "/kb/borrador-sobre-impresoras").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "never a draft");

    // A signed-in requester: public and signed-in; never agents-only or drafts.
    let ana = register(&app, "ana@gob.example", "es").await;
    let (_, html) = get(&ana, &app, "/kb?q=impresoras").await;
    assert!(html.contains("Impresora atascada"), "signed-in article found: {html}");
    assert!(html.contains("<mark>"), "hits highlighted: {html}");
    assert!(!html.contains("Procedimiento interno") && !html.contains("Borrador"), "{html}");
    let (_, html) = get(&ana, &app, "/kb/suggest?subject=impreso").await;
    assert!(html.contains("Impresora atascada") && html.contains("¿Ya probó esto?"), "{html}");
    assert!(!html.contains("Procedimiento interno") && !html.contains("Borrador"), "{html}");
    let (status, _) = get(&ana, &app, "/kb/procedimiento-interno-de-impresoras").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Agents see everything in the workspace, drafts too.
    let soporte = app.department("Soporte").await;
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (status, html) = get(&lucia, &app, "/agent/kb?q=impresoras").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Procedimiento interno") && html.contains("Borrador") && html.contains("Impresora atascada"), "{html}");
    let drafts: Vec<Value> = app.get("/api/v1/kb/articles?state=draft").await.json().await.expect("json");
    assert_eq!(drafts.len(), 1);
}

#[tokio::test]
async fn spanish_search_folds_accents_and_plurals() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let found: Vec<Value> = app.get("/api/v1/kb/articles?q=telefono").await.json().await.expect("json");
    assert_eq!(found.first().map(|a| a["title"].clone()), Some(json!("Teléfono IP sin tono")), "{found:?}");
    let found: Vec<Value> = app.get("/api/v1/kb/articles?q=impresoras&state=published").await.json().await.expect("json");
    let titles: Vec<&str> = found.iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(titles.contains(&"Impresora atascada"), "{titles:?}");
    let anon = browser();
    let (_, html) = get(&anon, &app, "/kb?q=TELÉFONOS").await;
    assert!(html.contains("Teléfono IP sin tono"), "{html}");
}

#[tokio::test]
async fn writing_needs_kb_edit_and_markdown_is_cleaned() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    // read_only has no kb.edit: no pages, no API.
    let (reader, password) = app.agent_with_password("solo.lectura@gob.example", "read_only", &[soporte]).await;
    let c = browser();
    tikal_testkit::web::agent_sign_in(&c, &app, "solo.lectura@gob.example", &password).await;
    let (status, _) = get(&c, &app, "/agent/kb/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, html) = get(&c, &app, "/agent/kb").await;
    let token = csrf(&html);
    let (status, _) = post(&c, &app, "/agent/kb/new", &[("csrf", &token), ("title", "X"), ("body", "Y"), ("action", "save")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let key = app.desk.create_agent_api_key(TestApp::agent_id(&reader), "lectura").await.expect("key");
    let r = app
        .client
        .post(app.url("/api/v1/kb/articles"))
        .bearer_auth(&key)
        .json(&json!({"title": "X", "body": "Y"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // An agent writes through the page, with no category (a fresh desk has none).
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (_, html) = get(&lucia, &app, "/agent/kb/new").await;
    let token = csrf(&html);
    let body =
        "# Correo\n\nConfigure **Outlook**.\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[clic](javascript:alert(1))";
    let (status, html) = post(
        &lucia,
        &app,
        "/agent/kb/new",
        &[
            ("csrf", &token),
            ("title", "Configurar el correo"),
            ("body", body),
            ("language", "es"),
            ("visibility", "public"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Artículo guardado."), "{html}");
    let (status, page) = get(&browser(), &app, "/kb/configurar-el-correo").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<strong>Outlook</strong>"), "{page}");
    assert!(!page.contains("<script>alert") && !page.contains("<img src=\"x\" onerror") && !page.contains("<img src=x onerror"), "{page}");
    assert!(!page.contains("href=\"javascript:"), "{page}");
    let a: Vec<Value> = app.get("/api/v1/kb/articles?q=correo").await.json().await.expect("json");
    assert!(!a[0]["html"].as_str().unwrap_or_default().contains("<script"), "API html cleaned too");
}

#[tokio::test]
async fn revisions_are_kept_and_concurrent_edits_refused() {
    let app = TestApp::spawn().await;
    let a = article(&app, "VPN sin conexión", "Reinicie el cliente VPN.", "public", "draft").await;
    let id = a["id"].as_i64().expect("id");
    let path = format!("/api/v1/kb/articles/{id}");
    let put = |body: Value| {
        let url = app.url(&path);
        let key = app.key.clone();
        let client = app.client.clone();
        async move { client.put(url).bearer_auth(key).json(&body).send().await.expect("put") }
    };
    let r =
        put(json!({"title": "VPN sin conexión", "body": "Reinicie el cliente VPN y el módem.", "state": "published", "revision": 1})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["revision"], 2);
    assert_eq!(v["state"], "published");
    let r = put(json!({"title": "VPN", "body": "otra", "revision": 1})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "someone saved revision 2 in between");

    let soporte = app.department("Soporte").await;
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (_, html) = get(&lucia, &app, &format!("/agent/kb/{id}")).await;
    assert!(html.contains(&format!("/agent/kb/{id}/revisions/1")) && html.contains(&format!("/agent/kb/{id}/revisions/2")), "{html}");
    let (status, old) = get(&lucia, &app, &format!("/agent/kb/{id}/revisions/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(old.contains("Reinicie el cliente VPN.") && !old.contains("módem"), "{old}");
    // Unpublishing is a revision too, and hides it from the portal.
    let token = csrf(&html);
    let (status, _) = post(&lucia, &app, &format!("/agent/kb/{id}/state"), &[("csrf", &token), ("state", "draft")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&browser(), &app, "/kb/vpn-sin-conexion").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let v: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(v["revision"], 3);
}

#[tokio::test]
async fn votes_count_once_per_voter_and_views_count() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let anon = browser();
    let (_, html) = get(&anon, &app, "/kb/telefono-ip-sin-tono").await;
    let token = csrf(&html);
    for _ in 0..2 {
        let (status, _) = post(&anon, &app, "/kb/telefono-ip-sin-tono/vote", &[("csrf", &token), ("helpful", "yes")]).await;
        assert_eq!(status, StatusCode::OK);
    }
    let ana = register(&app, "ana@gob.example", "es").await;
    let (_, html) = get(&ana, &app, "/kb/telefono-ip-sin-tono").await;
    let token = csrf(&html);
    post(&ana, &app, "/kb/telefono-ip-sin-tono/vote", &[("csrf", &token), ("helpful", "no")]).await;
    post(&ana, &app, "/kb/telefono-ip-sin-tono/vote", &[("csrf", &token), ("helpful", "yes")]).await;
    let found: Vec<Value> = app.get("/api/v1/kb/articles?q=telefono").await.json().await.expect("json");
    assert_eq!((found[0]["helpful_yes"].clone(), found[0]["helpful_no"].clone()), (json!(1), json!(1)), "one vote per voter");
    assert_eq!(found[0]["views"], 2);
}

async fn deflections(app: &TestApp) -> Value {
    app.get("/api/v1/kb/deflections").await.json().await.expect("json")
}

#[tokio::test]
async fn a_suggestion_read_counts_as_a_ticket_avoided_unless_a_ticket_follows() {
    let app = TestApp::spawn().await;
    app.department("Mesa de Ayuda (Nivel 1)").await;
    seed(&app).await;
    // A visitor opens the same suggestion twice: one browser, counted once.
    let anon = browser();
    let (_, html) = get(&anon, &app, "/kb/suggest?subject=telefono").await;
    assert!(html.contains("/kb/telefono-ip-sin-tono?from=suggest"), "{html}");
    get(&anon, &app, "/kb/telefono-ip-sin-tono?from=suggest").await;
    get(&anon, &app, "/kb/telefono-ip-sin-tono?from=suggest").await;
    let c = deflections(&app).await;
    assert_eq!((c["pending"].clone(), c["followed_by_ticket"].clone()), (json!(1), json!(0)), "{c}");

    // A requester reads a suggestion, then opens a ticket anyway: not avoided.
    let ana = register(&app, "ana@gob.example", "es").await;
    get(&ana, &app, "/kb/impresora-atascada?from=suggest").await;
    let (_, html) = get(&ana, &app, "/tickets/new").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf(&html))
        .text("subject", "La impresora sigue atascada")
        .text("body", "Probé el artículo");
    let r = ana.post(app.url("/tickets/new")).multipart(form).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let c = deflections(&app).await;
    assert_eq!((c["pending"].clone(), c["followed_by_ticket"].clone(), c["avoided"].clone()), (json!(1), json!(1), json!(0)), "{c}");
    // Half an hour later the visitor who only read is a ticket avoided; Ana is not.
    let window = chrono::Duration::minutes(tikal_core::kb::DEFLECTION_MINUTES);
    let later =
        app.desk.store().deflection_counts(tikal_store::now() + window + chrono::Duration::minutes(1), window).await.expect("counts");
    assert_eq!((later.avoided, later.pending, later.followed_by_ticket), (1, 0, 1));

    // Agents see the counts on /agent/kb.
    let soporte = app.department("Soporte").await;
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (_, html) = get(&lucia, &app, "/agent/kb").await;
    assert!(html.contains("id=\"kb-followed\">1<"), "{html}");
    // Requesters and anonymous callers do not get the counts through the API.
    let r = app.client.get(app.url("/api/v1/kb/deflections")).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_desk_links_articles_inserts_them_and_turns_a_solution_into_one() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    seed(&app).await;
    let t = app.open_ticket("El teléfono no da tono", "juan.perez@gob.example").await;
    let n = t["number"].as_str().expect("number").to_string();
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let desk = format!("/agent/tickets/{n}");

    // Search from the reply box, insert the link, then link the article as the solution.
    let (status, hits) = get(&lucia, &app, &format!("/agent/kb/search?number={n}&q=telefono")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(hits.contains("Teléfono IP sin tono"), "{hits}");
    let found: Vec<Value> = app.get("/api/v1/kb/articles?q=telefono").await.json().await.expect("json");
    let aid = found[0]["id"].as_i64().expect("id").to_string();
    let (_, html) = get(&lucia, &app, &format!("{desk}?kb={aid}&kb_mode=link")).await;
    assert!(html.contains("Teléfono IP sin tono: http") && html.contains("/kb/telefono-ip-sin-tono</textarea>"), "link in the reply");
    let (_, html) = get(&lucia, &app, &format!("{desk}?kb={aid}&kb_mode=text")).await;
    assert!(html.contains("Revise el cable de red del teléfono.</textarea>"), "text in the reply");
    let token = csrf(&html);
    let (status, html) = post(&lucia, &app, &format!("{desk}/kb"), &[("csrf", &token), ("article", &aid)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/agent/kb/{aid}\">Teléfono IP sin tono")), "shown on the desk: {html}");
    let (_, page) = get(&lucia, &app, &format!("/agent/kb/{aid}")).await;
    assert!(page.contains(&format!("/agent/tickets/{n}\">{n}</a> · El teléfono no da tono")), "tickets it solved: {page}");

    // Resolve another ticket, then: "create article from the solution" (1), save (2).
    let t2 = app.open_ticket("No puedo entrar a la VPN", "juan.perez@gob.example").await;
    let n2 = t2["number"].as_str().expect("number").to_string();
    let r = app.post(&format!("/api/v1/tickets/{n2}/resolve"), &json!({"solution": "Se renovó el certificado del cliente VPN."})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, html) = get(&lucia, &app, &format!("/agent/tickets/{n2}")).await;
    assert!(html.contains(&format!("href=\"/agent/kb/new?from={n2}\"")), "the action on a resolved ticket: {html}");
    let (status, form) = get(&lucia, &app, &format!("/agent/kb/new?from={n2}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("value=\"No puedo entrar a la VPN\"") && form.contains("Se renovó el certificado del cliente VPN.</textarea>"),
        "{form}"
    );
    let token = csrf(&form);
    let (status, saved) = post(
        &lucia,
        &app,
        &format!("/agent/kb/new?from={n2}"),
        &[
            ("csrf", &token),
            ("title", "No puedo entrar a la VPN"),
            ("body", "Se renovó el certificado del cliente VPN."),
            ("language", "es"),
            ("visibility", "public"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(saved.contains(&format!("/agent/tickets/{n2}\">{n2}</a>")), "linked to the ticket it came from: {saved}");
}

#[tokio::test]
async fn the_demo_has_articles_a_requester_finds_before_opening_a_ticket() {
    let app = TestApp::spawn().await;
    tikal::demo::seed_if_empty(&app.desk).await.expect("demo").expect("seeded");
    let anon = browser();
    let (_, html) = get(&anon, &app, "/kb/suggest?subject=olvide mi contrasena").await;
    assert!(html.contains("¿Cómo restablezco mi contraseña?"), "{html}");
    let (_, html) = get(&anon, &app, "/kb?q=impresora atascada").await;
    assert!(html.contains("La impresora no imprime"), "{html}");
    assert!(!html.contains("Cambio de tóner"), "the draft stays in the desk");
    let (_, html) = get(&anon, &app, "/kb?q=printer&language=en").await;
    assert!(html.contains("The printer does not print"), "{html}");
    // The new-ticket form asks for suggestions while the summary is typed.
    let juan = browser();
    let (_, html) = get(&juan, &app, "/login").await;
    let token = csrf(&html);
    post(&juan, &app, "/login", &[("csrf", &token), ("email", tikal::demo::REQUESTER_EMAIL), ("password", tikal::demo::DEMO_PASSWORD)])
        .await;
    let topics: Vec<Value> = app.get("/api/v1/help-topics").await.json().await.expect("json");
    let topic = topics.iter().find(|t| t["name"] == "Impresoras").and_then(|t| t["id"].as_i64()).expect("a topic");
    let (_, html) = get(&juan, &app, &format!("/tickets/new?topic={topic}")).await;
    assert!(html.contains("hx-get=\"/kb/suggest\"") && html.contains("id=\"kb-suggest-list\""), "{html}");
    // The chosen topic's articles are suggested before a word is typed.
    assert!(html.contains(&format!("hx-get=\"/kb/suggest?topic={topic}\" hx-trigger=\"load\"")), "{html}");
    assert!(html.contains("hx-include=\"#ticket-topic\""), "the summary's suggestions send the topic: {html}");
    let (_, html) = get(&juan, &app, &format!("/kb/suggest?topic={topic}")).await;
    assert!(html.contains("La impresora no imprime"), "{html}");
    assert!(!html.contains("contraseña") && !html.contains("Cambio de tóner"), "only the topic's published articles: {html}");
    // Once words are typed, suggestions match them (the topic's matching articles first).
    let (_, html) = get(&juan, &app, &format!("/kb/suggest?topic={topic}&subject=contrasena")).await;
    assert!(html.contains("restablezco mi contraseña") && !html.contains("La impresora no imprime"), "{html}");
    let (_, html) = get(&juan, &app, &format!("/kb/suggest?topic={topic}&subject=no+imprime")).await;
    assert!(html.contains("La impresora no imprime"), "{html}");
    let (status, html) = get(&juan, &app, "/kb/suggest?topic=abc").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<li>"), "a topic that is not a number suggests nothing: {html}");
}

#[tokio::test]
async fn files_upload_with_the_form_token_and_follow_the_article_visibility() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    let a = article(&app, "Mapa de impresoras", "Vea el plano.", "public", "draft").await;
    let id = a["id"].as_i64().expect("id");
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (_, html) = get(&lucia, &app, &format!("/agent/kb/{id}")).await;
    let upload = |token: String| {
        reqwest::multipart::Form::new().text("csrf", token).part(
            "attachments",
            reqwest::multipart::Part::bytes(b"\x89PNG plano".to_vec()).file_name("plano.png").mime_str("image/png").expect("mime"),
        )
    };
    let r = lucia.post(app.url(&format!("/agent/kb/{id}/files"))).multipart(upload("incorrecto".into())).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a wrong form token is refused before the file is read");
    let r = lucia.post(app.url(&format!("/agent/kb/{id}/files"))).multipart(upload(csrf(&html))).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    let start = html.find(&format!("/agent/kb/{id}/files/")).expect("a file link");
    let link = html[start..].split('"').next().unwrap_or_default().to_string();
    let file = link.rsplit('/').next().unwrap_or_default().to_string();
    let r = lucia.get(app.url(&link)).send().await.expect("get");
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), b"\x89PNG plano");
    let public = format!("/kb/files/{id}/{file}");
    let (status, _) = get(&browser(), &app, &public).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft's files are not public");
    let (status, _) = get(&lucia, &app, &public).await;
    assert_eq!(status, StatusCode::OK, "the agent's preview shows the draft's pictures");
    let token = csrf(&html);
    post(&lucia, &app, &format!("/agent/kb/{id}/state"), &[("csrf", &token), ("state", "published")]).await;
    let (status, _) = get(&browser(), &app, &public).await;
    assert_eq!(status, StatusCode::OK, "published and public: anyone");
    // Housekeeping's orphan sweep keeps the blobs of article files.
    app.desk.store().purge_orphan_blobs(tikal_store::now() + chrono::Duration::hours(1)).await.expect("purge");
    let (status, _) = get(&browser(), &app, &public).await;
    assert_eq!(status, StatusCode::OK, "still there after the sweep");
}

#[tokio::test]
async fn the_editor_links_help_topics_by_ticking_them() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    let mut ids = Vec::new();
    for name in ["Impresoras", "Correo institucional"] {
        let r = app.post("/api/v1/help-topics", &json!({"name": name, "department_id": soporte.get()})).await;
        assert_eq!(r.status(), StatusCode::CREATED, "topic {name}");
        ids.push(r.json::<Value>().await.expect("json")["id"].as_i64().expect("id"));
    }
    ids.sort_unstable();
    let (first, second) = (ids[0].to_string(), ids[1].to_string());
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (_, html) = get(&lucia, &app, "/agent/kb/new").await;
    let unticked = format!("name=\"topic\" value=\"{first}\" >");
    assert!(html.contains(&unticked), "a box per topic, unticked: {html}");
    let token = csrf(&html);
    let fields = |topics: &[&str], revision: Option<&str>| {
        let mut f: Vec<(&str, String)> = vec![
            ("csrf", token.clone()),
            ("title", "Impresora sin tóner".into()),
            ("body", "Cambie el cartucho.".into()),
            ("language", "es".into()),
            ("visibility", "public".into()),
            ("action", "publish".into()),
        ];
        f.extend(topics.iter().map(|t| ("topic", t.to_string())));
        f.extend(revision.map(|r| ("revision", r.to_string())));
        f
    };
    let typed = fields(&[&first, &second], None);
    let pairs: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post(&lucia, &app, "/agent/kb/new", &pairs).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for t in [&first, &second] {
        assert!(html.contains(&format!("name=\"topic\" value=\"{t}\" checked")), "topic {t} ticked after saving: {html}");
    }
    let found: Vec<Value> = app.get("/api/v1/kb/articles?q=toner").await.json().await.expect("json");
    let id = found[0]["id"].as_i64().expect("the article");
    let linked = |a: &Value| -> Vec<i64> {
        let mut v: Vec<i64> = a["help_topic_ids"].as_array().expect("topics").iter().filter_map(Value::as_i64).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(linked(&app.get(&format!("/api/v1/kb/articles/{id}")).await.json().await.expect("json")), vec![ids[0], ids[1]]);
    // Unticking one unlinks it; the other stays.
    let revision = html.split("name=\"revision\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("revision").to_string();
    let typed = fields(&[&second], Some(&revision));
    let pairs: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post(&lucia, &app, &format!("/agent/kb/{id}"), &pairs).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(linked(&app.get(&format!("/api/v1/kb/articles/{id}")).await.json().await.expect("json")), vec![ids[1]]);
}

#[tokio::test]
async fn a_deleted_article_is_kept_in_the_audit_log() {
    let app = TestApp::spawn().await;
    let soporte = app.department("Soporte").await;
    let a = article(&app, "Cambio de tóner", "Abra la tapa frontal y cambie el cartucho.", "public", "published").await;
    let id = a["id"].as_i64().expect("id");
    let lucia = agent(&app, "lucia@gob.example", "agent", &[soporte]).await;
    let (_, html) = get(&lucia, &app, &format!("/agent/kb/{id}")).await;
    let (status, _) = post(&lucia, &app, &format!("/agent/kb/{id}/delete"), &[("csrf", "incorrecto")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wrong form token deletes nothing");
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=kb_article").await.json().await.expect("json");
    assert!(log.is_empty(), "{log:?}");
    let (status, _) = post(&lucia, &app, &format!("/agent/kb/{id}/delete"), &[("csrf", &csrf(&html))]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/kb/articles/{id}")).await.status(), StatusCode::NOT_FOUND);
    let log: Vec<Value> = app.get("/api/v1/audit-log?entity=kb_article").await.json().await.expect("json");
    assert_eq!(log.len(), 1, "{log:?}");
    let entry = log[0].to_string();
    for expected in ["\"delete\"", "lucia", "Cambio de tóner", "cambie el cartucho", &id.to_string()] {
        assert!(entry.contains(expected), "{expected} in {entry}");
    }
}
