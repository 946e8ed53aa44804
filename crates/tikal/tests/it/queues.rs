//! Agents' queues: filters and sorts with keyset pages, saved views, the dashboard's counters
//! (kept by triggers, checked against a COUNT(*)), bulk actions, and department isolation in
//! all of them.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_core::queue::{BuiltinView, Cursor, QueueFilter, QueueSort, ViewName};
use tikal_core::*;
use tikal_service::{BulkAction, BulkResult, Principal, ServiceError, ViewInput};
use tikal_testkit::TestApp;

/// A desk where resolutions wait for a supervisor's approval.
async fn reviewed_desk() -> TestApp {
    TestApp::spawn_with(|s| s.desk.resolution = Some(ResolutionPolicy { approval_required: true, ..Default::default() })).await
}

fn number(t: &Value) -> TicketNumber {
    TicketNumber::parse(t["number"].as_str().expect("number")).expect("valid number")
}

async fn open_in(app: &TestApp, subject: &str, email: &str, dept: DepartmentId, extra: Value) -> TicketNumber {
    let mut body = json!({"subject": subject, "message": "Detalle", "requester": {"email": email}, "department_id": dept.get()});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let resp = app.post("/api/v1/tickets", &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "open {subject}");
    number(&resp.json().await.expect("json"))
}

/// Every page of `GET /tickets?<query>` with `limit`, following `next_cursor`.
async fn all_pages(app: &TestApp, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?{query}&limit={limit}&cursor={c}"),
            None => format!("/api/v1/tickets?{query}&limit={limit}"),
        };
        let resp = app.get(&path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let page: Value = resp.json().await.expect("json");
        out.extend(page["tickets"].as_array().expect("array").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
    panic!("more than 100 pages");
}

fn numbers(list: &[Value]) -> Vec<String> {
    list.iter().map(|t| t["number"].as_str().expect("number").to_string()).collect()
}

async fn counters_match(app: &TestApp, when: &str) {
    let store = app.desk.store();
    let mut kept = store.ticket_counts(None).await.expect("counters");
    kept.sort();
    let counted: Vec<_> = store.recount_tickets().await.expect("recount").into_iter().filter(|c| c.n > 0).collect();
    assert_eq!(kept, counted, "counters equal COUNT(*) {when}");
}

#[tokio::test]
async fn every_sort_pages_through_every_ticket_once_in_order() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let mut opened = Vec::new();
    for i in 0..9 {
        let channel = if i % 3 == 0 { "phone" } else { "web" };
        opened.push(open_in(&app, &format!("Caso {i}"), "u@gob.example", mesa, json!({"priority": 1 + i % 5, "channel": channel})).await);
    }
    // Change a few so the update order differs from the creation order.
    for n in [&opened[2], &opened[0], &opened[5]] {
        let r = app.patch(&format!("/api/v1/tickets/{n}"), &json!({"subject": format!("Cambiado {n}")})).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let everything = app.desk.store().list_tickets(&Default::default(), 100).await.expect("all");
    for sort in QueueSort::ALL.iter().copied() {
        let listed = all_pages(&app, &format!("sort={sort}"), 2).await;
        let got = numbers(&listed);
        let mut expected = everything.clone();
        match sort {
            QueueSort::UpdatedDesc => expected.sort_by_key(|t| std::cmp::Reverse((t.updated_at, t.id))),
            QueueSort::CreatedDesc => expected.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id))),
            QueueSort::CreatedAsc => expected.sort_by_key(|t| (t.created_at, t.id)),
            QueueSort::PriorityDesc => expected.sort_by_key(|t| std::cmp::Reverse((t.priority.level(), t.id))),
            QueueSort::DueAsc => expected.sort_by_key(|t| (t.resolution_due_at.is_none(), t.resolution_due_at, t.id)),
        }
        let want: Vec<String> = expected.iter().map(|t| t.number.to_string()).collect();
        assert_eq!(got, want, "{sort}: every ticket once, in order, across pages of 2");
    }
    assert_eq!(numbers(&all_pages(&app, "", 4).await)[..3], [opened[5].to_string(), opened[0].to_string(), opened[2].to_string()]);

    // Filters.
    let phone = all_pages(&app, "channel=phone", 50).await;
    assert_eq!(phone.len(), 3);
    assert!(phone.iter().all(|t| t["channel"] == "phone"));
    let high = all_pages(&app, "priority=4,5&sort=priority_desc", 50).await;
    assert_eq!(high.iter().map(|t| t["priority"].as_u64().expect("priority")).collect::<Vec<_>>(), vec![5, 4, 4]);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(all_pages(&app, &format!("created_from={today}&created_to={today}"), 50).await.len(), 9);
    assert!(all_pages(&app, "created_to=2000-01-01", 50).await.is_empty());
    assert_eq!(all_pages(&app, "type=incident&owner=none&state=new", 50).await.len(), 9);
    assert_eq!(all_pages(&app, "q=Cambiado", 50).await.len(), 3);

    // Bad parameters and cursors.
    let app = &app;
    let status = |path: &'static str| async move { app.get(path).await.status() };
    assert_eq!(status("/api/v1/tickets?priority=9").await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status("/api/v1/tickets?owner=alguien").await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status("/api/v1/tickets?sort=al_azar").await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status("/api/v1/tickets?due=tarde").await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status("/api/v1/tickets?created_from=2026-02-01&created_to=2026-01-01").await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status("/api/v1/tickets?colour=red").await, StatusCode::BAD_REQUEST);
    let page: Value = app.get("/api/v1/tickets?limit=2").await.json().await.expect("json");
    let c = page["next_cursor"].as_str().expect("cursor");
    let r = app.get(&format!("/api/v1/tickets?limit=2&sort=priority_desc&cursor={c}")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a cursor belongs to its sort");
}

