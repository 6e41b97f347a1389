//! RESP2/RESP3 wire format: an incremental frame scanner, a frame decoder and encoders. Private
//! to the crate; only [`Limits`] is public (re-exported at the crate root).
//!
//! Owns: finding where one reply frame ends in a byte stream ([`FrameScanner`], which resumes
//! where it stopped instead of re-scanning a partial frame from its start), turning a complete
//! frame into a [`Value`] ([`decode_with_limits`]), recognising out-of-band push frames
//! ([`is_push`]), and writing commands ([`encode_command`], [`write_array_header`],
//! [`write_bulk`]) and, for tests, any value ([`encode_value`]) in RESP.
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

#[cfg(test)]
pub(crate) use decode::decode;
pub(crate) use decode::{decode_with_limits, is_push};
#[cfg(test)]
pub(crate) use encode::encode_value;
pub(crate) use encode::{encode_command, write_array_header, write_bulk};
pub(crate) use scan::FrameScanner;

#[cfg(test)]
mod tests;
/// For the URL fuzz run (`config::url`'s tests): the same case count and mutations.
#[cfg(test)]
pub(crate) use tests::{arb_mutations, fuzz_config, mutate};

/// The default of [`Limits::max_depth`].
pub(crate) const DEFAULT_MAX_DEPTH: usize = 128;
/// The default of [`Limits::max_bulk_len`]: Redis's own `proto-max-bulk-len` default.
pub(crate) const DEFAULT_MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// The default of [`Limits::max_aggregate_len`].
pub(crate) const DEFAULT_MAX_AGGREGATE_LEN: usize = u32::MAX as usize;

/// Bounds on what a server may send, checked while scanning and decoding replies. Exceeding one
/// is a [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) error; the connection is then
/// closed and re-opened.
///
/// Start from the default and change what you need:
///
/// ```
/// let limits = coredis::Limits::default().with_max_depth(300);
/// assert_eq!(limits.max_depth(), 300);
/// let config = coredis::Config::builder().limits(limits).build()?;
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    pub(crate) max_depth: usize,
    pub(crate) max_bulk_len: usize,
    pub(crate) max_aggregate_len: usize,
    /// `None`: [`REPLY_SLACK`] above `max_bulk_len`.
    pub(crate) max_reply_len: Option<usize>,
}

/// How far above the bulk limit one whole reply may be by default: room for the bulk's header
/// and a few small elements around it.
pub(crate) const REPLY_SLACK: usize = 1024 * 1024;

impl Limits {
    /// Maximum nesting of non-empty aggregates (arrays, maps, sets, pushes, attributes). The
    /// decoder recurses once per level, so keep this in the low hundreds. Defaults to `128`.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Maximum length in bytes of a bulk string, verbatim string or blob error body, and of a
    /// simple string, error, double or big-number line. Defaults to 512 MiB (Redis's own
    /// `proto-max-bulk-len` default).
    pub fn max_bulk_len(&self) -> usize {
        self.max_bulk_len
    }

    /// Maximum number of elements (pairs, for maps and attributes) an aggregate may announce.
    /// Defaults to `u32::MAX`.
    pub fn max_aggregate_len(&self) -> usize {
        self.max_aggregate_len
    }

    /// Maximum size in bytes of one reply: a longer reply is a protocol error, found as soon
    /// as that many of its bytes have arrived, so a peer cannot make the client buffer without
    /// bound (an array announcing two billion elements that keep coming, say). Defaults to 1 MiB above
    /// [`Limits::max_bulk_len`] (so 513 MiB), following it when that is changed.
    pub fn max_reply_len(&self) -> usize {
        self.max_reply_len
            .unwrap_or_else(|| self.max_bulk_len.saturating_add(REPLY_SLACK))
    }

    /// Sets [`Limits::max_reply_len`].
    #[must_use]
    pub fn with_max_reply_len(mut self, len: usize) -> Limits {
        self.max_reply_len = Some(len);
        self
    }

    /// Sets [`Limits::max_depth`].
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> Limits {
        self.max_depth = depth;
        self
    }

    /// Sets [`Limits::max_bulk_len`].
    #[must_use]
    pub fn with_max_bulk_len(mut self, len: usize) -> Limits {
        self.max_bulk_len = len;
        self
    }

    /// Sets [`Limits::max_aggregate_len`].
    #[must_use]
    pub fn with_max_aggregate_len(mut self, len: usize) -> Limits {
        self.max_aggregate_len = len;
        self
    }
}

impl Default for Limits {
    /// `max_depth` 128, `max_bulk_len` 512 MiB, `max_aggregate_len` `u32::MAX`.
    fn default() -> Limits {
        Limits {
            max_depth: DEFAULT_MAX_DEPTH,
            max_bulk_len: DEFAULT_MAX_BULK_LEN,
            max_aggregate_len: DEFAULT_MAX_AGGREGATE_LEN,
            max_reply_len: None,
        }
    }
}
