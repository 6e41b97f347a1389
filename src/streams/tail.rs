//! The plain stream reader: [`StreamTail`], its builder and [`TailEntry`].

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use super::{check_settings, fields, next_item, Link, StopHandle};
use super::{DEFAULT_BLOCK, DEFAULT_COUNT};
use crate::client::Redis;
use crate::commands::{BlockingStreamCommands, StreamCommands};
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::{StreamEntry, StreamId, StreamReadReply, XReadOptions};
use crate::value::Value;

/// Settings of a [`StreamTail`], from [`StreamTail::builder`]; [`build`] starts it.
///
/// [`build`]: StreamTailBuilder::build
#[derive(Debug, Clone)]
#[must_use]
pub struct StreamTailBuilder {
    /// Each stream, and the id to read after (`None`: the stream's last entry at build time).
    streams: Vec<(String, Option<StreamId>)>,
    block: Duration,
    count: u64,
    stop: Option<StopHandle>,
}

impl StreamTailBuilder {
    /// Adds a stream to follow from now on (`$`): only entries added after
    /// [`build`](StreamTailBuilder::build) are read.
    pub fn stream(mut self, key: impl Into<String>) -> StreamTailBuilder {
        self.streams.push((key.into(), None));
        self
    }

    /// Adds a stream to read from the entry after `after` on (`StreamId::MIN`: the whole
    /// stream), then follow.
    pub fn stream_after(mut self, key: impl Into<String>, after: StreamId) -> StreamTailBuilder {
        self.streams.push((key.into(), Some(after)));
        self
    }

    /// How long one read waits for new entries before the iterator checks its
    /// [`StopHandle`] (default [`super::DEFAULT_BLOCK`]; must be above zero).
    pub fn block(mut self, timeout: Duration) -> StreamTailBuilder {
        self.block = timeout;
        self
    }

    /// How many entries one read asks for, per stream (default [`super::DEFAULT_COUNT`]).
    pub fn count(mut self, count: u64) -> StreamTailBuilder {
        self.count = count;
        self
    }

    /// Uses `stop` (possibly shared with other readers) instead of a handle of its own.
    pub fn stop_handle(mut self, stop: &StopHandle) -> StreamTailBuilder {
        self.stop = Some(stop.clone());
        self
    }

    /// Checks the settings, finds where the streams added with
    /// [`StreamTailBuilder::stream`] end now (their last entry, `XREVRANGE … COUNT 1`; a
    /// missing stream starts at `0-0`), opens the reader's dedicated connection and returns
    /// the reader. `F` is the type entries' fields convert to.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Usage`] for no stream, a stream given twice, a zero block timeout
    /// or count; the server's error when a key is not a stream; the errors of
    /// [`Redis::dedicated`].
    pub fn build<F: FromValue>(self, redis: &Redis) -> Result<StreamTail<F>> {
        check_settings(
            "stream tail",
            self.streams.iter().map(|(k, _)| k.as_str()),
            self.block,
            self.count,
        )?;
        let mut streams = Vec::with_capacity(self.streams.len());
        for (key, after) in self.streams {
            let after = match after {
                Some(id) => id,
                None => last_id(redis, &key)?,
            };
            streams.push((key, after));
        }
        let mut link = Link::new(redis);
        link.run(|_| Ok(()))?;
        Ok(StreamTail {
            link,
            streams,
            block: self.block,
            count: self.count,
            buffer: VecDeque::new(),
            stop: self.stop.unwrap_or_default(),
            backoff: super::Backoff::default(),
        })
    }
}

/// The id of the last entry of `key` (`0-0` when there is none): what `$` means now.
fn last_id(redis: &Redis, key: &str) -> Result<StreamId> {
    let last: Vec<StreamEntry<Value>> = redis
        .xrevrange_with(key, "+", "-", 1)
        .map_err(|e| e.context(format_args!("finding the end of stream `{key}`")))?;
    Ok(last.first().map_or(StreamId::MIN, |e| e.id))
}

/// An entry read by a [`StreamTail`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TailEntry<F = Vec<(String, String)>> {
    /// The stream's key.
    pub key: String,
    /// The entry's id.
    pub id: StreamId,
    /// The entry's fields and values.
    pub fields: F,
}

