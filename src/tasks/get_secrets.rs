//! Task `akeyless-get-secrets-value-task`: static secrets into secret pipeline variables.
//!
//! Folder entries are expanded first (see `tasks::folders`); then every path is fetched, in
//! batched requests, before any variable is set, so the step sets all its variables or none;
//! `tasks::delivery` then registers and sets them.

use rustc_hash::FxHashMap;
use serde_json::Value;

use crate::agent::{Agent, InputError};
use crate::akeyless::secret_value::{Accessibility, GetSecretValue, SecretValues};
use crate::grammar::{self, Assignment};
use crate::host::Host;
use crate::tasks;
use crate::tasks::cleanup::Cleanup;
use crate::tasks::{
    delivery, explain_refused_token, folders, version_input, TaskError, CONNECTION_INPUT,
};

pub const TASK_NAME: &str = "akeyless-get-secrets-value-task";
const PATHS_INPUT: &str = "secretsPaths";
const IGNORE_CACHE_INPUT: &str = "ignoreCache";
const ACCESSIBILITY_INPUT: &str = "accessibility";

/// Paths per `/get-secret-value` request. The API takes any number, but a request body must
/// stay within what gateways and proxies accept (1 MB is a common default limit): 500 paths
/// of even 1 KB each stay under it. Each chunk costs a round trip, so fewer is faster: 1,000
/// secrets take two.
const NAMES_PER_REQUEST: usize = 500;

pub async fn run<H: Host>(
    agent: &Agent<'_, H>,
    cleanup: &mut Cleanup,
) -> Result<String, TaskError> {
    let endpoint = agent.endpoint(CONNECTION_INPUT)?;
    let paths =
        grammar::parse_secret_paths(&agent.required_input(PATHS_INPUT)?).map_err(|error| {
            InputError::Invalid {
                input: PATHS_INPUT.to_string(),
                problem: error.to_string(),
            }
        })?;
    let ignore_cache = agent.bool_input(IGNORE_CACHE_INPUT);
    let accessibility = accessibility_input(agent)?;
    let version = version_input(agent)?;
    let client = tasks::client(agent, &endpoint.url)?;
    let token = tasks::token_or_login(agent, &endpoint, &client, cleanup).await?;

    let mut entries = paths.entries;
    if !paths.folders.is_empty() {
        let expanding = folders::expand(agent, &client, &token, &paths.folders, &entries);
        entries.extend(tasks::rarely_taken(expanding).await?);
    }
    let unique_paths = grammar::unique_targets(&entries);
    agent.info(&format!(
        "Fetching {} secret path(s) from Akeyless for {} variable(s).",
        unique_paths.len(),
        entries.len()
    ));
    let mut received = FxHashMap::with_capacity_and_hasher(unique_paths.len(), Default::default());
    for names in unique_paths.chunks(NAMES_PER_REQUEST) {
        let request = GetSecretValue::new(names, &token, ignore_cache, accessibility, version);
        let chunk = client.call(&request).await.map_err(explain_refused_token)?;
        received.extend(register_values(agent, chunk)?);
    }
    let Some(per_entry) = entries
        .iter()
        .map(|entry| received.get(&entry.target).map(String::as_str))
        .collect()
    else {
        return Err(missing_values(&unique_paths, &received));
    };
    let deliveries = delivery::plan(PATHS_INPUT, &entries, per_entry)?;
    delivery::deliver(agent, &deliveries, cleanup)?;
    let message = format!(
        "Set {} secret variable(s) from Akeyless: {}.",
        entries.len(),
        name_list(&entries)
    );
    // Thousands of strings: freed with the process rather than one by one.
    tasks::left_to_process_exit(deliveries);
    tasks::left_to_process_exit((received, entries));
    Ok(message)
}