#[tokio::test]
async fn counters_follow_creates_changes_transfers_and_bulk() {
    let app = reviewed_desk().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    counters_match(&app, "on an empty desk").await;
    let supervisor = app.agent("supervisora@gob.example", "supervisor", &[mesa, infra]).await;
    let me = TestApp::agent_id(&supervisor);
    let mut tickets = Vec::new();
    for i in 0..6 {
        tickets.push(open_in(&app, &format!("Caso {i}"), "u@gob.example", if i < 4 { mesa } else { infra }, json!({})).await);
    }
    // Group commit: many creates at once.
    let concurrent = (0..12).map(|i| {
        let app = &app;
        async move { open_in(app, &format!("Concurrente {i}"), &format!("c{i}@gob.example"), mesa, json!({})).await }
    });
    tickets.extend(futures::future::join_all(concurrent).await);
    counters_match(&app, "after creates").await;
    let desk = &app.desk;
    desk.update_ticket(&supervisor, &tickets[0], TicketUpdate { owner_id: Some(Some(me)), ..Default::default() }).await.expect("assign");
    desk.update_ticket(&supervisor, &tickets[1], TicketUpdate { status: Some(Status::OPEN), ..Default::default() }).await.expect("open");
    desk.update_ticket(&supervisor, &tickets[2], TicketUpdate { department_id: Some(infra), ..Default::default() }).await.expect("move");
    desk.update_ticket(&supervisor, &tickets[3], TicketUpdate { status: Some(Status::RESOLVED), ..Default::default() })
        .await
        .expect("resolve");
    desk.update_ticket(
        &supervisor,
        &tickets[4],
        TicketUpdate { subject: Some(Subject::parse("Otro").expect("subject")), ..Default::default() },
    )
    .await
    .expect("no bucket change");
    counters_match(&app, "after status changes, an assignment and a transfer").await;
    let results = desk.bulk(&supervisor, BulkAction::Assign(Some(me)), tickets[5..10].to_vec()).await.expect("bulk");
    assert!(results.iter().all(|r| r.result == BulkResult::Done));
    desk.bulk(&supervisor, BulkAction::Transfer(infra), tickets[6..8].to_vec()).await.expect("bulk transfer");
    desk.bulk(&supervisor, BulkAction::SetStatus(StatusKey::parse("pending_requester").expect("key")), tickets[8..12].to_vec())
        .await
        .expect("bulk status");
    counters_match(&app, "after bulk actions").await;
    let dash = desk.dashboard(&supervisor).await.expect("dashboard");
    assert_eq!(dash.my_open, 6, "one assigned alone, five in bulk");
    let active: u64 = dash.departments.iter().map(|d| d.active).sum();
    assert_eq!(active, 17, "all but the resolved one");
    assert_eq!(dash.awaiting_review.map(|b| b.count), Some(1), "the resolved one waits for approval");
    let mine = desk.queue(&supervisor, BuiltinView::Mine.filter(), None, 50).await.expect("mine");
    assert_eq!(mine.tickets.len(), 6);
    let review = desk.queue(&supervisor, BuiltinView::AwaitingReview.filter(), None, 50).await.expect("review");
    assert_eq!(review.tickets.iter().map(|t| t.number.clone()).collect::<Vec<_>>(), vec![tickets[3].clone()]);
}

