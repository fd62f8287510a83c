//! JSON line output and test payloads; hand-written to keep the crate's dependencies few.

use std::io::Write;

/// A JSON value of the flat lines this peer prints.
pub enum Val {
    S(String),
    I(u64),
    F(f64),
    B(bool),
    A(Vec<Val>),
}

impl Val {
    pub fn s(text: &str) -> Val {
        Val::S(text.to_string())
    }

    fn write(&self, out: &mut String) {
        match self {
            Val::S(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Val::I(n) => out.push_str(&n.to_string()),
            Val::F(f) if f.is_finite() => out.push_str(&format!("{f:.3}")),
            Val::F(_) => out.push_str("null"),
            Val::B(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::A(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
        }
    }
}

/// Prints one JSON object as one line and flushes it, so the parent sees events as they happen.
pub fn emit(fields: &[(&str, Val)]) {
    let mut line = String::from("{");
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        Val::s(k).write(&mut line);
        line.push(':');
        v.write(&mut line);
    }
    line.push_str("}\n");
    let mut out = std::io::stdout().lock();
    // A parent that stopped reading is gone; nothing useful is left to do with the line.
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
}

/// xorshift64* seeded from the clock: payloads only need to differ between runs and positions,
/// not to be secret, and this avoids a dependency on `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn seeded() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Rng(nanos | 1)
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            out.extend_from_slice(&self.0.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        out.truncate(n);
        out
    }
}

/// Logs of rust-libp2p's `log`-based crates (yamux, multistream-select) on stderr, when the
/// environment variable GUARDIAN_INTEROP_LOG names a level (error, warn, info, debug, trace).
/// Off by default: stderr is for diagnosing a failed interop run, stdout stays the JSON lines.
pub fn init_log() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            eprintln!("{} {} {}", record.level(), record.target(), record.args());
        }
        fn flush(&self) {}
    }
    let Ok(level) = std::env::var("GUARDIAN_INTEROP_LOG") else { return };
    let Ok(filter) = level.parse::<log::LevelFilter>() else { return };
    if log::set_boxed_logger(Box::new(Stderr)).is_ok() {
        log::set_max_level(filter);
    }
}
