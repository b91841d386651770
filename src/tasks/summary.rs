//! The step's run summary (SPEC section 12): a Markdown table of what the step did, written to
//! a file under `Agent.TempDirectory` and attached to the run's summary page with
//! `##vso[task.uploadsummary]`.
//!
//! Rows come from `Agent::summarize` as the step goes (`agent::summary_table` writes them as
//! Markdown, every Markdown character escaped), so a failed step still shows what it had done.
//! They name variables, paths, expiries and certificates, never a value, and are redacted like
//! every log line. The boolean input `summary`
//! (default true) turns the summary off. A summary that cannot be written is a warning: it
//! never fails the step.

use crate::agent::Agent;
use crate::host::Host;
use crate::tasks::files;

/// The boolean input that turns the summary off (`false`); any other value keeps it.
pub const SUMMARY_INPUT: &str = "summary";
/// Names tried for a summary's directory before giving up.
const NAME_ATTEMPTS: u32 = 4;
/// The longest file name (the section's title on the summary page) taken from a step name.
const MAX_TITLE_CHARS: usize = 80;

/// Writes the step's summary and attaches it, unless the input `summary` is `false` or the
/// step did nothing worth a row (a step that failed on its inputs says so in its error
/// alone). `title` names the section on the run page; a `failure` ends the table.
pub fn attach<H: Host>(agent: &Agent<'_, H>, title: &str, failure: Option<&str>) {
    if !wanted(agent.input(SUMMARY_INPUT).as_deref()) {
        return;
    }
    if !agent.has_summary() {
        return;
    }
    if let Some(failure) = failure {
        agent.summarize("Failed", failure);
    }
    // One pass over the whole table: every secret the step handled becomes `***`.
    let markdown = agent.redact(&agent.summary_markdown()).into_owned();
    match write(agent, title, &markdown) {
        Ok(path) => agent.upload_summary(&path),
        Err(problem) => agent.warning(&format!(
            "The run summary was not attached: {problem}. Set the input '{SUMMARY_INPUT}' to \
             false to skip it."
        )),
    }
}

/// The section title of a step: its display name when the agent gave one, else `fallback`;
/// `(job end)` is added for a post-job step.
pub fn title<H: Host>(agent: &Agent<'_, H>, fallback: &str, post_job: bool) -> String {
    let name = agent
        .host()
        .env("SYSTEM_TASKDISPLAYNAME")
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| fallback.to_string());
    if post_job {
        format!("{name} (job end)")
    } else {
        name
    }
}

/// Only `false`, in any letter case, turns the summary off.
fn wanted(input: Option<&str>) -> bool {
    !matches!(input, Some(value) if value.trim().eq_ignore_ascii_case("false"))
}

/// A file name from `title`: letters, digits, spaces and `-_.()` kept, anything else `_`, and
/// no Windows device name (see `files::portable_file_name`).
fn file_name(title: &str) -> String {
    let safe: String = title
        .chars()
        .take(MAX_TITLE_CHARS)
        .map(|c| match c {
            c if c.is_alphanumeric() || " -_.()".contains(c) => c,
            _ => '_',
        })
        .collect();
    let safe = safe.trim().trim_matches('.');
    let safe = if safe.is_empty() { "Akeyless" } else { safe };
    format!("{}.md", files::portable_file_name(safe))
}

/// Writes `markdown` to `<temp>/akeyless-summary-<random>/<title>.md`; returns the path.
fn write<H: Host>(agent: &Agent<'_, H>, title: &str, markdown: &str) -> Result<String, String> {
    let host = agent.host();
    let temp = files::temp_directory(host).ok_or("the agent did not set Agent.TempDirectory")?;
    let directory = create_directory(agent, &temp)?;
    let path = files::join(&directory, &file_name(title));
    host.write_new_file(&path, markdown, files::FILE_MODE)
        .map_err(|code| format!("{path} could not be written ({code})"))?;
    Ok(path)
}

