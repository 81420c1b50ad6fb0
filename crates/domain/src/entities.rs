//! The records the store hands to the rest of the system. Plain data: no
//! persistence or transport derives (the backends and the API map them).

use chrono::{DateTime, Utc};

use crate::{Email, MemberType, OrgDomain, Subscription};

pub type Timestamp = DateTime<Utc>;

#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub domain: String,
    pub subscription: Subscription,
    pub address: Option<String>,
    pub description: Option<String>,
    pub logo: Option<String>,
    /// Seconds of inactivity after which an expiring device login lapses.
    pub device_logins_expire_after: i64,
    pub time_zone: String,
    pub owner_user_id: Option<i64>,
    pub places_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Organization {
    pub const DEFAULT_DEVICE_LOGINS_EXPIRE_AFTER: i64 = 1_209_600;
    pub const MAX_DEVICE_LOGINS_EXPIRE_AFTER: i64 = 31_536_000;
}

#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub name: String,
    pub domain: OrgDomain,
    pub subscription: Subscription,
    pub time_zone: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub logo: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub device_logins_expire_after: Option<i64>,
    pub time_zone: Option<String>,
    pub subscription: Option<Subscription>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub image: Option<String>,
    pub locale: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A change of the signed-in user's own profile (`PATCH /user`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChange {
    pub name: Option<String>,
    /// The Argon2id hash of a new password.
    pub password_hash: Option<String>,
    /// The login that made the change; a new password signs out all others.
    pub keep_login_id: i64,
    pub image: Option<Option<String>>,
    pub locale: Option<Option<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberFlags {
    pub access_enabled: bool,
    pub password_flow_enabled: bool,
    pub link_enabled: bool,
    pub app_enabled: bool,
    pub card_enabled: bool,
    pub cards_without_activation_enabled: bool,
}

