//! `POST /list-items`: the items in a folder, one page at a time. `current-folder` leaves out
//! the items of sub-folders; a reply with `has_next` gives the `next_page` to send back as
//! `pagination-token`.

use serde::{Deserialize, Serialize};

use crate::akeyless::client::Operation;

/// The item type of static secrets.
pub const STATIC_SECRET: &str = "STATIC_SECRET";

/// The request body.
#[derive(Debug, Clone, Serialize)]
pub struct ListItems<'a> {
    pub path: &'a str,
    #[serde(rename = "current-folder", skip_serializing_if = "Option::is_none")]
    pub current_folder: Option<bool>,
    #[serde(rename = "pagination-token", skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<&'a str>,
    pub token: &'a str,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemsPage {
    #[serde(default)]
    pub items: Option<Vec<Item>>,
    #[serde(default)]
    pub next_page: Option<String>,
    #[serde(default)]
    pub has_next: Option<bool>,
}

/// An item of a listing: its full path and its type.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub item_name: String,
    #[serde(default)]
    pub item_type: Option<String>,
}

impl Operation for ListItems<'_> {
    const PATH: &'static str = "/list-items";
    type Response = ItemsPage;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_first_page_sends_the_path_and_current_folder_only_for_one_star() {
        let body = ListItems {
            path: "/prod/app",
            current_folder: Some(true),
            pagination_token: None,
            token: "t-1",
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"path":"/prod/app","current-folder":true,"token":"t-1"})
        );
    }

    #[test]
    fn a_page_reads_with_or_without_its_fields() {
        let page: ItemsPage = serde_json::from_str(
            r#"{"items":[{"item_name":"/a/b","item_type":"STATIC_SECRET","item_id":1}],"folders":["/a/c"],"next_page":"p2","has_next":true}"#,
        )
        .unwrap();
        assert_eq!(page.items.unwrap()[0].item_name, "/a/b");
        assert_eq!(page.next_page.as_deref(), Some("p2"));
        let empty: ItemsPage = serde_json::from_str("{}").unwrap();
        assert!(empty.items.is_none());
    }
}
