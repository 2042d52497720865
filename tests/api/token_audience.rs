//! `aud`: a token a caller asked for one service is refused by a service that requires another
//! audience, or requires one and the token names none.

use crate::helpers::*;
use vestibule::verify::{Verifier, VerifierOptions, VerifyError};

/// `POST /api/sessions/token` from the app's own pages, naming `audience` when given.
async fn token_for(app: &TestApp, c: &Client, audience: Option<&str>) -> (StatusCode, Value) {
    let form: Vec<(&str, &str)> = audience.map(|a| ("audience", a)).into_iter().collect();
    let res = c
        .post(format!("{}/api/sessions/token", app.base))
        .header(header::ORIGIN, &app.base)
        .header(header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn service(app: &TestApp, audience: Option<&str>) -> Verifier {
    let mut options = VerifierOptions::new(app.base.clone());
    options.audience = audience.map(str::to_string);
    Verifier::new(options)
}

#[tokio::test]
async fn token_for_one_audience_is_refused_by_another_service() {
    let app = spawn_app("").await;
    app.create_user("aud@example.com", PW).await;
    let c = app.signed_in("aud@example.com").await;
    let (status, billing) = token_for(&app, &c, Some("https://billing.example")).await;
    assert_eq!(status, StatusCode::OK, "{billing}");
    let jwt = billing["jwt"].as_str().unwrap();
    let claims = service(&app, Some("https://billing.example"))
        .verify(jwt)
        .await
        .unwrap();
    assert_eq!(claims.aud.as_deref(), Some("https://billing.example"));
    assert!(
        matches!(
            service(&app, Some("https://orders.example"))
                .verify(jwt)
                .await,
            Err(VerifyError::Invalid(_))
        ),
        "replayed to another service"
    );
    // A token that names no audience is refused where one is required, and a service that
    // names none accepts only tokens for no audience.
    let (_, plain) = token_for(&app, &c, None).await;
    let plain = plain["jwt"].as_str().unwrap();
    assert!(service(&app, Some("https://billing.example"))
        .verify(plain)
        .await
        .is_err());
    let open = service(&app, None);
    assert!(open.verify(plain).await.is_ok());
    assert!(
        matches!(open.verify(jwt).await, Err(VerifyError::Invalid(_))),
        "a token for billing is not for a service that names no audience"
    );
    // The Backend API names the audience too.
    let sid = billing["session_id"].as_str().unwrap();
    let (status, minted) = app
        .post_json(
            &format!("/v1/sessions/{sid}/tokens"),
            json!({ "audience": "https://orders.example" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{minted}");
    let orders = minted["jwt"].as_str().unwrap();
    assert!(service(&app, Some("https://orders.example"))
        .verify(orders)
        .await
        .is_ok());
    assert!(service(&app, Some("https://billing.example"))
        .verify(orders)
        .await
        .is_err());
}

#[tokio::test]
async fn audience_outside_the_configured_list_is_refused() {
    let app = spawn_app("[tokens]\naudiences = [\"https://billing.example\"]\n").await;
    app.create_user("list@example.com", PW).await;
    let c = app.signed_in("list@example.com").await;
    for bad in ["https://orders.example", "two words", &"a".repeat(201)] {
        let (status, b) = token_for(&app, &c, Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {b}");
        assert_eq!(b["code"], "form_param_format_invalid", "{b}");
    }
    let (status, b) = token_for(&app, &c, Some("https://billing.example")).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let sid = b["session_id"].as_str().unwrap();
    let (status, b) = app
        .post_json(
            &format!("/v1/sessions/{sid}/tokens"),
            json!({ "audience": "https://orders.example" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
}
