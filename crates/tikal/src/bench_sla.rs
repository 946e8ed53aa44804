//! `tikal bench sla`: how long an SLA sweep takes with many open tickets, and how late the
//! last escalation fires when all of them come due at once. Tickets are opened through the
//! desk (their due times and first check computed as in production), 8 at a time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use tikal_core::admin::DepartmentInput;
use tikal_core::sla::Targets;
use tikal_core::sla_plan::{Escalation, EscalationAction as A, SlaPlanInput};
use tikal_core::{Channel, EmailAddress, PersonName, Subject};
use tikal_service::{Desk, OpenTicket, Principal};

use tikal::startup::StartupError;

const SUBJECTS: [&str; 6] = [
    "No funciona la impresora del piso 2",
    "Sin acceso a la red WiFi",
    "Teclado con teclas que no responden",
    "Solicitud de cuenta de correo",
    "El sistema de nómina no abre",
    "Pantalla azul al iniciar",
];

pub async fn run(desk: &Desk, tickets: u64) -> Result<(), StartupError> {
    let sys = Principal::System;
    let t = |r: u32, s: u32| Targets { first_response_minutes: r, resolution_minutes: s };
    let plan = SlaPlanInput {
        name: format!("Bench {}", tikal_store::now().timestamp_micros()),
        targets: [t(60, 480); 5],
        calendar_id: None,
        pause_when_pending: true,
        active: true,
        escalation: Escalation {
            warn_percent: Some(75),
            on_warning: vec![A::NotifyOwner],
            on_breach: vec![A::NotifyManager, A::MarkOverdue],
            transfer_to: None,
        },
    };
    let plan = desk.save_sla_plan(&sys, None, plan).await?.id;
    let dept = desk.store().create_department(&format!("SLA bench {}", plan.get()), None, tikal_store::now()).await?.id;
    let (d, rules) = desk.department_for_admin(&sys, dept).await?;
    let input = DepartmentInput {
        name: d.name,
        parent_id: None,
        manager_id: None,
        email: String::new(),
        sla_plan_id: Some(plan),
        auto_assign: None,
        active: true,
    };
    desk.save_department(&sys, Some(dept), input, Some(rules)).await?;

    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (desk, next) = (desk.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= tickets {
                    return Ok::<(), tikal_service::ServiceError>(());
                }
                let email = EmailAddress::parse(&format!("usuario{}@gob.example", i % 5000))?;
                let cmd = OpenTicket {
                    requester_email: Some(email),
                    requester_name: Some(PersonName::parse("Usuario de prueba")?),
                    subject: Subject::parse(SUBJECTS[(i % 6) as usize])?,
                    body: "Reportado por teléfono a la mesa de ayuda.".into(),
                    channel: Channel::Phone,
                    help_topic_id: None,
                    department_id: Some(dept),
                    priority: None,
                    impact_urgency: None,
                    kind: None,
                    custom_fields: Default::default(),
                    attachments: Vec::new(),
                    recipient: None,
                };
                desk.open_ticket(&Principal::System, cmd).await?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.map_err(|e| StartupError::Io(std::io::Error::other(e.to_string())))??;
    }
    let opening = started.elapsed();
    eprintln!("bench sla: {tickets} tickets opened in {:.1} s", opening.as_secs_f64());

    // Nothing due (the first warnings are 45 minutes away): what every tick costs.
    let mut idle = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let r = desk.sla_sweep(tikal_store::now(), Duration::from_secs(600)).await?;
        idle.push(t0.elapsed());
        if r.fired > 0 {
            eprintln!("bench sla: {} fired before anything was due", r.fired);
        }
    }
    idle.sort();
    // Every ticket's one-hour response past due at once (a node was down, or a burst): the
    // warning passed over, the breach fired with its actions, one ticket at a time.
    let due_at = tikal_store::now() + TimeDelta::minutes(61);
    let t0 = Instant::now();
    let mut fired = 0;
    let mut swept = 0;
    loop {
        let r = desk.sla_sweep(due_at, Duration::from_secs(3600)).await?;
        fired += r.fired;
        swept += r.tickets;
        if !r.more {
            break;
        }
    }
    let burst = t0.elapsed();
    let backend = format!("{:?}", desk.store().backend()).to_lowercase();
    println!(
        "| {backend} | {tickets} | {:.1} | {:.2} | {:.2} | {swept} | {fired} | {:.1} | {:.0} |",
        opening.as_secs_f64(),
        idle[idle.len() / 2].as_secs_f64() * 1000.0,
        idle[idle.len() - 1].as_secs_f64() * 1000.0,
        burst.as_secs_f64(),
        fired as f64 / burst.as_secs_f64().max(0.001),
    );
    Ok(())
}
