//! What the two certificate tasks share: the `ttl` input, a new key pair from the host with
//! its private parts registered as secrets before anything else happens, and a text input
//! that may instead name a file.

use crate::agent::{Agent, InputError};
use crate::host::{GeneratedKeyPair, Host};
use crate::identity::aws_signature::readable_utc;
use crate::tasks::TaskError;

const TTL_INPUT: &str = "ttl";
/// The private members a JWK can have (RFC 7518): all registered as secrets.
const PRIVATE_JWK_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

/// When a certificate requested now with `ttl` seconds expires, for the run summary.
pub fn expiry_text<H: Host>(agent: &Agent<'_, H>, ttl: Option<u64>) -> String {
    match ttl {
        Some(seconds) => {
            let expires_ms = agent.host().wall_clock_ms() + seconds as f64 * 1000.0;
            format!("expires about {}", readable_utc(expires_ms))
        }
        None => "expires when the issuer's default TTL ends".to_string(),
    }
}

/// `ttl`: whole seconds from 1; `None` when empty (the issuer's default).
pub fn ttl_seconds<H: Host>(agent: &Agent<'_, H>) -> Result<Option<u64>, TaskError> {
    let Some(text) = agent.input(TTL_INPUT) else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(seconds) if seconds >= 1 => Ok(Some(seconds)),
        _ => Err(InputError::Invalid {
            input: TTL_INPUT.to_string(),
            problem: format!(
                "it is '{}'; give the certificate's lifetime in whole seconds (e.g. 3600), or \
                 leave it empty for the issuer's default.",
                text.trim()
            ),
        }
        .into()),
    }
}

/// A new key pair of `algorithm`, its private key registered (PEM, lines and JWK members).
pub fn generate<H: Host>(
    agent: &Agent<'_, H>,
    algorithm: &str,
) -> Result<GeneratedKeyPair, TaskError> {
    let pair = agent.host().generate_key_pair(algorithm).map_err(|code| {
        TaskError::Message(format!(
            "A new {algorithm} key pair could not be generated on this agent ({code})."
        ))
    })?;
    agent.register_secret(&pair.pkcs8);
    for member in PRIVATE_JWK_MEMBERS {
        if let Some(value) = pair.jwk.get(member).and_then(|v| v.as_str()) {
            agent.register_secret(value);
        }
    }
    Ok(pair)
}

/// The input `name` as text: the value itself when `inline` says it is, else the contents of
/// the file it names (the path is quoted when the file cannot be read: paths are not secret).
pub fn text_or_file<H: Host>(
    agent: &Agent<'_, H>,
    name: &str,
    value: &str,
    inline: impl Fn(&str) -> bool,
) -> Result<String, TaskError> {
    let value = value.trim();
    if inline(value) {
        return Ok(value.to_string());
    }
    agent.host().read_file(value).map_err(|code| {
        InputError::Invalid {
            input: name.to_string(),
            problem: format!("the file {value} could not be read ({code})."),
        }
        .into()
    })
}
