//! The append-only event log: every store write records its event inside
//! its own transaction, so a change and its audit entry land together.

use super::conns::Conns;
use gatehouse_domain::{Actor, Event, NewEvent, Timestamp};
use gatehouse_store::{EventQuery, Paged, StoreResult};
use sqlx::{QueryBuilder, Transaction};

use super::rows::{EventRow, EVENT_SELECT};
use super::visibility::push_in;
use super::{db, fetch_page, Db};

/// Who an event is attributed to, and by which credential.
struct Source<'a> {
    actor_type: Option<&'a str>,
    actor_id: Option<i64>,
    actor_name: Option<&'a str>,
    actor_email: Option<&'a str>,
    authenticated_by: Option<(&'a str, i64)>,
}

impl<'a> Source<'a> {
    fn of(actor: &'a Actor) -> Self {
        match actor {
            Actor::User {
                user_id,
                login_id,
                name,
                email,
            } => Source {
                actor_type: Some("User"),
                actor_id: Some(*user_id),
                actor_name: Some(name),
                actor_email: Some(email),
                authenticated_by: login_id.map(|id| ("Login", id)),
            },
            Actor::Operator => Source {
                actor_type: None,
                actor_id: None,
                actor_name: Some("gatehouse operator"),
                actor_email: None,
                authenticated_by: None,
            },
        }
    }
}

pub(super) async fn record(
    tx: &mut Transaction<'_, Db>,
    actor: &Actor,
    event: NewEvent,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    insert(tx, Source::of(actor), event, now).await
}

/// An access decision's event, waiting to be written with others.
pub(super) struct Decision<'a> {
    pub(super) actor: &'a Actor,
    pub(super) event: NewEvent,
    pub(super) authenticated_by: (&'a str, i64),
    /// The credential's own name (a link's), for decisions without a person.
    pub(super) credential_name: Option<&'a str>,
    pub(super) at: Timestamp,
}

/// Access decisions, in one statement: each attributed to the person when
/// there is one, else to the credential itself (a visitor's link, an
/// unknown card).
pub(super) async fn record_decisions<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    decisions: Vec<Decision<'_>>,
) -> Result<(), sqlx::Error> {
    let rows = decisions.into_iter().map(|decision| {
        let mut source = Source::of(decision.actor);
        if matches!(decision.actor, Actor::Operator) {
            source = Source {
                actor_type: Some(decision.authenticated_by.0),
                actor_id: Some(decision.authenticated_by.1),
                actor_name: decision.credential_name,
                actor_email: None,
                authenticated_by: None,
            };
        }
        source.authenticated_by = Some(decision.authenticated_by);
        (source, decision.event, decision.at)
    });
    insert_all(executor, rows).await
}

async fn insert(
    tx: &mut Transaction<'_, Db>,
    source: Source<'_>,
    event: NewEvent,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    insert_all(&mut **tx, std::iter::once((source, event, now))).await
}

/// A time-ordered UUID (version 7, from the event's own time): new events'
/// ids land at the end of the `uuid` index instead of on a random page of
/// it, so writing an event dirties one index page, not one per event.
fn event_uuid(at: Timestamp) -> uuid::Uuid {
    let nanos = at.timestamp_subsec_nanos();
    let seconds = u64::try_from(at.timestamp()).unwrap_or(0);
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, seconds, nanos))
}

async fn insert_all<'a, 'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    rows: impl Iterator<Item = (Source<'a>, NewEvent, Timestamp)>,
) -> Result<(), sqlx::Error> {
    let mut sql = QueryBuilder::<Db>::new(
        "INSERT INTO events (uuid, organization_id, type, actor_type, actor_id, actor_name, \
         actor_email, authenticated_by_type, authenticated_by_id, object_type, object_id, \
         object_name, place_id, success, error_code, message, details, created_at) ",
    );
    let mut any = false;
    sql.push_values(rows, |mut row, (source, event, at)| {
        any = true;
        row.push_bind(event_uuid(at).to_string())
            .push_bind(event.organization_id)
            .push_bind(event.event_type())
            .push_bind(source.actor_type.map(str::to_owned))
            .push_bind(source.actor_id)
            .push_bind(source.actor_name.map(str::to_owned))
            .push_bind(source.actor_email.map(str::to_owned))
            .push_bind(source.authenticated_by.map(|(kind, _)| kind.to_owned()))
            .push_bind(source.authenticated_by.map(|(_, id)| id))
            .push_bind(event.object_type)
            .push_bind(event.object_id)
            .push_bind(event.object_name)
            .push_bind(event.place_id)
            .push_bind(event.success)
            .push_bind(event.error_code)
            .push_bind(event.message)
            .push_bind(event.details.to_string())
            .push_bind(at);
    });
    if !any {
        return Ok(());
    }
    sql.build().execute(executor).await.map(drop)
}

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    query: &EventQuery,
) -> StoreResult<Paged<Event>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| push_filters(sql, organization_id, query);
    let (rows, total) = fetch_page::<EventRow>(
        pool,
        "SELECT COUNT(*) FROM events e",
        EVENT_SELECT,
        &filter,
        " ORDER BY e.sequence DESC",
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows.into_iter().map(Event::from).collect(),
        total,
    })
}

