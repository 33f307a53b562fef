//! Any bytes, as a YAML or a JSON declaration file, through the loader and every validation
//! rule: no panic, no hang, bounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use xcs::load::{Content, Limits, RawFile};

fuzz_target!(|data: &[u8]| {
    let (name, bytes) = match data.split_first() {
        Some((flag, rest)) if flag & 1 == 1 => ("commands/fuzz.json", rest),
        Some((_, rest)) => ("commands/fuzz.yaml", rest),
        None => ("commands/fuzz.yaml", data),
    };
    let file = RawFile {
        path: Arc::from(name),
        rel: Arc::from(name),
        content: Content::Memory(bytes.to_vec()),
    };
    let limits = Limits { max_file_bytes: 1 << 20, ..Limits::default() };
    let v = xcs::validate::validate(&[file], &limits);
    // Rendering every diagnostic exercises the positions they point at.
    let _ = xcs::diag::render_human(&v.diagnostics, &v.sources, false);
});
