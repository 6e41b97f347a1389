//! # coredis
//!
//! A Redis client for plain threaded Rust programs: no async runtime anywhere in its dependency
//! tree. One [`Redis`] value is `Send + Sync + Clone` and shared by every thread; the commands of
//! concurrent callers are pipelined onto one connection automatically, and a thread that wants
//! many commands in flight uses futures-like [`Handle`]s.
//!
//! ```no_run
//! use coredis::prelude::*;
//!
//! let r = coredis::Redis::from_url("redis://127.0.0.1:6379/0")?;
//! r.set("foo", 1)?;                                // commands without user data have one type
//! let n: i64 = r.incrby("foo", 100)?;
//! let v: Option<String> = r.get("foo")?;           // user data: the caller picks the type
//! let h = r.deferred().get::<String>("foo");       // sent now, collected later
//! let v = h.wait()?;
//! # Ok::<(), coredis::Error>(())
//! ```
//!
//! ## Commands
//!
//! Commands are methods of the group traits in [`commands`] (bring them into scope with
//! [`prelude`]). Each is defined once and works on every [`Executor`]: blocking on [`Redis`]
//! (returns `Result<T>`), deferred on [`Deferred`] (returns [`Handle<T>`]). Replies carrying user
//! data convert through [`FromValue`] to the type you ask for; a reply that does not fit is an
//! [`ErrorKind::Type`] error naming the command, never a panic. Anything without a method runs
//! through [`cmd()`].
//!
//! ## Cluster
//!
//! [`RedisCluster`] has the same command methods, handles ([`RedisCluster::deferred`]),
//! pipelines ([`ClusterPipeline`]), transactions within one slot, scripts and pub/sub
//! ([`ClusterSubscriber`]) on a Redis Cluster: commands go to the node serving their keys' slot,
//! redirections are followed, multi-key commands are split per slot where that is safe. See
//! [`RedisCluster`] for the routing rules and [`ClusterConfig`] for the settings.
//!
//! ## Connecting
//!
//! [`Config`] (built with [`Config::builder`] or parsed by [`Config::from_url`]) covers TCP,
//! unix sockets and TLS, credentials, database, RESP3 (default) or RESP2, timeouts and
//! [`Limits`]. Each getter of [`Config`] states its default.
//!
//! ## Features
//!
//! - `tls` (default): `rediss://` and [`TlsConfig`], through `native-tls` (OpenSSL on Linux).
//!   With `default-features = false` the crate needs no OpenSSL at all, and a TLS setting is an
//!   [`ErrorKind::Config`] error naming the feature.
//!
//! The minimum supported Rust version is 1.80 (`rust-version` in `Cargo.toml`); raising it is
//! a minor version bump.
//!
//! ## Errors
//!
//! One [`Error`] type; match on [`Error::kind`]. Errors say which command and node failed and
//! chain their cause through [`std::error::Error::source`], which `Display` does not repeat
//! (`{:#}` appends it).
//!
//! ## Logging
//!
//! Through the [`log`](https://docs.rs/log) facade: connection loss at `warn`, reconnection at
//! `info`, details at `debug`. Nothing is printed.
//!
//! ## Layers
//!
//! A command method builds a [`Cmd`] — a [`Request`] (encoded arguments, key positions, the
//! cluster slot, flags) and a [`Decoder`] (how the reply becomes your type) — and hands it to
//! an [`Executor`]. The client's *node* sends it on the shared, multiplexed pipe (one
//! connection for every thread), or, for commands that block their connection, on a dedicated
//! connection from a small pool. The reply comes back as raw bytes into a [`Handle`] and is
//! decoded by the thread that asked for it. Connections are opened by a connector (the
//! configured address; Sentinel and cluster plug in there), with TLS and the `HELLO`/`AUTH`
//! handshake.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// The panic policy, checked: nothing from the network or the user may panic the library.
#![deny(clippy::return_self_not_must_use)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
// The MSRV in Cargo.toml's `rust-version`: no standard-library API newer than it.
#![deny(clippy::incompatible_msrv)]

mod args;
mod cache;
mod client;
mod cluster;
mod cmd;
pub mod commands;
mod config;
mod connection;
mod error;
mod exclusive;
mod from_value;
mod handle;
mod monitor;
mod node;
mod pipe;
mod pipeline;
mod pool;
mod pubsub;
mod replicas;
mod resp;
pub mod retry;
mod route;
mod script;
mod sentinel;
mod stream;
pub mod streams;
mod transaction;
pub mod types;
mod value;

pub use args::{ToArg, ToArgs};
pub use cache::{
    is_cacheable, CacheConfig, CacheStats, TrackingMode, CACHEABLE_COMMANDS,
    DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES,
};
pub use client::{Dedicated, Deferred, Redis};
pub use cluster::{
    ClusterConfig, ClusterConfigBuilder, ClusterDeferred, ClusterPipeline, ClusterSubscriber,
    ReadFrom, RedisCluster, DEFAULT_MAX_REDIRECTS, DEFAULT_REFRESH_INTERVAL,
};
pub use cmd::{cmd, Cmd, Decoder, ReplyFn, Request};
pub use commands::{BlockingExecutor, ExclusiveExecutor, Executor};
pub use config::{Addr, Config, ConfigBuilder, TlsConfig, TlsConfigBuilder};
pub use error::{Error, ErrorKind, Result, ServerCode, ServerError};
pub use from_value::FromValue;
pub use handle::Handle;
pub use monitor::{Monitor, MonitorEntry};
pub use pipeline::{Extract, Pipeline, PipelineHandle, Queued, Replies};
pub use pubsub::{Confirmation, Message, Overflow, Subscriber, SubscriberEvent, SubscriberOptions};
pub use replicas::WaitForReplicas;
pub use resp::Limits;
pub use retry::{Backoff, RetryPolicy};
pub use route::{key_slot, KeySlot, SLOT_COUNT};
pub use script::{Library, Script};
pub use sentinel::{Sentinel, SentinelConfig, SentinelConfigBuilder};
pub use transaction::{Transaction, TRANSACTION_ATTEMPTS};
pub use types::{
    ExpireCondition, Expiry, FlushMode, Info, KeyspaceStats, ServerInfo, SetCondition, SetOptions,
};
pub use value::Value;

/// Re-exported so replies can be handled without a direct dependency on `bytes`.
pub use bytes::Bytes;

/// Everything needed to call commands: `use coredis::prelude::*;`.
pub mod prelude {
    pub use crate::commands::{
        AclCommands, ConfigCommands, DiagnosticCommands, IntrospectionCommands, ModuleCommands,
        ReplicationCommands,
    };
    pub use crate::commands::{
        BitmapCommands, BlockingCommands, ConnectionCommands, ExclusiveCommands, Executor,
        GenericCommands, GeoCommands, HashCommands, HyperLogLogCommands, ListCommands,
        ScanCommands, ServerCommands, SetCommands, SortedSetCombineCommands, SortedSetCommands,
        SortedSetRangeCommands, StreamCommands, StreamGroupCommands, StringCommands,
    };
    pub use crate::commands::{BlockingSortedSetCommands, BlockingStreamCommands};
    pub use crate::commands::{ClientStateCommands, PubSubCommands, ScriptingCommands};
    pub use crate::commands::{ClusterCommands, SentinelCommands};
    pub use crate::{FromValue, Redis, RedisCluster};
}

// The README's Rust examples compile as doc tests (`no_run`: they need a server).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
