//! Loading the facts of an access decision, and recording the decision.

use std::collections::HashMap;

use chrono::Weekday;
use gatehouse_domain::access::{
    AccessFacts, GrantFacts, GroupFacts, LockFacts, MemberFacts, Schedule, WeeklyWindow,
};
use gatehouse_domain::{
    AccessRecord, AccessSubject, GroupRestrictions, MemberFlags, NewEvent, Role, Timestamp,
};
use gatehouse_store::{StoreError, StoreResult};
use serde_json::json;
use sqlx::Pool;

use super::cache::{self, Memo};
use super::{db, events, Db};

type LockRow = (
    i64,
    i64,
    bool,
    bool,
    Option<f64>,
    Option<f64>,
    bool,
    f64,
    bool,
    String,
);

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The facts of a decision, from the cache when the database has not
/// changed since they were loaded (they hold no time: the decision judges
/// validity windows and schedules at its own `now`).
pub(super) async fn facts(
    pool: &Pool<Db>,
    cache: &Memo<(i64, i64, AccessSubject), AccessFacts>,
    organization_id: i64,
    lock_id: i64,
    subject: AccessSubject,
) -> StoreResult<AccessFacts> {
    let generation = cache::generation(pool).await?;
    let key = (organization_id, lock_id, subject);
    if let Some(facts) = cache.get(generation, &key) {
        return Ok(facts);
    }
    let facts = load_facts(pool, organization_id, lock_id, subject).await?;
    cache.put(generation, key, facts.clone());
    Ok(facts)
}

async fn load_facts(
    pool: &Pool<Db>,
    organization_id: i64,
    lock_id: i64,
    subject: AccessSubject,
) -> StoreResult<AccessFacts> {
    let lock: Option<LockRow> = sqlx::query_as(
        "SELECT l.id, l.place_id, l.locked_down, p.locked_down, l.latitude, l.longitude, l.geofence_restriction_enabled, \
         l.geofence_restriction_radius, l.reader_restriction_enabled, COALESCE(p.time_zone, o.time_zone) \
         FROM locks l JOIN places p ON p.id = l.place_id JOIN organizations o ON o.id = l.organization_id \
         WHERE l.organization_id = $1 AND l.id = $2",
    )
    .bind(organization_id)
    .bind(lock_id)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    let Some((
        id,
        place_id,
        locked_down,
        place_locked_down,
        latitude,
        longitude,
        geofence,
        radius,
        reader,
        zone,
    )) = lock
    else {
        return Ok(AccessFacts {
            lock: None,
            member: None,
            grants: Vec::new(),
        });
    };
    let lock = LockFacts {
        id,
        place_id,
        locked_down,
        place_locked_down,
        latitude,
        longitude,
        geofence_restriction_enabled: geofence,
        geofence_restriction_radius: radius,
        reader_restriction_enabled: reader,
        time_zone: zone.parse().unwrap_or(chrono_tz::UTC),
    };
    let user_id = match subject {
        AccessSubject::User(user_id) => Some(user_id),
        AccessSubject::Link { user_id, .. } => user_id,
    };
    let member = match user_id {
        Some(user_id) => member_facts(pool, organization_id, user_id).await?,
        None => None,
    };
    // (role, group, valid_from, valid_until) of every way to this door.
    type Way = (String, Option<i64>, Option<Timestamp>, Option<Timestamp>);
    let raw: Vec<Way> = match subject {
        AccessSubject::User(user_id) => sqlx::query_as(&format!(
            "SELECT ra.role_id, CASE WHEN ra.applies_to_type = 'Group' THEN ra.applies_to_id END, ra.valid_from, ra.valid_until \
             FROM {} WHERE (ra.applies_to_type = 'Group' AND ra.applies_to_id IN (SELECT gl.group_id FROM group_locks gl WHERE gl.lock_id = $3)) \
             OR (ra.applies_to_type = 'Place' AND ra.applies_to_id = $4) OR ra.applies_to_type = 'Organization'",
            super::HELD_BY_USER
        ))
        .bind(organization_id)
        .bind(user_id)
        .bind(lock_id)
        .bind(place_id)
        .fetch_all(pool)
        .await
        .map_err(db)?,
        AccessSubject::Link { group_id, .. } => {
            let holds: Option<(i64,)> = sqlx::query_as("SELECT id FROM group_locks WHERE group_id = $1 AND lock_id = $2")
                .bind(group_id)
                .bind(lock_id)
                .fetch_optional(pool)
                .await
                .map_err(db)?;
            holds.map(|_| (Role::GroupBasic.id().to_owned(), Some(group_id), None, None)).into_iter().collect()
        }
    };
    let mut raw = raw;
    if let AccessSubject::User(user_id) = subject {
        // The owner holds no assignment, yet may open every door.
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT owner_user_id FROM organizations WHERE id = $1")
                .bind(organization_id)
                .fetch_one(pool)
                .await
                .map_err(db)?;
        if owner == Some(user_id) {
            raw.push((Role::OrganizationOwner.id().to_owned(), None, None, None));
        }
    }
    let group_ids: Vec<i64> = raw.iter().filter_map(|(_, group, _, _)| *group).collect();
    let groups = group_facts(pool, &group_ids).await?;
    let mut grants = Vec::with_capacity(raw.len());
    for (role, group, valid_from, valid_until) in raw {
        grants.push(GrantFacts {
            role: role.parse::<Role>().map_err(StoreError::Backend)?,
            valid_from,
            valid_until,
            group: group.and_then(|id| groups.get(&id).cloned()),
        });
    }
    Ok(AccessFacts {
        lock: Some(lock),
        member,
        grants,
    })
}

