//! Pub/Sub on threads: a subscriber with its own connection and reader thread.
//!
//! Owns: [`Subscriber`] (subscribe, unsubscribe and ping at any time, from any thread; messages
//! through a bounded channel or to handlers run on the reader thread), [`Message`],
//! [`SubscriberOptions`] (the channel's size and what happens when it is full) and
//! [`SubscriberEvent`] (connection loss and resubscription, opt-in). Its connection is a
//! [`Streaming`] one: lost, it is re-established with back-off and every channel and pattern
//! still subscribed is subscribed again. RESP3 (push frames) and RESP2 (subscribed-mode
//! replies) read alike.
//!
//! Must not: share its connection with commands (a subscribed RESP2 connection takes no other
//! command; on RESP3 it would tie the pipe to a stream), or let a slow consumer grow memory:
//! the channel is bounded, and by default a full channel stops the reader, so the server
//! buffers (and applies its `client-output-buffer-limit` for pub/sub).

use bytes::Bytes;
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender, TrySendError};
use parking_lot::{Condvar, Mutex};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::args::ToArgs;
use crate::client::Redis;
use crate::cmd::Cmd;
use crate::connection::ConnWriter;
use crate::error::{Error, ErrorKind, Result};
use crate::from_value::FromValue;
use crate::resp::{self, Limits};
use crate::stream::{StreamHandler, Streaming};
use crate::value::Value;

/// How long the reader waits on a full channel before looking at the stop flag again.
const SEND_TICK: Duration = Duration::from_millis(100);

/// A message received on a subscribed channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern it matched, for a pattern subscription (`PSUBSCRIBE`).
    pub pattern: Option<Bytes>,
    /// What was published.
    pub payload: Bytes,
    /// True for a sharded channel's message (`SSUBSCRIBE`).
    pub sharded: bool,
}

impl Message {
    /// The payload converted to `T` (`String`, a number, …).
    ///
    /// # Errors
    /// [`ErrorKind::Type`] when it does not convert.
    pub fn payload<T: FromValue>(&self) -> Result<T> {
        T::from_value(Value::Bulk(self.payload.clone()))
    }

    /// The channel as text (lossy for non-UTF-8 names).
    pub fn channel_str(&self) -> String {
        String::from_utf8_lossy(&self.channel).into_owned()
    }
}

impl<'a> IntoIterator for &'a Subscriber {
    type Item = Message;
    type IntoIter = crossbeam_channel::Iter<'a, Message>;

    /// [`Subscriber::iter`]: the messages, blocking, until the subscriber is closed.
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// What happened to a subscriber's connection, from [`Subscriber::events`] when
/// [`SubscriberOptions::events`] asked for them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SubscriberEvent {
    /// The connection was lost (messages published meanwhile are lost too: that is pub/sub).
    Disconnected(Error),
    /// A new connection is up and the server confirmed every channel and pattern subscribed
    /// again: messages published from now on are received.
    Resubscribed,
    /// The server confirmed a subscription (with [`SubscriberOptions::confirmations`]), also
    /// each one made again after a reconnection.
    Subscribed(Confirmation),
    /// The server confirmed an unsubscription (with [`SubscriberOptions::confirmations`]),
    /// also one the server made by itself (a sharded channel whose slot moved).
    Unsubscribed(Confirmation),
}

/// A subscription or unsubscription the server confirmed: [`SubscriberEvent::Subscribed`],
/// [`SubscriberEvent::Unsubscribed`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Confirmation {
    /// The channel, pattern or sharded channel.
    pub channel: Bytes,
    /// Whether `channel` is a pattern (`PSUBSCRIBE`).
    pub pattern: bool,
    /// Whether `channel` is a sharded channel (`SSUBSCRIBE`).
    pub sharded: bool,
    /// How many subscriptions of this connection remain after it, as the server counts
    /// them (channels and patterns together; sharded channels on their own).
    pub count: i64,
}

/// What the reader does when the channel to the consumer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Overflow {
    /// Stop reading until there is room (the default): nothing is lost on the client; the
    /// server buffers, and closes the connection past its `client-output-buffer-limit` for
    /// pub/sub (the subscriber then reconnects and resubscribes).
    #[default]
    Backpressure,
    /// Drop the oldest message to make room, and count it ([`Subscriber::dropped`]).
    DropOldest,
}

/// How a [`Subscriber`] delivers messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub struct SubscriberOptions {
    capacity: usize,
    overflow: Overflow,
    events: bool,
    confirmations: bool,
}

impl Default for SubscriberOptions {
    fn default() -> Self {
        SubscriberOptions {
            capacity: 10_000,
            overflow: Overflow::Backpressure,
            events: false,
            confirmations: false,
        }
    }
}

impl SubscriberOptions {
    /// The capacity of the message channel.
    pub(crate) fn channel_capacity(&self) -> usize {
        self.capacity
    }

