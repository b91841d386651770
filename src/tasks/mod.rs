//! The tasks, one file each: read inputs, call Akeyless, emit outputs.
//!
//! [`run`] is the whole life of a task process: it dispatches on the task name, and ends the
//! task with exactly one `task.complete`, succeeded with a summary or failed with one error.
//! [`run_post_job`] is the life of every task's post-job step (see `cleanup`), which always
//! succeeds.

pub mod auth;
pub mod certificate_inputs;
pub mod cleanup;
pub mod delivery;
pub mod fields;
pub mod files;
pub mod folders;
pub mod get_dynamic;
pub mod get_rotated;
pub mod get_secrets;
pub mod json_output;
pub mod login;
pub mod pki_certificate;
pub mod ssh_certificate;
pub mod summary;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::agent::{Agent, Endpoint, InputError};
use crate::akeyless::{ApiError, BaseUrl, Client};
use crate::host::Host;
use crate::tasks::cleanup::Cleanup;

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

/// Inputs that carry credentials. Each is registered as a secret before the task prints
/// anything, so no message can quote one, even one a pipeline wrote as plain text.
const CREDENTIAL_INPUTS: [&str; 6] = [
    TOKEN_INPUT,
    login::ACCESS_KEY_INPUT,
    login::ACCESS_KEY_ALIAS,
    login::JWT_INPUT,
    login::UID_TOKEN_INPUT,
    login::PRIVATE_KEY_INPUT,
];

fn register_credential_inputs<H: Host>(agent: &Agent<'_, H>) {
    for name in CREDENTIAL_INPUTS {
        if let Some(value) = agent.input(name) {
            // A variable the agent could not expand is only its own name: no secret, and
            // quoting it is what tells the author which name did not match.
            if !is_unexpanded_variable(value.trim()) {
                agent.register_secret(&value);
            }
        }
    }
}

/// `$(...)`: a variable reference the agent left as it was, because no such variable exists.
fn is_unexpanded_variable(value: &str) -> bool {
    value.starts_with("$(") && value.ends_with(')')
}

/// Whether `token` holds a character no token has and no pipeline variable can carry: a line
/// break (the agent refuses a secret variable with one), other whitespace, or a control
/// character.
pub fn is_unusable_token(token: &str) -> bool {
    token.contains(|c: char| c.is_whitespace() || c.is_control())
}

/// The token for a get task: the `token` input (registered as a secret when the task
/// started); or, when it is empty, a fresh login with the service connection's method, whose
/// token `cleanup` then revokes at the end of the job.
/// `future` behind a pointer to its poll function, for a path most runs of a step skip. An
/// `async fn`'s state machine is otherwise folded into its caller's, and V8 compiles a wasm
/// function whole when it is first called: a step given a token would compile its login
/// too. Behind the pointer, that code is compiled only when the path is taken.
pub fn rarely_taken<'a, T>(
    future: impl Future<Output = T> + 'a,
) -> Pin<Box<dyn Future<Output = T> + 'a>> {
    Box::pin(future)
}

pub async fn token_or_login<H: Host>(
    agent: &Agent<'_, H>,
    endpoint: &Endpoint,
    client: &Client<'_, H>,
    cleanup: &mut Cleanup,
) -> Result<String, TaskError> {
    if let Some(token) = agent.input(TOKEN_INPUT) {
        let token = checked_token(token.trim())?;
        cleanup.token = Some(token.clone());
        agent.summarize("Authenticated", "with the token in the input 'token'");
        return Ok(token);
    }
    agent.info(
        "The input 'token' is empty, so this step logs in to Akeyless itself with the service \
         connection, and revokes that token when the job ends.",
    );
    let login = rarely_taken(login::log_in(agent, endpoint, client)).await?;
    cleanup.token = Some(login.token.clone());
    cleanup.revoke_token = true;
    cleanup.token_expiration = login.expiration;
    cleanup.save(agent);
    agent.summarize("Token", "revoked when the job ends");
    Ok(login.token)
}

