//! `lifeline-signaling`: the support desk's signaling server.

use std::io::Write;
use std::net::SocketAddr;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(version, about = "Lifeline's signaling server")]
struct Args {
    /// Address to listen on.
    #[arg(
        long,
        env = "LIFELINE_SIGNALING_LISTEN",
        default_value = "127.0.0.1:7890"
    )]
    listen: SocketAddr,
    /// Database for expert accounts and session records.
    #[arg(
        long,
        env = "LIFELINE_SIGNALING_DATABASE_URL",
        default_value = "sqlite://lifeline-signaling.db?mode=rwc"
    )]
    database_url: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    // Scripts and tests read this line to learn the port.
    println!("listening on {addr}");
    std::io::stdout().flush()?;
    tracing::info!(%addr, database = %args.database_url, "lifeline-signaling started");
    let shutdown = async {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections; open ones may finish");
    };
    lifeline_signaling::serve(listener, lifeline_signaling::Config::default(), shutdown).await?;
    Ok(())
}

/// Ctrl-C, or SIGTERM from systemd and container runtimes.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server")
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
