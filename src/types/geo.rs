//! Options, areas and replies of the geospatial commands (`GEOADD`, `GEOSEARCH`, `GEORADIUS`, …).
//!
//! Searches return plain members unless a `WITH*` option asks for more; the `_with` methods
//! return [`GeoResult`]s, which read the member alone as well as the member with any of its
//! distance, geohash and position, in RESP2 and RESP3 alike.

use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::types::KeyCondition;
use crate::value::Value;

/// A distance unit (`M`, `KM`, `FT`, `MI`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum GeoUnit {
    /// `M`: metres (the server's default).
    #[default]
    M,
    /// `KM`: kilometres.
    Km,
    /// `FT`: feet.
    Ft,
    /// `MI`: miles.
    Mi,
}

impl GeoUnit {
    /// The token sent to the server, in lower case: servers before 7.0 accept no other.
    pub fn token(self) -> &'static str {
        match self {
            GeoUnit::M => "m",
            GeoUnit::Km => "km",
            GeoUnit::Ft => "ft",
            GeoUnit::Mi => "mi",
        }
    }
}

/// The order of search results by distance from the centre (`ASC`, `DESC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GeoOrder {
    /// `ASC`: nearest first.
    Asc,
    /// `DESC`: farthest first.
    Desc,
}

impl GeoOrder {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            GeoOrder::Asc => "ASC",
            GeoOrder::Desc => "DESC",
        }
    }
}

/// A point: longitude then latitude, in degrees (the order Redis uses everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct GeoPosition {
    /// Longitude in degrees (-180 to 180).
    pub longitude: f64,
    /// Latitude in degrees (about -85.05 to 85.05).
    pub latitude: f64,
}

impl GeoPosition {
    /// The point at `longitude`, `latitude`.
    pub fn new(longitude: f64, latitude: f64) -> GeoPosition {
        GeoPosition {
            longitude,
            latitude,
        }
    }
}

impl FromValue for GeoPosition {
    /// Reads `[longitude, latitude]`: bulk strings in RESP2, doubles in RESP3.
    fn from_value(value: Value) -> Result<Self> {
        let (longitude, latitude) = <(f64, f64)>::from_value(value)?;
        Ok(GeoPosition {
            longitude,
            latitude,
        })
    }
}

/// Where a search is centred: on a member of the set (`FROMMEMBER`) or on a point
/// (`FROMLONLAT`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GeoOrigin {
    /// `FROMMEMBER member`: the position of this member (binary-safe).
    Member(Vec<u8>),
    /// `FROMLONLAT longitude latitude`.
    LonLat(f64, f64),
}

impl GeoOrigin {
    /// Centred on `member`'s position.
    pub fn member(member: impl AsRef<[u8]>) -> GeoOrigin {
        GeoOrigin::Member(member.as_ref().to_vec())
    }

    /// Centred on the point `longitude`, `latitude`.
    pub fn lonlat(longitude: f64, latitude: f64) -> GeoOrigin {
        GeoOrigin::LonLat(longitude, latitude)
    }

    fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        match self {
            GeoOrigin::Member(m) => cmd.arg("FROMMEMBER").arg(m),
            GeoOrigin::LonLat(lon, lat) => cmd.arg("FROMLONLAT").arg(lon).arg(lat),
        }
    }
}

/// The area `GEOSEARCH` and `GEOSEARCHSTORE` look in: a circle or a rectangle around an
/// origin, or (Valkey 9.0+) a polygon.
///
/// ```
/// use coredis::types::{GeoArea, GeoOrigin, GeoUnit};
/// let near_me = GeoArea::by_radius(GeoOrigin::lonlat(15.0, 37.0), 200.0, GeoUnit::Km);
/// let around_rome = GeoArea::by_box(GeoOrigin::member("Rome"), 400.0, 300.0, GeoUnit::Km);
/// let sicily = GeoArea::by_polygon([(12.0, 36.0), (16.0, 36.0), (16.0, 39.0), (12.0, 39.0)]);
/// # let _ = (near_me, around_rome, sicily);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GeoArea {
    /// `FROM… BYRADIUS radius unit`: within `radius` of `origin`.
    Radius {
        /// The centre.
        origin: GeoOrigin,
        /// The radius, in `unit`.
        radius: f64,
        /// The unit of `radius` (and of the distances returned).
        unit: GeoUnit,
    },
    /// `FROM… BYBOX width height unit`: within the axis-aligned rectangle centred on `origin`.
    Box {
        /// The centre.
        origin: GeoOrigin,
        /// The east-west size, in `unit`.
        width: f64,
        /// The north-south size, in `unit`.
        height: f64,
        /// The unit of the sizes (and of the distances returned).
        unit: GeoUnit,
    },
    /// `BYPOLYGON n lon lat …` (Valkey 9.0+): within the polygon whose vertices are these
    /// `(longitude, latitude)` points, in order. Distances are in metres, from the polygon's
    /// centroid. An empty list is refused before sending.
    Polygon(Vec<(f64, f64)>),
}

