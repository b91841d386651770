//! Secrets as files (SPEC section 8): a `file:VARIABLE=...` entry's value is written, byte for
//! byte, to a new file in a private directory under the agent's temp directory, and the
//! variable holds the file's path.
//!
//! The directory is `akeyless-<32 random hex digits>` (128 bits from a secure source: no other
//! process can guess it), created with mode 0700 and never reused (creating it fails if
//! anything is there); each file inside is named after its variable (unique per step, and
//! made of letters, digits, `_` and `.`; see [`portable_file_name`] for the names Windows
//! keeps for devices), created exclusively with mode 0600. The directory and every file are
//! added to the step's clean-up record before they are created, so the post-job step deletes
//! them even when the step stops half way.
//!
//! Windows has no file modes (Node sets only the read-only attribute there): on a Windows
//! agent the files are protected by the agent account's own temp directory, the directory's
//! unguessable name and the deletion at job end (see the README).

use std::borrow::Cow;

use crate::agent::Agent;
use crate::host::Host;
use crate::tasks::cleanup::Cleanup;
use crate::tasks::TaskError;

/// The agent's temp directory, emptied by the agent at the start and end of every job.
const TEMP_DIRECTORY: &str = "AGENT_TEMPDIRECTORY";
pub const DIRECTORY_MODE: u32 = 0o700;
/// Files holding a secret: readable by the agent's account alone.
pub const FILE_MODE: u32 = 0o600;
/// Files anyone may read: public keys and certificates, as `ssh-keygen` writes them.
pub const PUBLIC_FILE_MODE: u32 = 0o644;
/// Random bytes in the directory's name.
const NAME_RANDOM_BYTES: u32 = 16;

/// The private directory of one step's files, created on first use.
#[derive(Debug, Default)]
pub struct SecretFiles {
    directory: Option<String>,
}

impl SecretFiles {
    /// Writes `contents` to a new file (mode 0600) for the `file:` entry `variable`; returns
    /// its path.
    pub fn write<H: Host>(
        &mut self,
        agent: &Agent<'_, H>,
        cleanup: &mut Cleanup,
        variable: &str,
        contents: &str,
    ) -> Result<String, TaskError> {
        self.write_file(agent, cleanup, variable, contents, FILE_MODE)
    }

    /// Writes `contents` to a new file `name` with `mode` in the directory; returns its path.
    pub fn write_file<H: Host>(
        &mut self,
        agent: &Agent<'_, H>,
        cleanup: &mut Cleanup,
        name: &str,
        contents: &str,
        mode: u32,
    ) -> Result<String, TaskError> {
        let directory = match &self.directory {
            Some(directory) => directory.clone(),
            None => {
                let directory = create_directory(agent, cleanup)?;
                self.directory = Some(directory.clone());
                directory
            }
        };
        let path = join(&directory, &portable_file_name(name));
        cleanup.files.push(path.clone());
        cleanup.save(agent);
        agent
            .host()
            .write_new_file(&path, contents, mode)
            .map_err(|code| {
                TaskError::Message(format!(
                    "The file for '{name}' could not be written to {path} ({code}). No \
                     variable was set."
                ))
            })?;
        agent.summarize("File written", &path);
        Ok(path)
    }

    /// The directory the files went into, once one was written.
    pub fn directory(&self) -> Option<&str> {
        self.directory.as_deref()
    }
}

fn create_directory<H: Host>(
    agent: &Agent<'_, H>,
    cleanup: &mut Cleanup,
) -> Result<String, TaskError> {
    let host = agent.host();
    let temp = temp_directory(host).ok_or_else(|| {
        TaskError::Message(
            "A 'file:' entry needs the agent's temp directory (Agent.TempDirectory), which \
                 this agent did not set. No variable was set."
                .to_string(),
        )
    })?;
    let name = format!("akeyless-{}", host.secure_random_hex(NAME_RANDOM_BYTES));
    let directory = join(&temp, &name);
    cleanup.directory = Some(directory.clone());
    cleanup.save(agent);
    host.create_directory(&directory, DIRECTORY_MODE)
        .map_err(|code| {
            TaskError::Message(format!(
                "The private directory {directory} for the 'file:' entries could not be created \
                 ({code}). No variable was set."
            ))
        })?;
    Ok(directory)
}

/// The agent's temp directory (`Agent.TempDirectory`), emptied by the agent after the job;
/// `None` when the agent did not set it.
pub fn temp_directory<H: Host>(host: &H) -> Option<String> {
    host.env(TEMP_DIRECTORY)
        .map(|path| path.trim().to_string())
        .filter(|path| !path.is_empty())
}

