//! Member exports (`/member_exports`): the seed's "Member Exports tab" as
//! an API. A background job writes a CSV or XLSX file, one row per member;
//! administrators export anyone, managers the members of their groups.

use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_domain::{
    ExportFormat, ExportStatus, FieldErrors, MemberExport, MemberType, Principal, Scope,
};
use gatehouse_store::MemberQuery;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::exports::{file_of, run};
use crate::extract::{Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::{time, time_opt};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_member_exports, create_member_export))
        .routes(routes!(get_member_export, delete_member_export))
        .routes(routes!(download_member_export))
}

/// This project's MemberExport object.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberExportBody {
    pub id: i64,
    #[schema(example = "MemberExport")]
    pub resource_type: &'static str,
    /// `waiting`, `in_progress`, `finished` or `failed`.
    pub status: &'static str,
    /// `csv` or `xlsx`.
    pub format: &'static str,
    pub rows_count: i64,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

impl From<MemberExport> for MemberExportBody {
    fn from(e: MemberExport) -> Self {
        MemberExportBody {
            id: e.id,
            resource_type: "MemberExport",
            status: e.status.as_str(),
            format: e.format.as_str(),
            rows_count: e.rows_count,
            created_at: time(e.created_at),
            updated_at: time(e.updated_at),
            finished_at: time_opt(e.finished_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberExportRequest {
    member_export: MemberExportFields,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberExportFields {
    /// `csv` or `xlsx`.
    format: Option<String>,
    place_id: Option<i64>,
    group_id: Option<i64>,
    /// Part of the name, e-mail or notes.
    query: Option<String>,
}

fn is_admin(state: &AppState, caller: &Principal) -> bool {
    caller.type_in(Scope::Organization, state.clock.now()) >= MemberType::Administrator
}

/// An export the caller may see: their own, or any for administrators.
async fn own_export(state: &AppState, caller: &Principal, id: i64) -> ApiResult<MemberExport> {
    let export = state
        .store
        .member_export(caller.organization.id, id)
        .await?;
    if export.user_id == caller.login.user_id || is_admin(state, caller) {
        Ok(export)
    } else {
        Err(ApiError::forbidden("see another member's export"))
    }
}

/// The caller's exports (administrators: every export).
#[utoipa::path(get, path = "/member_exports", tag = "exports", security(("Kisi-Login" = [])),
    params(("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [MemberExportBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_member_exports(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<MemberExportBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    errors.into_result()?;
    let mine = (!is_admin(&state, &caller)).then_some(caller.login.user_id);
    let exports = state
        .store
        .list_member_exports(caller.organization.id, mine, page)
        .await?;
    Ok(Listed::new(exports, page, MemberExportBody::from))
}

/// Starts an export: answers at once (`waiting`); poll it until `finished`,
/// then download the file. Managers export the members of their groups.
#[utoipa::path(post, path = "/member_exports", tag = "exports", security(("Kisi-Login" = [])), request_body = MemberExportRequest,
    responses((status = 200, body = MemberExportBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_member_export(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<MemberExportRequest>,
) -> ApiResult<Json<MemberExportBody>> {
    if caller.member_type() < MemberType::Manager {
        return Err(ApiError::forbidden("export members"));
    }
    let fields = request.member_export;
    let mut errors = FieldErrors::new();
    let format = match fields.format.as_deref().map(ExportFormat::parse) {
        Some(Some(format)) => Some(format),
        _ => {
            errors.add("format", "must be csv or xlsx");
            None
        }
    };
    if let Some(place_id) = fields.place_id {
        if state
            .store
            .place(caller.organization.id, place_id, None)
            .await
            .is_err()
        {
            errors.add("place_id", "does not exist in this organization");
        }
    }
    if let Some(group_id) = fields.group_id {
        if state
            .store
            .group(caller.organization.id, group_id)
            .await
            .is_err()
        {
            errors.add("group_id", "does not exist in this organization");
        }
    }
    errors.into_result()?;
    let now = state.clock.now();
    let query = MemberQuery {
        place_id: fields.place_id,
        group_id: fields.group_id,
        query: fields.query.clone(),
        visible_to: policy::visibility(&caller, now),
        ..MemberQuery::default()
    };
    let filters = serde_json::json!({
        "place_id": fields.place_id,
        "group_id": fields.group_id,
        "query": fields.query,
        "scoped_to_managed_groups": query.visible_to.is_some(),
    });
    let export = state
        .store
        .create_member_export(
            caller.organization.id,
            caller.login.user_id,
            format.expect("checked"),
            &filters.to_string(),
            now,
        )
        .await?;
    tokio::spawn(run(state.clone(), export.clone(), query));
    Ok(Json(MemberExportBody::from(export)))
}

/// One export and its progress.
#[utoipa::path(get, path = "/member_exports/{id}", tag = "exports", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = MemberExportBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_member_export(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<MemberExportBody>> {
    Ok(Json(own_export(&state, &caller, id).await?.into()))
}

/// The file of a finished export (`text/csv; charset=utf-8` or XLSX).
#[utoipa::path(get, path = "/member_exports/{id}/download", tag = "exports", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "text/csv"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn download_member_export(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let export = own_export(&state, &caller, id).await?;
    if export.status != ExportStatus::Finished {
        return Err(ApiError::invalid(
            "status",
            format!(
                "is {}; download once it is finished",
                export.status.as_str()
            ),
        ));
    }
    let path = file_of(&state.exports_dir, &export);
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ApiError::NotFound)?;
    let (content_type, extension) = match export.format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let body = HttpBody::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition = format!("attachment; filename=\"members-{}.{extension}\"", export.id);
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// Deletes an export and its file.
#[utoipa::path(delete, path = "/member_exports/{id}", tag = "exports", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_member_export(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let export = own_export(&state, &caller, id).await?;
    state
        .store
        .delete_member_export(caller.organization.id, id)
        .await?;
    let _ = tokio::fs::remove_file(file_of(&state.exports_dir, &export)).await;
    Ok(StatusCode::NO_CONTENT)
}
