//! Redis Sentinel commands: every `SENTINEL` subcommand of Sentinel 7.0 but `SENTINEL DEBUG`
//! (a tuning knob for Sentinel's own tests) and `SENTINEL HELP`.
//!
//! They run on a connection to a Sentinel (a [`crate::Redis`] opened on a Sentinel's port works
//! today, over RESP2 or RESP3). A Sentinel also answers `PING`, `INFO` and `ROLE`: use the
//! methods of the other groups for those.

use std::collections::HashMap;

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::types::sentinel::info_cache_reply;
use crate::types::{
    SentinelFailureMode, SentinelInfoCache, SentinelLeaderVote, SentinelMaster, SentinelPeer,
    SentinelReplica, SentinelScript,
};

/// Commands of a Redis Sentinel.
///
/// ```no_run
/// use coredis::prelude::*;
/// let sentinel = coredis::Redis::from_url("redis://127.0.0.1:26379")?;
/// if let Some((host, port)) = sentinel.sentinel_get_master_addr_by_name("mymaster")? {
///     let primary = coredis::Redis::from_url(&format!("redis://{host}:{port}"))?;
///     primary.set("k", "v")?;
/// }
/// # Ok::<(), coredis::Error>(())
/// ```
pub trait SentinelCommands: Executor {
    /// Checks that enough Sentinels are reachable for the primary `name` to reach its quorum
    /// and authorize a failover; returns the Sentinel's explanation (`"OK 3 usable Sentinels.
    /// …"`), or an error (`NOQUORUM`) saying what is missing.
    ///
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_ckquorum(&self, name: impl ToArg) -> Self::Output<String> {
        self.execute(Cmd::new("SENTINEL CKQUORUM").arg(name))
    }

