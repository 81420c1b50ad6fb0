//! Invitations: add a person (a user, or a guest with a quick access link)
//! to a place, group or team in one step, and tell them by e-mail.

use crate::{Email, GroupLink, Role, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteTarget {
    Place(i64),
    Group(i64),
    Team(i64),
}

impl InviteTarget {
    pub fn kind(self) -> &'static str {
        match self {
            InviteTarget::Place(_) => "Place",
            InviteTarget::Group(_) => "Group",
            InviteTarget::Team(_) => "Team",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            InviteTarget::Place(id) | InviteTarget::Group(id) | InviteTarget::Team(id) => id,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Invitee {
    /// A member of the organization; created (with their user) when missing.
    User { email: Email, name: Option<String> },
    /// A visitor: a quick access link to a group's doors, not a member.
    Guest {
        name: String,
        email: Option<Email>,
        phone_number: Option<String>,
        link_enabled: bool,
        qr_code_enabled: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInvite {
    pub target: InviteTarget,
    pub invitee: Invitee,
    /// The role granted on a place or group; teams grant their own roles.
    pub role: Option<Role>,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    pub notify: bool,
    /// The hash of a quick access link to issue with a group invite: the
    /// guest's access key, or the member's personal link (issued only while
    /// the member's `link_enabled` and `access_enabled` are on).
    pub link_secret_hash: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    pub id: i64,
    pub organization_id: i64,
    pub notify: bool,
    pub target: InviteTarget,
    /// The target's name, for the e-mail.
    pub target_name: String,
    pub invitee_type: &'static str,
    /// The user id, or (guests) the id of their link.
    pub invitee_id: i64,
    pub invitee_name: String,
    pub invitee_email: Option<String>,
    pub invitee_phone: Option<String>,
    pub role_assignment_id: Option<i64>,
    pub role: Option<Role>,
    pub team_membership_id: Option<i64>,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    /// The quick access link issued with the invite, if one was.
    pub link: Option<GroupLink>,
    /// Whether the invited member signs in with a password (they have one
    /// and `password_flow_enabled` is on); else the e-mail carries a code.
    pub signs_in_with_password: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
