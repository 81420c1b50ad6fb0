//! CSV user imports (`/csv_user_imports`). gatehouse takes the file in the
//! request: `{"csv_user_import": {"file_name": "...", "content": "<the CSV>"}}`
//! (bodies up to 1 MiB; `gatehouse members import FILE` has no limit).

use axum::extract::State;
use axum::Json;
use gatehouse_domain::{CsvImport, FieldErrors, MemberType, Scope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{Auth, Body, Id};
use crate::wire::{time, OrganizationRef};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_csv_user_import))
        .routes(routes!(get_csv_user_import))
}

/// Kisi's CsvUserImport object.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsvUserImportBody {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    /// Line number → the problems of that line.
    #[schema(value_type = Object)]
    pub import_errors: serde_json::Value,
    pub file_name: String,
    pub status: &'static str,
    pub organization_id: Option<i64>,
    pub organization: OrganizationRef,
}

fn body(import: CsvImport, organization: &gatehouse_domain::Organization) -> CsvUserImportBody {
    CsvUserImportBody {
        id: import.id,
        name: import.file_name.clone(),
        created_at: time(import.created_at),
        updated_at: time(import.updated_at),
        import_errors: serde_json::from_str(&import.import_errors)
            .unwrap_or_else(|_| serde_json::json!({})),
        file_name: import.file_name,
        status: import.status.as_str(),
        organization_id: Some(organization.id),
        organization: OrganizationRef::of(organization),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CsvUserImportRequest {
    csv_user_import: CsvUserImportFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CsvUserImportFields {
    file_name: Option<String>,
    /// The CSV itself (gatehouse addition): email, name, image, password_flow,
    /// role_id, group_ids (`;`-separated), credential_token, backup_credential_token.
    content: Option<String>,
}

/// Imports members from CSV in the background; poll it for `import_errors`.
/// Administrators only.
#[utoipa::path(post, path = "/csv_user_imports", tag = "exports", security(("Kisi-Login" = [])), request_body = CsvUserImportRequest,
    responses((status = 200, body = CsvUserImportBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_csv_user_import(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<CsvUserImportRequest>,
) -> ApiResult<Json<CsvUserImportBody>> {
    crate::policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Organization,
        state.clock.now(),
        "import members",
    )?;
    let f = request.csv_user_import;
    let mut errors = FieldErrors::new();
    let file_name = f.file_name.unwrap_or_default();
    if file_name.trim().is_empty() {
        errors.add("file_name", "can't be blank");
    }
    if f.content.as_deref().is_none_or(|c| c.trim().is_empty()) {
        errors.add("content", "can't be blank: send the CSV in the request");
    }
    errors.into_result()?;
    let import = state
        .store
        .create_csv_import(
            caller.organization.id,
            caller.login.user_id,
            file_name.trim(),
            state.clock.now(),
        )
        .await?;
    tokio::spawn(crate::imports::run(
        state.clone(),
        import.clone(),
        caller.actor(),
        f.content.unwrap_or_default().into_bytes(),
    ));
    Ok(Json(body(import, &caller.organization)))
}

/// One import, with its status and `import_errors`.
#[utoipa::path(get, path = "/csv_user_imports/{id}", tag = "exports", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CsvUserImportBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_csv_user_import(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<CsvUserImportBody>> {
    let import = state.store.csv_import(caller.organization.id, id).await?;
    if import.user_id != caller.login.user_id
        && caller.type_in(Scope::Organization, state.clock.now()) < MemberType::Administrator
    {
        return Err(ApiError::forbidden("see this import"));
    }
    Ok(Json(body(import, &caller.organization)))
}
