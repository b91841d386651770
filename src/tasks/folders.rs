//! Whole folders in `secretsPaths` (SPEC section 10): each `PREFIX*=/folder/*` or `/**` entry
//! is listed with `/list-items`, every page followed, and becomes one `VARIABLE=PATH` entry
//! per static secret in it, named by the entry's rule (see `grammar::FolderEntry`). Items of
//! other types are named in one log line and left alone. Everything is checked before a
//! value is fetched: an empty folder, a name that is not a usable variable, and two entries
//! that set one variable (compared as the agent compares names) fail the step, naming the
//! paths involved.

use rustc_hash::FxHashMap;

use crate::agent::Agent;
use crate::akeyless::list_items::{ListItems, STATIC_SECRET};
use crate::akeyless::Client;
use crate::grammar::{self, Assignment, FolderEntry};
use crate::host::Host;
use crate::tasks::{explain_refused_token, TaskError};

/// A listing that does not end after this many pages is refused (a server that keeps
/// answering `has_next` would otherwise hold the step until its deadline).
const MAX_PAGES: usize = 10_000;

/// The entries of every folder in `folders`, checked against each other and against
/// `plain`, the entries written out in `secretsPaths`.
pub async fn expand<H: Host>(
    agent: &Agent<'_, H>,
    client: &Client<'_, H>,
    token: &str,
    folders: &[FolderEntry],
    plain: &[Assignment],
) -> Result<Vec<Assignment>, TaskError> {
    // Variable key -> (the name, the path that sets it).
    let mut taken: FxHashMap<String, (String, String)> = plain
        .iter()
        .map(|a| {
            (
                grammar::variable_key(&a.variable),
                (a.variable.clone(), a.target.clone()),
            )
        })
        .collect();
    let mut expanded = Vec::new();
    let mut not_fetched = Vec::new();
    for folder in folders {
        let items = list(agent, client, token, folder).await?;
        let (secrets, others): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|(_, kind)| kind.as_deref() == Some(STATIC_SECRET));
        not_fetched.extend(others.into_iter().map(|(name, kind)| {
            format!("{name} ({})", kind.unwrap_or_else(|| "no type".to_string()))
        }));
        if secrets.is_empty() {
            return Err(TaskError::Message(format!(
                "The folder {} (entry {} of 'secretsPaths', {}) holds no static secret. No \
                 variable was set. Check the folder's path and that the access role may list it.",
                folder.folder,
                folder.position,
                folder.pattern()
            )));
        }
        agent.summarize(
            format!("Folder {}", folder.pattern()),
            format!("{} static secret(s)", secrets.len()),
        );
        for (path, _) in secrets {
            let variable = folder.variable_for(&path);
            if let Some(problem) = grammar::variable_name_problem(&variable) {
                return Err(TaskError::Message(format!(
                    "The item {path} of {} maps to the variable name '{variable}', which cannot \
                     be used: it {problem}. Rename the item, or fetch it with an entry of its \
                     own. No variable was set.",
                    folder.pattern()
                )));
            }
            let key = grammar::variable_key(&variable);
            if let Some((name, other)) = taken.get(&key) {
                return Err(TaskError::Message(format!(
                    "The item {path} of {} maps to the variable '{variable}', but {other} \
                     already sets '{name}', the same variable for the agent. Use different \
                     prefixes, or an entry of its own for one of them. No variable was set.",
                    folder.pattern()
                )));
            }
            taken.insert(key, (variable.clone(), path.clone()));
            expanded.push(Assignment {
                variable,
                target: path,
                to_file: folder.to_file,
            });
        }
    }
    if !not_fetched.is_empty() {
        agent.info(&format!(
            "Not fetched, as they are not static secrets: {}.",
            not_fetched.join(", ")
        ));
    }
    Ok(expanded)
}

