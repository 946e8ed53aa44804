//! `tikal-bench`: HTTP load driver for the Tikal REST API.
//!
//! N workers share one keep-alive `reqwest` client on one tokio runtime (one thread by default, so
//! the driver takes at most one core from the server it measures). A warm-up phase opens the
//! connections and is not measured; then the workers claim request numbers from a shared counter
//! until `--requests` are done or `--max-seconds` have passed, whichever comes first. Every
//! request's latency is recorded; non-2xx answers, transport errors and 2xx answers without the
//! expected body count as failures. The result is one JSON line on stdout; a summary of failures,
//! if any, goes to stderr.
//!
//! Traffic goes only to the `--url` given, which must be plain HTTP on a loopback address.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderValue};
use reqwest::{Client, Method, Url};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// `POST /api/v1/tickets`: open a ticket for one of a few hundred requesters.
    Create,
    /// `GET /api/v1/tickets?limit=50`: the first page of the ticket list.
    List,
    /// `GET --path` (any list or page; with `--cookie` for a signed-in portal page).
    Get,
    /// `POST /api/v1/tickets/{n}/messages` (kind `reply`): request `i` answers ticket
    /// `--tickets[i % len]`, so the replies spread over the tickets given.
    Reply,
    /// `POST /api/v1/mail/inbound`: one raw e-mail each (a new ticket, or every third a reply
    /// by Message-ID to the mail two before it), each with its own Message-ID, a Spanish
    /// quoted-printable body and, every fifth, a small attachment.
    Mail,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Create => "create",
            Scenario::List => "list",
            Scenario::Get => "get",
            Scenario::Reply => "reply",
            Scenario::Mail => "mail",
        }
    }

    /// A piece of JSON every successful answer contains (catches a 200 from the wrong route).
    fn expected_in_body(self) -> &'static [u8] {
        match self {
            Scenario::Create => b"\"number\"",
            Scenario::List => b"\"tickets\"",
            Scenario::Get => b"",
            Scenario::Reply => b"\"reply\"",
            Scenario::Mail => b"\"outcome\"",
        }
    }
}

#[derive(Parser, Debug)]
#[command(name = "tikal-bench", version, about = "HTTP load driver for the Tikal REST API (loopback only)")]
struct Args {
    /// Base URL of the server: plain HTTP on a loopback address.
    #[arg(long, env = "TIKAL_BENCH_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// API key, sent as `Authorization: Bearer KEY` (the environment variable keeps it out of `ps`).
    #[arg(long, env = "TIKAL_BENCH_KEY", hide_env_values = true)]
    key: String,
    /// What to measure.
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// Concurrent workers, each with at most one request in flight.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// Measured requests (the run stops at this count or at --max-seconds, whichever comes first).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    requests: u64,
    /// Time limit of the measured phase in seconds (the warm-up has its own limit of the same length).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    max_seconds: u64,
    /// Requests sent before measuring, to open connections and warm caches; not measured.
    #[arg(long, default_value_t = 200)]
    warmup: u64,
    /// Time limit of one request in milliseconds; a request that takes longer fails.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    timeout_ms: u64,
    /// Path and query of the `get` scenario, e.g. `/api/v1/tickets?state=open&limit=50`.
    #[arg(long, required_if_eq("scenario", "get"))]
    path: Option<String>,
    /// Text every successful answer of the `get` scenario must contain.
    #[arg(long, default_value = "")]
    expect: String,
    /// `Cookie` header sent with every request (e.g. `tikal_session=...` for portal pages).
    #[arg(long, env = "TIKAL_BENCH_COOKIE", hide_env_values = true)]
    cookie: Option<String>,
    /// Send a distinct `Idempotency-Key` with every create (as a client that retries safely does).
    #[arg(long)]
    idempotency_keys: bool,
    /// Ticket numbers the `reply` scenario answers, comma-separated.
    #[arg(long, value_delimiter = ',', required_if_eq("scenario", "reply"))]
    tickets: Vec<String>,
    /// Runtime threads of the driver.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,
}

