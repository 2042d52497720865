//! The keyring's promises: what it seals opens only with its key, in its column and row, and
//! unaltered; legacy plaintext reads as is; previous keys open and verify; nothing prints a key.

use super::*;

const A: [u8; KEY_LEN] = [0xa1; KEY_LEN];
const B: [u8; KEY_LEN] = [0xb2; KEY_LEN];
const C: [u8; KEY_LEN] = [0xc3; KEY_LEN];

fn ring(current: &[u8; KEY_LEN], previous: &[[u8; KEY_LEN]]) -> Keyring {
    Keyring::new(current, previous).unwrap()
}

#[test]
fn a_sealed_value_round_trips_and_hides_its_plaintext() {
    let k = ring(&A, &[]);
    let sealed = k.seal("users.totp_secret", "user_1", "JBSWY3DPEHPK3PXP");
    assert!(sealed.starts_with(&format!("enc:v1:{}:", k.current_id())));
    assert_eq!(k.current_id().len(), 8);
    assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
    assert_eq!(
        k.open("users.totp_secret", "user_1", &sealed).unwrap(),
        "JBSWY3DPEHPK3PXP"
    );
    // A fresh nonce each time: the same secret never seals to the same text.
    assert_ne!(
        sealed,
        k.seal("users.totp_secret", "user_1", "JBSWY3DPEHPK3PXP")
    );
    assert!(k.is_current(&sealed));
}

#[test]
fn another_key_does_not_open_it() {
    let sealed = ring(&A, &[]).seal("c", "r", "secret");
    // Under a keyring that lacks the key: its id is unknown.
    let other = ring(&B, &[]);
    assert_eq!(
        other.open("c", "r", &sealed),
        Err(OpenError::UnknownKey(
            ring(&A, &[]).current_id().to_string()
        ))
    );
    // The id rewritten to name a key the keyring has: authentication fails.
    let a_id = ring(&A, &[]).current_id().to_string();
    let relabelled = sealed.replace(&a_id, other.current_id());
    assert_eq!(other.open("c", "r", &relabelled), Err(OpenError::Invalid));
}

#[test]
fn an_altered_value_does_not_open() {
    let k = ring(&A, &[]);
    let sealed = k.seal("c", "r", "secret");
    let prefix = format!("enc:v1:{}:", k.current_id());
    let payload = sealed.strip_prefix(&prefix).unwrap();
    // Flip one character of the payload, wherever it is.
    for at in [0, payload.len() / 2, payload.len() - 1] {
        let mut bytes = payload.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let altered = format!("{prefix}{}", String::from_utf8(bytes).unwrap());
        assert_eq!(k.open("c", "r", &altered), Err(OpenError::Invalid), "{at}");
    }
    assert_eq!(
        k.open("c", "r", &format!("{prefix}{}", &payload[..10])),
        Err(OpenError::Invalid)
    );
    assert_eq!(
        k.open("c", "r", &format!("{prefix}not base64!")),
        Err(OpenError::Invalid)
    );
    assert_eq!(
        k.open("c", "r", "enc:v9:abc:def"),
        Err(OpenError::UnknownFormat)
    );
}

#[test]
fn a_value_moved_to_another_row_or_column_does_not_open() {
    let k = ring(&A, &[]);
    let sealed = k.seal("users.totp_secret", "user_1", "secret");
    assert_eq!(
        k.open("users.totp_secret", "user_2", &sealed),
        Err(OpenError::Invalid)
    );
    assert_eq!(
        k.open("users.backup_codes_unseen", "user_1", &sealed),
        Err(OpenError::Invalid)
    );
    // The parts are length-prefixed: moving a character across the boundary changes them.
    let sealed = k.seal("ab", "c", "secret");
    assert_eq!(k.open("a", "bc", &sealed), Err(OpenError::Invalid));
}

#[test]
fn legacy_plaintext_reads_as_is_and_is_resealed() {
    let k = ring(&A, &[]);
    assert_eq!(
        k.open("c", "r", "JBSWY3DPEHPK3PXP").unwrap(),
        "JBSWY3DPEHPK3PXP"
    );
    assert_eq!(k.open_opt("c", "r", None).unwrap(), None);
    assert!(!k.is_current("JBSWY3DPEHPK3PXP"));
    let resealed = k.reseal("c", "r", "JBSWY3DPEHPK3PXP").unwrap().unwrap();
    assert!(k.is_current(&resealed));
    assert_eq!(k.open("c", "r", &resealed).unwrap(), "JBSWY3DPEHPK3PXP");
    assert_eq!(k.reseal("c", "r", &resealed).unwrap(), None);
}

#[test]
fn a_previous_key_opens_and_the_reseal_moves_values_to_the_current_one() {
    let old = ring(&A, &[]);
    let sealed = old.seal("c", "r", "secret");
    let rotated = ring(&B, &[A]);
    assert_ne!(rotated.current_id(), old.current_id());
    assert_eq!(rotated.open("c", "r", &sealed).unwrap(), "secret");
    assert!(!rotated.is_current(&sealed));
    let resealed = rotated.reseal("c", "r", &sealed).unwrap().unwrap();
    assert!(resealed.starts_with(&rotated.current_pattern().replace('%', "")));
    // Once resealed, the old key is no longer needed.
    assert_eq!(ring(&B, &[]).open("c", "r", &resealed).unwrap(), "secret");
    assert!(matches!(
        ring(&C, &[]).reseal("c", "r", &resealed),
        Err(OpenError::UnknownKey(_))
    ));
}

