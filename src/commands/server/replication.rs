//! Replication: the server's role (`ROLE`), following a primary (`REPLICAOF`, the old
//! `SLAVEOF`), and handing the primary role to a replica (`FAILOVER`).

use super::super::Executor;
use crate::args::ToArg;
use crate::cmd::Cmd;
use crate::types::{FailoverOptions, Role};

/// The replication commands.
pub trait ReplicationCommands: Executor {
    /// Hands the primary role to one of this primary's replicas, in coordination with it:
    /// writes pause, the replica catches up, then the two swap roles. Returns once the
    /// failover has started; follow it with [`ReplicationCommands::role`] or `INFO
    /// replication`. An error when there is no replica or a failover already runs.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/failover>
    fn failover(&self) -> Self::Output<()> {
        self.execute(Cmd::new("FAILOVER"))
    }

    /// `FAILOVER` with a target replica (`TO host port`, optionally `FORCE`) and a
    /// `TIMEOUT`.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::FailoverOptions;
    /// use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.failover_with(FailoverOptions::new().to("10.0.0.2", 6379).timeout(Duration::from_secs(5)))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/failover>
    fn failover_with(&self, options: FailoverOptions) -> Self::Output<()> {
        self.execute(options.apply(Cmd::new("FAILOVER")))
    }

    /// `FAILOVER ABORT`: stops a failover in progress (writes resume). An error when none
    /// runs.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/failover>
    fn failover_abort(&self) -> Self::Output<()> {
        self.execute(Cmd::new("FAILOVER").arg("ABORT"))
    }

    /// Makes the server a replica of the primary at `host:port`: it drops its dataset and
    /// synchronises in the background (follow with [`ReplicationCommands::role`]). Already a
    /// replica of that primary: nothing changes.
    ///
    /// Complexity: O(1).
    /// Since: Redis 5.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/replicaof>
    fn replicaof(&self, host: impl ToArg, port: u16) -> Self::Output<()> {
        self.execute(Cmd::new("REPLICAOF").arg(host).arg(port))
    }

    /// `REPLICAOF NO ONE`: stops replicating and makes the server a primary, keeping its
    /// dataset.
    ///
    /// Complexity: O(1).
    /// Since: Redis 5.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/replicaof>
    fn replicaof_no_one(&self) -> Self::Output<()> {
        self.execute(Cmd::new("REPLICAOF").arg("NO").arg("ONE"))
    }

    /// What the server is in replication — primary with its replicas, replica with the state
    /// of its link, or Sentinel with the primaries it monitors — typed.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.12.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{ReplicaLinkState, Role};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// if let Role::Replica { state: ReplicaLinkState::Connected, offset, .. } = r.role()? {
    ///     println!("in sync at offset {offset:?}");
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/role>
    fn role(&self) -> Self::Output<Role> {
        self.execute(Cmd::new("ROLE"))
    }

    /// The pre-5.0 name of [`ReplicationCommands::replicaof`] (deprecated by the server
    /// since Redis 5.0; it behaves the same).
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0 (deprecated since 5.0.0).
    ///
    /// # See also
    /// <https://redis.io/commands/slaveof>
    fn slaveof(&self, host: impl ToArg, port: u16) -> Self::Output<()> {
        self.execute(Cmd::new("SLAVEOF").arg(host).arg(port))
    }

    /// The pre-5.0 name of [`ReplicationCommands::replicaof_no_one`].
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0 (deprecated since 5.0.0).
    ///
    /// # See also
    /// <https://redis.io/commands/slaveof>
    fn slaveof_no_one(&self) -> Self::Output<()> {
        self.execute(Cmd::new("SLAVEOF").arg("NO").arg("ONE"))
    }
}

impl<E: Executor + ?Sized> ReplicationCommands for E {}
