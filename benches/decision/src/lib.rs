//! Shared fixtures of the decision benchmark.

use chrono::{TimeZone, Utc, Weekday};
use gatehouse_domain::access::{
    AccessFacts, Credential, GrantFacts, GroupFacts, LockFacts, MemberFacts, Schedule, WeeklyWindow,
};
use gatehouse_domain::{GroupRestrictions, MemberFlags, Role, Subscription, Timestamp};

pub const GRANTS: usize = 20;

/// Wednesday 2026-06-03 10:30 UTC (12:30 in Berlin): inside office hours.
pub fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 6, 3, 10, 30, 0).unwrap()
}

/// A member with 20 group grants, each group time-restricted to weekday
/// office hours; only the last group holds the door, so every grant is
/// examined (the worst case for a first-match evaluator).
pub fn facts() -> AccessFacts {
    let office = Schedule {
        weekly: vec![WeeklyWindow {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start_minute: 9 * 60,
            end_minute: 17 * 60,
        }],
        single: vec![],
    };
    let grants = (0..GRANTS as i64)
        .map(|i| GrantFacts {
            role: Role::GroupBasic,
            valid_from: None,
            // All but the last have expired: the decision must look at each.
            valid_until: if i + 1 < GRANTS as i64 {
                Some(now() - chrono::Duration::days(1))
            } else {
                None
            },
            group: Some(GroupFacts {
                id: i,
                restrictions: GroupRestrictions {
                    time: true,
                    ..GroupRestrictions::default()
                },
                geofence_restriction_radius: 200.0,
                schedule: office.clone(),
            }),
        })
        .collect();
    AccessFacts {
        lock: Some(LockFacts {
            id: 1,
            place_id: 1,
            locked_down: false,
            place_locked_down: false,
            latitude: Some(52.52),
            longitude: Some(13.405),
            geofence_restriction_enabled: false,
            geofence_restriction_radius: 200.0,
            reader_restriction_enabled: false,
            time_zone: chrono_tz::Europe::Berlin,
        }),
        member: Some(MemberFacts {
            user_id: 7,
            flags: MemberFlags::defaults(Subscription::Organizations),
        }),
        grants,
    }
}

pub fn app() -> Credential {
    Credential::App {
        location: None,
        proximity_proof: false,
        primary_device: false,
    }
}
