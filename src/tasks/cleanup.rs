//! Nothing outlives the job (SPEC section 8): what a step leaves behind for its post-job step,
//! and the post-job step that takes it back.
//!
//! The main step keeps a [`Cleanup`] record and hands it on, as one secret task variable of
//! compact JSON, each time something is added: before a file is written, right after a token
//! or credentials are obtained. So a step that fails half way still leaves its post-job step
//! everything to undo. The post-job step (the same handlers, started by the agent after the
//! job's steps, in reverse order, whatever their result) reads it back and undoes it in
//! order: files and their directory, then the dynamic secret's credentials, then the token
//! (a step that logged in by itself, or an auth step asked to revoke), which the other
//! clean-up needs. What cannot be undone is one warning saying what is left and when it
//! expires by itself; the post-job step never fails the job.

use serde::{Deserialize, Serialize};

use crate::agent::{Agent, Endpoint};
use crate::akeyless::revocation::{DeleteTmpCreds, RevokeCreds, ValidateToken};
use crate::akeyless::{ApiError, Client};
use crate::host::Host;
use crate::tasks::{self, CONNECTION_INPUT};

/// The task variable that carries the record from the main step to the post-job step.
pub const TASK_VARIABLE: &str = "AKEYLESS_CLEANUP";

/// What a step leaves behind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cleanup {
    /// The token the clean-up requests use, and the one revoked when `revoke_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Revoke `token` at the end of the job.
    #[serde(default)]
    pub revoke_token: bool,
    /// When the token expires by itself, as Akeyless wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expiration: Option<String>,
    /// Dynamic secret credentials to delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<MintedCredentials>,
    /// The private directory of the files written, and the files in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// The credentials one dynamic secret request minted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedCredentials {
    /// The dynamic secret's name.
    pub name: String,
    /// The reply's `id`, which `/dynamic-secret-tmp-creds-delete` takes as `tmp-creds-id`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl Cleanup {
    /// Whether the post-job step has anything to do.
    pub fn is_empty(&self) -> bool {
        !self.revoke_token
            && self.credentials.is_none()
            && self.directory.is_none()
            && self.files.is_empty()
    }

    /// Hands the record to the post-job step (when there is anything to undo).
    pub fn save<H: Host>(&self, agent: &Agent<'_, H>) {
        if !self.is_empty() {
            let json = serde_json::to_string(self).unwrap_or_default();
            agent.set_task_variable(TASK_VARIABLE, &json);
        }
    }
}

/// Runs the post-job step of any task: reads the record and undoes what it names. Returns the
/// summary the step ends with; every failure on the way is a warning.
pub async fn run_post_job<H: Host>(agent: &Agent<'_, H>) -> String {
    let Some(json) = agent.task_variable(TASK_VARIABLE) else {
        return "Nothing to clean up: the step left no token, credentials or files behind."
            .to_string();
    };
    let record: Cleanup = match serde_json::from_str(&json) {
        Ok(record) => record,
        Err(_) => {
            agent.warning(
                "The clean-up record of this step could not be read, so nothing was cleaned \
                 up. Tokens and credentials expire at the end of their TTL; the agent empties \
                 its temp directory at the end of the job.",
            );
            return "Clean-up skipped: its record could not be read.".to_string();
        }
    };
    // The id of dynamic credentials is often their user name, a secret of the main step.
    for secret in [
        &record.token,
        &record.credentials.as_ref().map(|c| c.id.clone()),
    ]
    .into_iter()
    .flatten()
    {
        agent.register_secret(secret);
    }
    let mut done = Vec::new();
    done.extend(delete_files(agent, &record));
    let needs_akeyless = record.credentials.is_some() || record.revoke_token;
    let endpoint = match (needs_akeyless, agent.endpoint(CONNECTION_INPUT)) {
        (false, _) => None,
        (true, Ok(endpoint)) => Some(endpoint),
        (true, Err(error)) => {
            agent.warning(&format!(
                "{error} {}",
                what_is_left(&record, "could not be taken back")
            ));
            None
        }
    };
    if let Some(endpoint) = endpoint {
        done.extend(take_back(agent, &endpoint, &record).await);
    }
    for item in &done {
        agent.summarize("At job end", item);
    }
    if done.is_empty() {
        "Clean-up finished with warnings; see above.".to_string()
    } else {
        format!("Cleaned up: {}.", done.join("; "))
    }
}

