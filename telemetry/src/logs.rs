//! Logs to stderr: human-readable, or one JSON object per line with `LOG_FORMAT=json` (level,
//! message, target and the current span's fields: the workflow id and activity of an activity's
//! lines). Any other value is refused, so a typo cannot silently change what a log shipper parses.

/// What `LOG_FORMAT` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Reads `LOG_FORMAT`: unset, empty or `text` is text; `json` is JSON; anything else is an error.
pub fn format(value: Option<&str>) -> Result<Format, String> {
    match value {
        None | Some("" | "text") => Ok(Format::Text),
        Some("json") => Ok(Format::Json),
        Some(other) => Err(format!("LOG_FORMAT must be \"text\" or \"json\"; got {other:?}")),
    }
}

/// Installs the process's subscriber: `RUST_LOG` filters (default `info`), `LOG_FORMAT` formats.
pub fn init() -> Result<(), String> {
    let format = format(std::env::var("LOG_FORMAT").ok().as_deref())?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter);
    match format {
        Format::Text => builder.init(),
        Format::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).init(),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_is_text_json_or_refused() {
        assert_eq!(format(None), Ok(Format::Text));
        assert_eq!(format(Some("")), Ok(Format::Text));
        assert_eq!(format(Some("text")), Ok(Format::Text));
        assert_eq!(format(Some("json")), Ok(Format::Json));
        assert!(format(Some("JSON")).unwrap_err().contains("\"JSON\""));
    }
}
