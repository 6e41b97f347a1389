//! Retry policy: which failed commands are sent again, and after how long.
//!
//! Owns: [`RetryPolicy`] (what may be retried: [`RetryPolicy::Never`], the default,
//! [`RetryPolicy::ReadOnly`], [`RetryPolicy::Always`]), [`Backoff`] (how long to wait between
//! attempts and how many there are), the classification of an error by kind, and the jitter.
//! The retrying itself happens in [`crate::Handle`]: a handle keeps its request when a policy
//! applies and, when the reply is an error the policy retries, pauses and sends the request
//! again, within its own deadline — so blocking calls and deferred handles behave the same.
//!
//! Must not: send anything itself, sleep on a lock, or retry past the command's deadline.
//!
//! # Rules (what is retried, by kind)
//!
//! | Failure                                                     | `Never` | `ReadOnly`      | `Always` |
//! |-------------------------------------------------------------|---------|-----------------|----------|
//! | connection lost before the request was written ([`crate::Error::was_not_sent`]) | no | yes | yes |
//! | connection lost after it was written (`Closed`: may have run) | no    | read-only only  | yes      |
//! | `LOADING`, `TRYAGAIN`, `CLUSTERDOWN`, `MASTERDOWN`          | no      | yes             | yes      |
//! | `BUSY` (a script or function is running)                    | no      | read-only only  | yes      |
//! | timeout, protocol error, any other server error             | no      | no              | no       |
//!
//! Why:
//!
//! - A request that was certainly not written was certainly not executed: sending it again
//!   cannot run it twice, so every policy but `Never` retries it.
//! - A request lost after it was written may have run. Running a read twice is harmless;
//!   running `INCR` twice is not. `ReadOnly` retries only commands whose definition marks them
//!   read-only ([`crate::Cmd::readonly`], the same flag that lets them go to replicas); there
//!   is no separate "idempotent" flag in the definitions, and guessing (is `SET` idempotent?
//!   not with `GET` or `KEEPTTL` races) would be wrong somewhere, so writes are left alone.
//! - `LOADING`, `TRYAGAIN`, `CLUSTERDOWN` and `MASTERDOWN` are refusals: the server did not run
//!   the command and says the condition is transient. Like "not sent", they are retried under
//!   `ReadOnly` and `Always`.
//! - `BUSY` is a refusal too, but of another nature: a script or function holds the server,
//!   possibly for a long time, and an operator may be about to end it with `SCRIPT KILL` or
//!   `SHUTDOWN NOSAVE`. A write that waits behind it lands at a moment the caller did not
//!   choose, after writes of others that were refused later; a read does no harm. So `BUSY`
//!   is retried for read-only commands under `ReadOnly` and for every command under `Always`.
//! - A timeout means the deadline passed: there is no time left to retry in.
//!
//! # Bounds
//!
//! Every retry stays within the command's own deadline (set when it was first sent: the
//! response timeout): a retry whose back-off would end after it is not made, and the last
//! error is returned instead. [`Backoff::max_attempts`] counts every sending of the request,
//! the first included. Between attempts the handle waits `base × 2^(n-1)`, capped at
//! [`Backoff::cap`], with "equal jitter": half of that delay plus a random part of up to the
//! other half, so that clients refused together do not come back together. The random part
//! comes from a thread-local xorshift generator seeded from the clock and the thread — no
//! dependency, no lock, no system call per draw.
//!
//! # Cost
//!
//! With `Never` (and no topology hook) a handle is exactly what it was without this module: the
//! request is not kept, nothing is allocated. With another policy the handle keeps the
//! request it already owns (moved, not copied) and one small box.
//!
//! # Layers
//!
//! - The pipe never resends anything: it fails requests in flight with `Closed`, marking those
//!   it had not written yet ([`crate::Error::was_not_sent`]).
//! - The redirect hook of a topology is asked first. The cluster client follows `MOVED` and
//!   `ASK` and retries `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN` and `READONLY` itself,
//!   under every policy (as it always did: the topology is changing, and the command was
//!   refused), within [`crate::ClusterConfig::max_redirects`]. What it lets through — `BUSY`,
//!   connection failures, and its own "gave up" error, which is never retried again — is then
//!   up to the retry policy. A retried cluster command is routed again by its slot, with the
//!   slot map as it is then (the hook asked for a refresh on the failure).
//! - Pipelines and transactions are never retried: they are one submission, and retrying a
//!   part would reorder it with the rest.
//! - Commands that block a dedicated connection (`BLPOP`, `XREAD BLOCK`, …) are not retried.
//!
//! # Ordering
//!
//! A retried request is sent after whatever was sent meanwhile. A caller that waits for each
//! reply before sending the next command (every blocking call) sees no difference; a thread
//! that keeps several writes in flight with handles under `Always` can see a retried write
//! land after a later one. Use a pipeline or a transaction when that order matters.

