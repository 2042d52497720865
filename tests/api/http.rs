//! Rate limits, CSRF, route protection and headers (README, "Security defaults").

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
        .encryption_key(ENCRYPTION_KEY)
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

/// A response read off the wire by [`raw`].
struct RawResponse {
    status: u16,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: String,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn location(&self) -> &str {
        self.header("location").unwrap_or_default()
    }
}

/// One request with its target sent byte for byte, as a script sends it (`curl --path-as-is`):
/// reqwest, like a browser, would resolve `.` and `..` before sending, and so never show what
/// the server does with them.
async fn raw(app: &TestApp, method: &str, target: &str) -> RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.strip_prefix("http://").unwrap();
    let length = if matches!(method, "GET" | "HEAD") {
        ""
    } else {
        "Content-Length: 0\r\n"
    };
    let request =
        format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\n{length}Connection: close\r\n\r\n");
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        bytes
    };
    let bytes = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {target}: no answer"));
    let split = find(&bytes, b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&bytes[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &bytes[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if method == "HEAD" || rest.is_empty() {
        Vec::new()
    } else if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    RawResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The body of a chunked response.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let end = find(rest, b"\r\n").expect("a chunk size line");
        let line = std::str::from_utf8(&rest[..end]).unwrap();
        let size = usize::from_str_radix(line.split(';').next().unwrap().trim(), 16).unwrap();
        rest = &rest[end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// What the dashboard's server-rendered HTML holds and no other page does.
const DASHBOARD_HEADING: &str = "<h1>Dashboard";

/// The router resolves `.` and `..` (also written `%2e`), so a check on the raw path let
/// `/./dashboard` or `/api/../dashboard` render the protected page for a signed-out visitor.
#[tokio::test]
async fn dot_segment_path_does_not_render_protected_page() {
    let app = spawn_app("").await;
    for (target, normal) in [
        ("/./dashboard", "/dashboard"),
        ("/a/../dashboard", "/dashboard"),
        ("//dashboard", "/dashboard"),
        ("/dashboard/", "/dashboard"),
        ("/%2e/dashboard", "/dashboard"),
        ("/api/../dashboard", "/dashboard"),
        ("/%2E%2E/dashboard", "/dashboard"),
        ("/pkg/%2e%2E/dashboard", "/dashboard"),
        ("/v1/./../dashboard/", "/dashboard"),
        ("/./dashboard?tab=1", "/dashboard?tab=1"),
    ] {
        for method in ["GET", "HEAD"] {
            let res = raw(&app, method, target).await;
            assert_ne!(res.status, 200, "{method} {target} answered the page");
            assert!(!res.body.contains(DASHBOARD_HEADING), "{method} {target}");
            assert_eq!(
                (res.status, res.location()),
                (308, normal),
                "{method} {target} goes to the path the router reads"
            );
        }
        let next = raw(&app, "GET", normal).await;
        assert!(
            (300..400).contains(&next.status),
            "{normal}: {}",
            next.status
        );
        assert!(
            next.location()
                .starts_with("/sign-in?redirect_url=/dashboard"),
            "{normal} leads to sign-in, not {}",
            next.location()
        );
        let sign_in = raw(&app, "GET", next.location()).await;
        assert_eq!(sign_in.status, 200, "{}", next.location());
        assert!(sign_in.body.contains("<h1>Sign in"), "{}", sign_in.body);
    }
    // The heading looked for above is what the page shows to whoever may see it.
    app.create_user("dots@example.com", PW).await;
    let c = app.signed_in("dots@example.com").await;
    let page = c
        .get(format!("{}/dashboard", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(DASHBOARD_HEADING));
}

/// axum answers HEAD with the GET route, so a check on GET alone let HEAD render the page.
#[tokio::test]
async fn head_request_does_not_render_protected_page() {
    let app = spawn_app("").await;
    let res = raw(&app, "HEAD", "/dashboard").await;
    assert_ne!(res.status, 200, "HEAD /dashboard answered the page");
    assert!((300..400).contains(&res.status), "{}", res.status);
    assert_eq!(res.location(), "/sign-in?redirect_url=/dashboard");
    let res = client()
        .head(format!("{}/dashboard", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "redirects followed to sign-in"
    );
    assert_eq!(res.url().path(), "/sign-in");
}

/// Pages asked for with a trailing slash still open: once redirected to the path without it.
#[tokio::test]
async fn trailing_slash_page_redirects_then_renders() {
    let app = spawn_app("").await;
    for (target, normal, heading) in [
        ("/sign-in/", "/sign-in", "<h1>Sign in"),
        (
            "/sign-in/?redirect_url=/dashboard",
            "/sign-in?redirect_url=/dashboard",
            "<h1>Sign in",
        ),
        ("/sign-up/", "/sign-up", "<h1>Create your account"),
    ] {
        let res = raw(&app, "GET", target).await;
        assert_eq!((res.status, res.location()), (308, normal), "{target}");
        let page = raw(&app, "GET", normal).await;
        assert_eq!(page.status, 200, "{normal}");
        assert!(page.body.contains(heading), "{normal}: {}", page.body);
    }
    assert_eq!(
        raw(&app, "GET", "/").await.status,
        200,
        "the root is normal"
    );
    let res = client()
        .get(format!("{}/sign-in/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.url().path(), "/sign-in");
}

/// An encoded slash or a backslash reads differently to different parsers: refused, not guessed.
#[tokio::test]
async fn encoded_slash_or_backslash_path_is_refused() {
    let app = spawn_app("").await;
    for target in [
        "/%2fdashboard",
        "/api/..%2Fdashboard",
        "/api/%2e%2e%2fdashboard",
        "/x%5C..%5Cdashboard",
        "/api/%2e%2e%5cdashboard",
        "/api/..\\dashboard",
    ] {
        for method in ["GET", "HEAD"] {
            let res = raw(&app, method, target).await;
            assert_eq!(res.status, 400, "{method} {target}");
            assert!(!res.body.contains(DASHBOARD_HEADING), "{method} {target}");
        }
    }
}

/// A dot-segment path on a call that changes state is refused rather than redirected: the
/// redirect would have the client send its body to a path it never named.
#[tokio::test]
async fn dot_segment_write_is_refused() {
    let app = spawn_app("").await;
    for target in [
        "/api/../api/sign_in/start",
        "/./api/sign_in/start",
        "/v1/%2e%2e/v1/users",
        "/api//sign_in/start",
    ] {
        let res = raw(&app, "POST", target).await;
        assert_eq!(res.status, 400, "POST {target}");
        assert_eq!(res.location(), "", "POST {target}");
    }
}
