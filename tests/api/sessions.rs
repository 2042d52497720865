//! Several accounts on one browser (SPEC §7.4).

use crate::helpers::*;

#[tokio::test]
async fn several_accounts_on_one_browser() {
    let app = spawn_app(
        "[rate_limits]\nenabled = false\n[sessions]\nmulti_session = true\nmax_per_client = 2\n",
    )
    .await;
    for e in ["one@example.com", "two@example.com", "three@example.com"] {
        app.create_user(e, PW).await;
    }
    let c = app.signed_in("one@example.com").await;
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "two@example.com"), ("password", PW)],
        )
        .await;
    let sessions = b["snapshot"]["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "a second account is added");
    let active = b["snapshot"]["last_active_session_id"].clone();
    let two = sessions
        .iter()
        .find(|s| s["user"]["email"] == "two@example.com")
        .unwrap();
    let one = sessions
        .iter()
        .find(|s| s["user"]["email"] == "one@example.com")
        .unwrap();
    assert_eq!(active, two["id"]);

    // Signing in an account that is already signed in switches to it.
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "one@example.com"), ("password", "whatever-9")],
        )
        .await;
    assert_eq!(
        b["snapshot"]["sessions"].as_array().unwrap().len(),
        2,
        "no duplicate session"
    );
    assert_eq!(b["snapshot"]["last_active_session_id"], one["id"]);

    // The cap.
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "three@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "too_many_sessions");
    assert_eq!(b["n"], 2);

    // Switch, then sign out the active one: the other becomes active.
    let (_, b) = app
        .call(
            &c,
            "sessions/set_active",
            &[("session_id", two["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(b["snapshot"]["last_active_session_id"], two["id"]);
    let (_, b) = app.call(&c, "sessions/sign_out", &[]).await;
    assert_eq!(
        b["snapshot"]["last_active_session_id"], one["id"],
        "falls back to the other account"
    );
    assert_eq!(b["next"], "/dashboard");
    let (_, b) = app.call(&c, "sessions/sign_out", &[("all", "true")]).await;
    assert_eq!(b["snapshot"]["sessions"], json!([]));
    assert_eq!(b["next"], "/");
}
