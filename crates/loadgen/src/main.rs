//! `gatehouse-load`: drives one scenario against a running gatehouse that
//! `gatehouse seed` filled, with a fixed number of connections for a fixed
//! time, and prints one JSON line: requests, errors, requests per second and
//! latency percentiles. Names and secrets come from the seed's manifest.
//!
//! By default each connection sends its next request as soon as the last
//! one is answered (the server's most). With `--rate`, the connections
//! together send that many requests per second on a fixed schedule, and a
//! request's latency counts from when it was due, so a slow answer that
//! delays the requests after it is charged to them too (no coordinated
//! omission).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use gatehouse_domain::seed::SeedManifest;
use hdrhistogram::Histogram;
use reqwest::{Client, Method, RequestBuilder};
use serde_json::json;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Scenario {
    /// `GET /health`: the ceiling.
    Health,
    /// App unlock by many distinct members, each at a door of their group.
    Unlock,
    /// A card at the reader of the holder's door.
    Card,
    /// Member search over every member (`GET /members?query=`).
    Search,
    /// Adding members (`POST /members`).
    Create,
    /// Password sign-in (`POST /logins`, Argon2id).
    SignIn,
}

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// The server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    url: String,
    /// The manifest `gatehouse seed` wrote.
    #[arg(long)]
    manifest: std::path::PathBuf,
    /// The password given to `gatehouse seed`.
    #[arg(long, env = "GATEHOUSE_OWNER_PASSWORD", hide_env_values = true)]
    password: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 2)]
    warm_up: u64,
    /// Requests per second for all connections together, on a fixed
    /// schedule; without it, as many as the server answers.
    #[arg(long)]
    rate: Option<f64>,
    /// Also print, to standard error, this many of the slowest measured
    /// requests: each one's `x-request-id` (which the server's request log
    /// carries), its latency, when it was sent (Unix seconds) and how late
    /// after it was due.
    #[arg(long, default_value_t = 0)]
    slowest: usize,
}

/// One measured request, for `--slowest`.
struct Sample {
    micros: u64,
    id: String,
    sent_unix: f64,
    late_micros: u64,
}

struct Load {
    client: Client,
    url: String,
    manifest: SeedManifest,
    owner: String,
    password: String,
    scenario: Scenario,
    /// The n-th request overall: picks the member, card or name.
    counter: AtomicU64,
    run: u64,
}

impl Load {
    fn request(&self) -> RequestBuilder {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let plan = &self.manifest.plan;
        let url = &self.url;
        let door = |member: u64| self.manifest.lock_ids[plan.door_of_member(member) as usize];
        match self.scenario {
            Scenario::Health => self.client.get(format!("{url}/health")),
            Scenario::Unlock => {
                let member = n % plan.logins;
                self.client
                    .post(format!("{url}/locks/{}/unlock", door(member)))
                    .header(
                        "Authorization",
                        format!("KISI-LOGIN {}", plan.login_secret(member)),
                    )
                    .json(&json!({}))
            }
            Scenario::Card => {
                let member = n % plan.cards.min(plan.members);
                let lock = plan.door_of_member(member);
                self.client
                    .post(format!("{url}/locks/{}/card_access", door(member)))
                    .header(
                        "Authorization",
                        format!("KISI-SERVICE {}", plan.reader_secret(lock)),
                    )
                    .json(&json!({"card": {"token": plan.card_token(member)}}))
            }
            Scenario::Search => {
                // "member01234" matches ten members among all of them.
                let prefix = format!("member{:05}", n % (plan.members / 10).max(1));
                self.client
                    .get(format!("{url}/members?query={prefix}&limit=50"))
                    .header("Authorization", format!("KISI-LOGIN {}", self.owner))
            }
            Scenario::Create => self
                .client
                .request(Method::POST, format!("{url}/members"))
                .header("Authorization", format!("KISI-LOGIN {}", self.owner))
                .json(
                    &json!({"member": {"email": format!("load-{}-{n}@bench.example", self.run)}}),
                ),
            Scenario::SignIn => {
                let member = n % plan.passwords;
                self.client.post(format!("{url}/logins")).json(&json!({
                    "login": {"type": "device", "name": "load"},
                    "user": {"domain": self.manifest.domain, "email": plan.member_email(member), "password": self.password},
                }))
            }
        }
    }
}

