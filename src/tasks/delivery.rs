//! Setting secret values as pipeline variables, shared by `secretsPaths` and `fields`.
//!
//! Each value becomes a secret output variable (`$(<step>.<name>)`) and a secret job variable
//! (`$(<name>)`); a name the agent hides from later steps gets the output only and a warning.
//! A value with line breaks is delivered base64-encoded with a plain `<name>_ENCODING` marker
//! (see `agent::multiline`). A `file:` entry's value is written, as it is, to a file (see
//! `tasks::files`) and the variable, plain, holds the file's path. Every value is registered
//! with the masker before the first variable is set, and every check runs (and every file is
//! written) before that, so a step sets all or nothing.
//!
//! A value may hold at most [`MAX_VALUE_BYTES`]. The agent hands every variable to every later
//! Node step as an environment variable, and Linux refuses to start a process with one
//! environment string over 128 KiB: a larger secret variable would stop the job's later tasks
//! from starting at all. 64 KiB stays clear of that once base64 adds its third (Akeyless
//! documents 16 KB as the largest static secret), and it keeps the log lines that carry
//! values bounded.

use rustc_hash::FxHashMap;

use crate::agent::multiline::{self, BASE64, ENCODING_SUFFIX};
use crate::agent::{Agent, Registered, VariableKind};
use crate::grammar::{self, Assignment};
use crate::host::Host;
use crate::tasks::cleanup::Cleanup;
use crate::tasks::files::SecretFiles;
use crate::tasks::TaskError;

/// The largest value a variable is set to, in bytes of UTF-8 (before any base64).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// Fails when a value of `bytes` bytes is too large to deliver as a variable, naming it with
/// `what()` (a phrase such as "The secret '/a/b'", only built then). Runs before the value is
/// registered or printed.
pub fn check_size(bytes: usize, what: impl FnOnce() -> String) -> Result<(), TaskError> {
    if bytes <= MAX_VALUE_BYTES {
        return Ok(());
    }
    Err(TaskError::Message(format!(
        "{} is {} KiB, more than the {} KiB a pipeline variable can carry (the agent passes \
         variables to later steps in their environment, where Linux allows 128 KiB at most). \
         No variable was set.",
        what(),
        bytes.div_ceil(1024),
        MAX_VALUE_BYTES / 1024
    )))
}

/// One variable as it will be set.
pub struct Delivery<'a> {
    assignment: &'a Assignment,
    /// The secret as Akeyless holds it.
    raw: &'a str,
    /// Its base64 form, set in its place, when it has line breaks.
    encoded: Option<String>,
    /// Whether the agent hides a job variable of this name (worked out once: each delivery
    /// asks several times, and a step can have thousands).
    reserved: bool,
}

/// Plans the delivery of each `(assignment, value)` named in the input `input`; fails if an
/// encoding marker would overwrite another of the assignments.
pub fn plan<'a>(
    input: &str,
    assignments: &'a [Assignment],
    values: Vec<&'a str>,
) -> Result<Vec<Delivery<'a>>, TaskError> {
    let mut deliveries = Vec::with_capacity(assignments.len());
    // Built when the first value needs a marker; most steps have none.
    let mut by_name: Option<FxHashMap<String, &Assignment>> = None;
    for (assignment, raw) in assignments.iter().zip(values) {
        let encoded = !assignment.to_file && multiline::needs_encoding(raw);
        if encoded {
            let marker = marker_name(&assignment.variable);
            let by_name = by_name.get_or_insert_with(|| {
                assignments
                    .iter()
                    .map(|a| (grammar::variable_key(&a.variable), a))
                    .collect()
            });
            if let Some(clash) = by_name.get(&grammar::variable_key(&marker)) {
                return Err(TaskError::Message(format!(
                    "The value for '{}' has line breaks, so it is delivered base64-encoded with \
                     the marker variable '{marker}', but '{input}' also sets '{}'. Rename one \
                     of them. No variable was set.",
                    assignment.variable, clash.variable
                )));
            }
        }
        deliveries.push(Delivery {
            assignment,
            encoded: encoded.then(|| multiline::base64(raw.as_bytes())),
            raw,
            reserved: assignment.is_reserved(),
        });
    }
    Ok(deliveries)
}

