//! Quick access links: `/group_links` (the secret is shown once, at
//! creation), and the page `/q/{secret}` that lists the link's doors with an
//! unlock button each, no sign-in needed. A link issued to a member's e-mail
//! stops working while that member's `link_enabled` or `access_enabled` is off.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::Json;
use gatehouse_domain::errors::check_length;
use gatehouse_domain::{Email, FieldErrors, GroupLink, MemberType, NewGroupLink, Timestamp};
use gatehouse_store::{GroupLinkQuery, GroupLockQuery, Page};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{hash_secret, new_secret};
use crate::doors;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::{time, time_opt, NamedRef};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_group_links, create_group_link))
        .routes(routes!(delete_group_link))
        .routes(routes!(link_page))
        .routes(routes!(link_unlock))
}

/// Kisi's GroupLink object.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupLinkBody {
    pub id: i64,
    #[schema(example = "GroupLink")]
    pub resource_type: &'static str,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub last_used_at: Option<String>,
    pub link_enabled: bool,
    pub quick_response_code_type: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub group_id: i64,
    pub group: NamedRef,
    pub created_by_type: Option<&'static str>,
    pub created_by_id: Option<i64>,
    /// Deprecated.
    pub issued_by_id: Option<i64>,
}

impl From<GroupLink> for GroupLinkBody {
    fn from(l: GroupLink) -> Self {
        GroupLinkBody {
            id: l.id,
            resource_type: "GroupLink",
            name: l.name,
            email: l.email,
            phone: l.phone,
            last_used_at: time_opt(l.last_used_at),
            link_enabled: l.link_enabled,
            quick_response_code_type: l.quick_response_code_type,
            valid_from: time_opt(l.valid_from),
            valid_until: time_opt(l.valid_until),
            created_at: time(l.created_at),
            updated_at: time(l.updated_at),
            group_id: l.group_id,
            group: NamedRef {
                id: l.group_id,
                resource_type: "Group",
                name: l.group_name,
            },
            created_by_type: l.created_by_id.map(|_| "User"),
            created_by_id: l.created_by_id,
            issued_by_id: l.created_by_id,
        }
    }
}

/// The create answer: the link with its secret, shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedGroupLinkBody {
    #[serde(flatten)]
    pub link: GroupLinkBody,
    /// `Authorization: KISI-GROUP-LINK <secret>`, and the page `/q/<secret>`.
    pub secret: String,
    pub quick_response_code_token: Option<String>,
    pub quick_response_code_image: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupLinkRequest {
    group_link: GroupLinkFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupLinkFields {
    group_id: Option<i64>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// `online`, `offline` or null (accepted; gatehouse draws no QR codes).
    quick_response_code_type: Option<String>,
    link_enabled: Option<bool>,
    #[schema(value_type = Option<String>, format = DateTime)]
    valid_from: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    valid_until: Option<Timestamp>,
}

async fn require_group_manager(
    state: &AppState,
    caller: &gatehouse_domain::Principal,
    group_id: i64,
) -> ApiResult<()> {
    let group = state
        .store
        .group(caller.organization.id, group_id)
        .await
        .map_err(|_| ApiError::invalid("group_id", "does not exist in this organization"))?;
    policy::require(
        caller,
        MemberType::Manager,
        group.scope(),
        state.clock.now(),
        "manage this group's links",
    )
}

/// The quick access links of a group (`group_id`), or of every group for
/// organization managers.
#[utoipa::path(get, path = "/group_links", tag = "links", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("group_id" = Option<i64>, Query), ("query" = Option<String>, Query),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [GroupLinkBody], headers(("X-Collection-Range" = String))), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_group_links(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<GroupLinkBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    let group_id = params.int("group_id", &mut errors);
    errors.into_result()?;
    match group_id {
        Some(group_id) => require_group_manager(&state, &caller, group_id).await?,
        None => policy::require(
            &caller,
            MemberType::Manager,
            gatehouse_domain::Scope::Organization,
            state.clock.now(),
            "list every link",
        )?,
    }
    let query = GroupLinkQuery {
        ids,
        group_id,
        query: params.get("query").map(str::to_owned),
        page,
    };
    let links = state
        .store
        .list_group_links(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(links, page, GroupLinkBody::from))
}

