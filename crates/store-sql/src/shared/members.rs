//! Members: a user's membership in an organization, with its flags.

use super::conns::Conns;
use gatehouse_domain::members::member_search_text;
use gatehouse_domain::{
    diff, Actor, Authority, Email, Grant, Member, MemberFlags, MemberPatch, NewEvent, NewMember,
    PurgeReport, Role, Subscription, Timestamp,
};
use gatehouse_store::{MemberQuery, MemberSort, Paged, StoreError, StoreResult};
use serde_json::{json, Map, Value};
use sqlx::{QueryBuilder, Transaction};

use super::rows::{scope_of, MemberRow, MEMBERS_FROM, MEMBER_COLUMNS, MEMBER_SELECT};
use super::search::TextLookup;
use super::visibility::push_member_visibility;
use super::{db, events, fetch_page, is_unique_violation, push_id_filter, Db};

/// FROM and WHERE of a member query (list and export share it); a text
/// search finds its rows by `lookup` (see `search`).
fn push_filter(
    sql: &mut QueryBuilder<'_, Db>,
    organization_id: i64,
    query: &MemberQuery,
    lookup: &TextLookup,
) {
    sql.push(MEMBERS_FROM)
        .push(" WHERE m.organization_id = ")
        .push_bind(organization_id);
    if let Some(ids) = &query.ids {
        push_id_filter(
            sql,
            if query.ids_are_users {
                "m.user_id"
            } else {
                "m.id"
            },
            ids,
        );
    }
    if let Some(user_id) = query.user_id {
        sql.push(" AND m.user_id = ").push_bind(user_id);
    }
    if let Some(email) = &query.email {
        sql.push(" AND u.email = ").push_bind(email.to_lowercase());
    }
    if let Some(text) = &query.query {
        let text = text.to_lowercase();
        match lookup {
            TextLookup::Candidates(found) => {
                super::super::push_member_candidates(sql, &text, &found.ids, found.recent_from)
            }
            TextLookup::Index(sample) => {
                let part = sample
                    .as_deref()
                    .map_or(text.as_str(), |sample| sample.lookup_part(&text));
                super::super::push_member_search(sql, &text, part);
            }
        }
    }
    if let Some(place_id) = query.place_id {
        sql.push(concat!(
            " AND (EXISTS (SELECT 1 FROM role_assignments ra WHERE ",
            super::rows::held_directly!(),
            " AND ra.place_id = "
        ))
        .push_bind(place_id)
        .push(concat!(
            ") OR EXISTS (SELECT 1 FROM role_assignments ra WHERE ",
            super::rows::held_through_team!(),
            " AND ra.place_id = "
        ))
        .push_bind(place_id)
        .push("))");
    }
    if let Some(group_id) = query.group_id {
        sql.push(concat!(
            " AND (EXISTS (SELECT 1 FROM role_assignments ra WHERE ",
            super::rows::held_directly!(),
            " AND ra.applies_to_type = 'Group' AND ra.applies_to_id = "
        ))
        .push_bind(group_id)
        .push(concat!(
            ") OR EXISTS (SELECT 1 FROM role_assignments ra WHERE ",
            super::rows::held_through_team!(),
            " AND ra.applies_to_type = 'Group' AND ra.applies_to_id = "
        ))
        .push_bind(group_id)
        .push("))");
    }
    if let Some(visibility) = &query.visible_to {
        push_member_visibility(sql, organization_id, "m.user_id", visibility);
    }
}

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    query: &MemberQuery,
    lookup: &TextLookup,
) -> StoreResult<Paged<Member>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| push_filter(sql, organization_id, query, lookup);
    let order_by = match query.sort {
        MemberSort::Id => " ORDER BY m.id",
        MemberSort::Name => " ORDER BY LOWER(COALESCE(m.name, u.name)), m.id",
        MemberSort::NameDesc => " ORDER BY LOWER(COALESCE(m.name, u.name)) DESC, m.id DESC",
        MemberSort::Unlock => " ORDER BY CASE WHEN m.last_accessed_at IS NULL THEN 0 ELSE 1 END, m.last_accessed_at, m.id",
        MemberSort::UnlockDesc => {
            " ORDER BY CASE WHEN m.last_accessed_at IS NULL THEN 0 ELSE 1 END DESC, m.last_accessed_at DESC, m.id DESC"
        }
        MemberSort::AccessEnabled => " ORDER BY CASE WHEN m.access_enabled THEN 1 ELSE 0 END, m.id",
        MemberSort::AccessEnabledDesc => " ORDER BY CASE WHEN m.access_enabled THEN 1 ELSE 0 END DESC, m.id",
    };
    let (rows, total) = fetch_page::<MemberRow>(
        pool,
        "SELECT COUNT(*)",
        MEMBER_COLUMNS,
        &filter,
        order_by,
        query.page,
    )
    .await?;
    Ok(Paged {
        items: rows.into_iter().map(Member::from).collect(),
        total,
    })
}