/// Subjects of real helpdesk tickets, each with a first message.
const TICKETS: [(&str, &str); 20] = [
    ("Impresora no imprime", "La impresora de la oficina 204 recibe los trabajos pero no imprime nada. Ya la apagué y encendí."),
    ("Sin conexión WiFi en el piso 3", "Desde esta mañana ningún equipo del piso 3 se conecta a la red inalámbrica institucional."),
    (
        "Reinicio de contraseña del correo",
        "Olvidé la contraseña del correo institucional y la cuenta quedó bloqueada tras varios intentos.",
    ),
    ("El teclado no responde", "El teclado de mi computadora dejó de funcionar; probé en otro puerto USB y sigue igual."),
    ("Teléfono IP sin tono", "El teléfono de la extensión 3312 enciende pero no tiene tono para llamar."),
    ("Crear usuario para nuevo funcionario", "Ingresa un nuevo funcionario el lunes a Recursos Humanos; necesita usuario de red y correo."),
    ("La computadora no enciende", "Presiono el botón de encendido y no pasa nada, ni luces ni ventiladores."),
    ("No puedo acceder al sistema de expedientes", "Al ingresar al sistema de expedientes aparece \"usuario no autorizado\" desde ayer."),
    ("Pantalla azul al iniciar Windows", "El equipo muestra una pantalla azul al arrancar y se reinicia solo."),
    ("Solicitud de instalación de software", "Necesito que instalen el programa de firma digital en mi equipo para los trámites."),
    ("Correo no sincroniza en el celular", "El correo institucional dejó de sincronizar en mi teléfono después de cambiar la contraseña."),
    (
        "Proyector de la sala de reuniones no funciona",
        "El proyector de la sala de reuniones del segundo piso no detecta la laptop por HDMI.",
    ),
    ("Lentitud en la red", "Las páginas y el sistema contable cargan muy lento desde el mediodía en toda la oficina."),
    ("Acceso a carpeta compartida", "Solicito acceso de lectura a la carpeta compartida de Planificación para mi usuario."),
    ("Actualizar sitio web institucional", "Hay que publicar el nuevo horario de atención en la página de inicio del sitio web."),
    ("Escáner no envía al correo", "El escáner multifunción ya no envía los documentos escaneados al correo."),
    ("Monitor parpadea", "El monitor parpadea cada pocos segundos y a veces se queda en negro."),
    ("VPN no conecta desde casa", "Al conectarme a la VPN desde casa aparece un error de autenticación."),
    ("Cambio de equipo por obsolescencia", "Mi computadora tiene más de ocho años y ya no soporta las aplicaciones actuales."),
    ("Virus en memoria USB", "El antivirus detectó una amenaza al conectar una memoria USB y la bloqueó."),
];

/// Requester names; the same email always goes with the same name.
const NAMES: [&str; 16] = [
    "María Fernanda López",
    "José Luis Hernández",
    "Ana Gabriela Morales",
    "Carlos Alberto Pérez",
    "Lucía Ramírez",
    "Jorge Mario Castillo",
    "Sofía Méndez",
    "Luis Fernando García",
    "Daniela Rodríguez",
    "Pedro Antonio Juárez",
    "Andrea Sánchez",
    "Miguel Ángel Cruz",
    "Gabriela Ortiz",
    "Ricardo Flores",
    "Valeria Gómez",
    "Fernando Reyes",
];

const CHANNELS: [&str; 3] = ["web", "email", "phone"];

/// Distinct requester addresses the create scenario cycles through.
const REQUESTERS: u64 = 300;

/// The request body of create number `i`: subject, requester, channel and (sometimes) priority vary with `i`.
fn create_body(i: u64) -> Result<Vec<u8>, serde_json::Error> {
    let (subject, message) = TICKETS[(i % TICKETS.len() as u64) as usize];
    let requester = i % REQUESTERS;
    let mut body = json!({
        "subject": subject,
        "message": message,
        "requester": {
            "email": format!("bench+{requester}@example.org"),
            "name": NAMES[(requester % NAMES.len() as u64) as usize],
        },
        "channel": CHANNELS[(i % CHANNELS.len() as u64) as usize],
    });
    if i.is_multiple_of(4) {
        body["priority"] = json!((i / 4) % 5 + 1);
    }
    serde_json::to_vec(&body)
}

/// Agents' replies, one per request in turn.
const REPLIES: [&str; 4] = [
    "Buenos días, ya revisamos su caso; un técnico pasará por su puesto esta mañana.",
    "Gracias por la información. Reiniciamos el servicio; por favor pruebe de nuevo y nos confirma.",
    "Hello, we are on it: the replacement part arrives tomorrow morning.",
    "Le enviamos las instrucciones para restablecer la contraseña al correo registrado.",
];

/// The request body of reply number `i`.
fn reply_body(i: u64) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&json!({"kind": "reply", "body": REPLIES[(i % REPLIES.len() as u64) as usize]}))
}

