//! `Database::check_secret_key`: the first key a database meets is the only one it accepts.

use adapters::{SECRET_KEY_VARIABLE, SecretKey, XChaChaCredentialCipher};

use crate::support::*;

fn cipher(hex_byte: &str) -> XChaChaCredentialCipher {
    XChaChaCredentialCipher::new(&SecretKey::parse(&hex_byte.repeat(32)).expect("a key"))
}

#[tokio::test]
async fn a_database_accepts_the_key_it_first_met_and_refuses_any_other_clearly()
-> anyhow::Result<()> {
    on_every_backend(async |database| {
        database.check_secret_key(&cipher("a1")).await?;
        database.check_secret_key(&cipher("a1")).await?;
        let refused = database
            .check_secret_key(&cipher("b2"))
            .await
            .expect_err("another key");
        let message = format!("{refused:#}");
        assert!(message.contains(SECRET_KEY_VARIABLE), "{message}");
        assert!(
            !message.contains("b2b2"),
            "the key is not repeated: {message}"
        );
        database.check_secret_key(&cipher("a1")).await?;
        Ok(())
    })
    .await
}
