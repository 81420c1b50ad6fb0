//! Groups, role assignments and teams: who has access where.

use crate::{Email, Role, Scope, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: i64,
    pub organization_id: i64,
    pub place_id: Option<i64>,
    pub place_name: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub restrictions: GroupRestrictions,
    pub geofence_restriction_radius: f64,
    pub time_restriction_time_zone: Option<String>,
    pub users_count: i64,
    pub locks_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Group {
    pub fn scope(&self) -> Scope {
        Scope::Group {
            id: self.id,
            place_id: self.place_id,
        }
    }
}

/// The group's switches (Kisi's `login_enabled` and `*_restriction_enabled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupRestrictions {
    pub login_enabled: bool,
    pub geofence: bool,
    pub primary_device: bool,
    pub managed_device: bool,
    pub reader: bool,
    pub time: bool,
    pub tap_to_access: bool,
}

impl Default for GroupRestrictions {
    fn default() -> Self {
        GroupRestrictions {
            login_enabled: true,
            geofence: false,
            primary_device: false,
            managed_device: false,
            reader: false,
            time: false,
            tap_to_access: false,
        }
    }
}

/// Fields of a group create (with `place_id`) or update (without).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupFields {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub place_id: Option<i64>,
    pub login_enabled: Option<bool>,
    pub geofence: Option<bool>,
    pub primary_device: Option<bool>,
    pub managed_device: Option<bool>,
    pub reader: Option<bool>,
    pub time: Option<bool>,
    pub tap_to_access: Option<bool>,
    pub time_restriction_time_zone: Option<Option<String>>,
}

impl GroupFields {
    pub fn apply(&self, current: GroupRestrictions) -> GroupRestrictions {
        GroupRestrictions {
            login_enabled: self.login_enabled.unwrap_or(current.login_enabled),
            geofence: self.geofence.unwrap_or(current.geofence),
            primary_device: self.primary_device.unwrap_or(current.primary_device),
            managed_device: self.managed_device.unwrap_or(current.managed_device),
            reader: self.reader.unwrap_or(current.reader),
            time: self.time.unwrap_or(current.time),
            tap_to_access: self.tap_to_access.unwrap_or(current.tap_to_access),
        }
    }

    /// Whether the change touches a security restriction (administrators only).
    pub fn touches_restrictions(&self) -> bool {
        [
            self.login_enabled,
            self.geofence,
            self.primary_device,
            self.managed_device,
            self.reader,
            self.time,
            self.tap_to_access,
        ]
        .iter()
        .any(Option::is_some)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssigneeType {
    User,
    Team,
}

impl AssigneeType {
    pub fn as_str(self) -> &'static str {
        match self {
            AssigneeType::User => "User",
            AssigneeType::Team => "Team",
        }
    }
}

/// A role assignment as stored and served.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignment {
    pub id: i64,
    pub organization_id: i64,
    pub role: Role,
    pub scope: Scope,
    /// The scope object's display name (organization, place, group or team).
    pub scope_name: String,
    pub organization_domain: String,
    pub assignee_type: AssigneeType,
    pub assignee_id: i64,
    pub assignee_name: String,
    /// The assignee's e-mail, for users.
    pub assignee_email: Option<String>,
    /// For user assignees: their member id in this organization.
    pub member_id: Option<i64>,
    pub notify: bool,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    pub created_by_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Who receives a new role assignment. Granting by e-mail creates the user
/// and the member when missing (seed: adding someone to a group by e-mail).
#[derive(Debug, Clone, PartialEq)]
pub enum Assignee {
    User(i64),
    Team(i64),
    Email(Email),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRoleAssignment {
    pub role: Role,
    pub scope: Scope,
    pub assignee: Assignee,
    pub notify: bool,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleAssignmentPatch {
    pub role: Option<Role>,
    pub notify: Option<bool>,
    pub valid_from: Option<Option<Timestamp>>,
    pub valid_until: Option<Option<Timestamp>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TeamMembership {
    pub id: i64,
    pub organization_id: i64,
    pub team_id: i64,
    pub team_name: String,
    pub user_id: i64,
    pub user_email: String,
    pub user_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What `gatehouse users purge` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub user_id: i64,
    pub memberships: i64,
    pub logins: i64,
    pub role_assignments: i64,
}
