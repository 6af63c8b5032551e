//! The client's end of remote control: one thread that owns the injector,
//! aims pointer positions at the shared monitor, and remembers what it
//! holds down so it can let go of everything when control ends.
//!
//! The session engine decides *whether* an event may be injected (the
//! `control` scope); this only carries out what it is given.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::event::{InputEvent, MouseButton, SpecialAction};
use super::injector::{InjectError, Injector, InjectorFactory};
use super::keymap::evdev_code;

/// Where pointer fractions land: a monitor's rectangle on the desktop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Target {
    /// Desktop pixels for a position given as fractions of the monitor.
    pub fn pixel(&self, fx: f32, fy: f32) -> (i32, i32) {
        let along = |origin: i32, size: u32, f: f32| {
            let last = size.saturating_sub(1) as f32;
            origin + (f.clamp(0.0, 1.0) * last).round() as i32
        };
        (
            along(self.x, self.width, fx),
            along(self.y, self.height, fy),
        )
    }
}

enum Job {
    Event(InputEvent),
    Aim(Target),
    ReleaseAll,
}

/// An injector that took longer than this to make waited on a person:
/// the input queued meanwhile is stale.
const STALE_AFTER: Duration = Duration::from_millis(500);

/// Told, once, why the desktop's input cannot be reached (its own dialog
/// declined, say): remote control has stopped.
pub type OnUnavailable = Box<dyn FnOnce(InjectError) + Send>;

/// Dropping it lets go of everything held and ends the thread.
#[derive(Debug)]
pub struct RemoteControl {
    jobs: mpsc::Sender<Job>,
}

impl RemoteControl {
    pub fn start(factory: InjectorFactory, target: Target, unavailable: OnUnavailable) -> Self {
        let (jobs, inbox) = mpsc::channel();
        let spawned = thread::Builder::new()
            .name("remote-control".into())
            .spawn(move || run(factory, target, inbox, unavailable));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the remote control thread");
        }
        Self { jobs }
    }

    pub fn apply(&self, event: InputEvent) {
        let _ = self.jobs.send(Job::Event(event));
    }

    /// Aims later pointer positions at another monitor.
    pub fn aim(&self, target: Target) {
        let _ = self.jobs.send(Job::Aim(target));
    }

    pub fn release_all(&self) {
        let _ = self.jobs.send(Job::ReleaseAll);
    }
}

impl Drop for RemoteControl {
    fn drop(&mut self) {
        // The thread releases what it holds when its inbox closes.
        let _ = self.jobs.send(Job::ReleaseAll);
    }
}

fn run(
    factory: InjectorFactory,
    mut target: Target,
    inbox: mpsc::Receiver<Job>,
    unavailable: OnUnavailable,
) {
    let making = Instant::now();
    let injector = match factory() {
        Ok(injector) => injector,
        Err(error) => {
            tracing::error!(%error, "remote control is unavailable");
            unavailable(error);
            return;
        }
    };
    // Making the injector can wait on a person (a desktop's own dialog):
    // input sent meanwhile is stale, and is dropped rather than replayed
    // all at once. A quick start keeps what came with it.
    if making.elapsed() > STALE_AFTER {
        let mut stale = 0;
        while let Ok(job) = inbox.try_recv() {
            match job {
                Job::Aim(aim) => target = aim,
                Job::Event(_) | Job::ReleaseAll => stale += 1,
            }
        }
        tracing::info!(
            stale,
            "input sent while remote control was being allowed dropped"
        );
    }
    let mut hands = Hands::new(injector, target);
    for job in inbox.iter() {
        let result = match job {
            Job::Event(event) => hands.apply(event),
            Job::Aim(target) => {
                hands.target = target;
                Ok(())
            }
            Job::ReleaseAll => hands.release_all(),
        };
        match result {
            Ok(()) => {}
            // The desktop's input went away (the person stopped it from
            // the desktop, say): nothing more can be injected.
            Err(error @ InjectError::Unavailable(_)) => {
                tracing::error!(%error, "remote control is no longer available");
                unavailable(error);
                return;
            }
            Err(error) => tracing::warn!(%error, "remote input not injected"),
        }
    }
    if let Err(error) = hands.release_all() {
        tracing::warn!(%error, "held input not released");
    }
}

