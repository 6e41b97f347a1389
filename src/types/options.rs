//! Options and token groups of the keyspace and server commands.

/// The condition of `EXPIRE` and friends (Redis 7.0+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExpireCondition {
    /// `NX`: only when the key has no expiry.
    Nx,
    /// `XX`: only when the key has an expiry.
    Xx,
    /// `GT`: only when the new expiry is greater than the current one.
    Gt,
    /// `LT`: only when the new expiry is less than the current one.
    Lt,
}

impl ExpireCondition {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            ExpireCondition::Nx => "NX",
            ExpireCondition::Xx => "XX",
            ExpireCondition::Gt => "GT",
            ExpireCondition::Lt => "LT",
        }
    }
}

/// How `FLUSHDB`/`FLUSHALL` free memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlushMode {
    /// `ASYNC`: free in a background thread.
    Async,
    /// `SYNC`: free before replying.
    Sync,
}

impl FlushMode {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            FlushMode::Async => "ASYNC",
            FlushMode::Sync => "SYNC",
        }
    }
}
