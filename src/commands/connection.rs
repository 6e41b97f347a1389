//! Connection commands (`@connection`): PING, ECHO.

use super::Executor;
use crate::args::ToArg;
use crate::cmd::Cmd;
use crate::from_value::FromValue;

/// Commands of the `connection` group.
pub trait ConnectionCommands: Executor {
    /// Checks the server answers; returns `PONG`.
    ///
    /// # See also
    /// <https://redis.io/commands/ping>
    fn ping(&self) -> Self::Output<String> {
        self.execute(Cmd::new("PING"))
    }

    /// `PING message`: returns `message` as sent (a round trip that carries data).
    ///
    /// # See also
    /// <https://redis.io/commands/ping>
    fn ping_with<T: FromValue>(&self, message: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("PING").arg(message))
    }

    /// Returns `message` as sent.
    ///
    /// # See also
    /// <https://redis.io/commands/echo>
    fn echo<T: FromValue>(&self, message: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("ECHO").arg(message))
    }
}

impl<E: Executor + ?Sized> ConnectionCommands for E {}
