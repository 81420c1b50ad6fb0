//! Members: commands and the rules of their permission flags and metadata.

use serde_json::Value;

use crate::{Email, FieldErrors, MemberFlags, Subscription};

/// Changes to a member's flags; `None` leaves a flag as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagsPatch {
    pub access_enabled: Option<bool>,
    pub password_flow_enabled: Option<bool>,
    pub link_enabled: Option<bool>,
    pub app_enabled: Option<bool>,
    pub card_enabled: Option<bool>,
    pub cards_without_activation_enabled: Option<bool>,
}

impl FlagsPatch {
    /// Applies the patch under the subscription's rules (DESIGN.md section
    /// 3): `password_flow_enabled` is a switch only on `organizations`,
    /// `cards_without_activation_enabled` only on `standard`; sending either
    /// elsewhere is an error naming the field.
    pub fn apply(
        self,
        subscription: Subscription,
        current: MemberFlags,
        errors: &mut FieldErrors,
    ) -> MemberFlags {
        if subscription == Subscription::Standard && self.password_flow_enabled.is_some() {
            errors.add(
                "password_flow_enabled",
                "is only available on the organizations subscription (on standard everyone may sign in with a password)",
            );
        }
        if subscription == Subscription::Organizations
            && self.cards_without_activation_enabled.is_some()
        {
            errors.add(
                "cards_without_activation_enabled",
                "is only available on the standard subscription (on organizations cards must be activated)",
            );
        }
        let fixed = MemberFlags::defaults(subscription);
        MemberFlags {
            access_enabled: self.access_enabled.unwrap_or(current.access_enabled),
            password_flow_enabled: match subscription {
                Subscription::Standard => fixed.password_flow_enabled,
                Subscription::Organizations => self
                    .password_flow_enabled
                    .unwrap_or(current.password_flow_enabled),
            },
            link_enabled: self.link_enabled.unwrap_or(current.link_enabled),
            app_enabled: self.app_enabled.unwrap_or(current.app_enabled),
            card_enabled: self.card_enabled.unwrap_or(current.card_enabled),
            cards_without_activation_enabled: match subscription {
                Subscription::Organizations => fixed.cards_without_activation_enabled,
                Subscription::Standard => self
                    .cards_without_activation_enabled
                    .unwrap_or(current.cards_without_activation_enabled),
            },
        }
    }
}

/// Kisi's metadata rules: a flat object of at most 50 keys, keys up to 50
/// characters, values up to 500 characters, no nesting. Returns the JSON text
/// to store.
pub fn check_metadata(value: &Value) -> Result<String, String> {
    let Value::Object(map) = value else {
        return Err("must be an object".into());
    };
    if map.len() > 50 {
        return Err("has more than 50 keys".into());
    }
    for (key, value) in map {
        if key.chars().count() > 50 {
            return Err(format!("key {key:?} is longer than 50 characters"));
        }
        match value {
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "value of {key:?} is nested; only flat values are allowed"
                ))
            }
            Value::String(text) if text.chars().count() > 500 => {
                return Err(format!("value of {key:?} is longer than 500 characters"))
            }
            _ => {}
        }
    }
    Ok(value.to_string())
}

/// A validated request to add a member (by e-mail).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    pub email: Email,
    pub name: Option<String>,
    pub image: Option<String>,
    pub notes: Option<String>,
    pub metadata: String,
    pub flags: MemberFlags,
}

/// A validated change of a member; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberPatch {
    pub name: Option<String>,
    pub image: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub metadata: Option<String>,
    pub flags: FlagsPatch,
}

/// The lower-cased text `query` searches on members: name, e-mail, notes.
pub fn member_search_text(name: &str, email: &str, notes: Option<&str>) -> String {
    format!("{} {} {}", name, email, notes.unwrap_or_default()).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subscription_decides_which_flags_are_switches() {
        let mut errors = FieldErrors::new();
        let standard = MemberFlags::defaults(Subscription::Standard);
        let patch = FlagsPatch {
            cards_without_activation_enabled: Some(true),
            access_enabled: Some(false),
            ..Default::default()
        };
        let flags = patch.apply(Subscription::Standard, standard, &mut errors);
        assert!(errors.is_empty());
        assert!(
            flags.cards_without_activation_enabled
                && !flags.access_enabled
                && flags.password_flow_enabled
        );

        let refused = FlagsPatch {
            password_flow_enabled: Some(false),
            ..Default::default()
        };
        refused.apply(Subscription::Standard, standard, &mut errors);
        assert_eq!(
            errors.fields().keys().collect::<Vec<_>>(),
            ["password_flow_enabled"]
        );

        let mut errors = FieldErrors::new();
        let organizations = MemberFlags::defaults(Subscription::Organizations);
        let flags = FlagsPatch {
            password_flow_enabled: Some(true),
            ..Default::default()
        }
        .apply(Subscription::Organizations, organizations, &mut errors);
        assert!(errors.is_empty() && flags.password_flow_enabled);
        FlagsPatch {
            cards_without_activation_enabled: Some(false),
            ..Default::default()
        }
        .apply(Subscription::Organizations, organizations, &mut errors);
        assert_eq!(
            errors.fields().keys().collect::<Vec<_>>(),
            ["cards_without_activation_enabled"]
        );
    }

    #[test]
    fn metadata_limits() {
        let stored =
            check_metadata(&json!({"badge": "A-7", "floor": 3, "vip": true, "x": null})).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&stored).unwrap()["floor"], 3);
        assert!(check_metadata(&json!([1])).is_err());
        assert!(check_metadata(&json!({"a": {"b": 1}})).is_err());
        assert!(check_metadata(&json!({"a": [1]})).is_err());
        assert!(check_metadata(&json!({"k".repeat(51): 1})).is_err());
        assert!(check_metadata(&json!({"k": "v".repeat(501)})).is_err());
        assert!(check_metadata(&json!({"k": "v".repeat(500)})).is_ok());
        let many: serde_json::Map<String, Value> =
            (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(check_metadata(&Value::Object(many)).is_err());
    }
}
