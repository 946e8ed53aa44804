//! Benchmark data: a desk with the demo's Spanish vocabulary and as many tickets as asked for
//! (`tikal bench seed --tickets N`), written in large batches straight through the store so a
//! million tickets take minutes. Deterministic: the same N on an empty database gives the same
//! data.
//!
//! What it makes: six departments, a service catalogue, twelve agents in those departments (the
//! first a supervisor of all six), four organisations, several thousand requesters (a few with
//! many tickets, most with a handful; one in five writes in English), the added status "En
//! atención", and tickets spread over the last year, the recent ones mostly active and the
//! older ones mostly resolved or closed, like a real desk. Each thread has the requester's
//! first message in their language, the owner's first reply once the ticket was worked on, and
//! the owner's resolution once it was resolved. Tickets are generated on a thread of their own
//! while the store writes the previous batch.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tikal_core::*;
use tikal_service::{Desk, NewStatus, Principal};
use tikal_store::{NewAgent, NewHelpTopic, SeedEntry, SeedRequester, SeedTicket};

use crate::startup::StartupError;

/// Tickets per transaction.
const BATCH: usize = 20_000;

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

/// The same desk's problems as English-speaking requesters write them.
const PROBLEMS_EN: [(&str, &str, usize); 12] = [
    ("The printer does not print", "The printer on the second floor receives the jobs but prints nothing.", 2),
    ("Cannot sign in to my email", "Since this morning my institutional email says wrong user or password.", 3),
    ("Keyboard not responding", "Several keys on my computer's keyboard stopped working.", 0),
    ("Computer does not turn on", "I press the power button and nothing happens; the light blinks orange.", 1),
    ("No WiFi on the third floor", "Nobody on the third floor can join the wireless network since 9:00.", 4),
    ("IP phone has no dial tone", "The phone at extension 1045 turns on but has no dial tone.", 5),
    ("New staff member needs an account", "An analyst joins Finance on Monday and needs a network user and a mailbox.", 6),
    ("Update a news item on the website", "The official statement must be published on the home page of the website.", 7),
    ("Online services platform is down", "The online services platform shows error 502 to every user.", 8),
    ("Install the digital signature software", "I need the digital signature software on my computer for the filings.", 9),
    ("VPN does not connect from home", "When I connect to the VPN from home I get an authentication error.", 4),
    ("Scanner does not send to email", "The multifunction scanner no longer sends scanned documents to email.", 2),
];

/// An agent's first reply, by language (Spanish, English).
const FIRST_REPLIES: [[&str; 3]; 2] = [
    [
        "Buenos días, recibimos su solicitud y ya la estamos revisando. Le escribimos en cuanto tengamos novedades.",
        "Gracias por avisar. Un técnico pasará por su puesto en el transcurso de la mañana.",
        "Estamos revisando el caso. ¿Podría indicarnos desde qué equipo y a qué hora ocurrió?",
    ],
    [
        "Hello, we received your request and are looking into it. We will write as soon as we know more.",
        "Thanks for letting us know. A technician will come to your desk this morning.",
        "We are looking into it. Could you tell us which computer it happened on, and when?",
    ],
];

/// The owner's reply when resolving, by language.
const RESOLUTIONS: [[&str; 3]; 2] = [
    [
        "Quedó resuelto: reemplazamos la pieza dañada y probamos con usted. Si vuelve a ocurrir, responda a este mensaje.",
        "Listo, restablecimos el acceso. Por favor confírmenos que ya puede trabajar con normalidad.",
        "Aplicamos la configuración correcta y el servicio funciona de nuevo. Cerramos el caso en unos días si no hay novedades.",
    ],
    [
        "Fixed: we replaced the faulty part and tested it with you. If it happens again, reply to this message.",
        "Done, your access is back. Please confirm that you can work normally again.",
        "We applied the right settings and the service works again. We will close the case in a few days unless you write back.",
    ],
];

/// The department (index into `DEPARTMENTS`) of each of the twelve agents: six on the first
/// level, two on the second, one in each other department.
const AGENT_DEPARTMENTS: [usize; 12] = [0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5];

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
    /// The password hash of the first agent (a supervisor of every department), when the seed
    /// creates them, so benchmarks can sign in to the agent workspace.
    pub agent_password_hash: Option<String>,
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
    /// The first agent: a supervisor of every department who owns tickets.
    pub supervisor: EmailAddress,
}

/// Deterministic pseudo-random numbers (SplitMix64).
#[derive(Debug, Clone)]
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

/// A problem as a requester writes it.
#[derive(Debug, Clone)]
struct Problem {
    subject: Subject,
    body: Arc<str>,
    /// Index into `TOPICS`.
    topic: usize,
}

/// A requester as the generator needs them.
#[derive(Debug, Clone)]
struct Person {
    id: RequesterId,
    name: Arc<str>,
    /// 0 Spanish, 1 English.
    language: usize,
}

