//! Compiles the contract with protox (no system `protoc`) and prost, adding serde derives so the
//! JSON form users type maps straight onto the messages.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/snapstart/v1/contract.proto",
        "proto/snapstart/v1/scan_state.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    // Observations read as names in JSON (the codec shows the working set to people).
    for field in [
        "VersionScan.state_observation",
        "VersionScan.esm_observation",
        "VersionScan.invocations_observation",
        "VersionScan.policy_observation",
        "VersionScan.provisioned_observation",
        "FunctionScan.aliases_observation",
        "FunctionScan.tag_observation",
        "FunctionActivity.observation",
    ] {
        config.field_attribute(format!(".snapstart.v1.{field}"), "#[serde(with = \"crate::observation_json\")]");
    }
    config
        .out_dir(out)
        .btree_map(["."])
        .enable_type_names()
        .type_attribute(".snapstart.v1", "#[derive(serde::Serialize, serde::Deserialize)]")
        .message_attribute(".snapstart.v1", "#[serde(default)]")
        .type_attribute(".snapstart.v1.ScanRequest", "#[serde(deny_unknown_fields)]")
        .compile_fds(descriptors)?;
    Ok(())
}
