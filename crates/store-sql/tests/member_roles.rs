//! What a member's roles make them is kept on the member's row by the
//! database (migration 0013): after every kind of change to roles, teams
//! and memberships, each member's columns equal `member_roles`, the view
//! that computes them afresh, and the members the store reads carry the
//! type and group count their roles give, on both backends, concurrent
//! writers included.

use std::sync::Arc;

use gatehouse_domain::seed::SeedPlan;
use gatehouse_domain::{
    Assignee, Email, GroupFields, Member, MemberFlags, MemberType, NewMember, NewRoleAssignment,
    PlaceFields, Principal, Role, RoleAssignmentPatch, Scope, Subscription,
};
use gatehouse_store::testkit::{organization, t0};
use gatehouse_store::Store;
use gatehouse_store_sql::test_support::TestDatabase;

/// Members whose kept columns differ from what their roles give now.
const STALE: &str = "SELECT COUNT(*) FROM members m JOIN member_roles r ON r.member_id = m.id \
    WHERE m.shares_count <> r.shares_count OR m.direct_rank <> r.direct_rank OR m.team_rank <> r.team_rank";

fn new_member(email: &str) -> NewMember {
    NewMember {
        email: Email::parse(email).expect("an e-mail"),
        name: None,
        image: None,
        notes: None,
        metadata: "{}".into(),
        flags: MemberFlags::defaults(Subscription::Organizations),
    }
}

fn role_patch(role: Role) -> RoleAssignmentPatch {
    RoleAssignmentPatch {
        role: Some(role),
        ..Default::default()
    }
}

fn assignment(role: Role, scope: Scope, assignee: Assignee) -> NewRoleAssignment {
    NewRoleAssignment {
        role,
        scope,
        assignee,
        notify: false,
        valid_from: None,
        valid_until: None,
    }
}

struct Org {
    store: Arc<dyn Store>,
    owner: Principal,
}

impl Org {
    fn id(&self) -> i64 {
        self.owner.organization.id
    }

    async fn member(&self, email: &str) -> Member {
        self.store
            .create_member(&self.owner.actor(), self.id(), &new_member(email), t0())
            .await
            .expect("create a member")
    }

    async fn group(&self, name: &str, place_id: Option<i64>) -> Scope {
        let fields = GroupFields {
            name: Some(name.into()),
            place_id,
            ..Default::default()
        };
        self.store
            .create_group(&self.owner.actor(), self.id(), &fields, t0())
            .await
            .expect("create a group")
            .scope()
    }

    async fn assign(&self, role: Role, scope: Scope, assignee: Assignee) -> i64 {
        self.store
            .create_role_assignment(
                &self.owner.actor(),
                self.id(),
                &assignment(role, scope, assignee),
                t0(),
            )
            .await
            .expect("assign a role")
            .id
    }

    /// The member's type and group count as the store reads them.
    async fn held(&self, member: &Member) -> (MemberType, i64) {
        let read = self
            .store
            .member(self.id(), member.id)
            .await
            .expect("read the member");
        (read.member_type, read.shares_count)
    }
}

fn group_id(scope: Scope) -> i64 {
    match scope {
        Scope::Group { id, .. } => id,
        other => panic!("not a group: {other:?}"),
    }
}

