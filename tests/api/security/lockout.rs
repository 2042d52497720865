//! The lockout says nothing about which addresses have accounts: an address without one is
//! counted, locked and answered exactly as an account is, for passwords and for emailed codes.

use super::*;
use vestibule::server::clock::ManualClock;

async fn app_with_lockout(max: u32) -> (TestApp, ManualClock) {
    let clock = ManualClock::new(unix_now());
    let app = spawn_app_with_clock(
        &format!("{NO_LIMITS}[lockout]\nmax_attempts = {max}\n"),
        Arc::new(clock.clone()),
    )
    .await;
    (app, clock)
}

/// What a guess was answered: the status and the body without anything that names the attempt.
fn answer((status, body): (StatusCode, Value)) -> (StatusCode, Value, Value, Value) {
    (
        status,
        body["code"].clone(),
        body["message"].clone(),
        body["next"].clone(),
    )
}

#[tokio::test]
async fn password_guesses_lock_an_unknown_address_as_they_lock_an_account() {
    let (app, clock) = app_with_lockout(3).await;
    app.create_user("known@example.com", PW).await;
    let guesses = |email: &'static str| {
        let app = &app;
        async move {
            let mut answers = Vec::new();
            for _ in 0..5 {
                answers.push(answer(
                    app.call(
                        &browser(),
                        "sign_in/start",
                        &[("email", email), ("password", "Wrong-Guess-77")],
                    )
                    .await,
                ));
            }
            answers
        }
    };
    let known = guesses("known@example.com").await;
    let unknown = guesses("nobody@example.com").await;
    assert_eq!(known[0].1, "form_password_incorrect", "{known:?}");
    assert_eq!(
        known[2].1, "user_locked",
        "the third guess locks: {known:?}"
    );
    assert_eq!(unknown, known, "the same answers, lock and minutes");

    // The lock ends at the same moment for both, and counting starts over.
    clock.advance(3_600);
    assert_eq!(
        guesses("nobody@example.com").await,
        guesses("known@example.com").await
    );
}

#[tokio::test]
async fn code_guesses_lock_an_unknown_address_as_they_lock_an_account() {
    let (app, clock) = app_with_lockout(8).await;
    app.create_user("known@example.com", PW).await;
    let forgot = |email: &'static str| {
        let app = &app;
        async move {
            let c = browser();
            let (_, b) = app
                .call(
                    &c,
                    "sign_in/start",
                    &[("email", email), ("action", "forgot_password")],
                )
                .await;
            assert_eq!(b["next"], "/sign-in/reset-password", "{b}");
            c
        }
    };
    let (k, u) = (
        forgot("known@example.com").await,
        forgot("nobody@example.com").await,
    );
    // A code that is surely wrong for the account.
    let sent = app.latest_code("known@example.com").await;
    let wrong = if sent == "111111" { "222222" } else { "111111" };
    let guesses = |c: &Client| {
        let (app, c) = (&app, c.clone());
        async move {
            let mut answers = Vec::new();
            // Five judged guesses and two a used-up code no longer counts...
            for _ in 0..7 {
                answers.push(answer(
                    app.call(&c, "sign_in/code", &[("code", wrong)]).await,
                ));
            }
            answers
        }
    };
    let (known, unknown) = (guesses(&k).await, guesses(&u).await);
    assert!(
        known.iter().all(|a| a.1 == "form_code_incorrect"),
        "{known:?}"
    );
    assert_eq!(unknown, known);
    // ...then a new code: three more judged guesses reach the maximum of eight.
    clock.advance(31);
    let resent = (
        answer(app.call(&k, "sign_in/resend", &[]).await),
        answer(app.call(&u, "sign_in/resend", &[]).await),
    );
    assert_eq!(resent.0, resent.1);
    let (known, unknown) = (guesses(&k).await, guesses(&u).await);
    assert_eq!(
        known[2].1, "user_locked",
        "the eighth counted guess locks: {known:?}"
    );
    assert_eq!(unknown, known);
    // A password sign-in on either address now answers the same lock.
    let password = |email: &'static str| {
        let app = &app;
        async move {
            answer(
                app.call(
                    &browser(),
                    "sign_in/start",
                    &[("email", email), ("password", "Wrong-Guess-77")],
                )
                .await,
            )
        }
    };
    let locked = password("known@example.com").await;
    assert_eq!(locked.1, "user_locked");
    assert_eq!(password("nobody@example.com").await, locked);
}