#[tokio::test]
async fn an_agent_never_sees_another_departments_tickets_in_queues_counts_views_or_dashboard() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    let in_mesa = open_in(&app, "Teclado", "a@gob.example", mesa, json!({})).await;
    let in_infra = open_in(&app, "Switch caído", "b@gob.example", infra, json!({"priority": 5})).await;
    let _also_infra = open_in(&app, "Router", "b@gob.example", infra, json!({})).await;
    let operator = app.agent("operador@gob.example", "agent", &[mesa]).await;
    let tecnico = app.agent("tecnico@gob.example", "supervisor", &[infra]).await;
    let desk = &app.desk;
    // Resolve one in infra, and make one overdue: the operator must not count either.
    desk.update_ticket(&tecnico, &in_infra, TicketUpdate { owner_id: Some(Some(TestApp::agent_id(&tecnico))), ..Default::default() })
        .await
        .expect("assign");
    let old = desk.store().ticket_by_number(&in_infra).await.expect("read").expect("ticket");
    desk.store().shift_ticket_history(old.id, chrono::Duration::days(30)).await.expect("age it");

    let every = |f: QueueFilter| async { desk.queue(&operator, f, None, 50).await.expect("queue").tickets };
    for query in ["", "department=2", "department=3", "owner=none", "due=overdue", "sort=due_asc", "review=awaiting", "sort=priority_desc"]
    {
        let f = QueueFilter::parse_query(query).expect("filter");
        let listed = every(f).await;
        assert!(listed.iter().all(|t| t.department_id == mesa), "{query}: only Mesa's tickets");
    }
    assert_eq!(every(QueueFilter::default()).await.iter().map(|t| t.number.clone()).collect::<Vec<_>>(), vec![in_mesa.clone()]);
    let theirs = QueueFilter { owner: Some(tikal_core::queue::OwnerFilter::Agent(TestApp::agent_id(&tecnico))), ..Default::default() };
    assert!(every(theirs).await.is_empty(), "another agent's tickets elsewhere stay hidden");

    let dash = desk.dashboard(&operator).await.expect("dashboard");
    assert_eq!(dash.departments.iter().map(|d| d.department).collect::<Vec<_>>(), vec![mesa]);
    assert_eq!((dash.unassigned, dash.my_open, dash.overdue.count), (1, 0, 0));
    assert_eq!(dash.awaiting_review, None, "an agent approves nowhere");
    let theirs = desk.dashboard(&tecnico).await.expect("dashboard");
    assert_eq!(theirs.overdue.count, 1, "the aged ticket is overdue in Infra");
    assert_eq!(theirs.departments.iter().map(|d| d.active).sum::<u64>(), 2);

    // A view shared by Infra's supervisor shows the operator Mesa's tickets only.
    let shared = desk
        .create_view(
            &tecnico,
            ViewInput {
                name: ViewName::parse("Urgentes").expect("name"),
                filter: QueueFilter::parse_query("priority=5").expect("f"),
                shared: true,
            },
        )
        .await
        .expect("shared view");
    let seen = desk.view(&operator, shared.id).await.expect("shared views are visible");
    assert!(every(seen.filter).await.is_empty());
    let views = desk.views(&operator).await.expect("views");
    assert!(!views.builtin.contains(&BuiltinView::AwaitingReview), "no review queue without approval rights");
    assert_eq!(views.saved.len(), 1);

    // Bulk: another department's ticket is "not found", never changed.
    let results =
        desk.bulk(&operator, BulkAction::SetPriority(Priority::VeryHigh), vec![in_mesa.clone(), in_infra.clone()]).await.expect("bulk");
    assert_eq!(results[0].result, BulkResult::Done);
    assert!(matches!(&results[1].result, BulkResult::Refused { code: "not_found", .. }), "{results:?}");
    assert_eq!(desk.ticket(&tecnico, &in_infra).await.expect("ticket").priority, Priority::VeryHigh, "it was 5 already");
    let refused = desk.bulk(&operator, BulkAction::Transfer(infra), vec![in_infra]).await.expect("bulk");
    assert!(matches!(&refused[0].result, BulkResult::Refused { code: "not_found", .. }));
}