/// Raw message number `i` of the `mail` scenario (`run` tells runs apart: Message-IDs never
/// repeat across runs on one database).
fn mail_body(run: &str, i: u64) -> Vec<u8> {
    let (subject, message) = TICKETS[(i % TICKETS.len() as u64) as usize];
    let requester = i % REQUESTERS;
    let name = NAMES[(requester % NAMES.len() as u64) as usize];
    // Every third message answers the one two before it, as a mail client would.
    let reply = if i % 3 == 2 { format!("In-Reply-To: <bench.{run}.{}@example.org>\r\n", i - 2) } else { String::new() };
    let text = format!("{message}\r\n\r\nSaludos,\r\n{name}\r\n");
    let qp: String = text.bytes().map(|b| if b.is_ascii() && b != b'=' { (b as char).to_string() } else { format!("={b:02X}") }).collect();
    let mut mail = format!(
        "From: {name} <bench+{requester}@example.org>\r\nTo: Mesa de Ayuda <soporte@example.org>\r\nSubject: {subject}\r\n\
         Message-ID: <bench.{run}.{i}@example.org>\r\n{reply}Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    );
    if i.is_multiple_of(5) {
        mail.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\r\n{qp}\r\n--b{i}\r\nContent-Type: text/plain; name=\"registro.txt\"\r\n\
             Content-Disposition: attachment; filename=\"registro.txt\"\r\n\r\nerror 0x80070005 al iniciar sesión {i}\r\n--b{i}--\r\n"
        ));
    } else {
        mail.push_str(&format!("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{qp}\r\n"));
    }
    mail.into_bytes()
}

/// What every worker shares.
struct Target {
    scenario: Scenario,
    client: Client,
    url: Url,
    /// The `reply` scenario's endpoints, one per ticket.
    reply_urls: Vec<Url>,
    auth: HeaderValue,
    /// What a successful answer contains.
    expect: Vec<u8>,
    cookie: Option<HeaderValue>,
    /// Prefix of the `Idempotency-Key` of each create (unique per run), when keys are sent.
    keys: Option<String>,
}

/// How one request ended.
enum Outcome {
    Ok,
    Failed { kind: String, detail: String },
}

fn failed(kind: impl Into<String>, detail: impl Into<String>) -> Outcome {
    Outcome::Failed { kind: kind.into(), detail: detail.into() }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn truncated(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect error"
    } else if e.is_body() || e.is_decode() {
        "body error"
    } else {
        "request error"
    }
}

/// Sends request number `i` and reads the whole answer (so the connection goes back to the pool).
async fn send_one(target: &Target, i: u64) -> Outcome {
    let request = match target.scenario {
        Scenario::Create => match create_body(i) {
            Ok(body) => {
                let request = target.client.request(Method::POST, target.url.clone()).header(CONTENT_TYPE, "application/json").body(body);
                match &target.keys {
                    Some(prefix) => request.header("idempotency-key", format!("{prefix}-{i}")),
                    None => request,
                }
            }
            Err(e) => return failed("driver error", e.to_string()),
        },
        Scenario::List | Scenario::Get => target.client.request(Method::GET, target.url.clone()),
        Scenario::Mail => target
            .client
            .request(Method::POST, target.url.clone())
            .header(CONTENT_TYPE, "message/rfc822")
            .body(mail_body(target.keys.as_deref().unwrap_or("run"), i)),
        Scenario::Reply => match (reply_body(i), target.reply_urls.get((i % target.reply_urls.len().max(1) as u64) as usize)) {
            (Ok(body), Some(url)) => target.client.request(Method::POST, url.clone()).header(CONTENT_TYPE, "application/json").body(body),
            (Err(e), _) => return failed("driver error", e.to_string()),
            (_, None) => return failed("driver error", "no ticket to reply to"),
        },
    };
    let request = match &target.cookie {
        Some(cookie) => request.header(COOKIE, cookie.clone()),
        None => request,
    };
    let response = match request.header(AUTHORIZATION, target.auth.clone()).send().await {
        Ok(r) => r,
        Err(e) => return failed(error_kind(&e), e.to_string()),
    };
    let status = response.status();
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(e) => return failed(error_kind(&e), e.to_string()),
    };
    if !status.is_success() {
        failed(format!("HTTP {}", status.as_u16()), truncated(&body))
    } else if !contains(&body, &target.expect) {
        failed(format!("HTTP {} without {}", status.as_u16(), String::from_utf8_lossy(&target.expect)), truncated(&body))
    } else {
        Outcome::Ok
    }
}

/// What one phase (warm-up or measured) produced.
#[derive(Default)]
struct Phase {
    /// Latency of every request, in nanoseconds (empty for the warm-up).
    latencies: Vec<u64>,
    completed: u64,
    failures: u64,
    /// Failures by kind ("HTTP 409", "timeout", ...).
    failure_kinds: BTreeMap<String, u64>,
    /// The first failure seen: kind and detail (body or error text).
    first_failure: Option<(String, String)>,
    seconds: f64,
}

