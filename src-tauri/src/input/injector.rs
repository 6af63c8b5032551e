//! The seam between remote control and the platform: an [`Injector`] makes
//! the client's system believe a mouse and keyboard did something. The real
//! backend is [`super::enigo_injector`]; tests use a recording fake.

use super::event::MouseButton;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InjectError {
    #[error("cannot reach the input system: {0}")]
    Unavailable(String),
    #[error("input was not injected: {0}")]
    Failed(String),
}

/// Injects input on the client's desktop. Runs on one dedicated thread.
pub trait Injector: Send {
    /// Moves the pointer to (`x`, `y`) in desktop pixels.
    fn pointer_to(&mut self, x: i32, y: i32) -> Result<(), InjectError>;
    fn button(&mut self, button: MouseButton, down: bool) -> Result<(), InjectError>;
    /// Wheel steps: positive `dy` down, positive `dx` right.
    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InjectError>;
    /// A physical key by its Linux evdev code (the X keycode less 8).
    fn key(&mut self, evdev: u16, down: bool) -> Result<(), InjectError>;
    /// Types characters, whatever keys the layout would need.
    fn text(&mut self, text: &str) -> Result<(), InjectError>;
}

/// Makes the real injector on the control thread (X connections are not
/// shared across threads).
pub type InjectorFactory =
    std::sync::Arc<dyn Fn() -> Result<Box<dyn Injector>, InjectError> + Send + Sync>;
