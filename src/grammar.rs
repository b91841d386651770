//! The list inputs: `secretsPaths`, `fields` and `args`.
//!
//! A list is entries separated by `,` or line breaks; blank entries (a trailing comma, an
//! empty line) are ignored. In `secretsPaths` and `fields` each entry is `VARIABLE=TARGET`
//! (a secret path, or a JSON field path), split at the first `=` so a target may hold `=`
//! (but not `,`), with whitespace around both parts trimmed. `VARIABLE` is a pipeline
//! variable name: letters, digits, `_` and `.`, not starting or ending with `.`, and not in
//! the agent's own namespaces (`System.`, `Agent.`, `Build.`, `Release.`). Two entries may
//! not set the same variable: names compare as the agent maps them to environment variables,
//! case-insensitively and with `.` read as `_`, so `a.b` and `A_B` are one name. One secret
//! path under two names is fetched once.
//!
//! An entry written `file:VARIABLE=TARGET` delivers its value as a file whose path the
//! variable holds; `file:` cannot begin a variable name, so no existing entry changes meaning.
//! In `secretsPaths`, `PREFIX*=/folder/*` and `PREFIX*=/folder/**` name whole folders (see
//! [`FolderEntry`]); `*` cannot be part of a variable name either.
//!
//! Errors name the entry by its position among the non-blank entries. They quote its text
//! only in lists whose entries are variable names and paths; an `args` entry may carry a
//! secret, so it is named by its position alone.

use std::fmt;

use rustc_hash::{FxHashMap, FxHashSet};

/// Prefixes of job variables the agent hides from later steps (any letter case).
const RESERVED_PREFIXES: [&str; 5] = ["endpoint", "input", "secret", "path", "securefile"];

/// The namespaces of the agent's own variables (any letter case), which no entry may set.
const AGENT_NAMESPACES: [&str; 4] = ["System.", "Agent.", "Build.", "Release."];

/// How `secretsPaths` entries look.
pub const SECRETS_PATHS_FORM: EntryForm = EntryForm {
    shape: "VARIABLE=PATH",
    example: "api_key=/ai/agent/api-key",
    quoted: true,
};

/// How `fields` entries look.
pub const FIELDS_FORM: EntryForm = EntryForm {
    shape: "VARIABLE=json.path",
    example: "password=secret.secretText",
    quoted: true,
};

/// How `args` entries look.
pub const ARGS_FORM: EntryForm = EntryForm {
    shape: "key=value",
    example: "common_name=myapp.example.com",
    quoted: false,
};

/// The shape of a list's entries, quoted in errors so the author sees what would work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryForm {
    pub shape: &'static str,
    pub example: &'static str,
    /// Whether an error may quote an entry's text (false where an entry may hold a secret).
    pub quoted: bool,
}

/// One non-blank entry of a list: its 1-based position and its trimmed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEntry<'a> {
    pub position: usize,
    pub text: &'a str,
}

/// Splits a list input into its non-blank entries. The separators are ASCII, so the list is
/// cut at their bytes (a list can hold thousands of entries; decoding every character to
/// compare it costs wasm several milliseconds there).
pub fn entries(list: &str) -> Vec<RawEntry<'_>> {
    let mut found = Vec::new();
    let mut start = 0;
    for (at, byte) in list.bytes().enumerate().chain([(list.len(), b',')]) {
        if !matches!(byte, b',' | b'\n' | b'\r') {
            continue;
        }
        let text = trim(&list[start..at]);
        start = at + 1;
        if !text.is_empty() {
            found.push(RawEntry {
                position: found.len() + 1,
                text,
            });
        }
    }
    found
}

/// `text.trim()`, taking the common case by bytes: ASCII whitespace is trimmed, and the rest
/// of Unicode's (and U+000B, which `trim_ascii` keeps) is looked for only when an end is not
/// plain ASCII then. A list of thousands of entries trims each part of each entry.
fn trim(text: &str) -> &str {
    let trimmed = text.trim_ascii();
    let plain = |byte: Option<&u8>| byte.is_some_and(|&byte| byte.is_ascii() && byte != 0x0B);
    let bytes = trimmed.as_bytes();
    match plain(bytes.first()) && plain(bytes.last()) {
        true => trimmed,
        false => trimmed.trim(),
    }
}

