//! The `Host` trait: the only door between the task logic and the outside world.
//!
//! The core asks the host for environment variables, for one HTTP exchange at a time, for
//! the clocks, a random number and a pause (for retries), for a regular-expression test (the
//! agent's proxy bypass list is made of JavaScript-style patterns, and a regex engine would
//! double the wasm), to write a line to stdout, and for the few file operations secrets
//! written as files need: create a directory or a file that must not exist yet, with a mode,
//! remove either, and random bytes from a secure source for names no one can guess. Where
//! and with which mode is decided by the core. In the wasm build the JavaScript host in
//! `js-host/host.js` answers; native tests answer with an in-memory fake.

use serde::{Deserialize, Serialize};

/// One HTTP request, as handed to the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Handed to the host beside the rest, not inside its JSON: a large body is not worth
    /// escaping and parsing again.
    #[serde(skip)]
    pub body: String,
    /// The host gives up if no connection is made within this long.
    pub connect_timeout_ms: u64,
    /// The host gives up on the whole exchange after this long.
    pub timeout_ms: u64,
    /// The proxy and extra certificate authorities to use.
    pub route: Route,
}

/// How a request reaches its server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// The forward proxy to tunnel through, if any.
    pub proxy: Option<Proxy>,
    /// PEM files of certificate authorities to trust besides the system's.
    pub ca_files: Vec<String>,
}

/// A forward proxy; HTTPS is tunnelled through it with CONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proxy {
    /// `http://host:port` (credentials may be embedded, percent-encoded).
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// A complete HTTP response: any status, header names lower-cased, the body as UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The value of the header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Why an exchange produced no response: a connection, TLS or timeout failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// Node's error code (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, `CERT_HAS_EXPIRED`...).
    pub code: String,
    /// Node's own description of the failure.
    pub message: String,
}

/// What the task logic needs from its runtime.
// The tasks run on one thread (wasm has no other), so the futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Host {
    /// The value of an environment variable as the agent passed it to the task.
    fn env(&self, name: &str) -> Option<String>;
    /// Writes one line (without its terminator) to stdout, where the agent reads it.
    fn write_line(&self, line: &str);
    /// Writes the line `build` appends to the string it is given (which may already hold
    /// earlier lines: `build` must only append). By default that string is a new one; a host
    /// that buffers its output hands over its buffer, sparing a step with 1,000 secrets
    /// 3,000 strings made only to be copied.
    fn write_line_with(&self, build: &dyn Fn(&mut String)) {
        let mut line = String::new();
        build(&mut line);
        self.write_line(&line);
    }
    /// A monotonic clock in milliseconds, for timing and deadlines.
    fn now_ms(&self) -> f64;
    /// The wall clock: milliseconds since the Unix epoch, for `Retry-After` dates.
    fn wall_clock_ms(&self) -> f64;
    /// A random number in `[0, 1)`, for backoff jitter.
    fn random(&self) -> f64;
    /// Whether the JavaScript regular expression `pattern` (case-insensitive) matches somewhere
    /// in `text`; `None` if the pattern is not valid.
    fn pattern_matches(&self, pattern: &str, text: &str) -> Option<bool>;
    /// The text of the file at `path`, or Node's error code (`ENOENT`, `EACCES`...).
    fn read_file(&self, path: &str) -> Result<String, String>;
    /// Creates the directory `path` with `mode` (where the OS has modes, whatever the umask);
    /// fails with Node's error code, `EEXIST` when something is there already.
    fn create_directory(&self, path: &str, mode: u32) -> Result<(), String>;
    /// Creates the file `path`, which must not exist yet (`EEXIST` otherwise), with `mode`,
    /// holding the UTF-8 bytes of `contents`.
    fn write_new_file(&self, path: &str, contents: &str, mode: u32) -> Result<(), String>;
    /// Removes the file `path`, or fails with Node's error code.
    fn remove_file(&self, path: &str) -> Result<(), String>;
    /// Removes the empty directory `path`, or fails with Node's error code.
    fn remove_directory(&self, path: &str) -> Result<(), String>;
    /// `count` random bytes from a cryptographically secure source, as lower-case hex.
    fn secure_random_hex(&self, count: u32) -> String;
    /// A new key pair of `algorithm` (`ed25519`, `ec-p256`, `rsa-2048` or `rsa-4096`) from the
    /// host's vetted implementation, or Node's error code.
    fn generate_key_pair(&self, algorithm: &str) -> Result<GeneratedKeyPair, String>;
    /// Waits `ms` milliseconds.
    async fn sleep(&self, ms: u64);
    /// Performs one HTTP exchange.
    async fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// A key pair as the host made it: the private key as a JWK (public parts included), as
