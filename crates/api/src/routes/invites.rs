//! `POST /invites`: add a person to a place, group or team in one call and
//! tell them by e-mail. Users become members (created when missing); guests
//! get a quick access link to a group's doors.

use axum::extract::State;
use axum::Json;
use gatehouse_domain::{
    Email, FieldErrors, Invite, InviteTarget, Invitee, MemberType, NewInvite, Role, Scope,
    Timestamp,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::role_assignments::{applies_to, authorize_grant, check_window, resolve_scope};
use crate::auth::new_secret;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{Auth, Body};
use crate::invitations::send_invite_mail;
use crate::wire::{time, time_opt};
use crate::{policy, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_invite))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InviteRequest {
    invite: InviteFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InviteFields {
    /// Send the invitation e-mail (default true).
    notify: Option<bool>,
    /// `Place`, `Group` or `Team`.
    invites_to_type: Option<String>,
    invites_to_id: Option<i64>,
    invitee: Option<InviteeFields>,
    /// Guests only.
    access_key: Option<AccessKeyFields>,
    /// Required for Place and Group invites of users.
    role_assignment: Option<InviteRoleFields>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InviteeFields {
    /// `User` or `Guest`.
    resource_type: Option<String>,
    email: Option<String>,
    name: Option<String>,
    /// Guests: a US/CA/PR number, `+1XXXXXXXXXX`.
    phone_number: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AccessKeyFields {
    link_enabled: Option<bool>,
    qr_code_enabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InviteRoleFields {
    role_id: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    valid_from: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    valid_until: Option<Timestamp>,
}

/// Kisi's Invite object.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteBody {
    id: i64,
    #[schema(example = "Invite")]
    resource_type: &'static str,
    notify: bool,
    created_at: String,
    updated_at: String,
    invites_to_type: &'static str,
    invites_to_id: i64,
    invitee_type: &'static str,
    invitee_id: i64,
    invitee: InviteeBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key: Option<AccessKeyBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_assignment_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_assignment: Option<InviteRoleBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_membership_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
struct InviteeBody {
    id: i64,
    resource_type: &'static str,
    name: String,
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
}

/// A guest's link. `secret` (a gatehouse addition) is shown only here, so
/// a guest without an e-mail address can still be given their link.
#[derive(Debug, Serialize, ToSchema)]
struct AccessKeyBody {
    id: i64,
    resource_type: &'static str,
    link_enabled: bool,
    qr_code_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct InviteRoleBody {
    id: i64,
    resource_type: &'static str,
    role_id: String,
}

fn body_of(invite: Invite, guest_secret: Option<String>) -> InviteBody {
    let is_guest = invite.invitee_type == "Guest";
    InviteBody {
        id: invite.id,
        resource_type: "Invite",
        notify: invite.notify,
        created_at: time(invite.created_at),
        updated_at: time(invite.updated_at),
        invites_to_type: invite.target.kind(),
        invites_to_id: invite.target.id(),
        invitee_type: invite.invitee_type,
        invitee_id: invite.invitee_id,
        invitee: InviteeBody {
            id: invite.invitee_id,
            resource_type: invite.invitee_type,
            name: invite.invitee_name,
            email: invite.invitee_email,
            phone_number: invite.invitee_phone,
        },
        access_key: invite
            .link
            .as_ref()
            .filter(|_| is_guest)
            .map(|link| AccessKeyBody {
                id: link.id,
                resource_type: "AccessKey",
                link_enabled: link.link_enabled,
                qr_code_enabled: false,
                secret: guest_secret,
            }),
        role_assignment_id: invite.role_assignment_id,
        role_assignment: invite
            .role_assignment_id
            .zip(invite.role)
            .map(|(id, role)| InviteRoleBody {
                id,
                resource_type: "RoleAssignment",
                role_id: role.id().to_owned(),
            }),
        valid_from: time_opt(invite.valid_from),
        valid_until: time_opt(invite.valid_until),
        team_membership_id: invite.team_membership_id,
    }
}

fn check_guest_phone(phone: &str) -> Result<(), String> {
    let digits = phone.strip_prefix("+1").unwrap_or_default();
    if digits.len() == 10 && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err("must be a US, CA or PR number in E.164 form, +1XXXXXXXXXX".into())
    }
}

/// Invites a user (created as a member when missing) or a guest to a place,
/// group or team, grants the access, and e-mails the invitee when `notify`
/// is on (the default): a user's e-mail carries their personal quick access
/// link for group invites while their `link_enabled` and `access_enabled`
/// are on, and explains how to sign in; a guest's carries their link.
#[utoipa::path(post, path = "/invites", tag = "access", security(("Kisi-Login" = [])),
    request_body = InviteRequest,
    responses((status = 200, body = InviteBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_invite(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<InviteRequest>,
) -> ApiResult<Json<InviteBody>> {
    let f = request.invite;
    let mut errors = FieldErrors::new();
    let kind = match f.invites_to_type.as_deref() {
        Some(kind @ ("Place" | "Group" | "Team")) => Some(kind),
        Some(_) => {
            errors.add("invites_to_type", "must be one of: Place, Group, Team");
            None
        }
        None => {
            errors.add("invites_to_type", "can't be blank");
            None
        }
    };
    if f.invites_to_id.is_none() {
        errors.add("invites_to_id", "can't be blank");
    }
    let invitee = match f.invitee {
        None => {
            errors.add("invitee", "can't be blank");
            None
        }
        Some(invitee) => invitee_of(invitee, f.access_key, &mut errors),
    };
    let role_fields = f.role_assignment;
    let is_user = matches!(invitee, Some(Invitee::User { .. }));
    let role = match (&role_fields, kind, is_user) {
        (Some(_), Some("Team"), _) => {
            errors.add("role_assignment", "is not taken by team invites");
            None
        }
        (Some(r), _, _) => match &r.role_id {
            Some(id) => errors.check("role_assignment.role_id", id.parse::<Role>()),
            None => {
                errors.add("role_assignment.role_id", "can't be blank");
                None
            }
        },
        (None, Some("Place" | "Group"), true) => {
            errors.add(
                "role_assignment",
                "can't be blank for place and group invites",
            );
            None
        }
        _ => None,
    };
    if matches!(invitee, Some(Invitee::Guest { .. })) && kind.is_some_and(|k| k != "Group") {
        errors.add(
            "invites_to_type",
            "guests are invited to a group (their link opens its doors)",
        );
    }
    errors.into_result()?;
    let (Some(kind), Some(id), Some(invitee)) = (kind, f.invites_to_id, invitee) else {
        return Err(ApiError::invalid("invite", "is incomplete"));
    };
    let now = state.clock.now();
    let scope = resolve_scope(&state, &caller, kind, id)
        .await
        .map_err(|_| ApiError::invalid("invites_to_id", "does not exist in this organization"))?;
    let (valid_from, valid_until) = role_fields
        .as_ref()
        .map_or((None, None), |r| (r.valid_from, r.valid_until));
    let mut errors = FieldErrors::new();
    if let Some(role) = role {
        if role.applies_to() != applies_to(scope) {
            errors.add(
                "role_assignment.role_id",
                format!("applies to a {}, not a {kind}", role.applies_to().as_str()),
            );
        }
    }
    check_window(scope, valid_from, valid_until, &mut errors);
    errors.into_result()?;
    match (&invitee, role) {
        (Invitee::User { email, .. }, Some(role)) => {
            let existing = state
                .store
                .member_by_email(caller.organization.id, email)
                .await?
                .map(|m| m.user_id);
            authorize_grant(&state, &caller, scope, role, existing, now).await?;
        }
        (Invitee::User { email, .. }, None) => {
            // A team invite: team managers and administrators.
            policy::require(
                &caller,
                MemberType::Manager,
                scope,
                now,
                "invite to this team",
            )?;
            if let Some(target) = state
                .store
                .member_by_email(caller.organization.id, email)
                .await?
            {
                if !gatehouse_domain::authority::may_change(
                    caller.member_type(),
                    target.member_type,
                ) {
                    return Err(ApiError::forbidden("add a member who outranks you"));
                }
            }
        }
        (Invitee::Guest { .. }, _) => {
            policy::require(
                &caller,
                MemberType::Manager,
                scope,
                now,
                "invite guests to this group",
            )?;
        }
    }
    let target = match scope {
        Scope::Place(id) => InviteTarget::Place(id),
        Scope::Group { id, .. } => InviteTarget::Group(id),
        Scope::Team(id) => InviteTarget::Team(id),
        Scope::Organization => {
            return Err(ApiError::invalid(
                "invites_to_type",
                "must be one of: Place, Group, Team",
            ))
        }
    };
    let (secret, hash) = new_secret();
    let is_guest = matches!(invitee, Invitee::Guest { .. });
    let new = NewInvite {
        target,
        invitee,
        role,
        valid_from,
        valid_until,
        notify: f.notify.unwrap_or(true),
        link_secret_hash: matches!(target, InviteTarget::Group(_)).then_some(hash),
    };
    let invite = state
        .store
        .create_invite(&caller.actor(), caller.organization.id, &new, now)
        .await?;
    send_invite_mail(&state, &caller, &invite, Some(&secret)).await?;
    Ok(Json(body_of(invite, is_guest.then_some(secret))))
}

fn invitee_of(
    fields: InviteeFields,
    access_key: Option<AccessKeyFields>,
    errors: &mut FieldErrors,
) -> Option<Invitee> {
    let name = fields
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        errors.add("invitee.name", "is too long (maximum is 255 characters)");
    }
    match fields.resource_type.as_deref() {
        Some("User") => {
            if access_key.is_some() {
                errors.add("access_key", "is for guests only");
            }
            if fields.phone_number.is_some() {
                errors.add("invitee.phone_number", "is for guests only");
            }
            let email = match &fields.email {
                Some(email) => errors.check("invitee.email", Email::parse(email)),
                None => {
                    errors.add("invitee.email", "can't be blank");
                    None
                }
            };
            if name.is_none() {
                errors.add("invitee.name", "can't be blank");
            }
            email.map(|email| Invitee::User { email, name })
        }
        Some("Guest") => {
            let email = fields
                .email
                .as_deref()
                .and_then(|e| errors.check("invitee.email", Email::parse(e)));
            if let Some(phone) = &fields.phone_number {
                errors.check("invitee.phone_number", check_guest_phone(phone));
            }
            if name.is_none() {
                errors.add("invitee.name", "can't be blank");
            }
            let key = access_key.unwrap_or(AccessKeyFields {
                link_enabled: None,
                qr_code_enabled: None,
            });
            if key.qr_code_enabled == Some(true) {
                errors.add(
                    "access_key.qr_code_enabled",
                    "gatehouse draws no QR codes; use the link",
                );
            }
            name.map(|name| Invitee::Guest {
                name,
                email,
                phone_number: fields.phone_number,
                link_enabled: key.link_enabled.unwrap_or(true),
                qr_code_enabled: false,
            })
        }
        _ => {
            errors.add("invitee.resource_type", "must be User or Guest");
            None
        }
    }
}
