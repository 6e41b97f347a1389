//! The cursor commands — `SCAN` (keys), `HSCAN` (hash fields), `SSCAN` (set members), `ZSCAN`
//! (sorted-set members) — page by page, and iterators that walk a whole cursor lazily.
//!
//! The design of the iterators is documented on [`ScanCommands`] (this module is private).

use std::fmt;
use std::iter::FusedIterator;

use super::Executor;
use crate::args::ToArg;
use crate::cmd::Cmd;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::{CollectionScanOptions, ScanOptions, ScanPage, ScoredMember};

/// The cursor commands and their iterators.
///
/// # Pages
///
/// Each call returns a [`ScanPage`]: the items of one page and the cursor to pass to the next
/// call. A walk starts at cursor `0` and is complete when the server returns `0` again. The
/// server's guarantees hold for the whole walk: every element present from its start to its
/// end is returned (possibly more than once); elements added or removed meanwhile may or may
/// not be.
///
/// # Iterators
///
/// [`ScanCommands::scan_iter`], [`hscan_iter`](ScanCommands::hscan_iter),
/// [`sscan_iter`](ScanCommands::sscan_iter), [`zscan_iter`](ScanCommands::zscan_iter) (and
/// the `NOVALUES`/`NOSCORES` forms) return a [`ScanIter`] yielding `Result<item>`. It issues
/// the next call only when the items of the current page are consumed, and ends after the
/// page whose cursor is `0`. An error (the key replaced by another type, a lost connection)
/// is yielded once and ends the iteration; [`ScanIter::cursor`] tells where to resume.
///
/// Walking needs the reply of one page before asking for the next, so the iterators exist
/// on the executors whose commands return their result directly — whose `Output<T>` is
/// `Result<T>`: [`crate::Redis`] and [`crate::Dedicated`]. The methods are part of the same
/// trait as the page commands, with that requirement as a bound (`where Self:
/// Executor<Output<ScanPage<T>> = Result<ScanPage<T>>>`), so they need no import of their
/// own and are a compile error on a deferred or building executor:
///
/// ```compile_fail
/// use coredis::prelude::*;
/// use coredis::types::ScanOptions;
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let d = r.deferred();
/// for key in d.scan_iter::<String>(ScanOptions::new()) {} // error: a Handle is not a Result
/// # Ok::<(), coredis::Error>(())
/// ```
pub trait ScanCommands: Executor {
    /// One page of the keys of the database, from `cursor` (`0` to start).
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of keys.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/scan>
    fn scan<T: FromValue>(&self, cursor: u64) -> Self::Output<ScanPage<T>> {
        self.execute(scan_cmd(cursor, &ScanOptions::new()))
    }

    /// `SCAN` with options: a glob-style pattern (`MATCH`), a work hint (`COUNT`), a type of
    /// value (`TYPE`, Redis 6.0+).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{KeyType, ScanOptions};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let options = ScanOptions::new().pattern("user:*").type_(KeyType::Hash);
    /// let mut cursor = 0;
    /// loop {
    ///     let page = r.scan_with::<String>(cursor, options.clone())?;
    ///     for key in page.items { /* … */ }
    ///     if page.cursor == 0 { break; }
    ///     cursor = page.cursor;
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of keys.
    /// Since: Redis 2.8 (`TYPE`: 6.0).
    ///
    /// # See also
    /// <https://redis.io/commands/scan>
    fn scan_with<T: FromValue>(
        &self,
        cursor: u64,
        options: ScanOptions,
    ) -> Self::Output<ScanPage<T>> {
        self.execute(scan_cmd(cursor, &options))
    }

