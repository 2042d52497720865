//! Building the server (README, "Embedding Vestibule in your app"): the one builder, its start-up
//! checks and warnings, and the health endpoints.

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
        .encryption_key(ENCRYPTION_KEY)
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
    // (What the builds say of the islands bundles depends on whether `make build` ran.)
    let build = |toml: &str| {
        let built = vestibule::demo::builder()
            .config_toml(toml.to_string())
            .env(Vec::new())
            .encryption_key(ENCRYPTION_KEY)
            .database_url(url.clone())
            .allow_testing_endpoints(true)
            .build();
        async move {
            let warnings = built.await.unwrap().warnings();
            warnings
                .into_iter()
                .filter(|w| !w.contains("islands"))
                .collect::<Vec<_>>()
        }
    };
    let dev = build("").await;
    assert!(
        dev.iter().any(|w| w.contains("development only")),
        "{dev:?}"
    );
    let delivered = "[email]\nsmtp_url = \"smtp://127.0.0.1:9\"\n";
    // Every start with the testing endpoints says so, louder over https.
    let testing = build(&format!("[testing]\nenabled = true\n{delivered}")).await;
    assert_eq!(testing.len(), 1, "{testing:?}");
    assert!(testing[0].contains("testing.enabled"), "{testing:?}");
    let risky = build(&format!(
        "[testing]\nenabled = true\n[instance]\npublic_url = \"https://auth.example.com\"\n{delivered}"
    ))
    .await;
    assert_eq!(risky.len(), 1, "{risky:?}");
    assert!(risky[0].contains("production"), "{risky:?}");
    let fine = build(delivered).await;
    assert!(fine.is_empty(), "{fine:?}");
}

#[tokio::test]
async fn testing_settings_alone_do_not_open_the_testing_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    // In the settings file, or through the environment: without the opt-in, no server.
    for (toml, env) in [
        ("[testing]\nenabled = true\n", vec![]),
        (
            "",
            vec![("VESTIBULE_TESTING__ENABLED".to_string(), "true".to_string())],
        ),
    ] {
        let err = vestibule::demo::builder()
            .config_toml(toml)
            .env(env)
            .encryption_key(ENCRYPTION_KEY)
            .database_url(url.clone())
            .build()
            .await
            .err()
            .expect("refused");
        assert!(
            err.to_string().contains("--allow-testing-endpoints"),
            "{err}"
        );
    }
}

/// The binary as `make run` starts it: from the project root with the repository's own
/// `Leptos.toml` (plus `args` and `env`), on a free port and a fresh database.
struct Binary {
    child: std::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Binary {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vestibule"));
        // Only the settings given here: none of the test run's own VESTIBULE_* variables.
        for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("VESTIBULE_")) {
            command.env_remove(name);
        }
        let child = command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--config", "Leptos.toml"])
            .args(args)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("run.db").display()),
            )
            .env("RUST_LOG", "warn")
            // An empty value in `env` takes the key away (an empty variable is an unset one).
            .env("VESTIBULE_ENCRYPTION_KEY", ENCRYPTION_KEY)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// Waits until it answers `/healthz`, or returns what it said when it exited.
    async fn ready(&mut self) -> Result<(), String> {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut said = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    std::io::Read::read_to_string(&mut err, &mut said).unwrap();
                }
                return Err(format!("{status}: {said}"));
            }
            if client()
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the binary did not start in 30 s");
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_shipped_configuration_serves_no_testing_endpoints() {
    let mut server = Binary::start(&[], &[]);
    server.ready().await.unwrap();
    let http = client();
    let outbox = http
        .get(format!("{}/__testing/outbox?to=a@example.com", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(outbox.status(), StatusCode::NOT_FOUND);
    let sign_in = http
        .post(format!("{}/__testing/sign-in", server.base))
        .json(&serde_json::json!({ "email": "anyone@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), StatusCode::NOT_FOUND);
    assert!(sign_in.headers().get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_binary_refuses_testing_settings_without_the_flag() {
    let enabled = [("VESTIBULE_TESTING__ENABLED", "true")];
    let mut refused = Binary::start(&[], &enabled);
    let said = refused.ready().await.expect_err("started without the flag");
    assert!(said.contains("--allow-testing-endpoints"), "{said}");
    let mut allowed = Binary::start(&["--allow-testing-endpoints"], &enabled);
    allowed.ready().await.unwrap();
    let outbox = client()
        .get(format!(
            "{}/__testing/outbox?to=a@example.com",
            allowed.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(outbox.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_binary_refuses_to_start_without_a_well_formed_encryption_key() {
    let mut keyless = Binary::start(&[], &[("VESTIBULE_ENCRYPTION_KEY", "")]);
    let said = keyless.ready().await.expect_err("started without a key");
    assert!(
        said.contains("VESTIBULE_ENCRYPTION_KEY") && said.contains("openssl rand -base64 32"),
        "{said}"
    );
    // 16 bytes: too short, and the error does not repeat it.
    let short = "c2l4dGVlbiBieXRlcyBsb25n";
    let mut malformed = Binary::start(&[], &[("VESTIBULE_ENCRYPTION_KEY", short)]);
    let said = malformed
        .ready()
        .await
        .expect_err("started with a short key");
    assert!(said.contains("32 bytes") && !said.contains(short), "{said}");
}

#[tokio::test]
async fn the_binary_reads_its_encryption_key_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("encryption.key");
    std::fs::write(&file, format!("{ENCRYPTION_KEY}\n")).unwrap();
    let path = file.display().to_string();
    let mut server = Binary::start(
        &[],
        &[
            ("VESTIBULE_ENCRYPTION_KEY", ""),
            ("VESTIBULE_ENCRYPTION_KEY_FILE", &path),
        ],
    );
    server.ready().await.unwrap();
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
        .encryption_key(ENCRYPTION_KEY)
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
