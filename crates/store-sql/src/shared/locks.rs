//! Doors, lockdown, and the groups that hold doors.

use super::conns::Conns;
use gatehouse_domain::{diff, Actor, GroupLock, Lock, LockFields, NewEvent, Timestamp};
use gatehouse_store::{GroupLockQuery, LockQuery, LockSort, Paged, StoreError, StoreResult};
use serde_json::{json, Map, Value};
use sqlx::QueryBuilder;

use super::rows::{GroupLockRow, LockRow, GROUP_LOCK_SELECT, LOCKS_WITH_FAVORITES, LOCK_COLUMNS};
use super::visibility::push_in;
use super::{db, events, fetch_page, is_unique_violation, like_pattern, push_id_filter, Db};

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    query: &LockQuery,
) -> StoreResult<Paged<Lock>> {
    let viewer = query.viewer_user_id.unwrap_or(0);
    let from_where = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(LOCKS_WITH_FAVORITES)
            .push_bind(viewer)
            .push(" WHERE l.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "l.id", ids);
        }
        if let Some(text) = &query.query {
            sql.push(" AND l.search LIKE ")
                .push_bind(like_pattern(text))
                .push(" ESCAPE '\\'");
        }
        if let Some(place_id) = query.place_id {
            sql.push(" AND l.place_id = ").push_bind(place_id);
        }
        if let Some(floor_id) = query.floor_id {
            sql.push(" AND l.floor_id = ").push_bind(floor_id);
        }
        if let Some(locked_down) = query.locked_down {
            sql.push(" AND l.locked_down = ").push_bind(locked_down);
        }
        match query.favorite {
            Some(true) => sql.push(" AND f.user_id IS NOT NULL"),
            Some(false) => sql.push(" AND f.user_id IS NULL"),
            None => sql,
        };
        if let Some(visibility) = &query.visible_to {
            // The doors of the caller's groups, and every door of the places they manage.
            sql.push(" AND (EXISTS (SELECT 1 FROM group_locks vg JOIN role_assignments v ON v.applies_to_type = 'Group' \
                 AND v.applies_to_id = vg.group_id WHERE vg.lock_id = l.id AND ((v.assignee_type = 'User' AND v.assignee_id = ")
                .push_bind(visibility.user_id)
                .push(") OR (v.assignee_type = 'Team' AND v.assignee_id IN (SELECT tm.team_id FROM team_memberships tm WHERE tm.user_id = ")
                .push_bind(visibility.user_id)
                .push(")))) OR ");
            push_in(sql, "l.place_id", &visibility.managed.places);
            sql.push(")");
        }
    };
    let (rows, total) = fetch_page::<LockRow>(
        pool,
        "SELECT COUNT(*)",
        LOCK_COLUMNS,
        &from_where,
        match query.sort {
        LockSort::Id => " ORDER BY l.id",
        LockSort::Name => " ORDER BY l.search, l.id",
        LockSort::NameDesc => " ORDER BY l.search DESC, l.id DESC",
        LockSort::Favorite => {
            " ORDER BY CASE WHEN f.created_at IS NULL THEN 1 ELSE 0 END, f.created_at DESC, l.id"
        }
    },
        query.page,
    )
    .await?;
    let with_favorite = query.viewer_user_id.is_some();
    Ok(Paged {
        items: rows
            .into_iter()
            .map(|row| row.into_lock(with_favorite))
            .collect(),
        total,
    })
}

fn push_one(sql: &mut QueryBuilder<'_, Db>, organization_id: i64, id: i64, viewer: Option<i64>) {
    sql.push(LOCKS_WITH_FAVORITES)
        .push_bind(viewer.unwrap_or(0))
        .push(" WHERE l.organization_id = ")
        .push_bind(organization_id)
        .push(" AND l.id = ")
        .push_bind(id);
}

pub(super) async fn get<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    organization_id: i64,
    id: i64,
    favorite_of: Option<i64>,
) -> StoreResult<Lock> {
    let mut select = QueryBuilder::<Db>::new(LOCK_COLUMNS);
    push_one(&mut select, organization_id, id, favorite_of);
    let row: LockRow = select
        .build_query_as()
        .fetch_one(executor)
        .await
        .map_err(db)?;
    Ok(row.into_lock(favorite_of.is_some()))
}

