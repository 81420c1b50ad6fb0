//! Doors, the groups that hold them, and group schedules.

use crate::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct Lock {
    pub id: i64,
    pub organization_id: i64,
    pub place_id: i64,
    pub place_name: String,
    pub place_latitude: Option<f64>,
    pub place_longitude: Option<f64>,
    pub name: String,
    pub description: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geofence_restriction_enabled: bool,
    pub geofence_restriction_radius: f64,
    pub reader_restriction_enabled: bool,
    pub time_restriction_enabled: bool,
    pub order_id: Option<i64>,
    pub floor_id: Option<i64>,
    pub locked_down: bool,
    pub locked_down_since: Option<Timestamp>,
    pub groups_count: i64,
    /// Whether the viewing user marked it; known only when asked for.
    pub favorite: Option<bool>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LockFields {
    pub name: Option<String>,
    /// Create only: a door stays in its place.
    pub place_id: Option<i64>,
    pub description: Option<Option<String>>,
    pub latitude: Option<Option<f64>>,
    pub longitude: Option<Option<f64>>,
    pub geofence_restriction_enabled: Option<bool>,
    pub reader_restriction_enabled: Option<bool>,
    pub time_restriction_enabled: Option<bool>,
    pub order_id: Option<Option<i64>>,
    pub floor_id: Option<Option<i64>>,
}

impl LockFields {
    /// Whether the change touches a security restriction (administrators only).
    pub fn touches_restrictions(&self) -> bool {
        self.geofence_restriction_enabled.is_some()
            || self.reader_restriction_enabled.is_some()
            || self.time_restriction_enabled.is_some()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupLock {
    pub id: i64,
    pub organization_id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub lock_id: i64,
    pub lock_name: String,
    pub lock_description: Option<String>,
    pub place_id: i64,
    pub place_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// When a time-restricted group's access is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleKind {
    /// Weekdays as bits (bit 0 = Monday .. bit 6 = Sunday) with local
    /// `hh:mm` start and end in minutes; an end at or before the start runs
    /// past midnight.
    Recurring {
        days: u8,
        start_minute: u32,
        end_minute: u32,
    },
    Single {
        starts_at: Timestamp,
        ends_at: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRecord {
    pub id: i64,
    pub organization_id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub place_id: Option<i64>,
    pub place_name: Option<String>,
    pub name: Option<String>,
    pub enabled: bool,
    pub kind: ScheduleKind,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSchedule {
    pub group_id: i64,
    pub name: Option<String>,
    pub enabled: bool,
    pub kind: ScheduleKind,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchedulePatch {
    pub name: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub kind: Option<ScheduleKind>,
}

/// Who asks to open a door, for loading the facts of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessSubject {
    /// A member of the organization, by user id: their roles decide.
    User(i64),
    /// A quick access link of a group, possibly issued to a member.
    Link { group_id: i64, user_id: Option<i64> },
}

/// A decision as it is recorded: the `lock.unlock` event, and for a grant
/// the member's last access.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRecord {
    pub lock_id: i64,
    /// The door's name and place as the decision saw them, for the event.
    pub lock_name: String,
    pub place_id: i64,
    pub user_id: Option<i64>,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    /// `Login`, `GroupLink` or `Card`, with its id.
    pub authenticated_by: (&'static str, i64),
    pub success: bool,
    pub error_code: Option<&'static str>,
    pub message: Option<&'static str>,
    /// The group whose access was used.
    pub group_id: Option<i64>,
}
