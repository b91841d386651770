//! `##vso[...]` logging commands: formatting and escaping exactly as the agent parses them.
//!
//! The agent unescapes `%3B %0D %0A %5D` and then `%AZP25` in both property values and data,
//! so `%` is always escaped first. Properties are written as `key=value;` with no space after
//! `;`, because the agent does not trim property keys.

/// Appends `text` to `line` escaped as data or, with `property`, as a property value. Steps
/// with thousands of variables go through here, so the text is scanned once, byte by byte
/// (every character escaped is ASCII), and copied in runs between escapes.
fn push_escaped(line: &mut String, text: &str, property: bool) {
    let mut copied_to = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'%' => "%AZP25",
            b'\r' => "%0D",
            b'\n' => "%0A",
            b']' if property => "%5D",
            b';' if property => "%3B",
            _ => continue,
        };
        line.push_str(&text[copied_to..at]);
        line.push_str(escape);
        copied_to = at + 1;
    }
    line.push_str(&text[copied_to..]);
}

/// Formats `##vso[<name> k=v;...]<data>` with every part escaped.
pub fn format(name: &str, properties: &[(&str, &str)], data: &str) -> String {
    let mut line = format!("##vso[{name}");
    for (index, (key, value)) in properties.iter().enumerate() {
        line.push(if index == 0 { ' ' } else { ';' });
        line.push_str(key);
        line.push('=');
        push_escaped(&mut line, value, true);
    }
    if !properties.is_empty() {
        line.push(';');
    }
    line.push(']');
    push_escaped(&mut line, data, false);
    line
}

/// Attaches the Markdown file at `path` to the run's summary page.
pub fn upload_summary(path: &str) -> String {
    format("task.uploadsummary", &[], path)
}

/// Appends the line that registers `value` with the agent's masker to `line`: what [`format`]
/// gives for `task.setsecret`, written directly (a step with 1,000 secrets writes 1,000).
pub fn push_set_secret(line: &mut String, value: &str) {
    line.push_str("##vso[task.setsecret]");
    push_escaped(line, value, false);
}

/// How a variable is set: secret or plain, output (`$(<step>.<name>)`) or job (`$(<name>)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariableKind {
    pub secret: bool,
    pub output: bool,
}

impl VariableKind {
    pub const SECRET_OUTPUT: VariableKind = VariableKind {
        secret: true,
        output: true,
    };
    pub const SECRET_JOB: VariableKind = VariableKind {
        secret: true,
        output: false,
    };
    pub const PLAIN_OUTPUT: VariableKind = VariableKind {
        secret: false,
        output: true,
    };
    pub const PLAIN_JOB: VariableKind = VariableKind {
        secret: false,
        output: false,
    };
}

/// Appends the line that sets the variable `name` to `line`, the flags that are false left
/// out, as task-lib does: what [`format`] gives for `task.setvariable`, written directly (a
/// step with 1,000 secrets writes 2,000; the flags need no escaping).
pub fn push_set_variable(line: &mut String, name: &str, value: &str, kind: VariableKind) {
    line.push_str("##vso[task.setvariable variable=");
    push_escaped(line, name, true);
    line.push_str(match (kind.secret, kind.output) {
        (true, true) => ";issecret=true;isoutput=true;]",
        (true, false) => ";issecret=true;]",
        (false, true) => ";isoutput=true;]",
        (false, false) => ";]",
    });
    push_escaped(line, value, false);
}

/// Hands `value` to the later steps of the same task instance (its post-job step), which read
/// it as `VSTS_TASKVARIABLE_<NAME>`; always secret, so the agent masks it.
pub fn set_task_variable(name: &str, value: &str) -> String {
    format(
        "task.settaskvariable",
        &[("variable", name), ("issecret", "true")],
        value,
    )
}

/// The severity of an issue the task reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueType {
    Error,
    Warning,
}

/// Reports an issue shown in the run summary. `message` must already be safe to print.
pub fn log_issue(kind: IssueType, message: &str) -> String {
    let kind = match kind {
        IssueType::Error => "error",
        IssueType::Warning => "warning",
    };
    format("task.logissue", &[("type", kind)], message)
}

/// The result a task ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskResult {
    Succeeded,
    Failed,
}