/// Every item in `folder` (directly in it for `*`): full path and type, in listing order.
async fn list<H: Host>(
    agent: &Agent<'_, H>,
    client: &Client<'_, H>,
    token: &str,
    folder: &FolderEntry,
) -> Result<Vec<(String, Option<String>)>, TaskError> {
    agent.info(&format!("Listing the folder {}.", folder.pattern()));
    let prefix = format!("{}/", folder.folder.trim_end_matches('/'));
    let mut items = Vec::new();
    let mut page_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let request = ListItems {
            path: &folder.folder,
            current_folder: (!folder.recursive).then_some(true),
            pagination_token: page_token.as_deref(),
            token,
        };
        let page = client.call(&request).await.map_err(explain_refused_token)?;
        items.extend(
            page.items
                .unwrap_or_default()
                .into_iter()
                // Only what lies below the folder, whatever the server adds.
                .filter(|item| item.item_name.starts_with(&prefix))
                .map(|item| (item.item_name, item.item_type)),
        );
        match (page.has_next, page.next_page) {
            (Some(true), Some(next)) if !next.is_empty() && Some(&next) != page_token.as_ref() => {
                page_token = Some(next);
            }
            _ => return Ok(items),
        }
    }
    Err(TaskError::Message(format!(
        "The listing of {} did not end after {MAX_PAGES} pages. No variable was set.",
        folder.pattern()
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::host::fake::{with_connection, FakeHost};
    use crate::tasks;

    fn host_with(paths: &str) -> FakeHost {
        with_connection(
            "https://api.akeyless.io",
            &[
                ("INPUT_TOKEN", "t-token-1234"),
                ("INPUT_SECRETSPATHS", paths),
            ],
        )
    }

    fn item(name: &str, kind: &str) -> Value {
        json!({"item_name": name, "item_type": kind})
    }

    #[test]
    fn every_page_is_followed_and_the_values_come_in_one_batched_request() {
        let host = host_with("db_*=/prod/db/**,plain=/other");
        host.answer(
            200,
            &json!({"items":[item("/prod/db/pg/password","STATIC_SECRET")],"next_page":"p2","has_next":true}).to_string(),
        );
        host.answer(
            200,
            &json!({"items":[item("/prod/db/user","STATIC_SECRET"),item("/prod/db/dyn","DYNAMIC_SECRET")],"has_next":false}).to_string(),
        );
        host.answer(
            200,
            r#"{"/other":"o-value-1","/prod/db/pg/password":"pg-pw-123","/prod/db/user":"db-user-1"}"#,
        );
        let lines = tasks::lines_of_run(tasks::get_secrets::TASK_NAME, &host);
        let requests = host.requests();
        let first: Value = serde_json::from_str(&requests[0].body).unwrap();
        assert_eq!(first, json!({"path":"/prod/db","token":"t-token-1234"}));
        let second: Value = serde_json::from_str(&requests[1].body).unwrap();
        assert_eq!(second["pagination-token"], "p2");
        let values: Value = serde_json::from_str(&requests[2].body).unwrap();
        assert_eq!(
            values["names"],
            json!(["/other", "/prod/db/pg/password", "/prod/db/user"])
        );
        assert_eq!(requests.len(), 3);
        assert!(lines.contains(
            &"##vso[task.setvariable variable=db_pg_password;issecret=true;]pg-pw-123".to_string()
        ));
        assert!(lines.contains(
            &"##vso[task.setvariable variable=db_user;issecret=true;]db-user-1".to_string()
        ));
        assert!(lines.contains(
            &"Not fetched, as they are not static secrets: /prod/db/dyn (DYNAMIC_SECRET)."
                .to_string()
        ));
    }

    #[test]
    fn one_star_lists_the_current_folder_only() {
        let host = host_with("*=/prod/app/*");
        host.answer(
            200,
            &json!({"items":[item("/prod/app/key","STATIC_SECRET")]}).to_string(),
        );
        host.answer(200, r#"{"/prod/app/key":"k-value-1"}"#);
        tasks::lines_of_run(tasks::get_secrets::TASK_NAME, &host);
        let first: Value = serde_json::from_str(&host.requests()[0].body).unwrap();
        assert_eq!(first["current-folder"], true);
    }

    #[test]
    fn collisions_empty_folders_and_unusable_names_fail_before_any_value_is_fetched() {
        for (paths, items, message) in [
            ("db_*=/prod/db/**", vec![item("/prod/db/a-b","STATIC_SECRET"), item("/prod/db/A_B","STATIC_SECRET")], "maps to the variable 'db_A_B', but /prod/db/a-b already sets 'db_a_b'"),
            ("db_a=/x,db_*=/prod/db/*", vec![item("/prod/db/a","STATIC_SECRET")], "but /x already sets 'db_a'"),
            ("*=/prod/empty/*", vec![item("/prod/empty/rot","ROTATED_SECRET")], "The folder /prod/empty (entry 1 of 'secretsPaths', /prod/empty/*) holds no static secret"),
            ("*=/prod/odd/*", vec![item("/prod/odd/.hidden","STATIC_SECRET")], "maps to the variable name '.hidden'"),
        ] {
            let host = host_with(paths);
            host.answer(200, &json!({ "items": items }).to_string());
            let lines = tasks::lines_of_run(tasks::get_secrets::TASK_NAME, &host);
            assert!(lines.last().unwrap().contains(message), "{paths}: {lines:?}");
            assert_eq!(host.requests().len(), 1, "{paths}");
            assert!(!lines.iter().any(|l| l.contains("task.setvariable")));
        }
    }
}
