//! Benchmark data: a desk with the demo's Spanish vocabulary and as many tickets as asked for
//! (`tikal bench seed --tickets N`), written in large batches straight through the store so a
//! million tickets take minutes. Deterministic: the same N on an empty database gives the same
//! data.
//!
//! What it makes: six departments, a service catalogue, twelve agents, four organisations,
//! several thousand requesters (a few with many tickets, most with a handful), the added status
//! "En atención", and tickets spread over the last year, the recent ones mostly active and the
//! older ones mostly resolved or closed, like a real desk.

use std::collections::BTreeMap;

use chrono::Duration;
use tikal_core::*;
use tikal_service::{Desk, NewStatus, Principal};
use tikal_store::{NewAgent, NewHelpTopic, SeedTicket};

use crate::startup::StartupError;

/// Tickets per transaction.
const BATCH: usize = 5_000;

/// The status the bench desk adds (an open status), as the demo does.
pub const ADDED_STATUS: &str = "en_atencion";

const DEPARTMENTS: [&str; 6] = [
    "Mesa de Ayuda (Nivel 1)",
    "Consultoría TI (Nivel 2)",
    "Infraestructura Tecnológica",
    "Producción y Actualización",
    "Centro de Gestión de Incidentes",
    "Diseño Tecnológico",
];

/// Help topics: name, department (index into `DEPARTMENTS`), default priority, type.
const TOPICS: [(&str, usize, Priority, TicketType); 10] = [
    ("Problemas en el teclado", 0, Priority::Low, TicketType::Incident),
    ("No enciende", 0, Priority::High, TicketType::Incident),
    ("Impresoras", 0, Priority::Medium, TicketType::Incident),
    ("Correo institucional", 0, Priority::Medium, TicketType::Incident),
    ("WiFi", 2, Priority::High, TicketType::Incident),
    ("Telefonía", 2, Priority::Medium, TicketType::Incident),
    ("Creación de usuario", 0, Priority::Medium, TicketType::ServiceRequest),
    ("Sitio web", 3, Priority::Medium, TicketType::ServiceRequest),
    ("Plataformas institucionales", 4, Priority::High, TicketType::Incident),
    ("Software especializado", 1, Priority::Medium, TicketType::ServiceRequest),
];

/// Subjects with a first message and their help topic (index into `TOPICS`).
const PROBLEMS: [(&str, &str, usize); 20] = [
    ("La impresora no imprime", "La impresora del segundo piso recibe los trabajos pero no imprime nada.", 2),
    ("Sin acceso al correo", "Desde esta mañana no puedo ingresar al correo institucional; dice usuario o clave incorrectos.", 3),
    ("El teclado no responde", "Varias teclas del teclado de mi computadora dejaron de funcionar.", 0),
    ("La computadora no enciende", "Presiono el botón de encendido y no pasa nada; la luz parpadea en naranja.", 1),
    ("Sin conexión WiFi en el piso 3", "Nadie en el piso 3 puede conectarse a la red inalámbrica desde las 9:00.", 4),
    ("Teléfono IP sin tono", "El teléfono de la extensión 1045 enciende pero no tiene tono de marcado.", 5),
    ("Crear usuario para nuevo funcionario", "Ingresa un analista a la Dirección Financiera; necesita usuario de red y correo.", 6),
    ("Reinicio de contraseña del correo", "Olvidé la contraseña del correo institucional y la cuenta quedó bloqueada.", 3),
    ("Actualizar noticia en el sitio web", "Hay que publicar el comunicado oficial en la portada del sitio web institucional.", 7),
    ("Plataforma de trámites caída", "La plataforma institucional de trámites muestra error 502 a todos los usuarios.", 8),
    ("Instalar programa de firma digital", "Necesito el programa de firma digital en mi equipo para los trámites.", 9),
    ("Impresora sin tóner", "La impresora de Secretaría General indica tóner agotado.", 2),
    ("Equipo muy lento", "La computadora tarda varios minutos en abrir los documentos compartidos.", 1),
    ("Correo no sincroniza en el celular", "El correo dejó de sincronizar en mi teléfono después de cambiar la contraseña.", 3),
    ("Lentitud en la red", "El sistema contable carga muy lento desde el mediodía en toda la oficina.", 4),
    ("VPN no conecta desde casa", "Al conectarme a la VPN desde casa aparece un error de autenticación.", 4),
    ("Escáner no envía al correo", "El escáner multifunción ya no envía los documentos escaneados al correo.", 2),
    ("No puedo acceder al sistema de expedientes", "Al ingresar al sistema de expedientes aparece \"usuario no autorizado\".", 8),
    ("Proyector de la sala de reuniones", "El proyector de la sala del segundo piso no detecta la laptop por HDMI.", 5),
    ("Licencia de software vencida", "El programa de diseño indica que la licencia venció y no abre los archivos.", 9),
];

