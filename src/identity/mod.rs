//! Credentials the agent's machine can prove without a stored secret: the pipeline's own
//! OIDC token, an Azure managed identity's token, an AWS identity (a signed STS request) and a
//! Google Cloud identity token. Each is fetched over HTTP with the same retries as Akeyless
//! requests; metadata services get short timeouts, so an agent elsewhere fails in seconds.

pub mod aws;
pub mod aws_signature;
pub mod azure_metadata;
pub mod gcp_metadata;
pub mod pipeline_oidc;

use serde_json::{Map, Value};

use crate::agent::Agent;
use crate::akeyless::client::{self, Policy};
use crate::akeyless::{ApiError, Service};
use crate::host::{Host, HttpRequest};

/// Sends `request` to `service` and returns the string `field` of its JSON reply; a reply
/// without it (or with it empty) is malformed, described by `missing`.
async fn fetch_token<H: Host>(
    agent: &Agent<'_, H>,
    service: Service,
    request: HttpRequest,
    policy: Policy,
    field: &str,
    missing: &'static str,
) -> Result<String, ApiError> {
    let url = request.url.clone();
    let response = client::exchange(agent, service, request, policy).await?;
    let reply: Map<String, Value> =
        client::decode(service, url.clone(), response.status, &response.body)?;
    reply
        .get(field)
        .and_then(Value::as_str)
        .filter(|token| !token.trim().is_empty())
        .map(str::to_string)
        .ok_or(ApiError::Malformed {
            service,
            url,
            status: response.status,
            problem: missing,
        })
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            query_value("https://management.azure.com/"),
            "https%3A%2F%2Fmanagement.azure.com%2F"
        );
        assert_eq!(query_value("a-b_c.d~e"), "a-b_c.d~e");
    }
}
