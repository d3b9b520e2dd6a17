use super::*;

fn key(byte: u8) -> SecretKey {
    SecretKey([byte; 32])
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "sendline-{name}-{}-{}",
        std::process::id(),
        line!()
    ))
}

#[test]
fn a_key_is_read_from_hex_or_base64_and_refused_in_any_other_form_without_repeating_it() {
    let hex = "00".repeat(31) + "ff";
    assert_eq!(SecretKey::parse(&hex).expect("hex").0[31], 0xff);
    let base64 = base64::engine::general_purpose::STANDARD.encode([7_u8; 32]);
    assert_eq!(SecretKey::parse(&base64).expect("base64"), key(7));
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xfb_u8; 32]);
    assert_eq!(SecretKey::parse(&url_safe).expect("url-safe"), key(0xfb));
    for wrong in ["", "short", &"ab".repeat(31), &"zz".repeat(32), "c2VjcmV0"] {
        let refused = SecretKey::parse(wrong).expect_err(wrong);
        let message = format!("{refused:#}");
        assert!(message.contains("32 bytes"), "{message}");
        if !wrong.is_empty() {
            assert!(
                !message.contains(wrong),
                "the key is not repeated: {message}"
            );
        }
    }
}

#[test]
fn a_sealed_credential_opens_with_its_key_only_and_never_holds_the_password_in_clear() {
    let cipher = XChaChaCredentialCipher::new(&key(1));
    let password = Credential::new("app-password-Ω");
    let sealed = cipher.seal(&password);
    assert!(sealed.as_stored().starts_with(SEALED_PREFIX));
    assert!(!sealed.as_stored().contains("app-password"));
    assert_eq!(cipher.open(&sealed), Ok(password.clone()));
    assert_ne!(cipher.seal(&password), sealed, "a fresh nonce every seal");
    let other = XChaChaCredentialCipher::new(&key(2));
    assert_eq!(other.open(&sealed), Err(CredentialUnreadable));
}

#[test]
fn an_altered_or_malformed_sealed_credential_is_unreadable_not_a_panic() {
    let cipher = XChaChaCredentialCipher::new(&key(1));
    let sealed = cipher.seal(&Credential::new("secret"));
    let mut altered = sealed.as_stored().to_owned();
    let last = altered.pop().expect("a digit");
    altered.push(if last == '0' { '1' } else { '0' });
    for stored in [
        altered.as_str(),
        "",
        "xc1:",
        "xc1:abc",
        "xc1:zz",
        "plain-text-password",
        &sealed.as_stored()[..SEALED_PREFIX.len() + 2 * NONCE_BYTES],
    ] {
        assert_eq!(
            cipher.open(&SealedCredential::from_stored(stored)),
            Err(CredentialUnreadable),
            "{stored}"
        );
    }
}

#[test]
fn postgresql_needs_the_variable_and_sqlite_keeps_a_private_key_file_beside_the_database() {
    let refused = server_secret_key("postgres://app@db/sendline", None).expect_err("required");
    assert!(format!("{refused:#}").contains(SECRET_KEY_VARIABLE));
    let given = "11".repeat(32);
    assert_eq!(
        server_secret_key("postgres://app@db/sendline", Some(&given)).expect("given"),
        (key(0x11), SecretKeyOrigin::Variable)
    );

    let database = scratch("secret-key-db");
    let url = format!("sqlite://{}?mode=rwc", database.display());
    let file = PathBuf::from(format!("{}{KEY_FILE_SUFFIX}", database.display()));
    let _ = std::fs::remove_file(&file);
    let (created, origin) = server_secret_key(&url, None).expect("created");
    assert_eq!(origin, SecretKeyOrigin::CreatedFile(file.clone()));
    let (read, origin) = server_secret_key(&url, None).expect("read back");
    assert_eq!(
        (read, origin),
        (created, SecretKeyOrigin::File(file.clone()))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file)
            .expect("the file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let _ = std::fs::remove_file(&file);
    assert_eq!(
        server_secret_key("sqlite::memory:", None).expect("a key").1,
        SecretKeyOrigin::Ephemeral
    );
}

#[test]
fn debug_output_never_shows_the_key() {
    let shown = format!(
        "{:?} {:?}",
        key(0xab),
        XChaChaCredentialCipher::new(&key(0xab))
    );
    assert!(!shown.contains("ab, ") && !shown.contains("171"), "{shown}");
}
