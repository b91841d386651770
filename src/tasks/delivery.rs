//! Setting secret values as pipeline variables, shared by `secretsPaths` and `fields`.
//!
//! Each value becomes a secret output variable (`$(<step>.<name>)`) and a secret job variable
//! (`$(<name>)`); a name the agent hides from later steps gets the output only and a warning.
//! A value with line breaks is delivered base64-encoded with a plain `<name>_ENCODING` marker
//! (see `agent::multiline`). Every value is registered with the masker before the first
//! variable is set, and every check runs before that, so a step sets all or nothing.

use std::collections::HashMap;

use crate::agent::multiline::{self, BASE64, ENCODING_SUFFIX};
use crate::agent::{masking, Agent, VariableKind};
use crate::grammar::Assignment;
use crate::host::Host;
use crate::tasks::TaskError;

/// One variable as it will be set.
pub struct Delivery<'a> {
    assignment: &'a Assignment,
    /// The secret as Akeyless holds it.
    raw: String,
    /// The value as set: `raw`, or its base64 form when it has line breaks.
    value: String,
    encoded: bool,
}

/// Plans the delivery of each `(assignment, value)` named in the input `input`; fails if an
/// encoding marker would overwrite another of the assignments.
pub fn plan<'a>(
    input: &str,
    assignments: &'a [Assignment],
    values: Vec<String>,
) -> Result<Vec<Delivery<'a>>, TaskError> {
    let mut deliveries = Vec::new();
    let by_name: HashMap<String, &Assignment> = assignments
        .iter()
        .map(|a| (a.variable.to_ascii_lowercase(), a))
        .collect();
    for (assignment, raw) in assignments.iter().zip(values) {
        let encoded = multiline::needs_encoding(&raw);
        if encoded {
            let marker = marker_name(&assignment.variable);
            if let Some(clash) = by_name.get(&marker.to_ascii_lowercase()) {
                return Err(TaskError::Message(format!(
                    "The value for '{}' has line breaks, so it is delivered base64-encoded with \
                     the marker variable '{marker}', but '{input}' also sets '{}'. Rename one \
                     of them. No variable was set.",
                    assignment.variable, clash.variable
                )));
            }
        }
        let value = if encoded {
            multiline::base64(raw.as_bytes())
        } else {
            raw.clone()
        };
        deliveries.push(Delivery {
            assignment,
            raw,
            value,
            encoded,
        });
    }
    Ok(deliveries)
}

/// Registers every value, explains the unusual ones, then sets every variable.
pub fn deliver<H: Host>(agent: &Agent<'_, H>, deliveries: &[Delivery<'_>]) {
    for delivery in deliveries {
        for secret in masking::strings_to_register(&delivery.raw) {
            agent.register_secret(&secret);
        }
    }
    for delivery in deliveries {
        explain(agent, delivery);
    }
    for delivery in deliveries {
        set_variables(agent, delivery);
    }
}

fn marker_name(variable: &str) -> String {
    format!("{variable}{ENCODING_SUFFIX}")
}

/// Tells the author about a delivery that differs from the plain case.
fn explain<H: Host>(agent: &Agent<'_, H>, delivery: &Delivery<'_>) {
    let name = &delivery.assignment.variable;
    if delivery.assignment.is_reserved() {
        agent.warning(&format!(
            "The variable name '{name}' starts with a prefix the agent reserves (endpoint, \
             input, secret, path, securefile), so it is set only as the output variable \
             $(<step name>.{name}); $({name}) would not work."
        ));
    }
    if delivery.encoded {
        agent.info(&format!(
            "'{name}' holds line breaks, so it is delivered base64-encoded and \
             {name}{ENCODING_SUFFIX} is set to {BASE64}; decode it with base64 -d."
        ));
    }
    if delivery.raw.is_empty() {
        agent.info(&format!(
            "'{name}' is empty in Akeyless; the variable is set to an empty value."
        ));
    }
}

fn set_variables<H: Host>(agent: &Agent<'_, H>, delivery: &Delivery<'_>) {
    let name = &delivery.assignment.variable;
    let job_variable_too = !delivery.assignment.is_reserved();
    agent.set_variable(name, &delivery.value, VariableKind::SECRET_OUTPUT);
    if job_variable_too {
        agent.set_variable(name, &delivery.value, VariableKind::SECRET_JOB);
    }
    if delivery.encoded {
        let marker = marker_name(name);
        agent.set_variable(&marker, BASE64, VariableKind::PLAIN_OUTPUT);
        if job_variable_too {
            agent.set_variable(&marker, BASE64, VariableKind::PLAIN_JOB);
        }
    }
}
