//! OpenSSH's own formats, for the SSH certificate task: the public key line
//! (`ssh-ed25519 AAAA... comment`), the unencrypted private key file (`openssh-key-v1`, as
//! `ssh-keygen` writes it, described in OpenSSH's PROTOCOL.key), both for Ed25519 and ECDSA
//! P-256 keys, and reading a public key line a pipeline supplies. Numbers and strings are
//! encoded as RFC 4251 says: `uint32` big-endian, `string` as a length and bytes, `mpint` as a
//! minimal two's-complement big-endian integer. `ssh-keygen` is the judge in the Node tests.

use crate::host::GeneratedKeyPair;
use crate::keys::{base64_decode, jwk_bytes};

/// The key types the task generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshKeyType {
    Ed25519,
    EcdsaP256,
}

impl SshKeyType {
    /// The `keyType` input's values.
    pub const CHOICES: &'static str = "ed25519 or ecdsa-p256";

    /// The type named by the `keyType` input (any letter case).
    pub fn from_choice(choice: &str) -> Option<Self> {
        match choice.trim().to_ascii_lowercase().as_str() {
            "ed25519" => Some(SshKeyType::Ed25519),
            "ecdsa-p256" | "ecdsa" => Some(SshKeyType::EcdsaP256),
            _ => None,
        }
    }

    /// The algorithm to ask the host for.
    pub fn algorithm(self) -> &'static str {
        match self {
            SshKeyType::Ed25519 => "ed25519",
            SshKeyType::EcdsaP256 => "ec-p256",
        }
    }

    /// OpenSSH's name of the key type.
    pub fn ssh_name(self) -> &'static str {
        match self {
            SshKeyType::Ed25519 => "ssh-ed25519",
            SshKeyType::EcdsaP256 => "ecdsa-sha2-nistp256",
        }
    }
}

/// A generated key in OpenSSH's formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshKeyPair {
    /// `<type> <base64> <comment>`, one line.
    pub public_line: String,
    /// The `-----BEGIN OPENSSH PRIVATE KEY-----` file, newline-terminated.
    pub private_pem: String,
    /// The file name OpenSSH would give it: `id_ed25519`, `id_ecdsa`.
    pub file_stem: &'static str,
}

/// The key pair `pair` (made by the host for `key_type`) in OpenSSH's formats. `check` is the
/// random "checkint" of the private key file.
pub fn encode(
    key_type: SshKeyType,
    pair: &GeneratedKeyPair,
    check: u32,
    comment: &str,
) -> Result<SshKeyPair, String> {
    let missing = || format!("the generated {} key is incomplete", key_type.ssh_name());
    let private_d = jwk_bytes(pair, "d").ok_or_else(missing)?;
    let (public_blob, private_fields, file_stem) = match key_type {
        SshKeyType::Ed25519 => {
            let public = jwk_bytes(pair, "x")
                .filter(|x| x.len() == 32)
                .ok_or_else(missing)?;
            if private_d.len() != 32 {
                return Err(missing());
            }
            let mut blob = Vec::new();
            put_string(&mut blob, key_type.ssh_name().as_bytes());
            put_string(&mut blob, &public);
            let mut fields = blob.clone();
            put_string(
                &mut fields,
                &[private_d.as_slice(), public.as_slice()].concat(),
            );
            (blob, fields, "id_ed25519")
        }
        SshKeyType::EcdsaP256 => {
            let x = jwk_bytes(pair, "x")
                .filter(|x| x.len() == 32)
                .ok_or_else(missing)?;
            let y = jwk_bytes(pair, "y")
                .filter(|y| y.len() == 32)
                .ok_or_else(missing)?;
            let point = [&[4u8][..], &x, &y].concat();
            let mut blob = Vec::new();
            put_string(&mut blob, key_type.ssh_name().as_bytes());
            put_string(&mut blob, b"nistp256");
            put_string(&mut blob, &point);
            let mut fields = blob.clone();
            put_mpint(&mut fields, &private_d);
            (blob, fields, "id_ecdsa")
        }
    };
    let mut private_section = Vec::new();
    put_u32(&mut private_section, check);
    put_u32(&mut private_section, check);
    private_section.extend_from_slice(&private_fields);
    put_string(&mut private_section, comment.as_bytes());
    // Padded with 1, 2, 3... to the cipher's block size, 8 for "none".
    let mut pad = 1u8;
    while private_section.len() % 8 != 0 {
        private_section.push(pad);
        pad += 1;
    }
    let mut file = b"openssh-key-v1\0".to_vec();
    put_string(&mut file, b"none");
    put_string(&mut file, b"none");
    put_string(&mut file, b"");
    put_u32(&mut file, 1);
    put_string(&mut file, &public_blob);
    put_string(&mut file, &private_section);
    Ok(SshKeyPair {
        public_line: format!(
            "{} {} {comment}",
            key_type.ssh_name(),
            crate::agent::multiline::base64(&public_blob)
        ),
        private_pem: armor(&file),
        file_stem,
    })
}

