//! The access decision (DESIGN.md section 4): may this credential open this
//! door now? A pure function over facts loaded in one store call: no I/O,
//! no clock (time is `now`), no randomness.

use chrono::{Datelike, Timelike, Weekday};
use chrono_tz::Tz;

use crate::{GroupRestrictions, MemberFlags, Role, Timestamp};

/// The door as the decision needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LockFacts {
    pub id: i64,
    /// Named in the decision's event.
    pub name: String,
    pub place_id: i64,
    pub locked_down: bool,
    pub place_locked_down: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geofence_restriction_enabled: bool,
    pub geofence_restriction_radius: f64,
    pub reader_restriction_enabled: bool,
    /// Where schedules are evaluated: the place's zone, else the organization's.
    pub time_zone: Tz,
}

/// The person behind the credential, when there is one (a visitor's quick
/// access link has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberFacts {
    pub user_id: i64,
    pub flags: MemberFlags,
}

/// One way the member may reach the door: a role on a group holding it, or
/// a place or organization role covering its place.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantFacts {
    pub role: Role,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    /// `None` for place and organization roles, which carry no restrictions.
    pub group: Option<GroupFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupFacts {
    pub id: i64,
    pub restrictions: GroupRestrictions,
    pub geofence_restriction_radius: f64,
    /// When `restrictions.time` is on: the times access is allowed.
    pub schedule: Schedule,
}

/// A group's time restriction: recurring weekly windows and single events,
/// in the lock's local time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schedule {
    pub weekly: Vec<WeeklyWindow>,
    pub single: Vec<(Timestamp, Timestamp)>,
}

/// Days of the week with a local start and end time (minutes after
/// midnight, end exclusive). An end at or before the start runs past
/// midnight into the next day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyWindow {
    pub days: Vec<Weekday>,
    pub start_minute: u32,
    pub end_minute: u32,
}

impl Schedule {
    /// Whether `now` lies in a window, reading the wall clock of `zone` (so
    /// a 09:00 window is 09:00 local on both sides of a daylight-saving change).
    pub fn allows(&self, now: Timestamp, zone: Tz) -> bool {
        if self
            .single
            .iter()
            .any(|(from, until)| *from <= now && now < *until)
        {
            return true;
        }
        let local = now.with_timezone(&zone);
        let minute = local.hour() * 60 + local.minute();
        let today = local.weekday();
        self.weekly.iter().any(|w| {
            if w.start_minute < w.end_minute {
                w.days.contains(&today) && (w.start_minute..w.end_minute).contains(&minute)
            } else {
                // Overnight: the evening part today, the morning part the day after.
                (w.days.contains(&today) && minute >= w.start_minute)
                    || (w.days.contains(&today.pred()) && minute < w.end_minute)
            }
        })
    }
}

/// A card as found at a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardFacts {
    pub activated: bool,
    /// `Some(ok)` when the card needs a two-factor PIN: whether it matched.
    pub pin_ok: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

/// How the person asks to open the door.
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// The app or web app, signed in with a login.
    App {
        location: Option<Location>,
        /// A reader-proximity proof was presented.
        proximity_proof: bool,
        /// The login is the user's primary device.
        primary_device: bool,
    },
    /// A quick access link. `enabled` and its window are the link's own.
    Link {
        enabled: bool,
        valid_from: Option<Timestamp>,
        valid_until: Option<Timestamp>,
        location: Option<Location>,
    },
    /// A card at a reader; `None` when no card matched.
    Card(Option<CardFacts>),
}

/// Everything the decision looks at, loaded in one store call.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessFacts {
    pub lock: Option<LockFacts>,
    pub member: Option<MemberFacts>,
    pub grants: Vec<GrantFacts>,
}

/// Why a door stayed shut: Kisi's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Denial {
    LockNotFound,
    AccessDisabled,
    AppAccessNotAllowed,
    LinksNotAllowed,
    LinkInvalid,
    CardsNotAllowed,
    CardNotFound,
    CardNotActivated,
    WrongPin,
    NoAccess,
    NotYetValid,
    Expired,
    OutsideSchedule,
    LocationInvalid,
    LockLocationMissing,
    TooFarAway,
    NotCloseEnough,
    NotPrimaryDevice,
    DoorLockedDown,
    PlaceLockedDown,
}

