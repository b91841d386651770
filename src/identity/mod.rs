//! Credentials the agent's machine can prove without a stored secret: the pipeline's own
//! OIDC token, and an Azure managed identity's token. Each is fetched over HTTP with the same
//! timeouts and retries as Akeyless requests.

pub mod azure_metadata;
pub mod pipeline_oidc;

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            query_value("https://management.azure.com/"),
            "https%3A%2F%2Fmanagement.azure.com%2F"
        );
        assert_eq!(query_value("a-b_c.d~e"), "a-b_c.d~e");
    }
}