#[tokio::test]
async fn saved_views_personal_and_shared() {
    let app = TestApp::spawn().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let ana = app.agent("ana@gob.example", "agent", &[mesa]).await;
    let luis = app.agent("luis@gob.example", "agent", &[mesa]).await;
    let jefa = app.agent("jefa@gob.example", "supervisor", &[mesa]).await;
    let desk = &app.desk;
    let input = |name: &str, query: &str, shared: bool| ViewInput {
        name: ViewName::parse(name).expect("name"),
        filter: QueueFilter::parse_query(query).expect("filter"),
        shared,
    };
    let mine = desk.create_view(&ana, input("Mis impresoras", "q=impresora&state=open", false)).await.expect("personal");
    assert!(matches!(desk.create_view(&ana, input("Para todos", "state=open", true)).await, Err(ServiceError::Forbidden)));
    assert!(matches!(desk.view(&luis, mine.id).await, Err(ServiceError::NotFound(_))), "a personal view is its owner's");
    assert!(matches!(desk.update_view(&luis, mine.id, input("Mío", "", false)).await, Err(ServiceError::NotFound(_))));
    assert!(matches!(desk.delete_view(&jefa, mine.id).await, Err(ServiceError::NotFound(_))), "not even a supervisor's");
    let renamed = desk.update_view(&ana, mine.id, input("Impresoras", "q=impresora&sort=due_asc", false)).await.expect("rename");
    assert_eq!(renamed.filter.to_query(), "q=impresora&sort=due_asc");
    assert!(
        matches!(desk.update_view(&ana, mine.id, input("Impresoras", "", true)).await, Err(ServiceError::Forbidden)),
        "sharing needs the right"
    );
    let team = desk.create_view(&jefa, input("Urgentes", "priority=5&state=new,open", true)).await.expect("shared");
    assert!(
        matches!(desk.update_view(&ana, team.id, input("Mía", "", true)).await, Err(ServiceError::Forbidden)),
        "shared: read only for agents"
    );
    assert_eq!(desk.views(&luis).await.expect("views").saved.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), vec!["Urgentes"]);
    assert_eq!(desk.views(&ana).await.expect("views").saved.len(), 2);
    desk.delete_view(&ana, mine.id).await.expect("delete own");
    assert!(desk.view(&ana, mine.id).await.is_err());

    // Over the API (an integration: shared views only).
    let r = app
        .post(
            "/api/v1/views",
            &json!({"name": "Vencidos de Mesa", "query": format!("due=overdue&department={}", mesa.get()), "shared": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.expect("json");
    let id = v["id"].as_i64().expect("id");
    assert_eq!(v["query"], format!("department={}&due=overdue", mesa.get()), "written back in the canonical order");
    assert_eq!(app.post("/api/v1/views", &json!({"name": "Mía", "query": ""})).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.post("/api/v1/views", &json!({"name": "Mala", "query": "priority=9", "shared": true})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let list: Value = app.get("/api/v1/views").await.json().await.expect("json");
    assert_eq!(list["builtin"].as_array().expect("builtin").len(), 3, "an integration has no 'my tickets'");
    assert_eq!(list["builtin"][0]["name_es"], "Sin asignar");
    assert_eq!(list["saved"].as_array().expect("saved").len(), 2);
    let patched: Value = app.patch(&format!("/api/v1/views/{id}"), &json!({"name": "Vencidos"})).await.json().await.expect("json");
    assert_eq!(patched["name"], "Vencidos");
    assert_eq!(
        app.client.delete(app.url(&format!("/api/v1/views/{id}"))).bearer_auth(&app.key).send().await.expect("delete").status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&format!("/api/v1/views/{id}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bulk_and_dashboard_over_the_api() {
    let app = reviewed_desk().await;
    let mesa = app.department("Mesa de Ayuda (Nivel 1)").await;
    let infra = app.department("Infraestructura Tecnológica").await;
    let a = open_in(&app, "Uno", "a@gob.example", mesa, json!({})).await;
    let b = open_in(&app, "Dos", "a@gob.example", mesa, json!({})).await;
    let c = open_in(&app, "Tres", "a@gob.example", mesa, json!({})).await;
    let r = app.post("/api/v1/tickets/bulk", &json!({"tickets": [a.as_str(), b.as_str(), "999999", "no-es-numero", a.as_str()], "action": "transfer", "department_id": infra.get()})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!((body["done"].as_u64(), body["refused"].as_u64()), (Some(2), Some(2)), "{body}");
    assert_eq!(body["results"][2]["code"], "not_found");
    let r = app.post("/api/v1/tickets/bulk", &json!({"tickets": [c.as_str()], "action": "status", "status": "closed"})).await;
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["results"][0]["result"], "refused");
    assert_eq!(body["results"][0]["code"], "approval_required", "{body}");
    let too_many: Vec<String> = (1..=101).map(|n| format!("{n:06}")).collect();
    assert_eq!(
        app.post("/api/v1/tickets/bulk", &json!({"tickets": too_many, "action": "priority", "priority": 5})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post("/api/v1/tickets/bulk", &json!({"tickets": [c.as_str()], "action": "fly"})).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let dash: Value = app.get("/api/v1/dashboard").await.json().await.expect("json");
    assert_eq!(dash["unassigned"], 3);
    assert_eq!(dash["overdue"]["count"], 0);
    let infra_row =
        dash["departments"].as_array().expect("departments").iter().find(|d| d["department_id"] == infra.get()).cloned().expect("infra");
    assert_eq!(infra_row["active"], 2);
    assert_eq!(infra_row["by_status"]["new"], 2);

    // A cursor made for one query does not fit another sort; a forged one is refused.
    let page: Value = app.get("/api/v1/tickets?limit=1&sort=created_asc").await.json().await.expect("json");
    assert_eq!(page["tickets"][0]["number"], a.as_str());
    let forged = Cursor { sort: QueueSort::CreatedAsc, key: Some(0), id: TicketId(0) }.encode();
    assert_eq!(app.get(&format!("/api/v1/tickets?cursor={forged}")).await.status(), StatusCode::BAD_REQUEST);
    let _ = Principal::System;
}
