//! Teams and their memberships; a role assigned to a team reaches its members.

use super::conns::Conns;
use gatehouse_domain::{Actor, NewEvent, Team, TeamMembership, Timestamp};
use gatehouse_store::{NameSort, Paged, StoreError, StoreResult, TeamMembershipQuery, TeamQuery};
use serde_json::json;
use sqlx::{QueryBuilder, Transaction};

use super::rows::{TeamMembershipRow, TeamRow, TEAM_MEMBERSHIP_SELECT, TEAM_SELECT};
use super::{db, events, fetch_page, is_unique_violation, like_pattern, push_id_filter, Db};

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    query: &TeamQuery,
) -> StoreResult<Paged<Team>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE t.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "t.id", ids);
        }
        if let Some(text) = &query.query {
            sql.push(" AND t.search LIKE ")
                .push_bind(like_pattern(text))
                .push(" ESCAPE '\\'");
        }
    };
    let (rows, total) = fetch_page::<TeamRow>(
        pool,
        "SELECT COUNT(*) FROM teams t",
        TEAM_SELECT,
        &filter,
        match query.sort {
            NameSort::Id => " ORDER BY t.id",
            NameSort::Name => " ORDER BY t.search, t.id",
            NameSort::NameDesc => " ORDER BY t.search DESC, t.id DESC",
        },
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows.into_iter().map(Team::from).collect(),
        total,
    })
}

pub(super) async fn get<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    organization_id: i64,
    id: i64,
) -> StoreResult<Team> {
    let row: TeamRow = sqlx::query_as(&format!(
        "{TEAM_SELECT} WHERE t.organization_id = $1 AND t.id = $2"
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
    name: &str,
    now: Timestamp,
) -> StoreResult<Team> {
    let mut tx = super::begin(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO teams (organization_id, name, search, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(organization_id)
    .bind(name)
    .bind(name.to_lowercase())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Team",
            "create",
            id,
            name,
            json!({"name": name}),
        ),
        now,
    )
    .await
    .map_err(db)?;
    let team = get(&mut *tx, organization_id, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(team)
}

pub(super) async fn update(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    name: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, organization_id, id).await?;
    if old.name == name {
        return Ok(());
    }
    sqlx::query("UPDATE teams SET name = $1, search = $2, updated_at = $3 WHERE id = $4")
        .bind(name)
        .bind(name.to_lowercase())
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
            "Team",
            "update",
            id,
            name,
            json!({"name": [old.name, name]}),
        ),
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
    let team = get(&mut *tx, organization_id, id).await?;
    sqlx::query(
        "DELETE FROM role_assignments WHERE organization_id = $1 AND ((assignee_type = 'Team' AND assignee_id = $2) \
         OR (applies_to_type = 'Team' AND applies_to_id = $2))",
    )
    .bind(organization_id)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("DELETE FROM teams WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Team",
            "destroy",
            id,
            &team.name,
            json!({}),
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn list_memberships(
    pool: &Conns,
    organization_id: i64,
    query: &TeamMembershipQuery,
) -> StoreResult<Paged<TeamMembership>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE tm.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "tm.id", ids);
        }
        if let Some(team_id) = query.team_id {
            sql.push(" AND tm.team_id = ").push_bind(team_id);
        }
        if let Some(user_id) = query.user_id {
            sql.push(" AND tm.user_id = ").push_bind(user_id);
        }
    };
    let (rows, total) = fetch_page::<TeamMembershipRow>(
        pool,
        "SELECT COUNT(*) FROM team_memberships tm",
        TEAM_MEMBERSHIP_SELECT,
        &filter,
        " ORDER BY tm.id",
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows.into_iter().map(TeamMembership::from).collect(),
        total,
    })
}

pub(super) async fn membership(
    pool: &Conns,
    organization_id: i64,
    id: i64,
) -> StoreResult<TeamMembership> {
    let row: TeamMembershipRow = sqlx::query_as(&format!(
        "{TEAM_MEMBERSHIP_SELECT} WHERE tm.organization_id = $1 AND tm.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(row.into())
}

pub(super) async fn create_membership(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    team_id: i64,
    user_id: i64,
    now: Timestamp,
) -> StoreResult<TeamMembership> {
    let mut tx = super::begin(pool).await?;
    let created =
        create_membership_in(&mut tx, actor, organization_id, team_id, user_id, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(created)
}

pub(super) async fn create_membership_in(
    tx: &mut Transaction<'_, Db>,
    actor: &Actor,
    organization_id: i64,
    team_id: i64,
    user_id: i64,
    now: Timestamp,
) -> StoreResult<TeamMembership> {
    let team = get(&mut **tx, organization_id, team_id)
        .await
        .map_err(|_| StoreError::conflict("team_id", "does not exist in this organization"))?;
    let member: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM members WHERE organization_id = $1 AND user_id = $2")
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?;
    member
        .ok_or_else(|| StoreError::conflict("member_id", "is not a member of this organization"))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO team_memberships (organization_id, team_id, user_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(organization_id)
    .bind(team_id)
    .bind(user_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::conflict("member_id", "is already in this team")
        } else {
            db(e)
        }
    })?;
    events::record(
        tx,
        actor,
        NewEvent::change(
            organization_id,
            "TeamMembership",
            "create",
            id,
            &team.name,
            json!({"team_id": team_id, "user_id": user_id}),
        ),
        now,
    )
    .await
    .map_err(db)?;
    let row: TeamMembershipRow =
        sqlx::query_as(&format!("{TEAM_MEMBERSHIP_SELECT} WHERE tm.id = $1"))
            .bind(id)
            .fetch_one(&mut **tx)
            .await
            .map_err(db)?;
    Ok(row.into())
}

pub(super) async fn delete_membership(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let row: TeamMembershipRow = sqlx::query_as(&format!(
        "{TEAM_MEMBERSHIP_SELECT} WHERE tm.organization_id = $1 AND tm.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let membership = TeamMembership::from(row);
    sqlx::query("DELETE FROM team_memberships WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "TeamMembership",
            "destroy",
            id,
            &membership.team_name,
            json!({
                "team_id": membership.team_id,
                "user_id": membership.user_id,
            }),
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}
