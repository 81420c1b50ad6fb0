//! The role catalogue and the seed's permission matrix (DESIGN.md section 2).
//!
//! A member's *type* (Basic, Manager, Administrator) in a scope is the highest
//! role it holds there. Every authorization decision of the API goes through
//! [`MemberType::can`], and the Kisi `permissions` map of `GET /roles` is
//! derived from the same matrix, so the two can never disagree.

use std::fmt;
use std::str::FromStr;

/// The seed's three member types, plus the single organization owner, who is
/// an Administrator that nobody can demote or remove. Ordered by rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemberType {
    Basic,
    Manager,
    Administrator,
    Owner,
}

impl MemberType {
    /// The deprecated Member `role_id` string.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberType::Basic => "basic",
            MemberType::Manager => "manager",
            MemberType::Administrator => "administrator",
            MemberType::Owner => "owner",
        }
    }

    /// The seed's permission matrix.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            UnlockSharedDoors | ManageOwnLogins | ReadDirectory => true,
            ViewGroupEvents | AddGroupMembers | ManageSchedules => self >= MemberType::Manager,
            DeleteMembers
            | ConfigureDevices
            | ManageDoors
            | ManageIntegrations
            | ManageGroups
            | SetSecurityRestrictions
            | ManagePlaces
            | ManageOrganization => self >= MemberType::Administrator,
        }
    }
}

impl fmt::Display for MemberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rows of the seed's matrix, plus the few powers the seed implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Can unlock any door to which they are shared access.
    UnlockSharedDoors,
    /// Sign-in sessions of one's own.
    ManageOwnLogins,
    /// Reading the places, doors and groups one has access to.
    ReadDirectory,
    /// Can view event logs for the groups to which they are members.
    ViewGroupEvents,
    /// Can add members to the groups to which they are members.
    AddGroupMembers,
    /// Managers "schedule and see events".
    ManageSchedules,
    /// Can delete members of the group of which they are a member.
    DeleteMembers,
    /// Can configure the devices (locks, readers).
    ConfigureDevices,
    /// Can add/delete doors.
    ManageDoors,
    /// Can add/delete integrations.
    ManageIntegrations,
    /// Can add/delete groups.
    ManageGroups,
    /// Can set security restrictions (restriction flags, lockdown).
    SetSecurityRestrictions,
    /// Administrators manage the places of their scope.
    ManagePlaces,
    /// Organization settings (owner and organization administrators).
    ManageOrganization,
}

/// What a role applies to. `Team` is this project's extension for the
/// seed's "team admins".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppliesTo {
    Organization,
    Place,
    Group,
    Team,
}

impl AppliesTo {
    pub fn as_str(self) -> &'static str {
        match self {
            AppliesTo::Organization => "Organization",
            AppliesTo::Place => "Place",
            AppliesTo::Group => "Group",
            AppliesTo::Team => "Team",
        }
    }
}

impl FromStr for AppliesTo {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "Organization" => Ok(AppliesTo::Organization),
            "Place" => Ok(AppliesTo::Place),
            "Group" => Ok(AppliesTo::Group),
            "Team" => Ok(AppliesTo::Team),
            _ => Err("must be one of: Organization, Place, Group, Team".into()),
        }
    }
}