/// A new directory for one summary under `temp`. Its name needs to be unique, not secret
/// (creating it fails when it exists, and then another name is tried), so it comes from the
/// clock and `Math.random` rather than `node:crypto`, whose loading costs every step 2 to
/// 4 ms.
fn create_directory<H: Host>(agent: &Agent<'_, H>, temp: &str) -> Result<String, String> {
    let host = agent.host();
    let mut last_error = String::new();
    for attempt in 0..NAME_ATTEMPTS {
        let name = format!(
            "akeyless-summary-{:x}-{:08x}{attempt}",
            host.wall_clock_ms() as u64,
            (host.random() * 4_294_967_296.0) as u64
        );
        let directory = files::join(temp, &name);
        match host.create_directory(&directory, files::DIRECTORY_MODE) {
            Ok(()) => return Ok(directory),
            Err(code) => last_error = format!("{directory} could not be created ({code})"),
        }
    }
    Err(last_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::FakeHost;

    #[test]
    fn only_false_turns_it_off() {
        assert!(wanted(None));
        assert!(wanted(Some("true")));
        assert!(wanted(Some("yes")));
        assert!(!wanted(Some("false")));
        assert!(!wanted(Some(" FALSE ")));
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name("Get DB: prod/eu"), "Get DB_ prod_eu.md");
        assert_eq!(file_name(".."), "Akeyless.md");
        assert_eq!(file_name("NUL"), "_NUL.md");
        assert_eq!(file_name(&"x".repeat(200)).len(), MAX_TITLE_CHARS + 3);
    }

    #[test]
    fn the_summary_is_written_redacted_and_attached() {
        let host = FakeHost::new(&[("AGENT_TEMPDIRECTORY", "/agent/_temp")]);
        let agent = Agent::new(&host);
        agent.register_secret("s3cret");
        agent.summarize("$(DB)", "/prod/db s3cret");
        attach(&agent, "Fetch secrets", None);
        let lines = host.lines();
        let command = lines.last().unwrap();
        let path = command.strip_prefix("##vso[task.uploadsummary]").unwrap();
        assert!(path.starts_with("/agent/_temp/akeyless-summary-"));
        assert!(path.ends_with("/Fetch secrets.md"));
        let markdown = host.file(path).unwrap();
        assert!(markdown.contains("| $\\(DB\\) | /prod/db *** |"));
        assert!(!markdown.contains("s3cret"));
        assert_eq!(host.mode(path), Some(files::FILE_MODE));
    }

    #[test]
    fn a_taken_directory_name_is_followed_by_another() {
        // The fake host's clock and Math.random never change, so the names collide.
        let host = FakeHost::new(&[("AGENT_TEMPDIRECTORY", "/agent/_temp")]);
        let paths: Vec<String> = (0..2)
            .map(|_| {
                let agent = Agent::new(&host);
                agent.summarize("$(DB)", "/prod/db");
                attach(&agent, "Fetch", None);
                let lines = host.lines();
                let path = lines
                    .last()
                    .unwrap()
                    .replace("##vso[task.uploadsummary]", "");
                assert!(host.file(&path).is_some());
                path
            })
            .collect();
        assert_ne!(paths[0], paths[1]);
        assert_eq!(host.directories().len(), 2);
    }

    #[test]
    fn summary_false_or_nothing_done_attaches_nothing() {
        let off = FakeHost::new(&[("AGENT_TEMPDIRECTORY", "/t"), ("INPUT_SUMMARY", "false")]);
        let agent = Agent::new(&off);
        agent.summarize("$(DB)", "/prod/db");
        attach(&agent, "x", None);
        assert!(off.lines().iter().all(|l| !l.contains("uploadsummary")));

        let idle = FakeHost::new(&[("AGENT_TEMPDIRECTORY", "/t")]);
        attach(&Agent::new(&idle), "x", Some("failed"));
        assert!(idle.lines().is_empty());
    }

    #[test]
    fn no_temp_directory_is_a_warning_not_a_failure() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        agent.summarize("$(DB)", "/prod/db");
        attach(&agent, "x", None);
        let lines = host.lines();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("##vso[task.logissue type=warning;]The run summary"));
    }
}
