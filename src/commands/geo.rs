//! Geospatial commands (`@geo`): GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE,
//! and the deprecated GEORADIUS family.
//!
//! Searches come in pairs: the plain method returns the members (`Vec<T>`), the `_with`
//! method takes [`GeoSearchOptions`] and returns [`GeoResult`]s carrying whatever `WITHDIST`,
//! `WITHHASH` and `WITHCOORD` asked for. Searches that store their results (`GEOSEARCHSTORE`,
//! `GEORADIUS … STORE`) are methods of their own (`_store`), since they write a key and reply
//! with a count.

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::{
    GeoAddOptions, GeoArea, GeoPosition, GeoResult, GeoSearchOptions, GeoStoreOptions, GeoUnit,
};

/// Commands of the `geo` group.
///
/// A geo set is a sorted set whose scores encode positions. Searches come in pairs: the plain
/// method returns the members (`Vec<T>`); the `_with` method takes [`GeoSearchOptions`] (order,
/// count, `WITHDIST`, `WITHHASH`, `WITHCOORD`) and returns [`GeoResult`]s carrying what was
/// asked for. Searches that store their results (`GEOSEARCHSTORE`, `GEORADIUS … STORE`) are
/// methods of their own, replying with a count. The `GEORADIUS` family is deprecated by the
/// server (since 6.2) in favour of `GEOSEARCH`, and kept for older servers.
pub trait GeoCommands: Executor {
    /// Adds members at `(longitude, latitude, member)` positions to the geo set at `key`
    /// (a sorted set), or moves existing ones. Returns how many members were added.
    ///
    /// Complexity: O(log(N)) for each item added, N being the number of members.
    ///
    /// Since: Redis 3.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let added = r.geoadd("cities", [(13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania")])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/geoadd>
    fn geoadd<M: ToArg>(
        &self,
        key: impl ToArg,
        items: impl IntoIterator<Item = (f64, f64, M)>,
    ) -> Self::Output<i64> {
        self.execute(geoadd_items(Cmd::new("GEOADD").key(key), items))
    }

    /// `GEOADD` with `NX`/`XX` and `CH` (Redis 6.2+). Returns how many members were added, or
    /// with `CH` added or moved.
    ///
    /// Complexity: O(log(N)) for each item added, N being the number of members.
    ///
    /// Since: Redis 3.2 (options: 6.2).
    ///
    /// # See also
    /// <https://redis.io/commands/geoadd>
    fn geoadd_with<M: ToArg>(
        &self,
        key: impl ToArg,
        items: impl IntoIterator<Item = (f64, f64, M)>,
        options: GeoAddOptions,
    ) -> Self::Output<i64> {
        let cmd = options.apply(Cmd::new("GEOADD").key(key));
        self.execute(geoadd_items(cmd, items))
    }

    /// The distance between two members, in metres; `None` when either is missing.
    ///
    /// Complexity: O(log(N)).
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/geodist>
    fn geodist(
        &self,
        key: impl ToArg,
        member1: impl ToArg,
        member2: impl ToArg,
    ) -> Self::Output<Option<f64>> {
        self.execute(
            Cmd::new("GEODIST")
                .key(key)
                .arg(member1)
                .arg(member2)
                .readonly(),
        )
    }

    /// The distance between two members in `unit`; `None` when either is missing.
    ///
    /// Complexity: O(log(N)).
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/geodist>
    fn geodist_with(
        &self,
        key: impl ToArg,
        member1: impl ToArg,
        member2: impl ToArg,
        unit: GeoUnit,
    ) -> Self::Output<Option<f64>> {
        self.execute(
            Cmd::new("GEODIST")
                .key(key)
                .arg(member1)
                .arg(member2)
                .arg(unit.token())
                .readonly(),
        )
    }

    /// The 11-character geohash strings of `members`, in order; `None` for a missing member.
    /// No members gives an empty list.
    ///
    /// Complexity: O(log(N)) for each member.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/geohash>
    fn geohash(&self, key: impl ToArg, members: impl ToArgs) -> Self::Output<Vec<Option<String>>> {
        self.execute(Cmd::new("GEOHASH").key(key).args(members).readonly())
    }

