//! Kisi wire objects: exactly the spec's keys, nullable ones as `null`.
//! Timestamps are RFC 3339 UTC with milliseconds, as Kisi sends them.

mod access;
mod doors;
mod members;

pub use access::*;
pub use doors::*;
pub use members::*;

use chrono::SecondsFormat;
use gatehouse_domain::{Login, Organization, Place, Principal, Timestamp, User};
use serde::Serialize;
use utoipa::ToSchema;

pub fn time(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn time_opt(at: Option<Timestamp>) -> Option<String> {
    at.map(time)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationRef {
    pub id: i64,
    #[schema(example = "Organization")]
    pub resource_type: &'static str,
    pub name: String,
    pub domain: String,
}

impl OrganizationRef {
    pub fn of(organization: &Organization) -> Self {
        OrganizationRef {
            id: organization.id,
            resource_type: "Organization",
            name: organization.name.clone(),
            domain: organization.domain.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserRef {
    pub id: i64,
    #[schema(example = "User")]
    pub resource_type: &'static str,
    pub email: String,
    pub name: String,
}

/// Kisi's full Organization object, plus this project's `subscription`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationBody {
    pub id: i64,
    #[schema(example = "Organization")]
    pub resource_type: &'static str,
    pub name: String,
    pub domain: String,
    pub logo: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub device_logins_expire_after: Option<i64>,
    pub places_count: i64,
    pub scim_enabled: bool,
    pub sso_flow_enabled: bool,
    pub sso_expiration_override_enabled: bool,
    pub sso_expiration_override: Option<i64>,
    pub metadata: Option<String>,
    pub time_zone: String,
    pub web_authentication_api_enabled: bool,
    pub apple_pass_enabled: bool,
    pub created_at: String,
    pub updated_at: String,
    /// The owner.
    pub user_id: Option<i64>,
    pub transfer_to_id: Option<i64>,
    /// Deprecated.
    pub image: Option<String>,
    /// Deprecated.
    pub color: Option<String>,
    /// `organizations` or `standard` (gatehouse addition).
    #[schema(example = "organizations")]
    pub subscription: &'static str,
}

impl From<&Organization> for OrganizationBody {
    fn from(o: &Organization) -> Self {
        OrganizationBody {
            id: o.id,
            resource_type: "Organization",
            name: o.name.clone(),
            domain: o.domain.clone(),
            logo: o.logo.clone(),
            address: o.address.clone(),
            description: o.description.clone(),
            device_logins_expire_after: Some(o.device_logins_expire_after),
            places_count: o.places_count,
            scim_enabled: false,
            sso_flow_enabled: false,
            sso_expiration_override_enabled: false,
            sso_expiration_override: None,
            metadata: None,
            time_zone: o.time_zone.clone(),
            web_authentication_api_enabled: false,
            apple_pass_enabled: false,
            created_at: time(o.created_at),
            updated_at: time(o.updated_at),
            user_id: o.owner_user_id,
            transfer_to_id: None,
            image: None,
            color: None,
            subscription: o.subscription.as_str(),
        }
    }
}

/// Kisi's full Place object. `favorite` appears only when asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceBody {
    pub id: i64,
    #[schema(example = "Place")]
    pub resource_type: &'static str,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub image: Option<String>,
    pub time_zone: Option<String>,
    pub tz_time_zone: Option<String>,
    pub locks_count: i64,
    pub integrations_count: i64,
    pub locked_down: bool,
    pub locked_down_since: Option<String>,
    pub occupancy_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favorite: Option<bool>,
    pub organization_id: i64,
    pub organization: OrganizationRef,
    /// Deprecated.
    pub color: Option<String>,
    /// Deprecated.
    pub logo: Option<String>,
    /// Deprecated, always null.
    pub user_id: Option<i64>,
    /// Deprecated.
    pub members_count: i64,
}

impl PlaceBody {
    pub fn new(place: Place, organization: &Organization) -> Self {
        PlaceBody {
            id: place.id,
            resource_type: "Place",
            name: place.name,
            description: place.description,
            created_at: time(place.created_at),
            updated_at: time(place.updated_at),
            latitude: place.latitude,
            longitude: place.longitude,
            address: place.address,
            image: place.image,
            tz_time_zone: place.time_zone.clone(),
            time_zone: place.time_zone,
            locks_count: place.locks_count,
            // gatehouse has no integrations.
            integrations_count: 0,
            locked_down: place.locked_down,
            locked_down_since: time_opt(place.locked_down_since),
            occupancy_rate: None,
            favorite: place.favorite,
            organization_id: place.organization_id,
            organization: OrganizationRef::of(organization),
            color: None,
            logo: None,
            user_id: None,
            members_count: place.members_count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NamedVersion {
    pub name: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceInfo {
    pub brand: Option<String>,
    pub model: Option<String>,
}

/// Kisi's Login object.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginBody {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "type")]
    #[schema(example = "device")]
    pub login_type: &'static str,
    pub name: Option<String>,
    pub primary: bool,
    pub expire: bool,
    pub last_used_at: Option<String>,
    pub device_brand: Option<String>,
    pub device_model: Option<String>,
    pub os_name: Option<String>,
    pub user_id: i64,
    pub user: UserRef,
    pub app: NamedVersion,
    pub user_agent: NamedVersion,
    pub device: DeviceInfo,
    pub os: NamedVersion,
}

impl From<Login> for LoginBody {
    fn from(login: Login) -> Self {
        LoginBody {
            id: login.id,
            created_at: time(login.created_at),
            updated_at: time(login.updated_at),
            login_type: login.login_type.as_str(),
            name: login.name,
            primary: login.primary,
            expire: login.expire,
            last_used_at: time_opt(login.last_used_at),
            device: DeviceInfo {
                brand: login.device_brand.clone(),
                model: login.device_model.clone(),
            },
            os: NamedVersion {
                name: login.os_name.clone(),
                version: None,
            },
            device_brand: login.device_brand,
            device_model: login.device_model,
            os_name: login.os_name,
            user_id: login.user_id,
            user: UserRef {
                id: login.user_id,
                resource_type: "User",
                email: login.user_email,
                name: login.user_name,
            },
            app: NamedVersion {
                name: None,
                version: None,
            },
            user_agent: NamedVersion {
                name: None,
                version: None,
            },
        }
    }
}

/// `GET /login`: the Login plus its offline credentials (gatehouse issues none).
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentLoginBody {
    #[serde(flatten)]
    pub login: LoginBody,
    pub scram_credentials: Option<ScramCredentials>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScramCredentials {
    pub phone_key: String,
    pub online_certificate: String,
}

/// `POST /logins`: the Login with its secret, shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedLoginBody {
    #[serde(flatten)]
    pub login: LoginBody,
    pub scram_credentials: Option<ScramCredentials>,
    pub secret: String,
    /// Deprecated: the same value as `secret`.
    pub authentication_token: String,
    pub has_primary_device: bool,
    pub email: String,
    pub notifications_unread_count: i64,
    pub otp_required_for_login: bool,
    pub otp_enabled_at: Option<String>,
    pub image: Option<String>,
    pub primary_login_exists: bool,
}

/// Kisi's CurrentUser object (`GET /user`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentUserBody {
    pub id: i64,
    #[schema(example = "User")]
    pub resource_type: &'static str,
    pub name: String,
    pub email: String,
    pub image: Option<String>,
    pub locale: Option<String>,
    pub notifications_unread_count: i64,
    pub otp_required_for_login: bool,
    pub otp_enabled_at: Option<String>,
    pub primary_login_exists: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Deprecated.
    pub announcements_last_seen_at: Option<String>,
    pub last_read_at: Option<serde_json::Value>,
    pub notes: Option<String>,
    pub organization_id: i64,
    pub organization: OrganizationRef,
}

impl CurrentUserBody {
    pub fn new(user: User, principal: &Principal) -> Self {
        CurrentUserBody {
            id: user.id,
            resource_type: "User",
            name: user.name,
            email: user.email,
            image: user.image,
            locale: user.locale,
            notifications_unread_count: 0,
            otp_required_for_login: false,
            otp_enabled_at: None,
            primary_login_exists: false,
            created_at: time(user.created_at),
            updated_at: time(user.updated_at),
            announcements_last_seen_at: None,
            last_read_at: None,
            notes: principal.member.notes.clone(),
            organization_id: principal.organization.id,
            organization: OrganizationRef::of(&principal.organization),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_look_like_kisi() {
        let at = chrono::Utc
            .with_ymd_and_hms(2023, 5, 24, 14, 15, 22)
            .unwrap();
        assert_eq!(time(at), "2023-05-24T14:15:22.000Z");
    }
}

/// A Place as a quick access link sees it (Kisi's reduced variant).
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkPlaceBody {
    pub id: i64,
    #[schema(example = "Place")]
    pub resource_type: &'static str,
    pub name: String,
    pub description: Option<String>,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub image: Option<String>,
    pub time_zone: Option<String>,
    /// Deprecated.
    pub color: Option<String>,
    /// Deprecated.
    pub logo: Option<String>,
}

impl From<Place> for LinkPlaceBody {
    fn from(p: Place) -> Self {
        LinkPlaceBody {
            id: p.id,
            resource_type: "Place",
            name: p.name,
            description: p.description,
            address: p.address,
            latitude: p.latitude,
            longitude: p.longitude,
            image: p.image,
            time_zone: p.time_zone,
            color: None,
            logo: None,
        }
    }
}

/// The Organization as a quick access link sees it (Kisi's reduced variant).
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkOrganizationBody {
    pub id: i64,
    #[schema(example = "Organization")]
    pub resource_type: &'static str,
    pub name: String,
    pub domain: String,
    pub logo: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub time_zone: String,
    pub transfer_to_id: Option<i64>,
    /// Deprecated.
    pub image: Option<String>,
    /// Deprecated.
    pub color: Option<String>,
}

impl From<&Organization> for LinkOrganizationBody {
    fn from(o: &Organization) -> Self {
        LinkOrganizationBody {
            id: o.id,
            resource_type: "Organization",
            name: o.name.clone(),
            domain: o.domain.clone(),
            logo: o.logo.clone(),
            address: o.address.clone(),
            description: o.description.clone(),
            time_zone: o.time_zone.clone(),
            transfer_to_id: None,
            image: None,
            color: None,
        }
    }
}
