//! SMTP with lettre: multipart text + HTML, one message to every configured recipient.

use async_trait::async_trait;
use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};

use crate::{Channel, Message};

/// `SMTP_URL` (e.g. `smtp://127.0.0.1:2525`, `smtps://user:pass@host`), sender and recipients.
pub struct SmtpChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl SmtpChannel {
    /// Validates the URL and addresses up front, so a bad config stops the worker at start.
    pub fn new(url: &str, from: &str, to: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| format!("SMTP_URL: {e}"))?.build();
        let from: Mailbox = from.parse().map_err(|e| format!("APPROVAL_EMAIL_FROM: {e}"))?;
        let to = to
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|e| format!("APPROVAL_EMAIL_TO {s:?}: {e}")))
            .collect::<Result<Vec<Mailbox>, String>>()?;
        if to.is_empty() {
            return Err("APPROVAL_EMAIL_TO names no recipient".into());
        }
        Ok(Self { transport, from, to })
    }
}

#[async_trait]
impl Channel for SmtpChannel {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, message: &Message) -> Result<(), String> {
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .subject(&message.subject)
            .message_id(Some(format!("<{}@snapstart-cleaner>", message.idempotency_key.replace('/', "."))));
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let email = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(message.text.clone()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(message.html.clone())),
            )
            .map_err(|e| format!("building the email: {e}"))?;
        self.transport.send(email).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
    }
}
