//! The tasks, one file each: read inputs, call Akeyless, emit outputs.
//!
//! [`run`] is the whole life of a task process: it dispatches on the task name, and ends the
//! task with exactly one `task.complete`, succeeded with a summary or failed with one error.

pub mod auth;
pub mod delivery;
pub mod fields;
pub mod get_dynamic;
pub mod get_rotated;
pub mod get_secrets;
pub mod json_output;
pub mod login;

use std::fmt;

use crate::agent::{Agent, Endpoint, InputError};
use crate::akeyless::{ApiError, BaseUrl, Client};
use crate::host::Host;

/// The input that selects the Akeyless service connection, in every task.
pub const CONNECTION_INPUT: &str = "connectedServiceName";
/// The input of the get tasks that carries the token of an `akeyless-auth` step.
pub const TOKEN_INPUT: &str = "token";
/// The item name input of the dynamic and rotated secret tasks.
pub const NAME_INPUT: &str = "name";
/// The optional item version input of the static and rotated secret tasks.
pub const VERSION_INPUT: &str = "version";

/// Why a task failed; its `Display` is the one sentence the pipeline author reads.
#[derive(Debug)]
pub enum TaskError {
    Input(InputError),
    Api(ApiError),
    /// A task-level rule, already phrased for the user.
    Message(String),
}

impl From<InputError> for TaskError {
    fn from(error: InputError) -> Self {
        TaskError::Input(error)
    }
}

impl From<ApiError> for TaskError {
    fn from(error: ApiError) -> Self {
        TaskError::Api(error)
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Input(error) => error.fmt(f),
            TaskError::Api(error) => error.fmt(f),
            TaskError::Message(message) => f.write_str(message),
        }
    }
}

/// The token for a get task: the `token` input, registered as a secret; or, when it is
/// empty, a fresh login with the service connection's method.
pub async fn token_or_login<H: Host>(
    agent: &Agent<'_, H>,
    endpoint: &Endpoint,
    client: &Client<'_, H>,
) -> Result<String, TaskError> {
    if let Some(token) = agent.input(TOKEN_INPUT) {
        return checked_token(agent, token.trim());
    }
    agent.info(
        "The input 'token' is empty, so this step logs in to Akeyless itself with the service \
         connection.",
    );
    Ok(login::log_in(agent, endpoint, client).await?.token)
}

/// The `token` input's value, registered as a secret. A value still reading `$(...)` is a
/// variable the agent could not expand, which means the auth step's name does not match.
fn checked_token<H: Host>(agent: &Agent<'_, H>, token: &str) -> Result<String, TaskError> {
    if token.starts_with("$(") && token.ends_with(')') {
        return Err(InputError::Invalid {
            input: TOKEN_INPUT.to_string(),
            problem: format!(
                "it holds the text '{token}', a variable that does not exist. Check that an \
                 akeyless-auth step runs earlier in this job and that its 'name:' matches."
            ),
        }
        .into());
    }
    agent.register_secret(token);
    Ok(token.to_string())
}

/// A client for the service connection's `url`, routed as the agent's settings say and
/// writing one debug line per attempt.
pub fn client<'a, H: Host>(agent: &'a Agent<'_, H>, url: &str) -> Result<Client<'a, H>, TaskError> {
    let base = BaseUrl::parse(url)?;
    Ok(Client::new(
        agent.host(),
        base,
        agent.network(),
        Box::new(move |line| agent.debug(line)),
    ))
}

/// An optional free-text input, trimmed; `None` when empty.
pub fn optional_text_input<H: Host>(agent: &Agent<'_, H>, name: &str) -> Option<String> {
    agent.input(name).map(|value| value.trim().to_string())
}

/// The optional `version` input: an item version, a whole number from 1 up. (Akeyless reads
/// a negative number as "the last N versions", which returns a different shape.)
pub fn version_input<H: Host>(agent: &Agent<'_, H>) -> Result<Option<u32>, TaskError> {
    let Some(text) = agent.input(VERSION_INPUT) else {
        return Ok(None);
    };
    match text.trim().parse::<u32>() {
        Ok(version) if version >= 1 => Ok(Some(version)),
        _ => Err(InputError::Invalid {
            input: VERSION_INPUT.to_string(),
            problem: format!(
                "it is '{}'; give the item version to read as a whole number from 1 up, or \
                 leave it empty for the latest version.",
                text.trim()
            ),
        }
        .into()),
    }
}

/// Adds what to check when Akeyless refuses the token or the access to an item.
pub fn explain_refused_token(error: ApiError) -> TaskError {
    let hint = match &error {
        ApiError::Status { status: 401, .. } => {
            "The token was refused: pass $(<auth step name>.akeylessToken) from an akeyless-auth \
             step in this job (tokens expire)."
        }
        ApiError::Status { status: 403, .. } => {
            "Check that the auth method's access role may read this item."
        }
        _ => return TaskError::Api(error),
    };
    TaskError::Message(format!("{error} {hint}"))
}

/// Runs the task called `task_name` (its `task.json` name) and ends it.
pub async fn run<H: Host>(task_name: &str, host: &H) {
    let agent = Agent::new(host);
    if agent.network().tls_verification_disabled_in_env {
        agent.info(
            "NODE_TLS_REJECT_UNAUTHORIZED=0 is set; the Akeyless tasks verify TLS certificates \
             regardless.",
        );
    }
    let outcome = match task_name {
        auth::TASK_NAME => auth::run(&agent).await,
        get_secrets::TASK_NAME => get_secrets::run(&agent).await,
        get_dynamic::TASK_NAME => get_dynamic::run(&agent).await,
        get_rotated::TASK_NAME => get_rotated::run(&agent).await,
        other => Err(TaskError::Message(format!(
            "This extension has no task named '{other}'."
        ))),
    };
    match outcome {
        Ok(summary) => agent.succeed(&summary),
        Err(error) => agent.fail(&error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{block_on, FakeHost};

    #[test]
    fn an_unknown_task_name_fails_cleanly() {
        let host = FakeHost::new(&[]);
        block_on(run("akeyless-nope", &host));
        assert_eq!(
            host.lines(),
            vec![
                "##vso[task.logissue type=error;]This extension has no task named 'akeyless-nope'.",
                "##vso[task.complete result=Failed;]This extension has no task named 'akeyless-nope'.",
            ]
        );
    }
}
