//! `POST /get-secret-value`: the values of static secrets, several paths per request.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::Serialize;
use serde_json::Value;

use crate::akeyless::client::Operation;
use crate::akeyless::wire_boolean;

/// Which kind of item the paths name (personal items belong to the password manager).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accessibility {
    Regular,
    Personal,
    Sharing,
}

impl Accessibility {
    /// The accepted spellings, for messages.
    pub const CHOICES: &'static str = "regular, personal or sharing";

    /// Reads the pick-list value in any letter case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "regular" => Some(Accessibility::Regular),
            "personal" => Some(Accessibility::Personal),
            "sharing" => Some(Accessibility::Sharing),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Accessibility::Regular => "regular",
            Accessibility::Personal => "personal",
            Accessibility::Sharing => "sharing",
        }
    }
}

impl Serialize for Accessibility {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The request body. `ignore-cache` is a string on the wire, not a boolean.
#[derive(Debug, Clone, Serialize)]
pub struct GetSecretValue<'a> {
    pub names: &'a [&'a str],
    pub token: &'a str,
    #[serde(rename = "ignore-cache")]
    pub ignore_cache: &'static str,
    pub accessibility: Accessibility,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

impl<'a> GetSecretValue<'a> {
    pub fn new(
        names: &'a [&'a str],
        token: &'a str,
        ignore_cache: bool,
        accessibility: Accessibility,
        version: Option<u32>,
    ) -> Self {
        GetSecretValue {
            names,
            token,
            ignore_cache: wire_boolean(ignore_cache),
            accessibility,
            version,
        }
    }
}

impl Operation for GetSecretValue<'_> {
    const PATH: &'static str = "/get-secret-value";
    type Response = SecretValues;
}

/// The reply: each requested name exactly as sent, with its value, a string or, for some
/// item types, a JSON object. Read into a list in the reply's order rather than a map: a map
/// hashes every name once more, and a later duplicate name wins either way where the list is
/// collected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretValues(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for SecretValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = SecretValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of names and values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretValues, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(SecretValues(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_body_has_names_as_an_array_and_ignore_cache_as_a_string() {
        let names = vec!["/a", "/b"];
        let body = GetSecretValue::new(&names, "t-1", true, Accessibility::Personal, Some(3));
        assert_eq!(
            serde_json::to_value(body).unwrap(),
            json!({"names":["/a","/b"],"token":"t-1","ignore-cache":"true","accessibility":"personal","version":3})
        );
    }

    #[test]
    fn version_is_left_out_when_not_given() {
        let names = vec!["/a"];
        let body = GetSecretValue::new(&names, "t-1", false, Accessibility::Regular, None);
        assert_eq!(
            serde_json::to_value(body).unwrap(),
            json!({"names":["/a"],"token":"t-1","ignore-cache":"false","accessibility":"regular"})
        );
    }

    #[test]
    fn a_reply_is_read_in_its_order_with_its_values_as_they_came() {
        let reply: SecretValues =
            serde_json::from_str(r#"{"/b":"v-b","/a":{"k":1},"/c":null}"#).unwrap();
        assert_eq!(
            reply.0,
            vec![
                ("/b".to_string(), json!("v-b")),
                ("/a".to_string(), json!({"k": 1})),
                ("/c".to_string(), Value::Null),
            ]
        );
        assert!(serde_json::from_str::<SecretValues>(r#"["/a"]"#).is_err());
    }

    #[test]
    fn accessibility_is_read_in_any_case_and_unknown_values_are_refused() {
        assert_eq!(
            Accessibility::parse(" Sharing "),
            Some(Accessibility::Sharing)
        );
        assert_eq!(Accessibility::parse("public"), None);
    }
}