impl MemberFlags {
    /// The defaults of DESIGN.md section 3 for a new member. On `standard`
    /// everyone may sign in with a password, so the flag reads true there.
    pub fn defaults(subscription: Subscription) -> Self {
        MemberFlags {
            access_enabled: true,
            password_flow_enabled: subscription == Subscription::Standard,
            link_enabled: true,
            app_enabled: true,
            card_enabled: true,
            cards_without_activation_enabled: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub organization_id: i64,
    pub user_id: i64,
    pub user_email: String,
    pub user_name: String,
    pub name: String,
    pub image: Option<String>,
    pub notes: Option<String>,
    /// A flat JSON object, stored as text.
    pub metadata: String,
    pub flags: MemberFlags,
    /// The highest type the member holds anywhere (its `role_id`).
    pub member_type: MemberType,
    /// Group role assignments held directly (Kisi's deprecated `shares_count`).
    pub shares_count: i64,
    /// Whether the user has set a password (Kisi's `confirmed`).
    pub confirmed: bool,
    pub last_accessed_at: Option<Timestamp>,
    /// The door of the last access.
    pub last_accessed_lock_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Member {
    /// The member acting in person, not through a login (signing in).
    pub fn actor(&self) -> Actor {
        Actor::User {
            user_id: self.user_id,
            login_id: None,
            name: self.name.clone(),
            email: self.user_email.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginType {
    Api,
    Device,
}

impl LoginType {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginType::Api => "api",
            LoginType::Device => "device",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "api" => Some(LoginType::Api),
            "device" => Some(LoginType::Device),
            _ => None,
        }
    }

    /// Kisi's per-user limits: 10 api logins (an 11th is refused) and 40
    /// device logins (a 41st evicts the least recently used).
    pub fn limit(self) -> i64 {
        match self {
            LoginType::Api => 10,
            LoginType::Device => 40,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    pub id: i64,
    pub user_id: i64,
    pub organization_id: i64,
    pub user_email: String,
    pub user_name: String,
    pub login_type: LoginType,
    pub name: Option<String>,
    pub primary: bool,
    pub expire: bool,
    pub device_brand: Option<String>,
    pub device_model: Option<String>,
    pub os_name: Option<String>,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Login {
    /// Whether an expiring login has been idle longer than the organization allows.
    pub fn is_expired(&self, expire_after_seconds: i64, now: Timestamp) -> bool {
        if !self.expire || self.login_type == LoginType::Api {
            return false;
        }
        let last = self.last_used_at.unwrap_or(self.created_at);
        now - last > chrono::Duration::seconds(expire_after_seconds)
    }
}

#[derive(Debug, Clone)]
pub struct NewLogin {
    pub user_id: i64,
    pub organization_id: i64,
    pub login_type: LoginType,
    pub name: Option<String>,
    pub expire: bool,
    pub device_brand: Option<String>,
    pub device_model: Option<String>,
    pub os_name: Option<String>,
    /// SHA-256 of the secret; the secret itself is never stored.
    pub secret_hash: Vec<u8>,
}

/// Who is calling: the authenticated login with its user, membership and
/// organization, loaded in one store call per request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub login: Login,
    pub member: Member,
    pub organization: Organization,
    pub authority: crate::Authority,
}

impl Principal {
    /// The caller's highest type anywhere in the organization.
    pub fn member_type(&self) -> MemberType {
        self.member.member_type
    }

    /// The caller's type where `scope` lies.
    pub fn type_in(&self, scope: crate::Scope, now: Timestamp) -> MemberType {
        self.authority.type_in(scope, now)
    }

    pub fn actor(&self) -> Actor {
        Actor::User {
            user_id: self.login.user_id,
            login_id: Some(self.login.id),
            name: self.member.name.clone(),
            email: self.login.user_email.clone(),
        }
    }
}

/// The author of a change, recorded on its audit event.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    User {
        user_id: i64,
        /// The login the change came through, when it came through one.
        login_id: Option<i64>,
        name: String,
        email: String,
    },
    /// An operator at the command line (bootstrap, purge, demo).
    Operator,
}

/// What sign-in needs to check a password: the member of the organization
/// with that domain and e-mail, and the user's password hash.
#[derive(Debug, Clone)]
pub struct SignInCandidate {
    pub organization: Organization,
    pub member: Member,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub description: Option<String>,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub image: Option<String>,
    pub time_zone: Option<String>,
    pub locked_down: bool,
    pub locked_down_since: Option<Timestamp>,
    pub locks_count: i64,
    pub members_count: i64,
    /// Whether the viewing user marked it; known only when asked for.
    pub favorite: Option<bool>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaceFields {
    pub name: Option<String>,
    pub address: Option<String>,
    pub description: Option<Option<String>>,
    pub latitude: Option<Option<f64>>,
    pub longitude: Option<Option<f64>>,
    pub image: Option<Option<String>>,
    pub time_zone: Option<Option<String>>,
}

/// A bootstrap request: the organization and its owner.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub organization: NewOrganization,
    pub owner_email: Email,
    pub owner_name: String,
    pub owner_password_hash: String,
}

#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub organization: Organization,
    pub owner: Member,
    /// The owner's e-mail already had a user profile, whose password was kept.
    pub owner_existed: bool,
}

/// One entry of the append-only audit and access log (Kisi's Event).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub uuid: String,
    /// A monotonically increasing number, Kisi's `sequence`.
    pub sequence: i64,
    pub organization_id: i64,
    /// `object.action`, e.g. `place.create` or `lock.unlock`.
    pub event_type: String,
    pub actor_type: Option<String>,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub authenticated_by_type: Option<String>,
    pub authenticated_by_id: Option<i64>,
    pub object_type: String,
    pub object_id: i64,
    pub object_name: String,
    pub place_id: Option<i64>,
    pub success: bool,
    pub error_code: Option<String>,
    pub message: Option<String>,
    /// What changed, as a JSON object of `field: [old, new]`.
    pub details: String,
    pub created_at: Timestamp,
}

/// A stored event query (`POST /event_sets`).
#[derive(Debug, Clone, PartialEq)]
pub struct EventSetRecord {
    pub id: i64,
    pub organization_id: i64,
    pub user_id: i64,
    /// The request's filters, as JSON text.
    pub filters: String,
    pub interval: (Timestamp, Timestamp),
    pub created_at: Timestamp,
}

/// An event as a store method records it inside its own transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub organization_id: i64,
    /// Kisi's class name of the object: `Place`, `GroupLock`, ...
    pub object_type: &'static str,
    /// `create`, `update`, `destroy`, `unlock`, ...
    pub action: &'static str,
    pub object_id: i64,
    pub object_name: String,
    pub place_id: Option<i64>,
    pub success: bool,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub details: serde_json::Value,
}

impl NewEvent {
    /// A successful change of an object, with what changed in `details`.
    pub fn change(
        organization_id: i64,
        object_type: &'static str,
        action: &'static str,
        object_id: i64,
        object_name: impl Into<String>,
        details: serde_json::Value,
    ) -> Self {
        NewEvent {
            organization_id,
            object_type,
            action,
            object_id,
            object_name: object_name.into(),
            place_id: None,
            success: true,
            error_code: None,
            message: None,
            details,
        }
    }

