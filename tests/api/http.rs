//! Rate limits, CSRF, route protection and headers (SPEC §5.6, §8, §9).

use crate::helpers::*;

#[tokio::test]
async fn attempt_starts_are_rate_limited_per_ip() {
    let app = spawn_app("").await;
    let c = browser();
    // Fixed 10 s windows: of 11 quick starts, at least 6 fall into one window.
    let mut limited = None;
    for i in 0..11 {
        let res = c
            .post(format!("{}/api/sign_in/start", app.base))
            .header(header::ACCEPT, "application/json")
            .form(&[("email", "x@example.com"), ("password", "whatever-1")])
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(i >= 5, "the first five starts are allowed");
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("the sixth start within 10 s is refused");
    let retry: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "too_many_requests");
}

#[tokio::test]
async fn foreign_origins_are_refused() {
    let app = spawn_app("").await;
    let res = browser()
        .post(format!("{}/api/sign_in/start", app.base))
        .header(header::ORIGIN, "http://evil.example")
        .form(&[("email", "x@example.com"), ("password", "whatever-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "origin_mismatch");
    let res = browser()
        .post(format!("{}/api/sign_in/start", app.base))
        .header(header::REFERER, "http://evil.example/page")
        .form(&[("email", "x@example.com"), ("password", "whatever-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn protected_pages_redirect_and_open_redirects_are_refused() {
    let app = spawn_app("").await;
    app.create_user("r@example.com", PW).await;
    let c = browser();
    let res = c
        .get(format!("{}/dashboard?tab=1", app.base))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(
        res.headers()[header::LOCATION],
        "/sign-in?redirect_url=/dashboard%3Ftab%3D1"
    );
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[
                ("email", "r@example.com"),
                ("password", PW),
                ("redirect_url", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(b["next"], "/dashboard");
    let res = c.get(format!("{}/sign-in", app.base)).send().await.unwrap();
    assert_eq!(
        res.headers()[header::LOCATION],
        "/dashboard",
        "single-session: signed in goes on"
    );
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "r@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "session_exists");
    let page = c
        .get(format!("{}/dashboard", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{:?}", page.headers());
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(page.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

/// The site's `/pkg/*` files go out precompressed to a browser that accepts it (brotli first,
/// then gzip), as they are to one that does not; pages are never compressed (BREACH).
#[tokio::test]
async fn static_files_are_served_precompressed() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("app.js"), "console.log('plain');").unwrap();
    std::fs::write(pkg.join("app.js.br"), "brotli bytes").unwrap();
    std::fs::write(pkg.join("app.js.gz"), "gzip bytes").unwrap();
    std::fs::write(pkg.join("only.css"), "body {}").unwrap();
    let database = Database::fresh().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut options = leptos::config::get_configuration(None)
        .unwrap()
        .leptos_options;
    options.site_addr = addr;
    options.site_root = site.path().display().to_string().into();
    let vestibule = vestibule::demo::builder()
        .config_toml(String::new())
        .env(Vec::new())
        .database_url(database.url())
        .leptos_options(options)
        .hash_concurrency(1)
        .build()
        .await
        .unwrap();
    let app = vestibule.router(vestibule::demo::App, vestibule::demo::shell);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let get = |path: &'static str, encoding: &'static str| {
        let url = format!("http://{addr}{path}");
        async move {
            let res = client()
                .get(url)
                .header(header::ACCEPT_ENCODING, encoding)
                .send()
                .await
                .unwrap();
            let coding = res
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_string());
            (res.status(), coding, res.bytes().await.unwrap())
        }
    };
    let (status, coding, body) = get("/pkg/app.js", "gzip, br").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(coding.as_deref(), Some("br"));
    assert_eq!(&body[..], b"brotli bytes");
    let (_, coding, body) = get("/pkg/app.js", "gzip").await;
    assert_eq!(coding.as_deref(), Some("gzip"));
    assert_eq!(&body[..], b"gzip bytes");
    let (_, coding, body) = get("/pkg/app.js", "identity").await;
    assert_eq!(coding, None);
    assert_eq!(&body[..], b"console.log('plain');");
    let (status, coding, body) = get("/pkg/only.css", "br").await;
    assert_eq!(
        (status, coding),
        (StatusCode::OK, None),
        "no variant: as is"
    );
    assert_eq!(&body[..], b"body {}");
    let (status, _, _) = get("/pkg/missing.js", "br").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, coding, _) = get("/sign-in", "gzip, br").await;
    assert_eq!(
        (status, coding),
        (StatusCode::OK, None),
        "pages are not compressed"
    );
}