impl Phase {
    fn merge(&mut self, other: Phase) {
        self.latencies.extend(other.latencies);
        self.completed += other.completed;
        self.failures += other.failures;
        for (kind, n) in other.failure_kinds {
            *self.failure_kinds.entry(kind).or_default() += n;
        }
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }

    fn report_failures(&self, phase: &str) {
        if self.failures == 0 {
            return;
        }
        let kinds: Vec<String> = self.failure_kinds.iter().map(|(k, n)| format!("{k} x{n}")).collect();
        eprintln!("tikal-bench: {phase}: {} of {} requests failed: {}", self.failures, self.completed, kinds.join(", "));
        if let Some((kind, detail)) = &self.first_failure {
            eprintln!("tikal-bench: first failure ({kind}): {detail}");
        }
    }
}

/// Runs `count` requests numbered from `first`, `concurrency` at a time, until done or `limit` has passed.
async fn run_phase(target: Arc<Target>, concurrency: u32, first: u64, count: u64, limit: Duration, record: bool) -> Result<Phase, String> {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + limit;
    let per_worker = usize::try_from(count / u64::from(concurrency) + 1).unwrap_or(0);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (target, next) = (target.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut phase = Phase { latencies: Vec::with_capacity(if record { per_worker } else { 0 }), ..Phase::default() };
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count || Instant::now() >= deadline {
                    break;
                }
                let sent = Instant::now();
                let outcome = send_one(&target, first + n).await;
                let elapsed = sent.elapsed();
                phase.completed += 1;
                if record {
                    phase.latencies.push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
                }
                if let Outcome::Failed { kind, detail } = outcome {
                    phase.failures += 1;
                    *phase.failure_kinds.entry(kind.clone()).or_default() += 1;
                    if phase.first_failure.is_none() {
                        phase.first_failure = Some((kind, detail));
                    }
                }
            }
            phase
        }));
    }
    let mut total = Phase::default();
    for worker in workers {
        total.merge(worker.await.map_err(|e| format!("worker failed: {e}"))?);
    }
    total.seconds = start.elapsed().as_secs_f64();
    Ok(total)
}

