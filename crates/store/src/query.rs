//! Paging and list filters shared by every backend.

use gatehouse_domain::Timestamp;

/// Offset paging as Kisi does it (`limit`, `offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn new(limit: i64, offset: i64) -> Self {
        Page { limit, offset }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 10,
            offset: 0,
        }
    }
}

/// One page of a list, with the total count of the filtered set.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlaceSort {
    /// Oldest first; the default when no sort is asked for.
    #[default]
    Id,
    Name,
    NameDesc,
    /// Most recently favorited first.
    Favorite,
}

#[derive(Debug, Clone, Default)]
pub struct PlaceQuery {
    pub ids: Option<Vec<i64>>,
    /// Case-insensitive substring of the name.
    pub query: Option<String>,
    /// Whose favorites decide the `favorite` field and filter.
    pub viewer_user_id: Option<i64>,
    /// `Some(x)`: only places whose favorite flag is `x`.
    pub favorite: Option<bool>,
    pub sort: PlaceSort,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// `None`: every event of the organization; otherwise the caller's own
    /// and those of the places, groups and their doors the caller manages.
    pub visible_to: Option<Visibility>,
    pub event_type: Option<String>,
    /// Any of these types (event sets take a comma-separated list).
    pub event_types: Option<Vec<String>>,
    /// Any of these uuids.
    pub uuids: Option<Vec<String>>,
    pub actor_type: Option<String>,
    pub authenticated_by: Option<(String, i64)>,
    /// Cursor paging: only events older than this sequence.
    pub before_sequence: Option<i64>,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub place_id: Option<i64>,
    pub success: Option<bool>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub page: Page,
}

/// Limits a list to what a caller below organization level may see:
/// themselves, and what lies in the scopes they manage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visibility {
    pub user_id: i64,
    pub managed: gatehouse_domain::Managed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberSort {
    #[default]
    Id,
    Name,
    NameDesc,
    /// Never-unlocked first, then oldest to newest last access.
    Unlock,
    UnlockDesc,
    /// Suspended first.
    AccessEnabled,
    AccessEnabledDesc,
}

#[derive(Debug, Clone, Default)]
pub struct MemberQuery {
    /// Member ids, or user ids when `ids_are_users` (for `/users`).
    pub ids: Option<Vec<i64>>,
    pub ids_are_users: bool,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    /// Members with a role in this place (or one of its groups).
    pub place_id: Option<i64>,
    /// Members with a role on this group.
    pub group_id: Option<i64>,
    /// Case-insensitive substring of the name, e-mail or notes.
    pub query: Option<String>,
    /// `None`: the whole organization.
    pub visible_to: Option<Visibility>,
    pub sort: MemberSort,
    pub page: Page,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameSort {
    #[default]
    Id,
    Name,
    NameDesc,
}

#[derive(Debug, Clone, Default)]
pub struct GroupQuery {
    pub ids: Option<Vec<i64>>,
    pub query: Option<String>,
    /// `Some(None)`: organization-wide groups only; `Some(Some(p))`: place p.
    pub place_id: Option<Option<i64>>,
    /// Only groups placed in some place (`scope=place`).
    pub placed_only: bool,
    /// `None`: every group; otherwise the groups a caller may see.
    pub visible_to: Option<Visibility>,
    pub sort: NameSort,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct RoleAssignmentQuery {
    pub ids: Option<Vec<i64>>,
    /// Case-insensitive substring of the user's e-mail or name.
    pub query: Option<String>,
    pub role_ids: Option<Vec<String>>,
    pub assignee: Option<(gatehouse_domain::AssigneeType, i64)>,
    /// `applies_to_type` and `applies_to_id`.
    pub applies_to: Option<(String, i64)>,
    /// Only assignments on this kind of scope (`Organization`, `Place`, ...).
    pub applies_to_type: Option<String>,
    /// Only assignments to users, or only to teams.
    pub assignee_type: Option<gatehouse_domain::AssigneeType>,
    /// Assignments whose scope lies in this place.
    pub place_id: Option<i64>,
    /// `None`: all; otherwise what the caller may see.
    pub visible_to: Option<Visibility>,
    /// Sort by the user's name (`sort=user.name`).
    pub sort: NameSort,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct TeamQuery {
    pub ids: Option<Vec<i64>>,
    pub query: Option<String>,
    pub sort: NameSort,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct TeamMembershipQuery {
    pub ids: Option<Vec<i64>>,
    pub team_id: Option<i64>,
    pub user_id: Option<i64>,
    pub page: Page,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockSort {
    #[default]
    Id,
    Name,
    NameDesc,
    /// Most recently favorited first.
    Favorite,
}

#[derive(Debug, Clone, Default)]
pub struct LockQuery {
    pub ids: Option<Vec<i64>>,
    /// Case-insensitive substring of the name.
    pub query: Option<String>,
    pub place_id: Option<i64>,
    pub floor_id: Option<i64>,
    pub locked_down: Option<bool>,
    /// Whose favorites decide the `favorite` field and filter.
    pub viewer_user_id: Option<i64>,
    pub favorite: Option<bool>,
    /// `None`: every door; otherwise the doors of the caller's groups and
    /// of the places they manage.
    pub visible_to: Option<Visibility>,
    pub sort: LockSort,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct GroupLockQuery {
    pub group_id: Option<i64>,
    pub ids: Option<Vec<i64>>,
    pub lock_id: Option<i64>,
    /// Case-insensitive substring of the door's name.
    pub query: Option<String>,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct ScheduleQuery {
    pub ids: Option<Vec<i64>>,
    pub group_id: Option<i64>,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct CardQuery {
    pub ids: Option<Vec<i64>>,
    /// `Some(Some(true))` activated, `Some(Some(false))` deactivated,
    /// `Some(None)` unassigned.
    pub status: Option<Option<bool>>,
    pub token: Option<String>,
    pub uid: Option<String>,
    pub facility_code: Option<i64>,
    pub card_number: Option<i64>,
    pub user_id: Option<i64>,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct CardAssignmentQuery {
    pub ids: Option<Vec<i64>>,
    pub user_id: Option<i64>,
    pub activated: Option<bool>,
    pub card_ids: Option<Vec<i64>>,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct GroupLinkQuery {
    pub ids: Option<Vec<i64>>,
    pub group_id: Option<i64>,
    /// Case-insensitive substring of the link's name, e-mail or phone.
    pub query: Option<String>,
    pub page: Page,
}