    /// The positions of `members`, in order; `None` for a missing member. No members gives an
    /// empty list.
    ///
    /// Complexity: O(N) where N is the number of members asked for.
    ///
    /// Since: Redis 3.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// for pos in r.geopos("cities", ["Palermo", "Atlantis"])? {
    ///     match pos {
    ///         Some(p) => println!("{} {}", p.longitude, p.latitude),
    ///         None => println!("unknown"),
    ///     }
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/geopos>
    fn geopos(
        &self,
        key: impl ToArg,
        members: impl ToArgs,
    ) -> Self::Output<Vec<Option<GeoPosition>>> {
        self.execute(Cmd::new("GEOPOS").key(key).args(members).readonly())
    }

    /// The members within `area` (a radius or a box around a member or a point, or a polygon
    /// on Valkey 9.0+), unsorted.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the grid-aligned bounding box
    /// of the area and M the number of members in the set.
    ///
    /// Since: Redis 6.2 (`BYPOLYGON`: Valkey 9.0).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{GeoArea, GeoOrigin, GeoUnit};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let area = GeoArea::by_radius(GeoOrigin::lonlat(15.0, 37.0), 200.0, GeoUnit::Km);
    /// let names: Vec<String> = r.geosearch("cities", area)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/geosearch>
    fn geosearch<T: FromValue>(&self, key: impl ToArg, area: GeoArea) -> Self::Output<Vec<T>> {
        self.execute(area.apply(Cmd::new("GEOSEARCH").key(key)).readonly())
    }

    /// `GEOSEARCH` with options: order, count, and each member's distance, geohash and
    /// position when asked for (`WITHDIST`, `WITHHASH`, `WITHCOORD`).
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the grid-aligned bounding box
    /// of the area and M the number of members in the set.
    ///
    /// Since: Redis 6.2 (`BYPOLYGON`: Valkey 9.0).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{GeoArea, GeoOrigin, GeoResult, GeoSearchOptions, GeoUnit};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let area = GeoArea::by_radius(GeoOrigin::member("Palermo"), 200.0, GeoUnit::Km);
    /// let nearest: Vec<GeoResult<String>> =
    ///     r.geosearch_with("cities", area, GeoSearchOptions::new().asc().count(3).withdist())?;
    /// for city in nearest {
    ///     println!("{} is {:?} km away", city.member, city.distance);
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/geosearch>
    fn geosearch_with<T: FromValue>(
        &self,
        key: impl ToArg,
        area: GeoArea,
        options: GeoSearchOptions,
    ) -> Self::Output<Vec<GeoResult<T>>> {
        let cmd = area.apply(Cmd::new("GEOSEARCH").key(key));
        self.execute(options.apply(cmd).readonly())
    }

    /// Stores the members of `source` within `area` in `destination` (replacing it) as a geo
    /// set. Returns how many were stored.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the grid-aligned bounding box
    /// of the area and M the number of members in the set.
    ///
    /// Since: Redis 6.2 (`BYPOLYGON`: Valkey 9.0).
    ///
    /// # See also
    /// <https://redis.io/commands/geosearchstore>
    fn geosearchstore(
        &self,
        destination: impl ToArg,
        source: impl ToArg,
        area: GeoArea,
    ) -> Self::Output<i64> {
        self.execute(area.apply(Cmd::new("GEOSEARCHSTORE").key(destination).key(source)))
    }

    /// `GEOSEARCHSTORE` with options: order, count, and `STOREDIST` (store distances as
    /// scores instead of positions). Returns how many members were stored.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the grid-aligned bounding box
    /// of the area and M the number of members in the set.
    ///
    /// Since: Redis 6.2 (`BYPOLYGON`: Valkey 9.0).
    ///
    /// # See also
    /// <https://redis.io/commands/geosearchstore>
    fn geosearchstore_with(
        &self,
        destination: impl ToArg,
        source: impl ToArg,
        area: GeoArea,
        options: GeoStoreOptions,
    ) -> Self::Output<i64> {
        let cmd = area.apply(Cmd::new("GEOSEARCHSTORE").key(destination).key(source));
        let cmd = options.apply_order_count(cmd);
        self.execute(cmd.flag(options.is_storedist(), "STOREDIST"))
    }

