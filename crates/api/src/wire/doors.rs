//! Doors, group locks, schedules and events on the wire.

use gatehouse_domain::{Event, GroupLock, Lock, ScheduleKind, ScheduleRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::{time, time_opt, NamedRef};

/// The place inside a Lock (Kisi gives it no `resource_type`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LockPlaceRef {
    pub id: i64,
    pub name: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Kisi's Lock object. gatehouse drives no hardware: a door is always
/// `configured`, its `online` state is unknown (null), and it is closed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LockBody {
    pub id: i64,
    #[schema(example = "Lock")]
    pub resource_type: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub configured: bool,
    pub description: Option<String>,
    pub first_to_arrive_required_until: Option<String>,
    pub first_to_arrive_satisfied: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub locked_down: bool,
    pub locked_down_since: Option<String>,
    pub name: String,
    pub on_scheduled_unlock: bool,
    pub online: Option<bool>,
    pub open: bool,
    pub order_id: Option<i64>,
    pub unlocked: bool,
    pub geofence_restriction_enabled: Option<bool>,
    pub geofence_restriction_radius: f64,
    pub reader_restriction_enabled: Option<bool>,
    pub time_restriction_enabled: Option<bool>,
    pub time_restriction_time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favorite: Option<bool>,
    pub place_id: i64,
    pub place: LockPlaceRef,
    pub floor_id: Option<i64>,
    /// Deprecated.
    pub groups_count: i64,
    /// Deprecated.
    pub unlocked_until: Option<String>,
}

impl From<Lock> for LockBody {
    fn from(l: Lock) -> Self {
        LockBody {
            id: l.id,
            resource_type: "Lock",
            created_at: time(l.created_at),
            updated_at: time(l.updated_at),
            configured: true,
            description: l.description,
            first_to_arrive_required_until: None,
            first_to_arrive_satisfied: false,
            latitude: l.latitude,
            longitude: l.longitude,
            locked_down: l.locked_down,
            locked_down_since: time_opt(l.locked_down_since),
            name: l.name,
            on_scheduled_unlock: false,
            online: None,
            open: false,
            order_id: l.order_id,
            unlocked: false,
            geofence_restriction_enabled: Some(l.geofence_restriction_enabled),
            geofence_restriction_radius: l.geofence_restriction_radius,
            reader_restriction_enabled: Some(l.reader_restriction_enabled),
            time_restriction_enabled: Some(l.time_restriction_enabled),
            time_restriction_time_zone: None,
            favorite: l.favorite,
            place_id: l.place_id,
            place: LockPlaceRef {
                id: l.place_id,
                name: l.place_name,
                latitude: l.place_latitude,
                longitude: l.place_longitude,
            },
            floor_id: l.floor_id,
            groups_count: l.groups_count,
            unlocked_until: None,
        }
    }
}

/// The door inside a GroupLock (no `resource_type`).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupLockLockRef {
    pub id: i64,
    pub description: Option<String>,
    pub name: String,
}

/// Kisi's GroupLock object: a door in a group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupLockBody {
    pub id: i64,
    #[schema(example = "GroupLock")]
    pub resource_type: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub group_id: i64,
    pub group: NamedRef,
    pub lock_id: i64,
    pub lock: GroupLockLockRef,
    pub place_id: i64,
    pub place: NamedRef,
}

