//! Places: `/places` and `/places/{id}`, with favorites.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use gatehouse_domain::errors::check_length;
use gatehouse_domain::org::check_time_zone;
use gatehouse_domain::{FieldErrors, MemberType, PlaceFields, Scope};
use gatehouse_store::{PlaceQuery, PlaceSort};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::user::check_url;
use crate::error::{ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Body, Id, LoginOrLink, Params};
use crate::paging::{self, Listed};
use crate::wire::PlaceBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_places, create_place))
        .routes(routes!(get_place, update_place, delete_place))
        .routes(routes!(favorite_place))
        .routes(routes!(lock_down_place))
        .routes(routes!(cancel_place_lockdown))
        .routes(routes!(unfavorite_place))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PlaceRequest {
    place: PlaceFieldsBody,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PlaceFieldsBody {
    name: Option<String>,
    address: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    image: Option<Option<String>>,
    /// An IANA time zone name such as `Europe/London`.
    #[serde(default, deserialize_with = "nullable")]
    time_zone: Option<Option<String>>,
}

impl PlaceFieldsBody {
    /// Validates every field; on create, name and address are required.
    fn validate(self, creating: bool) -> Result<PlaceFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        match &self.name {
            Some(name) => {
                errors.check("name", check_length(name.trim(), 1, 255));
            }
            None if creating => errors.add("name", "can't be blank"),
            None => {}
        }
        match &self.address {
            Some(address) => {
                errors.check("address", check_length(address.trim(), 1, 500));
            }
            None if creating => errors.add("address", "can't be blank"),
            None => {}
        }
        if let Some(Some(description)) = &self.description {
            errors.check("description", check_length(description, 0, 5000));
        }
        if let Some(Some(latitude)) = self.latitude {
            if !(-90.0..=90.0).contains(&latitude) {
                errors.add("latitude", "must be between -90 and 90");
            }
        }
        if let Some(Some(longitude)) = self.longitude {
            if !(-180.0..=180.0).contains(&longitude) {
                errors.add("longitude", "must be between -180 and 180");
            }
        }
        if let Some(Some(image)) = &self.image {
            errors.check("image", check_url(image));
        }
        if let Some(Some(zone)) = &self.time_zone {
            errors.check("time_zone", check_time_zone(zone));
        }
        errors.into_result()?;
        Ok(PlaceFields {
            name: self.name.map(|n| n.trim().to_owned()),
            address: self.address.map(|a| a.trim().to_owned()),
            description: self.description,
            latitude: self.latitude,
            longitude: self.longitude,
            image: self.image,
            time_zone: self.time_zone,
        })
    }
}

/// Organization administrators create places; a place's administrators
/// change and delete it.
fn require_place_admin(
    state: &AppState,
    caller: &gatehouse_domain::Principal,
    scope: Scope,
    what: &str,
) -> ApiResult<()> {
    crate::policy::require(
        caller,
        MemberType::Administrator,
        scope,
        state.clock.now(),
        what,
    )
}

