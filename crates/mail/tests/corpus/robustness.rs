//! Damaged input: every corpus file truncated at many offsets and with bytes overwritten
//! (deterministically, by a seeded xorshift), plus hostile structures. `parse` must return
//! (never panic) and respect its limits; `new_text` and `SubjectTag` must cope with whatever
//! comes out.

use tikal_mail::{Inbound, Limits, ParseError, SubjectTag, new_text, parse};

use super::{MARKERS, corpus_dir};

/// xorshift64*: a fixed sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to a MIME parser, more likely than uniform noise to reach odd paths.
const INTERESTING: &[u8] = b"\r\n-=:;\"<>?*'%\t \0\xff\xc3\xa1";

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), std::fs::read(&p).expect("readable"))
        })
        .collect();
    files.sort();
    files
}

fn check(name: &str, raw: &[u8], limits: &Limits, tag: &SubjectTag) {
    match parse(raw, limits) {
        Ok(m) => check_inbound(name, &m, limits, tag),
        Err(ParseError::TooLarge { .. }) => {
            assert!(raw.len() > limits.max_bytes, "{name}: TooLarge under the limit")
        }
        Err(ParseError::Unreadable | ParseError::TooManyParts { .. }) => {}
    }
}

fn check_inbound(name: &str, m: &Inbound, limits: &Limits, tag: &SubjectTag) {
    assert!(m.text.chars().count() <= limits.max_text_chars, "{name}: text over the limit");
    assert!(m.attachments.len() <= limits.max_parts, "{name}: more attachments than parts allowed");
    for part in &m.attachments {
        assert!(!part.filename.is_empty(), "{name}: empty file name");
        assert!(!part.filename.chars().any(|c| c == '/' || c == '\\' || c.is_control()), "{name}: unsafe file name {:?}", part.filename);
    }
    if let Some(html) = &m.html {
        assert!(!html.to_ascii_lowercase().contains("<script"), "{name}: script survived");
    }
    let reply = new_text(&m.text, &MARKERS);
    assert!(m.text.starts_with(reply), "{name}: new_text is not a prefix");
    let _ = tag.find(&m.subject);
    let _ = tag.strip(&m.subject);
}

#[test]
fn truncated_corpus_files_never_panic() {
    let limits = Limits { max_text_chars: 300, ..Limits::default() };
    let tag = SubjectTag::new("[#{number}]").expect("valid");
    let files = corpus();
    assert!(files.len() >= 20, "the corpus is there");
    for (name, raw) in &files {
        let step = (raw.len() / 150).max(1);
        let offsets = (0..raw.len().min(64)).chain((64..raw.len()).step_by(step));
        for cut in offsets {
            check(name, raw.get(..cut).unwrap_or_default(), &limits, &tag);
        }
    }
}

#[test]
fn corrupted_corpus_files_never_panic() {
    let limits = Limits { max_text_chars: 300, max_parts: 8, ..Limits::default() };
    let tag = SubjectTag::new("[#{number}]").expect("valid");
    let mut rng = Rng(0x7469_6b61_6c5f_6d61);
    for (name, raw) in &corpus() {
        for _ in 0..150 {
            let mut damaged = raw.clone();
            for _ in 0..=rng.below(8) {
                let at = rng.below(damaged.len());
                let byte = if rng.below(2) == 0 { INTERESTING[rng.below(INTERESTING.len())] } else { (rng.next() & 0xFF) as u8 };
                if let Some(b) = damaged.get_mut(at) {
                    *b = byte;
                }
            }
            // Sometimes also cut a slice out, shifting boundaries and encodings.
            if rng.below(4) == 0 && damaged.len() > 2 {
                let from = rng.below(damaged.len());
                let to = (from + rng.below(200)).min(damaged.len());
                damaged.drain(from..to);
            }
            check(name, &damaged, &limits, &tag);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let limits = Limits::default();
    let tag = SubjectTag::new("[#{number}]").expect("valid");
    let mut rng = Rng(42);
    for len in [1, 2, 7, 64, 1000, 20_000] {
        for _ in 0..20 {
            let junk: Vec<u8> = (0..len).map(|_| INTERESTING[rng.below(INTERESTING.len())] ^ (rng.next() as u8 & 0x41)).collect();
            check("random", &junk, &limits, &tag);
        }
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let tag = SubjectTag::new("[#{number}]").expect("valid");
    // Far more multipart levels than parts allowed: refused before mail-parser recurses.
    let mut raw = String::from("From: a@example.es\r\n");
    for level in 0..20_000 {
        raw.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"));
    }
    assert!(matches!(parse(raw.as_bytes(), &Limits::default()), Err(ParseError::TooManyParts { max: 500 })));
    // Nested forwarded messages within the limit parse, each kept as one attachment.
    let mut nested = String::from("From: x@example.es\r\nSubject: fondo\r\n\r\nfin\r\n");
    for level in 0..200 {
        nested = format!("From: n{level}@example.es\r\nSubject: nivel {level}\r\nContent-Type: message/rfc822\r\n\r\n{nested}");
    }
    let limits = Limits::default();
    check("nested", nested.as_bytes(), &limits, &tag);
    // Deep HTML falls back to the simple converter instead of overflowing the stack.
    let html = format!("From: a@example.es\r\nContent-Type: text/html\r\n\r\n{}¡Hola!{}", "<div>".repeat(50_000), "</div>".repeat(50_000));
    let m = parse(html.as_bytes(), &limits).expect("parses");
    assert_eq!(m.text, "¡Hola!");
}

#[test]
fn many_small_parts_are_refused() {
    let mut raw = String::from("From: a@example.es\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n");
    for i in 0..600 {
        raw.push_str(&format!("--x\r\nContent-Type: text/plain\r\n\r\nparte {i}\r\n"));
    }
    raw.push_str("--x--\r\n");
    assert_eq!(parse(raw.as_bytes(), &Limits::default()), Err(ParseError::TooManyParts { max: 500 }));
    let limits = Limits { max_parts: 700, ..Limits::default() };
    let m = parse(raw.as_bytes(), &limits).expect("fits a larger limit");
    assert!(m.text.starts_with("parte 0\n\nparte 1"), "{}", &m.text[..40]);
}
