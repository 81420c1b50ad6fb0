//! Member exports through HTTP, read back with real CSV and XLSX readers.

use std::io::Cursor;
use std::time::Duration;

use calamine::{Reader, Xlsx};
use gatehouse_domain::{Subscription, EXPORT_COLUMNS};
use serde_json::json;

use crate::helpers::TestApp;

crate::on_both_backends!(
    exports_read_back_safely,
    exports_are_scoped_and_guarded,
    reports_offer_the_member_export,
    csv_imports_report_bad_rows_and_repeat_cleanly,
    running_jobs_report_their_node_alive,
);

/// Names a spreadsheet must show as they are, and ones it must not evaluate.
const NAMES: [&str; 8] = [
    "Smith, John",
    "Quote \"Q\" Person",
    "Line\nBreak",
    "王小明",
    "=HYPERLINK(\"x\")",
    "+1 555",
    "-minus",
    "@SUM(A1)",
];

async fn finished(app: &TestApp, secret: &str, id: i64) -> serde_json::Value {
    for _ in 0..100 {
        let export = app.get(&format!("/member_exports/{id}"), secret).await.body;
        if export["status"] == "finished" || export["status"] == "failed" {
            return export;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("export {id} did not finish");
}

async fn download(app: &TestApp, secret: &str, id: i64) -> (String, Vec<u8>) {
    let response = app
        .http
        .get(format!("{}/member_exports/{id}/download", app.base))
        .header("Authorization", format!("KISI-LOGIN {secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (kind, response.bytes().await.unwrap().to_vec())
}

fn expected_cell(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@']) {
        format!("'{name}")
    } else {
        name.to_owned()
    }
}

async fn exports_read_back_safely(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let s = &owner.secret;
    for (i, name) in NAMES.iter().enumerate() {
        let reply = app
            .post(
                "/members",
                s,
                json!({"member": {"email": format!("m{i}@x.io"), "name": name}}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let place = app
        .post(
            "/places",
            s,
            json!({"place": {"name": "HQ", "address": "x"}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let group = app
        .post(
            "/groups",
            s,
            json!({"group": {"name": "Staff", "place_id": place}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/shares",
        s,
        json!({"share": {"email": "m0@x.io", "group_id": group}}),
    )
    .await;

    // CSV, read back with the csv crate.
    let created = app
        .post(
            "/member_exports",
            s,
            json!({"member_export": {"format": "csv"}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["resource_type"], "MemberExport");
    let id = created.body["id"].as_i64().unwrap();
    let done = finished(app, s, id).await;
    assert_eq!(
        (done["status"].as_str(), done["rows_count"].as_i64()),
        (Some("finished"), Some(9))
    );
    let (kind, bytes) = download(app, s, id).await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(Cursor::new(bytes));
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        EXPORT_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 9);
    let names: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    for name in NAMES {
        assert!(
            names.contains(&expected_cell(name).as_str()),
            "{name:?} in {names:?}"
        );
    }
    let smith = rows.iter().find(|r| &r[1] == "Smith, John").unwrap();
    assert_eq!(
        (&smith[2], &smith[3], &smith[4]),
        ("m0@x.io", "basic", "true")
    );
    assert_eq!((&smith[10], &smith[11], &smith[12]), ("Staff", "HQ", "0"));

    // XLSX, read back with calamine.
    let created = app
        .post(
            "/member_exports",
            s,
            json!({"member_export": {"format": "xlsx", "group_id": group}}),
        )
        .await;
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        finished(app, s, id).await["rows_count"],
        1,
        "filtered by group"
    );
    let created = app
        .post(
            "/member_exports",
            s,
            json!({"member_export": {"format": "xlsx"}}),
        )
        .await;
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(finished(app, s, id).await["status"], "finished");
    let (kind, bytes) = download(app, s, id).await;
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = workbook.worksheet_range("Members").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0], EXPORT_COLUMNS);
    assert_eq!(rows.len(), 10);
    for name in NAMES {
        assert!(rows.iter().any(|r| r[1] == expected_cell(name)), "{name:?}");
    }
    // The list, and deleting.
    assert_eq!(
        app.get("/member_exports", s)
            .await
            .header("x-collection-range"),
        Some("0-9/3")
    );
    assert_eq!(
        app.delete(&format!("/member_exports/{id}"), s).await.status,
        204
    );
    app.get(&format!("/member_exports/{id}/download"), s)
        .await
        .assert_error(404, "e00404");
}

async fn exports_are_scoped_and_guarded(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let s = &owner.secret;
    let group = app
        .post("/groups", s, json!({"group": {"name": "Night"}}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post("/members", s, json!({"member": {"email": "outsider@x.io"}}))
        .await;
    let share = app
        .post(
            "/role_assignments",
            s,
            json!({"role_assignment": {"email": "boss@x.io", "role_id": "group_manager",
            "applies_to_type": "Group", "applies_to_id": group}}),
        )
        .await;
    let manager = app
        .login_for(
            owner.organization_id,
            share.body["assignee_id"].as_i64().unwrap(),
        )
        .await;
    let basic = app
        .post(
            "/role_assignments",
            s,
            json!({"role_assignment": {"email": "worker@x.io", "role_id": "group_basic",
            "applies_to_type": "Group", "applies_to_id": group}}),
        )
        .await;
    let worker = app
        .login_for(
            owner.organization_id,
            basic.body["assignee_id"].as_i64().unwrap(),
        )
        .await;
    // A manager exports only the members of their groups.
    let mine = app
        .post(
            "/member_exports",
            &manager,
            json!({"member_export": {"format": "csv"}}),
        )
        .await;
    let id = mine.body["id"].as_i64().unwrap();
    assert_eq!(finished(app, &manager, id).await["rows_count"], 2);
    // Others may not read it; a basic member may not export.
    app.get(&format!("/member_exports/{id}/download"), &worker)
        .await
        .assert_error(403, "e00403");
    app.post(
        "/member_exports",
        &worker,
        json!({"member_export": {"format": "csv"}}),
    )
    .await
    .assert_error(403, "e00403");
    assert_eq!(
        app.get(&format!("/member_exports/{id}"), s).await.status,
        200,
        "administrators see every export"
    );
    app.post(
        "/member_exports",
        s,
        json!({"member_export": {"format": "pdf", "group_id": 999999}}),
    )
    .await
    .assert_invalid(&["format", "group_id"]);
    // Not finished yet: the download waits.
    let waiting = app
        .store
        .create_member_export(
            owner.organization_id,
            owner.user_id,
            gatehouse_domain::ExportFormat::Csv,
            "{}",
            gatehouse_api::Clock::now(&gatehouse_api::SystemClock),
        )
        .await
        .unwrap();
    app.get(&format!("/member_exports/{}/download", waiting.id), s)
        .await
        .assert_invalid(&["status"]);
}

async fn reports_offer_the_member_export(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let s = &owner.secret;
    app.post(
        "/reports",
        s,
        json!({"report": {"name": "x", "reporter_id": 7}}),
    )
    .await
    .assert_invalid(&["reporter_id"]);
    let created = app
        .post("/reports", s, json!({"report": {"name": "Members", "reporter_id": 1, "start_date": "2026-01-01", "end_date": "2026-01-31"}}))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        (
            created.body["resource_type"].as_str(),
            created.body["start_date"].as_str()
        ),
        (Some("Report"), Some("2026-01-01"))
    );
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(finished(app, s, id).await["status"], "finished");
    assert_eq!(
        app.get(&format!("/reports/{id}"), s).await.body["status"],
        "finished"
    );
    let link = app
        .post(&format!("/reports/{id}/download"), s, json!({}))
        .await;
    let url = link.body["url"].as_str().unwrap().to_owned();
    assert!(
        url.ends_with(&format!("/member_exports/{id}/download")),
        "{url}"
    );
    let file = app
        .http
        .get(&url)
        .header("Authorization", format!("KISI-LOGIN {s}"))
        .send()
        .await
        .unwrap();
    assert!(file
        .text()
        .await
        .unwrap()
        .starts_with("id,name,email,role_id"));
    assert_eq!(
        app.get("/reports", s).await.header("x-collection-range"),
        Some("0-9/1")
    );
    assert_eq!(app.delete(&format!("/reports/{id}"), s).await.status, 204);
}

async fn csv_imports_report_bad_rows_and_repeat_cleanly(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let s = &owner.secret;
    let group = app
        .post("/groups", s, json!({"group": {"name": "Crew"}}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let content = format!(
        "email,name,image,password_flow,role_id,group_ids,credential_token,backup_credential_token\n\
         ann@x.io,Ann,,true,manager,{group},TOKEN-A,\n\
         not-an-email,Bad,,,,,,\n\
         bob@x.io,\"Bob, Jr.\",,,basic,{group};999999,,\n\
         cat@x.io,Cat,,,,,,\n"
    );
    let import = |content: String| async move {
        let created = app
            .post(
                "/csv_user_imports",
                s,
                json!({"csv_user_import": {"file_name": "people.csv", "content": content}}),
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let id = created.body["id"].as_i64().unwrap();
        for _ in 0..100 {
            let import = app.get(&format!("/csv_user_imports/{id}"), s).await.body;
            if import["status"] == "finished" {
                return import;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("import {id} did not finish");
    };
    let first = import(content.clone()).await;
    let errors = first["import_errors"].as_object().unwrap();
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["3", "4"], "{first}");
    assert!(errors["3"][0].as_str().unwrap().contains("email"));
    assert!(
        errors["4"][0].as_str().unwrap().contains("999999"),
        "a row with a foreign group changes nothing"
    );
    let members = app.get("/members?sort=name", s).await.body;
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann", "Cat", "Olivia Owner"]);
    let ann = &members[0];
    assert_eq!(
        (
            ann["role_id"].as_str(),
            ann["password_flow_enabled"].as_bool()
        ),
        (Some("manager"), Some(true))
    );
    assert_eq!(
        app.get("/cards?token=TOKEN-A", s).await.body[0]["assigned"],
        true
    );
    // The same file again changes nothing.
    let before = app.get("/events?limit=1", s).await.body[0]["uuid"].clone();
    let second = import(content).await;
    assert_eq!(second["import_errors"].as_object().unwrap().len(), 2);
    assert_eq!(
        app.get("/members", s).await.header("x-collection-range"),
        Some("0-49/3")
    );
    assert_eq!(
        app.get("/events?limit=1", s).await.body[0]["uuid"],
        before,
        "no change recorded"
    );
    app.post(
        "/csv_user_imports",
        s,
        json!({"csv_user_import": {"file_name": ""}}),
    )
    .await
    .assert_invalid(&["content", "file_name"]);
}

/// A job's node reports it while it runs (rows so far, at the clock's
/// time), so the sweeps of other nodes leave it alone; once the job has
/// ended, nothing more is reported.
async fn running_jobs_report_their_node_alive(app: &TestApp) {
    use gatehouse_domain::{ExportFormat, ExportStatus};
    use gatehouse_store::RunningJob;
    use std::sync::atomic::{AtomicI64, Ordering};
    let owner = app.organization("alive", Subscription::Standard).await;
    let store = app.store.as_ref();
    let started = gatehouse_api::Clock::now(app.clock.as_ref());
    let export = store
        .create_member_export(
            owner.organization_id,
            owner.user_id,
            ExportFormat::Csv,
            "{}",
            started,
        )
        .await
        .unwrap();
    store
        .set_member_export_status(export.id, ExportStatus::InProgress, 0, None, started)
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::minutes(5));
    let rows = AtomicI64::new(0);
    let job = || RunningJob::Export {
        id: export.id,
        rows: rows.load(Ordering::Relaxed),
    };
    let work = async {
        rows.store(42, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(300)).await;
        "done"
    };
    let every = Duration::from_millis(50);
    let done =
        gatehouse_api::exports::keeping_alive(store, app.clock.as_ref(), every, job, work).await;
    assert_eq!(done, "done");
    let reported = store
        .member_export(owner.organization_id, export.id)
        .await
        .unwrap();
    assert_eq!(reported.rows_count, 42);
    assert_eq!(reported.status, ExportStatus::InProgress);
    let now = gatehouse_api::Clock::now(app.clock.as_ref());
    assert_eq!(
        store
            .fail_interrupted_exports(now - chrono::Duration::minutes(1), now)
            .await
            .unwrap(),
        0,
        "reported five minutes after it started: still alive"
    );
}
