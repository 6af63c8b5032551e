//! A submitted console form, read field by field with a clear error for
//! each way a field can be wrong: missing, too long, holding control
//! characters, not a number. Nothing is stored until every field passed.

use std::sync::Arc;

use axum::extract::{Form, FromRequest, Request};
use axum::response::Response;

use crate::state::Shared;

use super::page;

/// The most a console form may send; every field is small.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// Why a field was refused, in words for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{0} is too long (at most {1} characters)")]
    TooLong(&'static str, usize),
    #[error("{0} may not hold control characters or line breaks")]
    Control(&'static str),
    #[error("{0} must be a whole number")]
    NotANumber(&'static str),
    #[error("{0} was sent more than once")]
    Repeated(&'static str),
}

#[derive(Debug, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// The raw value of `name`; a field sent twice is refused, so no two
    /// parts of the desk can read different values.
    fn raw(&self, name: &'static str) -> Result<Option<&str>, FieldError> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(FieldError::Repeated(name));
        }
        Ok(first)
    }

    /// The CSRF token, unchecked.
    pub fn csrf(&self) -> Option<&str> {
        self.raw("csrf").ok().flatten()
    }

    /// A one-line text field, trimmed, at most `max` characters; empty is
    /// `None`.
    pub fn text(&self, name: &'static str, max: usize) -> Result<Option<String>, FieldError> {
        let Some(value) = self.raw(name)? else {
            return Ok(None);
        };
        if value.chars().any(char::is_control) {
            return Err(FieldError::Control(name));
        }
        let value = value.trim();
        if value.chars().count() > max {
            return Err(FieldError::TooLong(name, max));
        }
        Ok((!value.is_empty()).then(|| value.to_owned()))
    }

    /// A text field that must be there.
    pub fn required(&self, name: &'static str, max: usize) -> Result<String, FieldError> {
        self.text(name, max)?.ok_or(FieldError::Missing(name))
    }

    /// A password: kept exactly as typed (no trimming), at most `max`
    /// bytes; control characters refused like elsewhere.
    pub fn password(&self, name: &'static str, max: usize) -> Result<String, FieldError> {
        let value = self.raw(name)?.unwrap_or_default();
        if value.is_empty() {
            return Err(FieldError::Missing(name));
        }
        if value.len() > max {
            return Err(FieldError::TooLong(name, max));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::Control(name));
        }
        Ok(value.to_owned())
    }

    /// A checkbox: present means on.
    pub fn checked(&self, name: &'static str) -> Result<bool, FieldError> {
        Ok(self.raw(name)?.is_some())
    }

    /// Every value of a repeated field (checkbox groups).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A whole number.
    pub fn number(&self, name: &'static str) -> Result<u64, FieldError> {
        self.required(name, 20)?
            .parse()
            .map_err(|_| FieldError::NotANumber(name))
    }
}

impl FromRequest<Arc<Shared>> for Fields {
    type Rejection = Response;

    async fn from_request(request: Request, shared: &Arc<Shared>) -> Result<Self, Response> {
        match Form::<Vec<(String, String)>>::from_request(request, shared).await {
            Ok(Form(pairs)) => Ok(Fields(pairs)),
            Err(rejection) => Err(page::problem(
                rejection.status(),
                "bad_form",
                &format!("The form could not be read: {}", rejection.body_text()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked() {
        let f = Fields::from_pairs(&[
            ("name", "  Ann  "),
            ("nl", "a\nb"),
            ("long", "abcdef"),
            ("n", "12x"),
            ("twice", "1"),
            ("twice", "2"),
            ("empty", "   "),
        ]);
        assert_eq!(f.text("name", 10).unwrap().as_deref(), Some("Ann"));
        assert_eq!(f.text("nl", 10), Err(FieldError::Control("nl")));
        assert_eq!(f.text("long", 5), Err(FieldError::TooLong("long", 5)));
        assert_eq!(f.number("n"), Err(FieldError::NotANumber("n")));
        assert_eq!(f.text("twice", 5), Err(FieldError::Repeated("twice")));
        assert_eq!(f.required("empty", 5), Err(FieldError::Missing("empty")));
        assert_eq!(f.required("absent", 5), Err(FieldError::Missing("absent")));
        assert_eq!(f.password("name", 64).unwrap(), "  Ann  ");
        assert!(!f.checked("absent").unwrap());
    }
}
