//! SQL filters shared by lists: what a caller below organization level sees.

use gatehouse_store::Visibility;
use sqlx::QueryBuilder;

use super::Db;

/// `column IN (...)`, or a condition that is false for an empty list.
pub(super) fn push_in(sql: &mut QueryBuilder<'_, Db>, column: &str, ids: &[i64]) {
    if ids.is_empty() {
        sql.push("1 = 0");
        return;
    }
    sql.push(format!("{column} IN ("));
    let mut list = sql.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}

/// ` AND (...)`: the user behind `user_column` is the caller, or holds a
/// role in a place or group the caller manages, or is in a team the caller
/// manages.
pub(super) fn push_member_visibility(
    sql: &mut QueryBuilder<'_, Db>,
    organization_id: i64,
    user_column: &str,
    visibility: &Visibility,
) {
    sql.push(format!(" AND ({user_column} = "))
        .push_bind(visibility.user_id);
    sql.push(" OR EXISTS (SELECT 1 FROM role_assignments v WHERE v.organization_id = ")
        .push_bind(organization_id)
        .push(format!(
            " AND v.assignee_type = 'User' AND v.assignee_id = {user_column} AND ("
        ));
    push_in(sql, "v.place_id", &visibility.managed.places);
    sql.push(" OR (v.applies_to_type = 'Group' AND ");
    push_in(sql, "v.applies_to_id", &visibility.managed.groups);
    sql.push("))) OR EXISTS (SELECT 1 FROM team_memberships vt WHERE ")
        .push(format!("vt.user_id = {user_column} AND "));
    push_in(sql, "vt.team_id", &visibility.managed.teams);
    sql.push("))");
}