    /// The defaults: a channel of 10,000 messages, back-pressure, no events.
    pub fn new() -> SubscriberOptions {
        SubscriberOptions::default()
    }

    /// How many messages the channel to the consumer holds (at least 1).
    pub fn capacity(mut self, capacity: usize) -> SubscriberOptions {
        self.capacity = capacity.max(1);
        self
    }

    /// What happens when the channel is full.
    pub fn overflow(mut self, overflow: Overflow) -> SubscriberOptions {
        self.overflow = overflow;
        self
    }

    /// Deliver connection events ([`SubscriberEvent`]) on [`Subscriber::events`], a channel
    /// apart from the messages. It holds 64 events (1,024 with confirmations); when nobody
    /// reads it, later events are dropped — the reader never waits for it.
    pub fn events(mut self, on: bool) -> SubscriberOptions {
        self.events = on;
        self
    }

    /// Deliver the server's confirmations of subscriptions and unsubscriptions as
    /// [`SubscriberEvent::Subscribed`] and [`SubscriberEvent::Unsubscribed`] on
    /// [`Subscriber::events`] (which this turns on). They never enter the message channel.
    ///
    /// ```no_run
    /// use coredis::{SubscriberEvent, SubscriberOptions};
    /// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let sub = r.pubsub_with(SubscriberOptions::new().confirmations(true))?;
    /// sub.subscribe("news")?;
    /// if let Some(events) = sub.events() {
    ///     if let Ok(SubscriberEvent::Subscribed(c)) = events.recv() {
    ///         assert_eq!(&c.channel[..], b"news");
    ///     }
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    pub fn confirmations(mut self, on: bool) -> SubscriberOptions {
        self.confirmations = on;
        self
    }
}

/// The kind of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe(self) -> &'static str {
        match self {
            Kind::Channel => "SUBSCRIBE",
            Kind::Pattern => "PSUBSCRIBE",
            Kind::Shard => "SSUBSCRIBE",
        }
    }

    fn unsubscribe(self) -> &'static str {
        match self {
            Kind::Channel => "UNSUBSCRIBE",
            Kind::Pattern => "PUNSUBSCRIBE",
            Kind::Shard => "SUNSUBSCRIBE",
        }
    }
}

/// A message handler run on the subscriber's reader thread.
type MessageHandler = Arc<dyn Fn(Message) + Send + Sync>;

/// The subscriptions and what waits on them, under one lock.
#[derive(Default)]
struct Subs {
    /// Every subscription the user holds, and whether the current connection confirmed it.
    active: BTreeMap<(Kind, Bytes), bool>,
    /// Unsubscriptions sent and not yet confirmed.
    leaving: BTreeMap<(Kind, Bytes), ()>,
    /// Handlers by subscription (messages of these go to the handler, not the channel).
    handlers: HashMap<(Kind, Bytes), MessageHandler>,
    /// The `PING`s written on the current connection and not answered yet, oldest first (by
    /// number): each `PONG` answers the oldest.
    pings: VecDeque<u64>,
    /// The number of the next `PING`.
    next_ping: u64,
    /// The outcome of `PING`s whose caller has not looked yet: answered (`true`) or lost with
    /// their connection (`false`).
    ping_outcomes: HashMap<u64, bool>,
    /// `PING`s whose caller stopped waiting (timeout): their outcome is not kept.
    pings_abandoned: HashSet<u64>,
    /// A reconnection's resubscription is not confirmed yet: [`SubscriberEvent::Resubscribed`]
    /// is due once it is.
    resubscribing: bool,
    /// Error replies received (a refused `SUBSCRIBE`: `NOPERM` for a channel the ACL user may
    /// not use), and the last one. A call waiting for confirmations fails with it when one
    /// came after its command was written and its own confirmations did not.
    refusals: u64,
    last_refusal: Option<Error>,
    /// The last reconnection attempt's credentials were refused (the password was changed on
    /// the server): calls waiting for the server fail with this `ErrorKind::Auth` error at
    /// once instead of timing out. Cleared by the next connection.
    refused_credentials: Option<Error>,
}

impl Subs {
    /// Records the outcome of `PING` number `ping`, unless its caller left.
    fn ping_done(&mut self, ping: u64, answered: bool) {
        if !self.pings_abandoned.remove(&ping) {
            self.ping_outcomes.insert(ping, answered);
        }
    }

    /// The caller of `PING` number `ping` stopped waiting: its outcome is not kept.
    fn abandon_ping(&mut self, ping: u64) {
        if self.ping_outcomes.remove(&ping).is_none() {
            self.pings_abandoned.insert(ping);
        }
    }

    /// A `PONG` came: it answers the oldest `PING` written.
    fn pong(&mut self) {
        match self.pings.pop_front() {
            Some(ping) => self.ping_done(ping, true),
            None => log::debug!("coredis: a subscriber got a PONG for no PING"),
        }
    }

