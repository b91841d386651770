//! Task `akeyless-auth`: logs in to Akeyless (see `tasks::login` for how the method and its
//! credential are chosen) and sets the secret output `akeylessToken`. With
//! `revokeTokenAtJobEnd` its post-job step revokes that token (see `tasks::cleanup`); the
//! default keeps it, since later jobs may read it through `dependencies`.

use crate::agent::{Agent, VariableKind};
use crate::host::Host;
use crate::tasks::cleanup::Cleanup;
use crate::tasks::{self, login, TaskError, CONNECTION_INPUT};

pub const TASK_NAME: &str = "akeyless-auth";
pub const TOKEN_OUTPUT: &str = "akeylessToken";
const REVOKE_INPUT: &str = "revokeTokenAtJobEnd";

pub async fn run<H: Host>(
    agent: &Agent<'_, H>,
    cleanup: &mut Cleanup,
) -> Result<String, TaskError> {
    let endpoint = agent.endpoint(CONNECTION_INPUT)?;
    let revoke = agent.bool_input(REVOKE_INPUT);
    let client = tasks::client(agent, &endpoint.url)?;
    let login = login::log_in(agent, &endpoint, &client).await?;
    if revoke {
        cleanup.token = Some(login.token.clone());
        cleanup.revoke_token = true;
        cleanup.token_expiration = login.expiration.clone();
        cleanup.save(agent);
        agent.summarize("Token", "revoked when the job ends");
    }
    agent.set_variable(TOKEN_OUTPUT, &login.token, VariableKind::SECRET_OUTPUT);
    let when_revoked = if revoke {
        " It is revoked when the job ends."
    } else {
        ""
    };
    Ok(format!(
        "Authenticated to Akeyless as {}; the token is in the secret output variable \
         {TOKEN_OUTPUT}.{when_revoked}",
        login.access_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{with_connection, FakeHost};
    use crate::tasks;

    fn host_with(extra: &[(&str, &str)]) -> FakeHost {
        let mut env = vec![(
            "ENDPOINT_DATA_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_ACCESSID",
            "p-abcdefghij12a3",
        )];
        env.extend_from_slice(extra);
        with_connection("https://api.akeyless.io/", &env)
    }

    fn sent_body(host: &FakeHost) -> serde_json::Value {
        serde_json::from_str(&host.requests()[0].body).unwrap()
    }

    #[test]
    fn the_access_key_input_logs_in_and_sets_the_secret_output() {
        let host = host_with(&[("INPUT_ACCESSKEY", "key-123==\n")]);
        host.answer(200, r#"{"token":"t-42","expiration":"x"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert_eq!(host.requests()[0].url, "https://api.akeyless.io/auth");
        assert_eq!(
            sent_body(&host),
            serde_json::json!({"access-type":"access_key","access-id":"p-abcdefghij12a3","access-key":"key-123=="})
        );
        assert_eq!(
            &lines[..2],
            &[
                "##vso[task.setsecret]key-123==%0A",
                "##vso[task.setsecret]key-123=="
            ]
        );
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
    fn revoke_token_at_job_end_records_the_token_and_its_expiry() {
        let host = host_with(&[
            ("INPUT_ACCESSKEY", "key-123"),
            ("INPUT_REVOKETOKENATJOBEND", "true"),
        ]);
        host.answer(
            200,
            r#"{"token":"t-42","expiration":"2030-01-01 00:00:00"}"#,
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines.contains(
            &r#"##vso[task.settaskvariable variable=AKEYLESS_CLEANUP;issecret=true;]{"token":"t-42","revoke_token":true,"token_expiration":"2030-01-01 00:00:00"}"#
                .to_string()
        ));
        assert!(lines
            .last()
            .unwrap()
            .ends_with("It is revoked when the job ends."));
        let host = host_with(&[("INPUT_ACCESSKEY", "key-123")]);
        host.answer(200, r#"{"token":"t-42"}"#);
        assert!(!tasks::lines_of_run(TASK_NAME, &host)
            .iter()
            .any(|l| l.contains("task.settaskvariable")));
    }

    #[test]
    fn the_hyphenated_input_name_is_read_too() {
        let host = host_with(&[("INPUT_ACCESS-KEY", "key-123")]);
        host.answer(200, r#"{"token":"t-42"}"#);
        tasks::lines_of_run(TASK_NAME, &host);
        assert_eq!(sent_body(&host)["access-key"], "key-123");
    }

    #[test]
    fn the_jwt_input_logs_in_with_access_type_jwt() {
        let host = host_with(&[("INPUT_JWT", "eyJ.a.b")]);
        host.answer(200, r#"{"token":"t-42"}"#);
        tasks::lines_of_run(TASK_NAME, &host);
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
        tasks::lines_of_run(TASK_NAME, &host);
        assert_eq!(sent_body(&host)["access-type"], "jwt");
    }

    #[test]
    fn the_connection_access_key_is_the_fallback() {
        let host = host_with(&[(
            "ENDPOINT_AUTH_PARAMETER_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_APITOKEN",
            "stored-key",
        )]);
        host.answer(200, r#"{"token":"t-42"}"#);
        tasks::lines_of_run(TASK_NAME, &host);
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
        let issue = failure_of(&tasks::lines_of_run(TASK_NAME, &host));
        assert!(
            issue.contains("'access-key'") && issue.contains("'jwt'"),
            "{issue}"
        );
        assert!(host.requests().is_empty());
    }

    #[test]
    fn both_credentials_fail_naming_both_inputs() {
        let host = host_with(&[("INPUT_ACCESSKEY", "key-123"), ("INPUT_JWT", "eyJ.a.b")]);
        let issue = failure_of(&tasks::lines_of_run(TASK_NAME, &host));
        assert!(issue.contains("Both 'access-key' and 'jwt'"), "{issue}");
    }

    #[test]
    fn a_connection_without_access_id_fails_clearly() {
        let host = with_connection("https://gw", &[("INPUT_ACCESSKEY", "key-123")]);
        let issue = failure_of(&tasks::lines_of_run(TASK_NAME, &host));
        assert!(issue.contains("has no Access ID"), "{issue}");
    }

    #[test]
    fn a_refused_login_quotes_the_server_and_never_the_key() {
        let host = host_with(&[("INPUT_ACCESSKEY", "key-123")]);
        host.answer(401, r#"{"error":"access denied for key-123"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
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
        let issue = failure_of(&tasks::lines_of_run(TASK_NAME, &host));
        assert!(issue.contains("holds no token"), "{issue}");
        assert!(!host.lines().iter().any(|l| l.contains("task.setvariable")));
    }
}
