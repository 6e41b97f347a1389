//! The server's command table (`COMMAND *`).

use super::super::Executor;
use crate::args::ToArgs;
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::{CommandDoc, CommandInfo, CommandListFilter, KeyFlags};

/// The `COMMAND` commands: what the server's commands are, their arguments, flags and keys.
pub trait IntrospectionCommands: Executor {
    /// Every command the server has, typed as [`CommandInfo`] (with subcommands nested).
    ///
    /// Complexity: O(N), N the total number of commands.
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/command>
    fn command(&self) -> Self::Output<Vec<CommandInfo>> {
        self.execute(Cmd::new("COMMAND"))
    }

    /// The number of commands (containers such as `CONFIG` count once).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/command-count>
    fn command_count(&self) -> Self::Output<i64> {
        self.execute(Cmd::new("COMMAND COUNT"))
    }

    /// The documentation of every command: summary, versions, complexity, arguments,
    /// history, subcommands.
    ///
    /// Complexity: O(N), N the number of commands to look up.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/command-docs>
    fn command_docs(&self) -> Self::Output<Vec<CommandDoc>> {
        self.execute(Cmd::with_reply("COMMAND DOCS", CommandDoc::read_all))
    }

    /// The documentation of the named commands (`"set"`, `"config"`; a container comes with
    /// its subcommands), in the order asked. Unknown names are left out.
    ///
    /// Complexity: O(N), N the number of commands to look up.
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let docs = r.command_docs_with(["set"])?;
    /// for arg in &docs[0].arguments {
    ///     println!("{} {:?} optional={}", arg.name, arg.kind, arg.is_optional());
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/command-docs>
    fn command_docs_with(&self, names: impl ToArgs) -> Self::Output<Vec<CommandDoc>> {
        self.execute(Cmd::with_reply("COMMAND DOCS", CommandDoc::read_all).args(names))
    }

    /// The keys of a command line (`["SET", "k", "v"]` gives `["k"]`), found as the server
    /// finds them, without running it. `command` is the command's name followed by its
    /// arguments (the name alone is an error); a command without keys is an error too.
    ///
    /// Complexity: O(N), N the number of arguments to the command.
    /// Since: Redis 2.8.13.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let keys: Vec<String> = r.command_getkeys(["ZUNION", "2", "a", "b"])?;
    /// assert_eq!(keys, ["a", "b"]);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/command-getkeys>
    fn command_getkeys<K: FromValue>(&self, command: impl ToArgs) -> Self::Output<Vec<K>> {
        self.execute(
            Cmd::new("COMMAND GETKEYS")
                .args(command)
                .required("command"),
        )
    }

    /// The keys of a command line with what the command does to each (`RW`, `access`,
    /// `delete`, …), without running it.
    ///
    /// Complexity: O(N), N the number of arguments to the command.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/command-getkeysandflags>
    fn command_getkeysandflags<K: FromValue>(
        &self,
        command: impl ToArgs,
    ) -> Self::Output<Vec<KeyFlags<K>>> {
        self.execute(
            Cmd::new("COMMAND GETKEYSANDFLAGS")
                .args(command)
                .required("command"),
        )
    }

    /// What the server knows about every command, as [`IntrospectionCommands::command`]
    /// (Redis 7.0+; before, `COMMAND INFO` needs names).
    ///
    /// Complexity: O(N), N the number of commands to look up.
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/command-info>
    fn command_info(&self) -> Self::Output<Vec<CommandInfo>> {
        self.execute(Cmd::new("COMMAND INFO"))
    }

    /// What the server knows about the named commands (`"get"`, `"config|get"` for a
    /// subcommand), in the order asked: `None` for an unknown name.
    ///
    /// Complexity: O(N), N the number of commands to look up.
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/command-info>
    fn command_info_with(&self, names: impl ToArgs) -> Self::Output<Vec<Option<CommandInfo>>> {
        self.execute(Cmd::new("COMMAND INFO").args(names))
    }

    /// The names of every command (subcommands as `config|get`).
    ///
    /// Complexity: O(N), N the total number of commands.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/command-list>
    fn command_list(&self) -> Self::Output<Vec<String>> {
        self.execute(Cmd::new("COMMAND LIST"))
    }

    /// The names of the commands of a module, of an ACL category, or matching a pattern
    /// (`FILTERBY …`).
    ///
    /// Complexity: O(N), N the total number of commands.
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::CommandListFilter;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let hash_commands = r.command_list_with(CommandListFilter::Pattern("h*".into()))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/command-list>
    fn command_list_with(&self, filter: CommandListFilter) -> Self::Output<Vec<String>> {
        self.execute(filter.apply(Cmd::new("COMMAND LIST")))
    }
}

impl<E: Executor + ?Sized> IntrospectionCommands for E {}
