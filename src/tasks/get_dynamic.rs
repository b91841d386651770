//! Task `akeyless-get-dynamic-secret-value-task`: credentials minted by a dynamic secret
//! producer, as the secret output `dynamicSecretValue` (compact JSON) and optional `fields`.
//! With `revokeAtJobEnd`, the post-job step deletes exactly the credentials this step minted,
//! named by the reply's `id` (see `tasks::cleanup`); the default keeps them, since a service
//! the job deployed may be using them.

use serde_json::{Map, Value};

use crate::agent::{Agent, InputError};
use crate::akeyless::dynamic_secret::{self, GetDynamicSecretValue};
use crate::grammar;
use crate::host::Host;
use crate::tasks;
use crate::tasks::cleanup::{Cleanup, MintedCredentials};
use crate::tasks::{
    explain_refused_token, fields, json_output, optional_text_input, TaskError, CONNECTION_INPUT,
    NAME_INPUT,
};

pub const TASK_NAME: &str = "akeyless-get-dynamic-secret-value-task";
pub const OUTPUT: &str = "dynamicSecretValue";
const TARGET_INPUT: &str = "target";
const TIMEOUT_INPUT: &str = "timeout";
const ARGS_INPUT: &str = "args";
const HOST_INPUT: &str = "host";
const REVOKE_INPUT: &str = "revokeAtJobEnd";

/// The producer's timeout when `timeout` is empty, as the API's own default.
const DEFAULT_TIMEOUT_SECONDS: u64 = 15;
/// A longer wait would hold the agent for no good reason; producers answer in seconds.
const MAX_TIMEOUT_SECONDS: u64 = 600;

pub async fn run<H: Host>(
    agent: &Agent<'_, H>,
    cleanup: &mut Cleanup,
) -> Result<String, TaskError> {
    let endpoint = agent.endpoint(CONNECTION_INPUT)?;
    let name = agent.required_input(NAME_INPUT)?.trim().to_string();
    let target = optional_text_input(agent, TARGET_INPUT);
    let timeout = timeout_input(agent)?;
    agent
        .deadline()
        .set_limit_ms(dynamic_secret::step_time_limit_ms(timeout));
    let args = match agent.input(ARGS_INPUT) {
        Some(list) => grammar::parse_args(&list).map_err(|error| InputError::Invalid {
            input: ARGS_INPUT.to_string(),
            problem: error.to_string(),
        })?,
        None => Vec::new(),
    };
    let target_host = optional_text_input(agent, HOST_INPUT);
    let field_list = fields::read(agent, OUTPUT)?;
    let revoke = agent.bool_input(REVOKE_INPUT);
    let client = tasks::client(agent, &endpoint.url)?;
    let token = tasks::token_or_login(agent, &endpoint, &client, cleanup).await?;

    agent.info(&format!(
        "Requesting the dynamic secret '{name}' from Akeyless (the producer may take up to \
         {timeout} s)."
    ));
    let request = GetDynamicSecretValue {
        name: &name,
        token: &token,
        target: target.as_deref(),
        timeout,
        args: &args,
        host: target_host.as_deref(),
        json: true,
    };
    let reply = client.call(&request).await.map_err(explain_refused_token)?;
    json_output::register_reply(
        agent,
        &format!("The reply for the dynamic secret '{name}'"),
        &reply,
    )?;
    // A wrapped reply's `id` may sit beside `value` rather than in it.
    let id_beside_value = credentials_id(reply.as_object());
    let credentials = dynamic_secret::normalise(reply).map_err(|error| {
        TaskError::Message(format!(
            "Akeyless could not produce the dynamic secret '{name}': {error}. No variable was \
             set."
        ))
    })?;
    let revoked_at_end = match credentials_id(Some(&credentials)).or(id_beside_value) {
        Some(id) if revoke => {
            cleanup.credentials = Some(MintedCredentials {
                name: name.clone(),
                id,
                host: target_host.clone(),
            });
            cleanup.save(agent);
            " They are deleted when the job ends."
        }
        None if revoke => {
            agent.warning(&format!(
                "The reply for the dynamic secret '{name}' has no 'id', so these credentials \
                 cannot be deleted when the job ends (revokeAtJobEnd); they live until their \
                 TTL ends."
            ));
            ""
        }
        _ => "",
    };
    agent.summarize(
        "Dynamic secret",
        format!(
            "{name}: {}",
            if revoked_at_end.is_empty() {
                "the credentials live until their TTL ends"
            } else {
                "the credentials are deleted when the job ends"
            }
        ),
    );
    json_output::publish(agent, OUTPUT, &credentials.into(), &field_list, cleanup)?;
    Ok(format!(
        "Fetched the dynamic secret '{name}' into the secret output variable {OUTPUT}{}.{revoked_at_end}",
        json_output::fields_summary(field_list.len())
    ))
}