/// The prefix of an entry whose value is delivered as a file: `file:VARIABLE=TARGET`.
pub const FILE_PREFIX: &str = "file:";

/// One `VARIABLE=TARGET` entry: a variable to set from a secret path or a JSON field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub variable: String,
    pub target: String,
    /// Written `file:VARIABLE=TARGET`: the value goes to a file, the variable holds its path.
    pub to_file: bool,
}

impl Assignment {
    /// Whether the agent would hide a job variable of this name, so only the output
    /// variable `$(<step>.<name>)` can carry it.
    pub fn is_reserved(&self) -> bool {
        is_reserved_name(&self.variable)
    }
}

/// A parsed `secretsPaths`: the entries in order and the folder entries to expand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretPaths {
    pub entries: Vec<Assignment>,
    pub folders: Vec<FolderEntry>,
}

/// A `PREFIX*=/folder/*` (or `/**`) entry: every static secret in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    /// The entry's position among the non-blank entries.
    pub position: usize,
    /// Put before each item's mapped name; may be empty.
    pub prefix: String,
    /// The folder, without a trailing `/` (the root is `/`).
    pub folder: String,
    /// `/**`: every item below the folder; `/*`: only those directly in it.
    pub recursive: bool,
    pub to_file: bool,
}

impl FolderEntry {
    /// The entry's target as written: `/folder/*` or `/folder/**`.
    pub fn pattern(&self) -> String {
        let stars = if self.recursive { "**" } else { "*" };
        format!("{}/{stars}", self.folder.trim_end_matches('/'))
    }

    /// The variable an item of this folder becomes: the prefix, then the item's path below the
    /// folder with `/` and every character other than a letter, digit, `_` or `.` made `_`.
    pub fn variable_for(&self, item_path: &str) -> String {
        let folder = self.folder.trim_end_matches('/');
        let relative = item_path
            .strip_prefix(folder)
            .unwrap_or(item_path)
            .trim_start_matches('/');
        let mapped: String = relative
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}{mapped}", self.prefix)
    }
}

/// A list entry that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarError {
    pub position: usize,
    pub entry: String,
    pub problem: String,
    /// What a valid entry looks like.
    pub form: EntryForm,
}

impl fmt::Display for GrammarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {} ", self.position)?;
        if self.form.quoted {
            write!(f, "('{}') ", self.entry)?;
        }
        write!(
            f,
            "{}. Write each entry as {}, separated by commas or line breaks, e.g. {}",
            self.problem, self.form.shape, self.form.example
        )
    }
}

impl std::error::Error for GrammarError {}

/// Parses `secretsPaths`. An empty list is an error: the task would have nothing to do.
pub fn parse_secret_paths(list: &str) -> Result<SecretPaths, GrammarError> {
    let (folder_raws, plain_raws): (Vec<RawEntry<'_>>, Vec<RawEntry<'_>>) = entries(list)
        .into_iter()
        .partition(|raw| is_folder_entry(raw.text));
    let entries = parse_raw_assignments(&plain_raws, SECRETS_PATHS_FORM)?;
    let folders = folder_raws
        .iter()
        .map(|raw| parse_folder_entry(*raw))
        .collect::<Result<Vec<_>, _>>()?;
    if entries.is_empty() && folders.is_empty() {
        return Err(GrammarError {
            position: 1,
            entry: String::new(),
            problem: "is missing: the list is empty".into(),
            form: SECRETS_PATHS_FORM,
        });
    }
    Ok(SecretPaths { entries, folders })
}

/// Each entry's target once, in the order first named: one path under two names is fetched
/// once.
pub fn unique_targets(entries: &[Assignment]) -> Vec<&str> {
    let mut seen = FxHashSet::default();
    entries
        .iter()
        .map(|entry| entry.target.as_str())
        .filter(|&target| seen.insert(target))
        .collect()
}

/// Whether an entry is a folder entry: its variable part ends with `*`, or its target with
/// `/*` or `/**` (a mismatch is then reported by `parse_folder_entry`).
fn is_folder_entry(text: &str) -> bool {
    // Most entries have no `*` at all: one byte search answers for them.
    if !text.as_bytes().contains(&b'*') {
        return false;
    }
    let Some((variable, target)) = text.split_once('=') else {
        return false;
    };
    trim(variable).ends_with('*') || trim(target).ends_with("/*")
}