/// The PEM armour OpenSSH writes: base64 in lines of 70 characters.
fn armor(bytes: &[u8]) -> String {
    let encoded = crate::agent::multiline::base64(bytes);
    let mut pem = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for line in encoded.as_bytes().chunks(70) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    pem
}

fn put_u32(buffer: &mut Vec<u8>, value: u32) {
    buffer.extend_from_slice(&value.to_be_bytes());
}

fn put_string(buffer: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(buffer, bytes.len() as u32);
    buffer.extend_from_slice(bytes);
}

/// A positive integer given big-endian: leading zeros dropped, one zero added when the top bit
/// is set, so it does not read as negative.
fn put_mpint(buffer: &mut Vec<u8>, magnitude: &[u8]) {
    let digits: &[u8] = match magnitude.iter().position(|&b| b != 0) {
        Some(first) => &magnitude[first..],
        None => &[],
    };
    if digits.first().is_some_and(|&b| b & 0x80 != 0) {
        put_string(buffer, &[&[0u8][..], digits].concat());
    } else {
        put_string(buffer, digits);
    }
}

/// A public key line a pipeline supplied, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppliedKey {
    /// The line as sent: type, base64 and comment, trimmed.
    pub line: String,
    /// The file name OpenSSH gives such a key: `id_ed25519`, `id_ecdsa`, `id_rsa`.
    pub file_stem: &'static str,
}

