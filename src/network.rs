//! How requests leave the agent: the forward proxy and the extra certificate authorities,
//! read once from the agent's environment.
//!
//! The agent's own proxy settings win (`AGENT_PROXYURL`, `AGENT_PROXYUSERNAME`,
//! `AGENT_PROXYPASSWORD` — a secret variable, so also read as `SECRET_AGENT_PROXYPASSWORD` —
//! and `AGENT_PROXYBYPASSLIST`, a JSON list of regular expressions matched against the URL,
//! as task-lib does). Without them the conventional `HTTPS_PROXY` / `HTTP_PROXY` /
//! `NO_PROXY` variables apply (lower-case names too, which win as curl's do). Loopback and
//! private addresses are proxied like any other unless a bypass rule names them (SPEC 5).
//!
//! Certificate authorities: Node reads `NODE_EXTRA_CA_CERTS` itself. The agent's
//! `AGENT_CAINFO` has to be given to each connection, and giving one replaces Node's extra
//! certificates, so when it is set both files are passed on.

use crate::host::{Proxy, Route};

/// The network settings of this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    agent_proxy: Option<AgentProxy>,
    https_proxy: Option<String>,
    http_proxy: Option<String>,
    no_proxy: Vec<String>,
    ca_files: Vec<String>,
    /// `NODE_TLS_REJECT_UNAUTHORIZED=0` is set; the host verifies certificates anyway.
    pub tls_verification_disabled_in_env: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AgentProxy {
    proxy: Proxy,
    bypass_patterns: Vec<String>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl NetworkSettings {
    /// Reads the settings from the environment.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str| non_empty(env(name));
        let agent_proxy = read("AGENT_PROXYURL").map(|url| AgentProxy {
            proxy: Proxy {
                url,
                username: read("AGENT_PROXYUSERNAME"),
                password: read("AGENT_PROXYPASSWORD")
                    .or_else(|| read("SECRET_AGENT_PROXYPASSWORD")),
            },
            bypass_patterns: bypass_patterns(read("AGENT_PROXYBYPASSLIST")),
        });
        let either_case = |upper: &str| read(&upper.to_ascii_lowercase()).or_else(|| read(upper));
        let ca_files = match read("AGENT_CAINFO") {
            Some(agent_ca) => std::iter::once(agent_ca)
                .chain(read("NODE_EXTRA_CA_CERTS"))
                .collect(),
            None => Vec::new(),
        };
        NetworkSettings {
            agent_proxy,
            https_proxy: either_case("HTTPS_PROXY"),
            http_proxy: either_case("HTTP_PROXY"),
            no_proxy: either_case("NO_PROXY")
                .map(|list| {
                    list.split([',', ' '])
                        .map(str::trim)
                        .filter(|entry| !entry.is_empty())
                        .map(str::to_ascii_lowercase)
                        .collect()
                })
                .unwrap_or_default(),
            ca_files,
            tls_verification_disabled_in_env: read("NODE_TLS_REJECT_UNAUTHORIZED").as_deref()
                == Some("0"),
        }
    }

    /// The secrets among the settings (proxy passwords), to register with the masker.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        if let Some(password) = self
            .agent_proxy
            .as_ref()
            .and_then(|agent| agent.proxy.password.clone())
        {
            secrets.push(password);
        }
        for url in [&self.https_proxy, &self.http_proxy].into_iter().flatten() {
            if let Some(password) = url_password(url) {
                secrets.push(password);
            }
        }
        secrets
    }

    /// The route for `url`. `matches` tests one bypass pattern against the URL (see
    /// `Host::pattern_matches`).
    pub fn route(&self, url: &str, matches: impl Fn(&str, &str) -> Option<bool>) -> Route {
        let proxy = match &self.agent_proxy {
            Some(agent) => {
                let bypassed = agent
                    .bypass_patterns
                    .iter()
                    .any(|pattern| matches(pattern, url) == Some(true));
                (!bypassed).then(|| agent.proxy.clone())
            }
            None => self.environment_proxy(url),
        };
        Route {
            proxy,
            ca_files: self.ca_files.clone(),
        }
    }

    fn environment_proxy(&self, url: &str) -> Option<Proxy> {
        let https = url.to_ascii_lowercase().starts_with("https://");
        let proxy_url = if https {
            self.https_proxy.clone()
        } else {
            self.http_proxy.clone()
        }?;
        if self.bypassed_by_no_proxy(url) {
            return None;
        }
        Some(Proxy {
            url: proxy_url,
            username: None,
            password: None,
        })
    }

    /// Whether `NO_PROXY` names the host of `url`. Apart from the rest of
    /// `environment_proxy`, so that a run with no proxy (most runs) never compiles it: V8
    /// compiles a wasm function whole on its first call.
    #[inline(never)]
    fn bypassed_by_no_proxy(&self, url: &str) -> bool {
        let (host, port) = host_and_port(url);
        self.no_proxy
            .iter()
            .any(|entry| no_proxy_matches(entry, &host, port))
    }
}