/// Parses `PREFIX*=/folder/*` or `PREFIX*=/folder/**` (with `file:` allowed before `PREFIX`).
fn parse_folder_entry(raw: RawEntry<'_>) -> Result<FolderEntry, GrammarError> {
    let form = SECRETS_PATHS_FORM;
    let fail = |problem: &str| {
        error_at(
            raw,
            form,
            format!("{problem}; a folder entry is PREFIX*=/folder/* (the items in it) or PREFIX*=/folder/** (every item below it)"),
        )
    };
    let (variable, target) = raw.text.split_once('=').unwrap_or((raw.text, ""));
    let (variable, target) = (trim(variable), trim(target));
    let (variable, to_file) = match variable.strip_prefix(FILE_PREFIX) {
        Some(rest) => (trim(rest), true),
        None => (variable, false),
    };
    let Some(prefix) = variable.strip_suffix('*') else {
        return Err(fail(
            "names a folder but its variable part does not end with '*'",
        ));
    };
    let (folder, recursive) = if let Some(folder) = target.strip_suffix("/**") {
        (folder, true)
    } else if let Some(folder) = target.strip_suffix("/*") {
        (folder, false)
    } else {
        return Err(fail(
            "has a '*' prefix but its path does not end with /* or /**",
        ));
    };
    if folder.contains('*') || prefix.contains('*') {
        return Err(fail("has a '*' elsewhere than at the end"));
    }
    if let Some(bad) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(error_at(
            raw,
            form,
            format!("has the character '{bad}' in its prefix; use letters, digits, '_' and '.'"),
        ));
    }
    Ok(FolderEntry {
        position: raw.position,
        prefix: prefix.to_string(),
        folder: if folder.is_empty() {
            "/".to_string()
        } else {
            folder.to_string()
        },
        recursive,
        to_file,
    })
}

/// Parses a list of `VARIABLE=TARGET` entries written in `form`.
pub fn parse_assignments(list: &str, form: EntryForm) -> Result<Vec<Assignment>, GrammarError> {
    parse_raw_assignments(&entries(list), form)
}

/// Parses `VARIABLE=TARGET` entries written in `form`.
fn parse_raw_assignments(
    raws: &[RawEntry<'_>],
    form: EntryForm,
) -> Result<Vec<Assignment>, GrammarError> {
    let mut assignments: Vec<Assignment> = Vec::with_capacity(raws.len());
    // Variable name -> the position and name that set it (lists can hold thousands of entries).
    let mut first_set: FxHashMap<AgentName<'_>, (usize, &str)> =
        FxHashMap::with_capacity_and_hasher(raws.len(), Default::default());
    for &raw in raws {
        let (variable, target) = split_entry(raw, form, "variable name")?;
        let (variable, to_file) = match variable.strip_prefix(FILE_PREFIX) {
            Some(rest) => (trim(rest), true),
            None => (variable, false),
        };
        let fail = |problem: String| error_at(raw, form, problem);
        if variable.is_empty() {
            return Err(fail(format!("has no variable name after '{FILE_PREFIX}'")));
        }
        if let Some(problem) = variable_name_problem(variable) {
            return Err(fail(problem));
        }
        if let Some((first, name)) = first_set.insert(AgentName(variable), (raw.position, variable))
        {
            return Err(fail(if name.eq_ignore_ascii_case(variable) {
                format!("sets the variable '{variable}' again (entry {first} already does)")
            } else {
                format!(
                    "sets the variable '{variable}', which the agent treats as the same name as \
                     '{name}' (entry {first})"
                )
            }));
        }
        assignments.push(Assignment {
            variable: variable.to_string(),
            target: target.to_string(),
            to_file,
        });
    }
    Ok(assignments)
}

/// Parses `args`: `key=value` entries, passed on as the trimmed entry texts.
pub fn parse_args(list: &str) -> Result<Vec<String>, GrammarError> {
    entries(list)
        .into_iter()
        .map(|raw| split_entry(raw, ARGS_FORM, "key").map(|_| raw.text.to_string()))
        .collect()
}

/// Splits an entry at its first `=` into two trimmed, non-empty parts.
fn split_entry<'a>(
    raw: RawEntry<'a>,
    form: EntryForm,
    left_name: &str,
) -> Result<(&'a str, &'a str), GrammarError> {
    let (left, right) = raw
        .text
        .split_once('=')
        .ok_or_else(|| error_at(raw, form, "has no '='".into()))?;
    let (left, right) = (trim(left), trim(right));
    if left.is_empty() {
        return Err(error_at(
            raw,
            form,
            format!("has no {left_name} before '='"),
        ));
    }
    if right.is_empty() {
        return Err(error_at(raw, form, "has nothing after '='".into()));
    }
    Ok((left, right))
}

