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

#[cfg(test)]
mod tests {
    use super::*;

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
