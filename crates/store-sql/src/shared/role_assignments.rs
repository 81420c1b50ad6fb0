//! Role assignments: who holds which role where.

use super::conns::Conns;
use gatehouse_domain::{
    diff, Actor, Assignee, NewEvent, NewRoleAssignment, RoleAssignment, RoleAssignmentPatch, Scope,
    Timestamp,
};
use gatehouse_store::{NameSort, Paged, RoleAssignmentQuery, StoreError, StoreResult};
use serde_json::{json, Map, Value};
use sqlx::{QueryBuilder, Transaction};

use super::rows::{RoleAssignmentRow, ROLE_ASSIGNMENT_SELECT};
use super::visibility::push_in;
use super::{
    db, events, fetch_page, is_unique_violation, like_pattern, members, push_id_filter, Db,
};

const FROM: &str = " FROM role_assignments ra \
    LEFT JOIN users u ON ra.assignee_type = 'User' AND u.id = ra.assignee_id \
    LEFT JOIN members m ON m.user_id = u.id AND m.organization_id = ra.organization_id \
    LEFT JOIN teams ateam ON ra.assignee_type = 'Team' AND ateam.id = ra.assignee_id";

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    query: &RoleAssignmentQuery,
) -> StoreResult<Paged<RoleAssignment>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE ra.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "ra.id", ids);
        }
        if let Some(text) = &query.query {
            sql.push(
                " AND LOWER(COALESCE(u.email, '') || ' ' || COALESCE(m.name, u.name, '')) LIKE ",
            )
            .push_bind(like_pattern(text))
            .push(" ESCAPE '\\'");
        }
        if let Some(roles) = &query.role_ids {
            sql.push(" AND ra.role_id IN (");
            let mut list = sql.separated(", ");
            for role in roles {
                list.push_bind(role.clone());
            }
            list.push_unseparated(")");
        }
        if let Some((kind, id)) = query.assignee {
            sql.push(" AND ra.assignee_type = ")
                .push_bind(kind.as_str())
                .push(" AND ra.assignee_id = ")
                .push_bind(id);
        }
        if let Some((kind, id)) = &query.applies_to {
            sql.push(" AND ra.applies_to_type = ")
                .push_bind(kind.clone())
                .push(" AND ra.applies_to_id = ")
                .push_bind(*id);
        }
        if let Some(place_id) = query.place_id {
            sql.push(" AND ra.place_id = ").push_bind(place_id);
        }
        if let Some(kind) = &query.applies_to_type {
            sql.push(" AND ra.applies_to_type = ")
                .push_bind(kind.clone());
        }
        if let Some(kind) = query.assignee_type {
            sql.push(" AND ra.assignee_type = ")
                .push_bind(kind.as_str());
        }
        if let Some(visibility) = &query.visible_to {
            // The caller's own assignments, and those in scopes they manage.
            sql.push(" AND ((ra.assignee_type = 'User' AND ra.assignee_id = ")
                .push_bind(visibility.user_id)
                .push(") OR ");
            push_in(sql, "ra.place_id", &visibility.managed.places);
            sql.push(" OR (ra.applies_to_type = 'Group' AND ");
            push_in(sql, "ra.applies_to_id", &visibility.managed.groups);
            sql.push(") OR (ra.applies_to_type = 'Team' AND ");
            push_in(sql, "ra.applies_to_id", &visibility.managed.teams);
            sql.push("))");
        }
    };
    let (rows, total) = fetch_page::<RoleAssignmentRow>(
        pool,
        &format!("{}{}", "SELECT COUNT(*)", FROM),
        ROLE_ASSIGNMENT_SELECT,
        &filter,
        match query.sort {
            NameSort::Id => " ORDER BY ra.id",
            NameSort::Name => " ORDER BY LOWER(COALESCE(m.name, u.name, ateam.name)), ra.id",
            NameSort::NameDesc => {
                " ORDER BY LOWER(COALESCE(m.name, u.name, ateam.name)) DESC, ra.id DESC"
            }
        },
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows
            .into_iter()
            .map(RoleAssignment::try_from)
            .collect::<Result<_, _>>()?,
        total,
    })
}

