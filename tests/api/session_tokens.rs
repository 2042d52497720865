//! Session tokens for other services (README, "Session tokens for other services"): minted for a
//! live session by the browser kit and by the Backend API, published keys, and another service
//! (`examples/resource_server.rs`) verifying them offline with `vestibule::verify`.

use crate::helpers::*;
use std::time::Duration;
use vestibule::verify::{Verifier, VerifierOptions, VerifyError};

#[allow(dead_code)]
#[path = "../../examples/resource_server.rs"]
mod resource_server;

/// The resource server on a random port, trusting `app`; answers its base URL.
async fn spawn_resource_server(
    app: &TestApp,
    configure: impl FnOnce(&mut VerifierOptions),
) -> String {
    let mut options = VerifierOptions::new(app.base.clone());
    // Tests rotate keys back to back; production keeps the default pause between refetches.
    options.min_refetch_interval = Duration::ZERO;
    configure(&mut options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = resource_server::router(resource_server::Services::new(options));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// `POST /api/sessions/token` from the app's own pages (its origin).
async fn browser_token(app: &TestApp, c: &Client) -> (StatusCode, Value) {
    let res = c
        .post(format!("{}/api/sessions/token", app.base))
        .header(header::ORIGIN, &app.base)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn jwt_of(app: &TestApp, c: &Client) -> String {
    let (status, body) = browser_token(app, c).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["jwt"].as_str().unwrap().to_string()
}

async fn get_with(url: &str, jwt: Option<&str>) -> (StatusCode, Value) {
    let mut req = client().get(url);
    if let Some(jwt) = jwt {
        req = req.bearer_auth(jwt);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn kid_of(jwt: &str) -> String {
    jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap()
}

#[tokio::test]
async fn a_signed_in_browser_gets_a_token_another_service_verifies() {
    let app = spawn_app("").await;
    let user = app.create_user("token@example.com", PW).await;
    let c = app.signed_in("token@example.com").await;
    let (status, body) = browser_token(&app, &c).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let jwt = body["jwt"].as_str().unwrap();
    let claims = Verifier::new(VerifierOptions::new(app.base.clone()))
        .verify(jwt)
        .await
        .unwrap();
    assert_eq!(claims.sub, user["id"].as_str().unwrap());
    assert_eq!(claims.sid, body["session_id"].as_str().unwrap());
    assert_eq!(claims.iss, app.base);
    assert_eq!(claims.azp.as_deref(), Some(app.base.as_str()));
    assert_eq!(
        (claims.sts.as_str(), claims.tsk.as_deref()),
        ("active", None)
    );
    assert_eq!(claims.exp - claims.iat, 60, "the default lifetime");
    assert_eq!(claims.nbf, claims.iat);
    assert_eq!(body["expires_at"], claims.exp);
    assert_eq!(claims.fva, [0, -1], "first factor just now, never a second");
    assert!(claims.o.is_none());

    let service = spawn_resource_server(&app, |_| {}).await;
    let (status, me) = get_with(&format!("{service}/me"), Some(jwt)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user_id"], user["id"]);
    assert_eq!(me["status"], "active");
    assert_eq!(
        get_with(&format!("{service}/me"), None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Any change to the token breaks its signature.
    let (head, rest) = jwt.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let mut forged: Value = serde_json::from_slice(&base64_url_decode(payload)).unwrap();
    forged["sub"] = json!("user_someone_else");
    let forged = format!("{head}.{}.{sig}", base64_url_encode(&forged.to_string()));
    let (status, _) = get_with(&format!("{service}/me"), Some(&forged)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a tampered payload");
    let flipped = format!(
        "{}{}",
        &jwt[..jwt.len() - 2],
        if jwt.ends_with("AA") { "BB" } else { "AA" }
    );
    assert_eq!(
        get_with(&format!("{service}/me"), Some(&flipped)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

fn base64_url_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn base64_url_encode(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn a_pending_session_gets_a_pending_token_refused_by_default() {
    let app = spawn_app(ORGS_REQUIRED).await;
    app.create_user("pending-token@example.com", PW).await;
    let c = app.signed_in("pending-token@example.com").await;
    let jwt = jwt_of(&app, &c).await;
    let service = spawn_resource_server(&app, |_| {}).await;
    let (status, body) = get_with(&format!("{service}/me"), Some(&jwt)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["errors"][0]["code"], "session_pending");
    let (status, body) = get_with(&format!("{service}/me/any"), Some(&jwt)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "treat_pending_as_signed_out = false: {body}"
    );
    assert_eq!(body["status"], "pending");
    assert_eq!(body["task"], "choose-organization");
}

#[tokio::test]
async fn the_active_organization_is_in_the_token() {
    let app = spawn_app(ORGS_OPEN).await;
    let admin = app.create_user("org-admin@example.com", PW).await;
    let member = app.create_user("org-member@example.com", PW).await;
    let org = app.organization("Acme Tokens", &admin, &[&member]).await;
    let service = spawn_resource_server(&app, |_| {}).await;
    let a = app.in_org("org-admin@example.com", &org).await;
    let jwt = jwt_of(&app, &a).await;
    let claims = Verifier::new(VerifierOptions::new(app.base.clone()))
        .verify(&jwt)
        .await
        .unwrap();
    let o = claims.o.clone().unwrap();
    assert_eq!(
        (o.id.as_str(), o.rol.as_str()),
        (org["id"].as_str().unwrap(), "org:admin")
    );
    assert_eq!(o.slg, org["slug"].as_str().unwrap());
    assert!(claims.has_permission("org:sys_memberships:manage"));
    assert_eq!(
        get_with(&format!("{service}/admin"), Some(&jwt)).await.0,
        StatusCode::OK
    );
    let m = app.in_org("org-member@example.com", &org).await;
    let jwt = jwt_of(&app, &m).await;
    assert_eq!(
        get_with(&format!("{service}/admin"), Some(&jwt)).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    // The instance's clock is an hour behind: its 60-second tokens are long expired.
    let clock = vestibule::server::clock::ManualClock::new(unix_now() - 3_600);
    let app = spawn_app_with_clock("", Arc::new(clock)).await;
    app.create_user("expired@example.com", PW).await;
    let c = app.signed_in("expired@example.com").await;
    let jwt = jwt_of(&app, &c).await;
    let service = spawn_resource_server(&app, |_| {}).await;
    let (status, body) = get_with(&format!("{service}/me"), Some(&jwt)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let err = Verifier::new(VerifierOptions::new(app.base.clone()))
        .verify(&jwt)
        .await
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Invalid(ref m) if m.contains("Expired")),
        "{err:?}"
    );
}

#[tokio::test]
async fn verification_survives_a_key_rotation() {
    let app = spawn_app("").await;
    app.create_user("rotate@example.com", PW).await;
    let c = app.signed_in("rotate@example.com").await;
    let service = spawn_resource_server(&app, |_| {}).await;
    let before = jwt_of(&app, &c).await;
    assert_eq!(
        get_with(&format!("{service}/me"), Some(&before)).await.0,
        StatusCode::OK
    );

    let (status, rotated) = app
        .api(reqwest::Method::POST, "/v1/signing_keys/rotate")
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let after = jwt_of(&app, &c).await;
    assert_ne!(kid_of(&after), kid_of(&before));
    assert_eq!(kid_of(&after), rotated["kid"].as_str().unwrap());
    // The service has only the old key cached: the new kid makes it fetch the keys again.
    assert_eq!(
        get_with(&format!("{service}/me"), Some(&after)).await.0,
        StatusCode::OK
    );
    // The previous key stays published, so tokens signed before the rotation still verify.
    assert_eq!(
        get_with(&format!("{service}/me"), Some(&before)).await.0,
        StatusCode::OK
    );

    let res = client()
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=300");
    let jwks: Value = res.json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [kid_of(&after), kid_of(&before)]);
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "no private part is published"
    );

    // Two rotations later the first key is no longer published.
    for _ in 0..2 {
        assert_eq!(
            app.api(reqwest::Method::POST, "/v1/signing_keys/rotate")
                .await
                .0,
            StatusCode::OK
        );
    }
    // A verifier that fetches the keys now no longer finds it (one that cached it keeps it until
    // its cache expires, as with any JWKS).
    let fresh = Verifier::new(VerifierOptions::new(app.base.clone()));
    assert_eq!(
        fresh.verify(&before).await.unwrap_err(),
        VerifyError::UnknownKey
    );
    let current = jwt_of(&app, &c).await;
    assert!(fresh.verify(&current).await.is_ok());

    // After a suspected leak the replaced key is not published at all.
    let (status, _) = app
        .post_json(
            "/v1/signing_keys/rotate",
            json!({ "revoke_previous": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let jwks: Value = client()
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    let after_leak = Verifier::new(VerifierOptions::new(app.base.clone()));
    assert_eq!(
        after_leak.verify(&current).await.unwrap_err(),
        VerifyError::UnknownKey
    );
    assert!(after_leak.verify(&jwt_of(&app, &c).await).await.is_ok());
}

/// A token signed with the instance's current key as whoever stole that key would sign it: any
/// subject, any lifetime.
async fn forge(app: &TestApp, sub: &str, iat: i64, nbf: i64, exp: i64) -> String {
    use base64::Engine as _;
    let key = app.store.signing_keys(1).await.unwrap().remove(0);
    let der = base64::engine::general_purpose::STANDARD
        .decode(&key.private_key)
        .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key.kid);
    let claims = json!({
        "iss": app.base, "sub": sub, "sid": "sess_forged", "iat": iat, "nbf": nbf, "exp": exp,
        "sts": "active", "fva": [0, -1],
    });
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_der(&der),
    )
    .unwrap()
}

fn verifier_for(app: &TestApp, configure: impl FnOnce(&mut VerifierOptions)) -> Verifier {
    let mut options = VerifierOptions::new(app.base.clone());
    options.min_refetch_interval = Duration::ZERO;
    configure(&mut options);
    Verifier::new(options)
}

#[tokio::test]
async fn revoked_key_token_is_refused_after_refetch() {
    let app = spawn_app("").await;
    app.create_user("leak@example.com", PW).await;
    let c = app.signed_in("leak@example.com").await;
    let genuine = jwt_of(&app, &c).await;
    let now = unix_now();
    // Within the maximum lifetime: only the key's revocation can stop it.
    let forged = forge(&app, "user_victim", now, now, now + 3_600).await;
    let verifier = verifier_for(&app, |_| {});
    let service = spawn_resource_server(&app, |_| {}).await;
    for jwt in [&genuine, &forged] {
        assert!(verifier.verify(jwt).await.is_ok());
        assert_eq!(
            get_with(&format!("{service}/me"), Some(jwt)).await.0,
            StatusCode::OK
        );
    }

    let (status, rotated) = app
        .post_json(
            "/v1/signing_keys/rotate",
            json!({ "revoke_previous": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let after = jwt_of(&app, &c).await;
    assert_eq!(kid_of(&after), rotated["kid"].as_str().unwrap());
    assert_ne!(kid_of(&after), kid_of(&forged));
    // The first token with the new key makes both fetch the keys again; the leaked key is no
    // longer among them, and the tokens it verified before go with it.
    assert!(verifier.verify(&after).await.is_ok());
    assert_eq!(
        get_with(&format!("{service}/me"), Some(&after)).await.0,
        StatusCode::OK
    );
    for jwt in [&forged, &genuine] {
        assert_eq!(
            verifier.verify(jwt).await.unwrap_err(),
            VerifyError::UnknownKey
        );
        let (status, body) = get_with(&format!("{service}/me"), Some(jwt)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
}

#[tokio::test]
async fn revoked_key_token_is_refused_once_the_cached_keys_are_due() {
    let app = spawn_app("").await;
    app.create_user("leak-due@example.com", PW).await;
    let c = app.signed_in("leak-due@example.com").await;
    jwt_of(&app, &c).await;
    let now = unix_now();
    let forged = forge(&app, "user_victim", now, now, now + 3_600).await;
    // Keys due at once: every verification fetches them, as any verifier does past `cache_for`
    // even when no token names a new key.
    let verifier = verifier_for(&app, |o| o.cache_for = Duration::ZERO);
    assert!(verifier.verify(&forged).await.is_ok());
    let (status, _) = app
        .post_json(
            "/v1/signing_keys/rotate",
            json!({ "revoke_previous": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        verifier.verify(&forged).await.unwrap_err(),
        VerifyError::UnknownKey
    );
}

#[tokio::test]
async fn token_with_lifetime_over_the_maximum_is_refused() {
    let app = spawn_app("").await;
    app.create_user("lifetime@example.com", PW).await;
    let c = app.signed_in("lifetime@example.com").await;
    let genuine = jwt_of(&app, &c).await;
    let now = unix_now();
    let years = now + 10 * 365 * 86_400;
    let verifier = verifier_for(&app, |_| {});
    let service = spawn_resource_server(&app, |_| {}).await;

    let decade = forge(&app, "user_victim", now, now, years).await;
    let err = verifier.verify(&decade).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::Invalid(ref m) if m.contains("lifetime")),
        "{err:?}"
    );
    assert_eq!(
        get_with(&format!("{service}/me"), Some(&decade)).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Moving `iat` forward with `exp` keeps the declared lifetime short, but is refused too.
    let postdated = forge(&app, "user_victim", years - 60, now, years).await;
    let err = verifier.verify(&postdated).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::Invalid(ref m) if m.contains("future")),
        "{err:?}"
    );

    // A day is the default maximum, and each verifier may lower it.
    let day = forge(&app, "user_victim", now, now, now + 86_400).await;
    assert!(verifier.verify(&day).await.is_ok());
    let strict = verifier_for(&app, |o| o.max_lifetime = Duration::from_secs(600));
    let err = strict.verify(&day).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::Invalid(ref m) if m.contains("lifetime")),
        "{err:?}"
    );
    assert!(strict.verify(&genuine).await.is_ok());
}

#[tokio::test]
async fn revoking_rotation_retires_the_key_on_an_instance_whose_clock_is_behind() {
    let clock = vestibule::server::clock::ManualClock::new(unix_now());
    let app = spawn_app_with_clock("", Arc::new(clock.clone())).await;
    app.create_user("skew@example.com", PW).await;
    let c = app.signed_in("skew@example.com").await;
    let leaked = kid_of(&jwt_of(&app, &c).await);
    // The last rotation was stamped by a clock two minutes ahead of this instance's.
    clock.advance(-120);
    let (status, rotated) = app
        .post_json(
            "/v1/signing_keys/rotate",
            json!({ "revoke_previous": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(rotated["kid"].as_str().unwrap(), leaked);
    assert_eq!(
        kid_of(&jwt_of(&app, &c).await),
        rotated["kid"].as_str().unwrap()
    );
    let jwks: Value = client()
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [rotated["kid"].as_str().unwrap()]);
}

#[tokio::test]
async fn keys_rotate_on_schedule() {
    let clock = vestibule::server::clock::ManualClock::new(unix_now());
    let app =
        spawn_app_with_clock("[tokens]\nrotate_every = \"1h\"\n", Arc::new(clock.clone())).await;
    app.create_user("schedule@example.com", PW).await;
    let c = app.signed_in("schedule@example.com").await;
    let first = kid_of(&jwt_of(&app, &c).await);
    clock.advance(1_800);
    assert_eq!(kid_of(&jwt_of(&app, &c).await), first, "not due yet");
    clock.advance(1_801);
    let second = kid_of(&jwt_of(&app, &c).await);
    assert_ne!(second, first, "rotated once due");
}

#[tokio::test]
async fn the_backend_api_mints_for_live_sessions_only() {
    let app = spawn_app("").await;
    let user = app.create_user("backend-token@example.com", PW).await;
    let c = app.signed_in("backend-token@example.com").await;
    let (_, sessions) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/users/{}/sessions", user["id"].as_str().unwrap()),
        )
        .await;
    let sid = sessions["data"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .api(reqwest::Method::POST, &format!("/v1/sessions/{sid}/tokens"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["object"], "token");
    let jwt = body["jwt"].as_str().unwrap();
    let service = spawn_resource_server(&app, |o| {
        o.authorized_parties = vec!["https://app.example".into()]
    })
    .await;
    // No browser asked: no azp, accepted whatever the allowed list.
    let (status, me) = get_with(&format!("{service}/me"), Some(jwt)).await;
    assert_eq!(
        (status, me["session_id"].as_str()),
        (StatusCode::OK, Some(sid.as_str()))
    );
    // A browser token from an origin the service does not list is refused.
    let browser_jwt = jwt_of(&app, &c).await;
    assert_eq!(
        get_with(&format!("{service}/me"), Some(&browser_jwt))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let unauthenticated = client()
        .post(format!("{}/v1/sessions/{sid}/tokens", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.api(reqwest::Method::POST, "/v1/sessions/sess_nope/tokens")
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = app
        .api(reqwest::Method::POST, &format!("/v1/sessions/{sid}/revoke"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .api(reqwest::Method::POST, &format!("/v1/sessions/{sid}/tokens"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a revoked session gets no token: {body}"
    );
    assert_eq!(browser_token(&app, &c).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_browser_endpoint_refuses_the_signed_out_and_other_sites() {
    let app = spawn_app("").await;
    app.create_user("csrf-token@example.com", PW).await;
    let anonymous = browser();
    assert_eq!(
        browser_token(&app, &anonymous).await.0,
        StatusCode::UNAUTHORIZED
    );
    let c = app.signed_in("csrf-token@example.com").await;
    let res = c
        .post(format!("{}/api/sessions/token", app.base))
        .header(header::ORIGIN, "https://evil.example")
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Without Origin or Referer (not a browser's fetch) the token names this site itself.
    let (status, body) = app.call(&c, "sessions/token", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = Verifier::new(VerifierOptions::new(app.base.clone()))
        .verify(body["jwt"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.azp.as_deref(), Some(app.base.as_str()));
    // Signed out: the session's cookie no longer mints.
    let (status, _) = app.call(&c, "sessions/sign_out", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(browser_token(&app, &c).await.0, StatusCode::UNAUTHORIZED);
}
