//! Logging in to Akeyless: choosing the auth method, getting its credential from the inputs,
//! the service connection or the agent's machine, and exchanging it for a token. Used by
//! `akeyless-auth`, and by the get tasks when their `token` is empty (they declare none of
//! the credential inputs, so for them only the connection and the machine count).
//!
//! The method: an explicit `access-key` or `jwt` input decides it; else the `accessType`
//! input; else (`auto`) the Access ID's kind letter. Each method then needs:
//! - API key: `access-key`, or the Access Key stored in the connection;
//! - JWT: `jwt`, or the pipeline's own OIDC token for the connection;
//! - Azure AD: the machine's managed identity (`azureClientId` picks a user-assigned one);
//! - AWS IAM: the machine's AWS credentials, signing an STS request (see `identity::aws`);
//! - GCP: the machine's service account's ID token for `gcpAudience` (default `akeyless.io`);
//! - Kubernetes: `k8sAuthConfigName`, the service-account token file, the gateway URL;
//! - Universal Identity: `uidToken`;
//! - certificate: `certificate` and `privateKey` (PEM text, or the path of a PEM file).

use crate::agent::multiline::base64;
use crate::agent::{Agent, Endpoint, InputError};
use crate::akeyless::access_type::{AccessType, MethodChoice, CHOICES};
use crate::akeyless::auth::{AuthRequest, Credential};
use crate::akeyless::{ApiError, Client};
use crate::host::Host;
use crate::identity::{aws, azure_metadata, gcp_metadata, pipeline_oidc};
use crate::tasks::{self, optional_text_input, TaskError, CONNECTION_INPUT};

/// The input's schema-valid name; pipelines write its alias `access-key`.
pub const ACCESS_KEY_INPUT: &str = "accessKey";
pub const ACCESS_KEY_ALIAS: &str = "access-key";
pub const JWT_INPUT: &str = "jwt";
const ACCESS_TYPE_INPUT: &str = "accessType";
const AZURE_CLIENT_ID_INPUT: &str = "azureClientId";
const GCP_AUDIENCE_INPUT: &str = "gcpAudience";
/// The audience Akeyless's GCP auth methods expect unless configured otherwise.
const DEFAULT_GCP_AUDIENCE: &str = "akeyless.io";
const K8S_CONFIG_INPUT: &str = "k8sAuthConfigName";
const K8S_TOKEN_PATH_INPUT: &str = "k8sServiceAccountTokenPath";
const GATEWAY_URL_INPUT: &str = "gatewayUrl";
pub const UID_TOKEN_INPUT: &str = "uidToken";
const CERTIFICATE_INPUT: &str = "certificate";
pub const PRIVATE_KEY_INPUT: &str = "privateKey";

/// Where a pod's service-account token is mounted.
const DEFAULT_K8S_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// A successful login.
pub struct Login {
    pub token: String,
    pub access_id: String,
    /// When the token expires by itself, as Akeyless wrote it.
    pub expiration: Option<String>,
}

