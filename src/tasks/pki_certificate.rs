//! Task `akeyless-get-pki-certificate` (SPEC section 9): a short-lived X.509 certificate from
//! an Akeyless PKI certificate issuer. Without `csr`, a new key pair (EC P-256, or RSA 2048 or
//! 4096 with `keyType`) is made on the agent and only its public key (DER
//! SubjectPublicKeyInfo, base64) is sent; with `csr`, no key is made and the common name and
//! alternative names come from the CSR. Files, in one private directory: `key.pem` (PKCS#8,
//! 0600, when generated), `cert.pem`, `chain.pem` (the issuer's chain) and `fullchain.pem`
//! (certificate, then chain). The post-job step deletes them (see `tasks::cleanup`).

use crate::agent::multiline::base64;
use crate::agent::{Agent, InputError, VariableKind};
use crate::akeyless::certificates::GetPkiCertificate;
use crate::akeyless::{ApiError, Service};
use crate::grammar;
use crate::host::Host;
use crate::keys::pem_der;
use crate::tasks::cleanup::Cleanup;
use crate::tasks::files::{SecretFiles, FILE_MODE, PUBLIC_FILE_MODE};
use crate::tasks::{self, certificate_inputs, TaskError, CONNECTION_INPUT};

pub const TASK_NAME: &str = "akeyless-get-pki-certificate";
const ISSUER_INPUT: &str = "certIssuerName";
const COMMON_NAME_INPUT: &str = "commonName";
const ALT_NAMES_INPUT: &str = "altNames";
const URI_SANS_INPUT: &str = "uriSans";
const EKU_INPUT: &str = "extendedKeyUsage";
const KEY_TYPE_INPUT: &str = "keyType";
const CSR_INPUT: &str = "csr";

const KEY_TYPES: [&str; 3] = ["ec-p256", "rsa-2048", "rsa-4096"];
const KEY_USAGES: [&str; 3] = ["serverauth", "clientauth", "codesigning"];
const CERTIFICATE_PEM: &str = "-----BEGIN CERTIFICATE-----";

/// What the certificate is for: a key made here, or a CSR.
enum Subject {
    Generated { spki: String, pkcs8: String },
    Csr(String),
}

pub async fn run<H: Host>(
    agent: &Agent<'_, H>,
    cleanup: &mut Cleanup,
) -> Result<String, TaskError> {
    let endpoint = agent.endpoint(CONNECTION_INPUT)?;
    let issuer = agent.required_input(ISSUER_INPUT)?.trim().to_string();
    let common_name = tasks::optional_text_input(agent, COMMON_NAME_INPUT);
    let alt_names = list_input(agent, ALT_NAMES_INPUT);
    let uri_sans = list_input(agent, URI_SANS_INPUT);
    let ttl = certificate_inputs::ttl_seconds(agent)?;
    let usages = usages_input(agent)?;
    let subject = subject(agent, common_name.is_some() || alt_names.is_some())?;
    let client = tasks::client(agent, &endpoint.url)?;
    let token = tasks::token_or_login(agent, &endpoint, &client, cleanup).await?;

    agent.info(&format!(
        "Requesting a certificate{} from the issuer '{issuer}'.",
        common_name
            .as_deref()
            .map(|name| format!(" for {name}"))
            .unwrap_or_default()
    ));
    let request = GetPkiCertificate {
        cert_issuer_name: &issuer,
        key_data_base64: match &subject {
            Subject::Generated { spki, .. } => Some(spki),
            Subject::Csr(_) => None,
        },
        csr_data_base64: match &subject {
            Subject::Csr(csr) => Some(csr),
            Subject::Generated { .. } => None,
        },
        common_name: common_name.as_deref(),
        alt_names: alt_names.as_deref(),
        uri_sans: uri_sans.as_deref(),
        ttl: ttl.map(|seconds| seconds.to_string()),
        extended_key_usage: usages.as_deref(),
        token: &token,
    };
    let reply = client
        .call(&request)
        .await
        .map_err(tasks::explain_refused_token)?;
    let certificate = pem_text(reply.data)
        .filter(|pem| pem.starts_with(CERTIFICATE_PEM))
        .ok_or_else(|| {
            TaskError::Api(ApiError::Malformed {
                service: Service::Akeyless,
                url: format!(
                    "{}/get-pki-certificate",
                    endpoint.url.trim().trim_end_matches('/')
                ),
                status: 200,
                problem: "its data is not a PEM certificate",
            })
        })?;
    let chain = pem_text(reply.parent_cert).unwrap_or_default();

    agent.summarize(
        "Certificate",
        format!(
            "{} from {issuer}, {}",
            common_name
                .as_deref()
                .map(|name| format!("for {name}"))
                .unwrap_or_else(|| "for the CSR's subject".to_string()),
            certificate_inputs::expiry_text(agent, ttl)
        ),
    );
    let mut files = SecretFiles::default();
    if let Subject::Generated { pkcs8, .. } = &subject {
        let path = files.write_file(agent, cleanup, "key.pem", pkcs8, FILE_MODE)?;
        agent.set_variable("privateKeyPath", &path, VariableKind::PLAIN_OUTPUT);
    }
    let mut write = |name: &str, contents: &str| {
        files.write_file(agent, cleanup, name, contents, PUBLIC_FILE_MODE)
    };
    let certificate_path = write("cert.pem", &certificate)?;
    let chain_path = write("chain.pem", &chain)?;
    let full_chain_path = write("fullchain.pem", &format!("{certificate}{chain}"))?;
    agent.set_variable(
        "certificatePath",
        &certificate_path,
        VariableKind::PLAIN_OUTPUT,
    );
    agent.set_variable("chainPath", &chain_path, VariableKind::PLAIN_OUTPUT);
    agent.set_variable(
        "fullChainPath",
        &full_chain_path,
        VariableKind::PLAIN_OUTPUT,
    );
    agent.set_variable("certificate", &certificate, VariableKind::PLAIN_OUTPUT);
    Ok(format!(
        "Issued a certificate from '{issuer}', written to {}; the files are deleted when the \
         job ends.",
        files.directory().unwrap_or_default()
    ))
}

