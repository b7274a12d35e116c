//! Log output: pretty on a terminal, plain text otherwise, JSON lines with
//! `MOMENTIQUE_LOG_FORMAT=json`. Always to standard error.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

pub fn init(config: &Config) {
    // The config was validated, so the filter parses; fall back to `info` all the same.
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let tty = std::io::stderr().is_terminal();
    let _ = match config.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.with_ansi(tty).try_init(),
        LogFormat::Auto => builder.with_ansi(tty).compact().try_init(),
    };
}
