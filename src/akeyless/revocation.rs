//! Taking credentials back: `POST /revoke-creds` revokes a token, `POST /validate-token`
//! tells whether Akeyless still takes it, and `POST /dynamic-secret-tmp-creds-delete` deletes
//! the credentials one dynamic secret request minted.
//!
//! `/revoke-creds` declares no body in the API's 2024 spec, whose SDKs therefore cannot name
//! the token; the `revokeCreds` schema it lists has `token`, which is what is sent. Whether
//! Akeyless honours it is not documented, so revoking is always checked with
//! `/validate-token` before the log says "revoked".

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::akeyless::client::Operation;

/// Revokes the credentials of `token`. Replies `{}`.
#[derive(Debug, Clone, Serialize)]
pub struct RevokeCreds<'a> {
    pub token: &'a str,
}

impl Operation for RevokeCreds<'_> {
    const PATH: &'static str = "/revoke-creds";
    type Response = Map<String, Value>;
    const REPLY_MAY_BE_EMPTY: bool = true;
}

/// Asks whether `token` is still valid.
#[derive(Debug, Clone, Serialize)]
pub struct ValidateToken<'a> {
    pub token: &'a str,
}

/// What `/validate-token` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenValidity {
    #[serde(default)]
    pub is_valid: bool,
    /// When the token expires by itself, as Akeyless writes it.
    #[serde(default)]
    pub expiration: Option<String>,
}

impl Operation for ValidateToken<'_> {
    const PATH: &'static str = "/validate-token";
    type Response = TokenValidity;
}

/// Deletes exactly the credentials with `tmp-creds-id` of the dynamic secret `name`; never
/// every consumer's (`revoke-all` is not sent). Replies 201 with no body.
#[derive(Debug, Clone, Serialize)]
pub struct DeleteTmpCreds<'a> {
    pub name: &'a str,
    #[serde(rename = "tmp-creds-id")]
    pub tmp_creds_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
    pub token: &'a str,
}

impl Operation for DeleteTmpCreds<'_> {
    const PATH: &'static str = "/dynamic-secret-tmp-creds-delete";
    type Response = Map<String, Value>;
    const REPLY_MAY_BE_EMPTY: bool = true;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn revoking_sends_the_token() {
        assert_eq!(
            serde_json::to_value(RevokeCreds { token: "t-1" }).unwrap(),
            json!({"token": "t-1"})
        );
    }

    #[test]
    fn deleting_names_the_credentials_and_never_all_of_them() {
        let body = DeleteTmpCreds {
            name: "/dynamic/pg",
            tmp_creds_id: "tmp_user_1",
            host: None,
            token: "t-1",
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"name": "/dynamic/pg", "tmp-creds-id": "tmp_user_1", "token": "t-1"})
        );
        let with_host = DeleteTmpCreds {
            host: Some("db1"),
            ..body
        };
        assert_eq!(serde_json::to_value(&with_host).unwrap()["host"], "db1");
    }

    #[test]
    fn a_validity_reply_reads_with_or_without_its_fields() {
        let reply: TokenValidity =
            serde_json::from_str(r#"{"is_valid":true,"expiration":"2030-01-01","ttl":60}"#)
                .unwrap();
        assert!(reply.is_valid);
        assert_eq!(reply.expiration.as_deref(), Some("2030-01-01"));
        assert_eq!(
            serde_json::from_str::<TokenValidity>("{}").unwrap(),
            TokenValidity::default()
        );
    }
}
