//! Remote input: the expert's mouse and keyboard, injected on the client.
//! [`keymap`] maps physical DOM key codes to the platform's key codes.

pub mod keymap;
