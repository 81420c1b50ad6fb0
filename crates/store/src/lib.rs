//! The storage contract of gatehouse.
//!
//! [`Store`] has one method per use case, and each method is one
//! transaction inside the backend: a multi-step write either happens whole,
//! with its audit event, or not at all. Backends live in `gatehouse-store-sql`;
//! the `testkit` feature exports the conformance suite every backend passes.

mod error;
pub mod freshness;
mod query;
#[cfg(feature = "testkit")]
pub mod testkit;

use async_trait::async_trait;
use gatehouse_domain::access::AccessFacts;
use gatehouse_domain::seed::SeedPlan;
use gatehouse_domain::{
    AccessRecord, AccessSubject, GroupLock, Lock, LockFields, NewSchedule, SchedulePatch,
    ScheduleRecord,
};
use gatehouse_domain::{
    Actor, Bootstrap, Bootstrapped, Email, Event, Login, Member, NewLogin, Organization,
    OrganizationPatch, Place, PlaceFields, Principal, SignInCandidate, Timestamp, User, UserChange,
};
use gatehouse_domain::{
    Authority, Group, GroupFields, Invite, MemberPatch, NewEvent, NewInvite, NewMember,
    NewRoleAssignment, NewUserToken, PurgeReport, RoleAssignment, RoleAssignmentPatch, Team,
    TeamMembership, ThrottlePolicy,
};
use gatehouse_domain::{
    Card, CardAssignment, CardIdentity, GroupLink, NewCard, NewCardAssignment, NewGroupLink,
    PresentedCard, Reader,
};

pub use error::{StoreError, StoreResult};
pub use query::{
    CardAssignmentQuery, CardQuery, GroupLinkQuery, GroupLockQuery, LockQuery, LockSort,
    ScheduleQuery,
};
pub use query::{
    EventQuery, GroupQuery, MemberQuery, MemberSort, NameSort, Page, Paged, PlaceQuery, PlaceSort,
    RoleAssignmentQuery, TeamMembershipQuery, TeamQuery, Visibility,
};

/// A background job in progress on this node (see `keep_job_alive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunningJob {
    /// A member export and the rows written so far.
    Export { id: i64, rows: i64 },
    /// A CSV user import.
    Import { id: i64 },
}

/// Reports a seed's progress: the table, rows written, rows in all.
pub type SeedProgress<'a> = dyn Fn(&'static str, u64, u64) + Send + Sync + 'a;

