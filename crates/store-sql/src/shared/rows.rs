//! Row types: what the SQL returns, mapped into domain records. Domain types
//! carry no sqlx derives; these do.

use gatehouse_domain::{
    AssigneeType, Event, Group, GroupLock, GroupRestrictions, Lock, Login, LoginType, Member,
    MemberFlags, MemberType, Organization, Place, Role, RoleAssignment, ScheduleKind,
    ScheduleRecord, Scope, Subscription, Team, TeamMembership, Timestamp, User,
};
use gatehouse_store::StoreError;

pub(super) const ORGANIZATION_COLUMNS: &str = "o.id, o.name, o.domain, o.subscription, o.address, \
    o.description, o.logo, o.device_logins_expire_after, o.time_zone, o.owner_user_id, \
    (SELECT COUNT(*) FROM places pc WHERE pc.organization_id = o.id) AS places_count, \
    o.created_at, o.updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct OrganizationRow {
    id: i64,
    name: String,
    domain: String,
    subscription: String,
    address: Option<String>,
    description: Option<String>,
    logo: Option<String>,
    device_logins_expire_after: i64,
    time_zone: String,
    owner_user_id: Option<i64>,
    places_count: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = StoreError;

    fn try_from(row: OrganizationRow) -> Result<Self, StoreError> {
        Ok(Organization {
            id: row.id,
            name: row.name,
            domain: row.domain,
            subscription: row.subscription.parse::<Subscription>().map_err(|e| {
                StoreError::Backend(format!("organization {}: subscription {e}", row.id))
            })?,
            address: row.address,
            description: row.description,
            logo: row.logo,
            device_logins_expire_after: row.device_logins_expire_after,
            time_zone: row.time_zone,
            owner_user_id: row.owner_user_id,
            places_count: row.places_count,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: i64,
    email: String,
    name: String,
    image: Option<String>,
    locale: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: row.id,
            email: row.email,
            name: row.name,
            image: row.image,
            locale: row.locale,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The role assignments member `m`'s user holds directly, as a SQL
/// condition on the alias `ra`. Kept apart from `held_through_team!` (an OR
/// of the two would scan every role assignment).
macro_rules! held_directly {
    () => {
        "ra.organization_id = m.organization_id AND ra.assignee_type = 'User' AND ra.assignee_id = m.user_id"
    };
}
pub(super) use held_directly;

/// The role assignments member `m`'s user holds through a team.
macro_rules! held_through_team {
    () => {
        "ra.organization_id = m.organization_id AND ra.assignee_type = 'Team' AND ra.assignee_id IN \
         (SELECT tm.team_id FROM team_memberships tm WHERE tm.user_id = m.user_id)"
    };
}
pub(super) use held_through_team;

pub(super) const MEMBERS_FROM: &str =
    " FROM members m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id";

macro_rules! member_columns {
    () => {
        "SELECT m.id, m.organization_id, m.user_id, \
        u.email AS user_email, u.name AS user_name, COALESCE(m.name, u.name) AS name, \
        COALESCE(m.image, u.image) AS image, m.notes, m.metadata, m.access_enabled, \
        m.password_flow_enabled, m.link_enabled, m.app_enabled, m.card_enabled, \
        m.cards_without_activation_enabled, m.last_accessed_at, m.last_accessed_lock_id, m.created_at, m.updated_at, \
        o.owner_user_id, u.password_hash IS NOT NULL AS confirmed, \
        m.shares_count, m.direct_rank, m.team_rank"
    };
}

pub(super) const MEMBER_COLUMNS: &str = member_columns!();

pub(super) const MEMBER_SELECT: &str = concat!(
    member_columns!(),
    " FROM members m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id"
);

#[derive(sqlx::FromRow)]
pub(super) struct MemberRow {
    id: i64,
    organization_id: i64,
    user_id: i64,
    user_email: String,
    user_name: String,
    name: String,
    image: Option<String>,
    notes: Option<String>,
    metadata: String,
    access_enabled: bool,
    password_flow_enabled: bool,
    link_enabled: bool,
    app_enabled: bool,
    card_enabled: bool,
    cards_without_activation_enabled: bool,
    last_accessed_at: Option<Timestamp>,
    last_accessed_lock_id: Option<i64>,
    created_at: Timestamp,
    updated_at: Timestamp,
    owner_user_id: Option<i64>,
    confirmed: bool,
    /// What the member's roles make them, kept by the database on their row
    /// (migration 0013): group roles held directly, and the highest rank
    /// (3 administrator, 2 manager, 1 basic, 0 none) held directly and
    /// through a team. The member's type is the greater rank.
    shares_count: i32,
    direct_rank: i32,
    team_rank: i32,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Self {
        let member_type = if row.owner_user_id == Some(row.user_id) {
            MemberType::Owner
        } else {
            match row.direct_rank.max(row.team_rank) {
                3 => MemberType::Administrator,
                2 => MemberType::Manager,
                _ => MemberType::Basic,
            }
        };
        Member {
            id: row.id,
            organization_id: row.organization_id,
            user_id: row.user_id,
            user_email: row.user_email,
            user_name: row.user_name,
            name: row.name,
            image: row.image,
            notes: row.notes,
            metadata: row.metadata,
            flags: MemberFlags {
                access_enabled: row.access_enabled,
                password_flow_enabled: row.password_flow_enabled,
                link_enabled: row.link_enabled,
                app_enabled: row.app_enabled,
                card_enabled: row.card_enabled,
                cards_without_activation_enabled: row.cards_without_activation_enabled,
            },
            member_type,
            shares_count: row.shares_count.into(),
            confirmed: row.confirmed,
            last_accessed_at: row.last_accessed_at,
            last_accessed_lock_id: row.last_accessed_lock_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

pub(super) const LOGIN_SELECT: &str = "SELECT l.id, l.user_id, l.organization_id, \
    u.email AS user_email, u.name AS user_name, l.type, l.name, l.is_primary, l.expire, \
    l.device_brand, l.device_model, l.os_name, l.last_used_at, l.created_at, l.updated_at \
    FROM logins l JOIN users u ON u.id = l.user_id";

#[derive(sqlx::FromRow)]
pub(super) struct LoginRow {
    id: i64,
    user_id: i64,
    organization_id: i64,
    user_email: String,
    user_name: String,
    #[sqlx(rename = "type")]
    login_type: String,
    name: Option<String>,
    is_primary: bool,
    expire: bool,
    device_brand: Option<String>,
    device_model: Option<String>,
    os_name: Option<String>,
    last_used_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl TryFrom<LoginRow> for Login {
    type Error = StoreError;

    fn try_from(row: LoginRow) -> Result<Self, StoreError> {
        Ok(Login {
            id: row.id,
            user_id: row.user_id,
            organization_id: row.organization_id,
            user_email: row.user_email,
            user_name: row.user_name,
            login_type: LoginType::parse(&row.login_type)
                .ok_or_else(|| StoreError::Backend(format!("login {}: unknown type", row.id)))?,
            name: row.name,
            primary: row.is_primary,
            expire: row.expire,
            device_brand: row.device_brand,
            device_model: row.device_model,
            os_name: row.os_name,
            last_used_at: row.last_used_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A login with its member, in one statement: authenticating a request
/// that is not cached yet.
pub(super) const SIGNED_IN_SELECT: &str = concat!(
    member_columns!(),
    ", l.id AS login_id, l.type AS login_type, l.name AS login_name, l.is_primary, l.expire, \
    l.device_brand, l.device_model, l.os_name, l.last_used_at AS login_last_used_at, \
    l.created_at AS login_created_at, l.updated_at AS login_updated_at \
    FROM logins l JOIN members m ON m.organization_id = l.organization_id AND m.user_id = l.user_id \
    JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id"
);

#[derive(sqlx::FromRow)]
pub(super) struct SignedInRow {
    #[sqlx(flatten)]
    member: MemberRow,
    login_id: i64,
    login_type: String,
    login_name: Option<String>,
    is_primary: bool,
    expire: bool,
    device_brand: Option<String>,
    device_model: Option<String>,
    os_name: Option<String>,
    login_last_used_at: Option<Timestamp>,
    login_created_at: Timestamp,
    login_updated_at: Timestamp,
}

impl SignedInRow {
    pub(super) fn split(self) -> Result<(Login, Member), StoreError> {
        let login = LoginRow {
            id: self.login_id,
            user_id: self.member.user_id,
            organization_id: self.member.organization_id,
            user_email: self.member.user_email.clone(),
            user_name: self.member.user_name.clone(),
            login_type: self.login_type,
            name: self.login_name,
            is_primary: self.is_primary,
            expire: self.expire,
            device_brand: self.device_brand,
            device_model: self.device_model,
            os_name: self.os_name,
            last_used_at: self.login_last_used_at,
            created_at: self.login_created_at,
            updated_at: self.login_updated_at,
        };
        Ok((login.try_into()?, Member::from(self.member)))
    }
}

pub(super) const PLACE_COLUMNS: &str = "SELECT p.id, p.organization_id, p.name, p.description, \
    p.address, p.latitude, p.longitude, p.image, p.time_zone, p.locked_down, p.locked_down_since, \
    p.created_at, p.updated_at, f.created_at AS favorited_at, \
    (SELECT COUNT(*) FROM locks lc WHERE lc.place_id = p.id) AS locks_count, \
    (SELECT COUNT(DISTINCT ra.assignee_id) FROM role_assignments ra WHERE ra.place_id = p.id \
      AND ra.assignee_type = 'User') AS members_count";

/// Joins the viewing user's favorites; the caller binds the user id next
/// (0 for nobody).
pub(super) const PLACES_WITH_FAVORITES: &str = " FROM places p LEFT JOIN favorites f \
    ON f.object_type = 'Place' AND f.object_id = p.id AND f.user_id = ";

#[derive(sqlx::FromRow)]
pub(super) struct PlaceRow {
    id: i64,
    organization_id: i64,
    name: String,
    description: Option<String>,
    address: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    image: Option<String>,
    time_zone: Option<String>,
    locked_down: bool,
    locked_down_since: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
    favorited_at: Option<Timestamp>,
    locks_count: i64,
    members_count: i64,
}

impl PlaceRow {
    /// `with_favorite`: whether the caller asked for the `favorite` field.
    pub(super) fn into_place(self, with_favorite: bool) -> Place {
        Place {
            id: self.id,
            organization_id: self.organization_id,
            name: self.name,
            description: self.description,
            address: self.address,
            latitude: self.latitude,
            longitude: self.longitude,
            image: self.image,
            time_zone: self.time_zone,
            locked_down: self.locked_down,
            locked_down_since: self.locked_down_since,
            locks_count: self.locks_count,
            members_count: self.members_count,
            favorite: with_favorite.then_some(self.favorited_at.is_some()),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

pub(super) const EVENT_SELECT: &str = "SELECT e.sequence, e.uuid, e.organization_id, e.type, \
    e.actor_type, e.actor_id, e.actor_name, e.actor_email, e.authenticated_by_type, \
    e.authenticated_by_id, e.object_type, e.object_id, e.object_name, e.place_id, e.success, \
    e.error_code, e.message, e.details, e.created_at FROM events e";

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    sequence: i64,
    uuid: String,
    organization_id: i64,
    #[sqlx(rename = "type")]
    event_type: String,
    actor_type: Option<String>,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    actor_email: Option<String>,
    authenticated_by_type: Option<String>,
    authenticated_by_id: Option<i64>,
    object_type: String,
    object_id: i64,
    object_name: String,
    place_id: Option<i64>,
    success: bool,
    error_code: Option<String>,
    message: Option<String>,
    details: String,
    created_at: Timestamp,
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Self {
        Event {
            uuid: row.uuid,
            sequence: row.sequence,
            organization_id: row.organization_id,
            event_type: row.event_type,
            actor_type: row.actor_type,
            actor_id: row.actor_id,
            actor_name: row.actor_name,
            actor_email: row.actor_email,
            authenticated_by_type: row.authenticated_by_type,
            authenticated_by_id: row.authenticated_by_id,
            object_type: row.object_type,
            object_id: row.object_id,
            object_name: row.object_name,
            place_id: row.place_id,
            success: row.success,
            error_code: row.error_code,
            message: row.message,
            details: row.details,
            created_at: row.created_at,
        }
    }
}

pub(super) const GROUP_SELECT: &str = "SELECT g.id, g.organization_id, g.place_id, p.name AS place_name, \
    g.name, g.description, g.login_enabled, g.geofence_restriction_enabled, \
    g.geofence_restriction_radius, g.primary_device_restriction_enabled, \
    g.managed_device_restriction_enabled, g.reader_restriction_enabled, g.time_restriction_enabled, \
    g.tap_to_access_restriction_enabled, g.time_restriction_time_zone, \
    (SELECT COUNT(DISTINCT ra.assignee_id) FROM role_assignments ra WHERE ra.applies_to_type = 'Group' \
      AND ra.applies_to_id = g.id AND ra.assignee_type = 'User') AS users_count, \
    (SELECT COUNT(*) FROM group_locks gl WHERE gl.group_id = g.id) AS locks_count, \
    g.created_at, g.updated_at \
    FROM groups g LEFT JOIN places p ON p.id = g.place_id";

#[derive(sqlx::FromRow)]
pub(super) struct GroupRow {
    id: i64,
    organization_id: i64,
    place_id: Option<i64>,
    place_name: Option<String>,
    name: String,
    description: Option<String>,
    login_enabled: bool,
    geofence_restriction_enabled: bool,
    geofence_restriction_radius: f64,
    primary_device_restriction_enabled: bool,
    managed_device_restriction_enabled: bool,
    reader_restriction_enabled: bool,
    time_restriction_enabled: bool,
    tap_to_access_restriction_enabled: bool,
    time_restriction_time_zone: Option<String>,
    users_count: i64,
    locks_count: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<GroupRow> for Group {
    fn from(row: GroupRow) -> Self {
        Group {
            id: row.id,
            organization_id: row.organization_id,
            place_id: row.place_id,
            place_name: row.place_name,
            name: row.name,
            description: row.description,
            restrictions: GroupRestrictions {
                login_enabled: row.login_enabled,
                geofence: row.geofence_restriction_enabled,
                primary_device: row.primary_device_restriction_enabled,
                managed_device: row.managed_device_restriction_enabled,
                reader: row.reader_restriction_enabled,
                time: row.time_restriction_enabled,
                tap_to_access: row.tap_to_access_restriction_enabled,
            },
            geofence_restriction_radius: row.geofence_restriction_radius,
            time_restriction_time_zone: row.time_restriction_time_zone,
            users_count: row.users_count,
            locks_count: row.locks_count,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

pub(super) const ROLE_ASSIGNMENT_SELECT: &str = "SELECT ra.id, ra.organization_id, ra.role_id, \
    ra.applies_to_type, ra.applies_to_id, ra.place_id, \
    COALESCE(sp.name, sg.name, st.name, o.name) AS scope_name, o.domain AS organization_domain, \
    ra.assignee_type, ra.assignee_id, COALESCE(m.name, u.name, ateam.name, '') AS assignee_name, \
    u.email AS assignee_email, m.id AS member_id, ra.notify, ra.valid_from, ra.valid_until, \
    ra.created_by_id, ra.created_at, ra.updated_at \
    FROM role_assignments ra \
    JOIN organizations o ON o.id = ra.organization_id \
    LEFT JOIN places sp ON ra.applies_to_type = 'Place' AND sp.id = ra.applies_to_id \
    LEFT JOIN groups sg ON ra.applies_to_type = 'Group' AND sg.id = ra.applies_to_id \
    LEFT JOIN teams st ON ra.applies_to_type = 'Team' AND st.id = ra.applies_to_id \
    LEFT JOIN users u ON ra.assignee_type = 'User' AND u.id = ra.assignee_id \
    LEFT JOIN members m ON m.user_id = u.id AND m.organization_id = ra.organization_id \
    LEFT JOIN teams ateam ON ra.assignee_type = 'Team' AND ateam.id = ra.assignee_id";

#[derive(sqlx::FromRow)]
pub(super) struct RoleAssignmentRow {
    id: i64,
    organization_id: i64,
    role_id: String,
    applies_to_type: String,
    applies_to_id: i64,
    place_id: Option<i64>,
    scope_name: String,
    organization_domain: String,
    assignee_type: String,
    assignee_id: i64,
    assignee_name: String,
    assignee_email: Option<String>,
    member_id: Option<i64>,
    notify: bool,
    valid_from: Option<Timestamp>,
    valid_until: Option<Timestamp>,
    created_by_id: Option<i64>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

pub(super) fn scope_of(
    applies_to_type: &str,
    applies_to_id: i64,
    place_id: Option<i64>,
) -> Result<Scope, StoreError> {
    match applies_to_type {
        "Organization" => Ok(Scope::Organization),
        "Place" => Ok(Scope::Place(applies_to_id)),
        "Group" => Ok(Scope::Group {
            id: applies_to_id,
            place_id,
        }),
        "Team" => Ok(Scope::Team(applies_to_id)),
        other => Err(StoreError::Backend(format!(
            "unknown applies_to_type {other}"
        ))),
    }
}

impl TryFrom<RoleAssignmentRow> for RoleAssignment {
    type Error = StoreError;

    fn try_from(row: RoleAssignmentRow) -> Result<Self, StoreError> {
        Ok(RoleAssignment {
            id: row.id,
            organization_id: row.organization_id,
            role: row
                .role_id
                .parse::<Role>()
                .map_err(|e| StoreError::Backend(format!("role assignment {}: {e}", row.id)))?,
            scope: scope_of(&row.applies_to_type, row.applies_to_id, row.place_id)?,
            scope_name: row.scope_name,
            organization_domain: row.organization_domain,
            assignee_type: match row.assignee_type.as_str() {
                "Team" => AssigneeType::Team,
                _ => AssigneeType::User,
            },
            assignee_id: row.assignee_id,
            assignee_name: row.assignee_name,
            assignee_email: row.assignee_email,
            member_id: row.member_id,
            notify: row.notify,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            created_by_id: row.created_by_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub(super) const TEAM_SELECT: &str =
    "SELECT t.id, t.organization_id, t.name, t.created_at, t.updated_at FROM teams t";

#[derive(sqlx::FromRow)]
pub(super) struct TeamRow {
    id: i64,
    organization_id: i64,
    name: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<TeamRow> for Team {
    fn from(row: TeamRow) -> Self {
        Team {
            id: row.id,
            organization_id: row.organization_id,
            name: row.name,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

pub(super) const TEAM_MEMBERSHIP_SELECT: &str = "SELECT tm.id, tm.organization_id, tm.team_id, \
    t.name AS team_name, tm.user_id, u.email AS user_email, COALESCE(m.name, u.name) AS user_name, \
    tm.created_at, tm.updated_at \
    FROM team_memberships tm JOIN teams t ON t.id = tm.team_id JOIN users u ON u.id = tm.user_id \
    LEFT JOIN members m ON m.user_id = tm.user_id AND m.organization_id = tm.organization_id";

#[derive(sqlx::FromRow)]
pub(super) struct TeamMembershipRow {
    id: i64,
    organization_id: i64,
    team_id: i64,
    team_name: String,
    user_id: i64,
    user_email: String,
    user_name: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<TeamMembershipRow> for TeamMembership {
    fn from(row: TeamMembershipRow) -> Self {
        TeamMembership {
            id: row.id,
            organization_id: row.organization_id,
            team_id: row.team_id,
            team_name: row.team_name,
            user_id: row.user_id,
            user_email: row.user_email,
            user_name: row.user_name,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Joins the place and the viewing user's favorites; the caller binds the
/// user id next (0 for nobody).
pub(super) const LOCK_COLUMNS: &str = "SELECT l.id, l.organization_id, l.place_id, p.name AS place_name, \
    p.latitude AS place_latitude, p.longitude AS place_longitude, l.name, l.description, l.latitude, \
    l.longitude, l.geofence_restriction_enabled, l.geofence_restriction_radius, l.reader_restriction_enabled, \
    l.time_restriction_enabled, l.order_id, l.floor_id, l.locked_down, l.locked_down_since, \
    (SELECT COUNT(*) FROM group_locks gl WHERE gl.lock_id = l.id) AS groups_count, \
    f.created_at AS favorited_at, l.created_at, l.updated_at";

pub(super) const LOCKS_WITH_FAVORITES: &str = " FROM locks l JOIN places p ON p.id = l.place_id \
    LEFT JOIN favorites f ON f.object_type = 'Lock' AND f.object_id = l.id AND f.user_id = ";

#[derive(sqlx::FromRow)]
pub(super) struct LockRow {
    id: i64,
    organization_id: i64,
    place_id: i64,
    place_name: String,
    place_latitude: Option<f64>,
    place_longitude: Option<f64>,
    name: String,
    description: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    geofence_restriction_enabled: bool,
    geofence_restriction_radius: f64,
    reader_restriction_enabled: bool,
    time_restriction_enabled: bool,
    order_id: Option<i64>,
    floor_id: Option<i64>,
    locked_down: bool,
    locked_down_since: Option<Timestamp>,
    groups_count: i64,
    favorited_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl LockRow {
    pub(super) fn into_lock(self, with_favorite: bool) -> Lock {
        Lock {
            id: self.id,
            organization_id: self.organization_id,
            place_id: self.place_id,
            place_name: self.place_name,
            place_latitude: self.place_latitude,
            place_longitude: self.place_longitude,
            name: self.name,
            description: self.description,
            latitude: self.latitude,
            longitude: self.longitude,
            geofence_restriction_enabled: self.geofence_restriction_enabled,
            geofence_restriction_radius: self.geofence_restriction_radius,
            reader_restriction_enabled: self.reader_restriction_enabled,
            time_restriction_enabled: self.time_restriction_enabled,
            order_id: self.order_id,
            floor_id: self.floor_id,
            locked_down: self.locked_down,
            locked_down_since: self.locked_down_since,
            groups_count: self.groups_count,
            favorite: with_favorite.then_some(self.favorited_at.is_some()),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

pub(super) const GROUP_LOCK_SELECT: &str = "SELECT gl.id, gl.organization_id, gl.group_id, g.name AS group_name, \
    gl.lock_id, l.name AS lock_name, l.description AS lock_description, l.place_id, p.name AS place_name, \
    gl.created_at, gl.updated_at \
    FROM group_locks gl JOIN groups g ON g.id = gl.group_id JOIN locks l ON l.id = gl.lock_id \
    JOIN places p ON p.id = l.place_id";

#[derive(sqlx::FromRow)]
pub(super) struct GroupLockRow {
    id: i64,
    organization_id: i64,
    group_id: i64,
    group_name: String,
    lock_id: i64,
    lock_name: String,
    lock_description: Option<String>,
    place_id: i64,
    place_name: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<GroupLockRow> for GroupLock {
    fn from(row: GroupLockRow) -> Self {
        GroupLock {
            id: row.id,
            organization_id: row.organization_id,
            group_id: row.group_id,
            group_name: row.group_name,
            lock_id: row.lock_id,
            lock_name: row.lock_name,
            lock_description: row.lock_description,
            place_id: row.place_id,
            place_name: row.place_name,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

pub(super) const SCHEDULE_SELECT: &str =
    "SELECT s.id, s.organization_id, s.group_id, g.name AS group_name, \
    g.place_id, p.name AS place_name, s.type, s.name, s.enabled, s.days, s.starts_at_minute, \
    s.ends_at_minute, s.starts_at, s.ends_at, s.created_at, s.updated_at \
    FROM schedules s JOIN groups g ON g.id = s.group_id LEFT JOIN places p ON p.id = g.place_id";

#[derive(sqlx::FromRow)]
pub(super) struct ScheduleRow {
    id: i64,
    organization_id: i64,
    group_id: i64,
    group_name: String,
    place_id: Option<i64>,
    place_name: Option<String>,
    #[sqlx(rename = "type")]
    kind: String,
    name: Option<String>,
    enabled: bool,
    days: i64,
    starts_at_minute: Option<i64>,
    ends_at_minute: Option<i64>,
    starts_at: Option<Timestamp>,
    ends_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl TryFrom<ScheduleRow> for ScheduleRecord {
    type Error = StoreError;

    fn try_from(row: ScheduleRow) -> Result<Self, StoreError> {
        let broken = || StoreError::Backend(format!("schedule {} is incomplete", row.id));
        let kind = match row.kind.as_str() {
            "recurring_event" => ScheduleKind::Recurring {
                days: u8::try_from(row.days).map_err(|_| broken())?,
                start_minute: u32::try_from(row.starts_at_minute.ok_or_else(broken)?)
                    .map_err(|_| broken())?,
                end_minute: u32::try_from(row.ends_at_minute.ok_or_else(broken)?)
                    .map_err(|_| broken())?,
            },
            _ => ScheduleKind::Single {
                starts_at: row.starts_at.ok_or_else(broken)?,
                ends_at: row.ends_at.ok_or_else(broken)?,
            },
        };
        Ok(ScheduleRecord {
            id: row.id,
            organization_id: row.organization_id,
            group_id: row.group_id,
            group_name: row.group_name,
            place_id: row.place_id,
            place_name: row.place_name,
            name: row.name,
            enabled: row.enabled,
            kind,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