/// The injector plus what it is holding down.
pub(crate) struct Hands {
    injector: Box<dyn Injector>,
    target: Target,
    keys: Vec<u16>,
    buttons: Vec<MouseButton>,
}

impl Hands {
    pub(crate) fn new(injector: Box<dyn Injector>, target: Target) -> Self {
        Self {
            injector,
            target,
            keys: Vec::new(),
            buttons: Vec::new(),
        }
    }

    pub(crate) fn apply(&mut self, event: InputEvent) -> Result<(), InjectError> {
        match event {
            InputEvent::Move { x, y } => {
                let (x, y) = self.target.pixel(x, y);
                self.injector.pointer_to(x, y)
            }
            InputEvent::Button { button, down } => {
                let held = self.buttons.contains(&button);
                if down == held && !down {
                    return Ok(()); // a release for a press we never made
                }
                self.injector.button(button, down)?;
                self.buttons.retain(|b| *b != button);
                if down {
                    self.buttons.push(button);
                }
                Ok(())
            }
            InputEvent::Wheel { dx, dy } => self.injector.wheel(dx, dy),
            InputEvent::Key { code, down } => {
                let Some(evdev) = evdev_code(&code) else {
                    return Err(InjectError::Failed(format!("unknown key code {code:?}")));
                };
                self.key(evdev, down)
            }
            InputEvent::Text { text } => self.injector.text(&text),
            InputEvent::Special { action } => self.special(action),
            InputEvent::ReleaseAll => self.release_all(),
        }
    }

    fn key(&mut self, evdev: u16, down: bool) -> Result<(), InjectError> {
        let held = self.keys.contains(&evdev);
        if !down && !held {
            return Ok(());
        }
        self.injector.key(evdev, down)?;
        self.keys.retain(|k| *k != evdev);
        if down {
            self.keys.push(evdev);
        }
        Ok(())
    }

    /// Presses the keys in order and releases them in reverse.
    fn chord(&mut self, codes: &[&str]) -> Result<(), InjectError> {
        let keys: Vec<u16> = codes.iter().filter_map(|c| evdev_code(c)).collect();
        for &key in &keys {
            self.key(key, true)?;
        }
        for &key in keys.iter().rev() {
            self.key(key, false)?;
        }
        Ok(())
    }

    fn special(&mut self, action: SpecialAction) -> Result<(), InjectError> {
        match action {
            SpecialAction::CtrlAltDel => self.chord(&["ControlLeft", "AltLeft", "Delete"]),
            SpecialAction::AltTab => self.chord(&["AltLeft", "Tab"]),
            SpecialAction::Super => self.chord(&["MetaLeft"]),
            SpecialAction::PrintScreen => self.chord(&["PrintScreen"]),
        }
    }