/// Registers every value, explains the unusual ones, writes the files of `file:` entries,
/// then sets every variable.
pub fn deliver<H: Host>(
    agent: &Agent<'_, H>,
    deliveries: &[Delivery<'_>],
    cleanup: &mut Cleanup,
) -> Result<(), TaskError> {
    let values: Vec<Registered<'_>> = deliveries
        .iter()
        .map(|delivery| register(agent, delivery))
        .collect();
    for delivery in deliveries {
        explain(agent, delivery);
    }
    let mut files = SecretFiles::default();
    let mut file_paths = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        let assignment = delivery.assignment;
        file_paths.push(match assignment.to_file {
            true => Some(files.write(agent, cleanup, &assignment.variable, delivery.raw)?),
            false => None,
        });
    }
    for ((delivery, file_path), value) in deliveries.iter().zip(file_paths).zip(values) {
        summarize(agent, delivery, file_path.as_deref());
        match file_path {
            Some(path) => set_path_variables(agent, delivery, &path),
            None => set_variables(agent, delivery, value),
        }
    }
    Ok(())
}

/// Registers a delivery's secret and, when it is set base64-encoded, that form too: the
/// proof for the value as set.
fn register<'d, H: Host>(agent: &Agent<'_, H>, delivery: &'d Delivery<'_>) -> Registered<'d> {
    let raw = agent.register_secret(delivery.raw);
    match &delivery.encoded {
        Some(encoded) => agent.register_secret(encoded),
        None => raw,
    }
}

/// Sets a `file:` entry's variable to the file's path: plain, as an output and (unless the
/// agent reserves the name) a job variable.
fn set_path_variables<H: Host>(agent: &Agent<'_, H>, delivery: &Delivery<'_>, path: &str) {
    let name = &delivery.assignment.variable;
    agent.set_variable(name, path, VariableKind::PLAIN_OUTPUT);
    if !delivery.reserved {
        agent.set_variable(name, path, VariableKind::PLAIN_JOB);
    }
}

/// The run-summary row of one delivery: the variable, where its value came from and how it
/// was delivered; never the value.
fn summarize<H: Host>(agent: &Agent<'_, H>, delivery: &Delivery<'_>, file_path: Option<&str>) {
    let assignment = delivery.assignment;
    let how = match file_path {
        Some(path) => [", written to the file ", path],
        None if delivery.encoded.is_some() => [", base64-encoded", ""],
        None => ["", ""],
    };
    // A reserved name is set only as an output variable (see `explain`).
    let step = match delivery.reserved {
        true => "<step name>.",
        false => "",
    };
    agent.summarize_parts(
        &["$(", step, &assignment.variable, ")"],
        &[&assignment.target, how[0], how[1]],
    );
}

fn marker_name(variable: &str) -> String {
    format!("{variable}{ENCODING_SUFFIX}")
}

/// Tells the author about a delivery that differs from the plain case.
fn explain<H: Host>(agent: &Agent<'_, H>, delivery: &Delivery<'_>) {
    let name = &delivery.assignment.variable;
    if delivery.reserved {
        agent.warning(&format!(
            "The variable name '{name}' starts with a prefix the agent reserves (endpoint, \
             input, secret, path, securefile), so it is set only as the output variable \
             $(<step name>.{name}); $({name}) would not work."
        ));
    }
    if delivery.encoded.is_some() {
        agent.info(&format!(
            "'{name}' holds line breaks, so it is delivered base64-encoded and \
             {name}{ENCODING_SUFFIX} is set to {BASE64}; decode it with base64 -d."
        ));
    }
    if delivery.assignment.to_file {
        agent.info(&format!(
            "'{name}' is written to a file, byte for byte; the variable holds the file's path, \
             and the file is deleted when the job ends."
        ));
    }
    if delivery.raw.is_empty() {
        agent.info(&format!(
            "'{name}' is empty in Akeyless; the variable is set to an empty value."
        ));
    }
}

/// Sets a delivery's variables to `value`, its registered value as set.
fn set_variables<H: Host>(agent: &Agent<'_, H>, delivery: &Delivery<'_>, value: Registered<'_>) {
    let name = &delivery.assignment.variable;
    let job_variable_too = !delivery.reserved;
    agent.set_secret_variable(name, value, true);
    if job_variable_too {
        agent.set_secret_variable(name, value, false);
    }
    if delivery.encoded.is_some() {
        let marker = marker_name(name);
        agent.set_variable(&marker, BASE64, VariableKind::PLAIN_OUTPUT);
        if job_variable_too {
            agent.set_variable(&marker, BASE64, VariableKind::PLAIN_JOB);
        }
    }
}