pub(super) async fn get<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    organization_id: i64,
    id: i64,
) -> StoreResult<Member> {
    let row: MemberRow = sqlx::query_as(&format!(
        "{MEMBER_SELECT} WHERE m.organization_id = $1 AND m.id = $2"
    ))
    .bind(organization_id)
    .bind(id)
    .fetch_one(executor)
    .await
    .map_err(db)?;
    Ok(row.into())
}

pub(super) async fn of_user(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
) -> StoreResult<Member> {
    let row: MemberRow = sqlx::query_as(&format!(
        "{MEMBER_SELECT} WHERE m.organization_id = $1 AND m.user_id = $2"
    ))
    .bind(organization_id)
    .bind(user_id)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(row.into())
}

/// The user id for an e-mail, creating the profile when there is none.
pub(super) async fn user_for_email(
    tx: &mut Transaction<'_, Db>,
    email: &Email,
    name: Option<&str>,
    now: Timestamp,
) -> StoreResult<(i64, bool)> {
    // Insert first: a new person costs one statement, a known one two.
    let default_name = email.as_str().split('@').next().unwrap_or_default();
    let created: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (email, name, created_at, updated_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(email.as_str())
    .bind(name.unwrap_or(default_name))
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    if let Some(id) = created {
        return Ok((id, true));
    }
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    Ok((id, false))
}

/// Inserts the membership row and its `member.create` event; returns the id.
/// The user id of the organization's member with `email`, adding the user
/// and the member (with the subscription's default flags) when missing.
pub(super) async fn ensure(
    tx: &mut Transaction<'_, Db>,
    actor: &Actor,
    organization_id: i64,
    email: &Email,
    name: Option<&str>,
    now: Timestamp,
) -> StoreResult<i64> {
    let (user_id, _) = user_for_email(tx, email, name, now).await?;
    let member: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM members WHERE organization_id = $1 AND user_id = $2")
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?;
    if member.is_none() {
        let subscription: String =
            sqlx::query_scalar("SELECT subscription FROM organizations WHERE id = $1")
                .bind(organization_id)
                .fetch_one(&mut **tx)
                .await
                .map_err(db)?;
        let subscription = subscription
            .parse::<Subscription>()
            .map_err(StoreError::Backend)?;
        let new_member = NewMember {
            email: email.clone(),
            name: None,
            image: None,
            notes: None,
            metadata: "{}".into(),
            flags: MemberFlags::defaults(subscription),
        };
        insert(tx, actor, organization_id, user_id, &new_member, now).await?;
    }
    Ok(user_id)
}

pub(super) async fn insert(
    tx: &mut Transaction<'_, Db>,
    actor: &Actor,
    organization_id: i64,
    user_id: i64,
    member: &NewMember,
    now: Timestamp,
) -> StoreResult<i64> {
    // The member's own name, else the user's (looked up only then).
    let display = match &member.name {
        Some(name) => name.clone(),
        None => sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await
            .map_err(db)?,
    };
    let flags = member.flags;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO members (organization_id, user_id, name, image, notes, metadata, search, \
         access_enabled, password_flow_enabled, link_enabled, app_enabled, card_enabled, \
         cards_without_activation_enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
    )
    .bind(organization_id)
    .bind(user_id)
    .bind(&member.name)
    .bind(&member.image)
    .bind(&member.notes)
    .bind(&member.metadata)
    .bind(member_search_text(
        &display,
        member.email.as_str(),
        member.notes.as_deref(),
    ))
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
    })?;
    events::record(
        tx,
        actor,
        NewEvent::change(
            organization_id,
            "Member",
            "create",
            id,
            member.email.as_str(),
            json!({
                "email": member.email.as_str(),
                "access_enabled": flags.access_enabled,
                "password_flow_enabled": flags.password_flow_enabled,
                "link_enabled": flags.link_enabled,
                "app_enabled": flags.app_enabled,
                "card_enabled": flags.card_enabled,
                "cards_without_activation_enabled": flags.cards_without_activation_enabled,
            }),
        ),
        now,
    )
    .await
    .map_err(db)?;
    Ok(id)
}

