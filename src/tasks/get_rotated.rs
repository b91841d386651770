//! Task `akeyless-get-rotated-secret-value-task`: the current value of a rotated secret, as
//! the secret output `rotatedSecretValue` (the whole reply as compact JSON, so
//! `.value.username` works) and optional `fields`.

use serde_json::Value;

use crate::agent::Agent;
use crate::akeyless::reply::{holds_content, reported_error};
use crate::akeyless::rotated_secret::GetRotatedSecretValue;
use crate::host::Host;
use crate::tasks;
use crate::tasks::cleanup::Cleanup;
use crate::tasks::{
    explain_refused_token, fields, json_output, optional_text_input, version_input, TaskError,
    CONNECTION_INPUT, NAME_INPUT,
};

pub const TASK_NAME: &str = "akeyless-get-rotated-secret-value-task";
pub const OUTPUT: &str = "rotatedSecretValue";
const IGNORE_CACHE_INPUT: &str = "ignoreCache";
const HOST_INPUT: &str = "host";

pub async fn run<H: Host>(
    agent: &Agent<'_, H>,
    cleanup: &mut Cleanup,
) -> Result<String, TaskError> {
    let endpoint = agent.endpoint(CONNECTION_INPUT)?;
    let name = agent.required_input(NAME_INPUT)?.trim().to_string();
    let ignore_cache = agent.bool_input(IGNORE_CACHE_INPUT);
    let version = version_input(agent)?;
    let target_host = optional_text_input(agent, HOST_INPUT);
    let field_list = fields::read(agent, OUTPUT)?;
    let client = tasks::client(agent, &endpoint.url)?;
    let token = tasks::token_or_login(agent, &endpoint, &client, cleanup).await?;

    agent.info(&format!(
        "Fetching the rotated secret '{name}' from Akeyless."
    ));
    let request =
        GetRotatedSecretValue::new(&name, &token, ignore_cache, version, target_host.as_deref());
    let reply: Value = client
        .call(&request)
        .await
        .map_err(explain_refused_token)?
        .into();
    json_output::register_reply(
        agent,
        &format!("The reply for the rotated secret '{name}'"),
        &reply,
    )?;
    check_reply(&name, &reply)?;
    agent.summarize("Rotated secret", &name);
    json_output::publish(agent, OUTPUT, &reply, &field_list, cleanup)?;
    Ok(format!(
        "Fetched the rotated secret '{name}' into the secret output variable {OUTPUT}{}.",
        json_output::fields_summary(field_list.len())
    ))
}

/// Fails on a reply that reports an error or holds no value.
fn check_reply(name: &str, reply: &Value) -> Result<(), TaskError> {
    let refused = |problem: String| {
        Err(TaskError::Message(format!(
            "Akeyless answered for the rotated secret '{name}' {problem}. No variable was set."
        )))
    };
    if let Some(error) = reply.as_object().and_then(reported_error) {
        return refused(format!("with an error: {error}"));
    }
    match reply.get("value") {
        None | Some(Value::Null) => refused("without a value".to_string()),
        Some(value) if !holds_content(value) => refused("with an empty value".to_string()),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{block_on, with_connection, FakeHost};
    use crate::tasks;

    fn host_with(extra: &[(&str, &str)]) -> FakeHost {
        let mut env = vec![
            ("INPUT_TOKEN", "t-token-1234"),
            ("INPUT_NAME", "/rotated/pg"),
        ];
        env.extend_from_slice(extra);
        with_connection("https://api.akeyless.io", &env)
    }

    #[test]
    fn the_request_sends_names_as_a_string_and_publishes_the_whole_reply() {
        let host = host_with(&[("INPUT_HOST", "db1")]);
        host.answer(
            200,
            r#"{"value":{"username":"app_user","password":"pw-998877"}}"#,
        );
        block_on(tasks::run(TASK_NAME, &host));
        assert_eq!(
            serde_json::from_str::<Value>(&host.requests()[0].body).unwrap(),
            serde_json::json!({"names":"/rotated/pg","token":"t-token-1234","ignore-cache":"false","host":"db1"})
        );
        assert!(host.lines().contains(
            &r#"##vso[task.setvariable variable=rotatedSecretValue;issecret=true;isoutput=true;]{"value":{"username":"app_user","password":"pw-998877"}}"#.to_string()
        ));
    }

    #[test]
    fn a_reply_with_an_empty_value_or_an_error_fails() {
        for (body, problem) in [
            (r#"{"value":""}"#, "with an empty value"),
            (r#"{"value":{}}"#, "with an empty value"),
            (
                r#"{"value":{"username":"","password":" "}}"#,
                "with an empty value",
            ),
            (
                r#"{"value":{"username":"u","password":"pw-123456"},"error":"rotation failed"}"#,
                "with an error: rotation failed",
            ),
        ] {
            let host = host_with(&[]);
            host.answer(200, body);
            block_on(tasks::run(TASK_NAME, &host));
            let last = host.lines().last().unwrap().clone();
            assert!(
                last.starts_with("##vso[task.complete result=Failed;]")
                    && last.contains(&format!("'/rotated/pg' {problem}. No variable was set.")),
                "{body}: {last}"
            );
            assert!(!host.lines().iter().any(|l| l.contains("task.setvariable")));
        }
    }

    #[test]
    fn a_reply_without_value_fails() {
        let host = host_with(&[]);
        host.answer(200, r#"{"other":1}"#);
        block_on(tasks::run(TASK_NAME, &host));
        assert!(host.lines().iter().any(|l| l.contains("without a value")));
        assert!(!host.lines().iter().any(|l| l.contains("task.setvariable")));
    }
}
