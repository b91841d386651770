//! Errors from talking to Akeyless (or to an identity endpoint on the way to it), each
//! rendered as one sentence a pipeline author can act on: what failed, where, the HTTP
//! status and the server's own `error`/`message` text.
//!
//! Nothing here quotes a request body, and a reply body is quoted only through its `error`
//! and `message` fields (or a short excerpt when the reply is not JSON), with the step's
//! secrets replaced before it is shortened: a secret cut in two would no longer be
//! recognised, and its first part would show. No URL is quoted with a user name or password.

use std::fmt;

use serde_json::Value;

use crate::host::TransportError;
use crate::network::without_credentials;

/// How much of a non-JSON error body is quoted.
const EXCERPT_CHARS: usize = 200;
/// How much of a JSON error reply's `error` and `message` text is quoted.
const SERVER_TEXT_CHARS: usize = 1_000;

/// Who a request went to, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Akeyless,
    /// The agent's endpoint that issues the pipeline's OIDC tokens.
    PipelineOidc,
    /// The Azure instance metadata service (managed identity tokens).
    AzureMetadata,
    /// The endpoint that gives an ECS task or an EKS pod its AWS credentials.
    AwsContainerCredentials,
    /// The EC2 instance metadata service (an instance role's AWS credentials).
    AwsInstanceMetadata,
    /// The Google Cloud metadata server (a service account's identity token).
    GcpMetadata,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Akeyless => "Akeyless",
            Service::PipelineOidc => "the Azure DevOps OIDC token endpoint",
            Service::AzureMetadata => "the Azure instance metadata service",
            Service::AwsContainerCredentials => "the AWS container credentials endpoint",
            Service::AwsInstanceMetadata => "the EC2 instance metadata service",
            Service::GcpMetadata => "the Google Cloud metadata server",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The service connection's URL cannot be used.
    InvalidBaseUrl { url: String, reason: &'static str },
    /// No response arrived.
    Transport {
        service: Service,
        url: String,
        /// Boxed: it is the largest part, and errors travel by value.
        error: Box<TransportError>,
        timeout_ms: u64,
        connect_timeout_ms: u64,
        /// The step's time limit in seconds, when what was left of it cut this attempt short.
        step_limit_seconds: Option<u64>,
        /// The proxy the request went through, without credentials.
        proxy: Option<String>,
    },
    /// The step's deadline passed before the request could be sent.
    OutOfTime {
        service: Service,
        url: String,
        step_limit_seconds: u64,
    },
    /// The service (or whatever answered at the URL) refused the request.
    Status {
        service: Service,
        url: String,
        status: u16,
        server_text: Option<String>,
        /// Whether the body was a JSON error object, rather than, say, a proxy's page.
        json_reply: bool,
    },
    /// A successful status, but a body that cannot be used.
    Malformed {
        service: Service,
        url: String,
        status: u16,
        problem: &'static str,
    },
    /// Every attempt failed; `last` is how the last one did.
    GaveUp {
        attempts: u32,
        seconds: u64,
        /// How long each attempt waited for a response at most, in seconds.
        waited_seconds: Vec<u64>,
        last: Box<ApiError>,
    },
}

impl ApiError {
    /// The error for a non-2xx reply, with the server's explanation taken from `body`;
    /// `redact` replaces the secrets in it before it is shortened.
    pub fn from_status(
        service: Service,
        url: String,
        status: u16,
        body: &str,
        redact: &dyn Fn(&str) -> String,
    ) -> Self {
        let body = body.trim();
        let (server_text, json_reply) = match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(fields)) => (
                json_error_text(&fields).map(|text| shortened(&redact(&text), SERVER_TEXT_CHARS)),
                true,
            ),
            _ => (excerpt(&redact(body)), false),
        };
        ApiError::Status {
            service,
            url,
            status,
            server_text,
            json_reply,
        }
    }
}

