//! The CloudWatch adapter: GetMetricData for `AWS/Lambda` `Invocations` Sum, up to 500 series a
//! call, following NextToken until every series is complete.

use std::{collections::BTreeMap, sync::Arc};

use async_trait::async_trait;
use aws_sdk_cloudwatch::{
    types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StatusCode},
    Client,
};
use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, Utc};

use super::{
    retry::{with_retries, RetryPolicy},
    AwsError, CallCounter, InvocationMetrics, Series, SeriesQuery, Window, MAX_QUERIES_PER_CALL,
};

/// [`InvocationMetrics`] over the AWS SDK.
pub struct CloudWatchAdapter {
    client: Client,
    counter: Arc<CallCounter>,
    policy: RetryPolicy,
}

impl CloudWatchAdapter {
    /// Wraps a client whose own retries are disabled (see `retry.rs`).
    pub fn new(client: Client, counter: Arc<CallCounter>) -> Self {
        Self { client, counter, policy: RetryPolicy::default() }
    }
}

#[async_trait]
impl InvocationMetrics for CloudWatchAdapter {
    async fn invocations(&self, queries: &[SeriesQuery], window: Window) -> Result<Vec<Series>, AwsError> {
        if queries.len() > MAX_QUERIES_PER_CALL {
            return Err(AwsError::invalid("GetMetricData", format!("{} queries exceed 500 per call", queries.len())));
        }
        let period = i32::try_from(window.period_seconds).unwrap_or(i32::MAX);
        let built: Vec<MetricDataQuery> = queries.iter().map(|q| metric_query(q, period)).collect();
        let mut series: BTreeMap<String, Series> =
            queries.iter().map(|q| (q.id.clone(), Series { id: q.id.clone(), ..Default::default() })).collect();
        let mut seen = std::collections::BTreeSet::new();
        let mut partial = std::collections::BTreeSet::new();
        let mut next_token: Option<String> = None;
        loop {
            let out = with_retries("GetMetricData", None, &self.counter, self.policy, || {
                self.client
                    .get_metric_data()
                    .set_metric_data_queries(Some(built.clone()))
                    .start_time(to_smithy(window.start))
                    .end_time(to_smithy(window.end))
                    .scan_by(ScanBy::TimestampDescending)
                    .set_next_token(next_token.clone())
                    .send()
            })
            .await?;
            // "If there is a message, as much of the operation as possible is still executed"
            // (GetMetricData, Messages): something was left out, so nothing here is trusted.
            if !out.messages().is_empty() {
                let messages: Vec<String> = out.messages().iter().map(|m| format!("{}: {}", m.code().unwrap_or_default(), m.value().unwrap_or_default())).collect();
                return Err(AwsError::invalid("GetMetricData", format!("CloudWatch answered with messages: {}", messages.join("; "))));
            }
            for result in out.metric_data_results() {
                let Some(entry) = result.id().and_then(|id| series.get_mut(id)) else { continue };
                seen.insert(entry.id.clone());
                match result.status_code() {
                    Some(StatusCode::PartialData) => partial.insert(entry.id.clone()),
                    _ => partial.remove(&entry.id),
                };
                merge(entry, result);
            }
            match out.next_token().filter(|t| !t.is_empty()) {
                Some(token) => next_token = Some(token.to_string()),
                None => break,
            }
        }
        // PartialData promises the rest on a later page; without one the series is incomplete.
        for id in partial {
            if let Some(entry) = series.get_mut(&id) {
                entry.error = Some("PartialData with no further page".into());
            }
        }
        // A series CloudWatch did not answer for is missing data, never "no invocations".
        for (id, entry) in series.iter_mut() {
            if !seen.contains(id) {
                entry.error = Some("no result returned for this series".into());
            }
        }
        Ok(series.into_values().collect())
    }
}

fn merge(entry: &mut Series, result: &aws_sdk_cloudwatch::types::MetricDataResult) {
    for (ts, value) in result.timestamps().iter().zip(result.values()) {
        match DateTime::<Utc>::from_timestamp(ts.secs(), ts.subsec_nanos()) {
            Some(t) => {
                entry.timestamps.push(t);
                entry.values.push(*value);
            }
            None => entry.error = Some(format!("unreadable timestamp {ts:?}")),
        }
    }
    match result.status_code() {
        // PartialData means "more on the next page"; the loop follows NextToken.
        Some(StatusCode::Complete) | Some(StatusCode::PartialData) => {}
        other => {
            let messages: Vec<String> = result.messages().iter().filter_map(|m| m.value().map(str::to_string)).collect();
            entry.error = Some(format!("status {other:?} {}", messages.join("; ")));
        }
    }
}

fn metric_query(q: &SeriesQuery, period: i32) -> MetricDataQuery {
    let dimensions = q.dimensions.iter().map(|(n, v)| Dimension::builder().name(n).value(v).build()).collect();
    let metric = Metric::builder().namespace("AWS/Lambda").metric_name("Invocations").set_dimensions(Some(dimensions)).build();
    MetricDataQuery::builder()
        .id(&q.id)
        .metric_stat(MetricStat::builder().metric(metric).period(period).stat("Sum").build())
        .return_data(true)
        .build()
}

fn to_smithy(t: DateTime<Utc>) -> SmithyTime {
    SmithyTime::from_secs(t.timestamp())
}
