//! The log promise (no code, token or password in a log line; README, "Security defaults"), in a
//! test binary of its own: the subscriber is the process-wide one, so every line the server writes
//! during the test is captured (no other test runs here).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: failed setup should panic

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;

/// Everything the process logs.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn codes_stay_out_of_logs_and_subjects() {
    let log = Captured::default();
    tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .without_time()
        .with_max_level(tracing::Level::DEBUG)
        .init();
    // SMTP is configured (no server is there: delivery fails in the background), so this is not
    // development mode, where messages are logged on purpose.
    let app = spawn_app(
        "[rate_limits]\nenabled = false\n[email]\nsmtp_url = \"smtp://127.0.0.1:9\"\n\
         [client_trust]\nenabled = true\n",
    )
    .await;
    let c = browser();
    app.call(
        &c,
        "sign_up/create",
        &[("email", "quiet@example.com"), ("password", PW)],
    )
    .await;
    let mut codes = vec![app.latest_code("quiet@example.com").await];
    let (_, b) = app.call(&c, "sign_up/verify", &[("code", &codes[0])]).await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    // A sign-in on a new browser: the device code, then a reset code.
    let other = browser();
    let (_, b) = app
        .call(
            &other,
            "sign_in/start",
            &[("email", "quiet@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["next"], "/sign-in/client-trust", "{b}");
    codes.push(app.latest_code("quiet@example.com").await);
    let (_, b) = app
        .call(&other, "sign_in/code", &[("code", &codes[1])])
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");

    let outbox = app.outbox("quiet@example.com").await;
    for m in outbox.as_array().unwrap() {
        for code in &codes {
            assert!(
                !m["subject"].as_str().unwrap().contains(code.as_str()),
                "{m}"
            );
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("sign_up_code"), "{text}");
    assert!(text.contains("client_trust_code"), "{text}");
    assert!(text.contains("q***@example.com"), "{text}");
    for code in &codes {
        assert!(!text.contains(code.as_str()), "a code in the log: {text}");
    }
    assert!(
        !text.contains("quiet@example.com"),
        "an address in the log: {text}"
    );
}
