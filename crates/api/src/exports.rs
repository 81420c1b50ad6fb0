//! The member export job: writes the file in the background, streaming rows
//! from the store so memory stays flat however many members there are.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use gatehouse_domain::{
    neutralize, ExportFormat, ExportRow, ExportStatus, MemberExport, EXPORT_COLUMNS,
};
use gatehouse_store::{MemberQuery, RunningJob};

use crate::wire::{time, time_opt};
use crate::AppState;

/// Where an export's file lives.
pub fn file_of(exports_dir: &Path, export: &MemberExport) -> PathBuf {
    exports_dir
        .join(export.organization_id.to_string())
        .join(format!("{}.{}", export.id, export.format.as_str()))
}

fn cells(row: &ExportRow) -> [String; 16] {
    let flag = |on: bool| if on { "true" } else { "false" }.to_owned();
    let f = row.flags;
    [
        row.id.to_string(),
        row.name.clone(),
        row.email.clone(),
        row.member_type.as_str().to_owned(),
        flag(f.access_enabled),
        flag(f.password_flow_enabled),
        flag(f.link_enabled),
        flag(f.app_enabled),
        flag(f.card_enabled),
        flag(f.cards_without_activation_enabled),
        row.groups.join("; "),
        row.places.join("; "),
        row.cards_count.to_string(),
        time_opt(row.last_accessed_at).unwrap_or_default(),
        row.last_accessed_lock.clone().unwrap_or_default(),
        time(row.created_at),
    ]
}

/// How often a running export or import reports that its node is alive.
pub const JOB_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(20);

/// How long a job may go unreported before any node marks it failed: its
/// node stopped (several heartbeats, so a busy node is not mistaken).
pub const JOB_SILENCE: chrono::Duration = chrono::Duration::seconds(90);

/// Runs `work`, reporting `job()` through `store` every `every` until it
/// ends, so that the other nodes' sweeps leave it alone.
pub async fn keeping_alive<T>(
    store: &dyn gatehouse_store::Store,
    clock: &dyn crate::Clock,
    every: std::time::Duration,
    job: impl Fn() -> RunningJob,
    work: impl std::future::Future<Output = T>,
) -> T {
    let mut work = std::pin::pin!(work);
    let mut beat = tokio::time::interval(every);
    beat.tick().await;
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = beat.tick() => {
                let running = job();
                if let Err(error) = store.keep_job_alive(running, clock.now()).await {
                    tracing::warn!(%error, ?running, "could not report a running job");
                }
            }
        }
    }
}

/// Runs one export to its end, recording its status as it goes.
pub async fn run(state: AppState, export: MemberExport, query: MemberQuery) {
    let store = state.store.clone();
    let now = || state.clock.now();
    let _ = store
        .set_member_export_status(export.id, ExportStatus::InProgress, 0, None, now())
        .await;
    let path = file_of(&state.exports_dir, &export);
    let rows = AtomicI64::new(0);
    let job = || RunningJob::Export {
        id: export.id,
        rows: rows.load(Ordering::Relaxed),
    };
    let outcome = keeping_alive(
        store.as_ref(),
        state.clock.as_ref(),
        JOB_HEARTBEAT,
        job,
        write(
            store.as_ref(),
            export.organization_id,
            export.format,
            &query,
            &path,
            &mut |written| rows.store(written, Ordering::Relaxed),
        ),
    )
    .await;
    let _ = match outcome {
        Ok(rows) => {
            store
                .set_member_export_status(export.id, ExportStatus::Finished, rows, None, now())
                .await
        }
        Err(error) => {
            tracing::error!(export = export.id, %error, "member export failed");
            let _ = std::fs::remove_file(&path);
            store
                .set_member_export_status(export.id, ExportStatus::Failed, 0, Some(&error), now())
                .await
        }
    };
}

/// Writes the members a query selects to `path`, as CSV or XLSX, row by
/// row; `progress` hears the count so far. Returns how many rows.
pub async fn write(
    store: &dyn gatehouse_store::Store,
    org: i64,
    format: ExportFormat,
    query: &MemberQuery,
    path: &Path,
    progress: &mut (dyn FnMut(i64) + Send),
) -> Result<i64, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut written = 0;
    match format {
        ExportFormat::Csv => {
            let file = File::create(path).map_err(|e| e.to_string())?;
            let mut writer = csv::Writer::from_writer(BufWriter::new(file));
            writer
                .write_record(EXPORT_COLUMNS)
                .map_err(|e| e.to_string())?;
            let mut sink = |row: ExportRow| {
                let cells = cells(&row);
                written += 1;
                progress(written);
                writer
                    .write_record(cells.iter().map(|c| neutralize(c).into_owned()))
                    .map_err(|e| e.to_string())
            };
            let rows = store
                .export_members(org, query, &mut sink)
                .await
                .map_err(|e| e.to_string())?;
            writer.flush().map_err(|e| e.to_string())?;
            Ok(rows)
        }
        ExportFormat::Xlsx => {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook.add_worksheet_with_constant_memory();
            sheet.set_name("Members").map_err(|e| e.to_string())?;
            for (column, name) in EXPORT_COLUMNS.iter().enumerate() {
                sheet
                    .write_string(0, column as u16, *name)
                    .map_err(|e| e.to_string())?;
            }
            let mut line: u32 = 0;
            let mut sink = |row: ExportRow| {
                line += 1;
                progress(i64::from(line));
                for (column, cell) in cells(&row).iter().enumerate() {
                    sheet
                        .write_string(line, column as u16, neutralize(cell))
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            };
            let rows = store
                .export_members(org, query, &mut sink)
                .await
                .map_err(|e| e.to_string())?;
            workbook.save(path).map_err(|e| e.to_string())?;
            Ok(rows)
        }
    }
}