fn error_at(raw: RawEntry<'_>, form: EntryForm, problem: String) -> GrammarError {
    GrammarError {
        position: raw.position,
        entry: raw.text.to_string(),
        problem,
        form,
    }
}

/// Why `name` is not a usable pipeline variable name, if it is not.
pub fn variable_name_problem(name: &str) -> Option<String> {
    let allowed = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.';
    if let Some(at) = name.bytes().position(|byte| !allowed(byte)) {
        // The first byte not allowed starts a character: every byte before it is ASCII.
        let bad = name[at..].chars().next().unwrap_or_default();
        return Some(format!(
            "has the character '{bad}' in its variable name; use letters, digits, '_' and '.'"
        ));
    }
    if name.starts_with('.') || name.ends_with('.') {
        return Some("has a variable name that starts or ends with '.'".into());
    }
    if let Some(namespace) = AGENT_NAMESPACES.iter().find(|namespace| {
        // Each ends with its `.`: one byte rules out most names before their letters are
        // compared (a list can hold thousands).
        name.len() > namespace.len()
            && name.as_bytes()[namespace.len() - 1] == b'.'
            && name[..namespace.len()].eq_ignore_ascii_case(namespace)
    }) {
        return Some(format!(
            "sets '{name}', a name in the agent's own namespace {namespace}; choose another name"
        ));
    }
    None
}

/// The key under which the agent keeps the variable `name`: its environment name, upper case
/// with `.` as `_`. Two names with the same key are one variable.
pub fn variable_key(name: &str) -> String {
    name.replace('.', "_").to_ascii_uppercase()
}

/// A variable name compared as the agent compares names, as [`variable_key`] does, but
/// without building the key: a list of thousands of entries checks each name.
#[derive(Debug, Clone, Copy)]
struct AgentName<'a>(&'a str);

impl AgentName<'_> {
    /// The byte the agent's key holds for `byte`.
    fn key_byte(byte: u8) -> u8 {
        match byte {
            b'.' => b'_',
            other => other.to_ascii_uppercase(),
        }
    }
}

impl PartialEq for AgentName<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && (self.0.bytes().zip(other.0.bytes()))
                .all(|(a, b)| Self::key_byte(a) == Self::key_byte(b))
    }
}

impl Eq for AgentName<'_> {}

impl std::hash::Hash for AgentName<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Folded here and handed over once: a call to the hasher per byte costs wasm more.
        let folded = self.0.bytes().fold(0u64, |folded, byte| {
            folded.rotate_left(8) ^ u64::from(Self::key_byte(byte))
        });
        state.write_u64(folded);
        state.write_usize(self.0.len());
    }
}

