//! A support session's rules, independent of transport: which permissions
//! were granted, and (as the session grows) its state machine.

pub mod scopes;
