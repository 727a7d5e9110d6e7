//! The Resource Groups Tagging adapter: one paged GetResources per region lists every Lambda
//! function carrying the protect tag. It is not a Lambda API, so it spends none of Lambda's
//! quotas.

use std::{collections::BTreeMap, sync::Arc};

use async_trait::async_trait;
use aws_sdk_resourcegroupstagging::{types::TagFilter, Client};

use super::{
    retry::{with_retries, RetryPolicy},
    AwsError, CallCounter, TagRead,
};
use crate::arn::parse_function_arn;

/// [`TagRead`] over the AWS SDK.
pub struct TaggingAdapter {
    client: Client,
    counter: Arc<CallCounter>,
    policy: RetryPolicy,
}

impl TaggingAdapter {
    /// Wraps a client whose own retries are disabled (see `retry.rs`).
    pub fn new(client: Client, counter: Arc<CallCounter>) -> Self {
        Self { client, counter, policy: RetryPolicy::default() }
    }
}

#[async_trait]
impl TagRead for TaggingAdapter {
    async fn functions_tagged(&self, key: &str) -> Result<BTreeMap<String, String>, AwsError> {
        let mut tagged = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let out = with_retries("GetResources", None, &self.counter, self.policy, || {
                self.client
                    .get_resources()
                    .resource_type_filters("lambda:function")
                    .tag_filters(TagFilter::builder().key(key).build())
                    .set_pagination_token(token.clone())
                    .send()
            })
            .await?;
            for resource in out.resource_tag_mapping_list() {
                let arn = resource.resource_arn().unwrap_or_default();
                let Some((name, _)) = parse_function_arn(arn) else {
                    return Err(AwsError::invalid("GetResources", format!("not a function ARN: {arn:?}")));
                };
                let value = resource.tags().iter().find(|t| t.key() == key).map(|t| t.value().to_string());
                let Some(value) = value else {
                    return Err(AwsError::invalid("GetResources", format!("{name} listed without the {key} tag")));
                };
                tagged.insert(name.to_string(), value);
            }
            match out.pagination_token().filter(|t| !t.is_empty()) {
                Some(next) => token = Some(next.to_string()),
                None => return Ok(tagged),
            }
        }
    }
}
