//! Sends one Akeyless operation and turns the reply into its typed response or an
//! [`ApiError`], retrying where `retry` says it is safe.
//!
//! Every request is a JSON `POST` carrying the identification headers Akeyless audit logs
//! read (`akeylessclienttype`, `akeylessclientversion`) and routed as the agent's network
//! settings say. Each attempt gets the response timeout of its operation, shortened so that
//! no attempt outlives the operation's own deadline or the step's (SPEC section 5: the whole
//! task gives up after 45 s). Bodies are never logged: each attempt's debug line holds the
//! URL, the attempt number, the status or error code, and the time taken.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::agent::Agent;
use crate::akeyless::retry::{self, Verdict, MAX_ATTEMPTS};
use crate::akeyless::{ApiError, BaseUrl, Service};
use crate::host::{Host, HttpRequest, HttpResponse, TransportError};
use crate::network;

/// How Akeyless audit logs name this client.
pub const CLIENT_TYPE: &str = "Azure-DevOps-Extension";

/// The extension version sent with every request.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How long a response may take unless the operation says otherwise (SPEC section 5).
pub const RESPONSE_TIMEOUT_MS: u64 = 20_000;
/// How long all attempts of one request together may take unless the operation says
/// otherwise; the step's own deadline (SPEC 5) can leave less.
pub const DEADLINE_MS: u64 = 45_000;
/// How long a connection may take to open.
pub const CONNECT_TIMEOUT_MS: u64 = 10_000;
/// An attempt with less time than this left before the deadline is not worth starting.
const SHORTEST_ATTEMPT_MS: u64 = 1_000;

/// One Akeyless API operation: the request body, its path, and the response it yields.
pub trait Operation: Serialize {
    /// The path after the base URL, such as `/auth`.
    const PATH: &'static str;
    type Response: DeserializeOwned;
    /// Whether the request may create something if it reaches Akeyless, so that sending it
    /// twice could create it twice.
    const MAY_CREATE: bool = false;
    /// Whether a successful reply may have no body at all (read as `{}`).
    const REPLY_MAY_BE_EMPTY: bool = false;

    /// How long to wait for one response.
    fn response_timeout_ms(&self) -> u64 {
        RESPONSE_TIMEOUT_MS
    }

    /// How long all attempts together may take, within the step's deadline.
    fn deadline_ms(&self) -> u64 {
        DEADLINE_MS
    }
}

/// An Akeyless client bound to one base URL, sending through the step's agent: its host, its
/// network settings, its deadline, its debug log and its secrets.
pub struct Client<'a, H: Host> {
    agent: &'a Agent<'a, H>,
    base: BaseUrl,
}

impl<'a, H: Host> Client<'a, H> {
    /// A client for `base`.
    pub fn new(agent: &'a Agent<'a, H>, base: BaseUrl) -> Self {
        Client { agent, base }
    }

    /// Sends `operation` (again, where that is safe) and decodes its successful response.
    pub async fn call<O: Operation>(&self, operation: &O) -> Result<O::Response, ApiError> {
        let url = self.base.join(O::PATH);
        let request = HttpRequest {
            method: "POST".to_string(),
            url: url.clone(),
            headers: vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("accept".to_string(), "application/json".to_string()),
                ("akeylessclienttype".to_string(), CLIENT_TYPE.to_string()),
                (
                    "akeylessclientversion".to_string(),
                    CLIENT_VERSION.to_string(),
                ),
            ],
            body: serde_json::to_string(operation).unwrap_or_default(),
            connect_timeout_ms: CONNECT_TIMEOUT_MS,
            timeout_ms: operation.response_timeout_ms(),
            route: self.agent.network().route(&url, |pattern, text| {
                self.agent.host().pattern_matches(pattern, text)
            }),
        };
        let policy = Policy {
            may_create: O::MAY_CREATE,
            response_timeout_ms: operation.response_timeout_ms(),
            deadline_ms: operation.deadline_ms(),
        };
        let response = exchange(self.agent, Service::Akeyless, request, policy).await?;
        let body = match response.body.trim() {
            "" if O::REPLY_MAY_BE_EMPTY => "{}",
            _ => &response.body,
        };
        decode(Service::Akeyless, url, response.status, body)
    }
}

