//! The backend conformance suite: one story per store capability, run
//! unchanged against every backend (`conformance_tests!`), so SQLite and
//! PostgreSQL cannot drift apart.

use chrono::{DateTime, Duration, TimeZone, Utc};

use gatehouse_domain::{
    Actor, Assignee, Bootstrap, Email, FlagsPatch, GroupFields, LoginType, MemberFlags,
    MemberPatch, MemberType, NewLogin, NewMember, NewOrganization, NewRoleAssignment, OrgDomain,
    OrganizationPatch, PlaceFields, Principal, Role, RoleAssignmentPatch, Scope, Subscription,
    UserChange,
};
use gatehouse_domain::{
    ImportRow, InviteTarget, Invitee, NewEvent, NewInvite, NewUserToken, ThrottlePolicy,
    TokenPurpose,
};

use crate::{
    EventQuery, GroupQuery, MemberQuery, MemberSort, Page, PlaceQuery, PlaceSort,
    RoleAssignmentQuery, Store, StoreError, TeamMembershipQuery, TeamQuery, Visibility,
};

/// A fixed start of time, truncated to microseconds (what both backends keep).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// Generates one `#[tokio::test]` per story for a backend. `$open` is an
/// async expression giving a fresh `Arc<dyn Store>`-like handle, or `None`
/// when the backend is unavailable and not required.
#[macro_export]
macro_rules! conformance_tests {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            bootstrap_creates_organization_owner_and_events,
            bootstrap_refuses_taken_domain,
            sign_in_candidate_matches_email_in_any_case,
            api_login_limit_is_enforced,
            device_login_limit_evicts_least_recently_used,
            authenticate_resolves_principal_and_expires,
            logins_are_listed_and_deleted_per_user,
            password_change_signs_out_other_logins,
            organization_update_records_changes,
            places_crud_and_isolation,
            place_list_filters_sorts_and_pages,
            place_favorites,
            events_filter_and_page,
            member_lifecycle_keeps_the_user_profile,
            member_flags_filters_and_sorting,
            groups_crud_and_cascades,
            role_assignments_grant_authority,
            role_assignment_by_email_creates_the_member,
            teams_pass_roles_to_their_members,
            purge_removes_the_user_everywhere,
            locks_group_locks_and_lockdown,
            access_facts_and_records,
            schedules_reach_the_decision,
            cards_from_enrolment_to_the_reader,
            quick_access_links,
            member_exports_survive_a_restart_as_failed,
            sign_in_tokens_are_single_use_and_expire,
            password_reset_signs_out_and_lapses_other_tokens,
            sign_in_failures_lock_and_clear,
            invites_add_the_person_and_their_access,
            seed_builds_the_planned_organization,
            concurrent_writers_all_succeed,
            member_search_by_substring,
            member_search_past_common_trigrams,
            decisions_at_once_all_land,
            a_decision_that_cannot_be_written_fails_alone,
            a_request_reads_once_and_sees_its_own_writes,
            events_of_one_object_before_and_after_indexing,
        );
    };
    (@each $open:expr; $($story:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $story() {
                if let Some(store) = $open.await {
                    $crate::testkit::$story(&*store).await;
                }
            }
        )*
    };
}

fn operator() -> Actor {
    Actor::Operator
}

pub async fn organization(
    store: &dyn Store,
    domain: &str,
    subscription: Subscription,
) -> Principal {
    let boot = store
        .bootstrap(
            &Bootstrap {
                organization: NewOrganization {
                    name: format!("{domain} Inc."),
                    domain: OrgDomain::parse(domain).unwrap(),
                    subscription,
                    time_zone: "Europe/Berlin".into(),
                },
                owner_email: Email::parse(&format!("Owner@{domain}.example")).unwrap(),
                owner_name: "Olivia Owner".into(),
                owner_password_hash: "$argon2id$fake".into(),
            },
            t0(),
        )
        .await
        .expect("bootstrap");
    let secret = format!("secret-of-{domain}").into_bytes();
    store
        .create_login(
            &operator(),
            &new_login(
                boot.owner.user_id,
                boot.organization.id,
                LoginType::Api,
                &secret,
            ),
            t0(),
        )
        .await
        .expect("login");
    let principal = store
        .authenticate(&secret, t0())
        .await
        .unwrap()
        .expect("principal");
    (*principal).clone()
}

/// Renames the owner's organization at `at`: a change that records an
/// event, for tests that need one.
pub async fn rename_organization(
    store: &dyn Store,
    owner: &Principal,
    name: &str,
    at: DateTime<Utc>,
) {
    let patch = OrganizationPatch {
        name: Some(name.into()),
        ..Default::default()
    };
    store
        .update_organization(&owner.actor(), owner.organization.id, &patch, at)
        .await
        .expect("rename the organization");
}

fn new_login(user_id: i64, organization_id: i64, login_type: LoginType, secret: &[u8]) -> NewLogin {
    NewLogin {
        user_id,
        organization_id,
        login_type,
        name: Some("test".into()),
        expire: true,
        device_brand: None,
        device_model: None,
        os_name: None,
        secret_hash: secret.to_vec(),
    }
}

fn place_fields(name: &str) -> PlaceFields {
    PlaceFields {
        name: Some(name.into()),
        address: Some(format!("{name} Street 1")),
        ..PlaceFields::default()
    }
}