/// The `token` input's value, checked. A value still reading `$(...)` is a variable the
/// agent could not expand, which means the auth step's name does not match.
fn checked_token(token: &str) -> Result<String, TaskError> {
    let invalid = |problem: String| {
        Err(InputError::Invalid {
            input: TOKEN_INPUT.to_string(),
            problem,
        }
        .into())
    };
    if is_unexpanded_variable(token) {
        return invalid(format!(
            "it holds the text '{token}', a variable that does not exist. Check that an \
             akeyless-auth step runs earlier in this job and that its 'name:' matches."
        ));
    }
    if is_unusable_token(token) {
        return invalid(
            "it contains a line break, a space or a control character, which no Akeyless \
             token has. Pass $(<auth step name>.akeylessToken) unchanged."
                .to_string(),
        );
    }
    Ok(token.to_string())
}

/// A client for the service connection's `url`, sending through the step's agent.
pub fn client<'a, H: Host>(agent: &'a Agent<'a, H>, url: &str) -> Result<Client<'a, H>, TaskError> {
    Ok(Client::new(agent, BaseUrl::parse(url)?))
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
    register_credential_inputs(&agent);
    if agent.network().tls_verification_disabled_in_env {
        agent.info(
            "NODE_TLS_REJECT_UNAUTHORIZED=0 is set; the Akeyless tasks verify TLS certificates \
             regardless.",
        );
    }
    let mut cleanup = Cleanup::default();
    // Each arm exists only in the modules built with its task's feature (see Cargo.toml).
    let outcome = match task_name {
        #[cfg(feature = "auth")]
        auth::TASK_NAME => auth::run(&agent, &mut cleanup).await,
        #[cfg(feature = "get-secrets")]
        get_secrets::TASK_NAME => get_secrets::run(&agent, &mut cleanup).await,
        #[cfg(feature = "get-dynamic")]
        get_dynamic::TASK_NAME => get_dynamic::run(&agent, &mut cleanup).await,
        #[cfg(feature = "get-rotated")]
        get_rotated::TASK_NAME => get_rotated::run(&agent, &mut cleanup).await,
        #[cfg(feature = "ssh-certificate")]
        ssh_certificate::TASK_NAME => ssh_certificate::run(&agent, &mut cleanup).await,
        #[cfg(feature = "pki-certificate")]
        pki_certificate::TASK_NAME => pki_certificate::run(&agent, &mut cleanup).await,
        other => Err(unknown_task(other)),
    };
    let outcome = outcome.map_err(|error| error.to_string());
    summary::attach(
        &agent,
        &summary::title(&agent, task_name, false),
        outcome.as_ref().err().map(String::as_str),
    );
    match outcome {
        Ok(message) => agent.succeed(&message),
        Err(failure) => agent.fail(&failure),
    }
    // Every secret registered and every summary row: freed with the process.
    left_to_process_exit(agent);
}

/// Leaves `value` to be freed when the process ends, instead of dropping it now. The host
/// runs one step per process and exits when the step is done, so nothing is lost; dropping
/// the thousands of strings a step with 1,000 secrets holds, one by one, costs it about 2 ms
/// of wasm. Only for what a step holds when it is done with it.
pub fn left_to_process_exit<T>(value: T) {
    std::mem::forget(value);
}

/// Whether this module runs the task `name` (built with its feature).
fn runs_task(name: &str) -> bool {
    [
        (cfg!(feature = "auth"), auth::TASK_NAME),
        (cfg!(feature = "get-secrets"), get_secrets::TASK_NAME),
        (cfg!(feature = "get-dynamic"), get_dynamic::TASK_NAME),
        (cfg!(feature = "get-rotated"), get_rotated::TASK_NAME),
        (
            cfg!(feature = "ssh-certificate"),
            ssh_certificate::TASK_NAME,
        ),
        (
            cfg!(feature = "pki-certificate"),
            pki_certificate::TASK_NAME,
        ),
    ]
    .contains(&(true, name))
}

/// Runs the post-job step of the task called `task_name` and ends it, always as succeeded.
pub async fn run_post_job<H: Host>(task_name: &str, host: &H) {
    let agent = Agent::new(host);
    if !runs_task(task_name) {
        agent.fail(&unknown_task(task_name).to_string());
        return;
    }
    let message = cleanup::run_post_job(&agent).await;
    summary::attach(&agent, &summary::title(&agent, task_name, true), None);
    agent.info(&message);
    agent.succeed(&message);
}