/// How one request is timed and retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The request may create something if it arrives, so it is not resent once it may have.
    pub may_create: bool,
    pub response_timeout_ms: u64,
    pub deadline_ms: u64,
}

impl Policy {
    /// The SPEC's defaults for a request that creates nothing.
    pub const DEFAULT: Policy = Policy {
        may_create: false,
        response_timeout_ms: RESPONSE_TIMEOUT_MS,
        deadline_ms: DEADLINE_MS,
    };
}

/// Sends `request` to `service`, again where `retry` allows and the deadlines leave time,
/// until a final outcome: a 2xx response, or the error of the last attempt.
pub async fn exchange<H: Host>(
    agent: &Agent<'_, H>,
    service: Service,
    mut request: HttpRequest,
    policy: Policy,
) -> Result<HttpResponse, ApiError> {
    let host = agent.host();
    let step = agent.deadline();
    let url = network::without_credentials(&request.url);
    let started = host.now_ms();
    let deadline = (started + policy.deadline_ms as f64).min(step.at_ms());
    let mut attempt = 0;
    let mut waited_ms = Vec::new();
    loop {
        attempt += 1;
        let remaining = (deadline - host.now_ms()).max(0.0) as u64;
        if remaining < SHORTEST_ATTEMPT_MS && attempt == 1 {
            return Err(ApiError::OutOfTime {
                service,
                url,
                step_limit_seconds: step.limit_seconds(),
            });
        }
        request.timeout_ms = policy.response_timeout_ms.min(remaining);
        request.connect_timeout_ms = CONNECT_TIMEOUT_MS.min(request.timeout_ms);
        waited_ms.push(request.timeout_ms);
        let sent = host.now_ms();
        let outcome = host.http(&request).await;
        // Whole milliseconds: printing floats would add the float formatter to the wasm.
        let took = (host.now_ms() - sent).max(0.0).round() as u64;
        agent.debug_with(|| {
            format!(
                "{} {url} attempt {attempt}: {} in {took} ms",
                request.method,
                describe(&outcome)
            )
        });

        let wait = match retry::verdict(&outcome, policy.may_create, host.wall_clock_ms()) {
            Verdict::Done => None,
            Verdict::Retry => Some(retry::backoff_ms(attempt, host.random())),
            Verdict::RetryAfter(wait) => Some(wait),
        };
        let left = deadline - host.now_ms();
        let give_up = match wait {
            None => true,
            Some(wait) => {
                attempt >= MAX_ATTEMPTS || wait.saturating_add(SHORTEST_ATTEMPT_MS) as f64 > left
            }
        };
        if give_up {
            // The step's deadline, not the request's own, cut this attempt short.
            let cut_by_step = request.timeout_ms < policy.response_timeout_ms
                && step.at_ms() <= started + policy.deadline_ms as f64;
            return match finish(agent, service, outcome, &request, &url, cut_by_step) {
                Err(error) if attempt > 1 => Err(ApiError::GaveUp {
                    attempts: attempt,
                    seconds: ((host.now_ms() - started) / 1000.0).round() as u64,
                    waited_seconds: waited_ms.iter().map(|ms| ms.div_ceil(1000)).collect(),
                    last: Box::new(error),
                }),
                other => other,
            };
        }
        let wait = wait.unwrap_or_default();
        agent.debug(&format!(
            "{} {url}: trying again in {wait} ms",
            request.method
        ));
        host.sleep(wait).await;
    }
}

/// An attempt's outcome for the debug log: a status or an error code, nothing more.
fn describe(outcome: &Result<HttpResponse, TransportError>) -> String {
    match outcome {
        Ok(response) => format!("HTTP {}", response.status),
        Err(error) => format!("failed ({})", error.code),
    }
}

/// The final outcome of `request` (sent to `url`, as it may be printed): its 2xx response,
/// or its error. Text quoted from an error reply has the step's secrets replaced first.
fn finish<H: Host>(
    agent: &Agent<'_, H>,
    service: Service,
    outcome: Result<HttpResponse, TransportError>,
    request: &HttpRequest,
    url: &str,
    cut_by_step: bool,
) -> Result<HttpResponse, ApiError> {
    let response = outcome.map_err(|error| ApiError::Transport {
        service,
        url: url.to_string(),
        error: Box::new(error),
        timeout_ms: request.timeout_ms,
        connect_timeout_ms: request.connect_timeout_ms,
        step_limit_seconds: cut_by_step.then(|| agent.deadline().limit_seconds()),
        proxy: request
            .route
            .proxy
            .as_ref()
            .map(|proxy| network::without_credentials(&proxy.url)),
    })?;
    if !(200..300).contains(&response.status) {
        return Err(ApiError::from_status(
            service,
            url.to_string(),
            response.status,
            &response.body,
            &|text| agent.redact(text).into_owned(),
        ));
    }
    Ok(response)
}

