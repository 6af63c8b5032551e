//! `/get-help`: the page a desk links from its website. It offers the
//! installers, the link that opens the installed app for this desk, and
//! the verification code to compare. No script; maud escapes every value.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::downloads::Installer;
use crate::protocol::client_card::ClientCard;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2330}\
    header{display:flex;align-items:center;gap:1rem}header img{max-height:64px;max-width:240px}\
    ol>li{margin:1.25rem 0}a.open{display:inline-block;padding:.6rem 1.2rem;background:#1f6feb;color:#fff;border-radius:6px;text-decoration:none;font-weight:600}\
    code{word-break:break-all;background:#f1f3f6;padding:.1rem .3rem;border-radius:4px}.small{color:#5a6270;font-size:.9rem}";

pub fn render(card: &ClientCard, link: Option<&str>, installers: &[Installer]) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Get help from " (card.name) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    @if let Some(logo) = &card.logo { img #logo src=(logo) alt=""; }
                    h1 #desk-name { "Get help from " (card.name) }
                }
                ol {
                    li #install {
                        strong { "Install Lifeline." }
                        @if installers.is_empty() {
                            " Ask " (card.name) " for the installer for your computer."
                        } @else {
                            ul {
                                @for installer in installers {
                                    li {
                                        a href={ "/downloads/" (installer.name) } download { (installer.name) }
                                        " · " (installer.platform) " · " (megabytes(installer.bytes))
                                    }
                                }
                            }
                        }
                    }
                    li #open {
                        strong { "Open Lifeline for " (card.name) "." }
                        @if let Some(link) = link {
                            p { a.open #help-link href=(link) { "Open Lifeline" } }
                            p.small { "Lifeline shows this desk's name and asks you before it trusts it." }
                        } @else {
                            p { "Start Lifeline, choose " em { "I need help" } ", and check that it says " code { (card.desk) } "." }
                        }
                    }
                    li { strong { "Click " em { "Get ID" } " and read the six digits to the expert." }
                        " Nothing on your computer is shown or controlled until you accept, and you can stop at any moment." }
                }
                @if let Some(pin) = &card.pin {
                    p.small #code { "This desk's verification code: " code { (pin) } }
                }
                p.small { "For administrators: " a href="/client-config?format=toml" download="desk.toml" { "desk.toml" }
                    " makes an installed Lifeline start as this desk's client (beside the executable, or in /etc/lifeline/)." }
            }
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}
