//! The domain as pure functions over plain data: no I/O, no clock reads
//! (`now` and `today` are arguments).

pub mod approval;
pub mod breach_check;
pub mod calendar;
pub mod case;
pub mod casework;
pub mod clock;
pub mod commands;
pub mod digest;
pub mod exemptions;
pub mod flags;
pub mod html_text;
pub mod intake;
pub mod letters;
pub mod message_id;
pub mod message_text;
pub mod plan;
pub mod questions;
pub mod reference;
pub mod reply;
pub mod request_likeness;
pub mod similarity;
pub mod spam;
pub mod stats;
pub mod trust;
pub mod web_form;
pub mod workflow;

/// A rule pattern with ASCII word boundaries. The regex crate's lazy DFA
/// cannot run Unicode `\b` over text holding a `£` or a curly quote and
/// falls back to an engine tens of times slower; every word the rule
/// tables look for is ASCII, so the ASCII boundary means the same there.
pub(crate) fn ascii_word_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}
