//! Organization-level values: the sign-in handle and the subscription.

use std::fmt;
use std::str::FromStr;

/// The organization's login handle (`user.domain` in `POST /logins`):
/// 2 to 63 lower-case letters, digits and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgDomain(String);

impl OrgDomain {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_lowercase();
        let valid = (2..=63).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if valid {
            Ok(Self(value))
        } else {
            Err("must be 2 to 63 lower-case letters, digits or inner hyphens".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which Kisi plan the organization is on; it decides which member flags
/// are switches (see DESIGN.md section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subscription {
    Organizations,
    Standard,
}

impl Subscription {
    pub fn as_str(self) -> &'static str {
        match self {
            Subscription::Organizations => "organizations",
            Subscription::Standard => "standard",
        }
    }
}

impl FromStr for Subscription {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "organizations" => Ok(Subscription::Organizations),
            "standard" => Ok(Subscription::Standard),
            _ => Err("must be one of: organizations, standard".into()),
        }
    }
}

impl fmt::Display for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks an IANA time zone name. The full database check happens where
/// schedules are evaluated; here only the shape is enforced.
pub fn check_time_zone(value: &str) -> Result<(), String> {
    let valid = !value.is_empty()
        && value.len() <= 64
        && (value == "UTC"
            || (value.contains('/')
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c))));
    if valid {
        Ok(())
    } else {
        Err("is not a valid IANA time zone name".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(OrgDomain::parse(" Acme-HQ ").unwrap().as_str(), "acme-hq");
        for bad in ["a", "-acme", "acme-", "ac me", "ac.me", &"a".repeat(64)] {
            assert!(OrgDomain::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subscriptions_round_trip() {
        for s in [Subscription::Organizations, Subscription::Standard] {
            assert_eq!(s.as_str().parse::<Subscription>().unwrap(), s);
        }
        assert!("enterprise".parse::<Subscription>().is_err());
    }

    #[test]
    fn time_zones() {
        assert!(check_time_zone("Europe/London").is_ok());
        assert!(check_time_zone("America/Argentina/Buenos_Aires").is_ok());
        assert!(check_time_zone("UTC").is_ok());
        assert!(check_time_zone("Mars").is_err());
        assert!(check_time_zone("").is_err());
    }
}
