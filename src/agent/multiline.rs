//! How a value with line breaks reaches the next step.
//!
//! The agent refuses a secret variable that contains a line break (the step would fail), and
//! it masks line by line. So a value holding CR or LF (a PEM key, a value stored with a
//! trailing newline) is delivered base64-encoded: one line, the exact bytes recoverable with
//! `base64 -d` or `[Convert]::FromBase64String`. A plain companion variable
//! `<NAME>_ENCODING` = `base64` tells scripts (and people) that it was encoded. Values
//! without line breaks are delivered as they are.

/// The suffix of the companion variable that marks an encoded value.
pub const ENCODING_SUFFIX: &str = "_ENCODING";

/// The companion variable's value.
pub const BASE64: &str = "base64";

/// Whether `value` must be encoded to travel as a secret variable.
pub fn needs_encoding(value: &str) -> bool {
    value.bytes().any(|byte| byte == b'\n' || byte == b'\r')
}

/// Standard base64 with padding (RFC 4648 section 4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let group = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[(group >> (18 - 6 * index)) as usize & 63],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_test_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn every_byte_value_encodes_to_the_alphabet() {
        let bytes: Vec<u8> = (0..=255).collect();
        let encoded = base64(&bytes);
        assert!(encoded.ends_with("+/w=="), "{encoded}");
        assert_eq!(encoded.len(), 344);
    }

    #[test]
    fn line_breaks_of_any_kind_need_encoding() {
        assert!(needs_encoding("a\nb"));
        assert!(needs_encoding("a\r\nb"));
        assert!(needs_encoding("a\rb"));
        assert!(needs_encoding("trailing\n"));
        assert!(!needs_encoding("one line with spaces"));
    }
}
