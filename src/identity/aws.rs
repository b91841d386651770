//! An AWS identity for Akeyless `aws_iam` auth methods (SPEC section 11): the machine's AWS
//! credentials sign an STS `GetCallerIdentity` request, which is never sent: Akeyless replays
//! it to STS and learns who signed it. The request travels as `cloud-id`, base64 of
//! `{"sts_request_method", "sts_request_url", "sts_request_body", "sts_request_headers"}`
//! (URL, body and the JSON of the headers each base64 again).
//!
//! Credentials are looked for where AWS's own SDKs look, in this order, and the first source
//! that is configured decides:
//! 1. `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN`);
//! 2. the container credentials endpoint of ECS and EKS: `AWS_CONTAINER_CREDENTIALS_FULL_URI`
//!    (with `AWS_CONTAINER_AUTHORIZATION_TOKEN` or `_FILE`) or
//!    `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on `169.254.170.2`;
//! 3. the EC2 instance metadata service, IMDSv2 (a session token from `PUT
//!    /latest/api/token`, then the instance role's credentials), at
//!    `AWS_EC2_METADATA_SERVICE_ENDPOINT` when set.
//!
//! The metadata services get two seconds a request and four in all, never through a proxy
//! (they are link-local), so an agent outside AWS fails within seconds naming every source it
//! tried. Every credential, token and signature is registered as a secret as soon as it exists.

use serde::Deserialize;
use serde_json::json;

use crate::agent::multiline::base64;
use crate::agent::Agent;
use crate::akeyless::client::{self, Policy, CONNECT_TIMEOUT_MS};
use crate::akeyless::{ApiError, Service};
use crate::host::{Host, HttpRequest, Route};
use crate::identity::aws_signature::{self, AwsCredentials, Request, Scope};

/// The request Akeyless replays: STS's global endpoint, signed for `us-east-1`.
const STS_URL: &str = "https://sts.amazonaws.com/";
const STS_HOST: &str = "sts.amazonaws.com";
const STS_BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const STS_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
const STS_REGION: &str = "us-east-1";

const CONTAINER_HOST: &str = "http://169.254.170.2";
const IMDS_HOST: &str = "http://169.254.169.254";
const IMDS_OVERRIDE: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
/// How long an IMDSv2 session token lives; it is used at once.
const IMDS_TOKEN_TTL_SECONDS: &str = "60";
/// Metadata services answer in milliseconds when they are there.
const METADATA_POLICY: Policy = Policy {
    may_create: false,
    response_timeout_ms: 2_000,
    deadline_ms: 4_000,
};

/// The `cloud-id` for an `aws_iam` login, and where the credentials came from (for the log).
pub async fn cloud_id<H: Host>(agent: &Agent<'_, H>) -> Result<(String, String), String> {
    let (credentials, source) = credentials(agent).await?;
    let now = aws_signature::amz_date(agent.host().wall_clock_ms());
    let cloud_id = signed_cloud_id(&credentials, &now, |secret| {
        agent.register_secret(secret);
    });
    agent.register_secret(&cloud_id);
    Ok((cloud_id, source))
}

/// The `cloud-id` for `credentials` at `amz_date`; `register` sees the signature first.
pub fn signed_cloud_id(
    credentials: &AwsCredentials,
    amz_date: &str,
    register: impl Fn(&str),
) -> String {
    let mut headers = vec![
        ("Content-Length", STS_BODY.len().to_string()),
        ("Content-Type", STS_CONTENT_TYPE.to_string()),
        ("Host", STS_HOST.to_string()),
        ("X-Amz-Date", amz_date.to_string()),
    ];
    if let Some(token) = &credentials.session_token {
        headers.push(("X-Amz-Security-Token", token.clone()));
    }
    let request = Request {
        method: "POST",
        path: "/",
        headers: &headers,
        body: STS_BODY,
    };
    let scope = Scope {
        region: STS_REGION,
        service: "sts",
        amz_date,
    };
    let authorization = aws_signature::authorization(&request, &scope, credentials);
    register(&authorization);
    let mut header_lists = serde_json::Map::new();
    header_lists.insert("Authorization".to_string(), json!([authorization]));
    for (name, value) in headers {
        header_lists.insert(name.to_string(), json!([value]));
    }
    let document = json!({
        "sts_request_method": "POST",
        "sts_request_url": base64(STS_URL.as_bytes()),
        "sts_request_body": base64(STS_BODY.as_bytes()),
        "sts_request_headers": base64(serde_json::Value::Object(header_lists).to_string().as_bytes()),
    });
    base64(document.to_string().as_bytes())
}

