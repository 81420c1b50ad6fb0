//! What each command does.

use anyhow::{bail, Context};
use gatehouse_api::auth::hash_password;
use gatehouse_api::mail::Mailer;
use gatehouse_api::{Clock, SystemClock};
use gatehouse_domain::org::check_time_zone;
use gatehouse_domain::{
    Actor, Bootstrap, Email, NewOrganization, OrgDomain, Password, PlaceFields, Subscription,
};
use gatehouse_domain::{Assignee, GroupFields, LockFields, NewRoleAssignment, Role};
use gatehouse_store::{GroupQuery, Page, Store};
use rand::distributions::{Alphanumeric, DistString};

use crate::cli::{
    BootstrapArgs, CompactArgs, ExportArgs, FormatArg, ImportArgs, PurgeArgs, ServeArgs,
    SubscriptionArg, TapArgs,
};
use crate::server::{self, Limits};

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let url = args.storage.url();
    let store = gatehouse_store_sql::open(&url)
        .await
        .with_context(|| format!("opening the database {}", gatehouse_store_sql::redact(&url)))?;
    tracing::info!(backend = store.backend(), database = %gatehouse_store_sql::redact(&url), "database ready");
    if store.organizations_count().await? == 0 {
        if args.demo {
            create_demo(&*store).await?;
        } else {
            println!(
                "The database is empty. Create the first organization with:\n  \
                 GATEHOUSE_OWNER_PASSWORD='choose-a-password' gatehouse bootstrap --org-name 'Acme' \
                 --org-domain acme --owner-email you@example.com\n\
                 or start with sample data: gatehouse serve --demo"
            );
        }
    }
    let shutdown = server::shutdown_signal();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;
    println!(
        "gatehouse listening on http://{address}/ (API description: http://{address}/openapi.json)"
    );
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let mailer = match &args.smtp_url {
        Some(url) => Mailer::smtp(url, &args.mail_from, &public_url),
        None => Mailer::outbox(
            &args.storage.data_dir.join("outbox"),
            &args.mail_from,
            &public_url,
        ),
    }
    .map_err(anyhow::Error::msg)?;
    tracing::info!(via = mailer.describe(), public_url, "outgoing e-mail");
    let options = server::Options {
        limits: Limits {
            per_second: args.rate_limit_per_second,
            burst: args.rate_limit_burst,
        },
        data_dir: args.storage.data_dir.clone(),
        mailer,
        clock: std::sync::Arc::new(SystemClock),
    };
    server::serve(listener, store.clone(), options, shutdown).await?;
    // Every request has been answered: leave the database whole in its file.
    close(&*store).await;
    tracing::info!("stopped");
    Ok(())
}

/// Closes the store at the end of a command or of `serve`. A failure loses
/// nothing (the write-ahead log is replayed at the next start), so it is
/// reported, not made the command's own: in the server's log when there is
/// one (`serve`), on standard error otherwise.
pub(crate) async fn close(store: &dyn Store) {
    let Err(error) = store.close().await else {
        return;
    };
    let consequence = "its log is kept and replayed at the next start";
    if tracing::dispatcher::has_been_set() {
        tracing::warn!(%error, "closing the database: {consequence}");
    } else {
        eprintln!("warning: closing the database: {error}; {consequence}");
    }
}

