//! The tasks, one file each: read inputs, call Akeyless, emit outputs.
//!
//! [`run`] is the whole life of a task process: it dispatches on the task name, and ends the
//! task with exactly one `task.complete`, succeeded with a summary or failed with one error.

pub mod auth;

use std::fmt;

use crate::agent::{Agent, InputError};
use crate::akeyless::ApiError;
use crate::host::Host;

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

/// Runs the task called `task_name` (its `task.json` name) and ends it.
pub async fn run<H: Host>(task_name: &str, host: &H) {
    let agent = Agent::new(host);
    let outcome = match task_name {
        auth::TASK_NAME => auth::run(&agent).await,
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
