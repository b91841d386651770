//! `POST /auth`: exchanging an Access ID and a credential for an Akeyless token.

use serde::{Deserialize, Serialize};

use crate::akeyless::client::Operation;

/// The credential that proves the caller owns the Access ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API key (`access_key` auth methods).
    AccessKey(String),
    /// A JWT that a JWT/OAuth2 auth method trusts.
    Jwt(String),
}

/// The `/auth` request body, with the keys exactly as the API spells them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthRequest {
    #[serde(rename = "access-type")]
    access_type: &'static str,
    #[serde(rename = "access-id")]
    access_id: String,
    #[serde(rename = "access-key", skip_serializing_if = "Option::is_none")]
    access_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwt: Option<String>,
}

impl AuthRequest {
    pub fn new(access_id: &str, credential: Credential) -> Self {
        let (access_type, access_key, jwt) = match credential {
            Credential::AccessKey(key) => ("access_key", Some(key), None),
            Credential::Jwt(jwt) => ("jwt", None, Some(jwt)),
        };
        AuthRequest {
            access_type,
            access_id: access_id.to_string(),
            access_key,
            jwt,
        }
    }

    /// The `access-type` sent, as Akeyless names the auth method kind.
    pub fn access_type(&self) -> &'static str {
        self.access_type
    }
}

/// The part of the `/auth` reply the tasks use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuthResponse {
    pub token: Option<String>,
}

impl Operation for AuthRequest {
    const PATH: &'static str = "/auth";
    type Response = AuthResponse;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_key_login_sends_access_type_id_and_key() {
        let request = AuthRequest::new("p-abcdefghij12a3", Credential::AccessKey("k==".into()));
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "access-type": "access_key",
                "access-id": "p-abcdefghij12a3",
                "access-key": "k=="
            })
        );
    }

    #[test]
    fn a_jwt_login_sends_access_type_id_and_jwt() {
        let request = AuthRequest::new("p-abcdefghijo1", Credential::Jwt("eyJ.x.y".into()));
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "access-type": "jwt",
                "access-id": "p-abcdefghijo1",
                "jwt": "eyJ.x.y"
            })
        );
    }
}
