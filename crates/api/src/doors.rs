//! Opening a door, whatever the credential: load the facts, decide, record
//! the decision durably, answer. Shared by app unlock, quick access links,
//! card readers and the `gatehouse reader tap` command.

use gatehouse_domain::access::{decide, Credential, Decision, Denial};
use gatehouse_domain::{AccessRecord, AccessSubject, CardIdentity, GroupLink, Reader, Timestamp};
use gatehouse_store::Store;

use crate::auth::verify_password;
use crate::error::{ApiError, ApiResult};

/// Who is asking and how it is recorded.
pub struct Attempt<'a> {
    pub organization_id: i64,
    pub lock_id: i64,
    pub subject: AccessSubject,
    pub credential: Credential,
    pub actor_name: Option<&'a str>,
    pub actor_email: Option<&'a str>,
    /// `Login`, `GroupLink` or `Card`, with its id.
    pub authenticated_by: (&'static str, i64),
}

/// Decides and records; `Ok(())` means the door opens.
pub async fn open(store: &dyn Store, attempt: Attempt<'_>, now: Timestamp) -> ApiResult<()> {
    let facts = store
        .access_facts(attempt.organization_id, attempt.lock_id, attempt.subject)
        .await?;
    let decision = decide(&facts, &attempt.credential, now);
    let denial = decision.denial();
    let Some(lock) = &facts.lock else {
        // No door, nothing to record it against.
        return Err(ApiError::Door(Denial::LockNotFound));
    };
    let user_id = match attempt.subject {
        AccessSubject::User(user_id) => Some(user_id),
        AccessSubject::Link { user_id, .. } => user_id,
    };
    let record = AccessRecord {
        lock_id: attempt.lock_id,
        lock_name: lock.name.clone(),
        place_id: lock.place_id,
        user_id: user_id.filter(|_| facts.member.is_some()),
        actor_name: attempt.actor_name.map(str::to_owned),
        actor_email: attempt.actor_email.map(str::to_owned),
        authenticated_by: attempt.authenticated_by,
        success: denial.is_none(),
        error_code: denial.map(Denial::code),
        message: denial.map(Denial::message),
        group_id: match decision {
            Decision::Granted { group_id } => group_id,
            Decision::Denied(_) => None,
        },
    };
    store
        .record_access(attempt.organization_id, &record, now)
        .await?;
    denial.map_or(Ok(()), |denial| Err(ApiError::Door(denial)))
}

/// A quick access link at one of its group's doors.
pub async fn open_with_link(
    store: &dyn Store,
    link: &GroupLink,
    lock_id: i64,
    location: Option<gatehouse_domain::access::Location>,
    now: Timestamp,
) -> ApiResult<()> {
    let attempt = Attempt {
        organization_id: link.organization_id,
        lock_id,
        subject: AccessSubject::Link {
            group_id: link.group_id,
            user_id: link.user_id,
        },
        credential: Credential::Link {
            enabled: link.link_enabled,
            valid_from: link.valid_from,
            valid_until: link.valid_until,
            location,
        },
        actor_name: Some(&link.name),
        actor_email: link.email.as_deref(),
        authenticated_by: ("GroupLink", link.id),
    };
    open(store, attempt, now).await
}

/// A card read at a reader: only at the reader's own door.
pub async fn open_with_card(
    store: &dyn Store,
    reader: &Reader,
    lock_id: i64,
    identity: &CardIdentity,
    pin: Option<String>,
    now: Timestamp,
) -> ApiResult<()> {
    if lock_id != reader.lock_id {
        return Err(ApiError::Door(Denial::LockNotFound));
    }
    let card = store
        .presented_card(reader.organization_id, identity)
        .await?;
    let holder = card.as_ref().and_then(|c| c.holder.clone());
    let (subject, credential, card_id) = match card {
        None => (AccessSubject::User(0), Credential::Card(None), 0),
        Some(card) => {
            let pin_ok = match card.two_factor_pin_hash.clone() {
                Some(hash) => Some(verify_password(pin.unwrap_or_default(), Some(hash)).await),
                None => None,
            };
            let facts = gatehouse_domain::access::CardFacts {
                activated: card.activated,
                pin_ok,
            };
            // An unassigned card belongs to nobody: nobody's access applies.
            let subject = AccessSubject::User(card.user_id.unwrap_or(0));
            let credential = if card.user_id.is_some() {
                Credential::Card(Some(facts))
            } else {
                Credential::Card(None)
            };
            (subject, credential, card.card_id)
        }
    };
    let attempt = Attempt {
        organization_id: reader.organization_id,
        lock_id,
        subject,
        credential,
        actor_name: holder.as_ref().map(|(name, _)| name.as_str()),
        actor_email: holder.as_ref().map(|(_, email)| email.as_str()),
        authenticated_by: ("Card", card_id),
    };
    open(store, attempt, now).await
}
