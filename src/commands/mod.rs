//! The typed command API: one trait per Redis command group, each command defined once.
//!
//! Owns: [`Executor`] (what runs a [`Cmd`] and what it hands back) and the command-group traits.
//! Every command is a default method that builds a [`Cmd`] — arguments, key positions, flags and
//! reply type — and passes it to [`Executor::execute`]. Every executor gets every group through
//! blanket implementations, so the same method works blocking ([`crate::Redis`]: `Result<T>`),
//! deferred ([`crate::Deferred`]: [`crate::Handle<T>`]) and, in later releases, in pipelines and
//! transactions, with no per-executor lists to keep in sync.
//!
//! Naming: a method is the Redis command in lower case with ` `, `|` and `-` turned into `_`.
//! Required arguments are parameters (variadic ones take an `IntoIterator`); the optional
//! arguments of a command go into one value passed to a `_with` variant (`set_with(key, value,
//! SetOptions)`, `expire_with(key, seconds, ExpireCondition)`).
//!
//! Replies: commands returning user data (`GET`, `MGET`, `ECHO`, …) are generic over the result
//! type (`r.get::<Option<String>>("k")`); every other command has one fixed result type.
//!
//! Capabilities: groups whose commands cannot work everywhere exist only on the executors where
//! they do, through marker traits, so misuse is a compile error rather than a refusal at run
//! time. [`BlockingCommands`] (`BLPOP`, …) needs a [`BlockingExecutor`] (it runs them on a
//! dedicated connection); [`ExclusiveCommands`] (`SELECT`, …, which change the connection's
//! state) needs an [`ExclusiveExecutor`] (a connection of the caller's own, [`crate::Dedicated`]).
//!
//! ```compile_fail
//! use coredis::prelude::*;
//! let r = coredis::Redis::from_url("redis://127.0.0.1")?;
//! r.select(1)?; // error: `Redis` is shared, `SELECT` needs a connection of your own
//! # Ok::<(), coredis::Error>(())
//! ```
//!
//! Must not: do I/O or hold state.

mod bitmap;
mod blocking;
mod client_state;
mod cluster;
mod connection;
mod exclusive;
mod generic;
mod geo;
mod hashes;
mod hyperloglog;
mod lists;
mod pubsub;
mod scan;
mod scripting;
mod sentinel;
mod server;
mod sets;
mod sorted_sets;
mod streams;
mod strings;
mod supported;

pub use bitmap::BitmapCommands;
pub use blocking::{BlockingCommands, BlockingSortedSetCommands, BlockingStreamCommands};
pub use client_state::ClientStateCommands;
pub use cluster::ClusterCommands;
pub use connection::ConnectionCommands;
pub use exclusive::ExclusiveCommands;
pub use generic::GenericCommands;
pub use geo::GeoCommands;
pub use hashes::HashCommands;
pub use hyperloglog::HyperLogLogCommands;
pub use lists::ListCommands;
pub use pubsub::PubSubCommands;
pub use scan::{ScanCommands, ScanIter};
pub use scripting::ScriptingCommands;
pub use sentinel::SentinelCommands;
pub use server::{
    AclCommands, ConfigCommands, DiagnosticCommands, IntrospectionCommands, ModuleCommands,
    ReplicationCommands, ServerCommands,
};
pub use sets::SetCommands;
pub use sorted_sets::{SortedSetCombineCommands, SortedSetCommands, SortedSetRangeCommands};
pub use streams::{StreamCommands, StreamGroupCommands};
pub use strings::StringCommands;
pub use supported::SUPPORTED;

use crate::cmd::Cmd;

/// Something that runs commands: the blocking client, its deferred view, and (later) pipelines
/// and transactions.
pub trait Executor {
    /// What running a command whose reply converts to `T` gives back: `Result<T>` for
    /// [`crate::Redis`], [`crate::Handle<T>`] for [`crate::Deferred`].
    type Output<T>;

    /// Runs `cmd`. This is also how commands without a method are run, see [`crate::cmd()`].
    fn execute<T>(&self, cmd: Cmd<T>) -> Self::Output<T>;
}

/// An executor that can run commands which block their connection until the server answers
/// (`BLPOP`, `XREAD BLOCK`, …): it runs them on a dedicated connection, so nobody else waits.
pub trait BlockingExecutor: Executor {}

/// An executor whose connection belongs to its caller alone, so commands that change the
/// connection's state (`SELECT`, `CLIENT REPLY`, …) are safe on it.
pub trait ExclusiveExecutor: Executor {}

/// An executor that runs nothing: it hands back the command each method builds. For tests and
/// tools that check what a method sends (arguments, key positions, flags) without a server.
///
/// ```
/// use coredis::prelude::*;
/// use coredis::commands::Build;
/// let c = Build.get::<String>("k");
/// assert_eq!(c.key_positions(), &[1]);
/// assert!(c.is_readonly());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Build;

impl Executor for Build {
    type Output<T> = Cmd<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        cmd
    }
}

impl BlockingExecutor for Build {}
impl ExclusiveExecutor for Build {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::{key_slot, KeySlot};
    use std::time::Duration;

    #[test]
    fn build_hands_back_what_methods_send() {
        let c = Build.mget::<String>(["a", "b"]);
        assert_eq!(c.name(), "MGET");
        assert_eq!(c.key_positions(), &[1, 2]);
        assert_eq!(c.slot(), KeySlot::Cross);
        assert!(c.is_readonly());
        let c = Build.set("{user}.a", 1);
        assert_eq!(c.slot(), KeySlot::One(key_slot(b"user")));
        assert!(!c.is_readonly() && !c.is_blocking());
        let c = Build.blpop::<String, String>(["q"], Duration::from_secs(2));
        assert!(c.is_blocking());
        assert_eq!(c.request().server_timeout(), Some(Duration::from_secs(2)));
        let words: Vec<&[u8]> = c.request().args().collect();
        assert_eq!(words, [&b"BLPOP"[..], b"q", b"2"]);
        let c = Build.blpop::<String, String>(["q"], Duration::ZERO);
        assert_eq!(c.request().server_timeout(), None, "0 blocks for ever");
        assert_eq!(Build.ping().slot(), KeySlot::None);
    }
}