/// The whole persistence surface of gatehouse. Object-safe, so the server
/// holds an `Arc<dyn Store>` chosen at start-up from the database URL.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for logs and for tests that must prove which
    /// backend they ran against.
    fn backend(&self) -> &'static str;

    /// Liveness of the database connection.
    async fn ping(&self) -> StoreResult<()>;

    // Organizations.

    async fn organizations_count(&self) -> StoreResult<i64>;
    /// Creates an organization, its owner's user profile (or links an
    /// existing one) and the owner's membership. `Conflict("domain")` if the
    /// domain is taken.
    async fn bootstrap(&self, request: &Bootstrap, now: Timestamp) -> StoreResult<Bootstrapped>;
    async fn organization(&self, id: i64) -> StoreResult<Organization>;
    async fn organization_by_domain(&self, domain: &str) -> StoreResult<Organization>;
    async fn update_organization(
        &self,
        actor: &Actor,
        id: i64,
        patch: &OrganizationPatch,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Sign-in and logins.

    /// The member of the organization with `domain` whose user has `email`.
    async fn sign_in_candidate(
        &self,
        domain: &str,
        email: &Email,
    ) -> StoreResult<Option<SignInCandidate>>;
    async fn member_by_email(
        &self,
        organization_id: i64,
        email: &Email,
    ) -> StoreResult<Option<Member>>;
    /// Stores a login, enforcing the per-user limits in the same
    /// transaction: the 11th api login is `Conflict("type")`, the 41st device
    /// login evicts the least recently used one.
    async fn create_login(
        &self,
        actor: &Actor,
        login: &NewLogin,
        now: Timestamp,
    ) -> StoreResult<Login>;
    /// The caller behind a secret hash, or `None` when it is unknown or has
    /// expired. Records the use (at most once a minute, to keep reads cheap).
    /// Shared: a backend may hand the same cached principal to many requests.
    async fn authenticate(
        &self,
        secret_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<std::sync::Arc<Principal>>>;
    async fn login(&self, organization_id: i64, user_id: i64, id: i64) -> StoreResult<Login>;
    async fn list_logins(
        &self,
        organization_id: i64,
        user_id: i64,
        ids: Option<&[i64]>,
        page: Page,
    ) -> StoreResult<Paged<Login>>;
    /// Makes the login the user's primary device and demotes the others.
    async fn promote_login(
        &self,
        actor: &Actor,
        organization_id: i64,
        user_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn delete_login(
        &self,
        actor: &Actor,
        organization_id: i64,
        user_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;

    // E-mailed tokens and sign-in throttling.

    /// Stores a single-use token; only its hash is kept.
    async fn issue_user_token(&self, token: &NewUserToken, now: Timestamp) -> StoreResult<()>;
    /// Uses up a sign-in token (`authentication_info`): the member it signs
    /// in, or `None` when it is unknown, used, expired or its member is gone.
    async fn redeem_sign_in_token(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<SignInCandidate>>;
    /// Uses up a password-reset token and sets the user's password hash, in
    /// one transaction: the user's other reset tokens lapse and all of their
    /// logins are signed out. The user id, or `None` when the token is
    /// unknown, used or expired.
    async fn reset_password(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<i64>>;
    /// The latest end of a lock on any of `keys` that is still running at `now`.
    async fn sign_in_locked_until(
        &self,
        keys: &[String],
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>>;
    /// Counts a failed sign-in against `key` (failures older than the
    /// policy's window are forgotten) and locks the key when the policy says
    /// so. Records `event`, completed with the outcome, in the same
    /// transaction. Returns the end of the lock this failure started, if any.
    async fn record_sign_in_failure(
        &self,
        key: &str,
        policy: ThrottlePolicy,
        event: Option<(Actor, NewEvent)>,
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>>;
    /// Forgets the failures of `key` (after a successful sign-in).
    async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()>;

    // Maintenance.

    /// Rewrites the database compactly and refreshes the planner's
    /// statistics (`gatehouse compact`; the seed runs it after its load).
    /// On SQLite this takes the file to itself for as long as it runs.
    async fn compact(&self) -> StoreResult<()>;

    /// Ends the store's background work and leaves every committed write
    /// in the database's own file, for a stop (the server's, or a
    /// command's end): on SQLite the write-ahead log is copied into the
    /// file and emptied, so a copy of the file alone is then a whole
    /// backup. The store is not to be used after.
    async fn close(&self) -> StoreResult<()>;

    // Benchmarks.

    /// Fills a new organization with the plan's generated data in bulk
    /// (`gatehouse seed`, benchmarks only): places, doors, groups, members
    /// with their users, role assignments, cards, readers, logins and past
    /// events, one transaction per table. Returns the door ids in the plan's
    /// order.
    async fn seed(
        &self,
        organization_id: i64,
        plan: &SeedPlan,
        password_hash: &str,
        hash_secret: for<'s> fn(&'s str) -> Vec<u8>,
        now: Timestamp,
        progress: &SeedProgress<'_>,
    ) -> StoreResult<Vec<i64>>;

    // Invitations.

    /// Adds the invitee (creating the member, or the guest's link) and
    /// grants the access, in one transaction; records `invite.create`.
    async fn create_invite(
        &self,
        actor: &Actor,
        organization_id: i64,
        invite: &NewInvite,
        now: Timestamp,
    ) -> StoreResult<Invite>;

    // The current user.

    async fn user(&self, id: i64) -> StoreResult<User>;
    async fn password_hash(&self, user_id: i64) -> StoreResult<Option<String>>;
    /// Changes the name and/or the password hash. A new password signs out
    /// every other login of the user (`change.keep_login_id` survives).
    async fn update_current_user(
        &self,
        actor: &Actor,
        organization_id: i64,
        user_id: i64,
        change: &UserChange,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Places.

    async fn list_places(
        &self,
        organization_id: i64,
        query: &PlaceQuery,
    ) -> StoreResult<Paged<Place>>;
    async fn place(
        &self,
        organization_id: i64,
        id: i64,
        favorite_of: Option<i64>,
    ) -> StoreResult<Place>;
    async fn create_place(
        &self,
        actor: &Actor,
        organization_id: i64,
        fields: &PlaceFields,
        now: Timestamp,
    ) -> StoreResult<Place>;
    async fn update_place(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        fields: &PlaceFields,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn delete_place(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn set_place_favorite(
        &self,
        organization_id: i64,
        id: i64,
        user_id: i64,
        favorite: bool,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Members and users.

    async fn list_members(
        &self,
        organization_id: i64,
        query: &MemberQuery,
    ) -> StoreResult<Paged<Member>>;
    async fn member(&self, organization_id: i64, id: i64) -> StoreResult<Member>;
    async fn member_of_user(&self, organization_id: i64, user_id: i64) -> StoreResult<Member>;
    /// Adds a member by e-mail: an unknown e-mail creates the user profile,
    /// a known one (any letter case) links to it; a second membership of the
    /// same user is `Conflict("email")`.
    async fn create_member(
        &self,
        actor: &Actor,
        organization_id: i64,
        member: &NewMember,
        now: Timestamp,
    ) -> StoreResult<Member>;
    async fn update_member(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        patch: &MemberPatch,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Removes the membership with its role assignments, team memberships and
    /// logins in this organization; the user profile stays.
    async fn delete_member(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The roles a user holds in an organization, directly and through teams.
    async fn authority(&self, organization_id: i64, user_id: i64) -> StoreResult<Authority>;
    /// Deletes a user profile with every membership, login and assignment
    /// (an operator action, never reachable through the API).
    async fn purge_user(&self, email: &Email, now: Timestamp) -> StoreResult<PurgeReport>;

    // Groups.

    async fn list_groups(
        &self,
        organization_id: i64,
        query: &GroupQuery,
    ) -> StoreResult<Paged<Group>>;
    async fn group(&self, organization_id: i64, id: i64) -> StoreResult<Group>;
    /// `Conflict("place_id")` when the place is not in the organization.
    async fn create_group(
        &self,
        actor: &Actor,
        organization_id: i64,
        fields: &GroupFields,
        now: Timestamp,
    ) -> StoreResult<Group>;
    async fn update_group(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        fields: &GroupFields,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Deletes the group and every role assignment on it.
    async fn delete_group(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Role assignments.

    async fn list_role_assignments(
        &self,
        organization_id: i64,
        query: &RoleAssignmentQuery,
    ) -> StoreResult<Paged<RoleAssignment>>;
    async fn role_assignment(&self, organization_id: i64, id: i64) -> StoreResult<RoleAssignment>;
    /// Grants a role. An e-mail assignee gets a user and a member when
    /// missing. `Conflict("applies_to_id")` for a scope outside the
    /// organization, `Conflict("assignee_id")` for an unknown assignee,
    /// `Conflict("role_id")` when the assignee already holds a role there.
    async fn create_role_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        assignment: &NewRoleAssignment,
        now: Timestamp,
    ) -> StoreResult<RoleAssignment>;
    async fn update_role_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        patch: &RoleAssignmentPatch,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn delete_role_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Teams.

    async fn list_teams(&self, organization_id: i64, query: &TeamQuery)
        -> StoreResult<Paged<Team>>;
    async fn team(&self, organization_id: i64, id: i64) -> StoreResult<Team>;
    async fn create_team(
        &self,
        actor: &Actor,
        organization_id: i64,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Team>;
    async fn update_team(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Deletes the team, its memberships and every role assignment to or on it.
    async fn delete_team(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn list_team_memberships(
        &self,
        organization_id: i64,
        query: &TeamMembershipQuery,
    ) -> StoreResult<Paged<TeamMembership>>;
    async fn team_membership(&self, organization_id: i64, id: i64) -> StoreResult<TeamMembership>;
    /// `Conflict("member_id")` when the user is not a member of the
    /// organization or already in the team.
    async fn create_team_membership(
        &self,
        actor: &Actor,
        organization_id: i64,
        team_id: i64,
        user_id: i64,
        now: Timestamp,
    ) -> StoreResult<TeamMembership>;
    async fn delete_team_membership(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Doors.

    async fn list_locks(&self, organization_id: i64, query: &LockQuery)
        -> StoreResult<Paged<Lock>>;
    async fn lock(
        &self,
        organization_id: i64,
        id: i64,
        favorite_of: Option<i64>,
    ) -> StoreResult<Lock>;
    /// `Conflict("place_id")` when the place is not in the organization.
    async fn create_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        fields: &LockFields,
        now: Timestamp,
    ) -> StoreResult<Lock>;
    async fn update_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        fields: &LockFields,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn delete_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn set_lock_favorite(
        &self,
        organization_id: i64,
        id: i64,
        user_id: i64,
        favorite: bool,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Locks a door down (or cancels it), recording `lock.lock_down` or
    /// `lock.cancel_lockdown`.
    async fn set_lock_lockdown(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        locked_down: bool,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn set_place_lockdown(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        locked_down: bool,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Group locks.

    async fn list_group_locks(
        &self,
        organization_id: i64,
        query: &GroupLockQuery,
    ) -> StoreResult<Paged<GroupLock>>;
    async fn group_lock(&self, organization_id: i64, id: i64) -> StoreResult<GroupLock>;
    /// `Conflict("lock_id")` for a door already in the group or in another
    /// place than the group's.
    async fn create_group_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        group_id: i64,
        lock_id: i64,
        now: Timestamp,
    ) -> StoreResult<GroupLock>;
    async fn delete_group_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Schedules.

    async fn list_schedules(
        &self,
        organization_id: i64,
        query: &ScheduleQuery,
    ) -> StoreResult<Paged<ScheduleRecord>>;
    async fn schedule(&self, organization_id: i64, id: i64) -> StoreResult<ScheduleRecord>;
    async fn create_schedule(
        &self,
        actor: &Actor,
        organization_id: i64,
        schedule: &NewSchedule,
        now: Timestamp,
    ) -> StoreResult<ScheduleRecord>;
    async fn update_schedule(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        patch: &SchedulePatch,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn delete_schedule(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Cards, readers and quick access links.

    async fn list_cards(&self, organization_id: i64, query: &CardQuery)
        -> StoreResult<Paged<Card>>;
    async fn card(&self, organization_id: i64, id: i64) -> StoreResult<Card>;
    /// `Conflict("card")` when a card with the same identity is enrolled.
    async fn create_card(
        &self,
        actor: &Actor,
        organization_id: i64,
        card: &NewCard,
        now: Timestamp,
    ) -> StoreResult<Card>;
    async fn delete_card(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn list_card_assignments(
        &self,
        organization_id: i64,
        query: &CardAssignmentQuery,
    ) -> StoreResult<Paged<CardAssignment>>;
    async fn card_assignment(&self, organization_id: i64, id: i64) -> StoreResult<CardAssignment>;
    /// Assigns a card (deactivated until activated). `Conflict("card_id")`
    /// for an unknown or already assigned card, `Conflict("assignee_id")`
    /// for someone not a member.
    async fn create_card_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        assignment: &NewCardAssignment,
        now: Timestamp,
    ) -> StoreResult<CardAssignment>;
    /// Sets or clears the two-factor PIN (an Argon2id hash) and its notification flag.
    async fn update_card_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        pin_hash: Option<Option<String>>,
        send_notification: Option<bool>,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn set_card_assignment_status(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        activated: bool,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Activates the assignment whose activation token hashes to this;
    /// the token works once.
    async fn activate_card_with_token(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<()>;
    async fn delete_card_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn create_reader(
        &self,
        actor: &Actor,
        organization_id: i64,
        lock_id: i64,
        name: &str,
        secret_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Reader>;
    async fn authenticate_reader(&self, secret_hash: &[u8]) -> StoreResult<Option<Reader>>;
    /// The card a reader read, with its holder, if enrolled. Its use is
    /// recorded with the decision it leads to (`record_access` of a
    /// decision authenticated by the card), in the same write.
    async fn presented_card(
        &self,
        organization_id: i64,
        identity: &CardIdentity,
    ) -> StoreResult<Option<PresentedCard>>;
    async fn list_group_links(
        &self,
        organization_id: i64,
        query: &GroupLinkQuery,
    ) -> StoreResult<Paged<GroupLink>>;
    /// Creates a quick access link; an e-mail of a member makes it theirs.
    async fn create_group_link(
        &self,
        actor: &Actor,
        organization_id: i64,
        link: &NewGroupLink,
        now: Timestamp,
    ) -> StoreResult<GroupLink>;
    async fn delete_group_link(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The link behind a secret hash; records its use.
    async fn authenticate_link(
        &self,
        secret_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<GroupLink>>;

    // Member exports.

    async fn create_member_export(
        &self,
        organization_id: i64,
        user_id: i64,
        format: gatehouse_domain::ExportFormat,
        filters: &str,
        now: Timestamp,
    ) -> StoreResult<gatehouse_domain::MemberExport>;
    async fn member_export(
        &self,
        organization_id: i64,
        id: i64,
    ) -> StoreResult<gatehouse_domain::MemberExport>;
    /// `user_id`: only that requester's exports; `None`: all.
    async fn list_member_exports(
        &self,
        organization_id: i64,
        user_id: Option<i64>,
        page: Page,
    ) -> StoreResult<Paged<gatehouse_domain::MemberExport>>;
    async fn delete_member_export(&self, organization_id: i64, id: i64) -> StoreResult<()>;
    /// Moves an export to a new status (with its row count and error).
    async fn set_member_export_status(
        &self,
        id: i64,
        status: gatehouse_domain::ExportStatus,
        rows_count: i64,
        error: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Every export and CSV import still waiting or in progress that no
    /// node has reported on since `silent_since` (its node stopped) is
    /// marked failed; returns how many. Every node runs this at start and
    /// then periodically.
    async fn fail_interrupted_exports(
        &self,
        silent_since: Timestamp,
        now: Timestamp,
    ) -> StoreResult<u64>;
    /// A running export or import reports that its node is alive; a no-op
    /// once the job has ended.
    async fn keep_job_alive(&self, job: RunningJob, now: Timestamp) -> StoreResult<()>;
    /// Streams the members a query selects, as export rows, to `sink`, in id
    /// order; returns how many.
    async fn export_members(
        &self,
        organization_id: i64,
        query: &MemberQuery,
        sink: &mut (dyn FnMut(gatehouse_domain::ExportRow) -> Result<(), String> + Send),
    ) -> StoreResult<i64>;

    // CSV user imports.

    /// Imports rows, each atomically (a bad row changes nothing and the
    /// others still land); per row, true when anything changed.
    /// `Conflict("group_ids")` for a group outside the organization,
    /// `Conflict("credential_token")` for a card held by someone else.
    async fn import_users(
        &self,
        actor: &Actor,
        organization_id: i64,
        rows: &[gatehouse_domain::ImportRow],
        now: Timestamp,
    ) -> StoreResult<Vec<StoreResult<bool>>>;
    async fn create_csv_import(
        &self,
        organization_id: i64,
        user_id: i64,
        file_name: &str,
        now: Timestamp,
    ) -> StoreResult<gatehouse_domain::CsvImport>;
    async fn csv_import(
        &self,
        organization_id: i64,
        id: i64,
    ) -> StoreResult<gatehouse_domain::CsvImport>;
    async fn set_csv_import_status(
        &self,
        id: i64,
        status: gatehouse_domain::ExportStatus,
        errors: &str,
        now: Timestamp,
    ) -> StoreResult<()>;

    // The access decision.

    /// Everything `decide` needs about a door and a subject, in one call.
    async fn access_facts(
        &self,
        organization_id: i64,
        lock_id: i64,
        subject: AccessSubject,
    ) -> StoreResult<AccessFacts>;
    /// Records a decision as its `lock.unlock` event and, for a grant, the
    /// member's last access; one transaction, durable before it returns.
    async fn record_access(
        &self,
        organization_id: i64,
        record: &AccessRecord,
        now: Timestamp,
    ) -> StoreResult<()>;

    // Events.

    async fn list_events(
        &self,
        organization_id: i64,
        query: &EventQuery,
    ) -> StoreResult<Paged<Event>>;
    /// Stores an event query (kept a day); returns its id.
    async fn create_event_set(
        &self,
        organization_id: i64,
        user_id: i64,
        filters: &str,
        interval: (Timestamp, Timestamp),
        now: Timestamp,
    ) -> StoreResult<i64>;
    async fn event_set(
        &self,
        organization_id: i64,
        id: i64,
    ) -> StoreResult<gatehouse_domain::EventSetRecord>;
}
