//! A support session's rules, independent of transport: which permissions
//! were granted, and (as the session grows) its state machine.
//!
//! The scope types are the signaling protocol's, so the consent the server
//! relays and the grant the engine enforces are one definition.

pub mod scopes {
    pub use lifeline_signaling::protocol::scopes::{Scope, ScopeDenied, Scopes};
}