/// Organisations and the e-mail domain that joins requesters to them.
const ORGANISATIONS: [(&str, &str); 4] = [
    ("Gobierno Provincial", "provincia.gob.example"),
    ("Universidad Nacional", "universidad.edu.example"),
    ("Ministerio de Salud", "salud.gob.example"),
    ("Agencia de Tecnología", "agencia.gob.example"),
];

const FIRST_NAMES: [&str; 20] = [
    "Juan",
    "María",
    "José",
    "Rosa",
    "Luis",
    "Carmen",
    "Jorge",
    "Elena",
    "Pedro",
    "Sofía",
    "Miguel",
    "Patricia",
    "Diego",
    "Gabriela",
    "Andrés",
    "Verónica",
    "Ricardo",
    "Lorena",
    "Fernando",
    "Daniela",
];

const LAST_NAMES: [&str; 16] = [
    "Pérez", "López", "Ramírez", "Chávez", "Torres", "Vargas", "Castillo", "Rojas", "Flores", "Herrera", "Álvarez", "Morales", "Salazar",
    "Ortiz", "Navarro", "Quispe",
];

const CHANNELS: [Channel; 7] =
    [Channel::Web, Channel::Web, Channel::Email, Channel::Email, Channel::Phone, Channel::Whatsapp, Channel::WalkIn];

/// What `seed` was asked for.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub tickets: u64,
    /// Add to a database that already has tickets.
    pub append: bool,
}

/// What `seed` made, for the caller to print and for benchmarks to query.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub tickets: u64,
    pub requesters: usize,
    /// The requester with the most tickets.
    pub busiest_requester: EmailAddress,
    pub added_status: String,
    /// The department with the most tickets.
    pub busiest_department: DepartmentId,
}

/// Deterministic pseudo-random numbers (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index chosen by weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut pick = u32::try_from(self.next_u64() % u64::from(total.max(1))).unwrap_or(0);
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        weights.len() - 1
    }
}

fn valid<T>(r: Result<T, DomainError>) -> Result<T, StartupError> {
    r.map_err(|e| StartupError::Service(e.into()))
}