use std::cell::Cell;
use std::time::Duration;

use crate::cmd::Request;
use crate::error::{Error, ErrorKind, ServerCode};

/// Which failed commands a client sends again. Set per client with
/// [`crate::ConfigBuilder::retry`] and per call with [`crate::Redis::with_retry`] /
/// [`crate::RedisCluster::with_retry`]; the pauses come from the client's [`Backoff`]. See the
/// table in the module docs of [`crate::retry`] for the rules by kind of failure.
///
/// ```no_run
/// use coredis::prelude::*;
/// use coredis::RetryPolicy;
/// let config = coredis::Config::builder().retry(RetryPolicy::ReadOnly).build()?;
/// let r = coredis::Redis::new(config)?;
/// let v: Option<String> = r.get("k")?;                  // retried if the connection drops
/// let n: i64 = r.with_retry(RetryPolicy::Always).incr("n")?; // this call only: may run twice
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RetryPolicy {
    /// Nothing is retried: every failure reaches the caller (the default, as before this
    /// policy existed). A cluster client still follows redirections (see the module docs).
    #[default]
    Never,
    /// Retries what cannot have run (not sent; `LOADING`, `TRYAGAIN`, `CLUSTERDOWN`,
    /// `MASTERDOWN`), and read-only commands after anything transient (a connection lost
    /// after sending, `BUSY`).
    ReadOnly,
    /// Retries every command after any transient failure, including a connection lost after
    /// the command was sent: a write may then run twice.
    Always,
}

impl RetryPolicy {
    /// Whether this policy sends `request` again after `error` (attempts and deadline aside).
    ///
    /// ```
    /// use coredis::{Cmd, Error, ErrorKind, RetryPolicy, ServerError};
    /// let get = Cmd::<String>::new("GET").key("k").readonly();
    /// let incr = Cmd::<i64>::new("INCR").key("k");
    /// let busy = Error::server(ServerError::from_line("BUSY Redis is busy running a script"));
    /// assert!(RetryPolicy::ReadOnly.retries(get.request(), &busy));
    /// assert!(!RetryPolicy::ReadOnly.retries(incr.request(), &busy));
    /// assert!(RetryPolicy::Always.retries(incr.request(), &busy));
    /// let lost = Error::new(ErrorKind::Closed, "lost");
    /// assert!(!RetryPolicy::ReadOnly.retries(incr.request(), &lost));
    /// assert!(!RetryPolicy::Never.retries(get.request(), &lost));
    /// ```
    pub fn retries(self, request: &Request, error: &Error) -> bool {
        match error.server_code() {
            Some(code) => self.retries_refusal(request.is_readonly(), &code),
            None => self.retries_failure(request.is_readonly(), error),
        }
    }

