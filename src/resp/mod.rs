//! RESP2/RESP3 wire format: an incremental frame scanner, a frame decoder and encoders.
//!
//! Owns: finding where one reply frame ends in a byte stream ([`FrameScanner`], which resumes
//! where it stopped instead of re-scanning a partial frame from its start), turning a complete
//! frame into a [`Value`] ([`decode()`]), recognising out-of-band push frames ([`is_push`]), and
//! writing commands ([`encode_command`], [`write_array_header`], [`write_bulk`]) and, for tests,
//! tools and fake peers, any value ([`encode_value`]) in RESP.
//!
//! Must not: do I/O, spawn threads, lock, log on the hot path, or know about commands. It is
//! sans-IO so it can be fuzzed and property-tested in isolation. It never panics on network
//! input and never allocates the size a peer claims before the bytes have arrived: [`Limits`]
//! turn hostile input (huge lengths, deep nesting) into a protocol error, and the decoder sizes
//! its vectors by the bytes actually present in the frame, not by the announced counts.
//!
//! Supported types: `+ - : $ * _ , # ( = % ~ | > !`, plus the RESP2 null bulk string `$-1` and
//! null array `*-1` (both decode to [`Value::Nil`]). RESP3 streamed strings and aggregates
//! (`$?`, `*?`, …) are rejected with a protocol error: Redis never sends them.
//!
//! [`Value`]: crate::value::Value
//! [`Value::Nil`]: crate::value::Value::Nil

mod decode;
mod encode;
mod scan;

pub use decode::{decode, decode_with_limits, is_push};
pub use encode::{encode_command, encode_value, write_array_header, write_bulk};
pub use scan::FrameScanner;

#[cfg(test)]
mod tests;

/// Bounds on what a peer may send, checked while scanning and decoding. Exceeding one is a
/// protocol error; the connection is then unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Maximum nesting of non-empty aggregates (arrays, maps, sets, pushes, attributes). The
    /// decoder recurses once per level, so keep this in the low hundreds.
    pub max_depth: usize,
    /// Maximum length in bytes of a bulk string, verbatim string or blob error body, and of a
    /// simple string, error, double or big-number line.
    pub max_bulk_len: usize,
    /// Maximum number of elements (pairs, for maps and attributes) an aggregate may announce.
    pub max_aggregate_len: usize,
}

impl Default for Limits {
    /// `max_depth` 128, `max_bulk_len` 512 MiB (Redis's own `proto-max-bulk-len` default),
    /// `max_aggregate_len` `u32::MAX`.
    fn default() -> Limits {
        Limits {
            max_depth: 128,
            max_bulk_len: 512 * 1024 * 1024,
            max_aggregate_len: u32::MAX as usize,
        }
    }
}