/// Makes the tickets, batch after batch, on a thread of its own (everything it needs is its own).
struct Generator {
    rng: Rng,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    recent: DateTime<Utc>,
    step_us: i64,
    /// Spanish and English problems.
    problems: [Vec<Problem>; 2],
    topics: Vec<HelpTopicId>,
    depts: Vec<DepartmentId>,
    /// The agents of each department (index into `DEPARTMENTS`) with their names.
    dept_agents: Vec<Vec<(AgentId, Arc<str>)>>,
    people: Vec<Person>,
    statuses: Vec<Status>,
    priorities: [Priority; 5],
    sla: tikal_core::sla::SlaPolicy,
    first_replies: [Vec<Arc<str>>; 2],
    resolutions: [Vec<Arc<str>>; 2],
    per_department: BTreeMap<DepartmentId, u64>,
}

impl Generator {
    /// Tickets number `from` to `from + n - 1` of the seed.
    fn batch(&mut self, from: u64, n: usize) -> Vec<SeedTicket> {
        let mut batch = Vec::with_capacity(n);
        let rng = &mut self.rng;
        let count = self.people.len();
        for k in 0..n {
            let i = i64::try_from(from).unwrap_or(0) + i64::try_from(k).unwrap_or(0);
            let jitter = i64::try_from(rng.below(usize::try_from(self.step_us.max(1)).unwrap_or(1))).unwrap_or(0);
            let created_at = self.start + Duration::microseconds(i * self.step_us + jitter);
            // A few requesters write a lot, most a handful of times.
            let who = (((rng.unit() * rng.unit()) * count as f64) as usize).min(count - 1);
            let person = &self.people[who];
            let problems = &self.problems[person.language];
            let problem = &problems[rng.below(problems.len())];
            let (_, dept, default_priority, kind) = TOPICS[problem.topic];
            // Some tickets are moved to the second level.
            let dept = if rng.below(10) == 0 { 1 } else { dept };
            let department_id = self.depts[dept];
            *self.per_department.entry(department_id).or_default() += 1;
            let priority = match rng.weighted(&[5, 15, 50, 22, 8]) {
                2 => default_priority,
                p => self.priorities[p],
            };
            let status = self.statuses[rng.weighted(if created_at >= self.recent { &RECENT_WEIGHTS } else { &OLDER_WEIGHTS })].clone();
            let category = status.category();
            let worked = category != StateCategory::New;
            let first_response_at = worked.then(|| created_at + Duration::minutes(10 + i64::try_from(rng.below(240)).unwrap_or(0)));
            let resolved_at = matches!(category, StateCategory::Resolved | StateCategory::Closed)
                .then(|| first_response_at.unwrap_or(created_at) + Duration::hours(1 + i64::try_from(rng.below(72)).unwrap_or(0)));
            let closed_at = (category == StateCategory::Closed).then(|| resolved_at.unwrap_or(created_at) + Duration::days(3));
            let updated_at = closed_at.or(resolved_at).or(first_response_at).unwrap_or(created_at).min(self.now);
            let (response_due_at, resolution_due_at) = self.sla.due(priority, created_at);
            let agents = &self.dept_agents[dept];
            let owner = (worked && !agents.is_empty()).then(|| agents[rng.below(agents.len())].clone());
            let mut thread = Vec::with_capacity(3);
            thread.push(SeedEntry {
                kind: EntryKind::Message,
                author: Author::Requester(person.id),
                author_name: person.name.clone(),
                body: problem.body.clone(),
                at: created_at,
            });
            if let (Some((agent, name)), Some(at)) = (&owner, first_response_at) {
                let replies = &self.first_replies[person.language];
                let body = replies[rng.below(replies.len())].clone();
                thread.push(SeedEntry { kind: EntryKind::Reply, author: Author::Agent(*agent), author_name: name.clone(), body, at });
            }
            if let (Some((agent, name)), Some(at)) = (&owner, resolved_at) {
                let replies = &self.resolutions[person.language];
                let body = replies[rng.below(replies.len())].clone();
                thread.push(SeedEntry { kind: EntryKind::Reply, author: Author::Agent(*agent), author_name: name.clone(), body, at });
            }
            batch.push(SeedTicket {
                subject: problem.subject.clone(),
                requester_id: person.id,
                channel: CHANNELS[rng.below(CHANNELS.len())],
                kind,
                help_topic_id: Some(self.topics[problem.topic]),
                department_id,
                priority,
                status,
                owner_id: owner.map(|(a, _)| a),
                created_at,
                updated_at,
                first_response_at,
                resolved_at,
                closed_at,
                response_due_at,
                resolution_due_at,
                resolution_approved: category == StateCategory::Closed,
                thread,
            });
        }
        batch
    }
}

fn texts<const N: usize>(by_language: &[[&str; N]; 2]) -> [Vec<Arc<str>>; 2] {
    by_language.map(|texts| texts.iter().map(|t| Arc::from(*t)).collect())
}