    /// One page of the `(field, value)` pairs of the hash at `key`, from `cursor`.
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of fields.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/hscan>
    fn hscan<F: FromValue, V: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
    ) -> Self::Output<ScanPage<(F, V)>> {
        self.execute(hscan_cmd(key, cursor, &CollectionScanOptions::new(), false))
    }

    /// `HSCAN` with options (`MATCH` on the field names, `COUNT`).
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of fields.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/hscan>
    fn hscan_with<F: FromValue, V: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
        options: CollectionScanOptions,
    ) -> Self::Output<ScanPage<(F, V)>> {
        self.execute(hscan_cmd(key, cursor, &options, false))
    }

    /// `HSCAN … NOVALUES`: one page of the field names of the hash at `key`, without values.
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of fields.
    /// Since: Redis 7.4, Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/hscan/>
    fn hscan_novalues<F: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
    ) -> Self::Output<ScanPage<F>> {
        self.execute(hscan_cmd(key, cursor, &CollectionScanOptions::new(), true))
    }

    /// `HSCAN … NOVALUES` with options (`MATCH`, `COUNT`).
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of fields.
    /// Since: Redis 7.4, Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/hscan/>
    fn hscan_novalues_with<F: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
        options: CollectionScanOptions,
    ) -> Self::Output<ScanPage<F>> {
        self.execute(hscan_cmd(key, cursor, &options, true))
    }

    /// One page of the members of the set at `key`, from `cursor`.
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of members.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/sscan>
    fn sscan<M: FromValue>(&self, key: impl ToArg, cursor: u64) -> Self::Output<ScanPage<M>> {
        self.execute(sscan_cmd(key, cursor, &CollectionScanOptions::new()))
    }

    /// `SSCAN` with options (`MATCH`, `COUNT`).
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of members.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/sscan>
    fn sscan_with<M: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
        options: CollectionScanOptions,
    ) -> Self::Output<ScanPage<M>> {
        self.execute(sscan_cmd(key, cursor, &options))
    }

    /// One page of the `(member, score)` pairs of the sorted set at `key`, from `cursor`.
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of members.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/zscan>
    fn zscan<M: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
    ) -> Self::Output<ScanPage<ScoredMember<M>>> {
        self.execute(zscan_cmd(key, cursor, &CollectionScanOptions::new(), false))
    }

    /// `ZSCAN` with options (`MATCH` on the members, `COUNT`).
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of members.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/zscan>
    fn zscan_with<M: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
        options: CollectionScanOptions,
    ) -> Self::Output<ScanPage<ScoredMember<M>>> {
        self.execute(zscan_cmd(key, cursor, &options, false))
    }

    /// `ZSCAN … NOSCORES`: one page of the members of the sorted set at `key`, without scores.
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of members.
    /// Since: Valkey 8.0, Redis 8.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/zscan/>
    fn zscan_noscores<M: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
    ) -> Self::Output<ScanPage<M>> {
        self.execute(zscan_cmd(key, cursor, &CollectionScanOptions::new(), true))
    }

    /// `ZSCAN … NOSCORES` with options (`MATCH`, `COUNT`).
    ///
    /// Complexity: O(1) per call; O(N) for a whole walk, N being the number of members.
    /// Since: Valkey 8.0, Redis 8.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/zscan/>
    fn zscan_noscores_with<M: FromValue>(
        &self,
        key: impl ToArg,
        cursor: u64,
        options: CollectionScanOptions,
    ) -> Self::Output<ScanPage<M>> {
        self.execute(zscan_cmd(key, cursor, &options, true))
    }

    /// Every key of the database (matching `options`), one `SCAN` page at a time, as the
    /// iteration goes. A key may come more than once; see [`ScanCommands`] for the
    /// guarantees.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ScanOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// for key in r.scan_iter::<String>(ScanOptions::new().pattern("session:*").count(500)) {
    ///     let key = key?;
    ///     // …
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N) for the whole walk, one O(1) call per page.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/scan>
    fn scan_iter<T: FromValue>(&self, options: ScanOptions) -> ScanIter<'_, Self, T>
    where
        Self: Executor<Output<ScanPage<T>> = Result<ScanPage<T>>>,
    {
        ScanIter::new(self, Source::Scan(options))
    }

    /// Every `(field, value)` pair of the hash at `key` (matching `options`), one `HSCAN` page
    /// at a time.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::CollectionScanOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// for pair in r.hscan_iter::<String, i64>("scores", CollectionScanOptions::new()) {
    ///     let (field, value) = pair?;
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N) for the whole walk, one O(1) call per page.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/hscan>
    fn hscan_iter<F: FromValue, V: FromValue>(
        &self,
        key: impl ToArg,
        options: CollectionScanOptions,
    ) -> ScanIter<'_, Self, (F, V)>
    where
        Self: Executor<Output<ScanPage<(F, V)>> = Result<ScanPage<(F, V)>>>,
    {
        ScanIter::new(self, Source::hash(key, options, false))
    }

    /// Every field name of the hash at `key` (matching `options`), one `HSCAN … NOVALUES` page
    /// at a time.
    ///
    /// Complexity: O(N) for the whole walk, one O(1) call per page.
    /// Since: Redis 7.4, Valkey 8.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/hscan/>
    fn hscan_novalues_iter<F: FromValue>(
        &self,
        key: impl ToArg,
        options: CollectionScanOptions,
    ) -> ScanIter<'_, Self, F>
    where
        Self: Executor<Output<ScanPage<F>> = Result<ScanPage<F>>>,
    {
        ScanIter::new(self, Source::hash(key, options, true))
    }

    /// Every member of the set at `key` (matching `options`), one `SSCAN` page at a time.
    ///
    /// Complexity: O(N) for the whole walk, one O(1) call per page.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/sscan>
    fn sscan_iter<M: FromValue>(
        &self,
        key: impl ToArg,
        options: CollectionScanOptions,
    ) -> ScanIter<'_, Self, M>
    where
        Self: Executor<Output<ScanPage<M>> = Result<ScanPage<M>>>,
    {
        ScanIter::new(
            self,
            Source::Set {
                key: EncodedArg::of(key),
                options,
            },
        )
    }

    /// Every `(member, score)` pair of the sorted set at `key` (matching `options`), one
    /// `ZSCAN` page at a time.
    ///
    /// Complexity: O(N) for the whole walk, one O(1) call per page.
    /// Since: Redis 2.8.
    ///
    /// # See also
    /// <https://redis.io/commands/zscan>
    fn zscan_iter<M: FromValue>(
        &self,
        key: impl ToArg,
        options: CollectionScanOptions,
    ) -> ScanIter<'_, Self, ScoredMember<M>>
    where
        Self: Executor<Output<ScanPage<ScoredMember<M>>> = Result<ScanPage<ScoredMember<M>>>>,
    {
        ScanIter::new(self, Source::zset(key, options, false))
    }

    /// Every member of the sorted set at `key` (matching `options`), one `ZSCAN … NOSCORES`
    /// page at a time.
    ///
    /// Complexity: O(N) for the whole walk, one O(1) call per page.
    /// Since: Valkey 8.0, Redis 8.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/zscan/>
    fn zscan_noscores_iter<M: FromValue>(
        &self,
        key: impl ToArg,
        options: CollectionScanOptions,
    ) -> ScanIter<'_, Self, M>
    where
        Self: Executor<Output<ScanPage<M>> = Result<ScanPage<M>>>,
    {
        ScanIter::new(self, Source::zset(key, options, true))
    }
}