pub(super) async fn create(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    member: &NewMember,
    now: Timestamp,
) -> StoreResult<Member> {
    let mut tx = super::begin(pool).await?;
    let (user_id, _) = user_for_email(&mut tx, &member.email, member.name.as_deref(), now).await?;
    let already: Option<i64> =
        sqlx::query_scalar("SELECT id FROM members WHERE organization_id = $1 AND user_id = $2")
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    if already.is_some() {
        return Err(StoreError::conflict(
            "email",
            "is already a member of this organization",
        ));
    }
    let id = insert(&mut tx, actor, organization_id, user_id, member, now).await?;
    let created = get(&mut *tx, organization_id, id).await?;
    tx.commit().await.map_err(db)?;
    Ok(created)
}

pub(super) async fn update(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    patch: &MemberPatch,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, organization_id, id).await?;
    let stored_name: Option<String> = sqlx::query_scalar("SELECT name FROM members WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let name = patch.name.clone().or(stored_name);
    let image = patch.image.clone().unwrap_or_else(|| old.image.clone());
    let notes = patch.notes.clone().unwrap_or_else(|| old.notes.clone());
    let metadata = patch
        .metadata
        .clone()
        .unwrap_or_else(|| old.metadata.clone());
    let f = patch.flags;
    let flags = gatehouse_domain::MemberFlags {
        access_enabled: f.access_enabled.unwrap_or(old.flags.access_enabled),
        password_flow_enabled: f
            .password_flow_enabled
            .unwrap_or(old.flags.password_flow_enabled),
        link_enabled: f.link_enabled.unwrap_or(old.flags.link_enabled),
        app_enabled: f.app_enabled.unwrap_or(old.flags.app_enabled),
        card_enabled: f.card_enabled.unwrap_or(old.flags.card_enabled),
        cards_without_activation_enabled: f
            .cards_without_activation_enabled
            .unwrap_or(old.flags.cards_without_activation_enabled),
    };
    let display = name.clone().unwrap_or_else(|| old.user_name.clone());
    let mut details = Map::new();
    diff(&mut details, "name", &old.name, &display);
    diff(&mut details, "image", &old.image, &image);
    diff(&mut details, "notes", &old.notes, &notes);
    diff(&mut details, "metadata", &old.metadata, &metadata);
    let (o, n) = (old.flags, flags);
    diff(
        &mut details,
        "access_enabled",
        &o.access_enabled,
        &n.access_enabled,
    );
    diff(
        &mut details,
        "password_flow_enabled",
        &o.password_flow_enabled,
        &n.password_flow_enabled,
    );
    diff(
        &mut details,
        "link_enabled",
        &o.link_enabled,
        &n.link_enabled,
    );
    diff(&mut details, "app_enabled", &o.app_enabled, &n.app_enabled);
    diff(
        &mut details,
        "card_enabled",
        &o.card_enabled,
        &n.card_enabled,
    );
    diff(
        &mut details,
        "cards_without_activation_enabled",
        &o.cards_without_activation_enabled,
        &n.cards_without_activation_enabled,
    );
    if details.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE members SET name = $1, image = $2, notes = $3, metadata = $4, search = $5, \
         access_enabled = $6, password_flow_enabled = $7, link_enabled = $8, app_enabled = $9, \
         card_enabled = $10, cards_without_activation_enabled = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(&name)
    .bind(&image)
    .bind(&notes)
    .bind(&metadata)
    .bind(member_search_text(&display, &old.user_email, notes.as_deref()))
    .bind(n.access_enabled)
    .bind(n.password_flow_enabled)
    .bind(n.link_enabled)
    .bind(n.app_enabled)
    .bind(n.card_enabled)
    .bind(n.cards_without_activation_enabled)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // Suspending and restoring are named actions in the log.
    let action = match (o.access_enabled, n.access_enabled) {
        (true, false) => "suspend",
        (false, true) => "restore",
        _ => "update",
    };
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Member",
            action,
            id,
            &old.user_email,
            Value::Object(details),
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
    let member = get(&mut *tx, organization_id, id).await?;
    let removed = remove_membership(&mut tx, organization_id, member.user_id).await?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Member",
            "destroy",
            id,
            &member.user_email,
            json!({
                "role_assignments": removed.role_assignments,
                "logins": removed.logins,
            }),
        ),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

