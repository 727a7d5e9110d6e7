//! Notifications: the approval and completion emails, over any combination of SNS, SMTP and the
//! worker log. Channels are configured on the worker; content is built by pure functions in
//! `emails.rs`.

pub mod emails;
pub mod smtp;
pub mod sns;

use async_trait::async_trait;

/// One message, in both forms.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Stable per run and kind, e.g. `approval/<run id>`: SMTP uses it as the Message-ID so a
    /// duplicate that slips through is threaded as the same message by mail clients.
    pub idempotency_key: String,
}

/// A delivery channel.
#[async_trait]
pub trait Channel: Send + Sync {
    /// A stable name (`sns`, `smtp`, `log`), recorded once the channel has delivered.
    fn name(&self) -> &'static str;
    /// Delivers the message.
    async fn send(&self, message: &Message) -> Result<(), String>;
}

/// The worker log: always available, used alone when no other channel is configured, so a local
/// user can click the links straight from the log.
pub struct LogChannel;

#[async_trait]
impl Channel for LogChannel {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn send(&self, message: &Message) -> Result<(), String> {
        tracing::info!(subject = %message.subject, "notification (log-only channel):\n{}", message.text);
        Ok(())
    }
}
