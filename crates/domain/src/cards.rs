//! Cards, their assignments to people, the readers that read them, and
//! quick access links.

use crate::Timestamp;

/// The card types gatehouse reads, by what identifies them at a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardType {
    /// Kisi's own cards, identified by their token.
    MifareDesfire,
    /// Any high-frequency card, by its UID.
    ThirdPartyHf,
    /// Low-frequency HID and EM formats, by facility code and card number.
    Lf(&'static str),
}

/// The LF formats read by facility code and card number (H10302 has no
/// facility code).
pub const LF_FORMATS: [&str; 7] = [
    "hid_h10301",
    "hid_h10302",
    "hid_h10304",
    "hid_corporate1000_35",
    "hid_h2004064",
    "hid_d10202",
    "em_410x_26",
];

impl CardType {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "mifare_desfire" => Some(CardType::MifareDesfire),
            "third_party_hf" => Some(CardType::ThirdPartyHf),
            other => other
                .strip_prefix("third_party_lf_")
                .and_then(|format| LF_FORMATS.iter().find(|f| **f == format))
                .map(|format| CardType::Lf(format)),
        }
    }

    pub fn as_string(self) -> String {
        match self {
            CardType::MifareDesfire => "mifare_desfire".into(),
            CardType::ThirdPartyHf => "third_party_hf".into(),
            CardType::Lf(format) => format!("third_party_lf_{format}"),
        }
    }
}

/// What a reader reads off a card.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CardIdentity {
    Token(String),
    Uid(String),
    /// Facility code (if the format has one) and card number.
    Numbers(Option<i64>, i64),
}

impl CardIdentity {
    /// The stored key: one card per identity in an organization.
    pub fn key(&self) -> String {
        match self {
            CardIdentity::Token(token) => format!("token:{}", token.to_lowercase()),
            CardIdentity::Uid(uid) => format!("uid:{}", uid.to_lowercase()),
            CardIdentity::Numbers(facility, number) => {
                format!(
                    "lf:{}:{number}",
                    facility.map(|f| f.to_string()).unwrap_or_default()
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCard {
    pub card_type: CardType,
    pub identity: CardIdentity,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub id: i64,
    pub organization_id: i64,
    pub card_type: String,
    pub token: Option<String>,
    pub uid: Option<String>,
    pub facility_code: Option<i64>,
    pub card_number: Option<i64>,
    pub last_used_at: Option<Timestamp>,
    /// The assignment, if the card is assigned.
    pub assignment: Option<CardAssignment>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CardAssignment {
    pub id: i64,
    pub organization_id: i64,
    pub card_id: i64,
    pub user_id: i64,
    pub activated: bool,
    pub has_two_factor_pin: bool,
    pub send_two_factor_pin_notification: bool,
    pub created_by_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCardAssignment {
    pub card_id: i64,
    pub user_id: i64,
    /// Argon2id of the PIN.
    pub two_factor_pin_hash: Option<String>,
    pub send_two_factor_pin_notification: bool,
    /// SHA-256 of the activation token handed to the person.
    pub activation_token_hash: Vec<u8>,
}

/// A card as a reader finds it: the card and, if assigned, whose it is.
#[derive(Debug, Clone, PartialEq)]
pub struct PresentedCard {
    pub card_id: i64,
    pub user_id: Option<i64>,
    pub activated: bool,
    pub two_factor_pin_hash: Option<String>,
    /// The holder's name and e-mail when they are a member, for the event.
    pub holder: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reader {
    pub id: i64,
    pub organization_id: i64,
    pub lock_id: i64,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupLink {
    pub id: i64,
    pub organization_id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The member the link was issued to, when its e-mail is one.
    pub user_id: Option<i64>,
    pub link_enabled: bool,
    pub quick_response_code_type: Option<String>,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub created_by_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewGroupLink {
    pub group_id: i64,
    pub name: String,
    pub email: Option<crate::Email>,
    pub phone: Option<String>,
    pub link_enabled: bool,
    pub quick_response_code_type: Option<String>,
    pub valid_from: Option<Timestamp>,
    pub valid_until: Option<Timestamp>,
    pub secret_hash: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_types_and_identities() {
        assert_eq!(
            CardType::parse("mifare_desfire"),
            Some(CardType::MifareDesfire)
        );
        assert_eq!(
            CardType::parse("third_party_lf_hid_h10301"),
            Some(CardType::Lf("hid_h10301"))
        );
        assert_eq!(CardType::parse("third_party_lf_nope"), None);
        assert_eq!(
            CardType::Lf("hid_h10301").as_string(),
            "third_party_lf_hid_h10301"
        );
        assert_eq!(CardIdentity::Uid("04A1B2".into()).key(), "uid:04a1b2");
        assert_eq!(CardIdentity::Numbers(Some(12), 345).key(), "lf:12:345");
        assert_eq!(CardIdentity::Numbers(None, 345).key(), "lf::345");
    }
}