/// Logs in with the method and credential the inputs, `endpoint` and the machine give.
pub async fn log_in<H: Host>(
    agent: &Agent<'_, H>,
    endpoint: &Endpoint,
    client: &Client<'_, H>,
) -> Result<Login, TaskError> {
    // The agent hands over the canonical name; the hyphenated one is read too in case a
    // pipeline's alias reaches the agent unresolved.
    // The inputs were registered when the task started (`tasks::run`).
    let access_key = credential_input(agent, &[ACCESS_KEY_INPUT, ACCESS_KEY_ALIAS]);
    let jwt = credential_input(agent, &[JWT_INPUT]);
    if let Some(stored_key) = &endpoint.access_key {
        agent.register_secret(stored_key);
    }
    let access_id = endpoint.access_id.clone().ok_or_else(|| {
        TaskError::Message(format!(
            "The service connection in '{CONNECTION_INPUT}' has no Access ID. Edit the \
             connection and enter the Access ID (p-...) of the Akeyless auth method."
        ))
    })?;
    let method = choose_method(agent, access_key.is_some(), jwt.is_some(), &access_id)?;
    let (credential, source) =
        credential_for(agent, endpoint, &access_id, method, access_key, jwt).await?;
    let request = AuthRequest::new(&access_id, credential);

    agent.info(&format!(
        "Authenticating to Akeyless as {access_id} ({}) with {source}.",
        request.access_type()
    ));
    let reply = client
        .call(&request)
        .await
        .map_err(|error| explain_refused_login(error, &access_id, &source))?;
    let expiration = reply.expiration_text();
    let token = reply
        .token
        .map(|token| token.trim().to_string())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            TaskError::Message(
                "Akeyless accepted the login, but its reply holds no token.".to_string(),
            )
        })?;
    agent.register_secret(&token);
    if tasks::is_unusable_token(&token) {
        return Err(TaskError::Message(
            "Akeyless accepted the login, but the token in its reply contains a line break, a \
             space or a control character, so no pipeline variable could carry it. No variable \
             was set."
                .to_string(),
        ));
    }
    agent.summarize(
        "Authenticated",
        format!("as {access_id} ({}) with {source}", request.access_type()),
    );
    if let Some(expiration) = &expiration {
        agent.summarize("Token expires", expiration);
    }
    Ok(Login {
        token,
        access_id,
        expiration,
    })
}

/// The first of `names` that is set, trimmed: credentials never hold outer whitespace.
fn credential_input<H: Host>(agent: &Agent<'_, H>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| agent.input(name))
        .map(|value| value.trim().to_string())
}

fn choose_method<H: Host>(
    agent: &Agent<'_, H>,
    has_access_key: bool,
    has_jwt: bool,
    access_id: &str,
) -> Result<AccessType, TaskError> {
    match (has_access_key, has_jwt) {
        (true, true) => Err(TaskError::Message(
            "Both 'access-key' and 'jwt' are set. Set only one: 'access-key' for an API key \
             auth method, 'jwt' for a JWT/OAuth2 auth method."
                .to_string(),
        )),
        (true, false) => Ok(AccessType::AccessKey),
        (false, true) => Ok(AccessType::Jwt),
        (false, false) => {
            let choice = agent.input(ACCESS_TYPE_INPUT).unwrap_or_default();
            match AccessType::from_choice(&choice) {
                Some(MethodChoice::Explicit(kind)) => Ok(kind),
                Some(MethodChoice::Auto) => {
                    AccessType::from_access_id(access_id).map_err(|error| {
                        TaskError::Message(format!(
                        "{error}. Set the input '{ACCESS_TYPE_INPUT}' to the auth method's kind \
                         ({CHOICES}), or set 'access-key' or 'jwt'."
                    ))
                    })
                }
                None => Err(InputError::Invalid {
                    input: ACCESS_TYPE_INPUT.to_string(),
                    problem: format!("it is '{}'; use {CHOICES}.", choice.trim()),
                }
                .into()),
            }
        }
    }
}

