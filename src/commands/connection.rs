//! Connection commands (`@connection`): PING, ECHO, and the `CLIENT` subcommands that read
//! or act on connections without changing the state of the one they run on (`CLIENT ID`,
//! `INFO`, `LIST`, `KILL`, `PAUSE`, `UNBLOCK`, …). Those that do change it (`CLIENT SETNAME`,
//! `TRACKING`, …) are in [`super::ClientStateCommands`], on dedicated connections only.
//!
//! Not methods: `CLIENT REPLY` (replies would stop matching requests), `HELLO`, `AUTH`,
//! `SELECT` (the client's configuration and handshake; `SELECT` is on dedicated connections),
//! `QUIT`, `RESET`, and `CLIENT HELP`.

use super::Executor;
use std::time::Duration;

use crate::args::{time, ToArg};
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::{
    ClientFilter, ClientInfo, ClientTrackingInfo, PauseMode, TrackingRedirect, UnblockType,
};

/// Commands of the `connection` group.
pub trait ConnectionCommands: Executor {
    /// Checks the server answers; returns `PONG`.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/ping>
    fn ping(&self) -> Self::Output<String> {
        self.execute(Cmd::new("PING"))
    }

    /// `PING message`: returns `message` as sent (a round trip that carries data).
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/ping>
    fn ping_with<T: FromValue>(&self, message: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("PING").arg(message))
    }

    /// Returns `message` as sent.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/echo>
    fn echo<T: FromValue>(&self, message: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("ECHO").arg(message))
    }

    /// The server's id for the connection the command runs on: on the shared client, the
    /// shared connection's (a new one after a reconnection); on a [`crate::Dedicated`], its
    /// own (what [`ConnectionCommands::client_unblock`] and `CLIENT TRACKING … REDIRECT`
    /// take).
    ///
    /// Complexity: O(1).
    /// Since: Redis 5.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-id>
    fn client_id(&self) -> Self::Output<u64> {
        self.execute(Cmd::new("CLIENT ID"))
    }

    /// Describes the connection the command runs on: its id, addresses, name, age, flags,
    /// database, buffers, protocol, library, ….
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let me = r.client_info()?;
    /// println!("client {} from {} in db {}", me.id, me.addr, me.db);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/client-info>
    fn client_info(&self) -> Self::Output<ClientInfo> {
        self.execute(Cmd::new("CLIENT INFO"))
    }

    /// Every connection to the server, described as [`ConnectionCommands::client_info`] does.
    ///
    /// Complexity: O(N), N the number of connections.
    /// Since: Redis 2.4.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-list>
    fn client_list(&self) -> Self::Output<Vec<ClientInfo>> {
        self.execute(Cmd::new("CLIENT LIST"))
    }

    /// The connections that match `filter` (see [`ClientFilter`] for which filters a
    /// server takes: before Valkey 8.1, one `TYPE` or one `ID` list only).
    ///
    /// Complexity: O(N), N the number of connections.
    /// Since: Redis 2.4.0 (`TYPE` 5.0, `ID` 6.2, the others Valkey 8.1 and 9.0).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{ClientFilter, ClientType};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let subscribers = r.client_list_with(ClientFilter::new().client_type(ClientType::PubSub))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/client-list>
    fn client_list_with(&self, filter: ClientFilter) -> Self::Output<Vec<ClientInfo>> {
        self.execute(filter.apply_optional(Cmd::new("CLIENT LIST")))
    }

    /// Closes the connections that match every filter of `filter`; returns how many. The
    /// connection sending the command is spared unless the filter says
    /// [`ClientFilter::skipme`]`(false)`. An empty filter is refused before sending
    /// ([`crate::ErrorKind::Usage`]).
    ///
    /// Complexity: O(N), N the number of connections.
    /// Since: Redis 2.8.12 (the filter form).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ClientFilter;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let closed = r.client_kill(ClientFilter::new().user("batch").skipme(true))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/client-kill>
    fn client_kill(&self, filter: ClientFilter) -> Self::Output<i64> {
        self.execute(filter.apply(Cmd::new("CLIENT KILL")))
    }

    /// The old form of `CLIENT KILL`: closes the connection from `addr` (`ip:port`, as in
    /// [`ClientInfo::addr`]). Fails with a server error when there is none.
    ///
    /// Complexity: O(N), N the number of connections.
    /// Since: Redis 2.4.0 (deprecated since 2.8.12 in favour of the filter form).
    ///
    /// # See also
    /// <https://redis.io/commands/client-kill>
    fn client_kill_addr(&self, addr: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT KILL").arg(addr))
    }

    /// The name of the connection the command runs on, `None` when it has none (set one for
    /// the client with [`crate::ConfigBuilder::client_name`]).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.9.
    ///
    /// # See also
    /// <https://redis.io/commands/client-getname>
    fn client_getname(&self) -> Self::Output<Option<String>> {
        self.execute(Cmd::new("CLIENT GETNAME"))
    }

    /// Where the client-side caching invalidations of the connection the command runs on go.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-getredir>
    fn client_getredir(&self) -> Self::Output<TrackingRedirect> {
        self.execute(Cmd::new("CLIENT GETREDIR"))
    }

    /// Holds back every command of every client (the replicas' aside) for `timeout`, to the
    /// millisecond (a remainder rounds up), or until [`ConnectionCommands::client_unpause`].
    /// Held commands run once the pause ends; the connection sending a held command waits too.
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-pause>
    fn client_pause(&self, timeout: Duration) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT PAUSE").arg(time::millis(timeout)))
    }

    /// [`ConnectionCommands::client_pause`] holding back only writes ([`PauseMode::Write`],
    /// Redis 6.2+) or everything ([`PauseMode::All`]).
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.0 (the mode: 6.2.0).
    ///
    /// # See also
    /// <https://redis.io/commands/client-pause>
    fn client_pause_with(&self, timeout: Duration, mode: PauseMode) -> Self::Output<()> {
        self.execute(
            Cmd::new("CLIENT PAUSE")
                .arg(time::millis(timeout))
                .arg(mode.token()),
        )
    }

    /// Ends a [`ConnectionCommands::client_pause`] early.
    ///
    /// Complexity: O(N), N the number of paused clients.
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-unpause>
    fn client_unpause(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CLIENT UNPAUSE"))
    }

    /// Ends the blocking command (`BLPOP`, `XREAD BLOCK`, `WAIT`, …) the client `client_id`
    /// is blocked in, as if its timeout had passed. Returns whether that client was blocked.
    ///
    /// Complexity: O(log N), N the number of connections.
    /// Since: Redis 5.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-unblock>
    fn client_unblock(&self, client_id: u64) -> Self::Output<bool> {
        self.execute(Cmd::new("CLIENT UNBLOCK").arg(client_id))
    }

    /// [`ConnectionCommands::client_unblock`], saying how the blocked command ends: as if
    /// timed out ([`UnblockType::Timeout`]) or with an `UNBLOCKED` error
    /// ([`UnblockType::Error`]).
    ///
    /// Complexity: O(log N), N the number of connections.
    /// Since: Redis 5.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-unblock>
    fn client_unblock_with(&self, client_id: u64, how: UnblockType) -> Self::Output<bool> {
        self.execute(Cmd::new("CLIENT UNBLOCK").arg(client_id).arg(how.token()))
    }

    /// The client-side caching state of the connection the command runs on (see
    /// [`super::ClientStateCommands::client_tracking`]).
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/client-trackinginfo>
    fn client_trackinginfo(&self) -> Self::Output<ClientTrackingInfo> {
        self.execute(Cmd::new("CLIENT TRACKINGINFO"))
    }
}

impl<E: Executor + ?Sized> ConnectionCommands for E {}
