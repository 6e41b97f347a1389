//! The `CLIENT` subcommands that change the state of the connection they run on: its name
//! (`SETNAME`), library information (`SETINFO`), client-side caching (`TRACKING`,
//! `CACHING`), eviction and LRU behaviour (`NO-EVICT`, `NO-TOUCH`), capabilities (`CAPA`)
//! and Valkey's import mode (`IMPORT-SOURCE`). They exist only on an [`ExclusiveExecutor`]:
//! on the shared connection they would change every caller's commands and be lost when it
//! reconnects. A dedicated connection that ran one is closed instead of being reused.

use super::ExclusiveExecutor;

use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::types::{ClientSetInfo, TrackingOptions};

/// `CLIENT` subcommands that change the state of their connection, for connections of the
/// caller's own ([`crate::Dedicated`]).
///
/// ```compile_fail
/// use coredis::prelude::*;
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// r.client_setname("worker-1")?; // error: `Redis` is shared; use `r.dedicated()?`
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// ```no_run
/// use coredis::prelude::*;
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let c = r.dedicated()?;
/// c.client_setname("worker-1")?;
/// assert_eq!(c.client_getname()?.as_deref(), Some("worker-1"));
/// # Ok::<(), coredis::Error>(())
/// ```
pub trait ClientStateCommands: ExclusiveExecutor {
    /// Names the connection (`CLIENT LIST` shows it; no spaces or newlines). To name every
    /// connection of a client, set [`crate::ConfigBuilder::client_name`] instead.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.9.
    ///
    /// # See also
    /// <https://redis.io/commands/client-setname>
    fn client_setname(&self, name: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT SETNAME").arg(name))
    }

    /// Sets the client library's name or version for the connection (`CLIENT LIST` shows
    /// them as `lib-name` and `lib-ver`).
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-setinfo>
    fn client_setinfo(&self, attr: ClientSetInfo) -> Self::Output<()> {
        self.execute(attr.apply(Cmd::new("CLIENT SETINFO")))
    }

    /// Turns client-side caching on (`true`) or off (`false`) for the connection: with it
    /// on, the server sends an invalidation (a RESP3 push frame) when a key the connection
    /// read changes. This crate has no reader for invalidations yet (a dedicated connection
    /// skips push frames): redirect them to a connection that reads them
    /// ([`TrackingOptions::redirect`]).
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-tracking>
    fn client_tracking(&self, on: bool) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT TRACKING").arg(if on { "ON" } else { "OFF" }))
    }

    /// [`ClientStateCommands::client_tracking`] with options: redirection to another
    /// connection, broadcasting by key prefix, opt-in or opt-out, no invalidations for the
    /// connection's own writes.
    ///
    /// Complexity: O(1); some options add the number of prefixes.
    /// Since: Redis 6.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::TrackingOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let c = r.dedicated()?;
    /// c.client_tracking_with(true, TrackingOptions::new().bcast().prefix("user:"))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/client-tracking>
    fn client_tracking_with(&self, on: bool, options: TrackingOptions) -> Self::Output<()> {
        let cmd = Cmd::new("CLIENT TRACKING").arg(if on { "ON" } else { "OFF" });
        self.execute(options.apply(cmd))
    }

    /// In opt-in tracking mode, `true` (`YES`) tracks the keys of the next command; in
    /// opt-out mode, `false` (`NO`) leaves them untracked.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-caching>
    fn client_caching(&self, yes: bool) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT CACHING").arg(if yes { "YES" } else { "NO" }))
    }

    /// Exempts the connection from client eviction (`maxmemory-clients`) when `true`.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-no-evict>
    fn client_no_evict(&self, on: bool) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT NO-EVICT").arg(if on { "ON" } else { "OFF" }))
    }

    /// When `true`, the connection's commands leave the LRU/LFU statistics of the keys they
    /// touch unchanged (`TOUCH` still updates them).
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-no-touch>
    fn client_no_touch(&self, on: bool) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT NO-TOUCH").arg(if on { "ON" } else { "OFF" }))
    }

    /// Declares capabilities of the client (one or many; today `redirect`: it handles
    /// `-REDIRECT` replies from replicas). Unknown ones are ignored. An empty list is refused
    /// before sending.
    ///
    /// Complexity: O(1).
    /// Since: Valkey 8.0.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/client-capa/>
    fn client_capa(&self, capabilities: impl ToArgs) -> Self::Output<()> {
        self.execute(
            Cmd::new("CLIENT CAPA")
                .args(capabilities)
                .required("capabilities"),
        )
    }

    /// Marks the connection as an import source (`true`) or a normal client again: for sync
    /// tools, on a server configured with `import-mode yes`, where an import source sees
    /// keys that have expired (so copying a source server's commands stays consistent).
    /// Fails with a server error when the server is not in import mode.
    ///
    /// Complexity: O(1).
    /// Since: Valkey 8.1.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/client-import-source/>
    fn client_import_source(&self, on: bool) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT IMPORT-SOURCE").arg(if on { "ON" } else { "OFF" }))
    }
}

impl<E: ExclusiveExecutor + ?Sized> ClientStateCommands for E {}
