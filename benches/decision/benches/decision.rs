//! `cargo bench --manifest-path benches/decision/Cargo.toml`
//!
//! The same question asked of both engines, side by side in one run: may a
//! member with 20 time-restricted group grants (19 expired) open a door of
//! the 20th group, on a Wednesday at 12:30 Berlin time?

use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};
use chrono::{Datelike, Timelike};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use gatehouse_decision_bench::{app, facts, now, GRANTS};
use gatehouse_domain::access::decide;

/// Cedar's equivalent: one permit per group with its validity window and
/// office hours, forbids for suspension, app access and lockdown.
fn cedar_policies() -> PolicySet {
    let mut text = String::new();
    for i in 0..GRANTS {
        let until = if i + 1 < GRANTS {
            "context.now < 0"
        } else {
            "true"
        };
        text.push_str(&format!(
            "permit(principal in Group::\"g{i}\", action == Action::\"unlock\", resource in Group::\"g{i}\") \
             when {{ {until} && context.weekday >= 1 && context.weekday <= 5 && \
             context.minute >= 540 && context.minute < 1020 }};\n"
        ));
    }
    text.push_str("forbid(principal, action, resource) unless { principal.access_enabled && principal.app_enabled };\n");
    text.push_str("forbid(principal, action, resource) when { resource.locked_down || resource.place_locked_down };\n");
    PolicySet::from_str(&text).expect("policies parse")
}

fn cedar_entities() -> Entities {
    let groups: Vec<_> = (0..GRANTS)
        .map(|i| serde_json::json!({"type": "Group", "id": format!("g{i}")}))
        .collect();
    let mut entities = vec![
        serde_json::json!({"uid": {"type": "User", "id": "7"}, "attrs": {"access_enabled": true, "app_enabled": true}, "parents": groups}),
        serde_json::json!({"uid": {"type": "Lock", "id": "1"}, "attrs": {"locked_down": false, "place_locked_down": false},
            "parents": [{"type": "Group", "id": format!("g{}", GRANTS - 1)}]}),
    ];
    for i in 0..GRANTS {
        entities.push(serde_json::json!({"uid": {"type": "Group", "id": format!("g{i}")}, "attrs": {}, "parents": []}));
    }
    Entities::from_json_value(serde_json::Value::Array(entities), None).expect("entities parse")
}

fn bench(c: &mut Criterion) {
    let facts = facts();
    let credential = app();
    let at = now();
    assert!(
        decide(&facts, &credential, at).is_granted(),
        "gatehouse grants"
    );

    let policies = cedar_policies();
    let entities = cedar_entities();
    let authorizer = Authorizer::new();
    let principal = EntityUid::from_str("User::\"7\"").unwrap();
    let action = EntityUid::from_str("Action::\"unlock\"").unwrap();
    let resource = EntityUid::from_str("Lock::\"1\"").unwrap();
    // Cedar gets the local time already worked out (a head start: gatehouse
    // converts to the place's time zone inside every decision).
    let cedar_request = || {
        let local = at.with_timezone(&chrono_tz::Europe::Berlin);
        let context = Context::from_json_value(
            serde_json::json!({
                "now": at.timestamp(),
                "weekday": local.weekday().number_from_monday(),
                "minute": local.hour() * 60 + local.minute(),
            }),
            None,
        )
        .unwrap();
        Request::new(
            principal.clone(),
            action.clone(),
            resource.clone(),
            context,
            None,
        )
        .unwrap()
    };
    let request = cedar_request();
    assert_eq!(
        authorizer
            .is_authorized(&request, &policies, &entities)
            .decision(),
        Decision::Allow,
        "cedar agrees"
    );

    let mut group = c.benchmark_group("decision, 20 grants with schedules");
    group.bench_function("gatehouse decide", |b| {
        b.iter(|| decide(black_box(&facts), black_box(&credential), black_box(at)))
    });
    group.bench_function("cedar-policy is_authorized (prepared request)", |b| {
        b.iter(|| {
            authorizer.is_authorized(
                black_box(&request),
                black_box(&policies),
                black_box(&entities),
            )
        })
    });
    group.bench_function("cedar-policy is_authorized (with request building)", |b| {
        b.iter(|| {
            authorizer.is_authorized(
                black_box(&cedar_request()),
                black_box(&policies),
                black_box(&entities),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
