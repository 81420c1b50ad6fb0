//! Query code shared by both backends. This module is compiled once inside
//! `sqlite` and once inside `postgres`; `Db` is that backend's sqlx database.
//! Keep the SQL to what both dialects accept: `$n` parameters, `RETURNING`,
//! `ON CONFLICT`, and no dialect-only functions.

use async_trait::async_trait;
use gatehouse_domain::{
    Actor, Bootstrap, Bootstrapped, Email, Event, Login, Member, NewLogin, Organization,
    OrganizationPatch, Place, PlaceFields, Principal, SignInCandidate, Timestamp, User, UserChange,
};
use gatehouse_store::{EventQuery, Page, Paged, PlaceQuery, Store, StoreError, StoreResult};
use sqlx::Pool;

use super::Db;

mod events;
mod logins;
mod organizations;
mod places;
mod rows;
mod users;

pub struct SqlStore {
    pool: Pool<Db>,
    backend: &'static str,
}

impl SqlStore {
    pub(super) fn new(pool: Pool<Db>, backend: &'static str) -> Self {
        SqlStore { pool, backend }
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
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

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// `AND column IN (...)`; an empty list matches nothing.
fn push_id_filter(sql: &mut sqlx::QueryBuilder<'_, Db>, column: &str, ids: &[i64]) {
    if ids.is_empty() {
        sql.push(" AND 1 = 0");
        return;
    }
    sql.push(format!(" AND {column} IN ("));
    let mut list = sql.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}

/// Escapes a user's search text for `LIKE ... ESCAPE '\'` and lower-cases it
/// (the searched columns hold lower-cased text).
fn like_pattern(query: &str) -> String {
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
    ) -> StoreResult<Option<Principal>> {
        logins::authenticate(&self.pool, secret_hash, now).await
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

    async fn list_events(
        &self,
        organization_id: i64,
        query: &EventQuery,
    ) -> StoreResult<Paged<Event>> {
        events::list(&self.pool, organization_id, query).await
    }
}