pub(super) async fn create(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    fields: &LockFields,
    now: Timestamp,
) -> StoreResult<Lock> {
    let name = fields
        .name
        .clone()
        .ok_or_else(|| StoreError::conflict("name", "can't be blank"))?;
    let place_id = fields
        .place_id
        .ok_or_else(|| StoreError::conflict("place_id", "can't be blank"))?;
    let mut tx = super::begin(pool).await?;
    let place: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM places WHERE id = $1 AND organization_id = $2")
            .bind(place_id)
            .bind(organization_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    place.ok_or_else(|| StoreError::conflict("place_id", "does not exist in this organization"))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO locks (organization_id, place_id, name, search, description, latitude, longitude, \
         geofence_restriction_enabled, reader_restriction_enabled, time_restriction_enabled, order_id, floor_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(organization_id)
    .bind(place_id)
    .bind(&name)
    .bind(name.to_lowercase())
    .bind(fields.description.clone().flatten())
    .bind(fields.latitude.flatten())
    .bind(fields.longitude.flatten())
    .bind(fields.geofence_restriction_enabled.unwrap_or(false))
    .bind(fields.reader_restriction_enabled.unwrap_or(false))
    .bind(fields.time_restriction_enabled.unwrap_or(false))
    .bind(fields.order_id.flatten())
    .bind(fields.floor_id.flatten())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let lock = get(&mut *tx, organization_id, id, None).await?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Lock",
            "create",
            id,
            &name,
            json!({"name": name, "place_id": place_id}),
        )
        .in_place(Some(place_id)),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(lock)
}

pub(super) async fn update(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    fields: &LockFields,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, organization_id, id, None).await?;
    let new = Lock {
        name: fields.name.clone().unwrap_or_else(|| old.name.clone()),
        description: fields
            .description
            .clone()
            .unwrap_or_else(|| old.description.clone()),
        latitude: fields.latitude.unwrap_or(old.latitude),
        longitude: fields.longitude.unwrap_or(old.longitude),
        geofence_restriction_enabled: fields
            .geofence_restriction_enabled
            .unwrap_or(old.geofence_restriction_enabled),
        reader_restriction_enabled: fields
            .reader_restriction_enabled
            .unwrap_or(old.reader_restriction_enabled),
        time_restriction_enabled: fields
            .time_restriction_enabled
            .unwrap_or(old.time_restriction_enabled),
        order_id: fields.order_id.unwrap_or(old.order_id),
        floor_id: fields.floor_id.unwrap_or(old.floor_id),
        ..old.clone()
    };
    let mut details = Map::new();
    diff(&mut details, "name", &old.name, &new.name);
    diff(
        &mut details,
        "description",
        &old.description,
        &new.description,
    );
    diff(&mut details, "latitude", &old.latitude, &new.latitude);
    diff(&mut details, "longitude", &old.longitude, &new.longitude);
    diff(
        &mut details,
        "geofence_restriction_enabled",
        &old.geofence_restriction_enabled,
        &new.geofence_restriction_enabled,
    );
    diff(
        &mut details,
        "reader_restriction_enabled",
        &old.reader_restriction_enabled,
        &new.reader_restriction_enabled,
    );
    diff(
        &mut details,
        "time_restriction_enabled",
        &old.time_restriction_enabled,
        &new.time_restriction_enabled,
    );
    diff(&mut details, "order_id", &old.order_id, &new.order_id);
    diff(&mut details, "floor_id", &old.floor_id, &new.floor_id);
    if details.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE locks SET name = $1, search = $2, description = $3, latitude = $4, longitude = $5, \
         geofence_restriction_enabled = $6, reader_restriction_enabled = $7, time_restriction_enabled = $8, \
         order_id = $9, floor_id = $10, updated_at = $11 WHERE id = $12",
    )
    .bind(&new.name)
    .bind(new.name.to_lowercase())
    .bind(&new.description)
    .bind(new.latitude)
    .bind(new.longitude)
    .bind(new.geofence_restriction_enabled)
    .bind(new.reader_restriction_enabled)
    .bind(new.time_restriction_enabled)
    .bind(new.order_id)
    .bind(new.floor_id)
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
            "Lock",
            "update",
            id,
            &new.name,
            Value::Object(details),
        )
        .in_place(Some(old.place_id)),
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
    let lock = get(&mut *tx, organization_id, id, None).await?;
    for statement in [
        "DELETE FROM favorites WHERE object_type = 'Lock' AND object_id = $1",
        "DELETE FROM group_locks WHERE lock_id = $1",
        "DELETE FROM locks WHERE id = $1",
    ] {
        sqlx::query(statement)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Lock",
            "destroy",
            id,
            &lock.name,
            json!({}),
        )
        .in_place(Some(lock.place_id)),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn set_favorite(
    pool: &Conns,
    organization_id: i64,
    id: i64,
    user_id: i64,
    favorite: bool,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    get(&mut *tx, organization_id, id, None).await?;
    let statement = if favorite {
        sqlx::query("INSERT INTO favorites (user_id, object_type, object_id, created_at) VALUES ($1, 'Lock', $2, $3) ON CONFLICT DO NOTHING")
            .bind(user_id)
            .bind(id)
            .bind(now)
    } else {
        sqlx::query(
            "DELETE FROM favorites WHERE user_id = $1 AND object_type = 'Lock' AND object_id = $2",
        )
        .bind(user_id)
        .bind(id)
    };
    statement.execute(&mut *tx).await.map_err(db)?;
    tx.commit().await.map_err(db)
}

