//! Demo data in Spanish, drawn from the procedures of our users' desks (provincial government,
//! university, ministry, technology agency): departments, the service catalogue, agents,
//! requesters and a few hundred tickets in every status.

use std::collections::BTreeMap;

use tikal_core::fields::{FieldDef, FieldInput, FieldKind};
use tikal_core::org::Agent;
use tikal_core::*;
use tikal_service::{Desk, NewStatus, OpenTicket, PostMessage, Principal, ResolutionAction};
use tikal_store::{NewAgent, NewCustomField, NewHelpTopic};

use crate::startup::StartupError;

pub const ADMIN_EMAIL: &str = "admin@tikal.example";
pub const DEMO_PASSWORD: &str = "tikal-demo-2026";
const TICKETS: usize = 300;

/// Deterministic sequence so every demo looks the same.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

pub async fn create_admin(desk: &Desk, email: EmailAddress, name: PersonName, password: String) -> Result<Agent, StartupError> {
    let hash = tikal_service::hash_password(password).await?;
    let agent = desk.store().create_agent(NewAgent { email, name, password_hash: Some(hash), is_admin: true }, tikal_store::now()).await?;
    Ok(agent)
}

fn valid<T>(r: Result<T, DomainError>) -> Result<T, StartupError> {
    r.map_err(|e| StartupError::Service(e.into()))
}

/// The portal account the demo creates, to try the portal as a requester.
pub const REQUESTER_EMAIL: &str = "juan.perez@institucion.gob.example";

/// What a new demo database holds that is shown only once.
pub struct Seeded {
    pub tickets: usize,
    pub departments: usize,
    /// The demo API key (only its hash is stored).
    pub api_key: String,
}

