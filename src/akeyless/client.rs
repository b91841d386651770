//! Sends one Akeyless operation and turns the reply into its typed response or an
//! [`ApiError`].
//!
//! Every request is a JSON `POST` carrying the identification headers Akeyless audit logs
//! read (`akeylessclienttype`, `akeylessclientversion`). Bodies are never logged: the debug
//! line for an exchange holds the URL, the status and the time taken.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::akeyless::{ApiError, BaseUrl};
use crate::host::{Host, HttpRequest};

/// How Akeyless audit logs name this client.
pub const CLIENT_TYPE: &str = "Azure-DevOps-Extension";

/// The extension version sent with every request.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How long a response may take unless the operation says otherwise (SPEC section 5).
pub const RESPONSE_TIMEOUT_MS: u64 = 20_000;

/// One Akeyless API operation: the request body, its path, and the response it yields.
pub trait Operation: Serialize {
    /// The path after the base URL, such as `/auth`.
    const PATH: &'static str;
    type Response: DeserializeOwned;

    /// How long to wait for the response.
    fn response_timeout_ms(&self) -> u64 {
        RESPONSE_TIMEOUT_MS
    }
}

/// An Akeyless client bound to one base URL.
pub struct Client<'a, H: Host> {
    host: &'a H,
    base: BaseUrl,
    debug: &'a dyn Fn(&str),
}

impl<'a, H: Host> Client<'a, H> {
    /// A client for `base`; `debug` receives one line per exchange.
    pub fn new(host: &'a H, base: BaseUrl, debug: &'a dyn Fn(&str)) -> Self {
        Client { host, base, debug }
    }

    /// Sends `operation` and decodes its successful response.
    pub async fn call<O: Operation>(&self, operation: &O) -> Result<O::Response, ApiError> {
        let url = self.base.join(O::PATH);
        let timeout_ms = operation.response_timeout_ms();
        let request = HttpRequest {
            method: "POST".to_string(),
            url: url.clone(),
            headers: vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("accept".to_string(), "application/json".to_string()),
                ("akeylessclienttype".to_string(), CLIENT_TYPE.to_string()),
                (
                    "akeylessclientversion".to_string(),
                    CLIENT_VERSION.to_string(),
                ),
            ],
            body: serde_json::to_string(operation).unwrap_or_default(),
            timeout_ms,
        };
        let started = self.host.now_ms();
        let outcome = self.host.http(&request).await;
        let elapsed = (self.host.now_ms() - started).round();
        let response = match outcome {
            Ok(response) => response,
            Err(error) => {
                (self.debug)(&format!(
                    "POST {url} failed after {elapsed} ms: {}",
                    error.code
                ));
                return Err(ApiError::Transport {
                    url,
                    error,
                    timeout_ms,
                });
            }
        };
        (self.debug)(&format!(
            "POST {url} -> HTTP {} in {elapsed} ms",
            response.status
        ));
        if !(200..300).contains(&response.status) {
            return Err(ApiError::from_status(url, response.status, &response.body));
        }
        decode(url, response.status, &response.body)
    }
}

/// Decodes a 2xx body. Serde's own messages are not shown: they can quote the values.
fn decode<T: DeserializeOwned>(url: String, status: u16, body: &str) -> Result<T, ApiError> {
    let malformed = |problem| ApiError::Malformed {
        url: url.clone(),
        status,
        problem,
    };
    let value: Value =
        serde_json::from_str(body).map_err(|_| malformed("the reply is not valid JSON"))?;
    if !value.is_object() {
        return Err(malformed("the reply is not a JSON object"));
    }
    serde_json::from_value(value)
        .map_err(|_| malformed("the reply's fields do not have the expected types"))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::host::fake::{block_on, FakeHost};

    #[derive(Serialize)]
    struct Ping {
        name: &'static str,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Pong {
        value: Option<String>,
    }

    impl Operation for Ping {
        const PATH: &'static str = "/ping";
        type Response = Pong;
    }

    fn call(host: &FakeHost) -> Result<Pong, ApiError> {
        let base = BaseUrl::parse("https://gw:8000/api/v2/").unwrap();
        let ignore = |_: &str| {};
        let client = Client::new(host, base, &ignore);
        block_on(client.call(&Ping { name: "x" }))
    }

    #[test]
    fn the_request_is_a_json_post_to_the_joined_url_with_identification_headers() {
        let host = FakeHost::new(&[]);
        host.answer(200, r#"{"value":"v"}"#);
        call(&host).unwrap();
        let request = &host.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://gw:8000/api/v2/ping");
        assert_eq!(request.body, r#"{"name":"x"}"#);
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("akeylessclienttype"), Some("Azure-DevOps-Extension"));
        assert_eq!(header("akeylessclientversion"), Some(CLIENT_VERSION));
        assert_eq!(header("content-type"), Some("application/json"));
    }

    #[test]
    fn a_successful_reply_is_decoded() {
        let host = FakeHost::new(&[]);
        host.answer(200, r#"{"value":"v","extra":1}"#);
        assert_eq!(
            call(&host),
            Ok(Pong {
                value: Some("v".to_string())
            })
        );
    }

    #[test]
    fn a_non_2xx_reply_is_a_status_error_with_the_server_text() {
        let host = FakeHost::new(&[]);
        host.answer(403, r#"{"error":"forbidden"}"#);
        assert_eq!(
            call(&host),
            Err(ApiError::Status {
                url: "https://gw:8000/api/v2/ping".to_string(),
                status: 403,
                server_text: Some("forbidden".to_string()),
                akeyless_reply: true,
            })
        );
    }

    #[test]
    fn a_transport_failure_is_reported_with_its_code() {
        let host = FakeHost::new(&[]);
        host.fail_transport("ECONNRESET", "socket hang up");
        let error = call(&host).unwrap_err();
        assert!(
            matches!(error, ApiError::Transport { ref error, .. } if error.code == "ECONNRESET")
        );
    }

    #[test]
    fn malformed_replies_never_quote_the_body() {
        for body in [
            r#"{"value": "sec"#,
            r#"["sec-value"]"#,
            r#"{"value":["sec-value"]}"#,
        ] {
            let host = FakeHost::new(&[]);
            host.answer(200, body);
            let error = call(&host).unwrap_err();
            assert!(matches!(error, ApiError::Malformed { .. }), "{body}");
            assert!(!error.to_string().contains("sec"), "{error}");
        }
    }
}