/// Deletes a membership and everything of it in the organization.
async fn remove_membership(
    tx: &mut Transaction<'_, Db>,
    organization_id: i64,
    user_id: i64,
) -> StoreResult<PurgeReport> {
    let mut report = PurgeReport {
        user_id,
        ..PurgeReport::default()
    };
    let statements = [
        "DELETE FROM role_assignments WHERE organization_id = $1 AND assignee_type = 'User' AND assignee_id = $2",
        "DELETE FROM team_memberships WHERE organization_id = $1 AND user_id = $2",
        "DELETE FROM logins WHERE organization_id = $1 AND user_id = $2",
        "DELETE FROM members WHERE organization_id = $1 AND user_id = $2",
    ];
    for (i, statement) in statements.into_iter().enumerate() {
        let affected = sqlx::query(statement)
            .bind(organization_id)
            .bind(user_id)
            .execute(&mut **tx)
            .await
            .map_err(db)?
            .rows_affected() as i64;
        match i {
            0 => report.role_assignments += affected,
            2 => report.logins += affected,
            3 => report.memberships += affected,
            _ => {}
        }
    }
    Ok(report)
}

pub(super) async fn authority(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
) -> StoreResult<Authority> {
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT owner_user_id FROM organizations WHERE id = $1")
            .bind(organization_id)
            .fetch_one(pool)
            .await
            .map_err(db)?;
    Ok(Authority {
        is_owner: owner == Some(user_id),
        grants: grants(pool, organization_id, user_id).await?,
    })
}

/// The roles a user holds in an organization, directly or through teams.
pub(super) async fn grants(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
) -> StoreResult<Vec<Grant>> {
    type GrantRow = (
        String,
        String,
        i64,
        Option<i64>,
        Option<Timestamp>,
        Option<Timestamp>,
    );
    let rows: Vec<GrantRow> = sqlx::query_as(&format!(
        "SELECT ra.role_id, ra.applies_to_type, ra.applies_to_id, ra.place_id, ra.valid_from, ra.valid_until \
         FROM {}",
        super::HELD_BY_USER
    ))
    .bind(organization_id)
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(
            |(role, applies_to_type, applies_to_id, place_id, valid_from, valid_until)| {
                Ok(Grant {
                    role: role.parse::<Role>().map_err(StoreError::Backend)?,
                    scope: scope_of(&applies_to_type, applies_to_id, place_id)?,
                    valid_from,
                    valid_until,
                })
            },
        )
        .collect()
}

