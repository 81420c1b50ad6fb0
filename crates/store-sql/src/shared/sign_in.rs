//! Single-use e-mailed tokens (sign-in links, password resets) and the
//! failure counters that throttle password guessing. Both live in the
//! database, so every node of a deployment sees the same state.

use super::conns::Conns;
use gatehouse_domain::{
    Actor, NewEvent, NewUserToken, SignInCandidate, ThrottlePolicy, Timestamp, TokenPurpose,
};
use gatehouse_store::StoreResult;
use serde_json::json;
use sqlx::{QueryBuilder, Transaction};

use super::{db, events, users, Db};

pub(super) async fn issue(pool: &Conns, token: &NewUserToken, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO user_tokens (organization_id, user_id, purpose, token_hash, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.organization_id)
    .bind(token.user_id)
    .bind(token.purpose.as_str())
    .bind(&token.token_hash)
    .bind(token.expires_at)
    .bind(now)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

/// Marks the token used if it is still good; one statement, so two requests
/// racing with the same token cannot both win.
async fn redeem(
    tx: &mut Transaction<'_, Db>,
    purpose: TokenPurpose,
    token_hash: &[u8],
    now: Timestamp,
) -> StoreResult<Option<(i64, i64)>> {
    sqlx::query_as(
        "UPDATE user_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING organization_id, user_id",
    )
    .bind(now)
    .bind(token_hash)
    .bind(purpose.as_str())
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)
}

pub(super) async fn redeem_sign_in(
    pool: &Conns,
    token_hash: &[u8],
    now: Timestamp,
) -> StoreResult<Option<SignInCandidate>> {
    let mut tx = super::begin(pool).await?;
    let Some((organization_id, user_id)) =
        redeem(&mut tx, TokenPurpose::SignIn, token_hash, now).await?
    else {
        return Ok(None);
    };
    let member: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT m.id, u.password_hash FROM members m JOIN users u ON u.id = m.user_id \
         WHERE m.organization_id = $1 AND m.user_id = $2",
    )
    .bind(organization_id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    match member {
        Some((member_id, password_hash)) => {
            users::candidate(pool, organization_id, member_id, password_hash)
                .await
                .map(Some)
        }
        None => Ok(None),
    }
}

pub(super) async fn reset_password(
    pool: &Conns,
    token_hash: &[u8],
    password_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<i64>> {
    let mut tx = super::begin(pool).await?;
    let Some((organization_id, user_id)) =
        redeem(&mut tx, TokenPurpose::PasswordReset, token_hash, now).await?
    else {
        return Ok(None);
    };
    let (name, email): (String, String) = sqlx::query_as(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 RETURNING name, email",
    )
    .bind(password_hash)
    .bind(now)
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(TokenPurpose::PasswordReset.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // Whoever knew the old password is signed out everywhere.
    let signed_out = sqlx::query("DELETE FROM logins WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
    let actor = Actor::User {
        user_id,
        login_id: None,
        name,
        email: email.clone(),
    };
    events::record(
        &mut tx,
        &actor,
        NewEvent::change(
            organization_id,
            "User",
            "update_password",
            user_id,
            email,
            json!({"password": "reset", "logins_signed_out": signed_out}),
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Some(user_id))
}

pub(super) async fn locked_until(
    pool: &Conns,
    keys: &[String],
    now: Timestamp,
) -> StoreResult<Option<Timestamp>> {
    let mut sql =
        QueryBuilder::<Db>::new("SELECT locked_until FROM sign_in_failures WHERE locked_until > ");
    sql.push_bind(now).push(" AND key IN (");
    let mut list = sql.separated(", ");
    for key in keys {
        list.push_bind(key.clone());
    }
    list.push_unseparated(")");
    let locks: Vec<(Timestamp,)> = sql.build_query_as().fetch_all(pool).await.map_err(db)?;
    Ok(locks.into_iter().map(|(until,)| until).max())
}

pub(super) async fn record_failure(
    pool: &Conns,
    key: &str,
    policy: ThrottlePolicy,
    event: Option<(Actor, NewEvent)>,
    now: Timestamp,
) -> StoreResult<Option<Timestamp>> {
    let mut tx = super::begin(pool).await?;
    // One atomic upsert: concurrent failures each count.
    let failures: i32 = sqlx::query_scalar(
        "INSERT INTO sign_in_failures (key, failures, last_failure_at) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN sign_in_failures.last_failure_at < $3 THEN 1 \
                           ELSE sign_in_failures.failures + 1 END, \
           last_failure_at = $2 \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(now - policy.window)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let failures = u32::try_from(failures).unwrap_or(0);
    let locked_until = policy.lock_after(failures).map(|lock| now + lock);
    if let Some(until) = locked_until {
        sqlx::query("UPDATE sign_in_failures SET locked_until = $1 WHERE key = $2")
            .bind(until)
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    if let Some((actor, mut event)) = event {
        if let serde_json::Value::Object(details) = &mut event.details {
            details.insert("failures".into(), json!(failures));
            details.insert("locked_until".into(), json!(locked_until));
        }
        events::record(&mut tx, &actor, event, now)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(locked_until)
}

pub(super) async fn clear(pool: &Conns, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
        .bind(key)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}
