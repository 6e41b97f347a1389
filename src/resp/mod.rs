//! RESP2/RESP3 wire format: an incremental frame scanner, a frame decoder and encoders.
//!
//! Owns: finding where one reply frame ends in a byte stream (without re-scanning a partial
//! frame from its start), turning a complete frame into a [`Value`], and writing commands (and,
//! for tests and tools, values) in RESP.
//!
//! Must not: do I/O, spawn threads, lock, or know about commands. It is sans-IO so it can be
//! fuzzed and property-tested in isolation. It never panics and never allocates the size a peer
//! claims before the bytes have arrived: limits ([`Limits`]) turn hostile input into a
//! protocol error.

mod decode;
mod encode;
mod scan;

pub use decode::decode;
pub use encode::{encode_command, encode_value};
pub use scan::{FrameScanner, Limits};

#[cfg(test)]
mod tests;

use crate::value::Value;

/// True when a complete frame is an out-of-band RESP3 push (`>`), possibly behind attributes.
pub fn is_push(frame: &[u8]) -> bool {
    frame.first() == Some(&b'>')
}

#[allow(unused_imports)]
pub(crate) use crate::error::{Error, Result};

#[allow(dead_code)]
fn _assert_types(_: Value) {}
