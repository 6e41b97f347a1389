//! Blocking list commands: BLPOP, BRPOP. They hold their connection until an element arrives
//! or their timeout passes, so they exist only on a [`BlockingExecutor`], which runs them on a
//! dedicated connection.

use std::time::Duration;

use super::BlockingExecutor;
use crate::args::ToArgs;
use crate::cmd::Cmd;
use crate::from_value::FromValue;

/// Commands that block their connection until the server answers.
pub trait BlockingCommands: BlockingExecutor {
    /// Pops the first element of the first non-empty list of `keys`, waiting up to `timeout`
    /// for one (`Duration::ZERO`: for ever). Returns `(key, element)`, or `None` when the
    /// timeout passed. Runs on a dedicated connection: other callers are not held up.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let job: Option<(String, String)> = r.blpop(["jobs"], Duration::from_secs(5))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/blpop>
    fn blpop<K: FromValue, V: FromValue>(
        &self,
        keys: impl ToArgs,
        timeout: Duration,
    ) -> Self::Output<Option<(K, V)>> {
        self.execute(
            Cmd::new("BLPOP")
                .keys(keys)
                .required("keys")
                .arg(timeout.as_secs_f64())
                .blocking_for(timeout),
        )
    }

    /// Like [`BlockingCommands::blpop`], from the end of the list.
    ///
    /// # See also
    /// <https://redis.io/commands/brpop>
    fn brpop<K: FromValue, V: FromValue>(
        &self,
        keys: impl ToArgs,
        timeout: Duration,
    ) -> Self::Output<Option<(K, V)>> {
        self.execute(
            Cmd::new("BRPOP")
                .keys(keys)
                .required("keys")
                .arg(timeout.as_secs_f64())
                .blocking_for(timeout),
        )
    }
}

impl<E: BlockingExecutor + ?Sized> BlockingCommands for E {}