/// The `id` field of the credentials a reply minted, as text (a string as it is, a number
/// written out): what `/dynamic-secret-tmp-creds-delete` takes as `tmp-creds-id`.
fn credentials_id(fields: Option<&Map<String, Value>>) -> Option<String> {
    match fields?.get("id")? {
        Value::String(id) if !id.trim().is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// `timeout`: whole seconds from 1 to [`MAX_TIMEOUT_SECONDS`]; empty means the default.
fn timeout_input<H: Host>(agent: &Agent<'_, H>) -> Result<u64, TaskError> {
    let Some(text) = agent.input(TIMEOUT_INPUT) else {
        return Ok(DEFAULT_TIMEOUT_SECONDS);
    };
    match text.trim().parse::<u64>() {
        Ok(seconds) if (1..=MAX_TIMEOUT_SECONDS).contains(&seconds) => Ok(seconds),
        _ => Err(InputError::Invalid {
            input: TIMEOUT_INPUT.to_string(),
            problem: format!(
                "it is '{}'; give the seconds the producer may take, a whole number from 1 to \
                 {MAX_TIMEOUT_SECONDS} (default {DEFAULT_TIMEOUT_SECONDS}).",
                text.trim()
            ),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::host::fake::{with_connection, FakeHost};
    use crate::tasks;

    fn host_with(extra: &[(&str, &str)]) -> FakeHost {
        let mut env = vec![
            ("INPUT_TOKEN", "t-token-1234"),
            ("INPUT_NAME", "/dynamic/pg"),
        ];
        env.extend_from_slice(extra);
        with_connection("https://api.akeyless.io", &env)
    }

    fn output_of(lines: &[String]) -> Value {
        let prefix =
            "##vso[task.setvariable variable=dynamicSecretValue;issecret=true;isoutput=true;]";
        let json = lines.iter().find_map(|l| l.strip_prefix(prefix)).unwrap();
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_defaults_reach_the_wire_and_the_http_timeout_exceeds_the_producers() {
        let host = host_with(&[]);
        host.answer(200, r#"{"user":"tmp_1","password":"pw-123456"}"#);
        tasks::lines_of_run(TASK_NAME, &host);
        let request = &host.requests()[0];
        assert_eq!(
            request.url,
            "https://api.akeyless.io/get-dynamic-secret-value"
        );
        assert_eq!(
            serde_json::from_str::<Value>(&request.body).unwrap(),
            serde_json::json!({"name":"/dynamic/pg","token":"t-token-1234","timeout":15,"json":true})
        );
        assert_eq!(request.timeout_ms, 25_000);
    }

    #[test]
    fn the_wrapped_form_is_published_as_the_inner_object() {
        let host = host_with(&[]);
        host.answer(
            200,
            r#"{"value":"{\"user\":\"tmp_1\",\"password\":\"pw-123456\"}","error":""}"#,
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert_eq!(
            output_of(&lines),
            serde_json::json!({"user":"tmp_1","password":"pw-123456"})
        );
    }

    #[test]
    fn a_producer_error_fails_quoting_it() {
        let host = host_with(&[]);
        host.answer(200, r#"{"value":"","error":"target unreachable"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines.iter().any(|l| l.contains(
            "could not produce the dynamic secret '/dynamic/pg': the producer reported: target unreachable."
        )));
        assert!(!lines.iter().any(|l| l.contains("task.setvariable")));
    }

    #[test]
    fn the_credentials_are_registered_before_a_producer_error_is_printed() {
        let host = host_with(&[]);
        host.answer(
            200,
            r#"{"value":"{\"user\":\"tmp_1\",\"password\":\"Gen3rated-pw\"}","error":"could not grant tmp_1 with password Gen3rated-pw"}"#,
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let registered = lines
            .iter()
            .position(|l| l == "##vso[task.setsecret]Gen3rated-pw")
            .expect("the password is registered");
        let error = lines
            .iter()
            .position(|l| l.starts_with("##vso[task.logissue type=error;]"))
            .unwrap();
        assert!(registered < error);
        assert!(
            lines[error].ends_with(
                "the producer reported: could not grant tmp_1 with password ***. No variable \
                 was set."
            ),
            "{}",
            lines[error]
        );
    }

    #[test]
    fn a_reply_too_large_for_a_variable_fails_before_anything_is_registered() {
        let host = host_with(&[]);
        let huge = format!(r#"{{"password":"{}"}}"#, "%".repeat(70_000));
        host.answer(200, &huge);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(!lines
            .iter()
            .any(|l| l.contains("task.setsecret") && l.contains("%AZP25")));
        assert!(
            lines.last().unwrap().contains(
                "The reply for the dynamic secret '/dynamic/pg' is 69 KiB, more than the 64 KiB"
            ),
            "{lines:?}"
        );
    }

    #[test]
    fn the_step_has_the_producers_timeout_and_15_seconds_in_all() {
        // The step logs in by itself (10 s), leaving 6 s of its 16 s for the producer.
        let host = host_with(&[
            ("INPUT_TIMEOUT", "1"),
            ("INPUT_TOKEN", ""),
            (
                "ENDPOINT_DATA_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_ACCESSID",
                "p-abcdefghij12a3",
            ),
            (
                "ENDPOINT_AUTH_PARAMETER_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_APITOKEN",
                "stored-key-123",
            ),
        ]);
        host.set_latency(10_000.0);
        host.answer(200, r#"{"token":"t-self-1234"}"#);
        host.fail_transport("ETIMEDOUT", "no response");
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert_eq!(host.requests()[1].timeout_ms, 6_000);
        assert!(
            lines
                .last()
                .unwrap()
                .contains("all that was left of this step's 16 s limit"),
            "{lines:?}"
        );
    }

    fn cleanup_record(lines: &[String]) -> Option<Value> {
        lines
            .iter()
            .find_map(|l| {
                l.strip_prefix(
                    "##vso[task.settaskvariable variable=AKEYLESS_CLEANUP;issecret=true;]",
                )
            })
            .map(|json| serde_json::from_str(json).unwrap())
    }

    #[test]
    fn with_revoke_at_job_end_the_minted_id_is_recorded_in_both_reply_forms() {
        for body in [
            r#"{"id":"tmp_user_7","user":"tmp_user_7","password":"pw-123456"}"#,
            r#"{"value":"{\"id\":\"tmp_user_7\",\"user\":\"tmp_user_7\",\"password\":\"pw-123456\"}","error":""}"#,
        ] {
            let host = host_with(&[("INPUT_REVOKEATJOBEND", "true"), ("INPUT_HOST", "db1")]);
            host.answer(200, body);
            let lines = tasks::lines_of_run(TASK_NAME, &host);
            assert_eq!(
                cleanup_record(&lines),
                Some(serde_json::json!({
                    "token": "t-token-1234",
                    "revoke_token": false,
                    "credentials": {"name": "/dynamic/pg", "id": "tmp_user_7", "host": "db1"}
                })),
                "{body}"
            );
            assert!(lines
                .last()
                .unwrap()
                .contains("They are deleted when the job ends."));
        }
    }

    #[test]
    fn a_reply_without_an_id_is_a_warning_at_mint_time_and_nothing_is_recorded() {
        let host = host_with(&[("INPUT_REVOKEATJOBEND", "true")]);
        host.answer(200, r#"{"user":"tmp_1","password":"pw-123456"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines
            .iter()
            .any(|l| l.starts_with("##vso[task.logissue type=warning;]")
                && l.contains("has no 'id', so these credentials cannot be deleted")));
        assert_eq!(cleanup_record(&lines), None);
        assert!(lines.last().unwrap().contains("result=Succeeded"));
    }

    #[test]
    fn without_revoke_at_job_end_nothing_is_recorded() {
        let host = host_with(&[]);
        host.answer(200, r#"{"id":"tmp_user_7","password":"pw-123456"}"#);
        assert_eq!(cleanup_record(&tasks::lines_of_run(TASK_NAME, &host)), None);
    }

    #[test]
    fn a_bad_timeout_fails_naming_the_input() {
        for bad in ["0", "abc", "601", "1.5"] {
            let host = host_with(&[("INPUT_TIMEOUT", bad)]);
            let lines = tasks::lines_of_run(TASK_NAME, &host);
            assert!(
                lines
                    .iter()
                    .any(|l| l.contains("The input 'timeout' is not valid")),
                "{bad}"
            );
            assert!(host.requests().is_empty());
        }
    }

    #[test]
    fn a_field_naming_the_output_is_refused() {
        let host = host_with(&[("INPUT_FIELDS", "dynamicsecretvalue=user")]);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines
            .iter()
            .any(|l| l.contains("the task's own output variable")));
    }
}
