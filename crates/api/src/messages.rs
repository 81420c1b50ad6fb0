//! The e-mails gatehouse sends, in plain text. Each function only composes;
//! `mail::Mailer` delivers.

use chrono::Duration;

use crate::mail::Mail;

/// How the recipient signs in, as the message explains it.
pub enum SignIn {
    /// Domain, e-mail and password.
    Password,
    /// A one-time code that stands in for the password (`authentication_info`).
    Code {
        token: String,
        valid_for: Duration,
        /// The dashboard's sign-in page with the code filled in.
        url: String,
    },
}

/// The organization the message is about.
pub struct Org<'a> {
    pub name: &'a str,
    pub domain: &'a str,
}

fn mail(to: &str, to_name: &str, subject: String, body: String) -> Mail {
    Mail {
        to: to.to_owned(),
        to_name: Some(to_name.to_owned()),
        subject,
        body,
    }
}

fn describe(valid_for: Duration) -> String {
    match (
        valid_for.num_days(),
        valid_for.num_hours(),
        valid_for.num_minutes(),
    ) {
        (days, _, _) if days >= 1 => format!("{days} day{}", if days == 1 { "" } else { "s" }),
        (_, hours, _) if hours >= 1 => format!("{hours} hour{}", if hours == 1 { "" } else { "s" }),
        (_, _, minutes) => format!("{minutes} minutes"),
    }
}

fn sign_in_text(org: &Org<'_>, sign_in: &SignIn) -> String {
    match sign_in {
        SignIn::Password => format!(
            "To use the app, sign in with the organization domain \"{}\", this e-mail address \
             and your password.\n",
            org.domain
        ),
        SignIn::Code {
            token,
            valid_for,
            url,
        } => format!(
            "To use the app without a password, sign in with the organization domain \"{}\", \
             this e-mail address and this one-time sign-in code (valid for {}):\n\n    {token}\n\n\
             or sign in to the dashboard here:\n\n    {url}\n",
            org.domain,
            describe(*valid_for)
        ),
    }
}

fn link_text(link: Option<&str>) -> String {
    match link {
        Some(url) => format!(
            "Your personal quick access link opens the doors without signing in. Keep it to \
             yourself:\n\n    {url}\n\n"
        ),
        None => String::new(),
    }
}

/// To a member given access to a place, group or team (an invite, or a
/// grant made with `notify`).
pub fn invitation(
    to: &str,
    to_name: &str,
    org: &Org<'_>,
    inviter: &str,
    access: &str,
    link: Option<&str>,
    sign_in: &SignIn,
) -> Mail {
    mail(
        to,
        to_name,
        format!("You have access to {access} at {}", org.name),
        format!(
        "Hello {to_name},\n\n{inviter} gave you access to {access} at {}.\n\n{}{}\n-- \ngatehouse for {}\n",
        org.name,
        link_text(link),
        sign_in_text(org, sign_in),
        org.name,
    ),
    )
}

/// To a guest: only their link, no sign-in.
pub fn guest_invitation(
    to: &str,
    to_name: &str,
    org: &Org<'_>,
    inviter: &str,
    access: &str,
    link: Option<&str>,
) -> Mail {
    let how = match link {
        Some(_) => link_text(link),
        None => {
            "Your access key has no link yet; the organization will tell you how to get in.\n\n"
                .to_owned()
        }
    };
    mail(
        to,
        to_name,
        format!("Your access to {access} at {}", org.name),
        format!(
        "Hello {to_name},\n\n{inviter} invited you to {access} at {} as a guest.\n\n{how}-- \ngatehouse for {}\n",
        org.name, org.name,
    ),
    )
}

/// To a new member created with `send_emails`.
pub fn welcome(to: &str, to_name: &str, org: &Org<'_>, sign_in: &SignIn) -> Mail {
    mail(
        to,
        to_name,
        format!("Welcome to {}", org.name),
        format!(
            "Hello {to_name},\n\nYou are now a member of {}.\n\n{}\n-- \ngatehouse for {}\n",
            org.name,
            sign_in_text(org, sign_in),
            org.name,
        ),
    )
}

/// The answer to a sign-in link request.
pub fn sign_in_link(
    to: &str,
    to_name: &str,
    org: &Org<'_>,
    sign_in: &SignIn,
    reset_url: &str,
) -> Mail {
    let extra = match sign_in {
        SignIn::Password => format!(
            "You have a password. If you forgot it, choose a new one here:\n\n    {reset_url}\n"
        ),
        SignIn::Code { .. } => "If you did not ask to sign in, ignore this e-mail.\n".to_owned(),
    };
    mail(
        to,
        to_name,
        format!("Signing in to {}", org.name),
        format!(
            "Hello {to_name},\n\n{}\n{extra}\n-- \ngatehouse for {}\n",
            sign_in_text(org, sign_in),
            org.name,
        ),
    )
}

/// A password reset link.
pub fn password_reset(
    to: &str,
    to_name: &str,
    org: &Org<'_>,
    url: &str,
    token: &str,
    valid_for: Duration,
) -> Mail {
    mail(
        to,
        to_name,
        format!("Reset your password for {}", org.name),
        format!(
        "Hello {to_name},\n\nSomeone asked to reset your password. To choose a new one, open \
         this link within {}:\n\n    {url}\n\nApps can send this reset token instead: {token}\n\n\
         If it was not you, ignore this e-mail; your password stays as it is.\n\n-- \ngatehouse for {}\n",
        describe(valid_for),
        org.name,
    ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: Org<'static> = Org {
        name: "Acme",
        domain: "acme",
    };

    #[test]
    fn invitation_carries_the_link_only_when_given() {
        let code = SignIn::Code {
            token: "tok123".into(),
            valid_for: Duration::days(7),
            url: "http://h/dashboard/sign-in?authentication_info=tok123".into(),
        };
        let with = invitation(
            "a@x.io",
            "Ann",
            &ORG,
            "Olivia",
            "the group Staff",
            Some("http://h/q/s"),
            &code,
        );
        assert!(with.body.contains("http://h/q/s"));
        assert!(with.body.contains("tok123") && with.body.contains("7 days"));
        assert_eq!(with.subject, "You have access to the group Staff at Acme");
        let without = invitation(
            "a@x.io",
            "Ann",
            &ORG,
            "Olivia",
            "the group Staff",
            None,
            &SignIn::Password,
        );
        assert!(!without.body.contains("/q/"));
        assert!(without.body.contains("your password"));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe(Duration::minutes(30)), "30 minutes");
        assert_eq!(describe(Duration::hours(2)), "2 hours");
        assert_eq!(describe(Duration::days(1)), "1 day");
    }
}
