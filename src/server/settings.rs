//! Instance settings (README, "Configuration (`Leptos.toml`)"): `Leptos.toml` sections, every key
//! with a default, `VESTIBULE_<SECTION>__<KEY>` environment overrides, unknown keys refused by
//! name.

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A duration written as `"7d"`, `"1h"`, `"30s"` or `"off"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationSetting(pub Option<Duration>);

impl<'de> Deserialize<'de> for DurationSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        if raw.trim() == "off" {
            return Ok(Self(None));
        }
        humantime::parse_duration(raw.trim())
            .map(|d| Self(Some(d)))
            .map_err(|e| serde::de::Error::custom(format!("invalid duration {raw:?}: {e}")))
    }
}

impl DurationSetting {
    pub fn secs(&self) -> Option<i64> {
        self.0.map(|d| d.as_secs() as i64)
    }
}

macro_rules! section {
    ($(#[$meta:meta])* $name:ident { $($field:ident : $ty:ty = $default:expr),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name { $(pub $field: $ty),* }
        impl Default for $name {
            fn default() -> Self { Self { $($field: $default),* } }
        }
    };
}

section!(InstanceSettings { name: String = "Vestibule".into(), public_url: Option<String> = None });
section!(SessionSettings {
    multi_session: bool = false,
    max_per_client: usize = 5,
    lifetime: DurationSetting = DurationSetting(Some(Duration::from_secs(7 * 86_400))),
    inactivity_timeout: DurationSetting = DurationSetting(None),
});
section!(SignUpSettings {
    enabled: bool = true,
    legal_consent: bool = false,
    terms_version: Option<String> = None,
});
section!(SignInSettings {
    enumeration_protection: bool = true
});
section!(PasswordSettings {
    min_length: usize = 8,
    reject_breached: bool = true,
    force_reset_on_compromise: bool = true,
});
section!(MfaSettings {
    required: bool = false,
    methods: Vec<crate::domain::mfa::MfaMethod> =
        vec![crate::domain::mfa::MfaMethod::Totp, crate::domain::mfa::MfaMethod::Sms],
    backup_codes: bool = true,
});
section!(OrganizationSettings {
    enabled: bool = false,
    allow_personal_accounts: bool = true,
    creation_enabled: bool = true,
    slugs: bool = true,
});
section!(ClientTrustSettings {
    enabled: bool = false
});
section!(LockoutSettings {
    max_attempts: u32 = 10,
    duration: DurationSetting = DurationSetting(Some(Duration::from_secs(3_600))),
});
section!(RateLimitSettings {
    enabled: bool = true,
    attempt_starts_per_10s: u32 = 5,
    factor_attempts_per_10s: u32 = 3,
});
section!(EmailSettings {
    from: String = "Vestibule <no-reply@localhost>".into(),
    smtp_url: Option<String> = None,
    outbox_retention: DurationSetting = DurationSetting(Some(Duration::from_secs(86_400))),
});
section!(SmsSettings { webhook_url: Option<String> = None });
section!(BackendSettings { secret_key: Option<String> = None });
section!(TestingSettings {
    enabled: bool = false
});
section!(AppSettings {
    task_urls: BTreeMap<String, String> = BTreeMap::new(),
    protected: Vec<String> = vec![
        "/dashboard".into(), "/admin".into(), "/user".into(), "/organization".into()
    ],
});

/// One app-defined task (`[[tasks.custom]]`; README, "Custom tasks").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomTaskSettings {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The app's page for the task (default: the hosted `/sign-in/tasks/<key>`).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub applies: crate::domain::session::Applies,
}

section!(TaskListSettings {
    custom: Vec<CustomTaskSettings> = Vec::new(),
});

section!(
    /// Session tokens for other services (README, "Session tokens for other services"): how long one is valid, how
    /// often the signing key is replaced, and the audiences (`aud`) a caller may name (empty
    /// allows any well-formed one).
    TokenSettings {
    lifetime: DurationSetting = DurationSetting(Some(Duration::from_secs(60))),
    rotate_every: DurationSetting = DurationSetting(Some(Duration::from_secs(30 * 86_400))),
    audiences: Vec<String> = Vec::new(),
});

section!(HttpSettings {
    trusted_proxies: Vec<String> = Vec::new(),
});
section!(
    /// The connection pool: `max_connections` unset is the engine's default (SQLite 8,
    /// PostgreSQL 10); `acquire_timeout` is how long a request waits for a pooled connection
    /// (and SQLite for its write lock).
    DatabaseSettings {
    max_connections: Option<u32> = None,
    acquire_timeout: DurationSetting = DurationSetting(Some(Duration::from_secs(5))),
});

/// The whole instance configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub instance: InstanceSettings,
    pub sessions: SessionSettings,
    pub sign_up: SignUpSettings,
    pub sign_in: SignInSettings,
    pub password: PasswordSettings,
    pub mfa: MfaSettings,
    pub organizations: OrganizationSettings,
    pub client_trust: ClientTrustSettings,
    pub lockout: LockoutSettings,
    pub rate_limits: RateLimitSettings,
    pub email: EmailSettings,
    pub sms: SmsSettings,
    pub backend: BackendSettings,
    pub testing: TestingSettings,
    pub app: AppSettings,
    pub tasks: TaskListSettings,
    pub tokens: TokenSettings,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    /// `http.trusted_proxies`, parsed.
    #[serde(skip)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Reads `path` (a missing file is an empty configuration only when `optional`), applies the
    /// `VESTIBULE_*` environment overrides and validates.
    pub fn load(
        path: &Path,
        optional: bool,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(SettingsError::Read {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        Self::from_toml(&text, env)
    }

    /// Parses TOML text with environment overrides.
    pub fn from_toml(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| SettingsError::Invalid(e.to_string()))?;
        for (name, raw) in env {
            let Some(rest) = name.strip_prefix("VESTIBULE_") else {
                continue;
            };
            // The encryption keys are not settings: startup reads them (README, "Encryption at
            // rest").
            if super::secrets::ENV_NAMES.contains(&name.as_str()) {
                continue;
            }
            let Some((section, key)) = rest.split_once("__") else {
                return Err(SettingsError::Invalid(format!(
                    "environment variable {name} must look like VESTIBULE_<SECTION>__<KEY>"
                )));
            };
            // A value that reads as TOML is taken as such, except a date: `2026-12-01` stays the
            // string it was written as (a terms version, say).
            let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .filter(|v| !matches!(v, toml::Value::Datetime(_)))
                .unwrap_or(toml::Value::String(raw));
            let entry = table
                .entry(section.to_lowercase())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => {
                    t.insert(key.to_lowercase(), value);
                }
                _ => {
                    return Err(SettingsError::Invalid(format!(
                        "`{}` is not a section",
                        section.to_lowercase()
                    )))
                }
            }
        }
        let mut settings: Settings = Settings::deserialize(toml::Value::Table(table))
            .map_err(|e| SettingsError::Invalid(e.to_string().trim().to_string()))?;
        settings.validate()?;
        settings.trusted_proxies = super::client_ip::parse_trusted(&settings.http.trusted_proxies)
            .map_err(SettingsError::Invalid)?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let bad = |m: String| Err(SettingsError::Invalid(m));
        if self.password.min_length < 1 || self.password.min_length > 256 {
            return bad("password.min_length must be between 1 and 256".into());
        }
        if self.sessions.max_per_client == 0 {
            return bad("sessions.max_per_client must be at least 1".into());
        }
        if self.sessions.lifetime.0.is_none() {
            return bad("sessions.lifetime cannot be \"off\"".into());
        }
        if self.mfa.required && self.mfa.methods.is_empty() {
            return bad(
                "mfa.required = true needs at least one of mfa.methods (nobody could sign in)"
                    .into(),
            );
        }
        self.validate_custom_tasks()?;
        if let Some(v) = &self.sign_up.terms_version {
            if v.trim().is_empty() || v.len() > 64 {
                return bad("sign_up.terms_version must be 1 to 64 characters".into());
            }
        }
        for (key, url) in &self.app.task_urls {
            let custom = self.tasks.custom.iter().any(|t| t.key == *key);
            let built_in = crate::domain::session::TaskKey::BUILT_IN
                .iter()
                .any(|k| k.as_str() == key);
            if !custom && !built_in {
                return bad(format!("app.task_urls: unknown task `{key}`"));
            }
            if crate::domain::redirect::safe_redirect(url).is_none() {
                return bad(format!("app.task_urls.{key} must be a relative path"));
            }
        }
        let lifetime = self.tokens.lifetime.secs().unwrap_or(0);
        if !(1..=86_400).contains(&lifetime) {
            return bad("tokens.lifetime must be between 1s and 1d".into());
        }
        if self.tokens.rotate_every.secs().unwrap_or(0) < 3_600 {
            return bad("tokens.rotate_every must be at least 1h".into());
        }
        if let Some(a) = self
            .tokens
            .audiences
            .iter()
            .find(|a| !crate::domain::claims::valid_audience(a))
        {
            return bad(format!("tokens.audiences: `{a}` is not a valid audience"));
        }
        if self.database.max_connections == Some(0) {
            return bad("database.max_connections must be at least 1".into());
        }
        if self.database.acquire_timeout.0.is_none() {
            return bad("database.acquire_timeout cannot be \"off\"".into());
        }
        if self.email.outbox_retention.0.is_none() {
            return bad("email.outbox_retention cannot be \"off\"".into());
        }
        if let Some(key) = &self.backend.secret_key {
            if key.len() < 16 {
                return bad("backend.secret_key must be at least 16 characters".into());
            }
        }
        Ok(())
    }

    fn validate_custom_tasks(&self) -> Result<(), SettingsError> {
        let bad = |m: String| Err(SettingsError::Invalid(m));
        for (i, task) in self.tasks.custom.iter().enumerate() {
            let key = &task.key;
            if crate::domain::session::TaskKey::BUILT_IN
                .iter()
                .any(|k| k.as_str() == key)
            {
                return bad(format!(
                    "tasks.custom: `{key}` is a built-in task key; choose another"
                ));
            }
            if !crate::domain::session::valid_custom_key(key) {
                return bad(format!(
                    "tasks.custom: key `{key}` must be 1 to 64 lowercase letters, digits and `-`, starting with a letter"
                ));
            }
            if self.tasks.custom[..i].iter().any(|t| t.key == *key) {
                return bad(format!("tasks.custom: `{key}` is listed twice"));
            }
            if task.title.trim().is_empty() {
                return bad(format!("tasks.custom: `{key}` needs a title"));
            }
            if let Some(url) = &task.url {
                if crate::domain::redirect::safe_redirect(url).is_none() {
                    return bad(format!(
                        "tasks.custom: the url of `{key}` must be a relative path"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The task settings, given when the instance first saw each custom task (`added_at`, by
    /// key; a key missing there counts as added now).
    pub fn task_settings(
        &self,
        added_at: &std::collections::HashMap<String, i64>,
        now: i64,
    ) -> crate::domain::session::TaskSettings {
        crate::domain::session::TaskSettings {
            force_reset_on_compromise: self.password.force_reset_on_compromise,
            mfa_required: self.mfa.required,
            organizations_enabled: self.organizations.enabled,
            allow_personal_accounts: self.organizations.allow_personal_accounts,
            terms_version: self
                .sign_up
                .terms_version
                .clone()
                .filter(|_| self.sign_up.legal_consent),
            custom: self
                .tasks
                .custom
                .iter()
                .map(|t| crate::domain::session::CustomTaskRule {
                    key: t.key.clone(),
                    applies: t.applies,
                    added_at: added_at.get(&t.key).copied().unwrap_or(now),
                })
                .collect(),
        }
    }

    pub fn password_policy(&self) -> crate::domain::password::PasswordPolicy {
        crate::domain::password::PasswordPolicy {
            min_length: self.password.min_length,
            reject_breached: self.password.reject_breached,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Vec<(String, String)> {
        vec![]
    }

    #[test]
    fn empty_file_gives_the_documented_defaults() {
        let s = Settings::from_toml("", none()).unwrap();
        assert!(!s.sessions.multi_session);
        assert_eq!(s.sessions.max_per_client, 5);
        assert_eq!(s.sessions.lifetime.secs(), Some(7 * 86_400));
        assert_eq!(s.lockout.max_attempts, 10);
        assert_eq!(s.lockout.duration.secs(), Some(3_600));
        assert_eq!(s.rate_limits.attempt_starts_per_10s, 5);
        assert_eq!(s.rate_limits.factor_attempts_per_10s, 3);
        assert!(s.sign_in.enumeration_protection);
        assert!(s.password.reject_breached);
        assert!(!s.testing.enabled);
        assert!(s.backend.secret_key.is_none());
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = Settings::from_toml("[sessions]\nmulti_sesion = true\n", none()).unwrap_err();
        assert!(err.to_string().contains("multi_sesion"), "{err}");
        let err = Settings::from_toml("[nonsense]\nx = 1\n", none()).unwrap_err();
        assert!(err.to_string().contains("nonsense"), "{err}");
    }

    #[test]
    fn custom_tasks_are_read_and_checked_by_key() {
        let ok = "[[tasks.custom]]\nkey = \"accept-dpa\"\ntitle = \"Accept the DPA\"\napplies = \"all_users\"\n\n[[tasks.custom]]\nkey = \"profile\"\ntitle = \"Profile\"\nurl = \"/onboarding/profile\"\n\n[app]\ntask_urls = { profile = \"/welcome\" }\n";
        let s = Settings::from_toml(ok, none()).unwrap();
        let t = s.task_settings(&[("accept-dpa".to_string(), 5)].into(), 9);
        assert_eq!(t.custom.len(), 2);
        assert_eq!(t.custom[0].key, "accept-dpa");
        assert_eq!(
            t.custom[0].applies,
            crate::domain::session::Applies::AllUsers
        );
        assert_eq!(t.custom[0].added_at, 5);
        assert_eq!(
            t.custom[1].applies,
            crate::domain::session::Applies::OnRequest
        );
        assert_eq!(t.custom[1].added_at, 9, "a task first seen now");
        let task = |body: &str| format!("[[tasks.custom]]\n{body}\n");
        for (body, named) in [
            ("key = \"setup-mfa\"\ntitle = \"x\"", "setup-mfa"),
            ("key = \"Accept\"\ntitle = \"x\"", "Accept"),
            ("key = \"a_b\"\ntitle = \"x\"", "a_b"),
            ("key = \"dpa\"\ntitle = \" \"", "dpa"),
            (
                "key = \"dpa\"\ntitle = \"x\"\nurl = \"https://evil.example\"",
                "dpa",
            ),
            (
                "key = \"dpa\"\ntitle = \"x\"\napplies = \"sometimes\"",
                "sometimes",
            ),
            ("key = \"dpa\"\ntitle = \"x\"\ncolour = \"red\"", "colour"),
        ] {
            let err = Settings::from_toml(&task(body), none()).unwrap_err();
            assert!(err.to_string().contains(named), "{body}: {err}");
        }
        let twice = format!(
            "{}{}",
            task("key = \"dpa\"\ntitle = \"x\""),
            task("key = \"dpa\"\ntitle = \"y\"")
        );
        assert!(Settings::from_toml(&twice, none())
            .unwrap_err()
            .to_string()
            .contains("twice"));
        let unknown_url = "[app]\ntask_urls = { dpa = \"/x\" }\n";
        assert!(Settings::from_toml(unknown_url, none()).is_err());
    }

    #[test]
    fn the_terms_version_counts_only_with_legal_consent() {
        let env = vec![(
            "VESTIBULE_SIGN_UP__TERMS_VERSION".to_string(),
            "2026-12-01".to_string(),
        )];
        let s = Settings::from_toml("", env.clone()).unwrap();
        assert_eq!(s.sign_up.terms_version.as_deref(), Some("2026-12-01"));
        assert_eq!(s.task_settings(&Default::default(), 0).terms_version, None);
        let s = Settings::from_toml("[sign_up]\nlegal_consent = true\n", env).unwrap();
        assert_eq!(
            s.task_settings(&Default::default(), 0)
                .terms_version
                .as_deref(),
            Some("2026-12-01")
        );
        let custom = vec![(
            "VESTIBULE_TASKS__CUSTOM".to_string(),
            "[{ key = \"dpa\", title = \"DPA\" }]".to_string(),
        )];
        let s = Settings::from_toml("", custom).unwrap();
        assert_eq!(s.tasks.custom[0].key, "dpa");
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = vec![
            (
                "VESTIBULE_SESSIONS__MULTI_SESSION".to_string(),
                "true".to_string(),
            ),
            (
                "VESTIBULE_BACKEND__SECRET_KEY".to_string(),
                "sk_test_0123456789abcdef".to_string(),
            ),
            ("VESTIBULE_LOCKOUT__DURATION".to_string(), "5m".to_string()),
            ("OTHER".to_string(), "ignored".to_string()),
            // The encryption keys are read by startup, not as settings.
            ("VESTIBULE_ENCRYPTION_KEY".to_string(), "k".to_string()),
            ("VESTIBULE_ENCRYPTION_KEY_FILE".to_string(), "f".to_string()),
            (
                "VESTIBULE_ENCRYPTION_KEYS_PREVIOUS".to_string(),
                "p".to_string(),
            ),
        ];
        let s = Settings::from_toml("[sessions]\nmulti_session = false\n", env).unwrap();
        assert!(s.sessions.multi_session);
        assert_eq!(
            s.backend.secret_key.as_deref(),
            Some("sk_test_0123456789abcdef")
        );
        assert_eq!(s.lockout.duration.secs(), Some(300));
        let err = Settings::from_toml(
            "",
            vec![("VESTIBULE_SESSIONS__BOGUS".to_string(), "1".to_string())],
        )
        .unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn a_file_with_two_sections_is_complete() {
        let s = Settings::from_toml(
            "[organizations]\nenabled = true\nallow_personal_accounts = false\n[testing]\nenabled = true\n",
            none(),
        )
        .unwrap();
        assert!(s.organizations.enabled && !s.organizations.allow_personal_accounts);
        assert!(s.testing.enabled);
    }

    #[test]
    fn invalid_values_are_refused() {
        assert!(Settings::from_toml("[lockout]\nduration = \"soon\"\n", none()).is_err());
        assert!(Settings::from_toml("[app]\ntask_urls = { nope = \"/x\" }\n", none()).is_err());
        assert!(Settings::from_toml(
            "[app]\ntask_urls = { setup-mfa = \"https://evil\" }\n",
            none()
        )
        .is_err());
        assert!(Settings::from_toml("[mfa]\nmethods = [\"email\"]\n", none()).is_err());
        let no_way = Settings::from_toml("[mfa]\nrequired = true\nmethods = []\n", none());
        assert!(no_way.is_err_and(|e| e.to_string().contains("mfa.methods")));
        for tokens in [
            "lifetime = \"off\"",
            "lifetime = \"2d\"",
            "rotate_every = \"10m\"",
        ] {
            assert!(Settings::from_toml(&format!("[tokens]\n{tokens}\n"), none()).is_err());
        }
        let t = Settings::from_toml("[tokens]\nlifetime = \"5m\"\n", none()).unwrap();
        assert_eq!(t.tokens.lifetime.secs(), Some(300));
        assert_eq!(t.tokens.rotate_every.secs(), Some(30 * 86_400));
        let err = Settings::from_toml("[http]\ntrusted_proxies = [\"10.0.0.0/33\"]\n", none())
            .unwrap_err();
        assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn proxies_and_retention_have_settings() {
        let s = Settings::from_toml(
            "[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n[email]\noutbox_retention = \"2h\"\n",
            none(),
        )
        .unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        assert_eq!(s.email.outbox_retention.secs(), Some(7_200));
        assert_eq!(
            Settings::from_toml("", none())
                .unwrap()
                .email
                .outbox_retention
                .secs(),
            Some(86_400)
        );
    }
}