pub async fn bootstrap(args: BootstrapArgs) -> anyhow::Result<()> {
    let Some(password) = args.owner_password.as_deref() else {
        bail!("no owner password: set GATEHOUSE_OWNER_PASSWORD (or pass --owner-password); there is no default");
    };
    let password =
        Password::parse(password).map_err(|e| anyhow::anyhow!("the owner password {e}"))?;
    let domain =
        OrgDomain::parse(&args.org_domain).map_err(|e| anyhow::anyhow!("--org-domain {e}"))?;
    let email =
        Email::parse(&args.owner_email).map_err(|e| anyhow::anyhow!("--owner-email {e}"))?;
    check_time_zone(&args.time_zone).map_err(|e| anyhow::anyhow!("--time-zone {e}"))?;
    let name = args.org_name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        bail!("--org-name must be 1 to 255 characters");
    }
    let subscription = match args.subscription {
        SubscriptionArg::Organizations => Subscription::Organizations,
        SubscriptionArg::Standard => Subscription::Standard,
    };
    let url = args.storage.url();
    let store = gatehouse_store_sql::open(&url)
        .await
        .with_context(|| format!("opening the database {}", gatehouse_store_sql::redact(&url)))?;
    let owner_name = args.owner_name.unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    let request = Bootstrap {
        organization: NewOrganization {
            name: name.to_owned(),
            domain,
            subscription,
            time_zone: args.time_zone,
        },
        owner_email: email,
        owner_name,
        owner_password_hash: hash_password(password.expose().to_owned()).await?,
    };
    let created = store
        .bootstrap(&request, SystemClock.now())
        .await
        .map_err(|e| match e {
            gatehouse_store::StoreError::Conflict {
                field: "domain", ..
            } => {
                anyhow::anyhow!(
                    "an organization with the domain {} already exists",
                    request.organization.domain
                )
            }
            other => anyhow::Error::new(other),
        })?;
    println!(
        "Created organization {} (id {}, domain {}, subscription {}).",
        created.organization.name,
        created.organization.id,
        created.organization.domain,
        created.organization.subscription
    );
    println!(
        "Owner: {} (user id {}).",
        created.owner.user_email, created.owner.user_id
    );
    if created.owner_existed {
        println!("That e-mail already had a user profile: it keeps its existing password.");
    }
    println!(
        "Sign in with POST /logins {{\"login\":{{\"type\":\"api\"}},\"user\":{{\"domain\":\"{}\",\"email\":\"{}\",\"password\":\"...\"}}}}",
        created.organization.domain, created.owner.user_email
    );
    close(&*store).await;
    Ok(())
}

/// A sample organization for trying gatehouse out, with a random password.
async fn create_demo(store: &dyn Store) -> anyhow::Result<()> {
    let password = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 16);
    let now = SystemClock.now();
    let created = store
        .bootstrap(
            &Bootstrap {
                organization: NewOrganization {
                    name: "Demo Company".into(),
                    domain: OrgDomain::parse("demo").map_err(anyhow::Error::msg)?,
                    subscription: Subscription::Organizations,
                    time_zone: "Europe/Berlin".into(),
                },
                owner_email: Email::parse("admin@demo.example").map_err(anyhow::Error::new)?,
                owner_name: "Demo Admin".into(),
                owner_password_hash: hash_password(password.clone()).await?,
            },
            now,
        )
        .await?;
    let actor = Actor::Operator;
    for (name, address, latitude, longitude) in [
        (
            "Headquarters",
            "Friedrichstraße 68, 10117 Berlin",
            52.5076,
            13.3904,
        ),
        (
            "Warehouse",
            "Am Treptower Park 75, 12435 Berlin",
            52.4930,
            13.4620,
        ),
    ] {
        let fields = PlaceFields {
            name: Some(name.into()),
            address: Some(address.into()),
            latitude: Some(Some(latitude)),
            longitude: Some(Some(longitude)),
            time_zone: Some(Some("Europe/Berlin".into())),
            ..PlaceFields::default()
        };
        let place = store
            .create_place(&actor, created.organization.id, &fields, now)
            .await?;
        let group = GroupFields {
            name: Some(format!("{name} staff")),
            place_id: Some(place.id),
            ..GroupFields::default()
        };
        let group = store
            .create_group(&actor, created.organization.id, &group, now)
            .await?;
        let door = LockFields {
            name: Some(format!("{name} entrance")),
            place_id: Some(place.id),
            latitude: Some(Some(latitude)),
            longitude: Some(Some(longitude)),
            ..LockFields::default()
        };
        let door = store
            .create_lock(&actor, created.organization.id, &door, now)
            .await?;
        store
            .create_group_lock(&actor, created.organization.id, group.id, door.id, now)
            .await?;
    }
    // People of each type, given access by e-mail as an administrator would.
    let org = created.organization.id;
    let groups = store
        .list_groups(
            org,
            &GroupQuery {
                page: Page::new(10, 0),
                ..GroupQuery::default()
            },
        )
        .await?;
    let people = [
        ("manager@demo.example", Role::GroupManager),
        ("employee@demo.example", Role::GroupBasic),
        ("contractor@demo.example", Role::GroupBasic),
    ];
    for (i, (email, role)) in people.into_iter().enumerate() {
        let group = &groups.items[i % groups.items.len()];
        let grant = NewRoleAssignment {
            role,
            scope: group.scope(),
            assignee: Assignee::Email(Email::parse(email).map_err(anyhow::Error::new)?),
            notify: false,
            valid_from: None,
            valid_until: None,
        };
        store
            .create_role_assignment(&actor, org, &grant, now)
            .await?;
    }
    println!("Demo organization created. Sign in with:");
    println!("  domain:   demo");
    println!("  e-mail:   admin@demo.example");
    println!("  password: {password}");
    Ok(())
}

