//! The client's pointer watcher: a thread reads the [`PointerSource`] and
//! turns its events into [`CursorMessage`]s for the `cursor` channel —
//! positions relative to the shared monitor, shapes when they change and,
//! while the pointer moves, again every [`SHAPE_REFRESH`] (the channel
//! never retransmits a lost one).
//! The session engine owns one [`PointerShare`] while `view` is granted and
//! the channel is there; dropping it stops the thread within
//! [`WAKE_INTERVAL`] (it never blocks the engine to join).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::message::CursorMessage;
use super::source::{CursorImage, PointerEvent, PointerSource, PointerSourceFactory};

/// How often the thread looks at its stop flag while the pointer rests.
pub const WAKE_INTERVAL: Duration = Duration::from_millis(100);
/// Positions are sent at most this often (about 125 a second).
pub const MIN_POSITION_INTERVAL: Duration = Duration::from_millis(8);
/// Messages waiting for the channel; a late position is replaced anyway.
pub const QUEUE: usize = 8;
/// The channel never retransmits: while the pointer moves, its shape goes
/// again this often, so a lost one is drawn soon all the same.
pub const SHAPE_REFRESH: Duration = Duration::from_secs(2);

/// The shared monitor's place on the X screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Area {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Area {
    fn position(&self, x: i32, y: i32) -> CursorMessage {
        let (dx, dy) = (x - self.x, y - self.y);
        let inside = |d: i32, size: u32| d >= 0 && i64::from(d) < i64::from(size);
        CursorMessage::Position {
            x: dx,
            y: dy,
            visible: inside(dx, self.width) && inside(dy, self.height),
        }
    }
}

pub struct PointerShare {
    stop: Arc<AtomicBool>,
    area: Arc<Mutex<Area>>,
}

impl std::fmt::Debug for PointerShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointerShare").finish_non_exhaustive()
    }
}

impl PointerShare {
    /// Starts watching with a source from `factory`; messages go to `out`
    /// (the engine's writer for the `cursor` channel).
    pub fn start(
        factory: PointerSourceFactory,
        area: Area,
        out: mpsc::Sender<CursorMessage>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let area = Arc::new(Mutex::new(area));
        let (thread_stop, thread_area) = (Arc::clone(&stop), Arc::clone(&area));
        let spawned =
            std::thread::Builder::new()
                .name("pointer".into())
                .spawn(move || match factory() {
                    Ok(source) => watch(source, &thread_stop, &thread_area, &out),
                    Err(error) => tracing::warn!(%error, "the pointer is not shared"),
                });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no thread for the pointer");
        }
        Self { stop, area }
    }

    /// The shared monitor changed.
    pub fn aim(&self, area: Area) {
        *self.area.lock().unwrap_or_else(|p| p.into_inner()) = area;
    }
}

impl Drop for PointerShare {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The watcher thread: reads `source` and sends what it sees to `out`
/// until `stop` is set, the channel closes or the source fails.
fn watch(
    mut source: Box<dyn PointerSource>,
    stop: &AtomicBool,
    area: &Mutex<Area>,
    out: &mpsc::Sender<CursorMessage>,
) {
    let mut watcher = Watcher::default();
    while !stop.load(Ordering::Relaxed) && !out.is_closed() {
        match source.next(watcher.timeout()) {
            Ok(Some(PointerEvent::Moved { x, y })) => watcher.position_waiting = Some((x, y)),
            Ok(Some(PointerEvent::Shape(image))) => watcher.shape_seen(&image),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "the pointer is no longer shared");
                return;
            }
        }
        watcher.refresh_shape();
        if !watcher.send_shape(out) {
            return;
        }
        let now_area = *area.lock().unwrap_or_else(|p| p.into_inner());
        watcher.aim(now_area);
        watcher.send_position(out, now_area);
    }
}

