//! Query code shared by both backends. This module is compiled once inside
//! `sqlite` and once inside `postgres`; `Db` is that backend's sqlx database.
//! Keep the SQL to what both dialects accept: `$n` parameters, `RETURNING`,
//! `ON CONFLICT`, and no dialect-only functions.

use async_trait::async_trait;
use gatehouse_domain::access::AccessFacts;
use gatehouse_domain::{
    AccessRecord, AccessSubject, GroupLock, Invite, Lock, LockFields, NewEvent, NewInvite,
    NewSchedule, NewUserToken, SchedulePatch, ScheduleRecord, ThrottlePolicy,
};
use gatehouse_domain::{
    Actor, Bootstrap, Bootstrapped, Email, Event, Login, Member, NewLogin, Organization,
    OrganizationPatch, Place, PlaceFields, Principal, SignInCandidate, Timestamp, User, UserChange,
};
use gatehouse_domain::{
    Authority, Group, GroupFields, MemberPatch, NewMember, NewRoleAssignment, PurgeReport,
    RoleAssignment, RoleAssignmentPatch, Team, TeamMembership,
};
use gatehouse_domain::{
    Card, CardAssignment, CardIdentity, GroupLink, NewCard, NewCardAssignment, NewGroupLink,
    PresentedCard, Reader,
};
use gatehouse_store::{
    CardAssignmentQuery, CardQuery, GroupLinkQuery, GroupLockQuery, LockQuery, ScheduleQuery,
};
use gatehouse_store::{
    EventQuery, GroupQuery, MemberQuery, Page, Paged, PlaceQuery, RoleAssignmentQuery, Store,
    StoreError, StoreResult, TeamMembershipQuery, TeamQuery,
};
use sqlx::{Pool, QueryBuilder};

use conns::Conns;

use super::Db;

mod access;
mod cache;
mod conns;
mod credentials;
mod events;
mod exports;
mod groups;
mod invites;
mod locks;
mod logins;
mod members;
mod organizations;
mod places;
mod recorder;
mod role_assignments;
mod rows;
mod schedules;
mod search;
mod seed;
mod sign_in;
mod teams;
mod users;
mod visibility;

pub struct SqlStore {
    /// Single statements run on held connections; transactions on the
    /// pool inside (see `conns`).
    pool: Conns,
    backend: &'static str,
    caches: cache::Caches,
    recorder: recorder::Recorder,
    search_sample: search::SearchSample,
    member_texts: search::MemberTexts,
    /// Tasks of the backend's own that end with the store.
    beside: Vec<tokio::task::AbortHandle>,
}

impl SqlStore {
    /// `pool` for transactions, and beside it up to `held` connections for
    /// single statements, and two for the access event writer (its kept
    /// connection and SQLite's checkpoints), so that a transaction never
    /// waits for those, nor they for a transaction's turn. `beside`: the
    /// backend's own tasks, which end with the store. Needs a Tokio
    /// runtime: it starts the writer.
    pub(super) fn new(
        pool: Pool<Db>,
        held: usize,
        backend: &'static str,
        beside: Vec<tokio::task::JoinHandle<()>>,
    ) -> Self {
        let writer = sqlx::pool::PoolOptions::<Db>::new()
            .max_connections(2)
            .test_before_acquire(false)
            .connect_lazy_with((*pool.connect_options()).clone());
        let recorder = recorder::Recorder::start(writer);
        let pool = Conns::new(pool, held);
        SqlStore {
            recorder,
            caches: cache::Caches::new(&pool),
            search_sample: search::SearchSample::default(),
            member_texts: search::MemberTexts::default(),
            pool,
            backend,
            beside: beside.into_iter().map(|task| task.abort_handle()).collect(),
        }
    }
}

impl Drop for SqlStore {
    fn drop(&mut self) {
        for task in &self.beside {
            task.abort();
        }
    }
}

/// Maps a driver error to the store's error. Callers that expect a
/// uniqueness conflict check [`is_unique_violation`] first.
pub(super) fn db(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        other => StoreError::Backend(other.to_string()),
    }
}

