//! The domain as pure functions over plain data: no I/O, no clock reads
//! (`now` and `today` are arguments).

pub mod approval;
pub mod breach_check;
pub mod calendar;
pub mod case;
pub mod casework;
pub mod clock;
pub mod commands;
pub mod exemptions;
pub mod intake;
pub mod letters;
pub mod message_id;
pub mod message_text;
pub mod plan;
pub mod questions;
pub mod reference;
pub mod reply;
pub mod request_likeness;
pub mod spam;
pub mod trust;
pub mod web_form;
pub mod workflow;
