//! `lifeline-signaling`: the support desk's signaling server, and the
//! administration of its expert accounts.

mod admin;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lifeline_signaling::Config;
use lifeline_signaling::config::FileConfig;
use lifeline_signaling::http::Server;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(version, about = "Lifeline's signaling server")]
struct Args {
    /// TOML configuration file; flags and environment variables win over it.
    #[arg(long, env = "LIFELINE_SIGNALING_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Database for expert accounts and session records (sqlx URL).
    #[arg(long, env = "LIFELINE_SIGNALING_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Redis shared by this desk's nodes: set it to run several nodes
    /// behind a load balancer (`docs/deploy-signaling.md`).
    #[arg(long, env = "LIFELINE_SIGNALING_REDIS_URL", global = true)]
    redis_url: Option<String>,
    /// This node's name in logs and metrics [default: the host's name].
    #[arg(long, env = "LIFELINE_SIGNALING_NODE_NAME")]
    node_name: Option<String>,
    /// Address to listen on [default: 127.0.0.1:7890].
    #[arg(long, env = "LIFELINE_SIGNALING_LISTEN")]
    listen: Option<SocketAddr>,
    /// Seconds a client has to answer a connect request [default: 300].
    #[arg(long, env = "LIFELINE_SIGNALING_CONSENT_TIMEOUT_SECS")]
    consent_timeout_secs: Option<u64>,
    /// Record every session: each expert's app records what it sees of the
    /// client's screen, and the client is told before it answers.
    #[arg(long, env = "LIFELINE_SIGNALING_RECORD_SESSIONS")]
    record_sessions: bool,
    /// Seconds a client ID stays valid [default and most: 3600]. Shorter
    /// only: for demonstrations and tests of expiry.
    #[arg(long, env = "LIFELINE_SIGNALING_ID_LIFETIME_SECS")]
    id_lifetime_secs: Option<u64>,
    /// Most open connections from one IP address [default: 64].
    #[arg(long, env = "LIFELINE_SIGNALING_MAX_CONNECTIONS_PER_IP")]
    max_connections_per_ip: Option<u32>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Manage the desk's expert accounts.
    #[command(subcommand)]
    Expert(admin::ExpertCommand),
}

const DEFAULT_LISTEN: &str = "127.0.0.1:7890";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let mut config = Config::default();
    let mut listen = None;
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file = FileConfig::parse(&text).with_context(|| format!("in {}", path.display()))?;
        listen = file.listen;
        file.apply(&mut config);
    }
    if let Some(url) = args.database_url {
        config.database_url = url;
    }
    if let Some(secs) = args.consent_timeout_secs {
        config.consent_timeout = std::time::Duration::from_secs(secs);
    }
    if args.record_sessions {
        config.record_sessions = true;
    }
    if let Some(secs) = args.id_lifetime_secs {
        let asked = std::time::Duration::from_secs(secs.max(1));
        config.id_lifetime = asked.min(lifeline_signaling::ids::ID_LIFETIME);
        if asked > lifeline_signaling::ids::ID_LIFETIME {
            tracing::warn!(secs, "an ID is valid for at most one hour; using 3600 s");
        }
    }
    if let Some(max) = args.max_connections_per_ip {
        config.limits.max_connections_per_ip = max;
    }
    if let Some(url) = args.redis_url.filter(|u| !u.is_empty()) {
        let prefix = config.cluster.take().map(|c| c.key_prefix);
        let mut cluster = lifeline_signaling::config::ClusterConfig::new(url);
        cluster.key_prefix = prefix.unwrap_or(cluster.key_prefix);
        config.cluster = Some(cluster);
    }
    if let (Some(cluster), Some(name)) = (config.cluster.as_mut(), args.node_name) {
        cluster.node_name = name;
    }
    match args.command {
        Some(Command::Expert(command)) => admin::run(command, &config.database_url).await,
        None => {
            let listen = args
                .listen
                .or(listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default"));
            serve(listen, config).await
        }
    }
}

async fn serve(listen: SocketAddr, config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "lifeline-signaling starting");
    let shutdown = async {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections; open ones may finish");
    };
    let server = Server::open(config).await?;
    // Scripts and tests read this line to learn the port; the database is
    // open by now, so connections will be served.
    println!("listening on {addr}");
    std::io::stdout().flush()?;
    server.run(listener, shutdown).await?;
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