    /// Lets go of every key and button, newest first; keeps going past
    /// failures so one stuck key does not keep the others down.
    pub(crate) fn release_all(&mut self) -> Result<(), InjectError> {
        let mut first_error = None;
        while let Some(key) = self.keys.pop() {
            if let Err(error) = self.injector.key(key, false) {
                first_error.get_or_insert(error);
            }
        }
        while let Some(button) = self.buttons.pop() {
            if let Err(error) = self.injector.button(button, false) {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records what would have been injected.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Injector for Recorder {
        fn pointer_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
            self.0.lock().unwrap().push(format!("move {x},{y}"));
            Ok(())
        }
        fn button(&mut self, button: MouseButton, down: bool) -> Result<(), InjectError> {
            self.0.lock().unwrap().push(format!("{button:?} {down}"));
            Ok(())
        }
        fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
            self.0.lock().unwrap().push(format!("wheel {dx},{dy}"));
            Ok(())
        }
        fn key(&mut self, evdev: u16, down: bool) -> Result<(), InjectError> {
            self.0.lock().unwrap().push(format!("key {evdev} {down}"));
            Ok(())
        }
        fn text(&mut self, text: &str) -> Result<(), InjectError> {
            self.0.lock().unwrap().push(format!("text {text}"));
            Ok(())
        }
    }

    const SECOND_MONITOR: Target = Target {
        x: 1920,
        y: 0,
        width: 1280,
        height: 1024,
    };

    fn hands() -> (Hands, Recorder) {
        let recorder = Recorder::default();
        (
            Hands::new(Box::new(recorder.clone()), SECOND_MONITOR),
            recorder,
        )
    }

    fn log(recorder: &Recorder) -> Vec<String> {
        std::mem::take(&mut *recorder.0.lock().unwrap())
    }

    #[test]
    fn fractions_land_on_the_chosen_monitor() {
        assert_eq!(SECOND_MONITOR.pixel(0.0, 0.0), (1920, 0));
        assert_eq!(SECOND_MONITOR.pixel(1.0, 1.0), (1920 + 1279, 1023));
        assert_eq!(SECOND_MONITOR.pixel(0.5, 0.5), (1920 + 640, 512));
        let (mut hands, recorder) = hands();
        hands.apply(InputEvent::Move { x: 0.25, y: 0.75 }).unwrap();
        assert_eq!(log(&recorder), ["move 2240,767"]);
    }

    #[test]
    fn keys_go_by_physical_code_and_unknown_codes_are_refused() {
        let (mut hands, recorder) = hands();
        let key = |code: &str, down| InputEvent::Key {
            code: code.into(),
            down,
        };
        hands.apply(key("KeyH", true)).unwrap();
        hands.apply(key("KeyH", false)).unwrap();
        assert_eq!(log(&recorder), ["key 35 true", "key 35 false"]);
        assert!(hands.apply(key("NoSuchKey", true)).is_err());
        // A release for a key never pressed injects nothing.
        hands.apply(key("KeyQ", false)).unwrap();
        assert!(log(&recorder).is_empty());
    }

    #[test]
    fn releasing_all_lets_go_of_what_is_held_newest_first() {
        let (mut hands, recorder) = hands();
        for code in ["ShiftLeft", "KeyA"] {
            hands
                .apply(InputEvent::Key {
                    code: code.into(),
                    down: true,
                })
                .unwrap();
        }
        hands
            .apply(InputEvent::Button {
                button: MouseButton::Left,
                down: true,
            })
            .unwrap();
        log(&recorder);
        hands.apply(InputEvent::ReleaseAll).unwrap();
        assert_eq!(
            log(&recorder),
            ["key 30 false", "key 42 false", "Left false"]
        );
        hands.apply(InputEvent::ReleaseAll).unwrap();
        assert!(log(&recorder).is_empty(), "nothing is held twice");
    }

    #[test]
    fn special_actions_press_and_release_in_order() {
        let (mut hands, recorder) = hands();
        hands
            .apply(InputEvent::Special {
                action: SpecialAction::CtrlAltDel,
            })
            .unwrap();
        assert_eq!(
            log(&recorder),
            [
                "key 29 true",
                "key 56 true",
                "key 111 true",
                "key 111 false",
                "key 56 false",
                "key 29 false"
            ]
        );
    }

    /// While the injector is being made (a desktop's dialog waiting for
    /// its user), input piles up; it is dropped, and what comes after is
    /// injected, aimed where the last aim said.
    #[test]
    fn input_sent_while_the_injector_is_made_is_dropped() {
        let recorder = Recorder::default();
        let (allow, allowed) = mpsc::channel::<()>();
        let allowed = Mutex::new(allowed);
        let made = recorder.clone();
        let factory: InjectorFactory = Arc::new(move || {
            let _ = allowed.lock().unwrap().recv();
            Ok(Box::new(made.clone()) as Box<dyn Injector>)
        });
        let first = Target {
            x: 0,
            y: 0,
            width: 100,
            height: 100,
        };
        let control = RemoteControl::start(factory, first, Box::new(|_| {}));
        control.apply(InputEvent::Move { x: 0.5, y: 0.5 });
        control.aim(SECOND_MONITOR);
        // The person takes their time with the dialog.
        std::thread::sleep(STALE_AFTER + std::time::Duration::from_millis(100));
        allow.send(()).unwrap();
        // Moves until one is injected: a move sent just as the injector
        // became ready may count as stale too.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while recorder.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "nothing injected");
            control.apply(InputEvent::Move { x: 0.0, y: 0.0 });
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let injected = log(&recorder);
        assert_eq!(injected[0], "move 1920,0", "the stale move was dropped");
    }

    /// An injector made at once keeps the input that came with it (a
    /// burst the network delivered together, say).
    #[test]
    fn input_sent_while_a_quick_injector_is_made_is_kept() {
        let recorder = Recorder::default();
        let made = recorder.clone();
        let factory: InjectorFactory =
            Arc::new(move || Ok(Box::new(made.clone()) as Box<dyn Injector>));
        let control = RemoteControl::start(factory, SECOND_MONITOR, Box::new(|_| {}));
        for _ in 0..20 {
            control.apply(InputEvent::Move { x: 0.0, y: 0.0 });
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while recorder.0.lock().unwrap().len() < 20 {
            assert!(std::time::Instant::now() < deadline, "input was dropped");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// An input system that is gone: the desktop closed its session.
    struct Gone;

    impl Injector for Gone {
        fn pointer_to(&mut self, _: i32, _: i32) -> Result<(), InjectError> {
            Err(InjectError::Unavailable("the session was closed".into()))
        }
        fn button(&mut self, _: MouseButton, _: bool) -> Result<(), InjectError> {
            unreachable!("control stopped at the first failure")
        }
        fn wheel(&mut self, _: i32, _: i32) -> Result<(), InjectError> {
            unreachable!("control stopped at the first failure")
        }
        fn key(&mut self, _: u16, _: bool) -> Result<(), InjectError> {
            unreachable!("control stopped at the first failure")
        }
        fn text(&mut self, _: &str) -> Result<(), InjectError> {
            unreachable!("control stopped at the first failure")
        }
    }

    /// Starts control with `factory` and returns what it was told about
    /// the desktop's input, after `events` were sent.
    fn told_unavailable(factory: InjectorFactory, events: Vec<InputEvent>) -> InjectError {
        let (tell, told) = mpsc::channel();
        let control = RemoteControl::start(
            factory,
            SECOND_MONITOR,
            Box::new(move |error| tell.send(error).unwrap()),
        );
        for event in events {
            control.apply(event);
        }
        let error = told
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("told that control is unavailable");
        assert!(told.recv().is_err(), "told once, and the thread ended");
        error
    }

    /// A desktop that declines its own dialog: the engine is told why.
    #[test]
    fn a_declined_desktop_is_reported() {
        let declined = InjectError::Unavailable("declined".into());
        let refusal = declined.clone();
        let factory: InjectorFactory = Arc::new(move || Err(refusal.clone()));
        assert_eq!(told_unavailable(factory, Vec::new()), declined);
    }

    /// Input that went away under a running control is reported once, and
    /// the rest is not tried.
    #[test]
    fn input_gone_mid_session_is_reported_once() {
        let factory: InjectorFactory = Arc::new(|| Ok(Box::new(Gone) as Box<dyn Injector>));
        let events = vec![
            InputEvent::Move { x: 0.5, y: 0.5 },
            InputEvent::Key {
                code: "KeyA".into(),
                down: true,
            },
        ];
        let error = told_unavailable(factory, events);
        assert!(error.to_string().contains("closed"), "{error}");
    }
}