/// Creates a quick access link to a group's doors. Managers of the group.
#[utoipa::path(post, path = "/group_links", tag = "links", security(("Kisi-Login" = [])), request_body = GroupLinkRequest,
    responses((status = 200, body = CreatedGroupLinkBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_group_link(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<GroupLinkRequest>,
) -> ApiResult<Json<CreatedGroupLinkBody>> {
    let f = request.group_link;
    let mut errors = FieldErrors::new();
    if f.group_id.is_none() {
        errors.add("group_id", "can't be blank");
    }
    let name = f.name.clone().unwrap_or_default();
    errors.check("name", check_length(name.trim(), 1, 255));
    let email = f
        .email
        .as_deref()
        .and_then(|e| errors.check("email", Email::parse(e)));
    if let Some(phone) = &f.phone {
        let digits = phone.strip_prefix('+').unwrap_or(phone);
        if !phone.starts_with('+')
            || !(8..=15).contains(&digits.len())
            || !digits.chars().all(|c| c.is_ascii_digit())
        {
            errors.add("phone", "must be an E.164 number such as +12125550100");
        }
    }
    if f.quick_response_code_type
        .as_deref()
        .is_some_and(|t| t != "online" && t != "offline")
    {
        errors.add(
            "quick_response_code_type",
            "must be online, offline or null",
        );
    }
    if let (Some(from), Some(until)) = (f.valid_from, f.valid_until) {
        if until <= from {
            errors.add("valid_until", "must be after valid_from");
        }
    }
    errors.into_result()?;
    let group_id = f.group_id.expect("checked");
    require_group_manager(&state, &caller, group_id).await?;
    let (secret, secret_hash) = new_secret();
    let new = NewGroupLink {
        group_id,
        name: name.trim().to_owned(),
        email,
        phone: f.phone,
        link_enabled: f.link_enabled.unwrap_or(true),
        quick_response_code_type: f.quick_response_code_type,
        valid_from: f.valid_from,
        valid_until: f.valid_until,
        secret_hash,
    };
    let link = state
        .store
        .create_group_link(
            &caller.actor(),
            caller.organization.id,
            &new,
            state.clock.now(),
        )
        .await?;
    Ok(Json(CreatedGroupLinkBody {
        link: link.into(),
        secret,
        quick_response_code_token: None,
        quick_response_code_image: None,
    }))
}

/// Revokes a quick access link.
#[utoipa::path(delete, path = "/group_links/{id}", tag = "links", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_group_link(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let query = GroupLinkQuery {
        ids: Some(vec![id]),
        page: Page::new(1, 0),
        ..GroupLinkQuery::default()
    };
    let link = state
        .store
        .list_group_links(caller.organization.id, &query)
        .await?
        .items
        .pop()
        .ok_or(ApiError::NotFound)?;
    require_group_manager(&state, &caller, link.group_id).await?;
    state
        .store
        .delete_group_link(
            &caller.actor(),
            caller.organization.id,
            id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '&' => "&amp;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

async fn link_of(state: &AppState, secret: &str) -> Option<GroupLink> {
    state
        .store
        .authenticate_link(&hash_secret(secret), state.clock.now())
        .await
        .ok()
        .flatten()
}

/// The page a quick access link opens: its doors, each with an unlock
/// button. No sign-in; the link is the credential.
#[utoipa::path(get, path = "/q/{secret}", tag = "links", params(("secret" = String, Path)),
    responses((status = 200, description = "An HTML page", content_type = "text/html"), (status = 404, description = "No such link")))]
async fn link_page(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> (StatusCode, Html<String>) {
    render(&state, &secret, None).await
}

/// Presses the unlock button of a door on the link's page.
#[utoipa::path(post, path = "/q/{secret}/locks/{id}/unlock", tag = "links",
    params(("secret" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The page with the outcome", content_type = "text/html"), (status = 404, description = "No such link")))]
async fn link_unlock(
    State(state): State<AppState>,
    Path((secret, id)): Path<(String, i64)>,
) -> (StatusCode, Html<String>) {
    let Some(link) = link_of(&state, &secret).await else {
        return render(&state, &secret, None).await;
    };
    let outcome =
        match doors::open_with_link(state.store.as_ref(), &link, id, None, state.clock.now()).await
        {
            Ok(()) => Ok(id),
            Err(ApiError::Door(denial)) => Err(format!("{} ({})", denial.message(), denial.code())),
            Err(_) => Err("Something went wrong; please try again.".to_owned()),
        };
    render(&state, &secret, Some(outcome)).await
}

async fn render(
    state: &AppState,
    secret: &str,
    outcome: Option<Result<i64, String>>,
) -> (StatusCode, Html<String>) {
    let Some(link) = link_of(state, secret).await else {
        return (
            StatusCode::NOT_FOUND,
            Html(page(
                "Link not found",
                "<p>This quick access link does not exist or was revoked.</p>",
            )),
        );
    };
    let query = GroupLockQuery {
        group_id: Some(link.group_id),
        page: Page::new(250, 0),
        ..GroupLockQuery::default()
    };
    let doors = state
        .store
        .list_group_locks(link.organization_id, &query)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let mut body = format!(
        "<p>Hello {}. These doors open for you:</p>",
        escape(&link.name)
    );
    match &outcome {
        Some(Ok(_)) => body.push_str("<p class=\"ok\" role=\"status\">Unlocked!</p>"),
        Some(Err(reason)) => body.push_str(&format!(
            "<p class=\"denied\" role=\"alert\">Not unlocked: {}</p>",
            escape(reason)
        )),
        None => {}
    }
    if doors.is_empty() {
        body.push_str("<p>No doors yet.</p>");
    }
    body.push_str("<ul>");
    for door in doors {
        body.push_str(&format!(
            "<li><form method=\"post\" action=\"/q/{}/locks/{}/unlock\"><span>{} <small>{}</small></span> \
             <button type=\"submit\">Unlock</button></form></li>",
            escape(secret),
            door.lock_id,
            escape(&door.lock_name),
            escape(&door.place_name)
        ));
    }
    body.push_str("</ul>");
    (StatusCode::OK, Html(page(&link.group_name, &body)))
}

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{0} · gatehouse</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}\
         li{{list-style:none;margin:.5rem 0}}form{{display:flex;justify-content:space-between;align-items:center;gap:1rem}}\
         button{{font-size:1rem;padding:.5rem 1rem}}.ok{{color:#0a6b2c}}.denied{{color:#a3141e}}</style></head>\
         <body><h1>{0}</h1>{1}</body></html>",
        escape(title),
        body
    )
}
