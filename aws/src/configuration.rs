//! A function version's configuration as JSON with AWS's own key names (GetFunction's
//! `Configuration`), for its archive's `version.json`, and back into the fields of
//! UpdateFunctionConfiguration for `restore`. The SDK's types do not serialise, so each field is
//! named here once, in both directions; a field missing here is neither archived nor restored.

use aws_sdk_lambda::{
    operation::update_function_configuration::builders::UpdateFunctionConfigurationFluentBuilder,
    types::{
        ApplicationLogLevel, DeadLetterConfig, Environment, EphemeralStorage, FileSystemConfig, FunctionConfiguration, ImageConfig, LogFormat, LoggingConfig, Runtime,
        SnapStart, SnapStartApplyOn, SystemLogLevel, TracingConfig, TracingMode, VpcConfig,
    },
};
use serde_json::{json, Map, Value};

/// GetFunction's `Configuration` of one version, as JSON (AWS's key names). Empty values are
/// left out, as AWS leaves them out.
pub fn configuration_json(c: &FunctionConfiguration) -> Value {
    let mut m = Map::new();
    let mut put = |key: &str, value: Value| {
        let empty = match &value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.values().all(Value::is_null),
            _ => false,
        };
        if !empty {
            m.insert(key.to_string(), value);
        }
    };
    let s = |v: Option<&str>| v.map(|v| json!(v)).unwrap_or(Value::Null);
    put("FunctionName", s(c.function_name()));
    put("FunctionArn", s(c.function_arn()));
    put("Version", s(c.version()));
    put("Runtime", s(c.runtime().map(|r| r.as_str())));
    put("Role", s(c.role()));
    put("Handler", s(c.handler()));
    put("CodeSize", json!(c.code_size()));
    put("CodeSha256", s(c.code_sha256()));
    put("Description", s(c.description()));
    put("Timeout", c.timeout().map(|t| json!(t)).unwrap_or(Value::Null));
    put("MemorySize", c.memory_size().map(|t| json!(t)).unwrap_or(Value::Null));
    put("LastModified", s(c.last_modified()));
    put("PackageType", s(c.package_type().map(|p| p.as_str())));
    put("Architectures", json!(c.architectures().iter().map(|a| a.as_str()).collect::<Vec<_>>()));
    put(
        "Environment",
        json!({
            "Variables": c.environment().and_then(|e| e.variables()).map(|v| json!(v)).unwrap_or(Value::Null),
            // Lambda could not decrypt the variables (a disabled or inaccessible KMS key).
            "Error": c.environment().and_then(|e| e.error()).map(|e| json!({"ErrorCode": e.error_code(), "Message": e.message()})).unwrap_or(Value::Null),
        }),
    );
    put(
        "VpcConfig",
        c.vpc_config()
            .filter(|v| !v.subnet_ids().is_empty() || !v.security_group_ids().is_empty())
            .map(|v| json!({"SubnetIds": v.subnet_ids(), "SecurityGroupIds": v.security_group_ids(), "Ipv6AllowedForDualStack": v.ipv6_allowed_for_dual_stack()}))
            .unwrap_or(Value::Null),
    );
    put("DeadLetterConfig", json!({"TargetArn": s(c.dead_letter_config().and_then(|d| d.target_arn()))}));
    put("KMSKeyArn", s(c.kms_key_arn()));
    put("TracingConfig", json!({"Mode": s(c.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str()))}));
    put("Layers", json!(c.layers().iter().filter_map(|l| l.arn()).map(|arn| json!({"Arn": arn})).collect::<Vec<_>>()));
    put(
        "FileSystemConfigs",
        json!(c.file_system_configs().iter().map(|f| json!({"Arn": f.arn(), "LocalMountPath": f.local_mount_path()})).collect::<Vec<_>>()),
    );
    put(
        "ImageConfigResponse",
        c.image_config_response()
            .and_then(|r| r.image_config())
            .map(|i| json!({"ImageConfig": {"EntryPoint": i.entry_point(), "Command": i.command(), "WorkingDirectory": i.working_directory()}}))
            .unwrap_or(Value::Null),
    );
    put("EphemeralStorage", json!({"Size": c.ephemeral_storage().map(|e| e.size())}));
    put(
        "SnapStart",
        json!({"ApplyOn": s(c.snap_start().and_then(|x| x.apply_on()).map(|a| a.as_str())), "OptimizationStatus": s(c.snap_start().and_then(|x| x.optimization_status()).map(|o| o.as_str()))}),
    );
    put(
        "LoggingConfig",
        c.logging_config()
            .map(|l| {
                json!({
                    "LogFormat": s(l.log_format().map(|f| f.as_str())),
                    "ApplicationLogLevel": s(l.application_log_level().map(|f| f.as_str())),
                    "SystemLogLevel": s(l.system_log_level().map(|f| f.as_str())),
                    "LogGroup": s(l.log_group()),
                })
            })
            .unwrap_or(Value::Null),
    );
    put("RuntimeVersionConfig", json!({"RuntimeVersionArn": s(c.runtime_version_config().and_then(|r| r.runtime_version_arn()))}));
    put("RevisionId", s(c.revision_id()));
    let mut out = Value::Object(m);
    prune(&mut out);
    out
}

/// Removes null members of nested objects (an absent Description inside LoggingConfig, say).
fn prune(value: &mut Value) {
    if let Value::Object(members) = value {
        members.retain(|_, v| !v.is_null());
        members.values_mut().for_each(prune);
    }
}

