//! Invitations: the person, their access and (for groups) their quick access
//! link, created together in one transaction.

use super::conns::Conns;
use gatehouse_domain::{
    Actor, Assignee, GroupLink, Invite, InviteTarget, Invitee, NewEvent, NewGroupLink, NewInvite,
    NewRoleAssignment, Scope, Timestamp,
};
use gatehouse_store::{StoreError, StoreResult};
use serde_json::json;
use sqlx::Transaction;

use super::{credentials, db, events, members, role_assignments, teams, Db};

/// The target's name and, for a group, its place.
async fn target_of(
    tx: &mut Transaction<'_, Db>,
    organization_id: i64,
    target: InviteTarget,
) -> StoreResult<(String, Option<i64>)> {
    let sql = match target {
        InviteTarget::Place(_) => {
            "SELECT name, id FROM places WHERE organization_id = $1 AND id = $2"
        }
        InviteTarget::Group(_) => {
            "SELECT name, place_id FROM groups WHERE organization_id = $1 AND id = $2"
        }
        InviteTarget::Team(_) => {
            "SELECT name, NULL FROM teams WHERE organization_id = $1 AND id = $2"
        }
    };
    let found: Option<(String, Option<i64>)> = sqlx::query_as(sql)
        .bind(organization_id)
        .bind(target.id())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found
        .ok_or_else(|| StoreError::conflict("invites_to_id", "does not exist in this organization"))
}

pub(super) async fn create(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    new: &NewInvite,
    now: Timestamp,
) -> StoreResult<Invite> {
    let mut tx = super::begin(pool).await?;
    let (target_name, place_id) = target_of(&mut tx, organization_id, new.target).await?;
    let mut invite = Invite {
        id: 0,
        organization_id,
        notify: new.notify,
        target: new.target,
        target_name,
        invitee_type: "User",
        invitee_id: 0,
        invitee_name: String::new(),
        invitee_email: None,
        invitee_phone: None,
        role_assignment_id: None,
        role: new.role,
        team_membership_id: None,
        valid_from: new.valid_from,
        valid_until: new.valid_until,
        link: None,
        signs_in_with_password: false,
        created_at: now,
        updated_at: now,
    };
    let link_for = |name: &str, email, phone, link_enabled, hash: &Vec<u8>| NewGroupLink {
        group_id: new.target.id(),
        name: name.to_owned(),
        email,
        phone,
        link_enabled,
        quick_response_code_type: None,
        valid_from: new.valid_from,
        valid_until: new.valid_until,
        secret_hash: hash.clone(),
    };
    match &new.invitee {
        Invitee::User { email, name } => {
            let user_id =
                members::ensure(&mut tx, actor, organization_id, email, name.as_deref(), now)
                    .await?;
            let (member_name, link_enabled, access_enabled, password_flow, password_hash): (
                String,
                bool,
                bool,
                bool,
                Option<String>,
            ) = sqlx::query_as(
                "SELECT COALESCE(m.name, u.name), m.link_enabled, m.access_enabled, \
                 m.password_flow_enabled, u.password_hash \
                 FROM members m JOIN users u ON u.id = m.user_id \
                 WHERE m.organization_id = $1 AND m.user_id = $2",
            )
            .bind(organization_id)
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            invite.invitee_id = user_id;
            invite.invitee_name = member_name.clone();
            invite.invitee_email = Some(email.as_str().to_owned());
            invite.signs_in_with_password = password_flow && password_hash.is_some();
            match (new.target, new.role) {
                (InviteTarget::Team(team_id), _) => {
                    let membership = teams::create_membership_in(
                        &mut tx,
                        actor,
                        organization_id,
                        team_id,
                        user_id,
                        now,
                    )
                    .await?;
                    invite.team_membership_id = Some(membership.id);
                }
                (target, Some(role)) => {
                    let scope = match target {
                        InviteTarget::Place(id) => Scope::Place(id),
                        _ => Scope::Group {
                            id: target.id(),
                            place_id,
                        },
                    };
                    let assignment = role_assignments::create_in(
                        &mut tx,
                        actor,
                        organization_id,
                        &NewRoleAssignment {
                            role,
                            scope,
                            assignee: Assignee::User(user_id),
                            notify: new.notify,
                            valid_from: new.valid_from,
                            valid_until: new.valid_until,
                        },
                        now,
                    )
                    .await?;
                    invite.role_assignment_id = Some(assignment.id);
                }
                (_, None) => return Err(StoreError::conflict("role_assignment", "can't be blank")),
            }
            // The personal link, only while the member may use links at all.
            if let (InviteTarget::Group(_), Some(hash), true, true) = (
                new.target,
                &new.link_secret_hash,
                link_enabled,
                access_enabled,
            ) {
                let link = link_for(&member_name, Some(email.clone()), None, true, hash);
                invite.link = Some(
                    credentials::create_link_in(&mut tx, actor, organization_id, &link, now)
                        .await?,
                );
            }
        }
        Invitee::Guest {
            name,
            email,
            phone_number,
            link_enabled,
            ..
        } => {
            let (InviteTarget::Group(_), Some(hash)) = (new.target, &new.link_secret_hash) else {
                return Err(StoreError::conflict(
                    "invites_to_type",
                    "guests are invited to a group (their link opens its doors)",
                ));
            };
            let link = link_for(
                name,
                email.clone(),
                phone_number.clone(),
                *link_enabled,
                hash,
            );
            let link: GroupLink =
                credentials::create_link_in(&mut tx, actor, organization_id, &link, now).await?;
            invite.invitee_type = "Guest";
            invite.invitee_id = link.id;
            invite.invitee_name = name.clone();
            invite.invitee_email = email.as_ref().map(|e| e.as_str().to_owned());
            invite.invitee_phone = phone_number.clone();
            invite.link = Some(link);
        }
    }
    let created_by = match actor {
        Actor::User { user_id, .. } => Some(*user_id),
        Actor::Operator => None,
    };
    invite.id = sqlx::query_scalar(
        "INSERT INTO invites (organization_id, notify, invites_to_type, invites_to_id, invitee_type, invitee_id, \
         role_assignment_id, team_membership_id, group_link_id, created_by_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(organization_id)
    .bind(new.notify)
    .bind(new.target.kind())
    .bind(new.target.id())
    .bind(invite.invitee_type)
    .bind(invite.invitee_id)
    .bind(invite.role_assignment_id)
    .bind(invite.team_membership_id)
    .bind(invite.link.as_ref().map(|l| l.id))
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Invite",
            "create",
            invite.id,
            &invite.invitee_name,
            json!({
                "invites_to_type": new.target.kind(),
                "invites_to_id": new.target.id(),
                "invitee_type": invite.invitee_type,
                "invitee_id": invite.invitee_id,
                "notify": new.notify,
                "link_issued": invite.link.is_some(),
            }),
        )
        .in_place(place_id),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(invite)
}
