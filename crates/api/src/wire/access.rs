//! Groups, role assignments, shares, roles and teams on the wire.

use gatehouse_domain::roles::KISI_PERMISSIONS;
use gatehouse_domain::{AssigneeType, Group, Role, RoleAssignment, Scope, Team, TeamMembership};
use serde::Serialize;
use utoipa::ToSchema;

use super::{time, time_opt};

/// `{id, resource_type, name}` of a related object.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamedRef {
    pub id: i64,
    pub resource_type: &'static str,
    pub name: String,
}

/// Kisi's Group object.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupBody {
    pub id: i64,
    #[schema(example = "Group")]
    pub resource_type: &'static str,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub geofence_restriction_enabled: bool,
    pub geofence_restriction_radius: f64,
    pub primary_device_restriction_enabled: bool,
    pub managed_device_restriction_enabled: bool,
    pub reader_restriction_enabled: bool,
    pub time_restriction_enabled: bool,
    pub tap_to_access_restriction_enabled: bool,
    /// Whether the group's access includes the app (Kisi's "app access").
    pub login_enabled: bool,
    pub users_count: i64,
    pub locks_count: i64,
    pub elevator_stops_count: i64,
    /// `null`: an organization-wide group.
    pub place_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<NamedRef>,
    /// Deprecated.
    pub time_restriction_time_zone: Option<String>,
    /// Deprecated.
    pub members_count: i64,
}

impl From<Group> for GroupBody {
    fn from(g: Group) -> Self {
        let r = g.restrictions;
        GroupBody {
            id: g.id,
            resource_type: "Group",
            description: g.description,
            created_at: time(g.created_at),
            updated_at: time(g.updated_at),
            geofence_restriction_enabled: r.geofence,
            geofence_restriction_radius: g.geofence_restriction_radius,
            primary_device_restriction_enabled: r.primary_device,
            managed_device_restriction_enabled: r.managed_device,
            reader_restriction_enabled: r.reader,
            time_restriction_enabled: r.time,
            tap_to_access_restriction_enabled: r.tap_to_access,
            login_enabled: r.login_enabled,
            users_count: g.users_count,
            locks_count: g.locks_count,
            elevator_stops_count: 0,
            place: g.place_id.zip(g.place_name).map(|(id, name)| NamedRef {
                id,
                resource_type: "Place",
                name,
            }),
            place_id: g.place_id,
            time_restriction_time_zone: g.time_restriction_time_zone,
            members_count: g.users_count,
            name: g.name,
        }
    }
}

/// What a role assignment applies to: `{id, resource_type, name}` (and
/// `domain` for an organization).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppliesToRef {
    pub id: i64,
    pub resource_type: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// Who holds a role: `{id, resource_type: "User", email, name}` or a Team.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssigneeRef {
    pub id: i64,
    pub resource_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub name: String,
}

/// The fields of each `applies_to_type` variant.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ScopeFields {
    Organization {
        organization_id: i64,
        organization: AppliesToRef,
    },
    Place {
        place_id: i64,
        place: NamedRef,
    },
    Group {
        group_id: i64,
        group: NamedRef,
        valid_from: Option<String>,
        valid_until: Option<String>,
    },
    Team {
        team_id: i64,
        team: NamedRef,
    },
}

/// Kisi's RoleAssignment object (a oneOf by `applies_to_type`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleAssignmentBody {
    pub id: i64,
    #[schema(example = "RoleAssignment")]
    pub resource_type: &'static str,
    pub created_at: String,
    pub updated_at: String,
    #[schema(example = "group_basic")]
    pub role_id: &'static str,
    pub notify: bool,
    #[schema(example = "Group")]
    pub applies_to_type: &'static str,
    pub applies_to_id: i64,
    pub applies_to: AppliesToRef,
    pub assignee_type: &'static str,
    pub assignee_id: i64,
    pub assignee: AssigneeRef,
    pub created_by_type: Option<&'static str>,
    pub created_by_id: Option<i64>,
    /// Deprecated: the assignee's user id.
    pub user_id: Option<i64>,
    /// Deprecated: the assignee's team id.
    pub assignee_team_id: Option<i64>,
    /// Deprecated.
    pub guest_id: Option<i64>,
    /// Deprecated: who created it.
    pub issued_by_id: Option<i64>,
    /// Deprecated: `organization`, `place`, `group` or `team`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Deprecated: the same as `type`.
    pub scope: &'static str,
    #[serde(flatten)]
    pub fields: ScopeFields,
}

