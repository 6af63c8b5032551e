//! The app's command line: `lifeline [LINK]`, `lifeline client --desk URL
//! [--pin CODE]`, `lifeline expert --desk URL [--pin CODE]`, `--help` and
//! `--version`. A desk named here is for this run: nothing is saved.

use clap::{Args, Parser, Subcommand};

use super::address::DeskAddress;
use crate::desk::tls::ServerPin;

#[derive(Debug, Parser)]
#[command(
    name = "lifeline",
    version,
    about = "Lifeline: remote support, peer to peer.",
    long_about = "Lifeline: remote support, peer to peer.\n\n\
        Without a command the app starts as it last was (or branded for the\n\
        desk its desk.toml names). The person who needs help reads a 6-digit\n\
        ID to the expert, who asks to connect; nothing is shown or controlled\n\
        until that person accepts.",
    after_help = "Files:\n  \
        desk.toml beside the executable, or /etc/lifeline/desk.toml: start\n  \
        as a client branded for that desk (see `man lifeline`).\n\n\
        Environment:\n  \
        LIFELINE_SIGNALING_URL  the desk's WebSocket when none is chosen\n  \
        LIFELINE_SERVER_PIN     the desk's verification code",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    term_width = 80
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A lifeline://get-help?desk=…&pin=… link, as the desktop passes it
    #[arg(
        value_name = "LINK",
        value_parser = parse_link,
        long_help = "A lifeline://get-help?desk=…&pin=… link, as the desktop passes it.\n\
            The app shows the desk it names and asks before trusting it."
    )]
    pub link: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start as the person who needs help, on this desk.
    Client(DeskArgs),
    /// Start as the desk's expert, on this desk.
    Expert(DeskArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DeskArgs {
    /// The desk: https://host (its WebSocket is /ws there) or wss://host/ws.
    #[arg(long, value_name = "URL", value_parser = parse_desk)]
    pub desk: DeskAddress,
    /// The desk's verification code (64 hexadecimal digits): trust its key
    /// and no other.
    #[arg(long, value_name = "CODE", value_parser = parse_pin)]
    pub pin: Option<ServerPin>,
}

fn parse_desk(text: &str) -> Result<DeskAddress, String> {
    text.parse().map_err(|e| format!("{e}"))
}

/// Only the scheme is checked here: a flawed `lifeline://` link is shown,
/// with its flaw, by the app (the desktop gives a user no terminal).
fn parse_link(text: &str) -> Result<String, String> {
    if super::link::is_link(text) {
        Ok(text.to_owned())
    } else {
        Err("not a command, and not a lifeline:// link".into())
    }
}

fn parse_pin(text: &str) -> Result<ServerPin, String> {
    text.parse().map_err(|e| format!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("lifeline").chain(args.iter().copied()))
    }

    #[test]
    fn each_command_takes_its_desk() {
        let pin = "ab".repeat(32);
        let cli = parse(&[
            "client",
            "--desk",
            "https://help.example.com",
            "--pin",
            &pin,
        ])
        .unwrap();
        let Some(Command::Client(args)) = cli.command else {
            panic!("not a client: {cli:?}")
        };
        assert_eq!(args.desk.websocket(), "wss://help.example.com/ws");
        assert_eq!(args.pin.unwrap().to_string(), pin);
        let cli = parse(&["expert", "--desk", "ws://127.0.0.1:7890/ws"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Expert(DeskArgs { pin: None, .. }))
        ));
        let cli = parse(&["lifeline://get-help?desk=x"]).unwrap();
        assert_eq!(cli.link.as_deref(), Some("lifeline://get-help?desk=x"));
        assert!(parse(&[]).unwrap().command.is_none());
    }

    #[test]
    fn a_bad_desk_or_code_is_refused_before_anything_starts() {
        assert!(parse(&["client"]).is_err());
        assert!(parse(&["client", "--desk", "ftp://x"]).is_err());
        assert!(parse(&["expert", "--desk", "https://x", "--pin", "123"]).is_err());
        assert!(parse(&["client", "--desk", "https://x", "lifeline://get-help"]).is_err());
        assert!(parse(&["share"]).is_err());
    }
}
