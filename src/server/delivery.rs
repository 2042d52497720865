//! Email and SMS delivery (README, "Security defaults"). Every message is recorded in the outbox —
//! recipient, channel, template, time — and its body and code only in testing mode or while no
//! delivery is configured at all (development mode). With `email.smtp_url` set, email also goes
//! over SMTP; with `sms.webhook_url`, SMS is POSTed there. Logs carry the channel, the template and
//! a redacted recipient, never a code, a token or a body — except in development mode, where the
//! message is logged so that a developer without a mail server can sign up.

use super::messages::Message;
use super::settings::Settings;
use super::store::{OutboxMessage, Store};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::sync::Arc;

#[derive(Clone)]
pub struct Delivery {
    store: Arc<dyn Store>,
    smtp: Option<Arc<AsyncSmtpTransport<Tokio1Executor>>>,
    from: Option<Mailbox>,
    sms_webhook: Option<Arc<str>>,
    http: reqwest::Client,
    /// Bodies and codes are kept in the outbox (testing or development mode).
    keep_contents: bool,
    /// No delivery is configured: messages are logged for development.
    development: bool,
    retention_secs: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("invalid email.smtp_url: {0}")]
    SmtpUrl(String),
    #[error("invalid email.from: {0}")]
    From(String),
    #[error("cannot build the HTTP client for sms.webhook_url: {0}")]
    Http(String),
    #[error(transparent)]
    Store(#[from] super::store::StoreError),
}

/// `ada@example.com` → `a***@example.com`; `+15550100199` → `+15*******99`.
pub fn redact(to: &str) -> String {
    match to.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => {
            let chars: Vec<char> = to.chars().collect();
            if chars.len() <= 5 {
                return "*".repeat(chars.len());
            }
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[chars.len() - 2..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
        }
    }
}

impl Delivery {
    pub fn new(store: Arc<dyn Store>, settings: &Settings) -> Result<Self, DeliveryError> {
        let smtp = match settings.email.smtp_url.as_deref() {
            Some(url) => Some(Arc::new(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| DeliveryError::SmtpUrl(e.to_string()))?
                    .build(),
            )),
            None => None,
        };
        let from =
            match smtp {
                Some(_) => Some(settings.email.from.parse().map_err(
                    |e: lettre::address::AddressError| DeliveryError::From(e.to_string()),
                )?),
                None => None,
            };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| DeliveryError::Http(e.to_string()))?;
        let development = smtp.is_none() && settings.sms.webhook_url.is_none();
        Ok(Self {
            store,
            smtp,
            from,
            sms_webhook: settings.sms.webhook_url.as_deref().map(Arc::from),
            http,
            keep_contents: settings.testing.enabled || development,
            development,
            retention_secs: settings.email.outbox_retention.secs().unwrap_or(86_400),
        })
    }

    /// No delivery is configured: messages are only logged (for development).
    pub fn is_development(&self) -> bool {
        self.development
    }

    /// Purges the outbox of what is past the retention (`[email] outbox_retention`).
    pub async fn purge(&self, now: i64) -> Result<u64, DeliveryError> {
        Ok(self.store.purge_messages(now - self.retention_secs).await?)
    }

    async fn record(
        &self,
        to: &str,
        channel: &str,
        message: &Message,
        now: i64,
    ) -> Result<(), DeliveryError> {
        let keep = self.keep_contents;
        self.store
            .push_message(
                &OutboxMessage {
                    to: to.to_string(),
                    channel: channel.to_string(),
                    template: message.template.name().to_string(),
                    subject: message.subject.clone(),
                    body: if keep {
                        message.body.clone()
                    } else {
                        String::new()
                    },
                    code: message.code.clone().filter(|_| keep),
                    sent_at: now,
                },
                now - self.retention_secs,
            )
            .await?;
        tracing::info!(
            target: "vestibule::outbox",
            channel,
            template = message.template.name(),
            to = %redact(to),
            "message queued"
        );
        if self.development {
            tracing::info!(
                target: "vestibule::outbox",
                "development mode (no delivery configured), message to {to}: {}\n{}",
                message.subject,
                message.body
            );
        }
        Ok(())
    }

    /// Records an email and sends it over SMTP when configured (in the background, so a slow mail
    /// server never delays a response).
    pub async fn email(&self, to: &str, message: Message, now: i64) -> Result<(), DeliveryError> {
        self.record(to, "email", &message, now).await?;
        if let (Some(smtp), Some(from)) = (&self.smtp, &self.from) {
            let built = to.parse::<Mailbox>().ok().and_then(|to_box| {
                lettre::Message::builder()
                    .from(from.clone())
                    .to(to_box)
                    .subject(message.subject.clone())
                    .body(message.body.clone())
                    .ok()
            });
            if let Some(built) = built {
                let smtp = smtp.clone();
                let template = message.template.name();
                tokio::spawn(async move {
                    if let Err(e) = smtp.send(built).await {
                        tracing::warn!(error = %e, template, "SMTP delivery failed");
                    }
                });
            }
        }
        Ok(())
    }

    /// Records an SMS and POSTs `{ "to", "body" }` to `sms.webhook_url` when configured (in the
    /// background).
    pub async fn sms(&self, to: &str, message: Message, now: i64) -> Result<(), DeliveryError> {
        self.record(to, "sms", &message, now).await?;
        if let Some(url) = &self.sms_webhook {
            let request = self
                .http
                .post(url.as_ref())
                .json(&serde_json::json!({ "to": to, "body": message.body }));
            let template = message.template.name();
            tokio::spawn(async move {
                match request.send().await {
                    Ok(res) if !res.status().is_success() => {
                        tracing::warn!(status = %res.status(), template, "SMS webhook refused the message")
                    }
                    Err(e) => tracing::warn!(error = %e, template, "SMS webhook failed"),
                    Ok(_) => {}
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_redacted() {
        assert_eq!(redact("ada@example.com"), "a***@example.com");
        assert_eq!(redact("+15550100199"), "+15*******99");
        assert_eq!(redact("+1234"), "*****");
    }
}