/// Runs the task `task_name` to its end on a fake host; the lines it wrote. For the tasks'
/// tests.
#[cfg(test)]
pub fn lines_of_run(task_name: &str, host: &crate::host::fake::FakeHost) -> Vec<String> {
    crate::host::fake::block_on(run(task_name, host));
    host.lines()
}

fn unknown_task(name: &str) -> TaskError {
    TaskError::Message(format!("This extension has no task named '{name}'."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{block_on, FakeHost};

    #[test]
    fn credential_inputs_are_registered_before_anything_is_printed() {
        let host = FakeHost::new(&[
            ("INPUT_ACCESSKEY", " plain-access-key "),
            ("INPUT_UIDTOKEN", "u-uid-token-1"),
            ("INPUT_TOKEN", "$(Auth.akeylessToken)"),
            ("NODE_TLS_REJECT_UNAUTHORIZED", "0"),
        ]);
        block_on(run("akeyless-nope", &host));
        let lines = host.lines();
        assert_eq!(
            &lines[..3],
            &[
                "##vso[task.setsecret] plain-access-key ",
                "##vso[task.setsecret]plain-access-key",
                "##vso[task.setsecret]u-uid-token-1",
            ]
        );
        assert!(!lines[3].contains("task.setsecret"));
    }

    #[test]
    fn a_token_input_with_a_line_break_fails_without_quoting_it() {
        let host = crate::host::fake::with_connection(
            "https://api.akeyless.io",
            &[
                ("INPUT_TOKEN", "t-part-one\nt-part-two"),
                ("INPUT_SECRETSPATHS", "a=/x"),
            ],
        );
        block_on(run(get_secrets::TASK_NAME, &host));
        let lines = host.lines();
        let error = lines.last().unwrap();
        assert!(
            error.contains("The input 'token' is not valid: it contains a line break"),
            "{error}"
        );
        assert!(lines
            .iter()
            .filter(|l| !l.starts_with("##vso[task.setsecret]"))
            .all(|l| !l.contains("t-part")));
        assert!(host.requests().is_empty());
    }

    /// A reply body of any size and content: text, JSON of random shape, or a large value.
    fn any_body() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            ".{0,64}",
            "[%\\r\\n\"#\\[\\]{}:,a-z\\u{1b}\\u{202e}]{0,200}",
            (0usize..200_000, "[%a\\r\\n\"]").prop_map(|(size, unit)| {
                let value = unit.repeat(size);
                serde_json::json!({"/p": value, "value": value, "password": value}).to_string()
            }),
            (0usize..3000).prop_map(|leaves| {
                let list: Vec<String> = (0..leaves).map(|n| format!("leaf-{n:06}")).collect();
                serde_json::json!({"/p": list, "value": {"list": list}}).to_string()
            }),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(48))]

        #[test]
        fn every_run_ends_with_exactly_one_task_complete(
            body in any_body(),
            status in proptest::sample::select(vec![200u16, 200, 400, 500]),
            task in proptest::sample::select(vec![
                get_secrets::TASK_NAME, get_dynamic::TASK_NAME, get_rotated::TASK_NAME,
            ]),
        ) {
            let host = crate::host::fake::with_connection(
                "https://api.akeyless.io",
                &[("INPUT_TOKEN", "t-token-1234"), ("INPUT_SECRETSPATHS", "a=/p"), ("INPUT_NAME", "/p")],
            );
            for _ in 0..crate::akeyless::retry::MAX_ATTEMPTS {
                host.answer(status, &body);
            }
            block_on(run(task, &host));
            let lines = host.lines();
            let completes = lines.iter().filter(|l| l.starts_with("##vso[task.complete ")).count();
            proptest::prop_assert_eq!(completes, 1);
            proptest::prop_assert!(lines.last().unwrap().starts_with("##vso[task.complete "));
            proptest::prop_assert!(lines.iter().all(|l| !l.contains(['\r', '\n'])));
        }
    }

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
