//! A scenario on a headless Wayland desktop (`lifeline_e2e::wayland`: sway,
//! PipeWire, the desktop portal with its wlroots backend), its X clients
//! drawn through Xwayland, shared through the portal: Lifeline's pipeline
//! as the app runs it on Wayland, and GStreamer's `pipewiresrc` on a cast
//! of the same output.

use lifeline_e2e::wayland::Desktop;
use lifeline_lib::media::portal::{Cast, CastOptions};

use super::child::run_lifeline;
use super::figures::Figures;
use super::gstreamer;
use super::scenario::Scenario;

/// Lifeline's figures and GStreamer's (None when its pipeline failed).
pub fn run(scenario: Scenario, width: u32, height: u32) -> (Figures, Option<Figures>) {
    let desktop = Desktop::start_with_xwayland(width, height, "#000000")
        .unwrap_or_else(|e| panic!("the Wayland desktop did not start: {e:#}"));
    let x = desktop
        .x_display()
        .expect("a desktop with Xwayland")
        .to_owned();
    let _actors = scenario.stage(&x);
    let (left, top) = scenario.origin();
    desktop
        .swaymsg(&[
            "[shell=xwayland]",
            "move",
            "absolute",
            "position",
            &left.to_string(),
            &top.to_string(),
        ])
        .unwrap_or_else(|e| panic!("the scenario's window did not move: {e:#}"));
    let env: Vec<(&str, String)> = desktop.env().to_vec();
    let ours = run_lifeline("wayland", &env);
    let theirs = pipewiresrc(&desktop, &env);
    (ours, theirs)
}

/// The baseline holds its own cast, asked for as any program would ask.
fn pipewiresrc(desktop: &Desktop, env: &[(&str, String)]) -> Option<Figures> {
    let options = CastOptions {
        bus: Some(desktop.var("DBUS_SESSION_BUS_ADDRESS").to_owned()),
        token_file: None,
    };
    let cast = match Cast::open(&options) {
        Ok(cast) => cast,
        Err(error) => {
            eprintln!("gstreamer: no cast for pipewiresrc: {error}");
            return None;
        }
    };
    let node = cast.streams.first()?.node;
    gstreamer::on_pipewire(node, env)
}