/// The credentials of the first configured source, or why none could be had (naming each).
async fn credentials<H: Host>(agent: &Agent<'_, H>) -> Result<(AwsCredentials, String), String> {
    let env = |name: &str| {
        agent
            .host()
            .env(name)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
    };
    let mut tried = Vec::new();
    match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => {
            let credentials = AwsCredentials {
                access_key_id,
                secret_access_key,
                session_token: env("AWS_SESSION_TOKEN"),
            };
            register(agent, &credentials);
            return Ok((credentials, "the AWS credentials in the environment".into()));
        }
        (Some(_), None) => {
            tried.push("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into())
        }
        _ => tried.push("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set".into()),
    }
    let container_url = env("AWS_CONTAINER_CREDENTIALS_FULL_URI").or_else(|| {
        env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").map(|path| format!("{CONTAINER_HOST}{path}"))
    });
    if let Some(url) = container_url {
        let authorization = match env("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            Some(token) => Some(token),
            None => match env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
                Some(file) => Some(agent.host().read_file(&file).map_err(|code| {
                    format!("The AWS container authorization token file {file} could not be read ({code}).")
                })?),
                None => None,
            },
        };
        let authorization = authorization.map(|token| token.trim().to_string());
        if let Some(token) = &authorization {
            agent.register_secret(token);
        }
        let headers = authorization.map(|token| vec![("authorization".to_string(), token)]);
        let reply = fetch_json(agent, Service::AwsContainerCredentials, "GET", &url, headers.unwrap_or_default())
            .await
            .map_err(|error| format!("{error} The container credentials endpoint is configured (AWS_CONTAINER_CREDENTIALS_*), so no other source was tried."))?;
        let credentials = reply.into_credentials().ok_or_else(|| {
            "The AWS container credentials endpoint answered without AccessKeyId and SecretAccessKey.".to_string()
        })?;
        register(agent, &credentials);
        return Ok((credentials, "the AWS container credentials endpoint".into()));
    }
    tried.push("the container credentials endpoint is not configured (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)".into());
    match instance_credentials(agent).await {
        Ok(credentials) => {
            register(agent, &credentials);
            Ok((credentials, "the EC2 instance role".into()))
        }
        Err(error) => {
            tried.push(error);
            Err(format!(
                "No AWS credentials were found on this agent. Tried, in order: {}. An AWS IAM \
                 auth method needs an agent on EC2 with an instance role, in ECS or EKS with a \
                 task or pod role, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
                tried.join("; ")
            ))
        }
    }
}

fn register<H: Host>(agent: &Agent<'_, H>, credentials: &AwsCredentials) {
    agent.register_secret(&credentials.secret_access_key);
    if let Some(token) = &credentials.session_token {
        agent.register_secret(token);
    }
}

/// The instance role's credentials through IMDSv2; the error names the service's address.
async fn instance_credentials<H: Host>(agent: &Agent<'_, H>) -> Result<AwsCredentials, String> {
    let base = agent
        .host()
        .env(IMDS_OVERRIDE)
        .map(|host| host.trim().trim_end_matches('/').to_string())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| IMDS_HOST.to_string());
    let failed =
        |error: ApiError| format!("the EC2 instance metadata service at {base} failed: {error}");
    let token = fetch_text(
        agent,
        "PUT",
        &format!("{base}/latest/api/token"),
        vec![(
            "x-aws-ec2-metadata-token-ttl-seconds".to_string(),
            IMDS_TOKEN_TTL_SECONDS.to_string(),
        )],
    )
    .await
    .map_err(failed)?;
    let token = token.trim().to_string();
    agent.register_secret(&token);
    let with_token = || vec![("x-aws-ec2-metadata-token".to_string(), token.clone())];
    let roles_url = format!("{base}/latest/meta-data/iam/security-credentials/");
    let roles = fetch_text(agent, "GET", &roles_url, with_token())
        .await
        .map_err(failed)?;
    let role = roles.lines().map(str::trim).find(|line| !line.is_empty()).ok_or_else(|| {
        format!("the EC2 instance metadata service at {base} reports no instance role; attach an IAM role to the instance")
    })?;
    let reply = fetch_json(
        agent,
        Service::AwsInstanceMetadata,
        "GET",
        &format!("{roles_url}{role}"),
        with_token(),
    )
    .await
    .map_err(failed)?;
    reply.into_credentials().ok_or_else(|| {
        format!("the EC2 instance metadata service at {base} answered without AccessKeyId and SecretAccessKey")
    })
}

/// The credentials both endpoints answer with.
#[derive(Debug, Deserialize)]
struct CredentialsReply {
    #[serde(rename = "AccessKeyId")]
    access_key_id: Option<String>,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: Option<String>,
    #[serde(rename = "Token")]
    token: Option<String>,
}

impl CredentialsReply {
    fn into_credentials(self) -> Option<AwsCredentials> {
        let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        Some(AwsCredentials {
            access_key_id: non_empty(self.access_key_id)?,
            secret_access_key: non_empty(self.secret_access_key)?,
            session_token: non_empty(self.token),
        })
    }
}

fn metadata_request(method: &str, url: &str, headers: Vec<(String, String)>) -> HttpRequest {
    HttpRequest {
        method: method.to_string(),
        url: url.to_string(),
        headers,
        body: String::new(),
        connect_timeout_ms: CONNECT_TIMEOUT_MS,
        timeout_ms: METADATA_POLICY.response_timeout_ms,
        route: Route::default(),
    }
}

async fn fetch_text<H: Host>(
    agent: &Agent<'_, H>,
    method: &str,
    url: &str,
    headers: Vec<(String, String)>,
) -> Result<String, ApiError> {
    let request = metadata_request(method, url, headers);
    let response = client::exchange(
        agent,
        Service::AwsInstanceMetadata,
        request,
        METADATA_POLICY,
    )
    .await?;
    Ok(response.body)
}

async fn fetch_json<H: Host>(
    agent: &Agent<'_, H>,
    service: Service,
    method: &str,
    url: &str,
    headers: Vec<(String, String)>,
) -> Result<CredentialsReply, ApiError> {
    let request = metadata_request(method, url, headers);
    let response = client::exchange(agent, service, request, METADATA_POLICY).await?;
    let reply: CredentialsReply =
        client::decode(service, url.to_string(), response.status, &response.body)?;
    // Registered before anything else can print them.
    for secret in [&reply.secret_access_key, &reply.token]
        .into_iter()
        .flatten()
    {
        agent.register_secret(secret);
    }
    Ok(reply)
}
