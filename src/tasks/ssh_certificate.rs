//! Task `akeyless-get-ssh-certificate` (SPEC section 9): a short-lived OpenSSH certificate
//! from an Akeyless SSH certificate issuer. Without `publicKey`, a new key pair (Ed25519, or
//! ECDSA P-256 with `keyType`) is made on the agent and its private key never leaves it. The
//! files go into one private directory, as OpenSSH names them, so `ssh -i <key>` finds the
//! certificate beside the key: `id_<type>` (0600, when generated), `id_<type>.pub` and
//! `id_<type>-cert.pub`. The post-job step deletes them (see `tasks::cleanup`).

use crate::agent::{Agent, InputError, VariableKind};
use crate::akeyless::certificates::GetSshCertificate;
use crate::akeyless::ApiError;
use crate::host::Host;
use crate::keys::openssh::{self, SshKeyType};
use crate::tasks::cleanup::Cleanup;
use crate::tasks::files::{SecretFiles, FILE_MODE, PUBLIC_FILE_MODE};
use crate::tasks::{self, certificate_inputs, TaskError, CONNECTION_INPUT};

pub const TASK_NAME: &str = "akeyless-get-ssh-certificate";
const ISSUER_INPUT: &str = "certIssuerName";
const USERNAME_INPUT: &str = "certUsername";
const PUBLIC_KEY_INPUT: &str = "publicKey";
const LEGACY_INPUT: &str = "legacySigningAlg";
const KEY_TYPE_INPUT: &str = "keyType";
/// The comment of a generated key, as `ssh-keygen -C` would set it.
const KEY_COMMENT: &str = "akeyless-azure-pipelines";

/// Where the public key comes from.
enum PublicKey {
    Supplied(openssh::SuppliedKey),
    Generated(openssh::SshKeyPair),
}

pub async fn run<H: Host>(
    agent: &Agent<'_, H>,
    cleanup: &mut Cleanup,
) -> Result<String, TaskError> {
    let endpoint = agent.endpoint(CONNECTION_INPUT)?;
    let issuer = agent.required_input(ISSUER_INPUT)?.trim().to_string();
    let principals = principals_input(agent)?;
    let ttl = certificate_inputs::ttl_seconds(agent)?;
    let legacy = agent.bool_input(LEGACY_INPUT);
    let public_key = public_key(agent)?;
    let client = tasks::client(agent, &endpoint.url)?;
    let token = tasks::token_or_login(agent, &endpoint, &client, cleanup).await?;

    let (public_line, file_stem) = match &public_key {
        PublicKey::Supplied(key) => (key.line.as_str(), key.file_stem),
        PublicKey::Generated(key) => (key.public_line.as_str(), key.file_stem),
    };
    agent.info(&format!(
        "Requesting an SSH certificate for {principals} from the issuer '{issuer}'."
    ));
    let request = GetSshCertificate {
        cert_issuer_name: &issuer,
        cert_username: &principals,
        public_key_data: public_line,
        ttl,
        legacy_signing_alg_name: legacy,
        token: &token,
    };
    let url = endpoint.url.clone();
    let reply = client
        .call(&request)
        .await
        .map_err(tasks::explain_refused_token)?;
    let certificate = reply
        .data
        .map(|data| data.trim().to_string())
        .filter(|data| data.contains("-cert-v01@openssh.com ") && !data.contains(['\n', '\r']))
        .ok_or_else(|| {
            TaskError::Api(ApiError::Malformed {
                service: crate::akeyless::Service::Akeyless,
                url: format!("{}/get-ssh-certificate", url.trim_end_matches('/')),
                status: 200,
                problem: "its data is not an OpenSSH certificate line",
            })
        })?;

    let mut files = SecretFiles::default();
    let private_path = match &public_key {
        PublicKey::Generated(key) => {
            Some(files.write_file(agent, cleanup, file_stem, &key.private_pem, FILE_MODE)?)
        }
        PublicKey::Supplied(_) => None,
    };
    let public_path = files.write_file(
        agent,
        cleanup,
        &format!("{file_stem}.pub"),
        &format!("{public_line}\n"),
        PUBLIC_FILE_MODE,
    )?;
    let certificate_path = files.write_file(
        agent,
        cleanup,
        &format!("{file_stem}-cert.pub"),
        &format!("{certificate}\n"),
        PUBLIC_FILE_MODE,
    )?;
    agent.summarize(
        "SSH certificate",
        format!(
            "for {principals} from {issuer}, {}",
            certificate_inputs::expiry_text(agent, ttl)
        ),
    );
    if let Some(path) = &private_path {
        agent.set_variable("privateKeyPath", path, VariableKind::PLAIN_OUTPUT);
    }
    agent.set_variable("publicKeyPath", &public_path, VariableKind::PLAIN_OUTPUT);
    agent.set_variable(
        "certificatePath",
        &certificate_path,
        VariableKind::PLAIN_OUTPUT,
    );
    agent.set_variable("certificate", &certificate, VariableKind::PLAIN_OUTPUT);
    Ok(format!(
        "Issued an SSH certificate for {principals} from '{issuer}', written to {} with its \
         key; the files are deleted when the job ends.",
        files.directory().unwrap_or_default()
    ))
}

