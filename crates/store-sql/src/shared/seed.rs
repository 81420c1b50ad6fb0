//! Bulk generation of a benchmark organization (`gatehouse seed`): the
//! plan's rows written with multi-row inserts, one transaction per table.

use super::conns::Conns;
use gatehouse_domain::seed::SeedPlan;
use gatehouse_domain::{CardIdentity, MemberFlags, Subscription, Timestamp};
use gatehouse_store::{SeedProgress, StoreResult};
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Transaction};

use super::{db, Db};

/// Rows per statement: well under both databases' limit on parameters.
const BATCH: u64 = 1_000;

/// Inserts `count` rows, `BATCH` per statement, in one transaction; returns
/// the new ids in order when `returning` is set.
async fn bulk<F>(
    pool: &Conns,
    head: &str,
    count: u64,
    returning: bool,
    label: &'static str,
    progress: &SeedProgress<'_>,
    mut row: F,
) -> StoreResult<Vec<i64>>
where
    F: FnMut(&mut Separated<'_, '_, Db, &'static str>, u64),
{
    let mut tx: Transaction<'_, Db> = super::begin(pool).await?;
    let mut ids = Vec::with_capacity(if returning { count as usize } else { 0 });
    let mut start = 0;
    while start < count {
        let end = (start + BATCH).min(count);
        let mut sql = QueryBuilder::<Db>::new(head);
        sql.push_values(start..end, |mut b, i| row(&mut b, i));
        if returning {
            sql.push(" RETURNING id");
            let batch: Vec<(i64,)> = sql.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
            ids.extend(batch.into_iter().map(|(id,)| id));
        } else {
            sql.build().execute(&mut *tx).await.map_err(db)?;
        }
        start = end;
        progress(label, end, count);
    }
    tx.commit().await.map_err(db)?;
    Ok(ids)
}

pub(super) async fn seed(
    pool: &Conns,
    organization_id: i64,
    plan: &SeedPlan,
    password_hash: &str,
    hash_secret: fn(&str) -> Vec<u8>,
    now: Timestamp,
    progress: &SeedProgress<'_>,
) -> StoreResult<Vec<i64>> {
    let org = organization_id;
    let places = bulk(
        pool,
        "INSERT INTO places (organization_id, name, search, address, time_zone, created_at, updated_at) ",
        plan.places,
        true,
        "places",
        progress,
        |b, i| {
            let name = format!("Site {i:02}");
            b.push_bind(org)
                .push_bind(name.to_lowercase())
                .push_bind(name.to_lowercase())
                .push_bind(format!("{} Bench Street", i + 1))
                .push_bind("Europe/Berlin")
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    let locks = bulk(
        pool,
        "INSERT INTO locks (organization_id, place_id, name, search, created_at, updated_at) ",
        plan.locks,
        true,
        "doors",
        progress,
        |b, i| {
            let name = format!("Door {i:04}");
            b.push_bind(org)
                .push_bind(places[plan.place_of_lock(i) as usize])
                .push_bind(name.clone())
                .push_bind(name.to_lowercase())
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    let groups = bulk(
        pool,
        "INSERT INTO groups (organization_id, place_id, name, search, created_at, updated_at) ",
        plan.groups,
        true,
        "groups",
        progress,
        |b, i| {
            let name = format!("Group {i:04}");
            b.push_bind(org)
                .push_bind(places[plan.place_of_group(i) as usize])
                .push_bind(name.clone())
                .push_bind(name.to_lowercase())
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    bulk(
        pool,
        "INSERT INTO group_locks (organization_id, group_id, lock_id, created_at, updated_at) ",
        plan.locks,
        false,
        "group doors",
        progress,
        |b, i| {
            b.push_bind(org)
                .push_bind(groups[plan.group_of_lock(i) as usize])
                .push_bind(locks[i as usize])
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    let users = bulk(
        pool,
        "INSERT INTO users (email, name, password_hash, created_at, updated_at) ",
        plan.members,
        true,
        "users",
        progress,
        |b, i| {
            b.push_bind(plan.member_email(i))
                .push_bind(plan.member_name(i))
                .push_bind((i < plan.passwords).then(|| password_hash.to_owned()))
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    // Roles before members, and members inserted with what their roles
    // make them (all basic roles in groups; migration 0013): the triggers
    // that keep those columns then find nothing to write, where roles given
    // to existing members would write every member twice.
    bulk(
        pool,
        "INSERT INTO role_assignments (organization_id, role_id, applies_to_type, applies_to_id, place_id, \
         assignee_type, assignee_id, created_at, updated_at) ",
        plan.role_assignments,
        false,
        "role assignments",
        progress,
        |b, k| {
            let (member, round) = plan.assignment(k);
            let group = plan.group_of_member(member, round);
            b.push_bind(org)
                .push_bind("group_basic")
                .push_bind("Group")
                .push_bind(groups[group as usize])
                .push_bind(places[plan.place_of_group(group) as usize])
                .push_bind("User")
                .push_bind(users[member as usize])
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    let flags = MemberFlags::defaults(Subscription::Organizations);
    // Members start with the last access their history below ends on, so
    // the events' last-access trigger finds nothing newer to write: a
    // history of a million events costs no member updates.
    let groups_held =
        |member: u64| i32::try_from(plan.assignments_of_member(member)).unwrap_or(i32::MAX);
    let last_grants = plan.last_grants();
    let last_access = |member: u64| {
        last_grants[member as usize].map(|e| {
            let event = plan.past_event(e);
            (
                now - chrono::Duration::seconds(event.seconds_ago),
                locks[event.lock as usize],
            )
        })
    };
    bulk(
        pool,
        "INSERT INTO members (organization_id, user_id, metadata, access_enabled, password_flow_enabled, \
         link_enabled, app_enabled, card_enabled, cards_without_activation_enabled, search, \
         last_accessed_at, last_accessed_lock_id, shares_count, direct_rank, created_at, updated_at) ",
        plan.members,
        false,
        "members",
        progress,
        |b, i| {
            let (accessed_at, accessed_lock) = last_access(i).unzip();
            b.push_bind(org)
                .push_bind(users[i as usize])
                .push_bind("{}")
                .push_bind(flags.access_enabled)
                .push_bind(i < plan.passwords)
                .push_bind(flags.link_enabled)
                .push_bind(flags.app_enabled)
                .push_bind(flags.card_enabled)
                .push_bind(flags.cards_without_activation_enabled)
                .push_bind(gatehouse_domain::members::member_search_text(
                    &plan.member_name(i),
                    &plan.member_email(i),
                    None,
                ))
                .push_bind(accessed_at)
                .push_bind(accessed_lock)
                .push_bind(groups_held(i))
                .push_bind(i32::from(groups_held(i) > 0))
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    let cards = bulk(
        pool,
        "INSERT INTO cards (organization_id, type, identity, token, created_at, updated_at) ",
        plan.cards,
        true,
        "cards",
        progress,
        |b, i| {
            let token = plan.card_token(i);
            b.push_bind(org)
                .push_bind("mifare_desfire")
                .push_bind(CardIdentity::Token(token.clone()).key())
                .push_bind(token)
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    bulk(
        pool,
        "INSERT INTO card_assignments (organization_id, card_id, user_id, status, created_at, updated_at) ",
        plan.cards,
        false,
        "card assignments",
        progress,
        |b, i| {
            b.push_bind(org)
                .push_bind(cards[i as usize])
                .push_bind(users[i as usize])
                .push_bind("activated")
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    bulk(
        pool,
        "INSERT INTO readers (organization_id, lock_id, name, secret_hash, created_at, updated_at) ",
        plan.groups,
        false,
        "readers",
        progress,
        |b, lock| {
            b.push_bind(org)
                .push_bind(locks[lock as usize])
                .push_bind(format!("Reader {lock:04}"))
                .push_bind(hash_secret(&plan.reader_secret(lock)))
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    bulk(
        pool,
        "INSERT INTO logins (organization_id, user_id, secret_hash, type, name, expire, created_at, updated_at) ",
        plan.logins,
        false,
        "logins",
        progress,
        |b, i| {
            b.push_bind(org)
                .push_bind(users[i as usize])
                .push_bind(hash_secret(&plan.login_secret(i)))
                .push_bind("device")
                .push_bind("bench")
                .push_bind(false)
                .push_bind(now)
                .push_bind(now);
        },
    )
    .await?;
    // A month of history: mostly granted unlocks, one in twenty denied.
    bulk(
        pool,
        "INSERT INTO events (uuid, organization_id, type, actor_type, actor_id, actor_name, actor_email, \
         object_type, object_id, object_name, place_id, success, error_code, details, created_at) ",
        plan.events,
        false,
        "events",
        progress,
        |b, e| {
            let event = plan.past_event(e);
            let (r, member, lock, denied) = (event.draw, event.member, event.lock, event.denied);
            let at = now - chrono::Duration::seconds(event.seconds_ago);
            b.push_bind(format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                r >> 32,
                (r >> 16) & 0xffff,
                r & 0xfff,
                (e >> 48) & 0xfff,
                e & 0xffff_ffff_ffff
            ))
            .push_bind(org)
            .push_bind("lock.unlock")
            .push_bind("User")
            .push_bind(users[member as usize])
            .push_bind(plan.member_name(member))
            .push_bind(plan.member_email(member))
            .push_bind("Lock")
            .push_bind(locks[lock as usize])
            .push_bind(format!("Door {lock:04}"))
            .push_bind(places[plan.place_of_lock(lock) as usize])
            .push_bind(!denied)
            .push_bind(denied.then_some("fcd8ef"))
            .push_bind("{}")
            .push_bind(at);
        },
    )
    .await?;
    // Fresh statistics, so the planners use the indexes on the new data,
    // and a compact file.
    compact(pool).await?;
    Ok(locks)
}

/// Indexes the events not yet found by object (SQLite), then runs the
/// backend's `COMPACT` statements, in order.
pub(super) async fn compact(pool: &Conns) -> StoreResult<()> {
    let mut held = pool.hold().await.map_err(db)?;
    super::super::index_events_apart(&mut held)
        .await
        .map_err(db)?;
    drop(held);
    for statement in super::super::COMPACT {
        sqlx::query(statement).execute(pool).await.map_err(db)?;
    }
    Ok(())
}
