//! The Akeyless side: the REST API's requests and responses, the client that sends them,
//! and the errors it reports.
//!
//! Each operation is a request type implementing [`client::Operation`], which names its
//! path and its response type; the client adds the URL, the headers and the error handling.

pub mod access_type;
pub mod auth;
pub mod base_url;
pub mod certificates;
pub mod client;
pub mod dynamic_secret;
pub mod error;
pub mod list_items;
pub mod reply;
pub mod retry;
pub mod revocation;
pub mod rotated_secret;
pub mod secret_value;

pub use base_url::BaseUrl;
pub use client::Client;
pub use error::{ApiError, Service};

/// A boolean as the API takes some of them (`ignore-cache`): the string `"true"` or `"false"`.
pub fn wire_boolean(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}