/// PKCS#8 PEM, and the public key as base64 of its DER SubjectPublicKeyInfo.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GeneratedKeyPair {
    pub jwk: serde_json::Map<String, serde_json::Value>,
    pub pkcs8: String,
    pub spki: String,
}

/// The host's answer to a key generation: `{"keyPair": ...}` or `{"error": code}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
enum KeyPairOutcome {
    KeyPair(GeneratedKeyPair),
    Error(String),
}

/// Decodes the host's answer to a key generation.
pub fn decode_key_pair(json: &str) -> Result<GeneratedKeyPair, String> {
    match serde_json::from_str::<KeyPairOutcome>(json) {
        Ok(KeyPairOutcome::KeyPair(pair)) => Ok(pair),
        Ok(KeyPairOutcome::Error(code)) => Err(code),
        Err(_) => Err("EHOST".to_string()),
    }
}

/// Decodes the host's answer to an exchange, as it crosses the wasm boundary, in UTF-8:
///
/// ```text
/// response <status>          error <code>
/// <name>: <value>            <message>
/// ...
/// (an empty line)
/// <the body, as it came>
/// ```
///
/// Plain lines rather than JSON: a reply's body is read once, as it came, and the few head
/// fields need no parser. The host writes header values and messages on one line each.
/// A garbled answer becomes a transport error. A body that is not UTF-8 has its bad bytes
/// replaced by U+FFFD.
pub fn decode_http_answer(answer: &[u8]) -> Result<HttpResponse, TransportError> {
    let garbled = || TransportError {
        code: "EHOST".to_string(),
        message: "the task host returned an unreadable answer".to_string(),
    };
    let (first, mut rest) = next_line(answer).ok_or_else(garbled)?;
    match first.split_once(' ') {
        Some(("response", status)) => {
            let status = status.parse().map_err(|_| garbled())?;
            let mut headers = Vec::new();
            loop {
                let (line, after) = next_line(rest).ok_or_else(garbled)?;
                rest = after;
                if line.is_empty() {
                    break;
                }
                // A name holds no `:`; the value follows `: `.
                let (name, value) = line.split_once(':').ok_or_else(garbled)?;
                let value = value.strip_prefix(' ').ok_or_else(garbled)?;
                headers.push((name.to_string(), value.to_string()));
            }
            Ok(HttpResponse {
                status,
                headers,
                body: text(rest),
            })
        }
        Some(("error", code)) => Err(TransportError {
            code: code.to_string(),
            message: text(rest),
        }),
        _ => Err(garbled()),
    }
}

/// The first line of `bytes` as UTF-8 text, and what follows its `\n`.
fn next_line(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let end = bytes.iter().position(|&byte| byte == b'\n')?;
    let line = std::str::from_utf8(&bytes[..end]).ok()?;
    Some((line, &bytes[end + 1..]))
}

