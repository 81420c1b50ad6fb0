//! Organizations and bootstrap.

use super::conns::Conns;
use gatehouse_domain::{
    diff, Actor, Bootstrap, Bootstrapped, MemberFlags, NewEvent, Organization, OrganizationPatch,
    Timestamp,
};
use gatehouse_store::{StoreError, StoreResult};
use serde_json::{json, Map, Value};
use sqlx::Transaction;

use super::cache::Caches;
use super::rows::{MemberRow, OrganizationRow, MEMBER_SELECT, ORGANIZATION_COLUMNS};
use super::{db, events, is_unique_violation, Db};

pub(super) async fn count(pool: &Conns) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
        .fetch_one(pool)
        .await
        .map_err(db)
}

pub(super) async fn get<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    id: i64,
) -> StoreResult<Organization> {
    let row: OrganizationRow = sqlx::query_as(&format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE o.id = $1"
    ))
    .bind(id)
    .fetch_one(executor)
    .await
    .map_err(db)?;
    row.try_into()
}

/// An organization, cached at `generation`.
pub(super) async fn cached(
    pool: &Conns,
    caches: &Caches,
    generation: i64,
    id: i64,
) -> StoreResult<Organization> {
    if let Some(organization) = caches.organizations.get(generation, &id) {
        return Ok(organization);
    }
    let organization = get(pool, id).await?;
    caches
        .organizations
        .put(generation, id, organization.clone());
    Ok(organization)
}

pub(super) async fn bootstrap(
    pool: &Conns,
    request: &Bootstrap,
    now: Timestamp,
) -> StoreResult<Bootstrapped> {
    let mut tx = super::begin(pool).await?;
    let organization = &request.organization;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM organizations WHERE domain = $1")
        .bind(organization.domain.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    if taken.is_some() {
        return Err(domain_taken());
    }

    // The owner's user profile: an e-mail that already has one keeps it,
    // including its password, so bootstrap never changes how someone signs
    // in to their other organizations.
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(request.owner_email.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    let (user_id, owner_existed) = match existing {
        Some(id) => (id, true),
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (email, name, password_hash, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(request.owner_email.as_str())
            .bind(&request.owner_name)
            .bind(&request.owner_password_hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            (id, false)
        }
    };

    let organization_id: i64 = sqlx::query_scalar(
        "INSERT INTO organizations (name, domain, subscription, time_zone, owner_user_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(&organization.name)
    .bind(organization.domain.as_str())
    .bind(organization.subscription.as_str())
    .bind(&organization.time_zone)
    .bind(user_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            domain_taken()
        } else {
            db(e)
        }
    })?;

    // The bootstrap owner may always sign in with a password.
    let flags = MemberFlags {
        password_flow_enabled: true,
        ..MemberFlags::defaults(organization.subscription)
    };
    let search = gatehouse_domain::members::member_search_text(
        &request.owner_name,
        request.owner_email.as_str(),
        None,
    );
    let member_id = insert_member(&mut tx, organization_id, user_id, flags, &search, now).await?;

    let actor = Actor::Operator;
    events::record(
        &mut tx,
        &actor,
        NewEvent::change(
            organization_id,
            "Organization",
            "create",
            organization_id,
            &organization.name,
            json!({
                "domain": organization.domain.as_str(),
                "subscription": organization.subscription.as_str(),
            }),
        ),
        now,
    )
    .await
    .map_err(db)?;
    events::record(
        &mut tx,
        &actor,
        NewEvent::change(
            organization_id,
            "Member",
            "create",
            member_id,
            request.owner_email.as_str(),
            json!({
                "role_id": "owner",
            }),
        ),
        now,
    )
    .await
    .map_err(db)?;

    let organization = get(&mut *tx, organization_id).await?;
    let owner: MemberRow = sqlx::query_as(&format!("{MEMBER_SELECT} WHERE m.id = $1"))
        .bind(member_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Bootstrapped {
        organization,
        owner: owner.into(),
        owner_existed,
    })
}

fn domain_taken() -> StoreError {
    StoreError::conflict("domain", "has already been taken")
}

async fn insert_member(
    tx: &mut Transaction<'_, Db>,
    organization_id: i64,
    user_id: i64,
    flags: MemberFlags,
    search: &str,
    now: Timestamp,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO members (organization_id, user_id, search, access_enabled, password_flow_enabled, \
         link_enabled, app_enabled, card_enabled, cards_without_activation_enabled, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(organization_id)
    .bind(user_id)
    .bind(search)
    .bind(flags.access_enabled)
    .bind(flags.password_flow_enabled)
    .bind(flags.link_enabled)
    .bind(flags.app_enabled)
    .bind(flags.card_enabled)
    .bind(flags.cards_without_activation_enabled)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::conflict("email", "is already a member of this organization")
        } else {
            db(e)
        }
    })
}