/// The role catalogue served by `GET /roles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    OrganizationOwner,
    OrganizationAdministrator,
    OrganizationManager,
    PlaceAdministrator,
    PlaceManager,
    GroupManager,
    GroupBasic,
    TeamManager,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::OrganizationOwner,
        Role::OrganizationAdministrator,
        Role::OrganizationManager,
        Role::PlaceAdministrator,
        Role::PlaceManager,
        Role::GroupManager,
        Role::GroupBasic,
        Role::TeamManager,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Role::OrganizationOwner => "organization_owner",
            Role::OrganizationAdministrator => "organization_administrator",
            Role::OrganizationManager => "organization_manager",
            Role::PlaceAdministrator => "place_administrator",
            Role::PlaceManager => "place_manager",
            Role::GroupManager => "group_manager",
            Role::GroupBasic => "group_basic",
            Role::TeamManager => "team_manager",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::OrganizationOwner => "Owner",
            Role::OrganizationAdministrator => "Administrator",
            Role::OrganizationManager => "Manager",
            Role::PlaceAdministrator => "Place administrator",
            Role::PlaceManager => "Place manager",
            Role::GroupManager => "Group manager",
            Role::GroupBasic => "Basic",
            Role::TeamManager => "Team manager",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::OrganizationOwner => {
                "Everything in the organization; exactly one, transferable only."
            }
            Role::OrganizationAdministrator => {
                "Manages users, teams, hardware and integrations of the whole organization."
            }
            Role::OrganizationManager => {
                "Manages the members, schedules and events of every group of the organization."
            }
            Role::PlaceAdministrator => {
                "Manages users, doors, groups and security restrictions of one place."
            }
            Role::PlaceManager => {
                "Manages the members, schedules and events of the groups of one place."
            }
            Role::GroupManager => {
                "Manages the members, schedules and events of one group, and unlocks its doors."
            }
            Role::GroupBasic => "Unlocks the doors of one group and sees their own unlock history.",
            Role::TeamManager => "Manages the memberships of one team.",
        }
    }

    pub fn applies_to(self) -> AppliesTo {
        match self {
            Role::OrganizationOwner
            | Role::OrganizationAdministrator
            | Role::OrganizationManager => AppliesTo::Organization,
            Role::PlaceAdministrator | Role::PlaceManager => AppliesTo::Place,
            Role::GroupManager | Role::GroupBasic => AppliesTo::Group,
            Role::TeamManager => AppliesTo::Team,
        }
    }

    pub fn member_type(self) -> MemberType {
        match self {
            Role::OrganizationOwner => MemberType::Owner,
            Role::OrganizationAdministrator | Role::PlaceAdministrator => MemberType::Administrator,
            Role::OrganizationManager
            | Role::PlaceManager
            | Role::GroupManager
            | Role::TeamManager => MemberType::Manager,
            Role::GroupBasic => MemberType::Basic,
        }
    }

    /// Kisi's `permissions` map entry for one of its permission keys.
    pub fn kisi_permission(self, key: &str) -> bool {
        self.member_type().can(classify_kisi_permission(key))
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.id() == value)
            .ok_or_else(|| "is not a known role (see GET /roles)".to_string())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The 119 permission keys of Kisi's Role object, in the spec's order.
pub const KISI_PERMISSIONS: [&str; 119] = [
    "access_keys_read",
    "access_keys_write",
    "amenities_read",
    "amenities_write",
    "analytics_read",
    "apple_passes_read",
    "apple_passes_write",
    "bookings_read",
    "bookings_write",
    "camera_snapshot_sets_read",
    "camera_snapshots_read",
    "camera_snapshots_write",
    "cameras_read",
    "cameras_write",
    "capacities_read",
    "capacities_write",
    "card_assignments_read",
    "card_assignments_write",
    "cards_activate",
    "cards_read",
    "cards_write",
    "communication_policies_read",
    "communication_policies_write",
    "csv_card_import_read",
    "csv_card_import_write",
    "csv_user_import_read",
    "csv_user_import_write",
    "custom_roles_read",
    "custom_roles_write",
    "dashboards_read",
    "elevator_stops_permit",
    "elevator_stops_read",
    "elevator_stops_write",
    "elevators_read",
    "elevators_write",
    "event_retention_policies_read",
    "event_retention_policies_write",
    "events_read",
    "floors_read",
    "floors_write",
    "group_elevator_stops_read",
    "group_elevator_stops_write",
    "group_links_read",
    "group_links_write",
    "group_locks_read",
    "group_locks_write",
    "group_terminals_read",
    "group_terminals_write",
    "group_zones_read",
    "group_zones_write",
    "groups_read",
    "groups_write",
    "guests_read",
    "guests_write",
    "hardware_read",
    "hardware_write",
    "third_party_hf_uid_read_configurations_read",
    "third_party_hf_uid_read_configurations_write",
    "incident_occurrences_read",
    "incident_policies_read",
    "incident_policies_write",
    "incidents_read",
    "incidents_write",
    "integrations_read",
    "integrations_write",
    "intercom_assignment_read",
    "intercom_assignment_write",
    "intercom_completed_call_stream_read",
    "invites_write",
    "kiosk_shortcuts_read",
    "kiosk_shortcuts_write",
    "locks_read",
    "locks_unlock",
    "locks_write",
    "logins_read",
    "logins_write",
    "managed_devices_read",
    "managed_devices_write",
    "marketplace_app_shares_read",
    "marketplace_app_shares_write",
    "marketplace_installations_read",
    "marketplace_installations_write",
    "marketplace_shortcuts_read",
    "marketplace_shortcuts_write",
    "mobile_cache_policies_read",
    "mobile_cache_policies_write",
    "place_dashboard_read",
    "places_read",
    "places_write",
    "reports_read",
    "reports_write",
    "role_assignments_read",
    "role_assignments_write",
    "scanned_card_read",
    "scanned_card_write",
    "scheduled_report_read",
    "scheduled_report_write",
    "schedules_read",
    "schedules_write",
    "shares_read",
    "shares_write",
    "subscriptions_read",
    "team_memberships_read",
    "team_memberships_write",
    "teams_read",
    "teams_write",
    "terminals_read",
    "terminals_trigger",
    "terminals_write",
    "users_read",
    "users_write",
    "visualization_page_reporters_read",
    "visualization_page_reporters_write",
    "visualization_page_shares_read",
    "visualization_page_shares_write",
    "zones_override",
    "zones_read",
    "zones_reset",
    "zones_write",
];

