//! Member export jobs.

use super::conns::Conns;
use gatehouse_domain::{ExportFormat, ExportStatus, MemberExport, Timestamp};
use gatehouse_store::{Page, Paged, StoreError, StoreResult};
use sqlx::QueryBuilder;

use super::{db, fetch_page, Db};

const SELECT: &str =
    "SELECT id, organization_id, user_id, format, filters, status, rows_count, error, created_at, \
    updated_at, finished_at FROM member_exports";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    organization_id: i64,
    user_id: i64,
    format: String,
    filters: String,
    status: String,
    rows_count: i64,
    error: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
    finished_at: Option<Timestamp>,
}

impl TryFrom<Row> for MemberExport {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<Self, StoreError> {
        let broken = || StoreError::Backend(format!("member export {} is malformed", row.id));
        Ok(MemberExport {
            id: row.id,
            organization_id: row.organization_id,
            user_id: row.user_id,
            format: ExportFormat::parse(&row.format).ok_or_else(broken)?,
            filters: row.filters.clone(),
            status: ExportStatus::parse(&row.status).ok_or_else(broken)?,
            rows_count: row.rows_count,
            error: row.error,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        })
    }
}

pub(super) async fn create(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
    format: ExportFormat,
    filters: &str,
    now: Timestamp,
) -> StoreResult<MemberExport> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO member_exports (organization_id, user_id, format, filters, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'waiting', $5, $5) RETURNING id",
    )
    .bind(organization_id)
    .bind(user_id)
    .bind(format.as_str())
    .bind(filters)
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    get(pool, organization_id, id).await
}

pub(super) async fn get(pool: &Conns, organization_id: i64, id: i64) -> StoreResult<MemberExport> {
    sqlx::query_as::<_, Row>(&format!("{SELECT} WHERE organization_id = $1 AND id = $2"))
        .bind(organization_id)
        .bind(id)
        .fetch_one(pool)
        .await
        .map_err(db)?
        .try_into()
}

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    user_id: Option<i64>,
    page: Page,
) -> StoreResult<Paged<MemberExport>> {
    let filter = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(" FROM member_exports WHERE organization_id = ")
            .push_bind(organization_id);
        if let Some(user_id) = user_id {
            sql.push(" AND user_id = ").push_bind(user_id);
        }
    };
    let select = SELECT.trim_end_matches(" FROM member_exports");
    let (rows, total) = fetch_page::<Row>(
        pool,
        "SELECT COUNT(*)",
        select,
        &filter,
        " ORDER BY id DESC",
        page,
    )
    .await?;
    Ok(Paged {
        items: rows
            .into_iter()
            .map(MemberExport::try_from)
            .collect::<Result<_, _>>()?,
        total,
    })
}

pub(super) async fn delete(pool: &Conns, organization_id: i64, id: i64) -> StoreResult<()> {
    let deleted = sqlx::query("DELETE FROM member_exports WHERE organization_id = $1 AND id = $2")
        .bind(organization_id)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db)?
        .rows_affected();
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) async fn set_status(
    pool: &Conns,
    id: i64,
    status: ExportStatus,
    rows_count: i64,
    error: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    let finished = matches!(status, ExportStatus::Finished | ExportStatus::Failed).then_some(now);
    sqlx::query("UPDATE member_exports SET status = $1, rows_count = $2, error = $3, updated_at = $4, finished_at = $5 WHERE id = $6")
        .bind(status.as_str())
        .bind(rows_count)
        .bind(error)
        .bind(now)
        .bind(finished)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}

/// Fails the exports and imports still waiting or in progress that no node
/// has reported on since `silent_since`: their node stopped. A running job
/// reports at least every `JOB_HEARTBEAT` (see `keep_alive`).
pub(super) async fn fail_interrupted(
    pool: &Conns,
    silent_since: Timestamp,
    now: Timestamp,
) -> StoreResult<u64> {
    let imports = sqlx::query(
        "UPDATE csv_user_imports SET status = 'failed', import_errors = '{\"base\":[\"interrupted by a restart; import the file again\"]}', \
         updated_at = $1 WHERE status IN ('waiting', 'in_progress') AND updated_at < $2",
    )
    .bind(now)
    .bind(silent_since)
    .execute(pool)
    .await
    .map_err(db)?
    .rows_affected();
    let failed = imports + sqlx::query(
        "UPDATE member_exports SET status = 'failed', error = 'interrupted by a restart; create the export again', \
         updated_at = $1, finished_at = $1 WHERE status IN ('waiting', 'in_progress') AND updated_at < $2",
    )
    .bind(now)
    .bind(silent_since)
    .execute(pool)
    .await
    .map_err(db)?
    .rows_affected();
    Ok(failed)
}

/// A running job's report that its node is alive: moves `updated_at` (and
/// an export's row count) while the job is still running, never after.
pub(super) async fn keep_alive(
    pool: &Conns,
    job: gatehouse_store::RunningJob,
    now: Timestamp,
) -> StoreResult<()> {
    let query = match job {
        gatehouse_store::RunningJob::Export { id, rows } => sqlx::query(
            "UPDATE member_exports SET rows_count = $1, updated_at = $2 WHERE id = $3 AND status = 'in_progress'",
        )
        .bind(rows)
        .bind(now)
        .bind(id),
        gatehouse_store::RunningJob::Import { id } => sqlx::query(
            "UPDATE csv_user_imports SET updated_at = $1 WHERE id = $2 AND status = 'in_progress'",
        )
        .bind(now)
        .bind(id),
    };
    query.execute(pool).await.map_err(db).map(drop)
}

pub(super) async fn create_import(
    pool: &Conns,
    organization_id: i64,
    user_id: i64,
    file_name: &str,
    now: Timestamp,
) -> StoreResult<gatehouse_domain::CsvImport> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO csv_user_imports (organization_id, user_id, file_name, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'waiting', $4, $4) RETURNING id",
    )
    .bind(organization_id)
    .bind(user_id)
    .bind(file_name)
    .bind(now)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    import(pool, organization_id, id).await
}

pub(super) async fn import(
    pool: &Conns,
    organization_id: i64,
    id: i64,
) -> StoreResult<gatehouse_domain::CsvImport> {
    let (user_id, file_name, status, errors, created_at, updated_at): (i64, String, String, String, Timestamp, Timestamp) = sqlx::query_as(
        "SELECT user_id, file_name, status, import_errors, created_at, updated_at FROM csv_user_imports WHERE organization_id = $1 AND id = $2",
    )
    .bind(organization_id)
    .bind(id)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(gatehouse_domain::CsvImport {
        id,
        organization_id,
        user_id,
        file_name,
        status: ExportStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("csv import {id} is malformed")))?,
        import_errors: errors,
        created_at,
        updated_at,
    })
}

pub(super) async fn set_import_status(
    pool: &Conns,
    id: i64,
    status: ExportStatus,
    errors: &str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("UPDATE csv_user_imports SET status = $1, import_errors = $2, updated_at = $3 WHERE id = $4")
        .bind(status.as_str())
        .bind(errors)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}
