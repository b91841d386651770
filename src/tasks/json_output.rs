//! How the dynamic and rotated secret tasks end: the reply as one secret output variable of
//! compact JSON, plus the `fields` exported as variables of their own.
//!
//! Everything is checked first (every field resolved, every marker free), then every secret
//! string is registered, then the variables are set, so the step sets all or nothing.

use serde_json::Value;

use crate::agent::{masking, Agent, VariableKind};
use crate::grammar::Assignment;
use crate::host::Host;
use crate::tasks::fields::{self, FIELDS_INPUT};
use crate::tasks::{delivery, TaskError};

/// Sets `output` to `document` as compact JSON and exports `field_list` from it.
pub fn publish<H: Host>(
    agent: &Agent<'_, H>,
    output: &str,
    document: &Value,
    field_list: &[Assignment],
) -> Result<(), TaskError> {
    let field_values = fields::values(field_list, document)?;
    let deliveries = delivery::plan(FIELDS_INPUT, field_list, field_values)?;
    let json = document.to_string();
    for secret in masking::strings_to_register(&json) {
        agent.register_secret(&secret);
    }
    delivery::deliver(agent, &deliveries);
    agent.set_variable(output, &json, VariableKind::SECRET_OUTPUT);
    Ok(())
}

/// `", and 2 field variable(s)"` when `fields` was used.
pub fn fields_summary(count: usize) -> String {
    if count == 0 {
        String::new()
    } else {
        format!(", and {count} field variable(s)")
    }
}
