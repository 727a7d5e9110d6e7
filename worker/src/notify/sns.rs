//! SNS: plain text, subject cut to SNS's 100-character limit (as the original system did).

use async_trait::async_trait;

use super::{Channel, Message};

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

/// SNS email subjects must be at most 100 characters.
pub fn sns_subject(subject: &str) -> String {
    let clean: String = subject.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= 100 {
        return clean;
    }
    clean.chars().take(99).collect::<String>() + "…"
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
    fn long_subjects_are_cut_to_one_hundred_characters() {
        assert_eq!(sns_subject("short"), "short");
        let cut = sns_subject(&"x".repeat(150));
        assert_eq!(cut.chars().count(), 100);
        assert_eq!(sns_subject("a\nb"), "ab");
    }
}
