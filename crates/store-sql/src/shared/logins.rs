//! Logins: sign-in sessions and API keys, stored only as secret hashes.

use std::sync::Arc;

use super::conns::Conns;
use gatehouse_domain::{
    Actor, Authority, Login, LoginType, NewEvent, NewLogin, Principal, Timestamp,
};
use gatehouse_store::{Page, Paged, StoreError, StoreResult};
use serde_json::json;
use sqlx::QueryBuilder;

use super::access::Person;
use super::cache::Caches;
use super::recorder::{Recorder, UsedTable};
use super::rows::{LoginRow, SignedInRow, LOGIN_SELECT, SIGNED_IN_SELECT};
use super::{db, events, fetch_page, organizations, push_id_filter, Db};

/// How stale `last_used_at` may get before a request refreshes it; keeps
/// authentication a read on the hot path.
const TOUCH_INTERVAL_SECONDS: i64 = 60;

pub(super) async fn create(
    pool: &Conns,
    actor: &Actor,
    new: &NewLogin,
    now: Timestamp,
) -> StoreResult<Login> {
    let mut tx = super::begin(pool).await?;
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM logins WHERE user_id = $1 AND type = $2")
            .bind(new.user_id)
            .bind(new.login_type.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    let limit = new.login_type.limit();
    if existing >= limit {
        match new.login_type {
            LoginType::Api => {
                return Err(StoreError::conflict(
                    "type",
                    format!("limit reached: a user may have at most {limit} api logins"),
                ));
            }
            LoginType::Device => {
                // Evict the least recently used; never-used ones by creation time.
                sqlx::query(
                    "DELETE FROM logins WHERE id IN (SELECT id FROM logins \
                     WHERE user_id = $1 AND type = 'device' \
                     ORDER BY COALESCE(last_used_at, created_at), id LIMIT $2)",
                )
                .bind(new.user_id)
                .bind(existing - limit + 1)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO logins (organization_id, user_id, secret_hash, type, name, expire, \
         device_brand, device_model, os_name, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(new.organization_id)
    .bind(new.user_id)
    .bind(&new.secret_hash)
    .bind(new.login_type.as_str())
    .bind(&new.name)
    .bind(new.expire)
    .bind(&new.device_brand)
    .bind(&new.device_model)
    .bind(&new.os_name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let login: Login = sqlx::query_as::<_, LoginRow>(&format!("{LOGIN_SELECT} WHERE l.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?
        .try_into()?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            new.organization_id,
            "Login",
            "create",
            id,
            &login.user_email,
            json!({
                "type": new.login_type.as_str(),
                "name": new.name,
            }),
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(login)
}

/// The principal a login secret belongs to, from the cache when the
/// database has not changed since it was loaded. Expiry is judged at `now`
/// on every request; use is recorded at most once per touch interval, in
/// the recorder's next batch.
pub(super) async fn authenticate(
    pool: &Conns,
    caches: &Caches,
    recorder: &Recorder,
    secret_hash: &[u8],
    now: Timestamp,
) -> StoreResult<Option<Arc<Principal>>> {
    let generation = caches.generation.current().await?;
    let key = secret_hash.to_vec();
    let (mut principal, mut fresh) = match caches.principals.get(generation, &key) {
        Some(principal) => (principal, false),
        None => match load_principal(pool, caches, generation, secret_hash).await? {
            Some(principal) => (Arc::new(principal), true),
            None => return Ok(None),
        },
    };
    let login = &principal.login;
    if login.is_expired(principal.organization.device_logins_expire_after, now) {
        return Ok(None);
    }
    let stale = login
        .last_used_at
        .is_none_or(|last| (now - last).num_seconds() >= TOUCH_INTERVAL_SECONDS);
    if stale {
        recorder.used(UsedTable::Logins, login.id, now).await?;
        Arc::make_mut(&mut principal).login.last_used_at = Some(now);
        fresh = true;
    }
    if fresh {
        caches.principals.put(generation, key, principal.clone());
    }
    Ok(Some(principal))
}

/// Loads the principal and, on the way, the person the access decisions
/// of this request will ask for.
async fn load_principal(
    pool: &Conns,
    caches: &Caches,
    generation: i64,
    secret_hash: &[u8],
) -> StoreResult<Option<Principal>> {
    // A login outlives nothing: without a membership it authenticates no one.
    let row: Option<SignedInRow> =
        sqlx::query_as(&format!("{SIGNED_IN_SELECT} WHERE l.secret_hash = $1"))
            .bind(secret_hash)
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (login, member) = row.split()?;
    let (organization_id, user_id) = (login.organization_id, login.user_id);
    let organization = organizations::cached(pool, caches, generation, organization_id).await?;
    let authority = Authority {
        is_owner: organization.owner_user_id == Some(user_id),
        grants: super::members::grants(pool, organization_id, user_id).await?,
    };
    let person = Person {
        flags: Some(member.flags),
        authority: authority.clone(),
    };
    caches
        .people
        .put(generation, (organization_id, user_id), Arc::new(person));
    Ok(Some(Principal {
        login,
        member,
        organization,
        authority,
    }))
}

pub(super) async fn get(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
    id: i64,
) -> StoreResult<Login> {
    sqlx::query_as::<_, LoginRow>(&format!(
        "{LOGIN_SELECT} WHERE l.id = $1 AND l.user_id = $2 AND l.organization_id = $3"
    ))
    .bind(id)
    .bind(user_id)
    .bind(organization_id)
    .fetch_one(pool)
    .await
    .map_err(db)?
    .try_into()
}

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
    ids: Option<&[i64]>,
    page: Page,
) -> StoreResult<Paged<Login>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE l.organization_id = ")
            .push_bind(organization_id)
            .push(" AND l.user_id = ")
            .push_bind(user_id);
        if let Some(ids) = ids {
            push_id_filter(sql, "l.id", ids);
        }
    };
    let (rows, total) = fetch_page::<LoginRow>(
        pool,
        "SELECT COUNT(*) FROM logins l",
        LOGIN_SELECT,
        &filter,
        " ORDER BY l.id",
        page,
    )
    .await?;
    Ok(Paged {
        items: rows
            .into_iter()
            .map(Login::try_from)
            .collect::<Result<_, _>>()?,
        total,
    })
}

pub(super) async fn delete(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    user_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let email: String = sqlx::query_scalar(
        "SELECT u.email FROM logins l JOIN users u ON u.id = l.user_id \
         WHERE l.id = $1 AND l.user_id = $2 AND l.organization_id = $3",
    )
    .bind(id)
    .bind(user_id)
    .bind(organization_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("DELETE FROM logins WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(organization_id, "Login", "destroy", id, email, json!({})),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn promote(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    user_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let email: String = sqlx::query_scalar(
        "SELECT u.email FROM logins l JOIN users u ON u.id = l.user_id WHERE l.id = $1 AND l.user_id = $2 AND l.organization_id = $3",
    )
    .bind(id)
    .bind(user_id)
    .bind(organization_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("UPDATE logins SET is_primary = (id = $1), updated_at = $2 WHERE user_id = $3")
        .bind(id)
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(organization_id, "Login", "promote", id, email, json!({})),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}
