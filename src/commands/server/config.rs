//! The running configuration (`CONFIG *`).

use std::collections::HashMap;

use super::super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;

/// The `CONFIG` commands: reading and changing the server's configuration at run time.
pub trait ConfigCommands: Executor {
    /// The configuration parameters matching `parameters` (names or glob-style patterns,
    /// at least one; several need Redis 7.0), as a map from name to value. Values are
    /// strings as the server writes them (`"10485760"`, `"yes"`, `""`); unknown names are
    /// left out, so an unknown name alone gives an empty map.
    ///
    /// The same map under RESP2 (a flat list) and RESP3 (a map).
    ///
    /// Complexity: O(N), N the number of configuration parameters provided.
    /// Since: Redis 2.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let config = r.config_get(["maxmemory", "maxmemory-*"])?;
    /// let policy = &config["maxmemory-policy"];
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/config-get>
    fn config_get(&self, parameters: impl ToArgs) -> Self::Output<HashMap<String, String>> {
        self.execute(
            Cmd::new("CONFIG GET")
                .args(parameters)
                .required("parameters"),
        )
    }

    /// Resets the statistics `INFO` reports (commands processed, keyspace hits and misses,
    /// errors, …) and the slow log's counters.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/config-resetstat>
    fn config_resetstat(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CONFIG RESETSTAT"))
    }

    /// Writes the running configuration to the configuration file the server was started
    /// with, keeping its comments and layout. An error when the server was started without
    /// one.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.0.
    ///
    /// # See also
    /// <https://redis.io/commands/config-rewrite>
    fn config_rewrite(&self) -> Self::Output<()> {
        self.execute(Cmd::new("CONFIG REWRITE"))
    }

    /// Sets configuration parameters: `(name, value)` pairs, at least one (several need
    /// Redis 7.0, and are applied all or none). An unknown parameter or invalid value is an
    /// error.
    ///
    /// Complexity: O(N), N the number of configuration parameters provided.
    /// Since: Redis 2.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.config_set([("maxmemory", "100mb"), ("maxmemory-policy", "allkeys-lru")])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/config-set>
    fn config_set<I, K, V>(&self, parameters: I) -> Self::Output<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: ToArg,
        V: ToArg,
    {
        self.execute(
            Cmd::new("CONFIG SET")
                .arg_pairs(parameters)
                .required("parameters"),
        )
    }
}

impl<E: Executor + ?Sized> ConfigCommands for E {}
