//! The list inputs: `secretsPaths` and the other `KEY=VALUE` lists.
//!
//! A list is entries separated by `,` or line breaks; blank entries (a trailing comma, an
//! empty line) are ignored. In `secretsPaths` each entry is `VARIABLE=PATH`, split at the
//! first `=` so a path may hold `=` (but not `,`), with whitespace around both parts trimmed.
//! `VARIABLE` is a pipeline variable name: letters, digits, `_` and `.`, not starting or
//! ending with `.`. Two entries may not set the same variable (names compare
//! case-insensitively, as pipeline variables do); one path under two names is fetched once.
//!
//! Errors name the entry by its position among the non-blank entries and quote its text,
//! which is a variable name and a path, never a secret.

use std::collections::HashSet;
use std::fmt;

/// Prefixes of job variables the agent hides from later steps (any letter case).
const RESERVED_PREFIXES: [&str; 5] = ["endpoint", "input", "secret", "path", "securefile"];

const SECRETS_PATHS_EXAMPLE: &str = "api_key=/ai/agent/api-key";

/// One non-blank entry of a list: its 1-based position and its trimmed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEntry<'a> {
    pub position: usize,
    pub text: &'a str,
}

/// Splits a list input into its non-blank entries.
pub fn entries(list: &str) -> Vec<RawEntry<'_>> {
    list.split([',', '\n', '\r'])
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .enumerate()
        .map(|(index, text)| RawEntry {
            position: index + 1,
            text,
        })
        .collect()
}

/// One `VARIABLE=PATH` entry of `secretsPaths`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry {
    pub variable: String,
    pub path: String,
}

impl SecretEntry {
    /// Whether the agent would hide a job variable of this name, so only the output
    /// variable `$(<step>.<name>)` can carry it.
    pub fn is_reserved(&self) -> bool {
        is_reserved_name(&self.variable)
    }
}

/// A parsed `secretsPaths`: the entries in order and the distinct paths to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPaths {
    pub entries: Vec<SecretEntry>,
    /// Each path once, in the order first named.
    pub unique_paths: Vec<String>,
}

/// A list entry that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarError {
    pub position: usize,
    pub entry: String,
    pub problem: String,
    /// What a valid entry looks like.
    pub example: &'static str,
}

impl fmt::Display for GrammarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "entry {} ('{}') {}. Write each entry as VARIABLE=PATH, separated by commas or \
             line breaks, e.g. {}",
            self.position, self.entry, self.problem, self.example
        )
    }
}

impl std::error::Error for GrammarError {}

/// Parses `secretsPaths`. An empty list is an error: the task would have nothing to do.
pub fn parse_secret_paths(list: &str) -> Result<SecretPaths, GrammarError> {
    let mut entries = Vec::new();
    let mut variables_seen: Vec<(String, usize)> = Vec::new();
    let mut paths_seen = HashSet::new();
    let mut unique_paths = Vec::new();
    for raw in entries_or_error(list)? {
        let fail = |problem: String| GrammarError {
            position: raw.position,
            entry: raw.text.to_string(),
            problem,
            example: SECRETS_PATHS_EXAMPLE,
        };
        let (variable, path) = raw
            .text
            .split_once('=')
            .ok_or_else(|| fail("has no '=' between the variable name and the path".into()))?;
        let (variable, path) = (variable.trim(), path.trim());
        if variable.is_empty() {
            return Err(fail("has no variable name before '='".into()));
        }
        if path.is_empty() {
            return Err(fail("has no path after '='".into()));
        }
        if let Some(problem) = variable_name_problem(variable) {
            return Err(fail(problem));
        }
        let folded = variable.to_lowercase();
        if let Some((_, first)) = variables_seen.iter().find(|(name, _)| *name == folded) {
            return Err(fail(format!(
                "sets the variable '{variable}' again (entry {first} already does)"
            )));
        }
        variables_seen.push((folded, raw.position));
        if paths_seen.insert(path.to_string()) {
            unique_paths.push(path.to_string());
        }
        entries.push(SecretEntry {
            variable: variable.to_string(),
            path: path.to_string(),
        });
    }
    Ok(SecretPaths {
        entries,
        unique_paths,
    })
}

fn entries_or_error(list: &str) -> Result<Vec<RawEntry<'_>>, GrammarError> {
    let found = entries(list);
    if found.is_empty() {
        return Err(GrammarError {
            position: 1,
            entry: String::new(),
            problem: "is missing: the list is empty".into(),
            example: SECRETS_PATHS_EXAMPLE,
        });
    }
    Ok(found)
}

/// Why `name` is not a usable pipeline variable name, if it is not.
fn variable_name_problem(name: &str) -> Option<String> {
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Some(format!(
            "has the character '{bad}' in its variable name; use letters, digits, '_' and '.'"
        ));
    }
    if name.starts_with('.') || name.ends_with('.') {
        return Some("has a variable name that starts or ends with '.'".into());
    }
    None
}