/// Starts a write transaction. On SQLite it takes the write lock at once:
/// a deferred transaction that reads before writing fails with "database is
/// locked" when another writer commits in between.
async fn begin(pool: &Conns) -> StoreResult<sqlx::Transaction<'static, Db>> {
    // A write may read what the request's pending writes wrote (a device's
    // eviction reads each login's last use).
    gatehouse_store::freshness::settle().await?;
    gatehouse_store::freshness::writing();
    pool.pool().begin_with(super::BEGIN).await.map_err(db)
}

/// The role assignments a user holds in an organization, directly or through
/// a team: `$1` the organization, `$2` the user. Two indexed selects joined
/// with UNION ALL (an OR across them would scan every assignment).
const HELD_BY_USER: &str = "(SELECT role_id, applies_to_type, applies_to_id, place_id, valid_from, valid_until \
     FROM role_assignments WHERE organization_id = $1 AND assignee_type = 'User' AND assignee_id = $2 \
     UNION ALL SELECT ra.role_id, ra.applies_to_type, ra.applies_to_id, ra.place_id, ra.valid_from, ra.valid_until \
     FROM team_memberships tm JOIN role_assignments ra ON ra.assignee_type = 'Team' AND ra.assignee_id = tm.team_id \
     WHERE tm.user_id = $2 AND tm.organization_id = $1 AND ra.organization_id = $1) ra";

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// `AND column IN (...)`; an empty list matches nothing.
fn push_id_filter(sql: &mut sqlx::QueryBuilder<'_, Db>, column: &str, ids: &[i64]) {
    sql.push(" AND ");
    visibility::push_in(sql, column, ids);
}