/// Seeds the demo unless the database already has tickets; `None` when it had.
pub async fn seed_if_empty(desk: &Desk) -> Result<Option<Seeded>, StartupError> {
    let store = desk.store();
    if store.count_tickets().await? > 0 {
        tracing::info!("database has tickets; demo data not added");
        return Ok(None);
    }
    let now = tikal_store::now();
    let mut depts = BTreeMap::new();
    for name in [
        "Mesa de Ayuda (Nivel 1)",
        "Consultoría TI (Nivel 2)",
        "Infraestructura Tecnológica",
        "Producción y Actualización",
        "Centro de Gestión de Incidentes",
        "Diseño Tecnológico",
    ] {
        depts.insert(name, store.create_department(name, None, now).await?.id);
    }
    let mesa = depts["Mesa de Ayuda (Nivel 1)"];
    let infra = depts["Infraestructura Tecnológica"];
    let topic = |name: &str, parent: Option<HelpTopicId>, dept: DepartmentId, prio: Priority, kind: TicketType| NewHelpTopic {
        name: name.to_string(),
        parent_id: parent,
        department_id: Some(dept),
        default_priority: Some(prio),
        default_type: Some(kind),
    };
    use Priority::*;
    use TicketType::*;
    let pc = store.create_help_topic(topic("Problema de computadoras", None, mesa, Medium, Incident)).await?;
    let conn = store.create_help_topic(topic("Conectividad", None, infra, High, Incident)).await?;
    let leaves = vec![
        store.create_help_topic(topic("Problemas en el teclado", Some(pc.id), mesa, Low, Incident)).await?,
        store.create_help_topic(topic("No enciende", Some(pc.id), mesa, High, Incident)).await?,
        store.create_help_topic(topic("Impresoras", None, mesa, Medium, Incident)).await?,
        store.create_help_topic(topic("WiFi", Some(conn.id), infra, High, Incident)).await?,
        store.create_help_topic(topic("Telefonía", None, infra, Medium, Incident)).await?,
        store.create_help_topic(topic("Creación de usuario", None, mesa, Medium, ServiceRequest)).await?,
        store.create_help_topic(topic("Reinicio de contraseña", None, mesa, High, ServiceRequest)).await?,
        store.create_help_topic(topic("Sitio web", None, depts["Producción y Actualización"], Medium, ServiceRequest)).await?,
        store
            .create_help_topic(topic("Plataformas institucionales", None, depts["Centro de Gestión de Incidentes"], High, Incident))
            .await?,
    ];
    let lab = store.create_help_topic(topic("Laboratorio", None, depts["Diseño Tecnológico"], Low, ServiceRequest)).await?;
    let field = |key: &str, label: &str, kind: FieldKind, options: &[&str], required: bool| FieldDef {
        key: key.into(),
        label: label.into(),
        kind,
        options: options.iter().map(|o| o.to_string()).collect(),
        required,
    };
    store
        .create_custom_field(NewCustomField {
            def: field("numero_inventario", "Número de inventario", FieldKind::Text, &[], false),
            help_topic_id: Some(pc.id),
        })
        .await?;
    store
        .create_custom_field(NewCustomField {
            def: field("piso", "Piso", FieldKind::Select, &["Planta baja", "Piso 1", "Piso 2", "Piso 3"], false),
            help_topic_id: Some(conn.id),
        })
        .await?;
    store
        .create_custom_field(NewCustomField {
            def: field("fecha_reserva", "Fecha de la reserva", FieldKind::Date, &[], true),
            help_topic_id: Some(lab.id),
        })
        .await?;

    let roles = store.ensure_builtin_roles().await?;
    let hash = tikal_service::hash_password(DEMO_PASSWORD.into()).await?;
    let mut agents = Vec::new();
    store
        .create_agent(
            NewAgent {
                email: valid(EmailAddress::parse(ADMIN_EMAIL))?,
                name: valid(PersonName::parse("Administración Tikal"))?,
                password_hash: Some(hash.clone()),
                is_admin: true,
            },
            now,
        )
        .await?;
    for (email, name, role, dept_names) in [
        ("operador@tikal.example", "Lucía Mendoza (Operadora)", "agent", vec!["Mesa de Ayuda (Nivel 1)"]),
        (
            "tecnico.infra@tikal.example",
            "Carlos Quispe (Infraestructura)",
            "agent",
            vec!["Infraestructura Tecnológica", "Centro de Gestión de Incidentes"],
        ),
        (
            "consultor@tikal.example",
            "Ana Gutiérrez (Nivel 2)",
            "agent",
            vec!["Consultoría TI (Nivel 2)", "Producción y Actualización", "Diseño Tecnológico"],
        ),
        ("supervisora@tikal.example", "María Fernández (Supervisora)", "supervisor", depts.keys().copied().collect()),
    ] {
        let a = store
            .create_agent(
                NewAgent {
                    email: valid(EmailAddress::parse(email))?,
                    name: valid(PersonName::parse(name))?,
                    password_hash: Some(hash.clone()),
                    is_admin: false,
                },
                now,
            )
            .await?;
        let role_id = roles.get(role).copied().ok_or(tikal_store::StoreError::NotFound("role"))?;
        for d in dept_names {
            store.grant(a.id, depts[d], role_id).await?;
        }
        agents.push(desk.agent_principal(a.id).await?);
    }
    let supervisor = agents[3].clone();
    // Seed 004: the level-1 desk escalates to level 2. Seed 003: a supervisor reviews what the
    // specialist units resolve before it is closed.
    let level2 = depts["Consultoría TI (Nivel 2)"];
    let escalates = tikal_core::desk::DepartmentRules { next_level: Some(level2), review_required: None };
    desk.set_department_rules(&Principal::System, mesa, escalates).await?;
    for unit in ["Consultoría TI (Nivel 2)", "Infraestructura Tecnológica", "Producción y Actualización", "Diseño Tecnológico"] {
        let reviewed = tikal_core::desk::DepartmentRules { next_level: None, review_required: Some(true) };
        desk.set_department_rules(&Principal::System, depts[unit], reviewed).await?;
    }
    // What an administrator sets on each department: its address and its manager (the
    // supervisor); and a team of the infrastructure unit.
    let supervisor_id = match &supervisor {
        Principal::Agent { id, .. } => Some(*id),
        _ => None,
    };
    // Every unit is held to the plan a desk starts with (warn the owner at 75 %, tell the
    // manager and mark the ticket overdue at a breach), so the demo shows due times and badges.
    let standard = desk.sla_plans(&Principal::System).await?.into_iter().find(|p| p.name == "Estándar").map(|p| p.id);
    for (name, email) in [
        ("Mesa de Ayuda (Nivel 1)", "mesadeayuda@tikal.example"),
        ("Consultoría TI (Nivel 2)", "consultoria@tikal.example"),
        ("Infraestructura Tecnológica", "infraestructura@tikal.example"),
    ] {
        let (d, rules) = desk.department_for_admin(&Principal::System, depts[name]).await?;
        let input = tikal_core::admin::DepartmentInput {
            name: d.name,
            parent_id: d.parent_id,
            manager_id: supervisor_id,
            email: email.into(),
            sla_plan_id: d.sla_plan_id.or(standard),
            auto_assign: Some(d.auto_assign),
            active: true,
        };
        desk.save_department(&Principal::System, Some(depts[name]), input, Some(rules)).await?;
    }
    let infra_tech = match &agents[1] {
        Principal::Agent { id, .. } => vec![*id],
        _ => vec![],
    };
    let team =
        tikal_core::admin::TeamInput { name: "Redes y Conectividad".into(), department_id: Some(infra), members: infra_tech, active: true };
    desk.save_team(&Principal::System, None, team).await?;
    // Statuses are data: the desk adds "En atención" (an open status) to tell a ticket being
    // worked on from one only acknowledged.
    let added = NewStatus {
        key: "en_atencion".into(),
        category: StateCategory::Open,
        awaits_requester: false,
        name_es: "En atención".into(),
        name_en: "In progress".into(),
        position: Some(15),
    };
    let in_progress = desk.create_status(&Principal::System, added).await?.status;

    let people = [
        "Juan Pérez",
        "María López",
        "José Ramírez",
        "Rosa Chávez",
        "Luis Torres",
        "Carmen Vargas",
        "Jorge Castillo",
        "Elena Rojas",
        "Pedro Flores",
        "Sofía Herrera",
        "Miguel Álvarez",
        "Patricia Morales",
        "Diego Salazar",
        "Gabriela Ortiz",
        "Andrés Navarro",
        "Verónica Ríos",
        "Ricardo Mejía",
        "Lorena Cruz",
        "Fernando Aguilar",
        "Daniela Paredes",
    ];
    let problems: [(&str, &str, &str); 12] = [
        (
            "El teclado no responde",
            "Desde esta mañana varias teclas del teclado no funcionan en mi computadora de la oficina 204.",
            "Problemas en el teclado",
        ),
        ("La impresora no imprime", "La impresora del segundo piso muestra 'atasco de papel' pero no hay papel atascado.", "Impresoras"),
        ("Sin conexión WiFi en el piso 3", "Nadie en el piso 3 puede conectarse a la red inalámbrica desde las 9:00.", "WiFi"),
        ("Teléfono IP sin tono", "El teléfono de la extensión 1045 no tiene tono de marcado.", "Telefonía"),
        (
            "Crear usuario para nuevo funcionario",
            "Solicito la creación de usuario de red y correo para el nuevo analista de la Dirección Financiera.",
            "Creación de usuario",
        ),
        (
            "Reinicio de contraseña del correo institucional",
            "Olvidé mi contraseña del correo institucional y no puedo ingresar.",
            "Reinicio de contraseña",
        ),
        (
            "Actualizar noticia en el sitio web",
            "Necesitamos publicar el comunicado oficial en la portada del sitio web institucional.",
            "Sitio web",
        ),
        ("La computadora no enciende", "Mi equipo no enciende; la luz del botón parpadea en naranja.", "No enciende"),
        (
            "Plataforma de trámites caída",
            "La plataforma institucional de trámites muestra error 502 a todos los usuarios.",
            "Plataformas institucionales",
        ),
        ("Reserva del laboratorio de cómputo", "Solicito reservar el laboratorio 2 para la capacitación del personal.", "Laboratorio"),
        ("Equipo muy lento", "La computadora tarda varios minutos en abrir los documentos compartidos.", "No enciende"),
        ("Impresora sin tóner", "La impresora de Secretaría General indica tóner agotado.", "Impresoras"),
    ];
    let channels = [Channel::Web, Channel::Web, Channel::Email, Channel::Email, Channel::Phone, Channel::Whatsapp, Channel::WalkIn];
    let system = Principal::System;
    let mut rng = Lcg(20261124);
    let mut history = Vec::with_capacity(TICKETS);
    for i in 0..TICKETS {
        if i % 50 == 0 {
            tracing::info!(tickets = i, of = TICKETS, "adding demo data");
        }
        let (subject, body, topic_name) = problems[rng.next(problems.len())];
        let person = people[rng.next(people.len())];
        let email = format!(
            "{}@institucion.gob.example",
            person
                .to_lowercase()
                .replace(' ', ".")
                .replace(['á', 'à'], "a")
                .replace('é', "e")
                .replace('í', "i")
                .replace('ó', "o")
                .replace('ú', "u")
        );
        let topic = leaves.iter().chain([&lab]).find(|t| t.name == topic_name).unwrap_or(&lab);
        let mut custom_fields = BTreeMap::new();
        if topic.id == lab.id {
            custom_fields.insert("fecha_reserva".to_string(), FieldInput::Text("2026-12-15".into()));
        }
        let cmd = OpenTicket {
            requester_email: Some(valid(EmailAddress::parse(&email))?),
            requester_name: Some(valid(PersonName::parse(person))?),
            subject: valid(Subject::parse(subject))?,
            body: body.to_string(),
            channel: channels[rng.next(channels.len())],
            help_topic_id: Some(topic.id),
            department_id: None,
            priority: None,
            impact_urgency: None,
            kind: None,
            custom_fields,
            attachments: Vec::new(),
            recipient: None,
        };
        let (t, _) = desk.open_ticket(&system, cmd).await?;
        // Spread the tickets over the last 60 days, newer numbers more recent; each history is
        // moved back once it is complete.
        let minutes = (TICKETS - i) * 60 * 24 * 60 / TICKETS + rng.next(600);
        history.push((t.id, chrono::Duration::minutes(i64::try_from(minutes).unwrap_or(0))));
        let stage = rng.next(10);
        if stage == 0 {
            continue; // stays new
        }
        let agent = &agents[rng.next(3)];
        let owner = match agent {
            Principal::Agent { id, .. } => Some(*id),
            _ => None,
        };
        let assign = TicketUpdate { owner_id: Some(owner), ..Default::default() };
        desk.update_ticket(&supervisor, &t.number, assign).await?;
        desk.post_message(
            &supervisor,
            &t.number,
            PostMessage {
                kind: EntryKind::Reply,
                body: "Hemos recibido su solicitud; un técnico la atenderá a la brevedad.".into(),
                attachments: Vec::new(),
            },
        )
        .await?;
        if stage == 1 {
            // Waiting on the requester, or on a third party (a supplier, another unit).
            let status = if i % 2 == 0 { Status::PENDING_REQUESTER } else { Status::PENDING_THIRD_PARTY };
            let wait = TicketUpdate { status: Some(status), ..Default::default() };
            desk.update_ticket(&supervisor, &t.number, wait).await?;
            continue;
        }
        if stage == 2 {
            // Derivar: transferred to the second level.
            let transfer = TicketUpdate { department_id: Some(depts["Consultoría TI (Nivel 2)"]), ..Default::default() };
            desk.update_ticket(&supervisor, &t.number, transfer).await?;
            continue;
        }
        if stage <= 4 {
            if stage == 4 {
                // Being worked on: a status the desk added ("En atención", an open status).
                let working = TicketUpdate { status: Some(in_progress.clone()), ..Default::default() };
                desk.update_ticket(&supervisor, &t.number, working).await?;
            }
            desk.post_message(
                &supervisor,
                &t.number,
                PostMessage {
                    kind: EntryKind::Note,
                    body: "Revisado en sitio; se coordina con Infraestructura.".into(),
                    attachments: Vec::new(),
                },
            )
            .await?;
            continue;
        }
        desk.log_time(&supervisor, &t.number, 30 + 15 * u32::try_from(rng.next(6)).unwrap_or(0), Some("Atención en sitio".into())).await?;
        let resolve = TicketUpdate { status: Some(Status::RESOLVED), ..Default::default() };
        desk.update_ticket(&supervisor, &t.number, resolve).await?;
        if stage >= 7 {
            // Reviewed: closed by the supervisor (approve) or closed outright.
            let close = TicketUpdate { status: Some(Status::CLOSED), ..Default::default() };
            if desk.update_ticket(&supervisor, &t.number, close).await.is_err() {
                desk.resolution(&supervisor, &t.number, ResolutionAction::Approve, "").await.ok();
            }
        }
    }
    for (id, age) in history {
        store.shift_ticket_history(id, age).await?;
    }
    // A requester with a portal account, to try the portal as a user.
    let juan = valid(EmailAddress::parse(REQUESTER_EMAIL))?;
    let hash = tikal_service::hash_password(DEMO_PASSWORD.into()).await?;
    let name = valid(PersonName::parse("Juan Pérez"))?;
    let id = store.ensure_requester(&juan, &name, now).await?;
    let account = tikal_store::PendingRegistration { password_hash: hash, name, language: Some("es".into()) };
    store.confirm_registration(id, Some(&account)).await?;
    seed_kb(desk, leaves[6].id, leaves[2].id, leaves[3].id).await?;
    let api_key = desk.create_api_key("demo").await?;
    Ok(Some(Seeded { tickets: TICKETS, departments: depts.len(), api_key }))
}

