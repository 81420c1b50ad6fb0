//! Cards and their assignments, readers, and quick access links.

use super::conns::Conns;
use gatehouse_domain::{
    Actor, Card, CardAssignment, CardIdentity, GroupLink, NewCard, NewCardAssignment, NewEvent,
    NewGroupLink, PresentedCard, Reader, Timestamp,
};
use gatehouse_store::{
    CardAssignmentQuery, CardQuery, GroupLinkQuery, Paged, StoreError, StoreResult,
};
use serde_json::json;
use sqlx::{QueryBuilder, Transaction};

use super::cache::Caches;
use super::recorder::{Recorder, UsedTable};
use super::{db, events, fetch_page, is_unique_violation, like_pattern, push_id_filter, Db};

const CARD_SELECT: &str =
    "SELECT c.id, c.organization_id, c.type, c.token, c.uid, c.facility_code, c.card_number, \
    c.last_used_at, c.created_at, c.updated_at, ca.id AS assignment_id FROM cards c \
    LEFT JOIN card_assignments ca ON ca.card_id = c.id";

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    organization_id: i64,
    #[sqlx(rename = "type")]
    card_type: String,
    token: Option<String>,
    uid: Option<String>,
    facility_code: Option<i64>,
    card_number: Option<i64>,
    last_used_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
    assignment_id: Option<i64>,
}

const ASSIGNMENT_SELECT: &str = "SELECT ca.id, ca.organization_id, ca.card_id, ca.user_id, ca.status, \
    ca.two_factor_pin_hash IS NOT NULL AS has_pin, ca.send_two_factor_pin_notification, ca.created_by_id, \
    ca.created_at, ca.updated_at FROM card_assignments ca";