/// The credential for `method`, and where it came from (for the log).
async fn credential_for<H: Host>(
    agent: &Agent<'_, H>,
    endpoint: &Endpoint,
    access_id: &str,
    method: AccessType,
    access_key: Option<String>,
    jwt: Option<String>,
) -> Result<(Credential, String), TaskError> {
    let needs = |what: &str| {
        TaskError::Message(format!(
            "{access_id} is {} auth method: {what}.",
            with_article(method)
        ))
    };
    match method {
        AccessType::AccessKey => {
            if let Some(key) = access_key {
                return Ok((
                    Credential::AccessKey(key),
                    "the access key from the 'access-key' input".into(),
                ));
            }
            let stored = endpoint.access_key.as_deref().map(str::trim);
            match stored {
                Some(key) => Ok((
                    Credential::AccessKey(key.to_string()),
                    "the Access Key stored in the service connection".into(),
                )),
                None => Err(needs(
                    "set the input 'access-key' (best from a secret variable) or store the \
                     Access Key in the service connection; for a JWT auth method, set 'jwt'",
                )),
            }
        }
        AccessType::Jwt => {
            if let Some(jwt) = jwt {
                return Ok((Credential::Jwt(jwt), "the JWT from the 'jwt' input".into()));
            }
            match pipeline_oidc::token(agent, endpoint).await? {
                Some((token, source)) => {
                    agent.register_secret(&token);
                    let from = match source {
                        pipeline_oidc::Source::Connection => "supplied with the service connection",
                        pipeline_oidc::Source::Endpoint => "issued by Azure DevOps",
                    };
                    Ok((
                        Credential::Jwt(token),
                        format!("the pipeline's OIDC token for this service connection, {from}"),
                    ))
                }
                None => Err(needs(
                    "set the input 'jwt', or run on an agent that issues the pipeline's OIDC \
                     token (System.OidcRequestUri)",
                )),
            }
        }
        AccessType::AzureAd => {
            let client_id = optional_text_input(agent, AZURE_CLIENT_ID_INPUT);
            let token = azure_metadata::token(agent, client_id.as_deref())
                .await
                .map_err(|error| {
                    TaskError::Message(format!(
                        "{error} Azure AD auth needs an agent on an Azure VM or scale set with a \
                         managed identity ('{AZURE_CLIENT_ID_INPUT}' picks a user-assigned one)."
                    ))
                })?;
            agent.register_secret(&token);
            let cloud_id = base64(token.as_bytes());
            agent.register_secret(&cloud_id);
            Ok((
                Credential::AzureAd { cloud_id },
                "the Azure managed identity of this machine".into(),
            ))
        }
        AccessType::Kubernetes => {
            let config_name = optional_text_input(agent, K8S_CONFIG_INPUT).ok_or_else(|| {
                needs(&format!(
                    "set the input '{K8S_CONFIG_INPUT}' to the gateway's Kubernetes auth config"
                ))
            })?;
            let path = optional_text_input(agent, K8S_TOKEN_PATH_INPUT)
                .unwrap_or_else(|| DEFAULT_K8S_TOKEN_PATH.to_string());
            let token = read_text(agent, &path, K8S_TOKEN_PATH_INPUT, "service-account token")?;
            let token = token.trim();
            agent.register_secret(token);
            let gateway_url = optional_text_input(agent, GATEWAY_URL_INPUT)
                .unwrap_or_else(|| gateway_root(&endpoint.url));
            Ok((
                Credential::Kubernetes {
                    config_name,
                    service_account_token: base64(token.as_bytes()),
                    gateway_url,
                },
                format!("the Kubernetes service-account token in {path}"),
            ))
        }
        AccessType::UniversalIdentity => {
            let token = credential_input(agent, &[UID_TOKEN_INPUT]).ok_or_else(|| {
                needs(&format!(
                    "set the input '{UID_TOKEN_INPUT}' (best from a secret variable)"
                ))
            })?;
            agent.register_secret(&token);
            Ok((
                Credential::UniversalIdentity(token),
                format!("the token from the '{UID_TOKEN_INPUT}' input"),
            ))
        }
        AccessType::Certificate => {
            let (Some(certificate), Some(private_key)) = (
                agent.input(CERTIFICATE_INPUT),
                agent.input(PRIVATE_KEY_INPUT),
            ) else {
                return Err(needs(&format!(
                    "set the inputs '{CERTIFICATE_INPUT}' and '{PRIVATE_KEY_INPUT}' (PEM text, or \
                     the path of a PEM file such as a downloaded secure file)"
                )));
            };
            let private_key = pem_or_file(agent, &private_key, PRIVATE_KEY_INPUT, Quote::Never)?;
            agent.register_secret(&private_key);
            let certificate = pem_or_file(agent, &certificate, CERTIFICATE_INPUT, Quote::FilePath)?;
            let key_data = base64(private_key.as_bytes());
            agent.register_secret(&key_data);
            Ok((
                Credential::Certificate {
                    cert_data: base64(certificate.as_bytes()),
                    key_data,
                },
                "the client certificate from the 'certificate' and 'privateKey' inputs".into(),
            ))
        }
        AccessType::AwsIam => {
            let (cloud_id, source) = aws::cloud_id(agent).await.map_err(TaskError::Message)?;
            Ok((
                Credential::AwsIam { cloud_id },
                format!("{source}, signing an STS GetCallerIdentity request"),
            ))
        }
        AccessType::Gcp => {
            let audience = optional_text_input(agent, GCP_AUDIENCE_INPUT)
                .unwrap_or_else(|| DEFAULT_GCP_AUDIENCE.to_string());
            let token = gcp_metadata::id_token(agent, &audience)
                .await
                .map_err(|error| {
                    TaskError::Message(format!(
                        "{error} GCP auth needs an agent on Google Cloud (Compute Engine, GKE) \
                         whose service account the auth method binds."
                    ))
                })?;
            let cloud_id = base64(token.as_bytes());
            agent.register_secret(&cloud_id);
            Ok((
                Credential::Gcp { cloud_id, audience },
                "the ID token of this machine's Google Cloud service account".into(),
            ))
        }
    }
}

