//! Throwaway PostgreSQL databases for tests — Vestibule's own and an embedding app's: each test
//! gets a fresh database on the server `TEST_DATABASE_URL` names (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the test ends.

use sqlx::Connection;

/// The server tests create their databases on.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, empty database, dropped (with its connections) when this value is.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// The PostgreSQL server for tests, if one answers. When none does and
    /// `TEST_REQUIRE_POSTGRES=1` (as `make test` sets), this panics instead: a suite that
    /// must cover both engines never passes on one.
    pub async fn server() -> Option<String> {
        let url = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_string());
        let reachable = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::PgConnection::connect(&url),
        )
        .await;
        match reachable {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                Some(url)
            }
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_string(),
                };
                if std::env::var("TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!("PostgreSQL at {url} is required (TEST_REQUIRE_POSTGRES=1): {why}");
                }
                eprintln!("PostgreSQL at {url} not reachable ({why}): its engine is not tested");
                None
            }
        }
    }

    /// Creates a database with a random name on the server at `admin_url`.
    pub async fn create(admin_url: &str) -> Result<Self, sqlx::Error> {
        // 96 random bits in hex: a valid identifier, unique among concurrent tests.
        let name = format!(
            "vestibule_test_{}",
            &crate::server::tokens::new_token()[..24]
        );
        let mut conn = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let _ = conn.close().await;
        let mut url =
            url::Url::parse(admin_url).map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        url.set_path(&name);
        Ok(Self {
            admin_url: admin_url.to_string(),
            url: url.to_string(),
            name,
        })
    }

    /// The new database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}