/// Reads an OpenSSH public key line: its type must be one OpenSSH certifies, and its base64
/// must hold a blob that names the same type. The error never quotes the text.
pub fn parse_public_line(text: &str) -> Result<SuppliedKey, String> {
    let line = text.trim();
    let mut parts = line.split_whitespace();
    let (Some(kind), Some(encoded)) = (parts.next(), parts.next()) else {
        return Err("it is not an OpenSSH public key line (type, base64 key, comment)".into());
    };
    let file_stem =
        match kind {
            "ssh-ed25519" => "id_ed25519",
            "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521" => "id_ecdsa",
            "ssh-rsa" => "id_rsa",
            _ => return Err(
                "its key type is not one of ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa"
                    .into(),
            ),
        };
    let blob = base64_decode(encoded).ok_or("its key is not valid base64")?;
    let named = blob
        .get(..4)
        .map(|length| u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize)
        .and_then(|length| blob.get(4..4 + length));
    if named != Some(kind.as_bytes()) {
        return Err("its key does not hold a key of the type it names".into());
    }
    if line.contains(['\n', '\r']) {
        return Err("it holds more than one line".into());
    }
    Ok(SuppliedKey {
        line: line.to_string(),
        file_stem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fake::FakeHost;
    use crate::host::Host;

    /// Reads back a `string` at `at`, returning it and where the next field starts.
    fn read_string(bytes: &[u8], at: usize) -> (&[u8], usize) {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        (&bytes[at + 4..at + 4 + length], at + 4 + length)
    }

    fn encoded(key_type: SshKeyType) -> SshKeyPair {
        let pair = FakeHost::new(&[])
            .generate_key_pair(key_type.algorithm())
            .unwrap();
        encode(key_type, &pair, 0x0102_0304, "akeyless-test").unwrap()
    }

    #[test]
    fn an_ed25519_public_key_line_holds_the_type_and_the_32_byte_key() {
        let key = encoded(SshKeyType::Ed25519);
        let parts: Vec<&str> = key.public_line.split(' ').collect();
        assert_eq!(parts[0], "ssh-ed25519");
        assert_eq!(parts[2], "akeyless-test");
        let blob = base64_decode(parts[1]).unwrap();
        let (kind, next) = read_string(&blob, 0);
        assert_eq!(kind, b"ssh-ed25519");
        let (public, end) = read_string(&blob, next);
        assert_eq!(
            public,
            base64_decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap()
        );
        assert_eq!(end, blob.len());
        assert_eq!(key.file_stem, "id_ed25519");
    }

    #[test]
    fn the_private_key_file_has_openssh_key_v1_layout_and_padding() {
        for key_type in [SshKeyType::Ed25519, SshKeyType::EcdsaP256] {
            let key = encoded(key_type);
            assert!(key
                .private_pem
                .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
            assert!(key
                .private_pem
                .ends_with("\n-----END OPENSSH PRIVATE KEY-----\n"));
            assert!(key
                .private_pem
                .lines()
                .all(|line| line.len() <= 70 || line.starts_with("-----")));
            let body: String = key
                .private_pem
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect();
            let file = base64_decode(&body).unwrap();
            assert!(file.starts_with(b"openssh-key-v1\0"));
            let mut at = 15;
            for expected in [&b"none"[..], b"none", b""] {
                let (field, next) = read_string(&file, at);
                assert_eq!(field, expected);
                at = next;
            }
            assert_eq!(&file[at..at + 4], &[0, 0, 0, 1]);
            let (_, next) = read_string(&file, at + 4);
            let (private, end) = read_string(&file, next);
            assert_eq!(end, file.len());
            assert_eq!(private.len() % 8, 0, "{key_type:?}");
            assert_eq!(&private[..8], &[1, 2, 3, 4, 1, 2, 3, 4]);
        }
    }

    #[test]
    fn an_ecdsa_key_is_the_uncompressed_point_on_nistp256() {
        let key = encoded(SshKeyType::EcdsaP256);
        let blob = base64_decode(key.public_line.split(' ').nth(1).unwrap()).unwrap();
        let (kind, next) = read_string(&blob, 0);
        assert_eq!(kind, b"ecdsa-sha2-nistp256");
        let (curve, next) = read_string(&blob, next);
        assert_eq!(curve, b"nistp256");
        let (point, _) = read_string(&blob, next);
        assert_eq!(point.len(), 65);
        assert_eq!(point[0], 4);
        assert_eq!(key.file_stem, "id_ecdsa");
    }

    #[test]
    fn an_mpint_is_minimal_and_never_negative() {
        let mut out = Vec::new();
        put_mpint(&mut out, &[0, 0, 0x7f, 1]);
        assert_eq!(out, [0, 0, 0, 2, 0x7f, 1]);
        out.clear();
        put_mpint(&mut out, &[0x80, 1]);
        assert_eq!(out, [0, 0, 0, 3, 0, 0x80, 1]);
    }

    #[test]
    fn a_supplied_public_key_line_is_checked_and_never_quoted() {
        let key = encoded(SshKeyType::Ed25519);
        let supplied = parse_public_line(&format!("  {}\n", key.public_line)).unwrap();
        assert_eq!(supplied.line, key.public_line);
        assert_eq!(supplied.file_stem, "id_ed25519");
        let blob = key.public_line.split(' ').nth(1).unwrap();
        for (text, problem) in [
            ("ssh-ed25519 !!not-base64!!", "not valid base64"),
            ("just-one-word", "not an OpenSSH public key line"),
            (&*format!("ssh-dss {blob}"), "key type is not one of"),
            (
                &*format!("ssh-rsa {blob}"),
                "does not hold a key of the type it names",
            ),
        ] {
            let error = parse_public_line(text).unwrap_err();
            assert!(error.contains(problem), "{text}: {error}");
            assert!(!error.contains(blob));
        }
    }
}
