//! Logging: `tracing` to stderr and to a daily log file under the data dir.
//! `RUST_LOG` overrides the default filter.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// zbus warns at every portal request that its properties cache could not
/// be filled (the portal's Request objects have no properties): noise.
const DEFAULT_FILTER: &str = "info,lifeline=debug,lifeline_lib=debug,zbus=error";

/// Installs the global subscriber. The returned guard flushes the file writer
/// when dropped, so the caller keeps it for the life of the process. If the log
/// directory cannot be created the app still runs, logging to stderr only.
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());

    let file = match std::fs::create_dir_all(log_dir) {
        Ok(()) => {
            let appender = tracing_appender::rolling::daily(log_dir, "lifeline.log");
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            Some((layer, guard))
        }
        Err(error) => {
            eprintln!(
                "lifeline: cannot create log dir {}: {error}",
                log_dir.display()
            );
            None
        }
    };
    let (file_layer, guard) = file.map_or((None, None), |(l, g)| (Some(l), Some(g)));
    // A second init (only possible in tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file_layer)
        .try_init();
    guard
}
