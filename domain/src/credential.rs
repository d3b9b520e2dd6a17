//! Credentials the server keeps for outside systems (a mailbox's SMTP and IMAP passwords,
//! SENDING.md section 1): in memory as [`Credential`], at rest only as [`SealedCredential`].

/// A password the server must present to another system. Its `Debug` output is `[redacted]` and it
/// has no `Display`, so it does not reach a log or an answer by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential(String);

impl Credential {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself: for the connection that needs it, and for sealing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential([redacted])")
    }
}

/// A [`Credential`] encrypted under the server's secret key, as stored: opaque text that only the
/// key that sealed it opens.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCredential(String);

impl SealedCredential {
    /// Stored text, as the cipher wrote it.
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_stored(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SealedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedCredential(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_credential() {
        let credential = Credential::new("hunter2-app-password");
        let shown = format!(
            "{credential:?} {:?}",
            SealedCredential::from_stored("xc1:abc")
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("abc"), "{shown}");
    }
}