impl<E: Executor + ?Sized> ScanCommands for E {}

fn scan_cmd<T: FromValue>(cursor: u64, options: &ScanOptions) -> Cmd<ScanPage<T>> {
    options.apply(Cmd::new("SCAN").arg(cursor)).readonly()
}

fn hscan_cmd<T: FromValue>(
    key: impl ToArg,
    cursor: u64,
    options: &CollectionScanOptions,
    novalues: bool,
) -> Cmd<ScanPage<T>> {
    options
        .apply(Cmd::new("HSCAN").key(key).arg(cursor))
        .flag(novalues, "NOVALUES")
        .readonly()
}

fn sscan_cmd<T: FromValue>(
    key: impl ToArg,
    cursor: u64,
    options: &CollectionScanOptions,
) -> Cmd<ScanPage<T>> {
    options
        .apply(Cmd::new("SSCAN").key(key).arg(cursor))
        .readonly()
}

fn zscan_cmd<T: FromValue>(
    key: impl ToArg,
    cursor: u64,
    options: &CollectionScanOptions,
    noscores: bool,
) -> Cmd<ScanPage<T>> {
    options
        .apply(Cmd::new("ZSCAN").key(key).arg(cursor))
        .flag(noscores, "NOSCORES")
        .readonly()
}

/// An argument encoded once (a RESP bulk string, as [`ToArg::write_arg`] writes it), so an
/// iterator can keep a key of any [`ToArg`] type without borrowing it.
#[derive(Clone)]
struct EncodedArg(Vec<u8>);