    /// Marks `key` confirmed; true when that completes a reconnection's resubscription.
    fn confirm(&mut self, key: (Kind, Bytes)) -> bool {
        if let Some(confirmed) = self.active.get_mut(&key) {
            *confirmed = true;
        }
        self.resubscription_done()
    }

    /// True (once) when a reconnection's resubscription is complete.
    fn resubscription_done(&mut self) -> bool {
        if self.resubscribing && self.active.values().all(|c| *c) {
            self.resubscribing = false;
            return true;
        }
        false
    }
}

/// What the reader thread and the user's threads share.
struct Inner {
    subs: Mutex<Subs>,
    changed: Condvar,
    /// The sending end, dropped when the subscriber closes (so `recv` ends).
    tx: Mutex<Option<Sender<Message>>>,
    /// A receiver of the reader's own, to drop the oldest message when full.
    rx_for_drops: Receiver<Message>,
    events: Option<(Sender<SubscriberEvent>, Receiver<SubscriberEvent>)>,
    /// Confirmations are events too ([`SubscriberOptions::confirmations`]).
    confirmations: bool,
    overflow: Overflow,
    /// Whether any subscription has a handler (saves the lookup per message when none has).
    has_handlers: AtomicBool,
    dropped: AtomicU64,
    closed: AtomicBool,
    /// Told about what a cluster subscriber must react to (see [`Watched`]).
    watch: Option<Watch>,
}

/// What a cluster subscriber is told about one of its node subscribers.
#[derive(Debug, Clone)]
pub(crate) enum Watched {
    /// The connection was lost.
    Disconnected,
    /// The server dropped a sharded subscription by itself (its slot moved away), or refused
    /// one with `MOVED`.
    ShardMoved,
}

/// Where a subscriber reports [`Watched`] events.
pub(crate) type Watch = Arc<dyn Fn(Watched) + Send + Sync>;

/// A pub/sub subscriber, from [`Redis::pubsub`]: its own connection and reader thread.
///
/// `Send + Sync`: subscribe and unsubscribe from any thread while another receives.
///
/// ```no_run
/// use coredis::prelude::*;
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let sub = r.pubsub()?;
/// sub.subscribe(["news", "alerts"])?;      // returns once the server confirmed
/// sub.psubscribe("user:*")?;
/// r.publish("news", "hello")?;
/// let m = sub.recv()?;
/// assert_eq!(m.payload::<String>()?, "hello");
/// // Or select over it with your own channels:
/// let rx = sub.receiver().clone();
/// # let _ = rx;
/// # Ok::<(), coredis::Error>(())
/// ```
pub struct Subscriber {
    inner: Arc<Inner>,
    rx: Receiver<Message>,
    stream: Streaming,
}

impl fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subs = self.inner.subs.lock();
        f.debug_struct("Subscriber")
            .field("subscriptions", &subs.active.len())
            .field("queued", &self.rx.len())
            .finish()
    }
}

impl Redis {
    /// A subscriber with the default [`SubscriberOptions`]: its own connection (opened now) and
    /// reader thread.
    ///
    /// # Errors
    /// Those of connecting (see [`Redis::new`]).
    pub fn pubsub(&self) -> Result<Subscriber> {
        self.pubsub_with(SubscriberOptions::new())
    }

    /// A subscriber with `options`.
    ///
    /// # Errors
    /// Those of connecting (see [`Redis::new`]).
    pub fn pubsub_with(&self, options: SubscriberOptions) -> Result<Subscriber> {
        let node = self.node();
        Subscriber::start(
            self.config().clone(),
            node.connector(),
            &options,
            crossbeam_channel::bounded(options.capacity),
            None,
        )
    }
}

impl Subscriber {
    /// A subscriber connected through `connector` (now), delivering into `channel` (which
    /// several subscribers of a cluster share), reporting to `watch`.
    pub(crate) fn start(
        config: crate::config::Config,
        connector: Arc<dyn crate::connection::Connector>,
        options: &SubscriberOptions,
        channel: (Sender<Message>, Receiver<Message>),
        watch: Option<Watch>,
    ) -> Result<Subscriber> {
        let (tx, rx) = channel;
        let inner = Arc::new(Inner {
            subs: Mutex::new(Subs::default()),
            changed: Condvar::new(),
            tx: Mutex::new(Some(tx)),
            rx_for_drops: rx.clone(),
            events: match (options.events, options.confirmations) {
                (_, true) => Some(crossbeam_channel::bounded(1024)),
                (true, false) => Some(crossbeam_channel::bounded(64)),
                (false, false) => None,
            },
            confirmations: options.confirmations,
            overflow: options.overflow,
            has_handlers: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            watch,
        });
        let handler: Arc<dyn StreamHandler> = Arc::new(Reader {
            inner: inner.clone(),
        });
        let name = format!("coredis-pubsub {}", config.addr());
        let stream = Streaming::start(config, connector, handler, &name)?;
        Ok(Subscriber { inner, rx, stream })
    }