pub(super) async fn get<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    organization_id: i64,
    id: i64,
) -> StoreResult<RoleAssignment> {
    sqlx::query_as::<_, RoleAssignmentRow>(&format!(
        "{ROLE_ASSIGNMENT_SELECT} WHERE ra.organization_id = $1 AND ra.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(executor)
    .await
    .map_err(db)?
    .try_into()
}

/// Checks the scope exists in the organization; returns the place it lies in.
async fn resolve_scope(
    tx: &mut Transaction<'_, Db>,
    organization_id: i64,
    scope: Scope,
) -> StoreResult<(&'static str, i64, Option<i64>)> {
    let missing = || StoreError::conflict("applies_to_id", "does not exist in this organization");
    let found = |row: Option<(i64,)>| row.ok_or_else(missing);
    match scope {
        Scope::Organization => Ok(("Organization", organization_id, None)),
        Scope::Place(id) => {
            found(
                sqlx::query_as("SELECT id FROM places WHERE id = $1 AND organization_id = $2")
                    .bind(id)
                    .bind(organization_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db)?,
            )?;
            Ok(("Place", id, Some(id)))
        }
        Scope::Group { id, .. } => {
            let place: Option<(Option<i64>,)> = sqlx::query_as(
                "SELECT place_id FROM groups WHERE id = $1 AND organization_id = $2",
            )
            .bind(id)
            .bind(organization_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?;
            let (place_id,) = place.ok_or_else(missing)?;
            Ok(("Group", id, place_id))
        }
        Scope::Team(id) => {
            found(
                sqlx::query_as("SELECT id FROM teams WHERE id = $1 AND organization_id = $2")
                    .bind(id)
                    .bind(organization_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db)?,
            )?;
            Ok(("Team", id, None))
        }
    }
}

pub(super) async fn create(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    new: &NewRoleAssignment,
    now: Timestamp,
) -> StoreResult<RoleAssignment> {
    let mut tx = super::begin(pool).await?;
    let created = create_in(&mut tx, actor, organization_id, new, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(created)
}

pub(super) async fn create_in(
    tx: &mut Transaction<'_, Db>,
    actor: &Actor,
    organization_id: i64,
    new: &NewRoleAssignment,
    now: Timestamp,
) -> StoreResult<RoleAssignment> {
    let (applies_to_type, applies_to_id, place_id) =
        resolve_scope(tx, organization_id, new.scope).await?;
    let (assignee_type, assignee_id) = match &new.assignee {
        Assignee::User(user_id) => {
            let member: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM members WHERE organization_id = $1 AND user_id = $2",
            )
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?;
            member.ok_or_else(|| {
                StoreError::conflict("assignee_id", "is not a member of this organization")
            })?;
            ("User", *user_id)
        }
        Assignee::Team(team_id) => {
            let team: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM teams WHERE id = $1 AND organization_id = $2")
                    .bind(team_id)
                    .bind(organization_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db)?;
            team.ok_or_else(|| {
                StoreError::conflict("assignee_id", "is not a team of this organization")
            })?;
            ("Team", *team_id)
        }
        Assignee::Email(email) => {
            // Granting access by e-mail adds the person when missing.
            let user_id = members::ensure(tx, actor, organization_id, email, None, now).await?;
            ("User", user_id)
        }
    };
    let created_by = match actor {
        Actor::User { user_id, .. } => Some(*user_id),
        Actor::Operator => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO role_assignments (organization_id, role_id, applies_to_type, applies_to_id, place_id, \
         assignee_type, assignee_id, notify, valid_from, valid_until, created_by_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(organization_id)
    .bind(new.role.id())
    .bind(applies_to_type)
    .bind(applies_to_id)
    .bind(place_id)
    .bind(assignee_type)
    .bind(assignee_id)
    .bind(new.notify)
    .bind(new.valid_from)
    .bind(new.valid_until)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::conflict("role_id", "the assignee already holds a role here; change that one instead")
        } else {
            db(e)
        }
    })?;
    let assignment = get(&mut **tx, organization_id, id).await?;
    events::record(
        tx,
        actor,
        NewEvent::change(
            organization_id,
            "RoleAssignment",
            "create",
            id,
            &assignment.assignee_name,
            json!({
                "role_id": new.role.id(),
                "applies_to_type": applies_to_type,
                "applies_to_id": applies_to_id,
                "assignee_type": assignee_type,
                "assignee_id": assignee_id,
            }),
        )
        .in_place(place_id),
        now,
    )
    .await
    .map_err(db)?;
    Ok(assignment)
}

pub(super) async fn update(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    patch: &RoleAssignmentPatch,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, organization_id, id).await?;
    let role = patch.role.unwrap_or(old.role);
    let notify = patch.notify.unwrap_or(old.notify);
    let valid_from = patch.valid_from.unwrap_or(old.valid_from);
    let valid_until = patch.valid_until.unwrap_or(old.valid_until);
    let mut details = Map::new();
    diff(&mut details, "role_id", &old.role.id(), &role.id());
    diff(&mut details, "notify", &old.notify, &notify);
    diff(&mut details, "valid_from", &old.valid_from, &valid_from);
    diff(&mut details, "valid_until", &old.valid_until, &valid_until);
    if details.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE role_assignments SET role_id = $1, notify = $2, valid_from = $3, valid_until = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(role.id())
    .bind(notify)
    .bind(valid_from)
    .bind(valid_until)
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
            "RoleAssignment",
            "update",
            id,
            &old.assignee_name,
            Value::Object(details),
        )
        .in_place(old.scope.place_id()),
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
    sqlx::query("DELETE FROM role_assignments WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "RoleAssignment",
            "destroy",
            id,
            &old.assignee_name,
            json!({
                "role_id": old.role.id(),
                "assignee_id": old.assignee_id,
            }),
        )
        .in_place(old.scope.place_id()),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}
