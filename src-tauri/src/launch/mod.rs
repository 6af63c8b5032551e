//! How this run of the app starts: as it last was, or on a desk the
//! command line, a desk file or a "get help" link names.
//!
//! - [`cli`]: `lifeline client --desk URL [--pin CODE]`, `expert`, a link
//!   as the argument, `--help` and `--version`.
//! - [`desk_file`]: `desk.toml`, beside the executable or in the system's
//!   place: a client branded for its desk, with its key pinned.
//! - [`link`]: `lifeline://get-help?desk=…&pin=…`, trusted only once the
//!   user has seen the desk's [`card`] and said yes.
//! - [`address`] and [`brand`]: a desk's address, and its name and logo.
//!
//! A desk chosen here is for this run: nothing is saved in Settings.

pub mod address;
pub mod brand;
pub mod card;
pub mod cli;
pub mod desk_file;
pub mod held;
pub mod link;

use std::path::PathBuf;

use address::DeskAddress;
use brand::Brand;
use desk_file::BadDeskFile;
use link::{HelpLink, LinkError};

use crate::desk::tls::ServerPin;
use crate::settings::Mode;

/// A desk this run is held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchDesk {
    pub address: DeskAddress,
    pub pin: Option<ServerPin>,
    /// Set for a branded client (a desk file, a trusted link).
    pub brand: Option<Brand>,
    pub source: DeskSource,
}

/// Where a [`LaunchDesk`] came from, as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskSource {
    File(PathBuf),
    CommandLine,
    Link,
}

/// What the command line and the desk files decided.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// The mode this run is held to; the saved one when `None`.
    pub mode: Option<Mode>,
    pub desk: Option<LaunchDesk>,
    /// A link to show the user, or why it was refused.
    pub link: Option<Result<HelpLink, LinkError>>,
    /// A desk file that was found but cannot be used.
    pub bad_desk_file: Option<BadDeskFile>,
}

impl Launch {
    /// What `cli` asks for, with the desk files in `candidates` when it
    /// names no desk of its own.
    pub fn decide(cli: cli::Cli, candidates: &[PathBuf]) -> Self {
        let held = |mode, args: cli::DeskArgs| Launch {
            mode: Some(mode),
            desk: Some(LaunchDesk {
                address: args.desk,
                pin: args.pin,
                brand: None,
                source: DeskSource::CommandLine,
            }),
            ..Launch::default()
        };
        match cli.command {
            Some(cli::Command::Client(args)) => return held(Mode::Client, args),
            Some(cli::Command::Expert(args)) => return held(Mode::Expert, args),
            None => {}
        }
        let mut launch = match desk_file::find(candidates) {
            Some(Ok(desk)) => Launch {
                mode: Some(Mode::Client),
                desk: Some(desk),
                ..Launch::default()
            },
            Some(Err(bad)) => Launch {
                bad_desk_file: Some(bad),
                ..Launch::default()
            },
            None => Launch::default(),
        };
        // A link asks for another desk than the file's; the user decides.
        launch.link = cli.link.as_deref().map(HelpLink::parse);
        launch
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn decide(args: &[&str], candidates: &[PathBuf]) -> Launch {
        let cli = cli::Cli::try_parse_from(std::iter::once("lifeline").chain(args.iter().copied()))
            .unwrap();
        Launch::decide(cli, candidates)
    }

    #[test]
    fn the_command_line_wins_over_a_desk_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("desk.toml");
        std::fs::write(
            &file,
            "name = \"Acme\"\ndesk = \"https://help.acme.example\"\n",
        )
        .unwrap();
        let launch = decide(
            &["expert", "--desk", "https://other.example"],
            std::slice::from_ref(&file),
        );
        assert_eq!(launch.mode, Some(Mode::Expert));
        let desk = launch.desk.unwrap();
        assert_eq!(
            (desk.address.host(), desk.source),
            ("other.example".to_owned(), DeskSource::CommandLine)
        );

        let launch = decide(&[], std::slice::from_ref(&file));
        assert_eq!(launch.mode, Some(Mode::Client));
        assert_eq!(launch.desk.unwrap().brand.unwrap().name, "Acme");
        assert!(launch.link.is_none());
    }

    #[test]
    fn without_either_the_app_starts_as_it_was() {
        let launch = decide(&[], &[PathBuf::from("/nonexistent/desk.toml")]);
        assert_eq!(
            (launch.mode, launch.desk, launch.bad_desk_file),
            (None, None, None)
        );
        let launch = decide(&["lifeline://get-help?desk=https://x.example&pin=12"], &[]);
        assert_eq!(launch.link.unwrap().unwrap_err().code(), "link_bad_pin");
    }
}
