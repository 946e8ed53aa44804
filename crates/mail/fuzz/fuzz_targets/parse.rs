//! Any bytes into `tikal_mail::parse`; whatever comes out goes through `new_text` and the
//! subject tag. Nothing may panic, and the limits must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tikal_mail::{Limits, SubjectTag, new_text, parse};

const MARKERS: [&str; 2] = ["## Responda por encima de esta línea ##", "## Reply above this line ##"];

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bytes: 1 << 20, max_parts: 64, max_text_chars: 10_000 };
    if let Ok(message) = parse(data, &limits) {
        assert!(message.text.chars().count() <= limits.max_text_chars);
        assert!(message.attachments.len() <= limits.max_parts);
        let reply = new_text(&message.text, &MARKERS);
        assert!(message.text.starts_with(reply));
        if let Ok(tag) = SubjectTag::new("[#{number}]") {
            let _ = tag.find(&message.subject);
            let _ = tag.strip(&message.subject);
        }
    }
    // The reply stripper also sees text that did not come from a parsed message.
    if let Ok(text) = std::str::from_utf8(data) {
        let reply = new_text(text, &MARKERS);
        assert!(text.starts_with(reply));
    }
});
