//! Access control lists (`ACL *`): users, their rules, and the log of refusals.

use super::super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::types::{AclDryRun, AclLogEntry, AclUser};

/// The `ACL` commands: managing users and their permissions (Redis 6.0+).
///
/// Changing users (`ACL SETUSER`, `ACL DELUSER`, `ACL LOAD`) affects every connection of the
/// server; deleting a user closes its connections.
pub trait AclCommands: Executor {
    /// The ACL categories (`read`, `write`, `dangerous`, …).
    ///
    /// Complexity: O(1) since the categories and commands are a fixed set.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-cat>
    fn acl_cat(&self) -> Self::Output<Vec<String>> {
        self.execute(Cmd::new("ACL CAT"))
    }

    /// The commands of one ACL category (`"string"`, without the `@`); an error for an
    /// unknown category.
    ///
    /// Complexity: O(1) since the categories and commands are a fixed set.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-cat>
    fn acl_cat_with(&self, category: impl ToArg) -> Self::Output<Vec<String>> {
        self.execute(Cmd::new("ACL CAT").arg(category))
    }

    /// Deletes users (at least one) and closes their connections; returns how many existed.
    /// The `default` user cannot be deleted.
    ///
    /// Complexity: O(1) amortized time considering the typical user.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-deluser>
    fn acl_deluser(&self, usernames: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ACL DELUSER")
                .args(usernames)
                .required("usernames"),
        )
    }

    /// Whether `username` may run `command` without arguments, without running it. A
    /// denial is [`AclDryRun::Denied`] with the reason, not an error; an unknown user or
    /// command is an error.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-dryrun>
    fn acl_dryrun(&self, username: impl ToArg, command: impl ToArg) -> Self::Output<AclDryRun> {
        self.execute(Cmd::new("ACL DRYRUN").arg(username).arg(command))
    }

    /// Whether `username` may run `command` with `args` (key and channel permissions are
    /// checked against them), without running it.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::AclDryRun;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.acl_setuser_with("reader", ["on", "nopass", "~cache:*", "+get"])?;
    /// assert_eq!(r.acl_dryrun_with("reader", "get", ["cache:1"])?, AclDryRun::Allowed);
    /// let denied = r.acl_dryrun_with("reader", "set", ["cache:1", "v"])?;
    /// assert!(matches!(denied, AclDryRun::Denied(reason) if reason.contains("set")));
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/acl-dryrun>
    fn acl_dryrun_with(
        &self,
        username: impl ToArg,
        command: impl ToArg,
        args: impl ToArgs,
    ) -> Self::Output<AclDryRun> {
        self.execute(Cmd::new("ACL DRYRUN").arg(username).arg(command).args(args))
    }

    /// A random password of 256 bits (64 hex characters), from the operating system's
    /// cryptographic generator.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-genpass>
    fn acl_genpass(&self) -> Self::Output<String> {
        self.execute(Cmd::new("ACL GENPASS"))
    }

    /// `ACL GENPASS bits`: a random password of `bits` bits, as hex (rounded up to whole
    /// hex characters: 4 bits each).
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-genpass>
    fn acl_genpass_with(&self, bits: u32) -> Self::Output<String> {
        self.execute(Cmd::new("ACL GENPASS").arg(bits))
    }

    /// A user's rules, typed; `None` when there is no such user.
    ///
    /// Complexity: O(N), N the number of password, command and pattern rules of the user.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-getuser>
    fn acl_getuser(&self, username: impl ToArg) -> Self::Output<Option<AclUser>> {
        self.execute(Cmd::new("ACL GETUSER").arg(username))
    }

    /// Every user's rules, one line per user in the ACL file format (`user default on nopass
    /// ~* &* +@all`).
    ///
    /// Complexity: O(N), N the number of configured users.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-list>
    fn acl_list(&self) -> Self::Output<Vec<String>> {
        self.execute(Cmd::new("ACL LIST"))
    }

    /// Replaces every user with those of the configured ACL file. An error (and nothing
    /// changes) when the server has no ACL file or the file is invalid.
    ///
    /// Complexity: O(N), N the number of configured users.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-load>
    fn acl_load(&self) -> Self::Output<()> {
        self.execute(Cmd::new("ACL LOAD"))
    }

    /// The most recent refusals (failed authentications, denied commands, keys and
    /// channels), newest first, typed.
    ///
    /// Complexity: O(N), N the number of entries shown.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-log>
    fn acl_log(&self) -> Self::Output<Vec<AclLogEntry>> {
        self.execute(Cmd::new("ACL LOG"))
    }

    /// `ACL LOG count`: at most `count` of the most recent refusals, newest first.
    ///
    /// Complexity: O(N), N the number of entries shown.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-log>
    fn acl_log_with(&self, count: u64) -> Self::Output<Vec<AclLogEntry>> {
        self.execute(Cmd::new("ACL LOG").arg(count))
    }

    /// `ACL LOG RESET`: empties the log of refusals.
    ///
    /// Complexity: O(N), N the number of entries removed.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-log>
    fn acl_log_reset(&self) -> Self::Output<()> {
        self.execute(Cmd::new("ACL LOG").arg("RESET"))
    }

    /// Writes the current users to the configured ACL file. An error when the server has no
    /// ACL file.
    ///
    /// Complexity: O(N), N the number of configured users.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-save>
    fn acl_save(&self) -> Self::Output<()> {
        self.execute(Cmd::new("ACL SAVE"))
    }

    /// Creates the user `username` when missing, without rules (so disabled, with no
    /// permission); an existing user is left as it is.
    ///
    /// Complexity: O(N), N the number of rules provided.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-setuser>
    fn acl_setuser(&self, username: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("ACL SETUSER").arg(username))
    }

    /// Creates or changes the user `username`, applying `rules` in order. Rules are the
    /// ACL rule words, one per item, as in the ACL file: `on`/`off`, `>password`,
    /// `nopass`, `~pattern` (keys), `%R~pattern`/`%W~pattern` (read or write only, 7.0+),
    /// `&pattern` (channels), `+command`, `-command`, `+@category`, `allkeys`, `reset`,
    /// `(selector rules)` (7.0+), …. An invalid rule is an error and changes nothing.
    ///
    /// Complexity: O(N), N the number of rules provided.
    /// Since: Redis 6.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let password = r.acl_genpass()?;
    /// r.acl_setuser_with("worker", ["reset", "on", &format!(">{password}"), "~jobs:*", "+@list"])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/acl-setuser>
    fn acl_setuser_with(&self, username: impl ToArg, rules: impl ToArgs) -> Self::Output<()> {
        self.execute(Cmd::new("ACL SETUSER").arg(username).args(rules))
    }

    /// The names of every user.
    ///
    /// Complexity: O(N), N the number of configured users.
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-users>
    fn acl_users(&self) -> Self::Output<Vec<String>> {
        self.execute(Cmd::new("ACL USERS"))
    }

    /// The user the connection is authenticated as (`default` when none).
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/acl-whoami>
    fn acl_whoami(&self) -> Self::Output<String> {
        self.execute(Cmd::new("ACL WHOAMI"))
    }
}

impl<E: Executor + ?Sized> AclCommands for E {}