pub async fn bootstrap_creates_organization_owner_and_events(store: &dyn Store) {
    assert_eq!(store.organizations_count().await.unwrap(), 0);
    let owner = organization(store, "acme", Subscription::Organizations).await;
    assert_eq!(store.organizations_count().await.unwrap(), 1);
    let org = store.organization(owner.organization.id).await.unwrap();
    assert_eq!(org.domain, "acme");
    assert_eq!(org.subscription, Subscription::Organizations);
    assert_eq!(org.owner_user_id, Some(owner.member.user_id));
    assert_eq!(org.device_logins_expire_after, 1_209_600);
    assert_eq!(org.created_at, t0());
    assert_eq!(owner.member.user_email, "owner@acme.example");
    assert_eq!(
        owner.member.member_type,
        gatehouse_domain::MemberType::Owner
    );
    assert!(
        owner.member.flags.password_flow_enabled,
        "the bootstrap owner signs in with a password"
    );
    assert!(owner.member.flags.access_enabled);
    let events = store
        .list_events(
            org.id,
            &EventQuery {
                page: Page::new(50, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let types: Vec<&str> = events.items.iter().map(|e| e.event_type.as_str()).collect();
    assert!(types.contains(&"organization.create"), "{types:?}");
    assert!(types.contains(&"member.create"), "{types:?}");
    assert!(types.contains(&"login.create"), "{types:?}");
    assert!(matches!(
        store.organization(org.id + 1000).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn bootstrap_refuses_taken_domain(store: &dyn Store) {
    let first = organization(store, "taken", Subscription::Standard).await;
    let again = store
        .bootstrap(
            &Bootstrap {
                organization: NewOrganization {
                    name: "Other".into(),
                    domain: OrgDomain::parse("taken").unwrap(),
                    subscription: Subscription::Standard,
                    time_zone: "UTC".into(),
                },
                owner_email: Email::parse("someone@else.example").unwrap(),
                owner_name: "Someone".into(),
                owner_password_hash: "x".into(),
            },
            t0(),
        )
        .await;
    assert!(
        matches!(
            again,
            Err(StoreError::Conflict {
                field: "domain",
                ..
            })
        ),
        "{again:?}"
    );
    assert_eq!(
        store.organizations_count().await.unwrap(),
        1,
        "nothing was written"
    );
    // The same owner may own a second organization; the profile is reused.
    let second = store
        .bootstrap(
            &Bootstrap {
                organization: NewOrganization {
                    name: "Second".into(),
                    domain: OrgDomain::parse("second").unwrap(),
                    subscription: Subscription::Standard,
                    time_zone: "UTC".into(),
                },
                owner_email: Email::parse("OWNER@taken.example").unwrap(),
                owner_name: "Ignored".into(),
                owner_password_hash: "new".into(),
            },
            t0(),
        )
        .await
        .unwrap();
    assert!(second.owner_existed);
    assert_eq!(second.owner.user_id, first.member.user_id);
    assert_eq!(
        store
            .password_hash(first.member.user_id)
            .await
            .unwrap()
            .as_deref(),
        Some("$argon2id$fake")
    );
}

pub async fn sign_in_candidate_matches_email_in_any_case(store: &dyn Store) {
    let owner = organization(store, "casey", Subscription::Organizations).await;
    let email = Email::parse("OWNER@Casey.Example").unwrap();
    let found = store
        .sign_in_candidate("CASEY", &email)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found.member.id, owner.member.id);
    assert_eq!(found.password_hash.as_deref(), Some("$argon2id$fake"));
    assert!(store
        .sign_in_candidate("nobody", &email)
        .await
        .unwrap()
        .is_none());
    let stranger = Email::parse("stranger@casey.example").unwrap();
    assert!(store
        .sign_in_candidate("casey", &stranger)
        .await
        .unwrap()
        .is_none());
    let member = store
        .member_by_email(owner.organization.id, &email)
        .await
        .unwrap()
        .expect("member");
    assert_eq!(member.id, owner.member.id);
}

pub async fn api_login_limit_is_enforced(store: &dyn Store) {
    let owner = organization(store, "limits", Subscription::Standard).await;
    let (user, org) = (owner.member.user_id, owner.organization.id);
    // `organization()` created the first api login.
    for i in 1..10 {
        store
            .create_login(
                &owner.actor(),
                &new_login(user, org, LoginType::Api, format!("api-{i}").as_bytes()),
                t0(),
            )
            .await
            .unwrap();
    }
    let eleventh = store
        .create_login(
            &owner.actor(),
            &new_login(user, org, LoginType::Api, b"api-11"),
            t0(),
        )
        .await;
    assert!(
        matches!(eleventh, Err(StoreError::Conflict { field: "type", .. })),
        "{eleventh:?}"
    );
    assert!(
        store.authenticate(b"api-11", t0()).await.unwrap().is_none(),
        "nothing was written"
    );
    assert_eq!(
        store
            .list_logins(org, user, None, Page::new(50, 0))
            .await
            .unwrap()
            .total,
        10
    );
}

pub async fn device_login_limit_evicts_least_recently_used(store: &dyn Store) {
    let owner = organization(store, "devices", Subscription::Standard).await;
    let (user, org) = (owner.member.user_id, owner.organization.id);
    for i in 0..40 {
        let at = t0() + Duration::minutes(i);
        store
            .create_login(
                &owner.actor(),
                &new_login(user, org, LoginType::Device, format!("dev-{i}").as_bytes()),
                at,
            )
            .await
            .unwrap();
    }
    // Using the oldest device makes the second-oldest the least recently used.
    assert!(store
        .authenticate(b"dev-0", t0() + Duration::hours(2))
        .await
        .unwrap()
        .is_some());
    store
        .create_login(
            &owner.actor(),
            &new_login(user, org, LoginType::Device, b"dev-40"),
            t0() + Duration::hours(3),
        )
        .await
        .unwrap();
    let later = t0() + Duration::hours(4);
    assert!(
        store.authenticate(b"dev-0", later).await.unwrap().is_some(),
        "recently used survives"
    );
    assert!(
        store.authenticate(b"dev-1", later).await.unwrap().is_none(),
        "least recently used evicted"
    );
    assert!(store
        .authenticate(b"dev-40", later)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .list_logins(org, user, None, Page::new(100, 0))
            .await
            .unwrap()
            .total,
        41,
        "40 devices + 1 api"
    );
}

pub async fn authenticate_resolves_principal_and_expires(store: &dyn Store) {
    let owner = organization(store, "authn", Subscription::Standard).await;
    assert_eq!(owner.organization.domain, "authn");
    assert_eq!(owner.login.login_type, LoginType::Api);
    assert_eq!(owner.login.last_used_at, Some(t0()), "the use was recorded");
    assert!(store
        .authenticate(b"unknown", t0())
        .await
        .unwrap()
        .is_none());

    let (user, org) = (owner.member.user_id, owner.organization.id);
    let mut device = new_login(user, org, LoginType::Device, b"phone");
    store
        .create_login(&owner.actor(), &device, t0())
        .await
        .unwrap();
    device.expire = false;
    device.secret_hash = b"kiosk".to_vec();
    store
        .create_login(&owner.actor(), &device, t0())
        .await
        .unwrap();
    let two_weeks = Duration::seconds(1_209_600);
    assert!(store
        .authenticate(b"phone", t0() + two_weeks)
        .await
        .unwrap()
        .is_some());
    // Used at two weeks; expires two weeks after that use, not before.
    assert!(store
        .authenticate(b"phone", t0() + two_weeks * 2 - Duration::minutes(1))
        .await
        .unwrap()
        .is_some());
    assert!(store
        .authenticate(b"phone", t0() + two_weeks * 3)
        .await
        .unwrap()
        .is_none());
    assert!(
        store
            .authenticate(b"kiosk", t0() + two_weeks * 3)
            .await
            .unwrap()
            .is_some(),
        "expire: false never lapses"
    );
    assert!(
        store
            .authenticate(b"secret-of-authn", t0() + two_weeks * 3)
            .await
            .unwrap()
            .is_some(),
        "api logins do not lapse"
    );
}

pub async fn logins_are_listed_and_deleted_per_user(store: &dyn Store) {
    let a = organization(store, "alpha", Subscription::Standard).await;
    let b = organization(store, "beta", Subscription::Standard).await;
    let (user, org) = (a.member.user_id, a.organization.id);
    for i in 0..3 {
        store
            .create_login(
                &a.actor(),
                &new_login(user, org, LoginType::Device, format!("a-{i}").as_bytes()),
                t0(),
            )
            .await
            .unwrap();
    }
    let all = store
        .list_logins(org, user, None, Page::new(2, 1))
        .await
        .unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(all.items.len(), 2);
    assert!(all.items[0].id < all.items[1].id, "stable order");
    let last = store
        .list_logins(org, user, None, Page::new(3, 2))
        .await
        .unwrap();
    assert_eq!(
        (last.items.len(), last.total),
        (2, 4),
        "the last page, not full"
    );
    let picked = store
        .list_logins(org, user, Some(&[a.login.id]), Page::new(10, 0))
        .await
        .unwrap();
    assert_eq!(
        picked.items.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![a.login.id]
    );
    assert_eq!(
        store
            .list_logins(org, user, Some(&[]), Page::new(10, 0))
            .await
            .unwrap()
            .total,
        0
    );
    // Another organization's login is invisible: not found, not deleted.
    let theirs = store
        .delete_login(&a.actor(), org, user, b.login.id, t0())
        .await;
    assert!(matches!(theirs, Err(StoreError::NotFound)));
    assert!(store
        .authenticate(b"secret-of-beta", t0())
        .await
        .unwrap()
        .is_some());
    assert!(matches!(
        store.login(org, user, b.login.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.login(org, user, a.login.id).await.unwrap().id,
        a.login.id
    );
    store
        .delete_login(&a.actor(), org, user, a.login.id, t0())
        .await
        .unwrap();
    assert!(store
        .authenticate(b"secret-of-alpha", t0())
        .await
        .unwrap()
        .is_none());
    let events = store
        .list_events(
            org,
            &EventQuery {
                event_type: Some("login.destroy".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.total, 1);
    assert_eq!(events.items[0].object_id, a.login.id);
}

pub async fn password_change_signs_out_other_logins(store: &dyn Store) {
    let owner = organization(store, "pw", Subscription::Standard).await;
    let (user, org) = (owner.member.user_id, owner.organization.id);
    store
        .create_login(
            &owner.actor(),
            &new_login(user, org, LoginType::Device, b"other"),
            t0(),
        )
        .await
        .unwrap();
    let rename = UserChange {
        name: Some("Renamed".into()),
        locale: Some(Some("de".into())),
        image: Some(Some("https://img.example/a.png".into())),
        keep_login_id: owner.login.id,
        ..Default::default()
    };
    store
        .update_current_user(&owner.actor(), org, user, &rename, t0())
        .await
        .unwrap();
    let renamed = store.user(user).await.unwrap();
    assert_eq!(renamed.name, "Renamed");
    assert_eq!(renamed.locale.as_deref(), Some("de"));
    assert_eq!(renamed.image.as_deref(), Some("https://img.example/a.png"));
    let clear = UserChange {
        locale: Some(None),
        keep_login_id: owner.login.id,
        ..Default::default()
    };
    store
        .update_current_user(&owner.actor(), org, user, &clear, t0())
        .await
        .unwrap();
    assert_eq!(store.user(user).await.unwrap().locale, None);
    assert_eq!(
        store.user(user).await.unwrap().image.as_deref(),
        Some("https://img.example/a.png")
    );
    assert!(
        store.authenticate(b"other", t0()).await.unwrap().is_some(),
        "a rename signs out nobody"
    );
    let change = UserChange {
        password_hash: Some("$argon2id$new".into()),
        keep_login_id: owner.login.id,
        ..Default::default()
    };
    store
        .update_current_user(&owner.actor(), org, user, &change, t0())
        .await
        .unwrap();
    assert_eq!(
        store.password_hash(user).await.unwrap().as_deref(),
        Some("$argon2id$new")
    );
    assert!(store.authenticate(b"other", t0()).await.unwrap().is_none());
    assert!(
        store
            .authenticate(b"secret-of-pw", t0())
            .await
            .unwrap()
            .is_some(),
        "the current login stays"
    );
    let events = store
        .list_events(
            org,
            &EventQuery {
                object_type: Some("User".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let types: Vec<&str> = events.items.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        vec!["user.update_password", "user.update", "user.update"]
    );
    assert!(
        !events.items[0].details.contains("argon2"),
        "no hash in the audit log"
    );
}

pub async fn organization_update_records_changes(store: &dyn Store) {
    let owner = organization(store, "settings", Subscription::Organizations).await;
    let org = owner.organization.id;
    let patch = OrganizationPatch {
        name: Some("Renamed Inc.".into()),
        description: Some(Some("HQ".into())),
        device_logins_expire_after: Some(3600),
        subscription: Some(Subscription::Standard),
        ..Default::default()
    };
    store
        .update_organization(&owner.actor(), org, &patch, t0() + Duration::hours(1))
        .await
        .unwrap();
    let updated = store.organization(org).await.unwrap();
    assert_eq!(updated.name, "Renamed Inc.");
    assert_eq!(updated.description.as_deref(), Some("HQ"));
    assert_eq!(updated.device_logins_expire_after, 3600);
    assert_eq!(updated.subscription, Subscription::Standard);
    assert_eq!(updated.updated_at, t0() + Duration::hours(1));
    let clear = OrganizationPatch {
        description: Some(None),
        ..Default::default()
    };
    store
        .update_organization(&owner.actor(), org, &clear, t0())
        .await
        .unwrap();
    assert_eq!(store.organization(org).await.unwrap().description, None);
    let events = store
        .list_events(
            org,
            &EventQuery {
                event_type: Some("organization.update".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.total, 2);
    let details: serde_json::Value = serde_json::from_str(&events.items[1].details).unwrap();
    assert_eq!(
        details["name"],
        serde_json::json!(["settings Inc.", "Renamed Inc."])
    );
    assert_eq!(
        details["subscription"],
        serde_json::json!(["organizations", "standard"])
    );
    assert_eq!(events.items[1].actor_id, Some(owner.member.user_id));
    assert_eq!(events.items[1].authenticated_by_id, Some(owner.login.id));
    // An empty patch changes nothing and records nothing.
    store
        .update_organization(&owner.actor(), org, &OrganizationPatch::default(), t0())
        .await
        .unwrap();
    assert_eq!(
        store
            .list_events(
                org,
                &EventQuery {
                    event_type: Some("organization.update".into()),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        2
    );
}

pub async fn places_crud_and_isolation(store: &dyn Store) {
    let a = organization(store, "placeco", Subscription::Standard).await;
    let b = organization(store, "otherco", Subscription::Standard).await;
    let org = a.organization.id;
    let mut fields = place_fields("Berlin");
    fields.latitude = Some(Some(52.52));
    fields.time_zone = Some(Some("Europe/Berlin".into()));
    let place = store
        .create_place(&a.actor(), org, &fields, t0())
        .await
        .unwrap();
    assert_eq!(place.name, "Berlin");
    assert_eq!(place.address, "Berlin Street 1");
    assert_eq!(place.latitude, Some(52.52));
    assert_eq!(place.longitude, None);
    assert_eq!(place.favorite, None);
    assert!(!place.locked_down);
    assert_eq!(store.organization(org).await.unwrap().places_count, 1);

    let patch = PlaceFields {
        name: Some("Berlin HQ".into()),
        latitude: Some(None),
        ..Default::default()
    };
    store
        .update_place(
            &a.actor(),
            org,
            place.id,
            &patch,
            t0() + Duration::minutes(5),
        )
        .await
        .unwrap();
    let updated = store.place(org, place.id, None).await.unwrap();
    assert_eq!(updated.name, "Berlin HQ");
    assert_eq!(updated.latitude, None);
    assert_eq!(updated.time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(updated.updated_at, t0() + Duration::minutes(5));

    // Another organization sees nothing and changes nothing.
    let other = b.organization.id;
    assert!(matches!(
        store.place(other, place.id, None).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_place(&b.actor(), other, place.id, &patch, t0())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_place(&b.actor(), other, place.id, t0()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_place_favorite(other, place.id, b.member.user_id, true, t0())
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_places(
                other,
                &PlaceQuery {
                    page: Page::new(10, 0),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        0
    );

    store
        .delete_place(&a.actor(), org, place.id, t0())
        .await
        .unwrap();
    assert!(matches!(
        store.place(org, place.id, None).await,
        Err(StoreError::NotFound)
    ));
    let events = store
        .list_events(
            org,
            &EventQuery {
                object_type: Some("Place".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let types: Vec<&str> = events.items.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, vec!["place.destroy", "place.update", "place.create"]);
    assert!(events
        .items
        .iter()
        .all(|e| e.place_id == Some(place.id) && e.success));
}

pub async fn place_list_filters_sorts_and_pages(store: &dyn Store) {
    let a = organization(store, "lister", Subscription::Standard).await;
    let org = a.organization.id;
    let mut ids = Vec::new();
    for name in ["Zürich", "amsterdam", "Berlin", "100%_Office", "Boston"] {
        ids.push(
            store
                .create_place(&a.actor(), org, &place_fields(name), t0())
                .await
                .unwrap()
                .id,
        );
    }
    let list = |query: PlaceQuery| async move { store.list_places(org, &query).await.unwrap() };
    let names = |page: &crate::Paged<gatehouse_domain::Place>| {
        page.items
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };

    let all = list(PlaceQuery {
        page: Page::new(50, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(all.total, 5);
    assert_eq!(
        all.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        ids,
        "default: creation order"
    );

    let by_name = list(PlaceQuery {
        sort: PlaceSort::Name,
        page: Page::new(50, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(
        names(&by_name),
        ["100%_Office", "amsterdam", "Berlin", "Boston", "Zürich"]
    );
    let desc = list(PlaceQuery {
        sort: PlaceSort::NameDesc,
        page: Page::new(2, 1),
        ..Default::default()
    })
    .await;
    assert_eq!(desc.total, 5);
    assert_eq!(names(&desc), ["Boston", "Berlin"]);

    let search = list(PlaceQuery {
        query: Some("BO".into()),
        page: Page::new(50, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&search), ["Boston"]);
    let accents = list(PlaceQuery {
        query: Some("zür".into()),
        page: Page::new(50, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&accents), ["Zürich"]);
    let wildcard = list(PlaceQuery {
        query: Some("%_".into()),
        page: Page::new(50, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(
        names(&wildcard),
        ["100%_Office"],
        "LIKE wildcards in the query are literal"
    );
    let picked = list(PlaceQuery {
        ids: Some(vec![ids[1], ids[3], 999_999]),
        page: Page::new(50, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(picked.total, 2);
    let beyond = list(PlaceQuery {
        page: Page::new(10, 10),
        ..Default::default()
    })
    .await;
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 5);
}

pub async fn place_favorites(store: &dyn Store) {
    let a = organization(store, "favco", Subscription::Standard).await;
    let (org, user) = (a.organization.id, a.member.user_id);
    let mut ids = Vec::new();
    for name in ["One", "Two", "Three"] {
        ids.push(
            store
                .create_place(&a.actor(), org, &place_fields(name), t0())
                .await
                .unwrap()
                .id,
        );
    }
    store
        .set_place_favorite(org, ids[2], user, true, t0())
        .await
        .unwrap();
    store
        .set_place_favorite(org, ids[1], user, true, t0() + Duration::minutes(1))
        .await
        .unwrap();
    store
        .set_place_favorite(org, ids[1], user, true, t0() + Duration::minutes(2))
        .await
        .unwrap();
    let query = |favorite, sort| PlaceQuery {
        viewer_user_id: Some(user),
        favorite,
        sort,
        page: Page::new(10, 0),
        ..Default::default()
    };
    let favs = store
        .list_places(org, &query(Some(true), PlaceSort::Favorite))
        .await
        .unwrap();
    assert_eq!(
        favs.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![ids[1], ids[2]],
        "most recently favorited first"
    );
    assert!(favs.items.iter().all(|p| p.favorite == Some(true)));
    let others = store
        .list_places(org, &query(Some(false), PlaceSort::Id))
        .await
        .unwrap();
    assert_eq!(others.total, 1);
    assert_eq!(others.items[0].favorite, Some(false));
    let sorted = store
        .list_places(org, &query(None, PlaceSort::Favorite))
        .await
        .unwrap();
    assert_eq!(
        sorted.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![ids[1], ids[2], ids[0]]
    );
    assert_eq!(
        store.place(org, ids[2], Some(user)).await.unwrap().favorite,
        Some(true)
    );
    store
        .set_place_favorite(org, ids[2], user, false, t0())
        .await
        .unwrap();
    assert_eq!(
        store.place(org, ids[2], Some(user)).await.unwrap().favorite,
        Some(false)
    );
    assert_eq!(store.place(org, ids[2], None).await.unwrap().favorite, None);
}

pub async fn events_filter_and_page(store: &dyn Store) {
    let a = organization(store, "evco", Subscription::Standard).await;
    let org = a.organization.id;
    for (i, name) in ["P1", "P2", "P3"].iter().enumerate() {
        store
            .create_place(
                &a.actor(),
                org,
                &place_fields(name),
                t0() + Duration::hours(i as i64),
            )
            .await
            .unwrap();
    }
    let places = EventQuery {
        event_type: Some("place.create".into()),
        page: Page::new(2, 0),
        ..Default::default()
    };
    let page = store.list_events(org, &places).await.unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(
        page.items
            .iter()
            .map(|e| e.object_name.as_str())
            .collect::<Vec<_>>(),
        ["P3", "P2"],
        "newest first"
    );
    assert!(page.items[0].sequence > page.items[1].sequence);
    let window = EventQuery {
        event_type: Some("place.create".into()),
        since: Some(t0() + Duration::minutes(30)),
        until: Some(t0() + Duration::hours(2)),
        page: Page::new(10, 0),
        ..Default::default()
    };
    let in_window = store.list_events(org, &window).await.unwrap();
    assert_eq!(
        in_window
            .items
            .iter()
            .map(|e| e.object_name.as_str())
            .collect::<Vec<_>>(),
        ["P2"]
    );
    let by_actor = EventQuery {
        actor_id: Some(a.member.user_id),
        success: Some(true),
        page: Page::new(10, 0),
        ..Default::default()
    };
    assert_eq!(store.list_events(org, &by_actor).await.unwrap().total, 3);
    assert_eq!(
        store.list_events(org + 999, &places).await.unwrap().total,
        0
    );
}

fn new_member(email: &str, subscription: Subscription) -> NewMember {
    NewMember {
        email: Email::parse(email).unwrap(),
        name: None,
        image: None,
        notes: None,
        metadata: "{}".into(),
        flags: MemberFlags::defaults(subscription),
    }
}

fn grant(role: Role, scope: Scope, user_id: i64) -> NewRoleAssignment {
    NewRoleAssignment {
        role,
        scope,
        assignee: Assignee::User(user_id),
        notify: false,
        valid_from: None,
        valid_until: None,
    }
}

async fn group_in(
    store: &dyn Store,
    owner: &Principal,
    name: &str,
    place_id: Option<i64>,
) -> gatehouse_domain::Group {
    let fields = GroupFields {
        name: Some(name.into()),
        place_id,
        ..Default::default()
    };
    store
        .create_group(&owner.actor(), owner.organization.id, &fields, t0())
        .await
        .expect("group")
}

pub async fn member_lifecycle_keeps_the_user_profile(store: &dyn Store) {
    let a = organization(store, "lifeco", Subscription::Organizations).await;
    let b = organization(store, "otherlife", Subscription::Organizations).await;
    let org = a.organization.id;
    let member = store
        .create_member(
            &a.actor(),
            org,
            &new_member("Dana@Example.com", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(member.user_email, "dana@example.com");
    assert_eq!(
        member.name, "dana",
        "the name defaults to the e-mail's local part"
    );
    assert_eq!(member.member_type, MemberType::Basic);
    assert!(!member.confirmed);
    let again = store
        .create_member(
            &a.actor(),
            org,
            &new_member("DANA@example.com", Subscription::Organizations),
            t0(),
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { field: "email", .. })),
        "{again:?}"
    );
    // The same person in a second organization links to the same user.
    let there = store
        .create_member(
            &b.actor(),
            b.organization.id,
            &new_member("dana@example.com", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(there.user_id, member.user_id);
    assert_ne!(there.id, member.id);

    let place = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let group = group_in(store, &a, "Staff", Some(place.id)).await;
    store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::GroupBasic, group.scope(), member.user_id),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(store.member(org, member.id).await.unwrap().shares_count, 1);
    // Shares and type come from the same assignments: count and rank apart.
    for name in ["Night", "Weekend"] {
        let more = group_in(store, &a, name, Some(place.id)).await;
        store
            .create_role_assignment(
                &a.actor(),
                org,
                &grant(Role::GroupManager, more.scope(), member.user_id),
                t0(),
            )
            .await
            .unwrap();
    }
    let managing = store.member(org, member.id).await.unwrap();
    assert_eq!(
        (managing.shares_count, managing.member_type),
        (3, MemberType::Manager)
    );

    store
        .delete_member(&a.actor(), org, member.id, t0())
        .await
        .unwrap();
    assert!(matches!(
        store.member(org, member.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.user(member.user_id).await.unwrap().email,
        "dana@example.com",
        "the profile stays"
    );
    let assignments = store
        .list_role_assignments(
            org,
            &RoleAssignmentQuery {
                page: Page::new(50, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(assignments.total, 0, "its role assignments went with it");
    assert_eq!(
        store
            .member(b.organization.id, there.id)
            .await
            .unwrap()
            .user_id,
        member.user_id,
        "other memberships stay"
    );
    let back = store
        .create_member(
            &a.actor(),
            org,
            &new_member("dana@example.com", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        back.user_id, member.user_id,
        "re-adding links to the same user"
    );
    let events = store
        .list_events(
            org,
            &EventQuery {
                object_type: Some("Member".into()),
                page: Page::new(50, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let types: Vec<&str> = events.items.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        &types[..3],
        ["member.create", "member.destroy", "member.create"]
    );
}

pub async fn member_flags_filters_and_sorting(store: &dyn Store) {
    let a = organization(store, "flagco", Subscription::Standard).await;
    let org = a.organization.id;
    let mut ids = Vec::new();
    for (email, name, notes) in [
        ("zed@x.io", "Zed", None),
        ("amy@x.io", "Amy", Some("night shift")),
        ("bob@x.io", "Bob", None),
    ] {
        let mut new = new_member(email, Subscription::Standard);
        new.name = Some(name.into());
        new.notes = notes.map(String::from);
        ids.push(
            store
                .create_member(&a.actor(), org, &new, t0())
                .await
                .unwrap()
                .id,
        );
    }
    let suspend = MemberPatch {
        flags: FlagsPatch {
            access_enabled: Some(false),
            card_enabled: Some(false),
            ..Default::default()
        },
        metadata: Some(r#"{"badge":"7"}"#.into()),
        ..Default::default()
    };
    store
        .update_member(&a.actor(), org, ids[2], &suspend, t0())
        .await
        .unwrap();
    let bob = store.member(org, ids[2]).await.unwrap();
    assert!(!bob.flags.access_enabled && !bob.flags.card_enabled && bob.flags.app_enabled);
    assert_eq!(bob.metadata, r#"{"badge":"7"}"#);
    let events = store
        .list_events(
            org,
            &EventQuery {
                event_type: Some("member.suspend".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.total, 1);
    assert!(events.items[0].details.contains("access_enabled"));
    store
        .update_member(
            &a.actor(),
            org,
            ids[2],
            &MemberPatch {
                flags: FlagsPatch {
                    access_enabled: Some(true),
                    ..Default::default()
                },
                ..Default::default()
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .list_events(
                org,
                &EventQuery {
                    event_type: Some("member.restore".into()),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        1
    );

    let list = |query: MemberQuery| async move { store.list_members(org, &query).await.unwrap() };
    let names = |page: &crate::Paged<gatehouse_domain::Member>| {
        page.items
            .iter()
            .map(|m| m.name.clone())
            .collect::<Vec<_>>()
    };
    let by_name = list(MemberQuery {
        sort: MemberSort::Name,
        page: Page::new(10, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&by_name), ["Amy", "Bob", "Olivia Owner", "Zed"]);
    let desc = list(MemberQuery {
        sort: MemberSort::NameDesc,
        page: Page::new(2, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&desc), ["Zed", "Olivia Owner"]);
    assert_eq!(desc.total, 4);
    assert_eq!(
        names(
            &list(MemberQuery {
                query: Some("NIGHT".into()),
                page: Page::new(10, 0),
                ..Default::default()
            })
            .await
        ),
        ["Amy"]
    );
    assert_eq!(
        names(
            &list(MemberQuery {
                query: Some("zed@".into()),
                page: Page::new(10, 0),
                ..Default::default()
            })
            .await
        ),
        ["Zed"]
    );
    assert_eq!(
        names(
            &list(MemberQuery {
                email: Some("BOB@x.io".into()),
                page: Page::new(10, 0),
                ..Default::default()
            })
            .await
        ),
        ["Bob"]
    );
    let picked = list(MemberQuery {
        ids: Some(vec![ids[0], ids[1]]),
        page: Page::new(10, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(picked.total, 2);
    let by_user = list(MemberQuery {
        ids: Some(vec![a.member.user_id]),
        ids_are_users: true,
        page: Page::new(10, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&by_user), ["Olivia Owner"]);

    // Suspended members first, then the rest.
    store
        .update_member(
            &a.actor(),
            org,
            ids[0],
            &MemberPatch {
                flags: FlagsPatch {
                    access_enabled: Some(false),
                    ..Default::default()
                },
                ..Default::default()
            },
            t0(),
        )
        .await
        .unwrap();
    let access = list(MemberQuery {
        sort: MemberSort::AccessEnabled,
        page: Page::new(10, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&access)[0], "Zed");
    let access_desc = list(MemberQuery {
        sort: MemberSort::AccessEnabledDesc,
        page: Page::new(10, 0),
        ..Default::default()
    })
    .await;
    assert_eq!(names(&access_desc)[3], "Zed");
}

pub async fn groups_crud_and_cascades(store: &dyn Store) {
    let a = organization(store, "groupco", Subscription::Organizations).await;
    let b = organization(store, "groupb", Subscription::Organizations).await;
    let org = a.organization.id;
    let place = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let foreign_place = store
        .create_place(&b.actor(), b.organization.id, &place_fields("Theirs"), t0())
        .await
        .unwrap();
    let placed = group_in(store, &a, "Night Shift", Some(place.id)).await;
    assert_eq!(placed.place_id, Some(place.id));
    assert_eq!(placed.place_name.as_deref(), Some("HQ"));
    assert!(placed.restrictions.login_enabled);
    let everywhere = group_in(store, &a, "All Staff", None).await;
    let foreign = GroupFields {
        name: Some("X".into()),
        place_id: Some(foreign_place.id),
        ..Default::default()
    };
    let refused = store.create_group(&a.actor(), org, &foreign, t0()).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Conflict {
                field: "place_id",
                ..
            })
        ),
        "{refused:?}"
    );

    let patch = GroupFields {
        name: Some("Night".into()),
        login_enabled: Some(false),
        time: Some(true),
        ..Default::default()
    };
    store
        .update_group(&a.actor(), org, placed.id, &patch, t0())
        .await
        .unwrap();
    let updated = store.group(org, placed.id).await.unwrap();
    assert_eq!(updated.name, "Night");
    assert!(!updated.restrictions.login_enabled && updated.restrictions.time);

    let query = |place_id| GroupQuery {
        place_id,
        page: Page::new(10, 0),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_groups(org, &query(Some(Some(place.id))))
            .await
            .unwrap()
            .items[0]
            .id,
        placed.id
    );
    assert_eq!(
        store
            .list_groups(org, &query(Some(None)))
            .await
            .unwrap()
            .items[0]
            .id,
        everywhere.id
    );
    assert_eq!(store.list_groups(org, &query(None)).await.unwrap().total, 2);
    assert_eq!(
        store
            .list_groups(b.organization.id, &query(None))
            .await
            .unwrap()
            .total,
        0
    );
    assert!(matches!(
        store.group(b.organization.id, placed.id).await,
        Err(StoreError::NotFound)
    ));

    let member = store
        .create_member(
            &a.actor(),
            org,
            &new_member("g@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::GroupBasic, updated.scope(), member.user_id),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(store.group(org, placed.id).await.unwrap().users_count, 1);
    store
        .delete_group(&a.actor(), org, placed.id, t0())
        .await
        .unwrap();
    assert!(matches!(
        store.group(org, placed.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .authority(org, member.user_id)
            .await
            .unwrap()
            .grants
            .len(),
        0,
        "its role assignments went with it"
    );
    // Deleting a place takes its groups along.
    let second = group_in(store, &a, "Day", Some(place.id)).await;
    store
        .delete_place(&a.actor(), org, place.id, t0())
        .await
        .unwrap();
    assert!(matches!(
        store.group(org, second.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn role_assignments_grant_authority(store: &dyn Store) {
    let a = organization(store, "roleco", Subscription::Organizations).await;
    let b = organization(store, "roleb", Subscription::Organizations).await;
    let org = a.organization.id;
    let place = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let group = group_in(store, &a, "Staff", Some(place.id)).await;
    let m = store
        .create_member(
            &a.actor(),
            org,
            &new_member("m@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    let mut window = grant(Role::GroupManager, group.scope(), m.user_id);
    window.valid_until = Some(t0() + chrono::Duration::days(1));
    let manager = store
        .create_role_assignment(&a.actor(), org, &window, t0())
        .await
        .unwrap();
    assert_eq!(manager.role, Role::GroupManager);
    assert_eq!(manager.scope, group.scope());
    assert_eq!(manager.scope_name, "Staff");
    assert_eq!(manager.assignee_email.as_deref(), Some("m@x.io"));
    assert_eq!(manager.member_id, Some(m.id));
    assert_eq!(manager.created_by_id, Some(a.member.user_id));

    let authority = store.authority(org, m.user_id).await.unwrap();
    assert_eq!(authority.type_in(group.scope(), t0()), MemberType::Manager);
    assert_eq!(
        authority.type_in(group.scope(), t0() + chrono::Duration::days(2)),
        MemberType::Basic,
        "expired"
    );
    assert_eq!(
        store.member(org, m.id).await.unwrap().member_type,
        MemberType::Manager
    );

    let duplicate = store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::GroupBasic, group.scope(), m.user_id),
            t0(),
        )
        .await;
    assert!(
        matches!(
            duplicate,
            Err(StoreError::Conflict {
                field: "role_id",
                ..
            })
        ),
        "{duplicate:?}"
    );
    let stranger = store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::GroupBasic, group.scope(), b.member.user_id),
            t0(),
        )
        .await;
    assert!(
        matches!(
            stranger,
            Err(StoreError::Conflict {
                field: "assignee_id",
                ..
            })
        ),
        "{stranger:?}"
    );
    let other_place = store
        .create_place(&b.actor(), b.organization.id, &place_fields("B"), t0())
        .await
        .unwrap();
    let foreign_scope = store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::PlaceManager, Scope::Place(other_place.id), m.user_id),
            t0(),
        )
        .await;
    assert!(
        matches!(
            foreign_scope,
            Err(StoreError::Conflict {
                field: "applies_to_id",
                ..
            })
        ),
        "{foreign_scope:?}"
    );

    let admin = store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::PlaceAdministrator, Scope::Place(place.id), m.user_id),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.member(org, m.id).await.unwrap().member_type,
        MemberType::Administrator
    );
    let in_place = store
        .list_role_assignments(
            org,
            &RoleAssignmentQuery {
                place_id: Some(place.id),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(in_place.total, 2);
    let on_group = store
        .list_role_assignments(
            org,
            &RoleAssignmentQuery {
                applies_to: Some(("Group".into(), group.id)),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        on_group.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![manager.id]
    );
    let by_query = store
        .list_role_assignments(
            org,
            &RoleAssignmentQuery {
                query: Some("M@X".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_query.total, 2);

    let patch = RoleAssignmentPatch {
        role: Some(Role::GroupBasic),
        valid_until: Some(None),
        ..Default::default()
    };
    store
        .update_role_assignment(&a.actor(), org, manager.id, &patch, t0())
        .await
        .unwrap();
    let changed = store.role_assignment(org, manager.id).await.unwrap();
    assert_eq!(changed.role, Role::GroupBasic);
    assert_eq!(changed.valid_until, None);
    store
        .delete_role_assignment(&a.actor(), org, admin.id, t0())
        .await
        .unwrap();
    assert_eq!(
        store.member(org, m.id).await.unwrap().member_type,
        MemberType::Basic
    );
    assert!(matches!(
        store.role_assignment(b.organization.id, manager.id).await,
        Err(StoreError::NotFound)
    ));

    // A manager sees what lies in their scopes, and themselves.
    let peer = store
        .create_member(
            &a.actor(),
            org,
            &new_member("peer@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    let outsider = store
        .create_member(
            &a.actor(),
            org,
            &new_member("out@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::GroupBasic, group.scope(), peer.user_id),
            t0(),
        )
        .await
        .unwrap();
    let visibility = Visibility {
        user_id: m.user_id,
        managed: gatehouse_domain::Managed {
            groups: vec![group.id],
            ..Default::default()
        },
    };
    let seen = store
        .list_members(
            org,
            &MemberQuery {
                visible_to: Some(visibility.clone()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let seen: Vec<i64> = seen.items.iter().map(|x| x.id).collect();
    assert!(
        seen.contains(&m.id) && seen.contains(&peer.id) && !seen.contains(&outsider.id),
        "{seen:?}"
    );
    let by_group = store
        .list_members(
            org,
            &MemberQuery {
                group_id: Some(group.id),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_group.total, 2);
    let by_place = store
        .list_members(
            org,
            &MemberQuery {
                place_id: Some(place.id),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_place.total, 2);
    let visible_assignments = store
        .list_role_assignments(
            org,
            &RoleAssignmentQuery {
                visible_to: Some(visibility),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(visible_assignments.total, 2);
}

pub async fn role_assignment_by_email_creates_the_member(store: &dyn Store) {
    let a = organization(store, "emailco", Subscription::Standard).await;
    let org = a.organization.id;
    let group = group_in(store, &a, "Guests", None).await;
    let new = NewRoleAssignment {
        role: Role::GroupBasic,
        scope: group.scope(),
        assignee: Assignee::Email(Email::parse("New.Person@Example.org").unwrap()),
        notify: true,
        valid_from: Some(t0()),
        valid_until: None,
    };
    let created = store
        .create_role_assignment(&a.actor(), org, &new, t0())
        .await
        .unwrap();
    assert_eq!(
        created.assignee_email.as_deref(),
        Some("new.person@example.org")
    );
    assert!(created.notify);
    let member = store
        .member(org, created.member_id.expect("a member was created"))
        .await
        .unwrap();
    assert!(
        member.flags.password_flow_enabled,
        "standard subscription defaults"
    );
    assert_eq!(member.shares_count, 1);
    let types: Vec<String> = store
        .list_events(
            org,
            &EventQuery {
                page: Page::new(5, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(&types[..2], ["role_assignment.create", "member.create"]);
}

pub async fn teams_pass_roles_to_their_members(store: &dyn Store) {
    let a = organization(store, "teamco", Subscription::Organizations).await;
    let org = a.organization.id;
    let group = group_in(store, &a, "Lab", None).await;
    let team = store
        .create_team(&a.actor(), org, "Researchers", t0())
        .await
        .unwrap();
    store
        .update_team(&a.actor(), org, team.id, "Research", t0())
        .await
        .unwrap();
    assert_eq!(store.team(org, team.id).await.unwrap().name, "Research");
    let m = store
        .create_member(
            &a.actor(),
            org,
            &new_member("t@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    let membership = store
        .create_team_membership(&a.actor(), org, team.id, m.user_id, t0())
        .await
        .unwrap();
    assert_eq!(membership.team_name, "Research");
    assert_eq!(membership.user_email, "t@x.io");
    let twice = store
        .create_team_membership(&a.actor(), org, team.id, m.user_id, t0())
        .await;
    assert!(
        matches!(
            twice,
            Err(StoreError::Conflict {
                field: "member_id",
                ..
            })
        ),
        "{twice:?}"
    );
    let to_team = NewRoleAssignment {
        assignee: Assignee::Team(team.id),
        ..grant(Role::GroupManager, group.scope(), 0)
    };
    let assignment = store
        .create_role_assignment(&a.actor(), org, &to_team, t0())
        .await
        .unwrap();
    assert_eq!(assignment.assignee_name, "Research");
    assert_eq!(
        store
            .authority(org, m.user_id)
            .await
            .unwrap()
            .type_in(group.scope(), t0()),
        MemberType::Manager
    );
    assert_eq!(
        store.member(org, m.id).await.unwrap().member_type,
        MemberType::Manager
    );
    let listed = store
        .list_team_memberships(
            org,
            &TeamMembershipQuery {
                team_id: Some(team.id),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(
        store
            .list_teams(
                org,
                &TeamQuery {
                    query: Some("sea".into()),
                    page: Page::new(10, 0),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        1
    );
    store
        .delete_team_membership(&a.actor(), org, membership.id, t0())
        .await
        .unwrap();
    assert_eq!(
        store
            .authority(org, m.user_id)
            .await
            .unwrap()
            .type_in(group.scope(), t0()),
        MemberType::Basic
    );
    store
        .delete_team(&a.actor(), org, team.id, t0())
        .await
        .unwrap();
    assert!(
        matches!(
            store.role_assignment(org, assignment.id).await,
            Err(StoreError::NotFound)
        ),
        "assignments to the team went with it"
    );
}

pub async fn purge_removes_the_user_everywhere(store: &dyn Store) {
    let a = organization(store, "purgea", Subscription::Organizations).await;
    let b = organization(store, "purgeb", Subscription::Organizations).await;
    let email = Email::parse("leaver@x.io").unwrap();
    let in_a = store
        .create_member(
            &a.actor(),
            a.organization.id,
            &new_member("leaver@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    store
        .create_member(
            &b.actor(),
            b.organization.id,
            &new_member("leaver@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    let group = group_in(store, &a, "G", None).await;
    store
        .create_role_assignment(
            &a.actor(),
            a.organization.id,
            &grant(Role::GroupBasic, group.scope(), in_a.user_id),
            t0(),
        )
        .await
        .unwrap();
    store
        .create_login(
            &Actor::Operator,
            &new_login(
                in_a.user_id,
                a.organization.id,
                LoginType::Device,
                b"leaver",
            ),
            t0(),
        )
        .await
        .unwrap();
    let report = store.purge_user(&email, t0()).await.unwrap();
    assert_eq!(
        (report.memberships, report.role_assignments, report.logins),
        (2, 1, 1)
    );
    assert!(matches!(
        store.user(in_a.user_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.authenticate(b"leaver", t0()).await.unwrap().is_none());
    assert!(matches!(
        store.purge_user(&email, t0()).await,
        Err(StoreError::NotFound)
    ));
    let owner_email = Email::parse(&a.member.user_email).unwrap();
    let refused = store.purge_user(&owner_email, t0()).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { field: "email", .. })),
        "owners are not purged: {refused:?}"
    );
}

pub async fn lock_in(
    store: &dyn Store,
    owner: &Principal,
    place_id: i64,
    name: &str,
) -> gatehouse_domain::Lock {
    let fields = gatehouse_domain::LockFields {
        name: Some(name.into()),
        place_id: Some(place_id),
        ..Default::default()
    };
    store
        .create_lock(&owner.actor(), owner.organization.id, &fields, t0())
        .await
        .expect("lock")
}

pub async fn locks_group_locks_and_lockdown(store: &dyn Store) {
    let a = organization(store, "lockco", Subscription::Organizations).await;
    let b = organization(store, "lockb", Subscription::Organizations).await;
    let org = a.organization.id;
    let hq = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let annex = store
        .create_place(&a.actor(), org, &place_fields("Annex"), t0())
        .await
        .unwrap();
    let front = lock_in(store, &a, hq.id, "Front Door").await;
    let back = lock_in(store, &a, hq.id, "Back Door").await;
    let far = lock_in(store, &a, annex.id, "Annex Door").await;
    assert_eq!(front.place_name, "HQ");
    assert_eq!(store.place(org, hq.id, None).await.unwrap().locks_count, 2);
    let foreign = gatehouse_domain::LockFields {
        name: Some("X".into()),
        place_id: Some(
            store
                .create_place(&b.actor(), b.organization.id, &place_fields("B"), t0())
                .await
                .unwrap()
                .id,
        ),
        ..Default::default()
    };
    assert!(matches!(
        store.create_lock(&a.actor(), org, &foreign, t0()).await,
        Err(StoreError::Conflict {
            field: "place_id",
            ..
        })
    ));

    let patch = gatehouse_domain::LockFields {
        name: Some("Main Door".into()),
        geofence_restriction_enabled: Some(true),
        latitude: Some(Some(52.5)),
        ..Default::default()
    };
    store
        .update_lock(&a.actor(), org, front.id, &patch, t0())
        .await
        .unwrap();
    let front = store.lock(org, front.id, None).await.unwrap();
    assert_eq!(
        (
            front.name.as_str(),
            front.geofence_restriction_enabled,
            front.latitude
        ),
        ("Main Door", true, Some(52.5))
    );

    let group = group_in(store, &a, "Staff", Some(hq.id)).await;
    let gl = store
        .create_group_lock(&a.actor(), org, group.id, front.id, t0())
        .await
        .unwrap();
    assert_eq!(
        (gl.lock_name.as_str(), gl.group_name.as_str(), gl.place_id),
        ("Main Door", "Staff", hq.id)
    );
    assert!(matches!(
        store
            .create_group_lock(&a.actor(), org, group.id, front.id, t0())
            .await,
        Err(StoreError::Conflict {
            field: "lock_id",
            ..
        })
    ));
    assert!(
        matches!(
            store
                .create_group_lock(&a.actor(), org, group.id, far.id, t0())
                .await,
            Err(StoreError::Conflict {
                field: "lock_id",
                ..
            })
        ),
        "another place"
    );
    store
        .create_group_lock(&a.actor(), org, group.id, back.id, t0())
        .await
        .unwrap();
    assert_eq!(store.group(org, group.id).await.unwrap().locks_count, 2);
    let listed = store
        .list_group_locks(
            org,
            &crate::GroupLockQuery {
                group_id: Some(group.id),
                query: Some("main".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);

    // Visibility: a member sees the doors of their groups only.
    let m = store
        .create_member(
            &a.actor(),
            org,
            &new_member("v@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::GroupBasic, group.scope(), m.user_id),
            t0(),
        )
        .await
        .unwrap();
    let visible = store
        .list_locks(
            org,
            &crate::LockQuery {
                visible_to: Some(Visibility {
                    user_id: m.user_id,
                    managed: Default::default(),
                }),
                sort: crate::LockSort::Name,
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        visible
            .items
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["Back Door", "Main Door"]
    );
    assert_eq!(
        store
            .list_locks(
                org,
                &crate::LockQuery {
                    place_id: Some(annex.id),
                    page: Page::new(10, 0),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        1
    );

    store
        .set_lock_favorite(org, back.id, m.user_id, true, t0())
        .await
        .unwrap();
    assert_eq!(
        store
            .lock(org, back.id, Some(m.user_id))
            .await
            .unwrap()
            .favorite,
        Some(true)
    );
    store
        .set_lock_lockdown(&a.actor(), org, front.id, true, t0())
        .await
        .unwrap();
    let down = store.lock(org, front.id, None).await.unwrap();
    assert!(down.locked_down && down.locked_down_since == Some(t0()));
    assert_eq!(
        store
            .list_locks(
                org,
                &crate::LockQuery {
                    locked_down: Some(true),
                    page: Page::new(10, 0),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        1
    );
    store
        .set_lock_lockdown(&a.actor(), org, front.id, false, t0())
        .await
        .unwrap();
    assert!(!store.lock(org, front.id, None).await.unwrap().locked_down);
    store
        .set_place_lockdown(&a.actor(), org, hq.id, true, t0())
        .await
        .unwrap();
    assert!(store.place(org, hq.id, None).await.unwrap().locked_down);
    assert!(matches!(
        store
            .set_lock_lockdown(&b.actor(), b.organization.id, front.id, true, t0())
            .await,
        Err(StoreError::NotFound)
    ));
    let types: Vec<String> = store
        .list_events(
            org,
            &EventQuery {
                page: Page::new(4, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        &types[..3],
        ["place.lock_down", "lock.cancel_lockdown", "lock.lock_down"]
    );

    store
        .delete_group_lock(&a.actor(), org, gl.id, t0())
        .await
        .unwrap();
    store
        .delete_lock(&a.actor(), org, back.id, t0())
        .await
        .unwrap();
    assert!(matches!(
        store.lock(org, back.id, None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.group(org, group.id).await.unwrap().locks_count, 0);
}

pub async fn access_facts_and_records(store: &dyn Store) {
    use gatehouse_domain::access::{decide, Credential, Decision, Denial};
    use gatehouse_domain::{AccessRecord, AccessSubject};
    let OneDoor {
        owner: a,
        org,
        door,
        group,
        member: m,
    } = one_door(store, "accessco", "in@x.io").await;
    let app = app();

    let facts = store
        .access_facts(org, door.id, AccessSubject::User(m.user_id))
        .await
        .unwrap();
    assert_eq!(
        facts.lock.as_ref().unwrap().time_zone,
        chrono_tz::Europe::Berlin,
        "the organization's zone when the place has none"
    );
    assert!(facts.grants.is_empty());
    assert_eq!(
        decide(&facts, &app, t0()),
        Decision::Denied(Denial::NoAccess)
    );

    let mut windowed = grant(Role::GroupBasic, group.scope(), m.user_id);
    windowed.valid_until = Some(t0() + chrono::Duration::days(1));
    store
        .create_role_assignment(&a.actor(), org, &windowed, t0())
        .await
        .unwrap();
    let facts = store
        .access_facts(org, door.id, AccessSubject::User(m.user_id))
        .await
        .unwrap();
    assert_eq!(facts.grants.len(), 1);
    assert_eq!(facts.grants[0].group.as_ref().unwrap().id, group.id);
    assert!(facts.member.unwrap().flags.access_enabled);
    assert_eq!(
        decide(&facts, &app, t0()),
        Decision::Granted {
            group_id: Some(group.id)
        }
    );
    assert_eq!(
        decide(&facts, &app, t0() + chrono::Duration::days(2)),
        Decision::Denied(Denial::Expired)
    );

    // A place role reaches every door of the place; an organization role every door.
    let other = store
        .create_member(
            &a.actor(),
            org,
            &new_member("pm@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(
                Role::PlaceManager,
                Scope::Place(door.place_id),
                other.user_id,
            ),
            t0(),
        )
        .await
        .unwrap();
    let facts = store
        .access_facts(org, door.id, AccessSubject::User(other.user_id))
        .await
        .unwrap();
    assert_eq!(
        decide(&facts, &app, t0()),
        Decision::Granted { group_id: None }
    );

    // A link of the group opens the group's doors; of another group, none.
    let link = Credential::Link {
        enabled: true,
        valid_from: None,
        valid_until: None,
        location: None,
    };
    let facts = store
        .access_facts(
            org,
            door.id,
            AccessSubject::Link {
                group_id: group.id,
                user_id: None,
            },
        )
        .await
        .unwrap();
    assert!(decide(&facts, &link, t0()).is_granted());
    let elsewhere = group_in(store, &a, "Other", Some(door.place_id)).await;
    let facts = store
        .access_facts(
            org,
            door.id,
            AccessSubject::Link {
                group_id: elsewhere.id,
                user_id: None,
            },
        )
        .await
        .unwrap();
    assert!(!decide(&facts, &link, t0()).is_granted());

    let missing = store
        .access_facts(org, door.id + 1000, AccessSubject::User(m.user_id))
        .await
        .unwrap();
    assert_eq!(
        decide(&missing, &app, t0()),
        Decision::Denied(Denial::LockNotFound)
    );

    // Recording: the event, and a grant's last access.
    let record = |success: bool, code: Option<&'static str>| AccessRecord {
        lock_id: door.id,
        lock_name: door.name.clone(),
        place_id: door.place_id,
        user_id: Some(m.user_id),
        actor_name: Some("in".into()),
        actor_email: Some("in@x.io".into()),
        authenticated_by: ("Login", 99),
        success,
        error_code: code,
        message: None,
        group_id: Some(group.id),
    };
    store
        .record_access(org, &record(false, Some("fcd8ef")), t0())
        .await
        .unwrap();
    assert_eq!(
        store.member(org, m.id).await.unwrap().last_accessed_at,
        None,
        "a denial is no access"
    );
    store
        .record_access(
            org,
            &record(true, None),
            t0() + chrono::Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(
        store.member(org, m.id).await.unwrap().last_accessed_at,
        Some(t0() + chrono::Duration::minutes(5))
    );
    let events = unlock_events(store, org, 10).await;
    assert_eq!(events.total, 2);
    let (granted, denied) = (&events.items[0], &events.items[1]);
    assert!(granted.success && !denied.success);
    assert_eq!(denied.error_code.as_deref(), Some("fcd8ef"));
    assert_eq!(
        (granted.object_id, granted.place_id, granted.actor_id),
        (door.id, Some(door.place_id), Some(m.user_id))
    );
    assert_eq!(
        (
            granted.authenticated_by_type.as_deref(),
            granted.authenticated_by_id
        ),
        (Some("Login"), Some(99))
    );
    let by_unlock = store
        .list_members(
            org,
            &MemberQuery {
                sort: MemberSort::UnlockDesc,
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        by_unlock.items[0].id, m.id,
        "sort=-unlock puts the latest access first"
    );
    let own = store
        .list_events(
            org,
            &EventQuery {
                visible_to: Some(Visibility {
                    user_id: m.user_id,
                    managed: Default::default(),
                }),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(own.total, 2, "a basic member sees their own history");
    let managers_view = store
        .list_events(
            org,
            &EventQuery {
                visible_to: Some(Visibility {
                    user_id: 0,
                    managed: gatehouse_domain::Managed {
                        groups: vec![group.id],
                        ..Default::default()
                    },
                }),
                event_type: Some("lock.unlock".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        managers_view.total, 2,
        "a group's manager sees its doors' history"
    );
}

pub async fn schedules_reach_the_decision(store: &dyn Store) {
    use gatehouse_domain::access::{decide, Credential, Decision, Denial};
    use gatehouse_domain::{AccessSubject, NewSchedule, ScheduleKind, SchedulePatch};
    let a = organization(store, "schedco", Subscription::Organizations).await;
    let org = a.organization.id;
    let mut fields = place_fields("NYC");
    fields.time_zone = Some(Some("America/New_York".into()));
    let nyc = store
        .create_place(&a.actor(), org, &fields, t0())
        .await
        .unwrap();
    let door = lock_in(store, &a, nyc.id, "Door").await;
    let group = group_in(store, &a, "Day", Some(nyc.id)).await;
    store
        .update_group(
            &a.actor(),
            org,
            group.id,
            &GroupFields {
                time: Some(true),
                ..Default::default()
            },
            t0(),
        )
        .await
        .unwrap();
    store
        .create_group_lock(&a.actor(), org, group.id, door.id, t0())
        .await
        .unwrap();
    let m = store
        .create_member(
            &a.actor(),
            org,
            &new_member("day@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    store
        .create_role_assignment(
            &a.actor(),
            org,
            &grant(Role::GroupBasic, group.scope(), m.user_id),
            t0(),
        )
        .await
        .unwrap();
    // Weekdays 09:00-17:00 New York time.
    let new = NewSchedule {
        group_id: group.id,
        name: Some("Office".into()),
        enabled: true,
        kind: ScheduleKind::Recurring {
            days: 0b0011111,
            start_minute: 540,
            end_minute: 1020,
        },
    };
    let schedule = store
        .create_schedule(&a.actor(), org, &new, t0())
        .await
        .unwrap();
    assert_eq!(schedule.group_name, "Day");
    assert_eq!(schedule.place_id, Some(nyc.id));
    let app = Credential::App {
        location: None,
        proximity_proof: false,
        primary_device: false,
    };
    let facts = store
        .access_facts(org, door.id, AccessSubject::User(m.user_id))
        .await
        .unwrap();
    assert_eq!(
        facts.lock.as_ref().unwrap().time_zone,
        chrono_tz::America::New_York
    );
    // t0 is Sunday 2026-03-01 09:00 UTC: a weekend.
    assert_eq!(
        decide(&facts, &app, t0()),
        Decision::Denied(Denial::OutsideSchedule)
    );
    // Monday 2026-03-02 14:00 UTC = 09:00 EST.
    let monday_open = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap();
    assert!(decide(&facts, &app, monday_open).is_granted());
    assert!(!decide(&facts, &app, monday_open - chrono::Duration::minutes(1)).is_granted());
    // Disabled schedules allow nothing.
    store
        .update_schedule(
            &a.actor(),
            org,
            schedule.id,
            &SchedulePatch {
                enabled: Some(false),
                ..Default::default()
            },
            t0(),
        )
        .await
        .unwrap();
    let facts = store
        .access_facts(org, door.id, AccessSubject::User(m.user_id))
        .await
        .unwrap();
    assert!(!decide(&facts, &app, monday_open).is_granted());
    let single = NewSchedule {
        group_id: group.id,
        name: None,
        enabled: true,
        kind: ScheduleKind::Single {
            starts_at: t0(),
            ends_at: t0() + chrono::Duration::hours(1),
        },
    };
    store
        .create_schedule(&a.actor(), org, &single, t0())
        .await
        .unwrap();
    let facts = store
        .access_facts(org, door.id, AccessSubject::User(m.user_id))
        .await
        .unwrap();
    assert!(decide(&facts, &app, t0()).is_granted(), "a single event");
    assert_eq!(
        store
            .list_schedules(
                org,
                &crate::ScheduleQuery {
                    group_id: Some(group.id),
                    page: Page::new(10, 0),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .total,
        2
    );
    store
        .delete_schedule(&a.actor(), org, schedule.id, t0())
        .await
        .unwrap();
    assert!(matches!(
        store.schedule(org, schedule.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn cards_from_enrolment_to_the_reader(store: &dyn Store) {
    use gatehouse_domain::{CardIdentity, CardType, NewCard, NewCardAssignment};
    let a = organization(store, "cardco", Subscription::Organizations).await;
    let org = a.organization.id;
    let desfire = NewCard {
        card_type: CardType::MifareDesfire,
        identity: CardIdentity::Token("TOK-1".into()),
    };
    let card = store
        .create_card(&a.actor(), org, &desfire, t0())
        .await
        .unwrap();
    assert_eq!(
        (card.card_type.as_str(), card.token.as_deref()),
        ("mifare_desfire", Some("TOK-1"))
    );
    assert!(card.assignment.is_none());
    let again = NewCard {
        card_type: CardType::MifareDesfire,
        identity: CardIdentity::Token("tok-1".into()),
    };
    assert!(matches!(
        store.create_card(&a.actor(), org, &again, t0()).await,
        Err(StoreError::Conflict { field: "card", .. })
    ));
    let lf = NewCard {
        card_type: CardType::Lf("hid_h10301"),
        identity: CardIdentity::Numbers(Some(12), 3456),
    };
    let lf = store.create_card(&a.actor(), org, &lf, t0()).await.unwrap();
    let unassigned = store
        .list_cards(
            org,
            &crate::CardQuery {
                status: Some(None),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(unassigned.total, 2);
    let m = store
        .create_member(
            &a.actor(),
            org,
            &new_member("card@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    let new = NewCardAssignment {
        card_id: card.id,
        user_id: m.user_id,
        two_factor_pin_hash: None,
        send_two_factor_pin_notification: false,
        activation_token_hash: b"activation".to_vec(),
    };
    let assignment = store
        .create_card_assignment(&a.actor(), org, &new, t0())
        .await
        .unwrap();
    assert!(!assignment.activated, "assigned cards start deactivated");
    let twice = NewCardAssignment {
        activation_token_hash: b"other".to_vec(),
        ..new.clone()
    };
    assert!(matches!(
        store
            .create_card_assignment(&a.actor(), org, &twice, t0())
            .await,
        Err(StoreError::Conflict {
            field: "card_id",
            ..
        })
    ));
    let presented = store
        .presented_card(org, &CardIdentity::Token("tok-1".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (presented.user_id, presented.activated),
        (Some(m.user_id), false)
    );
    assert_eq!(
        presented.holder,
        Some((m.name.clone(), "card@x.io".to_owned())),
        "the holder, named for the event"
    );
    // The card's use is written with the decision the read leads to.
    assert_eq!(store.card(org, card.id).await.unwrap().last_used_at, None);
    let hq = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let door = lock_in(store, &a, hq.id, "Reader door").await;
    let decision = gatehouse_domain::AccessRecord {
        lock_id: door.id,
        lock_name: door.name.clone(),
        place_id: door.place_id,
        user_id: presented.user_id,
        actor_name: presented.holder.as_ref().map(|(name, _)| name.clone()),
        actor_email: presented.holder.as_ref().map(|(_, email)| email.clone()),
        authenticated_by: ("Card", presented.card_id),
        success: false,
        error_code: Some("fcd8ef"),
        message: None,
        group_id: None,
    };
    store
        .record_access(org, &decision, t0() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        store.card(org, card.id).await.unwrap().last_used_at,
        Some(t0() + Duration::minutes(1))
    );
    store
        .activate_card_with_token(b"activation", t0())
        .await
        .unwrap();
    assert!(
        store
            .card_assignment(org, assignment.id)
            .await
            .unwrap()
            .activated
    );
    assert!(
        matches!(
            store.activate_card_with_token(b"activation", t0()).await,
            Err(StoreError::NotFound)
        ),
        "single use"
    );
    store
        .set_card_assignment_status(&a.actor(), org, assignment.id, false, t0())
        .await
        .unwrap();
    let deactivated = store
        .list_card_assignments(
            org,
            &crate::CardAssignmentQuery {
                activated: Some(false),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(deactivated.total, 1);
    store
        .update_card_assignment(
            &a.actor(),
            org,
            assignment.id,
            Some(Some("$argon2id$pin".into())),
            None,
            t0(),
        )
        .await
        .unwrap();
    assert!(
        store
            .card_assignment(org, assignment.id)
            .await
            .unwrap()
            .has_two_factor_pin
    );
    assert!(store
        .presented_card(org, &CardIdentity::Numbers(Some(12), 3456))
        .await
        .unwrap()
        .unwrap()
        .user_id
        .is_none());
    assert!(store
        .presented_card(org, &CardIdentity::Uid("nope".into()))
        .await
        .unwrap()
        .is_none());

    let place = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let door = lock_in(store, &a, place.id, "Door").await;
    let reader = store
        .create_reader(
            &a.actor(),
            org,
            door.id,
            "Front reader",
            b"reader-secret",
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .authenticate_reader(b"reader-secret")
            .await
            .unwrap()
            .unwrap()
            .id,
        reader.id
    );
    assert!(store.authenticate_reader(b"wrong").await.unwrap().is_none());
    store
        .delete_card_assignment(&a.actor(), org, assignment.id, t0())
        .await
        .unwrap();
    store
        .delete_card(&a.actor(), org, lf.id, t0())
        .await
        .unwrap();
    assert!(matches!(
        store.card(org, lf.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn quick_access_links(store: &dyn Store) {
    use gatehouse_domain::NewGroupLink;
    let a = organization(store, "linkco", Subscription::Organizations).await;
    let org = a.organization.id;
    let group = group_in(store, &a, "Visitors", None).await;
    let m = store
        .create_member(
            &a.actor(),
            org,
            &new_member("guest@x.io", Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    let link = |name: &str, email: Option<&str>, secret: &[u8]| NewGroupLink {
        group_id: group.id,
        name: name.into(),
        email: email.map(|e| Email::parse(e).unwrap()),
        phone: None,
        link_enabled: true,
        quick_response_code_type: None,
        valid_from: None,
        valid_until: Some(t0() + chrono::Duration::days(1)),
        secret_hash: secret.to_vec(),
    };
    let personal = store
        .create_group_link(
            &a.actor(),
            org,
            &link("Guest", Some("GUEST@x.io"), b"l1"),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        personal.user_id,
        Some(m.user_id),
        "an e-mail of a member makes it their link"
    );
    let visitor = store
        .create_group_link(
            &a.actor(),
            org,
            &link("Courier", Some("courier@y.io"), b"l2"),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(visitor.user_id, None);
    let found = store.authenticate_link(b"l1", t0()).await.unwrap().unwrap();
    assert_eq!((found.id, found.last_used_at), (personal.id, Some(t0())));
    assert!(store
        .authenticate_link(b"zz", t0())
        .await
        .unwrap()
        .is_none());
    let listed = store
        .list_group_links(
            org,
            &crate::GroupLinkQuery {
                query: Some("cour".into()),
                page: Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![visitor.id]
    );
    store
        .delete_group_link(&a.actor(), org, visitor.id, t0())
        .await
        .unwrap();
    assert!(store
        .authenticate_link(b"l2", t0())
        .await
        .unwrap()
        .is_none());
}

pub async fn member_exports_survive_a_restart_as_failed(store: &dyn Store) {
    use gatehouse_domain::{ExportFormat, ExportStatus};
    let a = organization(store, "exportco", Subscription::Organizations).await;
    let org = a.organization.id;
    for (i, name) in ["Zoe", "Adam"].iter().enumerate() {
        let mut new = new_member(&format!("e{i}@x.io"), Subscription::Organizations);
        new.name = Some((*name).into());
        store
            .create_member(&a.actor(), org, &new, t0())
            .await
            .unwrap();
    }
    let done = store
        .create_member_export(org, a.member.user_id, ExportFormat::Csv, "{}", t0())
        .await
        .unwrap();
    assert_eq!(done.status, ExportStatus::Waiting);
    let mut names = Vec::new();
    let mut sink = |row: gatehouse_domain::ExportRow| {
        names.push(row.name);
        Ok(())
    };
    let rows = store
        .export_members(org, &MemberQuery::default(), &mut sink)
        .await
        .unwrap();
    assert_eq!(rows, 3);
    assert_eq!(names, ["Olivia Owner", "Zoe", "Adam"], "in id order");
    store
        .set_member_export_status(done.id, ExportStatus::Finished, rows, None, t0())
        .await
        .unwrap();
    let running = store
        .create_member_export(org, a.member.user_id, ExportFormat::Xlsx, "{}", t0())
        .await
        .unwrap();
    store
        .set_member_export_status(running.id, ExportStatus::InProgress, 0, None, t0())
        .await
        .unwrap();
    // Its node reports on it; a sweep leaves it alone until it goes silent.
    let silence = Duration::seconds(90);
    let reported = t0() + Duration::seconds(60);
    let alive = crate::RunningJob::Export {
        id: running.id,
        rows: 7,
    };
    store.keep_job_alive(alive, reported).await.unwrap();
    let soon = reported + Duration::seconds(60);
    assert_eq!(
        store
            .fail_interrupted_exports(soon - silence, soon)
            .await
            .unwrap(),
        0,
        "reported a minute ago: its node is alive"
    );
    assert_eq!(
        store
            .member_export(org, running.id)
            .await
            .unwrap()
            .rows_count,
        7
    );
    let late = reported + Duration::seconds(100);
    assert_eq!(
        store
            .fail_interrupted_exports(late - silence, late)
            .await
            .unwrap(),
        1
    );
    let ended = crate::RunningJob::Export {
        id: done.id,
        rows: 99,
    };
    store.keep_job_alive(ended, late).await.unwrap();
    assert_eq!(
        store.member_export(org, done.id).await.unwrap().rows_count,
        3,
        "a report after the end changes nothing"
    );
    let running = store.member_export(org, running.id).await.unwrap();
    assert_eq!(running.status, ExportStatus::Failed);
    assert!(running.error.unwrap().contains("restart"));
    assert_eq!(
        store.member_export(org, done.id).await.unwrap().status,
        ExportStatus::Finished,
        "finished ones stay"
    );
    assert_eq!(
        store
            .list_member_exports(org, Some(a.member.user_id), Page::new(10, 0))
            .await
            .unwrap()
            .total,
        2
    );
    assert_eq!(
        store
            .list_member_exports(org, Some(-1), Page::new(10, 0))
            .await
            .unwrap()
            .total,
        0
    );
    store.delete_member_export(org, done.id).await.unwrap();
    assert!(matches!(
        store.member_export(org, done.id).await,
        Err(StoreError::NotFound)
    ));
}

fn token(user_id: i64, organization_id: i64, purpose: TokenPurpose, hash: &[u8]) -> NewUserToken {
    NewUserToken {
        user_id,
        organization_id,
        purpose,
        token_hash: hash.to_vec(),
        expires_at: t0() + purpose.lifetime(false),
    }
}

pub async fn sign_in_tokens_are_single_use_and_expire(store: &dyn Store) {
    let a = organization(store, "tokenco", Subscription::Organizations).await;
    let (org, user) = (a.organization.id, a.login.user_id);
    for hash in [b"s1".as_slice(), b"s2", b"s3"] {
        store
            .issue_user_token(&token(user, org, TokenPurpose::SignIn, hash), t0())
            .await
            .unwrap();
    }
    let signed_in = store
        .redeem_sign_in_token(b"s1", t0() + Duration::minutes(1))
        .await
        .unwrap()
        .expect("a fresh token signs in");
    assert_eq!(
        (signed_in.organization.id, signed_in.member.user_id),
        (org, user)
    );
    assert!(
        store
            .redeem_sign_in_token(b"s1", t0())
            .await
            .unwrap()
            .is_none(),
        "used"
    );
    assert!(
        store
            .redeem_sign_in_token(b"s2", t0() + Duration::minutes(30))
            .await
            .unwrap()
            .is_none(),
        "expired at its lifetime"
    );
    assert!(store
        .redeem_sign_in_token(b"nope", t0())
        .await
        .unwrap()
        .is_none());
    // A reset token is no sign-in token, and the other way round.
    store
        .issue_user_token(&token(user, org, TokenPurpose::PasswordReset, b"r1"), t0())
        .await
        .unwrap();
    assert!(store
        .redeem_sign_in_token(b"r1", t0())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .reset_password(b"s3", "$argon2id$new", t0())
            .await
            .unwrap(),
        None
    );
}

pub async fn password_reset_signs_out_and_lapses_other_tokens(store: &dyn Store) {
    let a = organization(store, "resetco", Subscription::Organizations).await;
    let (org, user) = (a.organization.id, a.login.user_id);
    for hash in [b"r1".as_slice(), b"r2"] {
        store
            .issue_user_token(&token(user, org, TokenPurpose::PasswordReset, hash), t0())
            .await
            .unwrap();
    }
    let later = t0() + Duration::minutes(5);
    assert_eq!(
        store
            .reset_password(b"r1", "$argon2id$new", later)
            .await
            .unwrap(),
        Some(user)
    );
    assert_eq!(
        store.password_hash(user).await.unwrap().as_deref(),
        Some("$argon2id$new")
    );
    assert!(
        store
            .authenticate(b"secret-of-resetco", later)
            .await
            .unwrap()
            .is_none(),
        "every login is signed out"
    );
    assert_eq!(
        store
            .reset_password(b"r1", "$argon2id$again", later)
            .await
            .unwrap(),
        None,
        "used"
    );
    assert_eq!(
        store
            .reset_password(b"r2", "$argon2id$again", later)
            .await
            .unwrap(),
        None,
        "the other outstanding reset lapsed"
    );
    let events = store
        .list_events(
            org,
            &EventQuery {
                event_type: Some("user.update_password".into()),
                page: Page::new(10, 0),
                ..EventQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.total, 1);
}

pub async fn sign_in_failures_lock_and_clear(store: &dyn Store) {
    let a = organization(store, "throttleco", Subscription::Organizations).await;
    let policy = ThrottlePolicy::ACCOUNT;
    let key = "account:throttleco:owner@throttleco.example";
    let at = |s: i64| t0() + Duration::seconds(s);
    for attempt in 1..=policy.free_failures {
        let lock = store
            .record_sign_in_failure(key, policy, None, at(i64::from(attempt)))
            .await
            .unwrap();
        assert_eq!(lock, None, "attempt {attempt} is free");
    }
    let event = NewEvent {
        success: false,
        error_code: Some("afc516".into()),
        ..NewEvent::change(
            a.organization.id,
            "Login",
            "create",
            a.login.user_id,
            "Olivia Owner",
            serde_json::json!({}),
        )
    };
    let lock = store
        .record_sign_in_failure(key, policy, Some((a.actor(), event)), at(10))
        .await
        .unwrap();
    assert_eq!(lock, Some(at(40)), "the sixth failure locks for 30 s");
    let keys = [key.to_owned(), "address:127.0.0.1".to_owned()];
    assert_eq!(
        store.sign_in_locked_until(&keys, at(39)).await.unwrap(),
        Some(at(40))
    );
    assert_eq!(
        store.sign_in_locked_until(&keys, at(40)).await.unwrap(),
        None
    );
    let events = store
        .list_events(
            a.organization.id,
            &EventQuery {
                event_type: Some("login.create".into()),
                success: Some(false),
                page: Page::new(10, 0),
                ..EventQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.total, 1);
    let details: serde_json::Value = serde_json::from_str(&events.items[0].details).unwrap();
    assert_eq!(details["failures"], 6);
    // Failures long ago are forgotten: the count starts again.
    let much_later = at(10) + policy.window + Duration::seconds(1);
    assert_eq!(
        store
            .record_sign_in_failure(key, policy, None, much_later)
            .await
            .unwrap(),
        None
    );
    store.clear_sign_in_failures(key).await.unwrap();
    assert_eq!(
        store.sign_in_locked_until(&keys, at(0)).await.unwrap(),
        None
    );
}

pub async fn invites_add_the_person_and_their_access(store: &dyn Store) {
    let a = organization(store, "inviteco", Subscription::Organizations).await;
    let org = a.organization.id;
    let group = group_in(store, &a, "Staff", None).await;
    let team = store
        .create_team(&a.actor(), org, "Night shift", t0())
        .await
        .unwrap();
    let user = |email: &str| Invitee::User {
        email: Email::parse(email).unwrap(),
        name: Some("Ivy Invitee".into()),
    };
    let secrets = std::sync::atomic::AtomicU8::new(0);
    let invite = |target, invitee, role| NewInvite {
        target,
        invitee,
        role,
        valid_from: None,
        valid_until: None,
        notify: true,
        link_secret_hash: Some(vec![
            b'i',
            secrets.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        ]),
    };
    let created = store
        .create_invite(
            &a.actor(),
            org,
            &invite(
                InviteTarget::Group(group.id),
                user("ivy@x.io"),
                Some(Role::GroupBasic),
            ),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(
        (created.invitee_type, created.target_name.as_str()),
        ("User", "Staff")
    );
    assert!(created.role_assignment_id.is_some());
    let link = created.link.expect("a personal link");
    assert_eq!(link.user_id, Some(created.invitee_id));
    let member = store.member_of_user(org, created.invitee_id).await.unwrap();
    assert_eq!(member.user_email, "ivy@x.io");
    assert!(!created.signs_in_with_password);

    // Links switched off: the invite still lands, without a link.
    let patch = MemberPatch {
        flags: FlagsPatch {
            link_enabled: Some(false),
            ..FlagsPatch::default()
        },
        ..MemberPatch::default()
    };
    store
        .update_member(&a.actor(), org, member.id, &patch, t0())
        .await
        .unwrap();
    let team_invite = store
        .create_invite(
            &a.actor(),
            org,
            &invite(InviteTarget::Team(team.id), user("ivy@x.io"), None),
            t0(),
        )
        .await
        .unwrap();
    assert!(team_invite.team_membership_id.is_some());
    assert!(team_invite.link.is_none());
    let second_group = group_in(store, &a, "Annex", None).await;
    let no_link = store
        .create_invite(
            &a.actor(),
            org,
            &invite(
                InviteTarget::Group(second_group.id),
                user("ivy@x.io"),
                Some(Role::GroupBasic),
            ),
            t0(),
        )
        .await
        .unwrap();
    assert!(no_link.link.is_none(), "link_enabled is off");

    // A guest gets a link of their own and no membership.
    let guest = store
        .create_invite(
            &a.actor(),
            org,
            &invite(
                InviteTarget::Group(group.id),
                Invitee::Guest {
                    name: "Courier".into(),
                    email: Some(Email::parse("courier@y.io").unwrap()),
                    phone_number: Some("+12125550100".into()),
                    link_enabled: true,
                    qr_code_enabled: false,
                },
                None,
            ),
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(guest.invitee_type, "Guest");
    assert_eq!(guest.link.as_ref().map(|l| l.id), Some(guest.invitee_id));
    assert!(store
        .member_by_email(org, &Email::parse("courier@y.io").unwrap())
        .await
        .unwrap()
        .is_none());

    // A failing step leaves nothing behind: the second grant on the same group.
    let before = store
        .member_by_email(org, &Email::parse("new@x.io").unwrap())
        .await
        .unwrap();
    assert!(before.is_none());
    let duplicate = store
        .create_invite(
            &a.actor(),
            org,
            &invite(
                InviteTarget::Group(group.id),
                user("ivy@x.io"),
                Some(Role::GroupBasic),
            ),
            t0(),
        )
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict { .. })));
    let missing_place = store
        .create_invite(
            &a.actor(),
            org,
            &invite(
                InviteTarget::Place(999_999),
                user("new@x.io"),
                Some(Role::PlaceManager),
            ),
            t0(),
        )
        .await;
    assert!(matches!(missing_place, Err(StoreError::Conflict { .. })));
    assert!(store
        .member_by_email(org, &Email::parse("new@x.io").unwrap())
        .await
        .unwrap()
        .is_none());
    let invites = store
        .list_events(
            org,
            &EventQuery {
                event_type: Some("invite.create".into()),
                page: Page::new(10, 0),
                ..EventQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(invites.total, 4);
}

pub async fn seed_builds_the_planned_organization(store: &dyn Store) {
    use gatehouse_domain::seed::SeedPlan;
    let a = organization(store, "seedco", Subscription::Organizations).await;
    let org = a.organization.id;
    let plan = SeedPlan {
        seed: 7,
        places: 2,
        locks: 10,
        groups: 4,
        members: 30,
        role_assignments: 45,
        cards: 10,
        events: 500,
        logins: 5,
        passwords: 3,
    };
    let hash = |secret: &str| format!("hashed {secret}").into_bytes();
    let progress = |_: &'static str, _: u64, _: u64| {};
    let locks = store
        .seed(org, &plan, "$argon2id$bench", hash, t0(), &progress)
        .await
        .unwrap();
    assert_eq!(locks.len(), 10);
    let members = store
        .list_members(
            org,
            &MemberQuery {
                page: Page::new(1, 0),
                ..MemberQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(members.total, 31, "thirty members and the owner");
    let events = unlock_events(store, org, 1).await;
    assert_eq!(events.total, 500);
    // A seeded login belongs to its member, who may open their door.
    let member = 4;
    let principal = store
        .authenticate(&hash(&plan.login_secret(member)), t0())
        .await
        .unwrap()
        .expect("the seeded login");
    assert_eq!(principal.login.user_email, plan.member_email(member));
    // Each member's last access is the last grant of their history.
    let seeded = store
        .member_of_user(org, principal.login.user_id)
        .await
        .unwrap();
    let last = plan.last_grants()[member as usize].map(|e| plan.past_event(e));
    assert_eq!(
        seeded.last_accessed_at,
        last.map(|event| t0() - chrono::Duration::seconds(event.seconds_ago))
    );
    assert!(last.is_some(), "500 events reach member {member}");
    // Members hold one or two basic roles in groups (45 among 30).
    assert_eq!(
        (seeded.member_type, seeded.shares_count),
        (MemberType::Basic, 2)
    );
    let other = store
        .list_members(
            org,
            &MemberQuery {
                email: Some(plan.member_email(20)),
                page: Page::new(1, 0),
                ..MemberQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(other.items[0].shares_count, 1);
    let door = locks[plan.door_of_member(member) as usize];
    let facts = store
        .access_facts(
            org,
            door,
            gatehouse_domain::AccessSubject::User(principal.login.user_id),
        )
        .await
        .unwrap();
    let decision = gatehouse_domain::access::decide(
        &facts,
        &gatehouse_domain::access::Credential::App {
            location: None,
            proximity_proof: false,
            primary_device: true,
        },
        t0(),
    );
    assert!(decision.denial().is_none(), "{decision:?}");
    let searched = store
        .list_members(
            org,
            &MemberQuery {
                query: Some("member000004".into()),
                page: Page::new(10, 0),
                ..MemberQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(searched.total, 1);
}

/// Many writers at once: every one lands (SQLite must not answer "database
/// is locked" to a transaction that read before writing).
pub async fn concurrent_writers_all_succeed(store: &dyn Store) {
    let a = organization(store, "busyco", Subscription::Organizations).await;
    let org = a.organization.id;
    let mut ids = Vec::new();
    for i in 0..24 {
        let member = store
            .create_member(
                &a.actor(),
                org,
                &new_member(&format!("busy{i}@x.io"), Subscription::Organizations),
                t0(),
            )
            .await
            .unwrap();
        ids.push(member.id);
    }
    // Each update reads the member before writing it.
    let patch = MemberPatch {
        flags: FlagsPatch {
            access_enabled: Some(false),
            ..FlagsPatch::default()
        },
        ..MemberPatch::default()
    };
    let writes = ids.iter().map(|id| {
        let actor = a.actor();
        let patch = patch.clone();
        async move { store.update_member(&actor, org, *id, &patch, t0()).await }
    });
    for result in futures_util::future::join_all(writes).await {
        result.expect("a concurrent write");
    }
    let suspended = store
        .list_members(
            org,
            &MemberQuery {
                page: Page::new(100, 0),
                ..MemberQuery::default()
            },
        )
        .await
        .unwrap()
        .items
        .iter()
        .filter(|m| !m.flags.access_enabled)
        .count();
    assert_eq!(suspended, 24);
}

/// The first `limit` unlock events of an organization, and their total.
async fn unlock_events(
    store: &dyn Store,
    org: i64,
    limit: i64,
) -> crate::Paged<gatehouse_domain::Event> {
    let query = EventQuery {
        event_type: Some("lock.unlock".into()),
        page: Page::new(limit, 0),
        ..EventQuery::default()
    };
    store.list_events(org, &query).await.unwrap()
}

/// A door's history is the same whether its events were indexed by object
/// yet or not: SQLite indexes them behind the writes, in a file of its own,
/// and `compact` catches that index up (PostgreSQL indexes them at once).
/// Pages cross from the indexed events to the newer ones.
pub async fn events_of_one_object_before_and_after_indexing(store: &dyn Store) {
    use gatehouse_domain::AccessRecord;
    let a = organization(store, "historyco", Subscription::Organizations).await;
    let org = a.organization.id;
    let hq = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let front = lock_in(store, &a, hq.id, "Front").await;
    let back = lock_in(store, &a, hq.id, "Back").await;
    let quiet = lock_in(store, &a, hq.id, "Quiet").await;
    let record = |door: &gatehouse_domain::Lock, success: bool| AccessRecord {
        lock_id: door.id,
        lock_name: door.name.clone(),
        place_id: door.place_id,
        user_id: Some(a.member.user_id),
        actor_name: Some("owner".into()),
        actor_email: None,
        authenticated_by: ("Login", 1),
        success,
        error_code: (!success).then_some("fcd8ef"),
        message: None,
        group_id: None,
    };
    // Front: 7 decisions, every third denied; back: 5, between them.
    let mut front_sequences = Vec::new();
    let decide = |door, success, minute: i64| {
        let decision = record(door, success);
        async move {
            store
                .record_access(org, &decision, t0() + Duration::minutes(minute))
                .await
        }
    };
    let history = |door: i64, success: Option<bool>, limit: i64, offset: i64| {
        let query = EventQuery {
            object_type: Some("Lock".into()),
            object_id: Some(door),
            event_type: Some("lock.unlock".into()),
            success,
            page: Page::new(limit, offset),
            ..EventQuery::default()
        };
        async move { store.list_events(org, &query).await.unwrap() }
    };
    let sequences = |page: &crate::Paged<gatehouse_domain::Event>| -> Vec<i64> {
        page.items.iter().map(|e| e.sequence).collect()
    };
    let mut minute = 0;
    for round in 0..7 {
        decide(&front, round % 3 != 2, minute).await.unwrap();
        minute += 1;
        if round < 5 {
            decide(&back, true, minute).await.unwrap();
            minute += 1;
        }
    }
    let before = history(front.id, None, 100, 0).await;
    assert_eq!(before.total, 7);
    front_sequences.extend(sequences(&before));
    assert!(
        front_sequences.windows(2).all(|w| w[0] > w[1]),
        "newest first: {front_sequences:?}"
    );
    assert!(before.items.iter().all(|e| e.object_id == front.id));

    store.compact().await.unwrap();
    // Four more at the front after the index caught up, one of them denied.
    for round in 0..4 {
        decide(&front, round != 1, minute).await.unwrap();
        minute += 1;
        decide(&back, true, minute).await.unwrap();
        minute += 1;
    }
    let all = history(front.id, None, 100, 0).await;
    assert_eq!(all.total, 11);
    let newest = sequences(&all);
    assert_eq!(
        &newest[4..],
        &front_sequences[..],
        "the older ones follow the newer"
    );
    assert!(
        newest.windows(2).all(|w| w[0] > w[1]),
        "newest first: {newest:?}"
    );
    // Pages of 3 across the boundary give the same list, with the total.
    let mut paged = Vec::new();
    for offset in (0..11).step_by(3) {
        let page = history(front.id, None, 3, offset).await;
        assert_eq!(page.total, 11, "the total at offset {offset}");
        paged.extend(sequences(&page));
    }
    assert_eq!(paged, newest);
    // With another filter: the denials, two before and one after.
    let denied = history(front.id, Some(false), 100, 0).await;
    assert_eq!(denied.total, 3);
    assert!(denied
        .items
        .iter()
        .all(|e| !e.success && e.object_id == front.id));
    assert_eq!(history(back.id, None, 100, 0).await.total, 9);
    let none = history(quiet.id, None, 100, 0).await;
    assert_eq!((none.total, none.items.len()), (0, 0));
    // Another organization's door of the same number shows nothing here.
    let other = organization(store, "otherhistoryco", Subscription::Organizations).await;
    let listed = store
        .list_events(
            other.organization.id,
            &EventQuery {
                object_type: Some("Lock".into()),
                object_id: Some(front.id),
                page: Page::new(100, 0),
                ..EventQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 0);
}

/// A row of a user import that adds a basic member of no group.
pub fn import_row(email: &str, name: Option<&str>) -> ImportRow {
    ImportRow {
        email: Email::parse(email).expect("an e-mail"),
        name: name.map(str::to_owned),
        image: None,
        password_flow: None,
        group_role: Role::GroupBasic,
        group_ids: vec![],
        card_tokens: vec![],
    }
}

/// The first 50 members a text search finds, and its total.
async fn search_members(
    store: &dyn Store,
    org: i64,
    text: &str,
) -> (i64, Vec<gatehouse_domain::Member>) {
    let query = MemberQuery {
        query: Some(text.into()),
        page: Page::new(50, 0),
        ..MemberQuery::default()
    };
    let page = store.list_members(org, &query).await.unwrap();
    (page.total, page.items)
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut items: Vec<String> = items.collect();
    items.sort();
    items
}

/// Member search is a case-insensitive substring match on name, e-mail and
/// notes, whatever index serves it: short and long texts, wildcards taken
/// literally, and renamed or removed members.
pub async fn member_search_by_substring(store: &dyn Store) {
    let a = organization(store, "searchco", Subscription::Organizations).await;
    let org = a.organization.id;
    let mut ids = Vec::new();
    for (email, name) in [
        ("ada@x.io", "Ada Ünal"),
        ("bob@x.io", "Bob 100%_Club"),
        ("carla@y.io", "Carla Ünalan"),
    ] {
        let member = store
            .create_member(
                &a.actor(),
                org,
                &NewMember {
                    name: Some(name.into()),
                    ..new_member(email, Subscription::Organizations)
                },
                t0(),
            )
            .await
            .unwrap();
        ids.push(member.id);
    }
    let found = |text: &'static str| async move {
        let (total, members) = search_members(store, org, text).await;
        (total, sorted(members.into_iter().map(|m| m.name)))
    };
    assert_eq!(found("ÜNAL").await.0, 2, "case-insensitive, beyond ASCII");
    for (offset, on_page) in [(1, 1), (5, 0)] {
        let page = store
            .list_members(
                org,
                &MemberQuery {
                    query: Some("ünal".into()),
                    page: Page::new(1, offset),
                    ..MemberQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (page.items.len(), page.total),
            (on_page, 2),
            "the total of a search, on a page and past the end"
        );
    }
    assert_eq!(found("ünala").await.1, ["Carla Ünalan"]);
    assert_eq!(found("@y.io").await.1, ["Carla Ünalan"], "e-mails too");
    assert_eq!(found("a").await.0, 3, "a single character");
    assert_eq!(
        found("%_").await.1,
        ["Bob 100%_Club"],
        "wildcards are literal"
    );
    assert_eq!(
        found("0%_c").await.1,
        ["Bob 100%_Club"],
        "wildcards are literal in longer texts too"
    );
    assert_eq!(found("zzz").await.0, 0);
    assert_eq!(found("\"ada OR *").await.0, 0, "search syntax is only text");
    let rename = MemberPatch {
        name: Some("Ada Lovelace".into()),
        ..MemberPatch::default()
    };
    store
        .update_member(&a.actor(), org, ids[0], &rename, t0())
        .await
        .unwrap();
    assert_eq!(found("lovelace").await.0, 1, "a rename is searchable");
    assert_eq!(
        found("ünal").await.1,
        ["Carla Ünalan"],
        "and the old name is gone"
    );
    store
        .delete_member(&a.actor(), org, ids[2], t0())
        .await
        .unwrap();
    assert_eq!(found("ünal").await.0, 0, "a removed member is not found");
}

/// A search whose text is mostly what every member shares (here the e-mail
/// domain) looks up only its uncommon part in the index, then checks the
/// whole text: the answer is still exactly the substring match. The first
/// search comes after the members, so the sample it takes sees them.
pub async fn member_search_past_common_trigrams(store: &dyn Store) {
    let a = organization(store, "commonco", Subscription::Organizations).await;
    let org = a.organization.id;
    let rows: Vec<ImportRow> = (0..300)
        .map(|n| format!("staff{n:03}@corp.example"))
        .chain(
            [
                "zed@corp.example",
                "zed@corp.elsewhere",
                "zed.corp@example.org",
            ]
            .map(String::from),
        )
        .map(|email| import_row(&email, None))
        .collect();
    let imported = store
        .import_users(&a.actor(), org, &rows, t0())
        .await
        .unwrap();
    assert!(imported.iter().all(Result::is_ok));
    let found = |text: &'static str| async move {
        let (total, members) = search_members(store, org, text).await;
        (total, sorted(members.into_iter().map(|m| m.user_email)))
    };
    assert_eq!(
        found("zed@corp.example").await,
        (1, vec!["zed@corp.example".to_owned()]),
        "not zed@corp.elsewhere, which holds the uncommon part"
    );
    assert_eq!(
        found("ZED@CORP.").await.1,
        ["zed@corp.elsewhere", "zed@corp.example"]
    );
    assert_eq!(found("staff12").await.0, 10);
    assert_eq!(
        found("ff299@corp.example").await.1,
        ["staff299@corp.example"]
    );
    assert_eq!(found("@corp.example").await.0, 301, "only common trigrams");
    assert_eq!(found("e.org").await.1, ["zed.corp@example.org"]);
}

/// An organization with one door in its HQ, held by the group "Staff", and
/// a member who is not in the group yet.
struct OneDoor {
    owner: Principal,
    org: i64,
    door: gatehouse_domain::Lock,
    group: gatehouse_domain::Group,
    member: gatehouse_domain::Member,
}

async fn one_door(store: &dyn Store, domain: &str, email: &str) -> OneDoor {
    let owner = organization(store, domain, Subscription::Organizations).await;
    let org = owner.organization.id;
    let hq = store
        .create_place(&owner.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let door = lock_in(store, &owner, hq.id, "Door").await;
    let group = group_in(store, &owner, "Staff", Some(hq.id)).await;
    store
        .create_group_lock(&owner.actor(), org, group.id, door.id, t0())
        .await
        .unwrap();
    let member = store
        .create_member(
            &owner.actor(),
            org,
            &new_member(email, Subscription::Organizations),
            t0(),
        )
        .await
        .unwrap();
    OneDoor {
        owner,
        org,
        door,
        group,
        member,
    }
}

/// The app credential of an unlock from a phone, without location.
fn app() -> gatehouse_domain::access::Credential {
    gatehouse_domain::access::Credential::App {
        location: None,
        proximity_proof: false,
        primary_device: false,
    }
}

/// A request's cached reads share the generation reading taken after it
/// arrived (`crate::freshness`): a change made by another request meanwhile
/// is left to the next request, but the request's own write is seen at once.
pub async fn a_request_reads_once_and_sees_its_own_writes(store: &dyn Store) {
    use crate::freshness::request;
    use gatehouse_domain::access::{decide, Decision, Denial};
    use gatehouse_domain::AccessSubject;
    let OneDoor {
        owner,
        org,
        door,
        group,
        member: m,
    } = one_door(store, "fresh", "fresh@x.io").await;
    store
        .create_role_assignment(
            &owner.actor(),
            org,
            &grant(Role::GroupBasic, group.scope(), m.user_id),
            t0(),
        )
        .await
        .unwrap();
    let app = app();
    let decision = || async {
        let facts = store
            .access_facts(org, door.id, AccessSubject::User(m.user_id))
            .await
            .unwrap();
        decide(&facts, &app, t0())
    };
    request(async {
        assert!(decision().await.is_granted());
        // Another request suspends the member while this one runs.
        request(store.update_member(&owner.actor(), org, m.id, &access_enabled(false), t0()))
            .await
            .unwrap();
        assert!(
            decision().await.is_granted(),
            "one reading serves the request that arrived before the change"
        );
    })
    .await;
    request(async {
        assert_eq!(decision().await, Decision::Denied(Denial::AccessDisabled));
        store
            .update_member(&owner.actor(), org, m.id, &access_enabled(true), t0())
            .await
            .unwrap();
        assert!(
            decision().await.is_granted(),
            "a request sees its own write"
        );
    })
    .await;
}

/// A patch that turns a member's access on or off.
fn access_enabled(enabled: bool) -> MemberPatch {
    MemberPatch {
        flags: FlagsPatch {
            access_enabled: Some(enabled),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Two stores on one database, as two gatehouse nodes: whatever one has
/// cached, a change committed through the other is seen by its very next
/// read; recording use (sign-ins, unlocks) leaves the caches alone.
pub async fn two_nodes_see_each_others_changes(a: &dyn Store, b: &dyn Store) {
    use gatehouse_domain::access::{decide, Decision, Denial};
    use gatehouse_domain::{AccessRecord, AccessSubject};
    let OneDoor {
        owner,
        org,
        door,
        group,
        member: m,
    } = one_door(a, "twonodes", "emp@x.io").await;
    let assignment = a
        .create_role_assignment(
            &owner.actor(),
            org,
            &grant(Role::GroupBasic, group.scope(), m.user_id),
            t0(),
        )
        .await
        .unwrap();
    let login = a
        .create_login(
            &owner.actor(),
            &new_login(m.user_id, org, LoginType::Device, b"emp-device"),
            t0(),
        )
        .await
        .unwrap();
    let app = app();
    let subject = AccessSubject::User(m.user_id);
    // Both nodes load (and keep) the principal and the facts.
    for node in [a, b] {
        for _ in 0..2 {
            let principal = node.authenticate(b"emp-device", t0()).await.unwrap();
            assert_eq!(principal.unwrap().member.id, m.id);
            let facts = node.access_facts(org, door.id, subject).await.unwrap();
            assert!(decide(&facts, &app, t0()).is_granted());
        }
    }
    // Use recorded on one node is not a change the other must reload for,
    // but it is visible to plain reads at once.
    a.record_access(
        org,
        &AccessRecord {
            lock_id: door.id,
            lock_name: door.name.clone(),
            place_id: door.place_id,
            user_id: Some(m.user_id),
            actor_name: Some("emp".into()),
            actor_email: Some("emp@x.io".into()),
            authenticated_by: ("Login", login.id),
            success: true,
            error_code: None,
            message: None,
            group_id: Some(group.id),
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(
        b.member(org, m.id).await.unwrap().last_accessed_at,
        Some(t0())
    );

    // Suspended through A: B refuses on its next decision.
    a.update_member(&owner.actor(), org, m.id, &access_enabled(false), t0())
        .await
        .unwrap();
    let facts = b.access_facts(org, door.id, subject).await.unwrap();
    assert_eq!(
        decide(&facts, &app, t0()),
        Decision::Denied(Denial::AccessDisabled)
    );
    let principal = b.authenticate(b"emp-device", t0()).await.unwrap().unwrap();
    assert!(
        !principal.member.flags.access_enabled,
        "the caller is reloaded too"
    );

    // Restored through B, the grant revoked through B: A sees both.
    b.update_member(&owner.actor(), org, m.id, &access_enabled(true), t0())
        .await
        .unwrap();
    let facts = a.access_facts(org, door.id, subject).await.unwrap();
    assert!(decide(&facts, &app, t0()).is_granted());
    b.delete_role_assignment(&owner.actor(), org, assignment.id, t0())
        .await
        .unwrap();
    let facts = a.access_facts(org, door.id, subject).await.unwrap();
    assert_eq!(
        decide(&facts, &app, t0()),
        Decision::Denied(Denial::NoAccess)
    );

    // A lockdown through A stops B's next decision.
    a.create_role_assignment(
        &owner.actor(),
        org,
        &grant(Role::GroupBasic, group.scope(), m.user_id),
        t0(),
    )
    .await
    .unwrap();
    assert!(decide(
        &b.access_facts(org, door.id, subject).await.unwrap(),
        &app,
        t0()
    )
    .is_granted());
    a.set_lock_lockdown(&owner.actor(), org, door.id, true, t0())
        .await
        .unwrap();
    let facts = b.access_facts(org, door.id, subject).await.unwrap();
    assert!(!decide(&facts, &app, t0()).is_granted());

    // Signed out through B: A no longer knows the secret.
    b.delete_login(&owner.actor(), org, m.user_id, login.id, t0())
        .await
        .unwrap();
    assert!(a.authenticate(b"emp-device", t0()).await.unwrap().is_none());
}

/// Decisions and credential uses made at the same moment are written
/// together (one batch); each lands, and each member's last access is the
/// latest of theirs, whatever the order within the batch.
pub async fn decisions_at_once_all_land(store: &dyn Store) {
    use gatehouse_domain::AccessRecord;
    let a = organization(store, "batchco", Subscription::Organizations).await;
    let org = a.organization.id;
    let hq = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let door = lock_in(store, &a, hq.id, "Door").await;
    let mut members = Vec::new();
    for i in 0..10 {
        let member = store
            .create_member(
                &a.actor(),
                org,
                &new_member(&format!("m{i}@batch.io"), Subscription::Organizations),
                t0(),
            )
            .await
            .unwrap();
        let login = store
            .create_login(
                &a.actor(),
                &new_login(
                    member.user_id,
                    org,
                    LoginType::Device,
                    format!("b{i}").as_bytes(),
                ),
                t0(),
            )
            .await
            .unwrap();
        members.push((member, login));
    }
    let record = |user_id: i64, success: bool| AccessRecord {
        lock_id: door.id,
        lock_name: door.name.clone(),
        place_id: door.place_id,
        user_id: Some(user_id),
        actor_name: Some("m".into()),
        actor_email: Some("m@batch.io".into()),
        authenticated_by: ("Login", 1),
        success,
        error_code: (!success).then_some("fcd8ef"),
        message: None,
        group_id: None,
    };
    let later = t0() + Duration::minutes(5);
    let mut decisions = Vec::new();
    for (member, _) in &members {
        // The later grant first, then the earlier one, then a denial.
        decisions.push((record(member.user_id, true), later));
        decisions.push((record(member.user_id, true), t0()));
        decisions.push((record(member.user_id, false), later + Duration::minutes(1)));
    }
    let writes = decisions
        .iter()
        .map(|(record, at)| store.record_access(org, record, *at));
    let secrets: Vec<Vec<u8>> = (0..members.len())
        .map(|i| format!("b{i}").into_bytes())
        .collect();
    let uses = secrets
        .iter()
        .map(|secret| store.authenticate(secret, later));
    let (written, used) = futures_util::future::join(
        futures_util::future::join_all(writes),
        futures_util::future::join_all(uses),
    )
    .await;
    for result in written {
        result.expect("a decision written in a batch");
    }
    for principal in used {
        assert!(principal.unwrap().is_some());
    }
    for (member, login) in &members {
        assert_eq!(
            store.member(org, member.id).await.unwrap().last_accessed_at,
            Some(later),
            "the latest grant, not the last written"
        );
        assert_eq!(
            store
                .login(org, member.user_id, login.id)
                .await
                .unwrap()
                .last_used_at,
            Some(later)
        );
    }
    let events = unlock_events(store, org, 100).await;
    assert_eq!(events.total, 30);
    assert_eq!(events.items.iter().filter(|e| !e.success).count(), 10);
    assert!(events.items.iter().all(|e| e.object_name == "Door"));
}

/// A decision that cannot be written (here: of an organization that does
/// not exist) shares a batch with good ones: it fails, they land, and the
/// writer goes on writing afterwards.
pub async fn a_decision_that_cannot_be_written_fails_alone(store: &dyn Store) {
    use gatehouse_domain::AccessRecord;
    let a = organization(store, "failco", Subscription::Organizations).await;
    let org = a.organization.id;
    let hq = store
        .create_place(&a.actor(), org, &place_fields("HQ"), t0())
        .await
        .unwrap();
    let door = lock_in(store, &a, hq.id, "Door").await;
    let record = AccessRecord {
        lock_id: door.id,
        lock_name: door.name.clone(),
        place_id: door.place_id,
        user_id: None,
        actor_name: Some("link".into()),
        actor_email: None,
        authenticated_by: ("GroupLink", 1),
        success: true,
        error_code: None,
        message: None,
        group_id: None,
    };
    let missing = org + 1_000_000;
    let writes = (0..9).map(|i| {
        let organization = if i == 4 { missing } else { org };
        store.record_access(organization, &record, t0())
    });
    let results = futures_util::future::join_all(writes).await;
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result.is_err(), i == 4, "write {i}: {result:?}");
    }
    store
        .record_access(org, &record, t0() + Duration::minutes(1))
        .await
        .expect("the writer goes on");
    let events = unlock_events(store, org, 100).await;
    assert_eq!(events.total, 9, "eight of the batch and the one after");
}

/// Member search on one node finds at once what another wrote: a new member,
/// a renamed one (by the new name, not the old), a deleted one no longer,
/// in its own organization only; before the node reads the texts in and
/// after, and after a burst of writes that makes it read them whole (each
/// node keeps every member's text in memory, see the SQL store).
pub async fn two_nodes_search_each_others_members(a: &dyn Store, b: &dyn Store) {
    let owner = organization(b, "searchnodes", Subscription::Organizations).await;
    let other = organization(b, "searchother", Subscription::Organizations).await;
    let org = owner.organization.id;
    let names = |node: &'static str, query: &'static str| {
        let store = if node == "a" { a } else { b };
        async move {
            let (_, members) = search_members(store, org, query).await;
            sorted(members.into_iter().map(|m| m.name))
        }
    };
    // Node a reads the texts in: two members so far, the owners.
    assert_eq!(names("a", "olivia owner").await, ["Olivia Owner"]);
    let add = |principal: Principal, email: &'static str, name: &'static str| async move {
        b.create_member(
            &principal.actor(),
            principal.organization.id,
            &NewMember {
                name: Some(name.into()),
                ..new_member(email, Subscription::Organizations)
            },
            t0(),
        )
        .await
        .unwrap()
    };
    let zed = add(owner.clone(), "zed@searchnodes.example", "Zed Quarry").await;
    add(other.clone(), "zed@searchother.example", "Zed Quarry").await;
    assert_eq!(names("a", "ZED QUA").await, ["Zed Quarry"], "written since");
    b.update_member(
        &owner.actor(),
        org,
        zed.id,
        &MemberPatch {
            name: Some("Yves Quarry".into()),
            ..Default::default()
        },
        t0(),
    )
    .await
    .unwrap();
    assert!(names("a", "zed qua").await.is_empty(), "the old name");
    assert_eq!(names("a", "yves qua").await, ["Yves Quarry"]);
    // Past the reading-in period (half a second): node a now has these
    // texts in memory, and its searches go by them.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(names("a", "yves qua").await, ["Yves Quarry"]);
    assert_eq!(names("a", "quarry").await, ["Yves Quarry"]);
    b.delete_member(&owner.actor(), org, zed.id, t0())
        .await
        .unwrap();
    assert!(names("a", "yves qua").await.is_empty(), "deleted");
    add(owner.clone(), "zoe@searchnodes.example", "Zoë Quarry").await;
    assert_eq!(names("a", "quarry").await, ["Zoë Quarry"]);
    assert_eq!(names("b", "quarry").await, ["Zoë Quarry"]);
    // A burst of writes larger than a node puts in place (5,000 texts):
    // node a reads its texts whole instead, and still finds them all.
    let rows: Vec<ImportRow> = (0..5_001)
        .map(|n| {
            import_row(
                &format!("burst{n:04}@searchnodes.example"),
                Some(&format!("Burst Quarry {n:04}")),
            )
        })
        .collect();
    let imported = b
        .import_users(&owner.actor(), org, &rows, t0())
        .await
        .unwrap();
    assert!(imported.iter().all(|row| row.is_ok()));
    assert_eq!(names("a", "quarry 4999").await, ["Burst Quarry 4999"]);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(names("a", "quarry 5000").await, ["Burst Quarry 5000"]);
    assert_eq!(names("a", "burst0000@").await, ["Burst Quarry 0000"]);
    assert_eq!(names("a", "zoë").await, ["Zoë Quarry"]);
    assert_eq!(
        names("a", "olivia owner").await,
        ["Olivia Owner"],
        "read before"
    );
}