    pub fn in_place(mut self, place_id: Option<i64>) -> Self {
        self.place_id = place_id;
        self
    }

    /// Kisi's `object.action` event type: `GroupLock` + `create` gives
    /// `group_lock.create`.
    pub fn event_type(&self) -> String {
        let mut kind = String::with_capacity(self.object_type.len() + self.action.len() + 4);
        for (i, c) in self.object_type.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    kind.push('_');
                }
                kind.push(c.to_ascii_lowercase());
            } else {
                kind.push(c);
            }
        }
        kind.push('.');
        kind.push_str(self.action);
        kind
    }
}

/// Records `field: [old, new]` in an event's details when a value changed.
pub fn diff<T: serde::Serialize + PartialEq>(
    details: &mut serde_json::Map<String, serde_json::Value>,
    field: &str,
    old: &T,
    new: &T,
) {
    if old != new {
        details.insert(field.to_owned(), serde_json::json!([old, new]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn login(expire: bool, kind: LoginType, last_used: Option<Timestamp>) -> Login {
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Login {
            id: 1,
            user_id: 1,
            organization_id: 1,
            user_email: "a@b.io".into(),
            user_name: "A".into(),
            login_type: kind,
            name: None,
            primary: false,
            expire,
            device_brand: None,
            device_model: None,
            os_name: None,
            last_used_at: last_used,
            created_at: created,
            updated_at: created,
        }
    }

    #[test]
    fn device_logins_expire_after_inactivity() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let day = chrono::Duration::days(1);
        let fresh = login(true, LoginType::Device, None);
        assert!(!fresh.is_expired(2 * 86_400, start + day));
        assert!(fresh.is_expired(2 * 86_400, start + day * 3));
        let used = login(true, LoginType::Device, Some(start + day * 2));
        assert!(!used.is_expired(2 * 86_400, start + day * 3));
        assert!(!login(false, LoginType::Device, None).is_expired(1, start + day * 30));
        assert!(!login(true, LoginType::Api, None).is_expired(1, start + day * 30));
    }

    #[test]
    fn event_types_are_snake_case() {
        let event = NewEvent::change(1, "GroupLock", "create", 2, "x", serde_json::json!({}));
        assert_eq!(event.event_type(), "group_lock.create");
        let event = NewEvent::change(1, "Place", "update", 2, "x", serde_json::json!({}));
        assert_eq!(event.event_type(), "place.update");
    }

    #[test]
    fn diff_records_only_changes() {
        let mut details = serde_json::Map::new();
        diff(&mut details, "name", &"a", &"b");
        diff(&mut details, "same", &1, &1);
        assert_eq!(
            serde_json::Value::Object(details),
            serde_json::json!({"name": ["a", "b"]})
        );
    }

    #[test]
    fn flag_defaults_depend_on_subscription() {
        assert!(!MemberFlags::defaults(Subscription::Organizations).password_flow_enabled);
        assert!(MemberFlags::defaults(Subscription::Standard).password_flow_enabled);
        assert!(MemberFlags::defaults(Subscription::Standard).access_enabled);
        assert!(!MemberFlags::defaults(Subscription::Standard).cards_without_activation_enabled);
    }
}