/// One page of a list: `count` and `select` begin the two statements,
/// `filter` appends the same FROM and WHERE to both, `order_by` orders the
/// page. Returns the page's rows and the total of the filtered set.
///
/// The page comes first, and most pages tell the total themselves (see
/// [`total_from_page`]): only a full page, or an empty one past the start,
/// is counted apart. Counting in the page's statement instead (`COUNT(*)
/// OVER ()`) made the database compute every column of every match before
/// the limit: a search that matched all 100,000 members took 550 ms, against
/// 97 ms for the page and 88 for the count.
async fn fetch_page<R>(
    pool: &Conns,
    count: &str,
    select: &str,
    filter: &(dyn Fn(&mut QueryBuilder<'_, Db>) + Sync),
    order_by: &str,
    page: Page,
) -> StoreResult<(Vec<R>, i64)>
where
    R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
{
    let rows: Vec<R> = page_of(select, filter, order_by, page)
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(db)?;
    let total = match total_from_page(page, rows.len()) {
        Some(total) => total,
        None => count_all(pool, count, filter).await?,
    };
    Ok((rows, total))
}

/// The total of a list that a page of it tells by itself: a page with
/// fewer rows than its limit ends the list, unless it is empty past the
/// start (the list may end anywhere before the offset).
fn total_from_page(page: Page, rows: usize) -> Option<i64> {
    let rows = i64::try_from(rows).ok()?;
    (rows < page.limit && (rows > 0 || page.offset == 0)).then_some(page.offset + rows)
}

/// The size of the filtered set.
async fn count_all(
    pool: &Conns,
    count: &str,
    filter: &(dyn Fn(&mut QueryBuilder<'_, Db>) + Sync),
) -> StoreResult<i64> {
    let mut counting = QueryBuilder::<Db>::new(count);
    filter(&mut counting);
    counting
        .build_query_scalar()
        .fetch_one(pool)
        .await
        .map_err(db)
}

/// The statement selecting one page of the filtered set.
fn page_of<'a>(
    select: &str,
    filter: &(dyn Fn(&mut QueryBuilder<'_, Db>) + Sync),
    order_by: &str,
    page: Page,
) -> QueryBuilder<'a, Db> {
    let mut selecting = QueryBuilder::<Db>::new(select);
    filter(&mut selecting);
    selecting
        .push(order_by)
        .push(" LIMIT ")
        .push_bind(page.limit)
        .push(" OFFSET ")
        .push_bind(page.offset);
    selecting
}

/// Escapes a user's search text for `LIKE ... ESCAPE '\'` and lower-cases it
/// (the searched columns hold lower-cased text).
pub(super) fn like_pattern(query: &str) -> String {
    let mut pattern = String::with_capacity(query.len() + 2);
    pattern.push('%');
    for c in query.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn organizations_count(&self) -> StoreResult<i64> {
        organizations::count(&self.pool).await
    }

    async fn bootstrap(&self, request: &Bootstrap, now: Timestamp) -> StoreResult<Bootstrapped> {
        organizations::bootstrap(&self.pool, request, now).await
    }

    async fn organization(&self, id: i64) -> StoreResult<Organization> {
        organizations::get(&self.pool, id).await
    }

    async fn organization_by_domain(&self, domain: &str) -> StoreResult<Organization> {
        organizations::by_domain(&self.pool, domain).await
    }

    async fn update_organization(
        &self,
        actor: &Actor,
        id: i64,
        patch: &OrganizationPatch,
        now: Timestamp,
    ) -> StoreResult<()> {
        organizations::update(&self.pool, actor, id, patch, now).await
    }

    async fn sign_in_candidate(
        &self,
        domain: &str,
        email: &Email,
    ) -> StoreResult<Option<SignInCandidate>> {
        users::sign_in_candidate(&self.pool, domain, email).await
    }

    async fn member_by_email(
        &self,
        organization_id: i64,
        email: &Email,
    ) -> StoreResult<Option<Member>> {
        users::member_by_email(&self.pool, organization_id, email).await
    }

    async fn create_login(
        &self,
        actor: &Actor,
        login: &NewLogin,
        now: Timestamp,
    ) -> StoreResult<Login> {
        logins::create(&self.pool, actor, login, now).await
    }

    async fn authenticate(
        &self,
        secret_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<std::sync::Arc<Principal>>> {
        logins::authenticate(&self.pool, &self.caches, &self.recorder, secret_hash, now).await
    }

    async fn login(&self, organization_id: i64, user_id: i64, id: i64) -> StoreResult<Login> {
        logins::get(&self.pool, organization_id, user_id, id).await
    }

    async fn list_logins(
        &self,
        organization_id: i64,
        user_id: i64,
        ids: Option<&[i64]>,
        page: Page,
    ) -> StoreResult<Paged<Login>> {
        logins::list(&self.pool, organization_id, user_id, ids, page).await
    }

    async fn promote_login(
        &self,
        actor: &Actor,
        organization_id: i64,
        user_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        logins::promote(&self.pool, actor, organization_id, user_id, id, now).await
    }

    async fn delete_login(
        &self,
        actor: &Actor,
        organization_id: i64,
        user_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        logins::delete(&self.pool, actor, organization_id, user_id, id, now).await
    }

    async fn issue_user_token(&self, token: &NewUserToken, now: Timestamp) -> StoreResult<()> {
        sign_in::issue(&self.pool, token, now).await
    }

    async fn redeem_sign_in_token(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<SignInCandidate>> {
        sign_in::redeem_sign_in(&self.pool, token_hash, now).await
    }

    async fn reset_password(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<i64>> {
        sign_in::reset_password(&self.pool, token_hash, password_hash, now).await
    }

    async fn sign_in_locked_until(
        &self,
        keys: &[String],
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>> {
        sign_in::locked_until(&self.pool, keys, now).await
    }

    async fn record_sign_in_failure(
        &self,
        key: &str,
        policy: ThrottlePolicy,
        event: Option<(Actor, NewEvent)>,
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>> {
        sign_in::record_failure(&self.pool, key, policy, event, now).await
    }

    async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()> {
        sign_in::clear(&self.pool, key).await
    }

    async fn compact(&self) -> StoreResult<()> {
        seed::compact(&self.pool).await
    }

    async fn close(&self) -> StoreResult<()> {
        for task in &self.beside {
            task.abort();
        }
        for statement in super::CLOSE {
            sqlx::query(statement)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        }
        Ok(())
    }

    async fn seed(
        &self,
        organization_id: i64,
        plan: &gatehouse_domain::seed::SeedPlan,
        password_hash: &str,
        hash_secret: for<'s> fn(&'s str) -> Vec<u8>,
        now: Timestamp,
        progress: &gatehouse_store::SeedProgress<'_>,
    ) -> StoreResult<Vec<i64>> {
        seed::seed(
            &self.pool,
            organization_id,
            plan,
            password_hash,
            hash_secret,
            now,
            progress,
        )
        .await
    }

    async fn create_invite(
        &self,
        actor: &Actor,
        organization_id: i64,
        invite: &NewInvite,
        now: Timestamp,
    ) -> StoreResult<Invite> {
        invites::create(&self.pool, actor, organization_id, invite, now).await
    }

    async fn user(&self, id: i64) -> StoreResult<User> {
        users::get(&self.pool, id).await
    }

    async fn password_hash(&self, user_id: i64) -> StoreResult<Option<String>> {
        users::password_hash(&self.pool, user_id).await
    }

    async fn update_current_user(
        &self,
        actor: &Actor,
        organization_id: i64,
        user_id: i64,
        change: &UserChange,
        now: Timestamp,
    ) -> StoreResult<()> {
        users::update_current(&self.pool, actor, organization_id, user_id, change, now).await
    }

    async fn list_places(
        &self,
        organization_id: i64,
        query: &PlaceQuery,
    ) -> StoreResult<Paged<Place>> {
        places::list(&self.pool, organization_id, query).await
    }

    async fn place(
        &self,
        organization_id: i64,
        id: i64,
        favorite_of: Option<i64>,
    ) -> StoreResult<Place> {
        places::get(&self.pool, organization_id, id, favorite_of).await
    }

    async fn create_place(
        &self,
        actor: &Actor,
        organization_id: i64,
        fields: &PlaceFields,
        now: Timestamp,
    ) -> StoreResult<Place> {
        places::create(&self.pool, actor, organization_id, fields, now).await
    }

    async fn update_place(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        fields: &PlaceFields,
        now: Timestamp,
    ) -> StoreResult<()> {
        places::update(&self.pool, actor, organization_id, id, fields, now).await
    }

    async fn delete_place(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        places::delete(&self.pool, actor, organization_id, id, now).await
    }

    async fn set_place_favorite(
        &self,
        organization_id: i64,
        id: i64,
        user_id: i64,
        favorite: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        places::set_favorite(&self.pool, organization_id, id, user_id, favorite, now).await
    }

    async fn list_members(
        &self,
        organization_id: i64,
        query: &MemberQuery,
    ) -> StoreResult<Paged<Member>> {
        let lookup = match &query.query {
            Some(text) => {
                let text = text.to_lowercase();
                match (self.member_texts)
                    .candidates(&self.pool, organization_id, &text)
                    .await?
                {
                    Some(found) => search::TextLookup::Candidates(found),
                    None => search::TextLookup::Index(self.search_sample.get(&self.pool).await?),
                }
            }
            None => search::TextLookup::Index(None),
        };
        members::list(&self.pool, organization_id, query, &lookup).await
    }

    async fn member(&self, organization_id: i64, id: i64) -> StoreResult<Member> {
        members::get(&self.pool, organization_id, id).await
    }

    async fn member_of_user(&self, organization_id: i64, user_id: i64) -> StoreResult<Member> {
        members::of_user(&self.pool, organization_id, user_id).await
    }

    async fn create_member(
        &self,
        actor: &Actor,
        organization_id: i64,
        member: &NewMember,
        now: Timestamp,
    ) -> StoreResult<Member> {
        members::create(&self.pool, actor, organization_id, member, now).await
    }

    async fn update_member(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        patch: &MemberPatch,
        now: Timestamp,
    ) -> StoreResult<()> {
        members::update(&self.pool, actor, organization_id, id, patch, now).await
    }

    async fn delete_member(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        members::delete(&self.pool, actor, organization_id, id, now).await
    }

    async fn authority(&self, organization_id: i64, user_id: i64) -> StoreResult<Authority> {
        members::authority(&self.pool, organization_id, user_id).await
    }

    async fn purge_user(&self, email: &Email, now: Timestamp) -> StoreResult<PurgeReport> {
        members::purge_user(&self.pool, email, now).await
    }

    async fn list_groups(
        &self,
        organization_id: i64,
        query: &GroupQuery,
    ) -> StoreResult<Paged<Group>> {
        groups::list(&self.pool, organization_id, query).await
    }

    async fn group(&self, organization_id: i64, id: i64) -> StoreResult<Group> {
        groups::get(&self.pool, organization_id, id).await
    }

    async fn create_group(
        &self,
        actor: &Actor,
        organization_id: i64,
        fields: &GroupFields,
        now: Timestamp,
    ) -> StoreResult<Group> {
        groups::create(&self.pool, actor, organization_id, fields, now).await
    }

    async fn update_group(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        fields: &GroupFields,
        now: Timestamp,
    ) -> StoreResult<()> {
        groups::update(&self.pool, actor, organization_id, id, fields, now).await
    }

    async fn delete_group(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        groups::delete(&self.pool, actor, organization_id, id, now).await
    }

    async fn list_role_assignments(
        &self,
        organization_id: i64,
        query: &RoleAssignmentQuery,
    ) -> StoreResult<Paged<RoleAssignment>> {
        role_assignments::list(&self.pool, organization_id, query).await
    }

    async fn role_assignment(&self, organization_id: i64, id: i64) -> StoreResult<RoleAssignment> {
        role_assignments::get(&self.pool, organization_id, id).await
    }

    async fn create_role_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        assignment: &NewRoleAssignment,
        now: Timestamp,
    ) -> StoreResult<RoleAssignment> {
        role_assignments::create(&self.pool, actor, organization_id, assignment, now).await
    }

    async fn update_role_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        patch: &RoleAssignmentPatch,
        now: Timestamp,
    ) -> StoreResult<()> {
        role_assignments::update(&self.pool, actor, organization_id, id, patch, now).await
    }

    async fn delete_role_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        role_assignments::delete(&self.pool, actor, organization_id, id, now).await
    }

    async fn list_teams(
        &self,
        organization_id: i64,
        query: &TeamQuery,
    ) -> StoreResult<Paged<Team>> {
        teams::list(&self.pool, organization_id, query).await
    }

    async fn team(&self, organization_id: i64, id: i64) -> StoreResult<Team> {
        teams::get(&self.pool, organization_id, id).await
    }

    async fn create_team(
        &self,
        actor: &Actor,
        organization_id: i64,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Team> {
        teams::create(&self.pool, actor, organization_id, name, now).await
    }

    async fn update_team(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        teams::update(&self.pool, actor, organization_id, id, name, now).await
    }

    async fn delete_team(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        teams::delete(&self.pool, actor, organization_id, id, now).await
    }

    async fn list_team_memberships(
        &self,
        organization_id: i64,
        query: &TeamMembershipQuery,
    ) -> StoreResult<Paged<TeamMembership>> {
        teams::list_memberships(&self.pool, organization_id, query).await
    }

    async fn team_membership(&self, organization_id: i64, id: i64) -> StoreResult<TeamMembership> {
        teams::membership(&self.pool, organization_id, id).await
    }

    async fn create_team_membership(
        &self,
        actor: &Actor,
        organization_id: i64,
        team_id: i64,
        user_id: i64,
        now: Timestamp,
    ) -> StoreResult<TeamMembership> {
        teams::create_membership(&self.pool, actor, organization_id, team_id, user_id, now).await
    }

    async fn delete_team_membership(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        teams::delete_membership(&self.pool, actor, organization_id, id, now).await
    }

    async fn list_locks(
        &self,
        organization_id: i64,
        query: &LockQuery,
    ) -> StoreResult<Paged<Lock>> {
        locks::list(&self.pool, organization_id, query).await
    }

    async fn lock(
        &self,
        organization_id: i64,
        id: i64,
        favorite_of: Option<i64>,
    ) -> StoreResult<Lock> {
        locks::get(&self.pool, organization_id, id, favorite_of).await
    }

    async fn create_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        fields: &LockFields,
        now: Timestamp,
    ) -> StoreResult<Lock> {
        locks::create(&self.pool, actor, organization_id, fields, now).await
    }

    async fn update_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        fields: &LockFields,
        now: Timestamp,
    ) -> StoreResult<()> {
        locks::update(&self.pool, actor, organization_id, id, fields, now).await
    }

    async fn delete_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        locks::delete(&self.pool, actor, organization_id, id, now).await
    }

    async fn set_lock_favorite(
        &self,
        organization_id: i64,
        id: i64,
        user_id: i64,
        favorite: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        locks::set_favorite(&self.pool, organization_id, id, user_id, favorite, now).await
    }

    async fn set_lock_lockdown(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        locked_down: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        locks::set_lockdown(
            &self.pool,
            actor,
            organization_id,
            ("Lock", id),
            locked_down,
            now,
        )
        .await
    }

    async fn set_place_lockdown(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        locked_down: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        locks::set_lockdown(
            &self.pool,
            actor,
            organization_id,
            ("Place", id),
            locked_down,
            now,
        )
        .await
    }

    async fn list_group_locks(
        &self,
        organization_id: i64,
        query: &GroupLockQuery,
    ) -> StoreResult<Paged<GroupLock>> {
        locks::list_group_locks(&self.pool, organization_id, query).await
    }

    async fn group_lock(&self, organization_id: i64, id: i64) -> StoreResult<GroupLock> {
        locks::group_lock(&self.pool, organization_id, id).await
    }

    async fn create_group_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        group_id: i64,
        lock_id: i64,
        now: Timestamp,
    ) -> StoreResult<GroupLock> {
        locks::create_group_lock(&self.pool, actor, organization_id, group_id, lock_id, now).await
    }

    async fn delete_group_lock(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        locks::delete_group_lock(&self.pool, actor, organization_id, id, now).await
    }

    async fn list_schedules(
        &self,
        organization_id: i64,
        query: &ScheduleQuery,
    ) -> StoreResult<Paged<ScheduleRecord>> {
        schedules::list(&self.pool, organization_id, query).await
    }

    async fn schedule(&self, organization_id: i64, id: i64) -> StoreResult<ScheduleRecord> {
        schedules::get(&self.pool, organization_id, id).await
    }

    async fn create_schedule(
        &self,
        actor: &Actor,
        organization_id: i64,
        schedule: &NewSchedule,
        now: Timestamp,
    ) -> StoreResult<ScheduleRecord> {
        schedules::create(&self.pool, actor, organization_id, schedule, now).await
    }

    async fn update_schedule(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        patch: &SchedulePatch,
        now: Timestamp,
    ) -> StoreResult<()> {
        schedules::update(&self.pool, actor, organization_id, id, patch, now).await
    }

    async fn delete_schedule(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        schedules::delete(&self.pool, actor, organization_id, id, now).await
    }

    async fn list_cards(
        &self,
        organization_id: i64,
        query: &CardQuery,
    ) -> StoreResult<Paged<Card>> {
        credentials::list_cards(&self.pool, organization_id, query).await
    }

    async fn card(&self, organization_id: i64, id: i64) -> StoreResult<Card> {
        credentials::card(&self.pool, organization_id, id).await
    }

    async fn create_card(
        &self,
        actor: &Actor,
        organization_id: i64,
        card: &NewCard,
        now: Timestamp,
    ) -> StoreResult<Card> {
        credentials::create_card(&self.pool, actor, organization_id, card, now).await
    }

    async fn delete_card(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        credentials::delete_card(&self.pool, actor, organization_id, id, now).await
    }

    async fn list_card_assignments(
        &self,
        organization_id: i64,
        query: &CardAssignmentQuery,
    ) -> StoreResult<Paged<CardAssignment>> {
        credentials::list_assignments(&self.pool, organization_id, query).await
    }

    async fn card_assignment(&self, organization_id: i64, id: i64) -> StoreResult<CardAssignment> {
        credentials::assignment(&self.pool, organization_id, id).await
    }

    async fn create_card_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        assignment: &NewCardAssignment,
        now: Timestamp,
    ) -> StoreResult<CardAssignment> {
        credentials::create_assignment(&self.pool, actor, organization_id, assignment, now).await
    }

    async fn update_card_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        pin_hash: Option<Option<String>>,
        send_notification: Option<bool>,
        now: Timestamp,
    ) -> StoreResult<()> {
        credentials::update_assignment(
            &self.pool,
            actor,
            organization_id,
            id,
            pin_hash,
            send_notification,
            now,
        )
        .await
    }

    async fn set_card_assignment_status(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        activated: bool,
        now: Timestamp,
    ) -> StoreResult<()> {
        credentials::set_status(&self.pool, actor, organization_id, id, activated, now).await
    }

    async fn activate_card_with_token(&self, token_hash: &[u8], now: Timestamp) -> StoreResult<()> {
        credentials::activate_with_token(&self.pool, token_hash, now).await
    }

    async fn delete_card_assignment(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        credentials::delete_assignment(&self.pool, actor, organization_id, id, now).await
    }

    async fn create_reader(
        &self,
        actor: &Actor,
        organization_id: i64,
        lock_id: i64,
        name: &str,
        secret_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Reader> {
        credentials::create_reader(
            &self.pool,
            actor,
            organization_id,
            lock_id,
            name,
            secret_hash,
            now,
        )
        .await
    }

    async fn authenticate_reader(&self, secret_hash: &[u8]) -> StoreResult<Option<Reader>> {
        credentials::authenticate_reader(&self.pool, &self.caches, secret_hash).await
    }

    async fn presented_card(
        &self,
        organization_id: i64,
        identity: &CardIdentity,
    ) -> StoreResult<Option<PresentedCard>> {
        credentials::presented_card(&self.pool, organization_id, identity).await
    }

    async fn list_group_links(
        &self,
        organization_id: i64,
        query: &GroupLinkQuery,
    ) -> StoreResult<Paged<GroupLink>> {
        credentials::list_links(&self.pool, organization_id, query).await
    }

    async fn create_group_link(
        &self,
        actor: &Actor,
        organization_id: i64,
        link: &NewGroupLink,
        now: Timestamp,
    ) -> StoreResult<GroupLink> {
        credentials::create_link(&self.pool, actor, organization_id, link, now).await
    }

    async fn delete_group_link(
        &self,
        actor: &Actor,
        organization_id: i64,
        id: i64,
        now: Timestamp,
    ) -> StoreResult<()> {
        credentials::delete_link(&self.pool, actor, organization_id, id, now).await
    }

    async fn authenticate_link(
        &self,
        secret_hash: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<GroupLink>> {
        credentials::authenticate_link(&self.pool, &self.recorder, secret_hash, now).await
    }

    async fn create_member_export(
        &self,
        organization_id: i64,
        user_id: i64,
        format: gatehouse_domain::ExportFormat,
        filters: &str,
        now: Timestamp,
    ) -> StoreResult<gatehouse_domain::MemberExport> {
        exports::create(&self.pool, organization_id, user_id, format, filters, now).await
    }

    async fn member_export(
        &self,
        organization_id: i64,
        id: i64,
    ) -> StoreResult<gatehouse_domain::MemberExport> {
        exports::get(&self.pool, organization_id, id).await
    }

    async fn list_member_exports(
        &self,
        organization_id: i64,
        user_id: Option<i64>,
        page: Page,
    ) -> StoreResult<Paged<gatehouse_domain::MemberExport>> {
        exports::list(&self.pool, organization_id, user_id, page).await
    }

    async fn delete_member_export(&self, organization_id: i64, id: i64) -> StoreResult<()> {
        exports::delete(&self.pool, organization_id, id).await
    }

    async fn set_member_export_status(
        &self,
        id: i64,
        status: gatehouse_domain::ExportStatus,
        rows_count: i64,
        error: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        exports::set_status(&self.pool, id, status, rows_count, error, now).await
    }

    async fn fail_interrupted_exports(
        &self,
        silent_since: Timestamp,
        now: Timestamp,
    ) -> StoreResult<u64> {
        exports::fail_interrupted(&self.pool, silent_since, now).await
    }

    async fn keep_job_alive(
        &self,
        job: gatehouse_store::RunningJob,
        now: Timestamp,
    ) -> StoreResult<()> {
        exports::keep_alive(&self.pool, job, now).await
    }

    async fn export_members(
        &self,
        organization_id: i64,
        query: &MemberQuery,
        sink: &mut (dyn FnMut(gatehouse_domain::ExportRow) -> Result<(), String> + Send),
    ) -> StoreResult<i64> {
        members::export(&self.pool, organization_id, query, sink).await
    }

    async fn import_users(
        &self,
        actor: &Actor,
        organization_id: i64,
        rows: &[gatehouse_domain::ImportRow],
        now: Timestamp,
    ) -> StoreResult<Vec<StoreResult<bool>>> {
        members::import(&self.pool, actor, organization_id, rows, now).await
    }

    async fn create_csv_import(
        &self,
        organization_id: i64,
        user_id: i64,
        file_name: &str,
        now: Timestamp,
    ) -> StoreResult<gatehouse_domain::CsvImport> {
        exports::create_import(&self.pool, organization_id, user_id, file_name, now).await
    }

    async fn csv_import(
        &self,
        organization_id: i64,
        id: i64,
    ) -> StoreResult<gatehouse_domain::CsvImport> {
        exports::import(&self.pool, organization_id, id).await
    }

    async fn set_csv_import_status(
        &self,
        id: i64,
        status: gatehouse_domain::ExportStatus,
        errors: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        exports::set_import_status(&self.pool, id, status, errors, now).await
    }

    async fn access_facts(
        &self,
        organization_id: i64,
        lock_id: i64,
        subject: AccessSubject,
    ) -> StoreResult<AccessFacts> {
        access::facts(&self.pool, &self.caches, organization_id, lock_id, subject).await
    }

    async fn record_access(
        &self,
        organization_id: i64,
        record: &AccessRecord,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.recorder.decision(organization_id, record, now).await
    }

    async fn create_event_set(
        &self,
        organization_id: i64,
        user_id: i64,
        filters: &str,
        interval: (Timestamp, Timestamp),
        now: Timestamp,
    ) -> StoreResult<i64> {
        events::create_set(&self.pool, organization_id, user_id, filters, interval, now).await
    }

    async fn event_set(
        &self,
        organization_id: i64,
        id: i64,
    ) -> StoreResult<gatehouse_domain::EventSetRecord> {
        events::get_set(&self.pool, organization_id, id).await
    }

    async fn list_events(
        &self,
        organization_id: i64,
        query: &EventQuery,
    ) -> StoreResult<Paged<Event>> {
        events::list(&self.pool, organization_id, query).await
    }
}

/// A throw-away empty database of this backend and a pool of at most
/// `size` connections to it; `None` when PostgreSQL is not reachable and not
/// required (see `test_support`).
#[cfg(test)]
async fn test_pool(size: u32) -> Option<(crate::test_support::TestDatabase, Pool<Db>)> {
    use crate::test_support::TestDatabase;
    let (database, url) = match <Db as sqlx::Database>::NAME {
        "SQLite" => {
            let database = TestDatabase::sqlite();
            let url = format!("{}?mode=rwc", database.url);
            (database, url)
        }
        _ => {
            let database = TestDatabase::postgres().await?;
            let url = database.url.clone();
            (database, url)
        }
    };
    let pool = sqlx::pool::PoolOptions::<Db>::new()
        .max_connections(size)
        .connect(&url)
        .await
        .expect("open the database");
    Some((database, pool))
}

#[cfg(test)]
mod tests {
    use super::total_from_page;
    use gatehouse_store::Page;

    #[test]
    fn a_page_that_is_not_full_tells_the_total() {
        assert_eq!(total_from_page(Page::new(50, 0), 10), Some(10));
        assert_eq!(total_from_page(Page::new(50, 100), 7), Some(107));
        assert_eq!(
            total_from_page(Page::new(50, 0), 0),
            Some(0),
            "an empty list"
        );
    }

    #[test]
    fn a_full_page_or_one_past_the_end_is_counted_apart() {
        assert_eq!(
            total_from_page(Page::new(50, 0), 50),
            None,
            "more may follow"
        );
        assert_eq!(
            total_from_page(Page::new(50, 100), 0),
            None,
            "the list may end before the offset"
        );
    }
}
