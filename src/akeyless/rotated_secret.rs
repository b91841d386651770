//! `POST /get-rotated-secret-value`: the current value of a rotated secret.
//!
//! The reply is `{"value": {...}}`, whose contents depend on the rotator: `username` and
//! `password` for user/password rotators, `payload` (often JSON in a string) for custom
//! rotators, `target_value` for some others. The tasks pass the whole reply on.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::akeyless::client::Operation;
use crate::akeyless::wire_boolean;

/// The request body. `names` is one path, despite its plural name.
#[derive(Debug, Clone, Serialize)]
pub struct GetRotatedSecretValue<'a> {
    pub names: &'a str,
    pub token: &'a str,
    #[serde(rename = "ignore-cache")]
    pub ignore_cache: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
}

impl<'a> GetRotatedSecretValue<'a> {
    pub fn new(
        name: &'a str,
        token: &'a str,
        ignore_cache: bool,
        version: Option<u32>,
        host: Option<&'a str>,
    ) -> Self {
        GetRotatedSecretValue {
            names: name,
            token,
            ignore_cache: wire_boolean(ignore_cache),
            version,
            host,
        }
    }
}

impl Operation for GetRotatedSecretValue<'_> {
    const PATH: &'static str = "/get-rotated-secret-value";
    type Response = Map<String, Value>;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_is_one_string_and_ignore_cache_a_string() {
        let body = GetRotatedSecretValue::new("/rotated/pg", "t-1", false, None, None);
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"names":"/rotated/pg","token":"t-1","ignore-cache":"false"})
        );
    }

    #[test]
    fn version_and_host_are_sent_when_set() {
        let body = GetRotatedSecretValue::new("/r", "t-1", true, Some(2), Some("db1"));
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"names":"/r","token":"t-1","ignore-cache":"true","version":2,"host":"db1"})
        );
    }
}
