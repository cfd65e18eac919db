//! foid: the FOI mailroom daemon for UK councils.
//!
//! `core` holds the domain as pure functions; `mail`, `store` and `daemon`
//! are the imperative shell around it.

pub mod cli;
pub mod commands;
pub mod config;
pub mod core;
pub mod daemon;
pub mod mail;
pub mod store;
