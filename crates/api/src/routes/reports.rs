//! Kisi's reports (`/reports`), offering the member export as the report
//! type `reporter_id` 1 ("members"), so Kisi clients reach exports too.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
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
use crate::exports::run;
use crate::extract::{Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::{time, OrganizationRef};
use crate::AppState;

/// The one reporter gatehouse offers: every member, as in a member export.
pub const MEMBERS_REPORTER: i64 = 1;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports, create_report))
        .routes(routes!(get_report, delete_report))
        .routes(routes!(download_report))
}

/// Kisi's Report object.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    pub id: i64,
    #[schema(example = "Report")]
    pub resource_type: &'static str,
    pub name: String,
    pub status: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub start_date: String,
    pub end_date: String,
    pub time_zone: Option<String>,
    pub organization_id: i64,
    pub organization: OrganizationRef,
    pub place_id: Option<i64>,
    pub reporter_id: i64,
}

fn report(export: MemberExport, caller: &Principal) -> ReportBody {
    let filters: serde_json::Value = serde_json::from_str(&export.filters).unwrap_or_default();
    let date = |key: &str| {
        filters[key]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| export.created_at.format("%Y-%m-%d").to_string())
    };
    ReportBody {
        id: export.id,
        resource_type: "Report",
        name: filters["name"].as_str().unwrap_or("Members").to_owned(),
        status: export.status.as_str(),
        created_at: time(export.created_at),
        updated_at: time(export.updated_at),
        start_date: date("start_date"),
        end_date: date("end_date"),
        time_zone: Some(
            filters["time_zone"]
                .as_str()
                .unwrap_or(&caller.organization.time_zone)
                .to_owned(),
        ),
        organization_id: caller.organization.id,
        organization: OrganizationRef::of(&caller.organization),
        place_id: filters["place_id"].as_i64(),
        reporter_id: MEMBERS_REPORTER,
    }
}

async fn own(state: &AppState, caller: &Principal, id: i64) -> ApiResult<MemberExport> {
    let export = state
        .store
        .member_export(caller.organization.id, id)
        .await?;
    let admin = caller.type_in(Scope::Organization, state.clock.now()) >= MemberType::Administrator;
    if export.user_id == caller.login.user_id || admin {
        Ok(export)
    } else {
        Err(ApiError::forbidden("see another member's report"))
    }
}

/// The caller's reports (administrators: all).
#[utoipa::path(get, path = "/reports", tag = "exports", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [ReportBody], headers(("X-Collection-Range" = String))), (status = 401, body = ErrorBody)))]
async fn list_reports(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<ReportBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    errors.into_result()?;
    let admin = caller.type_in(Scope::Organization, state.clock.now()) >= MemberType::Administrator;
    let mine = (!admin).then_some(caller.login.user_id);
    let mut exports = state
        .store
        .list_member_exports(caller.organization.id, mine, page)
        .await?;
    if let Some(ids) = ids {
        exports.items.retain(|e| ids.contains(&e.id));
    }
    Ok(Listed::new(exports, page, |e| report(e, &caller)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReportRequest {
    report: ReportFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReportFields {
    name: Option<String>,
    /// `1`: members (the member export).
    reporter_id: Option<i64>,
    /// `YYYY-MM-DD`; recorded (a member report lists members as they are now).
    start_date: Option<String>,
    end_date: Option<String>,
    time_zone: Option<String>,
}

/// Creates a report: for `reporter_id` 1, a CSV member export.
#[utoipa::path(post, path = "/reports", tag = "exports", security(("Kisi-Login" = [])), request_body = ReportRequest,
    responses((status = 200, body = ReportBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_report(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<ReportRequest>,
) -> ApiResult<Json<ReportBody>> {
    if caller.member_type() < MemberType::Manager {
        return Err(ApiError::forbidden("create reports"));
    }
    let f = request.report;
    let mut errors = FieldErrors::new();
    if f.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        errors.add("name", "can't be blank");
    }
    if f.reporter_id != Some(MEMBERS_REPORTER) {
        errors.add(
            "reporter_id",
            "must be 1 (members): the report gatehouse offers",
        );
    }
    for (field, value) in [("start_date", &f.start_date), ("end_date", &f.end_date)] {
        if let Some(value) = value {
            errors.check(
                field,
                chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .map_err(|_| "must be YYYY-MM-DD"),
            );
        }
    }
    errors.into_result()?;
    let now = state.clock.now();
    let query = MemberQuery {
        visible_to: policy::visibility(&caller, now),
        ..MemberQuery::default()
    };
    let filters = serde_json::json!({
        "name": f.name.map(|n| n.trim().to_owned()),
        "start_date": f.start_date,
        "end_date": f.end_date,
        "time_zone": f.time_zone,
        "scoped_to_managed_groups": query.visible_to.is_some(),
    });
    let export = state
        .store
        .create_member_export(
            caller.organization.id,
            caller.login.user_id,
            ExportFormat::Csv,
            &filters.to_string(),
            now,
        )
        .await?;
    tokio::spawn(run(state.clone(), export.clone(), query));
    Ok(Json(report(export, &caller)))
}

/// One report.
#[utoipa::path(get, path = "/reports/{id}", tag = "exports", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ReportBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_report(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<ReportBody>> {
    Ok(Json(report(own(&state, &caller, id).await?, &caller)))
}

/// Deletes a report and its file.
#[utoipa::path(delete, path = "/reports/{id}", tag = "exports", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_report(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let export = own(&state, &caller, id).await?;
    state
        .store
        .delete_member_export(caller.organization.id, id)
        .await?;
    let _ = tokio::fs::remove_file(crate::exports::file_of(&state.exports_dir, &export)).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadBody {
    /// Fetch it with the same `Authorization` header.
    pub url: String,
}

/// Where to download a finished report: `{"url": ...}`.
#[utoipa::path(post, path = "/reports/{id}/download", tag = "exports", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = DownloadBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn download_report(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    headers: HeaderMap,
) -> ApiResult<Json<DownloadBody>> {
    let export = own(&state, &caller, id).await?;
    if export.status != ExportStatus::Finished {
        return Err(ApiError::invalid(
            "status",
            format!(
                "is {}; download once it is finished",
                export.status.as_str()
            ),
        ));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    Ok(Json(DownloadBody {
        url: format!("http://{host}/member_exports/{}/download", export.id),
    }))
}
