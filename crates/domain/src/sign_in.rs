//! Sign-in rules that do not depend on storage: how long the single-use
//! tokens e-mailed to users live, and how repeated failures slow an attacker
//! down.

use chrono::Duration;

use crate::Timestamp;

/// What an e-mailed token lets its bearer do, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Stands in for domain, e-mail and password in `POST /logins`
    /// (`authentication_info`).
    SignIn,
    /// Sets a new password (`PATCH /users/password`).
    PasswordReset,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::SignIn => "sign_in",
            TokenPurpose::PasswordReset => "password_reset",
        }
    }

    /// Sign-in links a user asks for and password resets are short-lived;
    /// the sign-in link in an invitation waits a week for the invitee.
    pub fn lifetime(self, invitation: bool) -> Duration {
        match (self, invitation) {
            (TokenPurpose::SignIn, true) => Duration::days(7),
            (TokenPurpose::SignIn, false) => Duration::minutes(30),
            (TokenPurpose::PasswordReset, _) => Duration::hours(2),
        }
    }
}

/// A single-use token to store: only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUserToken {
    pub user_id: i64,
    pub organization_id: i64,
    pub purpose: TokenPurpose,
    pub token_hash: Vec<u8>,
    pub expires_at: Timestamp,
}

/// How many failed sign-ins a key (an account or an address) gets for free,
/// and how the lock grows after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first lock.
    pub free_failures: u32,
    /// A key's failures are forgotten after this long without one.
    pub window: Duration,
    /// The first lock; each further failure doubles it.
    pub first_lock: Duration,
    pub max_lock: Duration,
}

impl ThrottlePolicy {
    /// Per account (organization domain and e-mail): a person mistyping
    /// their password a few times is not locked out.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        free_failures: 5,
        window: Duration::minutes(15),
        first_lock: Duration::seconds(30),
        max_lock: Duration::minutes(15),
    };

    /// Per client address: enough for an office behind one NAT, not for
    /// guessing across many accounts.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        free_failures: 20,
        window: Duration::minutes(15),
        first_lock: Duration::seconds(30),
        max_lock: Duration::minutes(15),
    };

    /// The lock that follows the `failures`-th failure in a row, if any.
    pub fn lock_after(&self, failures: u32) -> Option<Duration> {
        let excess = failures
            .checked_sub(self.free_failures)
            .filter(|excess| *excess > 0)?;
        // 30 s, 60 s, 120 s, ... capped; the shift is bounded so it cannot overflow.
        let factor = 1i32 << (excess - 1).min(16);
        Some((self.first_lock * factor).min(self.max_lock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_after_the_free_failures_and_double_up_to_the_cap() {
        let policy = ThrottlePolicy::ACCOUNT;
        for failures in 0..=5 {
            assert_eq!(policy.lock_after(failures), None, "{failures}");
        }
        assert_eq!(policy.lock_after(6), Some(Duration::seconds(30)));
        assert_eq!(policy.lock_after(7), Some(Duration::seconds(60)));
        assert_eq!(policy.lock_after(8), Some(Duration::seconds(120)));
        assert_eq!(policy.lock_after(11), Some(Duration::seconds(900)));
        assert_eq!(policy.lock_after(u32::MAX), Some(Duration::minutes(15)));
    }

    #[test]
    fn token_lifetimes() {
        assert_eq!(TokenPurpose::SignIn.lifetime(false), Duration::minutes(30));
        assert_eq!(TokenPurpose::SignIn.lifetime(true), Duration::days(7));
        assert_eq!(
            TokenPurpose::PasswordReset.lifetime(false),
            Duration::hours(2)
        );
        assert_eq!(TokenPurpose::PasswordReset.as_str(), "password_reset");
    }
}