/// A PEM text from the reply, ending with one line break; `None` when empty.
fn pem_text(text: Option<String>) -> Option<String> {
    let text = text?.trim().to_string();
    (!text.is_empty()).then(|| format!("{text}\n"))
}

/// A list input (commas or line breaks) as the API takes it: comma-separated.
fn list_input<H: Host>(agent: &Agent<'_, H>, name: &str) -> Option<String> {
    let list = agent.input(name)?;
    let entries: Vec<&str> = grammar::entries(&list).iter().map(|e| e.text).collect();
    (!entries.is_empty()).then(|| entries.join(","))
}

/// `extendedKeyUsage`: any of serverauth, clientauth, codesigning, comma-separated.
fn usages_input<H: Host>(agent: &Agent<'_, H>) -> Result<Option<String>, TaskError> {
    let Some(list) = list_input(agent, EKU_INPUT) else {
        return Ok(None);
    };
    let usages: Vec<String> = list.split(',').map(str::to_ascii_lowercase).collect();
    if let Some(unknown) = usages.iter().find(|u| !KEY_USAGES.contains(&u.as_str())) {
        return Err(InputError::Invalid {
            input: EKU_INPUT.to_string(),
            problem: format!(
                "'{unknown}' is not one of {}; separate several with commas.",
                KEY_USAGES.join(", ")
            ),
        }
        .into());
    }
    Ok(Some(usages.join(",")))
}

