//! AWS Signature Version 4, as far as an Akeyless `aws_iam` login needs it: a request with an
//! empty query string, signed with the `Authorization` header.
//!
//! SHA-256 and HMAC come from the RustCrypto crates `sha2` and `hmac`; the canonical request,
//! the string to sign and the key derivation follow AWS's "Create a signed AWS API request"
//! steps. The known-answer tests use the vectors of AWS's published Signature Version 4 test
//! suite (credentials `AKIDEXAMPLE`, 2015-08-30T12:36:00Z, region `us-east-1`, service
//! `service`).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// AWS credentials; the secret key and the session token are secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// A request to sign. Header names are given as they will be sent; `path` has no query.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, String)],
    pub body: &'a str,
}

/// Where and when the signature is valid.
pub struct Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`, the value of `X-Amz-Date`.
    pub amz_date: &'a str,
}

/// The `Authorization` header value for `request`, signed with `credentials`.
pub fn authorization(
    request: &Request<'_>,
    scope: &Scope<'_>,
    credentials: &AwsCredentials,
) -> String {
    let date = &scope.amz_date[..scope.amz_date.len().min(8)];
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let (canonical, signed_headers) = canonical_request(request);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{credential_scope}\n{}",
        scope.amz_date,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", credentials.secret_access_key).as_bytes(),
        date,
    );
    for part in [scope.region, scope.service, "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex(&hmac(&key, &string_to_sign));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{credential_scope}, SignedHeaders={signed_headers}, \
         Signature={signature}",
        credentials.access_key_id
    )
}

/// The canonical request and its signed-headers list: every header given is signed, names
/// lower-cased and sorted, values trimmed with inner runs of spaces folded.
fn canonical_request(request: &Request<'_>) -> (String, String) {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let folded = value.split_whitespace().collect::<Vec<_>>().join(" ");
            (name.to_ascii_lowercase(), folded)
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        request.method,
        request.path,
        hex(&Sha256::digest(request.body.as_bytes()))
    );
    (canonical, signed_headers)
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|byte| {
            [
                DIGITS[usize::from(byte >> 4)],
                DIGITS[usize::from(byte & 15)],
            ]
        })
        .map(char::from)
        .collect()
}

/// `YYYYMMDDTHHMMSSZ` for a wall-clock time in milliseconds since the Unix epoch.
pub fn amz_date(unix_ms: f64) -> String {
    let (year, month, day, hour, minute, second) = utc_fields(unix_ms);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a wall-clock time in milliseconds since the Unix epoch, for
/// people (the run summary).
pub fn readable_utc(unix_ms: f64) -> String {
    let (year, month, day, hour, minute, second) = utc_fields(unix_ms);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC")
}

/// Year, month, day, hour, minute and second (UTC) of a time in ms since the Unix epoch.
fn utc_fields(unix_ms: f64) -> (i64, u32, u32, i64, i64, i64) {
    let seconds = (unix_ms / 1000.0).floor() as i64;
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    (
        year,
        month,
        day,
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    )
}

/// The proleptic Gregorian date of a count of days since 1970-01-01 (Howard Hinnant's
/// algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test suite's credentials and time.
    fn suite_credentials() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".to_string(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(),
            session_token: None,
        }
    }

    const SUITE_SCOPE: Scope<'static> = Scope {
        region: "us-east-1",
        service: "service",
        amz_date: "20150830T123600Z",
    };

    fn suite_headers(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Host", "example.amazonaws.com".to_string()),
            ("X-Amz-Date", "20150830T123600Z".to_string()),
        ];
        headers.extend(extra.iter().map(|(name, value)| (*name, value.to_string())));
        headers
    }

    fn signed(method: &str, headers: &[(&str, String)], body: &str) -> String {
        let request = Request {
            method,
            path: "/",
            headers,
            body,
        };
        authorization(&request, &SUITE_SCOPE, &suite_credentials())
    }

    #[test]
    fn aws_test_suite_get_vanilla() {
        assert_eq!(
            signed("GET", &suite_headers(&[]), ""),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn aws_test_suite_get_vanilla_string_to_sign_hashes_the_canonical_request() {
        let headers = suite_headers(&[]);
        let (canonical, _) = canonical_request(&Request {
            method: "GET",
            path: "/",
            headers: &headers,
            body: "",
        });
        assert_eq!(
            hex(&Sha256::digest(canonical.as_bytes())),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
    }

    #[test]
    fn aws_test_suite_post_vanilla() {
        assert!(signed("POST", &suite_headers(&[]), "").ends_with(
            "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        ));
    }

    #[test]
    fn aws_test_suite_post_x_www_form_urlencoded() {
        let headers = suite_headers(&[("Content-Type", "application/x-www-form-urlencoded")]);
        assert_eq!(
            signed("POST", &headers, "Param1=value1"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        );
    }

    #[test]
    fn aws_test_suite_get_header_key_duplicate_folds_nothing_inside_a_value() {
        let headers = suite_headers(&[("My-Header1", "value2,value2,value1")]);
        assert!(signed("GET", &headers, "").ends_with(
            "SignedHeaders=host;my-header1;x-amz-date, \
             Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"
        ));
    }

    #[test]
    fn the_date_is_written_as_x_amz_date_wants_it() {
        assert_eq!(amz_date(1_440_938_160_000.0), "20150830T123600Z");
        assert_eq!(amz_date(0.0), "19700101T000000Z");
        assert_eq!(amz_date(1_709_164_800_999.0), "20240229T000000Z");
        assert_eq!(amz_date(1_795_651_200_000.0), "20261126T000000Z");
    }

    #[test]
    fn the_readable_form_is_the_same_instant() {
        assert_eq!(readable_utc(1_440_938_160_000.0), "2015-08-30 12:36:00 UTC");
        assert_eq!(readable_utc(1_709_164_800_999.0), "2024-02-29 00:00:00 UTC");
    }
}
