//! The client's pointer in the engine: it is watched and sent on the
//! `cursor` channel while `view` is granted and the channel is there, and
//! follows the monitor being shared. The engine owns the watcher
//! ([`crate::cursor::share::PointerShare`]) in `Live::pointer`; dropping it
//! stops the watcher.

use super::{Engine, channels};
use crate::cursor::share::{Area, PointerShare};
use crate::media::capture::MonitorInfo;

impl Engine {
    /// Client: the expert's cursor channel arrived.
    pub(super) fn take_cursor_channel(&mut self, channel: crate::peer::Channel) {
        let Some(live) = &mut self.live else { return };
        if live.cursor_out.is_some() {
            return;
        }
        live.cursor_out = Some(channels::send_cursor(channel));
        self.start_pointer();
    }

    /// Client: starts watching the pointer once the screen is shared and
    /// the cursor channel is there.
    pub(super) fn start_pointer(&mut self) {
        let Some(live) = &mut self.live else { return };
        let (Some(out), Some(share), None) = (&live.cursor_out, &live.share, &live.pointer) else {
            return;
        };
        let Some(factory) = self.backends.pointer.source.clone() else {
            return;
        };
        let area = area_of(&live.monitors, share.monitor());
        live.pointer = Some(PointerShare::start(factory, area, out.clone()));
    }

    /// Client: the shared monitor changed (or the monitors were listed).
    pub(super) fn aim_pointer(&self, monitor: usize) {
        let Some(live) = &self.live else { return };
        if let Some(pointer) = &live.pointer {
            pointer.aim(area_of(&live.monitors, monitor));
        }
    }
}

fn area_of(monitors: &[MonitorInfo], index: usize) -> Area {
    monitors.get(index).map_or_else(Area::default, |m| Area {
        x: m.x,
        y: m.y,
        width: m.width,
        height: m.height,
    })
}
