//! `POST /get-dynamic-secret-value`: credentials a producer mints on request.
//!
//! The reply comes in two forms: the producer's object itself, or that object as a JSON
//! string wrapped as `{"value": "<json>", "error": ""}`. A non-empty `error` is the
//! producer's failure whatever else the reply holds, and a reply without credentials (a
//! `value` that is null, empty or `{}`, an empty object) is refused. [`normalise`] turns
//! both forms into the producer's object.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::akeyless::client::Operation;
use crate::akeyless::reply::{holds_content, reported_error};

/// How much longer than the producer's own timeout the response may take, so that the
/// server's timeout, with its explanation, fires before ours (SPEC section 5).
const RESPONSE_MARGIN_SECONDS: u64 = 10;
/// How much longer than the producer's timeout all attempts together may take (SPEC 5).
const DEADLINE_MARGIN_SECONDS: u64 = 15;

/// The request body.
#[derive(Debug, Clone, Serialize)]
pub struct GetDynamicSecretValue<'a> {
    pub name: &'a str,
    pub token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<&'a str>,
    /// Seconds the producer may take.
    pub timeout: u64,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub args: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
    /// Asks for the producer's object as JSON rather than CLI text.
    pub json: bool,
}

impl Operation for GetDynamicSecretValue<'_> {
    const PATH: &'static str = "/get-dynamic-secret-value";
    type Response = Value;
    /// Each call mints new credentials.
    const MAY_CREATE: bool = true;

    fn response_timeout_ms(&self) -> u64 {
        (self.timeout + RESPONSE_MARGIN_SECONDS) * 1000
    }

    fn deadline_ms(&self) -> u64 {
        step_time_limit_ms(self.timeout)
    }
}

/// How long a step that asks a producer for credentials with `timeout` seconds may take in
/// all (SPEC section 5: the producer's timeout + 15 s).
pub fn step_time_limit_ms(timeout: u64) -> u64 {
    (timeout + DEADLINE_MARGIN_SECONDS) * 1000
}

/// Why a successful reply holds no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DynamicReplyError {
    /// The wrapped form's `error`: the producer's own explanation.
    Producer(String),
    /// The wrapped form's `value` is not a JSON object.
    ValueNotJson,
    /// The reply (or its wrapped `value`) holds no credentials.
    NoCredentials,
    /// The reply is not an object at all.
    NotObject,
}

impl fmt::Display for DynamicReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DynamicReplyError::Producer(text) => write!(f, "the producer reported: {text}"),
            DynamicReplyError::ValueNotJson => {
                f.write_str("the reply's value is not a JSON object")
            }
            DynamicReplyError::NoCredentials => f.write_str("the reply holds no credentials"),
            DynamicReplyError::NotObject => f.write_str("the reply is not a JSON object"),
        }
    }
}

/// The producer's object, from either reply form.
pub fn normalise(reply: Value) -> Result<Map<String, Value>, DynamicReplyError> {
    let Value::Object(fields) = reply else {
        return Err(DynamicReplyError::NotObject);
    };
    if let Some(error) = reported_error(&fields) {
        return Err(DynamicReplyError::Producer(error));
    }
    let credentials = if is_wrapped(&fields) {
        let inner = fields.get("value").and_then(Value::as_str).unwrap_or("");
        match serde_json::from_str(inner) {
            Ok(Value::Object(credentials)) => credentials,
            _ if inner.trim().is_empty() => return Err(DynamicReplyError::NoCredentials),
            _ => return Err(DynamicReplyError::ValueNotJson),
        }
    } else {
        fields
    };
    if !holds_content(&Value::Object(credentials.clone())) {
        return Err(DynamicReplyError::NoCredentials);
    }
    Ok(credentials)
}

