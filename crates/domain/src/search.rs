//! Substring search through a trigram index: which part of a text to look up.
//!
//! A trigram index finds the rows that contain a text by intersecting the
//! row lists of the text's trigrams (its runs of three characters). A trigram
//! that most rows share, such as those of an organization's e-mail domain,
//! has a list nearly as long as the table: it narrows nothing, yet reading it
//! is most of a search's cost. Looking up only the text's longest run of
//! uncommon trigrams, and checking the whole text on the few rows found,
//! gives the same answer for a fraction of the work.

use std::collections::{HashMap, HashSet};

/// A trigram is common when more than one sampled text in this many holds
/// it: such lists are the long ones, and dropping them is most of the gain.
const COMMON_IN: usize = 20;

/// The fewest trigrams a lookup keeps, so that the rows it finds are few
/// even when each of its trigrams is held by many (each is uncommon, not rare).
const MIN_LOOKUP: usize = 3;

/// Below this many sampled texts a sample says too little to go by (and the
/// table is small enough for any lookup).
const MIN_SAMPLE: usize = 200;

pub(crate) type Trigram = [char; 3];

/// The trigrams of a text, in order, repeats included.
pub(crate) fn trigrams(text: &str) -> impl Iterator<Item = Trigram> {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len().saturating_sub(2)).map(move |i| [chars[i], chars[i + 1], chars[i + 2]])
}

/// How many texts of a sample hold each trigram.
#[derive(Debug, Default)]
pub struct TrigramSample {
    texts: usize,
    holding: HashMap<Trigram, usize>,
}

impl TrigramSample {
    /// Counts the trigrams of lower-cased texts, each once per text.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut sample = TrigramSample::default();
        let mut seen = HashSet::new();
        for text in texts {
            sample.texts += 1;
            seen.clear();
            for trigram in trigrams(text) {
                if seen.insert(trigram) {
                    *sample.holding.entry(trigram).or_default() += 1;
                }
            }
        }
        sample
    }

    fn holding(&self, trigram: Trigram) -> usize {
        self.holding.get(&trigram).copied().unwrap_or(0)
    }

    /// The part of a lower-cased search text to look up in the index: its
    /// longest run of uncommon trigrams (the first of equals), widened to
    /// at least `MIN_LOOKUP` trigrams by the rarer neighbour each time; the
    /// whole text when every trigram is common, the text is too short to
    /// leave any out, or the sample is too small to tell. Every row holding
    /// the text holds this part.
    pub fn lookup_part<'t>(&self, text: &'t str) -> &'t str {
        let trigrams: Vec<Trigram> = trigrams(text).collect();
        if self.texts < MIN_SAMPLE || trigrams.len() <= MIN_LOOKUP {
            return text;
        }
        let common = |t: Trigram| self.holding(t) * COMMON_IN > self.texts;
        // The longest run of uncommon trigrams, as [start, end).
        let mut best: Option<(usize, usize)> = None;
        let mut run_start = None;
        for (i, &trigram) in trigrams.iter().enumerate() {
            if common(trigram) {
                run_start = None;
                continue;
            }
            let start = *run_start.get_or_insert(i);
            if best.is_none_or(|(s, e)| i + 1 - start > e - s) {
                best = Some((start, i + 1));
            }
        }
        let Some((mut start, mut end)) = best else {
            return text;
        };
        while end - start < MIN_LOOKUP {
            let widen_left = end == trigrams.len()
                || (start > 0 && self.holding(trigrams[start - 1]) < self.holding(trigrams[end]));
            if widen_left {
                start -= 1;
            } else {
                end += 1;
            }
        }
        // Trigram i spans characters i..i + 3.
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(at, _)| at)
            .chain([text.len()])
            .collect();
        &text[bounds[start]..bounds[end + 2]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,000 members like the benchmark's: `member00000@bench.example` onwards.
    fn members() -> TrigramSample {
        let texts: Vec<String> = (0..1000)
            .map(|n| format!("member {n} member{:05}@bench.example ", n * 97))
            .collect();
        TrigramSample::new(texts.iter().map(String::as_str))
    }

    #[test]
    fn looks_up_the_run_of_uncommon_trigrams() {
        let sample = members();
        // "mem", "emb", "mbe", "ber" are in every text; "er0" in most.
        assert_eq!(sample.lookup_part("member01234"), "r01234");
        assert_eq!(
            sample.lookup_part("ben.member01"),
            "en.me",
            "the longer run"
        );
    }

    #[test]
    fn widens_a_short_run_by_the_rarer_neighbour() {
        let sample = members();
        // Only "x@b" is uncommon; nothing precedes it.
        assert_eq!(sample.lookup_part("x@bench.example"), "x@ben");
        // Only "h.x" is uncommon; nothing follows it.
        assert_eq!(sample.lookup_part("bench.x"), "nch.x");
        // "abc" is held by none, "qab" by 100 texts, "bcz" by 60, "czy" by 70.
        let texts: Vec<String> = (0..1000)
            .map(|n| match n {
                0..100 => "qab".to_owned(),
                100..160 => "bcz".to_owned(),
                160..230 => "czy".to_owned(),
                _ => format!("filler {n}"),
            })
            .collect();
        let sample = TrigramSample::new(texts.iter().map(String::as_str));
        assert_eq!(sample.lookup_part("qabczy"), "abczy");
    }

    #[test]
    fn keeps_the_whole_text_when_nothing_is_uncommon_or_it_is_short() {
        let sample = members();
        assert_eq!(sample.lookup_part("member"), "member");
        assert_eq!(sample.lookup_part("@bench.example"), "@bench.example");
        assert_eq!(sample.lookup_part("xyz01"), "xyz01");
        assert_eq!(sample.lookup_part("ab"), "ab");
        assert_eq!(sample.lookup_part(""), "");
    }

    #[test]
    fn a_text_of_rare_trigrams_is_looked_up_whole() {
        assert_eq!(members().lookup_part("zoë quist"), "zoë quist");
    }

    #[test]
    fn cuts_at_character_boundaries() {
        let texts: Vec<String> = (0..300).map(|n| format!("ärger {n}")).collect();
        let sample = TrigramSample::new(texts.iter().map(String::as_str));
        assert_eq!(sample.lookup_part("überärger"), "überär");
    }

    #[test]
    fn a_small_sample_changes_nothing() {
        let sample = TrigramSample::new(["member one", "member two"]);
        assert_eq!(sample.lookup_part("member three"), "member three");
    }
}