/// "an API key", "a JWT"...
fn with_article(method: AccessType) -> String {
    let name = method.to_string();
    let article = match method {
        AccessType::AccessKey | AccessType::AzureAd | AccessType::AwsIam => "an",
        _ => "a",
    };
    format!("{article} {name}")
}

/// Whether an error may quote the path an input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// The input is not a secret, so its path helps the author.
    FilePath,
    /// The input may be a key pasted without its PEM lines: never quote it.
    Never,
}

/// A PEM given inline, or read from the file whose path the input holds.
fn pem_or_file<H: Host>(
    agent: &Agent<'_, H>,
    value: &str,
    input: &str,
    quote: Quote,
) -> Result<String, TaskError> {
    if value.contains("-----BEGIN") {
        return Ok(value.to_string());
    }
    match quote {
        Quote::FilePath => read_text(agent, value.trim(), input, "PEM file"),
        Quote::Never => agent.host().read_file(value.trim()).map_err(|code| {
            InputError::Invalid {
                input: input.to_string(),
                problem: format!(
                    "it is neither PEM text (no '-----BEGIN' line) nor the path of a file that \
                     can be read ({code}). Pass the key's PEM text from a secret variable, or \
                     the path of a downloaded secure file."
                ),
            }
            .into()
        }),
    }
}

fn read_text<H: Host>(
    agent: &Agent<'_, H>,
    path: &str,
    input: &str,
    what: &str,
) -> Result<String, TaskError> {
    agent.host().read_file(path).map_err(|code| {
        InputError::Invalid {
            input: input.to_string(),
            problem: format!("the {what} {path} could not be read ({code})."),
        }
        .into()
    })
}

/// The gateway's root URL from the connection URL (Kubernetes auth wants it without the
/// `/api/v2` API path).
fn gateway_root(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    url.strip_suffix("/api/v2").unwrap_or(url).to_string()
}

