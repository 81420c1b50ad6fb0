//! Telling people about their access: one-time sign-in codes, invitation
//! e-mails, and grants made with `notify`, which are invitations too.

use gatehouse_domain::{
    Assignee, Email, Invite, InviteTarget, Invitee, NewInvite, NewRoleAssignment, NewUserToken,
    Principal, RoleAssignment, Scope, TokenPurpose,
};

use crate::auth::new_secret;
use crate::error::ApiResult;
use crate::messages::{self, Org, SignIn};
use crate::AppState;

/// How a member gets into the app: their password while they have one and
/// may use it, else a fresh one-time sign-in code.
pub async fn sign_in_of(
    state: &AppState,
    organization_id: i64,
    user_id: i64,
    signs_in_with_password: bool,
    invitation: bool,
) -> ApiResult<SignIn> {
    if signs_in_with_password {
        return Ok(SignIn::Password);
    }
    let (token, token_hash) = new_secret();
    let now = state.clock.now();
    let valid_for = TokenPurpose::SignIn.lifetime(invitation);
    state
        .store
        .issue_user_token(
            &NewUserToken {
                user_id,
                organization_id,
                purpose: TokenPurpose::SignIn,
                token_hash,
                expires_at: now + valid_for,
            },
            now,
        )
        .await?;
    let url = format!(
        "{}/dashboard/sign-in?authentication_info={token}",
        state.mailer.public_url
    );
    Ok(SignIn::Code {
        token,
        valid_for,
        url,
    })
}

pub fn org_of(principal: &Principal) -> Org<'_> {
    Org {
        name: &principal.organization.name,
        domain: &principal.organization.domain,
    }
}

fn access_text(target: InviteTarget, name: &str) -> String {
    let kind = match target {
        InviteTarget::Place(_) => "place",
        InviteTarget::Group(_) => "group",
        InviteTarget::Team(_) => "team",
    };
    format!("the {kind} {name}")
}

/// E-mails the invitee when the invite asks for it. The quick access link
/// appears only when one was issued and is enabled.
pub async fn send_invite_mail(
    state: &AppState,
    caller: &Principal,
    invite: &Invite,
    link_secret: Option<&str>,
) -> ApiResult<()> {
    let Some(to) = invite.invitee_email.as_deref().filter(|_| invite.notify) else {
        return Ok(());
    };
    let link = match (&invite.link, link_secret) {
        (Some(link), Some(secret)) if link.link_enabled => {
            Some(format!("{}/q/{secret}", state.mailer.public_url))
        }
        _ => None,
    };
    let access = access_text(invite.target, &invite.target_name);
    let inviter = caller.member.name.as_str();
    let mail = if invite.invitee_type == "Guest" {
        messages::guest_invitation(
            to,
            &invite.invitee_name,
            &org_of(caller),
            inviter,
            &access,
            link.as_deref(),
        )
    } else {
        let sign_in = sign_in_of(
            state,
            invite.organization_id,
            invite.invitee_id,
            invite.signs_in_with_password,
            true,
        )
        .await?;
        messages::invitation(
            to,
            &invite.invitee_name,
            &org_of(caller),
            inviter,
            &access,
            link.as_deref(),
            &sign_in,
        )
    };
    state.mailer.send(mail);
    Ok(())
}

/// A grant made with `notify: true` for a person: on a place or group it is
/// an invitation (with the personal link a group grant brings); elsewhere
/// the grant is stored and the person told.
pub async fn grant_and_notify(
    state: &AppState,
    caller: &Principal,
    new: NewRoleAssignment,
) -> ApiResult<RoleAssignment> {
    let org = caller.organization.id;
    let now = state.clock.now();
    let email = match &new.assignee {
        Assignee::Email(email) => Some(email.clone()),
        Assignee::User(user_id) => match state.store.member_of_user(org, *user_id).await {
            Ok(member) => Email::parse(&member.user_email).ok(),
            Err(_) => None,
        },
        Assignee::Team(_) => None,
    };
    let target = match new.scope {
        Scope::Place(id) => Some(InviteTarget::Place(id)),
        Scope::Group { id, .. } => Some(InviteTarget::Group(id)),
        Scope::Organization | Scope::Team(_) => None,
    };
    let (Some(email), Some(target)) = (email, target) else {
        let created = state
            .store
            .create_role_assignment(&caller.actor(), org, &new, now)
            .await?;
        if created.assignee_type == gatehouse_domain::AssigneeType::User {
            let member = state.store.member_of_user(org, created.assignee_id).await?;
            let sign_in = sign_in_of(
                state,
                org,
                member.user_id,
                member.confirmed && member.flags.password_flow_enabled,
                true,
            )
            .await?;
            let access = format!("{} as {}", caller.organization.name, new.role.id());
            state.mailer.send(messages::invitation(
                &member.user_email,
                &member.name,
                &org_of(caller),
                &caller.member.name,
                &access,
                None,
                &sign_in,
            ));
        }
        return Ok(created);
    };
    let (secret, hash) = new_secret();
    let invite = state
        .store
        .create_invite(
            &caller.actor(),
            org,
            &NewInvite {
                target,
                invitee: Invitee::User { email, name: None },
                role: Some(new.role),
                valid_from: new.valid_from,
                valid_until: new.valid_until,
                notify: true,
                link_secret_hash: matches!(target, InviteTarget::Group(_)).then_some(hash),
            },
            now,
        )
        .await?;
    send_invite_mail(state, caller, &invite, Some(&secret)).await?;
    let id = invite
        .role_assignment_id
        .ok_or_else(|| crate::ApiError::Internal("an invitation without its grant".into()))?;
    Ok(state.store.role_assignment(org, id).await?)
}
