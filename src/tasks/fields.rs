//! The optional `fields` input of the dynamic and rotated secret tasks: single fields of
//! the JSON reply exported as variables of their own, so scripts need no `jq`.
//!
//! `fields` uses the `secretsPaths` grammar with `VARIABLE=json.path` entries. A path is
//! dot-separated keys (a number indexes an array); a string field that holds JSON, such as
//! a dynamic secret's `id` or a rotated secret's `payload`, is entered as if it were an
//! object. A path that does not exist fails the task naming the path and the keys that do
//! exist where it stopped: keys, never values.

use serde_json::Value;

use crate::agent::{masking, Agent, InputError};
use crate::grammar::{self, Assignment, FIELDS_FORM};
use crate::host::Host;
use crate::tasks::TaskError;

pub const FIELDS_INPUT: &str = "fields";

/// The `fields` entries; empty when the input is not set. `output` is the task's own output
/// variable, which no field may replace.
pub fn read<H: Host>(agent: &Agent<'_, H>, output: &str) -> Result<Vec<Assignment>, TaskError> {
    let Some(list) = agent.input(FIELDS_INPUT) else {
        return Ok(Vec::new());
    };
    let invalid = |problem: String| InputError::Invalid {
        input: FIELDS_INPUT.to_string(),
        problem,
    };
    let assignments = grammar::parse_assignments(&list, FIELDS_FORM)
        .map_err(|error| invalid(error.to_string()))?;
    for (index, assignment) in assignments.iter().enumerate() {
        let position = index + 1;
        if grammar::variable_key(&assignment.variable) == grammar::variable_key(output) {
            return Err(invalid(format!(
                "entry {position} sets '{}', the task's own output variable. Choose another \
                 name.",
                assignment.variable
            ))
            .into());
        }
        if assignment
            .target
            .split('.')
            .any(|key| key.trim().is_empty())
        {
            return Err(invalid(format!(
                "entry {position} ('{}={}') has an empty key in its path. Write keys separated \
                 by single dots, e.g. {}",
                assignment.variable, assignment.target, FIELDS_FORM.example
            ))
            .into());
        }
    }
    Ok(assignments)
}

/// The value of each field in `document`, as text: strings as they are, `null` as empty,
/// anything else as compact JSON.
pub fn values(assignments: &[Assignment], document: &Value) -> Result<Vec<String>, TaskError> {
    assignments
        .iter()
        .enumerate()
        .map(|(index, assignment)| {
            let found = lookup(document, &assignment.target).map_err(|problem| {
                TaskError::Message(format!(
                    "The field '{}' (entry {} of '{FIELDS_INPUT}') does not exist in the reply: \
                     {problem}. No variable was set.",
                    assignment.target,
                    index + 1
                ))
            })?;
            Ok(match found {
                Value::String(text) => text,
                Value::Null => String::new(),
                other => other.to_string(),
            })
        })
        .collect()
}

/// Follows `path` through `document`, entering JSON held in strings.
fn lookup(document: &Value, path: &str) -> Result<Value, String> {
    let mut current = document.clone();
    let mut walked: Vec<&str> = Vec::new();
    for key in path.split('.').map(str::trim) {
        let here = if walked.is_empty() {
            "at the top level".to_string()
        } else {
            format!("under '{}'", walked.join("."))
        };
        if let Value::String(text) = &current {
            if let Some(inner) = masking::parse_structure(text) {
                current = inner;
            }
        }
        current = match current {
            Value::Object(mut fields) => match fields.shift_remove(key) {
                Some(next) => next,
                None => {
                    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
                    return Err(format!(
                        "{here} the keys are {}",
                        if keys.is_empty() {
                            "none".to_string()
                        } else {
                            keys.join(", ")
                        }
                    ));
                }
            },
            Value::Array(mut items) => match key.parse::<usize>() {
                Ok(index) if index < items.len() => items.swap_remove(index),
                _ => {
                    return Err(format!(
                        "{here} is a list of {} item(s); use an index from 0",
                        items.len()
                    ))
                }
            },
            other => return Err(format!("{here} is {}, which has no keys", kind_of(&other))),
        };
        walked.push(key);
    }
    Ok(current)
}

/// A value's JSON type in words, for messages that must not quote the value.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entra_secret() -> Value {
        json!({
            "id": "{\"secret_name\":\"tmp.p-xxxx.AbCdE\",\"secret_key_id\":\"5f1c-77aa\"}",
            "msg": "User has been added successfully",
            "secret": {"appId": "a-1", "displayName": "tmp.p-xxxx.AbCdE", "secretText": "s3cr3t-Text"},
            "ttl_in_minutes": "60",
            "hosts": ["h0.example", "h1.example"],
            "expiry": null
        })
    }

    fn assignment(variable: &str, target: &str) -> Assignment {
        Assignment {
            variable: variable.to_string(),
            target: target.to_string(),
            to_file: false,
        }
    }

    fn value_of(target: &str) -> Result<String, String> {
        values(&[assignment("v", target)], &entra_secret())
            .map(|mut found| found.remove(0))
            .map_err(|error| error.to_string())
    }

    #[test]
    fn nested_keys_are_followed() {
        assert_eq!(value_of("secret.secretText"), Ok("s3cr3t-Text".into()));
        assert_eq!(value_of("ttl_in_minutes"), Ok("60".into()));
    }

    #[test]
    fn json_held_in_a_string_is_entered_transparently() {
        assert_eq!(value_of("id.secret_key_id"), Ok("5f1c-77aa".into()));
    }

    #[test]
    fn a_number_indexes_a_list() {
        assert_eq!(value_of("hosts.1"), Ok("h1.example".into()));
    }

    #[test]
    fn an_object_field_is_exported_as_compact_json_and_null_as_empty() {
        assert_eq!(
            value_of("secret"),
            Ok(
                r#"{"appId":"a-1","displayName":"tmp.p-xxxx.AbCdE","secretText":"s3cr3t-Text"}"#
                    .into()
            )
        );
        assert_eq!(value_of("expiry"), Ok(String::new()));
    }

    #[test]
    fn a_missing_key_lists_the_keys_at_that_level_and_no_values() {
        let error = value_of("secret.password").unwrap_err();
        assert_eq!(
            error,
            "The field 'secret.password' (entry 1 of 'fields') does not exist in the reply: \
             under 'secret' the keys are appId, displayName, secretText. No variable was set."
        );
        assert!(!error.contains("s3cr3t-Text"));
    }

    #[test]
    fn a_missing_top_level_key_lists_the_top_level_keys() {
        let error = value_of("username").unwrap_err();
        assert!(
            error.contains(
                "at the top level the keys are id, msg, secret, ttl_in_minutes, hosts, expiry"
            ),
            "{error}"
        );
    }

    #[test]
    fn descending_into_a_plain_string_says_what_it_is_without_quoting_it() {
        let error = value_of("msg.text").unwrap_err();
        assert!(
            error.contains("under 'msg' is a string, which has no keys"),
            "{error}"
        );
        assert!(!error.contains("added successfully"));
    }

    #[test]
    fn a_bad_list_index_gives_the_list_length() {
        assert!(value_of("hosts.5")
            .unwrap_err()
            .contains("under 'hosts' is a list of 2 item(s)"));
    }

    #[test]
    fn the_error_names_the_entry_position() {
        let fields = [assignment("a", "ttl_in_minutes"), assignment("b", "nope")];
        let error = values(&fields, &entra_secret()).unwrap_err().to_string();
        assert!(error.contains("(entry 2 of 'fields')"), "{error}");
    }
}