pub async fn purge(args: PurgeArgs) -> anyhow::Result<()> {
    let email = Email::parse(&args.email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    if !args.yes {
        bail!("this deletes the user profile {email} with every membership, login and role assignment; pass --yes to confirm");
    }
    let url = args.storage.url();
    let store = gatehouse_store_sql::open(&url)
        .await
        .with_context(|| format!("opening the database {}", gatehouse_store_sql::redact(&url)))?;
    let report = store
        .purge_user(&email, SystemClock.now())
        .await
        .map_err(|e| match e {
            gatehouse_store::StoreError::NotFound => {
                anyhow::anyhow!("no user profile has the e-mail {email}")
            }
            gatehouse_store::StoreError::Conflict { message, .. } => {
                anyhow::anyhow!("{email} {message}")
            }
            other => anyhow::Error::new(other),
        })?;
    println!(
        "Purged user {} ({email}): {} membership(s), {} login(s), {} role assignment(s) removed.",
        report.user_id, report.memberships, report.logins, report.role_assignments
    );
    close(&*store).await;
    Ok(())
}

/// `gatehouse compact`: what a database long in service gains from being
/// rewritten (docs/benchmarks.md), on demand.
pub async fn compact(args: CompactArgs) -> anyhow::Result<()> {
    let url = args.storage.url();
    let store = gatehouse_store_sql::open(&url)
        .await
        .with_context(|| format!("opening the database {}", gatehouse_store_sql::redact(&url)))?;
    println!(
        "Compacting the {} database {} ...",
        store.backend(),
        gatehouse_store_sql::redact(&url)
    );
    let started = std::time::Instant::now();
    store.compact().await.context(
        "compacting (on SQLite, stop the server first: the rewrite needs the file to itself)",
    )?;
    println!("Compacted in {:.1} s.", started.elapsed().as_secs_f64());
    close(&*store).await;
    Ok(())
}

/// `gatehouse reader tap`: the reader's own path, from the command line.
pub async fn tap(args: TapArgs) -> std::process::ExitCode {
    let outcome = async {
        let identity = match (args.card_token, args.card_uid, args.card_number) {
            (Some(token), _, _) => gatehouse_domain::CardIdentity::Token(token),
            (_, Some(uid), _) => gatehouse_domain::CardIdentity::Uid(uid),
            (_, _, Some(number)) => {
                gatehouse_domain::CardIdentity::Numbers(args.facility_code, number)
            }
            _ => bail!(
                "name the card: --card-token, --card-uid, or --card-number (with --facility-code)"
            ),
        };
        let url = args.storage.url();
        let store = gatehouse_store_sql::open(&url).await.with_context(|| {
            format!("opening the database {}", gatehouse_store_sql::redact(&url))
        })?;
        let reader = store
            .authenticate_reader(&gatehouse_api::auth::hash_secret(&args.reader_secret))
            .await?
            .context("no reader has this secret")?;
        let opened = gatehouse_api::doors::open_with_card(
            &*store,
            &reader,
            reader.lock_id,
            &identity,
            args.pin,
            SystemClock.now(),
        )
        .await;
        close(&*store).await;
        Ok::<_, anyhow::Error>((reader, opened))
    }
    .await;
    match outcome {
        Ok((reader, Ok(()))) => {
            println!("Unlocked! ({} at door {})", reader.name, reader.lock_id);
            std::process::ExitCode::SUCCESS
        }
        Ok((_, Err(gatehouse_api::ApiError::Door(denial)))) => {
            println!("Denied: {} ({})", denial.message(), denial.code());
            std::process::ExitCode::from(3)
        }
        Ok((_, Err(other))) => {
            eprintln!("error: {other}");
            std::process::ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `gatehouse members export`: the export job, run here, with progress.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;

    let url = args.storage.url();
    let store = gatehouse_store_sql::open(&url)
        .await
        .with_context(|| format!("opening the database {}", gatehouse_store_sql::redact(&url)))?;
    let organization = store
        .organization_by_domain(&args.org_domain)
        .await
        .map_err(|_| anyhow::anyhow!("no organization has the domain {}", args.org_domain))?;
    let query = gatehouse_store::MemberQuery {
        place_id: args.place,
        group_id: args.group,
        page: Page::new(1, 0),
        ..gatehouse_store::MemberQuery::default()
    };
    let total = store.list_members(organization.id, &query).await?.total;
    let format = match args.format {
        FormatArg::Csv => gatehouse_domain::ExportFormat::Csv,
        FormatArg::Xlsx => gatehouse_domain::ExportFormat::Xlsx,
    };
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(0))
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} members ({per_sec}, {eta} left)",
        )
        .map_err(anyhow::Error::new)?,
    );
    let started = std::time::Instant::now();
    let mut progress = |written: i64| {
        if written % 500 == 0 {
            bar.set_position(u64::try_from(written).unwrap_or(0));
        }
    };
    let rows = gatehouse_api::exports::write(
        &*store,
        organization.id,
        format,
        &query,
        &args.output,
        &mut progress,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    bar.finish_and_clear();
    println!(
        "Exported {rows} members of {} to {} ({}) in {:.1} s.",
        organization.name,
        args.output.display(),
        format.as_str(),
        started.elapsed().as_secs_f64()
    );
    close(&*store).await;
    Ok(())
}