    /// The members within `radius` (in `unit`) of the point `longitude`, `latitude`.
    /// Deprecated by the server since 6.2 in favour of [`GeoCommands::geosearch`]. The server
    /// flags `GEORADIUS` as a write command (it may store); [`GeoCommands::georadius_ro`] is
    /// the same search for replicas.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/georadius>
    fn georadius<T: FromValue>(
        &self,
        key: impl ToArg,
        longitude: f64,
        latitude: f64,
        radius: f64,
        unit: GeoUnit,
    ) -> Self::Output<Vec<T>> {
        self.execute(georadius_cmd(key, longitude, latitude, radius, unit))
    }

    /// `GEORADIUS` with options: order, count, and each member's distance, geohash and
    /// position when asked for.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/georadius>
    fn georadius_with<T: FromValue>(
        &self,
        key: impl ToArg,
        longitude: f64,
        latitude: f64,
        radius: f64,
        unit: GeoUnit,
        options: GeoSearchOptions,
    ) -> Self::Output<Vec<GeoResult<T>>> {
        let cmd = georadius_cmd(key, longitude, latitude, radius, unit);
        self.execute(options.apply(cmd))
    }

    /// `GEORADIUS … STORE destination`: stores the members within `radius` of the point in
    /// `destination` (replacing it). Returns how many were stored.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/georadius>
    fn georadius_store(
        &self,
        key: impl ToArg,
        longitude: f64,
        latitude: f64,
        radius: f64,
        unit: GeoUnit,
        destination: impl ToArg,
    ) -> Self::Output<i64> {
        let cmd = georadius_cmd(key, longitude, latitude, radius, unit);
        self.execute(store(cmd, destination, GeoStoreOptions::new()))
    }

    /// `GEORADIUS … STORE|STOREDIST destination` with order and count. Returns how many
    /// members were stored.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/georadius>
    #[allow(clippy::too_many_arguments)]
    fn georadius_store_with(
        &self,
        key: impl ToArg,
        longitude: f64,
        latitude: f64,
        radius: f64,
        unit: GeoUnit,
        destination: impl ToArg,
        options: GeoStoreOptions,
    ) -> Self::Output<i64> {
        let cmd = georadius_cmd(key, longitude, latitude, radius, unit);
        self.execute(store(cmd, destination, options))
    }

