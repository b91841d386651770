//! Short-lived certificates from Akeyless certificate issuers (SPEC section 9):
//! `POST /get-ssh-certificate` signs an OpenSSH public key, `POST /get-pki-certificate` an
//! X.509 certificate for a public key (base64 DER SubjectPublicKeyInfo) or a CSR. Each call
//! issues a new certificate, so neither is sent twice after it may have arrived.

use serde::{Deserialize, Serialize};

use crate::akeyless::client::Operation;

/// The request body of `/get-ssh-certificate`.
#[derive(Debug, Clone, Serialize)]
pub struct GetSshCertificate<'a> {
    #[serde(rename = "cert-issuer-name")]
    pub cert_issuer_name: &'a str,
    /// The principals, comma-separated.
    #[serde(rename = "cert-username")]
    pub cert_username: &'a str,
    /// The OpenSSH public key line to sign.
    #[serde(rename = "public-key-data")]
    pub public_key_data: &'a str,
    /// Seconds, as a JSON integer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    #[serde(rename = "legacy-signing-alg-name")]
    pub legacy_signing_alg_name: bool,
    pub token: &'a str,
}

/// `{data}`: the OpenSSH certificate line.
#[derive(Debug, Clone, Deserialize)]
pub struct SshCertificateReply {
    pub data: Option<String>,
}

impl Operation for GetSshCertificate<'_> {
    const PATH: &'static str = "/get-ssh-certificate";
    type Response = SshCertificateReply;
    const MAY_CREATE: bool = true;
}

/// The request body of `/get-pki-certificate`.
#[derive(Debug, Clone, Serialize)]
pub struct GetPkiCertificate<'a> {
    #[serde(rename = "cert-issuer-name")]
    pub cert_issuer_name: &'a str,
    #[serde(rename = "key-data-base64", skip_serializing_if = "Option::is_none")]
    pub key_data_base64: Option<&'a str>,
    #[serde(rename = "csr-data-base64", skip_serializing_if = "Option::is_none")]
    pub csr_data_base64: Option<&'a str>,
    #[serde(rename = "common-name", skip_serializing_if = "Option::is_none")]
    pub common_name: Option<&'a str>,
    #[serde(rename = "alt-names", skip_serializing_if = "Option::is_none")]
    pub alt_names: Option<&'a str>,
    #[serde(rename = "uri-sans", skip_serializing_if = "Option::is_none")]
    pub uri_sans: Option<&'a str>,
    /// Seconds, as a JSON string (so the API declares it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    #[serde(rename = "extended-key-usage", skip_serializing_if = "Option::is_none")]
    pub extended_key_usage: Option<&'a str>,
    pub token: &'a str,
}

/// `{data, parent_cert}`: the certificate PEM and the issuer's chain PEM.
#[derive(Debug, Clone, Deserialize)]
pub struct PkiCertificateReply {
    pub data: Option<String>,
    pub parent_cert: Option<String>,
}

impl Operation for GetPkiCertificate<'_> {
    const PATH: &'static str = "/get-pki-certificate";
    type Response = PkiCertificateReply;
    const MAY_CREATE: bool = true;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_ssh_request_sends_ttl_as_a_number_and_the_legacy_flag() {
        let body = GetSshCertificate {
            cert_issuer_name: "/ssh/issuer",
            cert_username: "deploy,ubuntu",
            public_key_data: "ssh-ed25519 AAAA k",
            ttl: Some(300),
            legacy_signing_alg_name: false,
            token: "t-1",
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"cert-issuer-name":"/ssh/issuer","cert-username":"deploy,ubuntu","public-key-data":"ssh-ed25519 AAAA k","ttl":300,"legacy-signing-alg-name":false,"token":"t-1"})
        );
    }

    #[test]
    fn a_pki_request_sends_ttl_as_a_string_and_leaves_out_what_is_not_set() {
        let body = GetPkiCertificate {
            cert_issuer_name: "/pki/issuer",
            key_data_base64: Some("MFkw"),
            csr_data_base64: None,
            common_name: Some("app.example.com"),
            alt_names: None,
            uri_sans: None,
            ttl: Some("3600".to_string()),
            extended_key_usage: Some("clientauth"),
            token: "t-1",
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"cert-issuer-name":"/pki/issuer","key-data-base64":"MFkw","common-name":"app.example.com","ttl":"3600","extended-key-usage":"clientauth","token":"t-1"})
        );
    }
}
