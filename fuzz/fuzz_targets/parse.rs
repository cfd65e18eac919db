//! Every untrusted-input entry point of the mail parse path, on arbitrary
//! bytes: none may panic, hang or run away with memory.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use foid::core::intake::IntakePolicy;
use foid::core::{message_text, questions};
use foid::mail::{message, raw};

fn policy() -> &'static IntakePolicy {
    static POLICY: OnceLock<IntakePolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        IntakePolicy::new(
            "foi@council.test",
            "council.test",
            &["officer1@council.test"],
        )
    })
}

fuzz_target!(|data: &[u8]| {
    // The whole intake reading of one message (read_message, classify,
    // requester, questions).
    let _ = message::parse_request(data, policy(), None);

    // What ingestion does before parsing.
    let sha = raw::sha256_hex(data);
    let _ = raw::stored_message_id(data, &sha);

    // The text functions, directly on whatever the bytes say.
    let text = String::from_utf8_lossy(data);
    let _ = questions::split_questions(&text);
    let _ = message_text::extract(&text);
});
