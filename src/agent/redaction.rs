//! The secrets a task has handled, and replacing them by `***` in text it is about to print.
//!
//! A task can hold hundreds of thousands of registered strings (every leaf of a large JSON
//! reply), so both sides are linear: registering is a hash-set insert, and redacting scans
//! the text once, asking at each position whether a secret of one of the registered lengths
//! starts there. Two cheap filters keep most positions from that question: the first byte,
//! and for secrets of eight bytes or more their first eight bytes (a text of names and paths
//! shares first letters with the secrets all the time). Every occurrence of every secret is
//! found, overlapping ones included, and each run of covered text becomes one `***`: when two
//! secrets overlap, no part of either is left showing.

use std::borrow::Cow;

use rustc_hash::FxHashSet;

/// What a redacted run of text is replaced with.
pub const MASK: &str = "***";

/// How many leading bytes of a secret the prefix filter looks at.
const PREFIX_BYTES: usize = 8;
/// Bits in the prefix filter: 8 KiB, with few false hits for thousands of secrets.
const PREFIX_FILTER_BITS: usize = 1 << 16;

/// The registered secrets.
#[derive(Debug)]
pub struct Redactor {
    secrets: FxHashSet<String>,
    /// The distinct byte lengths of the secrets, longest first.
    lengths: Vec<usize>,
    /// Which bytes start a secret, so most positions of a text are passed over at once.
    first_bytes: [bool; 256],
    /// A bit per hashed eight-byte prefix of the secrets that long (see [`prefix_bit`]):
    /// where the text's next eight bytes have no bit set, no secret that long starts.
    prefixes: Vec<u64>,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor {
            secrets: FxHashSet::default(),
            lengths: Vec::new(),
            first_bytes: [false; 256],
            prefixes: vec![0; PREFIX_FILTER_BITS / 64],
        }
    }
}