/// Deletes the files and then their directory; returns what was done.
fn delete_files<H: Host>(agent: &Agent<'_, H>, record: &Cleanup) -> Option<String> {
    let directory = record.directory.as_ref()?;
    let host = agent.host();
    let mut left = Vec::new();
    let mut deleted = 0;
    for file in &record.files {
        match host.remove_file(file) {
            Ok(()) => deleted += 1,
            // Never written (the step stopped first) or gone already: nothing is left.
            Err(code) if code == "ENOENT" => {}
            Err(code) => left.push(format!("{file} ({code})")),
        }
    }
    match host.remove_directory(directory) {
        Ok(()) => {}
        Err(code) if code == "ENOENT" => {}
        Err(code) => left.push(format!("{directory} ({code})")),
    }
    if left.is_empty() {
        return Some(format!(
            "deleted {deleted} file(s) and their directory {directory}"
        ));
    }
    agent.warning(&format!(
        "Could not delete {}. The agent empties its temp directory at the end of the job.",
        left.join(", ")
    ));
    None
}

/// Deletes the dynamic secret's credentials, then revokes the token; returns what was done.
async fn take_back<H: Host>(
    agent: &Agent<'_, H>,
    endpoint: &Endpoint,
    record: &Cleanup,
) -> Vec<String> {
    let mut done = Vec::new();
    let client = match tasks::client(agent, &endpoint.url) {
        Ok(client) => client,
        Err(error) => {
            agent.warning(&format!(
                "{error} {}",
                what_is_left(record, "could not be taken back")
            ));
            return done;
        }
    };
    let token = record.token.as_deref().unwrap_or_default();
    if let Some(minted) = &record.credentials {
        let request = DeleteTmpCreds {
            name: &minted.name,
            tmp_creds_id: &minted.id,
            host: minted.host.as_deref(),
            token,
        };
        match client.call(&request).await {
            Ok(_) => done.push(format!(
                "deleted the credentials the step minted from the dynamic secret '{}'",
                minted.name
            )),
            Err(error) => agent.warning(&format!(
                "The credentials the step minted from the dynamic secret '{}' could not be \
                 deleted: {error} They stay valid until their TTL ends.",
                minted.name
            )),
        }
    }
    if record.revoke_token {
        if let Some(revoked) = revoke(agent, &client, token, record).await {
            done.push(revoked);
        }
    }
    done
}

/// Revokes `token` and checks that Akeyless no longer takes it.
async fn revoke<H: Host>(
    agent: &Agent<'_, H>,
    client: &Client<'_, H>,
    token: &str,
    record: &Cleanup,
) -> Option<String> {
    let expires = match &record.token_expiration {
        Some(expiration) => format!("until it expires ({expiration})"),
        None => "until it expires".to_string(),
    };
    if let Err(error) = client.call(&RevokeCreds { token }).await {
        agent.warning(&format!(
            "The Akeyless token could not be revoked: {error} It stays valid {expires}."
        ));
        return None;
    }
    match client.call(&ValidateToken { token }).await {
        Ok(validity) if !validity.is_valid => {
            Some("revoked the Akeyless token (Akeyless reports it invalid)".to_string())
        }
        // Akeyless answers an unknown or revoked token with 401.
        Err(ApiError::Status { status: 401, .. }) => {
            Some("revoked the Akeyless token (Akeyless reports it invalid)".to_string())
        }
        Ok(_) => {
            agent.warning(&format!(
                "Akeyless accepted the request to revoke the token but still reports it valid, \
                 so it stays valid {expires}."
            ));
            None
        }
        Err(error) => {
            agent.warning(&format!(
                "The Akeyless token was sent for revocation, but whether Akeyless still takes \
                 it could not be checked: {error} If it was not revoked, it stays valid \
                 {expires}."
            ));
            None
        }
    }
}

