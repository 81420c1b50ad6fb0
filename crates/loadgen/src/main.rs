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
use tokio::sync::mpsc;

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

/// The moments each connection's requests fall due, `rate` a second for
/// all of them together, the connections spread evenly across each one's
/// interval; each receiver ends at `end`. They come from a thread of their
/// own: tokio's timers wake on whole milliseconds, which sent a paced
/// request 0.9 ms after it was due at the median and 2.2 ms at p99
/// (5,000 a second), all of it counted as the server's latency, and released
/// the requests of each millisecond in one burst. A thread's sleep is not
/// rounded: measured, 0.18-0.29 ms late at the median, most of it waiting
/// for one of the cores the server also uses.
fn pace(
    rate: f64,
    begun: Instant,
    end: Instant,
    connections: usize,
) -> Vec<mpsc::UnboundedReceiver<Instant>> {
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..connections).map(|_| mpsc::unbounded_channel()).unzip();
    std::thread::spawn(move || {
        for n in 0u64.. {
            let due = begun + Duration::from_nanos((n as f64 * 1e9 / rate).round() as u64);
            if due >= end {
                break;
            }
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            // A connection that has stopped (its task failed) wants no more.
            let _ = senders[n as usize % connections].send(due);
        }
    });
    receivers
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
    let rate = match args.rate {
        Some(rate) if !(rate > 0.0 && rate.is_finite()) => bail!("--rate must be above 0"),
        rate => rate,
    };
    let begun = Instant::now();
    let schedules: Vec<Option<_>> = match rate {
        Some(rate) => pace(rate, begun, end, args.connections)
            .into_iter()
            .map(Some)
            .collect(),
        None => (0..args.connections).map(|_| None).collect(),
    };
    let slowest_wanted = args.slowest;
    for (connection, mut schedule) in schedules.into_iter().enumerate() {
        let load = load.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
            let mut pacing_late =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
            let (mut ok, mut errors) = (0u64, 0u64);
            let mut slowest: Vec<Sample> = Vec::new();
            let mut sequence = 0u64;
            loop {
                // Paced, a request counts from when it fell due; `idle`:
                // the connection was waiting for it, so how late it was
                // sent is the pacing's own error, not the server's queue.
                let (started, idle) = match &mut schedule {
                    Some(dues) => {
                        let waiting_since = Instant::now();
                        let Some(due) = dues.recv().await else { break };
                        (due, waiting_since < due)
                    }
                    None => (Instant::now(), false),
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
                    if idle {
                        let late = sent.duration_since(started).as_micros().max(1) as u64;
                        let _ = pacing_late.record(late.min(60_000_000));
                    }
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
            (latencies, pacing_late, ok, errors, slowest)
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut all_late = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut ok, mut errors) = (0, 0);
    let mut slowest = Vec::new();
    for worker in workers {
        let (latencies, late, o, e, s) = worker.await?;
        all.add(latencies)?;
        all_late.add(late)?;
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
            "pacing_late_p50_ms": all_late.value_at_quantile(0.5) as f64 / 1000.0,
            "pacing_late_p99_ms": all_late.value_at_quantile(0.99) as f64 / 1000.0,
        })
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paces_every_connection_in_turn_until_the_end() {
        let begun = Instant::now();
        let end = begun + Duration::from_millis(50);
        let mut connections = pace(1000.0, begun, end, 4);
        let mut all = Vec::new();
        for (connection, dues) in connections.iter_mut().enumerate() {
            let mut mine = Vec::new();
            while let Some(due) = dues.recv().await {
                assert!(Instant::now() >= due, "released before it was due");
                mine.push(due);
            }
            assert_eq!(mine.len(), 50 / 4 + usize::from(connection < 50 % 4));
            assert_eq!(mine[0], begun + Duration::from_millis(connection as u64));
            for pair in mine.windows(2) {
                assert_eq!(pair[1] - pair[0], Duration::from_millis(4));
            }
            all.extend(mine);
        }
        assert_eq!(all.len(), 50, "a thousand a second for 50 ms");
        assert!(all.iter().all(|due| *due < end));
    }
}