/// `AGENT_PROXYBYPASSLIST`: a JSON list of patterns; a plain comma-separated list is
/// accepted too, since hand-set variables are not always JSON.
fn bypass_patterns(list: Option<String>) -> Vec<String> {
    let Some(list) = list else {
        return Vec::new();
    };
    match serde_json::from_str::<Vec<String>>(&list) {
        Ok(patterns) => patterns,
        Err(_) => list.split(',').map(|p| p.trim().to_string()).collect(),
    }
    .into_iter()
    .filter(|pattern| !pattern.is_empty())
    .collect()
}

/// The lower-cased host and the port of an `http(s)://` URL.
fn host_and_port(url: &str) -> (String, u16) {
    let lower = url.to_ascii_lowercase();
    let (rest, default_port) = match split_scheme(&lower) {
        Some(("https", rest)) => (rest, 443),
        Some((_, rest)) => (rest, 80),
        None => (lower.as_str(), 80),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    // An IPv6 literal keeps its brackets' content; its port follows the `]`.
    if let Some(inner) = authority.strip_prefix('[') {
        let (address, after) = inner.split_once(']').unwrap_or((inner, ""));
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (address.to_string(), port.unwrap_or(default_port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host.to_string(), port.parse().unwrap_or(default_port)),
        None => (authority.to_string(), default_port),
    }
}

/// `url` split at its `://`, if it has one. Found by bytes: a substring searcher is a lot of
/// code for every step to compile.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let at = url
        .as_bytes()
        .windows(3)
        .position(|bytes| bytes == b"://")?;
    Some((&url[..at], &url[at + 3..]))
}

/// curl's `NO_PROXY` rules: `*` matches all; `example.com` and `.example.com` match the host
/// and its subdomains; `host:port` only that port.
fn no_proxy_matches(entry: &str, host: &str, port: u16) -> bool {
    if entry == "*" {
        return true;
    }
    let (name, entry_port) = match entry.rsplit_once(':') {
        Some((name, p)) if !name.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => {
            (name, p.parse::<u16>().ok())
        }
        _ => (entry, None),
    };
    if entry_port.is_some_and(|p| p != port) {
        return false;
    }
    let name = name.trim_start_matches("*.").trim_start_matches('.');
    let name = name.trim_start_matches('[').trim_end_matches(']');
    host == name || host.ends_with(&format!(".{name}"))
}

/// A URL fit for messages: any `user:password@` removed. The user information is taken to
/// run to the last `@` before any query or fragment, even across a `/`: a password may hold
/// an unencoded `/`, and no part of it may be printed.
pub fn without_credentials(url: &str) -> String {
    let (scheme, rest) = match split_scheme(url) {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let before_query = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let after_user = match before_query.rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{after_user}"),
        None => after_user.to_string(),
    }
}

/// The password embedded in a proxy URL (`http://user:password@proxy`), percent-decoded.
#[inline(never)]
fn url_password(url: &str) -> Option<String> {
    let rest = split_scheme(url)?.1;
    let userinfo = rest.split('/').next()?.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    (!password.is_empty()).then(|| percent_decode(password))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> NetworkSettings {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        NetworkSettings::from_env(move |name| map.get(name).cloned())
    }

    /// A literal-substring stand-in for the host's regular expressions.
    fn literal(pattern: &str, text: &str) -> Option<bool> {
        Some(text.contains(&pattern.replace('\\', "")))
    }

    fn proxy_url(settings: &NetworkSettings, url: &str) -> Option<String> {
        settings.route(url, literal).proxy.map(|p| p.url)
    }

    #[test]
    fn no_settings_means_direct() {
        assert_eq!(
            settings(&[]).route("https://api.akeyless.io/auth", literal),
            Route::default()
        );
    }

    #[test]
    fn the_agent_proxy_carries_its_credentials_and_the_secret_password() {
        let settings = settings(&[
            ("AGENT_PROXYURL", "http://proxy.corp:3128"),
            ("AGENT_PROXYUSERNAME", "build"),
            ("SECRET_AGENT_PROXYPASSWORD", "pr0xy-pw"),
        ]);
        assert_eq!(
            settings
                .route("https://api.akeyless.io/auth", literal)
                .proxy,
            Some(Proxy {
                url: "http://proxy.corp:3128".into(),
                username: Some("build".into()),
                password: Some("pr0xy-pw".into()),
            })
        );
        assert_eq!(settings.secrets(), vec!["pr0xy-pw"]);
    }

    #[test]
    fn the_agent_bypass_list_is_a_json_list_of_patterns_tested_on_the_url() {
        let settings = settings(&[
            ("AGENT_PROXYURL", "http://proxy:3128"),
            (
                "AGENT_PROXYBYPASSLIST",
                r#"["127\\.0\\.0\\.1","gw\\.internal"]"#,
            ),
        ]);
        assert_eq!(proxy_url(&settings, "http://127.0.0.1:8080/auth"), None);
        assert_eq!(
            proxy_url(&settings, "https://gw.internal:8000/api/v2/auth"),
            None
        );
        assert_eq!(
            proxy_url(&settings, "https://api.akeyless.io/auth").as_deref(),
            Some("http://proxy:3128")
        );
    }

    #[test]
    fn a_bypass_list_that_is_not_json_is_read_as_comma_separated() {
        let settings = settings(&[
            ("AGENT_PROXYURL", "http://proxy:3128"),
            ("AGENT_PROXYBYPASSLIST", "gw.internal, other"),
        ]);
        assert_eq!(proxy_url(&settings, "https://gw.internal/auth"), None);
    }

    #[test]
    fn an_invalid_bypass_pattern_bypasses_nothing() {
        let settings = settings(&[
            ("AGENT_PROXYURL", "http://proxy:3128"),
            ("AGENT_PROXYBYPASSLIST", r#"["("]"#),
        ]);
        let invalid = |_: &str, _: &str| None;
        assert!(settings.route("https://x/auth", invalid).proxy.is_some());
    }

    #[test]
    fn loopback_is_proxied_unless_a_rule_bypasses_it() {
        let settings = settings(&[("HTTP_PROXY", "http://proxy:3128")]);
        assert!(proxy_url(&settings, "http://127.0.0.1:8080/auth").is_some());
    }

    #[test]
    fn the_agent_proxy_wins_over_the_environment() {
        let settings = settings(&[
            ("AGENT_PROXYURL", "http://agent-proxy:1"),
            ("HTTPS_PROXY", "http://env-proxy:2"),
        ]);
        assert_eq!(
            proxy_url(&settings, "https://api.akeyless.io").as_deref(),
            Some("http://agent-proxy:1")
        );
    }

    #[test]
    fn https_and_http_urls_use_their_own_variables_and_lower_case_wins() {
        let settings = settings(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
            ("HTTP_PROXY", "http://plain:3"),
        ]);
        assert_eq!(
            proxy_url(&settings, "https://a/x").as_deref(),
            Some("http://lower:2")
        );
        assert_eq!(
            proxy_url(&settings, "http://a/x").as_deref(),
            Some("http://plain:3")
        );
    }

    #[test]
    fn no_proxy_follows_curls_rules() {
        let settings = settings(&[
            ("HTTPS_PROXY", "http://proxy:1"),
            (
                "NO_PROXY",
                "internal.corp, .svc.local,gw.example:8443 [::1]",
            ),
        ]);
        assert_eq!(proxy_url(&settings, "https://internal.corp/x"), None);
        assert_eq!(proxy_url(&settings, "https://api.internal.corp/x"), None);
        assert_eq!(proxy_url(&settings, "https://a.svc.local/x"), None);
        assert_eq!(proxy_url(&settings, "https://gw.example:8443/x"), None);
        assert_eq!(proxy_url(&settings, "https://[::1]:8000/x"), None);
        assert!(proxy_url(&settings, "https://gw.example/x").is_some());
        assert!(proxy_url(&settings, "https://notinternal.corp/x").is_some());
    }

    #[test]
    fn no_proxy_star_bypasses_everything() {
        let everything = settings(&[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "*")]);
        assert_eq!(proxy_url(&everything, "https://a/"), None);
    }

    #[test]
    fn credentials_are_removed_from_proxy_urls_for_messages() {
        assert_eq!(
            without_credentials("http://u:p@proxy:3128"),
            "http://proxy:3128"
        );
        assert_eq!(
            without_credentials("http://proxy:3128/"),
            "http://proxy:3128/"
        );
        assert_eq!(without_credentials("u:p@proxy:3128"), "proxy:3128");
    }

    #[test]
    fn no_part_of_a_password_is_left_in_a_url_for_messages() {
        assert_eq!(
            without_credentials("https://admin:pa/ss@gw:8000/api/v2"),
            "https://gw:8000/api/v2"
        );
        assert_eq!(
            without_credentials("https://a:b@c@gw/api?x=1@y"),
            "https://gw/api?x=1@y"
        );
        assert_eq!(
            without_credentials("https://gw:8000/api/v2"),
            "https://gw:8000/api/v2"
        );
    }

    #[test]
    fn a_password_in_a_proxy_url_is_a_secret() {
        let settings = settings(&[("HTTPS_PROXY", "http://user:p%40ss@proxy:3128")]);
        assert_eq!(settings.secrets(), vec!["p@ss"]);
    }

    #[test]
    fn the_agent_ca_brings_node_extra_ca_certs_along() {
        let both = settings(&[
            ("AGENT_CAINFO", "/agent/ca.pem"),
            ("NODE_EXTRA_CA_CERTS", "/extra.pem"),
        ]);
        assert_eq!(
            both.route("https://gw/x", literal).ca_files,
            vec!["/agent/ca.pem", "/extra.pem"]
        );
        let node_only = settings(&[("NODE_EXTRA_CA_CERTS", "/extra.pem")]);
        assert!(node_only.route("https://gw/x", literal).ca_files.is_empty());
    }

    #[test]
    fn disabled_tls_verification_in_the_environment_is_noticed() {
        assert!(
            settings(&[("NODE_TLS_REJECT_UNAUTHORIZED", "0")]).tls_verification_disabled_in_env
        );
        assert!(!settings(&[]).tls_verification_disabled_in_env);
    }
}
