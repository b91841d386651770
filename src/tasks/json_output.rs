//! How the dynamic and rotated secret tasks end: the reply as one secret output variable of
//! compact JSON, plus the `fields` exported as variables of their own.
//!
//! Everything is checked first (the reply's size, every field resolved, every marker free),
//! then every secret string is registered, then the variables are set, so the step sets all
//! or nothing. A task registers the reply's leaves with [`register_reply`] as soon as it has
//! it, before it prints anything from it.

use serde_json::Value;

use crate::agent::{Agent, VariableKind};
use crate::grammar::Assignment;
use crate::host::Host;
use crate::tasks::cleanup::Cleanup;
use crate::tasks::fields::{self, FIELDS_INPUT};
use crate::tasks::{delivery, TaskError};

/// Sets `output` to `document` as compact JSON and exports `field_list` from it.
pub fn publish<H: Host>(
    agent: &Agent<'_, H>,
    output: &str,
    document: &Value,
    field_list: &[Assignment],
    cleanup: &mut Cleanup,
) -> Result<(), TaskError> {
    let field_values = fields::values(field_list, document)?;
    let deliveries = delivery::plan(
        FIELDS_INPUT,
        field_list,
        field_values.iter().map(String::as_str).collect(),
    )?;
    let json = document.to_string();
    agent.register_secret(&json);
    delivery::deliver(agent, &deliveries, cleanup)?;
    agent.set_variable(output, &json, VariableKind::SECRET_OUTPUT);
    agent.summarize(
        format!("$(<step name>.{output})"),
        "the whole reply, as JSON",
    );
    Ok(())
}

/// Checks the size of a secret's `reply` (described by `what`), then registers every string
/// leaf of it but its top-level `error`, the server's explanation, which is meant to be read
/// (and which can then quote none of the other leaves).
pub fn register_reply<H: Host>(
    agent: &Agent<'_, H>,
    what: &str,
    reply: &Value,
) -> Result<(), TaskError> {
    delivery::check_size(reply.to_string().len(), || what.to_string())?;
    let mut without_error = reply.clone();
    if let Value::Object(fields) = &mut without_error {
        fields.shift_remove("error");
    }
    agent.register_leaves(&without_error);
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use crate::agent::masking;
    use crate::akeyless::dynamic_secret;
    use crate::grammar::Assignment;
    use crate::tasks::fields;

    /// Any JSON document, strings included that themselves hold JSON.
    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            Just(Value::String(
                r#"{"k":"nested-secret","n":[1,"x"]}"#.to_string()
            )),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-z]{1,6}", inner), 0..6)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_reply_normalises_without_panicking(reply in json()) {
            let _ = dynamic_secret::normalise(reply);
        }

        #[test]
        fn any_field_path_resolves_or_fails_cleanly(document in json(), path in "[a-z0-9.]{1,20}") {
            let fields = [Assignment { variable: "v".to_string(), target: path, to_file: false }];
            let _ = fields::values(&fields, &document);
        }

        #[test]
        fn every_string_registered_is_non_blank_and_unique(document in json(), text in ".*") {
            for value in [document.to_string(), text] {
                let registered = masking::strings_to_register(&value);
                prop_assert!(registered.iter().all(|s| !s.trim().is_empty()));
                let unique: std::collections::HashSet<&String> = registered.iter().collect();
                prop_assert_eq!(unique.len(), registered.len());
            }
        }
    }
}
