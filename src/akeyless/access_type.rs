//! The kinds of Akeyless auth method, and reading one from an Access ID.
//!
//! An Access ID is `p-` followed by 12 or 14 letters and digits; the second-to-last of them
//! names the method's kind: `a` access key, `o` JWT/OAuth2, `z` Azure AD, `w` AWS IAM,
//! `k` Kubernetes, `g` GCP (as Akeyless's own integrations read it). Other kinds cannot be
//! derived and must be chosen with the `accessType` input.

use std::fmt;

/// An auth method kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessType {
    AccessKey,
    Jwt,
    AzureAd,
    AwsIam,
    Kubernetes,
    Gcp,
    UniversalIdentity,
    Certificate,
}

/// What the `accessType` input asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodChoice {
    /// Read the kind from the Access ID.
    Auto,
    Explicit(AccessType),
}

/// The `accessType` options, for messages.
pub const CHOICES: &str =
    "auto, access_key, jwt, azure_ad, aws_iam, gcp, k8s, universal_identity or cert";

/// The letters of derivable kinds, for messages.
pub const KNOWN_LETTERS: &str =
    "a (access key), o (JWT), z (Azure AD), w (AWS IAM), k (Kubernetes), g (GCP)";

impl AccessType {
    /// The `access-type` value the API expects.
    pub fn api_name(self) -> &'static str {
        match self {
            AccessType::AccessKey => "access_key",
            AccessType::Jwt => "jwt",
            AccessType::AzureAd => "azure_ad",
            AccessType::AwsIam => "aws_iam",
            AccessType::Kubernetes => "k8s",
            AccessType::Gcp => "gcp",
            AccessType::UniversalIdentity => "universal_identity",
            AccessType::Certificate => "cert",
        }
    }

    /// The choice made in the `accessType` pick list; `None` if it is not an option.
    pub fn from_choice(choice: &str) -> Option<MethodChoice> {
        let choice = choice.trim().to_ascii_lowercase();
        if choice.is_empty() || choice == "auto" {
            return Some(MethodChoice::Auto);
        }
        [
            AccessType::AccessKey,
            AccessType::Jwt,
            AccessType::AzureAd,
            AccessType::AwsIam,
            AccessType::Gcp,
            AccessType::Kubernetes,
            AccessType::UniversalIdentity,
            AccessType::Certificate,
        ]
        .into_iter()
        .find(|kind| kind.api_name() == choice)
        .map(MethodChoice::Explicit)
    }

    /// The kind an Access ID names, or why it names none.
    pub fn from_access_id(access_id: &str) -> Result<Self, UnknownAccessId> {
        let unknown = |letter| UnknownAccessId {
            access_id: access_id.to_string(),
            letter,
        };
        let body = access_id
            .strip_prefix("p-")
            .filter(|body| {
                (body.len() == 12 || body.len() == 14)
                    && body.chars().all(|c| c.is_ascii_alphanumeric())
            })
            .ok_or_else(|| unknown(None))?;
        let letter = body.chars().rev().nth(1).ok_or_else(|| unknown(None))?;
        match letter.to_ascii_lowercase() {
            'a' => Ok(AccessType::AccessKey),
            'o' => Ok(AccessType::Jwt),
            'z' => Ok(AccessType::AzureAd),
            'w' => Ok(AccessType::AwsIam),
            'k' => Ok(AccessType::Kubernetes),
            'g' => Ok(AccessType::Gcp),
            other => Err(unknown(Some(other))),
        }
    }
}

impl fmt::Display for AccessType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessType::AccessKey => "API key",
            AccessType::Jwt => "JWT",
            AccessType::AzureAd => "Azure AD",
            AccessType::AwsIam => "AWS IAM",
            AccessType::Kubernetes => "Kubernetes",
            AccessType::Gcp => "GCP",
            AccessType::UniversalIdentity => "Universal Identity",
            AccessType::Certificate => "certificate",
        })
    }
}

/// An Access ID whose kind cannot be read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAccessId {
    pub access_id: String,
    /// The kind letter, when the ID has the usual shape.
    pub letter: Option<char>,
}

impl fmt::Display for UnknownAccessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.letter {
            Some(letter) => write!(
                f,
                "The auth method kind cannot be read from the Access ID {}: its kind letter \
                 '{letter}' is not one of {KNOWN_LETTERS}",
                self.access_id
            ),
            None => write!(
                f,
                "The auth method kind cannot be read from the Access ID {}: it is not of the \
                 form p- followed by 12 or 14 letters and digits",
                self.access_id
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_known_letter_gives_its_kind() {
        let cases = [
            ("p-abcdefghij12a3", AccessType::AccessKey),
            ("p-abcdefghijo1", AccessType::Jwt),
            ("p-abcdefghij12z3", AccessType::AzureAd),
            ("p-abcdefghijw1", AccessType::AwsIam),
            ("p-abcdefghij12k3", AccessType::Kubernetes),
            ("p-abcdefghijg1", AccessType::Gcp),
        ];
        for (access_id, kind) in cases {
            assert_eq!(
                AccessType::from_access_id(access_id),
                Ok(kind),
                "{access_id}"
            );
        }
    }

    #[test]
    fn the_letter_is_read_in_any_case() {
        assert_eq!(
            AccessType::from_access_id("p-ABCDEFGHIJ12A3"),
            Ok(AccessType::AccessKey)
        );
    }

    #[test]
    fn an_unknown_letter_is_named_with_the_known_ones() {
        let error = AccessType::from_access_id("p-abcdefghij12x3").unwrap_err();
        assert_eq!(error.letter, Some('x'));
        assert!(error
            .to_string()
            .contains("'x' is not one of a (access key), o (JWT)"));
    }

    #[test]
    fn an_id_of_another_shape_cannot_be_read() {
        for access_id in [
            "abcdefghij12a3",
            "p-short1a1",
            "p-abcdefghij12a3x",
            "p-abcdefghij1-a3",
        ] {
            assert_eq!(
                AccessType::from_access_id(access_id).unwrap_err().letter,
                None,
                "{access_id}"
            );
        }
    }

    #[test]
    fn the_pick_list_names_the_runnable_kinds_and_auto() {
        use MethodChoice::{Auto, Explicit};
        assert_eq!(AccessType::from_choice("auto"), Some(Auto));
        assert_eq!(AccessType::from_choice(""), Some(Auto));
        assert_eq!(
            AccessType::from_choice("Azure_AD"),
            Some(Explicit(AccessType::AzureAd))
        );
        assert_eq!(
            AccessType::from_choice("k8s"),
            Some(Explicit(AccessType::Kubernetes))
        );
        assert_eq!(
            AccessType::from_choice("cert"),
            Some(Explicit(AccessType::Certificate))
        );
        assert_eq!(
            AccessType::from_choice("aws_iam"),
            Some(Explicit(AccessType::AwsIam))
        );
        assert_eq!(
            AccessType::from_choice("GCP"),
            Some(Explicit(AccessType::Gcp))
        );
        assert_eq!(AccessType::from_choice("password"), None);
    }
}
