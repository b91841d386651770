//! `POST /get-dynamic-secret-value`: credentials a producer mints on request.
//!
//! The reply comes in two forms: the producer's object itself, or that object as a JSON
//! string wrapped as `{"value": "<json>", "error": ""}`, where a non-empty `error` is the
//! producer's failure. [`normalise`] turns both into the producer's object.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::akeyless::client::Operation;

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
        (self.timeout + DEADLINE_MARGIN_SECONDS) * 1000
    }
}

/// Why a successful reply holds no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DynamicReplyError {
    /// The wrapped form's `error`: the producer's own explanation.
    Producer(String),
    /// The wrapped form's `value` is not a JSON object.
    ValueNotJson,
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
            DynamicReplyError::NotObject => f.write_str("the reply is not a JSON object"),
        }
    }
}

/// The producer's object, from either reply form.
pub fn normalise(reply: Value) -> Result<Map<String, Value>, DynamicReplyError> {
    let Value::Object(fields) = reply else {
        return Err(DynamicReplyError::NotObject);
    };
    if !is_wrapped(&fields) {
        return Ok(fields);
    }
    if let Some(error) = fields.get("error").and_then(Value::as_str) {
        if !error.trim().is_empty() {
            return Err(DynamicReplyError::Producer(error.trim().to_string()));
        }
    }
    let inner = fields.get("value").and_then(Value::as_str).unwrap_or("");
    match serde_json::from_str(inner) {
        Ok(Value::Object(credentials)) => Ok(credentials),
        _ => Err(DynamicReplyError::ValueNotJson),
    }
}

/// The wrapped form: only `value` (a string) and `error` (a string), at least one present.
fn is_wrapped(fields: &Map<String, Value>) -> bool {
    !fields.is_empty()
        && fields.iter().all(|(key, value)| {
            (key == "value" || key == "error") && matches!(value, Value::String(_))
        })
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
    fn a_reply_that_is_not_an_object_is_refused() {
        assert_eq!(normalise(json!(["a"])), Err(DynamicReplyError::NotObject));
    }
}