fn ascii(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' => 'u',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

/// Statuses in the order `pick_status` weighs them.
const STATUS_KEYS: [&str; 7] = ["new", "open", ADDED_STATUS, "pending_requester", "pending_third_party", "resolved", "closed"];
/// Tickets of the last two weeks: mostly still being worked on.
const RECENT_WEIGHTS: [u32; 7] = [25, 25, 20, 10, 10, 8, 2];
/// Older tickets: mostly done, a few forgotten ones still active.
const OLDER_WEIGHTS: [u32; 7] = [1, 3, 2, 3, 2, 14, 75];

/// Fills the desk with `opts.tickets` benchmark tickets; `progress(done, of)` is called after
/// every batch. Refuses a database that has tickets unless `opts.append`.
pub async fn seed(desk: &Desk, opts: &SeedOptions, mut progress: impl FnMut(u64, u64)) -> Result<SeedReport, StartupError> {
    let store = desk.store();
    let existing = store.count_tickets().await?;
    if existing > 0 && !opts.append {
        let reason = format!("the database already has {existing} tickets; pass --append to add more");
        return Err(StartupError::Service(DomainError::invalid("tickets", reason).into()));
    }
    let now = tikal_store::now();

    // The catalogue: found by name, created when missing (so --append reuses it).
    let mut depts: Vec<DepartmentId> = Vec::new();
    let known = store.departments().await?;
    for name in DEPARTMENTS {
        let id = match known.iter().find(|d| d.name == name) {
            Some(d) => d.id,
            None => store.create_department(name, None, now).await?.id,
        };
        depts.push(id);
    }
    let known_topics = store.help_topics().await?;
    let mut topics = Vec::new();
    for (name, dept, priority, kind) in TOPICS {
        let id = match known_topics.iter().find(|t| t.name == name) {
            Some(t) => t.id,
            None => {
                let t = NewHelpTopic {
                    name: name.to_string(),
                    parent_id: None,
                    department_id: Some(depts[dept]),
                    default_priority: Some(priority),
                    default_type: Some(kind),
                };
                store.create_help_topic(t).await?.id
            }
        };
        topics.push(id);
    }
    let known_orgs = store.organisations().await?;
    for (name, domain) in ORGANISATIONS {
        if !known_orgs.iter().any(|(o, _)| o.name == name) {
            store.create_organisation(name, Some(domain), now).await?;
        }
    }
    let known_agents = store.agents().await?;
    let mut agents = Vec::new();
    for i in 0..12 {
        let email = valid(EmailAddress::parse(&format!("tecnico{:02}@tikal.example", i + 1)))?;
        let id = match known_agents.iter().find(|a| a.email == email) {
            Some(a) => a.id,
            None => {
                let name = valid(PersonName::parse(&format!("{} {} (Técnico)", FIRST_NAMES[i], LAST_NAMES[i])))?;
                store.create_agent(NewAgent { email, name, password_hash: None, is_admin: false }, now).await?.id
            }
        };
        agents.push(id);
    }
    if !desk.statuses().await?.iter().any(|d| d.status.as_str() == ADDED_STATUS) {
        let added = NewStatus {
            key: ADDED_STATUS.into(),
            category: StateCategory::Open,
            awaits_requester: false,
            name_es: "En atención".into(),
            name_en: "In progress".into(),
            position: Some(15),
        };
        desk.create_status(&Principal::System, added).await?;
    }
    let all_statuses = desk.statuses().await?;
    let statuses: Vec<Status> = STATUS_KEYS
        .iter()
        .map(|k| all_statuses.iter().find(|d| d.status.as_str() == *k).map(|d| d.status.clone()))
        .collect::<Option<_>>()
        .ok_or(tikal_store::StoreError::NotFound("status"))?;

    // Requesters: several thousand, most in an organisation.
    let count = usize::try_from((opts.tickets / 4).clamp(50, 5_000)).unwrap_or(5_000);
    let mut people = Vec::with_capacity(count);
    for i in 0..count {
        let (first, last) = (FIRST_NAMES[i % FIRST_NAMES.len()], LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()]);
        let domain = if i % 10 == 9 { "correo.example" } else { ORGANISATIONS[i % ORGANISATIONS.len()].1 };
        let email = valid(EmailAddress::parse(&format!("{}.{}{}@{domain}", ascii(first), ascii(last), i + 1)))?;
        people.push((email, valid(PersonName::parse(&format!("{first} {last}")))?));
    }
    let requesters = store.bench_requesters(&people, now).await?;

    let format = desk.config().number_format.clone();
    let mut rng = Rng(0x7_1CA1 ^ existing);
    let total = opts.tickets;
    let year = Duration::days(365);
    let start = now - year;
    let step_us = year.num_microseconds().unwrap_or(0) / i64::try_from(total.max(1)).unwrap_or(1);
    let recent = now - Duration::days(14);
    let mut per_department: BTreeMap<DepartmentId, u64> = BTreeMap::new();
    let mut done = 0u64;
    while done < total {
        let n = usize::try_from((total - done).min(BATCH as u64)).unwrap_or(BATCH);
        let mut batch = Vec::with_capacity(n);
        for k in 0..n {
            let i = i64::try_from(done).unwrap_or(0) + i64::try_from(k).unwrap_or(0);
            let jitter = i64::try_from(rng.below(usize::try_from(step_us.max(1)).unwrap_or(1))).unwrap_or(0);
            let created_at = start + Duration::microseconds(i * step_us + jitter);
            let (subject, body, topic) = PROBLEMS[rng.below(PROBLEMS.len())];
            let (_, dept, default_priority, kind) = TOPICS[topic];
            // Some tickets are moved to the second level.
            let department_id = if rng.below(10) == 0 { depts[1] } else { depts[dept] };
            *per_department.entry(department_id).or_default() += 1;
            // A few requesters write a lot, most a handful of times.
            let who = ((rng.unit() * rng.unit()) * count as f64) as usize;
            let who = who.min(count - 1);
            let priority = match rng.weighted(&[5, 15, 50, 22, 8]) {
                2 => default_priority,
                p => valid(Priority::try_from(i64::try_from(p + 1).unwrap_or(3)))?,
            };
            let status = statuses[rng.weighted(if created_at >= recent { &RECENT_WEIGHTS } else { &OLDER_WEIGHTS })].clone();
            let category = status.category();
            let worked = category != StateCategory::New;
            let first_response_at = worked.then(|| created_at + Duration::minutes(10 + i64::try_from(rng.below(240)).unwrap_or(0)));
            let resolved_at = matches!(category, StateCategory::Resolved | StateCategory::Closed)
                .then(|| created_at + Duration::hours(1 + i64::try_from(rng.below(72)).unwrap_or(0)));
            let closed_at = (category == StateCategory::Closed).then(|| resolved_at.unwrap_or(created_at) + Duration::days(3));
            let updated_at = closed_at.or(resolved_at).or(first_response_at).unwrap_or(created_at).min(now);
            let (response_due_at, resolution_due_at) = desk.config().sla.due(priority, created_at);
            batch.push(SeedTicket {
                subject: valid(Subject::parse(subject))?,
                body: body.to_string(),
                requester_id: requesters[who],
                requester_name: people[who].1.as_str().to_string(),
                channel: CHANNELS[rng.below(CHANNELS.len())],
                kind,
                help_topic_id: Some(topics[topic]),
                department_id,
                priority,
                status,
                owner_id: worked.then(|| agents[rng.below(agents.len())]),
                created_at,
                updated_at,
                first_response_at,
                resolved_at,
                closed_at,
                response_due_at,
                resolution_due_at,
            });
        }
        store.bench_seed(&batch, &format).await?;
        done += n as u64;
        progress(done, total);
    }
    let busiest_department = per_department.iter().max_by_key(|(_, n)| **n).map_or(depts[0], |(d, _)| *d);
    Ok(SeedReport {
        tickets: total,
        requesters: count,
        busiest_requester: people[0].0.clone(),
        added_status: ADDED_STATUS.to_string(),
        busiest_department,
    })
}