/// `gatehouse members import`: each row its own transaction, a summary at the end.
pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;

    let content =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let url = args.storage.url();
    let store = gatehouse_store_sql::open(&url)
        .await
        .with_context(|| format!("opening the database {}", gatehouse_store_sql::redact(&url)))?;
    let organization = store
        .organization_by_domain(&args.org_domain)
        .await
        .map_err(|_| anyhow::anyhow!("no organization has the domain {}", args.org_domain))?;
    let lines = content.iter().filter(|b| **b == b'\n').count() as u64;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(lines)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} rows ({per_sec}, {eta} left)",
        )
        .map_err(anyhow::Error::new)?,
    );
    let started = std::time::Instant::now();
    let mut progress = |done: u64| {
        if done.is_multiple_of(500) {
            bar.set_position(done);
        }
    };
    let summary = gatehouse_api::imports::import_csv(
        &*store,
        &Actor::Operator,
        organization.id,
        &content,
        &mut progress,
    )
    .await;
    bar.finish_and_clear();
    println!(
        "Imported {} into {} in {:.1} s: {} changed, {} already up to date, {} with errors.",
        args.file.display(),
        organization.name,
        started.elapsed().as_secs_f64(),
        summary.changed,
        summary.unchanged,
        summary.errors.len()
    );
    for (line, problems) in summary.errors.iter().take(20) {
        println!("  line {line}: {}", problems.join("; "));
    }
    if summary.errors.len() > 20 {
        println!(
            "  ... and {} more lines with errors",
            summary.errors.len() - 20
        );
    }
    close(&*store).await;
    Ok(())
}
