//! Task inputs exactly as the agent passes them: `INPUT_<NAME>` environment variables.
//!
//! The agent upper-cases the input name and replaces `.` and space with `_` (hyphens stay).
//! Every declared input is present, with `""` when the pipeline left it unset, so an empty
//! (or blank) value means "absent". Booleans follow task-lib: `true` in any letter case is
//! true, anything else false.

use std::fmt;

/// The environment variable the agent uses for the input `name`.
pub fn env_key(name: &str) -> String {
    let key: String = name
        .chars()
        .map(|c| if c == '.' || c == ' ' { '_' } else { c })
        .collect();
    format!("INPUT_{}", key.to_ascii_uppercase())
}

/// An input's value, or `None` when it is absent, empty or blank.
pub fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// Whether a boolean input's value means true.
pub fn is_true(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// A problem with one input, named as the pipeline author wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    Missing {
        input: String,
    },
    UnknownConnection {
        input: String,
        id: String,
    },
    /// The value cannot be used; `problem` says why and what would work.
    Invalid {
        input: String,
        problem: String,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Missing { input } => {
                write!(f, "The input '{input}' is required but was not set.")
            }
            InputError::UnknownConnection { input, id } => write!(
                f,
                "The service connection '{id}' given in the input '{input}' is not available \
                 to this step. Check that it exists, is of type Akeyless, and is authorised \
                 for this pipeline."
            ),
            InputError::Invalid { input, problem } => {
                write!(f, "The input '{input}' is not valid: {problem}")
            }
        }
    }
}

impl std::error::Error for InputError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_upper_cased_with_dots_and_spaces_replaced() {
        assert_eq!(env_key("secretsPaths"), "INPUT_SECRETSPATHS");
        assert_eq!(env_key("my.input name"), "INPUT_MY_INPUT_NAME");
    }

    #[test]
    fn hyphens_are_kept_in_the_key() {
        assert_eq!(env_key("access-key"), "INPUT_ACCESS-KEY");
    }

    #[test]
    fn an_empty_or_blank_value_is_absent() {
        assert_eq!(present(None), None);
        assert_eq!(present(Some(String::new())), None);
        assert_eq!(present(Some(" \n ".to_string())), None);
    }

    #[test]
    fn a_set_value_is_returned_untouched() {
        assert_eq!(
            present(Some(" a b ".to_string())),
            Some(" a b ".to_string())
        );
    }

    #[test]
    fn booleans_are_true_only_for_true_in_any_case() {
        assert!(is_true(Some("true")));
        assert!(is_true(Some("True")));
        assert!(is_true(Some("TRUE")));
        assert!(!is_true(Some("yes")));
        assert!(!is_true(Some("1")));
        assert!(!is_true(Some("false")));
        assert!(!is_true(None));
    }

    #[test]
    fn an_unknown_connection_error_names_the_input_and_the_connection() {
        let message = InputError::UnknownConnection {
            input: "connectedServiceName".to_string(),
            id: "6f1d2c3b".to_string(),
        }
        .to_string();
        assert!(message.contains("'connectedServiceName'"));
        assert!(message.contains("'6f1d2c3b'"));
    }

    #[test]
    fn a_missing_input_error_names_the_input() {
        let error = InputError::Missing {
            input: "connectedServiceName".to_string(),
        };
        assert!(error.to_string().contains("'connectedServiceName'"));
    }
}