fn push_filters(sql: &mut QueryBuilder<'_, Db>, organization_id: i64, query: &EventQuery) {
    sql.push(" WHERE e.organization_id = ")
        .push_bind(organization_id);
    if let Some(event_type) = &query.event_type {
        sql.push(" AND e.type = ").push_bind(event_type.clone());
    }
    if let Some(types) = &query.event_types {
        sql.push(" AND e.type IN (");
        let mut list = sql.separated(", ");
        for kind in types {
            list.push_bind(kind.clone());
        }
        list.push_unseparated(")");
    }
    if let Some(uuids) = &query.uuids {
        sql.push(" AND e.uuid IN (");
        let mut list = sql.separated(", ");
        for uuid in uuids {
            list.push_bind(uuid.clone());
        }
        list.push_unseparated(")");
    }
    if let Some(actor_type) = &query.actor_type {
        sql.push(" AND e.actor_type = ")
            .push_bind(actor_type.clone());
    }
    if let Some((kind, id)) = &query.authenticated_by {
        sql.push(" AND e.authenticated_by_type = ")
            .push_bind(kind.clone())
            .push(" AND e.authenticated_by_id = ")
            .push_bind(*id);
    }
    if let Some(before) = query.before_sequence {
        sql.push(" AND e.sequence < ").push_bind(before);
    }
    if let Some(object_type) = &query.object_type {
        sql.push(" AND e.object_type = ")
            .push_bind(object_type.clone());
    }
    if let Some(object_id) = query.object_id {
        sql.push(" AND e.object_id = ").push_bind(object_id);
    }
    if let (Some(object_type), Some(object_id)) = (&query.object_type, query.object_id) {
        super::super::push_events_of_object(sql, organization_id, object_type, object_id);
    }
    if let Some(actor_id) = query.actor_id {
        sql.push(" AND e.actor_id = ").push_bind(actor_id);
    }
    if let Some(place_id) = query.place_id {
        sql.push(" AND e.place_id = ").push_bind(place_id);
    }
    if let Some(success) = query.success {
        sql.push(" AND e.success = ").push_bind(success);
    }
    if let Some(since) = query.since {
        sql.push(" AND e.created_at >= ").push_bind(since);
    }
    if let Some(until) = query.until {
        sql.push(" AND e.created_at < ").push_bind(until);
    }
    if let Some(visibility) = &query.visible_to {
        // Their own events, and those of the places, groups and the groups'
        // doors they manage.
        let managed = &visibility.managed;
        sql.push(" AND (e.actor_id = ")
            .push_bind(visibility.user_id)
            .push(" OR ");
        push_in(sql, "e.place_id", &managed.places);
        sql.push(" OR (e.object_type = 'Group' AND ");
        push_in(sql, "e.object_id", &managed.groups);
        sql.push(") OR (e.object_type = 'Lock' AND e.object_id IN (SELECT gl.lock_id FROM group_locks gl WHERE ");
        push_in(sql, "gl.group_id", &managed.groups);
        sql.push(")))");
    }
}

pub(super) async fn create_set(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
    filters: &str,
    interval: (Timestamp, Timestamp),
    now: Timestamp,
) -> StoreResult<i64> {
    // Sets are kept for a day, as Kisi keeps them.
    sqlx::query("DELETE FROM event_sets WHERE created_at < $1")
        .bind(now - chrono::Duration::days(1))
        .execute(pool)
        .await
        .map_err(db)?;
    sqlx::query_scalar(
        "INSERT INTO event_sets (organization_id, user_id, filters, interval_from, interval_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(organization_id)
    .bind(user_id)
    .bind(filters)
    .bind(interval.0)
    .bind(interval.1)
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(db)
}

pub(super) async fn get_set(
    pool: &Conns,
    organization_id: i64,
    id: i64,
) -> StoreResult<gatehouse_domain::EventSetRecord> {
    let (user_id, filters, from, until, created_at): (i64, String, Timestamp, Timestamp, Timestamp) = sqlx::query_as(
        "SELECT user_id, filters, interval_from, interval_until, created_at FROM event_sets WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization_id)
    .bind(id)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(gatehouse_domain::EventSetRecord {
        id,
        organization_id,
        user_id,
        filters,
        interval: (from, until),
        created_at,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::event_uuid;

    #[test]
    fn event_ids_are_version_7_and_follow_time() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 6, 0, 0).unwrap();
        let first = event_uuid(at);
        let later = event_uuid(at + Duration::milliseconds(1));
        assert_eq!(first.get_version_num(), 7);
        assert!(first.to_string() < later.to_string(), "{first} < {later}");
        let (seconds, _) = first.get_timestamp().unwrap().to_unix();
        assert_eq!(seconds, at.timestamp() as u64);
    }
}
