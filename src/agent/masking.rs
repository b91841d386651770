//! What to register with the agent's masker for a secret.
//!
//! The agent masks each registered string literally, line by line, so a multi-line value is
//! only masked through its lines, and a JSON value's fields only through their own values
//! (a script that parses the JSON prints fields, not the whole document). So the whole value,
//! each line, and each string leaf of a JSON value are registered, and a leaf that itself
//! holds JSON (a dynamic secret's `id`, a rotated secret's `payload`) is walked in turn.
//!
//! Lines end where the agent's log reader ends them: at `\r\n`, `\n` and a lone `\r`.
//! A shell also reveals other forms: `echo $(Fetch.x)` prints a value without its surrounding
//! whitespace or quotes, so the trimmed and quote-stripped forms are registered too, as the
//! agent does for job secrets.
//!
//! Leaves and shell forms shorter than [`SHORT_LEAF`] characters are registered only under a
//! key that looks like a credential: masking every `"60"` of `ttl_in_minutes` would blank
//! unrelated text all over the log. The value itself and each of its lines are registered
//! whatever their length, as the agent registers job secrets. Work is linear in the size of
//! the value: each string is looked up in a hash set once, and each JSON text is parsed once.

use rustc_hash::FxHashSet;
use serde_json::Value;

/// Derived strings (forms, lines, leaves) shorter than this are registered only under
/// credential-like keys.
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
    if is_single_form(value) {
        return vec![value.to_string()];
    }
    every_form(value)
}

/// What [`strings_to_register`] finds for `value` by searching every form.
fn every_form(value: &str) -> Vec<String> {
    let mut found = Found::default();
    found.add_text(value, false);
    found.strings
}

/// The string leaves of a JSON document worth registering (the rules of
/// [`strings_to_register`], without the document as a whole).
pub fn leaves_to_register(document: &Value) -> Vec<String> {
    let mut found = Found::default();
    found.add_leaves(document, None);
    found.strings
}

/// The strings found so far, in order, and a set to keep them unique.
#[derive(Default)]
struct Found {
    strings: Vec<String>,
    seen: FxHashSet<String>,
}

impl Found {
    /// Adds a text, its lines, its shell forms and the leaves of the JSON it holds, if any.
    /// `credential`: the text is a leaf under a credential-like key, so its short forms count
    /// too.
    fn add_text(&mut self, text: &str, credential: bool) {
        self.add(text);
        self.add_shell_forms(text, credential);
        // The log reader splits what a shell printed, so each form is split into lines.
        for form in std::iter::once(text).chain(shell_forms(text)) {
            if form.contains(['\n', '\r']) {
                for line in form.split(['\r', '\n']) {
                    self.add(line.trim());
                    self.add_shell_forms(line, credential);
                }
            }
        }
        if let Some(json) = parse_structure(text) {
            self.add_leaves(&json, None);
        }
    }

    /// Adds the shell forms of `text` that pass the short-value rule.
    fn add_shell_forms(&mut self, text: &str, credential: bool) {
        for form in shell_forms(text) {
            if credential || form.chars().count() >= SHORT_LEAF {
                self.add(form);
            }
        }
    }

    fn add(&mut self, text: &str) {
        if !text.trim().is_empty() && !self.seen.contains(text) {
            self.seen.insert(text.to_string());
            self.strings.push(text.to_string());
        }
    }

    /// Adds the string leaves (and numbers under credential keys) worth registering.
    fn add_leaves(&mut self, value: &Value, key: Option<&str>) {
        let credential = key.is_some_and(looks_like_credential);
        match value {
            Value::String(text) if text.chars().count() >= SHORT_LEAF || credential => {
                self.add_text(text, credential);
            }
            Value::Number(number) if credential => self.add(&number.to_string()),
            Value::Object(fields) => {
                for (name, field) in fields {
                    self.add_leaves(field, Some(name));
                }
            }
            // Items of an array inherit the array's key: `"keys": ["k1", "k2"]`.
            Value::Array(items) => items.iter().for_each(|item| self.add_leaves(item, key)),
            _ => {}
        }
    }
}

/// Whether `value` is its only form: one line, nothing to trim, no quotes around it, no
/// JSON. Most secrets are, and a step with a thousand of them should not pay for the search.
/// Checked on bytes: an ASCII graphic character at each end rules out whitespace there
/// (Unicode whitespace outside ASCII is never a single byte).
pub fn is_single_form(value: &str) -> bool {
    let bytes = value.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_graphic()
        && last.is_ascii_graphic()
        && !matches!(first, b'"' | b'\'' | b'{' | b'[')
        && !bytes.iter().any(|&byte| byte == b'\n' || byte == b'\r')
}

