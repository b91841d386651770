//! Neutralising text that came from outside (server replies, inputs) before it is printed.
//!
//! The agent executes `##vso[` wherever it appears in a line, and renders lines starting with
//! `##[` as formatting. A zero-width space between the two `#` defuses both while the text
//! still reads the same in the log.
//!
//! Control characters are shown escaped (`\x1B`): an ANSI escape sequence could recolour or
//! rewrite what the log shows, a backspace or a bidirectional override could make a line read
//! differently from what it holds. Line breaks stay line breaks; a lone `\r` is one too, as the
//! agent's log reader takes it.

use std::borrow::Cow;
use std::fmt::Write;

const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Returns `text` with control characters (other than tab and line breaks) written as
/// escapes, and every `\r\n` or lone `\r` as `\n`.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\r' || needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            c if needs_escape(c) && u32::from(c) <= 0xFF => {
                let _ = write!(out, "\\x{:02X}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:04X}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// C0 and C1 controls (but tab and line feed), DEL, line and paragraph separators, and the
/// bidirectional embeddings, overrides and isolates.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n' && c != '\r')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Returns `text` with every `##vso[` and `##[` (any letter case) broken up.
pub fn neutralise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = double_hash(rest) {
        let after = &rest[at + 2..];
        out.push_str(&rest[..at]);
        out.push('#');
        if starts_command(after) {
            out.push(ZERO_WIDTH_SPACE);
        }
        // Keep the second `#` in `rest` so `###vso[` is caught at the next position too.
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out
}

/// Where the first `##` of `text` starts: found by bytes (`#` is ASCII), with no substring
/// searcher to compile for every step.
fn double_hash(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (1..bytes.len())
        .find(|&at| bytes[at] == b'#' && bytes[at - 1] == b'#')
        .map(|at| at - 1)
}

fn starts_command(after_hashes: &str) -> bool {
    let bytes = after_hashes.as_bytes();
    bytes.first() == Some(&b'[')
        || (bytes.len() >= 4 && bytes[..3].eq_ignore_ascii_case(b"vso") && bytes[3] == b'[')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_escape_sequences_are_shown_escaped() {
        assert_eq!(
            escape_controls("\u{1b}[31mred\u{1b}[0m"),
            "\\x1B[31mred\\x1B[0m"
        );
    }

    #[test]
    fn other_controls_and_bidirectional_overrides_are_shown_escaped() {
        assert_eq!(
            escape_controls("a\u{8}b\u{7f}c\u{9b}"),
            "a\\x08b\\x7Fc\\x9B"
        );
        assert_eq!(
            escape_controls("x\u{202e}y\u{2028}z"),
            "x\\u{202E}y\\u{2028}z"
        );
    }

    #[test]
    fn line_breaks_and_tabs_stay_and_carriage_returns_become_line_feeds() {
        assert_eq!(escape_controls("a\tb\nc"), "a\tb\nc");
        assert_eq!(escape_controls("a\r\nb\rc"), "a\nb\nc");
        assert!(matches!(escape_controls("plain ünïcode"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_logging_command_in_server_text_is_broken_up() {
        let text = neutralise("denied ##vso[task.setvariable variable=x]evil");
        assert!(!text.contains("##vso["));
        assert_eq!(
            text,
            "denied #\u{200B}#vso[task.setvariable variable=x]evil"
        );
    }

    #[test]
    fn any_letter_case_of_vso_is_broken_up() {
        assert!(!neutralise("##VSO[task.complete]")
            .to_ascii_lowercase()
            .contains("##vso["));
        assert!(!neutralise("##VsO[x]")
            .to_ascii_lowercase()
            .contains("##vso["));
    }

    #[test]
    fn a_formatting_prefix_is_broken_up() {
        assert!(!neutralise("##[error]fake").contains("##["));
    }

    #[test]
    fn runs_of_hashes_are_broken_up_at_the_command() {
        let text = neutralise("####vso[x]");
        assert!(!text.contains("##vso["));
    }

    #[test]
    fn ordinary_hashes_are_left_alone() {
        assert_eq!(
            neutralise("C## and ## heading # x"),
            "C## and ## heading # x"
        );
        assert_eq!(neutralise("##vso"), "##vso");
    }

    #[test]
    fn text_without_hashes_is_unchanged() {
        assert_eq!(neutralise("plain ünïcode text"), "plain ünïcode text");
    }

    proptest::proptest! {
        #[test]
        fn no_text_survives_with_a_logging_command_and_nothing_else_changes(text in "[^\u{200B}]*") {
            let safe = neutralise(&text);
            proptest::prop_assert!(!safe.to_ascii_lowercase().contains("##vso["));
            proptest::prop_assert!(!safe.contains("##["));
            proptest::prop_assert_eq!(safe.replace(ZERO_WIDTH_SPACE, ""), text);
        }

        #[test]
        fn escaped_text_holds_no_control_character_but_tab_and_line_feed(text in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f\\u{2028}\\u{202e}a]*") {
            let escaped = escape_controls(&text);
            proptest::prop_assert!(!escaped.chars().any(|c| c != '\t' && c != '\n' && (c.is_control() || needs_escape(c))));
        }

        #[test]
        fn commands_built_from_hashes_and_brackets_are_always_broken(text in "[#vVsSoO\\[x]{0,40}") {
            let safe = neutralise(&text);
            proptest::prop_assert!(!safe.to_ascii_lowercase().contains("##vso["));
            proptest::prop_assert!(!safe.contains("##["));
        }
    }
}
