//! The Azure Pipelines side of a task: inputs, the service connection, logging commands,
//! masking, and the way a task ends.
//!
//! Tasks talk to the agent only through [`Agent`], which guarantees two things: every text
//! that reaches the log has had every secret the task has handled replaced by `***`, control
//! characters escaped and `##vso[` / `##[` neutralised, and secrets are registered with the
//! agent before they are set. It also keeps the step's [`Deadline`].

pub mod command;
pub mod deadline;
pub mod endpoint;
pub mod inputs;
pub mod masking;
pub mod multiline;
pub mod neutralise;
pub mod redaction;
pub mod summary_table;

use std::borrow::Cow;
use std::cell::RefCell;

use rustc_hash::FxHashSet;

use crate::host::Host;
use crate::network::NetworkSettings;
pub use command::VariableKind;
use command::{IssueType, TaskResult};
pub use deadline::Deadline;
pub use endpoint::Endpoint;
pub use inputs::InputError;
use redaction::Redactor;
use summary_table::SummaryTable;

/// A value registered with the masker, with its forms: only [`Agent::register_secret`] makes
/// one, so a variable set from it needs no second registration.
#[derive(Debug, Clone, Copy)]
pub struct Registered<'v>(&'v str);

/// One task's connection to the agent.
pub struct Agent<'h, H: Host> {
    host: &'h H,
    debug_enabled: bool,
    /// Every secret this task has handled, so no message can quote one.
    secrets: RefCell<Redactor>,
    /// The values whose forms (`masking`) are registered already: a value delivered as two
    /// variables is worked out once.
    registered_values: RefCell<FxHashSet<String>>,
    network: NetworkSettings,
    deadline: Deadline,
    /// What this step did, row by row, for its run summary (`tasks::summary`).
    summary: RefCell<SummaryTable>,
}

impl<'h, H: Host> Agent<'h, H> {
    /// Reads the run's settings; the proxy passwords among them are registered as secrets.
    /// The step's deadline starts now.
    pub fn new(host: &'h H) -> Self {
        let agent = Agent {
            host,
            debug_enabled: inputs::is_true(host.env("SYSTEM_DEBUG").as_deref()),
            secrets: RefCell::new(Redactor::default()),
            registered_values: RefCell::new(FxHashSet::default()),
            network: NetworkSettings::from_env(|name| host.env(name)),
            deadline: Deadline::starting_at(host.now_ms()),
            summary: RefCell::new(SummaryTable::default()),
        };
        for secret in agent.network.secrets() {
            agent.register_secret(&secret);
        }
        agent
    }

    /// The proxy and certificate settings of this run.
    pub fn network(&self) -> &NetworkSettings {
        &self.network
    }

