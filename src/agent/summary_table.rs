//! The run summary's table (see `tasks::summary`), recorded row by row as a step goes. Each
//! row is written as Markdown when it is recorded, into one string: a step with a thousand
//! variables keeps one string, not two per row, and needs no second pass to render them.
//! Every Markdown character in a cell is escaped, so a name read from Akeyless cannot turn
//! into a link or break the table.

/// A two-column Markdown table: what was done, and its details.
#[derive(Debug, Default)]
pub struct SummaryTable {
    /// The rows, each ending with a line break.
    rows: String,
}

impl SummaryTable {
    /// Adds a row. Each column is given in parts, written one after the other, so a caller
    /// need not join them into a string of their own first.
    pub fn push(&mut self, what: &[&str], detail: &[&str]) {
        self.rows.push_str("| ");
        what.iter().for_each(|part| push_cell(&mut self.rows, part));
        self.rows.push_str(" | ");
        detail
            .iter()
            .for_each(|part| push_cell(&mut self.rows, part));
        self.rows.push_str(" |\n");
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table, header and rows.
    pub fn markdown(&self) -> String {
        ["| What | Details |\n|---|---|\n", &self.rows].concat()
    }
}

/// Appends `text` as literal table-cell text: Markdown characters backslash-escaped, line
/// breaks and other control characters turned into spaces. Scanned by bytes and copied in
/// runs (a summary can have a thousand rows): every Markdown character is ASCII, and so is
/// every control character but U+0080 to U+009F, two bytes starting with 0xC2.
fn push_cell(markdown: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut copied_to = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        // Written as strings: pushing a `char` encodes it, every time.
        let (replacement, length) = match byte {
            b'\\' | b'`' | b'*' | b'_' | b'[' | b']' | b'<' | b'>' | b'|' | b'#' | b'!' | b'~'
            | b'(' | b')' | b'&' => ("\\", 0),
            0x00..=0x1F | 0x7F => (" ", 1),
            0xC2 if matches!(bytes.get(at + 1), Some(0x80..=0x9F)) => (" ", 2),
            _ => continue,
        };
        // A Markdown character is kept after its backslash (`length` 0 copies it on).
        markdown.push_str(&text[copied_to..at]);
        markdown.push_str(replacement);
        copied_to = at + length;
    }
    markdown.push_str(&text[copied_to..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(pairs: &[(&str, &str)]) -> String {
        let mut table = SummaryTable::default();
        for (what, detail) in pairs {
            table.push(&[what], &[detail]);
        }
        table.markdown()
    }

    #[test]
    fn a_summary_is_a_table_with_one_row_per_entry() {
        assert_eq!(
            table(&[("Authenticated", "p-1 with access_key")]),
            "| What | Details |\n|---|---|\n| Authenticated | p-1 with access\\_key |\n"
        );
    }

    #[test]
    fn a_column_given_in_parts_is_written_as_one() {
        let mut parts = SummaryTable::default();
        parts.push(&["$(", "a_b", ")"], &["/x", ", base64-encoded"]);
        assert_eq!(parts.markdown(), table(&[("$(a_b)", "/x, base64-encoded")]));
        assert!(!parts.is_empty());
        assert!(SummaryTable::default().is_empty());
    }

    #[test]
    fn markdown_and_line_breaks_in_names_stay_literal() {
        let table = table(&[("$(A|B)", "[x](http://e)\n`c`")]);
        assert!(table.ends_with("| $\\(A\\|B\\) | \\[x\\]\\(http://e\\) \\`c\\` |\n"));
        assert_eq!(table.lines().count(), 3);
    }

    proptest::proptest! {
        /// Byte by byte, a cell comes out as the rule says character by character.
        #[test]
        fn a_cell_escapes_markdown_and_blanks_every_control_character(text in "\\PC{0,12}|[\u{0}-\u{a0}|*_é]{0,12}") {
            let mut cell = String::new();
            push_cell(&mut cell, &text);
            let expected: String = text
                .chars()
                .flat_map(|c| match c {
                    c if "\\`*_[]<>|#!~()&".contains(c) => vec!['\\', c],
                    c if c.is_control() => vec![' '],
                    c => vec![c],
                })
                .collect();
            proptest::prop_assert_eq!(cell, expected);
        }
    }
}
