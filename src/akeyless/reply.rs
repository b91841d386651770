//! What a secret reply must hold to count as an answer: no error reported in it, and
//! something in it. Akeyless (or a producer behind it) can answer a request with HTTP 200 and
//! still hand over nothing usable: `{"error": "..."}` beside other fields, a `value` that is
//! null, empty or `{}`. Such a reply fails the step, never sets an empty variable.

use serde_json::{Map, Value};

/// The error a reply reports in its top-level `error` field: its text, or a fixed phrase when
/// it is not text. `None` when the field is absent, null, empty, blank or `false`.
pub fn reported_error(fields: &Map<String, Value>) -> Option<String> {
    match fields.get("error")? {
        Value::Null | Value::Bool(false) => None,
        Value::String(text) if text.trim().is_empty() => None,
        Value::String(text) => Some(text.trim().to_string()),
        // Not printed: only the reply's other fields are registered as secrets.
        _ => Some("an error without an explanation".to_string()),
    }
}

/// Whether `value` holds anything a script could use: a string that is not blank, or a
/// number, somewhere in it.
pub fn holds_content(value: &Value) -> bool {
    match value {
        Value::String(text) => !text.trim().is_empty(),
        Value::Number(_) => true,
        Value::Array(items) => items.iter().any(holds_content),
        Value::Object(fields) => fields.values().any(holds_content),
        Value::Null | Value::Bool(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn error_of(reply: Value) -> Option<String> {
        reported_error(reply.as_object().unwrap())
    }

    #[test]
    fn an_error_is_reported_whatever_else_the_reply_holds() {
        assert_eq!(
            error_of(json!({"error": " boom ", "value": "{}", "extra": 1})),
            Some("boom".to_string())
        );
        assert_eq!(
            error_of(json!({"error": {"code": 5}})),
            Some("an error without an explanation".to_string())
        );
    }

    #[test]
    fn an_empty_or_absent_error_is_no_error() {
        for reply in [
            json!({"error": ""}),
            json!({"error": "  "}),
            json!({"error": null}),
            json!({"error": false}),
            json!({}),
        ] {
            assert_eq!(error_of(reply.clone()), None, "{reply}");
        }
    }

    #[test]
    fn content_is_a_non_blank_string_or_a_number_anywhere() {
        for empty in [
            json!(""),
            json!(" "),
            json!({}),
            json!([]),
            json!(null),
            json!({"a": {"b": ""}}),
            json!([true]),
        ] {
            assert!(!holds_content(&empty), "{empty}");
        }
        for full in [
            json!("x"),
            json!(0),
            json!({"a": ["", "p"]}),
            json!({"u": {"p": 1.5}}),
        ] {
            assert!(holds_content(&full), "{full}");
        }
    }
}
