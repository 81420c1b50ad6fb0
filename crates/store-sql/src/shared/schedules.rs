//! Group schedules: when a time-restricted group's access is allowed.

use super::conns::Conns;
use gatehouse_domain::{
    Actor, NewEvent, NewSchedule, ScheduleKind, SchedulePatch, ScheduleRecord, Timestamp,
};
use gatehouse_store::{Paged, ScheduleQuery, StoreError, StoreResult};
use serde_json::json;
use sqlx::QueryBuilder;

use super::rows::{ScheduleRow, SCHEDULE_SELECT};
use super::{db, events, fetch_page, push_id_filter, Db};

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    query: &ScheduleQuery,
) -> StoreResult<Paged<ScheduleRecord>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE s.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "s.id", ids);
        }
        if let Some(group_id) = query.group_id {
            sql.push(" AND s.group_id = ").push_bind(group_id);
        }
    };
    let (rows, total) = fetch_page::<ScheduleRow>(
        pool,
        "SELECT COUNT(*) FROM schedules s",
        SCHEDULE_SELECT,
        &filter,
        " ORDER BY s.id",
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows
            .into_iter()
            .map(ScheduleRecord::try_from)
            .collect::<Result<_, _>>()?,
        total,
    })
}

pub(super) async fn get<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    organization_id: i64,
    id: i64,
) -> StoreResult<ScheduleRecord> {
    sqlx::query_as::<_, ScheduleRow>(&format!(
        "{SCHEDULE_SELECT} WHERE s.organization_id = $1 AND s.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(executor)
    .await
    .map_err(db)?
    .try_into()
}

/// The columns a schedule kind is stored in.
type KindColumns = (
    &'static str,
    i64,
    Option<i64>,
    Option<i64>,
    Option<Timestamp>,
    Option<Timestamp>,
);

fn columns(kind: &ScheduleKind) -> KindColumns {
    match *kind {
        ScheduleKind::Recurring {
            days,
            start_minute,
            end_minute,
        } => (
            "recurring_event",
            i64::from(days),
            Some(i64::from(start_minute)),
            Some(i64::from(end_minute)),
            None,
            None,
        ),
        ScheduleKind::Single { starts_at, ends_at } => (
            "single_event",
            0,
            None,
            None,
            Some(starts_at),
            Some(ends_at),
        ),
    }
}

pub(super) async fn create(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    new: &NewSchedule,
    now: Timestamp,
) -> StoreResult<ScheduleRecord> {
    let mut tx = super::begin(pool).await?;
    let group: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT place_id FROM groups WHERE id = $1 AND organization_id = $2")
            .bind(new.group_id)
            .bind(organization_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    let (place_id,) = group.ok_or_else(|| {
        StoreError::conflict("scheduleable_id", "does not exist in this organization")
    })?;
    let (kind, days, start, end, starts_at, ends_at) = columns(&new.kind);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO schedules (organization_id, group_id, type, name, enabled, days, starts_at_minute, ends_at_minute, \
         starts_at, ends_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(organization_id)
    .bind(new.group_id)
    .bind(kind)
    .bind(&new.name)
    .bind(new.enabled)
    .bind(days)
    .bind(start)
    .bind(end)
    .bind(starts_at)
    .bind(ends_at)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Schedule",
            "create",
            id,
            new.name.clone().unwrap_or_default(),
            json!({
                "group_id": new.group_id,
                "type": kind,
            }),
        )
        .in_place(place_id),
        now,
    )
    .await
    .map_err(db)?;
    let created = get(&mut *tx, organization_id, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(created)
}

pub(super) async fn update(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    patch: &SchedulePatch,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, organization_id, id).await?;
    let name = patch.name.clone().unwrap_or_else(|| old.name.clone());
    let enabled = patch.enabled.unwrap_or(old.enabled);
    let kind = patch.kind.clone().unwrap_or_else(|| old.kind.clone());
    if name == old.name && enabled == old.enabled && kind == old.kind {
        return Ok(());
    }
    let (kind_name, days, start, end, starts_at, ends_at) = columns(&kind);
    sqlx::query(
        "UPDATE schedules SET type = $1, name = $2, enabled = $3, days = $4, starts_at_minute = $5, ends_at_minute = $6, \
         starts_at = $7, ends_at = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(kind_name)
    .bind(&name)
    .bind(enabled)
    .bind(days)
    .bind(start)
    .bind(end)
    .bind(starts_at)
    .bind(ends_at)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Schedule",
            "update",
            id,
            name.unwrap_or_default(),
            json!({
                "enabled": [old.enabled, enabled],
                "type": kind_name,
            }),
        )
        .in_place(old.place_id),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn delete(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, organization_id, id).await?;
    sqlx::query("DELETE FROM schedules WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Schedule",
            "destroy",
            id,
            old.name.unwrap_or_default(),
            json!({"group_id": old.group_id}),
        )
        .in_place(old.place_id),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}