impl GeoArea {
    /// Within `radius` (in `unit`) of `origin` (`BYRADIUS`).
    pub fn by_radius(origin: GeoOrigin, radius: f64, unit: GeoUnit) -> GeoArea {
        GeoArea::Radius {
            origin,
            radius,
            unit,
        }
    }

    /// Within the `width` × `height` rectangle (in `unit`) centred on `origin` (`BYBOX`).
    pub fn by_box(origin: GeoOrigin, width: f64, height: f64, unit: GeoUnit) -> GeoArea {
        GeoArea::Box {
            origin,
            width,
            height,
            unit,
        }
    }

    /// Within the polygon of `(longitude, latitude)` vertices (`BYPOLYGON`, Valkey 9.0+).
    pub fn by_polygon(vertices: impl IntoIterator<Item = (f64, f64)>) -> GeoArea {
        GeoArea::Polygon(vertices.into_iter().collect())
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        match self {
            GeoArea::Radius {
                origin,
                radius,
                unit,
            } => origin
                .apply(cmd)
                .arg("BYRADIUS")
                .arg(radius)
                .arg(unit.token()),
            GeoArea::Box {
                origin,
                width,
                height,
                unit,
            } => origin
                .apply(cmd)
                .arg("BYBOX")
                .arg(width)
                .arg(height)
                .arg(unit.token()),
            GeoArea::Polygon(vertices) => cmd
                .arg("BYPOLYGON")
                .arg(vertices.len())
                .args_from(vertices.into_iter().flat_map(|(lon, lat)| [lon, lat]))
                .required("polygon vertices"),
        }
    }
}

/// How many results at most, and whether any matches will do (`COUNT n [ANY]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct GeoCount {
    count: u64,
    any: bool,
}

fn apply_order_count<T>(cmd: Cmd<T>, order: Option<GeoOrder>, count: Option<GeoCount>) -> Cmd<T> {
    let cmd = match count {
        Some(c) => cmd.arg("COUNT").arg(c.count).flag(c.any, "ANY"),
        None => cmd,
    };
    match order {
        Some(o) => cmd.arg(o.token()),
        None => cmd,
    }
}

/// The optional arguments of `GEOADD`: `NX`/`XX` and `CH` (Redis 6.2+).
///
/// ```
/// use coredis::types::GeoAddOptions;
/// let o = GeoAddOptions::new().xx().ch();
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GeoAddOptions {
    condition: Option<KeyCondition>,
    ch: bool,
}

impl GeoAddOptions {
    /// No options: a plain `GEOADD`.
    #[must_use]
    pub fn new() -> GeoAddOptions {
        GeoAddOptions::default()
    }

    /// Only add new members, never update existing ones (`NX`).
    #[must_use]
    pub fn nx(self) -> GeoAddOptions {
        self.condition(KeyCondition::Nx)
    }

    /// Only update existing members, never add new ones (`XX`).
    #[must_use]
    pub fn xx(self) -> GeoAddOptions {
        self.condition(KeyCondition::Xx)
    }

    /// Sets the condition (replacing an earlier one).
    #[must_use]
    pub fn condition(mut self, condition: KeyCondition) -> GeoAddOptions {
        self.condition = Some(condition);
        self
    }

    /// Count the members whose position changed as well as the added ones (`CH`).
    #[must_use]
    pub fn ch(mut self) -> GeoAddOptions {
        self.ch = true;
        self
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = match self.condition {
            Some(KeyCondition::Nx) => cmd.arg("NX"),
            Some(KeyCondition::Xx) => cmd.arg("XX"),
            None => cmd,
        };
        cmd.flag(self.ch, "CH")
    }
}

/// The optional arguments of a search that returns its results (`GEOSEARCH`, `GEORADIUS`,
/// `GEORADIUSBYMEMBER` and their `_RO` forms): order, count, and what to return with each
/// member (`WITHDIST`, `WITHHASH`, `WITHCOORD`).
///
/// ```
/// use coredis::types::GeoSearchOptions;
/// let o = GeoSearchOptions::new().asc().count(10).withdist().withcoord();
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GeoSearchOptions {
    order: Option<GeoOrder>,
    count: Option<GeoCount>,
    withcoord: bool,
    withdist: bool,
    withhash: bool,
}

impl GeoSearchOptions {
    /// No options: members only, unsorted, all of them.
    #[must_use]
    pub fn new() -> GeoSearchOptions {
        GeoSearchOptions::default()
    }

