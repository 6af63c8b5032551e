//! The client's pointer in the engine: it is watched and sent on the
//! `cursor` channel while `view` is granted and the channel is there, and
//! follows the monitor being shared. The engine owns the watcher
//! ([`crate::cursor::share::PointerShare`]) in its `ClientLive`; dropping it
//! stops the watcher.

use super::{Engine, Live, channels};
use crate::cursor::share::{Area, PointerShare};
use crate::media::capture::MonitorInfo;

impl Engine {
    /// Client: the expert's cursor channel arrived.
    pub(super) fn take_cursor_channel(&mut self, channel: crate::peer::Channel) {
        let Some(client) = self.live.as_mut().and_then(Live::client_mut) else {
            return;
        };
        if client.cursor_out.is_some() {
            return;
        }
        client.cursor_out = Some(channels::send_cursor(channel));
        self.start_pointer();
    }

    /// Client: starts watching the pointer once the screen is shared and
    /// the cursor channel is there.
    pub(super) fn start_pointer(&mut self) {
        let Some(client) = self.live.as_mut().and_then(Live::client_mut) else {
            return;
        };
        let (Some(out), Some(share), None) = (&client.cursor_out, &client.share, &client.pointer)
        else {
            return;
        };
        let Some(factory) = self.backends.pointer.source.clone() else {
            return;
        };
        let area = area_of(&client.monitors, share.monitor());
        client.pointer = Some(PointerShare::start(factory, area, out.clone()));
    }

    /// Client: the shared monitor changed (or the monitors were listed).
    pub(super) fn aim_pointer(&self, monitor: usize) {
        let Some(client) = self.live.as_ref().and_then(Live::client) else {
            return;
        };
        if let Some(pointer) = &client.pointer {
            pointer.aim(area_of(&client.monitors, monitor));
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
