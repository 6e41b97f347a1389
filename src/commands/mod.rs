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
//! Must not: do I/O or hold state.

mod connection;
mod generic;
mod server;
mod strings;

pub use connection::ConnectionCommands;
pub use generic::GenericCommands;
pub use server::ServerCommands;
pub use strings::StringCommands;

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