/// Each value of a reply as text (a string as it is, anything else as compact JSON; null
/// left out), registered as soon as the reply arrives, before anything else is printed.
/// Fails first if one is too large to deliver, naming its path, never quoting it.
fn register_values<H: Host>(
    agent: &Agent<'_, H>,
    chunk: SecretValues,
) -> Result<Vec<(String, String)>, TaskError> {
    let texts: Vec<(String, String)> = chunk
        .0
        .into_iter()
        .filter_map(|(path, value)| match value {
            Value::Null => None,
            Value::String(text) => Some((path, text)),
            other => Some((path, other.to_string())),
        })
        .collect();
    for (path, text) in &texts {
        delivery::check_size(text.len(), || format!("The secret '{path}'"))?;
    }
    for (_, text) in &texts {
        agent.register_secret(text);
    }
    Ok(texts)
}

/// The first variable names, enough to recognise the list without flooding the log.
fn name_list(entries: &[Assignment]) -> String {
    const SHOWN: usize = 10;
    let names: Vec<&str> = entries
        .iter()
        .take(SHOWN)
        .map(|e| e.variable.as_str())
        .collect();
    match entries.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!("{} and {more} more", names.join(", ")),
        _ => names.join(", "),
    }
}

/// The `accessibility` pick list; `regular` when not set.
fn accessibility_input<H: Host>(agent: &Agent<'_, H>) -> Result<Accessibility, TaskError> {
    let Some(text) = agent.input(ACCESSIBILITY_INPUT) else {
        return Ok(Accessibility::Regular);
    };
    Accessibility::parse(&text).ok_or_else(|| {
        InputError::Invalid {
            input: ACCESSIBILITY_INPUT.to_string(),
            problem: format!("it is '{}'; use {}.", text.trim(), Accessibility::CHOICES),
        }
        .into()
    })
}