/// The UpdateFunctionConfiguration that gives a function the archived `config`. Every field
/// the archive keeps is sent, empty ones too (no environment, no layers, no VPC, no
/// dead-letter queue, no description), so nothing of the function's present configuration
/// survives that the archived one did not have. Fields AWS refuses on a package type are left
/// out for it (Runtime and Handler for images, ImageConfig for zips).
pub fn configuration_update(mut update: UpdateFunctionConfigurationFluentBuilder, config: &Value) -> UpdateFunctionConfigurationFluentBuilder {
    let image = text(config, "PackageType") == "Image";
    let strings = |v: &Value| -> Vec<String> { v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default() };
    if !image {
        update = update.runtime(Runtime::from(text(config, "Runtime"))).handler(text(config, "Handler"));
    }
    if let Some(ic) = config.pointer("/ImageConfigResponse/ImageConfig").filter(|_| image) {
        update = update.image_config(
            ImageConfig::builder()
                .set_entry_point(ic.get("EntryPoint").map(&strings))
                .set_command(ic.get("Command").map(&strings))
                .set_working_directory(ic.get("WorkingDirectory").and_then(Value::as_str).map(str::to_string))
                .build(),
        );
    }
    let variables: std::collections::HashMap<String, String> = config
        .pointer("/Environment/Variables")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default();
    update = update
        .role(text(config, "Role"))
        .description(text(config, "Description"))
        .environment(Environment::builder().set_variables(Some(variables)).build())
        .kms_key_arn(text(config, "KMSKeyArn"))
        .dead_letter_config(DeadLetterConfig::builder().target_arn(config.pointer("/DeadLetterConfig/TargetArn").and_then(Value::as_str).unwrap_or_default()).build())
        .tracing_config(TracingConfig::builder().mode(TracingMode::from(config.pointer("/TracingConfig/Mode").and_then(Value::as_str).unwrap_or("PassThrough"))).build())
        .set_layers(Some(config.get("Layers").and_then(Value::as_array).map(|l| l.iter().filter_map(|x| x.get("Arn").and_then(Value::as_str)).map(str::to_string).collect()).unwrap_or_default()))
        .vpc_config(
            VpcConfig::builder()
                .set_subnet_ids(Some(config.pointer("/VpcConfig/SubnetIds").map(&strings).unwrap_or_default()))
                .set_security_group_ids(Some(config.pointer("/VpcConfig/SecurityGroupIds").map(&strings).unwrap_or_default()))
                .build(),
        )
        .snap_start(SnapStart::builder().apply_on(SnapStartApplyOn::from(config.pointer("/SnapStart/ApplyOn").and_then(Value::as_str).unwrap_or("None"))).build());
    if let Some(t) = config.get("Timeout").and_then(Value::as_i64) {
        update = update.timeout(t as i32);
    }
    if let Some(m) = config.get("MemorySize").and_then(Value::as_i64) {
        update = update.memory_size(m as i32);
    }
    if let Some(size) = config.pointer("/EphemeralStorage/Size").and_then(Value::as_i64) {
        if let Ok(storage) = EphemeralStorage::builder().size(size as i32).build() {
            update = update.ephemeral_storage(storage);
        }
    }
    let file_systems = config
        .get("FileSystemConfigs")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|f| FileSystemConfig::builder().arn(text(f, "Arn")).local_mount_path(text(f, "LocalMountPath")).build().ok()).collect())
        .unwrap_or_default();
    update = update.set_file_system_configs(Some(file_systems));
    if let Some(l) = config.get("LoggingConfig") {
        let mut logging = LoggingConfig::builder();
        if !text(l, "LogFormat").is_empty() {
            logging = logging.log_format(LogFormat::from(text(l, "LogFormat")));
        }
        if !text(l, "ApplicationLogLevel").is_empty() {
            logging = logging.application_log_level(ApplicationLogLevel::from(text(l, "ApplicationLogLevel")));
        }
        if !text(l, "SystemLogLevel").is_empty() {
            logging = logging.system_log_level(SystemLogLevel::from(text(l, "SystemLogLevel")));
        }
        if !text(l, "LogGroup").is_empty() {
            logging = logging.log_group(text(l, "LogGroup"));
        }
        update = update.logging_config(logging.build());
    }
    update
}

/// A string field of an archived configuration ("" when absent).
pub fn text<'a>(config: &'a Value, key: &str) -> &'a str {
    config.get(key).and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::types::{EnvironmentResponse, SnapStartResponse};

    #[test]
    fn the_configuration_keeps_aws_key_names_and_leaves_out_what_is_empty() {
        let c = FunctionConfiguration::builder()
            .function_name("orders")
            .version("7")
            .runtime(Runtime::Python312)
            .memory_size(1024)
            .code_size(1234)
            .code_sha256("abc=")
            .environment(EnvironmentResponse::builder().variables("TABLE", "orders").build())
            .snap_start(SnapStartResponse::builder().apply_on(SnapStartApplyOn::PublishedVersions).build())
            .build();

        let j = configuration_json(&c);

        assert_eq!(j["FunctionName"], "orders");
        assert_eq!(j["Runtime"], "python3.12");
        assert_eq!(j["MemorySize"], 1024);
        assert_eq!(j["CodeSize"], 1234);
        assert_eq!(j["Environment"]["Variables"]["TABLE"], "orders", "the restore needs the environment");
        assert_eq!(j["SnapStart"], json!({"ApplyOn": "PublishedVersions"}), "no nulls inside");
        for absent in ["VpcConfig", "DeadLetterConfig", "Layers", "KMSKeyArn", "ImageConfigResponse", "Description"] {
            assert!(j.get(absent).is_none(), "{absent} is empty and left out: {j}");
        }
        assert_eq!(text(&j, "Runtime"), "python3.12");
        assert_eq!(text(&j, "Handler"), "");
    }
}