/// Decodes a 2xx JSON body. Serde's own messages are not shown: they can quote the values.
pub fn decode<T: DeserializeOwned>(
    service: Service,
    url: String,
    status: u16,
    body: &str,
) -> Result<T, ApiError> {
    let malformed = |problem| ApiError::Malformed {
        service,
        url: url.clone(),
        status,
        problem,
    };
    // Parsed once, straight into `T` (a large reply is not worth reading twice); only a reply
    // that does not fit is read again, as any JSON, to say what is wrong with it.
    let is_object = body.trim_start().starts_with('{');
    match serde_json::from_str::<T>(body) {
        Ok(typed) if is_object => Ok(typed),
        Ok(_) => Err(malformed("the reply is not a JSON object")),
        Err(_) => Err(malformed(match serde_json::from_str::<Value>(body) {
            Err(_) => "the reply is not valid JSON",
            Ok(value) if !value.is_object() => "the reply is not a JSON object",
            Ok(_) => "the reply's fields do not have the expected types",
        })),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::host::fake::{block_on, FakeHost};

    #[derive(Serialize)]
    struct Ping {
        name: &'static str,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Pong {
        value: Option<String>,
    }

    impl Operation for Ping {
        const PATH: &'static str = "/ping";
        type Response = Pong;
    }

    fn call(host: &FakeHost) -> Result<Pong, ApiError> {
        call_with(host, &Ping { name: "x" })
    }

    fn call_with<O: Operation>(host: &FakeHost, operation: &O) -> Result<O::Response, ApiError> {
        let base = BaseUrl::parse("https://gw:8000/api/v2/").unwrap();
        let agent = Agent::new(host);
        let client = Client::new(&agent, base);
        block_on(client.call(operation))
    }

    /// Like `Ping`, but as if it minted credentials.
    #[derive(Serialize)]
    struct Mint {
        name: &'static str,
    }

    impl Operation for Mint {
        const PATH: &'static str = "/mint";
        type Response = Pong;
        const MAY_CREATE: bool = true;
    }

    #[test]
    fn the_request_is_a_json_post_to_the_joined_url_with_identification_headers() {
        let host = FakeHost::new(&[]);
        host.answer(200, r#"{"value":"v"}"#);
        call(&host).unwrap();
        let request = &host.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://gw:8000/api/v2/ping");
        assert_eq!(request.body, r#"{"name":"x"}"#);
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("akeylessclienttype"), Some("Azure-DevOps-Extension"));
        assert_eq!(header("akeylessclientversion"), Some(CLIENT_VERSION));
        assert_eq!(header("content-type"), Some("application/json"));
    }

    #[test]
    fn a_successful_reply_is_decoded() {
        let host = FakeHost::new(&[]);
        host.answer(200, r#"{"value":"v","extra":1}"#);
        assert_eq!(
            call(&host),
            Ok(Pong {
                value: Some("v".to_string())
            })
        );
    }

    #[test]
    fn a_final_status_is_not_retried() {
        let host = FakeHost::new(&[]);
        host.answer(403, r#"{"error":"forbidden"}"#);
        assert_eq!(
            call(&host),
            Err(ApiError::Status {
                url: "https://gw:8000/api/v2/ping".to_string(),
                service: Service::Akeyless,
                status: 403,
                server_text: Some("forbidden".to_string()),
                json_reply: true,
            })
        );
    }

    #[test]
    fn a_final_transport_failure_is_reported_with_its_code() {
        let host = FakeHost::new(&[]);
        host.fail_transport("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate");
        let error = call(&host).unwrap_err();
        assert!(matches!(
            error,
            ApiError::Transport { ref error, .. } if error.code == "DEPTH_ZERO_SELF_SIGNED_CERT"
        ));
        assert_eq!(host.requests().len(), 1);
    }

    #[test]
    fn a_busy_server_is_asked_again_after_a_backoff() {
        let host = FakeHost::new(&[]);
        host.answer(500, r#"{"error":"internal"}"#);
        host.fail_transport("ECONNRESET", "socket hang up");
        host.answer(200, r#"{"value":"v"}"#);
        assert_eq!(call(&host).unwrap().value.as_deref(), Some("v"));
        assert_eq!(host.requests().len(), 3);
        assert_eq!(host.sleeps(), vec![250, 500]);
    }

    #[test]
    fn retry_after_is_obeyed() {
        let host = FakeHost::new(&[]);
        host.answer_with_headers(503, &[("retry-after", "2")], "");
        host.answer(200, r#"{"value":"v"}"#);
        call(&host).unwrap();
        assert_eq!(host.sleeps(), vec![2000]);
    }

    #[test]
    fn attempts_are_bounded_and_the_final_error_says_so() {
        let host = FakeHost::new(&[]);
        for _ in 0..MAX_ATTEMPTS {
            host.answer(500, r#"{"error":"internal error"}"#);
        }
        let error = call(&host).unwrap_err();
        assert_eq!(host.requests().len(), MAX_ATTEMPTS as usize);
        assert_eq!(
            error.to_string(),
            "Akeyless refused https://gw:8000/api/v2/ping with HTTP 500: internal error. \
             Gave up after 4 attempts in 2 s."
        );
    }

    #[test]
    fn each_attempt_is_one_debug_line_with_status_and_timing_only() {
        let host = FakeHost::new(&[("SYSTEM_DEBUG", "true")]);
        host.set_latency(12.0);
        host.answer(502, "<html>secret-looking body</html>");
        host.answer(200, r#"{"value":"v"}"#);
        call(&host).unwrap();
        assert_eq!(
            host.lines(),
            vec![
                "##[debug]POST https://gw:8000/api/v2/ping attempt 1: HTTP 502 in 12 ms",
                "##[debug]POST https://gw:8000/api/v2/ping: trying again in 250 ms",
                "##[debug]POST https://gw:8000/api/v2/ping attempt 2: HTTP 200 in 12 ms",
            ]
        );
    }

    #[test]
    fn no_attempt_outlives_the_deadline() {
        let host = FakeHost::new(&[]);
        host.set_latency(20_000.0);
        for _ in 0..MAX_ATTEMPTS {
            host.fail_transport("ETIMEDOUT", "no response");
        }
        let error = call(&host).unwrap_err();
        let timeouts: Vec<u64> = host.requests().iter().map(|r| r.timeout_ms).collect();
        // The third attempt gets what is left of the 45 s after two attempts and two waits.
        assert_eq!(timeouts, vec![20_000, 20_000, 4_250]);
        assert!(host.now_ms() <= DEADLINE_MS as f64, "{}", host.now_ms());
        assert!(
            error.to_string().contains("no response within 4 s"),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("Gave up after 3 attempts in 45 s"),
            "{error}"
        );
    }

    #[test]
    fn a_retry_after_beyond_the_deadline_ends_at_once() {
        let host = FakeHost::new(&[]);
        host.answer_with_headers(503, &[("retry-after", "120")], r#"{"error":"busy"}"#);
        let error = call(&host).unwrap_err();
        assert_eq!(host.requests().len(), 1);
        assert!(host.sleeps().is_empty());
        assert!(error.to_string().ends_with("HTTP 503: busy."), "{error}");
    }

    #[test]
    fn a_retry_after_date_far_in_the_future_ends_at_once_instead_of_retrying_at_once() {
        let host = FakeHost::new(&[]);
        host.answer_with_headers(
            503,
            &[(
                "retry-after",
                "Fri, 31 Dec 9223372036854775807 23:59:59 GMT",
            )],
            r#"{"error":"busy"}"#,
        );
        let error = call(&host).unwrap_err();
        assert_eq!(host.requests().len(), 1);
        assert!(host.sleeps().is_empty());
        assert!(error.to_string().ends_with("HTTP 503: busy."), "{error}");
    }

    #[test]
    fn a_request_that_may_create_is_not_resent_after_it_may_have_arrived() {
        let host = FakeHost::new(&[]);
        host.answer(503, r#"{"error":"unavailable"}"#);
        assert!(call_with(&host, &Mint { name: "x" }).is_err());
        assert_eq!(host.requests().len(), 1);

        let host = FakeHost::new(&[]);
        host.fail_transport("ECONNREFUSED", "refused");
        host.answer(200, r#"{"value":"v"}"#);
        assert!(call_with(&host, &Mint { name: "x" }).is_ok());
        assert_eq!(host.requests().len(), 2);
    }

    #[test]
    fn a_configured_proxy_is_on_the_route() {
        let host = FakeHost::new(&[("HTTPS_PROXY", "http://proxy:3128")]);
        host.answer(200, r#"{"value":"v"}"#);
        call(&host).unwrap();
        let proxy = host.requests()[0].route.proxy.clone().unwrap();
        assert_eq!(proxy.url, "http://proxy:3128");
    }

    /// Makes `count` requests through `client` that each take 15 s and succeed.
    fn slow_requests(host: &FakeHost, client: &Client<'_, FakeHost>, count: usize) {
        host.set_latency(15_000.0);
        for _ in 0..count {
            host.answer(200, r#"{"value":"v"}"#);
            block_on(client.call(&Ping { name: "x" })).unwrap();
        }
    }

    #[test]
    fn all_requests_of_a_step_share_one_deadline() {
        // Each request alone is well within its limits (20 s, 45 s); after three the step's
        // 45 s are used up, and a fourth (a login and three chunks, say) is not sent.
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        let client = Client::new(&agent, BaseUrl::parse("https://gw").unwrap());
        slow_requests(&host, &client, 3);
        let error = block_on(client.call(&Ping { name: "x" })).unwrap_err();
        assert_eq!(host.requests().len(), 3);
        assert_eq!(host.now_ms(), 45_000.0);
        assert!(
            error
                .to_string()
                .contains("this step's 45 s time limit was used up"),
            "{error}"
        );
    }

    #[test]
    fn an_attempt_is_cut_to_what_is_left_of_the_step_and_says_so() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        let client = Client::new(&agent, BaseUrl::parse("https://gw").unwrap());
        slow_requests(&host, &client, 2);
        host.fail_transport("ETIMEDOUT", "no response");
        let error = block_on(client.call(&Ping { name: "x" })).unwrap_err();
        assert_eq!(host.requests()[2].timeout_ms, 15_000);
        assert!(
            error
                .to_string()
                .contains("no response within 15 s, all that was left of this step's 45 s limit"),
            "{error}"
        );
        assert_eq!(host.now_ms(), 45_000.0);
    }

    #[test]
    fn an_error_reply_quotes_no_secret_of_the_step_even_when_cut() {
        let host = FakeHost::new(&[]);
        let agent = Agent::new(&host);
        let secret = "Echoed-s3cret-".repeat(20);
        agent.register_secret(&secret);
        for _ in 0..MAX_ATTEMPTS {
            host.answer(500, &format!("{}{secret} trailing", "x".repeat(195)));
        }
        let client = Client::new(&agent, BaseUrl::parse("https://gw").unwrap());
        let error = block_on(client.call(&Ping { name: "x" })).unwrap_err();
        assert!(!error.to_string().contains("Echoed"), "{error}");
    }

    #[test]
    fn malformed_replies_never_quote_the_body() {
        for body in [
            r#"{"value": "sec"#,
            r#"["sec-value"]"#,
            r#"{"value":["sec-value"]}"#,
        ] {
            let host = FakeHost::new(&[]);
            host.answer(200, body);
            let error = call(&host).unwrap_err();
            assert!(matches!(error, ApiError::Malformed { .. }), "{body}");
            assert!(!error.to_string().contains("sec"), "{error}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_successful_body_decodes_or_is_malformed_without_quoting_it(body in ".*") {
            let host = FakeHost::new(&[]);
            host.answer(200, &body);
            match call(&host) {
                Ok(_) => {}
                Err(ApiError::Malformed { .. }) => {}
                Err(other) => proptest::prop_assert!(false, "unexpected {other:?}"),
            }
        }

        #[test]
        fn any_host_answer_decodes_without_panicking(answer in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = crate::host::decode_http_answer(&answer);
        }
    }
}
