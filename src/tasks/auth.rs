//! Task `akeyless-auth`: logs in to Akeyless and sets the secret output `akeylessToken`.
//!
//! The Access ID comes from the service connection. The credential is, in this order of
//! preference: the `jwt` input, the `access-key` input (YAML alias of `accessKey`), the
//! connection's stored Access Key. Both inputs at once are refused rather than guessed.

use crate::agent::{Agent, VariableKind};
use crate::akeyless::auth::{AuthRequest, Credential};
use crate::akeyless::ApiError;
use crate::host::Host;
use crate::tasks;
use crate::tasks::{TaskError, CONNECTION_INPUT};

pub const TASK_NAME: &str = "akeyless-auth";
/// The input's schema-valid name; pipelines write its alias `access-key`.
const ACCESS_KEY_INPUT: &str = "accessKey";
const ACCESS_KEY_ALIAS: &str = "access-key";
const JWT_INPUT: &str = "jwt";
pub const TOKEN_OUTPUT: &str = "akeylessToken";

/// Where the credential came from, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CredentialSource {
    AccessKeyInput,
    JwtInput,
    Connection,
}

impl CredentialSource {
    fn describe(self) -> &'static str {
        match self {
            CredentialSource::AccessKeyInput => "the access key from the 'access-key' input",
            CredentialSource::JwtInput => "the JWT from the 'jwt' input",
            CredentialSource::Connection => "the Access Key stored in the service connection",
        }
    }
}

pub async fn run<H: Host>(agent: &Agent<'_, H>) -> Result<String, TaskError> {
    let endpoint = agent.endpoint(CONNECTION_INPUT)?;
    // The agent hands over the canonical name; the hyphenated one is read too in case a
    // pipeline's alias reaches the agent unresolved.
    let access_key = credential_input(agent, &[ACCESS_KEY_INPUT, ACCESS_KEY_ALIAS]);
    let jwt = credential_input(agent, &[JWT_INPUT]);
    let stored_key = endpoint.access_key.as_deref().map(str::trim);
    for secret in [access_key.as_deref(), jwt.as_deref(), stored_key]
        .into_iter()
        .flatten()
    {
        agent.register_secret(secret);
    }

    let access_id = endpoint.access_id.ok_or_else(|| {
        TaskError::Message(format!(
            "The service connection in '{CONNECTION_INPUT}' has no Access ID. Edit the \
             connection and enter the Access ID (p-...) of the Akeyless auth method."
        ))
    })?;
    let (credential, source) = choose_credential(access_key, jwt, stored_key)?;
    let client = tasks::client(agent, &endpoint.url)?;
    let request = AuthRequest::new(&access_id, credential);

    agent.info(&format!(
        "Authenticating to Akeyless as {access_id} ({}) with {}.",
        request.access_type(),
        source.describe()
    ));
    let reply = client
        .call(&request)
        .await
        .map_err(|error| explain_refused_login(error, &access_id, source))?;
    let token = reply
        .token
        .map(|token| token.trim().to_string())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            TaskError::Message(
                "Akeyless accepted the login, but its reply holds no token.".to_string(),
            )
        })?;
    agent.set_variable(TOKEN_OUTPUT, &token, VariableKind::SECRET_OUTPUT);
    Ok(format!(
        "Authenticated to Akeyless as {access_id}; the token is in the secret output \
         variable {TOKEN_OUTPUT}."
    ))
}

/// The first of `names` that is set, trimmed: credentials never hold outer whitespace.
fn credential_input<H: Host>(agent: &Agent<'_, H>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| agent.input(name))
        .map(|value| value.trim().to_string())
}

fn choose_credential(
    access_key: Option<String>,
    jwt: Option<String>,
    stored_key: Option<&str>,
) -> Result<(Credential, CredentialSource), TaskError> {
    match (access_key, jwt) {
        (Some(_), Some(_)) => Err(TaskError::Message(
            "Both 'access-key' and 'jwt' are set. Set only one: 'access-key' for an API key \
             auth method, 'jwt' for a JWT/OAuth2 auth method."
                .to_string(),
        )),
        (None, Some(jwt)) => Ok((Credential::Jwt(jwt), CredentialSource::JwtInput)),
        (Some(key), None) => Ok((Credential::AccessKey(key), CredentialSource::AccessKeyInput)),
        (None, None) => match stored_key {
            Some(key) => Ok((
                Credential::AccessKey(key.to_string()),
                CredentialSource::Connection,
            )),
            None => Err(TaskError::Message(
                "No credential to log in to Akeyless. Set the input 'access-key' (an API key, \
                 best from a secret variable) or 'jwt' (a JWT), or store an Access Key in the \
                 service connection."
                    .to_string(),
            )),
        },
    }
}

