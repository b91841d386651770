//! When a failed request is tried again, and how long to wait first.
//!
//! Retried: connection failures, timeouts, and the statuses that mean "busy or briefly
//! broken" (429, 500, 502, 503, 504); never 400, 401, 403, 404 or any other answer that will
//! not change. A request that may create something (`/get-dynamic-secret-value` mints
//! credentials) is retried only when it cannot have reached Akeyless: the connection was
//! refused or never made, the name did not resolve, or Akeyless refused it with 429 before
//! doing anything. Waits grow exponentially with full jitter (a random share of the cap, so
//! parallel jobs do not retry in step), and `Retry-After` (seconds or an HTTP date) is obeyed.

use crate::host::{HttpResponse, TransportError};

/// Attempts per request, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// The cap of the first backoff; it doubles for each later attempt.
const BASE_DELAY_MS: u64 = 500;
const MAX_DELAY_MS: u64 = 8_000;

const RETRIED_STATUSES: [u16; 5] = [429, 500, 502, 503, 504];
/// Failures that leave the request unsent or its answer lost.
const RETRIED_TRANSPORT_CODES: [&str; 12] = [
    "ECONNREFUSED",
    "ECONNRESET",
    "ECONNABORTED",
    "EPIPE",
    "ETIMEDOUT",
    "ECONNECTTIMEOUT",
    "EAI_AGAIN",
    "ENETUNREACH",
    "ENETDOWN",
    "EHOSTUNREACH",
    "EHOSTDOWN",
    "ENOTCONN",
];
/// Failures that prove the request never reached the server.
const UNSENT_TRANSPORT_CODES: [&str; 4] =
    ["ECONNREFUSED", "ECONNECTTIMEOUT", "EAI_AGAIN", "ENOTFOUND"];

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The outcome is final, success or not.
    Done,
    /// Try again after the backoff.
    Retry,
    /// Try again after the server's `Retry-After`, in milliseconds.
    RetryAfter(u64),
}

/// Whether and when to retry after `outcome`. `may_create`: the request could create
/// something if it reached the server. `now_wall_ms` dates a `Retry-After` without `Date`.
pub fn verdict(
    outcome: &Result<HttpResponse, TransportError>,
    may_create: bool,
    now_wall_ms: f64,
) -> Verdict {
    match outcome {
        Err(error) => {
            let codes: &[&str] = if may_create {
                &UNSENT_TRANSPORT_CODES
            } else {
                &RETRIED_TRANSPORT_CODES
            };
            if codes.contains(&error.code.as_str()) {
                Verdict::Retry
            } else {
                Verdict::Done
            }
        }
        Ok(response) => {
            let retried = if may_create {
                response.status == 429
            } else {
                RETRIED_STATUSES.contains(&response.status)
            };
            if !retried {
                return Verdict::Done;
            }
            match retry_after_ms(response, now_wall_ms) {
                Some(wait) => Verdict::RetryAfter(wait),
                None => Verdict::Retry,
            }
        }
    }
}

/// The wait before attempt `attempt + 1`: a random share (`random` in `[0, 1)`) of a cap that
/// doubles per attempt.
pub fn backoff_ms(attempt: u32, random: f64) -> u64 {
    let cap = BASE_DELAY_MS
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_DELAY_MS);
    (cap as f64 * random.clamp(0.0, 1.0)) as u64
}

/// The response's `Retry-After` in milliseconds: delay-seconds, or an HTTP date measured
/// against the response's own `Date` when it has one (immune to clock skew), else against
/// `now_wall_ms`. A date in the past means no wait; a wait too long to count is `u64::MAX`,
/// never a number that wrapped round to a short one (the caller gives up on any wait longer
/// than the step has left).
pub fn retry_after_ms(response: &HttpResponse, now_wall_ms: f64) -> Option<u64> {
    let value = response.header("retry-after")?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too many for a u64: as good as forever.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(seconds.saturating_mul(1000));
    }
    let at = parse_http_date(value)?;
    let now_seconds = match response.header("date").and_then(parse_http_date) {
        Some(server_now) => server_now,
        None => (now_wall_ms / 1000.0) as i64,
    };
    let seconds = u64::try_from(at.saturating_sub(now_seconds)).unwrap_or(0);
    Some(seconds.saturating_mul(1000))
}

/// The last year a date is read with; a later one (a server's way of saying "not soon") is
/// read as this one, which is still far beyond any step's deadline.
const LAST_YEAR: i64 = 9999;

