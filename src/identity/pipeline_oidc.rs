//! The pipeline's own OIDC token for a service connection, to log in to a JWT auth method
//! with no `jwt` input and no extra step.
//!
//! Newer agents hand the token over as the connection's `idToken` authorization parameter.
//! Otherwise the agent's job-scoped endpoint (`System.OidcRequestUri`) issues one: a POST with
//! `serviceConnectionId` and the job's access token (`System.AccessToken`, from the
//! `SystemVssConnection` endpoint) as bearer, answering `{"oidcToken": "<jwt>"}`.

use crate::agent::{Agent, Endpoint};
use crate::akeyless::client::{Policy, CONNECT_TIMEOUT_MS, RESPONSE_TIMEOUT_MS};
use crate::akeyless::{ApiError, Service};
use crate::host::{Host, HttpRequest};
use crate::identity::{fetch_token, query_value};

/// The REST API version of the OIDC token endpoint.
const API_VERSION: &str = "7.1";

/// Where the token came from, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The connection's `idToken` parameter.
    Connection,
    /// The agent's OIDC endpoint.
    Endpoint,
}

/// The pipeline's OIDC token for `endpoint`; `Ok(None)` when this agent offers none.
pub async fn token<H: Host>(
    agent: &Agent<'_, H>,
    endpoint: &Endpoint,
) -> Result<Option<(String, Source)>, ApiError> {
    if let Some(token) = &endpoint.id_token {
        return Ok(Some((token.clone(), Source::Connection)));
    }
    let env = |name: &str| {
        agent
            .host()
            .env(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let (Some(request_uri), Some(access_token)) = (
        env("SYSTEM_OIDCREQUESTURI"),
        env("ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN")
            .or_else(|| env("SECRET_SYSTEM_ACCESSTOKEN")),
    ) else {
        return Ok(None);
    };
    agent.register_secret(&access_token);
    let separator = if request_uri.contains('?') { '&' } else { '?' };
    let url = format!(
        "{request_uri}{separator}api-version={API_VERSION}&serviceConnectionId={}",
        query_value(&endpoint.id)
    );
    let request = HttpRequest {
        method: "POST".to_string(),
        url: url.clone(),
        headers: vec![
            (
                "authorization".to_string(),
                format!("Bearer {access_token}"),
            ),
            ("content-type".to_string(), "application/json".to_string()),
            ("accept".to_string(), "application/json".to_string()),
        ],
        body: "{}".to_string(),
        connect_timeout_ms: CONNECT_TIMEOUT_MS,
        timeout_ms: RESPONSE_TIMEOUT_MS,
        route: agent.network().route(&url, |pattern, text| {
            agent.host().pattern_matches(pattern, text)
        }),
    };
    let token = fetch_token(
        agent,
        Service::PipelineOidc,
        request,
        Policy::DEFAULT,
        "oidcToken",
        "the reply holds no oidcToken",
    )
    .await?;
    Ok(Some((token, Source::Endpoint)))
}