    /// Whether a server error reply `code` to a command (read-only or not) is retried.
    pub(crate) fn retries_refusal(self, readonly: bool, code: &ServerCode) -> bool {
        match code {
            ServerCode::Loading
            | ServerCode::TryAgain
            | ServerCode::ClusterDown
            | ServerCode::MasterDown => self != RetryPolicy::Never,
            ServerCode::Busy => self.allows_maybe_run(readonly),
            _ => false,
        }
    }

    /// Whether a failure without a reply is retried.
    pub(crate) fn retries_failure(self, readonly: bool, error: &Error) -> bool {
        if error.kind() != ErrorKind::Closed {
            return false;
        }
        if error.was_not_sent() {
            return self != RetryPolicy::Never;
        }
        self.allows_maybe_run(readonly)
    }

    /// Whether a command that may have run (or whose retry may land late) is retried.
    fn allows_maybe_run(self, readonly: bool) -> bool {
        match self {
            RetryPolicy::Never => false,
            RetryPolicy::ReadOnly => readonly,
            RetryPolicy::Always => true,
        }
    }
}

/// The default of [`Backoff::base`]: 20 ms.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(20);
/// The default of [`Backoff::cap`]: 1 s.
pub const DEFAULT_RETRY_CAP: Duration = Duration::from_secs(1);
/// The default of [`Backoff::max_attempts`]: 8 sendings (7 retries, about 2.5 s of pauses
/// with the default base and cap — within the default 10 s response timeout).
pub const DEFAULT_RETRY_ATTEMPTS: u32 = 8;

/// How long a retrying client waits between attempts, and how many it makes: exponential
/// back-off with jitter and a cap. Set with [`crate::ConfigBuilder::retry_backoff`].
///
/// ```
/// use std::time::Duration;
/// let b = coredis::Backoff::new()
///     .with_base(Duration::from_millis(50))
///     .with_cap(Duration::from_millis(400))
///     .with_max_attempts(4);
/// assert_eq!(b.max_attempts(), 4);
/// assert!(b.delay(10) <= Duration::from_millis(400));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    max_attempts: u32,
    jitter: bool,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            base: DEFAULT_RETRY_BASE,
            cap: DEFAULT_RETRY_CAP,
            max_attempts: DEFAULT_RETRY_ATTEMPTS,
            jitter: true,
        }
    }
}

impl Backoff {
    /// The defaults: [`DEFAULT_RETRY_BASE`], [`DEFAULT_RETRY_CAP`],
    /// [`DEFAULT_RETRY_ATTEMPTS`], with jitter.
    pub fn new() -> Backoff {
        Backoff::default()
    }

    /// The pause before the first retry; each next one doubles it.
    #[must_use]
    pub fn with_base(mut self, base: Duration) -> Backoff {
        self.base = base;
        self
    }

    /// The longest pause.
    #[must_use]
    pub fn with_cap(mut self, cap: Duration) -> Backoff {
        self.cap = cap;
        self
    }

    /// How many times a command is sent at most, the first time included (at least 1: 1
    /// means no retry).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Backoff {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Whether pauses are randomised (half the delay plus up to the other half; the default)
    /// or exact.
    #[must_use]
    pub fn with_jitter(mut self, jitter: bool) -> Backoff {
        self.jitter = jitter;
        self
    }

    /// The pause before the first retry (default [`DEFAULT_RETRY_BASE`]).
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The longest pause (default [`DEFAULT_RETRY_CAP`]).
    pub fn cap(&self) -> Duration {
        self.cap
    }

    /// How many times a command is sent at most (default [`DEFAULT_RETRY_ATTEMPTS`]).
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether pauses are randomised (default `true`).
    pub fn jitter(&self) -> bool {
        self.jitter
    }

