//! Member and User objects: one membership, two Kisi views.

use gatehouse_domain::Member;
use serde::Serialize;
use utoipa::ToSchema;

use super::{time, time_opt};

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberUserRef {
    pub id: i64,
    #[schema(example = "User")]
    pub resource_type: &'static str,
    pub email: String,
    pub name: String,
    pub otp_required_for_login: bool,
}

/// Kisi's Member object plus the seed's permission flags and `role_id`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBody {
    pub id: i64,
    #[schema(example = "Member")]
    pub resource_type: &'static str,
    pub name: String,
    pub image: Option<String>,
    pub password_flow_enabled: bool,
    pub access_enabled: bool,
    pub scim_access_enabled: bool,
    pub link_enabled: bool,
    pub app_enabled: bool,
    pub card_enabled: bool,
    pub cards_without_activation_enabled: bool,
    pub last_accessed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// `basic`, `manager`, `administrator` or `owner`: the highest type held.
    #[schema(example = "basic")]
    pub role_id: &'static str,
    pub notes: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub organization_id: Option<i64>,
    pub user_id: i64,
    pub user: MemberUserRef,
    /// Deprecated, always null.
    pub place_id: Option<i64>,
    /// Deprecated: group role assignments held.
    pub shares_count: i64,
    /// Deprecated: whether the user has set a password.
    pub confirmed: bool,
}

fn metadata(member: &Member) -> serde_json::Value {
    serde_json::from_str(&member.metadata).unwrap_or_else(|_| serde_json::json!({}))
}

impl From<Member> for MemberBody {
    fn from(m: Member) -> Self {
        MemberBody {
            id: m.id,
            resource_type: "Member",
            image: m.image.clone(),
            password_flow_enabled: m.flags.password_flow_enabled,
            access_enabled: m.flags.access_enabled,
            scim_access_enabled: true,
            link_enabled: m.flags.link_enabled,
            app_enabled: m.flags.app_enabled,
            card_enabled: m.flags.card_enabled,
            cards_without_activation_enabled: m.flags.cards_without_activation_enabled,
            last_accessed_at: time_opt(m.last_accessed_at),
            created_at: time(m.created_at),
            updated_at: time(m.updated_at),
            role_id: m.member_type.as_str(),
            metadata: metadata(&m),
            organization_id: Some(m.organization_id),
            user_id: m.user_id,
            user: MemberUserRef {
                id: m.user_id,
                resource_type: "User",
                email: m.user_email,
                name: m.user_name,
                otp_required_for_login: false,
            },
            place_id: None,
            shares_count: m.shares_count,
            confirmed: m.confirmed,
            name: m.name,
            notes: m.notes,
        }
    }
}

/// Kisi's User object (the organization's view of a user) plus the flags
/// and `role_id`. Its `id` is the user id.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    pub id: i64,
    #[schema(example = "User")]
    pub resource_type: &'static str,
    pub name: String,
    pub email: String,
    pub created_at: String,
    pub updated_at: String,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub image: Option<String>,
    pub otp_required_for_login: bool,
    pub password_flow_enabled: bool,
    pub access_enabled: bool,
    pub link_enabled: bool,
    pub app_enabled: bool,
    pub card_enabled: bool,
    pub cards_without_activation_enabled: bool,
    pub last_accessed_at: Option<String>,
    pub scim_access_enabled: bool,
    pub notes: Option<String>,
    pub organization_id: i64,
    #[schema(example = "basic")]
    pub role_id: &'static str,
    /// Deprecated: whether the user has set a password.
    pub confirmed: bool,
    /// Deprecated: group role assignments held.
    pub groups_count: i64,
}

impl From<Member> for UserBody {
    fn from(m: Member) -> Self {
        UserBody {
            id: m.user_id,
            resource_type: "User",
            email: m.user_email.clone(),
            created_at: time(m.created_at),
            updated_at: time(m.updated_at),
            metadata: metadata(&m),
            image: m.image.clone(),
            otp_required_for_login: false,
            password_flow_enabled: m.flags.password_flow_enabled,
            access_enabled: m.flags.access_enabled,
            link_enabled: m.flags.link_enabled,
            app_enabled: m.flags.app_enabled,
            card_enabled: m.flags.card_enabled,
            cards_without_activation_enabled: m.flags.cards_without_activation_enabled,
            last_accessed_at: time_opt(m.last_accessed_at),
            scim_access_enabled: true,
            organization_id: m.organization_id,
            role_id: m.member_type.as_str(),
            confirmed: m.confirmed,
            groups_count: m.shares_count,
            name: m.name,
            notes: m.notes,
        }
    }
}
