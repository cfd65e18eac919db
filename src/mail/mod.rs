//! Adapters to the mail world: mail-parser, async-imap, lettre.

pub mod compose;
pub mod imap;
pub mod mbox;
pub mod message;
pub mod mutf7;
pub mod namespace;
pub mod oauth;
pub mod quirks;
pub mod raw;
pub mod sasl;
pub mod smtp;
pub mod tls;
