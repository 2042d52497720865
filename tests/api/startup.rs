//! Building the server (SPEC §17): the one builder, its start-up checks and warnings, and the
//! health endpoints.

use crate::helpers::*;

#[tokio::test]
async fn health_endpoints_answer_without_a_session() {
    let app = spawn_app("").await;
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let res = browser()
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers().get(header::SET_COOKIE).is_none());
        assert_eq!(res.text().await.unwrap(), body);
    }
}

#[tokio::test]
async fn an_unsupported_database_url_stops_the_build_with_a_clear_message() {
    let err = vestibule::demo::builder()
        .config_toml("")
        .env(Vec::new())
        .database_url("mysql://localhost/vestibule")
        .build()
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("unsupported scheme `mysql`"),
        "{err}"
    );
}

#[tokio::test]
async fn start_up_warns_about_development_mode_and_testing_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let build = |toml: &str| {
        vestibule::demo::builder()
            .config_toml(toml.to_string())
            .env(Vec::new())
            .database_url(url.clone())
            .build()
    };
    let dev = build("").await.unwrap().warnings();
    assert!(
        dev.iter().any(|w| w.contains("development only")),
        "{dev:?}"
    );
    let risky = build(
        "[testing]\nenabled = true\n[instance]\npublic_url = \"https://auth.example.com\"\n\
         [email]\nsmtp_url = \"smtp://127.0.0.1:9\"\n",
    )
    .await
    .unwrap()
    .warnings();
    assert_eq!(risky.len(), 1, "{risky:?}");
    assert!(risky[0].contains("testing.enabled"), "{risky:?}");
    let fine = build("[email]\nsmtp_url = \"smtp://127.0.0.1:9\"\n")
        .await
        .unwrap()
        .warnings();
    assert!(fine.is_empty(), "{fine:?}");
}

/// Leptos lists a router's routes by rendering its app once with resource loading turned off in
/// the whole process (leptos#4773): a page another server in the process began rendering at that
/// moment waited forever for its data. Routers built while a server renders pages leave its
/// pages alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_a_router_never_stalls_the_pages_of_a_running_server() {
    let app = spawn_app("").await;
    let dir = tempfile::tempdir().unwrap();
    let other = vestibule::demo::builder()
        .config_toml("")
        .env(Vec::new())
        .database_url(format!("sqlite://{}", dir.path().join("o.db").display()))
        .build()
        .await
        .unwrap();
    let building = tokio::task::spawn_blocking(move || {
        for _ in 0..300 {
            drop(other.router(vestibule::demo::App, vestibule::demo::shell));
        }
    });
    let c = Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    let mut pages = 0;
    while !building.is_finished() || pages < 20 {
        let res = c
            .get(format!("{}/sign-in", app.base))
            .send()
            .await
            .expect("the page answers");
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.expect("the page is sent whole");
        assert!(html.contains("</html>"));
        pages += 1;
    }
    building.await.unwrap();
}