    /// Nearest first (`ASC`).
    #[must_use]
    pub fn asc(self) -> GeoSearchOptions {
        self.order(GeoOrder::Asc)
    }

    /// Farthest first (`DESC`).
    #[must_use]
    pub fn desc(self) -> GeoSearchOptions {
        self.order(GeoOrder::Desc)
    }

    /// Sets the order (replacing an earlier one).
    #[must_use]
    pub fn order(mut self, order: GeoOrder) -> GeoSearchOptions {
        self.order = Some(order);
        self
    }

    /// At most `count` results, the nearest ones (`COUNT count`).
    #[must_use]
    pub fn count(mut self, count: u64) -> GeoSearchOptions {
        self.count = Some(GeoCount { count, any: false });
        self
    }

    /// At most `count` results, the first found rather than the nearest (`COUNT count ANY`,
    /// Redis 6.2+): faster on large sets.
    #[must_use]
    pub fn count_any(mut self, count: u64) -> GeoSearchOptions {
        self.count = Some(GeoCount { count, any: true });
        self
    }

    /// Return each member's position (`WITHCOORD`): [`GeoResult::position`].
    #[must_use]
    pub fn withcoord(mut self) -> GeoSearchOptions {
        self.withcoord = true;
        self
    }

    /// Return each member's distance from the centre (`WITHDIST`): [`GeoResult::distance`].
    #[must_use]
    pub fn withdist(mut self) -> GeoSearchOptions {
        self.withdist = true;
        self
    }

    /// Return each member's raw geohash (`WITHHASH`): [`GeoResult::hash`].
    #[must_use]
    pub fn withhash(mut self) -> GeoSearchOptions {
        self.withhash = true;
        self
    }

    /// Appends the options in `GEORADIUS` order (`WITH…`, `COUNT`, `ASC|DESC`), which
    /// `GEOSEARCH` accepts too.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = cmd
            .flag(self.withcoord, "WITHCOORD")
            .flag(self.withdist, "WITHDIST")
            .flag(self.withhash, "WITHHASH");
        apply_order_count(cmd, self.order, self.count)
    }
}

/// The optional arguments of a search that stores its results (`GEOSEARCHSTORE`, and
/// `GEORADIUS`/`GEORADIUSBYMEMBER` with `STORE`): order, count, and whether to store
/// distances instead of positions (`STOREDIST`).
///
/// ```
/// use coredis::types::GeoStoreOptions;
/// let o = GeoStoreOptions::new().count(5).storedist();
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GeoStoreOptions {
    order: Option<GeoOrder>,
    count: Option<GeoCount>,
    storedist: bool,
}

impl GeoStoreOptions {
    /// No options: every match stored with its position (a geo set).
    #[must_use]
    pub fn new() -> GeoStoreOptions {
        GeoStoreOptions::default()
    }

    /// Nearest first (`ASC`; matters with a count).
    #[must_use]
    pub fn asc(self) -> GeoStoreOptions {
        self.order(GeoOrder::Asc)
    }

    /// Farthest first (`DESC`; matters with a count).
    #[must_use]
    pub fn desc(self) -> GeoStoreOptions {
        self.order(GeoOrder::Desc)
    }

    /// Sets the order (replacing an earlier one).
    #[must_use]
    pub fn order(mut self, order: GeoOrder) -> GeoStoreOptions {
        self.order = Some(order);
        self
    }

    /// At most `count` results, the nearest ones (`COUNT count`).
    #[must_use]
    pub fn count(mut self, count: u64) -> GeoStoreOptions {
        self.count = Some(GeoCount { count, any: false });
        self
    }

    /// At most `count` results, the first found (`COUNT count ANY`, Redis 6.2+).
    #[must_use]
    pub fn count_any(mut self, count: u64) -> GeoStoreOptions {
        self.count = Some(GeoCount { count, any: true });
        self
    }

    /// Store each member with its distance from the centre as its score (`STOREDIST`),
    /// instead of its position: the destination is then a plain sorted set.
    #[must_use]
    pub fn storedist(mut self) -> GeoStoreOptions {
        self.storedist = true;
        self
    }

    /// Whether [`GeoStoreOptions::storedist`] was set.
    pub fn is_storedist(self) -> bool {
        self.storedist
    }

    /// Appends `COUNT` and the order (the `STORE`/`STOREDIST` token is the caller's).
    pub(crate) fn apply_order_count<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        apply_order_count(cmd, self.order, self.count)
    }
}