    /// Whether the current connection confirmed every subscription (false while
    /// disconnected).
    pub(crate) fn all_confirmed(&self) -> bool {
        self.inner.subs.lock().active.values().all(|c| *c)
    }

    /// The sharded channels held.
    pub(crate) fn shard_channels(&self) -> Vec<Bytes> {
        self.inner
            .subs
            .lock()
            .active
            .keys()
            .filter(|(k, _)| *k == Kind::Shard)
            .map(|(_, n)| n.clone())
            .collect()
    }

    /// Drops sharded channels from what is held without asking the server (their slot moved
    /// to another node, which a cluster subscriber subscribes on instead).
    pub(crate) fn forget_shard_channels(&self, names: &[Bytes]) {
        let mut subs = self.inner.subs.lock();
        for n in names {
            subs.active.remove(&(Kind::Shard, n.clone()));
        }
    }

    /// Subscribes to `channels` and returns once the server confirmed every one (within the
    /// response timeout). Messages published to them from then on are received.
    ///
    /// # Errors
    /// [`ErrorKind::Usage`] for an empty list, [`ErrorKind::Timeout`] when the confirmation did
    /// not come (the subscription stays requested: it is made when the connection is back),
    /// [`ErrorKind::Auth`] at once while reconnecting is refused the credentials (likewise
    /// kept), [`ErrorKind::Permission`] for a channel the ACL user may not use (not kept),
    /// [`ErrorKind::Closed`] after [`Subscriber::close`].
    pub fn subscribe(&self, channels: impl ToArgs) -> Result<()> {
        self.add(Kind::Channel, channels, None)
    }

    /// Subscribes to channels matching `patterns` (`PSUBSCRIBE`, glob-style).
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn psubscribe(&self, patterns: impl ToArgs) -> Result<()> {
        self.add(Kind::Pattern, patterns, None)
    }

    /// Subscribes to sharded `channels` (`SSUBSCRIBE`, Redis 7.0+).
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn ssubscribe(&self, channels: impl ToArgs) -> Result<()> {
        self.add(Kind::Shard, channels, None)
    }

    /// Subscribes to `channel` with `handler` run on the subscriber's reader thread for each of
    /// its messages (they do not go to the channel). Keep handlers short: the reader waits for
    /// them. A handler that panics is logged and the reader goes on.
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn subscribe_with(
        &self,
        channel: impl ToArgs,
        handler: impl Fn(Message) + Send + Sync + 'static,
    ) -> Result<()> {
        self.add(Kind::Channel, channel, Some(Arc::new(handler)))
    }

    /// [`Subscriber::subscribe_with`] for a pattern.
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn psubscribe_with(
        &self,
        pattern: impl ToArgs,
        handler: impl Fn(Message) + Send + Sync + 'static,
    ) -> Result<()> {
        self.add(Kind::Pattern, pattern, Some(Arc::new(handler)))
    }

    /// Unsubscribes from `channels` and returns once the server confirmed.
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn unsubscribe(&self, channels: impl ToArgs) -> Result<()> {
        self.remove(Kind::Channel, channels)
    }

    /// Unsubscribes from `patterns`.
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn punsubscribe(&self, patterns: impl ToArgs) -> Result<()> {
        self.remove(Kind::Pattern, patterns)
    }

    /// Unsubscribes from sharded `channels`.
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn sunsubscribe(&self, channels: impl ToArgs) -> Result<()> {
        self.remove(Kind::Shard, channels)
    }

    /// `PING` on the subscribed connection; returns once the server answered.
    ///
    /// # Errors
    /// [`ErrorKind::Timeout`] when no answer came within the response timeout;
    /// [`ErrorKind::Auth`] at once while reconnecting is refused the credentials.
    pub fn ping(&self) -> Result<()> {
        let deadline = self.deadline();
        let mut ping = None;
        let sent = self
            .stream
            .write_with(&encode(&Cmd::<Value>::new("PING")), deadline, || {
                // Numbered in the order the PINGs are written (each PONG answers the oldest),
                // before the PONG can come.
                let mut subs = self.inner.subs.lock();
                let n = subs.next_ping;
                subs.next_ping += 1;
                subs.pings.push_back(n);
                ping = Some(n);
            });
        let mut subs = self.inner.subs.lock();
        let Some(ping) = ping else {
            return Err(match &subs.refused_credentials {
                Some(e) => e.clone(),
                None => timeout("PING"),
            });
        };
        if !sent {
            // The connection failed as it was written: its PONG will not come.
            subs.abandon_ping(ping);
            return Err(Error::new(
                ErrorKind::Closed,
                "the connection was lost as the PING was written",
            )
            .with_command("PING"));
        }
        loop {
            if let Some(answered) = subs.ping_outcomes.remove(&ping) {
                return if answered {
                    Ok(())
                } else {
                    Err(Error::new(
                        ErrorKind::Closed,
                        "the connection was lost before the PING was answered",
                    )
                    .with_command("PING"))
                };
            }
            let failed = match &subs.refused_credentials {
                Some(e) => Some(e.clone()),
                None => self
                    .inner
                    .changed
                    .wait_until(&mut subs, deadline)
                    .timed_out()
                    .then(|| timeout("PING")),
            };
            if let Some(e) = failed {
                subs.abandon_ping(ping);
                return Err(e);
            }
        }
    }