#[derive(sqlx::FromRow)]
struct AssignmentRow {
    id: i64,
    organization_id: i64,
    card_id: i64,
    user_id: i64,
    status: String,
    has_pin: bool,
    send_two_factor_pin_notification: bool,
    created_by_id: Option<i64>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<AssignmentRow> for CardAssignment {
    fn from(row: AssignmentRow) -> Self {
        CardAssignment {
            id: row.id,
            organization_id: row.organization_id,
            card_id: row.card_id,
            user_id: row.user_id,
            activated: row.status == "activated",
            has_two_factor_pin: row.has_pin,
            send_two_factor_pin_notification: row.send_two_factor_pin_notification,
            created_by_id: row.created_by_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

async fn assignment_in(
    executor: impl sqlx::Executor<'_, Database = Db>,
    organization_id: i64,
    id: i64,
) -> StoreResult<CardAssignment> {
    let row: AssignmentRow = sqlx::query_as(&format!(
        "{ASSIGNMENT_SELECT} WHERE ca.organization_id = $1 AND ca.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(executor)
    .await
    .map_err(db)?;
    Ok(row.into())
}

async fn card_with_assignment(pool: &Conns, row: CardRow) -> StoreResult<Card> {
    let assignment = match row.assignment_id {
        Some(id) => Some(assignment_in(pool, row.organization_id, id).await?),
        None => None,
    };
    Ok(Card {
        id: row.id,
        organization_id: row.organization_id,
        card_type: row.card_type,
        token: row.token,
        uid: row.uid,
        facility_code: row.facility_code,
        card_number: row.card_number,
        last_used_at: row.last_used_at,
        assignment,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) async fn list_cards(
    pool: &Conns,
    organization_id: i64,
    query: &CardQuery,
) -> StoreResult<Paged<Card>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE c.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "c.id", ids);
        }
        match query.status {
            Some(Some(true)) => sql.push(" AND ca.status = 'activated'"),
            Some(Some(false)) => sql.push(" AND ca.status = 'deactivated'"),
            Some(None) => sql.push(" AND ca.id IS NULL"),
            None => sql,
        };
        if let Some(token) = &query.token {
            sql.push(" AND LOWER(c.token) = ")
                .push_bind(token.to_lowercase());
        }
        if let Some(uid) = &query.uid {
            sql.push(" AND LOWER(c.uid) = ")
                .push_bind(uid.to_lowercase());
        }
        if let Some(facility_code) = query.facility_code {
            sql.push(" AND c.facility_code = ").push_bind(facility_code);
        }
        if let Some(card_number) = query.card_number {
            sql.push(" AND c.card_number = ").push_bind(card_number);
        }
        if let Some(user_id) = query.user_id {
            sql.push(" AND ca.user_id = ").push_bind(user_id);
        }
    };
    let (rows, total) = fetch_page::<CardRow>(
        pool,
        "SELECT COUNT(*) FROM cards c LEFT JOIN card_assignments ca ON ca.card_id = c.id",
        CARD_SELECT,
        &filter,
        " ORDER BY c.id",
        query.page,
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(card_with_assignment(pool, row).await?);
    }
    Ok(Paged { items, total })
}

pub(super) async fn card(pool: &Conns, organization_id: i64, id: i64) -> StoreResult<Card> {
    let row: CardRow = sqlx::query_as(&format!(
        "{CARD_SELECT} WHERE c.organization_id = $1 AND c.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    card_with_assignment(pool, row).await
}

pub(super) async fn create_card(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    card: &NewCard,
    now: Timestamp,
) -> StoreResult<Card> {
    let (token, uid, facility_code, card_number) = match &card.identity {
        CardIdentity::Token(token) => (Some(token.clone()), None, None, None),
        CardIdentity::Uid(uid) => (None, Some(uid.clone()), None, None),
        CardIdentity::Numbers(facility, number) => (None, None, *facility, Some(*number)),
    };
    let mut tx = super::begin(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cards (organization_id, type, identity, token, uid, facility_code, card_number, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(organization_id)
    .bind(card.card_type.as_string())
    .bind(card.identity.key())
    .bind(&token)
    .bind(&uid)
    .bind(facility_code)
    .bind(card_number)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { StoreError::conflict("card", "a card with the same identifiers is already enrolled") } else { db(e) })?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Card",
            "create",
            id,
            card.identity.key(),
            json!({"type": card.card_type.as_string()}),
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    self::card(pool, organization_id, id).await
}

pub(super) async fn delete_card(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let identity: String =
        sqlx::query_scalar("SELECT identity FROM cards WHERE organization_id = $1 AND id = $2")
            .bind(organization_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    sqlx::query("DELETE FROM card_assignments WHERE card_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query("DELETE FROM cards WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(organization_id, "Card", "destroy", id, identity, json!({})),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn list_assignments(
    pool: &Conns,
    organization_id: i64,
    query: &CardAssignmentQuery,
) -> StoreResult<Paged<CardAssignment>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE ca.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "ca.id", ids);
        }
        if let Some(user_id) = query.user_id {
            sql.push(" AND ca.user_id = ").push_bind(user_id);
        }
        if let Some(activated) = query.activated {
            sql.push(" AND ca.status = ").push_bind(if activated {
                "activated"
            } else {
                "deactivated"
            });
        }
        if let Some(card_ids) = &query.card_ids {
            push_id_filter(sql, "ca.card_id", card_ids);
        }
    };
    let (rows, total) = fetch_page::<AssignmentRow>(
        pool,
        "SELECT COUNT(*) FROM card_assignments ca",
        ASSIGNMENT_SELECT,
        &filter,
        " ORDER BY ca.id",
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows.into_iter().map(CardAssignment::from).collect(),
        total,
    })
}

pub(super) async fn assignment(
    pool: &Conns,
    organization_id: i64,
    id: i64,
) -> StoreResult<CardAssignment> {
    assignment_in(pool, organization_id, id).await
}

pub(super) async fn create_assignment(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    new: &NewCardAssignment,
    now: Timestamp,
) -> StoreResult<CardAssignment> {
    let mut tx = super::begin(pool).await?;
    let card: Option<(String,)> =
        sqlx::query_as("SELECT identity FROM cards WHERE organization_id = $1 AND id = $2")
            .bind(organization_id)
            .bind(new.card_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    let (identity,) =
        card.ok_or_else(|| StoreError::conflict("card_id", "does not exist in this organization"))?;
    let member: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM members WHERE organization_id = $1 AND user_id = $2")
            .bind(organization_id)
            .bind(new.user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    member.ok_or_else(|| {
        StoreError::conflict("assignee_id", "is not a member of this organization")
    })?;
    let created_by = match actor {
        Actor::User { user_id, .. } => Some(*user_id),
        Actor::Operator => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO card_assignments (organization_id, card_id, user_id, status, two_factor_pin_hash, \
         send_two_factor_pin_notification, activation_token_hash, created_by_id, created_at, updated_at) \
         VALUES ($1, $2, $3, 'deactivated', $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(organization_id)
    .bind(new.card_id)
    .bind(new.user_id)
    .bind(&new.two_factor_pin_hash)
    .bind(new.send_two_factor_pin_notification)
    .bind(&new.activation_token_hash)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { StoreError::conflict("card_id", "is already assigned") } else { db(e) })?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Card",
            "assign",
            new.card_id,
            identity,
            json!({"user_id": new.user_id, "card_assignment_id": id}),
        ),
        now,
    )
    .await
    .map_err(db)?;
    let created = assignment_in(&mut *tx, organization_id, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(created)
}

pub(super) async fn update_assignment(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    pin_hash: Option<Option<String>>,
    send_notification: Option<bool>,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = assignment_in(&mut *tx, organization_id, id).await?;
    if let Some(pin_hash) = &pin_hash {
        sqlx::query(
            "UPDATE card_assignments SET two_factor_pin_hash = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(pin_hash)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    if let Some(send) = send_notification {
        sqlx::query("UPDATE card_assignments SET send_two_factor_pin_notification = $1, updated_at = $2 WHERE id = $3")
            .bind(send)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let details = json!({"two_factor_pin": pin_hash.as_ref().map(|p| if p.is_some() { "set" } else { "removed" })});
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Card",
            "update",
            old.card_id,
            format!("card {}", old.card_id),
            details,
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

async fn set_status_in(
    tx: &mut Transaction<'_, Db>,
    actor: &Actor,
    assignment: &CardAssignment,
    activated: bool,
    action: &'static str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("UPDATE card_assignments SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(if activated {
            "activated"
        } else {
            "deactivated"
        })
        .bind(now)
        .bind(assignment.id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    events::record(
        tx,
        actor,
        NewEvent::change(assignment.organization_id, "Card", action, assignment.card_id, format!("card {}", assignment.card_id), json!({
            "status": [if assignment.activated { "activated" } else { "deactivated" }, if activated { "activated" } else { "deactivated" }],
        })),
        now,
    )
    .await
    .map_err(db)
}

pub(super) async fn set_status(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    activated: bool,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = assignment_in(&mut *tx, organization_id, id).await?;
    if old.activated != activated {
        set_status_in(
            &mut tx,
            actor,
            &old,
            activated,
            if activated { "activate" } else { "deactivate" },
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(db)
}

pub(super) async fn activate_with_token(
    pool: &Conns,
    token_hash: &[u8],
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let found: Option<(i64, i64)> = sqlx::query_as(
        "SELECT organization_id, id FROM card_assignments WHERE activation_token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let (organization_id, id) = found.ok_or(StoreError::NotFound)?;
    let old = assignment_in(&mut *tx, organization_id, id).await?;
    // The token works once.
    sqlx::query("UPDATE card_assignments SET activation_token_hash = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    set_status_in(
        &mut tx,
        &Actor::Operator,
        &old,
        true,
        "activate_with_token",
        now,
    )
    .await?;
    tx.commit().await.map_err(db)
}

pub(super) async fn delete_assignment(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = assignment_in(&mut *tx, organization_id, id).await?;
    sqlx::query("DELETE FROM card_assignments WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Card",
            "deassign",
            old.card_id,
            format!("card {}", old.card_id),
            json!({"user_id": old.user_id}),
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

const READER_SELECT: &str =
    "SELECT id, organization_id, lock_id, name, created_at, updated_at FROM readers";

type ReaderRow = (i64, i64, i64, String, Timestamp, Timestamp);

fn reader(row: ReaderRow) -> Reader {
    let (id, organization_id, lock_id, name, created_at, updated_at) = row;
    Reader {
        id,
        organization_id,
        lock_id,
        name,
        created_at,
        updated_at,
    }
}

pub(super) async fn create_reader(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    lock_id: i64,
    name: &str,
    secret_hash: &[u8],
    now: Timestamp,
) -> StoreResult<Reader> {
    let mut tx = super::begin(pool).await?;
    let lock: Option<(i64,)> =
        sqlx::query_as("SELECT place_id FROM locks WHERE organization_id = $1 AND id = $2")
            .bind(organization_id)
            .bind(lock_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    let (place_id,) =
        lock.ok_or_else(|| StoreError::conflict("lock_id", "does not exist in this organization"))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO readers (organization_id, lock_id, name, secret_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(organization_id)
    .bind(lock_id)
    .bind(name)
    .bind(secret_hash)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Reader",
            "create",
            id,
            name,
            json!({"lock_id": lock_id}),
        )
        .in_place(Some(place_id)),
        now,
    )
    .await
    .map_err(db)?;
    let row: ReaderRow = sqlx::query_as(&format!("{READER_SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(reader(row))
}

pub(super) async fn authenticate_reader(
    pool: &Conns,
    caches: &Caches,
    secret_hash: &[u8],
) -> StoreResult<Option<Reader>> {
    let generation = caches.generation.current().await?;
    let key = secret_hash.to_vec();
    if let Some(reader) = caches.readers.get(generation, &key) {
        return Ok(Some(reader));
    }
    let row: Option<ReaderRow> = sqlx::query_as(&format!("{READER_SELECT} WHERE secret_hash = $1"))
        .bind(secret_hash)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    let found = row.map(reader);
    if let Some(reader) = &found {
        caches.readers.put(generation, key, reader.clone());
    }
    Ok(found)
}

pub(super) async fn presented_card(
    pool: &Conns,
    organization_id: i64,
    identity: &CardIdentity,
) -> StoreResult<Option<PresentedCard>> {
    type Found = (
        i64,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let found: Option<Found> = sqlx::query_as(
        "SELECT c.id, ca.user_id, ca.status, ca.two_factor_pin_hash, COALESCE(m.name, u.name), u.email \
         FROM cards c LEFT JOIN card_assignments ca ON ca.card_id = c.id \
         LEFT JOIN members m ON m.organization_id = c.organization_id AND m.user_id = ca.user_id \
         LEFT JOIN users u ON u.id = m.user_id \
         WHERE c.organization_id = $1 AND c.identity = $2",
    )
    .bind(organization_id)
    .bind(identity.key())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    let Some((card_id, user_id, status, pin, name, email)) = found else {
        return Ok(None);
    };
    Ok(Some(PresentedCard {
        card_id,
        user_id,
        activated: status.as_deref() == Some("activated"),
        two_factor_pin_hash: pin,
        holder: name.zip(email),
    }))
}

const LINK_SELECT: &str = "SELECT gl.id, gl.organization_id, gl.group_id, g.name AS group_name, gl.name, gl.email, gl.phone, \
    gl.user_id, gl.link_enabled, gl.quick_response_code_type, gl.valid_from, gl.valid_until, gl.last_used_at, \
    gl.created_by_id, gl.created_at, gl.updated_at FROM group_links gl JOIN groups g ON g.id = gl.group_id";

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: i64,
    organization_id: i64,
    group_id: i64,
    group_name: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    user_id: Option<i64>,
    link_enabled: bool,
    quick_response_code_type: Option<String>,
    valid_from: Option<Timestamp>,
    valid_until: Option<Timestamp>,
    last_used_at: Option<Timestamp>,
    created_by_id: Option<i64>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<LinkRow> for GroupLink {
    fn from(r: LinkRow) -> Self {
        GroupLink {
            id: r.id,
            organization_id: r.organization_id,
            group_id: r.group_id,
            group_name: r.group_name,
            name: r.name,
            email: r.email,
            phone: r.phone,
            user_id: r.user_id,
            link_enabled: r.link_enabled,
            quick_response_code_type: r.quick_response_code_type,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            last_used_at: r.last_used_at,
            created_by_id: r.created_by_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(super) async fn list_links(
    pool: &Conns,
    organization_id: i64,
    query: &GroupLinkQuery,
) -> StoreResult<Paged<GroupLink>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" WHERE gl.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "gl.id", ids);
        }
        if let Some(group_id) = query.group_id {
            sql.push(" AND gl.group_id = ").push_bind(group_id);
        }
        if let Some(text) = &query.query {
            sql.push(" AND gl.search LIKE ")
                .push_bind(like_pattern(text))
                .push(" ESCAPE '\\'");
        }
    };
    let (rows, total) = fetch_page::<LinkRow>(
        pool,
        "SELECT COUNT(*) FROM group_links gl",
        LINK_SELECT,
        &filter,
        " ORDER BY gl.id",
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows.into_iter().map(GroupLink::from).collect(),
        total,
    })
}

pub(super) async fn create_link(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    new: &NewGroupLink,
    now: Timestamp,
) -> StoreResult<GroupLink> {
    let mut tx = super::begin(pool).await?;
    let created = create_link_in(&mut tx, actor, organization_id, new, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(created)
}

pub(super) async fn create_link_in(
    tx: &mut Transaction<'_, Db>,
    actor: &Actor,
    organization_id: i64,
    new: &NewGroupLink,
    now: Timestamp,
) -> StoreResult<GroupLink> {
    let group: Option<(String,)> =
        sqlx::query_as("SELECT name FROM groups WHERE organization_id = $1 AND id = $2")
            .bind(organization_id)
            .bind(new.group_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?;
    group.ok_or_else(|| StoreError::conflict("group_id", "does not exist in this organization"))?;
    // A link issued to a member's e-mail is that member's personal link.
    let user_id: Option<i64> = match &new.email {
        Some(email) => sqlx::query_scalar(
            "SELECT u.id FROM users u JOIN members m ON m.user_id = u.id WHERE m.organization_id = $1 AND u.email = $2",
        )
        .bind(organization_id)
        .bind(email.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?,
        None => None,
    };
    let email = new.email.as_ref().map(|e| e.as_str().to_owned());
    let search = format!(
        "{} {} {}",
        new.name,
        email.clone().unwrap_or_default(),
        new.phone.clone().unwrap_or_default()
    )
    .to_lowercase();
    let created_by = match actor {
        Actor::User { user_id, .. } => Some(*user_id),
        Actor::Operator => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO group_links (organization_id, group_id, name, search, email, phone, user_id, secret_hash, link_enabled, \
         quick_response_code_type, valid_from, valid_until, created_by_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
    )
    .bind(organization_id)
    .bind(new.group_id)
    .bind(&new.name)
    .bind(search)
    .bind(&email)
    .bind(&new.phone)
    .bind(user_id)
    .bind(&new.secret_hash)
    .bind(new.link_enabled)
    .bind(&new.quick_response_code_type)
    .bind(new.valid_from)
    .bind(new.valid_until)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    events::record(
        tx,
        actor,
        NewEvent::change(
            organization_id,
            "GroupLink",
            "create",
            id,
            &new.name,
            json!({"group_id": new.group_id, "email": email}),
        ),
        now,
    )
    .await
    .map_err(db)?;
    let row: LinkRow = sqlx::query_as(&format!("{LINK_SELECT} WHERE gl.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    Ok(row.into())
}

pub(super) async fn delete_link(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let name: String =
        sqlx::query_scalar("SELECT name FROM group_links WHERE organization_id = $1 AND id = $2")
            .bind(organization_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    sqlx::query("DELETE FROM group_links WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(organization_id, "GroupLink", "destroy", id, name, json!({})),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn authenticate_link(
    pool: &Conns,
    recorder: &Recorder,
    secret_hash: &[u8],
    now: Timestamp,
) -> StoreResult<Option<GroupLink>> {
    let row: Option<LinkRow> = sqlx::query_as(&format!("{LINK_SELECT} WHERE gl.secret_hash = $1"))
        .bind(secret_hash)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    let Some(mut row) = row else { return Ok(None) };
    recorder.used(UsedTable::GroupLinks, row.id, now).await?;
    row.last_used_at = Some(now);
    Ok(Some(row.into()))
}
