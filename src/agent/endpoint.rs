//! The Akeyless service connection, read from the variables the agent sets for it.
//!
//! A `connectedService:akeyless` input holds the connection's id; the agent then exports
//! `ENDPOINT_URL_<id>`, the data fields (`ENDPOINT_DATA_<id>_ACCESSID`, plus the whole data
//! as JSON in `ENDPOINT_DATA_<id>`) and the authorization parameters
//! (`ENDPOINT_AUTH_PARAMETER_<id>_APITOKEN`, plus JSON in `ENDPOINT_AUTH_<id>`). The id is
//! tried as given and lower-cased, and the JSON forms are read when the per-key variables
//! are missing, with keys compared case-insensitively: the agent's casing there is not
//! documented.

use serde_json::{Map, Value};

/// The fields of an Akeyless service connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The connection's id, as the agent's variables spell it.
    pub id: String,
    /// The Akeyless API base URL as entered in the connection.
    pub url: String,
    /// The auth method's Access ID (not a secret).
    pub access_id: Option<String>,
    /// The optional Access Key stored, encrypted, in the connection.
    pub access_key: Option<String>,
    /// An OIDC token for this connection, when the server supplies one (`idToken`).
    pub id_token: Option<String>,
}

/// Reads the connection `id`; `None` when the agent exported no URL for it.
pub fn read(env: impl Fn(&str) -> Option<String>, id: &str) -> Option<Endpoint> {
    let id = id.trim();
    let lower = id.to_ascii_lowercase();
    let candidates = if lower == id {
        vec![id]
    } else {
        vec![id, &lower]
    };
    candidates.into_iter().find_map(|id| read_exact(&env, id))
}

fn read_exact(env: &impl Fn(&str) -> Option<String>, id: &str) -> Option<Endpoint> {
    let url = non_empty(env(&format!("ENDPOINT_URL_{id}")))?;
    let access_id = non_empty(env(&format!("ENDPOINT_DATA_{id}_ACCESSID"))).or_else(|| {
        let data = parse_object(env(&format!("ENDPOINT_DATA_{id}")))?;
        string_field(&data, "accessId")
    });
    let auth_parameter = |key: &str| {
        non_empty(env(&format!(
            "ENDPOINT_AUTH_PARAMETER_{id}_{}",
            key.to_ascii_uppercase()
        )))
        .or_else(|| {
            let auth = parse_object(env(&format!("ENDPOINT_AUTH_{id}")))?;
            let parameters = field(&auth, "parameters")?.as_object()?;
            string_field(parameters, key)
        })
    };
    Some(Endpoint {
        id: id.to_string(),
        url,
        access_id,
        access_key: auth_parameter("apitoken"),
        id_token: auth_parameter("idToken"),
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn parse_object(json: Option<String>) -> Option<Map<String, Value>> {
    match serde_json::from_str(&json?) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

fn field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn string_field(object: &Map<String, Value>, key: &str) -> Option<String> {
    non_empty(field(object, key)?.as_str().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const ID: &str = "6f1d2c3b-0a9e-4f5d-8c7b-112233445566";

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.replace("<id>", ID), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn url_access_id_and_access_key_come_from_the_per_key_variables() {
        let env = env_of(&[
            ("ENDPOINT_URL_<id>", "https://api.akeyless.io"),
            ("ENDPOINT_DATA_<id>_ACCESSID", "p-abcdefghij12a3"),
            ("ENDPOINT_AUTH_PARAMETER_<id>_APITOKEN", "key=="),
        ]);
        assert_eq!(
            read(env, ID),
            Some(Endpoint {
                id: ID.to_string(),
                url: "https://api.akeyless.io".to_string(),
                access_id: Some("p-abcdefghij12a3".to_string()),
                access_key: Some("key==".to_string()),
                id_token: None,
            })
        );
    }

    #[test]
    fn an_upper_cased_id_finds_the_lower_cased_variables() {
        let env = env_of(&[("ENDPOINT_URL_<id>", "https://gw/api/v2")]);
        let endpoint = read(env, &ID.to_ascii_uppercase()).unwrap();
        assert_eq!(endpoint.url, "https://gw/api/v2");
    }

    #[test]
    fn the_id_is_trimmed() {
        let env = env_of(&[("ENDPOINT_URL_<id>", "https://gw")]);
        assert!(read(env, &format!(" {ID}\n")).is_some());
    }

    #[test]
    fn without_a_url_there_is_no_connection() {
        let env = env_of(&[("ENDPOINT_DATA_<id>_ACCESSID", "p-abcdefghij12a3")]);
        assert_eq!(read(env, ID), None);
    }

    #[test]
    fn the_json_forms_are_read_when_the_per_key_variables_are_missing() {
        let env = env_of(&[
            ("ENDPOINT_URL_<id>", "https://gw"),
            ("ENDPOINT_DATA_<id>", r#"{"AccessID":"p-abcdefghij12a3"}"#),
            (
                "ENDPOINT_AUTH_<id>",
                r#"{"Parameters":{"ApiToken":"key=="},"Scheme":"Token"}"#,
            ),
        ]);
        let endpoint = read(env, ID).unwrap();
        assert_eq!(endpoint.access_id.as_deref(), Some("p-abcdefghij12a3"));
        assert_eq!(endpoint.access_key.as_deref(), Some("key=="));
    }

    #[test]
    fn a_late_bound_id_token_is_read_from_the_auth_parameters() {
        let env = env_of(&[
            ("ENDPOINT_URL_<id>", "https://gw"),
            ("ENDPOINT_AUTH_PARAMETER_<id>_IDTOKEN", "eyJ.id.token"),
        ]);
        assert_eq!(
            read(env, ID).unwrap().id_token.as_deref(),
            Some("eyJ.id.token")
        );
    }

    #[test]
    fn empty_fields_and_broken_json_mean_absent() {
        let env = env_of(&[
            ("ENDPOINT_URL_<id>", "https://gw"),
            ("ENDPOINT_DATA_<id>_ACCESSID", " "),
            ("ENDPOINT_DATA_<id>", "{not json"),
            ("ENDPOINT_AUTH_<id>", r#"{"parameters":{},"scheme":"None"}"#),
        ]);
        let endpoint = read(env, ID).unwrap();
        assert_eq!(endpoint.access_id, None);
        assert_eq!(endpoint.access_key, None);
    }
}
