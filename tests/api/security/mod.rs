//! The attacks of the security review (README, "Security defaults"), each reproduced against the
//! real server: an attempt re-pointed at another account, unbounded second-factor guessing,
//! enumeration through "Resend code", codes in logs, raced limits, locks that leave sessions alive,
//! unthrottled sends, backup codes, idle sessions, and clients behind a proxy.

use crate::helpers::*;

mod accounts;
mod attempts;
mod delivery;
mod lockout;

pub const NO_LIMITS: &str = "[rate_limits]\nenabled = false\n";

pub async fn sessions_of(app: &TestApp, user: &Value) -> Vec<Value> {
    let id = user["id"].as_str().unwrap();
    let (status, list) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{id}/sessions"))
        .await;
    assert_eq!(status, StatusCode::OK);
    list["data"].as_array().unwrap().clone()
}

pub async fn live_sessions_of(app: &TestApp, user: &Value) -> usize {
    sessions_of(app, user)
        .await
        .iter()
        .filter(|s| s["status"] == "active" || s["status"] == "pending")
        .count()
}

pub async fn whoami(app: &TestApp, c: &Client) -> Option<String> {
    let (status, me) = app.call(c, "app/whoami", &[]).await;
    (status == StatusCode::OK).then(|| me["user_id"].as_str().unwrap().to_string())
}
