//! Option structs, token enums and typed replies of commands, one file per command group
//! (mirroring [`crate::commands`]).
//!
//! Owns: the values commands take besides keys and data (options, "one of" token groups) and
//! the structs structured replies convert into. Each reply type converts to the same value
//! from RESP2 and RESP3 (maps or flat arrays, sets or arrays, doubles or bulk strings, booleans
//! or integers). The types of the first commands are also re-exported at the crate root.
//!
//! Must not: do I/O.

mod bitmap;
pub(crate) mod cluster;
mod connection;
mod fields;
mod generic;
mod geo;
mod hashes;
mod info;
mod lists;
mod options;
mod scan;
mod scripting;
pub(crate) mod sentinel;
mod server;
mod sorted_sets;
mod streams;
mod strings;

pub use connection::{
    ClientFilter, ClientInfo, ClientSetInfo, ClientTrackingInfo, ClientType, PauseMode,
    TrackingFlag, TrackingOptions, TrackingRedirect, UnblockType,
};
pub(crate) use hashes::{
    field_expire_times_millis, field_expire_times_secs, field_ttls_millis, field_ttls_secs,
    per_field,
};
pub use hashes::{
    FieldCondition, FieldExpireTime, FieldExpiry, FieldPersist, FieldTtl, HSetExOptions,
};
pub use info::{Info, KeyspaceStats, ServerInfo};
pub use lists::{InsertPosition, ListEnd, LposOptions};
pub use options::{ExpireCondition, FlushMode};
pub use sorted_sets::{
    Aggregate, LexBound, RangeLimit, RankWithScore, ScoreBound, ScoreEnd, ScoredMember,
    ZCombineOptions, ZRange, ZaddComparison, ZaddCondition, ZaddOptions,
};
pub use strings::{
    Expiry, GetExExpiry, KeyCondition, LcsMatch, LcsMatches, LcsOptions, MSetExOptions,
    SetCondition, SetOptions,
};

pub use bitmap::{
    BitEncoding, BitFieldGet, BitFieldOp, BitFieldOverflow, BitOffset, BitOp, BitRange, BitUnit,
};
pub use cluster::{
    BumpEpoch, ClusterFailoverMode, ClusterInfo, ClusterLink, ClusterLinkDirection,
    ClusterLinkState, ClusterNode, ClusterNodeFlag, ClusterNodeHealth, ClusterResetMode,
    ClusterScanOptions, ClusterScanPage, ClusterSetSlot, ClusterShard, ClusterShardNode,
    ClusterShardRole, ClusterSlotNode, ClusterSlotRange, SlotMigration, SlotMigrationGroup,
    SlotMigrationOperation, SlotRange, SlotStats, SlotStatsFilter, SlotStatsMetric, CLUSTER_SLOTS,
};
pub use generic::{
    CopyOptions, ExpireTime, KeyType, MigrateAuth, MigrateOptions, MigrateStatus, ObjectEncoding,
    RestoreOptions, RestoreTtl, SortOptions, SortOrder, WaitAof,
};
pub use geo::{
    GeoAddOptions, GeoArea, GeoOrder, GeoOrigin, GeoPosition, GeoResult, GeoSearchOptions,
    GeoStoreOptions, GeoUnit,
};
pub use scan::{CollectionScanOptions, ScanOptions, ScanPage};
pub use scripting::{
    EngineStats, FunctionFlag, FunctionInfo, FunctionLibrary, FunctionListOptions,
    FunctionLoadOptions, FunctionRestorePolicy, FunctionStats, RunningScript,
};
pub use sentinel::{
    SentinelFailureMode, SentinelInfoCache, SentinelInfoCacheEntry, SentinelLeaderVote,
    SentinelMaster, SentinelPeer, SentinelReplica, SentinelScript,
};
pub(crate) use server::{lastsave_reply, time_reply};
pub use server::{
    AclDryRun, AclLogEntry, AclLogReason, AclSelector, AclUser, ArgumentKind, BackgroundStatus,
    BeginSearch, BgSaveOption, CommandArgument, CommandDoc, CommandHistoryEntry, CommandInfo,
    CommandListFilter, CommandLogCost, CommandLogEntry, CommandLogType, DbMemoryStats,
    FailoverOptions, FindKeys, KeyFlags, KeySpec, LatencyBucket, LatencyHistogram, LatencyLatest,
    LatencySample, MemoryStats, ModuleInfo, ModuleLoadExOptions, ReplicaLinkState, Role,
    RoleReplica, ShutdownOptions, ShutdownSave, SlowLogEntry,
};
pub use streams::{
    StreamAutoClaim, StreamAutoClaimIds, StreamBound, StreamConsumerPendingEntry, StreamEntry,
    StreamGroupPendingEntry, StreamId, StreamPendingEntry, StreamPendingSummary, StreamReadReply,
    StreamTrim, StreamTrimMode, StreamTrimStrategy, XAddOptions, XClaimOptions,
    XGroupCreateOptions, XInfoConsumer, XInfoGroup, XInfoStream, XInfoStreamConsumer,
    XInfoStreamFull, XInfoStreamGroup, XPendingOptions, XReadGroupOptions, XReadOptions,
    XSetIdOptions,
};