pub(super) async fn update(
    pool: &Conns,
    actor: &Actor,
    id: i64,
    patch: &OrganizationPatch,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, id).await?;
    let new = Organization {
        name: patch.name.clone().unwrap_or_else(|| old.name.clone()),
        logo: patch.logo.clone().unwrap_or_else(|| old.logo.clone()),
        address: patch.address.clone().unwrap_or_else(|| old.address.clone()),
        description: patch
            .description
            .clone()
            .unwrap_or_else(|| old.description.clone()),
        device_logins_expire_after: patch
            .device_logins_expire_after
            .unwrap_or(old.device_logins_expire_after),
        time_zone: patch
            .time_zone
            .clone()
            .unwrap_or_else(|| old.time_zone.clone()),
        subscription: patch.subscription.unwrap_or(old.subscription),
        ..old.clone()
    };
    let mut details = Map::new();
    diff(&mut details, "name", &old.name, &new.name);
    diff(&mut details, "logo", &old.logo, &new.logo);
    diff(&mut details, "address", &old.address, &new.address);
    diff(
        &mut details,
        "description",
        &old.description,
        &new.description,
    );
    diff(
        &mut details,
        "device_logins_expire_after",
        &old.device_logins_expire_after,
        &new.device_logins_expire_after,
    );
    diff(&mut details, "time_zone", &old.time_zone, &new.time_zone);
    diff(
        &mut details,
        "subscription",
        &old.subscription.as_str(),
        &new.subscription.as_str(),
    );
    if details.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE organizations SET name = $1, logo = $2, address = $3, description = $4, \
         device_logins_expire_after = $5, time_zone = $6, subscription = $7, updated_at = $8 \
         WHERE id = $9",
    )
    .bind(&new.name)
    .bind(&new.logo)
    .bind(&new.address)
    .bind(&new.description)
    .bind(new.device_logins_expire_after)
    .bind(&new.time_zone)
    .bind(new.subscription.as_str())
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if old.subscription != new.subscription {
        apply_subscription_rules(&mut tx, id, new.subscription, now).await?;
    }
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            id,
            "Organization",
            "update",
            id,
            &new.name,
            Value::Object(details),
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

/// The flags that are not switches on a subscription take their fixed
/// value there (DESIGN.md section 3): on `standard` everyone may sign in
/// with a password; on `organizations` cards always need activation.
async fn apply_subscription_rules(
    tx: &mut Transaction<'_, Db>,
    organization_id: i64,
    subscription: gatehouse_domain::Subscription,
    now: Timestamp,
) -> StoreResult<()> {
    let statement = match subscription {
        gatehouse_domain::Subscription::Standard => {
            "UPDATE members SET password_flow_enabled = TRUE, updated_at = $1 \
             WHERE organization_id = $2 AND password_flow_enabled = FALSE"
        }
        gatehouse_domain::Subscription::Organizations => {
            "UPDATE members SET cards_without_activation_enabled = FALSE, updated_at = $1 \
             WHERE organization_id = $2 AND cards_without_activation_enabled = TRUE"
        }
    };
    sqlx::query(statement)
        .bind(now)
        .bind(organization_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn by_domain(pool: &Conns, domain: &str) -> StoreResult<Organization> {
    let row: OrganizationRow = sqlx::query_as(&format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations o WHERE o.domain = $1"
    ))
    .bind(domain.to_lowercase())
    .fetch_one(pool)
    .await
    .map_err(db)?;
    row.try_into()
}
