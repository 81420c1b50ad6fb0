//! User profiles and the signed-in user's own changes.

use super::conns::Conns;
use gatehouse_domain::{
    diff, Actor, Email, Member, NewEvent, SignInCandidate, Timestamp, User, UserChange,
};
use gatehouse_store::StoreResult;
use serde_json::{json, Map, Value};

use super::rows::{MemberRow, UserRow, MEMBER_SELECT};
use super::{db, events, organizations};

pub(super) async fn get(pool: &Conns, id: i64) -> StoreResult<User> {
    let row: UserRow = sqlx::query_as(
        "SELECT id, email, name, image, locale, created_at, updated_at FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(row.into())
}

pub(super) async fn password_hash(pool: &Conns, user_id: i64) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
        .map_err(db)
}

pub(super) async fn member_by_email(
    pool: &Conns,
    organization_id: i64,
    email: &Email,
) -> StoreResult<Option<Member>> {
    let row: Option<MemberRow> = sqlx::query_as(&format!(
        "{MEMBER_SELECT} WHERE m.organization_id = $1 AND u.email = $2"
    ))
    .bind(organization_id)
    .bind(email.as_str())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(Member::from))
}

pub(super) async fn sign_in_candidate(
    pool: &Conns,
    domain: &str,
    email: &Email,
) -> StoreResult<Option<SignInCandidate>> {
    let found: Option<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT o.id, m.id, u.password_hash FROM organizations o \
         JOIN members m ON m.organization_id = o.id JOIN users u ON u.id = m.user_id \
         WHERE o.domain = $1 AND u.email = $2",
    )
    .bind(domain.to_lowercase())
    .bind(email.as_str())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    let Some((organization_id, member_id, password_hash)) = found else {
        return Ok(None);
    };
    candidate(pool, organization_id, member_id, password_hash)
        .await
        .map(Some)
}

pub(super) async fn candidate(
    pool: &Conns,
    organization_id: i64,
    member_id: i64,
    password_hash: Option<String>,
) -> StoreResult<SignInCandidate> {
    let organization = organizations::get(pool, organization_id).await?;
    let member: MemberRow = sqlx::query_as(&format!("{MEMBER_SELECT} WHERE m.id = $1"))
        .bind(member_id)
        .fetch_one(pool)
        .await
        .map_err(db)?;
    Ok(SignInCandidate {
        organization,
        member: member.into(),
        password_hash,
    })
}

pub(super) async fn update_current(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    user_id: i64,
    change: &UserChange,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old: UserRow = sqlx::query_as(
        "SELECT id, email, name, image, locale, created_at, updated_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let old = User::from(old);
    let (email, old_name) = (old.email.clone(), old.name.clone());
    let mut details = Map::new();
    let image = change.image.clone().unwrap_or_else(|| old.image.clone());
    let locale = change.locale.clone().unwrap_or_else(|| old.locale.clone());
    if image != old.image || locale != old.locale {
        sqlx::query("UPDATE users SET image = $1, locale = $2, updated_at = $3 WHERE id = $4")
            .bind(&image)
            .bind(&locale)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        diff(&mut details, "image", &old.image, &image);
        diff(&mut details, "locale", &old.locale, &locale);
    }
    if let Some(name) = change.name.as_deref().filter(|name| *name != old_name) {
        sqlx::query("UPDATE users SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(name)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        details.insert("name".into(), json!([old_name, name]));
        // Members without a name of their own show the user's: re-index them.
        let named_by_user: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, notes FROM members WHERE user_id = $1 AND name IS NULL")
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
        for (member_id, notes) in named_by_user {
            sqlx::query("UPDATE members SET search = $1 WHERE id = $2")
                .bind(gatehouse_domain::members::member_search_text(
                    name,
                    &email,
                    notes.as_deref(),
                ))
                .bind(member_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
    }
    if let Some(hash) = &change.password_hash {
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        // A new password ends every other session, wherever it was opened.
        let signed_out = sqlx::query("DELETE FROM logins WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(change.keep_login_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        details.insert("password".into(), json!("changed"));
        details.insert("other_logins_signed_out".into(), json!(signed_out));
    }
    if !details.is_empty() {
        let action = if change.password_hash.is_some() {
            "update_password"
        } else {
            "update"
        };
        events::record(
            &mut tx,
            actor,
            NewEvent::change(
                organization_id,
                "User",
                action,
                user_id,
                email,
                Value::Object(details),
            ),
            now,
        )
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
