//! Who may do what where: a member's roles (direct and through teams) and
//! the scope each applies to. Permission checks ask for the member's type
//! *in the target's scope*: managers only within their groups, place
//! administrators only within their place (DESIGN.md section 2).

use crate::{MemberType, Role, Timestamp};

/// What a role assignment applies to. A group carries its place (or `None`
/// for an organization-wide group) so place roles reach its groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Organization,
    Place(i64),
    Group { id: i64, place_id: Option<i64> },
    Team(i64),
}

impl Scope {
    /// Whether a role held on `self` covers `target`.
    pub fn covers(self, target: Scope) -> bool {
        match (self, target) {
            (Scope::Organization, _) => true,
            (Scope::Place(p), Scope::Place(q)) => p == q,
            (Scope::Place(p), Scope::Group { place_id, .. }) => place_id == Some(p),
            (Scope::Group { id, .. }, Scope::Group { id: other, .. }) => id == other,
            (Scope::Team(t), Scope::Team(u)) => t == u,
            _ => false,
        }
    }

    /// The place a scope lies in, if any.
    pub fn place_id(self) -> Option<i64> {
        match self {
            Scope::Place(id) => Some(id),
            Scope::Group { place_id, .. } => place_id,
            Scope::Organization | Scope::Team(_) => None,
        }
    }
}

/// One role a member holds, directly or through a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
}

impl Grant {
    pub fn is_valid_at(&self, now: Timestamp) -> bool {
        self.valid_from.is_none_or(|from| from <= now)
            && self.valid_until.is_none_or(|until| now < until)
    }
}

/// Everything the API needs to authorize a member's actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authority {
    pub is_owner: bool,
    pub grants: Vec<Grant>,
}

impl Authority {
    /// The member's type where `target` lies: the highest role that covers it.
    pub fn type_in(&self, target: Scope, now: Timestamp) -> MemberType {
        if self.is_owner {
            return MemberType::Owner;
        }
        self.grants
            .iter()
            .filter(|grant| grant.scope.covers(target) && grant.is_valid_at(now))
            .map(|grant| grant.role.member_type())
            .max()
            .unwrap_or(MemberType::Basic)
    }

    /// The highest type held anywhere: the member's `role_id`.
    pub fn highest(&self, now: Timestamp) -> MemberType {
        if self.is_owner {
            return MemberType::Owner;
        }
        self.grants
            .iter()
            .filter(|grant| grant.is_valid_at(now))
            .map(|grant| grant.role.member_type())
            .max()
            .unwrap_or(MemberType::Basic)
    }

    /// Whether the member may do something the seed reserves for `at_least`
    /// in `target`.
    pub fn is_at_least(&self, at_least: MemberType, target: Scope, now: Timestamp) -> bool {
        self.type_in(target, now) >= at_least
    }

    /// The places and groups where the member is at least a Manager, for
    /// filtering what a manager may see. `None`: the whole organization.
    pub fn managed(&self, now: Timestamp) -> Option<Managed> {
        let mut managed = Managed::default();
        for grant in self.grants.iter().filter(|g| g.is_valid_at(now)) {
            if grant.role.member_type() < MemberType::Manager {
                continue;
            }
            match grant.scope {
                Scope::Organization => return None,
                Scope::Place(id) => managed.places.push(id),
                Scope::Group { id, .. } => managed.groups.push(id),
                Scope::Team(id) => managed.teams.push(id),
            }
        }
        if self.is_owner {
            return None;
        }
        Some(managed)
    }
}

/// The scopes a member manages, short of the whole organization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Managed {
    pub places: Vec<i64>,
    pub groups: Vec<i64>,
    pub teams: Vec<i64>,
}

/// Anti-escalation: may someone of type `actor` grant `role`? Nobody grants
/// a role above their own type, and the owner role is never granted.
pub fn may_grant(actor: MemberType, role: Role) -> bool {
    role != Role::OrganizationOwner && role.member_type() <= actor
}