/// The organization's places. `favorite=true|false` filters on the caller's
/// favorites and adds the `favorite` field; `favorite=*` only adds it.
#[utoipa::path(get, path = "/places", tag = "places", security(("Kisi-Login" = [])),
    params(
        ("ids" = Option<String>, Query, description = "Comma-separated place ids"),
        ("query" = Option<String>, Query, description = "Case-insensitive part of the name"),
        ("favorite" = Option<String>, Query, description = "`true`, `false` or `*`"),
        ("sort" = Option<String>, Query, description = "`name`, `-name` or `favorite`"),
        ("limit" = Option<i64>, Query, description = "Default 50, at most 250"),
        ("offset" = Option<i64>, Query, description = "Default 0, at most 20000")),
    responses((status = 200, body = [PlaceBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_places(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<PlaceBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::SITES, &mut errors);
    let ids = params.ids(&mut errors);
    let favorite = params.one_of("favorite", &["true", "false", "*"], &mut errors);
    let sort = match params.one_of("sort", &["name", "-name", "favorite"], &mut errors) {
        Some("name") => PlaceSort::Name,
        Some("-name") => PlaceSort::NameDesc,
        Some("favorite") => PlaceSort::Favorite,
        _ => PlaceSort::Id,
    };
    errors.into_result()?;
    let wants_favorite = favorite.is_some() || sort == PlaceSort::Favorite;
    let query = PlaceQuery {
        ids,
        query: params.get("query").map(str::to_owned),
        viewer_user_id: wants_favorite.then_some(caller.login.user_id),
        favorite: favorite.and_then(|f| f.parse::<bool>().ok()),
        sort,
        page,
    };
    let places = state
        .store
        .list_places(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(places, page, |place| {
        PlaceBody::new(place, &caller.organization)
    }))
}

/// Creates a place. Administrators only.
#[utoipa::path(post, path = "/places", tag = "places", security(("Kisi-Login" = [])),
    request_body = PlaceRequest,
    responses((status = 200, body = PlaceBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn create_place(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<PlaceRequest>,
) -> ApiResult<Json<PlaceBody>> {
    require_place_admin(&state, &caller, Scope::Organization, "create places")?;
    let fields = request.place.validate(true)?;
    let place = state
        .store
        .create_place(
            &caller.actor(),
            caller.organization.id,
            &fields,
            state.clock.now(),
        )
        .await?;
    Ok(Json(PlaceBody::new(place, &caller.organization)))
}

/// One place. `favorite=true` adds the caller's `favorite` field. With
/// `KISI-GROUP-LINK`, a place of the link's doors in the reduced view.
#[utoipa::path(get, path = "/places/{id}", tag = "places", security(("Kisi-Login" = []), ("Kisi-Group-Link" = [])),
    params(("id" = i64, Path, description = "Place id"),
        ("favorite" = Option<bool>, Query, description = "Add the `favorite` field")),
    responses((status = 200, body = PlaceBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_place(
    State(state): State<AppState>,
    caller: LoginOrLink,
    Id(id): Id,
    params: Params,
) -> ApiResult<axum::response::Response> {
    let caller = match caller {
        LoginOrLink::Login(caller) => caller,
        LoginOrLink::Link(link) => {
            // Only a place where the link opens a door.
            let held = gatehouse_store::GroupLockQuery {
                group_id: Some(link.group_id),
                page: gatehouse_store::Page::new(250, 0),
                ..Default::default()
            };
            let places = state
                .store
                .list_group_locks(link.organization_id, &held)
                .await?;
            if !places.items.iter().any(|gl| gl.place_id == id) {
                return Err(crate::error::ApiError::NotFound);
            }
            let place = state.store.place(link.organization_id, id, None).await?;
            return Ok(Json(crate::wire::LinkPlaceBody::from(place)).into_response());
        }
    };
    let mut errors = FieldErrors::new();
    let favorite = params.bool("favorite", &mut errors);
    errors.into_result()?;
    let viewer = (favorite == Some(true)).then_some(caller.login.user_id);
    let place = state
        .store
        .place(caller.organization.id, id, viewer)
        .await?;
    Ok(Json(PlaceBody::new(place, &caller.organization)).into_response())
}

/// Changes a place. Administrators only.
#[utoipa::path(patch, path = "/places/{id}", tag = "places", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Place id")), request_body = PlaceRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn update_place(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<PlaceRequest>,
) -> ApiResult<StatusCode> {
    require_place_admin(&state, &caller, Scope::Place(id), "change this place")?;
    let fields = request.place.validate(false)?;
    state
        .store
        .update_place(
            &caller.actor(),
            caller.organization.id,
            id,
            &fields,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a place. Administrators only.
#[utoipa::path(delete, path = "/places/{id}", tag = "places", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Place id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_place(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    require_place_admin(&state, &caller, Scope::Organization, "delete places")?;
    state
        .store
        .delete_place(
            &caller.actor(),
            caller.organization.id,
            id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks a place as one of the caller's favorites.
#[utoipa::path(post, path = "/places/{id}/favorite", tag = "places", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Place id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn favorite_place(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    state
        .store
        .set_place_favorite(
            caller.organization.id,
            id,
            caller.login.user_id,
            true,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a place from the caller's favorites.
#[utoipa::path(post, path = "/places/{id}/unfavorite", tag = "places", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Place id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unfavorite_place(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    state
        .store
        .set_place_favorite(
            caller.organization.id,
            id,
            caller.login.user_id,
            false,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_lockdown(
    state: &AppState,
    caller: &gatehouse_domain::Principal,
    id: i64,
    locked_down: bool,
) -> ApiResult<StatusCode> {
    state.store.place(caller.organization.id, id, None).await?;
    require_place_admin(state, caller, Scope::Place(id), "lock this place down")?;
    state
        .store
        .set_place_lockdown(
            &caller.actor(),
            caller.organization.id,
            id,
            locked_down,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Locks the whole place down: none of its doors opens until cancelled.
#[utoipa::path(post, path = "/places/{id}/lock_down", tag = "places", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Place id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn lock_down_place(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_lockdown(&state, &caller, id, true).await
}

/// Ends the place's lockdown.
#[utoipa::path(post, path = "/places/{id}/cancel_lockdown", tag = "places", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Place id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn cancel_place_lockdown(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_lockdown(&state, &caller, id, false).await
}
