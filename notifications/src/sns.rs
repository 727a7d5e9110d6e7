//! SNS: plain text; the subject made to fit SNS's rules for email subjects (ASCII, no control
//! characters, under 100 characters).

use async_trait::async_trait;

use crate::{Channel, Message};

/// Publishes to one topic.
pub struct SnsChannel {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsChannel {
    /// A client in the topic's region (from its ARN), standard credential chain.
    pub async fn new(topic_arn: &str) -> Self {
        let region = topic_arn.split(':').nth(3).unwrap_or("us-east-1").to_string();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .load()
            .await;
        Self { client: aws_sdk_sns::Client::new(&config), topic_arn: topic_arn.to_string() }
    }
}

/// The most characters an SNS subject may have (SNS refuses 100 or more).
pub const MAX_SUBJECT: usize = 99;

/// An SNS email subject: printable ASCII only (SNS refuses other characters; each becomes `?`,
/// a dash or a space becomes itself), at most [`MAX_SUBJECT`] characters, cut with `...`.
pub fn sns_subject(subject: &str) -> String {
    let clean: String = subject
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .map(|c| match c {
            ' '..='~' => c,
            '—' | '–' => '-',
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .collect();
    if clean.len() <= MAX_SUBJECT {
        return clean;
    }
    clean[..MAX_SUBJECT - 3].to_string() + "..."
}

/// Zero-width and bidirectional-override characters: dropped, not shown as `?`.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[async_trait]
impl Channel for SnsChannel {
    fn name(&self) -> &'static str {
        "sns"
    }

    async fn send(&self, message: &Message) -> Result<(), String> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(sns_subject(&message.subject))
            .message(&message.text)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("SNS Publish: {}", aws_sdk_sns::error::DisplayErrorContext(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_subjects_are_cut_to_ninety_nine_ascii_characters() {
        assert_eq!(sns_subject("short"), "short");
        let cut = sns_subject(&"é".repeat(150));
        assert_eq!((cut.len(), cut.chars().count()), (99, 99));
        assert!(cut.ends_with("...") && cut.is_ascii(), "{cut}");
        assert_eq!(sns_subject(&"x".repeat(99)), "x".repeat(99));
    }

    #[test]
    fn subjects_keep_only_printable_ascii() {
        assert_eq!(sns_subject("a\nb\u{202e}c"), "abc");
        assert_eq!(sns_subject("Approve — 3 versions in eu-west-1 · 12 €"), "Approve - 3 versions in eu-west-1 ? 12 ?");
    }
}