    /// The host this agent writes through, for the Akeyless client.
    pub fn host(&self) -> &'h H {
        self.host
    }

    /// When this step must be over; every request it makes shares it.
    pub fn deadline(&self) -> &Deadline {
        &self.deadline
    }

    /// The input `name`, or `None` when it is empty.
    pub fn input(&self, name: &str) -> Option<String> {
        inputs::present(self.host.env(&inputs::env_key(name)))
    }

    /// The input `name`, which the pipeline must set.
    pub fn required_input(&self, name: &str) -> Result<String, InputError> {
        self.input(name).ok_or_else(|| InputError::Missing {
            input: name.to_string(),
        })
    }

    /// A boolean input: true only for `true` in any letter case.
    pub fn bool_input(&self, name: &str) -> bool {
        inputs::is_true(self.input(name).as_deref())
    }

    /// The service connection chosen in the input `name`.
    pub fn endpoint(&self, name: &str) -> Result<Endpoint, InputError> {
        let id = self.required_input(name)?;
        endpoint::read(|key| self.host.env(key), &id).ok_or_else(|| InputError::UnknownConnection {
            input: name.to_string(),
            id: id.trim().to_string(),
        })
    }

    /// Registers `value` with the agent's masker, with every form of it a log could show
    /// (see `masking`), and keeps them all out of every later message. The proof it returns
    /// sets secret variables to `value` without registering it again.
    pub fn register_secret<'v>(&self, value: &'v str) -> Registered<'v> {
        // Most values are their only form: registered as they are, with no search for
        // others and no second set to keep them in.
        if masking::is_single_form(value) {
            self.register_one(value);
            return Registered(value);
        }
        // A value is looked up first: each is registered where it arrives, then again on
        // delivery, and copying it every time would cost a step with many secrets.
        if self.registered_values.borrow().contains(value) {
            return Registered(value);
        }
        self.registered_values
            .borrow_mut()
            .insert(value.to_string());
        self.register_each(masking::strings_to_register(value));
        Registered(value)
    }

    /// Registers the string leaves of a JSON document (see `masking`), not the document.
    pub fn register_leaves(&self, document: &serde_json::Value) {
        self.register_each(masking::leaves_to_register(document));
    }

    /// Registers each of `strings` not registered yet, exactly as it is.
    fn register_each(&self, strings: Vec<String>) {
        for secret in strings {
            self.register_one(&secret);
        }
    }

    /// Registers `secret`, exactly as it is, unless it is registered already.
    fn register_one(&self, secret: &str) {
        if self.secrets.borrow_mut().insert(secret) {
            self.host
                .write_line_with(&|line| command::push_set_secret(line, secret));
        }
    }

    /// Sets the variable `name`; a secret value is registered first.
    pub fn set_variable(&self, name: &str, value: &str, kind: VariableKind) {
        if kind.secret {
            self.register_secret(value);
        }
        self.write_set_variable(name, value, kind);
    }

    /// Sets the secret variable `name` (an output variable when `output`) to a value this
    /// step registered already: a step with many secrets sets each twice and registered it
    /// before the first, and looking it up again every time would cost it.
    pub fn set_secret_variable(&self, name: &str, value: Registered<'_>, output: bool) {
        self.write_set_variable(
            name,
            value.0,
            VariableKind {
                secret: true,
                output,
            },
        );
    }

    fn write_set_variable(&self, name: &str, value: &str, kind: VariableKind) {
        self.host
            .write_line_with(&|line| command::push_set_variable(line, name, value, kind));
    }

    /// Hands `value` to this task's post-job step as a secret task variable; the value is
    /// registered first, exactly as it is (its parts are registered where they came from).
    pub fn set_task_variable(&self, name: &str, value: &str) {
        self.register_one(value);
        self.host
            .write_line(&command::set_task_variable(name, value));
    }

    /// The task variable `name` an earlier step of this task instance set, if any.
    pub fn task_variable(&self, name: &str) -> Option<String> {
        inputs::present(self.host.env(&format!("VSTS_TASKVARIABLE_{name}")))
    }

    /// Adds a row to the step's run summary: `what` was done, with `detail`. Never a value:
    /// rows name variables, paths and expiries (and are redacted when the summary is written).
    pub fn summarize(&self, what: impl AsRef<str>, detail: impl AsRef<str>) {
        self.summarize_parts(&[what.as_ref()], &[detail.as_ref()]);
    }

    /// [`Agent::summarize`] with each column given in parts, written one after the other.
    pub fn summarize_parts(&self, what: &[&str], detail: &[&str]) {
        self.summary.borrow_mut().push(what, detail);
    }

    /// The run summary so far as a Markdown table, as recorded (`tasks::summary` redacts
    /// what it writes).
    pub fn summary_markdown(&self) -> String {
        self.summary.borrow().markdown()
    }

    /// Whether the step has recorded any run-summary row.
    pub fn has_summary(&self) -> bool {
        !self.summary.borrow().is_empty()
    }

    /// Attaches the Markdown file at `path` to the run's summary page.
    pub fn upload_summary(&self, path: &str) {
        self.host.write_line(&command::upload_summary(path));
    }

    /// Writes `text` to the log, one line per line of text.
    pub fn info(&self, text: &str) {
        for line in self.printable(text).lines() {
            self.host.write_line(line);
        }
    }

    /// Writes `text` as `##[debug]` lines when the pipeline runs with `system.debug`.
    pub fn debug(&self, text: &str) {
        self.debug_with(|| text.to_string());
    }

    /// Writes the text `text()` makes as `##[debug]` lines when the pipeline runs with
    /// `system.debug`; the text is made only then (every request has a debug line).
    pub fn debug_with(&self, text: impl FnOnce() -> String) {
        if !self.debug_enabled {
            return;
        }
        for line in self.printable(&text()).lines() {
            self.host.write_line(&format!("##[debug]{line}"));
        }
    }

    /// Reports a warning issue (shown in the run summary; the result is unchanged).
    pub fn warning(&self, text: &str) {
        let text = self.printable(text);
        self.host
            .write_line(&command::log_issue(IssueType::Warning, &text));
    }

    /// Ends the task as succeeded.
    pub fn succeed(&self, message: &str) {
        let message = self.printable(message);
        self.host
            .write_line(&command::complete(TaskResult::Succeeded, &message));
    }

    /// Ends the task as failed: one error issue, then the failed result.
    pub fn fail(&self, message: &str) {
        let message = self.printable(message);
        self.host
            .write_line(&command::log_issue(IssueType::Error, &message));
        self.host
            .write_line(&command::complete(TaskResult::Failed, &message));
    }

    /// `text` with every secret this task has handled replaced by `***`.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        self.secrets.borrow().redact(text)
    }

    /// `text` as it may reach the log: secrets replaced, control characters escaped (then
    /// secrets replaced again, in case escaping spelled one out), logging commands
    /// neutralised.
    fn printable(&self, text: &str) -> String {
        let redacted = self.redact(text);
        let escaped = neutralise::escape_controls(&redacted);
        let safe = match escaped {
            Cow::Owned(changed) => self.redact(&changed).into_owned(),
            Cow::Borrowed(same) => same.to_string(),
        };
        neutralise::neutralise(&safe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::FakeHost;

    #[test]
    fn inputs_are_read_under_the_agent_key_and_empty_means_absent() {
        let host = FakeHost::new(&[("INPUT_SECRETSPATHS", "a=/b"), ("INPUT_TOKEN", "")]);
        let agent = Agent::new(&host);
        assert_eq!(agent.input("secretsPaths").as_deref(), Some("a=/b"));
        assert_eq!(agent.input("token"), None);
        assert_eq!(
            agent.required_input("token"),
            Err(InputError::Missing {
                input: "token".to_string()
            })
        );
    }

    #[test]
    fn a_connection_input_without_exported_variables_is_an_unknown_connection() {
        let host = FakeHost::new(&[("INPUT_CONNECTEDSERVICENAME", "abc")]);
        let agent = Agent::new(&host);
        assert_eq!(
            agent.endpoint("connectedServiceName"),
            Err(InputError::UnknownConnection {
                input: "connectedServiceName".to_string(),
                id: "abc".to_string()
            })
        );
    }

    #[test]
    fn a_secret_is_registered_once_and_before_its_variable_is_set() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        agent.register_secret("t-1");
        agent.set_variable("akeylessToken", "t-1", VariableKind::SECRET_OUTPUT);
        assert_eq!(
            host.lines(),
            vec![
                "##vso[task.setsecret]t-1",
                "##vso[task.setvariable variable=akeylessToken;issecret=true;isoutput=true;]t-1",
            ]
        );
    }

    #[test]
    fn blank_values_are_never_registered_as_secrets() {
        let host = FakeHost::new(&[]);
        Agent::new(&host).register_secret("  ");
        assert!(host.lines().is_empty());
    }

    #[test]
    fn messages_never_quote_a_registered_secret() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        agent.register_secret("hunter22");
        agent.info("server said: bad key hunter22");
        agent.fail("login failed for hunter22");
        let printed = host.lines()[1..].join("\n");
        assert!(!printed.contains("hunter22"), "{printed}");
        assert!(printed.contains("bad key ***"));
    }

    #[test]
    fn a_secret_containing_a_shorter_one_is_replaced_whole() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        agent.register_secret("s3cr");
        agent.register_secret("s3cr3t-tail");
        agent.info("got s3cr3t-tail and s3cr");
        assert_eq!(host.lines().last().unwrap(), "got *** and ***");
    }

    #[test]
    fn messages_have_logging_commands_neutralised() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        agent.info("x ##vso[task.setvariable variable=a]b");
        agent.fail("##[error]y");
        for line in host.lines() {
            let command_count = line.matches("##vso[").count();
            assert!(command_count <= 1, "{line}");
            assert!(!line.contains("##["), "{line}");
        }
    }

    #[test]
    fn a_secret_is_registered_with_the_forms_a_shell_or_the_log_reader_shows() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        agent.register_secret("\" first-part\rsecond-part \"");
        let registered: Vec<String> = host
            .lines()
            .iter()
            .filter_map(|l| l.strip_prefix("##vso[task.setsecret]").map(str::to_string))
            .collect();
        for form in ["first-part", "second-part", "first-part%0Dsecond-part"] {
            assert!(
                registered.contains(&form.to_string()),
                "{form}: {registered:?}"
            );
        }
        agent.info("shell printed first-part and second-part");
        assert_eq!(host.lines().last().unwrap(), "shell printed *** and ***");
    }

    #[test]
    fn control_characters_in_a_message_are_shown_escaped_and_secrets_still_replaced() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        agent.register_secret("esc\u{1b}s3cret");
        agent.fail("server said \u{1b}[2J\u{1b}[31mOK\u{8} and esc\u{1b}s3cret");
        let line = host.lines().last().unwrap().clone();
        assert_eq!(
            line,
            "##vso[task.complete result=Failed;]server said \\x1B[2J\\x1B[31mOK\\x08 and ***"
        );
    }

    #[test]
    fn multi_line_text_becomes_several_log_lines() {
        let host = FakeHost::new(&[]);
        Agent::new(&host).info("one\ntwo");
        assert_eq!(host.lines(), vec!["one", "two"]);
    }

    #[test]
    fn debug_lines_appear_only_with_system_debug() {
        let quiet = FakeHost::new(&[]);
        Agent::new(&quiet).debug("hidden");
        assert!(quiet.lines().is_empty());

        let verbose = FakeHost::new(&[("SYSTEM_DEBUG", "True")]);
        Agent::new(&verbose).debug("shown");
        assert_eq!(verbose.lines(), vec!["##[debug]shown"]);
    }

    #[test]
    fn failing_writes_one_error_issue_then_the_failed_result() {
        let host = FakeHost::new(&[]);
        Agent::new(&host).fail("50% broken; see ]");
        assert_eq!(
            host.lines(),
            vec![
                "##vso[task.logissue type=error;]50%AZP25 broken; see ]",
                "##vso[task.complete result=Failed;]50%AZP25 broken; see ]",
            ]
        );
    }
}