/// A few knowledge-base articles from the desks' everyday cases (passwords, printers, VPN,
/// mail), in Spanish and English, with one for agents only and one draft.
async fn seed_kb(
    desk: &Desk,
    password_topic: HelpTopicId,
    printer_topic: HelpTopicId,
    wifi_topic: HelpTopicId,
) -> Result<(), StartupError> {
    use tikal_core::kb::{ArticleInput, ArticleState, Visibility};
    use tikal_core::template::Language;
    let by = Principal::System;
    let mut cats = BTreeMap::new();
    for name in ["Cuentas y contraseñas", "Impresoras", "Redes y VPN", "Correo"] {
        cats.insert(name, desk.save_kb_category(&by, None, name, None, 0).await?.id);
    }
    // (title, category, Markdown, language, visibility, state, help topics)
    type Seed<'a> = (&'a str, &'a str, &'a str, Language, Visibility, ArticleState, Vec<HelpTopicId>);
    let articles: [Seed; 8] = [
        (
            "¿Cómo restablezco mi contraseña?",
            "Cuentas y contraseñas",
            "Si olvidó su contraseña o el sistema dice que caducó:\n\n1. Abra el portal de cuentas desde el navegador de su equipo.\n2. Elija **¿Olvidó su contraseña?** e ingrese su correo institucional.\n3. Siga el enlace que le llega por correo (vale 30 minutos).\n4. Elija una contraseña de al menos 12 caracteres que no haya usado antes.\n\nSi la cuenta quedó **bloqueada** por intentos fallidos, espere 15 minutos o abra un ticket en *Reinicio de contraseña*: la Mesa de Ayuda verificará su identidad antes de desbloquearla.",
            Language::Es,
            Visibility::Public,
            ArticleState::Published,
            vec![password_topic],
        ),
        (
            "La impresora no imprime o el papel está atascado",
            "Impresoras",
            "Antes de abrir un ticket, revise:\n\n- Que la impresora esté encendida y sin luces rojas.\n- **Papel atascado:** abra la bandeja y la tapa frontal, retire el papel tirando con cuidado hacia usted, y cierre.\n- **Tóner agotado:** la pantalla lo indica; la reposición se pide con un ticket en *Impresoras*.\n- En su equipo, abra *Impresoras y escáneres*, elija la impresora del piso y use **Cancelar todos los documentos** si la cola está detenida.\n\nSi sigue sin imprimir, abra un ticket indicando el piso y el número de inventario de la impresora.",
            Language::Es,
            Visibility::Public,
            ArticleState::Published,
            vec![printer_topic],
        ),
        (
            "No puedo conectarme a la VPN",
            "Redes y VPN",
            "1. Compruebe que tiene Internet abriendo cualquier sitio.\n2. Cierre el cliente VPN por completo y vuelva a abrirlo.\n3. Ingrese con su usuario institucional (sin @dominio) y su contraseña actual.\n4. Si aparece *certificado vencido*, abra un ticket: la Mesa de Ayuda renueva el certificado del cliente.\n\nDesde redes públicas (hoteles, aeropuertos) la VPN puede estar bloqueada: pruebe con los datos del teléfono.",
            Language::Es,
            Visibility::SignedIn,
            ArticleState::Published,
            vec![wifi_topic],
        ),
        (
            "Configurar el correo institucional en el teléfono",
            "Correo",
            "En el teléfono, agregue una cuenta de tipo **Exchange** o **Microsoft 365** con su correo institucional y su contraseña. Si pide servidor, use el que indica la intranet. La primera sincronización puede tardar unos minutos.\n\nSi el correo dice *buzón lleno*, archive o elimine mensajes con adjuntos grandes.",
            Language::Es,
            Visibility::Public,
            ArticleState::Published,
            Vec::new(),
        ),
        (
            "Procedimiento interno: desbloqueo de cuentas",
            "Cuentas y contraseñas",
            "Solo para agentes. Verifique la identidad del solicitante (número de cédula y extensión registrada) **antes** de desbloquear. Registre en la nota interna del ticket cómo se verificó. Nunca envíe contraseñas temporales por correo: dígalas por teléfono.",
            Language::Es,
            Visibility::Agents,
            ArticleState::Published,
            vec![password_topic],
        ),
        (
            "Cambio de tóner paso a paso",
            "Impresoras",
            "Borrador: fotos pendientes de cada modelo de impresora.",
            Language::Es,
            Visibility::Public,
            ArticleState::Draft,
            Vec::new(),
        ),
        (
            "How do I reset my password?",
            "Cuentas y contraseñas",
            "If you forgot your password or it expired:\n\n1. Open the accounts portal in your browser.\n2. Choose **Forgot your password?** and enter your work e-mail.\n3. Follow the link sent to you (valid for 30 minutes).\n4. Choose a password of at least 12 characters you have not used before.\n\nIf your account is **locked** after failed attempts, wait 15 minutes or open a ticket under *Reinicio de contraseña*.",
            Language::En,
            Visibility::Public,
            ArticleState::Published,
            vec![password_topic],
        ),
        (
            "The printer does not print",
            "Impresoras",
            "Check that the printer is on and shows no red lights. For a **paper jam**, open the tray and the front cover and pull the paper out gently. On your computer, open *Printers & scanners* and use **Cancel all documents** if the queue is stuck. Still nothing? Open a ticket with the floor and the printer's inventory number.",
            Language::En,
            Visibility::Public,
            ArticleState::Published,
            vec![printer_topic],
        ),
    ];
    for (title, cat, body, language, visibility, state, topics) in articles {
        let input = ArticleInput {
            title: title.into(),
            slug: String::new(),
            body: body.into(),
            category_id: cats.get(cat).copied(),
            language,
            visibility,
        };
        desk.create_article(&by, input, state, topics).await?;
    }
    Ok(())
}

