//! Loading the facts of an access decision, and recording the decision.

use std::collections::HashMap;
use std::sync::Arc;

use super::conns::Conns;
use chrono::Weekday;
use gatehouse_domain::access::{
    AccessFacts, GrantFacts, GroupFacts, LockFacts, MemberFacts, Schedule, WeeklyWindow,
};
use gatehouse_domain::{
    AccessRecord, AccessSubject, Actor, Authority, GroupRestrictions, MemberFlags, NewEvent, Role,
    Scope, Timestamp,
};
use gatehouse_store::StoreResult;
use serde_json::json;

use super::cache::Caches;
use super::{db, events, Db};

type LockRow = (
    i64,
    String,
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

/// A door as decisions see it, with the groups that hold it: the same for
/// every member, so one load serves everyone who comes to it.
#[derive(Clone)]
pub(super) struct Door {
    lock: LockFacts,
    groups: HashMap<i64, GroupFacts>,
}

/// What a user may do in an organization: their flags (when a member) and
/// their roles.
#[derive(Clone)]
pub(super) struct Person {
    pub(super) flags: Option<MemberFlags>,
    pub(super) authority: Authority,
}

/// The facts of a decision, assembled from the cached door and the cached
/// person; both hold no time (the decision judges validity windows and
/// schedules at its own `now`).
pub(super) async fn facts(
    pool: &Conns,
    caches: &Caches,
    organization_id: i64,
    lock_id: i64,
    subject: AccessSubject,
) -> StoreResult<AccessFacts> {
    let generation = caches.generation.current().await?;
    let Some(door) = door(pool, caches, generation, organization_id, lock_id).await? else {
        return Ok(AccessFacts {
            lock: None,
            member: None,
            grants: Vec::new(),
        });
    };
    let (user_id, link_group) = match subject {
        AccessSubject::User(user_id) => (Some(user_id), None),
        AccessSubject::Link { group_id, user_id } => (user_id, Some(group_id)),
    };
    let person = match user_id {
        Some(user_id) => Some(person(pool, caches, generation, organization_id, user_id).await?),
        None => None,
    };
    let grants = match (link_group, &person) {
        // A link opens its own group's doors, and only those.
        (Some(group_id), _) => door
            .groups
            .get(&group_id)
            .map(|group| GrantFacts {
                role: Role::GroupBasic,
                valid_from: None,
                valid_until: None,
                group: Some(group.clone()),
            })
            .into_iter()
            .collect(),
        (None, Some(person)) => ways_in(&door, &person.authority),
        (None, None) => Vec::new(),
    };
    let member = user_id.zip(person.and_then(|p| p.flags));
    Ok(AccessFacts {
        lock: Some(door.lock.clone()),
        member: member.map(|(user_id, flags)| MemberFacts { user_id, flags }),
        grants,
    })
}

/// Every role that reaches the door: on a group holding it, on its place,
/// on the organization; the owner reaches every door.
fn ways_in(door: &Door, authority: &Authority) -> Vec<GrantFacts> {
    let mut ways: Vec<GrantFacts> = authority
        .grants
        .iter()
        .filter_map(|grant| {
            let group = match grant.scope {
                Scope::Group { id, .. } => Some(door.groups.get(&id)?.clone()),
                Scope::Place(place_id) if place_id == door.lock.place_id => None,
                Scope::Organization => None,
                Scope::Place(_) | Scope::Team(_) => return None,
            };
            Some(GrantFacts {
                role: grant.role,
                valid_from: grant.valid_from,
                valid_until: grant.valid_until,
                group,
            })
        })
        .collect();
    if authority.is_owner {
        ways.push(GrantFacts {
            role: Role::OrganizationOwner,
            valid_from: None,
            valid_until: None,
            group: None,
        });
    }
    ways
}

/// A user's flags and roles in an organization, cached at `generation`.
pub(super) async fn person(
    pool: &Conns,
    caches: &Caches,
    generation: i64,
    organization_id: i64,
    user_id: i64,
) -> StoreResult<Arc<Person>> {
    let key = (organization_id, user_id);
    if let Some(person) = caches.people.get(generation, &key) {
        return Ok(person);
    }
    let organization =
        super::organizations::cached(pool, caches, generation, organization_id).await?;
    let flags = member_flags(pool, organization_id, user_id).await?;
    let authority = Authority {
        is_owner: organization.owner_user_id == Some(user_id),
        grants: super::members::grants(pool, organization_id, user_id).await?,
    };
    let person = Arc::new(Person { flags, authority });
    caches.people.put(generation, key, person.clone());
    Ok(person)
}

async fn door(
    pool: &Conns,
    caches: &Caches,
    generation: i64,
    organization_id: i64,
    lock_id: i64,
) -> StoreResult<Option<Arc<Door>>> {
    let key = (organization_id, lock_id);
    if let Some(door) = caches.doors.get(generation, &key) {
        return Ok(door);
    }
    let door = load_door(pool, organization_id, lock_id)
        .await?
        .map(Arc::new);
    caches.doors.put(generation, key, door.clone());
    Ok(door)
}

async fn load_door(pool: &Conns, organization_id: i64, lock_id: i64) -> StoreResult<Option<Door>> {
    let lock: Option<LockRow> = sqlx::query_as(
        "SELECT l.id, l.name, l.place_id, l.locked_down, p.locked_down, l.latitude, l.longitude, l.geofence_restriction_enabled, \
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
        name,
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
        return Ok(None);
    };
    let lock = LockFacts {
        id,
        name,
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
    let groups = groups_holding(pool, lock_id).await?;
    Ok(Some(Door { lock, groups }))
}

async fn member_flags(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
) -> StoreResult<Option<MemberFlags>> {
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
        row.map(|(access, password, link, app, card, without)| MemberFlags {
            access_enabled: access,
            password_flow_enabled: password,
            link_enabled: link,
            app_enabled: app,
            card_enabled: card,
            cards_without_activation_enabled: without,
        }),
    )
}

type GroupRow = (i64, bool, bool, bool, bool, bool, bool, bool, f64);

/// The groups that hold a door, with their restrictions and, for those
/// restricted in time, their schedules.
async fn groups_holding(pool: &Conns, lock_id: i64) -> StoreResult<HashMap<i64, GroupFacts>> {
    let mut groups = HashMap::new();
    let rows: Vec<GroupRow> = sqlx::query_as(
        "SELECT g.id, g.login_enabled, g.geofence_restriction_enabled, g.primary_device_restriction_enabled, \
         g.managed_device_restriction_enabled, g.reader_restriction_enabled, g.time_restriction_enabled, \
         g.tap_to_access_restriction_enabled, g.geofence_restriction_radius \
         FROM group_locks gl JOIN groups g ON g.id = gl.group_id WHERE gl.lock_id = $1",
    )
    .bind(lock_id)
    .fetch_all(pool)
    .await
    .map_err(db)?;
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
    let timed: Vec<i64> = groups
        .values()
        .filter(|group| group.restrictions.time)
        .map(|group| group.id)
        .collect();
    if timed.is_empty() {
        return Ok(groups);
    }
    let mut sql = sqlx::QueryBuilder::<Db>::new(
        "SELECT group_id, type, days, starts_at_minute, ends_at_minute, starts_at, ends_at FROM schedules WHERE enabled = TRUE AND ",
    );
    super::visibility::push_in(&mut sql, "group_id", &timed);
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

/// Writes decisions' events in one statement. A granted member's last
/// access follows from its event (trigger `events_last_access`, migration
/// 0011), so the statement alone is the whole write: the recorder needs no
/// transaction around it, and one round trip stores a batch.
pub(super) async fn record_all<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    decisions: &[(i64, &AccessRecord, Timestamp)],
) -> Result<(), sqlx::Error> {
    let actors: Vec<Actor> = decisions
        .iter()
        .map(
            |(_, record, _)| match (record.user_id, &record.actor_name) {
                (Some(user_id), Some(name)) => Actor::User {
                    user_id,
                    login_id: None,
                    name: name.clone(),
                    email: record.actor_email.clone().unwrap_or_default(),
                },
                _ => Actor::Operator,
            },
        )
        .collect();
    let events = decisions
        .iter()
        .zip(&actors)
        .map(|(&(organization_id, record, at), actor)| {
            let mut event = NewEvent::change(
                organization_id,
                "Lock",
                "unlock",
                record.lock_id,
                record.lock_name.clone(),
                json!({"group_id": record.group_id}),
            );
            event.success = record.success;
            event.error_code = record.error_code.map(str::to_owned);
            event.message = record.message.map(str::to_owned);
            event.place_id = Some(record.place_id);
            events::Decision {
                actor,
                event,
                authenticated_by: record.authenticated_by,
                credential_name: record.actor_name.as_deref(),
                at,
            }
        })
        .collect();
    events::record_decisions(executor, events).await
}
