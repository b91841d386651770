//! Keys and their encodings: the key pairs the certificate tasks generate on the agent (made by
//! the host's vetted implementation, see `Host::generate_key_pair`), written in the formats
//! OpenSSH reads (`openssh`), and the base64 and PEM that carry them.

pub mod openssh;

use crate::host::GeneratedKeyPair;

/// Decodes standard or URL-safe base64, with or without padding; `None` for anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let data = text.trim_end_matches('=');
    for byte in data.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    // A leftover of 6 bits cannot end a valid encoding.
    (count < 6).then_some(out)
}

/// The bytes of the JWK field `name` (base64url), if present and valid.
pub fn jwk_bytes(pair: &GeneratedKeyPair, name: &str) -> Option<Vec<u8>> {
    base64_decode(pair.jwk.get(name)?.as_str()?)
}

/// The DER inside a PEM block (its base64 lines between the `-----` lines); `None` when the
/// text is not one PEM block of `label`.
pub fn pem_der(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop].split_whitespace().collect();
    base64_decode(&body).filter(|der| !der.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_both_alphabets_with_and_without_padding() {
        assert_eq!(base64_decode("Zm9vYmE="), Some(b"fooba".to_vec()));
        assert_eq!(base64_decode("Zm9vYmE"), Some(b"fooba".to_vec()));
        assert_eq!(base64_decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(base64_decode("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(base64_decode("Zm9v!"), None);
        assert_eq!(base64_decode("Z"), None);
    }

    #[test]
    fn a_pem_block_gives_its_der() {
        let pem =
            "-----BEGIN CERTIFICATE REQUEST-----\nZm9v\nYmFy\n-----END CERTIFICATE REQUEST-----\n";
        assert_eq!(
            pem_der(pem, "CERTIFICATE REQUEST"),
            Some(b"foobar".to_vec())
        );
        assert_eq!(pem_der(pem, "CERTIFICATE"), None);
        assert_eq!(pem_der("no pem", "CERTIFICATE REQUEST"), None);
    }
}
