//! Kisi's offset paging: `limit`/`offset` with per-endpoint defaults and
//! caps, and the `X-Collection-Range: start-end/total` header.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_domain::FieldErrors;
use gatehouse_store::{Page, Paged};
use serde::Serialize;

use crate::extract::Params;

pub const MAX_OFFSET: i64 = 20_000;

/// The defaults and caps of one endpoint family.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub default: i64,
    pub max: i64,
}

/// `/members`, `/users`.
pub const PEOPLE: Limits = Limits {
    default: 50,
    max: 100,
};
/// `/locks`, `/places`.
pub const SITES: Limits = Limits {
    default: 50,
    max: 250,
};
/// Everything else.
pub const OTHER: Limits = Limits {
    default: 10,
    max: 250,
};

/// Reads `limit` and `offset`. A limit above the cap is clamped to it, as
/// the spec caps it; a non-positive limit or an offset out of range is a 422.
pub fn page(params: &Params, limits: Limits, errors: &mut FieldErrors) -> Page {
    let limit = match params.int("limit", errors) {
        Some(limit) if limit < 1 => {
            errors.add("limit", "must be greater than or equal to 1");
            limits.default
        }
        Some(limit) => limit.min(limits.max),
        None => limits.default,
    };
    let offset = match params.int("offset", errors) {
        Some(offset) if !(0..=MAX_OFFSET).contains(&offset) => {
            errors.add("offset", format!("must be between 0 and {MAX_OFFSET}"));
            0
        }
        Some(offset) => offset,
        None => 0,
    };
    Page::new(limit, offset)
}

/// A bare JSON array with its `X-Collection-Range` header. The range is the
/// one requested, not clamped to the total (the spec's worked example).
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: Page,
}

impl<T> Listed<T> {
    pub fn new<U>(paged: Paged<U>, page: Page, f: impl FnMut(U) -> T) -> Self {
        let paged = paged.map(f);
        Listed {
            items: paged.items,
            total: paged.total,
            page,
        }
    }
}

pub fn collection_range(page: Page, total: i64) -> String {
    format!("{}-{}/{}", page.offset, page.offset + page.limit - 1, total)
}

impl<T: Serialize> IntoResponse for Listed<T> {
    fn into_response(self) -> Response {
        let range = collection_range(self.page, self.total);
        let mut response = Json(self.items).into_response();
        if let Ok(value) = HeaderValue::from_str(&range) {
            response.headers_mut().insert("x-collection-range", value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_caps_and_errors() {
        let mut errors = FieldErrors::new();
        assert_eq!(page(&params(&[]), PEOPLE, &mut errors), Page::new(50, 0));
        assert_eq!(
            page(&params(&[("limit", "500")]), PEOPLE, &mut errors),
            Page::new(100, 0)
        );
        assert_eq!(
            page(
                &params(&[("limit", "7"), ("offset", "20000")]),
                OTHER,
                &mut errors
            ),
            Page::new(7, 20000)
        );
        assert!(errors.is_empty());
        page(
            &params(&[("limit", "0"), ("offset", "20001")]),
            OTHER,
            &mut errors,
        );
        page(&params(&[("limit", "ten")]), OTHER, &mut errors);
        assert_eq!(
            errors.fields().keys().collect::<Vec<_>>(),
            ["limit", "offset"]
        );
        assert_eq!(errors.fields()["limit"].len(), 2);
    }

    #[test]
    fn range_is_unclamped() {
        assert_eq!(collection_range(Page::new(10, 10), 15), "10-19/15");
        assert_eq!(collection_range(Page::new(10, 0), 0), "0-9/0");
    }
}