    /// The next message, waiting for it.
    ///
    /// # Errors
    /// [`ErrorKind::Closed`] once the subscriber is closed and every message was received.
    pub fn recv(&self) -> Result<Message> {
        self.rx.recv().map_err(|_| closed())
    }

    /// The next message, waiting at most `timeout`; `Ok(None)` when none came.
    ///
    /// # Errors
    /// As [`Subscriber::recv`].
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Message>> {
        match self.rx.recv_timeout(timeout) {
            Ok(m) => Ok(Some(m)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(closed()),
        }
    }

    /// The next message if one is waiting.
    pub fn try_recv(&self) -> Option<Message> {
        self.rx.try_recv().ok()
    }

    /// The channel the messages come on, to `select!` over it with other channels.
    pub fn receiver(&self) -> &Receiver<Message> {
        &self.rx
    }

    /// The messages, as a blocking iterator (it ends when the subscriber is closed). `for m
    /// in &sub` does the same.
    pub fn iter(&self) -> crossbeam_channel::Iter<'_, Message> {
        self.rx.iter()
    }

    /// The connection events, when [`SubscriberOptions::events`] asked for them.
    pub fn events(&self) -> Option<&Receiver<SubscriberEvent>> {
        self.inner.events.as_ref().map(|(_, rx)| rx)
    }

    /// How many messages [`Overflow::DropOldest`] dropped.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// How many subscriptions (channels, patterns, sharded channels) are held.
    pub fn subscriptions(&self) -> usize {
        self.inner.subs.lock().active.len()
    }

    /// Closes the connection and stops the reader thread. Messages already received stay in
    /// the channel. Dropping the subscriber does the same.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.changed.notify_all();
        self.stream.close();
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.stream.config().response_timeout()
    }

    fn add(&self, kind: Kind, names: impl ToArgs, handler: Option<MessageHandler>) -> Result<()> {
        let cmd = Cmd::<Value>::new(kind.subscribe())
            .args(names)
            .required("channels");
        cmd.request().check_valid()?;
        if self.stream.is_closed() {
            return Err(closed());
        }
        let keys = names_of(&cmd);
        let refusals = {
            let mut subs = self.inner.subs.lock();
            for k in &keys {
                subs.active.entry((kind, k.clone())).or_insert(false);
                if let Some(h) = &handler {
                    subs.handlers.insert((kind, k.clone()), h.clone());
                    self.inner.has_handlers.store(true, Ordering::Release);
                }
            }
            subs.refusals
        };
        let deadline = self.deadline();
        self.stream.write(&encode(&cmd), deadline);
        let done = |subs: &Subs| {
            keys.iter()
                .all(|k| subs.active.get(&(kind, k.clone())) == Some(&true))
        };
        let result = self.wait(deadline, kind.subscribe(), refusals, done);
        if result
            .as_ref()
            .is_err_and(|e| matches!(e.kind(), ErrorKind::Server | ErrorKind::Permission))
        {
            // Refused (a channel the ACL user may not use is `ErrorKind::Permission`): not
            // wanted any more (the next connection would be refused too).
            let mut subs = self.inner.subs.lock();
            for k in &keys {
                if subs.active.get(&(kind, k.clone())) == Some(&false) {
                    subs.active.remove(&(kind, k.clone()));
                    subs.handlers.remove(&(kind, k.clone()));
                }
            }
        }
        result
    }

    fn remove(&self, kind: Kind, names: impl ToArgs) -> Result<()> {
        let cmd = Cmd::<Value>::new(kind.unsubscribe())
            .args(names)
            .required("channels");
        cmd.request().check_valid()?;
        let keys = names_of(&cmd);
        let refusals = {
            let mut subs = self.inner.subs.lock();
            for k in &keys {
                subs.active.remove(&(kind, k.clone()));
                subs.handlers.remove(&(kind, k.clone()));
                subs.leaving.insert((kind, k.clone()), ());
            }
            subs.refusals
        };
        let deadline = self.deadline();
        if !self.stream.write(&encode(&cmd), deadline) {
            // Not connected: the next connection will not subscribe to them anyway.
            let mut subs = self.inner.subs.lock();
            for k in &keys {
                subs.leaving.remove(&(kind, k.clone()));
            }
            return Ok(());
        }
        let result = self.wait(deadline, kind.unsubscribe(), refusals, |subs| {
            keys.iter()
                .all(|k| !subs.leaving.contains_key(&(kind, k.clone())))
        });
        if result.is_err() {
            let mut subs = self.inner.subs.lock();
            for k in &keys {
                subs.leaving.remove(&(kind, k.clone()));
            }
        }
        result
    }

    /// Waits until `done`, the deadline, or an error reply that came after `refusals` ones.
    fn wait(
        &self,
        deadline: Instant,
        command: &str,
        refusals: u64,
        done: impl Fn(&Subs) -> bool,
    ) -> Result<()> {
        let mut subs = self.inner.subs.lock();
        while !done(&subs) {
            if self.inner.closed.load(Ordering::SeqCst) {
                return Err(closed());
            }
            if let Some(e) = &subs.refused_credentials {
                return Err(e.clone());
            }
            if subs.refusals != refusals {
                if let Some(e) = &subs.last_refusal {
                    return Err(e.clone().with_command(command));
                }
            }
            if self
                .inner
                .changed
                .wait_until(&mut subs, deadline)
                .timed_out()
            {
                return if done(&subs) {
                    Ok(())
                } else {
                    Err(timeout(command))
                };
            }
        }
        Ok(())
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.close();
    }
}