/// The explanation in a JSON error body: its `error` and `message` fields.
fn json_error_text(fields: &serde_json::Map<String, Value>) -> Option<String> {
    let texts: Vec<&str> = ["error", "message"]
        .iter()
        .filter_map(|key| fields.get(*key)?.as_str())
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .collect();
    match texts.as_slice() {
        [] => None,
        [error, message] if error != message => Some(format!("{error}: {message}")),
        [first, ..] => Some(first.to_string()),
    }
}

/// A short, single-line description of a body that is not Akeyless JSON (secrets already
/// replaced).
fn excerpt(body: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    if body.starts_with('<') {
        return Some("an HTML page, not an API reply".to_string());
    }
    let single_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(shortened(&single_line, EXCERPT_CHARS))
}

/// `text` cut to `limit` characters, with `...` when something was cut.
fn shortened(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

/// Whether a Node error code is a certificate or TLS failure.
fn is_tls_failure(code: &str) -> bool {
    code.starts_with("CERT_")
        || code.starts_with("ERR_TLS_")
        || code.starts_with("ERR_SSL_")
        || code.starts_with("UNABLE_TO_")
        || code.contains("SELF_SIGNED")
}

/// The host part of an `http(s)://` URL, for messages.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// What a Node transport error code means, in words.
fn explain_transport(
    url: &str,
    error: &TransportError,
    timeout_ms: u64,
    connect_ms: u64,
    step_limit_seconds: Option<u64>,
) -> String {
    let code = error.code.as_str();
    let seconds = |ms: u64| (ms + 500) / 1000;
    match code {
        "ECONNREFUSED" => "the connection was refused (nothing is listening there)".to_string(),
        "ENOTFOUND" | "EAI_AGAIN" => "the host name could not be resolved".to_string(),
        "ETIMEDOUT" => match step_limit_seconds {
            Some(limit) => format!(
                "it timed out: no response within {} s, all that was left of this step's \
                 {limit} s limit",
                seconds(timeout_ms)
            ),
            None => format!("it timed out: no response within {} s", seconds(timeout_ms)),
        },
        "ECONNECTTIMEOUT" => {
            format!(
                "it timed out: no connection within {} s",
                seconds(connect_ms)
            )
        }
        "ECONNRESET" | "EPIPE" => {
            "the connection was closed before a complete response arrived".to_string()
        }
        "EPROXY" => format!(
            "the proxy refused the tunnel: {}. Check the agent's proxy settings \
             (AGENT_PROXYURL, AGENT_PROXYUSERNAME, AGENT_PROXYPASSWORD) or HTTPS_PROXY",
            error.message
        ),
        "ECAFILE" => format!(
            "{}. Check AGENT_CAINFO and NODE_EXTRA_CA_CERTS",
            error.message
        ),
        _ if is_tls_failure(code) => format!(
            "the TLS certificate of {} was not accepted: {}. If the server uses a private \
             certificate authority, give the agent its certificate (AGENT_CAINFO or \
             NODE_EXTRA_CA_CERTS)",
            host_of(url),
            error.message
        ),
        _ => error.message.clone(),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::InvalidBaseUrl { url, reason } => write!(
                f,
                "The service connection's Akeyless API Base URL '{}' cannot be used: \
                 {reason}. Examples: https://api.akeyless.io, https://my-gateway:8000/api/v2.",
                without_credentials(url)
            ),
            ApiError::Transport {
                service,
                url,
                error,
                timeout_ms,
                connect_timeout_ms,
                step_limit_seconds,
                proxy,
            } => {
                let url = without_credentials(url);
                write!(f, "Could not reach {service} at {url}")?;
                if let Some(proxy) = proxy {
                    write!(f, " through the proxy {}", without_credentials(proxy))?;
                }
                write!(
                    f,
                    ": {} ({}).",
                    explain_transport(
                        &url,
                        error,
                        *timeout_ms,
                        *connect_timeout_ms,
                        *step_limit_seconds
                    ),
                    error.code
                )
            }
            ApiError::OutOfTime {
                service,
                url,
                step_limit_seconds,
            } => write!(
                f,
                "Did not send the request to {service} at {}: this step's {step_limit_seconds} s \
                 time limit was used up by the requests before it.",
                without_credentials(url)
            ),
            ApiError::Status {
                service,
                url,
                status,
                server_text,
                json_reply,
            } => {
                write!(
                    f,
                    "{} refused {} with HTTP {status}",
                    Capitalised(*service),
                    without_credentials(url)
                )?;
                match server_text {
                    Some(text) => write!(f, ": {text}.")?,
                    None => write!(f, ".")?,
                }
                // Akeyless's own 404 names a missing item; any other 404 means a wrong URL.
                if *status == 404 && !json_reply && *service == Service::Akeyless {
                    write!(
                        f,
                        " Check the service connection's URL: it must be the API base, such \
                         as https://api.akeyless.io or https://my-gateway:8000/api/v2."
                    )?;
                }
                Ok(())
            }
            ApiError::Malformed {
                service,
                url,
                status,
                problem,
            } => write!(
                f,
                "{} answered {} with HTTP {status}, but {problem}.",
                Capitalised(*service),
                without_credentials(url)
            ),
            ApiError::GaveUp {
                attempts,
                seconds,
                waited_seconds,
                last,
            } => {
                write!(f, "{last} Gave up after {attempts} attempts in {seconds} s")?;
                if last.timed_out() {
                    write!(
                        f,
                        "; the attempts waited up to {} for a response",
                        seconds_list(waited_seconds)
                    )?;
                }
                f.write_str(".")
            }
        }
    }
}