/// The wrapped form: a `value` that is a string or null (an object is a producer's field),
/// beside `error`, or alone. A producer's own object may have a `value` field of its own, but
/// not beside `error`.
fn is_wrapped(fields: &Map<String, Value>) -> bool {
    let value_is_text = matches!(fields.get("value"), Some(Value::String(_) | Value::Null));
    let only_wrapper_keys = fields.keys().all(|key| key == "value" || key == "error");
    (value_is_text && (only_wrapper_keys || fields.contains_key("error")))
        || (!fields.is_empty() && only_wrapper_keys && !fields.contains_key("value"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_body_sends_timeout_as_a_number_and_leaves_out_what_is_not_set() {
        let body = GetDynamicSecretValue {
            name: "/dynamic/pg",
            token: "t-1",
            target: None,
            timeout: 15,
            args: &[],
            host: None,
            json: true,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name":"/dynamic/pg","token":"t-1","timeout":15,"json":true})
        );
        assert_eq!(body.response_timeout_ms(), 25_000);
        assert_eq!(body.deadline_ms(), 30_000);
        const { assert!(GetDynamicSecretValue::MAY_CREATE) };
    }

    #[test]
    fn target_args_and_host_are_sent_when_set() {
        let args = vec!["common_name=a.example".to_string()];
        let body = GetDynamicSecretValue {
            name: "/pki",
            token: "t-1",
            target: Some("pg-target"),
            timeout: 30,
            args: &args,
            host: Some("db1"),
            json: true,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name":"/pki","token":"t-1","target":"pg-target","timeout":30,"args":["common_name=a.example"],"host":"db1","json":true})
        );
        assert_eq!(body.response_timeout_ms(), 40_000);
    }

    #[test]
    fn a_plain_object_is_the_credentials() {
        let reply = json!({"user":"tmp_1","password":"p","ttl_in_minutes":"60"});
        assert_eq!(
            normalise(reply.clone()).unwrap(),
            reply.as_object().unwrap().clone()
        );
    }

    #[test]
    fn the_wrapped_form_is_unwrapped() {
        let reply = json!({"value":"{\"user\":\"tmp_1\",\"password\":\"p\"}","error":""});
        assert_eq!(
            Value::Object(normalise(reply).unwrap()),
            json!({"user":"tmp_1","password":"p"})
        );
    }

    #[test]
    fn a_wrapped_error_is_the_producers_failure() {
        let reply = json!({"value":"","error":"failed to create user: connection refused"});
        assert_eq!(
            normalise(reply),
            Err(DynamicReplyError::Producer(
                "failed to create user: connection refused".into()
            ))
        );
    }

    #[test]
    fn a_wrapped_value_that_is_not_a_json_object_is_refused() {
        assert_eq!(
            normalise(json!({"value":"plain text","error":""})),
            Err(DynamicReplyError::ValueNotJson)
        );
    }

    #[test]
    fn an_object_whose_value_field_is_an_object_is_a_plain_reply() {
        let reply = json!({"value":{"k":"v"}});
        assert_eq!(Value::Object(normalise(reply.clone()).unwrap()), reply);
    }

    #[test]
    fn an_error_beside_other_fields_is_still_the_producers_failure() {
        let reply = json!({"value":"{\"user\":\"u\"}","error":"quota exceeded","id":"tmp-1"});
        assert_eq!(
            normalise(reply),
            Err(DynamicReplyError::Producer("quota exceeded".into()))
        );
        let plain = json!({"user":"tmp_1","password":"p","error":"partially failed"});
        assert_eq!(
            normalise(plain),
            Err(DynamicReplyError::Producer("partially failed".into()))
        );
    }

    #[test]
    fn a_reply_without_credentials_is_refused() {
        for reply in [
            json!({"value": null, "error": ""}),
            json!({"value": null}),
            json!({"value": "", "error": ""}),
            json!({"value": "  ", "error": "", "id": "x"}),
            json!({"value": "{}", "error": ""}),
            json!({"value": "{\"user\":\"\"}", "error": ""}),
            json!({"error": ""}),
            json!({}),
            json!({"user": "", "password": null}),
        ] {
            assert_eq!(
                normalise(reply.clone()),
                Err(DynamicReplyError::NoCredentials),
                "{reply}"
            );
        }
    }

    #[test]
    fn a_producers_own_value_field_is_kept() {
        let reply = json!({"key":"k-1","value":"v-secret"});
        assert_eq!(Value::Object(normalise(reply.clone()).unwrap()), reply);
    }

    #[test]
    fn a_reply_that_is_not_an_object_is_refused() {
        assert_eq!(normalise(json!(["a"])), Err(DynamicReplyError::NotObject));
    }
}