/// Nearest-rank percentile of sorted nanoseconds, in milliseconds.
fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted[index] as f64 / 1e6
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// Refuses anything but plain HTTP to a loopback address, and returns the endpoint of the scenario.
fn endpoint(base: &str, scenario: Scenario) -> Result<Url, String> {
    let parsed = Url::parse(base).map_err(|e| format!("--url {base}: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!("--url {base}: only plain http:// is supported"));
    }
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(format!("--url {base}: the driver only sends to loopback addresses (127.0.0.1, ::1, localhost)"));
    }
    let root = parsed.as_str().trim_end_matches('/');
    let path = match scenario {
        Scenario::Create | Scenario::Reply => "/api/v1/tickets",
        Scenario::Mail => "/api/v1/mail/inbound",
        Scenario::List | Scenario::Get => "/api/v1/tickets?limit=50",
    };
    Url::parse(&format!("{root}{path}")).map_err(|e| format!("--url {base}: {e}"))
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let mut url = endpoint(&args.url, args.scenario)?;
    if let Some(path) = &args.path {
        // A path only: the host stays the loopback one checked above.
        if args.scenario != Scenario::Get || !path.starts_with('/') || path.starts_with("//") {
            return Err(format!("--path {path}: only with --scenario get, and a path starting with one /"));
        }
        url = url.join(path).map_err(|e| format!("--path {path}: {e}"))?;
    }
    let expect = match args.scenario {
        Scenario::Get => args.expect.clone().into_bytes(),
        other => other.expected_in_body().to_vec(),
    };
    let cookie = args
        .cookie
        .as_deref()
        .map(|c| {
            HeaderValue::from_str(c.trim()).map(|mut v| {
                v.set_sensitive(true);
                v
            })
        })
        .transpose()
        .map_err(|_| "--cookie: not a valid header value".to_string())?;
    let mut auth =
        HeaderValue::from_str(&format!("Bearer {}", args.key.trim())).map_err(|_| "--key: not a valid header value".to_string())?;
    auth.set_sensitive(true);
    let concurrency = args.concurrency;
    let pool = usize::try_from(concurrency).unwrap_or(usize::MAX);
    let client = Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(pool)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .timeout(Duration::from_millis(args.timeout_ms))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let mut reply_urls = Vec::new();
    for number in &args.tickets {
        let number = number.trim();
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("--tickets: {number:?} is not a ticket number"));
        }
        reply_urls.push(url.join(&format!("/api/v1/tickets/{number}/messages")).map_err(|e| format!("--tickets {number}: {e}"))?);
    }
    // Idempotency keys of creates; for mail, what makes this run's Message-IDs its own.
    let keys = match args.scenario {
        Scenario::Create if args.idempotency_keys => Some(format!("bench-{:x}", std::process::id())),
        Scenario::Mail => Some(format!(
            "{:x}{:x}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
        )),
        _ => None,
    };
    let target = Arc::new(Target { scenario: args.scenario, client, url, reply_urls, auth, expect, cookie, keys });
    let limit = Duration::from_secs(args.max_seconds);

    if args.warmup > 0 {
        let warm = run_phase(target.clone(), concurrency, 0, args.warmup, limit, false).await?;
        warm.report_failures("warm-up");
        if warm.completed > 0 && warm.failures == warm.completed {
            return Err("every warm-up request failed; not measuring".into());
        }
    }

    let target_keys = target.keys.is_some();
    let mut measured = run_phase(target, concurrency, args.warmup, args.requests, limit, true).await?;
    measured.latencies.sort_unstable();
    let n = measured.latencies.len();
    let seconds = measured.seconds;
    let throughput = if seconds > 0.0 { n as f64 / seconds } else { 0.0 };
    let line = json!({
        "scenario": args.scenario.name(),
        "path": args.path,
        "idempotency_keys": target_keys,
        "concurrency": concurrency,
        "requests": n,
        "failures": measured.failures,
        "seconds": round_to(seconds, 3),
        "throughput_rps": round_to(throughput, 1),
        "p50_ms": round_to(percentile_ms(&measured.latencies, 0.50), 2),
        "p90_ms": round_to(percentile_ms(&measured.latencies, 0.90), 2),
        "p99_ms": round_to(percentile_ms(&measured.latencies, 0.99), 2),
        "max_ms": round_to(measured.latencies.last().map_or(0.0, |&ns| ns as f64 / 1e6), 2),
    });
    println!("{line}");
    measured.report_failures("measured");
    if measured.failures == measured.completed {
        eprintln!("tikal-bench: no request succeeded");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads as usize).enable_all().build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tikal-bench: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tikal-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).map(|ms| ms * 1_000_000).collect();
        assert_eq!(percentile_ms(&sorted, 0.50), 50.0);
        assert_eq!(percentile_ms(&sorted, 0.99), 99.0);
        assert_eq!(percentile_ms(&sorted, 1.0), 100.0);
        assert_eq!(percentile_ms(&[7_000_000], 0.5), 7.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }

    #[test]
    fn only_loopback_is_accepted() {
        assert!(endpoint("http://127.0.0.1:8080", Scenario::Create).is_ok());
        assert!(endpoint("http://localhost:8080/", Scenario::List).is_ok());
        assert!(endpoint("http://[::1]:8080", Scenario::List).is_ok());
        assert!(endpoint("http://10.0.0.5:8080", Scenario::Create).is_err());
        assert!(endpoint("http://example.org", Scenario::Create).is_err());
        assert!(endpoint("https://127.0.0.1:8443", Scenario::Create).is_err());
        let list = endpoint("http://127.0.0.1:9000/", Scenario::List).map(|u| u.to_string());
        assert_eq!(list.as_deref(), Ok("http://127.0.0.1:9000/api/v1/tickets?limit=50"));
    }

    #[test]
    fn reply_bodies_are_replies() -> Result<(), serde_json::Error> {
        for i in 0..8 {
            let body: serde_json::Value = serde_json::from_slice(&reply_body(i)?)?;
            assert_eq!(body["kind"], "reply");
            assert!(body["body"].as_str().is_some_and(|s| !s.is_empty()));
        }
        Ok(())
    }

    #[test]
    fn create_bodies_vary_and_follow_the_contract() -> Result<(), serde_json::Error> {
        let mut emails = std::collections::BTreeSet::new();
        for i in 0..1000 {
            let body: serde_json::Value = serde_json::from_slice(&create_body(i)?)?;
            assert!(body["subject"].as_str().is_some_and(|s| !s.is_empty()));
            assert!(body["message"].as_str().is_some_and(|s| !s.is_empty()));
            assert!(body["requester"]["name"].is_string());
            if let Some(p) = body.get("priority") {
                assert!(p.as_u64().is_some_and(|p| (1..=5).contains(&p)));
            }
            emails.insert(body["requester"]["email"].as_str().unwrap_or_default().to_string());
        }
        assert_eq!(emails.len(), REQUESTERS as usize);
        Ok(())
    }
}