/// Whether the agent hides job variables called `name` (they start with a reserved prefix).
pub fn is_reserved_name(name: &str) -> bool {
    RESERVED_PREFIXES.iter().any(|prefix| {
        name.as_bytes()
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(list: &str) -> Vec<(String, String)> {
        parse_secret_paths(list)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| (e.variable, e.target))
            .collect()
    }

    fn pair(variable: &str, path: &str) -> (String, String) {
        (variable.to_string(), path.to_string())
    }

    fn error(list: &str) -> GrammarError {
        parse_secret_paths(list).unwrap_err()
    }

    #[test]
    fn entries_are_separated_by_commas() {
        assert_eq!(
            parsed("api_key=/ai/agent/api-key,model_id=/ai/agent/model-id"),
            vec![
                pair("api_key", "/ai/agent/api-key"),
                pair("model_id", "/ai/agent/model-id")
            ]
        );
    }

    #[test]
    fn entries_are_separated_by_line_breaks_of_either_kind() {
        assert_eq!(
            parsed("a=/x\nb=/y\r\nc=/z"),
            vec![pair("a", "/x"), pair("b", "/y"), pair("c", "/z")]
        );
    }

    #[test]
    fn commas_and_line_breaks_mix() {
        assert_eq!(
            parsed("a=/x,\nb=/y"),
            vec![pair("a", "/x"), pair("b", "/y")]
        );
    }

    #[test]
    fn the_entry_splits_at_the_first_equals_sign() {
        assert_eq!(
            parsed("conn=/db/url=primary=1"),
            vec![pair("conn", "/db/url=primary=1")]
        );
    }

    #[test]
    fn whitespace_around_both_parts_is_trimmed_and_inner_spaces_kept() {
        assert_eq!(
            parsed("  api_key  =  /team a/my secret  "),
            vec![pair("api_key", "/team a/my secret")]
        );
    }

    #[test]
    fn blank_entries_and_trailing_commas_are_ignored() {
        assert_eq!(
            parsed(",a=/x,, ,\n\n  \nb=/y,"),
            vec![pair("a", "/x"), pair("b", "/y")]
        );
    }

    #[test]
    fn variable_names_may_hold_letters_digits_underscores_and_dots() {
        assert_eq!(parsed("db.Pass_2=/x"), vec![pair("db.Pass_2", "/x")]);
    }

    #[test]
    fn a_path_named_twice_is_fetched_once_and_both_variables_are_kept() {
        let parsed = parse_secret_paths("a=/x,b=/y,c=/x").unwrap();
        assert_eq!(unique_targets(&parsed.entries), vec!["/x", "/y"]);
        assert_eq!(parsed.entries.len(), 3);
    }

    #[test]
    fn an_entry_without_equals_is_rejected_with_its_position_and_text() {
        let error = error("a=/x, /just/a/path");
        assert_eq!(error.position, 2);
        assert_eq!(error.entry, "/just/a/path");
        assert_eq!(
            error.to_string(),
            "entry 2 ('/just/a/path') has no '='. Write each entry as VARIABLE=PATH, separated \
             by commas or line breaks, e.g. api_key=/ai/agent/api-key"
        );
    }

    #[test]
    fn positions_count_only_non_blank_entries() {
        assert_eq!(error(",,a=/x,\n\nbad").position, 2);
    }

    #[test]
    fn an_entry_without_a_variable_name_is_rejected() {
        assert!(error("=/x").problem.contains("no variable name"));
    }

    #[test]
    fn an_entry_without_a_path_is_rejected() {
        assert!(error("a= ").problem.contains("nothing after '='"));
    }

    #[test]
    fn a_variable_name_with_other_characters_is_rejected_naming_the_character() {
        let error = error("my-key=/x");
        assert_eq!(error.entry, "my-key=/x");
        assert!(error.problem.contains("'-'"), "{}", error.problem);
        assert!(self::error("my key=/x").problem.contains("' '"));
        assert!(self::error("$(x)=/x").problem.contains("'$'"));
    }

    #[test]
    fn a_variable_name_starting_or_ending_with_a_dot_is_rejected() {
        assert!(error(".a=/x").problem.contains("'.'"));
        assert!(error("a.=/x").problem.contains("'.'"));
    }

    #[test]
    fn a_variable_set_twice_is_rejected_in_any_letter_case() {
        let error = error("Api_Key=/x\napi_key=/y");
        assert_eq!(error.position, 2);
        assert!(
            error.problem.contains("entry 1 already does"),
            "{}",
            error.problem
        );
    }

    #[test]
    fn names_the_agent_maps_to_one_environment_name_are_the_same_variable() {
        let error = error("a.b=/x\nA_B=/y");
        assert_eq!(error.position, 2);
        assert!(
            error
                .problem
                .contains("'A_B', which the agent treats as the same name as 'a.b' (entry 1)"),
            "{}",
            error.problem
        );
        assert_eq!(variable_key("db.Password"), variable_key("DB_password"));
    }

    #[test]
    fn names_in_the_agents_own_namespaces_are_refused() {
        for name in [
            "System.AccessToken",
            "agent.tempdirectory",
            "BUILD.BuildId",
            "Release.x",
        ] {
            let error = error(&format!("{name}=/x"));
            assert!(
                error
                    .problem
                    .contains("a name in the agent's own namespace"),
                "{name}: {}",
                error.problem
            );
        }
        assert!(parse_secret_paths("system_key=/x,agentname=/y,builder.x=/z").is_ok());
    }

    #[test]
    fn a_file_entry_is_marked_and_named_without_its_prefix() {
        let entries = parse_secret_paths("file:deploy_key = /ssh/key, plain=/x")
            .unwrap()
            .entries;
        assert_eq!(entries[0].variable, "deploy_key");
        assert_eq!(entries[0].target, "/ssh/key");
        assert!(entries[0].to_file);
        assert!(!entries[1].to_file);
    }

    #[test]
    fn a_file_entry_follows_the_variable_name_rules() {
        assert!(error("file:=/x")
            .problem
            .contains("no variable name after 'file:'"));
        assert!(error("file:a-b=/x").problem.contains("'-'"));
        assert!(error("file:a=/x,a=/y").problem.contains("again"));
    }

    fn folders(list: &str) -> Vec<FolderEntry> {
        parse_secret_paths(list).unwrap().folders
    }

    #[test]
    fn a_folder_entry_names_a_prefix_and_a_folder_with_one_or_two_stars() {
        let parsed =
            parse_secret_paths("db_*=/prod/db/**, *=/prod/app/*, file:k*=/keys/*, x=/plain")
                .unwrap();
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(unique_targets(&parsed.entries), vec!["/plain"]);
        let [db, app, keys] = parsed.folders.as_slice() else {
            panic!()
        };
        assert_eq!(
            (
                db.prefix.as_str(),
                db.folder.as_str(),
                db.recursive,
                db.to_file
            ),
            ("db_", "/prod/db", true, false)
        );
        assert_eq!(
            (app.prefix.as_str(), app.folder.as_str(), app.recursive),
            ("", "/prod/app", false)
        );
        assert!(keys.to_file);
        assert_eq!(db.position, 1);
        assert_eq!(db.pattern(), "/prod/db/**");
    }

    #[test]
    fn an_item_maps_to_the_prefix_and_its_path_below_the_folder() {
        let [db] = folders("db_*=/prod/db/**").try_into().unwrap();
        assert_eq!(db.variable_for("/prod/db/pg/password"), "db_pg_password");
        assert_eq!(db.variable_for("/prod/db/my key-é.v2"), "db_my_key__.v2");
        let [root] = folders("*=/*").try_into().unwrap();
        assert_eq!(root.folder, "/");
        assert_eq!(root.variable_for("/top"), "top");
    }

    #[test]
    fn a_folder_entry_must_have_its_star_on_both_sides() {
        assert!(error("a=/prod/*").problem.contains("does not end with '*'"));
        assert!(error("a*=/prod/x")
            .problem
            .contains("does not end with /* or /**"));
        assert!(error("a*=/pr*d/*")
            .problem
            .contains("elsewhere than at the end"));
        assert!(error("a-b*=/prod/*").problem.contains("'-' in its prefix"));
    }

    #[test]
    fn an_args_entry_is_named_by_its_position_only() {
        let error = parse_args("user=a,password hunter22").unwrap_err();
        assert!(!error.to_string().contains("hunter22"), "{error}");
        assert!(
            error.to_string().starts_with("entry 2 has no '='"),
            "{error}"
        );
    }

    #[test]
    fn an_empty_list_is_rejected() {
        assert!(error(" ,\n ").problem.contains("empty"));
    }

    #[test]
    fn reserved_prefixes_are_recognised_in_any_case() {
        for name in [
            "endpoint_config",
            "INPUT_x",
            "Secret1",
            "path",
            "secureFileX",
        ] {
            assert!(is_reserved_name(name), "{name}");
        }
        for name in ["api_key", "my_secret", "xpath"] {
            assert!(!is_reserved_name(name), "{name}");
        }
    }

    #[test]
    fn a_reserved_name_is_accepted_and_marked() {
        let parsed = parse_secret_paths("endpoint_config=/ai/agent/config/endpoint").unwrap();
        assert!(parsed.entries[0].is_reserved());
    }

    #[test]
    fn fields_use_the_same_grammar_and_name_their_own_form() {
        let fields = parse_assignments(
            "user = secret.displayName,\npw=value.payload.key",
            FIELDS_FORM,
        )
        .unwrap();
        assert_eq!(fields[0].target, "secret.displayName");
        assert_eq!(fields[1].variable, "pw");
        let error = parse_assignments("user", FIELDS_FORM).unwrap_err();
        assert!(error.to_string().contains("VARIABLE=json.path"), "{error}");
        assert_eq!(parse_assignments(" , ", FIELDS_FORM), Ok(vec![]));
    }

    #[test]
    fn args_are_key_value_entries_split_on_commas_and_line_breaks() {
        assert_eq!(
            parse_args("common_name=app.example.com, ttl=30\nalt=a=b,"),
            Ok(vec![
                "common_name=app.example.com".to_string(),
                "ttl=30".to_string(),
                "alt=a=b".to_string()
            ])
        );
    }

    #[test]
    fn an_arg_without_a_key_or_equals_is_rejected() {
        let error = parse_args("a=1,novalue").unwrap_err();
        assert_eq!(error.position, 2);
        assert!(error.to_string().contains("key=value"), "{error}");
        assert!(parse_args("=1").unwrap_err().problem.contains("no key"));
    }

    #[test]
    fn a_thousand_entries_parse_in_order() {
        let list: Vec<String> = (0..1000).map(|i| format!("v{i}=/p/{i}")).collect();
        let parsed = parse_secret_paths(&list.join("\n")).unwrap();
        assert_eq!(unique_targets(&parsed.entries).len(), 1000);
        assert_eq!(parsed.entries[999].variable, "v999");
    }

    proptest::proptest! {
        #[test]
        fn no_list_makes_any_parser_panic(list in ".*") {
            let _ = parse_secret_paths(&list);
            let _ = parse_assignments(&list, FIELDS_FORM);
            let _ = parse_args(&list);
        }

        /// Names are one variable for the agent exactly when their keys are equal.
        #[test]
        fn agent_names_compare_as_their_keys(a in "[aAbB._]{0,4}", b in "[aAbB._]{0,4}") {
            use std::hash::BuildHasher;
            let same = variable_key(&a) == variable_key(&b);
            proptest::prop_assert_eq!(AgentName(&a) == AgentName(&b), same);
            if same {
                let hasher = rustc_hash::FxBuildHasher;
                proptest::prop_assert_eq!(hasher.hash_one(AgentName(&a)), hasher.hash_one(AgentName(&b)));
            }
        }

        #[test]
        fn trimming_by_bytes_trims_what_str_trim_trims(text in "[ \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{3000}aé]{0,8}") {
            proptest::prop_assert_eq!(trim(&text), text.trim());
        }

        /// Cutting at separator bytes gives what cutting at separator characters gives.
        #[test]
        fn entries_are_the_trimmed_non_blank_pieces_between_separators(list in "[a=é\u{a0}\u{2028} \t,\r\n]{0,30}") {
            let expected: Vec<&str> = list
                .split([',', '\n', '\r'])
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .collect();
            let found = entries(&list);
            proptest::prop_assert_eq!(found.iter().map(|raw| raw.text).collect::<Vec<_>>(), expected);
            proptest::prop_assert!(found.iter().enumerate().all(|(index, raw)| raw.position == index + 1));
        }

        #[test]
        fn written_entries_parse_back_whatever_the_separators_and_spaces(
            entries in proptest::collection::vec(
                ("[A-Za-z_][A-Za-z0-9_.]{0,12}[A-Za-z0-9_]", "/[a-z0-9 =/_-]{0,20}[a-z0-9]"),
                1..20,
            ),
            separators in proptest::collection::vec(
                proptest::sample::select(vec![",", "\n", "\r\n", " , ", ",\n\n", ",,"]),
                20,
            ),
            padding in proptest::collection::vec(proptest::sample::select(vec!["", " ", "\t"]), 20),
        ) {
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<(String, String)> = entries
                .into_iter()
                .filter(|(variable, _)| seen.insert(variable_key(variable)))
                .collect();
            let list: String = entries
                .iter()
                .enumerate()
                .map(|(i, (variable, path))| {
                    format!("{}{variable}{}={}{path}{}", padding[i], padding[19 - i], padding[i], separators[i])
                })
                .collect();
            let parsed = parse_secret_paths(&list).unwrap();
            let pairs: Vec<(String, String)> =
                parsed.entries.into_iter().map(|e| (e.variable, e.target)).collect();
            proptest::prop_assert_eq!(pairs, entries);
        }
    }
}
