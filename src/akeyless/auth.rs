//! `POST /auth`: exchanging an Access ID and a credential for an Akeyless token.

use serde::{Deserialize, Serialize};

use crate::akeyless::access_type::AccessType;
use crate::akeyless::client::Operation;

/// The credential that proves the caller may use the Access ID, as the API takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API key (`access_key` auth methods).
    AccessKey(String),
    /// A JWT that a JWT/OAuth2 auth method trusts.
    Jwt(String),
    /// Base64 of an Azure AD access token for `https://management.azure.com/`.
    AzureAd { cloud_id: String },
    /// Base64 of a signed (never sent) STS `GetCallerIdentity` request.
    AwsIam { cloud_id: String },
    /// Base64 of a Google-signed ID token for `audience`.
    Gcp { cloud_id: String, audience: String },
    /// A Kubernetes service-account token (base64), checked by a gateway's K8s auth config.
    Kubernetes {
        config_name: String,
        service_account_token: String,
        gateway_url: String,
    },
    /// A Universal Identity token.
    UniversalIdentity(String),
    /// A client certificate and its private key, each base64 of the PEM.
    Certificate { cert_data: String, key_data: String },
}

impl Credential {
    pub fn access_type(&self) -> AccessType {
        match self {
            Credential::AccessKey(_) => AccessType::AccessKey,
            Credential::Jwt(_) => AccessType::Jwt,
            Credential::AzureAd { .. } => AccessType::AzureAd,
            Credential::AwsIam { .. } => AccessType::AwsIam,
            Credential::Gcp { .. } => AccessType::Gcp,
            Credential::Kubernetes { .. } => AccessType::Kubernetes,
            Credential::UniversalIdentity(_) => AccessType::UniversalIdentity,
            Credential::Certificate { .. } => AccessType::Certificate,
        }
    }
}

/// The `/auth` request body, with the keys exactly as the API spells them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthRequest {
    #[serde(rename = "access-type")]
    access_type: &'static str,
    #[serde(rename = "access-id")]
    access_id: String,
    #[serde(rename = "access-key", skip_serializing_if = "Option::is_none")]
    access_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwt: Option<String>,
    #[serde(rename = "cloud-id", skip_serializing_if = "Option::is_none")]
    cloud_id: Option<String>,
    #[serde(rename = "gcp-audience", skip_serializing_if = "Option::is_none")]
    gcp_audience: Option<String>,
    #[serde(
        rename = "k8s-auth-config-name",
        skip_serializing_if = "Option::is_none"
    )]
    k8s_auth_config_name: Option<String>,
    #[serde(
        rename = "k8s-service-account-token",
        skip_serializing_if = "Option::is_none"
    )]
    k8s_service_account_token: Option<String>,
    #[serde(rename = "gateway-url", skip_serializing_if = "Option::is_none")]
    gateway_url: Option<String>,
    #[serde(rename = "uid-token", skip_serializing_if = "Option::is_none")]
    uid_token: Option<String>,
    #[serde(rename = "cert-data", skip_serializing_if = "Option::is_none")]
    cert_data: Option<String>,
    #[serde(rename = "key-data", skip_serializing_if = "Option::is_none")]
    key_data: Option<String>,
}

impl AuthRequest {
    pub fn new(access_id: &str, credential: Credential) -> Self {
        let mut request = AuthRequest {
            access_type: credential.access_type().api_name(),
            access_id: access_id.to_string(),
            ..AuthRequest::default()
        };
        match credential {
            Credential::AccessKey(key) => request.access_key = Some(key),
            Credential::Jwt(jwt) => request.jwt = Some(jwt),
            Credential::AzureAd { cloud_id } | Credential::AwsIam { cloud_id } => {
                request.cloud_id = Some(cloud_id);
            }
            Credential::Gcp { cloud_id, audience } => {
                request.cloud_id = Some(cloud_id);
                request.gcp_audience = Some(audience);
            }
            Credential::Kubernetes {
                config_name,
                service_account_token,
                gateway_url,
            } => {
                request.k8s_auth_config_name = Some(config_name);
                request.k8s_service_account_token = Some(service_account_token);
                request.gateway_url = Some(gateway_url);
            }
            Credential::UniversalIdentity(token) => request.uid_token = Some(token),
            Credential::Certificate {
                cert_data,
                key_data,
            } => {
                request.cert_data = Some(cert_data);
                request.key_data = Some(key_data);
            }
        }
        request
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
    /// When the token expires by itself; read as any JSON, since only its text is shown.
    #[serde(default)]
    pub expiration: Option<serde_json::Value>,
}

impl AuthResponse {
    /// The expiry as text, when Akeyless gave one as text.
    pub fn expiration_text(&self) -> Option<String> {
        self.expiration
            .as_ref()?
            .as_str()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    }
}

impl Operation for AuthRequest {
    const PATH: &'static str = "/auth";
    type Response = AuthResponse;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(credential: Credential) -> serde_json::Value {
        serde_json::to_value(AuthRequest::new("p-abcdefghij12a3", credential)).unwrap()
    }

    #[test]
    fn an_access_key_login_sends_access_type_id_and_key() {
        assert_eq!(
            body(Credential::AccessKey("k==".into())),
            json!({"access-type": "access_key", "access-id": "p-abcdefghij12a3", "access-key": "k=="})
        );
    }

    #[test]
    fn a_jwt_login_sends_access_type_id_and_jwt() {
        assert_eq!(
            body(Credential::Jwt("eyJ.x.y".into())),
            json!({"access-type": "jwt", "access-id": "p-abcdefghij12a3", "jwt": "eyJ.x.y"})
        );
    }

    #[test]
    fn an_azure_ad_login_sends_the_cloud_id() {
        assert_eq!(
            body(Credential::AzureAd {
                cloud_id: "Y2xvdWQ=".into()
            }),
            json!({"access-type": "azure_ad", "access-id": "p-abcdefghij12a3", "cloud-id": "Y2xvdWQ="})
        );
    }

    #[test]
    fn a_kubernetes_login_sends_config_token_and_gateway() {
        assert_eq!(
            body(Credential::Kubernetes {
                config_name: "k8s-conf".into(),
                service_account_token: "dG9rZW4=".into(),
                gateway_url: "https://gw:8000".into(),
            }),
            json!({
                "access-type": "k8s", "access-id": "p-abcdefghij12a3",
                "k8s-auth-config-name": "k8s-conf", "k8s-service-account-token": "dG9rZW4=",
                "gateway-url": "https://gw:8000"
            })
        );
    }

    #[test]
    fn a_universal_identity_login_sends_the_uid_token() {
        assert_eq!(
            body(Credential::UniversalIdentity("u-123".into())),
            json!({"access-type": "universal_identity", "access-id": "p-abcdefghij12a3", "uid-token": "u-123"})
        );
    }

    #[test]
    fn a_certificate_login_sends_cert_and_key_data() {
        assert_eq!(
            body(Credential::Certificate {
                cert_data: "Y2VydA==".into(),
                key_data: "a2V5".into()
            }),
            json!({"access-type": "cert", "access-id": "p-abcdefghij12a3", "cert-data": "Y2VydA==", "key-data": "a2V5"})
        );
    }
}
