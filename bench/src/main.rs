//! Load driver for the Tikal REST API: N concurrent tasks on one thread (so the driver takes as
//! little CPU from the server as it can) over one keep-alive client, a bounded
//! number of requests and seconds, latency percentiles printed as one JSON line.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde_json::json;

#[derive(Clone, Copy, ValueEnum, Debug)]
enum Scenario {
    Create,
    List,
}

#[derive(Parser, Debug)]
#[command(about = "Tikal API load driver (loopback only)")]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long)]
    key: String,
    #[arg(long, value_enum)]
    scenario: Scenario,
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    #[arg(long, default_value_t = 5000)]
    requests: u64,
    #[arg(long, default_value_t = 30)]
    max_seconds: u64,
    #[arg(long, default_value_t = 200)]
    warmup: u64,
}

const SUBJECTS: [&str; 6] = [
    "Impresora no imprime",
    "Sin conexión WiFi en el piso 3",
    "Reinicio de contraseña del correo",
    "El teclado no responde",
    "Teléfono IP sin tono",
    "Crear usuario para nuevo funcionario",
];

async fn one(client: &reqwest::Client, args: &Args, i: u64) -> bool {
    let req = match args.scenario {
        Scenario::Create => client.post(format!("{}/api/v1/tickets", args.url)).json(&json!({
            "subject": SUBJECTS[(i % SUBJECTS.len() as u64) as usize],
            "message": "Detalle del problema reportado por el usuario.",
            "requester": {"email": format!("bench+{}@example.org", i % 300), "name": "Usuario de prueba"},
        })),
        Scenario::List => client.get(format!("{}/api/v1/tickets?limit=50", args.url)),
    };
    match req.bearer_auth(&args.key).send().await {
        Ok(r) => {
            let ok = r.status().is_success();
            // Read the body so the connection is reused and the work is complete.
            ok && r.bytes().await.is_ok()
        }
        Err(_) => false,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Arc::new(Args::parse());
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency.max(1)).build()?;
    for i in 0..args.warmup {
        one(&client, &args, i).await;
    }
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (client, args, next, failures) = (client.clone(), args.clone(), next.clone(), failures.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= args.requests || Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                if !one(&client, &args, args.warmup + i).await {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await?);
    }
    let seconds = start.elapsed().as_secs_f64();
    all.sort();
    let line = json!({
        "scenario": format!("{:?}", args.scenario).to_lowercase(),
        "concurrency": args.concurrency,
        "requests": all.len(),
        "failures": failures.load(Ordering::Relaxed),
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "throughput_rps": ((all.len() as f64 / seconds) * 10.0).round() / 10.0,
        "p50_ms": (percentile(&all, 0.50) * 100.0).round() / 100.0,
        "p90_ms": (percentile(&all, 0.90) * 100.0).round() / 100.0,
        "p99_ms": (percentile(&all, 0.99) * 100.0).round() / 100.0,
        "max_ms": (percentile(&all, 1.0) * 100.0).round() / 100.0,
    });
    println!("{line}");
    Ok(())
}
