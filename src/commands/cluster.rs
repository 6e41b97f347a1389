//! Cluster commands (`@cluster`): every `CLUSTER` subcommand of Redis 7.0 and Valkey 9.1, and
//! Valkey's `CLUSTERSCAN`.
//!
//! They inspect and change the cluster as the node that runs them sees it, so they are meant for
//! a connection to one node. `ASKING`, `READONLY` and `READWRITE` are not methods: they belong
//! to the cluster client's own routing. `CLUSTER SYNCSLOTS` (Valkey's internal slot migration
//! protocol between nodes) and `CLUSTER HELP` are not methods either.

use std::time::Duration;

use super::Executor;
use crate::args::{time, ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::cluster::cluster_nodes_reply;
use crate::types::{
    BumpEpoch, ClusterFailoverMode, ClusterInfo, ClusterLink, ClusterNode, ClusterResetMode,
    ClusterScanOptions, ClusterScanPage, ClusterSetSlot, ClusterShard, ClusterSlotRange, FlushMode,
    SlotMigration, SlotMigrationGroup, SlotStats, SlotStatsFilter,
};

/// Commands of the `cluster` group.
///
/// ```no_run
/// use coredis::prelude::*;
/// # let r = coredis::Redis::from_url("redis://127.0.0.1:7000")?;
/// for shard in r.cluster_shards()? {
///     let primary = shard.primary().map(|n| n.endpoint.as_str()).unwrap_or("?");
///     println!("{:?} served by {primary}", shard.slots);
/// }
/// # Ok::<(), coredis::Error>(())
/// ```
pub trait ClusterCommands: Executor {
    /// Assigns `slots` (one slot, or an array, slice or `Vec`) to the node that runs it.
    /// Fails if any of them is already assigned (to any node).
    ///
    /// Complexity: O(N) where N is the total number of hash slot arguments.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-addslots>
    fn cluster_addslots(&self, slots: impl ToArgs) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER ADDSLOTS").args(slots).required("slots"))
    }

    /// Assigns the slot ranges `(start, end)` (both ends included) to the node that runs it.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1:7000")?;
    /// r.cluster_addslotsrange([(0, 5460)])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N) where N is the total number of the slots between the start slot and end
    /// slot arguments.
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-addslotsrange>
    fn cluster_addslotsrange(
        &self,
        ranges: impl IntoIterator<Item = (u16, u16)>,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("CLUSTER ADDSLOTSRANGE")
                .arg_pairs(ranges)
                .required("slot ranges"),
        )
    }

    /// Gives the node a new configuration epoch, unless its own is already the greatest; says
    /// which happened and the epoch.
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-bumpepoch>
    fn cluster_bumpepoch(&self) -> Self::Output<BumpEpoch> {
        self.execute(Cmd::new("CLUSTER BUMPEPOCH"))
    }

    /// Cancels the node's ongoing slot migrations (started with
    /// [`ClusterCommands::cluster_migrateslots`]). An error when there are none.
    ///
    /// Complexity: O(N), where N is the number of slot migration operations being cancelled.
    /// Since: Valkey 9.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-cancelslotmigrations>
    fn cluster_cancelslotmigrations(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER CANCELSLOTMIGRATIONS"))
    }

    /// How many other nodes currently report `node_id` as failing to this node.
    ///
    /// Complexity: O(N) where N is the number of failure reports.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-count-failure-reports>
    fn cluster_count_failure_reports(&self, node_id: impl ToArg) -> Self::Output<u64> {
        self.execute(Cmd::new("CLUSTER COUNT-FAILURE-REPORTS").arg(node_id))
    }

    /// How many keys the node holds in `slot` (0 for a slot it does not serve).
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-countkeysinslot>
    fn cluster_countkeysinslot(&self, slot: u16) -> Self::Output<u64> {
        self.execute(Cmd::new("CLUSTER COUNTKEYSINSLOT").arg(slot))
    }

    /// Unassigns `slots` from the node that runs it (it then considers them served by nobody).
    ///
    /// Complexity: O(N) where N is the total number of hash slot arguments.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-delslots>
    fn cluster_delslots(&self, slots: impl ToArgs) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER DELSLOTS").args(slots).required("slots"))
    }

    /// Unassigns the slot ranges `(start, end)` (both ends included) from the node.
    ///
    /// Complexity: O(N) where N is the total number of the slots between the start slot and end
    /// slot arguments.
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-delslotsrange>
    fn cluster_delslotsrange(
        &self,
        ranges: impl IntoIterator<Item = (u16, u16)>,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("CLUSTER DELSLOTSRANGE")
                .arg_pairs(ranges)
                .required("slot ranges"),
        )
    }

    /// Makes the replica that runs it take over from its primary, in step with the primary (no
    /// writes are lost). Returns once the failover has started, not when it is done.
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-failover>
    fn cluster_failover(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER FAILOVER"))
    }

    /// `CLUSTER FAILOVER FORCE|TAKEOVER`: a failover without the primary's agreement
    /// (`FORCE`), or without even an election (`TAKEOVER`).
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-failover>
    fn cluster_failover_with(&self, mode: ClusterFailoverMode) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER FAILOVER").arg(mode.token()))
    }

    /// Deletes every key of `slot` on the node.
    ///
    /// Complexity: O(N) where N is the number of keys in the target slot.
    /// Since: Valkey 9.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-flushslot>
    fn cluster_flushslot(&self, slot: u16) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER FLUSHSLOT").arg(slot))
    }

    /// `CLUSTER FLUSHSLOT slot ASYNC|SYNC`: deletes the slot's keys in the background or before
    /// replying.
    ///
    /// Complexity: O(N) where N is the number of keys in the target slot.
    /// Since: Valkey 9.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-flushslot>
    fn cluster_flushslot_with(&self, slot: u16, mode: FlushMode) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER FLUSHSLOT").arg(slot).arg(mode.token()))
    }

    /// Unassigns every slot of the node (only on a node without keys).
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-flushslots>
    fn cluster_flushslots(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER FLUSHSLOTS"))
    }

    /// Removes `node_id` from the node's table of peers, and keeps it out for a minute (so
    /// gossip does not bring it back). To remove a node from the cluster, run it on every node.
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-forget>
    fn cluster_forget(&self, node_id: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER FORGET").arg(node_id))
    }

    /// Up to `count` key names of `slot` held by the node (for moving a slot's keys).
    ///
    /// Complexity: O(log(N)) where N is the number of requested keys.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-getkeysinslot>
    fn cluster_getkeysinslot<T: FromValue>(&self, slot: u16, count: u64) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("CLUSTER GETKEYSINSLOT").arg(slot).arg(count))
    }

    /// The node's ongoing and recently finished slot migrations, both ways.
    ///
    /// Complexity: O(N), where N is the number of active slot import and export jobs.
    /// Since: Valkey 9.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-getslotmigrations>
    fn cluster_getslotmigrations(&self) -> Self::Output<Vec<SlotMigration>> {
        self.execute(Cmd::new("CLUSTER GETSLOTMIGRATIONS"))
    }

    /// The node's view of the cluster: its state (`ok` when every slot is served), the number
    /// of slots and nodes, epochs, and message statistics.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1:7000")?;
    /// let info = r.cluster_info()?;
    /// assert!(info.is_ok(), "state {}, {} slots assigned", info.state, info.slots_assigned);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-info>
    fn cluster_info(&self) -> Self::Output<ClusterInfo> {
        self.execute(Cmd::new("CLUSTER INFO"))
    }

    /// The hash slot of `key` (computed by the server: CRC16 of the key or of its `{hash
    /// tag}`, modulo 16384).
    ///
    /// Complexity: O(N) where N is the number of bytes in the key.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-keyslot>
    fn cluster_keyslot(&self, key: impl ToArg) -> Self::Output<u16> {
        self.execute(Cmd::new("CLUSTER KEYSLOT").arg(key))
    }

    /// The node's cluster bus connections, each way (two per peer when healthy), with their
    /// buffers.
    ///
    /// Complexity: O(N) where N is the total number of Cluster nodes.
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-links>
    fn cluster_links(&self) -> Self::Output<Vec<ClusterLink>> {
        self.execute(Cmd::new("CLUSTER LINKS"))
    }

    /// Introduces the node at `ip`:`port` (its cluster bus on `port` + 10000) to this node's
    /// cluster; gossip then tells everyone. Returns once the handshake has started.
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-meet>
    fn cluster_meet(&self, ip: impl ToArg, port: u16) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER MEET").arg(ip).arg(port))
    }

    /// `CLUSTER MEET ip port cluster-bus-port`: for a node whose cluster bus is not on
    /// `port` + 10000.
    ///
    /// Complexity: O(1).
    /// Since: Redis 4.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-meet>
    fn cluster_meet_with(
        &self,
        ip: impl ToArg,
        port: u16,
        cluster_bus_port: u16,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("CLUSTER MEET")
                .arg(ip)
                .arg(port)
                .arg(cluster_bus_port),
        )
    }

    /// Moves slots, with their keys, from the node that runs it to other nodes (atomic slot
    /// migration, one job per group); follow the jobs with
    /// [`ClusterCommands::cluster_getslotmigrations`].
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// use coredis::types::SlotMigrationGroup;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1:7000")?;
    /// let to = "07c37dfeb235213a872192d90877d0cd55635b91";
    /// r.cluster_migrateslots([SlotMigrationGroup::new(to).range(0, 99)])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N) where N is the total number of the slots between all start slot and end
    /// slot arguments.
    /// Since: Valkey 9.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-migrateslots>
    fn cluster_migrateslots(
        &self,
        groups: impl IntoIterator<Item = SlotMigrationGroup>,
    ) -> Self::Output<()> {
        let mut cmd = Cmd::new("CLUSTER MIGRATESLOTS");
        let mut any = false;
        for group in groups {
            cmd = group.apply(cmd);
            any = true;
        }
        if !any {
            cmd = cmd
                .args_from(std::iter::empty::<u16>())
                .required("migration groups");
        }
        self.execute(cmd)
    }

    /// The node's id (40 hex characters).
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-myid>
    fn cluster_myid(&self) -> Self::Output<String> {
        self.execute(Cmd::new("CLUSTER MYID"))
    }

    /// The id of the node's shard (shared by a primary and its replicas).
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.2, Valkey 7.2.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-myshardid>
    fn cluster_myshardid(&self) -> Self::Output<String> {
        self.execute(Cmd::new("CLUSTER MYSHARDID"))
    }

    /// Every node the node knows, itself included, parsed from the text of `CLUSTER NODES`:
    /// ids, addresses, flags, primaries, epochs, link states, slots (and slots being imported
    /// or migrated).
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1:7000")?;
    /// for node in r.cluster_nodes()?.iter().filter(|n| n.is_primary()) {
    ///     println!("{} {}:{} {:?}", node.id, node.ip, node.port, node.slots);
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N) where N is the total number of Cluster nodes.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-nodes>
    fn cluster_nodes(&self) -> Self::Output<Vec<ClusterNode>> {
        self.execute(Cmd::with_reply("CLUSTER NODES", cluster_nodes_reply))
    }

    /// The replicas of the primary `node_id`, as `CLUSTER NODES` describes them.
    ///
    /// Complexity: O(1).
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-replicas>
    fn cluster_replicas(&self, node_id: impl ToArg) -> Self::Output<Vec<ClusterNode>> {
        self.execute(Cmd::new("CLUSTER REPLICAS").arg(node_id))
    }

    /// Makes the node a replica of the primary `node_id` (an empty primary only).
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-replicate>
    fn cluster_replicate(&self, node_id: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER REPLICATE").arg(node_id))
    }

    /// `CLUSTER REPLICATE NO ONE`: turns the replica into a primary without slots.
    ///
    /// Complexity: O(1).
    /// Since: Valkey 9.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-replicate>
    fn cluster_replicate_no_one(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER REPLICATE").arg("NO").arg("ONE"))
    }

    /// Resets the node (a soft reset): it forgets its peers and slots, and a replica becomes an
    /// empty primary. Only on a node without keys.
    ///
    /// Complexity: O(N) where N is the number of known nodes. The command may execute a FLUSHALL
    /// as a side effect.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-reset>
    fn cluster_reset(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER RESET"))
    }

    /// `CLUSTER RESET HARD|SOFT`: a hard reset also gives the node a new id and sets its
    /// epochs to 0.
    ///
    /// Complexity: O(N) where N is the number of known nodes. The command may execute a FLUSHALL
    /// as a side effect.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-reset>
    fn cluster_reset_with(&self, mode: ClusterResetMode) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER RESET").arg(mode.token()))
    }

    /// Writes the node's cluster configuration (`nodes.conf`) to disk now.
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-saveconfig>
    fn cluster_saveconfig(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER SAVECONFIG"))
    }

    /// Sets the configuration epoch of a fresh node (one that knows no other node and whose
    /// epoch is 0), so that new nodes start with distinct epochs.
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-set-config-epoch>
    fn cluster_set_config_epoch(&self, config_epoch: u64) -> Self::Output<()> {
        self.execute(Cmd::new("CLUSTER SET-CONFIG-EPOCH").arg(config_epoch))
    }

    /// Changes the state of `slot` on the node: importing from or migrating to another node
    /// (during a resharding), bound to a node, or back to stable.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// use coredis::types::ClusterSetSlot;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1:7000")?;
    /// let target = r.cluster_myid()?;
    /// r.cluster_setslot(42, ClusterSetSlot::Node(target))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-setslot>
    fn cluster_setslot(&self, slot: u16, action: ClusterSetSlot) -> Self::Output<()> {
        self.execute(action.apply(Cmd::new("CLUSTER SETSLOT").arg(slot)))
    }

    /// `CLUSTER SETSLOT … TIMEOUT ms`: how long the primary waits for its replicas to take the
    /// change before applying it (rounded up to milliseconds; zero: no wait).
    ///
    /// Complexity: O(1).
    /// Since: Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-setslot>
    fn cluster_setslot_with(
        &self,
        slot: u16,
        action: ClusterSetSlot,
        timeout: Duration,
    ) -> Self::Output<()> {
        self.execute(
            action
                .apply(Cmd::new("CLUSTER SETSLOT").arg(slot))
                .arg("TIMEOUT")
                .arg(time::millis(timeout)),
        )
    }

    /// The cluster's shards: each primary's slots, and the primary and replicas serving them
    /// with their addresses, roles, offsets and health.
    ///
    /// Complexity: O(N) where N is the total number of cluster nodes.
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-shards>
    fn cluster_shards(&self) -> Self::Output<Vec<ClusterShard>> {
        self.execute(Cmd::new("CLUSTER SHARDS"))
    }

    /// The replicas of the primary `node_id` (the old name of
    /// [`ClusterCommands::cluster_replicas`]).
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0 (deprecated since 5.0).
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-slaves>
    fn cluster_slaves(&self, node_id: impl ToArg) -> Self::Output<Vec<ClusterNode>> {
        self.execute(Cmd::new("CLUSTER SLAVES").arg(node_id))
    }

    /// Per-slot statistics of the slots the node serves: key counts and, with
    /// `cluster-slot-stats-enabled`, CPU time and network bytes.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// use coredis::types::{SlotStatsFilter, SlotStatsMetric};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1:7000")?;
    /// let busiest = r.cluster_slot_stats(SlotStatsFilter::OrderBy {
    ///     metric: SlotStatsMetric::KeyCount,
    ///     limit: Some(5),
    ///     order: None,
    /// })?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N) where N is the total number of slots based on arguments. O(N*log(N))
    /// with ORDERBY subcommand.
    /// Since: Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/cluster-slot-stats>
    fn cluster_slot_stats(&self, filter: SlotStatsFilter) -> Self::Output<Vec<SlotStats>> {
        self.execute(filter.apply(Cmd::new("CLUSTER SLOT-STATS")))
    }

    /// The slot ranges and the primary and replicas serving each (replicas that are still
    /// syncing are left out by the server).
    ///
    /// Complexity: O(N) where N is the total number of Cluster nodes.
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/cluster-slots>
    fn cluster_slots(&self) -> Self::Output<Vec<ClusterSlotRange>> {
        self.execute(Cmd::new("CLUSTER SLOTS"))
    }

    /// One page of a walk over the keys of the whole cluster, slot by slot: start with cursor
    /// `"0"` and pass each page's cursor on until it is `"0"` again. The node serving the
    /// cursor's slot answers; another node replies `MOVED` (a cluster client follows it).
    ///
    /// Complexity: O(N) where N is the number of elements returned.
    /// Since: Valkey 9.1.
    ///
    /// # See also
    /// <https://valkey.io/commands/clusterscan>
    fn clusterscan<T: FromValue>(&self, cursor: impl ToArg) -> Self::Output<ClusterScanPage<T>> {
        self.execute(Cmd::new("CLUSTERSCAN").arg(cursor).readonly())
    }

    /// `CLUSTERSCAN` with `MATCH`, `COUNT`, `TYPE` or `SLOT`.
    ///
    /// Complexity: O(N) where N is the number of elements returned.
    /// Since: Valkey 9.1.
    ///
    /// # See also
    /// <https://valkey.io/commands/clusterscan>
    fn clusterscan_with<T: FromValue>(
        &self,
        cursor: impl ToArg,
        options: ClusterScanOptions,
    ) -> Self::Output<ClusterScanPage<T>> {
        self.execute(options.apply(Cmd::new("CLUSTERSCAN").arg(cursor).readonly()))
    }
}

impl<E: Executor + ?Sized> ClusterCommands for E {}
