//! Modules (`MODULE *`).

use super::super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::types::{ModuleInfo, ModuleLoadExOptions};

/// The `MODULE` commands: loading, listing and unloading server modules.
///
/// Since Redis 7.0 (and in Valkey) they are refused unless the server runs with
/// `enable-module-command yes` (or `local`, for local connections).
pub trait ModuleCommands: Executor {
    /// The loaded modules, typed. Valkey 9 lists its built-in Lua engine as the module `lua`.
    ///
    /// Complexity: O(N), N the number of loaded modules.
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/module-list>
    fn module_list(&self) -> Self::Output<Vec<ModuleInfo>> {
        self.execute(Cmd::new("MODULE LIST"))
    }

    /// Loads the module in the shared library at `path` (a path on the server's machine).
    /// An error when it cannot be loaded (the reason is in the server's log).
    ///
    /// Complexity: O(1).
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/module-load>
    fn module_load(&self, path: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("MODULE LOAD").arg(path))
    }

    /// Loads the module at `path`, passing it `args`.
    ///
    /// Complexity: O(1).
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/module-load>
    fn module_load_with(&self, path: impl ToArg, args: impl ToArgs) -> Self::Output<()> {
        self.execute(Cmd::new("MODULE LOAD").arg(path).args(args))
    }

    /// Loads the module at `path` (`MODULE LOADEX`, Redis 7.0+), without configuration or
    /// arguments.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/module-loadex>
    fn module_loadex(&self, path: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("MODULE LOADEX").arg(path))
    }

    /// Loads the module at `path` with configuration values (`CONFIG name value`) and
    /// arguments (`ARGS …`).
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ModuleLoadExOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.module_loadex_with(
    ///     "/opt/modules/mymod.so",
    ///     ModuleLoadExOptions::new().config("mymod.cache-size", "64").arg("verbose"),
    /// )?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/module-loadex>
    fn module_loadex_with(
        &self,
        path: impl ToArg,
        options: ModuleLoadExOptions,
    ) -> Self::Output<()> {
        self.execute(options.apply(Cmd::new("MODULE LOADEX").arg(path)))
    }

    /// Unloads the module `name` (its name in [`ModuleCommands::module_list`], not its
    /// path). An error when there is no such module, or when its data types are in use.
    ///
    /// Complexity: O(1).
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/module-unload>
    fn module_unload(&self, name: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("MODULE UNLOAD").arg(name))
    }
}

impl<E: Executor + ?Sized> ModuleCommands for E {}