impl EncodedArg {
    fn of(arg: impl ToArg) -> EncodedArg {
        let mut out = Vec::new();
        arg.write_arg(&mut out);
        EncodedArg(out)
    }
}

impl ToArg for EncodedArg {
    fn write_arg(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

/// Which command an iterator walks.
#[derive(Clone)]
enum Source {
    Scan(ScanOptions),
    Hash {
        key: EncodedArg,
        options: CollectionScanOptions,
        novalues: bool,
    },
    Set {
        key: EncodedArg,
        options: CollectionScanOptions,
    },
    ZSet {
        key: EncodedArg,
        options: CollectionScanOptions,
        noscores: bool,
    },
}

impl Source {
    fn hash(key: impl ToArg, options: CollectionScanOptions, novalues: bool) -> Source {
        Source::Hash {
            key: EncodedArg::of(key),
            options,
            novalues,
        }
    }

    fn zset(key: impl ToArg, options: CollectionScanOptions, noscores: bool) -> Source {
        Source::ZSet {
            key: EncodedArg::of(key),
            options,
            noscores,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Source::Scan(_) => "SCAN",
            Source::Hash { .. } => "HSCAN",
            Source::Set { .. } => "SSCAN",
            Source::ZSet { .. } => "ZSCAN",
        }
    }

    /// The command reading the page at `cursor`.
    fn page<T: FromValue>(&self, cursor: u64) -> Cmd<ScanPage<T>> {
        match self {
            Source::Scan(options) => scan_cmd(cursor, options),
            Source::Hash {
                key,
                options,
                novalues,
            } => hscan_cmd(key, cursor, options, *novalues),
            Source::Set { key, options } => sscan_cmd(key, cursor, options),
            Source::ZSet {
                key,
                options,
                noscores,
            } => zscan_cmd(key, cursor, options, *noscores),
        }
    }
}

/// A lazy walk over a whole cursor (`SCAN`, `HSCAN`, `SSCAN`, `ZSCAN`), from
/// [`ScanCommands::scan_iter`] and friends: yields `Result<T>`, reading the next page only
/// when the current one is consumed. See [`ScanCommands`].
pub struct ScanIter<'a, E: ?Sized, T> {
    executor: &'a E,
    source: Source,
    /// The cursor of the next page to read.
    cursor: u64,
    items: std::vec::IntoIter<T>,
    /// The last page has been read, or an error ended the walk.
    finished: bool,
    pages: u64,
}

impl<'a, E: ?Sized, T> ScanIter<'a, E, T> {
    fn new(executor: &'a E, source: Source) -> ScanIter<'a, E, T> {
        ScanIter {
            executor,
            source,
            cursor: 0,
            items: Vec::new().into_iter(),
            finished: false,
            pages: 0,
        }
    }

    /// The cursor the next page would be read from: `0` before the first page and after the
    /// last one. After an error, the cursor of the page that failed (pass it to the page
    /// method, e.g. [`ScanCommands::scan_with`], to resume by hand).
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// How many pages have been read so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }
}

impl<E: ?Sized, T> fmt::Debug for ScanIter<'_, E, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanIter")
            .field("command", &self.source.name())
            .field("cursor", &self.cursor)
            .field("pages", &self.pages)
            .field("buffered", &self.items.len())
            .field("finished", &self.finished)
            .finish()
    }
}