/// The words after the command name: the channels or patterns.
fn names_of(cmd: &Cmd<Value>) -> Vec<Bytes> {
    cmd.request()
        .args()
        .skip(1)
        .map(Bytes::copy_from_slice)
        .collect()
}

/// The fast path for the frame nearly every frame is, a message (`message`, `pmessage`,
/// `smessage`; RESP3 push or RESP2 array of bulk strings), read straight from the frame: its
/// parts are slices of it. `None` for any other frame, which is then decoded in full.
fn parse_message(frame: &Bytes) -> Option<(Kind, Message)> {
    let mut at = 0;
    let header = line(frame, &mut at)?;
    let (&marker, count) = header.split_first()?;
    if marker != b'>' && marker != b'*' {
        return None;
    }
    let count = digits(count)?;
    let mut bulk = || {
        let (&marker, len) = line(frame, &mut at)?.split_first()?;
        if marker != b'$' {
            return None;
        }
        let start = at;
        let end = start.checked_add(digits(len)?)?;
        if frame.get(end..end.checked_add(2)?)? != b"\r\n" {
            return None;
        }
        at = end + 2;
        Some(frame.slice(start..end))
    };
    let word = bulk()?;
    let (kind, m) = match (count, &word[..]) {
        (3, b"message" | b"smessage") => {
            let sharded = &word[..] == b"smessage";
            let (channel, payload) = (bulk()?, bulk()?);
            let kind = if sharded { Kind::Shard } else { Kind::Channel };
            let m = Message {
                channel,
                pattern: None,
                payload,
                sharded,
            };
            (kind, m)
        }
        (4, b"pmessage") => {
            let (pattern, channel, payload) = (bulk()?, bulk()?, bulk()?);
            let m = Message {
                channel,
                pattern: Some(pattern),
                payload,
                sharded: false,
            };
            (Kind::Pattern, m)
        }
        _ => return None,
    };
    (at == frame.len()).then_some((kind, m))
}

/// The line at `*at` (without its CRLF); moves `*at` past it.
fn line<'a>(frame: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let rest = frame.get(*at..)?;
    let n = rest.iter().position(|&b| b == b'\r')?;
    if rest.get(n + 1) != Some(&b'\n') {
        return None;
    }
    *at += n + 2;
    rest.get(..n)
}

/// A non-negative decimal number.
fn digits(text: &[u8]) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0usize, |n, &d| {
        d.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(usize::from(d - b'0')))?
    })
}

/// The bytes of a string reply, without copying them.
fn into_bytes(v: Value) -> Option<Bytes> {
    match v {
        Value::Bulk(b) | Value::SimpleString(b) => Some(b),
        _ => None,
    }
}

fn encode(cmd: &Cmd<Value>) -> Vec<u8> {
    let mut out = Vec::new();
    cmd.request().encode_into(&mut out);
    out
}

fn closed() -> Error {
    Error::new(ErrorKind::Closed, "the subscriber was closed")
}

fn timeout(command: &str) -> Error {
    Error::new(
        ErrorKind::Timeout,
        "the server did not confirm within the response timeout",
    )
    .with_command(command)
}

/// The subscriber's stream handler, on its reader thread.
struct Reader {
    inner: Arc<Inner>,
}

