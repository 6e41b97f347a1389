//! Blocking commands: they hold their connection until data arrives or their timeout passes,
//! so they exist only on a [`BlockingExecutor`], which runs them on a dedicated connection from
//! the node's pool (other callers of the shared connection never wait behind them). Three
//! traits, by the group of the data they wait for:
//!
//! - [`BlockingCommands`] (`lists.rs`): BLPOP, BRPOP, BLMOVE, BLMPOP, BRPOPLPUSH;
//! - [`BlockingSortedSetCommands`] (`sorted_sets.rs`): BZPOPMIN, BZPOPMAX, BZMPOP;
//! - [`BlockingStreamCommands`] (`streams.rs`): XREAD and XREADGROUP with `BLOCK`.
//!
//! Every method takes its timeout as a [`Duration`]: the server waits that long at most
//! (`Duration::ZERO`: for ever), and the client waits for the reply that long plus the
//! response timeout. A timeout that passes is not an error: the reply is the empty result
//! (`None`, or an empty `Vec`). A sub-millisecond remainder rounds up, so a tiny non-zero
//! timeout never turns into "for ever".
//!
//! Reply types are those of the non-blocking forms (`LMPOP`, `ZMPOP`, `XREAD`, …), the same
//! under RESP2 and RESP3.
//!
//! ```compile_fail
//! use coredis::prelude::*;
//! use std::time::Duration;
//! let r = coredis::Redis::from_url("redis://127.0.0.1")?;
//! let p = r.pipeline();
//! p.blpop::<String, String>(["q"], Duration::from_secs(1)); // error: not in a pipeline
//! # Ok::<(), coredis::Error>(())
//! ```

mod lists;
mod sorted_sets;
mod streams;

pub use lists::BlockingCommands;
pub use sorted_sets::BlockingSortedSetCommands;
pub use streams::BlockingStreamCommands;

use std::time::Duration;

use crate::args::time;

/// A timeout as the list and sorted-set blocking commands take it: seconds as a double, in
/// whole milliseconds rounded up (the server's resolution; never 0 for a non-zero timeout).
fn timeout_secs(timeout: Duration) -> f64 {
    // Exact for any timeout below 2^53 ms (285,000 years).
    time::millis(timeout) as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_to_milliseconds() {
        assert_eq!(timeout_secs(Duration::ZERO), 0.0);
        assert_eq!(timeout_secs(Duration::from_nanos(1)), 0.001);
        assert_eq!(timeout_secs(Duration::from_millis(1500)), 1.5);
        assert_eq!(timeout_secs(Duration::from_secs(5)), 5.0);
    }
}