/// The CSR given in `csr` (PEM text or a file path), or a new key pair of `keyType`.
fn subject<H: Host>(agent: &Agent<'_, H>, names_given: bool) -> Result<Subject, TaskError> {
    if let Some(value) = agent.input(CSR_INPUT) {
        let invalid = |problem: &str| -> TaskError {
            InputError::Invalid {
                input: CSR_INPUT.to_string(),
                problem: problem.to_string(),
            }
            .into()
        };
        if names_given {
            return Err(invalid(
                "with a CSR, the common name and alternative names come from the CSR; leave \
                 'commonName' and 'altNames' empty.",
            ));
        }
        let text = certificate_inputs::text_or_file(agent, CSR_INPUT, &value, |v| {
            v.contains("-----BEGIN")
        })?;
        let der = pem_der(&text, "CERTIFICATE REQUEST")
            .or_else(|| pem_der(&text, "NEW CERTIFICATE REQUEST"))
            .ok_or_else(|| {
                invalid(
                    "it is not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----).",
                )
            })?;
        return Ok(Subject::Csr(base64(&der)));
    }
    let key_type = match agent.input(KEY_TYPE_INPUT) {
        None => KEY_TYPES[0].to_string(),
        Some(choice) => {
            let choice = choice.trim().to_ascii_lowercase();
            if !KEY_TYPES.contains(&choice.as_str()) {
                return Err(InputError::Invalid {
                    input: KEY_TYPE_INPUT.to_string(),
                    problem: format!("it is '{choice}'; use {}.", KEY_TYPES.join(", ")),
                }
                .into());
            }
            choice
        }
    };
    let pair = certificate_inputs::generate(agent, &key_type)?;
    Ok(Subject::Generated {
        spki: pair.spki,
        pkcs8: pair.pkcs8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::{with_connection, FakeHost};

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIcert\n-----END CERTIFICATE-----";
    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIca\n-----END CERTIFICATE-----";

    fn host_with(extra: &[(&str, &str)]) -> FakeHost {
        let mut env = vec![
            ("INPUT_TOKEN", "t-token-1234"),
            ("INPUT_CERTISSUERNAME", "/pki/issuer"),
            ("AGENT_TEMPDIRECTORY", "/agent/_temp"),
        ];
        env.extend_from_slice(extra);
        with_connection("https://api.akeyless.io", &env)
    }

    fn reply() -> String {
        serde_json::json!({"data": CERT, "parent_cert": CA}).to_string()
    }

    #[test]
    fn a_generated_key_sends_its_spki_and_writes_key_cert_chain_and_full_chain() {
        let host = host_with(&[
            ("INPUT_COMMONNAME", "app.example.com"),
            ("INPUT_ALTNAMES", "a.example.com\nb.example.com"),
            ("INPUT_TTL", "3600"),
            ("INPUT_EXTENDEDKEYUSAGE", "ClientAuth, serverauth"),
        ]);
        host.answer(200, &reply());
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let body: serde_json::Value = serde_json::from_str(&host.requests()[0].body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"cert-issuer-name":"/pki/issuer","key-data-base64":"ZmFrZS1zcGtp","common-name":"app.example.com","alt-names":"a.example.com,b.example.com","ttl":"3600","extended-key-usage":"clientauth,serverauth","token":"t-token-1234"})
        );
        let directory = "/agent/_temp/akeyless-00000000000000000000000000000001";
        assert_eq!(host.mode(&format!("{directory}/key.pem")), Some(0o600));
        assert!(host
            .file(&format!("{directory}/key.pem"))
            .unwrap()
            .contains("fake-ec-p256-pkcs8"));
        assert_eq!(
            host.file(&format!("{directory}/cert.pem")).unwrap(),
            format!("{CERT}\n")
        );
        assert_eq!(
            host.file(&format!("{directory}/chain.pem")).unwrap(),
            format!("{CA}\n")
        );
        assert_eq!(
            host.file(&format!("{directory}/fullchain.pem")).unwrap(),
            format!("{CERT}\n{CA}\n")
        );
        assert!(lines.contains(&"##vso[task.setsecret]fake-ec-p256-pkcs8".to_string()));
        assert!(lines.last().unwrap().contains("result=Succeeded"));
    }

    #[test]
    fn a_csr_is_sent_instead_of_a_key_and_no_key_is_written() {
        let host = host_with(&[(
            "INPUT_CSR",
            "-----BEGIN CERTIFICATE REQUEST-----\nZm9vYmFy\n-----END CERTIFICATE REQUEST-----",
        )]);
        host.answer(200, &reply());
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        let body: serde_json::Value = serde_json::from_str(&host.requests()[0].body).unwrap();
        assert_eq!(body["csr-data-base64"], "Zm9vYmFy");
        assert!(body.get("key-data-base64").is_none());
        assert!(!lines.iter().any(|l| l.contains("privateKeyPath")));
    }

    #[test]
    fn bad_inputs_fail_naming_the_input_before_anything_is_sent_or_written() {
        for (extra, message) in [
            (
                vec![("INPUT_KEYTYPE", "rsa-1024")],
                "The input 'keyType' is not valid: it is 'rsa-1024'",
            ),
            (
                vec![("INPUT_EXTENDEDKEYUSAGE", "emailprotection")],
                "The input 'extendedKeyUsage' is not valid",
            ),
            (
                vec![(
                    "INPUT_CSR",
                    "-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----",
                )],
                "is not a PEM certificate request",
            ),
            (
                vec![("INPUT_CSR", "/no/such.csr")],
                "the file /no/such.csr could not be read (ENOENT)",
            ),
            (
                vec![("INPUT_CSR", "/x.csr"), ("INPUT_COMMONNAME", "a")],
                "come from the CSR",
            ),
        ] {
            let host = host_with(&extra);
            host.assert_refused_on_inputs(&tasks::lines_of_run(TASK_NAME, &host), message);
        }
    }

    #[test]
    fn a_reply_without_a_certificate_fails_with_nothing_written() {
        let host = host_with(&[]);
        host.answer(200, r#"{"data":"","parent_cert":""}"#);
        let lines = tasks::lines_of_run(TASK_NAME, &host);
        assert!(lines
            .last()
            .unwrap()
            .contains("its data is not a PEM certificate"));
        assert!(host.made_no_secret_directory());
    }
}
