//! The caller's organization (`GET /organization`, `PATCH /organization`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::errors::check_length;
use gatehouse_domain::org::check_time_zone;
use gatehouse_domain::{FieldErrors, MemberType, Organization, OrganizationPatch, Subscription};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::user::check_url;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Body, LoginOrLink};
use crate::wire::OrganizationBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(current_organization, update_organization))
}

/// The organization of the caller's login; with `KISI-GROUP-LINK`, the
/// link's organization in the reduced view.
#[utoipa::path(get, path = "/organization", tag = "organizations", security(("Kisi-Login" = []), ("Kisi-Group-Link" = [])),
    responses((status = 200, body = OrganizationBody),
        (status = 200, description = "With a group link", body = crate::wire::LinkOrganizationBody), (status = 401, body = ErrorBody)))]
async fn current_organization(
    State(state): State<AppState>,
    caller: LoginOrLink,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    match caller {
        LoginOrLink::Login(caller) => {
            let organization = state.store.organization(caller.organization.id).await?;
            Ok(Json(OrganizationBody::from(&organization)).into_response())
        }
        LoginOrLink::Link(link) => {
            let organization = state.store.organization(link.organization_id).await?;
            Ok(Json(crate::wire::LinkOrganizationBody::from(&organization)).into_response())
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateOrganizationRequest {
    organization: OrganizationFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OrganizationFields {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    logo: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    /// Seconds, 0 to 31536000; default 1209600 (two weeks).
    device_logins_expire_after: Option<i64>,
    time_zone: Option<String>,
    /// `organizations` or `standard`; only the owner may change it.
    subscription: Option<String>,
    /// SSO metadata: gatehouse has no SSO; only null is accepted.
    metadata: Option<String>,
    /// gatehouse has no SCIM; only false is accepted.
    scim_enabled: Option<bool>,
    /// gatehouse has no WebAuthn; only false is accepted.
    web_authentication_api_enabled: Option<bool>,
    /// gatehouse has no SSO; only null is accepted.
    identity_provider_issuer_url: Option<String>,
}

/// Changes the organization's settings. Owner and administrators only; the
/// subscription only by the owner.
#[utoipa::path(patch, path = "/organization", tag = "organizations", security(("Kisi-Login" = [])),
    request_body = UpdateOrganizationRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn update_organization(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<UpdateOrganizationRequest>,
) -> ApiResult<StatusCode> {
    crate::policy::require(
        &caller,
        MemberType::Administrator,
        gatehouse_domain::Scope::Organization,
        state.clock.now(),
        "change the organization's settings",
    )?;
    let fields = request.organization;
    let mut errors = FieldErrors::new();
    if let Some(name) = &fields.name {
        errors.check("name", check_length(name, 1, 255));
    }
    if let Some(Some(logo)) = &fields.logo {
        errors.check("logo", check_url(logo));
    }
    if let Some(Some(address)) = &fields.address {
        errors.check("address", check_length(address, 0, 500));
    }
    if let Some(Some(description)) = &fields.description {
        errors.check("description", check_length(description, 0, 5000));
    }
    if let Some(seconds) = fields.device_logins_expire_after {
        if !(0..=Organization::MAX_DEVICE_LOGINS_EXPIRE_AFTER).contains(&seconds) {
            errors.add(
                "device_logins_expire_after",
                "must be between 0 and 31536000",
            );
        }
    }
    if let Some(zone) = &fields.time_zone {
        errors.check("time_zone", check_time_zone(zone));
    }
    let subscription = fields
        .subscription
        .as_deref()
        .and_then(|value| errors.check("subscription", value.parse::<Subscription>()));
    if fields.metadata.is_some() || fields.identity_provider_issuer_url.is_some() {
        errors.add("metadata", "single sign-on is not supported by gatehouse");
    }
    if fields.scim_enabled == Some(true) {
        errors.add("scim_enabled", "SCIM is not supported by gatehouse");
    }
    if fields.web_authentication_api_enabled == Some(true) {
        errors.add(
            "web_authentication_api_enabled",
            "WebAuthn is not supported by gatehouse",
        );
    }
    errors.into_result()?;
    if subscription.is_some_and(|s| s != caller.organization.subscription)
        && caller.member_type() != MemberType::Owner
    {
        return Err(ApiError::forbidden(
            "change the subscription (only the owner may)",
        ));
    }
    let patch = OrganizationPatch {
        name: fields.name,
        logo: fields.logo,
        address: fields.address,
        description: fields.description,
        device_logins_expire_after: fields.device_logins_expire_after,
        time_zone: fields.time_zone,
        subscription,
    };
    state
        .store
        .update_organization(
            &caller.actor(),
            caller.organization.id,
            &patch,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