fn problems(list: &[(&str, &str, usize)]) -> Result<Vec<Problem>, StartupError> {
    list.iter().map(|(s, b, topic)| Ok(Problem { subject: valid(Subject::parse(s))?, body: Arc::from(*b), topic: *topic })).collect()
}

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
    // Agents in their departments; the first one supervises all of them.
    let known_agents = store.agents().await?;
    let roles = store.ensure_builtin_roles().await?;
    let role = |name: &str| roles.get(name).copied().ok_or(tikal_store::StoreError::NotFound("role"));
    let mut dept_agents: Vec<Vec<(AgentId, Arc<str>)>> = vec![Vec::new(); DEPARTMENTS.len()];
    let mut supervisor = None;
    for (i, dept) in AGENT_DEPARTMENTS.into_iter().enumerate() {
        let email = valid(EmailAddress::parse(&format!("tecnico{:02}@tikal.example", i + 1)))?;
        let name = valid(PersonName::parse(&format!("{} {} (Técnico)", FIRST_NAMES[i], LAST_NAMES[i])))?;
        let id = match known_agents.iter().find(|a| a.email == email) {
            Some(a) => a.id,
            None => {
                let password_hash = if i == 0 { opts.agent_password_hash.clone() } else { None };
                let id = store
                    .create_agent(NewAgent { email: email.clone(), name: name.clone(), password_hash, is_admin: false }, now)
                    .await?
                    .id;
                if i == 0 {
                    for d in &depts {
                        store.grant(id, *d, role("supervisor")?).await?;
                    }
                } else {
                    store.grant(id, depts[dept], role("agent")?).await?;
                }
                id
            }
        };
        if i == 0 {
            supervisor = Some(email);
        }
        dept_agents[dept].push((id, Arc::from(name.as_str())));
    }
    let supervisor = supervisor.ok_or(tikal_store::StoreError::NotFound("agent"))?;
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

    // Requesters: several thousand, most in an organisation, one in five writing in English.
    let count = usize::try_from((opts.tickets / 4).clamp(50, 5_000)).unwrap_or(5_000);
    let mut people = Vec::with_capacity(count);
    for i in 0..count {
        let (first, last) = (FIRST_NAMES[i % FIRST_NAMES.len()], LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()]);
        let domain = if i % 10 == 9 { "correo.example" } else { ORGANISATIONS[i % ORGANISATIONS.len()].1 };
        let email = valid(EmailAddress::parse(&format!("{}.{}{}@{domain}", ascii(first), ascii(last), i + 1)))?;
        let name = valid(PersonName::parse(&format!("{first} {last}")))?;
        people.push(SeedRequester { email, name, language: if i % 5 == 4 { "en" } else { "es" } });
    }
    let ids = store.bench_requesters(&people, now).await?;
    let persons: Vec<Person> = people
        .iter()
        .zip(&ids)
        .map(|(p, id)| Person { id: *id, name: Arc::from(p.name.as_str()), language: usize::from(p.language == "en") })
        .collect();

    let total = opts.tickets;
    let year = Duration::days(365);
    let mut generator = Generator {
        rng: Rng(0x7_1CA1 ^ existing),
        now,
        start: now - year,
        recent: now - Duration::days(14),
        step_us: year.num_microseconds().unwrap_or(0) / i64::try_from(total.max(1)).unwrap_or(1),
        problems: [problems(&PROBLEMS)?, problems(&PROBLEMS_EN)?],
        topics,
        depts: depts.clone(),
        dept_agents,
        people: persons,
        statuses,
        priorities: Priority::ALL,
        sla: desk.config().sla.clone(),
        first_replies: texts(&FIRST_REPLIES),
        resolutions: texts(&RESOLUTIONS),
        per_department: BTreeMap::new(),
    };

    // The next batch is generated while the store writes this one.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<SeedTicket>>(1);
    let making = tokio::task::spawn_blocking(move || {
        let mut done = 0u64;
        while done < total {
            let n = usize::try_from((total - done).min(BATCH as u64)).unwrap_or(BATCH);
            if tx.blocking_send(generator.batch(done, n)).is_err() {
                break;
            }
            done += n as u64;
        }
        generator.per_department
    });
    let format = desk.config().number_format.clone();
    let dropped = store.bench_seed_start().await?;
    let mut done = 0u64;
    while let Some(batch) = rx.recv().await {
        store.bench_seed(&batch, &format).await?;
        done += batch.len() as u64;
        progress(done, total);
    }
    store.bench_seed_done(dropped).await?;
    let per_department = making.await.map_err(|e| StartupError::Service(DomainError::invalid("tickets", e.to_string()).into()))?;
    let busiest_department = per_department.iter().max_by_key(|(_, n)| **n).map_or(depts[0], |(d, _)| *d);
    Ok(SeedReport {
        tickets: total,
        requesters: count,
        busiest_requester: people[0].email.clone(),
        added_status: ADDED_STATUS.to_string(),
        busiest_department,
        supervisor,
    })
}
