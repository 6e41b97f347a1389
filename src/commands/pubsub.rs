//! Pub/sub publishing and introspection (`@pubsub`): `PUBLISH`, `SPUBLISH` and `PUBSUB *`.
//!
//! Not methods: `SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE` and their `UNSUBSCRIBE`s, which turn
//! a connection into a stream of messages (they belong to a subscriber object of their own),
//! and `PUBSUB HELP`.

use super::Executor;

use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::from_value::FromValue;

/// Commands of the `pubsub` group that publish or look at subscriptions.
pub trait PubSubCommands: Executor {
    /// Sends `message` to the subscribers of `channel` (and of the patterns matching it);
    /// returns how many received it (in a cluster: on the node that ran the command).
    ///
    /// Complexity: O(N+M), N the channel's subscribers, M the subscribed patterns.
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/publish>
    fn publish(&self, channel: impl ToArg, message: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("PUBLISH").arg(channel).arg(message))
    }

    /// Sends `message` to the subscribers of the shard channel `shardchannel`; returns how
    /// many received it. In a cluster the channel belongs to the slot of its name, like a key,
    /// so the command is routed by it (the server's `COMMAND GETKEYS` does not list it: its
    /// key specification is flagged `not_key`).
    ///
    /// Complexity: O(N), N the channel's subscribers.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/spublish>
    fn spublish(&self, shardchannel: impl ToArg, message: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("SPUBLISH").key(shardchannel).arg(message))
    }

    /// The channels with at least one subscriber (pattern subscriptions aside), as `T`s
    /// (`String`, `Vec<u8>`, …).
    ///
    /// Complexity: O(N), N the number of active channels.
    /// Since: Redis 2.8.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pubsub-channels>
    fn pubsub_channels<T: FromValue>(&self) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("PUBSUB CHANNELS"))
    }

    /// [`PubSubCommands::pubsub_channels`] whose names match the glob-style `pattern`.
    ///
    /// Complexity: O(N), N the number of active channels.
    /// Since: Redis 2.8.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pubsub-channels>
    fn pubsub_channels_with<T: FromValue>(&self, pattern: impl ToArg) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("PUBSUB CHANNELS").arg(pattern))
    }

    /// How many subscribers each of `channels` has (pattern subscriptions aside), in order, as
    /// `(channel, count)` pairs. No channels gives an empty list.
    ///
    /// Complexity: O(N), N the number of channels asked about.
    /// Since: Redis 2.8.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let counts: Vec<(String, i64)> = r.pubsub_numsub(["news", "sport"])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/pubsub-numsub>
    fn pubsub_numsub<T: FromValue>(&self, channels: impl ToArgs) -> Self::Output<Vec<(T, i64)>> {
        self.execute(Cmd::new("PUBSUB NUMSUB").args(channels))
    }

    /// How many patterns are subscribed to, counting each client's subscription.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pubsub-numpat>
    fn pubsub_numpat(&self) -> Self::Output<i64> {
        self.execute(Cmd::new("PUBSUB NUMPAT"))
    }

    /// The shard channels with at least one subscriber (in a cluster: on the node that runs
    /// the command), as `T`s.
    ///
    /// Complexity: O(N), N the number of active shard channels.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pubsub-shardchannels>
    fn pubsub_shardchannels<T: FromValue>(&self) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("PUBSUB SHARDCHANNELS"))
    }

    /// [`PubSubCommands::pubsub_shardchannels`] whose names match the glob-style `pattern`.
    ///
    /// Complexity: O(N), N the number of active shard channels.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pubsub-shardchannels>
    fn pubsub_shardchannels_with<T: FromValue>(&self, pattern: impl ToArg) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("PUBSUB SHARDCHANNELS").arg(pattern))
    }

    /// How many subscribers each of the shard channels `shardchannels` has (in a cluster: on
    /// the node that runs the command), in order, as `(channel, count)` pairs.
    ///
    /// Complexity: O(N), N the number of shard channels asked about.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pubsub-shardnumsub>
    fn pubsub_shardnumsub<T: FromValue>(
        &self,
        shardchannels: impl ToArgs,
    ) -> Self::Output<Vec<(T, i64)>> {
        self.execute(Cmd::new("PUBSUB SHARDNUMSUB").args(shardchannels))
    }
}

impl<E: Executor + ?Sized> PubSubCommands for E {}