/// How to get in, once the server listens at `url` (`http://host:port/`): the requester
/// portal and the API. The key is printed only by the start that created it; later starts say
/// how to make a new one (`tikal_cmd` is the command line with its global flags).
pub fn welcome(url: &str, seeded: Option<&Seeded>, tikal_cmd: &str) -> String {
    let mut out = String::new();
    let login = format!("{url}login");
    match seeded {
        Some(s) => {
            out += &format!("Demo data ready: {} tickets in {} departments.\n", s.tickets, s.departments);
            out += &format!("Requester portal: {login} (sign in as {REQUESTER_EMAIL} / {DEMO_PASSWORD})\n");
            out += &agent_lines(url, "");
            out += &format!("Demo API key (shown only this once): {}\n", s.api_key);
            out += &format!("Try: curl -H 'Authorization: Bearer {}' '{url}api/v1/tickets?limit=5'\n", s.api_key);
        }
        None => {
            out += "The database already had tickets, so no demo data was added.\n";
            out += &format!("Requester portal: {login} (the demo's requester: {REQUESTER_EMAIL} / {DEMO_PASSWORD}, unless changed)\n");
            out += &agent_lines(url, ", unless changed");
            out += &format!(
                "The demo API key was shown only at the first start; make a new one with: {tikal_cmd} api-key create --name NAME\n"
            );
        }
    }
    out
}

/// The workspace's address and the demo's agents, each with what their role lets them do.
fn agent_lines(url: &str, unless: &str) -> String {
    let mut out = format!("Agent workspace: {url}agent/login (password {DEMO_PASSWORD} for every demo agent{unless}):\n");
    for (email, what) in DEMO_AGENTS {
        out += &format!("  {email:<30} {what}\n");
    }
    out
}

/// The demo's agents as `welcome` lists them.
const DEMO_AGENTS: [(&str, &str); 5] = [
    ("operador@tikal.example", "operator, level 1 help desk: registers calls, triages, transfers"),
    ("tecnico.infra@tikal.example", "technician, infrastructure and incident centre"),
    ("consultor@tikal.example", "level 2 consultant, production and design units"),
    ("supervisora@tikal.example", "supervisor of every department: reviews and closes"),
    (ADMIN_EMAIL, "administrator: everything"),
];
