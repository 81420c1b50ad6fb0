//! Paging and list filters shared by every backend.

use gatehouse_domain::Timestamp;

/// Offset paging as Kisi does it (`limit`, `offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn new(limit: i64, offset: i64) -> Self {
        Page { limit, offset }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 10,
            offset: 0,
        }
    }
}

/// One page of a list, with the total count of the filtered set.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlaceSort {
    /// Oldest first; the default when no sort is asked for.
    #[default]
    Id,
    Name,
    NameDesc,
    /// Most recently favorited first.
    Favorite,
}

#[derive(Debug, Clone, Default)]
pub struct PlaceQuery {
    pub ids: Option<Vec<i64>>,
    /// Case-insensitive substring of the name.
    pub query: Option<String>,
    /// Whose favorites decide the `favorite` field and filter.
    pub viewer_user_id: Option<i64>,
    /// `Some(x)`: only places whose favorite flag is `x`.
    pub favorite: Option<bool>,
    pub sort: PlaceSort,
    pub page: Page,
}

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub event_type: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub place_id: Option<i64>,
    pub success: Option<bool>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub page: Page,
}