/// The filter bit of the eight bytes of `text` at `at` (there must be eight).
fn prefix_bit(text: &[u8], at: usize) -> usize {
    let mut word = [0u8; PREFIX_BYTES];
    word.copy_from_slice(&text[at..at + PREFIX_BYTES]);
    // Fibonacci hashing: the top 16 bits of the product mix all eight bytes.
    (u64::from_le_bytes(word).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize
}

impl Redactor {
    /// Adds `secret`; false when it was known already (or is empty).
    pub fn insert(&mut self, secret: &str) -> bool {
        if secret.is_empty() || self.secrets.contains(secret) {
            return false;
        }
        self.secrets.insert(secret.to_string());
        if let Err(at) = self
            .lengths
            .binary_search_by(|known| secret.len().cmp(known))
        {
            self.lengths.insert(at, secret.len());
        }
        self.first_bytes[usize::from(secret.as_bytes()[0])] = true;
        if secret.len() >= PREFIX_BYTES {
            let bit = prefix_bit(secret.as_bytes(), 0);
            self.prefixes[bit / 64] |= 1 << (bit % 64);
        }
        true
    }

    /// Whether a secret of eight bytes or more may start at `at` of `text`.
    fn long_secret_may_start(&self, text: &[u8], at: usize) -> bool {
        if text.len() - at < PREFIX_BYTES {
            return false;
        }
        let bit = prefix_bit(text, at);
        self.prefixes[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// How many secrets are registered.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Whether no secret is registered.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every occurrence of a secret replaced by `***`.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut redacted = String::new();
        // Where the text not yet copied to `redacted` starts.
        let mut copied_to = 0;
        // The covered run being built: where it starts and where it ends so far.
        let mut covered: Option<(usize, usize)> = None;
        for (at, &byte) in text.as_bytes().iter().enumerate() {
            // Most bytes start no secret and are passed over. Those that do are never inside
            // a character: a secret's first byte starts one. A covered run is written out at
            // the next such byte past its end, or after the loop.
            if !self.first_bytes[usize::from(byte)] {
                continue;
            }
            if let Some((start, end)) = covered {
                if at > end {
                    redacted.push_str(&text[copied_to..start]);
                    redacted.push_str(MASK);
                    copied_to = end;
                    covered = None;
                }
            }
            if let Some(end) = self.longest_secret_at(text, at) {
                covered = Some(match covered {
                    Some((start, run_end)) => (start, run_end.max(end)),
                    None => (at, end),
                });
            }
        }
        if let Some((start, end)) = covered {
            redacted.push_str(&text[copied_to..start]);
            redacted.push_str(MASK);
            copied_to = end;
        }
        if copied_to == 0 {
            return Cow::Borrowed(text);
        }
        redacted.push_str(&text[copied_to..]);
        Cow::Owned(redacted)
    }

    /// Where the longest secret starting at byte `at` of `text` (a byte that starts one) ends,
    /// if one does.
    fn longest_secret_at(&self, text: &str, at: usize) -> Option<usize> {
        let left = text.len() - at;
        let long_ones_may_start = self.long_secret_may_start(text.as_bytes(), at);
        self.lengths
            .iter()
            .filter(|&&length| length <= left && (length < PREFIX_BYTES || long_ones_may_start))
            .map(|&length| at + length)
            .find(|&end| text.is_char_boundary(end) && self.secrets.contains(&text[at..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secrets(secrets: &[&str]) -> Redactor {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.insert(secret);
        }
        redactor
    }

    #[test]
    fn every_occurrence_is_replaced() {
        let redactor = with_secrets(&["hunter22"]);
        assert_eq!(redactor.redact("a hunter22 b hunter22"), "a *** b ***");
    }

    #[test]
    fn text_without_secrets_is_returned_as_it_is() {
        let redactor = with_secrets(&["hunter22"]);
        assert!(matches!(redactor.redact("nothing here"), Cow::Borrowed(_)));
        assert!(matches!(Redactor::default().redact("x"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_containing_a_shorter_one_is_replaced_whole() {
        let redactor = with_secrets(&["s3cr", "s3cr3t-tail"]);
        assert_eq!(
            redactor.redact("got s3cr3t-tail and s3cr"),
            "got *** and ***"
        );
    }

    #[test]
    fn overlapping_secrets_leave_no_part_of_either_showing() {
        // The earlier secret ends inside the later one, and the other way round.
        let redactor = with_secrets(&["xxAB", "ABCDEFGH"]);
        assert_eq!(redactor.redact("..xxABCDEFGH.."), "..***..");
        let redactor = with_secrets(&["ABCDEFGH", "GHzz"]);
        assert_eq!(redactor.redact("ABCDEFGHzz!"), "***!");
    }

    #[test]
    fn adjacent_secrets_become_one_mask() {
        let redactor = with_secrets(&["aaaa", "bbbb"]);
        assert_eq!(redactor.redact("aaaabbbb"), "***");
    }

    #[test]
    fn multi_byte_characters_are_handled_at_their_boundaries() {
        let redactor = with_secrets(&["ünï-s3cr3t", "é"]);
        assert_eq!(redactor.redact("→ünï-s3cr3t←é"), "→***←***");
    }

    #[test]
    fn duplicates_and_empty_strings_are_not_added() {
        let mut redactor = Redactor::default();
        assert!(redactor.insert("abc"));
        assert!(!redactor.insert("abc"));
        assert!(!redactor.insert(""));
        assert_eq!(redactor.len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn no_registered_secret_survives_redaction(
            // Up to 12 bytes: both sides of the eight-byte prefix filter.
            secrets in proptest::collection::vec("[a-cé]{1,12}", 1..6),
            text in "[a-cé*]{0,60}",
        ) {
            let redactor = with_secrets(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
            let redacted = redactor.redact(&text);
            for secret in &secrets {
                proptest::prop_assert!(!redacted.contains(secret.as_str()), "{} in {}", secret, redacted);
            }
        }
    }
}
