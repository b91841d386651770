//! An Azure managed identity's access token from the instance metadata service (IMDS), for
//! Akeyless `azure_ad` auth methods, which take it base64-encoded as `cloud-id`.
//!
//! The token is for `https://management.azure.com/`, as Akeyless's own cloud-id libraries
//! request it; a user-assigned identity is chosen by its client id. IMDS is reached directly,
//! never through a proxy (it is link-local). Its address can be overridden with
//! `AZURE_POD_IDENTITY_AUTHORITY_HOST`, as the Azure Identity libraries allow.

use crate::agent::Agent;
use crate::akeyless::client::{Policy, CONNECT_TIMEOUT_MS};
use crate::akeyless::{ApiError, Service};
use crate::host::{Host, HttpRequest, Route};
use crate::identity::{fetch_token, query_value};

const DEFAULT_HOST: &str = "http://169.254.169.254";
const HOST_OVERRIDE: &str = "AZURE_POD_IDENTITY_AUTHORITY_HOST";
const API_VERSION: &str = "2018-02-01";
const RESOURCE: &str = "https://management.azure.com/";
/// IMDS answers in milliseconds when it is there; a machine without it should fail fast.
const POLICY: Policy = Policy {
    may_create: false,
    response_timeout_ms: 10_000,
    deadline_ms: 20_000,
};

/// The managed identity's token (the one of `client_id` when given).
pub async fn token<H: Host>(
    agent: &Agent<'_, H>,
    client_id: Option<&str>,
) -> Result<String, ApiError> {
    let host = agent
        .host()
        .env(HOST_OVERRIDE)
        .map(|h| h.trim().trim_end_matches('/').to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    let mut url = format!(
        "{host}/metadata/identity/oauth2/token?api-version={API_VERSION}&resource={}",
        query_value(RESOURCE)
    );
    if let Some(client_id) = client_id {
        url.push_str(&format!("&client_id={}", query_value(client_id)));
    }
    let request = HttpRequest {
        method: "GET".to_string(),
        url: url.clone(),
        headers: vec![("metadata".to_string(), "true".to_string())],
        body: String::new(),
        connect_timeout_ms: CONNECT_TIMEOUT_MS,
        timeout_ms: POLICY.response_timeout_ms,
        route: Route::default(),
    };
    fetch_token(
        agent,
        Service::AzureMetadata,
        request,
        POLICY,
        "access_token",
        "the reply holds no access_token",
    )
    .await
}
