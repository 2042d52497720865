//! Email and SMS delivery (SPEC §10): every message goes to the outbox (stored and logged); with
//! `email.smtp_url` set, email also goes over SMTP.

use super::store::{OutboxMessage, Store};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;

#[derive(Clone)]
pub struct Delivery {
    store: Arc<dyn Store>,
    smtp: Option<Arc<AsyncSmtpTransport<Tokio1Executor>>>,
    from: Option<Mailbox>,
    sms_webhook: Option<Arc<str>>,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("invalid email.smtp_url: {0}")]
    SmtpUrl(String),
    #[error("invalid email.from: {0}")]
    From(String),
    #[error(transparent)]
    Store(#[from] super::store::StoreError),
}

impl Delivery {
    pub fn new(
        store: Arc<dyn Store>,
        smtp_url: Option<&str>,
        from: &str,
        sms_webhook: Option<&str>,
    ) -> Result<Self, DeliveryError> {
        let smtp = match smtp_url {
            Some(url) => Some(Arc::new(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| DeliveryError::SmtpUrl(e.to_string()))?
                    .build(),
            )),
            None => None,
        };
        let from =
            match smtp {
                Some(_) => Some(from.parse().map_err(|e: lettre::address::AddressError| {
                    DeliveryError::From(e.to_string())
                })?),
                None => None,
            };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| DeliveryError::SmtpUrl(e.to_string()))?;
        Ok(Self {
            store,
            smtp,
            from,
            sms_webhook: sms_webhook.map(Arc::from),
            http,
        })
    }

    /// Stores and logs an email, and sends it over SMTP when configured (in the background, so a
    /// slow mail server never delays a response).
    pub async fn email(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        code: Option<&str>,
        now: i64,
    ) -> Result<(), DeliveryError> {
        self.store
            .push_message(&OutboxMessage {
                to: to.to_string(),
                channel: "email".into(),
                subject: subject.to_string(),
                body: body.to_string(),
                code: code.map(str::to_string),
                sent_at: now,
            })
            .await?;
        tracing::info!(target: "vestibule::outbox", channel = "email", to, subject, "message queued");
        if let (Some(smtp), Some(from)) = (&self.smtp, &self.from) {
            let message = to.parse::<Mailbox>().ok().and_then(|to_box| {
                Message::builder()
                    .from(from.clone())
                    .to(to_box)
                    .subject(subject)
                    .body(body.to_string())
                    .ok()
            });
            if let Some(message) = message {
                let smtp = smtp.clone();
                tokio::spawn(async move {
                    if let Err(e) = smtp.send(message).await {
                        tracing::warn!(error = %e, "SMTP delivery failed");
                    }
                });
            }
        }
        Ok(())
    }

    /// Stores and logs an SMS, and POSTs `{ "to", "body" }` to `sms.webhook_url` when configured
    /// (in the background).
    pub async fn sms(
        &self,
        to: &str,
        body: &str,
        code: Option<&str>,
        now: i64,
    ) -> Result<(), DeliveryError> {
        self.store
            .push_message(&OutboxMessage {
                to: to.to_string(),
                channel: "sms".into(),
                subject: String::new(),
                body: body.to_string(),
                code: code.map(str::to_string),
                sent_at: now,
            })
            .await?;
        tracing::info!(target: "vestibule::outbox", channel = "sms", to, "message queued");
        if let Some(url) = &self.sms_webhook {
            let request = self
                .http
                .post(url.as_ref())
                .json(&serde_json::json!({ "to": to, "body": body }));
            tokio::spawn(async move {
                match request.send().await {
                    Ok(res) if !res.status().is_success() => {
                        tracing::warn!(status = %res.status(), "SMS webhook refused the message")
                    }
                    Err(e) => tracing::warn!(error = %e, "SMS webhook failed"),
                    Ok(_) => {}
                }
            });
        }
        Ok(())
    }
}
