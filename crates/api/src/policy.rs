//! Authorization beyond the matrix itself: what a caller may see and whom
//! they may change, scoped as DESIGN.md section 2 describes. Inside the
//! caller's organization a refusal is a 403; another organization's ids are
//! 404 before any of this runs (the store only finds its own).

use gatehouse_domain::authority::may_change;
use gatehouse_domain::{Authority, Member, MemberType, Principal, Scope, Timestamp};
use gatehouse_store::Visibility;

use crate::error::{ApiError, ApiResult};

/// `None` when the caller sees the whole organization (organization-level
/// managers and above); otherwise what they manage, plus themselves.
pub fn visibility(caller: &Principal, now: Timestamp) -> Option<Visibility> {
    if caller.type_in(Scope::Organization, now) >= MemberType::Manager {
        return None;
    }
    Some(Visibility {
        user_id: caller.login.user_id,
        managed: caller.authority.managed(now).unwrap_or_default(),
    })
}

/// Requires the caller to be at least `at_least` where `scope` lies.
pub fn require(
    caller: &Principal,
    at_least: MemberType,
    scope: Scope,
    now: Timestamp,
    what: &str,
) -> ApiResult<()> {
    if caller.type_in(scope, now) >= at_least {
        Ok(())
    } else {
        Err(ApiError::forbidden(what))
    }
}

/// Whether the caller manages (as Manager or above) some scope in which the
/// target holds a role: the seed's "within the group or team".
pub fn manages_someone_with(caller: &Principal, target: &Authority, now: Timestamp) -> bool {
    caller.type_in(Scope::Organization, now) >= MemberType::Manager
        || target
            .grants
            .iter()
            .any(|grant| caller.type_in(grant.scope, now) >= MemberType::Manager)
}

/// May the caller change this member (flags, name, suspend)? Organization
/// administrators may; managers within their groups and places; nobody
/// changes someone who outranks them, and only the owner changes the owner.
pub fn may_edit_member(
    caller: &Principal,
    target: &Member,
    target_authority: &Authority,
    now: Timestamp,
) -> ApiResult<()> {
    if !may_change(caller.member_type(), target.member_type) {
        return Err(ApiError::forbidden("change a member who outranks you"));
    }
    if caller.type_in(Scope::Organization, now) >= MemberType::Administrator {
        return Ok(());
    }
    if target.user_id != caller.login.user_id && manages_someone_with(caller, target_authority, now)
    {
        return Ok(());
    }
    Err(ApiError::forbidden("change this member"))
}

/// May the caller see this member? Themselves, anyone when they see the
/// whole organization, and the members of the scopes they manage.
pub fn may_view_member(
    caller: &Principal,
    target: &Member,
    target_authority: &Authority,
    now: Timestamp,
) -> ApiResult<()> {
    if target.user_id == caller.login.user_id || manages_someone_with(caller, target_authority, now)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden("see this member"))
    }
}
