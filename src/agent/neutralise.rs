//! Neutralising text that came from outside (server replies, inputs) before it is printed.
//!
//! The agent executes `##vso[` wherever it appears in a line, and renders lines starting with
//! `##[` as formatting. A zero-width space between the two `#` defuses both while the text
//! still reads the same in the log.

const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Returns `text` with every `##vso[` and `##[` (any letter case) broken up.
pub fn neutralise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("##") {
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

fn starts_command(after_hashes: &str) -> bool {
    let bytes = after_hashes.as_bytes();
    bytes.first() == Some(&b'[')
        || (bytes.len() >= 4 && bytes[..3].eq_ignore_ascii_case(b"vso") && bytes[3] == b'[')
}

#[cfg(test)]
mod tests {
    use super::*;

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
        fn commands_built_from_hashes_and_brackets_are_always_broken(text in "[#vVsSoO\\[x]{0,40}") {
            let safe = neutralise(&text);
            proptest::prop_assert!(!safe.to_ascii_lowercase().contains("##vso["));
            proptest::prop_assert!(!safe.contains("##["));
        }
    }
}