/// What the watcher thread remembers between events.
#[derive(Default)]
struct Watcher {
    /// The shape last taken in, sent again while the pointer moves.
    last_shape: Option<CursorMessage>,
    /// When a shape last went out.
    shape_sent_at: Option<Instant>,
    /// A shape to send on this turn.
    shape_waiting: Option<CursorMessage>,
    /// The newest position, not sent yet.
    position_waiting: Option<(i32, i32)>,
    /// The last position sent, relative to `last_area`.
    last_sent: Option<(i32, i32)>,
    /// The shared monitor as of the last turn.
    last_area: Area,
    /// When a position last went out.
    sent_at: Option<Instant>,
}

impl Watcher {
    /// How long since a position last went out (long enough if never).
    fn since_sent(&self) -> Duration {
        self.sent_at
            .map_or(MIN_POSITION_INTERVAL, |at| at.elapsed())
    }

    /// How long to wait for the next event: a position held back by the
    /// rate limit waits only that long.
    fn timeout(&self) -> Duration {
        match self.position_waiting {
            Some(_) => MIN_POSITION_INTERVAL.saturating_sub(self.since_sent()),
            None => WAKE_INTERVAL,
        }
    }

    /// The pointer looks like `image` now: a new shape waits to be sent.
    fn shape_seen(&mut self, image: &CursorImage) {
        match CursorMessage::shape(
            image.width,
            image.height,
            image.hot_x,
            image.hot_y,
            &image.rgba,
        ) {
            Some(message) => {
                if self.last_shape.as_ref() != Some(&message) {
                    self.last_shape = Some(message.clone());
                    self.shape_waiting = Some(message);
                }
            }
            None => tracing::debug!(
                width = image.width,
                height = image.height,
                "a cursor image over the limit is not sent"
            ),
        }
    }

    /// While the pointer moves, the last shape goes again every
    /// [`SHAPE_REFRESH`].
    fn refresh_shape(&mut self) {
        if self.shape_waiting.is_none()
            && self.position_waiting.is_some()
            && self
                .shape_sent_at
                .is_some_and(|at| at.elapsed() >= SHAPE_REFRESH)
        {
            self.shape_waiting = self.last_shape.clone();
        }
    }

    /// Sends the waiting shape, if any; `false` when the channel is closed.
    fn send_shape(&mut self, out: &mpsc::Sender<CursorMessage>) -> bool {
        if let Some(shape) = self.shape_waiting.take() {
            match out.try_send(shape) {
                Ok(()) => self.shape_sent_at = Some(Instant::now()),
                // Retried on the next turn: a shape is never skipped.
                Err(mpsc::error::TrySendError::Full(shape)) => self.shape_waiting = Some(shape),
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
            }
        }
        true
    }

    /// Follows the shared monitor to `area`.
    fn aim(&mut self, area: Area) {
        if area != self.last_area {
            self.last_area = area;
            // The same point means something else on another monitor.
            if self.position_waiting.is_none() {
                self.position_waiting = self.last_sent;
            }
            self.last_sent = None;
        }
    }