/// `certUsername`: principals separated by commas, spaces around each trimmed.
fn principals_input<H: Host>(agent: &Agent<'_, H>) -> Result<String, TaskError> {
    let text = agent.required_input(USERNAME_INPUT)?;
    let principals: Vec<&str> = text.split(',').map(str::trim).collect();
    if principals
        .iter()
        .any(|p| p.is_empty() || p.contains(char::is_whitespace))
    {
        return Err(InputError::Invalid {
            input: USERNAME_INPUT.to_string(),
            problem: "give the principals separated by commas, e.g. deploy,ubuntu; none may be \
                      empty or hold a space."
                .to_string(),
        }
        .into());
    }
    Ok(principals.join(","))
}

/// The supplied public key (text, or the path of a `.pub` file), or a new key pair.
fn public_key<H: Host>(agent: &Agent<'_, H>) -> Result<PublicKey, TaskError> {
    let invalid = |problem: String| -> TaskError {
        InputError::Invalid {
            input: PUBLIC_KEY_INPUT.to_string(),
            problem,
        }
        .into()
    };
    if let Some(value) = agent.input(PUBLIC_KEY_INPUT) {
        // A key line has a space between its type and its key; a path has none.
        let text = certificate_inputs::text_or_file(agent, PUBLIC_KEY_INPUT, &value, |v| {
            v.contains(char::is_whitespace)
        })?;
        return openssh::parse_public_line(&text)
            .map(PublicKey::Supplied)
            .map_err(|problem| {
                invalid(format!(
                    "{problem}. Give an OpenSSH public key line or the path of a .pub file."
                ))
            });
    }
    let key_type = match agent.input(KEY_TYPE_INPUT) {
        None => SshKeyType::Ed25519,
        Some(choice) => SshKeyType::from_choice(&choice).ok_or_else(|| {
            TaskError::from(InputError::Invalid {
                input: KEY_TYPE_INPUT.to_string(),
                problem: format!("it is '{}'; use {}.", choice.trim(), SshKeyType::CHOICES),
            })
        })?,
    };
    let pair = certificate_inputs::generate(agent, key_type.algorithm())?;
    let check = u32::from_str_radix(&agent.host().secure_random_hex(4), 16).unwrap_or_default();
    let key = openssh::encode(key_type, &pair, check, KEY_COMMENT).map_err(|problem| {
        TaskError::Message(format!("The new key pair could not be encoded: {problem}."))
    })?;
    agent.register_secret(&key.private_pem);
    Ok(PublicKey::Generated(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{with_connection, FakeHost};

    fn host_with(extra: &[(&str, &str)]) -> FakeHost {
        let mut env = vec![
            ("INPUT_TOKEN", "t-token-1234"),
            ("INPUT_CERTISSUERNAME", "/ssh/issuer"),
            ("INPUT_CERTUSERNAME", "deploy, ubuntu"),
            ("AGENT_TEMPDIRECTORY", "/agent/_temp"),
        ];
        env.extend_from_slice(extra);
        with_connection("https://api.akeyless.io", &env)
    }

    #[test]
    fn a_generated_key_is_registered_sent_and_written_beside_its_certificate() {
        let host = host_with(&[("INPUT_TTL", "300")]);
        host.answer(
            200,
            r#"{"data":"ssh-ed25519-cert-v01@openssh.com AAAAcert deploy"}"#,
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let body: serde_json::Value = serde_json::from_str(&host.requests()[0].body).unwrap();
        assert_eq!(body["cert-username"], "deploy,ubuntu");
        assert_eq!(body["ttl"], 300);
        assert_eq!(body["legacy-signing-alg-name"], false);
        assert!(body["public-key-data"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));
        let directory = "/agent/_temp/akeyless-00000000000000000000000000000002";
        let key = host.file(&format!("{directory}/id_ed25519")).unwrap();
        assert!(key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        assert_eq!(host.mode(&format!("{directory}/id_ed25519")), Some(0o600));
        assert_eq!(
            host.file(&format!("{directory}/id_ed25519-cert.pub"))
                .as_deref(),
            Some("ssh-ed25519-cert-v01@openssh.com AAAAcert deploy\n")
        );
        let registered = lines
            .iter()
            .position(|l| l.starts_with("##vso[task.setsecret]-----BEGIN OPENSSH"))
            .unwrap();
        let first_info = lines.iter().position(|l| !l.starts_with("##vso[")).unwrap();
        assert!(
            registered < first_info,
            "registered before anything is printed"
        );
        assert!(lines.contains(&format!(
            "##vso[task.setvariable variable=privateKeyPath;isoutput=true;]{directory}/id_ed25519"
        )));
    }

    #[test]
    fn a_supplied_key_is_sent_as_it_is_and_no_private_key_is_written() {
        let pair = FakeHost::new(&[]).generate_key_pair("ec-p256").unwrap();
        let line = openssh::encode(SshKeyType::EcdsaP256, &pair, 1, "mine")
            .unwrap()
            .public_line;
        let host = host_with(&[("INPUT_PUBLICKEY", &line)]);
        host.answer(
            200,
            r#"{"data":"ecdsa-sha2-nistp256-cert-v01@openssh.com AAAAcert mine"}"#,
        );
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(
            lines.last().unwrap().contains("result=Succeeded"),
            "{lines:?}"
        );
        let body: serde_json::Value = serde_json::from_str(&host.requests()[0].body).unwrap();
        assert_eq!(body["public-key-data"], line.as_str());
        assert!(!lines.iter().any(|l| l.contains("privateKeyPath")));
        assert!(lines
            .iter()
            .any(|l| l.contains("variable=certificatePath") && l.ends_with("/id_ecdsa-cert.pub")));
    }

    #[test]
    fn bad_inputs_fail_naming_the_input_before_anything_is_sent_or_written() {
        for (extra, message) in [
            (
                vec![("INPUT_PUBLICKEY", "ssh-ed25519 not-base64!")],
                "The input 'publicKey' is not valid",
            ),
            (
                vec![("INPUT_KEYTYPE", "dsa")],
                "The input 'keyType' is not valid: it is 'dsa'",
            ),
            (
                vec![("INPUT_CERTUSERNAME", "deploy,,root")],
                "The input 'certUsername' is not valid",
            ),
            (vec![("INPUT_TTL", "5m")], "The input 'ttl' is not valid"),
        ] {
            let host = host_with(&extra);
            host.assert_refused_on_inputs(&tasks::lines_of_run(TASK_NAME, &host), message);
        }
    }

    #[test]
    fn an_unknown_issuer_fails_with_nothing_written() {
        let host = host_with(&[]);
        host.answer(404, r#"{"error":"issuer not found"}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines.last().unwrap().contains("HTTP 404: issuer not found"));
        assert!(host.made_no_secret_directory());
    }
}
