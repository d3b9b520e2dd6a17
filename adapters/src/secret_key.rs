//! The server's secret key and the cipher of stored credentials (SENDING.md section 1).
//!
//! - The key is 32 bytes, given as `SENDLINE_SECRET_KEY` in hex (64 digits) or base64 (standard or
//!   URL-safe, padded or not). Without it, a SQLite server keeps a generated key in a file beside its
//!   database (`sendline.db.secret-key`, mode 0600); PostgreSQL, shared by several processes, needs
//!   the variable (a file on one host cannot serve them all).
//! - Credentials are sealed with XChaCha20-Poly1305 under the key, a random 24-byte nonce per seal,
//!   stored as `xc1:` + hex(nonce ‖ ciphertext ‖ tag).
//! - A database remembers a sealed check value ([`KEY_CHECK_NAME`] in `server_secrets`), so that a
//!   server started with another key stops at once with a clear error instead of sending garbage
//!   to a mail server later (see `Database::check_secret_key`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use application::ports::{CredentialCipher, CredentialUnreadable};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use domain::credential::{Credential, SealedCredential};
use rand::TryRngCore;
use rand::rngs::OsRng;

use crate::private_files::{
    beside_sqlite_database, is_postgres_url, read_if_present, write_private,
};

/// The environment variable that holds the key.
pub const SECRET_KEY_VARIABLE: &str = "SENDLINE_SECRET_KEY";
/// What is appended to a SQLite file's name for its key file.
const KEY_FILE_SUFFIX: &str = ".secret-key";
/// The prefix of a sealed credential: the scheme, so that another one can follow.
const SEALED_PREFIX: &str = "xc1:";
const NONCE_BYTES: usize = 24;
/// The row of `server_secrets` that holds the key check.
pub(crate) const KEY_CHECK_NAME: &str = "secret_key_check";
/// What the key check seals: any fixed text does.
pub(crate) const KEY_CHECK_TEXT: &str = "sendline secret key check";

/// 32 bytes of key. `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    /// A key from its text: 64 hex digits, or base64 of 32 bytes. The error never repeats the text.
    pub fn parse(text: &str) -> anyhow::Result<SecretKey> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            hex_decode(text)
        } else {
            let unpadded = text.trim_end_matches('=');
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(unpadded)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(unpadded))
                .ok()
        };
        bytes
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .map(SecretKey)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the secret key must be 32 bytes, written as 64 hex digits or in base64"
                )
            })
    }

    /// A new key from the operating system's random source.
    pub fn generate() -> anyhow::Result<SecretKey> {
        let mut bytes = [0; 32];
        OsRng
            .try_fill_bytes(&mut bytes)
            .context("the operating system's random source failed")?;
        Ok(SecretKey(bytes))
    }

    /// The key tracking tokens are signed with (SENDING.md section 3): derived from this one, so
    /// that every process on one database signs alike, and a token says nothing of this key.
    pub fn tracking_key(&self) -> domain::tracking::TrackingKey {
        domain::tracking::TrackingKey::derive(&self.0)
    }

    fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }
}

/// Where the server's key comes from, for the start-up line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKeyOrigin {
    /// `SENDLINE_SECRET_KEY`.
    Variable,
    /// The key file beside the SQLite database, read.
    File(PathBuf),
    /// The key file beside the SQLite database, created now.
    CreatedFile(PathBuf),
    /// A key for an in-memory database, which nothing outlives.
    Ephemeral,
}

/// The key of the server whose database is at `url`, given `configured` (`SENDLINE_SECRET_KEY`).
pub fn server_secret_key(
    url: &str,
    configured: Option<&str>,
) -> anyhow::Result<(SecretKey, SecretKeyOrigin)> {
    if let Some(text) = configured.filter(|text| !text.trim().is_empty()) {
        let key = SecretKey::parse(text).context(SECRET_KEY_VARIABLE)?;
        return Ok((key, SecretKeyOrigin::Variable));
    }
    anyhow::ensure!(
        !is_postgres_url(url),
        "{SECRET_KEY_VARIABLE} is required with PostgreSQL (32 bytes as 64 hex digits or base64, \
         the same for every process of the database; e.g. `openssl rand -hex 32`)"
    );
    match beside_sqlite_database(url, KEY_FILE_SUFFIX)? {
        None => Ok((SecretKey::generate()?, SecretKeyOrigin::Ephemeral)),
        Some(path) => key_file(&path),
    }
}

/// The key in the file at `path`, created when there is none.
fn key_file(path: &Path) -> anyhow::Result<(SecretKey, SecretKeyOrigin)> {
    if let Some(text) = read_if_present(path)? {
        let key = SecretKey::parse(&text).with_context(|| format!("{}", path.display()))?;
        return Ok((key, SecretKeyOrigin::File(path.to_path_buf())));
    }
    let key = SecretKey::generate()?;
    write_private(path, &key.to_hex())?;
    Ok((key, SecretKeyOrigin::CreatedFile(path.to_path_buf())))
}

/// [`CredentialCipher`] with XChaCha20-Poly1305 under the server's key.
pub struct XChaChaCredentialCipher {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for XChaChaCredentialCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("XChaChaCredentialCipher")
    }
}

impl XChaChaCredentialCipher {
    pub fn new(key: &SecretKey) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&key.0.into()),
        }
    }
}

impl CredentialCipher for XChaChaCredentialCipher {
    fn seal(&self, credential: &Credential) -> SealedCredential {
        let mut nonce = [0; NONCE_BYTES];
        // The OS source failing is not something a caller can handle; without a fresh nonce the
        // seal would be unsafe, so stop rather than reuse one.
        #[allow(clippy::expect_used)]
        OsRng
            .try_fill_bytes(&mut nonce)
            .expect("the operating system's random source failed");
        #[allow(clippy::expect_used)]
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), credential.expose().as_bytes())
            .expect("XChaCha20-Poly1305 seals any credential of a sane length");
        let mut stored =
            String::with_capacity(SEALED_PREFIX.len() + 2 * (NONCE_BYTES + sealed.len()));
        stored.push_str(SEALED_PREFIX);
        stored.push_str(&hex_encode(&nonce));
        stored.push_str(&hex_encode(&sealed));
        SealedCredential::from_stored(stored)
    }

    fn open(&self, sealed: &SealedCredential) -> Result<Credential, CredentialUnreadable> {
        let bytes = sealed
            .as_stored()
            .strip_prefix(SEALED_PREFIX)
            .and_then(hex_decode)
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .ok_or(CredentialUnreadable)?;
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce = <[u8; NONCE_BYTES]>::try_from(nonce).map_err(|_| CredentialUnreadable)?;
        let plain = self
            .cipher
            .decrypt(&XNonce::from(nonce), sealed)
            .map_err(|_| CredentialUnreadable)?;
        String::from_utf8(plain)
            .map(Credential::new)
            .map_err(|_| CredentialUnreadable)
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |byte: u8| {
        char::from(byte)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests;