async fn sign_in_owner(
    client: &Client,
    url: &str,
    manifest: &SeedManifest,
    password: &str,
) -> anyhow::Result<String> {
    let reply: serde_json::Value = client
        .post(format!("{url}/logins"))
        .json(&json!({"login": {"type": "device", "name": "gatehouse-load"},
            "user": {"domain": manifest.domain, "email": manifest.owner_email, "password": password}}))
        .send()
        .await?
        .json()
        .await?;
    reply["secret"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("signing in as the owner: {reply}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let manifest: SeedManifest = serde_json::from_slice(
        &std::fs::read(&args.manifest)
            .with_context(|| format!("reading {}", args.manifest.display()))?,
    )?;
    let url = args.url.trim_end_matches('/').to_owned();
    let client = Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()?;
    // Signing in writes a login, and a write empties the server's caches:
    // only the scenarios that act as the owner sign in, so that the others
    // find the caches as the scenario before them left them.
    let owner = match args.scenario {
        Scenario::Search | Scenario::Create => {
            sign_in_owner(&client, &url, &manifest, &args.password).await?
        }
        _ => String::new(),
    };
    if args.scenario == Scenario::SignIn && manifest.plan.passwords == 0 {
        bail!("the seed gave no member a password (--passwords)");
    }
    let load = Arc::new(Load {
        client,
        url,
        manifest,
        owner,
        password: args.password.clone(),
        scenario: args.scenario,
        counter: AtomicU64::new(0),
        run: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
    });
    let warm_until = Instant::now() + Duration::from_secs(args.warm_up);
    let end = warm_until + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    let schedule = match args.rate {
        Some(rate) if !(rate > 0.0 && rate.is_finite()) => bail!("--rate must be above 0"),
        Some(rate) => Some(Duration::from_secs_f64(args.connections as f64 / rate)),
        None => None,
    };
    let begun = Instant::now();
    let slowest_wanted = args.slowest;
    for connection in 0..args.connections {
        let load = load.clone();
        // Each connection's requests fall due one interval apart, the
        // connections spread evenly across the interval.
        let mut due = begun
            + schedule.map_or(Duration::ZERO, |every| {
                every.mul_f64(connection as f64 / args.connections as f64)
            });
        workers.push(tokio::spawn(async move {
            let mut latencies =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
            let (mut ok, mut errors) = (0u64, 0u64);
            let mut slowest: Vec<Sample> = Vec::new();
            let mut sequence = 0u64;
            loop {
                let started = match schedule {
                    Some(every) => {
                        tokio::time::sleep_until(due.into()).await;
                        due += every;
                        due - every
                    }
                    None => Instant::now(),
                };
                if started >= end {
                    break;
                }
                sequence += 1;
                let id = format!("load-{connection}-{sequence}");
                let sent = Instant::now();
                let sent_unix = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or_default();
                let outcome = load
                    .request()
                    .header("x-request-id", id.as_str())
                    .send()
                    .await;
                let success = match outcome {
                    Ok(response) => {
                        let status = response.status();
                        let _ = response.bytes().await;
                        status.is_success()
                    }
                    Err(_) => false,
                };
                if started >= warm_until {
                    let micros = started.elapsed().as_micros().max(1) as u64;
                    let _ = latencies.record(micros.min(60_000_000));
                    if slowest_wanted > 0 {
                        slowest.push(Sample {
                            micros,
                            id,
                            sent_unix,
                            late_micros: sent.duration_since(started).as_micros() as u64,
                        });
                        if slowest.len() > 4 * slowest_wanted {
                            slowest.sort_by_key(|sample| std::cmp::Reverse(sample.micros));
                            slowest.truncate(slowest_wanted);
                        }
                    }
                    if success {
                        ok += 1
                    } else {
                        errors += 1
                    }
                }
            }
            (latencies, ok, errors, slowest)
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut ok, mut errors) = (0, 0);
    let mut slowest = Vec::new();
    for worker in workers {
        let (latencies, o, e, s) = worker.await?;
        all.add(latencies)?;
        ok += o;
        errors += e;
        slowest.extend(s);
    }
    slowest.sort_by_key(|sample| std::cmp::Reverse(sample.micros));
    for sample in slowest.iter().take(args.slowest) {
        eprintln!(
            "{}",
            json!({
                "id": sample.id,
                "ms": sample.micros as f64 / 1000.0,
                "sent_unix": sample.sent_unix,
                "late_ms": sample.late_micros as f64 / 1000.0,
            })
        );
    }
    let ms = |q: f64| all.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{}",
        json!({
            "scenario": format!("{:?}", args.scenario).to_lowercase(),
            "connections": args.connections,
            "rate": args.rate,
            "seconds": args.seconds,
            "requests": ok + errors,
            "errors": errors,
            "rps": (ok + errors) as f64 / args.seconds as f64,
            "p50_ms": ms(0.50),
            "p90_ms": ms(0.90),
            "p99_ms": ms(0.99),
            "p999_ms": ms(0.999),
            "max_ms": all.max() as f64 / 1000.0,
        })
    );
    Ok(())
}
