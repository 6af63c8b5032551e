//! Remote input: the expert's mouse and keyboard, injected on the client.
//!
//! - [`event`]: the `input` channel's messages and their validation.
//! - [`keymap`]: physical DOM key codes to the platform's key codes.
//! - [`sender`] (expert): sends events in order, coalescing pointer moves.
//! - [`remote_control`] (client): the thread that injects them.
//! - [`injector`]: the platform seam; [`enigo_injector`] is the real one.

pub mod enigo_injector;
pub mod event;
pub mod injector;
pub mod keymap;
pub mod remote_control;
pub mod sender;