impl From<GroupLock> for GroupLockBody {
    fn from(gl: GroupLock) -> Self {
        GroupLockBody {
            id: gl.id,
            resource_type: "GroupLock",
            created_at: time(gl.created_at),
            updated_at: time(gl.updated_at),
            group_id: gl.group_id,
            group: NamedRef {
                id: gl.group_id,
                resource_type: "Group",
                name: gl.group_name,
            },
            lock_id: gl.lock_id,
            lock: GroupLockLockRef {
                id: gl.lock_id,
                description: gl.lock_description,
                name: gl.lock_name,
            },
            place_id: gl.place_id,
            place: NamedRef {
                id: gl.place_id,
                resource_type: "Place",
                name: gl.place_name,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleableRef {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
}

/// The fields of each schedule `type`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ScheduleKindBody {
    RecurringEvent {
        monday: bool,
        tuesday: bool,
        wednesday: bool,
        thursday: bool,
        friday: bool,
        saturday: bool,
        sunday: bool,
        /// `hh:mm`, local time of the place.
        starts_at_time: String,
        ends_at_time: String,
    },
    SingleEvent {
        starts_at: String,
        ends_at: String,
    },
}

/// Kisi's Schedule object: a group's time restriction.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleBody {
    pub id: i64,
    #[schema(example = "Schedule")]
    pub resource_type: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub name: Option<String>,
    pub enabled: bool,
    #[serde(rename = "override")]
    pub override_others: bool,
    /// Groups take `allow`: access is allowed during the schedule.
    pub consequence: &'static str,
    pub scheduleable_type: &'static str,
    pub scheduleable_id: i64,
    pub scheduleable: ScheduleableRef,
    pub place_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<NamedRef>,
    pub integration_id: Option<i64>,
    #[serde(flatten)]
    pub kind: ScheduleKindBody,
}

pub fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl From<ScheduleRecord> for ScheduleBody {
    fn from(s: ScheduleRecord) -> Self {
        let kind = match s.kind {
            ScheduleKind::Recurring {
                days,
                start_minute,
                end_minute,
            } => {
                let day = |bit: u8| days & (1 << bit) != 0;
                ScheduleKindBody::RecurringEvent {
                    monday: day(0),
                    tuesday: day(1),
                    wednesday: day(2),
                    thursday: day(3),
                    friday: day(4),
                    saturday: day(5),
                    sunday: day(6),
                    starts_at_time: hhmm(start_minute),
                    ends_at_time: hhmm(end_minute),
                }
            }
            ScheduleKind::Single { starts_at, ends_at } => ScheduleKindBody::SingleEvent {
                starts_at: time(starts_at),
                ends_at: time(ends_at),
            },
        };
        ScheduleBody {
            id: s.id,
            resource_type: "Schedule",
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
            name: s.name,
            enabled: s.enabled,
            override_others: false,
            consequence: "allow",
            scheduleable_type: "Group",
            scheduleable_id: s.group_id,
            scheduleable: ScheduleableRef {
                id: s.group_id,
                kind: "Group",
                name: s.group_name,
            },
            place: s.place_id.zip(s.place_name).map(|(id, name)| NamedRef {
                id,
                resource_type: "Place",
                name,
            }),
            place_id: s.place_id,
            integration_id: None,
            kind,
        }
    }
}

/// Kisi's Event object.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    pub uuid: String,
    #[serde(rename = "type")]
    #[schema(example = "lock.unlock")]
    pub event_type: String,
    pub actor_type: Option<String>,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub authenticated_by_type: Option<String>,
    pub authenticated_by_id: Option<i64>,
    pub authorized_by_type: Option<String>,
    pub authorized_by_id: Option<i64>,
    pub authorized_by_role_id: Option<String>,
    pub object_type: String,
    pub object_id: i64,
    pub object_name: String,
    /// What changed, `field: [old, new]`.
    #[schema(value_type = Object)]
    pub object: serde_json::Value,
    pub action: String,
    pub created_at: String,
    pub message: Option<String>,
    pub success: bool,
    pub code: Option<String>,
    pub sequence: String,
    pub organization_id: i64,
    pub place_id: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Deprecated: the same as `object`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Deprecated.
    #[schema(value_type = Object)]
    pub via: serde_json::Value,
}

impl From<Event> for EventBody {
    fn from(e: Event) -> Self {
        let details: serde_json::Value =
            serde_json::from_str(&e.details).unwrap_or_else(|_| serde_json::json!({}));
        let action = e
            .event_type
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_owned();
        EventBody {
            uuid: e.uuid,
            action,
            event_type: e.event_type,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            actor_email: e.actor_email,
            authenticated_by_type: e.authenticated_by_type,
            authenticated_by_id: e.authenticated_by_id,
            authorized_by_type: None,
            authorized_by_id: None,
            authorized_by_role_id: None,
            object_type: e.object_type,
            object_id: e.object_id,
            object_name: e.object_name,
            object: details.clone(),
            created_at: time(e.created_at),
            error_message: if e.success { None } else { e.message.clone() },
            message: e.message,
            success: e.success,
            code: e.error_code.clone(),
            sequence: e.sequence.to_string(),
            organization_id: e.organization_id,
            place_id: e.place_id,
            error_code: e.error_code,
            details,
            via: serde_json::json!({}),
        }
    }
}

/// A Lock as a quick access link sees it (Kisi's reduced variant).
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkLockBody {
    pub id: i64,
    pub configured: bool,
    pub description: Option<String>,
    pub locked_down_since: Option<String>,
    pub locked_down: bool,
    pub name: String,
    pub online: Option<bool>,
    pub open: bool,
    /// Deprecated.
    pub unlocked_until: Option<String>,
    pub unlocked: bool,
    pub place_id: i64,
    pub place: LockPlaceRef,
}

impl From<Lock> for LinkLockBody {
    fn from(l: Lock) -> Self {
        LinkLockBody {
            id: l.id,
            configured: true,
            description: l.description,
            locked_down_since: time_opt(l.locked_down_since),
            locked_down: l.locked_down,
            name: l.name,
            online: None,
            open: false,
            unlocked_until: None,
            unlocked: false,
            place_id: l.place_id,
            place: LockPlaceRef {
                id: l.place_id,
                name: l.place_name,
                latitude: l.place_latitude,
                longitude: l.place_longitude,
            },
        }
    }
}