/// One result of a geospatial search: the member, and what the `WITH*` options asked for.
///
/// Reads a plain member (no `WITH*` option) as well as `[member, dist?, hash?, [lon, lat]?]`:
/// the distance arrives as a bulk string in RESP2 and RESP3 alike, the position as bulk
/// strings in RESP2 and doubles in RESP3; both become `f64`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GeoResult<T> {
    /// The member.
    pub member: T,
    /// The distance from the search's centre, in the search's unit (`WITHDIST`).
    pub distance: Option<f64>,
    /// The raw 52-bit geohash, the member's score in the sorted set (`WITHHASH`).
    pub hash: Option<u64>,
    /// The member's position (`WITHCOORD`).
    pub position: Option<GeoPosition>,
}

impl<T: FromValue> FromValue for GeoResult<T> {
    fn from_value(value: Value) -> Result<Self> {
        let items = match value {
            Value::Array(items) => items,
            Value::Attribute { value, .. } => return GeoResult::from_value(*value),
            member => {
                return Ok(GeoResult {
                    member: T::from_value(member)?,
                    distance: None,
                    hash: None,
                    position: None,
                })
            }
        };
        let mut it = items.into_iter();
        let member = match it.next() {
            Some(m) => T::from_value(m)?,
            None => return Err(Error::type_mismatch("a geo search result", "array of 0")),
        };
        let mut result = GeoResult {
            member,
            distance: None,
            hash: None,
            position: None,
        };
        // Whatever was asked for comes in the order dist, hash, coord; each has its own type.
        for item in it {
            match item {
                Value::Int(h) => result.hash = Some(u64::from_value(Value::Int(h))?),
                v @ (Value::Array(_) | Value::Set(_)) => {
                    result.position = Some(GeoPosition::from_value(v)?)
                }
                v => result.distance = Some(f64::from_value(v)?),
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn results_from_every_shape() {
        let plain: GeoResult<String> = GeoResult::from_value(bulk("Palermo")).unwrap();
        assert_eq!(plain.member, "Palermo");
        assert_eq!(
            (plain.distance, plain.hash, plain.position),
            (None, None, None)
        );
        for coord in [
            Value::Array(vec![bulk("13.5"), bulk("38.25")]),
            Value::Array(vec![Value::Double(13.5), Value::Double(38.25)]),
        ] {
            let full: GeoResult<String> = GeoResult::from_value(Value::Array(vec![
                bulk("Palermo"),
                bulk("190.4424"),
                Value::Int(3479099956230698),
                coord,
            ]))
            .unwrap();
            assert_eq!(full.distance, Some(190.4424));
            assert_eq!(full.hash, Some(3479099956230698));
            assert_eq!(full.position, Some(GeoPosition::new(13.5, 38.25)));
        }
        let hash_only: GeoResult<String> =
            GeoResult::from_value(Value::Array(vec![bulk("x"), Value::Int(7)])).unwrap();
        assert_eq!((hash_only.hash, hash_only.distance), (Some(7), None));
        assert!(GeoResult::<String>::from_value(Value::Array(vec![])).is_err());
        assert!(GeoResult::<String>::from_value(Value::Array(vec![
            bulk("x"),
            Value::Array(vec![bulk("1")])
        ]))
        .is_err());
        assert!(
            GeoResult::<String>::from_value(Value::Array(vec![bulk("x"), Value::Int(-1)])).is_err()
        );
    }

    #[test]
    fn areas_encode() {
        let words = |c: Cmd<Value>| -> Vec<String> {
            c.request()
                .args()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect()
        };
        let c = GeoArea::by_radius(GeoOrigin::member("m"), 1.5, GeoUnit::Km)
            .apply(Cmd::<Value>::new("GEOSEARCH").key("k"));
        assert_eq!(
            words(c),
            ["GEOSEARCH", "k", "FROMMEMBER", "m", "BYRADIUS", "1.5", "km"]
        );
        let c = GeoArea::by_box(GeoOrigin::lonlat(1.0, 2.0), 3.0, 4.0, GeoUnit::Mi)
            .apply(Cmd::<Value>::new("GEOSEARCH").key("k"));
        assert_eq!(
            words(c),
            [
                "GEOSEARCH",
                "k",
                "FROMLONLAT",
                "1",
                "2",
                "BYBOX",
                "3",
                "4",
                "mi"
            ]
        );
        let c = GeoArea::by_polygon([(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)])
            .apply(Cmd::<Value>::new("GEOSEARCH").key("k"));
        assert_eq!(
            words(c),
            [
                "GEOSEARCH",
                "k",
                "BYPOLYGON",
                "3",
                "1",
                "2",
                "3",
                "4",
                "5",
                "6"
            ]
        );
        let c = GeoArea::by_polygon([]).apply(Cmd::<Value>::new("GEOSEARCH").key("k"));
        assert!(c.request().check_valid().is_err());
    }
}