/// The failure naming every requested path the replies lacked or left null.
fn missing_values(paths: &[&str], received: &FxHashMap<String, String>) -> TaskError {
    let missing: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|path| !received.contains_key(*path))
        .collect();
    TaskError::Message(format!(
        "Akeyless returned no value for {} of the {} requested path(s): {}. No variable was \
             set. Check the spelling of each path and that the auth method's access role may \
             read it.",
        missing.len(),
        paths.len(),
        missing.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::multiline;
    use crate::host::fake::{with_connection, FakeHost};
    use crate::tasks;
    use crate::tasks::delivery::MAX_VALUE_BYTES;

    fn host_with(paths: &str, extra: &[(&str, &str)]) -> FakeHost {
        let mut env = vec![
            ("INPUT_TOKEN", "t-token-1234"),
            ("INPUT_SECRETSPATHS", paths),
        ];
        env.extend_from_slice(extra);
        with_connection("https://api.akeyless.io", &env)
    }

    fn body(host: &FakeHost, index: usize) -> Value {
        serde_json::from_str(&host.requests()[index].body).unwrap()
    }

    fn failure(lines: &[String]) -> &str {
        assert!(lines
            .last()
            .unwrap()
            .starts_with("##vso[task.complete result=Failed;]"));
        assert!(!lines.iter().any(|l| l.contains("task.setvariable")));
        lines
            .iter()
            .find_map(|l| l.strip_prefix("##vso[task.logissue type=error;]"))
            .unwrap()
    }

    #[test]
    fn one_request_fetches_every_distinct_path_with_the_defaults() {
        let host = host_with("a=/x, b=/y, c=/x", &[]);
        host.answer(200, r#"{"/x":"vx-secret","/y":"vy-secret"}"#);
        tasks::lines_of_run(TASK_NAME, &host);
        assert_eq!(host.requests().len(), 1);
        assert_eq!(
            host.requests()[0].url,
            "https://api.akeyless.io/get-secret-value"
        );
        assert_eq!(
            body(&host, 0),
            serde_json::json!({"names":["/x","/y"],"token":"t-token-1234","ignore-cache":"false","accessibility":"regular"})
        );
    }

    #[test]
    fn every_value_is_registered_before_the_first_variable_is_set() {
        let host = host_with("a=/x,b=/y", &[]);
        host.answer(200, r#"{"/x":"vx-secret","/y":"vy-secret"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let first_set = lines
            .iter()
            .position(|l| l.contains("task.setvariable"))
            .unwrap();
        for value in ["vx-secret", "vy-secret"] {
            let registered = lines
                .iter()
                .position(|l| *l == format!("##vso[task.setsecret]{value}"))
                .unwrap();
            assert!(registered < first_set, "{value}");
        }
    }

    #[test]
    fn values_are_registered_as_they_arrive_before_the_next_request() {
        let paths: Vec<String> = (0..501).map(|n| format!("v{n}=/p/{n}")).collect();
        let host = host_with(&paths.join(","), &[("SYSTEM_DEBUG", "true")]);
        let first: serde_json::Map<String, Value> = (0..500)
            .map(|n| (format!("/p/{n}"), Value::from(format!("value-number-{n}"))))
            .collect();
        host.answer(200, &Value::Object(first).to_string());
        host.answer(200, r#"{"/p/500":"value-number-500"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let registered = lines
            .iter()
            .position(|l| l == "##vso[task.setsecret]value-number-499")
            .unwrap();
        let second_request = lines
            .iter()
            .rposition(|l| l.contains("get-secret-value attempt 1"))
            .unwrap();
        assert!(registered < second_request);
    }

    #[test]
    fn a_value_too_large_for_a_variable_fails_naming_its_path_and_sets_nothing() {
        let host = host_with("a=/small,b=/large", &[]);
        let large = "%".repeat(30 * 1024 * 1024);
        host.answer(
            200,
            &serde_json::json!({"/small": "small-value", "/large": large}).to_string(),
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert_eq!(
            failure(&lines),
            "The secret '/large' is 30720 KiB, more than the 64 KiB a pipeline variable can \
             carry (the agent passes variables to later steps in their environment, where Linux \
             allows 128 KiB at most). No variable was set."
        );
        assert!(
            lines.iter().all(|l| l.len() < 1_000),
            "no line carries the value"
        );
    }

    #[test]
    fn a_value_of_exactly_the_limit_is_delivered() {
        let host = host_with("a=/x", &[]);
        let value = "v".repeat(MAX_VALUE_BYTES);
        host.answer(200, &serde_json::json!({ "/x": value }).to_string());
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines
            .last()
            .unwrap()
            .starts_with("##vso[task.complete result=Succeeded;]"));
    }

    #[test]
    fn a_file_entry_writes_the_value_byte_for_byte_and_sets_the_path_as_a_plain_variable() {
        let host = host_with(
            "file:deploy_key=/ssh/key,plain=/x",
            &[("AGENT_TEMPDIRECTORY", "/agent/_temp")],
        );
        let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n";
        host.answer(
            200,
            &serde_json::json!({"/ssh/key": pem, "/x": "vx-secret"}).to_string(),
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let path = "/agent/_temp/akeyless-00000000000000000000000000000001/deploy_key";
        assert_eq!(host.file(path).as_deref(), Some(pem));
        assert_eq!(host.mode(path), Some(0o600));
        assert!(lines.contains(&format!(
            "##vso[task.setvariable variable=deploy_key;isoutput=true;]{path}"
        )));
        assert!(lines.contains(&format!(
            "##vso[task.setvariable variable=deploy_key;]{path}"
        )));
        assert!(lines.contains(&"##vso[task.setsecret]b3BlbnNzaC1rZXktdjE=".to_string()));
        assert!(!lines.iter().any(|l| l.contains("deploy_key_ENCODING")));
    }

    #[test]
    fn a_self_login_is_recorded_for_revocation_before_the_secrets_are_fetched() {
        let host = host_with(
            "a=/x",
            &[
                ("INPUT_TOKEN", ""),
                (
                    "ENDPOINT_DATA_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_ACCESSID",
                    "p-abcdefghij12a3",
                ),
                (
                    "ENDPOINT_AUTH_PARAMETER_0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b_APITOKEN",
                    "stored-key-123",
                ),
            ],
        );
        host.answer(200, r#"{"token":"t-self-99","expiration":"2030-01-01"}"#);
        host.answer(500, r#"{"error":"down"}"#);
        host.answer(500, r#"{"error":"down"}"#);
        host.answer(500, r#"{"error":"down"}"#);
        host.answer(500, r#"{"error":"down"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let record = lines
            .iter()
            .find_map(|l| {
                l.strip_prefix(
                    "##vso[task.settaskvariable variable=AKEYLESS_CLEANUP;issecret=true;]",
                )
            })
            .expect("a clean-up record even though the step failed");
        let record: serde_json::Value = serde_json::from_str(record).unwrap();
        assert_eq!(
            record,
            serde_json::json!({"token":"t-self-99","revoke_token":true,"token_expiration":"2030-01-01"})
        );
        assert!(lines.last().unwrap().contains("result=Failed"));
    }

    #[test]
    fn a_token_from_an_auth_step_leaves_nothing_to_clean_up() {
        let host = host_with("a=/x", &[]);
        host.answer(200, r#"{"/x":"vx-secret"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(!lines.iter().any(|l| l.contains("task.settaskvariable")));
    }

    #[test]
    fn each_variable_is_set_as_a_secret_output_and_job_variable() {
        let host = host_with("a=/x", &[]);
        host.answer(200, r#"{"/x":"vx-secret"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines.contains(
            &"##vso[task.setvariable variable=a;issecret=true;isoutput=true;]vx-secret".into()
        ));
        assert!(
            lines.contains(&"##vso[task.setvariable variable=a;issecret=true;]vx-secret".into())
        );
    }

    #[test]
    fn a_reserved_name_is_an_output_only_with_a_warning() {
        let host = host_with("endpoint_config=/x", &[]);
        host.answer(200, r#"{"/x":"vx-secret"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let sets: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains("task.setvariable"))
            .collect();
        assert_eq!(
            sets,
            vec!["##vso[task.setvariable variable=endpoint_config;issecret=true;isoutput=true;]vx-secret"]
        );
        assert!(lines
            .iter()
            .any(|l| l.starts_with("##vso[task.logissue type=warning;]")
                && l.contains("$(endpoint_config) would not work")));
    }

    #[test]
    fn paths_beyond_one_chunk_are_fetched_in_several_requests() {
        let list: Vec<String> = (0..1250).map(|i| format!("v{i}=/p/{i}")).collect();
        let host = host_with(&list.join(","), &[]);
        for chunk in 0..3 {
            let reply: serde_json::Map<String, Value> = (chunk * 500
                ..(chunk * 500 + 500).min(1250))
                .map(|i| (format!("/p/{i}"), Value::String(format!("value-{i}"))))
                .collect();
            host.answer(200, &Value::Object(reply).to_string());
        }
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert_eq!(host.requests().len(), 3);
        assert_eq!(body(&host, 2)["names"].as_array().unwrap().len(), 250);
        assert!(lines.last().unwrap().contains("result=Succeeded"));
    }

    #[test]
    fn the_summary_names_the_first_ten_variables() {
        let entries: Vec<Assignment> = (0..12)
            .map(|i| Assignment {
                variable: format!("v{i}"),
                target: format!("/p/{i}"),
                to_file: false,
            })
            .collect();
        assert_eq!(
            name_list(&entries),
            "v0, v1, v2, v3, v4, v5, v6, v7, v8, v9 and 2 more"
        );
        assert_eq!(name_list(&entries[..2]), "v0, v1");
    }

    #[test]
    fn a_missing_path_fails_naming_every_missing_path_and_sets_nothing() {
        let host = host_with("a=/x,b=/y,c=/z", &[]);
        host.answer(200, r#"{"/x":"vx-secret","/z":null}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let error = failure(&lines);
        assert!(
            error.contains("no value for 2 of the 3 requested path(s): /y, /z"),
            "{error}"
        );
    }

    #[test]
    fn a_json_object_value_is_set_as_compact_json_and_its_leaves_registered() {
        let host = host_with("cfg=/x", &[]);
        host.answer(
            200,
            r#"{"/x":{"user": "app_user", "password": "hunter22"}}"#,
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines.contains(
            &r#"##vso[task.setvariable variable=cfg;issecret=true;]{"user":"app_user","password":"hunter22"}"#.into()
        ));
        assert!(lines.contains(&"##vso[task.setsecret]hunter22".into()));
        assert!(lines.contains(&"##vso[task.setsecret]app_user".into()));
    }

    #[test]
    fn a_multi_line_value_is_base64_with_a_marker_variable() {
        let host = host_with("tls_key=/x", &[]);
        host.answer(200, r#"{"/x":"line-one\nline-two\n"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let encoded = multiline::base64(b"line-one\nline-two\n");
        assert!(lines.contains(&format!(
            "##vso[task.setvariable variable=tls_key;issecret=true;]{encoded}"
        )));
        assert!(lines.contains(&"##vso[task.setvariable variable=tls_key_ENCODING;]base64".into()));
        assert!(lines.contains(&"##vso[task.setsecret]line-one".into()));
    }

    #[test]
    fn every_value_as_set_is_registered_before_the_first_variable_is_set() {
        let host = host_with("a=/plain, b=/lines", &[]);
        host.answer(200, r#"{"/plain":"plain-value-1","/lines":"one-1\ntwo-2"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let first_set = lines
            .iter()
            .position(|l| l.starts_with("##vso[task.setvariable"))
            .unwrap();
        let encoded = multiline::base64(b"one-1\ntwo-2");
        for value in ["plain-value-1", "one-1\ntwo-2", &encoded] {
            let registered = format!("##vso[task.setsecret]{}", value.replace('\n', "%0A"));
            let at = lines.iter().position(|l| *l == registered);
            assert!(at.is_some_and(|at| at < first_set), "{registered}");
        }
    }

    #[test]
    fn an_encoding_marker_that_clashes_with_an_entry_fails_before_setting() {
        let host = host_with("k=/x,K_encoding=/y", &[]);
        host.answer(200, r#"{"/x":"a\nb","/y":"plain-value"}"#);
        let error = failure(&tasks::lines_of_run(TASK_NAME, &host)).to_string();
        assert!(error.contains("'k_ENCODING'"), "{error}");
    }

    #[test]
    fn options_reach_the_wire_with_their_json_types() {
        let host = host_with(
            "a=/x",
            &[
                ("INPUT_IGNORECACHE", "True"),
                ("INPUT_ACCESSIBILITY", "personal"),
                ("INPUT_VERSION", " 7 "),
            ],
        );
        host.answer(200, r#"{"/x":"vx-secret"}"#);
        tasks::lines_of_run(TASK_NAME, &host);
        let body = body(&host, 0);
        assert_eq!(body["ignore-cache"], "true");
        assert_eq!(body["accessibility"], "personal");
        assert_eq!(body["version"], 7);
    }

    #[test]
    fn a_bad_accessibility_or_version_fails_naming_the_input() {
        let host = host_with("a=/x", &[("INPUT_ACCESSIBILITY", "public")]);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let error = failure(&lines);
        assert!(
            error.contains("'accessibility'") && error.contains("regular, personal or sharing")
        );

        let host = host_with("a=/x", &[("INPUT_VERSION", "-2")]);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(failure(&lines).contains("'version'"));
        assert!(host.requests().is_empty());
    }

    #[test]
    fn a_grammar_error_fails_naming_secrets_paths_and_the_entry() {
        let host = host_with("a=/x,oops", &[]);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let error = failure(&lines);
        assert!(
            error.starts_with("The input 'secretsPaths' is not valid: entry 2 ('oops')"),
            "{error}"
        );
    }

    #[test]
    fn an_unexpanded_token_variable_fails_explaining_the_step_name() {
        let host = with_connection(
            "https://gw",
            &[
                ("INPUT_TOKEN", "$(Auth.akeylessToken)"),
                ("INPUT_SECRETSPATHS", "a=/x"),
            ],
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(failure(&lines).contains("'$(Auth.akeylessToken)', a variable that does not exist"));
    }

    #[test]
    fn a_refused_token_fails_with_a_hint() {
        let host = host_with("a=/x", &[]);
        host.answer(401, r#"{"error":"token expired"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let error = failure(&lines);
        assert!(
            error.contains("HTTP 401: token expired. The token was refused"),
            "{error}"
        );
    }
}