impl Denial {
    pub fn code(self) -> &'static str {
        match self {
            Denial::LockNotFound => "fad10e",
            Denial::AccessDisabled => "fcd8ff",
            Denial::AppAccessNotAllowed => "f01337",
            Denial::LinksNotAllowed => "f298df",
            Denial::LinkInvalid => "f29aef",
            Denial::CardsNotAllowed => "faa9cf",
            Denial::CardNotFound => "faa9ef",
            Denial::CardNotActivated => "faa9ff",
            Denial::WrongPin => "afc516",
            Denial::NoAccess => "fcd8ef",
            Denial::NotYetValid => "f358de",
            Denial::Expired => "f35ade",
            Denial::OutsideSchedule => "34ffaa",
            Denial::LocationInvalid => "bbb99f",
            Denial::LockLocationMissing => "bbb93f",
            Denial::TooFarAway => "a3995f",
            Denial::NotCloseEnough => "bb4faa",
            Denial::NotPrimaryDevice => "34bd8f",
            Denial::DoorLockedDown => "fad001",
            Denial::PlaceLockedDown => "fad002",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Denial::LockNotFound => "The door could not be found.",
            Denial::AccessDisabled => "Your access is disabled.",
            Denial::AppAccessNotAllowed => "Your access does not include the app.",
            Denial::LinksNotAllowed => "Your access does not include quick access links.",
            Denial::LinkInvalid => "The access link is invalid.",
            Denial::CardsNotAllowed => "Your access does not include cards.",
            Denial::CardNotFound => "The card was not found.",
            Denial::CardNotActivated => "The card is not activated.",
            Denial::WrongPin => "The two-factor PIN is invalid.",
            Denial::NoAccess => "Access denied.",
            Denial::NotYetValid => "Your access is not valid yet.",
            Denial::Expired => "Your access has expired.",
            Denial::OutsideSchedule => "Access is not allowed right now; try again later.",
            Denial::LocationInvalid => "The supplied location is not valid.",
            Denial::LockLocationMissing => {
                "The door's location is missing, so the geofence cannot be checked."
            }
            Denial::TooFarAway => "You are too far away from the door.",
            Denial::NotCloseEnough => "You are not close enough to the door's reader.",
            Denial::NotPrimaryDevice => "This device is not your primary device.",
            Denial::DoorLockedDown => "The door is locked down.",
            Denial::PlaceLockedDown => "The place is locked down.",
        }
    }

    /// The HTTP status the API answers with.
    pub fn status(self) -> u16 {
        match self {
            Denial::LockNotFound => 404,
            Denial::WrongPin => 401,
            _ => 403,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let in; `group_id` is the group whose access was used (`None` for a
    /// place or organization role).
    Granted {
        group_id: Option<i64>,
    },
    Denied(Denial),
}

impl Decision {
    pub fn is_granted(self) -> bool {
        matches!(self, Decision::Granted { .. })
    }

    pub fn denial(self) -> Option<Denial> {
        match self {
            Decision::Denied(denial) => Some(denial),
            Decision::Granted { .. } => None,
        }
    }
}

/// Decides. Checks in order: the door; the person and their credential; a
/// grant and its validity window; the group's restrictions; lockdown. Access
/// is granted when some grant passes every check; otherwise the denial of
/// the grant that got furthest is reported.
pub fn decide(facts: &AccessFacts, credential: &Credential, now: Timestamp) -> Decision {
    let Some(lock) = &facts.lock else {
        return Decision::Denied(Denial::LockNotFound);
    };
    if let Err(denial) = check_person(facts.member.as_ref(), credential, now) {
        return Decision::Denied(denial);
    }
    let mut furthest: Option<(u8, Denial)> = None;
    for grant in &facts.grants {
        match check_grant(lock, grant, credential, now) {
            Ok(()) => {
                return match lockdown(lock) {
                    Some(denial) => Decision::Denied(denial),
                    None => Decision::Granted {
                        group_id: grant.group.as_ref().map(|g| g.id),
                    },
                };
            }
            Err((stage, denial)) => {
                if furthest.is_none_or(|(best, _)| stage > best) {
                    furthest = Some((stage, denial));
                }
            }
        }
    }
    Decision::Denied(furthest.map_or(Denial::NoAccess, |(_, denial)| denial))
}

/// Step 2: the member's own switches, which win over any grant, and the
/// credential itself.
fn check_person(
    member: Option<&MemberFacts>,
    credential: &Credential,
    now: Timestamp,
) -> Result<(), Denial> {
    if let Credential::Link {
        enabled,
        valid_from,
        valid_until,
        ..
    } = credential
    {
        let in_window = valid_from.is_none_or(|from| from <= now)
            && valid_until.is_none_or(|until| now < until);
        if !enabled || !in_window {
            return Err(Denial::LinkInvalid);
        }
    }
    let Some(member) = member else {
        // Only a visitor's link works without a member.
        return match credential {
            Credential::Link { .. } => Ok(()),
            Credential::Card(None) => Err(Denial::CardNotFound),
            _ => Err(Denial::NoAccess),
        };
    };
    let flags = member.flags;
    if !flags.access_enabled {
        return Err(Denial::AccessDisabled);
    }
    match credential {
        Credential::App { .. } if !flags.app_enabled => Err(Denial::AppAccessNotAllowed),
        Credential::Link { .. } if !flags.link_enabled => Err(Denial::LinksNotAllowed),
        Credential::Card(_) if !flags.card_enabled => Err(Denial::CardsNotAllowed),
        Credential::Card(None) => Err(Denial::CardNotFound),
        Credential::Card(Some(card))
            if !card.activated && !flags.cards_without_activation_enabled =>
        {
            Err(Denial::CardNotActivated)
        }
        Credential::Card(Some(CardFacts {
            pin_ok: Some(false),
            ..
        })) => Err(Denial::WrongPin),
        _ => Ok(()),
    }
}

/// Steps 3 and 4 for one grant; the error carries how far it got.
fn check_grant(
    lock: &LockFacts,
    grant: &GrantFacts,
    credential: &Credential,
    now: Timestamp,
) -> Result<(), (u8, Denial)> {
    if !grant.role.kisi_permission("locks_unlock") {
        return Err((3, Denial::NoAccess));
    }
    if grant.valid_from.is_some_and(|from| now < from) {
        return Err((3, Denial::NotYetValid));
    }
    if grant.valid_until.is_some_and(|until| now >= until) {
        return Err((3, Denial::Expired));
    }
    let restrictions = grant
        .group
        .as_ref()
        .map(|g| g.restrictions)
        .unwrap_or_default();
    let is_app = matches!(credential, Credential::App { .. });
    if is_app && !restrictions.login_enabled {
        return Err((4, Denial::AppAccessNotAllowed));
    }
    if let Some(group) = grant.group.as_ref().filter(|g| g.restrictions.time) {
        if !group.schedule.allows(now, lock.time_zone) {
            return Err((4, Denial::OutsideSchedule));
        }
    }
    let location = match credential {
        Credential::App { location, .. } | Credential::Link { location, .. } => Some(*location),
        Credential::Card(_) => None,
    };
    // Cards are read at the door: they are where the door is.
    if let Some(location) = location {
        let mut radius = None;
        if restrictions.geofence {
            radius = grant.group.as_ref().map(|g| g.geofence_restriction_radius);
        }
        if lock.geofence_restriction_enabled {
            let lock_radius = lock.geofence_restriction_radius;
            radius = Some(radius.map_or(lock_radius, |r: f64| r.min(lock_radius)));
        }
        if let Some(radius) = radius {
            check_geofence(lock, location, radius).map_err(|denial| (4, denial))?;
        }
    }
    if let Credential::App {
        proximity_proof,
        primary_device,
        ..
    } = credential
    {
        if (restrictions.reader || lock.reader_restriction_enabled) && !proximity_proof {
            return Err((4, Denial::NotCloseEnough));
        }
        if restrictions.primary_device && !primary_device {
            return Err((4, Denial::NotPrimaryDevice));
        }
    }
    Ok(())
}

fn check_geofence(lock: &LockFacts, location: Option<Location>, radius: f64) -> Result<(), Denial> {
    let Some(here) = location.filter(|l| {
        (-90.0..=90.0).contains(&l.latitude) && (-180.0..=180.0).contains(&l.longitude)
    }) else {
        return Err(Denial::LocationInvalid);
    };
    let (Some(latitude), Some(longitude)) = (lock.latitude, lock.longitude) else {
        return Err(Denial::LockLocationMissing);
    };
    if distance_meters(
        here,
        Location {
            latitude,
            longitude,
        },
    ) > radius
    {
        return Err(Denial::TooFarAway);
    }
    Ok(())
}

/// Great-circle distance (haversine), in meters.
pub fn distance_meters(a: Location, b: Location) -> f64 {
    const EARTH_RADIUS: f64 = 6_371_000.0;
    let (lat1, lat2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.longitude - a.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS * h.sqrt().asin()
}

/// Step 5: lockdown shuts the door for everyone.
fn lockdown(lock: &LockFacts) -> Option<Denial> {
    if lock.locked_down {
        Some(Denial::DoorLockedDown)
    } else if lock.place_locked_down {
        Some(Denial::PlaceLockedDown)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Subscription;
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    /// Monday 2026-06-01 10:00 UTC = 12:00 in Berlin (summer time).
    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap()
    }

    fn lock() -> LockFacts {
        LockFacts {
            id: 1,
            name: "Front door".into(),
            place_id: 1,
            locked_down: false,
            place_locked_down: false,
            latitude: Some(52.5200),
            longitude: Some(13.4050),
            geofence_restriction_enabled: false,
            geofence_restriction_radius: 200.0,
            reader_restriction_enabled: false,
            time_zone: chrono_tz::Europe::Berlin,
        }
    }

    fn member() -> MemberFacts {
        MemberFacts {
            user_id: 7,
            flags: MemberFlags::defaults(Subscription::Organizations),
        }
    }

    fn group(restrictions: GroupRestrictions) -> GroupFacts {
        GroupFacts {
            id: 3,
            restrictions,
            geofence_restriction_radius: 100.0,
            schedule: Schedule::default(),
        }
    }

    fn group_grant(restrictions: GroupRestrictions) -> GrantFacts {
        GrantFacts {
            role: Role::GroupBasic,
            valid_from: None,
            valid_until: None,
            group: Some(group(restrictions)),
        }
    }

    fn facts(grants: Vec<GrantFacts>) -> AccessFacts {
        AccessFacts {
            lock: Some(lock()),
            member: Some(member()),
            grants,
        }
    }

    fn app() -> Credential {
        Credential::App {
            location: None,
            proximity_proof: false,
            primary_device: false,
        }
    }

    fn at(latitude: f64, longitude: f64) -> Credential {
        Credential::App {
            location: Some(Location {
                latitude,
                longitude,
            }),
            proximity_proof: false,
            primary_device: false,
        }
    }

    fn denied(facts: &AccessFacts, credential: &Credential) -> &'static str {
        decide(facts, credential, now())
            .denial()
            .map_or("granted", Denial::code)
    }

    #[test]
    fn a_group_grant_opens_the_door() {
        let decision = decide(
            &facts(vec![group_grant(GroupRestrictions::default())]),
            &app(),
            now(),
        );
        assert_eq!(decision, Decision::Granted { group_id: Some(3) });
        let place_role = GrantFacts {
            role: Role::PlaceManager,
            valid_from: None,
            valid_until: None,
            group: None,
        };
        assert_eq!(
            decide(&facts(vec![place_role]), &app(), now()),
            Decision::Granted { group_id: None }
        );
    }

    #[test]
    fn each_check_has_its_code() {
        let open = GroupRestrictions::default();
        assert_eq!(
            denied(
                &AccessFacts {
                    lock: None,
                    ..facts(vec![])
                },
                &app()
            ),
            "fad10e"
        );
        assert_eq!(denied(&facts(vec![]), &app()), "fcd8ef");
        let mut off = facts(vec![group_grant(open)]);
        off.member.as_mut().unwrap().flags.access_enabled = false;
        assert_eq!(denied(&off, &app()), "fcd8ff");
        let mut no_app = facts(vec![group_grant(open)]);
        no_app.member.as_mut().unwrap().flags.app_enabled = false;
        assert_eq!(denied(&no_app, &app()), "f01337");
        assert_eq!(
            denied(
                &facts(vec![group_grant(GroupRestrictions {
                    login_enabled: false,
                    ..open
                })]),
                &app()
            ),
            "f01337"
        );

        let mut early = group_grant(open);
        early.valid_from = Some(now() + Duration::minutes(1));
        assert_eq!(denied(&facts(vec![early]), &app()), "f358de");
        let mut late = group_grant(open);
        late.valid_until = Some(now());
        assert_eq!(
            denied(&facts(vec![late]), &app()),
            "f35ade",
            "valid_until is exclusive"
        );

        assert_eq!(
            denied(
                &facts(vec![group_grant(GroupRestrictions { time: true, ..open })]),
                &app()
            ),
            "34ffaa"
        );
        let geofenced = facts(vec![group_grant(GroupRestrictions {
            geofence: true,
            ..open
        })]);
        assert_eq!(denied(&geofenced, &app()), "bbb99f", "no location");
        assert_eq!(
            denied(&geofenced, &at(95.0, 0.0)),
            "bbb99f",
            "impossible location"
        );
        assert_eq!(
            denied(&geofenced, &at(52.5300, 13.4050)),
            "a3995f",
            "1.1 km away"
        );
        assert_eq!(
            denied(&geofenced, &at(52.5205, 13.4050)),
            "granted",
            "55 m away"
        );
        let mut nowhere = geofenced.clone();
        nowhere.lock.as_mut().unwrap().latitude = None;
        assert_eq!(denied(&nowhere, &at(52.52, 13.405)), "bbb93f");
        assert_eq!(
            denied(
                &facts(vec![group_grant(GroupRestrictions {
                    reader: true,
                    ..open
                })]),
                &app()
            ),
            "bb4faa"
        );
        let proof = Credential::App {
            location: None,
            proximity_proof: true,
            primary_device: false,
        };
        assert_eq!(
            denied(
                &facts(vec![group_grant(GroupRestrictions {
                    reader: true,
                    ..open
                })]),
                &proof
            ),
            "granted"
        );
        assert_eq!(
            denied(
                &facts(vec![group_grant(GroupRestrictions {
                    primary_device: true,
                    ..open
                })]),
                &app()
            ),
            "34bd8f"
        );

        let mut door = facts(vec![group_grant(open)]);
        door.lock.as_mut().unwrap().locked_down = true;
        assert_eq!(denied(&door, &app()), "fad001");
        let mut place = facts(vec![group_grant(open)]);
        place.lock.as_mut().unwrap().place_locked_down = true;
        assert_eq!(denied(&place, &app()), "fad002");
    }

    #[test]
    fn links_and_cards() {
        let open = GroupRestrictions::default();
        let link = |enabled, valid_until| Credential::Link {
            enabled,
            valid_from: None,
            valid_until,
            location: None,
        };
        assert_eq!(
            denied(&facts(vec![group_grant(open)]), &link(true, None)),
            "granted"
        );
        assert_eq!(
            denied(&facts(vec![group_grant(open)]), &link(false, None)),
            "f29aef"
        );
        assert_eq!(
            denied(&facts(vec![group_grant(open)]), &link(true, Some(now()))),
            "f29aef"
        );
        let mut no_links = facts(vec![group_grant(open)]);
        no_links.member.as_mut().unwrap().flags.link_enabled = false;
        assert_eq!(denied(&no_links, &link(true, None)), "f298df");
        let visitor = AccessFacts {
            member: None,
            ..facts(vec![group_grant(open)])
        };
        assert_eq!(
            denied(&visitor, &link(true, None)),
            "granted",
            "a visitor's link obeys only itself"
        );
        // A link is not the app: the group's app switch does not apply.
        assert_eq!(
            denied(
                &facts(vec![group_grant(GroupRestrictions {
                    login_enabled: false,
                    ..open
                })]),
                &link(true, None)
            ),
            "granted"
        );

        let card = |activated, pin_ok| Credential::Card(Some(CardFacts { activated, pin_ok }));
        assert_eq!(
            denied(&facts(vec![group_grant(open)]), &card(true, None)),
            "granted"
        );
        assert_eq!(
            denied(&facts(vec![group_grant(open)]), &Credential::Card(None)),
            "faa9ef"
        );
        assert_eq!(
            denied(&facts(vec![group_grant(open)]), &card(false, None)),
            "faa9ff"
        );
        assert_eq!(
            denied(&facts(vec![group_grant(open)]), &card(true, Some(false))),
            "afc516"
        );
        assert_eq!(
            denied(&facts(vec![group_grant(open)]), &card(true, Some(true))),
            "granted"
        );
        let mut bypass = facts(vec![group_grant(open)]);
        bypass
            .member
            .as_mut()
            .unwrap()
            .flags
            .cards_without_activation_enabled = true;
        assert_eq!(denied(&bypass, &card(false, None)), "granted");
        let mut no_cards = facts(vec![group_grant(open)]);
        no_cards.member.as_mut().unwrap().flags.card_enabled = false;
        assert_eq!(denied(&no_cards, &card(true, None)), "faa9cf");
        // Cards are at the door: geofences do not apply to them.
        assert_eq!(
            denied(
                &facts(vec![group_grant(GroupRestrictions {
                    geofence: true,
                    ..open
                })]),
                &card(true, None)
            ),
            "granted"
        );
    }

    #[test]
    fn the_furthest_grant_names_the_denial() {
        let open = GroupRestrictions::default();
        let mut expired = group_grant(open);
        expired.valid_until = Some(now() - Duration::days(1));
        let timed = group_grant(GroupRestrictions { time: true, ..open });
        assert_eq!(
            denied(&facts(vec![expired.clone(), timed.clone()]), &app()),
            "34ffaa"
        );
        assert_eq!(
            denied(&facts(vec![timed, expired.clone()]), &app()),
            "34ffaa"
        );
        assert_eq!(
            denied(&facts(vec![expired, group_grant(open)]), &app()),
            "granted",
            "one passing grant is enough"
        );
    }

    #[test]
    fn schedules_follow_local_time_across_daylight_saving() {
        let berlin = chrono_tz::Europe::Berlin;
        let office = Schedule {
            weekly: vec![WeeklyWindow {
                days: vec![Weekday::Mon, Weekday::Sun],
                start_minute: 9 * 60,
                end_minute: 17 * 60,
            }],
            single: vec![],
        };
        // Summer: 09:00 Berlin is 07:00 UTC.
        let summer_open = Utc.with_ymd_and_hms(2026, 6, 1, 7, 0, 0).unwrap();
        assert!(office.allows(summer_open, berlin));
        assert!(
            !office.allows(summer_open - Duration::minutes(1), berlin),
            "a minute before"
        );
        assert!(
            office.allows(Utc.with_ymd_and_hms(2026, 6, 1, 14, 59, 0).unwrap(), berlin),
            "a minute before the end"
        );
        assert!(
            !office.allows(Utc.with_ymd_and_hms(2026, 6, 1, 15, 0, 0).unwrap(), berlin),
            "the end is exclusive"
        );
        // Winter: 09:00 Berlin is 08:00 UTC.
        let winter = Utc.with_ymd_and_hms(2026, 12, 7, 7, 30, 0).unwrap();
        assert!(
            !office.allows(winter, berlin),
            "08:30 local is before opening"
        );
        assert!(office.allows(winter + Duration::hours(1), berlin));
        // The day clocks go forward (Sunday 2026-03-29): 09:00 local is 07:00 UTC.
        let spring = Utc.with_ymd_and_hms(2026, 3, 29, 7, 0, 0).unwrap();
        assert!(office.allows(spring, berlin));
        assert!(!office.allows(spring - Duration::minutes(1), berlin));
        // The day clocks go back (Sunday 2026-10-25): 09:00 local is 08:00 UTC.
        let autumn = Utc.with_ymd_and_hms(2026, 10, 25, 8, 0, 0).unwrap();
        assert!(office.allows(autumn, berlin));
        assert!(!office.allows(autumn - Duration::minutes(1), berlin));

        let night = Schedule {
            weekly: vec![WeeklyWindow {
                days: vec![Weekday::Fri],
                start_minute: 22 * 60,
                end_minute: 6 * 60,
            }],
            single: vec![],
        };
        let utc = chrono_tz::UTC;
        assert!(
            night.allows(Utc.with_ymd_and_hms(2026, 6, 5, 23, 0, 0).unwrap(), utc),
            "Friday night"
        );
        assert!(
            night.allows(Utc.with_ymd_and_hms(2026, 6, 6, 5, 59, 0).unwrap(), utc),
            "Saturday early"
        );
        assert!(!night.allows(Utc.with_ymd_and_hms(2026, 6, 6, 6, 0, 0).unwrap(), utc));
        assert!(
            !night.allows(Utc.with_ymd_and_hms(2026, 6, 5, 5, 0, 0).unwrap(), utc),
            "Friday early is Thursday's night"
        );

        let event = Schedule {
            weekly: vec![],
            single: vec![(now(), now() + Duration::hours(2))],
        };
        assert!(event.allows(now(), utc));
        assert!(!event.allows(now() + Duration::hours(2), utc));
    }

    #[test]
    fn distances() {
        let berlin = Location {
            latitude: 52.5200,
            longitude: 13.4050,
        };
        let paris = Location {
            latitude: 48.8566,
            longitude: 2.3522,
        };
        let d = distance_meters(berlin, paris);
        assert!((870_000.0..885_000.0).contains(&d), "{d}");
        assert!(distance_meters(berlin, berlin) < 0.001);
    }

    fn restrictions() -> impl Strategy<Value = GroupRestrictions> {
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(l, g, p, r, t)| GroupRestrictions {
                login_enabled: l,
                geofence: g,
                primary_device: p,
                managed_device: false,
                reader: r,
                time: t,
                tap_to_access: false,
            })
    }

    fn grants() -> impl Strategy<Value = Vec<GrantFacts>> {
        let grant = (
            restrictions(),
            proptest::option::of(-3i64..3),
            proptest::option::of(-3i64..3),
        )
            .prop_map(|(r, from, until)| {
                let mut grant = group_grant(r);
                grant.valid_from = from.map(|d| now() + Duration::days(d));
                grant.valid_until = until.map(|d| now() + Duration::days(d));
                grant
            });
        proptest::collection::vec(grant, 0..5)
    }

    fn credentials() -> impl Strategy<Value = Credential> {
        prop_oneof![
            (
                any::<bool>(),
                any::<bool>(),
                proptest::option::of((52.0f64..53.0, 13.0f64..14.0))
            )
                .prop_map(|(proof, primary, at)| Credential::App {
                    location: at.map(|(latitude, longitude)| Location {
                        latitude,
                        longitude
                    }),
                    proximity_proof: proof,
                    primary_device: primary,
                }),
            any::<bool>().prop_map(|enabled| Credential::Link {
                enabled,
                valid_from: None,
                valid_until: None,
                location: None
            }),
            (any::<bool>(), proptest::option::of(any::<bool>())).prop_map(|(activated, pin_ok)| {
                Credential::Card(Some(CardFacts { activated, pin_ok }))
            }),
        ]
    }

    proptest! {
        #[test]
        fn a_suspended_member_is_never_granted(grants in grants(), credential in credentials()) {
            let mut f = facts(grants);
            f.member.as_mut().unwrap().flags.access_enabled = false;
            let decision = decide(&f, &credential, now());
            prop_assert!(!decision.is_granted());
            // Unless the link itself is unusable, the reason is the suspension.
            if !matches!(credential, Credential::Link { enabled: false, .. }) {
                prop_assert_eq!(decision, Decision::Denied(Denial::AccessDisabled));
            }
        }

        #[test]
        fn lockdown_denies_everyone(grants in grants(), credential in credentials(), door in any::<bool>()) {
            let mut f = facts(grants);
            let lock = f.lock.as_mut().unwrap();
            if door { lock.locked_down = true } else { lock.place_locked_down = true }
            prop_assert!(!decide(&f, &credential, now()).is_granted());
        }

        #[test]
        fn removing_a_grant_never_turns_a_denial_into_a_grant(grants in grants(), credential in credentials(), drop in 0usize..5) {
            let f = facts(grants.clone());
            if !decide(&f, &credential, now()).is_granted() && !grants.is_empty() {
                let mut fewer = grants;
                fewer.remove(drop % fewer.len());
                prop_assert!(!decide(&facts(fewer), &credential, now()).is_granted());
            }
        }

        #[test]
        fn adding_a_grant_never_turns_a_grant_into_a_denial(grants in grants(), extra in grants(), credential in credentials()) {
            if decide(&facts(grants.clone()), &credential, now()).is_granted() {
                let mut more = grants;
                more.extend(extra);
                prop_assert!(decide(&facts(more), &credential, now()).is_granted());
            }
        }

        #[test]
        fn turning_a_member_flag_off_never_grants(grants in grants(), credential in credentials(), which in 0usize..4) {
            let f = facts(grants);
            let before = decide(&f, &credential, now()).is_granted();
            let mut off = f.clone();
            let flags = &mut off.member.as_mut().unwrap().flags;
            match which { 0 => flags.app_enabled = false, 1 => flags.link_enabled = false, 2 => flags.card_enabled = false, _ => flags.cards_without_activation_enabled = false }
            prop_assert!(before || !decide(&off, &credential, now()).is_granted());
        }
    }
}
