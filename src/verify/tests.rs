//! The verifier's unit tests: lifetimes, key sets and the cache.

use super::*;

fn claims(iat: i64, exp: i64) -> SessionClaims {
    SessionClaims {
        iss: "https://auth.example".into(),
        sub: "user_1".into(),
        sid: "sess_1".into(),
        iat,
        nbf: iat,
        exp,
        azp: None,
        aud: None,
        sts: "active".into(),
        tsk: None,
        o: None,
        fva: [0, -1],
    }
}

/// A key of the right shape; no signature made by anyone verifies with it.
fn some_key() -> DecodingKey {
    DecodingKey::from_ec_components("AAAA", "AAAA").unwrap()
}

/// Unsigned ES256 tokens with empty claims: `{"alg":"ES256","kid":"held"}` and `"new"`.
const NAMING_HELD: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImhlbGQifQ.e30.c2ln";
const NAMING_NEW: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6Im5ldyJ9.e30.c2ln";

#[tokio::test]
async fn garbage_and_foreign_algorithms_are_refused_before_any_fetch() {
    // An address nothing listens on: a fetch would fail with `Jwks`.
    let v = Verifier::new(VerifierOptions::new("http://127.0.0.1:9"));
    assert!(matches!(
        v.verify("not.a.jwt").await,
        Err(VerifyError::Malformed(_))
    ));
    // {"alg":"HS256","kid":"k"} . {} . sig
    let hs = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsifQ.e30.c2ln";
    assert!(matches!(v.verify(hs).await, Err(VerifyError::Invalid(_))));
    // {"alg":"ES256"} without a kid
    let no_kid = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln";
    assert_eq!(v.verify(no_kid).await, Err(VerifyError::UnknownKey));
}

#[test]
fn token_with_lifetime_over_the_maximum_is_refused() {
    let day = Duration::from_secs(86_400);
    let now = 1_700_000_000;
    assert_eq!(check_lifetime(&claims(now, now + 60), now, 5, day), Ok(()));
    assert_eq!(
        check_lifetime(&claims(now, now + 86_400), now, 5, day),
        Ok(())
    );
    assert_eq!(
        check_lifetime(&claims(now, now + 86_401), now, 5, day),
        Err(VerifyError::Invalid("lifetime over the maximum".into()))
    );
    assert!(check_lifetime(&claims(now - 10, i64::MAX), now, 5, day).is_err());
    assert!(check_lifetime(&claims(i64::MIN, now + 60), now, 5, day).is_err());
}

#[test]
fn token_postdated_to_shorten_its_lifetime_is_refused() {
    let day = Duration::from_secs(86_400);
    let now = 1_700_000_000;
    let years = now + 10 * 365 * 86_400;
    let mut postdated = claims(years - 60, years);
    postdated.nbf = now;
    assert_eq!(
        check_lifetime(&postdated, now, 5, day),
        Err(VerifyError::Invalid("issued in the future".into()))
    );
    // Within the leeway, a clock slightly ahead of this one is not a forgery.
    assert_eq!(
        check_lifetime(&claims(now + 5, now + 65), now, 5, day),
        Ok(())
    );
}

#[test]
fn tokens_verified_by_a_key_that_left_the_set_are_forgotten_with_it() {
    let mut cache = Cache::default();
    let keys = |kids: &[&str]| {
        kids.iter()
            .map(|k| (k.to_string(), some_key()))
            .collect::<HashMap<_, _>>()
    };
    cache.replace(keys(&["leaked", "kept"]), Instant::now());
    for (token, kid) in [("forged", "leaked"), ("genuine", "kept")] {
        cache.verified.insert(
            token.into(),
            Verified {
                kid: kid.into(),
                claims: claims(0, 60),
            },
        );
    }
    cache.replace(keys(&["kept", "new"]), Instant::now());
    assert!(!cache.keys.contains_key("leaked"));
    assert!(!cache.verified.contains_key("forged"));
    assert!(cache.verified.contains_key("genuine"));
}

#[test]
fn verified_tokens_are_not_served_once_the_keys_are_due() {
    let now = unix_now();
    let remembered_by = |cache_for: Duration| {
        let mut options = VerifierOptions::new("http://127.0.0.1:9");
        options.cache_for = cache_for;
        let v = Verifier::new(options);
        let mut cache = v.write();
        cache.replace(
            HashMap::from([("k".to_string(), some_key())]),
            Instant::now(),
        );
        cache.verified.insert(
            "t".into(),
            Verified {
                kid: "k".into(),
                claims: claims(now, now + 60),
            },
        );
        drop(cache);
        v.remembered("t", now)
    };
    assert!(remembered_by(Duration::from_secs(300)).is_some());
    assert_eq!(
        remembered_by(Duration::ZERO),
        None,
        "keys older than cache_for"
    );
}

#[tokio::test]
async fn a_key_fetch_does_not_hold_up_verifications_with_a_held_key() {
    // A JWKS endpoint that takes the connection and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepted, on_accept) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.unwrap();
        let _ = accepted.send(());
        std::future::pending::<()>().await;
    });
    let v = Verifier::new(VerifierOptions::new(format!("http://{addr}")));
    v.write().replace(
        HashMap::from([("held".to_string(), some_key())]),
        Instant::now(),
    );
    let stuck = v.clone();
    let fetching = tokio::spawn(async move { stuck.verify(NAMING_NEW).await });
    on_accept.await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(2), v.verify(NAMING_HELD))
        .await
        .expect("a verification with a held key waited for the fetch");
    // Checked against the held key at once (and refused: the token is not signed).
    assert!(matches!(answer, Err(VerifyError::Invalid(_))), "{answer:?}");
    assert!(!fetching.is_finished());
    fetching.abort();
}