async fn kept_through_every_change(database: TestDatabase) {
    let store = gatehouse_store_sql::open(&database.url)
        .await
        .expect("open the store");
    let owner = organization(&*store, "memberroles", Subscription::Organizations).await;
    let org = Org { store, owner };
    let (actor, o) = (org.owner.actor(), org.id());
    let stale = || database.scalar(STALE);

    let place = org
        .store
        .create_place(
            &actor,
            o,
            &PlaceFields {
                name: Some("HQ".into()),
                address: Some("HQ Street 1".into()),
                ..Default::default()
            },
            t0(),
        )
        .await
        .expect("create a place")
        .id;
    let lab = org.group("Lab", Some(place)).await;
    let shop = org.group("Shop", None).await;
    let ana = org.member("ana@roles.example").await;
    let ben = org.member("ben@roles.example").await;
    let cy = org.member("cy@roles.example").await;
    assert_eq!(org.held(&ana).await, (MemberType::Basic, 0));

    // Roles held directly: a group role counts, the highest rank wins.
    org.assign(Role::GroupBasic, lab, Assignee::User(ana.user_id))
        .await;
    org.assign(Role::GroupBasic, shop, Assignee::User(ana.user_id))
        .await;
    assert_eq!(org.held(&ana).await, (MemberType::Basic, 2));
    let at_place = org
        .assign(
            Role::PlaceAdministrator,
            Scope::Place(place),
            Assignee::User(ana.user_id),
        )
        .await;
    assert_eq!(org.held(&ana).await, (MemberType::Administrator, 2));
    assert_eq!(stale().await, 0);

    org.store
        .update_role_assignment(&actor, o, at_place, &role_patch(Role::PlaceManager), t0())
        .await
        .expect("change the role");
    assert_eq!(org.held(&ana).await, (MemberType::Manager, 2));
    assert_eq!(stale().await, 0);

    // Roles held through a team reach whoever is in it, before or after.
    let team = org
        .store
        .create_team(&actor, o, "Crew", t0())
        .await
        .expect("create a team")
        .id;
    let ben_in = org
        .store
        .create_team_membership(&actor, o, team, ben.user_id, t0())
        .await
        .expect("join the team")
        .id;
    let to_team = org
        .assign(Role::GroupManager, lab, Assignee::Team(team))
        .await;
    org.store
        .create_team_membership(&actor, o, team, cy.user_id, t0())
        .await
        .expect("join the team");
    assert_eq!(org.held(&ben).await, (MemberType::Manager, 0));
    assert_eq!(org.held(&cy).await, (MemberType::Manager, 0));
    assert_eq!(stale().await, 0);

    org.store
        .update_role_assignment(&actor, o, to_team, &role_patch(Role::GroupBasic), t0())
        .await
        .expect("change the team's role");
    assert_eq!(org.held(&cy).await, (MemberType::Basic, 0));
    org.store
        .update_role_assignment(&actor, o, to_team, &role_patch(Role::GroupManager), t0())
        .await
        .expect("change the team's role back");
    assert_eq!(org.held(&cy).await, (MemberType::Manager, 0));

    org.store
        .delete_team_membership(&actor, o, ben_in, t0())
        .await
        .expect("leave the team");
    assert_eq!(org.held(&ben).await, (MemberType::Basic, 0));
    assert_eq!(org.held(&cy).await, (MemberType::Manager, 0));
    assert_eq!(stale().await, 0);

    // Deleting a group takes its roles; deleting a team, its members' ranks.
    org.store
        .delete_group(&actor, o, group_id(shop), t0())
        .await
        .expect("delete a group");
    assert_eq!(org.held(&ana).await, (MemberType::Manager, 1));
    org.store
        .delete_team(&actor, o, team, t0())
        .await
        .expect("delete the team");
    assert_eq!(org.held(&cy).await, (MemberType::Basic, 0));
    org.store
        .delete_role_assignment(&actor, o, at_place, t0())
        .await
        .expect("remove a role");
    assert_eq!(org.held(&ana).await, (MemberType::Basic, 1));
    assert_eq!(stale().await, 0);

    // A member whose user already holds a role when they join: written
    // behind the store, as no API call gives a role to a non-member.
    org.store
        .delete_member(&actor, o, ana.id, t0())
        .await
        .expect("remove the member");
    database
        .scalar(&format!(
            "INSERT INTO role_assignments (organization_id, role_id, applies_to_type, applies_to_id, \
             place_id, assignee_type, assignee_id, created_at, updated_at) \
             SELECT {o}, 'group_manager', 'Group', {}, {place}, 'User', {}, created_at, created_at \
             FROM organizations WHERE id = {o} RETURNING id",
            group_id(lab),
            ana.user_id
        ))
        .await;
    let ana = org.member("ana@roles.example").await;
    assert_eq!(org.held(&ana).await, (MemberType::Manager, 1));
    assert_eq!(stale().await, 0);
    assert!(
        database.scalar("SELECT COUNT(*) FROM members").await >= 4,
        "the check saw the members"
    );

    drop(org);
    database.remove().await;
}

