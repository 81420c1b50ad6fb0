//! Every member's search text in memory, with a trigram index over them.
//!
//! A member search is a substring match. The database's trigram index
//! answers it, but reading that index's row lists was most of a search's
//! cost (measured: 80 of SQLite's 130 µs per search, and a third of
//! PostgreSQL's time). Here the same lists are arrays of positions in
//! memory: a search intersects the shortest few and checks the text of what
//! is left, in microseconds. The store keeps this index up to date and lets
//! the database check what it finds (see `store-sql/src/shared/search.rs`).

use std::collections::HashMap;

use crate::search::{trigrams, Trigram};

/// A search intersects this many of its text's trigrams' lists at most,
/// the shortest ones, and checks the text on what is left: each further
/// list costs a binary search per candidate, and after the shortest few
/// hardly any candidate is left for it to remove.
const INTERSECT_AT_MOST: usize = 3;

/// A search whose shortest list is longer than this (a text whose every
/// trigram is common) is left to the database, which pages through it.
const SCAN_AT_MOST: usize = 20_000;

/// The texts of rows (members), each with the scope it belongs to (its
/// organization), by trigram.
#[derive(Debug, Default)]
pub struct TextIndex {
    /// Every text put, in order; a row's earlier texts stay until the index
    /// is built anew, but only its last one counts.
    entries: Vec<Entry>,
    /// Each row's last entry.
    current: HashMap<i64, u32>,
    /// For each trigram, the entries that hold it, in ascending order.
    holding: HashMap<Trigram, Vec<u32>>,
}

#[derive(Debug)]
struct Entry {
    id: i64,
    scope: i64,
    text: Box<str>,
}

impl TextIndex {
    /// Records the lower-cased `text` of row `id`, in place of any it had.
    pub fn put(&mut self, id: i64, scope: i64, text: &str) {
        let at = u32::try_from(self.entries.len()).expect("fewer than 2^32 texts");
        self.current.insert(id, at);
        self.entries.push(Entry {
            id,
            scope,
            text: text.into(),
        });
        let mut held: Vec<Trigram> = trigrams(text).collect();
        held.sort_unstable();
        held.dedup();
        for trigram in held {
            self.holding.entry(trigram).or_default().push(at);
        }
    }

    /// How many rows have a text here.
    pub fn rows(&self) -> usize {
        self.current.len()
    }

    /// How many texts here were replaced by a later one of their row.
    pub fn replaced(&self) -> usize {
        self.entries.len() - self.current.len()
    }

    /// The ids of the rows in `scope` whose text holds the lower-cased
    /// `text`, in ascending order. `None` when the index cannot tell
    /// cheaply: a text under three characters, one whose every trigram is
    /// common, or one that more than `most` rows hold.
    pub fn find(&self, scope: i64, text: &str, most: usize) -> Option<Vec<i64>> {
        let mut wanted: Vec<Trigram> = trigrams(text).collect();
        if wanted.is_empty() {
            return None;
        }
        wanted.sort_unstable();
        wanted.dedup();
        let mut lists = Vec::with_capacity(wanted.len());
        for trigram in &wanted {
            match self.holding.get(trigram) {
                Some(list) => lists.push(list.as_slice()),
                None => return Some(Vec::new()),
            }
        }
        lists.sort_by_key(|list| list.len());
        let (shortest, others) = lists.split_first()?;
        if shortest.len() > SCAN_AT_MOST {
            return None;
        }
        let others = &others[..others.len().min(INTERSECT_AT_MOST - 1)];
        let mut found = Vec::new();
        for &at in *shortest {
            if others.iter().any(|list| list.binary_search(&at).is_err()) {
                continue;
            }
            let entry = &self.entries[at as usize];
            if entry.scope == scope
                && self.current.get(&entry.id) == Some(&at)
                && entry.text.contains(text)
            {
                if found.len() == most {
                    return None;
                }
                found.push(entry.id);
            }
        }
        found.sort_unstable();
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,000 members like the benchmark's, in scope 1, and two in scope 2.
    fn members() -> TextIndex {
        let mut index = TextIndex::default();
        for n in 0..1000 {
            let text = format!("member {n} member{n:05}@bench.example ");
            index.put(n, 1, &text);
        }
        index.put(5000, 2, "member 1 member00001@bench.example ");
        index.put(5001, 2, "zoë quist zoe@other.example ");
        index
    }

    #[test]
    fn finds_the_rows_of_a_scope_that_hold_the_text() {
        let index = members();
        assert_eq!(index.find(1, "member0012", 100), Some((120..130).collect()));
        assert_eq!(index.find(1, "member00001@", 100), Some(vec![1]));
        assert_eq!(index.find(2, "member00001@", 100), Some(vec![5000]));
        assert_eq!(index.find(2, "zoë q", 100), Some(vec![5001]));
        assert_eq!(index.find(1, "zoë", 100), Some(vec![]), "another scope's");
        assert_eq!(index.find(1, "nobody", 100), Some(vec![]));
    }

    #[test]
    fn checks_the_whole_text_not_only_its_trigrams() {
        let mut index = TextIndex::default();
        index.put(1, 1, "abc bcd");
        // "abcd" has the trigrams "abc" and "bcd", held apart.
        assert_eq!(index.find(1, "abcd", 10), Some(vec![]));
        assert_eq!(index.find(1, "c bc", 10), Some(vec![1]));
    }

    #[test]
    fn a_row_put_again_is_found_by_its_new_text_only() {
        let mut index = members();
        index.put(7, 1, "renamed person");
        assert_eq!(index.find(1, "member00007@", 10), Some(vec![]));
        assert_eq!(index.find(1, "renamed", 10), Some(vec![7]));
        index.put(7, 1, "member 7 member00007@bench.example ");
        assert_eq!(index.find(1, "renamed", 10), Some(vec![]));
        assert_eq!(index.find(1, "member00007@", 10), Some(vec![7]));
        assert_eq!((index.rows(), index.replaced()), (1002, 2));
    }

    #[test]
    fn leaves_short_common_and_broad_texts_to_the_database() {
        let index = members();
        assert_eq!(index.find(1, "me", 10_000), None, "under three characters");
        assert_eq!(index.find(1, "member00", 10), None, "more than ten rows");
        assert_eq!(
            index.find(1, "member00", 1000).map(|ids| ids.len()),
            Some(1000)
        );
        let mut big = TextIndex::default();
        for n in 0..=SCAN_AT_MOST as i64 {
            big.put(n, 1, &format!("common {n}"));
        }
        assert_eq!(
            big.find(1, "common", usize::MAX),
            None,
            "every trigram common"
        );
        assert_eq!(
            big.find(1, "common 17", usize::MAX).map(|ids| ids.len()),
            Some(1111)
        );
    }

    #[test]
    fn texts_outside_ascii() {
        let mut index = TextIndex::default();
        index.put(1, 1, "jürgen groß");
        assert_eq!(index.find(1, "ürg", 10), Some(vec![1]));
        assert_eq!(index.find(1, "groß", 10), Some(vec![1]));
        assert_eq!(index.find(1, "gross", 10), Some(vec![]));
    }
}