fn scope_kind(scope: Scope) -> (&'static str, &'static str, i64) {
    match scope {
        Scope::Organization => ("Organization", "organization", 0),
        Scope::Place(id) => ("Place", "place", id),
        Scope::Group { id, .. } => ("Group", "group", id),
        Scope::Team(id) => ("Team", "team", id),
    }
}

impl From<RoleAssignment> for RoleAssignmentBody {
    fn from(ra: RoleAssignment) -> Self {
        let (applies_to_type, kind, scoped_id) = scope_kind(ra.scope);
        let applies_to_id = if ra.scope == Scope::Organization {
            ra.organization_id
        } else {
            scoped_id
        };
        let named = |resource_type| NamedRef {
            id: applies_to_id,
            resource_type,
            name: ra.scope_name.clone(),
        };
        let fields = match ra.scope {
            Scope::Organization => ScopeFields::Organization {
                organization_id: ra.organization_id,
                organization: AppliesToRef {
                    id: ra.organization_id,
                    resource_type: "Organization",
                    name: ra.scope_name.clone(),
                    domain: Some(ra.organization_domain.clone()),
                },
            },
            Scope::Place(id) => ScopeFields::Place {
                place_id: id,
                place: named("Place"),
            },
            Scope::Group { id, .. } => ScopeFields::Group {
                group_id: id,
                group: named("Group"),
                valid_from: time_opt(ra.valid_from),
                valid_until: time_opt(ra.valid_until),
            },
            Scope::Team(id) => ScopeFields::Team {
                team_id: id,
                team: named("Team"),
            },
        };
        let is_user = ra.assignee_type == AssigneeType::User;
        RoleAssignmentBody {
            id: ra.id,
            resource_type: "RoleAssignment",
            created_at: time(ra.created_at),
            updated_at: time(ra.updated_at),
            role_id: ra.role.id(),
            notify: ra.notify,
            applies_to_type,
            applies_to_id,
            applies_to: AppliesToRef {
                id: applies_to_id,
                resource_type: applies_to_type,
                name: ra.scope_name.clone(),
                domain: (ra.scope == Scope::Organization).then(|| ra.organization_domain.clone()),
            },
            assignee_type: ra.assignee_type.as_str(),
            assignee_id: ra.assignee_id,
            assignee: AssigneeRef {
                id: ra.assignee_id,
                resource_type: ra.assignee_type.as_str(),
                email: ra.assignee_email.clone(),
                name: ra.assignee_name.clone(),
            },
            created_by_type: ra.created_by_id.map(|_| "User"),
            created_by_id: ra.created_by_id,
            user_id: is_user.then_some(ra.assignee_id),
            assignee_team_id: (!is_user).then_some(ra.assignee_id),
            guest_id: None,
            issued_by_id: ra.created_by_id,
            kind,
            scope: kind,
            fields,
        }
    }
}

/// Kisi's deprecated Share: a group role assignment of a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareBody {
    pub id: i64,
    #[schema(example = "Share")]
    pub resource_type: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub email: String,
    pub notify: Option<bool>,
    /// `basic` or `manager`.
    pub role_id: &'static str,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub group_id: i64,
    pub group: NamedRef,
    pub member_id: i64,
    pub member: NamedRef,
    pub place_id: Option<i64>,
    pub user_id: i64,
    pub user: AssigneeRef,
    pub created_by_type: Option<&'static str>,
    pub created_by_id: Option<i64>,
    /// Deprecated, always null.
    pub lock_id: Option<i64>,
    /// Deprecated, always false.
    pub apply_to_place: bool,
    /// Deprecated: the role id.
    pub role: Option<&'static str>,
    /// Deprecated.
    pub issued_to_id: Option<i64>,
    /// Deprecated.
    pub issued_to_email: String,
    /// Deprecated.
    pub issued_by_id: Option<i64>,
}