pub(super) async fn purge_user(
    pool: &Conns,
    email: &Email,
    now: Timestamp,
) -> StoreResult<PurgeReport> {
    let mut tx = super::begin(pool).await?;
    let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let owned: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM organizations WHERE owner_user_id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    if owned > 0 {
        return Err(StoreError::conflict(
            "email",
            "owns an organization; transfer the ownership before purging this user",
        ));
    }
    let organizations: Vec<(i64, i64)> =
        sqlx::query_as("SELECT organization_id, id FROM members WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
    let mut report = PurgeReport {
        user_id,
        ..PurgeReport::default()
    };
    for (organization_id, member_id) in organizations {
        let removed = remove_membership(&mut tx, organization_id, user_id).await?;
        report.memberships += removed.memberships;
        report.logins += removed.logins;
        report.role_assignments += removed.role_assignments;
        events::record(
            &mut tx,
            &Actor::Operator,
            NewEvent::change(
                organization_id,
                "User",
                "destroy",
                user_id,
                email.as_str(),
                json!({
                    "member_id": member_id,
                    "purged": true,
                }),
            ),
            now,
        )
        .await
        .map_err(db)?;
    }
    report.logins += sqlx::query("DELETE FROM logins WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected() as i64;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(report)
}

/// Streams the selected members as export rows, with their groups, places,
/// cards and last door looked up once for the whole organization.
pub(super) async fn export(
    pool: &Conns,
    organization_id: i64,
    query: &MemberQuery,
    sink: &mut (dyn FnMut(gatehouse_domain::ExportRow) -> Result<(), String> + Send),
) -> StoreResult<i64> {
    use futures_util::TryStreamExt;
    use std::collections::HashMap;

    let names_by_user = |sql: &'static str| async move {
        let rows: Vec<(i64, String)> = sqlx::query_as(sql)
            .bind(organization_id)
            .fetch_all(pool)
            .await
            .map_err(db)?;
        let mut map: HashMap<i64, Vec<String>> = HashMap::new();
        for (user_id, name) in rows {
            let names = map.entry(user_id).or_default();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok::<_, StoreError>(map)
    };
    let groups = names_by_user(
        "SELECT ra.assignee_id, g.name FROM role_assignments ra JOIN groups g ON g.id = ra.applies_to_id \
         WHERE ra.organization_id = $1 AND ra.applies_to_type = 'Group' AND ra.assignee_type = 'User' ORDER BY g.name",
    )
    .await?;
    let places = names_by_user(
        "SELECT ra.assignee_id, p.name FROM role_assignments ra JOIN places p ON p.id = ra.place_id \
         WHERE ra.organization_id = $1 AND ra.assignee_type = 'User' ORDER BY p.name",
    )
    .await?;
    let cards: HashMap<i64, i64> = sqlx::query_as("SELECT user_id, COUNT(*) FROM card_assignments WHERE organization_id = $1 GROUP BY user_id")
        .bind(organization_id)
        .fetch_all(pool)
        .await
        .map_err(db)?
        .into_iter()
        .collect();
    let doors: HashMap<i64, String> =
        sqlx::query_as("SELECT id, name FROM locks WHERE organization_id = $1")
            .bind(organization_id)
            .fetch_all(pool)
            .await
            .map_err(db)?
            .into_iter()
            .collect();

    let mut select = QueryBuilder::<Db>::new(MEMBER_COLUMNS);
    // An export is rare: it searches the plain way.
    push_filter(
        &mut select,
        organization_id,
        query,
        &TextLookup::Index(None),
    );
    select.push(" ORDER BY m.id");
    let mut rows = select.build_query_as::<MemberRow>().fetch(pool);
    let mut count = 0;
    while let Some(row) = rows.try_next().await.map_err(db)? {
        let member = Member::from(row);
        let row = gatehouse_domain::ExportRow {
            id: member.id,
            groups: groups.get(&member.user_id).cloned().unwrap_or_default(),
            places: places.get(&member.user_id).cloned().unwrap_or_default(),
            cards_count: cards.get(&member.user_id).copied().unwrap_or(0),
            last_accessed_lock: member
                .last_accessed_lock_id
                .and_then(|id| doors.get(&id).cloned()),
            last_accessed_at: member.last_accessed_at,
            member_type: member.member_type,
            flags: member.flags,
            email: member.user_email,
            name: member.name,
            created_at: member.created_at,
        };
        sink(row).map_err(StoreError::Backend)?;
        count += 1;
    }
    Ok(count)
}

/// One row of a CSV user import, in one transaction: the member (created
/// when missing), their group access, their cards. Importing the same row
/// again changes nothing; returns whether anything changed.
pub(super) async fn import(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    rows: &[gatehouse_domain::ImportRow],
    now: Timestamp,
) -> StoreResult<Vec<StoreResult<bool>>> {
    // One transaction for the batch, a savepoint per row: a bad row rolls
    // back alone, and the batch commits once (one commit per row is what
    // makes large imports slow).
    let mut tx = super::begin(pool).await?;
    let subscription: String =
        sqlx::query_scalar("SELECT subscription FROM organizations WHERE id = $1")
            .bind(organization_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    let subscription = subscription
        .parse::<gatehouse_domain::Subscription>()
        .map_err(StoreError::Backend)?;
    for statement in super::super::IMPORT_BEGIN {
        sqlx::query(statement).execute(&mut *tx).await.map_err(db)?;
    }
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        // A row that only adds a person cannot fail halfway (its only
        // checks come first), so it needs no savepoint of its own.
        if row.group_ids.is_empty() && row.card_tokens.is_empty() {
            outcomes.push(Ok(import_row(
                &mut tx,
                actor,
                organization_id,
                subscription,
                row,
                now,
            )
            .await?));
            continue;
        }
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await.map_err(db)?;
        match import_row(
            &mut savepoint,
            actor,
            organization_id,
            subscription,
            row,
            now,
        )
        .await
        {
            Ok(changed) => {
                savepoint.commit().await.map_err(db)?;
                outcomes.push(Ok(changed));
            }
            Err(error) => {
                savepoint.rollback().await.map_err(db)?;
                outcomes.push(Err(error));
            }
        }
    }
    for statement in super::super::IMPORT_END {
        sqlx::query(statement).execute(&mut *tx).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(outcomes)
}

async fn import_row(
    tx: &mut Transaction<'_, Db>,
    actor: &Actor,
    organization_id: i64,
    subscription: gatehouse_domain::Subscription,
    row: &gatehouse_domain::ImportRow,
    now: Timestamp,
) -> StoreResult<bool> {
    use gatehouse_domain::{CardIdentity, MemberFlags, Subscription};
    let mut changed = false;
    let (user_id, new_user) = user_for_email(tx, &row.email, row.name.as_deref(), now).await?;
    // A user created just now has no membership yet.
    let member: Option<(i64,)> = if new_user {
        None
    } else {
        sqlx::query_as("SELECT id FROM members WHERE organization_id = $1 AND user_id = $2")
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?
    };
    if member.is_none() {
        let mut flags = MemberFlags::defaults(subscription);
        if let (Subscription::Organizations, Some(password_flow)) =
            (subscription, row.password_flow)
        {
            flags.password_flow_enabled = password_flow;
        }
        let new = NewMember {
            email: row.email.clone(),
            name: row.name.clone(),
            image: row.image.clone(),
            notes: None,
            metadata: "{}".into(),
            flags,
        };
        insert(tx, actor, organization_id, user_id, &new, now).await?;
        changed = true;
    }
    for group_id in &row.group_ids {
        let group: Option<(Option<i64>, String)> = sqlx::query_as(
            "SELECT place_id, name FROM groups WHERE organization_id = $1 AND id = $2",
        )
        .bind(organization_id)
        .bind(group_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
        let (place_id, group_name) = group.ok_or_else(|| {
            StoreError::conflict("group_ids", format!("group {group_id} does not exist"))
        })?;
        let held: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM role_assignments WHERE organization_id = $1 AND assignee_type = 'User' AND assignee_id = $2 \
             AND applies_to_type = 'Group' AND applies_to_id = $3",
        )
        .bind(organization_id)
        .bind(user_id)
        .bind(group_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
        if held.is_some() {
            continue;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO role_assignments (organization_id, role_id, applies_to_type, applies_to_id, place_id, assignee_type, \
             assignee_id, created_at, updated_at) VALUES ($1, $2, 'Group', $3, $4, 'User', $5, $6, $6) RETURNING id",
        )
        .bind(organization_id)
        .bind(row.group_role.id())
        .bind(group_id)
        .bind(place_id)
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
        events::record(
            tx,
            actor,
            NewEvent::change(
                organization_id,
                "RoleAssignment",
                "create",
                id,
                &group_name,
                json!({
                    "role_id": row.group_role.id(), "user_id": user_id, "source": "csv_user_import",
                }),
            )
            .in_place(place_id),
            now,
        )
        .await
        .map_err(db)?;
        changed = true;
    }
    for token in &row.card_tokens {
        let identity = CardIdentity::Token(token.clone()).key();
        let card: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM cards WHERE organization_id = $1 AND identity = $2")
                .bind(organization_id)
                .bind(&identity)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?;
        let card_id = match card {
            Some((id,)) => id,
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO cards (organization_id, type, identity, token, created_at, updated_at) \
                     VALUES ($1, 'mifare_desfire', $2, $3, $4, $4) RETURNING id",
                )
                .bind(organization_id)
                .bind(&identity)
                .bind(token)
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(db)?;
                events::record(
                    tx,
                    actor,
                    NewEvent::change(
                        organization_id,
                        "Card",
                        "create",
                        id,
                        &identity,
                        json!({"source": "csv_user_import"}),
                    ),
                    now,
                )
                .await
                .map_err(db)?;
                changed = true;
                id
            }
        };
        let holder: Option<(i64,)> =
            sqlx::query_as("SELECT user_id FROM card_assignments WHERE card_id = $1")
                .bind(card_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?;
        match holder {
            Some((holder,)) if holder == user_id => {}
            Some(_) => {
                return Err(StoreError::conflict(
                    "credential_token",
                    format!("{token} belongs to someone else"),
                ))
            }
            None => {
                sqlx::query(
                    "INSERT INTO card_assignments (organization_id, card_id, user_id, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'deactivated', $4, $4)",
                )
                .bind(organization_id)
                .bind(card_id)
                .bind(user_id)
                .bind(now)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
                events::record(
                    tx,
                    actor,
                    NewEvent::change(
                        organization_id,
                        "Card",
                        "assign",
                        card_id,
                        &identity,
                        json!({"user_id": user_id}),
                    ),
                    now,
                )
                .await
                .map_err(db)?;
                changed = true;
            }
        }
    }
    Ok(changed)
}
