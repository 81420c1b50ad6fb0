//! `gatehouse seed`: a large, deterministic benchmark organization.

use std::io::IsTerminal;
use std::sync::Mutex;

use anyhow::{bail, Context};
use gatehouse_api::auth::{hash_password, hash_secret};
use gatehouse_api::{Clock, SystemClock};
use gatehouse_domain::seed::{SeedManifest, SeedPlan};
use gatehouse_domain::{Bootstrap, Email, NewOrganization, OrgDomain, Password, Subscription};

use crate::cli::SeedArgs;

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let Some(password) = args.password.as_deref() else {
        bail!(
            "no password: set GATEHOUSE_OWNER_PASSWORD (or pass --password); there is no default"
        );
    };
    let password = Password::parse(password).map_err(|e| anyhow::anyhow!("the password {e}"))?;
    let domain =
        OrgDomain::parse(&args.org_domain).map_err(|e| anyhow::anyhow!("--org-domain {e}"))?;
    let plan = SeedPlan {
        seed: args.seed,
        places: args.places,
        locks: args.locks,
        groups: args.groups,
        members: args.members,
        role_assignments: args.role_assignments,
        cards: args.cards,
        events: args.events,
        logins: args.logins,
        passwords: args.passwords,
    };
    plan.check().map_err(anyhow::Error::msg)?;
    let url = args.storage.url();
    let store = gatehouse_store_sql::open(&url)
        .await
        .with_context(|| format!("opening the database {}", gatehouse_store_sql::redact(&url)))?;
    let hash = hash_password(password.expose().to_owned()).await?;
    let owner_email = format!("owner@{domain}.example");
    let now = SystemClock.now();
    let created = store
        .bootstrap(
            &Bootstrap {
                organization: NewOrganization {
                    name: format!("{domain} benchmark"),
                    domain: domain.clone(),
                    subscription: Subscription::Organizations,
                    time_zone: "Europe/Berlin".into(),
                },
                owner_email: Email::parse(&owner_email).map_err(anyhow::Error::msg)?,
                owner_name: "Benchmark Owner".into(),
                owner_password_hash: hash.clone(),
            },
            now,
        )
        .await
        .with_context(|| format!("creating the organization {domain} (does it exist already?)"))?;
    let started = std::time::Instant::now();
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>16} {bar:40} {pos}/{len} ({per_sec})")
            .map_err(anyhow::Error::new)?,
    );
    // Without a terminal, one line per table when it is done.
    let last = Mutex::new("");
    let progress = |table: &'static str, written: u64, total: u64| {
        bar.set_message(table);
        bar.set_length(total);
        bar.set_position(written);
        if written == total && bar.is_hidden() {
            if let Ok(mut last) = last.lock() {
                if *last != table {
                    *last = table;
                    eprintln!(
                        "{table}: {total} ({:.1} s)",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }
    };
    let lock_ids = store
        .seed(
            created.organization.id,
            &plan,
            &hash,
            hash_secret,
            now,
            &progress,
        )
        .await?;
    bar.finish_and_clear();
    let manifest = SeedManifest {
        plan,
        domain: domain.to_string(),
        owner_email,
        lock_ids,
    };
    let path = args
        .manifest
        .unwrap_or_else(|| args.storage.data_dir.join("bench-manifest.json"));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, serde_json::to_vec(&manifest)?)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "Seeded {domain} in {:.1} s: {} members, {} groups, {} doors in {} places, {} role assignments, \
         {} cards, {} events. Manifest: {}",
        started.elapsed().as_secs_f64(),
        plan.members,
        plan.groups,
        plan.locks,
        plan.places,
        plan.role_assignments,
        plan.cards,
        plan.events,
        path.display()
    );
    crate::commands::close(&*store).await;
    Ok(())
}