    /// The values of Sentinel's global parameters (`resolve-hostnames`, `announce-ip`, …) by
    /// name. Several names at once need Valkey; Redis 7.0 and 6.2 take one.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_config_get(
        &self,
        parameters: impl ToArgs,
    ) -> Self::Output<HashMap<String, String>> {
        self.execute(
            Cmd::new("SENTINEL CONFIG")
                .arg("GET")
                .args(parameters)
                .required("parameters"),
        )
    }

    /// Sets Sentinel's global parameters, `(name, value)` pairs. Several pairs at once need
    /// Valkey; Redis 7.0 and 6.2 take one.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_config_set<A: ToArg, B: ToArg>(
        &self,
        pairs: impl IntoIterator<Item = (A, B)>,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("SENTINEL CONFIG")
                .arg("SET")
                .arg_pairs(pairs)
                .required("parameters"),
        )
    }

    /// Fails the primary `name` over now, without asking the other Sentinels (it need not be
    /// down). Returns once the failover has started: watch
    /// [`SentinelCommands::sentinel_get_master_addr_by_name`] for the new primary.
    ///
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_failover(&self, name: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("SENTINEL FAILOVER").arg(name))
    }

    /// Rewrites the Sentinel's configuration file with its current state.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_flushconfig(&self) -> Self::Output<()> {
        self.execute(Cmd::new("SENTINEL FLUSHCONFIG"))
    }

    /// The address `(host, port)` of the primary monitored as `name` (the promoted replica
    /// once a failover has switched over), or `None` when the Sentinel monitors no such name.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_get_master_addr_by_name(
        &self,
        name: impl ToArg,
    ) -> Self::Output<Option<(String, u16)>> {
        self.execute(Cmd::new("SENTINEL GET-MASTER-ADDR-BY-NAME").arg(name))
    }

    /// The `INFO` replies the Sentinel last read from the primaries `names` and their
    /// replicas, parsed, with their age.
    ///
    /// Complexity: O(N) where N is the number of instances.
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_info_cache(&self, names: impl ToArgs) -> Self::Output<Vec<SentinelInfoCache>> {
        self.execute(
            Cmd::with_reply("SENTINEL INFO-CACHE", info_cache_reply)
                .args(names)
                .required("master names"),
        )
    }

    /// Asks the Sentinel whether it thinks the primary at `ip`:`port` is down. With `run_id`
    /// `"*"` it only answers; with a Sentinel's run id it also votes for that Sentinel as
    /// failover leader in `current_epoch` (what Sentinels ask each other).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_is_master_down_by_addr(
        &self,
        ip: impl ToArg,
        port: u16,
        current_epoch: u64,
        run_id: impl ToArg,
    ) -> Self::Output<SentinelLeaderVote> {
        self.execute(
            Cmd::new("SENTINEL IS-MASTER-DOWN-BY-ADDR")
                .arg(ip)
                .arg(port)
                .arg(current_epoch)
                .arg(run_id),
        )
    }

    /// The state of the primary monitored as `name`: address, flags, timings, replica and
    /// Sentinel counts, quorum.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// # let sentinel = coredis::Redis::from_url("redis://127.0.0.1:26379")?;
    /// let m = sentinel.sentinel_master("mymaster")?;
    /// println!("{:?}, {} replicas, down: {}", m.addr, m.num_replicas, m.is_objectively_down());
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_master(&self, name: impl ToArg) -> Self::Output<SentinelMaster> {
        self.execute(Cmd::new("SENTINEL MASTER").arg(name))
    }

    /// The state of every primary the Sentinel monitors.
    ///
    /// Complexity: O(N) where N is the number of masters.
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_masters(&self) -> Self::Output<Vec<SentinelMaster>> {
        self.execute(Cmd::new("SENTINEL MASTERS"))
    }

    /// Valkey's name for [`SentinelCommands::sentinel_get_master_addr_by_name`]
    /// (`SENTINEL GET-PRIMARY-ADDR-BY-NAME`).
    ///
    /// Complexity: O(1).
    /// Since: Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/topics/sentinel/>
    fn sentinel_get_primary_addr_by_name(
        &self,
        name: impl ToArg,
    ) -> Self::Output<Option<(String, u16)>> {
        self.execute(Cmd::new("SENTINEL GET-PRIMARY-ADDR-BY-NAME").arg(name))
    }

    /// Valkey's name for [`SentinelCommands::sentinel_is_master_down_by_addr`]
    /// (`SENTINEL IS-PRIMARY-DOWN-BY-ADDR`).
    ///
    /// Complexity: O(1).
    /// Since: Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/topics/sentinel/>
    fn sentinel_is_primary_down_by_addr(
        &self,
        ip: impl ToArg,
        port: u16,
        current_epoch: u64,
        run_id: impl ToArg,
    ) -> Self::Output<SentinelLeaderVote> {
        self.execute(
            Cmd::new("SENTINEL IS-PRIMARY-DOWN-BY-ADDR")
                .arg(ip)
                .arg(port)
                .arg(current_epoch)
                .arg(run_id),
        )
    }

    /// Valkey's name for [`SentinelCommands::sentinel_master`] (`SENTINEL PRIMARY`).
    ///
    /// Complexity: O(1).
    /// Since: Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/topics/sentinel/>
    fn sentinel_primary(&self, name: impl ToArg) -> Self::Output<SentinelMaster> {
        self.execute(Cmd::new("SENTINEL PRIMARY").arg(name))
    }

    /// Valkey's name for [`SentinelCommands::sentinel_masters`] (`SENTINEL PRIMARIES`).
    ///
    /// Complexity: O(N) where N is the number of primaries.
    /// Since: Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/topics/sentinel/>
    fn sentinel_primaries(&self) -> Self::Output<Vec<SentinelMaster>> {
        self.execute(Cmd::new("SENTINEL PRIMARIES"))
    }

    /// Starts monitoring the primary at `ip`:`port` as `name`, considered down when `quorum`
    /// Sentinels agree.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_monitor(
        &self,
        name: impl ToArg,
        ip: impl ToArg,
        port: u16,
        quorum: u32,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("SENTINEL MONITOR")
                .arg(name)
                .arg(ip)
                .arg(port)
                .arg(quorum),
        )
    }

    /// The Sentinel's id.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_myid(&self) -> Self::Output<String> {
        self.execute(Cmd::new("SENTINEL MYID"))
    }

    /// The notification and reconfiguration scripts running or waiting to run.
    ///
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_pending_scripts(&self) -> Self::Output<Vec<SentinelScript>> {
        self.execute(Cmd::new("SENTINEL PENDING-SCRIPTS"))
    }

    /// Stops monitoring the primary `name` (and forgets its replicas and Sentinels).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_remove(&self, name: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("SENTINEL REMOVE").arg(name))
    }

    /// The replicas of the primary `name`, as the Sentinel knows them.
    ///
    /// Complexity: O(N) where N is the number of replicas.
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_replicas(&self, name: impl ToArg) -> Self::Output<Vec<SentinelReplica>> {
        self.execute(Cmd::new("SENTINEL REPLICAS").arg(name))
    }

    /// Resets the primaries whose names match the glob-style `pattern`: forgets their replicas
    /// and Sentinels (it finds them again) and any failover in progress. Returns how many
    /// matched.
    ///
    /// Complexity: O(N) where N is the number of monitored masters.
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_reset(&self, pattern: impl ToArg) -> Self::Output<u64> {
        self.execute(Cmd::new("SENTINEL RESET").arg(pattern))
    }

    /// The other Sentinels monitoring the primary `name`.
    ///
    /// Complexity: O(N) where N is the number of Sentinels.
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_sentinels(&self, name: impl ToArg) -> Self::Output<Vec<SentinelPeer>> {
        self.execute(Cmd::new("SENTINEL SENTINELS").arg(name))
    }

    /// Changes how the primary `name` is monitored: `(option, value)` pairs such as
    /// `("down-after-milliseconds", "5000")` or `("quorum", "3")`.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// # let sentinel = coredis::Redis::from_url("redis://127.0.0.1:26379")?;
    /// sentinel.sentinel_set("mymaster", [("down-after-milliseconds", "5000"), ("quorum", "2")])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.4.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_set<A: ToArg, B: ToArg>(
        &self,
        name: impl ToArg,
        options: impl IntoIterator<Item = (A, B)>,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("SENTINEL SET")
                .arg(name)
                .arg_pairs(options)
                .required("options"),
        )
    }

    /// Makes the Sentinel crash at a point of its next failover (for testing deployments).
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_simulate_failure(
        &self,
        modes: impl IntoIterator<Item = SentinelFailureMode>,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("SENTINEL SIMULATE-FAILURE")
                .args_from(modes.into_iter().map(SentinelFailureMode::token))
                .required("failure modes"),
        )
    }

    /// The replicas of the primary `name` (the old name of
    /// [`SentinelCommands::sentinel_replicas`]).
    ///
    /// Complexity: O(N) where N is the number of slaves.
    /// Since: Redis 2.8.0.
    ///
    /// # See also
    /// <https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/#sentinel-commands>
    fn sentinel_slaves(&self, name: impl ToArg) -> Self::Output<Vec<SentinelReplica>> {
        self.execute(Cmd::new("SENTINEL SLAVES").arg(name))
    }
}

impl<E: Executor + ?Sized> SentinelCommands for E {}
