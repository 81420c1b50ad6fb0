use thiserror::Error;

/// The one error type of the storage layer. Backends map their driver
/// errors here so the API never sees SQL.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The id does not exist, or belongs to another organization.
    #[error("not found")]
    NotFound,
    /// A uniqueness or limit rule refused the write; names the field.
    #[error("{field} {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// Anything else: connection loss, a bug. Logged, never shown to clients.
    #[error("storage failure: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Conflict {
            field,
            message: message.into(),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
