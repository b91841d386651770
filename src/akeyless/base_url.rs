//! The Akeyless API base URL from the service connection, and joining operation paths to it.
//!
//! Every Akeyless client joins by plain concatenation after dropping trailing `/`, so
//! `https://api.akeyless.io` gives `https://api.akeyless.io/auth` and
//! `https://gw:8000/api/v2/` gives `https://gw:8000/api/v2/auth`. `/api/v2` is never added
//! or removed here: which form a gateway serves is the user's choice.

use crate::akeyless::ApiError;

/// A validated base URL without trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Checks the connection's URL: `http(s)://host[:port][/path]`, nothing else.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let url = raw.trim().trim_end_matches('/');
        let invalid = |reason: &'static str| ApiError::InvalidBaseUrl {
            url: raw.trim().to_string(),
            reason,
        };
        let lower = url.to_ascii_lowercase();
        let rest = if lower.starts_with("https://") {
            &url["https://".len()..]
        } else if lower.starts_with("http://") {
            &url["http://".len()..]
        } else {
            return Err(invalid("it must start with https:// (or http://)"));
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            return Err(invalid("it has no host name"));
        }
        if authority.contains('@') {
            return Err(invalid("it must not contain a user name or password"));
        }
        if url.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') {
            return Err(invalid(
                "it must not contain spaces, a query (?) or a fragment (#)",
            ));
        }
        Ok(BaseUrl(url.to_string()))
    }

    /// The URL of the operation at `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(raw: &str) -> String {
        BaseUrl::parse(raw).unwrap().join("/auth")
    }

    #[test]
    fn the_public_api_joins_directly() {
        assert_eq!(
            joined("https://api.akeyless.io"),
            "https://api.akeyless.io/auth"
        );
    }

    #[test]
    fn trailing_slashes_are_dropped_before_joining() {
        assert_eq!(
            joined("https://my.gw:8000/api/v2/"),
            "https://my.gw:8000/api/v2/auth"
        );
        assert_eq!(
            joined("https://api.akeyless.io//"),
            "https://api.akeyless.io/auth"
        );
    }

    #[test]
    fn gateway_paths_are_kept_as_entered() {
        assert_eq!(joined("https://gw:8080/v2"), "https://gw:8080/v2/auth");
        assert_eq!(joined("http://gw:8081"), "http://gw:8081/auth");
    }

    #[test]
    fn surrounding_whitespace_and_scheme_case_are_tolerated() {
        assert_eq!(
            joined("  HTTPS://api.akeyless.io \n"),
            "HTTPS://api.akeyless.io/auth"
        );
    }

    fn reason(raw: &str) -> &'static str {
        match BaseUrl::parse(raw) {
            Err(ApiError::InvalidBaseUrl { reason, .. }) => reason,
            other => panic!("expected an invalid URL, got {other:?}"),
        }
    }

    #[test]
    fn a_url_without_scheme_is_rejected() {
        assert!(reason("api.akeyless.io").contains("https://"));
    }

    #[test]
    fn a_url_without_host_is_rejected() {
        assert!(reason("https:///api/v2").contains("host"));
    }

    #[test]
    fn a_url_with_credentials_is_rejected() {
        assert!(reason("https://user:pw@gw").contains("password"));
    }

    #[test]
    fn a_url_with_a_query_or_spaces_is_rejected() {
        assert!(reason("https://gw/api?x=1").contains("query"));
        assert!(reason("https://g w").contains("spaces"));
    }
}