/// "The credentials ... and the token ... could not be taken back; ..." for a warning.
fn what_is_left(record: &Cleanup, why: &str) -> String {
    let mut left = Vec::new();
    if let Some(minted) = &record.credentials {
        left.push(format!(
            "the credentials minted from the dynamic secret '{}' (valid until their TTL ends)",
            minted.name
        ));
    }
    if record.revoke_token {
        left.push(match &record.token_expiration {
            Some(expiration) => format!("the Akeyless token (valid until {expiration})"),
            None => "the Akeyless token (valid until it expires)".to_string(),
        });
    }
    format!("So {} {why}.", left.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{block_on, with_connection, FakeHost};

    fn record_json(record: &Cleanup) -> String {
        serde_json::to_string(record).unwrap()
    }

    fn post_job(host: &FakeHost) -> Vec<String> {
        block_on(tasks::run_post_job(tasks::auth::TASK_NAME, host));
        host.lines()
    }

    fn host_with_record(record: &Cleanup) -> FakeHost {
        with_connection(
            "https://api.akeyless.io",
            &[
                ("VSTS_TASKVARIABLE_AKEYLESS_CLEANUP", &record_json(record)),
                ("AGENT_TEMPDIRECTORY", "/agent/_temp"),
            ],
        )
    }

    fn token_to_revoke() -> Cleanup {
        Cleanup {
            token: Some("t-revoke-me-1".to_string()),
            revoke_token: true,
            token_expiration: Some("2030-01-01 00:00:00".to_string()),
            ..Cleanup::default()
        }
    }

    #[test]
    fn nothing_to_clean_is_one_line_and_success() {
        let host = FakeHost::new(&[]);
        let lines = post_job(&host);
        let summary = "Nothing to clean up: the step left no token, credentials or files behind.";
        assert_eq!(
            lines,
            vec![
                summary.to_string(),
                format!("##vso[task.complete result=Succeeded;]{summary}")
            ]
        );
    }

    #[test]
    fn a_record_is_saved_only_when_there_is_something_to_undo() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        Cleanup {
            token: Some("t-1".into()),
            ..Cleanup::default()
        }
        .save(&agent);
        assert!(host.lines().is_empty());
        token_to_revoke().save(&agent);
        let line = host.lines().last().unwrap().clone();
        assert!(
            line.starts_with(
                "##vso[task.settaskvariable variable=AKEYLESS_CLEANUP;issecret=true;]{"
            ),
            "{line}"
        );
    }

    #[test]
    fn a_token_is_revoked_and_reported_revoked_only_once_akeyless_calls_it_invalid() {
        let host = host_with_record(&token_to_revoke());
        host.answer(200, "{}");
        host.answer(200, r#"{"is_valid":false}"#);
        let lines = post_job(&host);
        let requests = host.requests();
        assert!(requests[0].url.ends_with("/revoke-creds"));
        assert_eq!(requests[0].body, r#"{"token":"t-revoke-me-1"}"#);
        assert!(requests[1].url.ends_with("/validate-token"));
        assert_eq!(lines[0], "##vso[task.setsecret]t-revoke-me-1");
        assert!(lines
            .last()
            .unwrap()
            .ends_with("Cleaned up: revoked the Akeyless token (Akeyless reports it invalid)."));
    }

    #[test]
    fn a_token_still_valid_after_revoking_is_a_warning_with_its_expiry() {
        let host = host_with_record(&token_to_revoke());
        host.answer(200, "");
        host.answer(200, r#"{"is_valid":true,"expiration":"2030-01-01"}"#);
        let lines = post_job(&host);
        assert!(lines.iter().any(|l| l.starts_with("##vso[task.logissue type=warning;]")
            && l.contains("still reports it valid, so it stays valid until it expires (2030-01-01 00:00:00)")));
        assert!(lines
            .last()
            .unwrap()
            .starts_with("##vso[task.complete result=Succeeded;]"));
    }

    #[test]
    fn a_failed_revocation_is_a_warning_never_a_failure() {
        let host = host_with_record(&token_to_revoke());
        host.answer(403, r#"{"error":"forbidden"}"#);
        let lines = post_job(&host);
        assert!(lines.iter().any(|l| l.contains(
            "The Akeyless token could not be revoked: Akeyless refused https://api.akeyless.io/revoke-creds with HTTP 403: forbidden. It stays valid until it expires (2030-01-01 00:00:00)."
        )));
        assert!(!lines.iter().any(|l| l.contains("result=Failed")));
        assert!(!lines.iter().skip(1).any(|l| l.contains("t-revoke-me-1")));
    }

    #[test]
    fn credentials_are_deleted_before_the_token_is_revoked() {
        let record = Cleanup {
            credentials: Some(MintedCredentials {
                name: "/dynamic/pg".into(),
                id: "tmp_user_1".into(),
                host: Some("db1".into()),
            }),
            ..token_to_revoke()
        };
        let host = host_with_record(&record);
        host.answer(201, "");
        host.answer(200, "{}");
        host.answer(401, r#"{"error":"invalid token"}"#);
        let lines = post_job(&host);
        let requests = host.requests();
        assert!(requests[0]
            .url
            .ends_with("/dynamic-secret-tmp-creds-delete"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&requests[0].body).unwrap(),
            serde_json::json!({"name":"/dynamic/pg","tmp-creds-id":"tmp_user_1","host":"db1","token":"t-revoke-me-1"})
        );
        assert!(requests[1].url.ends_with("/revoke-creds"));
        assert!(lines.last().unwrap().contains(
            "Cleaned up: deleted the credentials the step minted from the dynamic secret '/dynamic/pg'; revoked the Akeyless token"
        ));
    }

    #[test]
    fn files_and_their_directory_are_deleted_and_a_missing_file_is_no_warning() {
        let record = Cleanup {
            directory: Some("/agent/_temp/akeyless-1".into()),
            files: vec![
                "/agent/_temp/akeyless-1/key".into(),
                "/agent/_temp/akeyless-1/never_written".into(),
            ],
            ..Cleanup::default()
        };
        let host = host_with_record(&record);
        host.create_directory("/agent/_temp/akeyless-1", 0o700)
            .unwrap();
        host.write_new_file("/agent/_temp/akeyless-1/key", "k", 0o600)
            .unwrap();
        let lines = post_job(&host);
        assert_eq!(host.file("/agent/_temp/akeyless-1/key"), None);
        assert!(host
            .directories()
            .iter()
            .all(|d| d.starts_with("/agent/_temp/akeyless-summary-")));
        assert!(!lines.iter().any(|l| l.contains("type=warning")));
        assert!(lines.last().unwrap().contains(
            "Cleaned up: deleted 1 file(s) and their directory /agent/_temp/akeyless-1."
        ));
        assert!(host.requests().is_empty());
    }

    #[test]
    fn an_unreadable_record_is_a_warning() {
        let host = with_connection(
            "https://api.akeyless.io",
            &[("VSTS_TASKVARIABLE_AKEYLESS_CLEANUP", "{not json")],
        );
        let lines = post_job(&host);
        assert!(lines[0].starts_with("##vso[task.logissue type=warning;]"));
        assert!(lines
            .last()
            .unwrap()
            .starts_with("##vso[task.complete result=Succeeded;]"));
    }
}