    /// Sends the waiting position relative to `area`, unless the rate
    /// limit holds it back or it was sent already.
    fn send_position(&mut self, out: &mpsc::Sender<CursorMessage>, area: Area) {
        if let Some((x, y)) = self.position_waiting
            && self.since_sent() >= MIN_POSITION_INTERVAL
        {
            self.position_waiting = None;
            if self.last_sent != Some((x, y)) {
                // A full queue drops this one; a newer one follows.
                if out.try_send(area.position(x, y)).is_ok() {
                    self.last_sent = Some((x, y));
                    self.sent_at = Some(Instant::now());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::source::{FakePointer, FakePointerHandle};
    use super::*;

    const AREA: Area = Area {
        x: 100,
        y: 0,
        width: 50,
        height: 40,
    };

    fn arrow(colour: u8) -> CursorImage {
        CursorImage {
            width: 2,
            height: 2,
            hot_x: 0,
            hot_y: 0,
            rgba: vec![colour; 16],
        }
    }

    fn recv(rx: &mut mpsc::Receiver<CursorMessage>) -> CursorMessage {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(message) = rx.try_recv() {
                return message;
            }
            assert!(Instant::now() < deadline, "no cursor message");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// A share watching a fake pointer: the share, the fake's handle and
    /// the messages.
    fn watched() -> (
        PointerShare,
        FakePointerHandle,
        mpsc::Receiver<CursorMessage>,
    ) {
        let (fake, pointer) = FakePointer::new();
        let (tx, rx) = mpsc::channel(QUEUE);
        let source = Mutex::new(Some(fake));
        let factory: PointerSourceFactory = Arc::new(move || {
            let fake = source.lock().unwrap().take().unwrap();
            Ok(Box::new(fake) as Box<dyn PointerSource>)
        });
        (PointerShare::start(factory, AREA, tx), pointer, rx)
    }

    fn pos(x: i32, y: i32, visible: bool) -> CursorMessage {
        CursorMessage::Position { x, y, visible }
    }

    #[test]
    fn moves_arrive_relative_to_the_shared_monitor() {
        let (share, pointer, mut rx) = watched();
        pointer.send(PointerEvent::Moved { x: 110, y: 5 });
        assert_eq!(recv(&mut rx), pos(10, 5, true));
        pointer.send(PointerEvent::Moved { x: 20, y: 5 });
        assert_eq!(recv(&mut rx), pos(-80, 5, false));
        // Another monitor: the same point is sent again, relative to it.
        share.aim(Area { x: 0, ..AREA });
        pointer.send(PointerEvent::Moved { x: 20, y: 5 });
        assert_eq!(recv(&mut rx), pos(20, 5, true));
        drop(share);
        // The thread ends: the source's handle sees it gone.
        let deadline = Instant::now() + Duration::from_secs(5);
        while pointer.send(PointerEvent::Moved { x: 0, y: 0 }) {
            assert!(Instant::now() < deadline, "the watcher did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_shape_is_sent_once_until_it_changes() {
        let (_share, pointer, mut rx) = watched();
        pointer.send(PointerEvent::Shape(arrow(1)));
        pointer.send(PointerEvent::Shape(arrow(1)));
        pointer.send(PointerEvent::Shape(arrow(2)));
        // A later move proves the repeat was seen and skipped.
        pointer.send(PointerEvent::Moved { x: 101, y: 1 });
        let first = recv(&mut rx);
        let second = recv(&mut rx);
        assert!(
            matches!(first, CursorMessage::Shape { .. })
                && matches!(second, CursorMessage::Shape { .. }),
            "{first:?} {second:?}"
        );
        assert_ne!(first, second);
        assert_eq!(recv(&mut rx), pos(1, 1, true));
        // Oversized images are not sent at all.
        pointer.send(PointerEvent::Shape(CursorImage {
            width: 200,
            height: 1,
            hot_x: 0,
            hot_y: 0,
            rgba: vec![0; 800],
        }));
        pointer.send(PointerEvent::Moved { x: 102, y: 1 });
        assert_eq!(recv(&mut rx), pos(2, 1, true));
    }

    #[test]
    fn a_moving_pointer_sends_its_shape_again_now_and_then() {
        let (_share, pointer, mut rx) = watched();
        pointer.send(PointerEvent::Shape(arrow(1)));
        pointer.send(PointerEvent::Moved { x: 101, y: 1 });
        let shape = recv(&mut rx);
        assert!(matches!(shape, CursorMessage::Shape { .. }), "{shape:?}");
        assert_eq!(recv(&mut rx), pos(1, 1, true));
        std::thread::sleep(SHAPE_REFRESH);
        pointer.send(PointerEvent::Moved { x: 102, y: 1 });
        // A lost shape is made good: it rides again with the next move.
        assert_eq!(recv(&mut rx), shape);
        assert_eq!(recv(&mut rx), pos(2, 1, true));
    }
}
