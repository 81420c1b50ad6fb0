//! Validation errors that name every offending field, not only the first.

use std::collections::BTreeMap;

/// Field name → human-readable messages. Rendered as Kisi's 422 `Errors`
/// envelope: `{"errors": {"email": ["is invalid"]}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    /// Records the error of a fallible parse under `field` and returns the
    /// parsed value, so a whole request can be validated before failing.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }

    /// `Ok(())` when nothing was recorded, the errors otherwise.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(field, messages)| format!("{field} {}", messages.join(", ")))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Checks the length of a free-text field in characters (not bytes).
pub fn check_length(value: &str, min: usize, max: usize) -> Result<(), String> {
    let length = value.chars().count();
    if length < min {
        if min == 1 {
            Err("can't be blank".into())
        } else {
            Err(format!("is too short (minimum is {min} characters)"))
        }
    } else if length > max {
        Err(format!("is too long (maximum is {max} characters)"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_field() {
        let mut errors = FieldErrors::new();
        assert!(errors.check::<i32, _>("a", Err("is bad")).is_none());
        assert_eq!(errors.check::<_, String>("b", Ok(3)), Some(3));
        errors.add("c", "is missing");
        assert_eq!(errors.fields().len(), 2);
        assert_eq!(errors.to_string(), "a is bad; c is missing");
        assert!(errors.into_result().is_err());
        assert!(FieldErrors::new().into_result().is_ok());
    }

    #[test]
    fn length_counts_characters() {
        assert!(check_length("ßß", 1, 2).is_ok());
        assert_eq!(check_length("", 1, 5).unwrap_err(), "can't be blank");
        assert!(check_length("abcdef", 1, 5)
            .unwrap_err()
            .contains("maximum is 5"));
    }
}
