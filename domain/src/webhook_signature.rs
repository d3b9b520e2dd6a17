//! The signatures of a webhook delivery (SENDING.md section 7): SendKit's `X-Webhook-Signature`,
//! the lowercase hex HMAC-SHA256 of the raw body, and Standard Webhooks' `webhook-signature`,
//! `v1,` + the base64 HMAC-SHA256 of `"{id}.{timestamp}.{body}"`. Both are keyed with the UTF-8
//! bytes of the whole secret string (a Standard Webhooks library verifies them with the secret
//! `"whsec_" + base64(secret bytes)`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The signature headers of one try of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSignatures {
    /// `X-Webhook-Signature`.
    pub sendkit: String,
    /// `webhook-signature`.
    pub standard: String,
}

impl WebhookSignatures {
    /// Signs `body` sent as delivery `id` at `timestamp` (Unix seconds, as in `webhook-timestamp`).
    pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> WebhookSignatures {
        let key = secret.as_bytes();
        let sendkit = hex_lower(&hmac_of(key, &[body]));
        let standard = standard_signature(key, id, timestamp, body);
        WebhookSignatures { sendkit, standard }
    }
}

/// `v1,<base64>` of Standard Webhooks, with the key's raw bytes.
fn standard_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let prefix = format!("{id}.{timestamp}.");
    let mac = hmac_of(key, &[prefix.as_bytes(), body]);
    format!("v1,{}", STANDARD.encode(mac))
}

fn hmac_of(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes a key of any length (a long one is hashed first): none is refused.
    let mut mac = match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_signature_matches_the_published_test_vector() {
        // The vector of the Standard Webhooks reference libraries: secret
        // "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" (its key is the base64-decoded part).
        let key = STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .expect("base64");
        let signature = standard_signature(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn sendkit_signature_is_the_lowercase_hex_hmac_of_the_body_keyed_by_the_secret_text() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signed = WebhookSignatures::sign("Jefe", "msg_1", 0, b"what do ya want for nothing?");
        assert_eq!(
            signed.sendkit,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The Standard Webhooks signature uses the same key bytes.
        assert_eq!(
            signed.standard,
            standard_signature(b"Jefe", "msg_1", 0, b"what do ya want for nothing?")
        );
    }
}