impl<E, T> Iterator for ScanIter<'_, E, T>
where
    E: Executor<Output<ScanPage<T>> = Result<ScanPage<T>>> + ?Sized,
    T: FromValue,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(item) = self.items.next() {
                return Some(Ok(item));
            }
            if self.finished {
                return None;
            }
            match self.executor.execute(self.source.page(self.cursor)) {
                Ok(page) => {
                    self.pages += 1;
                    self.cursor = page.cursor;
                    self.finished = page.cursor == 0;
                    self.items = page.items.into_iter();
                }
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<E, T> FusedIterator for ScanIter<'_, E, T>
where
    E: Executor<Output<ScanPage<T>> = Result<ScanPage<T>>> + ?Sized,
    T: FromValue,
{
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Build;
    use crate::error::{Error, ErrorKind};
    use crate::value::Value;
    use std::cell::RefCell;

    /// An executor replaying canned pages and recording the commands it was given.
    struct Canned {
        replies: RefCell<Vec<Result<Value>>>,
        sent: RefCell<Vec<Vec<String>>>,
    }

    impl Executor for Canned {
        type Output<T> = Result<T>;

        fn execute<T>(&self, cmd: Cmd<T>) -> Result<T> {
            let (request, decoder) = cmd.into_parts();
            self.sent.borrow_mut().push(
                request
                    .args()
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect(),
            );
            let reply = self.replies.borrow_mut().remove(0)?;
            decoder.convert(reply)
        }
    }

    fn page(cursor: &str, items: &[&str]) -> Result<Value> {
        Ok(Value::Array(vec![
            Value::Bulk(cursor.to_string().into()),
            Value::Array(
                items
                    .iter()
                    .map(|i| Value::Bulk(i.to_string().into()))
                    .collect(),
            ),
        ]))
    }

    #[test]
    fn walks_pages_lazily_and_stops_at_zero() {
        let r = Canned {
            replies: RefCell::new(vec![
                page("7", &["a", "b"]),
                page("3", &[]),
                page("0", &["c"]),
            ]),
            sent: RefCell::new(Vec::new()),
        };
        let mut it = r.sscan_iter::<String>("s", CollectionScanOptions::new().count(2));
        assert_eq!(it.next().unwrap().unwrap(), "a");
        assert_eq!(r.sent.borrow().len(), 1, "one page read so far");
        assert_eq!(it.cursor(), 7);
        let rest: Vec<String> = it.by_ref().map(|x| x.unwrap()).collect();
        assert_eq!(rest, ["b", "c"]);
        assert!(it.next().is_none());
        assert_eq!(it.pages(), 3);
        let sent = r.sent.borrow();
        assert_eq!(sent[0], ["SSCAN", "s", "0", "COUNT", "2"]);
        assert_eq!(sent[1], ["SSCAN", "s", "7", "COUNT", "2"]);
        assert_eq!(sent[2], ["SSCAN", "s", "3", "COUNT", "2"]);
    }

    #[test]
    fn an_error_ends_the_walk() {
        let r = Canned {
            replies: RefCell::new(vec![
                page("5", &["a"]),
                Err(Error::new(ErrorKind::Closed, "gone")),
            ]),
            sent: RefCell::new(Vec::new()),
        };
        let mut it = r.scan_iter::<String>(ScanOptions::new());
        assert_eq!(it.next().unwrap().unwrap(), "a");
        assert_eq!(it.next().unwrap().unwrap_err().kind(), ErrorKind::Closed);
        assert_eq!(it.cursor(), 5, "where to resume");
        assert!(it.next().is_none());
    }

    #[test]
    fn pages_are_built_with_their_options() {
        let c = Build.zscan_noscores_with::<String>(
            "z",
            9,
            CollectionScanOptions::new().pattern("m*").count(3),
        );
        let words: Vec<&[u8]> = c.request().args().collect();
        assert_eq!(
            words,
            [
                &b"ZSCAN"[..],
                b"z",
                b"9",
                b"MATCH",
                b"m*",
                b"COUNT",
                b"3",
                b"NOSCORES"
            ]
        );
        assert_eq!(c.key_positions(), &[1]);
        assert!(c.is_readonly());
        let key = EncodedArg::of(&b"k\r\ney"[..]);
        let c = Source::Hash {
            key,
            options: CollectionScanOptions::new(),
            novalues: true,
        }
        .page::<String>(4);
        let words: Vec<&[u8]> = c.request().args().collect();
        assert_eq!(words, [&b"HSCAN"[..], b"k\r\ney", b"4", b"NOVALUES"]);
        assert_eq!(
            c.slot(),
            Build.hscan::<String, String>(&b"k\r\ney"[..], 0).slot()
        );
    }
}
