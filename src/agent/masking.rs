//! What to register with the agent's masker for a value that came from Akeyless.
//!
//! The agent masks each registered string literally, line by line, so a multi-line value is
//! only masked through its lines, and a JSON value's fields only through their own values
//! (a script that parses the JSON prints fields, not the whole document). So the whole value,
//! each line, and each string leaf of a JSON value are registered, and a leaf that itself
//! holds JSON (a dynamic secret's `id`, a rotated secret's `payload`) is walked in turn.
//! Leaves shorter than [`SHORT_LEAF`] characters are registered only under a key that looks
//! like a credential: masking every `"60"` of `ttl_in_minutes` would blank unrelated
//! numbers all over the log.

use serde_json::Value;

/// Leaves shorter than this are registered only under credential-like keys.
pub const SHORT_LEAF: usize = 6;

/// Fragments of key names that mark a credential.
const CREDENTIAL_KEY_FRAGMENTS: [&str; 10] = [
    "pass",
    "pwd",
    "secret",
    "key",
    "token",
    "private",
    "credential",
    "auth",
    "cookie",
    "session",
];

/// The strings to register for `value`, whole value first, without duplicates or blanks.
pub fn strings_to_register(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    add_text(value, &mut found);
    found
}

/// Adds a text, its lines, and the leaves of the JSON it holds, if any.
fn add_text(text: &str, found: &mut Vec<String>) {
    add(text, found);
    if text.contains(['\n', '\r']) {
        text.lines().for_each(|line| add(line.trim(), found));
    }
    if let Some(json) = parse_structure(text) {
        add_leaves(&json, None, found);
    }
}

fn add(text: &str, found: &mut Vec<String>) {
    if !text.trim().is_empty() && !found.iter().any(|f| f == text) {
        found.push(text.to_string());
    }
}

/// `text` as a JSON object or array; `None` for anything else, JSON scalars included.
pub fn parse_structure(text: &str) -> Option<Value> {
    match serde_json::from_str(text) {
        Ok(json @ (Value::Object(_) | Value::Array(_))) => Some(json),
        _ => None,
    }
}

/// Adds the string leaves (and numbers under credential keys) worth registering.
fn add_leaves(value: &Value, key: Option<&str>, found: &mut Vec<String>) {
    let credential = key.is_some_and(looks_like_credential);
    match value {
        Value::String(text) if text.chars().count() >= SHORT_LEAF || credential => {
            add_text(text, found);
        }
        Value::Number(number) if credential => add(&number.to_string(), found),
        Value::Object(fields) => {
            for (name, field) in fields {
                add_leaves(field, Some(name), found);
            }
        }
        // Items of an array inherit the array's key: `"keys": ["k1", "k2"]`.
        Value::Array(items) => items.iter().for_each(|item| add_leaves(item, key, found)),
        _ => {}
    }
}

/// Whether a JSON key names something secret.
pub fn looks_like_credential(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    CREDENTIAL_KEY_FRAGMENTS
        .iter()
        .any(|fragment| key.contains(fragment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_line_value_is_registered_whole() {
        assert_eq!(strings_to_register("s3cr3t"), vec!["s3cr3t"]);
    }

    #[test]
    fn a_multi_line_value_registers_each_non_blank_line_trimmed() {
        let pem = "-----BEGIN KEY-----\r\n  MIIEabc\r\n\r\n-----END KEY-----\n";
        assert_eq!(
            strings_to_register(pem),
            vec![pem, "-----BEGIN KEY-----", "MIIEabc", "-----END KEY-----"]
        );
    }

    #[test]
    fn json_string_leaves_are_registered_including_nested_ones() {
        let value =
            r#"{"user":"app_user","db":{"password":"hunter2!"},"hosts":["primary.db.local"]}"#;
        let registered = strings_to_register(value);
        assert!(registered.contains(&"app_user".to_string()));
        assert!(registered.contains(&"hunter2!".to_string()));
        assert!(registered.contains(&"primary.db.local".to_string()));
    }

    #[test]
    fn short_leaves_are_registered_only_under_credential_keys() {
        let registered =
            strings_to_register(r#"{"ttl_in_minutes":"60","pin_token":"4711","pwd":"ab"}"#);
        assert!(!registered.contains(&"60".to_string()));
        assert!(registered.contains(&"4711".to_string()));
        assert!(registered.contains(&"ab".to_string()));
    }

    #[test]
    fn numbers_are_registered_under_credential_keys_only() {
        let registered = strings_to_register(r#"{"password":123456,"port":5432}"#);
        assert!(registered.contains(&"123456".to_string()));
        assert!(!registered.contains(&"5432".to_string()));
    }

    #[test]
    fn leaves_inside_json_in_string_fields_are_registered() {
        let value = r#"{"id":"{\"secret_name\":\"tmp.p-xxxx.AbCdE\",\"secret_key_id\":\"5f1c-77aa\"}","ttl_in_minutes":"60"}"#;
        let registered = strings_to_register(value);
        assert!(
            registered.contains(&"tmp.p-xxxx.AbCdE".to_string()),
            "{registered:?}"
        );
        assert!(registered.contains(&"5f1c-77aa".to_string()));
        assert!(!registered.contains(&"60".to_string()));
    }

    #[test]
    fn lines_of_a_multi_line_leaf_are_registered() {
        let value = r#"{"private_key":"-----BEGIN KEY-----\nMIIEsecretline\n-----END KEY-----"}"#;
        assert!(strings_to_register(value).contains(&"MIIEsecretline".to_string()));
    }

    #[test]
    fn a_value_that_is_a_json_scalar_is_not_walked() {
        assert_eq!(strings_to_register("\"quoted\""), vec!["\"quoted\""]);
    }

    #[test]
    fn blanks_and_duplicates_are_not_registered() {
        assert_eq!(strings_to_register("a\n \na"), vec!["a\n \na", "a"]);
        assert!(strings_to_register("  ").is_empty());
    }

    #[test]
    fn credential_keys_are_recognised() {
        for key in [
            "password",
            "secretText",
            "access_key",
            "Token",
            "private_key",
            "client_auth",
        ] {
            assert!(looks_like_credential(key), "{key}");
        }
        for key in ["ttl_in_minutes", "username", "host", "id"] {
            assert!(!looks_like_credential(key), "{key}");
        }
    }
}