/// `directory` and `name` joined with the separator the directory's own path uses: the agent
/// hands over `D:\a\_temp` on Windows and `/home/vsts/work/_temp` elsewhere.
pub fn join(directory: &str, name: &str) -> String {
    let separator = if directory.contains('\\') && !directory.contains('/') {
        '\\'
    } else {
        '/'
    };
    format!(
        "{}{separator}{name}",
        directory.trim_end_matches(['/', '\\'])
    )
}

/// Names Windows keeps for devices, in any letter case and with any extension: `nul.txt`
/// opens the null device there, not a file.
const WINDOWS_DEVICE_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// `name` as a file name every agent can create: with `_` in front when the part before its
/// first `.` is a Windows device name, so that `file:nul=...` writes a file on Windows too
/// instead of vanishing into the null device. The same on every platform, so an entry names
/// the same file everywhere.
pub fn portable_file_name(name: &str) -> Cow<'_, str> {
    let stem = name.split('.').next().unwrap_or(name);
    match WINDOWS_DEVICE_NAMES
        .iter()
        .any(|device| stem.eq_ignore_ascii_case(device))
    {
        true => Cow::Owned(format!("_{name}")),
        false => Cow::Borrowed(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::FakeHost;

    #[test]
    fn a_windows_device_name_gets_an_underscore_in_front() {
        for name in ["nul", "NUL", "con.txt", "Com1", "lpt9.pem", "aux.tar.gz"] {
            assert_eq!(portable_file_name(name), format!("_{name}"));
        }
        for name in [
            "null",
            "console",
            "com10",
            "lpt",
            "my.nul",
            "id_ed25519",
            "_nul",
        ] {
            assert_eq!(portable_file_name(name), name);
        }
    }

    #[test]
    fn a_file_entry_named_like_a_windows_device_is_written_as_a_file() {
        let host = FakeHost::new(&[("AGENT_TEMPDIRECTORY", "D:\\a\\_temp")]);
        let agent = Agent::new(&host);
        let path = SecretFiles::default()
            .write(&agent, &mut Cleanup::default(), "nul", "v")
            .unwrap();
        assert_eq!(
            path,
            "D:\\a\\_temp\\akeyless-00000000000000000000000000000001\\_nul"
        );
    }

    #[test]
    fn paths_are_joined_with_the_separator_of_the_directory() {
        assert_eq!(
            join("/home/vsts/work/_temp", "key"),
            "/home/vsts/work/_temp/key"
        );
        assert_eq!(join("/tmp/", "key"), "/tmp/key");
        assert_eq!(join("D:\\a\\_temp", "key"), "D:\\a\\_temp\\key");
        assert_eq!(join("D:\\a\\_temp\\", "key"), "D:\\a\\_temp\\key");
    }

    #[test]
    fn files_go_into_one_new_private_directory_recorded_before_it_exists() {
        let host = FakeHost::new(&[("AGENT_TEMPDIRECTORY", "/agent/_temp")]);
        let agent = Agent::new(&host);
        let mut cleanup = Cleanup::default();
        let mut files = SecretFiles::default();
        let key = files
            .write(&agent, &mut cleanup, "deploy_key", "-----BEGIN\nk\n")
            .unwrap();
        let config = files
            .write(&agent, &mut cleanup, "kubeconfig", "apiVersion: v1\n")
            .unwrap();
        let directory = "/agent/_temp/akeyless-00000000000000000000000000000001";
        assert_eq!(key, format!("{directory}/deploy_key"));
        assert_eq!(config, format!("{directory}/kubeconfig"));
        assert_eq!(host.mode(directory), Some(0o700));
        assert_eq!(host.mode(&key), Some(0o600));
        assert_eq!(host.file(&key).as_deref(), Some("-----BEGIN\nk\n"));
        assert_eq!(cleanup.directory.as_deref(), Some(directory));
        assert_eq!(cleanup.files, vec![key, config]);
        // The record went out before the directory and each file existed.
        let records = host
            .lines()
            .iter()
            .filter(|l| l.starts_with("##vso[task.settaskvariable"))
            .count();
        assert_eq!(records, 3);
    }

    #[test]
    fn a_file_that_exists_already_is_never_overwritten() {
        let host = FakeHost::new(&[("AGENT_TEMPDIRECTORY", "/agent/_temp")]);
        let agent = Agent::new(&host);
        let mut cleanup = Cleanup::default();
        let mut files = SecretFiles::default();
        files.write(&agent, &mut cleanup, "key", "one").unwrap();
        let error = files.write(&agent, &mut cleanup, "key", "two").unwrap_err();
        assert!(
            error.to_string().contains("could not be written"),
            "{error}"
        );
        assert!(error.to_string().contains("(EEXIST)"), "{error}");
    }

    #[test]
    fn without_a_temp_directory_a_file_entry_fails_naming_it() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        let error = SecretFiles::default()
            .write(&agent, &mut Cleanup::default(), "key", "v")
            .unwrap_err();
        assert!(error.to_string().contains("Agent.TempDirectory"), "{error}");
    }
}