    /// The pause before retry `retry` (1 for the first): `base × 2^(retry-1)`, at most the
    /// cap; with jitter, between half of that and all of it.
    pub fn delay(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(31);
        let full = self
            .base
            .checked_mul(1u32 << shift)
            .unwrap_or(self.cap)
            .min(self.cap);
        if !self.jitter {
            return full;
        }
        let half = full / 2;
        let spread = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        let extra = if spread == 0 {
            0
        } else {
            next_random() % spread.saturating_add(1)
        };
        half + Duration::from_nanos(extra)
    }
}

thread_local! {
    /// Xorshift state of this thread (0 until first used).
    static RANDOM: Cell<u64> = const { Cell::new(0) };
}

/// A cheap pseudo-random number (xorshift64*), good enough to spread retries; seeded per
/// thread from the clock and the thread's id.
fn next_random() -> u64 {
    RANDOM.with(|state| {
        let mut x = state.get();
        if x == 0 {
            x = seed();
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos().into());
    // RandomState is seeded by the OS once per process, then varies per instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(nanos);
    std::thread::current().id().hash(&mut h);
    h.finish() | 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::Cmd;
    use crate::error::ServerError;

    fn server(line: &str) -> Error {
        Error::server(ServerError::from_line(line))
    }

    #[test]
    fn rules_by_kind() {
        let get = Cmd::<String>::new("GET").key("k").readonly();
        let incr = Cmd::<i64>::new("INCR").key("k");
        let (r, w) = (get.request(), incr.request());
        let not_sent = Error::new(ErrorKind::Closed, "not sent").not_sent();
        let maybe = Error::new(ErrorKind::Closed, "in flight");
        let timeout = Error::new(ErrorKind::Timeout, "late");
        for (p, expect) in [
            (RetryPolicy::Never, [false; 4]),
            (RetryPolicy::ReadOnly, [true, true, true, false]),
            (RetryPolicy::Always, [true; 4]),
        ] {
            assert_eq!(p.retries(r, &not_sent), expect[0], "{p:?} not sent, read");
            assert_eq!(p.retries(w, &not_sent), expect[1], "{p:?} not sent, write");
            assert_eq!(p.retries(r, &maybe), expect[2], "{p:?} maybe run, read");
            assert_eq!(p.retries(w, &maybe), expect[3], "{p:?} maybe run, write");
            assert!(!p.retries(r, &timeout));
            assert!(!p.retries(r, &server("WRONGTYPE no")));
            assert!(!p.retries(w, &server("ERR no")));
            for code in ["LOADING x", "TRYAGAIN x", "CLUSTERDOWN x", "MASTERDOWN x"] {
                let never = p == RetryPolicy::Never;
                assert_eq!(p.retries(r, &server(code)), !never, "{p:?} {code}");
                assert_eq!(p.retries(w, &server(code)), !never, "{p:?} {code}");
            }
            assert_eq!(
                p.retries(r, &server("BUSY x")),
                expect[2],
                "{p:?} BUSY read"
            );
            assert_eq!(
                p.retries(w, &server("BUSY x")),
                expect[3],
                "{p:?} BUSY write"
            );
        }
    }

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_within_half() {
        let b = Backoff::new()
            .with_base(Duration::from_millis(10))
            .with_cap(Duration::from_millis(100))
            .with_jitter(false);
        let d: Vec<u64> = (1..=6)
            .map(|n| u64::try_from(b.delay(n).as_millis()).unwrap_or(0))
            .collect();
        assert_eq!(d, [10, 20, 40, 80, 100, 100]);
        assert_eq!(b.delay(u32::MAX), Duration::from_millis(100));
        let j = b.with_jitter(true);
        let mut seen = std::collections::HashSet::new();
        for n in 1..=200 {
            let full = b.delay(n % 6 + 1);
            let got = j.delay(n % 6 + 1);
            assert!(got >= full / 2 && got <= full, "{got:?} vs {full:?}");
            seen.insert(got);
        }
        assert!(seen.len() > 10, "jitter varies: {}", seen.len());
        assert_eq!(Backoff::new().with_max_attempts(0).max_attempts(), 1);
    }
}