/// Members join a team while the team is given a role, all at once: each
/// member ends up with the role's rank, whichever transaction committed
/// first. Several rounds, each with a new team, widen the chance of every
/// interleaving.
async fn kept_under_concurrent_writers(database: TestDatabase) {
    let store = gatehouse_store_sql::open(&database.url)
        .await
        .expect("open the store");
    let owner = organization(&*store, "rolerace", Subscription::Organizations).await;
    let org = Arc::new(Org { store, owner });
    let group = org.group("Lab", None).await;
    let mut members = Vec::new();
    for round in 0..4 {
        let team = org
            .store
            .create_team(&org.owner.actor(), org.id(), &format!("Crew {round}"), t0())
            .await
            .expect("create a team")
            .id;
        let mut joining = Vec::new();
        for i in 0..16 {
            joining.push(org.member(&format!("m{round}-{i}@race.example")).await);
        }
        let mut writers = tokio::task::JoinSet::new();
        for (i, member) in joining.iter().enumerate() {
            if i == 8 {
                let org = org.clone();
                writers.spawn(async move {
                    org.assign(Role::GroupManager, group, Assignee::Team(team))
                        .await;
                });
            }
            let (org, user) = (org.clone(), member.user_id);
            writers.spawn(async move {
                org.store
                    .create_team_membership(&org.owner.actor(), org.id(), team, user, t0())
                    .await
                    .expect("join the team");
            });
        }
        while let Some(done) = writers.join_next().await {
            done.expect("a writer");
        }
        members.extend(joining);
    }
    for member in &members {
        assert_eq!(
            org.held(member).await,
            (MemberType::Manager, 0),
            "{}",
            member.user_email
        );
    }
    assert_eq!(database.scalar(STALE).await, 0);
    drop(org);
    database.remove().await;
}

/// The seed writes members with what their roles make them instead of
/// leaving it to the triggers; what it writes must be what they would.
async fn kept_by_the_seed(database: TestDatabase) {
    let store = gatehouse_store_sql::open(&database.url)
        .await
        .expect("open the store");
    let owner = organization(&*store, "seedroles", Subscription::Organizations).await;
    let plan = SeedPlan {
        members: 40,
        role_assignments: 70,
        groups: 6,
        places: 2,
        locks: 12,
        cards: 5,
        events: 100,
        logins: 2,
        passwords: 1,
        ..SeedPlan::default()
    };
    store
        .seed(
            owner.organization.id,
            &plan,
            "$argon2id$test",
            |secret| secret.as_bytes().to_vec(),
            t0(),
            &|_, _, _| {},
        )
        .await
        .expect("seed");
    assert_eq!(database.scalar(STALE).await, 0);
    assert_eq!(
        database
            .scalar("SELECT COUNT(*) FROM members WHERE shares_count = 2 AND direct_rank = 1")
            .await,
        30
    );
    drop(store);
    database.remove().await;
}

#[tokio::test]
async fn sqlite() {
    kept_through_every_change(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn postgres() {
    if let Some(database) = TestDatabase::postgres().await {
        kept_through_every_change(database).await;
    }
}

#[tokio::test]
async fn sqlite_seeded() {
    kept_by_the_seed(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn postgres_seeded() {
    if let Some(database) = TestDatabase::postgres().await {
        kept_by_the_seed(database).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent() {
    kept_under_concurrent_writers(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent() {
    if let Some(database) = TestDatabase::postgres().await {
        kept_under_concurrent_writers(database).await;
    }
}