impl Reader {
    /// Hands a message (of a `kind` subscription) to its handler, or to the channel (by the
    /// overflow policy).
    fn deliver(&self, kind: Kind, m: Message) {
        if self.inner.has_handlers.load(Ordering::Acquire) {
            let name = match (kind, &m.pattern) {
                (Kind::Pattern, Some(p)) => p.clone(),
                _ => m.channel.clone(),
            };
            let handler = self.inner.subs.lock().handlers.get(&(kind, name)).cloned();
            if let Some(h) = handler {
                // A panicking handler must not take the reader (and every subscription) down.
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h(m)));
                if run.is_err() {
                    log::error!("coredis: a subscriber's message handler panicked");
                }
                return;
            }
        }
        // Only this thread sends: holding the lock while waiting for room blocks no one.
        let tx = self.inner.tx.lock();
        let Some(tx) = tx.as_ref() else {
            return;
        };
        let mut m = m;
        loop {
            match self.inner.overflow {
                Overflow::Backpressure => match tx.send_timeout(m, SEND_TICK) {
                    Ok(()) => return,
                    Err(SendTimeoutError::Timeout(back)) => {
                        if self.inner.closed.load(Ordering::SeqCst) {
                            return;
                        }
                        m = back;
                    }
                    Err(SendTimeoutError::Disconnected(_)) => return,
                },
                Overflow::DropOldest => match tx.try_send(m) {
                    Ok(()) => return,
                    Err(TrySendError::Full(back)) => {
                        if self.inner.rx_for_drops.try_recv().is_ok() {
                            self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                        }
                        m = back;
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                },
            }
        }
    }

    /// A confirmation event for `name` of `kind`, whose count is `count`, when asked for.
    fn confirmed(
        &self,
        kind: Kind,
        name: Bytes,
        count: Option<Value>,
        event: fn(Confirmation) -> SubscriberEvent,
    ) {
        if !self.inner.confirmations {
            return;
        }
        let count = match count {
            Some(Value::Int(n)) => n,
            _ => -1,
        };
        self.event(event(Confirmation {
            channel: name,
            pattern: kind == Kind::Pattern,
            sharded: kind == Kind::Shard,
            count,
        }));
    }

    fn event(&self, e: SubscriberEvent) {
        if let Some((tx, _)) = &self.inner.events {
            let _ = tx.try_send(e);
        }
    }

    fn watched(&self, w: Watched) {
        if let Some(watch) = &self.inner.watch {
            watch(w);
        }
    }
}

impl StreamHandler for Reader {
    fn on_frame(&self, frame: Bytes, limits: &Limits) -> Result<()> {
        if let Some((kind, m)) = parse_message(&frame) {
            self.deliver(kind, m);
            return Ok(());
        }
        self.on_value(resp::decode_with_limits(&frame, limits)?.strip_attributes())
    }