/// A share's `role_id` for a group role (`None` for any other role).
pub fn share_role(role: Role) -> Option<&'static str> {
    match role {
        Role::GroupBasic => Some("basic"),
        Role::GroupManager => Some("manager"),
        _ => None,
    }
}

impl ShareBody {
    /// `None` when the assignment is not a share (not a user's group role).
    pub fn from_assignment(ra: RoleAssignment) -> Option<Self> {
        let role = share_role(ra.role)?;
        let Scope::Group {
            id: group_id,
            place_id,
        } = ra.scope
        else {
            return None;
        };
        if ra.assignee_type != AssigneeType::User {
            return None;
        }
        let email = ra.assignee_email.clone().unwrap_or_default();
        Some(ShareBody {
            id: ra.id,
            resource_type: "Share",
            created_at: time(ra.created_at),
            updated_at: time(ra.updated_at),
            email: email.clone(),
            notify: Some(ra.notify),
            role_id: role,
            valid_from: time_opt(ra.valid_from),
            valid_until: time_opt(ra.valid_until),
            group_id,
            group: NamedRef {
                id: group_id,
                resource_type: "Group",
                name: ra.scope_name.clone(),
            },
            member_id: ra.member_id.unwrap_or_default(),
            member: NamedRef {
                id: ra.member_id.unwrap_or_default(),
                resource_type: "Member",
                name: ra.assignee_name.clone(),
            },
            place_id,
            user_id: ra.assignee_id,
            user: AssigneeRef {
                id: ra.assignee_id,
                resource_type: "User",
                email: Some(email.clone()),
                name: ra.assignee_name,
            },
            created_by_type: ra.created_by_id.map(|_| "User"),
            created_by_id: ra.created_by_id,
            lock_id: None,
            apply_to_place: false,
            role: Some(role),
            issued_to_id: Some(ra.assignee_id),
            issued_to_email: email,
            issued_by_id: ra.created_by_id,
        })
    }
}

/// Kisi's Role object with its permission map.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleBody {
    #[schema(example = "group_basic")]
    pub id: &'static str,
    #[schema(example = "Role")]
    pub resource_type: &'static str,
    pub applies_to: &'static str,
    pub name: &'static str,
    pub description: Option<&'static str>,
    pub custom: bool,
    pub custom_role_id: Option<i64>,
    /// Every Kisi permission key with whether the role grants it.
    #[schema(value_type = Object)]
    pub permissions: serde_json::Map<String, serde_json::Value>,
}

impl From<Role> for RoleBody {
    fn from(role: Role) -> Self {
        RoleBody {
            id: role.id(),
            resource_type: "Role",
            applies_to: role.applies_to().as_str(),
            name: role.name(),
            description: Some(role.description()),
            custom: false,
            custom_role_id: None,
            permissions: KISI_PERMISSIONS
                .iter()
                .map(|key| {
                    (
                        (*key).to_owned(),
                        serde_json::Value::Bool(role.kisi_permission(key)),
                    )
                })
                .collect(),
        }
    }
}

/// Kisi's Team object.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamBody {
    pub id: i64,
    #[schema(example = "Team")]
    pub resource_type: &'static str,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Team> for TeamBody {
    fn from(t: Team) -> Self {
        TeamBody {
            id: t.id,
            resource_type: "Team",
            name: t.name,
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
        }
    }
}

/// Kisi's TeamMembership object (users only; gatehouse has no guests).
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMembershipBody {
    pub id: i64,
    #[schema(example = "TeamMembership")]
    pub resource_type: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub team_id: i64,
    pub team: NamedRef,
    pub member_type: &'static str,
    pub member_id: i64,
    pub member: AssigneeRef,
}

impl From<TeamMembership> for TeamMembershipBody {
    fn from(tm: TeamMembership) -> Self {
        TeamMembershipBody {
            id: tm.id,
            resource_type: "TeamMembership",
            created_at: time(tm.created_at),
            updated_at: time(tm.updated_at),
            team_id: tm.team_id,
            team: NamedRef {
                id: tm.team_id,
                resource_type: "Team",
                name: tm.team_name,
            },
            member_type: "User",
            member_id: tm.user_id,
            member: AssigneeRef {
                id: tm.user_id,
                resource_type: "User",
                email: Some(tm.user_email),
                name: tm.user_name,
            },
        }
    }
}
