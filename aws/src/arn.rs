//! Lambda function ARNs, as AWS returns them in event source mappings, tagging answers and
//! provisioned concurrency configs.

/// Splits a function ARN into (name, qualifier): `arn:aws:lambda:r:acct:function:name[:q]`.
pub fn parse_function_arn(arn: &str) -> Option<(&str, Option<&str>)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name] => Some((name, None)),
        ["arn", _, "lambda", _, _, "function", name, q] => Some((name, Some(q))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arns_split_into_name_and_qualifier() {
        let cases = [
            ("arn:aws:lambda:us-west-2:123456789012:function:orders", Some(("orders", None))),
            ("arn:aws:lambda:us-west-2:123456789012:function:orders:7", Some(("orders", Some("7")))),
            ("arn:aws:lambda:us-west-2:123456789012:function:orders:live", Some(("orders", Some("live")))),
            ("arn:aws-cn:lambda:cn-north-1:123456789012:function:orders:2", Some(("orders", Some("2")))),
            ("arn:aws:sqs:us-west-2:123456789012:queue", None),
            ("orders:3", None),
        ];
        for (arn, expected) in cases {
            assert_eq!(parse_function_arn(arn), expected, "{arn}");
        }
    }
}