async fn member_facts(
    pool: &Pool<Db>,
    organization_id: i64,
    user_id: i64,
) -> StoreResult<Option<MemberFacts>> {
    let row: Option<(bool, bool, bool, bool, bool, bool)> = sqlx::query_as(
        "SELECT access_enabled, password_flow_enabled, link_enabled, app_enabled, card_enabled, cards_without_activation_enabled \
         FROM members WHERE organization_id = $1 AND user_id = $2",
    )
    .bind(organization_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(
        row.map(|(access, password, link, app, card, without)| MemberFacts {
            user_id,
            flags: MemberFlags {
                access_enabled: access,
                password_flow_enabled: password,
                link_enabled: link,
                app_enabled: app,
                card_enabled: card,
                cards_without_activation_enabled: without,
            },
        }),
    )
}

type GroupRow = (i64, bool, bool, bool, bool, bool, bool, bool, f64);

async fn group_facts(pool: &Pool<Db>, ids: &[i64]) -> StoreResult<HashMap<i64, GroupFacts>> {
    let mut groups = HashMap::new();
    if ids.is_empty() {
        return Ok(groups);
    }
    let mut sql = sqlx::QueryBuilder::<Db>::new(
        "SELECT id, login_enabled, geofence_restriction_enabled, primary_device_restriction_enabled, \
         managed_device_restriction_enabled, reader_restriction_enabled, time_restriction_enabled, \
         tap_to_access_restriction_enabled, geofence_restriction_radius FROM groups WHERE ",
    );
    super::visibility::push_in(&mut sql, "id", ids);
    let rows: Vec<GroupRow> = sql.build_query_as().fetch_all(pool).await.map_err(db)?;
    for (id, login, geofence, primary, managed, reader, time, tap, radius) in rows {
        let restrictions = GroupRestrictions {
            login_enabled: login,
            geofence,
            primary_device: primary,
            managed_device: managed,
            reader,
            time,
            tap_to_access: tap,
        };
        groups.insert(
            id,
            GroupFacts {
                id,
                restrictions,
                geofence_restriction_radius: radius,
                schedule: Schedule::default(),
            },
        );
    }
    let mut sql = sqlx::QueryBuilder::<Db>::new(
        "SELECT group_id, type, days, starts_at_minute, ends_at_minute, starts_at, ends_at FROM schedules WHERE enabled = TRUE AND ",
    );
    super::visibility::push_in(&mut sql, "group_id", ids);
    type ScheduleRow = (
        i64,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        Option<Timestamp>,
        Option<Timestamp>,
    );
    let rows: Vec<ScheduleRow> = sql.build_query_as().fetch_all(pool).await.map_err(db)?;
    for (group_id, kind, days, start, end, starts_at, ends_at) in rows {
        let Some(group) = groups.get_mut(&group_id) else {
            continue;
        };
        match (kind.as_str(), start, end, starts_at, ends_at) {
            ("recurring_event", Some(start), Some(end), _, _) => {
                group.schedule.weekly.push(WeeklyWindow {
                    days: WEEK
                        .iter()
                        .enumerate()
                        .filter(|(bit, _)| days & (1 << bit) != 0)
                        .map(|(_, day)| *day)
                        .collect(),
                    start_minute: u32::try_from(start).unwrap_or(0),
                    end_minute: u32::try_from(end).unwrap_or(0),
                })
            }
            ("single_event", _, _, Some(from), Some(until)) => {
                group.schedule.single.push((from, until))
            }
            _ => {}
        }
    }
    Ok(groups)
}

/// Writes one decision's event (and the member's last access) inside `tx`;
/// the recorder commits decisions in batches.
pub(super) async fn record(
    tx: &mut sqlx::Transaction<'_, Db>,
    organization_id: i64,
    record: &AccessRecord,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let lock: Option<(String, i64)> =
        sqlx::query_as("SELECT name, place_id FROM locks WHERE id = $1 AND organization_id = $2")
            .bind(record.lock_id)
            .bind(organization_id)
            .fetch_optional(&mut **tx)
            .await?;
    let (name, place_id) = lock.unwrap_or_else(|| (format!("#{}", record.lock_id), 0));
    let actor = match (record.user_id, &record.actor_name) {
        (Some(user_id), Some(name)) => gatehouse_domain::Actor::User {
            user_id,
            login_id: None,
            name: name.clone(),
            email: record.actor_email.clone().unwrap_or_default(),
        },
        _ => gatehouse_domain::Actor::Operator,
    };
    let mut event = NewEvent::change(
        organization_id,
        "Lock",
        "unlock",
        record.lock_id,
        name,
        json!({"group_id": record.group_id}),
    );
    event.success = record.success;
    event.error_code = record.error_code.map(str::to_owned);
    event.message = record.message.map(str::to_owned);
    event.place_id = (place_id != 0).then_some(place_id);
    events::record_authenticated(
        tx,
        &actor,
        event,
        record.authenticated_by,
        record.actor_name.as_deref(),
        now,
    )
    .await?;
    if let (true, Some(user_id)) = (record.success, record.user_id) {
        sqlx::query("UPDATE members SET last_accessed_at = $1, last_accessed_lock_id = $2 WHERE organization_id = $3 AND user_id = $4")
            .bind(now)
            .bind(record.lock_id)
            .bind(organization_id)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