/// May someone of type `actor` change or remove someone of type `target`?
/// Nobody changes someone who outranks them; the owner only themselves.
pub fn may_change(actor: MemberType, target: MemberType) -> bool {
    target <= actor && (target != MemberType::Owner || actor == MemberType::Owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn grant(role: Role, scope: Scope) -> Grant {
        Grant {
            role,
            scope,
            valid_from: None,
            valid_until: None,
        }
    }

    const GROUP_IN_1: Scope = Scope::Group {
        id: 10,
        place_id: Some(1),
    };
    const GROUP_IN_2: Scope = Scope::Group {
        id: 20,
        place_id: Some(2),
    };

    #[test]
    fn roles_reach_only_their_scope() {
        let place_admin = Authority {
            is_owner: false,
            grants: vec![grant(Role::PlaceAdministrator, Scope::Place(1))],
        };
        assert_eq!(
            place_admin.type_in(Scope::Place(1), now()),
            MemberType::Administrator
        );
        assert_eq!(
            place_admin.type_in(GROUP_IN_1, now()),
            MemberType::Administrator
        );
        assert_eq!(
            place_admin.type_in(Scope::Place(2), now()),
            MemberType::Basic
        );
        assert_eq!(place_admin.type_in(GROUP_IN_2, now()), MemberType::Basic);
        assert_eq!(
            place_admin.type_in(Scope::Organization, now()),
            MemberType::Basic
        );
        assert_eq!(place_admin.highest(now()), MemberType::Administrator);

        let manager = Authority {
            is_owner: false,
            grants: vec![grant(Role::GroupManager, GROUP_IN_1)],
        };
        assert_eq!(manager.type_in(GROUP_IN_1, now()), MemberType::Manager);
        assert_eq!(manager.type_in(Scope::Place(1), now()), MemberType::Basic);
        assert_eq!(manager.managed(now()).unwrap().groups, vec![10]);

        let org_admin = Authority {
            is_owner: false,
            grants: vec![grant(Role::OrganizationAdministrator, Scope::Organization)],
        };
        assert_eq!(
            org_admin.type_in(GROUP_IN_2, now()),
            MemberType::Administrator
        );
        assert_eq!(org_admin.managed(now()), None);

        let owner = Authority {
            is_owner: true,
            grants: vec![],
        };
        assert_eq!(owner.type_in(Scope::Team(3), now()), MemberType::Owner);
        assert_eq!(Authority::default().highest(now()), MemberType::Basic);
    }

    #[test]
    fn validity_windows_bound_authority() {
        let mut g = grant(Role::GroupManager, GROUP_IN_1);
        g.valid_until = Some(now());
        let expired = Authority {
            is_owner: false,
            grants: vec![g],
        };
        assert_eq!(
            expired.type_in(GROUP_IN_1, now()),
            MemberType::Basic,
            "valid_until is exclusive"
        );
        g.valid_until = None;
        g.valid_from = Some(now() + chrono::Duration::minutes(1));
        let early = Authority {
            is_owner: false,
            grants: vec![g],
        };
        assert_eq!(early.type_in(GROUP_IN_1, now()), MemberType::Basic);
        assert_eq!(
            early.type_in(GROUP_IN_1, now() + chrono::Duration::minutes(1)),
            MemberType::Manager
        );
    }

    #[test]
    fn anti_escalation() {
        use MemberType::*;
        assert!(may_grant(Manager, Role::GroupBasic));
        assert!(may_grant(Manager, Role::GroupManager));
        assert!(!may_grant(Manager, Role::PlaceAdministrator));
        assert!(!may_grant(Administrator, Role::OrganizationOwner));
        assert!(
            !may_grant(Owner, Role::OrganizationOwner),
            "only transferable"
        );
        assert!(may_grant(Owner, Role::OrganizationAdministrator));
        assert!(may_change(Administrator, Manager));
        assert!(may_change(Administrator, Administrator));
        assert!(!may_change(Manager, Administrator));
        assert!(!may_change(Administrator, Owner));
        assert!(may_change(Owner, Owner));
    }
}