    fn on_connect(&self, writer: &mut ConnWriter, reconnected: bool) -> Result<()> {
        // Everything still subscribed, subscribed again (nothing the first time).
        let mut out = Vec::new();
        {
            let mut subs = self.inner.subs.lock();
            subs.refused_credentials = None;
            subs.leaving.clear();
            for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
                // Sharded channels one slot at a time (a cluster refuses SSUBSCRIBE across
                // slots); the others in one command.
                let mut groups: BTreeMap<u16, Vec<Bytes>> = BTreeMap::new();
                for (_, n) in subs.active.keys().filter(|(k, _)| *k == kind) {
                    let group = if kind == Kind::Shard {
                        crate::route::key_slot(n)
                    } else {
                        0
                    };
                    groups.entry(group).or_default().push(n.clone());
                }
                for names in groups.into_values() {
                    let cmd = Cmd::<Value>::new(kind.subscribe()).args(names);
                    cmd.request().encode_into(&mut out);
                }
            }
            for confirmed in subs.active.values_mut() {
                *confirmed = false;
            }
            subs.resubscribing = reconnected;
        }
        if !out.is_empty() {
            let deadline = Instant::now() + Duration::from_secs(30);
            writer
                .write_all_by(&out, deadline)
                .map_err(|e| Error::io("resubscribing failed", e))?;
        }
        // Nothing to confirm: resubscribed already.
        if self.inner.subs.lock().resubscription_done() {
            self.event(SubscriberEvent::Resubscribed);
        }
        Ok(())
    }

    fn on_value(&self, value: Value) -> Result<()> {
        let items = match value {
            Value::Push(items) | Value::Array(items) => items,
            Value::Error(e) => {
                log::warn!("coredis: a subscriber's connection got an error reply: {e}");
                if matches!(e.kind(), crate::error::ServerCode::Moved { .. }) {
                    self.watched(Watched::ShardMoved);
                }
                let mut subs = self.inner.subs.lock();
                subs.refusals += 1;
                subs.last_refusal = Some(Error::server(e));
                drop(subs);
                self.inner.changed.notify_all();
                return Ok(());
            }
            // A RESP3 PING reply while subscribed.
            Value::SimpleString(s) if &s[..] == b"PONG" => {
                self.inner.subs.lock().pong();
                self.inner.changed.notify_all();
                return Ok(());
            }
            other => {
                return Err(Error::protocol(format!(
                    "a subscriber got {}",
                    other.describe()
                )))
            }
        };
        let mut it = items.into_iter();
        let kind = it.next().and_then(into_bytes).unwrap_or_default();
        let mut text = || it.next().and_then(into_bytes);
        // Servers send these in lower case; anything else is compared as such.
        let kind = if kind.iter().any(u8::is_ascii_uppercase) {
            Bytes::from(kind.to_ascii_lowercase())
        } else {
            kind
        };
        match &kind[..] {
            b"message" | b"smessage" => {
                let (Some(channel), Some(payload)) = (text(), text()) else {
                    return Err(Error::protocol("a malformed pub/sub message"));
                };
                let sharded = &kind[..] == b"smessage";
                let m = Message {
                    channel,
                    pattern: None,
                    payload,
                    sharded,
                };
                self.deliver(if sharded { Kind::Shard } else { Kind::Channel }, m);
            }
            b"pmessage" => {
                let (Some(pattern), Some(channel), Some(payload)) = (text(), text(), text()) else {
                    return Err(Error::protocol("a malformed pub/sub pattern message"));
                };
                let m = Message {
                    channel,
                    pattern: Some(pattern),
                    payload,
                    sharded: false,
                };
                self.deliver(Kind::Pattern, m);
            }
            b"subscribe" | b"psubscribe" | b"ssubscribe" => {
                let kind = match &kind[..] {
                    b"subscribe" => Kind::Channel,
                    b"psubscribe" => Kind::Pattern,
                    _ => Kind::Shard,
                };
                if let Some(name) = text() {
                    let done = self.inner.subs.lock().confirm((kind, name.clone()));
                    self.inner.changed.notify_all();
                    self.confirmed(kind, name, it.next(), SubscriberEvent::Subscribed);
                    if done {
                        self.event(SubscriberEvent::Resubscribed);
                    }
                }
            }
            b"unsubscribe" | b"punsubscribe" | b"sunsubscribe" => {
                let kind = match &kind[..] {
                    b"unsubscribe" => Kind::Channel,
                    b"punsubscribe" => Kind::Pattern,
                    _ => Kind::Shard,
                };
                if let Some(name) = text() {
                    self.confirmed(kind, name.clone(), it.next(), SubscriberEvent::Unsubscribed);
                    let mut subs = self.inner.subs.lock();
                    let key = (kind, name);
                    let asked = subs.leaving.remove(&key).is_some();
                    // A sharded channel the server dropped by itself: its slot moved away.
                    let moved = !asked && kind == Kind::Shard && subs.active.remove(&key).is_some();
                    drop(subs);
                    self.inner.changed.notify_all();
                    if moved {
                        self.watched(Watched::ShardMoved);
                    }
                }
            }
            // A RESP2 PING reply while subscribed: ["pong", ""].
            b"pong" => {
                self.inner.subs.lock().pong();
                self.inner.changed.notify_all();
            }
            _ => log::debug!(
                "coredis: a subscriber ignored a {:?} frame",
                String::from_utf8_lossy(&kind)
            ),
        }
        Ok(())
    }

    fn on_reconnect_failed(&self, error: &Error) {
        let refused = (error.kind() == ErrorKind::Auth).then(|| error.clone());
        self.inner.subs.lock().refused_credentials = refused;
        self.inner.changed.notify_all();
    }

    fn on_disconnect(&self, error: &Error) {
        let mut subs = self.inner.subs.lock();
        for confirmed in subs.active.values_mut() {
            *confirmed = false;
        }
        // The PINGs written on the lost connection get no PONG.
        while let Some(ping) = subs.pings.pop_front() {
            subs.ping_done(ping, false);
        }
        drop(subs);
        self.inner.changed.notify_all();
        self.event(SubscriberEvent::Disconnected(error.clone()));
        self.watched(Watched::Disconnected);
    }

    fn on_close(&self) {
        // Receivers get what is queued, then "closed".
        self.inner.tx.lock().take();
        self.inner.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_parse_straight_from_their_frames() {
        let (kind, m) = parse_message(&Bytes::from_static(
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\na\r\n\r\n",
        ))
        .unwrap();
        assert_eq!(kind, Kind::Channel);
        assert_eq!(
            (&m.channel[..], &m.payload[..], m.sharded),
            (&b"ch"[..], &b"a\r\n"[..], false)
        );
        let (kind, m) = parse_message(&Bytes::from_static(
            b"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n",
        ))
        .unwrap();
        assert_eq!(kind, Kind::Pattern);
        assert_eq!(m.pattern.as_deref(), Some(&b"c*"[..]));
        assert!(m.payload.is_empty());
        let (kind, m) = parse_message(&Bytes::from_static(
            b">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n",
        ))
        .unwrap();
        assert_eq!((kind, m.sharded), (Kind::Shard, true));
    }

    #[test]
    fn anything_else_is_left_to_the_full_decoder() {
        let good = b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nabc\r\n";
        for n in 0..good.len() {
            assert!(
                parse_message(&Bytes::copy_from_slice(&good[..n])).is_none(),
                "prefix {n}"
            );
        }
        for other in [
            &b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"[..],
            b">4\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\na\r\n$1\r\nb\r\n",
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nab\r\n",
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$99999999999999999999999\r\na\r\n",
            b"+PONG\r\n",
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\na\r\nextra",
        ] {
            assert!(
                parse_message(&Bytes::copy_from_slice(other)).is_none(),
                "{other:?}"
            );
        }
    }
}