impl ApiError {
    /// Whether no response arrived in time.
    fn timed_out(&self) -> bool {
        matches!(self, ApiError::Transport { error, .. } if error.code == "ETIMEDOUT")
    }
}

/// `20 s, 20 s and 4 s`.
fn seconds_list(seconds: &[u64]) -> String {
    let items: Vec<String> = seconds.iter().map(|s| format!("{s} s")).collect();
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.join(""),
    }
}

impl std::error::Error for ApiError {}

/// A service's name at the start of a sentence.
struct Capitalised(Service);

impl fmt::Display for Capitalised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.0.to_string();
        let mut chars = name.chars();
        match chars.next() {
            Some(first) => write!(f, "{}{}", first.to_ascii_uppercase(), chars.as_str()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://api.akeyless.io/auth";

    fn no_secrets(text: &str) -> String {
        text.to_string()
    }

    #[test]
    fn secrets_are_replaced_before_a_long_body_is_cut() {
        let secret = "S3cr3t-".repeat(40);
        let body = format!("{}{secret} tail", "x".repeat(190));
        let redact = |text: &str| text.replace(&secret, "***");
        let message =
            ApiError::from_status(Service::Akeyless, URL.to_string(), 500, &body, &redact)
                .to_string();
        assert!(!message.contains("S3cr3t"), "{message}");
        assert!(message.contains("xxx*** tail"), "{message}");
    }

    #[test]
    fn a_long_json_error_text_is_cut_after_its_secrets_are_replaced() {
        let secret = "Js0n-s3cret-".repeat(100);
        let body = serde_json::json!({"error": format!("{}{secret}", "y".repeat(995))}).to_string();
        let redact = |text: &str| text.replace(&secret, "***");
        let message =
            ApiError::from_status(Service::Akeyless, URL.to_string(), 400, &body, &redact)
                .to_string();
        assert!(!message.contains("Js0n"), "{message}");
        assert!(message.ends_with("yyyyy***."), "{message}");
        let long = serde_json::json!({"error": "z".repeat(5000)}).to_string();
        assert!(status_message(400, &long).ends_with("zzz...."));
    }

    #[test]
    fn no_url_is_quoted_with_its_user_name_or_password() {
        let invalid = ApiError::InvalidBaseUrl {
            url: "https://admin:Pa55word@gw:8000/api/v2".to_string(),
            reason: "it must not contain a user name or password",
        }
        .to_string();
        assert!(
            !invalid.contains("admin") && !invalid.contains("Pa55word"),
            "{invalid}"
        );
        assert!(invalid.contains("'https://gw:8000/api/v2'"), "{invalid}");
        let refused = ApiError::from_status(
            Service::AzureMetadata,
            "http://u:Pa55word@169.254.169.254/x".to_string(),
            403,
            "",
            &no_secrets,
        )
        .to_string();
        assert!(!refused.contains("Pa55word"), "{refused}");
    }

    #[test]
    fn a_request_the_step_had_no_time_left_for_says_so() {
        let message = ApiError::OutOfTime {
            service: Service::Akeyless,
            url: URL.to_string(),
            step_limit_seconds: 45,
        }
        .to_string();
        assert_eq!(
            message,
            "Did not send the request to Akeyless at https://api.akeyless.io/auth: this step's \
             45 s time limit was used up by the requests before it."
        );
    }

    #[test]
    fn giving_up_on_a_hung_server_says_what_each_attempt_waited() {
        let timeout = ApiError::Transport {
            service: Service::Akeyless,
            url: URL.to_string(),
            error: Box::new(TransportError {
                code: "ETIMEDOUT".to_string(),
                message: String::new(),
            }),
            timeout_ms: 4_000,
            connect_timeout_ms: 4_000,
            step_limit_seconds: Some(45),
            proxy: None,
        };
        let message = ApiError::GaveUp {
            attempts: 3,
            seconds: 45,
            waited_seconds: vec![20, 20, 4],
            last: Box::new(timeout),
        }
        .to_string();
        assert_eq!(
            message,
            "Could not reach Akeyless at https://api.akeyless.io/auth: it timed out: no response \
             within 4 s, all that was left of this step's 45 s limit (ETIMEDOUT). Gave up after 3 \
             attempts in 45 s; the attempts waited up to 20 s, 20 s and 4 s for a response."
        );
    }

    fn status_message(status: u16, body: &str) -> String {
        ApiError::from_status(
            Service::Akeyless,
            URL.to_string(),
            status,
            body,
            &no_secrets,
        )
        .to_string()
    }

    #[test]
    fn a_status_error_names_the_url_the_status_and_the_error_text() {
        assert_eq!(
            status_message(401, r#"{"error":"access denied"}"#),
            "Akeyless refused https://api.akeyless.io/auth with HTTP 401: access denied."
        );
    }

    #[test]
    fn error_and_message_are_both_quoted() {
        let message = status_message(
            400,
            r#"{"error":"InvalidParam","message":"Missing required parameter - AccessId "}"#,
        );
        assert!(message.contains("InvalidParam: Missing required parameter - AccessId."));
    }

    #[test]
    fn a_message_alone_is_quoted() {
        assert!(status_message(500, r#"{"message":"boom"}"#).contains(": boom."));
    }

    #[test]
    fn an_html_error_page_is_described_not_quoted() {
        let message = status_message(502, "<html><body>Bad gateway</body></html>");
        assert!(message.contains("an HTML page, not an API reply"));
        assert!(!message.contains("<html>"));
    }

    #[test]
    fn a_plain_text_body_is_quoted_on_one_line_and_shortened() {
        let body = format!("404 page\nnot found {}", "x".repeat(500));
        let message = status_message(404, &body);
        assert!(message.contains("404 page not found xxx"));
        assert!(message.contains("..."));
        assert!(message.len() < 500);
    }

    #[test]
    fn another_service_is_named_as_the_sentence_subject() {
        let message = ApiError::from_status(
            Service::PipelineOidc,
            "https://x/oidctoken".into(),
            401,
            "",
            &no_secrets,
        )
        .to_string();
        assert_eq!(
            message,
            "The Azure DevOps OIDC token endpoint refused https://x/oidctoken with HTTP 401."
        );
    }

    #[test]
    fn a_404_that_is_not_akeyless_json_suggests_checking_the_connection_url() {
        assert!(status_message(404, "").contains("Check the service connection's URL"));
        assert!(status_message(404, "404 page not found").contains("Check the service"));
    }

    #[test]
    fn an_akeyless_404_quotes_the_server_without_the_url_hint() {
        let message = status_message(404, r#"{"error":"item not found: /a/b"}"#);
        assert!(
            message.ends_with("HTTP 404: item not found: /a/b."),
            "{message}"
        );
    }

    #[test]
    fn other_fields_of_an_error_body_are_never_quoted() {
        let message = status_message(401, r#"{"error":"denied","echo":"the-access-key"}"#);
        assert!(!message.contains("the-access-key"));
    }

    fn transport_message(code: &str, message: &str) -> String {
        ApiError::Transport {
            service: Service::Akeyless,
            url: URL.to_string(),
            error: Box::new(TransportError {
                code: code.to_string(),
                message: message.to_string(),
            }),
            timeout_ms: 20_000,
            connect_timeout_ms: 10_000,
            step_limit_seconds: None,
            proxy: None,
        }
        .to_string()
    }

    #[test]
    fn a_refused_connection_is_explained() {
        assert_eq!(
            transport_message("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9"),
            "Could not reach Akeyless at https://api.akeyless.io/auth: the connection was \
             refused (nothing is listening there) (ECONNREFUSED)."
        );
    }

    #[test]
    fn a_timeout_says_it_timed_out_where_and_how_long_was_waited() {
        assert_eq!(
            transport_message("ETIMEDOUT", ""),
            "Could not reach Akeyless at https://api.akeyless.io/auth: it timed out: no response \
             within 20 s (ETIMEDOUT)."
        );
        assert!(transport_message("ECONNECTTIMEOUT", "")
            .contains("it timed out: no connection within 10 s"));
    }

    #[test]
    fn a_certificate_error_names_the_host_and_the_reason() {
        let message = transport_message("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate");
        assert!(
            message.contains(
                "the TLS certificate of api.akeyless.io was not accepted: self-signed certificate."
            ),
            "{message}"
        );
        assert!(message.contains("AGENT_CAINFO"));
    }

    #[test]
    fn a_failure_through_a_proxy_names_the_proxy() {
        let message = ApiError::Transport {
            service: Service::Akeyless,
            url: URL.to_string(),
            error: Box::new(TransportError {
                code: "ECONNREFUSED".to_string(),
                message: String::new(),
            }),
            timeout_ms: 20_000,
            connect_timeout_ms: 10_000,
            step_limit_seconds: None,
            proxy: Some("http://proxy.corp:3128".to_string()),
        }
        .to_string();
        assert!(
            message.starts_with(
                "Could not reach Akeyless at https://api.akeyless.io/auth through the proxy \
             http://proxy.corp:3128: the connection was refused"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_proxy_refusal_points_at_the_proxy_settings() {
        let message = transport_message("EPROXY", "it answered HTTP 407");
        assert!(
            message.contains("the proxy refused the tunnel: it answered HTTP 407"),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_transport_error_quotes_node() {
        assert!(transport_message("EWEIRD", "odd failure").contains("odd failure (EWEIRD)"));
    }

    proptest::proptest! {
        #[test]
        fn any_error_reply_gives_a_message_without_panicking(status in 0u16..1000, body in ".*") {
            let message = ApiError::from_status(Service::Akeyless, URL.to_string(), status, &body, &no_secrets).to_string();
            proptest::prop_assert!(message.starts_with("Akeyless refused"));
        }
    }
}
