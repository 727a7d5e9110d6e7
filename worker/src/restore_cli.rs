//! `snapstart-cleaner restore <archive folder> [--apply]`: prints the plan of bringing one
//! deleted version back, or (with `--apply`) does it (`snapstart-restore`). A folder that is not
//! a whole archive exits with status 2 and changes nothing; a restore that stops part-way exits
//! with status 1 and says where `$LATEST` stands.

use clap::{Args, ValueEnum};

use crate::aws_args::AwsArgs;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RestoreFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive folder of one version, e.g. s3://archive-bucket/versions/111111111111/us-west-2/orders/7/ (the deletion results and the completion email name it)
    pub folder: String,
    /// Restore it; without this, only print the plan
    #[arg(long)]
    pub apply: bool,
    /// A bucket in the function's region for Lambda to read the code from, when the archive bucket is in another region
    #[arg(long)]
    pub staging_bucket: Option<String>,
    /// Point this alias at the restored version (otherwise no alias is moved)
    #[arg(long, value_name = "NAME")]
    pub point_alias: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: RestoreFormat,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Runs `restore`; exits 2 for an archive that cannot be restored, 1 for a restore that stopped.
pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let aws = args.aws.factory();
    let prepared = match snapstart_restore::prepare(&aws, &args.folder, args.staging_bucket.as_deref()).await {
        Ok(p) => p,
        Err(refused) => {
            eprintln!("error: {refused}");
            std::process::exit(2);
        }
    };
    if !args.apply {
        match args.format {
            RestoreFormat::Text => println!("{}\nNothing was changed: run again with --apply to restore.", prepared.plan().join("\n")),
            RestoreFormat::Json => println!("{}", serde_json::json!({"function_name": prepared.record.function_name, "restored_from_version": prepared.record.version, "code_sha256": prepared.record.code_sha256, "plan": prepared.plan(), "applied": false})),
        }
        return Ok(());
    }
    match snapstart_restore::apply(&aws, &prepared, args.point_alias.as_deref()).await {
        Ok(done) => {
            match args.format {
                RestoreFormat::Json => println!("{}", serde_json::to_string(&done)?),
                RestoreFormat::Text => {
                    println!("Restored {}:{} as version {} (CodeSha256 {}); $LATEST is as it was.", done.function_name, done.restored_from_version, done.new_version, done.code_sha256);
                    match &args.point_alias {
                        Some(alias) => println!("Alias {alias} now points at version {}.", done.new_version),
                        None => println!(
                            "No alias was moved. To send an alias's callers to it:\n  aws lambda update-alias --region {} --function-name {} --name <ALIAS> --function-version {}",
                            prepared.record.region, done.function_name, done.new_version
                        ),
                    }
                }
            }
            Ok(())
        }
        Err(failed) => {
            match args.format {
                RestoreFormat::Json => println!("{}", serde_json::to_string(&failed)?),
                RestoreFormat::Text => eprintln!("error: {failed}\n{}.{}", failed.latest, failed.new_version.as_ref().map(|v| format!(" Version {v} was published.")).unwrap_or_default()),
            }
            std::process::exit(1);
        }
    }
}
