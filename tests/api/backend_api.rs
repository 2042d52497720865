//! The Backend API (README, "Backend API").

use crate::helpers::*;

#[tokio::test]
async fn backend_api_authenticates_and_validates() {
    let app = spawn_app("").await;
    let url = format!("{}/v1/users", app.base);
    let anon = client()
        .post(&url)
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let wrong = client()
        .post(&url)
        .bearer_auth("sk_wrong_key_000000000")
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let k = || client().post(&url).bearer_auth(KEY);
    let malformed = k()
        .header(header::CONTENT_TYPE, "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let wrong_type = k().json(&json!({"email": 42})).send().await.unwrap();
    assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
    let bad_email = k()
        .json(&json!({"email": "not an email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_email.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = bad_email.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "form_param_format_invalid");
    let long = k()
        .json(&json!({"email": format!("{}@example.com", "a".repeat(300))}))
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, listed) = app
        .api(reqwest::Method::GET, "/v1/users?email=a@example.com")
        .await;
    assert_eq!(
        listed["total_count"], 0,
        "nothing was written by bad requests"
    );
    let created = app.create_user("a@example.com", PW).await;
    assert_eq!(created["has_password"], true);
    let dup = k()
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let (missing, _) = app.api(reqwest::Method::GET, "/v1/users/user_nope").await;
    assert_eq!(missing, StatusCode::NOT_FOUND);
    let id = created["id"].as_str().unwrap();
    let (_, locked) = app
        .api(reqwest::Method::POST, &format!("/v1/users/{id}/lock"))
        .await;
    assert_eq!(locked["locked"], true);
    let (_, b) = app
        .call(
            &browser(),
            "sign_in/start",
            &[("email", "a@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "user_locked");
    let (_, unlocked) = app
        .api(reqwest::Method::POST, &format!("/v1/users/{id}/unlock"))
        .await;
    assert_eq!(unlocked["locked"], false);
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "a@example.com"), ("password", PW)],
        )
        .await;
    let sid = b["snapshot"]["sessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, revoked) = app
        .api(reqwest::Method::POST, &format!("/v1/sessions/{sid}/revoke"))
        .await;
    assert_eq!(revoked["status"], "revoked");
    let (status, _) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked session is signed out"
    );
    let (_, sessions) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{id}/sessions"))
        .await;
    assert_eq!(sessions["total_count"], 1);
}
