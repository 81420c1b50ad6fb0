//! One module per resource; `router()` merges them and collects the
//! OpenAPI description of every route from the handlers' annotations.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

mod cards;
mod events;
mod exports;
mod group_locks;
mod groups;
mod health;
mod imports;
mod invites;
mod links;
mod locks;
mod logins;
mod members;
mod organization;
mod passwords;
mod places;
mod reports;
mod role_assignments;
mod schedules;
mod teams;
mod user;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gatehouse",
        description = "A self-hosted access-control server speaking the Kisi REST API. \
            Request bodies are wrapped in the resource key; responses are bare; \
            lists carry X-Collection-Range.",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecuritySchemes),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorsBody)),
    tags(
        (name = "logins", description = "Sign-in, sessions and API keys"),
        (name = "users", description = "The signed-in user"),
        (name = "organizations", description = "The caller's organization"),
        (name = "places", description = "Sites of the organization"),
        (name = "members", description = "Members and users: people with a membership in the organization"),
        (name = "groups", description = "Groups of doors and the people who may open them"),
        (name = "access", description = "Role assignments, shares and the role catalogue"),
        (name = "teams", description = "Teams and their memberships"),
        (name = "doors", description = "Doors, the groups that hold them, schedules, lockdown and unlocking"),
        (name = "cards", description = "Cards, their assignments to people, and card readers"),
        (name = "links", description = "Quick access links and their page"),
        (name = "exports", description = "Member exports: CSV and XLSX files made in the background"),
        (name = "events", description = "The log of every access decision and every change"),
        (name = "operations", description = "Health and API description"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "Kisi-Group-Link",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "KISI-GROUP-LINK <secret>, the secret of a quick access link",
            ))),
        );
        components.add_security_scheme(
            "Kisi-Service",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "KISI-SERVICE <secret>, the secret of a card reader",
            ))),
        );
        components.add_security_scheme(
            "Kisi-Login",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "KISI-LOGIN <secret>, the secret returned by POST /logins",
            ))),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(logins::router())
        .merge(user::router())
        .merge(passwords::router())
        .merge(organization::router())
        .merge(places::router())
        .merge(members::router())
        .merge(groups::router())
        .merge(role_assignments::router())
        .merge(invites::router())
        .merge(teams::router())
        .merge(locks::router())
        .merge(group_locks::router())
        .merge(schedules::router())
        .merge(events::router())
        .merge(cards::router())
        .merge(links::router())
        .merge(exports::router())
        .merge(reports::router())
        .merge(imports::router())
}
