//! `lifeline-signaling expert …`: account administration on the server's
//! database, for the desk's administrator at a shell.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;
use lifeline_signaling::accounts::{AccountRole, Accounts};
use lifeline_signaling::{db, report};

#[derive(Debug, Subcommand)]
pub enum ExpertCommand {
    /// Add an expert. The password is read from standard input.
    Add {
        /// The sign-in name: ASCII letters, digits, '.', '_', '-', '@',
        /// starting with a letter or digit.
        username: String,
        /// The name clients see in the connection request: unique (ignoring
        /// case and spacing), at most 64 characters, no control or
        /// invisible characters.
        #[arg(long)]
        display_name: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make the account an admin, who reads every expert's sessions
        /// and the audit log.
        #[arg(long)]
        admin: bool,
    },
    /// Set an account's role: `admin` reads every expert's sessions and
    /// the audit log, `expert` only their own sessions.
    Role {
        username: String,
        #[arg(value_parser = ["admin", "expert"])]
        role: String,
    },
    /// Remove an expert and sign them out everywhere; their records stay.
    Remove { username: String },
    /// List the experts.
    List,
    /// Set a new password (read from standard input) and sign the expert
    /// out everywhere.
    Passwd {
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub async fn run(command: ExpertCommand, database_url: &str) -> anyhow::Result<()> {
    let pool = db::open(database_url).await?;
    // The idle limit does not matter for administration.
    let accounts = Accounts::new(pool, std::time::Duration::from_secs(1));
    match command {
        ExpertCommand::Add {
            username,
            display_name,
            admin,
            ..
        } => {
            let password = read_password()?;
            let role = if admin {
                AccountRole::Admin
            } else {
                AccountRole::Expert
            };
            accounts
                .add_with_role(&username, &display_name, &password, role)
                .await?;
            println!("added {} {username} ({display_name})", role.as_str());
        }
        ExpertCommand::Role { username, role } => {
            let role: AccountRole = role.parse()?;
            accounts.set_role(&username, role).await?;
            println!("{username} is now {}", role.as_str());
        }
        ExpertCommand::Remove { username } => {
            accounts.remove(&username).await?;
            println!("removed expert {username}");
        }
        ExpertCommand::List => {
            for expert in accounts.list().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    expert.username,
                    expert.display_name,
                    expert.role.as_str(),
                    report::format_time(expert.created_at_ms)
                );
            }
        }
        ExpertCommand::Passwd { username, .. } => {
            let password = read_password()?;
            accounts.set_password(&username, &password).await?;
            println!("password changed for {username}; their sign-ins were revoked");
        }
    }
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}