#[test]
fn code_macs_depend_on_the_key_the_binding_and_the_code() {
    let binding = ["sign_in_email", "sia_1", "user_1", "a@example.com"];
    let a = ring(&A, &[]);
    let mac = a.code_mac(&binding, "123456");
    assert_eq!(mac.len(), 64);
    assert_ne!(mac, crate::server::tokens::hash("123456"));
    assert_eq!(mac, a.code_mac(&binding, "123456"));
    assert_ne!(mac, ring(&B, &[]).code_mac(&binding, "123456"));
    assert_ne!(mac, a.code_mac(&binding, "123457"));
    let other_user = ["sign_in_email", "sia_1", "user_2", "a@example.com"];
    assert_ne!(mac, a.code_mac(&other_user, "123456"));
    // Parts are length-prefixed: shifting a boundary is another binding.
    assert_ne!(
        a.code_mac(&["ab", "c"], "123456"),
        a.code_mac(&["a", "bc"], "123456")
    );
    assert!(a.verify_code_mac(&binding, "123456", &mac));
    assert!(!a.verify_code_mac(&binding, "654321", &mac));
    assert!(!a.verify_code_mac(&other_user, "123456", &mac));
    assert!(!a.verify_code_mac(&binding, "123456", "not hex"));
    // A code sent just before a rotation still verifies; without the old key it does not.
    assert!(ring(&B, &[A]).verify_code_mac(&binding, "123456", &mac));
    assert!(!ring(&B, &[]).verify_code_mac(&binding, "123456", &mac));
}

#[test]
fn keys_are_read_as_base64_or_hex_of_32_bytes() {
    let b64 = STANDARD.encode(A);
    let hex_key = hex::encode(A);
    let url = URL_SAFE_NO_PAD.encode(A);
    let padded = format!(" {b64}\n");
    for text in [
        b64.as_str(),
        hex_key.as_str(),
        url.as_str(),
        padded.as_str(),
    ] {
        assert_eq!(*parse_key("k", text).unwrap(), A, "{text}");
    }
    let short = STANDARD.encode([7u8; 16]);
    let err = parse_key(ENV_KEY, &short).unwrap_err();
    assert!(matches!(err, KeyError::Malformed(..)));
    let said = err.to_string();
    assert!(
        said.contains("16 bytes") && said.contains("openssl rand -base64 32"),
        "{said}"
    );
    assert!(!said.contains(&short), "the error never shows the key");
    assert!(parse_key(ENV_KEY, "not a key at all!").is_err());
    assert!(parse_key(ENV_KEY, &hex::encode([1u8; 31])).is_err());
    let generated = generate_key();
    assert_eq!(parse_key("k", &generated).unwrap().len(), KEY_LEN);
    assert_ne!(generate_key(), generated);
}

#[test]
fn the_environment_names_the_key_its_file_and_the_previous_keys() {
    let err = Keyring::from_env([]).unwrap_err();
    assert_eq!(err, KeyError::Missing);
    assert!(err.to_string().contains("openssl rand -base64 32"), "{err}");
    assert_eq!(
        Keyring::from_env([(ENV_KEY, "")]).unwrap_err(),
        KeyError::Missing
    );
    let a = STANDARD.encode(A);
    let b = hex::encode(B);
    let from_var = Keyring::from_env([(ENV_KEY, a.as_str())]).unwrap();
    assert_eq!(from_var.current_id(), ring(&A, &[]).current_id());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, format!("{a}\n")).unwrap();
    let path = file.display().to_string();
    let previous = format!("{b}, {}", STANDARD.encode(C));
    let from_file = Keyring::from_env([
        (ENV_KEY_FILE, path.as_str()),
        (ENV_PREVIOUS, previous.as_str()),
    ])
    .unwrap();
    assert_eq!(from_file.current_id(), from_var.current_id());
    let sealed = ring(&C, &[]).seal("c", "r", "x");
    assert_eq!(from_file.open("c", "r", &sealed).unwrap(), "x");
    assert_eq!(
        Keyring::from_env([(ENV_KEY, a.as_str()), (ENV_KEY_FILE, path.as_str())]).unwrap_err(),
        KeyError::Both
    );
    let missing = dir.path().join("absent").display().to_string();
    assert!(matches!(
        Keyring::from_env([(ENV_KEY_FILE, missing.as_str())]),
        Err(KeyError::File(..))
    ));
    assert!(matches!(
        Keyring::from_env([(ENV_KEY, a.as_str()), (ENV_PREVIOUS, "short")]),
        Err(KeyError::Malformed(..))
    ));
}

#[test]
fn debug_shows_key_ids_and_never_key_material() {
    let k = ring(&A, &[B, A]);
    let shown = format!("{k:?}");
    assert!(shown.contains(k.current_id()), "{shown}");
    assert!(shown.contains(ring(&B, &[]).current_id()), "{shown}");
    for key in [A, B] {
        assert!(!shown.contains(&hex::encode(key)), "{shown}");
        assert!(!shown.contains(&STANDARD.encode(key)), "{shown}");
        assert!(!shown.contains(&format!("{:?}", &key[..4])), "{shown}");
    }
    // The current key listed again as a previous one is ignored.
    assert_eq!(shown.matches(k.current_id()).count(), 1, "{shown}");
}