    /// The read-only form of [`GeoCommands::georadius`] (it may run on a replica).
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.10.
    ///
    /// # See also
    /// <https://redis.io/commands/georadius_ro>
    fn georadius_ro<T: FromValue>(
        &self,
        key: impl ToArg,
        longitude: f64,
        latitude: f64,
        radius: f64,
        unit: GeoUnit,
    ) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("GEORADIUS_RO")
                .key(key)
                .arg(longitude)
                .arg(latitude)
                .arg(radius)
                .arg(unit.token())
                .readonly(),
        )
    }

    /// The read-only form of [`GeoCommands::georadius_with`].
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.10.
    ///
    /// # See also
    /// <https://redis.io/commands/georadius_ro>
    fn georadius_ro_with<T: FromValue>(
        &self,
        key: impl ToArg,
        longitude: f64,
        latitude: f64,
        radius: f64,
        unit: GeoUnit,
        options: GeoSearchOptions,
    ) -> Self::Output<Vec<GeoResult<T>>> {
        let cmd = Cmd::new("GEORADIUS_RO")
            .key(key)
            .arg(longitude)
            .arg(latitude)
            .arg(radius)
            .arg(unit.token());
        self.execute(options.apply(cmd).readonly())
    }

    /// The members within `radius` (in `unit`) of `member`'s position. Deprecated by the
    /// server since 6.2 in favour of [`GeoCommands::geosearch`]; flagged as a write command
    /// (see [`GeoCommands::georadiusbymember_ro`] for replicas).
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/georadiusbymember>
    fn georadiusbymember<T: FromValue>(
        &self,
        key: impl ToArg,
        member: impl ToArg,
        radius: f64,
        unit: GeoUnit,
    ) -> Self::Output<Vec<T>> {
        self.execute(georadiusbymember_cmd(key, member, radius, unit))
    }

    /// `GEORADIUSBYMEMBER` with options: order, count, and each member's distance, geohash
    /// and position when asked for.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/georadiusbymember>
    fn georadiusbymember_with<T: FromValue>(
        &self,
        key: impl ToArg,
        member: impl ToArg,
        radius: f64,
        unit: GeoUnit,
        options: GeoSearchOptions,
    ) -> Self::Output<Vec<GeoResult<T>>> {
        let cmd = georadiusbymember_cmd(key, member, radius, unit);
        self.execute(options.apply(cmd))
    }

    /// `GEORADIUSBYMEMBER … STORE destination`: stores the members within `radius` of
    /// `member` in `destination` (replacing it). Returns how many were stored.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/georadiusbymember>
    fn georadiusbymember_store(
        &self,
        key: impl ToArg,
        member: impl ToArg,
        radius: f64,
        unit: GeoUnit,
        destination: impl ToArg,
    ) -> Self::Output<i64> {
        let cmd = georadiusbymember_cmd(key, member, radius, unit);
        self.execute(store(cmd, destination, GeoStoreOptions::new()))
    }

    /// `GEORADIUSBYMEMBER … STORE|STOREDIST destination` with order and count. Returns how
    /// many members were stored.
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/georadiusbymember>
    fn georadiusbymember_store_with(
        &self,
        key: impl ToArg,
        member: impl ToArg,
        radius: f64,
        unit: GeoUnit,
        destination: impl ToArg,
        options: GeoStoreOptions,
    ) -> Self::Output<i64> {
        let cmd = georadiusbymember_cmd(key, member, radius, unit);
        self.execute(store(cmd, destination, options))
    }

    /// The read-only form of [`GeoCommands::georadiusbymember`] (it may run on a replica).
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.10.
    ///
    /// # See also
    /// <https://redis.io/commands/georadiusbymember_ro>
    fn georadiusbymember_ro<T: FromValue>(
        &self,
        key: impl ToArg,
        member: impl ToArg,
        radius: f64,
        unit: GeoUnit,
    ) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("GEORADIUSBYMEMBER_RO")
                .key(key)
                .arg(member)
                .arg(radius)
                .arg(unit.token())
                .readonly(),
        )
    }

    /// The read-only form of [`GeoCommands::georadiusbymember_with`].
    ///
    /// Complexity: O(N+log(M)), N being the number of members in the bounding box of the
    /// circle and M the number of members in the set.
    ///
    /// Since: Redis 3.2.10.
    ///
    /// # See also
    /// <https://redis.io/commands/georadiusbymember_ro>
    fn georadiusbymember_ro_with<T: FromValue>(
        &self,
        key: impl ToArg,
        member: impl ToArg,
        radius: f64,
        unit: GeoUnit,
        options: GeoSearchOptions,
    ) -> Self::Output<Vec<GeoResult<T>>> {
        let cmd = Cmd::new("GEORADIUSBYMEMBER_RO")
            .key(key)
            .arg(member)
            .arg(radius)
            .arg(unit.token());
        self.execute(options.apply(cmd).readonly())
    }
}

impl<E: Executor + ?Sized> GeoCommands for E {}

/// Appends `longitude latitude member` for every item, refusing an empty list.
fn geoadd_items<T, M: ToArg>(
    mut cmd: Cmd<T>,
    items: impl IntoIterator<Item = (f64, f64, M)>,
) -> Cmd<T> {
    let mut any = false;
    for (longitude, latitude, member) in items {
        cmd = cmd.arg(longitude).arg(latitude).arg(member);
        any = true;
    }
    // `.required` checks the last list added: an empty list adds none.
    if any {
        cmd
    } else {
        cmd.args_from(std::iter::empty::<&str>()).required("items")
    }
}

fn georadius_cmd<T: FromValue>(
    key: impl ToArg,
    longitude: f64,
    latitude: f64,
    radius: f64,
    unit: GeoUnit,
) -> Cmd<T> {
    Cmd::new("GEORADIUS")
        .key(key)
        .arg(longitude)
        .arg(latitude)
        .arg(radius)
        .arg(unit.token())
}

fn georadiusbymember_cmd<T: FromValue>(
    key: impl ToArg,
    member: impl ToArg,
    radius: f64,
    unit: GeoUnit,
) -> Cmd<T> {
    Cmd::new("GEORADIUSBYMEMBER")
        .key(key)
        .arg(member)
        .arg(radius)
        .arg(unit.token())
}

/// Turns a `GEORADIUS…` command into its storing form: count, order, `STORE|STOREDIST dest`;
/// the reply is the number of members stored.
fn store(cmd: Cmd<i64>, destination: impl ToArg, options: GeoStoreOptions) -> Cmd<i64> {
    let token = if options.is_storedist() {
        "STOREDIST"
    } else {
        "STORE"
    };
    options.apply_order_count(cmd).arg(token).key(destination)
}