/// Adds what to check when Akeyless refuses the credential itself.
fn explain_refused_login(error: ApiError, access_id: &str, source: &str) -> TaskError {
    match error {
        ApiError::Status {
            status: 401 | 403, ..
        } => TaskError::Message(format!(
            "{error} Check that {access_id} is the Access ID of the auth method and that \
             {source} belongs to it."
        )),
        other => TaskError::Api(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_root_drops_the_api_path() {
        assert_eq!(gateway_root("https://gw:8000/api/v2/"), "https://gw:8000");
        assert_eq!(gateway_root("https://gw:8080"), "https://gw:8080");
    }

    #[test]
    fn methods_read_with_their_article() {
        assert_eq!(with_article(AccessType::AccessKey), "an API key");
        assert_eq!(with_article(AccessType::Jwt), "a JWT");
        assert_eq!(with_article(AccessType::AzureAd), "an Azure AD");
    }

    use crate::host::fake::{with_connection, FakeHost};
    use crate::tasks;

    /// Runs akeyless-auth with a connection whose Access ID is `access_id`.
    fn auth_with(access_id: &str, extra: &[(&str, &str)], answer: Option<&str>) -> FakeHost {
        let mut env = vec![(
            "ENDPOINT_DATA_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_ACCESSID",
            access_id,
        )];
        env.extend_from_slice(extra);
        let host = with_connection("https://gw:8000/api/v2", &env);
        if let Some(body) = answer {
            host.answer(200, body);
        }
        host
    }

    fn error_of(lines: &[String]) -> String {
        lines
            .iter()
            .find_map(|l| l.strip_prefix("##vso[task.logissue type=error;]"))
            .expect("an error issue")
            .to_string()
    }

    fn sent(host: &FakeHost) -> serde_json::Value {
        sent_at(host, 0)
    }

    fn sent_at(host: &FakeHost, index: usize) -> serde_json::Value {
        serde_json::from_str(&host.requests()[index].body).unwrap()
    }

    #[test]
    fn an_unknown_kind_letter_fails_naming_access_type() {
        let host = auth_with("p-abcdefghij12x3", &[], None);
        let error = error_of(&tasks::lines_of_run(tasks::auth::TASK_NAME, &host));
        assert!(error.contains("kind letter 'x'"), "{error}");
        assert!(error.contains("Set the input 'accessType'"), "{error}");
    }

    /// The JSON inside a base64 `cloud-id` of an AWS login, with its headers decoded.
    fn aws_cloud_id(body: &serde_json::Value) -> (serde_json::Value, serde_json::Value) {
        let decode = |text: &str| {
            let bytes = base64_decode(text);
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        };
        let document = decode(body["cloud-id"].as_str().unwrap());
        let headers = decode(document["sts_request_headers"].as_str().unwrap());
        (document, headers)
    }

    fn base64_decode(text: &str) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bits = 0u32;
        let mut count = 0;
        let mut out = Vec::new();
        for byte in text.bytes().filter(|b| *b != b'=') {
            bits = (bits << 6) | ALPHABET.iter().position(|a| *a == byte).unwrap() as u32;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
            }
        }
        out
    }

    #[test]
    fn aws_credentials_from_the_environment_sign_an_sts_request_sent_as_cloud_id() {
        let host = auth_with(
            "p-abcdefghijw1",
            &[
                ("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE01"),
                ("AWS_SECRET_ACCESS_KEY", "env-secret-access-key-0123"),
                ("AWS_SESSION_TOKEN", "env-session-token-4567"),
            ],
            Some(r#"{"token":"t-1"}"#),
        );
        let lines = tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
        let body = sent(&host);
        assert_eq!(body["access-type"], "aws_iam");
        let (document, headers) = aws_cloud_id(&body);
        assert_eq!(document["sts_request_method"], "POST");
        assert_eq!(
            base64_decode(document["sts_request_url"].as_str().unwrap()),
            b"https://sts.amazonaws.com/"
        );
        assert_eq!(
            base64_decode(document["sts_request_body"].as_str().unwrap()),
            b"Action=GetCallerIdentity&Version=2011-06-15"
        );
        assert_eq!(headers["Host"], serde_json::json!(["sts.amazonaws.com"]));
        assert_eq!(
            headers["X-Amz-Date"],
            serde_json::json!(["20261126T000000Z"])
        );
        assert_eq!(headers["Content-Length"], serde_json::json!(["43"]));
        assert_eq!(
            headers["Content-Type"],
            serde_json::json!(["application/x-www-form-urlencoded; charset=utf-8"])
        );
        assert_eq!(
            headers["X-Amz-Security-Token"],
            serde_json::json!(["env-session-token-4567"])
        );
        let authorization = headers["Authorization"][0].as_str().unwrap();
        assert!(authorization.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIAENVEXAMPLE01/20261126/us-east-1/sts/aws4_request, \
             SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token, \
             Signature="
        ));
        for secret in [
            "env-secret-access-key-0123",
            "env-session-token-4567",
            authorization,
        ] {
            let registered = format!("##vso[task.setsecret]{secret}");
            assert!(lines.contains(&registered), "{secret}");
        }
        assert!(host.requests().len() == 1, "no metadata service was asked");
    }

    #[test]
    fn aws_credentials_come_from_the_container_endpoint_with_its_authorization() {
        let host = auth_with(
            "p-abcdefghijw1",
            &[
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://169.254.170.23/v1/credentials",
                ),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-identity-token-77"),
            ],
            None,
        );
        host.answer(
            200,
            r#"{"AccessKeyId":"ASIACONTAINER01","SecretAccessKey":"container-secret-9","Token":"container-session-8","Expiration":"2030-01-01T00:00:00Z"}"#,
        );
        host.answer(200, r#"{"token":"t-1"}"#);
        let lines = tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
        let request = &host.requests()[0];
        assert_eq!(request.method, "GET");
        assert_eq!(request.url, "http://169.254.170.23/v1/credentials");
        assert!(request.headers.contains(&(
            "authorization".to_string(),
            "pod-identity-token-77".to_string()
        )));
        assert!(request.route.proxy.is_none());
        let auth = serde_json::from_str::<serde_json::Value>(&host.requests()[1].body).unwrap();
        let (_, headers) = aws_cloud_id(&auth);
        assert!(headers["Authorization"][0]
            .as_str()
            .unwrap()
            .contains("Credential=ASIACONTAINER01/"));
        assert!(lines.contains(&"##vso[task.setsecret]container-secret-9".to_string()));
        assert!(lines.contains(&"##vso[task.setsecret]pod-identity-token-77".to_string()));
    }

    #[test]
    fn aws_credentials_come_from_imdsv2_with_a_session_token() {
        let host = auth_with(
            "p-abcdefghijw1",
            &[(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                "http://127.0.0.1:9911/",
            )],
            None,
        );
        host.answer(200, "imds-session-token-55");
        host.answer(200, "agent-role\n");
        host.answer(
            200,
            r#"{"Code":"Success","AccessKeyId":"ASIAINSTANCE01","SecretAccessKey":"instance-secret-3","Token":"instance-session-2"}"#,
        );
        host.answer(200, r#"{"token":"t-1"}"#);
        tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
        let requests = host.requests();
        assert_eq!(requests[0].method, "PUT");
        assert_eq!(requests[0].url, "http://127.0.0.1:9911/latest/api/token");
        assert!(requests[0]
            .headers
            .iter()
            .any(|(name, _)| name == "x-aws-ec2-metadata-token-ttl-seconds"));
        assert_eq!(
            requests[1].url,
            "http://127.0.0.1:9911/latest/meta-data/iam/security-credentials/"
        );
        assert_eq!(
            requests[2].url,
            "http://127.0.0.1:9911/latest/meta-data/iam/security-credentials/agent-role"
        );
        assert!(requests[2].headers.contains(&(
            "x-aws-ec2-metadata-token".to_string(),
            "imds-session-token-55".to_string()
        )));
        assert!(requests[0].timeout_ms <= 2_000);
        assert_eq!(sent_at(&host, 3)["access-type"], "aws_iam");
    }

    #[test]
    fn without_aws_credentials_the_error_names_every_source_tried() {
        let host = auth_with("p-abcdefghijw1", &[("AWS_ACCESS_KEY_ID", "AKIAONLY")], None);
        for _ in 0..4 {
            host.fail_transport("ECONNREFUSED", "connect ECONNREFUSED");
        }
        let error = error_of(&tasks::lines_of_run(tasks::auth::TASK_NAME, &host));
        assert!(error.starts_with("No AWS credentials were found on this agent. Tried, in order: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; the container credentials endpoint is not configured (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI); the EC2 instance metadata service at http://169.254.169.254 failed: Could not reach the EC2 instance metadata service at http://169.254.169.254/latest/api/token: the connection was refused"), "{error}");
        assert!(host.now_ms() <= 4_000.0);
    }

    #[test]
    fn gcp_sends_the_metadata_servers_id_token_with_its_audience() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJha2V5bGVzcy5pbyJ9.c2lnbmF0dXJl";
        for (extra, audience) in [
            (vec![("GCE_METADATA_HOST", "127.0.0.1:9912")], "akeyless.io"),
            (
                vec![
                    ("GCE_METADATA_HOST", "127.0.0.1:9912"),
                    ("INPUT_GCPAUDIENCE", "my-audience"),
                ],
                "my-audience",
            ),
        ] {
            let host = auth_with("p-abcdefghijg1", &extra, None);
            host.answer(200, token);
            host.answer(200, r#"{"token":"t-1"}"#);
            let lines = tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
            let request = &host.requests()[0];
            assert_eq!(
                request.url,
                format!("http://127.0.0.1:9912/computeMetadata/v1/instance/service-accounts/default/identity?audience={audience}&format=full")
            );
            assert!(request
                .headers
                .contains(&("metadata-flavor".to_string(), "Google".to_string())));
            let body = sent_at(&host, 1);
            assert_eq!(body["access-type"], "gcp");
            assert_eq!(body["cloud-id"], base64(token.as_bytes()));
            assert_eq!(body["gcp-audience"], audience);
            assert!(lines.contains(&format!("##vso[task.setsecret]{token}")));
        }
    }

    #[test]
    fn an_explicit_access_type_overrides_the_letter() {
        let host = auth_with(
            "p-abcdefghij12a3",
            &[
                ("INPUT_ACCESSTYPE", "universal_identity"),
                ("INPUT_UIDTOKEN", "u-uid-token-1"),
            ],
            Some(r#"{"token":"t-1"}"#),
        );
        tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
        assert_eq!(
            sent(&host),
            serde_json::json!({"access-type":"universal_identity","access-id":"p-abcdefghij12a3","uid-token":"u-uid-token-1"})
        );
    }

    #[test]
    fn an_unknown_access_type_choice_fails_naming_the_input() {
        let host = auth_with("p-abcdefghij12a3", &[("INPUT_ACCESSTYPE", "ldap")], None);
        let error = error_of(&tasks::lines_of_run(tasks::auth::TASK_NAME, &host));
        assert!(
            error.starts_with("The input 'accessType' is not valid: it is 'ldap'"),
            "{error}"
        );
    }

    #[test]
    fn kubernetes_reads_the_token_file_and_derives_the_gateway_root() {
        let host = auth_with(
            "p-abcdefghij12k3",
            &[
                ("INPUT_K8SAUTHCONFIGNAME", "k8s-conf"),
                ("INPUT_K8SSERVICEACCOUNTTOKENPATH", "/tmp/sa-token"),
            ],
            Some(r#"{"token":"t-1"}"#),
        );
        host.add_file("/tmp/sa-token", "sa-token-value\n");
        let lines = tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
        assert!(lines.contains(&"##vso[task.setsecret]sa-token-value".to_string()));
        assert_eq!(
            sent(&host),
            serde_json::json!({
                "access-type":"k8s","access-id":"p-abcdefghij12k3","k8s-auth-config-name":"k8s-conf",
                "k8s-service-account-token": base64(b"sa-token-value"),"gateway-url":"https://gw:8000"
            })
        );
    }

    #[test]
    fn kubernetes_without_a_config_name_or_a_token_file_fails_naming_the_input() {
        let error = error_of(&tasks::lines_of_run(
            tasks::auth::TASK_NAME,
            &auth_with("p-abcdefghij12k3", &[], None),
        ));
        assert!(
            error.contains("set the input 'k8sAuthConfigName'"),
            "{error}"
        );
        let host = auth_with(
            "p-abcdefghij12k3",
            &[("INPUT_K8SAUTHCONFIGNAME", "c")],
            None,
        );
        let error = error_of(&tasks::lines_of_run(tasks::auth::TASK_NAME, &host));
        assert!(error.starts_with("The input 'k8sServiceAccountTokenPath' is not valid: the service-account token /var/run/secrets/kubernetes.io/serviceaccount/token could not be read (ENOENT)."), "{error}");
    }

    #[test]
    fn a_certificate_is_read_inline_or_from_a_file_and_the_key_registered() {
        let host = auth_with(
            "p-abcdefghij12a3",
            &[
                ("INPUT_ACCESSTYPE", "cert"),
                (
                    "INPUT_CERTIFICATE",
                    "-----BEGIN CERTIFICATE-----\nMIIcert\n-----END CERTIFICATE-----",
                ),
                ("INPUT_PRIVATEKEY", "/secure/key.pem"),
            ],
            Some(r#"{"token":"t-1"}"#),
        );
        host.add_file(
            "/secure/key.pem",
            "-----BEGIN PRIVATE KEY-----\nMIIkeyline\n-----END PRIVATE KEY-----\n",
        );
        let lines = tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
        assert!(lines.contains(&"##vso[task.setsecret]MIIkeyline".to_string()));
        let body = sent(&host);
        assert_eq!(body["access-type"], "cert");
        assert_eq!(
            body["key-data"],
            base64(b"-----BEGIN PRIVATE KEY-----\nMIIkeyline\n-----END PRIVATE KEY-----\n")
        );
        assert_eq!(
            body["cert-data"],
            base64(b"-----BEGIN CERTIFICATE-----\nMIIcert\n-----END CERTIFICATE-----")
        );
    }

    #[test]
    fn a_token_with_a_line_break_or_a_control_character_fails_and_is_never_set() {
        for token in [
            "t-first\nt-second",
            "t-first\rt-second",
            "t-with space",
            "t-tab\tbed",
            "t-\u{1b}[0m",
        ] {
            let reply = serde_json::json!({ "token": token }).to_string();
            let host = auth_with(
                "p-abcdefghij12a3",
                &[("INPUT_ACCESSKEY", "key-123")],
                Some(&reply),
            );
            let lines = tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
            let error = error_of(&lines);
            assert!(
                error.contains("the token in its reply contains a line break"),
                "{token:?}: {error}"
            );
            assert!(!lines.iter().any(|l| l.contains("task.setvariable")));
            assert!(lines
                .iter()
                .filter(|l| !l.starts_with("##vso[task.setsecret]"))
                .all(|l| !l.contains("t-first") && !l.contains("t-tab")));
        }
    }

    #[test]
    fn a_private_key_that_is_neither_pem_nor_a_file_is_never_quoted() {
        let host = auth_with(
            "p-abcdefghij12a3",
            &[
                ("INPUT_ACCESSTYPE", "cert"),
                ("INPUT_CERTIFICATE", "/secure/cert.pem"),
                (
                    "INPUT_PRIVATEKEY",
                    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-pasted-key",
                ),
            ],
            None,
        );
        host.add_file("/secure/cert.pem", "-----BEGIN CERTIFICATE-----\nx\n");
        let lines = tasks::lines_of_run(tasks::auth::TASK_NAME, &host);
        assert_eq!(
            lines[0],
            "##vso[task.setsecret]MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-pasted-key"
        );
        let error = error_of(&lines);
        assert!(
            error.starts_with(
                "The input 'privateKey' is not valid: it is neither PEM text (no '-----BEGIN' \
                 line) nor the path of a file that can be read (ENOENT)."
            ),
            "{error}"
        );
        assert!(!error.contains("MIIE"), "{error}");
    }

    #[test]
    fn a_jwt_method_without_jwt_or_oidc_endpoint_fails_naming_both_ways() {
        let error = error_of(&tasks::lines_of_run(
            tasks::auth::TASK_NAME,
            &auth_with("p-abcdefghijo1", &[], None),
        ));
        assert!(error.contains("p-abcdefghijo1 is a JWT auth method: set the input 'jwt', or run on an agent that issues the pipeline's OIDC token"), "{error}");
    }
}
