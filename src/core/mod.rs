//! The domain as pure functions over plain data: no I/O, no clock reads
//! (`now` and `today` are arguments).

pub mod calendar;
pub mod clock;
pub mod intake;
pub mod letters;
pub mod message_text;
pub mod questions;
pub mod reference;
pub mod workflow;
