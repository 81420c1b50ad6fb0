//! Groups: sets of doors and the people who may open them.

use super::conns::Conns;
use gatehouse_domain::{diff, Actor, Group, GroupFields, GroupRestrictions, NewEvent, Timestamp};
use gatehouse_store::{GroupQuery, NameSort, Paged, StoreError, StoreResult};
use serde_json::{json, Map, Value};
use sqlx::QueryBuilder;

use super::rows::{GroupRow, GROUP_SELECT};
use super::visibility::push_in;
use super::{db, events, fetch_page, like_pattern, push_id_filter, Db};

const GROUPS_FROM: &str = " FROM groups g LEFT JOIN places p ON p.id = g.place_id";

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    query: &GroupQuery,
) -> StoreResult<Paged<Group>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE g.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "g.id", ids);
        }
        if let Some(text) = &query.query {
            sql.push(" AND g.search LIKE ")
                .push_bind(like_pattern(text))
                .push(" ESCAPE '\\'");
        }
        match query.place_id {
            Some(Some(place_id)) => {
                sql.push(" AND g.place_id = ").push_bind(place_id);
            }
            Some(None) => {
                sql.push(" AND g.place_id IS NULL");
            }
            None => {}
        }
        if query.placed_only {
            sql.push(" AND g.place_id IS NOT NULL");
        }
        if let Some(visibility) = &query.visible_to {
            // A member sees the groups they hold a role on, and every group
            // of the places they manage.
            sql.push(" AND (EXISTS (SELECT 1 FROM role_assignments v WHERE v.organization_id = g.organization_id \
                 AND v.applies_to_type = 'Group' AND v.applies_to_id = g.id AND ((v.assignee_type = 'User' AND v.assignee_id = ")
                .push_bind(visibility.user_id)
                .push(") OR (v.assignee_type = 'Team' AND v.assignee_id IN (SELECT tm.team_id FROM team_memberships tm WHERE tm.user_id = ")
                .push_bind(visibility.user_id)
                .push(")))) OR ");
            push_in(sql, "g.place_id", &visibility.managed.places);
            sql.push(")");
        }
    };
    let (rows, total) = fetch_page::<GroupRow>(
        pool,
        &format!("{}{}", "SELECT COUNT(*)", GROUPS_FROM),
        GROUP_SELECT,
        &filter,
        match query.sort {
            NameSort::Id => " ORDER BY g.id",
            NameSort::Name => " ORDER BY g.search, g.id",
            NameSort::NameDesc => " ORDER BY g.search DESC, g.id DESC",
        },
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows.into_iter().map(Group::from).collect(),
        total,
    })
}

pub(super) async fn get<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    organization_id: i64,
    id: i64,
) -> StoreResult<Group> {
    let row: GroupRow = sqlx::query_as(&format!(
        "{GROUP_SELECT} WHERE g.organization_id = $1 AND g.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(executor)
    .await
    .map_err(db)?;
    Ok(row.into())
}

pub(super) async fn create(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    fields: &GroupFields,
    now: Timestamp,
) -> StoreResult<Group> {
    let name = fields
        .name
        .clone()
        .ok_or_else(|| StoreError::conflict("name", "can't be blank"))?;
    let mut tx = super::begin(pool).await?;
    if let Some(place_id) = fields.place_id {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM places WHERE id = $1 AND organization_id = $2")
                .bind(place_id)
                .bind(organization_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        if exists.is_none() {
            return Err(StoreError::conflict(
                "place_id",
                "does not exist in this organization",
            ));
        }
    }
    let r = fields.apply(GroupRestrictions::default());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO groups (organization_id, place_id, name, search, description, login_enabled, \
         geofence_restriction_enabled, primary_device_restriction_enabled, managed_device_restriction_enabled, \
         reader_restriction_enabled, time_restriction_enabled, tap_to_access_restriction_enabled, \
         time_restriction_time_zone, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
    )
    .bind(organization_id)
    .bind(fields.place_id)
    .bind(&name)
    .bind(name.to_lowercase())
    .bind(fields.description.clone().flatten())
    .bind(r.login_enabled)
    .bind(r.geofence)
    .bind(r.primary_device)
    .bind(r.managed_device)
    .bind(r.reader)
    .bind(r.time)
    .bind(r.tap_to_access)
    .bind(fields.time_restriction_time_zone.clone().flatten())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let group = get(&mut *tx, organization_id, id).await?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Group",
            "create",
            id,
            &name,
            json!({"name": name, "place_id": fields.place_id}),
        )
        .in_place(fields.place_id),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(group)
}

pub(super) async fn update(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    fields: &GroupFields,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, organization_id, id).await?;
    let name = fields.name.clone().unwrap_or_else(|| old.name.clone());
    let description = fields
        .description
        .clone()
        .unwrap_or_else(|| old.description.clone());
    let zone = fields
        .time_restriction_time_zone
        .clone()
        .unwrap_or_else(|| old.time_restriction_time_zone.clone());
    let (o, r) = (old.restrictions, fields.apply(old.restrictions));
    let mut details = Map::new();
    diff(&mut details, "name", &old.name, &name);
    diff(&mut details, "description", &old.description, &description);
    diff(
        &mut details,
        "time_restriction_time_zone",
        &old.time_restriction_time_zone,
        &zone,
    );
    diff(
        &mut details,
        "login_enabled",
        &o.login_enabled,
        &r.login_enabled,
    );
    diff(
        &mut details,
        "geofence_restriction_enabled",
        &o.geofence,
        &r.geofence,
    );
    diff(
        &mut details,
        "primary_device_restriction_enabled",
        &o.primary_device,
        &r.primary_device,
    );
    diff(
        &mut details,
        "managed_device_restriction_enabled",
        &o.managed_device,
        &r.managed_device,
    );
    diff(
        &mut details,
        "reader_restriction_enabled",
        &o.reader,
        &r.reader,
    );
    diff(&mut details, "time_restriction_enabled", &o.time, &r.time);
    diff(
        &mut details,
        "tap_to_access_restriction_enabled",
        &o.tap_to_access,
        &r.tap_to_access,
    );
    if details.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE groups SET name = $1, search = $2, description = $3, login_enabled = $4, \
         geofence_restriction_enabled = $5, primary_device_restriction_enabled = $6, \
         managed_device_restriction_enabled = $7, reader_restriction_enabled = $8, \
         time_restriction_enabled = $9, tap_to_access_restriction_enabled = $10, \
         time_restriction_time_zone = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(&name)
    .bind(name.to_lowercase())
    .bind(&description)
    .bind(r.login_enabled)
    .bind(r.geofence)
    .bind(r.primary_device)
    .bind(r.managed_device)
    .bind(r.reader)
    .bind(r.time)
    .bind(r.tap_to_access)
    .bind(&zone)
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
            "Group",
            "update",
            id,
            &name,
            Value::Object(details),
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
    let group = get(&mut *tx, organization_id, id).await?;
    let removed = sqlx::query("DELETE FROM role_assignments WHERE organization_id = $1 AND applies_to_type = 'Group' AND applies_to_id = $2")
        .bind(organization_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
    sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Group",
            "destroy",
            id,
            &group.name,
            json!({"role_assignments": removed}),
        )
        .in_place(group.place_id),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}