/// Which row of the seed's matrix a Kisi permission key belongs to. Keys the
/// seed does not mention are administrator powers ("manage users, teams,
/// hardware, and integrations").
fn classify_kisi_permission(key: &str) -> Permission {
    use Permission::*;
    match key {
        "locks_unlock" => UnlockSharedDoors,
        "logins_read" | "logins_write" => ManageOwnLogins,
        "locks_read" | "places_read" | "groups_read" | "floors_read" => ReadDirectory,
        "events_read"
        | "users_read"
        | "role_assignments_read"
        | "shares_read"
        | "group_locks_read"
        | "group_links_read"
        | "team_memberships_read"
        | "teams_read"
        | "card_assignments_read"
        | "cards_read"
        | "guests_read" => ViewGroupEvents,
        "users_write"
        | "role_assignments_write"
        | "shares_write"
        | "invites_write"
        | "team_memberships_write"
        | "guests_write"
        | "card_assignments_write"
        | "cards_activate"
        | "group_links_write" => AddGroupMembers,
        "schedules_read" | "schedules_write" => ManageSchedules,
        "locks_write" | "group_locks_write" => ManageDoors,
        "groups_write" => ManageGroups,
        "places_write" => ManagePlaces,
        k if k.starts_with("integrations")
            || k.starts_with("marketplace")
            || k.starts_with("access_keys") =>
        {
            ManageIntegrations
        }
        k if k.starts_with("hardware")
            || k.starts_with("terminals")
            || k.starts_with("elevator")
            || k.starts_with("cameras")
            || k.starts_with("managed_devices") =>
        {
            ConfigureDevices
        }
        _ => ManageOrganization,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_matrix() {
        use MemberType::*;
        use Permission::*;
        let rows = [
            (UnlockSharedDoors, [true, true, true]),
            (ViewGroupEvents, [false, true, true]),
            (AddGroupMembers, [false, true, true]),
            (DeleteMembers, [false, false, true]),
            (ConfigureDevices, [false, false, true]),
            (ManageDoors, [false, false, true]),
            (ManageIntegrations, [false, false, true]),
            (ManageGroups, [false, false, true]),
            (SetSecurityRestrictions, [false, false, true]),
        ];
        for (permission, expected) in rows {
            let actual = [
                Basic.can(permission),
                Manager.can(permission),
                Administrator.can(permission),
            ];
            assert_eq!(actual, expected, "{permission:?}");
            assert!(
                Owner.can(permission),
                "the owner can do everything: {permission:?}"
            );
        }
    }

    #[test]
    fn catalogue_round_trips_and_ranks() {
        for role in Role::ALL {
            assert_eq!(role.id().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
        assert!(MemberType::Owner > MemberType::Administrator);
        assert!(MemberType::Manager > MemberType::Basic);
        assert_eq!(Role::GroupBasic.member_type(), MemberType::Basic);
        assert_eq!(Role::PlaceAdministrator.applies_to(), AppliesTo::Place);
    }

    #[test]
    fn kisi_permission_map_follows_the_matrix() {
        assert_eq!(KISI_PERMISSIONS.len(), 119);
        assert!(Role::GroupBasic.kisi_permission("locks_unlock"));
        assert!(!Role::GroupBasic.kisi_permission("events_read"));
        assert!(Role::GroupManager.kisi_permission("events_read"));
        assert!(Role::GroupManager.kisi_permission("users_write"));
        assert!(!Role::GroupManager.kisi_permission("locks_write"));
        assert!(!Role::PlaceManager.kisi_permission("groups_write"));
        assert!(Role::PlaceAdministrator.kisi_permission("groups_write"));
        assert!(!Role::OrganizationManager.kisi_permission("integrations_write"));
        for key in KISI_PERMISSIONS {
            assert!(Role::OrganizationOwner.kisi_permission(key), "{key}");
        }
    }
}
