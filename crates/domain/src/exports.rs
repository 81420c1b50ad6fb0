//! Member exports: the job, its rows, and the spreadsheet safety rule.

use crate::{MemberFlags, MemberType, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportStatus {
    Waiting,
    InProgress,
    Finished,
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Waiting => "waiting",
            ExportStatus::InProgress => "in_progress",
            ExportStatus::Finished => "finished",
            ExportStatus::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "waiting" => Some(ExportStatus::Waiting),
            "in_progress" => Some(ExportStatus::InProgress),
            "finished" => Some(ExportStatus::Finished),
            "failed" => Some(ExportStatus::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberExport {
    pub id: i64,
    pub organization_id: i64,
    /// Who asked for it: only they, or an administrator, may download it.
    pub user_id: i64,
    pub format: ExportFormat,
    /// The filters and the requester's scope, as JSON text.
    pub filters: String,
    pub status: ExportStatus,
    pub rows_count: i64,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// One member as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub member_type: MemberType,
    pub flags: MemberFlags,
    pub groups: Vec<String>,
    pub places: Vec<String>,
    pub cards_count: i64,
    pub last_accessed_at: Option<Timestamp>,
    pub last_accessed_lock: Option<String>,
    pub created_at: Timestamp,
}

/// The columns of an export, in order (DESIGN.md section 5).
pub const EXPORT_COLUMNS: [&str; 16] = [
    "id",
    "name",
    "email",
    "role_id",
    "access_enabled",
    "password_flow_enabled",
    "link_enabled",
    "app_enabled",
    "card_enabled",
    "cards_without_activation_enabled",
    "groups",
    "places",
    "cards_count",
    "last_accessed_at",
    "last_accessed_lock",
    "created_at",
];

/// A text cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab or
/// carriage return first) is prefixed with `'`, so it reads as text.
pub fn neutralize(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{text}")),
        _ => std::borrow::Cow::Borrowed(text),
    }
}

/// A CSV user import job (Kisi's CsvUserImport).
#[derive(Debug, Clone, PartialEq)]
pub struct CsvImport {
    pub id: i64,
    pub organization_id: i64,
    pub user_id: i64,
    pub file_name: String,
    pub status: ExportStatus,
    /// Row number → problems, as a JSON object.
    pub import_errors: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One row of a CSV user import, in Kisi's column order: email, name,
/// image, password_flow, role_id, group_ids (separated by `;`),
/// credential_token, backup_credential_token.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub email: crate::Email,
    pub name: Option<String>,
    pub image: Option<String>,
    pub password_flow: Option<bool>,
    /// The role on the listed groups: `group_basic` unless `manager`.
    pub group_role: crate::Role,
    pub group_ids: Vec<i64>,
    pub card_tokens: Vec<String>,
}

/// Reads one CSV record into an import row, naming every problem.
pub fn parse_import_row(fields: &[&str]) -> Result<ImportRow, Vec<String>> {
    let get = |i: usize| fields.get(i).map(|f| f.trim()).filter(|f| !f.is_empty());
    let mut problems = Vec::new();
    let email = match get(0).map(crate::Email::parse) {
        Some(Ok(email)) => Some(email),
        Some(Err(e)) => {
            problems.push(format!("email {e}"));
            None
        }
        None => {
            problems.push("email can't be blank".into());
            None
        }
    };
    let password_flow = match get(3).map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("true" | "1" | "yes") => Some(true),
        Some("false" | "0" | "no") => Some(false),
        Some(other) => {
            problems.push(format!("password_flow {other:?} is not true or false"));
            None
        }
    };
    let group_role = match get(4) {
        None | Some("basic" | "group_basic") => crate::Role::GroupBasic,
        Some("manager" | "group_manager") => crate::Role::GroupManager,
        Some(other) => {
            problems.push(format!("role_id {other:?} must be basic or manager"));
            crate::Role::GroupBasic
        }
    };
    let mut group_ids = Vec::new();
    for id in get(5)
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match id.parse::<i64>() {
            Ok(id) => group_ids.push(id),
            Err(_) => problems.push(format!("group_ids {id:?} is not a number")),
        }
    }
    let card_tokens = [get(6), get(7)]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    if let Some(name) = get(1) {
        if name.chars().count() > 255 {
            problems.push("name is too long (maximum is 255 characters)".into());
        }
    }
    match (email, problems.is_empty()) {
        (Some(email), true) => Ok(ImportRow {
            email,
            name: get(1).map(str::to_owned),
            image: get(2).map(str::to_owned),
            password_flow,
            group_role,
            group_ids,
            card_tokens,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_rows() {
        let row =
            parse_import_row(&["A@x.io", "Ann", "", "true", "manager", "3; 4", "tok", ""]).unwrap();
        assert_eq!(
            (row.email.as_str(), row.name.as_deref(), row.password_flow),
            ("a@x.io", Some("Ann"), Some(true))
        );
        assert_eq!(
            (
                row.group_role,
                row.group_ids.clone(),
                row.card_tokens.clone()
            ),
            (
                crate::Role::GroupManager,
                vec![3, 4],
                vec!["tok".to_owned()]
            )
        );
        assert_eq!(
            parse_import_row(&["a@x.io"]).unwrap().group_ids,
            Vec::<i64>::new()
        );
        let problems = parse_import_row(&["nope", "", "", "maybe", "admin", "x"]).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn formulas_are_neutralized() {
        for evil in ["=1+1", "+CMD", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(evil), format!("'{evil}"));
        }
        for fine in ["Ada", "", "a=b", "Zoë"] {
            assert_eq!(neutralize(fine), fine);
        }
        assert_eq!(ExportFormat::parse("xlsx"), Some(ExportFormat::Xlsx));
        assert_eq!(
            ExportStatus::parse(ExportStatus::InProgress.as_str()),
            Some(ExportStatus::InProgress)
        );
    }
}