/// Sets or clears lockdown on a door or a place, recording it when it changes.
pub(super) async fn set_lockdown(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    object: (&'static str, i64),
    locked_down: bool,
    now: Timestamp,
) -> StoreResult<()> {
    let (object_type, id) = object;
    let (table, place_column) = match object_type {
        "Lock" => ("locks", "place_id"),
        _ => ("places", "id"),
    };
    let mut tx = super::begin(pool).await?;
    let current: Option<(String, bool, i64)> = sqlx::query_as(&format!(
        "SELECT name, locked_down, {place_column} FROM {table} WHERE id = $1 AND organization_id = $2"
    ))
    .bind(id)
    .bind(organization_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let (name, was, place_id) = current.ok_or(StoreError::NotFound)?;
    if was == locked_down {
        return Ok(());
    }
    let since = locked_down.then_some(now);
    sqlx::query(&format!("UPDATE {table} SET locked_down = $1, locked_down_since = $2, updated_at = $3 WHERE id = $4"))
        .bind(locked_down)
        .bind(since)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let action = if locked_down {
        "lock_down"
    } else {
        "cancel_lockdown"
    };
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            object_type,
            action,
            id,
            name,
            json!({"locked_down": [was, locked_down]}),
        )
        .in_place(Some(place_id)),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn list_group_locks(
    pool: &Conns,
    organization_id: i64,
    query: &GroupLockQuery,
) -> StoreResult<Paged<GroupLock>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE gl.organization_id = ")
            .push_bind(organization_id);
        if let Some(group_id) = query.group_id {
            sql.push(" AND gl.group_id = ").push_bind(group_id);
        }
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "gl.id", ids);
        }
        if let Some(lock_id) = query.lock_id {
            sql.push(" AND gl.lock_id = ").push_bind(lock_id);
        }
        if let Some(text) = &query.query {
            sql.push(" AND l.search LIKE ")
                .push_bind(like_pattern(text))
                .push(" ESCAPE '\\'");
        }
    };
    let (rows, total) = fetch_page::<GroupLockRow>(
        pool,
        "SELECT COUNT(*) FROM group_locks gl JOIN locks l ON l.id = gl.lock_id",
        GROUP_LOCK_SELECT,
        &filter,
        " ORDER BY gl.id",
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows.into_iter().map(GroupLock::from).collect(),
        total,
    })
}

pub(super) async fn group_lock(
    pool: &Conns,
    organization_id: i64,
    id: i64,
) -> StoreResult<GroupLock> {
    let row: GroupLockRow = sqlx::query_as(&format!(
        "{GROUP_LOCK_SELECT} WHERE gl.organization_id = $1 AND gl.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(row.into())
}

pub(super) async fn create_group_lock(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    group_id: i64,
    lock_id: i64,
    now: Timestamp,
) -> StoreResult<GroupLock> {
    let mut tx = super::begin(pool).await?;
    let group: Option<(Option<i64>, String)> =
        sqlx::query_as("SELECT place_id, name FROM groups WHERE id = $1 AND organization_id = $2")
            .bind(group_id)
            .bind(organization_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    let (group_place, group_name) = group
        .ok_or_else(|| StoreError::conflict("group_id", "does not exist in this organization"))?;
    let lock: Option<(i64,)> =
        sqlx::query_as("SELECT place_id FROM locks WHERE id = $1 AND organization_id = $2")
            .bind(lock_id)
            .bind(organization_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    let (lock_place,) =
        lock.ok_or_else(|| StoreError::conflict("lock_id", "does not exist in this organization"))?;
    if group_place.is_some_and(|place| place != lock_place) {
        return Err(StoreError::conflict(
            "lock_id",
            "is in another place than the group",
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO group_locks (organization_id, group_id, lock_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(organization_id)
    .bind(group_id)
    .bind(lock_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { StoreError::conflict("lock_id", "is already in this group") } else { db(e) })?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "GroupLock",
            "create",
            id,
            &group_name,
            json!({"group_id": group_id, "lock_id": lock_id}),
        )
        .in_place(Some(lock_place)),
        now,
    )
    .await
    .map_err(db)?;
    let row: GroupLockRow = sqlx::query_as(&format!("{GROUP_LOCK_SELECT} WHERE gl.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(row.into())
}

pub(super) async fn delete_group_lock(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let row: GroupLockRow = sqlx::query_as(&format!(
        "{GROUP_LOCK_SELECT} WHERE gl.organization_id = $1 AND gl.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let group_lock = GroupLock::from(row);
    sqlx::query("DELETE FROM group_locks WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "GroupLock",
            "destroy",
            id,
            &group_lock.group_name,
            json!({
                "group_id": group_lock.group_id,
                "lock_id": group_lock.lock_id,
            }),
        )
        .in_place(Some(group_lock.place_id)),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}