/// Whether the agent hides job variables called `name` (they start with a reserved prefix).
pub fn is_reserved_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    RESERVED_PREFIXES
        .iter()
        .any(|prefix| lower.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(list: &str) -> Vec<(String, String)> {
        parse_secret_paths(list)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| (e.variable, e.path))
            .collect()
    }

    fn pair(variable: &str, path: &str) -> (String, String) {
        (variable.to_string(), path.to_string())
    }

    fn error(list: &str) -> GrammarError {
        parse_secret_paths(list).unwrap_err()
    }

    #[test]
    fn entries_are_separated_by_commas() {
        assert_eq!(
            parsed("api_key=/ai/agent/api-key,model_id=/ai/agent/model-id"),
            vec![
                pair("api_key", "/ai/agent/api-key"),
                pair("model_id", "/ai/agent/model-id")
            ]
        );
    }

    #[test]
    fn entries_are_separated_by_line_breaks_of_either_kind() {
        assert_eq!(
            parsed("a=/x\nb=/y\r\nc=/z"),
            vec![pair("a", "/x"), pair("b", "/y"), pair("c", "/z")]
        );
    }

    #[test]
    fn commas_and_line_breaks_mix() {
        assert_eq!(
            parsed("a=/x,\nb=/y"),
            vec![pair("a", "/x"), pair("b", "/y")]
        );
    }

    #[test]
    fn the_entry_splits_at_the_first_equals_sign() {
        assert_eq!(
            parsed("conn=/db/url=primary=1"),
            vec![pair("conn", "/db/url=primary=1")]
        );
    }

    #[test]
    fn whitespace_around_both_parts_is_trimmed_and_inner_spaces_kept() {
        assert_eq!(
            parsed("  api_key  =  /team a/my secret  "),
            vec![pair("api_key", "/team a/my secret")]
        );
    }

    #[test]
    fn blank_entries_and_trailing_commas_are_ignored() {
        assert_eq!(
            parsed(",a=/x,, ,\n\n  \nb=/y,"),
            vec![pair("a", "/x"), pair("b", "/y")]
        );
    }

    #[test]
    fn variable_names_may_hold_letters_digits_underscores_and_dots() {
        assert_eq!(parsed("db.Pass_2=/x"), vec![pair("db.Pass_2", "/x")]);
    }

    #[test]
    fn a_path_named_twice_is_fetched_once_and_both_variables_are_kept() {
        let parsed = parse_secret_paths("a=/x,b=/y,c=/x").unwrap();
        assert_eq!(parsed.unique_paths, vec!["/x", "/y"]);
        assert_eq!(parsed.entries.len(), 3);
    }

    #[test]
    fn an_entry_without_equals_is_rejected_with_its_position_and_text() {
        let error = error("a=/x, /just/a/path");
        assert_eq!(error.position, 2);
        assert_eq!(error.entry, "/just/a/path");
        assert_eq!(
            error.to_string(),
            "entry 2 ('/just/a/path') has no '=' between the variable name and the path. \
             Write each entry as VARIABLE=PATH, separated by commas or line breaks, e.g. \
             api_key=/ai/agent/api-key"
        );
    }

    #[test]
    fn positions_count_only_non_blank_entries() {
        assert_eq!(error(",,a=/x,\n\nbad").position, 2);
    }

    #[test]
    fn an_entry_without_a_variable_name_is_rejected() {
        assert!(error("=/x").problem.contains("no variable name"));
    }

    #[test]
    fn an_entry_without_a_path_is_rejected() {
        assert!(error("a= ").problem.contains("no path"));
    }

    #[test]
    fn a_variable_name_with_other_characters_is_rejected_naming_the_character() {
        let error = error("my-key=/x");
        assert_eq!(error.entry, "my-key=/x");
        assert!(error.problem.contains("'-'"), "{}", error.problem);
        assert!(self::error("my key=/x").problem.contains("' '"));
        assert!(self::error("$(x)=/x").problem.contains("'$'"));
    }

    #[test]
    fn a_variable_name_starting_or_ending_with_a_dot_is_rejected() {
        assert!(error(".a=/x").problem.contains("'.'"));
        assert!(error("a.=/x").problem.contains("'.'"));
    }

    #[test]
    fn a_variable_set_twice_is_rejected_in_any_letter_case() {
        let error = error("Api_Key=/x\napi_key=/y");
        assert_eq!(error.position, 2);
        assert!(
            error.problem.contains("entry 1 already does"),
            "{}",
            error.problem
        );
    }

    #[test]
    fn an_empty_list_is_rejected() {
        assert!(error(" ,\n ").problem.contains("empty"));
    }

    #[test]
    fn reserved_prefixes_are_recognised_in_any_case() {
        for name in [
            "endpoint_config",
            "INPUT_x",
            "Secret1",
            "path",
            "secureFileX",
        ] {
            assert!(is_reserved_name(name), "{name}");
        }
        for name in ["api_key", "my_secret", "xpath"] {
            assert!(!is_reserved_name(name), "{name}");
        }
    }

    #[test]
    fn a_reserved_name_is_accepted_and_marked() {
        let parsed = parse_secret_paths("endpoint_config=/ai/agent/config/endpoint").unwrap();
        assert!(parsed.entries[0].is_reserved());
    }

    #[test]
    fn a_thousand_entries_parse_in_order() {
        let list: Vec<String> = (0..1000).map(|i| format!("v{i}=/p/{i}")).collect();
        let parsed = parse_secret_paths(&list.join("\n")).unwrap();
        assert_eq!(parsed.unique_paths.len(), 1000);
        assert_eq!(parsed.entries[999].variable, "v999");
    }
}
