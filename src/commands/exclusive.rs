//! Commands that change the state of their connection: SELECT. They exist only on an
//! [`ExclusiveExecutor`] — a connection of the caller's own — because on a shared connection
//! they would change every other caller's commands too.

use super::ExclusiveExecutor;
use crate::cmd::Cmd;

/// Commands that change the state of the connection they run on.
pub trait ExclusiveCommands: ExclusiveExecutor {
    /// Switches the connection to database `db`. The connection is closed instead of being
    /// returned to the pool afterwards. To use another database for a whole client, set
    /// [`crate::ConfigBuilder::db`] instead.
    ///
    /// # See also
    /// <https://redis.io/commands/select>
    fn select(&self, db: i64) -> Self::Output<()> {
        self.execute(Cmd::new("SELECT").arg(db))
    }
}

impl<E: ExclusiveExecutor + ?Sized> ExclusiveCommands for E {}