/// Seconds since the Unix epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn parse_http_date(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u32 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| m == month)? as u32 + 1;
    if !year.bytes().all(|b| b.is_ascii_digit()) || year.len() < 4 {
        return None;
    }
    let year: i64 = year.parse().unwrap_or(LAST_YEAR).min(LAST_YEAR);
    let clock: Vec<u32> = time
        .split(':')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    let [hour, minute, second] = clock.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day) || *hour > 23 || *minute > 59 || *second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(*hour) * 3600 + i64::from(*minute) * 60 + i64::from(*second))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)]) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: String::new(),
        })
    }

    fn failure(code: &str) -> Result<HttpResponse, TransportError> {
        Err(TransportError {
            code: code.to_string(),
            message: String::new(),
        })
    }

    #[test]
    fn busy_and_broken_statuses_are_retried() {
        for status in [429, 500, 502, 503, 504] {
            assert_eq!(
                verdict(&response(status, &[]), false, 0.0),
                Verdict::Retry,
                "{status}"
            );
        }
    }

    #[test]
    fn answers_that_will_not_change_are_final() {
        for status in [200, 400, 401, 403, 404, 409, 501] {
            assert_eq!(
                verdict(&response(status, &[]), false, 0.0),
                Verdict::Done,
                "{status}"
            );
        }
    }

    #[test]
    fn connection_failures_and_timeouts_are_retried_but_not_certificate_errors() {
        for code in [
            "ECONNRESET",
            "ECONNREFUSED",
            "ETIMEDOUT",
            "ECONNECTTIMEOUT",
            "EAI_AGAIN",
        ] {
            assert_eq!(
                verdict(&failure(code), false, 0.0),
                Verdict::Retry,
                "{code}"
            );
        }
        for code in [
            "ENOTFOUND",
            "DEPTH_ZERO_SELF_SIGNED_CERT",
            "EPROXY",
            "EBODYTOOLARGE",
        ] {
            assert_eq!(verdict(&failure(code), false, 0.0), Verdict::Done, "{code}");
        }
    }

    #[test]
    fn a_request_that_may_create_is_retried_only_when_it_cannot_have_arrived() {
        for code in ["ECONNREFUSED", "ECONNECTTIMEOUT", "EAI_AGAIN"] {
            assert_eq!(verdict(&failure(code), true, 0.0), Verdict::Retry, "{code}");
        }
        for code in ["ECONNRESET", "ETIMEDOUT", "EPIPE"] {
            assert_eq!(verdict(&failure(code), true, 0.0), Verdict::Done, "{code}");
        }
        assert_eq!(verdict(&response(429, &[]), true, 0.0), Verdict::Retry);
        for status in [500, 502, 503, 504] {
            assert_eq!(
                verdict(&response(status, &[]), true, 0.0),
                Verdict::Done,
                "{status}"
            );
        }
    }

    #[test]
    fn retry_after_in_seconds_is_obeyed() {
        assert_eq!(
            verdict(&response(503, &[("retry-after", "3")]), false, 0.0),
            Verdict::RetryAfter(3000)
        );
    }

    #[test]
    fn retry_after_as_a_date_is_measured_against_the_servers_date() {
        let outcome = response(
            429,
            &[
                ("retry-after", "Thu, 26 Nov 2026 10:00:05 GMT"),
                ("date", "Thu, 26 Nov 2026 10:00:00 GMT"),
            ],
        );
        assert_eq!(verdict(&outcome, false, 0.0), Verdict::RetryAfter(5000));
    }

    #[test]
    fn retry_after_as_a_date_without_date_uses_the_wall_clock() {
        let now = parse_http_date("Thu, 26 Nov 2026 10:00:00 GMT").unwrap() as f64 * 1000.0;
        let outcome = response(503, &[("retry-after", "Thu, 26 Nov 2026 10:00:02 GMT")]);
        assert_eq!(verdict(&outcome, false, now), Verdict::RetryAfter(2000));
        let past = response(503, &[("retry-after", "Thu, 26 Nov 2026 09:00:00 GMT")]);
        assert_eq!(verdict(&past, false, now), Verdict::RetryAfter(0));
    }

    #[test]
    fn a_retry_after_far_in_the_future_is_a_long_wait_never_a_short_one() {
        let far = [
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Fri, 31 Dec 99999 23:59:59 GMT",
            "Fri, 31 Dec 9223372036854775807 23:59:59 GMT",
            "Fri, 31 Dec 99999999999999999999999 23:59:59 GMT",
        ];
        for date in far {
            let outcome = response(503, &[("retry-after", date)]);
            match verdict(&outcome, false, 0.0) {
                Verdict::RetryAfter(wait) => assert!(wait > 1_000_000_000_000, "{date}: {wait}"),
                other => panic!("{date}: {other:?}"),
            }
        }
        let huge_seconds = response(503, &[("retry-after", "999999999999999999999999")]);
        assert_eq!(
            verdict(&huge_seconds, false, 0.0),
            Verdict::RetryAfter(u64::MAX)
        );
    }

    #[test]
    fn an_unreadable_retry_after_falls_back_to_backoff() {
        assert_eq!(
            verdict(&response(503, &[("retry-after", "soon")]), false, 0.0),
            Verdict::Retry
        );
    }

    #[test]
    fn http_dates_parse_to_unix_seconds() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
    }

    #[test]
    fn backoff_doubles_its_cap_with_full_jitter_and_stops_growing() {
        assert_eq!(backoff_ms(1, 0.5), 250);
        assert_eq!(backoff_ms(2, 0.5), 500);
        assert_eq!(backoff_ms(3, 0.5), 1000);
        assert_eq!(backoff_ms(3, 0.0), 0);
        assert_eq!(backoff_ms(10, 0.999), 7992);
        assert_eq!(backoff_ms(200, 1.0), 8000);
    }
}
