//! A Google Cloud identity for Akeyless `gcp` auth methods (SPEC section 11): an ID token of
//! the machine's default service account, for `audience`, from the metadata server. Akeyless
//! takes it base64-encoded as `cloud-id`, with the audience as `gcp-audience`.
//!
//! The request is `GET /computeMetadata/v1/instance/service-accounts/default/identity` with
//! `audience` and `format=full` (which adds the instance's claims an auth method can bind)
//! and the header `Metadata-Flavor: Google`, on `metadata.google.internal`, or on the host
//! `GCE_METADATA_HOST` names, as Google's own libraries allow. The server answers with the
//! token itself, not JSON. Short timeouts, no proxy: an agent outside Google Cloud fails
//! within seconds.

use crate::agent::Agent;
use crate::akeyless::client::{self, Policy, CONNECT_TIMEOUT_MS};
use crate::akeyless::{ApiError, Service};
use crate::host::{Host, HttpRequest, Route};
use crate::identity::query_value;

const DEFAULT_HOST: &str = "metadata.google.internal";
const HOST_OVERRIDE: &str = "GCE_METADATA_HOST";
/// The metadata server answers in milliseconds when it is there.
const POLICY: Policy = Policy {
    may_create: false,
    response_timeout_ms: 2_000,
    deadline_ms: 4_000,
};

/// The ID token for `audience`, registered as a secret.
pub async fn id_token<H: Host>(agent: &Agent<'_, H>, audience: &str) -> Result<String, ApiError> {
    let host = agent
        .host()
        .env(HOST_OVERRIDE)
        .map(|host| host.trim().trim_end_matches('/').to_string())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    let origin = if host.contains("://") {
        host
    } else {
        format!("http://{host}")
    };
    let url = format!(
        "{origin}/computeMetadata/v1/instance/service-accounts/default/identity?audience={}&format=full",
        query_value(audience)
    );
    let request = HttpRequest {
        method: "GET".to_string(),
        url: url.clone(),
        headers: vec![("metadata-flavor".to_string(), "Google".to_string())],
        body: String::new(),
        connect_timeout_ms: CONNECT_TIMEOUT_MS,
        timeout_ms: POLICY.response_timeout_ms,
        route: Route::default(),
    };
    let response = client::exchange(agent, Service::GcpMetadata, request, POLICY).await?;
    let token = response.body.trim().to_string();
    agent.register_secret(&token);
    // A JWT is three base64url parts; anything else (an HTML page, JSON) is not a token.
    let is_jwt = token.split('.').count() == 3
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '='));
    if !is_jwt {
        return Err(ApiError::Malformed {
            service: Service::GcpMetadata,
            url: url.split('?').next().unwrap_or(&url).to_string(),
            status: response.status,
            problem: "the reply is not an ID token",
        });
    }
    Ok(token)
}