/// `bytes` as text, bad UTF-8 replaced by U+FFFD. Checked first: the lossy reading is much
/// slower on the valid text nearly every reply is.
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A file read as it crosses the wasm boundary: `{"text": ...}` or `{"error": code}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
enum FileOutcome {
    Text(String),
    Error(String),
}

/// Decodes the host's answer to a file read.
pub fn decode_file(json: &str) -> Result<String, String> {
    match serde_json::from_str::<FileOutcome>(json) {
        Ok(FileOutcome::Text(text)) => Ok(text),
        Ok(FileOutcome::Error(code)) => Err(code),
        Err(_) => Err("EHOST".to_string()),
    }
}

#[cfg(target_arch = "wasm32")]
pub use wasm::JsHost;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::cell::RefCell;

    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    use super::{
        decode_file, decode_http_answer, decode_key_pair, text, GeneratedKeyPair, Host,
        HttpRequest, HttpResponse, TransportError,
    };

    #[wasm_bindgen]
    extern "C" {
        /// The object `js-host/host.js` passes to `runTask`.
        pub type JsHost;

        /// The variable's value as UTF-8 bytes. Bytes, not a string: wasm-bindgen copies a
        /// string into wasm one character at a time in JavaScript, which costs a list input
        /// of a thousand entries a millisecond or more; bytes are copied at once.
        #[wasm_bindgen(method, js_name = env)]
        fn read_env(this: &JsHost, name: &str) -> Option<Vec<u8>>;

        /// Writes lines joined by `\n` (each line is one line: the core escapes line breaks).
        #[wasm_bindgen(method, js_name = writeLines)]
        fn print_lines(this: &JsHost, lines: &str);

        #[wasm_bindgen(method, js_name = nowMs)]
        fn clock_ms(this: &JsHost) -> f64;

        #[wasm_bindgen(method, js_name = wallClockMs)]
        fn wall_ms(this: &JsHost) -> f64;

        #[wasm_bindgen(method, js_name = random)]
        fn random_number(this: &JsHost) -> f64;

        #[wasm_bindgen(method, js_name = patternMatches)]
        fn test_pattern(this: &JsHost, pattern: &str, text: &str) -> Option<bool>;

        #[wasm_bindgen(method, js_name = sleep)]
        fn pause(this: &JsHost, ms: f64) -> js_sys::Promise;

        /// Returns `{"text": ...}` or `{"error": code}` as JSON.
        #[wasm_bindgen(method, js_name = readFile)]
        fn read_text(this: &JsHost, path: &str) -> String;

        /// Takes the request as JSON and its body; resolves (never rejects) to the answer
        /// `decode_http_answer` reads, as UTF-8 bytes in a `Uint8Array` (for the reason `read_env`
        /// gives).
        #[wasm_bindgen(method, js_name = http)]
        fn exchange(this: &JsHost, request_json: &str, body: &str) -> js_sys::Promise;

        /// The file operations answer `undefined` when done, or Node's error code.
        #[wasm_bindgen(method, js_name = createDirectory)]
        fn make_directory(this: &JsHost, path: &str, mode: u32) -> Option<String>;

        /// The contents go over as UTF-8 bytes, a view of wasm memory: a large summary is
        /// not decoded into a JavaScript string only to be encoded back.
        #[wasm_bindgen(method, js_name = writeNewFile)]
        fn write_file(this: &JsHost, path: &str, contents: &[u8], mode: u32) -> Option<String>;

        #[wasm_bindgen(method, js_name = removeFile)]
        fn unlink(this: &JsHost, path: &str) -> Option<String>;

        #[wasm_bindgen(method, js_name = removeDirectory)]
        fn rmdir(this: &JsHost, path: &str) -> Option<String>;

        #[wasm_bindgen(method, js_name = secureRandomHex)]
        fn random_hex(this: &JsHost, count: u32) -> String;

        /// Returns `{"keyPair": {jwk, pkcs8, spki}}` or `{"error": code}` as JSON.
        #[wasm_bindgen(method, js_name = generateKeyPair)]
        fn key_pair(this: &JsHost, algorithm: &str) -> String;
    }

    thread_local! {
        /// Lines not yet handed to the host. Crossing into JavaScript costs about as much as
        /// writing a short line, and a step with 1,000 secrets writes 3,000 lines, so they go
        /// over in batches: when the batch is large, before every wait (a request, a pause),
        /// and when the run ends (`JsHost::flush_lines`). Output keeps its order, so a value
        /// is never out before the `setsecret` that masks it.
        static PENDING_LINES: RefCell<String> = const { RefCell::new(String::new()) };
    }

    /// A batch this large goes out at once.
    const BATCH_CHARS: usize = 16 * 1024;

    impl JsHost {
        /// Hands every pending line to the host.
        pub fn flush_lines(&self) {
            let batch = PENDING_LINES.with(|pending| std::mem::take(&mut *pending.borrow_mut()));
            if !batch.is_empty() {
                self.print_lines(batch.strip_suffix('\n').unwrap_or(&batch));
            }
        }
    }

    /// An error code as a result.
    fn done(error: Option<String>) -> Result<(), String> {
        error.map_or(Ok(()), Err)
    }

    impl Host for JsHost {
        fn env(&self, name: &str) -> Option<String> {
            self.read_env(name).map(|bytes| text(&bytes))
        }

        fn write_line(&self, line: &str) {
            self.write_line_with(&|pending| pending.push_str(line));
        }

        fn write_line_with(&self, build: &dyn Fn(&mut String)) {
            let full = PENDING_LINES.with(|pending| {
                let mut pending = pending.borrow_mut();
                build(&mut pending);
                pending.push('\n');
                pending.len() >= BATCH_CHARS
            });
            if full {
                self.flush_lines();
            }
        }

        fn now_ms(&self) -> f64 {
            self.clock_ms()
        }

        fn wall_clock_ms(&self) -> f64 {
            self.wall_ms()
        }

        fn random(&self) -> f64 {
            self.random_number()
        }

        fn pattern_matches(&self, pattern: &str, text: &str) -> Option<bool> {
            self.test_pattern(pattern, text)
        }

        fn read_file(&self, path: &str) -> Result<String, String> {
            decode_file(&self.read_text(path))
        }

        fn create_directory(&self, path: &str, mode: u32) -> Result<(), String> {
            done(self.make_directory(path, mode))
        }

        fn write_new_file(&self, path: &str, contents: &str, mode: u32) -> Result<(), String> {
            done(self.write_file(path, contents.as_bytes(), mode))
        }

        fn remove_file(&self, path: &str) -> Result<(), String> {
            done(self.unlink(path))
        }

        fn remove_directory(&self, path: &str) -> Result<(), String> {
            done(self.rmdir(path))
        }

        fn secure_random_hex(&self, count: u32) -> String {
            self.random_hex(count)
        }

        fn generate_key_pair(&self, algorithm: &str) -> Result<GeneratedKeyPair, String> {
            decode_key_pair(&self.key_pair(algorithm))
        }

        async fn sleep(&self, ms: u64) {
            self.flush_lines();
            // A rejected pause cannot happen (setTimeout); either way the wait is over.
            let _ = JsFuture::from(self.pause(ms as f64)).await;
        }

        async fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
            self.flush_lines();
            let request_json = serde_json::to_string(request).unwrap_or_default();
            let answer = JsFuture::from(self.exchange(&request_json, &request.body)).await;
            let bytes = answer
                .ok()
                .and_then(|value| value.dyn_into::<js_sys::Uint8Array>().ok())
                .map(|array| array.to_vec());
            decode_http_answer(bytes.as_deref().unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_outcome_decodes_to_the_response() {
        let decoded =
            decode_http_answer(b"response 503\nretry-after: 2\nx-note: a: b\n\n{\"a\":\n\"b\"}")
                .unwrap();
        assert_eq!(decoded.status, 503);
        assert_eq!(decoded.header("retry-after"), Some("2"));
        assert_eq!(decoded.header("x-note"), Some("a: b"));
        assert_eq!(decoded.header("date"), None);
        assert_eq!(
            decoded.body, "{\"a\":\n\"b\"}",
            "the body is the rest, line breaks and all"
        );
    }

    #[test]
    fn a_body_that_is_not_utf8_has_its_bad_bytes_replaced() {
        let decoded = decode_http_answer(b"response 200\n\nok\xff").unwrap();
        assert_eq!(decoded.body, "ok\u{fffd}");
    }

    #[test]
    fn a_response_with_an_empty_body_has_an_empty_body() {
        let decoded = decode_http_answer(b"response 204\n\n").unwrap();
        assert_eq!((decoded.status, decoded.body.as_str()), (204, ""));
    }

    #[test]
    fn an_error_outcome_decodes_to_the_transport_error() {
        let decoded = decode_http_answer(b"error ECONNREFUSED\nconnect refused 127.0.0.1:1");
        assert_eq!(
            decoded.unwrap_err(),
            TransportError {
                code: "ECONNREFUSED".to_string(),
                message: "connect refused 127.0.0.1:1".to_string()
            }
        );
    }

    #[test]
    fn a_file_read_decodes_to_its_text_or_its_error_code() {
        assert_eq!(decode_file(r#"{"text":"token"}"#), Ok("token".to_string()));
        assert_eq!(
            decode_file(r#"{"error":"ENOENT"}"#),
            Err("ENOENT".to_string())
        );
        assert_eq!(decode_file("garbage"), Err("EHOST".to_string()));
    }

    #[test]
    fn a_garbled_outcome_is_a_transport_error_not_a_panic() {
        for garbled in [
            &b""[..],
            b"not an answer",
            b"response x\n\n",
            b"response 200\n",
            b"response 200\nno-colon\n\n",
            b"response 200\n\xff: x\n\n",
            b"other 1\n",
        ] {
            let decoded = decode_http_answer(garbled);
            assert_eq!(decoded.unwrap_err().code, "EHOST", "{garbled:?}");
        }
    }

    #[test]
    fn a_request_crosses_the_boundary_as_camel_case_json_without_its_body() {
        let request = HttpRequest {
            method: "POST".to_string(),
            url: "https://api.akeyless.io/auth".to_string(),
            headers: vec![("accept".to_string(), "application/json".to_string())],
            body: "{}".to_string(),
            connect_timeout_ms: 10_000,
            timeout_ms: 20_000,
            route: Route {
                proxy: Some(Proxy {
                    url: "http://proxy:3128".to_string(),
                    username: Some("u".to_string()),
                    password: None,
                }),
                ca_files: vec!["/etc/ca.pem".to_string()],
            },
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"method":"POST","url":"https://api.akeyless.io/auth","headers":[["accept","application/json"]],"connectTimeoutMs":10000,"timeoutMs":20000,"route":{"proxy":{"url":"http://proxy:3128","username":"u","password":null},"caFiles":["/etc/ca.pem"]}}"#
        );
    }
}

/// An in-memory host for native tests: a fixed environment, scripted HTTP answers, and a
/// record of every line written and request made.
#[cfg(test)]
pub mod fake {
    use std::cell::{Cell, RefCell};
    use std::collections::{HashMap, VecDeque};
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::{GeneratedKeyPair, Host, HttpRequest, HttpResponse, TransportError};

    pub struct FakeHost {
        env: HashMap<String, String>,
        answers: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
        requests: RefCell<Vec<HttpRequest>>,
        lines: RefCell<Vec<String>>,
        /// The fake clock: advanced by sleeps and by each exchange's `latency_ms`.
        clock_ms: Cell<f64>,
        latency_ms: Cell<f64>,
        sleeps: RefCell<Vec<u64>>,
        files: RefCell<HashMap<String, String>>,
        /// Files and directories the code under test made: path -> mode.
        modes: RefCell<HashMap<String, u32>>,
        directories: RefCell<Vec<String>>,
        random_calls: Cell<u32>,
    }

    /// The id of the service connection `with_connection` sets up.
    pub const CONNECTION_ID: &str = "0b6e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

    /// A host whose step names a service connection at `url` in `connectedServiceName`, with
    /// the variables in `extra` besides.
    pub fn with_connection(url: &str, extra: &[(&str, &str)]) -> FakeHost {
        let url_key = format!("ENDPOINT_URL_{CONNECTION_ID}");
        let mut env = vec![
            ("INPUT_CONNECTEDSERVICENAME", CONNECTION_ID),
            (url_key.as_str(), url),
        ];
        env.extend_from_slice(extra);
        FakeHost::new(&env)
    }

    /// The wall clock reading at fake time 0: 2026-11-26T00:00:00Z.
    pub const WALL_CLOCK_START_MS: f64 = 1_795_651_200_000.0;

    impl FakeHost {
        pub fn new(env: &[(&str, &str)]) -> Self {
            FakeHost {
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                answers: RefCell::new(VecDeque::new()),
                requests: RefCell::new(Vec::new()),
                lines: RefCell::new(Vec::new()),
                clock_ms: Cell::new(0.0),
                latency_ms: Cell::new(0.0),
                sleeps: RefCell::new(Vec::new()),
                files: RefCell::new(HashMap::new()),
                modes: RefCell::new(HashMap::new()),
                directories: RefCell::new(Vec::new()),
                random_calls: Cell::new(0),
            }
        }

        /// The text of a file, if it exists.
        pub fn file(&self, path: &str) -> Option<String> {
            self.files.borrow().get(path).cloned()
        }

        /// The mode a file or directory was created with, if it exists.
        pub fn mode(&self, path: &str) -> Option<u32> {
            self.modes.borrow().get(path).copied()
        }

        /// The directories that exist.
        pub fn directories(&self) -> Vec<String> {
            self.directories.borrow().clone()
        }

        /// Whether no directory but a run summary's (`tasks::summary`) was made.
        pub fn made_no_secret_directory(&self) -> bool {
            self.directories
                .borrow()
                .iter()
                .all(|directory| directory.contains("akeyless-summary-"))
        }

        /// Asserts that a step writing `lines` ended on a line holding `message`, having sent
        /// no request and made no secret directory: refused on its inputs alone.
        pub fn assert_refused_on_inputs(&self, lines: &[String], message: &str) {
            assert!(
                lines.last().unwrap().contains(message),
                "{message}: {lines:?}"
            );
            assert!(self.requests().is_empty());
            assert!(self.made_no_secret_directory());
        }

        /// Makes `path` readable with `text`.
        pub fn add_file(&self, path: &str, text: &str) {
            self.files
                .borrow_mut()
                .insert(path.to_string(), text.to_string());
        }

        /// Queues an answer with headers.
        pub fn answer_with_headers(&self, status: u16, headers: &[(&str, &str)], body: &str) {
            self.answers.borrow_mut().push_back(Ok(HttpResponse {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: body.to_string(),
            }));
        }

        /// Makes every exchange take `ms` of fake time (at most its timeout).
        pub fn set_latency(&self, ms: f64) {
            self.latency_ms.set(ms);
        }

        /// The pauses the code under test asked for, in order.
        pub fn sleeps(&self) -> Vec<u64> {
            self.sleeps.borrow().clone()
        }

        /// Queues the answer to the next HTTP exchange.
        pub fn answer(&self, status: u16, body: &str) {
            self.answer_with_headers(status, &[], body);
        }

        /// Queues a transport failure for the next HTTP exchange.
        pub fn fail_transport(&self, code: &str, message: &str) {
            self.answers.borrow_mut().push_back(Err(TransportError {
                code: code.to_string(),
                message: message.to_string(),
            }));
        }

        pub fn lines(&self) -> Vec<String> {
            self.lines.borrow().clone()
        }

        pub fn requests(&self) -> Vec<HttpRequest> {
            self.requests.borrow().clone()
        }
    }

    impl Host for FakeHost {
        fn env(&self, name: &str) -> Option<String> {
            self.env.get(name).cloned()
        }

        fn write_line(&self, line: &str) {
            self.lines.borrow_mut().push(line.to_string());
        }

        fn now_ms(&self) -> f64 {
            self.clock_ms.get()
        }

        fn wall_clock_ms(&self) -> f64 {
            WALL_CLOCK_START_MS + self.clock_ms.get()
        }

        /// Always the middle of the range, so jittered waits are predictable.
        fn random(&self) -> f64 {
            0.5
        }

        /// Understands only literal patterns, which is all the tests use.
        fn pattern_matches(&self, pattern: &str, text: &str) -> Option<bool> {
            if pattern.contains('(') && !pattern.contains(')') {
                return None;
            }
            let literal = pattern.replace('\\', "");
            Some(
                text.to_ascii_lowercase()
                    .contains(&literal.to_ascii_lowercase()),
            )
        }

        fn read_file(&self, path: &str) -> Result<String, String> {
            self.files
                .borrow()
                .get(path)
                .cloned()
                .ok_or_else(|| "ENOENT".to_string())
        }

        fn create_directory(&self, path: &str, mode: u32) -> Result<(), String> {
            if self.directories.borrow().iter().any(|d| d == path) {
                return Err("EEXIST".to_string());
            }
            self.directories.borrow_mut().push(path.to_string());
            self.modes.borrow_mut().insert(path.to_string(), mode);
            Ok(())
        }

        fn write_new_file(&self, path: &str, contents: &str, mode: u32) -> Result<(), String> {
            let parent = &path[..path.rfind(['/', '\\']).unwrap_or(0)];
            if !self.directories.borrow().iter().any(|d| d == parent) {
                return Err("ENOENT".to_string());
            }
            if self.files.borrow().contains_key(path) {
                return Err("EEXIST".to_string());
            }
            self.add_file(path, contents);
            self.modes.borrow_mut().insert(path.to_string(), mode);
            Ok(())
        }

        fn remove_file(&self, path: &str) -> Result<(), String> {
            self.modes.borrow_mut().remove(path);
            self.files
                .borrow_mut()
                .remove(path)
                .map(|_| ())
                .ok_or_else(|| "ENOENT".to_string())
        }

        fn remove_directory(&self, path: &str) -> Result<(), String> {
            let inside = format!("{path}/");
            if self.files.borrow().keys().any(|f| f.starts_with(&inside)) {
                return Err("ENOTEMPTY".to_string());
            }
            let mut directories = self.directories.borrow_mut();
            let before = directories.len();
            directories.retain(|d| d != path);
            if directories.len() == before {
                return Err("ENOENT".to_string());
            }
            self.modes.borrow_mut().remove(path);
            Ok(())
        }

        /// Counts up, so each call gives another name.
        fn secure_random_hex(&self, count: u32) -> String {
            self.random_calls.set(self.random_calls.get() + 1);
            format!(
                "{:0width$x}",
                self.random_calls.get(),
                width = count as usize * 2
            )
        }

        /// Fixed published keys: RFC 8037's Ed25519 example and RFC 7515's P-256 example (the
        /// PKCS#8 and SPKI fields are placeholders; native tests check only what the core
        /// derives from the JWK). Other algorithms fail as the host would on a bad name.
        fn generate_key_pair(&self, algorithm: &str) -> Result<GeneratedKeyPair, String> {
            let jwk = match algorithm {
                "ed25519" => serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519",
                    "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
                    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
                }),
                "ec-p256" => serde_json::json!({
                    "kty": "EC", "crv": "P-256",
                    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                    "y": "x_FEzRjx3wv6Q27ryHzUQm0ZalGUjlbrL6Rk3nwNHSg",
                    "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
                }),
                _ => return Err("ERR_INVALID_ARG_VALUE".to_string()),
            };
            Ok(GeneratedKeyPair {
                jwk: jwk.as_object().cloned().unwrap_or_default(),
                pkcs8: format!("-----BEGIN PRIVATE KEY-----\nfake-{algorithm}-pkcs8\n-----END PRIVATE KEY-----\n"),
                spki: "ZmFrZS1zcGtp".to_string(),
            })
        }

        async fn sleep(&self, ms: u64) {
            self.sleeps.borrow_mut().push(ms);
            self.clock_ms.set(self.clock_ms.get() + ms as f64);
        }

        async fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
            // Like the real host, an exchange never outlasts its timeout.
            let took = self.latency_ms.get().min(request.timeout_ms as f64);
            self.clock_ms.set(self.clock_ms.get() + took);
            self.requests.borrow_mut().push(request.clone());
            self.answers
                .borrow_mut()
                .pop_front()
                .expect("the test queued no answer for this request")
        }
    }

    /// Runs a future whose every await is answered at once, as all of `FakeHost`'s are.
    pub fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("a FakeHost future never waits"),
        }
    }
}