/// Ends the task with `result`; `message` becomes the step's status text.
pub fn complete(result: TaskResult, message: &str) -> String {
    let result = match result {
        TaskResult::Succeeded => "Succeeded",
        TaskResult::Failed => "Failed",
    };
    format("task.complete", &[("result", result)], message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape_data(value: &str) -> String {
        let mut escaped = String::new();
        push_escaped(&mut escaped, value, false);
        escaped
    }

    fn escape_property(value: &str) -> String {
        let mut escaped = String::new();
        push_escaped(&mut escaped, value, true);
        escaped
    }

    fn set_secret(value: &str) -> String {
        let mut line = String::new();
        push_set_secret(&mut line, value);
        line
    }

    fn set_variable(name: &str, value: &str, kind: VariableKind) -> String {
        let mut line = String::new();
        push_set_variable(&mut line, name, value, kind);
        line
    }

    #[test]
    fn percent_is_escaped_first_so_it_is_never_doubled() {
        assert_eq!(escape_data("50% done"), "50%AZP25 done");
        assert_eq!(escape_data("%0A"), "%AZP250A");
    }

    #[test]
    fn data_escapes_line_breaks_but_keeps_brackets_and_semicolons() {
        assert_eq!(escape_data("a\r\nb ] ; c"), "a%0D%0Ab ] ; c");
    }

    #[test]
    fn property_values_also_escape_brackets_and_semicolons() {
        assert_eq!(escape_property("a;b]c%d\ne"), "a%3Bb%5Dc%AZP25d%0Ae");
    }

    #[test]
    fn the_worked_example_from_the_protocol_reference() {
        assert_eq!(
            format(
                "task.logissue",
                &[("type", "warning"), ("sourcepath", "a;b]c%d\ne")],
                "x"
            ),
            "##vso[task.logissue type=warning;sourcepath=a%3Bb%5Dc%AZP25d%0Ae;]x"
        );
    }

    #[test]
    fn a_command_without_properties_has_no_space_before_the_bracket() {
        assert_eq!(set_secret("a;b]c%d"), "##vso[task.setsecret]a;b]c%AZP25d");
    }

    #[test]
    fn a_secret_output_variable_carries_both_flags() {
        assert_eq!(
            set_variable("akeylessToken", "t-1", VariableKind::SECRET_OUTPUT),
            "##vso[task.setvariable variable=akeylessToken;issecret=true;isoutput=true;]t-1"
        );
    }

    #[test]
    fn a_plain_job_variable_carries_no_flags() {
        assert_eq!(
            set_variable("a_ENCODING", "base64", VariableKind::PLAIN_JOB),
            "##vso[task.setvariable variable=a_ENCODING;]base64"
        );
        assert_eq!(
            set_variable("a", "v", VariableKind::SECRET_JOB),
            "##vso[task.setvariable variable=a;issecret=true;]v"
        );
    }

    #[test]
    fn a_variable_value_keeps_logging_command_text_as_escaped_data() {
        assert_eq!(
            set_variable("a", "x ##vso[task.complete result=Failed]%", VariableKind::SECRET_JOB),
            "##vso[task.setvariable variable=a;issecret=true;]x ##vso[task.complete result=Failed]%AZP25"
        );
    }

    #[test]
    fn a_task_variable_is_always_secret() {
        assert_eq!(
            set_task_variable("AKEYLESS_CLEANUP", "{\"a\":1}"),
            "##vso[task.settaskvariable variable=AKEYLESS_CLEANUP;issecret=true;]{\"a\":1}"
        );
    }

    #[test]
    fn failure_is_an_error_issue_and_a_failed_result() {
        assert_eq!(
            log_issue(IssueType::Error, "bad"),
            "##vso[task.logissue type=error;]bad"
        );
        assert_eq!(
            complete(TaskResult::Failed, "bad"),
            "##vso[task.complete result=Failed;]bad"
        );
    }

    /// A command as the agent reads it: name, properties, data.
    type Parsed = (String, Vec<(String, String)>, String);

    /// The agent's parser (Command.cs `TryParse`): prefix, first `]`, `;`-separated
    /// properties split at their first `=`, then its unescaping of values and data.
    fn agent_parse(line: &str) -> Option<Parsed> {
        let start = line.find("##vso[")? + "##vso[".len();
        let end = start + line[start..].find(']')?;
        let info = &line[start..end];
        let (name, rest) = info.split_once(' ').unwrap_or((info, ""));
        let properties = rest
            .split(';')
            .filter_map(|item| item.split_once('='))
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| (key.to_string(), agent_unescape(value)))
            .collect();
        Some((
            name.to_string(),
            properties,
            agent_unescape(&line[end + 1..]),
        ))
    }

    fn agent_unescape(text: &str) -> String {
        text.replace("%3B", ";")
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%5D", "]")
            .replace("%AZP25", "%")
    }

    proptest::proptest! {
        #[test]
        fn escaped_data_is_one_line_and_unescapes_to_itself(text in ".*") {
            let escaped = escape_data(&text);
            proptest::prop_assert!(!escaped.contains(['\r', '\n']));
            proptest::prop_assert_eq!(agent_unescape(&escaped), text);
        }

        #[test]
        fn escaped_property_values_unescape_to_themselves(text in ".*") {
            let escaped = escape_property(&text);
            proptest::prop_assert!(!escaped.contains(['\r', '\n', ';', ']']));
            proptest::prop_assert_eq!(agent_unescape(&escaped), text);
        }

        /// The direct writers give what the general formatter gives.
        #[test]
        fn set_variable_and_set_secret_are_format_written_directly(
            name in ".*",
            value in ".*",
            secret in proptest::bool::ANY,
            output in proptest::bool::ANY,
        ) {
            let mut properties = vec![("variable", name.as_str())];
            if secret {
                properties.push(("issecret", "true"));
            }
            if output {
                properties.push(("isoutput", "true"));
            }
            proptest::prop_assert_eq!(
                set_variable(&name, &value, VariableKind { secret, output }),
                format("task.setvariable", &properties, &value)
            );
            proptest::prop_assert_eq!(set_secret(&value), format("task.setsecret", &[], &value));
        }

        #[test]
        fn any_command_line_parses_back_to_what_was_written(
            variable in ".+",
            value in ".*",
            secret in proptest::bool::ANY,
        ) {
            let kind = VariableKind { secret, output: true };
            let line = set_variable(&variable, &value, kind);
            let (name, properties, data) = agent_parse(&line).unwrap();
            proptest::prop_assert_eq!(name, "task.setvariable");
            proptest::prop_assert_eq!(&properties[0], &("variable".to_string(), variable.clone()));
            proptest::prop_assert_eq!(properties.len(), if secret { 3 } else { 2 });
            proptest::prop_assert_eq!(data, value);
        }
    }
}
