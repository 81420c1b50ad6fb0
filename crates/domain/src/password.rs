//! The password policy. Hashing happens at the API boundary (Argon2id); the
//! domain only decides what counts as an acceptable password.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

/// Passwords attackers try first; refused whatever their length.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect()
});

/// A password that satisfies the policy: 8 to 128 characters, and not one
/// of the most common passwords (compared without regard to case).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < Self::MIN {
            Err(format!(
                "is too short (minimum is {} characters)",
                Self::MIN
            ))
        } else if length > Self::MAX {
            Err(format!("is too long (maximum is {} characters)", Self::MAX))
        } else if COMMON.contains(raw.to_lowercase().as_str()) {
            Err("is one of the most common passwords; choose another".into())
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a password, not even in debug logs.
impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bounds() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345679x").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-pass").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for common in ["password", "12345678", "Iloveyou", "QWERTYUIOP", "baseball"] {
            let error = Password::parse(common).unwrap_err();
            assert!(error.contains("common"), "{common}: {error}");
        }
        assert!(Password::parse("correct horse battery").is_ok());
    }
}