/// A reader following one or more streams with `XREAD BLOCK`, as a blocking iterator of
/// [`TailEntry`]s, on a dedicated connection of its own. Built by [`StreamTail::builder`].
///
/// It remembers the last id read from each stream and reads after it, so no entry is missed
/// between reads, nor after a reconnection; a stream added "from now" starts after its last
/// entry at build time (rather than sending `$` with every read, which would miss entries
/// added between two reads). The iterator waits one block timeout at a time and checks its
/// [`StopHandle`] between waits; it ends (`None`) only when stopped. Errors are `Err` items,
/// after which the iteration can go on.
///
/// ```no_run
/// use coredis::streams::StreamTail;
/// use coredis::types::StreamId;
///
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let tail: StreamTail = StreamTail::builder()
///     .stream("events")                       // from now on
///     .stream_after("audit", StreamId::MIN)   // from the beginning
///     .build(&r)?;
/// let stop = tail.stop_handle();
/// for entry in tail {
///     let entry = entry?;
///     println!("{} {} {:?}", entry.key, entry.id, entry.fields);
/// #   stop.stop();
/// }
/// # Ok::<(), coredis::Error>(())
/// ```
pub struct StreamTail<F = Vec<(String, String)>> {
    link: Link,
    /// Each stream and the id of the last entry read (or the start).
    streams: Vec<(String, StreamId)>,
    block: Duration,
    count: u64,
    buffer: VecDeque<Result<TailEntry<F>>>,
    stop: StopHandle,
    backoff: super::Backoff,
}

impl StreamTail {
    /// A builder; add streams with [`StreamTailBuilder::stream`] or
    /// [`StreamTailBuilder::stream_after`].
    pub fn builder() -> StreamTailBuilder {
        StreamTailBuilder {
            streams: Vec::new(),
            block: DEFAULT_BLOCK,
            count: DEFAULT_COUNT,
            stop: None,
        }
    }
}

impl<F: FromValue> StreamTail<F> {
    /// A handle that ends the iteration from any thread (at the latest one block timeout
    /// later).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// The id of the last entry read from `key` (or where reading starts), `None` for a
    /// stream this reader does not follow.
    pub fn last_id(&self, key: &str) -> Option<StreamId> {
        self.streams
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, id)| *id)
    }

    /// The next entry, like [`Iterator::next`], but returning `None` after one read that
    /// found nothing (one block timeout) instead of waiting on. `None` also when stopped.
    pub fn poll(&mut self) -> Option<Result<TailEntry<F>>> {
        self.step(true)
    }

    /// The next entry: see [`next_item`].
    fn step(&mut self, once: bool) -> Option<Result<TailEntry<F>>> {
        let (link, streams) = (&mut self.link, &mut self.streams);
        let (block, count) = (self.block, self.count);
        next_item(
            &self.stop,
            &mut self.backoff,
            &mut self.buffer,
            once,
            |out| read(link, streams, block, count, out),
        )
    }
}

impl<F: FromValue> Iterator for StreamTail<F> {
    type Item = Result<TailEntry<F>>;

    /// The next entry, waiting for one (a block timeout at a time) until stopped.
    fn next(&mut self) -> Option<Result<TailEntry<F>>> {
        self.step(false)
    }
}

impl<F> fmt::Debug for StreamTail<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamTail")
            .field("streams", &self.streams)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

/// One `XREAD BLOCK` after the last id of each stream, into `out`.
fn read<F: FromValue>(
    link: &mut Link,
    streams: &mut [(String, StreamId)],
    block: Duration,
    count: u64,
    out: &mut VecDeque<Result<TailEntry<F>>>,
) -> Result<()> {
    let reply: Vec<StreamReadReply<Value>> = link
        .run(|c| {
            c.xread_block_with(
                streams.iter().map(|(k, id)| (k.as_str(), *id)),
                block,
                XReadOptions::new().count(count),
            )
        })
        .map_err(|e| e.context("stream tail"))?;
    for stream in reply {
        let Some((key, last)) = streams.iter_mut().find(|(k, _)| *k == stream.key) else {
            continue; // not asked for: nothing to remember it by
        };
        for entry in stream.entries {
            *last = (*last).max(entry.id);
            out.push_back(fields(key, entry.id, entry.fields).map(|fields| TailEntry {
                key: key.clone(),
                id: entry.id,
                fields,
            }));
        }
    }
    Ok(())
}
