//! CSV user imports: each row in its own transaction, so a bad row is
//! reported and the others still land; importing a file twice changes
//! nothing the second time.

use std::collections::BTreeMap;

use gatehouse_domain::{parse_import_row, Actor, ExportStatus};
use gatehouse_store::Store;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub changed: u64,
    pub unchanged: u64,
    /// Line number (1 = the first line of the file) → problems.
    pub errors: BTreeMap<String, Vec<String>>,
}

/// Imports CSV text in Kisi's column order (a first line starting with
/// `email` is a header); `progress` hears the rows done so far.
pub async fn import_csv(
    store: &dyn Store,
    actor: &Actor,
    organization_id: i64,
    csv_text: &[u8],
    progress: &mut (dyn FnMut(u64) + Send),
) -> ImportSummary {
    let mut summary = ImportSummary::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text);
    let mut batch: Vec<(String, gatehouse_domain::ImportRow)> = Vec::with_capacity(BATCH);
    let mut done = 0;
    for (index, record) in reader.records().enumerate() {
        let line = (index + 1).to_string();
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                summary
                    .errors
                    .entry(line)
                    .or_default()
                    .push(format!("unreadable: {error}"));
                continue;
            }
        };
        let fields: Vec<&str> = record.iter().collect();
        let header = index == 0
            && fields
                .first()
                .is_some_and(|f| f.trim().eq_ignore_ascii_case("email"));
        if header || fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match parse_import_row(&fields) {
            Err(problems) => {
                summary.errors.insert(line, problems);
            }
            Ok(row) => batch.push((line, row)),
        }
        if batch.len() == BATCH {
            done += flush(store, actor, organization_id, &mut batch, &mut summary).await;
            progress(done);
        }
    }
    done += flush(store, actor, organization_id, &mut batch, &mut summary).await;
    progress(done);
    summary
}

/// Rows per database transaction (each row still in its own savepoint).
const BATCH: usize = 500;

async fn flush(
    store: &dyn Store,
    actor: &Actor,
    organization_id: i64,
    batch: &mut Vec<(String, gatehouse_domain::ImportRow)>,
    summary: &mut ImportSummary,
) -> u64 {
    if batch.is_empty() {
        return 0;
    }
    let rows: Vec<gatehouse_domain::ImportRow> = batch.iter().map(|(_, row)| row.clone()).collect();
    let count = rows.len() as u64;
    match store
        .import_users(actor, organization_id, &rows, now())
        .await
    {
        Ok(outcomes) => {
            for ((line, _), outcome) in batch.drain(..).zip(outcomes) {
                match outcome {
                    Ok(true) => summary.changed += 1,
                    Ok(false) => summary.unchanged += 1,
                    Err(error) => {
                        summary.errors.insert(line, vec![error.to_string()]);
                    }
                }
            }
        }
        Err(error) => {
            for (line, _) in batch.drain(..) {
                summary
                    .errors
                    .insert(line, vec![format!("not imported: {error}")]);
            }
        }
    }
    count
}

fn now() -> gatehouse_domain::Timestamp {
    crate::Clock::now(&crate::SystemClock)
}

/// Runs an import job and records its outcome.
pub async fn run(
    state: crate::AppState,
    import: gatehouse_domain::CsvImport,
    actor: Actor,
    content: Vec<u8>,
) {
    let store = state.store.clone();
    let _ = store
        .set_csv_import_status(import.id, ExportStatus::InProgress, "{}", state.clock.now())
        .await;
    let job = || gatehouse_store::RunningJob::Import { id: import.id };
    let summary = crate::exports::keeping_alive(
        store.as_ref(),
        state.clock.as_ref(),
        crate::exports::JOB_HEARTBEAT,
        job,
        import_csv(
            store.as_ref(),
            &actor,
            import.organization_id,
            &content,
            &mut |_| {},
        ),
    )
    .await;
    let errors = serde_json::to_string(&summary.errors).unwrap_or_else(|_| "{}".into());
    let _ = store
        .set_csv_import_status(
            import.id,
            ExportStatus::Finished,
            &errors,
            state.clock.now(),
        )
        .await;
}