/// Adds what to check when Akeyless refuses the credential itself.
fn explain_refused_login(error: ApiError, access_id: &str, source: CredentialSource) -> TaskError {
    match error {
        ApiError::Status {
            status: 401 | 403, ..
        } => TaskError::Message(format!(
            "{error} Check that {access_id} is the Access ID of the auth method and that {} \
             belongs to it.",
            source.describe()
        )),
        other => TaskError::Api(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{block_on, FakeHost};
    use crate::tasks;

    const ID: &str = "0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

    fn host_with(extra: &[(&str, &str)]) -> FakeHost {
        let mut env = vec![
            ("INPUT_CONNECTEDSERVICENAME", ID),
            (
                "ENDPOINT_URL_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
                "https://api.akeyless.io/",
            ),
            (
                "ENDPOINT_DATA_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_ACCESSID",
                "p-abcdefghij12a3",
            ),
        ];
        env.extend_from_slice(extra);
        FakeHost::new(&env)
    }

    fn run_auth(host: &FakeHost) -> Vec<String> {
        block_on(tasks::run(TASK_NAME, host));
        host.lines()
    }

    fn sent_body(host: &FakeHost) -> serde_json::Value {
        serde_json::from_str(&host.requests()[0].body).unwrap()
    }

    #[test]
    fn the_access_key_input_logs_in_and_sets_the_secret_output() {
        let host = host_with(&[("INPUT_ACCESSKEY", "key-123==\n")]);
        host.answer(200, r#"{"token":"t-42","expiration":"x"}"#);
        let lines = run_auth(&host);
        assert_eq!(host.requests()[0].url, "https://api.akeyless.io/auth");
        assert_eq!(
            sent_body(&host),
            serde_json::json!({"access-type":"access_key","access-id":"p-abcdefghij12a3","access-key":"key-123=="})
        );
        assert_eq!(lines[0], "##vso[task.setsecret]key-123==");
        assert!(lines.contains(
            &"##vso[task.setvariable variable=akeylessToken;issecret=true;isoutput=true;]t-42"
                .to_string()
        ));
        assert!(lines
            .last()
            .unwrap()
            .starts_with("##vso[task.complete result=Succeeded;]"));
    }

    #[test]
    fn the_hyphenated_input_name_is_read_too() {
        let host = host_with(&[("INPUT_ACCESS-KEY", "key-123")]);
        host.answer(200, r#"{"token":"t-42"}"#);
        run_auth(&host);
        assert_eq!(sent_body(&host)["access-key"], "key-123");
    }

    #[test]
    fn the_jwt_input_logs_in_with_access_type_jwt() {
        let host = host_with(&[("INPUT_JWT", "eyJ.a.b")]);
        host.answer(200, r#"{"token":"t-42"}"#);
        run_auth(&host);
        assert_eq!(
            sent_body(&host),
            serde_json::json!({"access-type":"jwt","access-id":"p-abcdefghij12a3","jwt":"eyJ.a.b"})
        );
    }

    #[test]
    fn the_jwt_input_wins_over_a_stored_access_key() {
        let host = host_with(&[
            ("INPUT_JWT", "eyJ.a.b"),
            (
                "ENDPOINT_AUTH_PARAMETER_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_APITOKEN",
                "stored-key",
            ),
        ]);
        host.answer(200, r#"{"token":"t-42"}"#);
        run_auth(&host);
        assert_eq!(sent_body(&host)["access-type"], "jwt");
    }

    #[test]
    fn the_connection_access_key_is_the_fallback() {
        let host = host_with(&[(
            "ENDPOINT_AUTH_PARAMETER_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_APITOKEN",
            "stored-key",
        )]);
        host.answer(200, r#"{"token":"t-42"}"#);
        run_auth(&host);
        assert_eq!(sent_body(&host)["access-key"], "stored-key");
    }

    fn failure_of(lines: &[String]) -> String {
        let issue = lines
            .iter()
            .find(|line| line.starts_with("##vso[task.logissue type=error;]"))
            .expect("an error issue");
        assert_eq!(
            lines
                .last()
                .map(|line| line.starts_with("##vso[task.complete result=Failed;]")),
            Some(true)
        );
        issue.clone()
    }

    #[test]
    fn neither_credential_fails_naming_both_inputs() {
        let host = host_with(&[]);
        let issue = failure_of(&run_auth(&host));
        assert!(
            issue.contains("'access-key'") && issue.contains("'jwt'"),
            "{issue}"
        );
        assert!(host.requests().is_empty());
    }

    #[test]
    fn both_credentials_fail_naming_both_inputs() {
        let host = host_with(&[("INPUT_ACCESSKEY", "key-123"), ("INPUT_JWT", "eyJ.a.b")]);
        let issue = failure_of(&run_auth(&host));
        assert!(issue.contains("Both 'access-key' and 'jwt'"), "{issue}");
    }

    #[test]
    fn a_connection_without_access_id_fails_clearly() {
        let host = FakeHost::new(&[
            ("INPUT_CONNECTEDSERVICENAME", ID),
            (
                "ENDPOINT_URL_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
                "https://gw",
            ),
            ("INPUT_ACCESSKEY", "key-123"),
        ]);
        let issue = failure_of(&run_auth(&host));
        assert!(issue.contains("has no Access ID"), "{issue}");
    }

    #[test]
    fn a_refused_login_quotes_the_server_and_never_the_key() {
        let host = host_with(&[("INPUT_ACCESSKEY", "key-123")]);
        host.answer(401, r#"{"error":"access denied for key-123"}"#);
        let lines = run_auth(&host);
        let issue = failure_of(&lines);
        assert!(issue.contains("HTTP 401: access denied for ***"), "{issue}");
        assert!(issue.contains("Check that p-abcdefghij12a3 is the Access ID"));
        assert!(!lines
            .iter()
            .any(|line| line.contains("key-123") && !line.starts_with("##vso[task.setsecret]")));
    }

    #[test]
    fn a_reply_without_a_token_fails() {
        let host = host_with(&[("INPUT_ACCESSKEY", "key-123")]);
        host.answer(200, r#"{"token":""}"#);
        let issue = failure_of(&run_auth(&host));
        assert!(issue.contains("holds no token"), "{issue}");
        assert!(!host.lines().iter().any(|l| l.contains("task.setvariable")));
    }
}