/// The forms a shell shows of `text`: trimmed, and without one pair of surrounding quotes
/// (trimmed again).
fn shell_forms(text: &str) -> impl Iterator<Item = &str> {
    let trimmed = text.trim();
    let unquoted = strip_quotes(trimmed).map(str::trim);
    std::iter::once(trimmed).chain(unquoted)
}

/// `text` without one pair of matching surrounding quotes (`"` or `'`), if it has them.
fn strip_quotes(text: &str) -> Option<&str> {
    ['"', '\''].into_iter().find_map(|quote| {
        text.strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
    })
}

/// `text` as a JSON object or array; `None` for anything else, JSON scalars included.
pub fn parse_structure(text: &str) -> Option<Value> {
    // Only an object or an array can start with these; anything else is not worth parsing.
    if !text.trim_start().starts_with(['{', '[']) {
        return None;
    }
    match serde_json::from_str(text) {
        Ok(json @ (Value::Object(_) | Value::Array(_))) => Some(json),
        _ => None,
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
            vec![
                pem,
                pem.trim(),
                "-----BEGIN KEY-----",
                "MIIEabc",
                "-----END KEY-----"
            ]
        );
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line_as_it_does_for_the_agent() {
        let registered = strings_to_register("first-part\rsecond-part");
        assert!(
            registered.contains(&"first-part".to_string()),
            "{registered:?}"
        );
        assert!(registered.contains(&"second-part".to_string()));
    }

    #[test]
    fn the_forms_a_shell_prints_are_registered_too() {
        let registered = strings_to_register("\"Qu0ted-Value\"");
        assert_eq!(registered, vec!["\"Qu0ted-Value\"", "Qu0ted-Value"]);
        let registered = strings_to_register("  padded-value\t");
        assert_eq!(registered, vec!["  padded-value\t", "padded-value"]);
        let registered = strings_to_register("' both-kinds '");
        assert!(
            registered.contains(&"both-kinds".to_string()),
            "{registered:?}"
        );
    }

    #[test]
    fn short_forms_follow_the_short_value_rule() {
        // The value itself is registered whatever its length; its short forms are not...
        assert_eq!(strings_to_register("\"ab\""), vec!["\"ab\""]);
        assert_eq!(strings_to_register(" abc "), vec![" abc "]);
        // ...unless they sit under a credential-like key.
        let registered = strings_to_register(r#"{"password":" ab "}"#);
        assert!(registered.contains(&"ab".to_string()), "{registered:?}");
    }

    #[test]
    fn quotes_that_do_not_match_are_kept() {
        assert_eq!(
            strings_to_register("\"mixed-quotes'"),
            vec!["\"mixed-quotes'"]
        );
    }

    #[test]
    fn a_reply_with_many_leaves_registers_each_once() {
        let leaves: Vec<String> = (0..160_000).map(|n| format!("leaf-value-{n}")).collect();
        let document = serde_json::to_string(&leaves).unwrap();
        let registered = strings_to_register(&document);
        assert_eq!(registered.len(), leaves.len() + 1);
        assert_eq!(registered[1], "leaf-value-0");
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
        assert_eq!(
            strings_to_register("\"quoted\""),
            vec!["\"quoted\"", "quoted"]
        );
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

    #[test]
    fn a_value_with_other_forms_is_not_taken_as_its_only_form() {
        for value in [
            " x-secret",
            "x-secret ",
            "\"x-secret\"",
            "'x'",
            "a\nb",
            "a\rb",
            "{}",
            "[1]",
            "x-\u{a0}",
        ] {
            assert!(!is_single_form(value), "{value:?}");
        }
        assert!(is_single_form("bulk-value-1 with inner space"));
    }

    proptest::proptest! {
        /// The shortcut for plain values finds exactly what the full search finds.
        #[test]
        fn a_single_form_value_is_what_every_form_search_finds(
            value in "[ \t\r\n\"'{\\[a-z0-9\u{a0}é-]{1,12}",
        ) {
            if is_single_form(&value) {
                proptest::prop_assert_eq!(every_form(&value), vec![value.clone()]);
            }
        }
    }
}
