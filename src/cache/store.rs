//! The cached replies: a bounded map with LRU eviction, and the bookkeeping that keeps a read
//! racing with an invalidation from storing a stale reply.
//!
//! Owns: [`Store`] (entries by request, an index from each key to the entries that read it, the
//! LRU order, the byte count) and the in-flight reads ([`Token`]s). Every operation is O(keys of
//! the request) plus O(log entries) for the LRU order.
//!
//! Must not: do I/O, decode replies, or decide what is cacheable (the tracker does).

use bytes::Bytes;
use smallvec::SmallVec;
use std::collections::{BTreeMap, HashMap};

/// What one entry costs besides its bytes (map slots, the LRU node, the key index).
const ENTRY_OVERHEAD: usize = 96;

/// The keys of one request.
pub(crate) type Keys = SmallVec<[Bytes; 2]>;

/// One cached reply.
struct Entry {
    frame: Bytes,
    keys: Keys,
    /// Its place in the LRU order.
    tick: u64,
    size: usize,
}

/// A read in flight: taken before its request is sent, so an invalidation of one of its keys
/// that arrives before its reply is stored makes the store a no-op.
#[derive(Debug)]
pub(crate) struct Token {
    epoch: u64,
}

/// Where a read was sent: its pipe (by address) and its place in the order the server runs
/// that pipe's requests.
pub(crate) type Sent = (usize, u64);

/// The later of `newest` and `sent` on the same pipe; `sent` for another pipe (a cluster
/// key's node changed: the newer connection wins).
fn later(newest: Option<Sent>, sent: Sent) -> Sent {
    match newest {
        Some(n) if n.0 == sent.0 && n.1 > sent.1 => n,
        _ => sent,
    }
}

/// The reads in flight on one key.
struct Pending {
    readers: usize,
    /// The epoch of the last invalidation of the key while reads were in flight.
    invalidated_at: u64,
    /// The latest-sent read of the key that finished (stored or not: its caller saw its
    /// value) while reads were in flight, or the latest write fence: an earlier-sent read
    /// finishing after it (its thread was slower) holds an older value and stores nothing, so
    /// no reader sees a key go back in time.
    newest: Option<Sent>,
}

/// What [`Store::store`] and the removals changed, for the statistics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Removed {
    pub(crate) evicted: u64,
}

/// The cached replies, bounded by bytes and entries.
pub(crate) struct Store {
    max_bytes: usize,
    max_entries: usize,
    /// By the request's encoded arguments (command name included).
    entries: HashMap<Bytes, Entry>,
    /// Key → the requests of the entries that read it.
    by_key: HashMap<Bytes, SmallVec<[Bytes; 1]>>,
    /// Tick → request, oldest first.
    lru: BTreeMap<u64, Bytes>,
    tick: u64,
    bytes: usize,
    pending: HashMap<Bytes, Pending>,
    /// Bumped by every invalidation and clear.
    epoch: u64,
    /// The epoch of the last clear: reads begun before it store nothing.
    cleared_at: u64,
}

impl Store {
    pub(crate) fn new(max_bytes: usize, max_entries: usize) -> Store {
        Store {
            max_bytes,
            max_entries,
            entries: HashMap::new(),
            by_key: HashMap::new(),
            lru: BTreeMap::new(),
            tick: 0,
            bytes: 0,
            pending: HashMap::new(),
            epoch: 0,
            cleared_at: 0,
        }
    }

    /// The cached reply of `request`, marked as used.
    pub(crate) fn get(&mut self, request: &[u8]) -> Option<Bytes> {
        let e = self.entries.get_mut(request)?;
        if let Some(r) = self.lru.remove(&e.tick) {
            self.tick += 1;
            e.tick = self.tick;
            self.lru.insert(self.tick, r);
        }
        Some(e.frame.clone())
    }

    /// A read of `keys` is about to be sent.
    pub(crate) fn begin(&mut self, keys: &Keys) -> Token {
        for k in keys {
            self.pending
                .entry(k.clone())
                .or_insert(Pending {
                    readers: 0,
                    invalidated_at: 0,
                    newest: None,
                })
                .readers += 1;
        }
        Token { epoch: self.epoch }
    }

    /// The read of `token` is over: stores `frame` (sent as `Sent` says) as the reply of
    /// `request` unless one of `keys` was invalidated (or the store cleared) since the read
    /// began, a read of one of them sent later on the same pipe stored its reply first, or it
    /// does not fit. Returns whether it was stored, and what was evicted for it.
    pub(crate) fn finish(
        &mut self,
        token: Token,
        request: Bytes,
        keys: Keys,
        frame: Option<(Bytes, Sent)>,
    ) -> (bool, Removed) {
        // Invalidated (or cleared) since the read began.
        let mut invalidated = self.cleared_at > token.epoch;
        // A read of one of its keys sent after it finished first (or a write fence).
        let mut overtaken = false;
        let sent = frame.as_ref().map(|(_, s)| *s);
        for k in &keys {
            if let Some(p) = self.pending.get(k) {
                invalidated |= p.invalidated_at > token.epoch;
                if let (Some((pipe, seq)), Some((newest_pipe, newest_seq))) = (sent, p.newest) {
                    overtaken |= pipe == newest_pipe && seq <= newest_seq;
                }
            }
        }
        for k in &keys {
            if let Some(p) = self.pending.get_mut(k) {
                // Its caller has this value now, stored or not (a read refused because of an
                // invalidation still returned it): no read sent before it may store after it.
                if let Some(s) = sent {
                    p.newest = Some(later(p.newest, s));
                }
                p.readers = p.readers.saturating_sub(1);
                if p.readers == 0 {
                    self.pending.remove(k);
                }
            }
        }
        match frame {
            Some((frame, _)) if !invalidated && !overtaken => self.insert(request, keys, frame),
            Some(_) if invalidated => {
                // Refused, yet its caller has a value at least as new as any entry of these
                // keys stored meanwhile by a read sent before it (one that began after the
                // invalidation that refused this one): those entries go too.
                for k in &keys {
                    if let Some(requests) = self.by_key.remove(k) {
                        for r in requests {
                            self.remove_entry(&r);
                        }
                    }
                }
                (false, Removed::default())
            }
            _ => (false, Removed::default()),
        }
    }

    fn insert(&mut self, request: Bytes, keys: Keys, frame: Bytes) -> (bool, Removed) {
        let size = ENTRY_OVERHEAD
            + frame.len()
            + request.len()
            + keys.iter().map(|k| k.len() * 2).sum::<usize>();
        if size > self.max_bytes || self.max_entries == 0 {
            return (false, Removed::default());
        }
        self.remove_entry(&request);
        let mut removed = Removed::default();
        while self.bytes + size > self.max_bytes || self.entries.len() >= self.max_entries {
            let Some((_, oldest)) = self.lru.pop_first() else {
                break;
            };
            self.remove_entry(&oldest);
            removed.evicted += 1;
        }
        self.tick += 1;
        for k in &keys {
            self.by_key
                .entry(k.clone())
                .or_default()
                .push(request.clone());
        }
        self.lru.insert(self.tick, request.clone());
        self.bytes += size;
        self.entries.insert(
            request,
            Entry {
                frame,
                keys,
                tick: self.tick,
                size,
            },
        );
        (true, removed)
    }

    fn remove_entry(&mut self, request: &[u8]) {
        let Some(e) = self.entries.remove(request) else {
            return;
        };
        self.lru.remove(&e.tick);
        self.bytes = self.bytes.saturating_sub(e.size);
        for k in &e.keys {
            if let Some(list) = self.by_key.get_mut(k) {
                list.retain(|r| r.as_ref() != request);
                if list.is_empty() {
                    self.by_key.remove(k);
                }
            }
        }
    }

    /// `key` changed: its entries go, and reads of it in flight store nothing.
    pub(crate) fn invalidate(&mut self, key: &[u8]) {
        self.epoch += 1;
        if let Some(p) = self.pending.get_mut(key) {
            p.invalidated_at = self.epoch;
        }
        if let Some(requests) = self.by_key.remove(key) {
            for r in requests {
                self.remove_entry(&r);
            }
        }
    }

    /// The client wrote `key` with a request sent as `sent`: its entries go, and reads of it
    /// sent before that store nothing.
    pub(crate) fn fence(&mut self, key: &[u8], sent: Sent) {
        if let Some(p) = self.pending.get_mut(key) {
            p.newest = Some(later(p.newest, sent));
        }
        if let Some(requests) = self.by_key.remove(key) {
            for r in requests {
                self.remove_entry(&r);
            }
        }
    }

    /// Everything goes, and reads in flight store nothing.
    pub(crate) fn clear(&mut self) {
        self.epoch += 1;
        self.cleared_at = self.epoch;
        self.entries.clear();
        self.by_key.clear();
        self.lru.clear();
        self.bytes = 0;
    }

    /// Bytes accounted to the entries.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many entries there are.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ks: &[&'static str]) -> Keys {
        ks.iter()
            .map(|k| Bytes::from_static(k.as_bytes()))
            .collect()
    }

    fn read(s: &mut Store, req: &'static str, ks: &[&'static str], frame: &'static str) -> bool {
        let t = s.begin(&keys(ks));
        s.tick += 1;
        s.finish(
            t,
            Bytes::from_static(req.as_bytes()),
            keys(ks),
            Some((Bytes::from_static(frame.as_bytes()), (1, s.tick))),
        )
        .0
    }

    #[test]
    fn stores_and_invalidates_by_key() {
        let mut s = Store::new(1 << 20, 100);
        assert!(read(&mut s, "GET a", &["a"], "$1\r\n1\r\n"));
        assert!(read(&mut s, "MGET a b", &["a", "b"], "*2\r\n"));
        assert!(read(&mut s, "GET b", &["b"], "$1\r\n2\r\n"));
        assert_eq!(s.len(), 3);
        s.invalidate(b"a");
        assert!(s.get(b"GET a").is_none());
        assert!(s.get(b"MGET a b").is_none());
        assert!(s.get(b"GET b").is_some());
        assert_eq!(s.len(), 1);
        s.clear();
        assert_eq!((s.len(), s.bytes()), (0, 0));
    }

    #[test]
    fn an_invalidation_during_a_read_drops_its_reply() {
        let mut s = Store::new(1 << 20, 100);
        let t = s.begin(&keys(&["a"]));
        let other = s.begin(&keys(&["b"]));
        s.invalidate(b"a");
        let (stored, _) = s.finish(
            t,
            Bytes::from_static(b"GET a"),
            keys(&["a"]),
            Some((Bytes::new(), (0, 2))),
        );
        assert!(!stored);
        // Another key's read is not affected.
        let (stored, _) = s.finish(
            other,
            Bytes::from_static(b"GET b"),
            keys(&["b"]),
            Some((Bytes::new(), (0, 3))),
        );
        assert!(stored);
        // A read begun after the invalidation stores.
        assert!(read(&mut s, "GET a", &["a"], ""));
        // A clear drops every read in flight.
        let t = s.begin(&keys(&["c"]));
        s.clear();
        assert!(
            !s.finish(
                t,
                Bytes::from_static(b"GET c"),
                keys(&["c"]),
                Some((Bytes::new(), (0, 4)))
            )
            .0
        );
        assert!(s.pending.is_empty());
    }

    #[test]
    fn evicts_least_recently_used_within_bytes_and_entries() {
        let mut s = Store::new(1 << 20, 3);
        for r in ["GET a", "GET b", "GET c"] {
            assert!(read(&mut s, r, &[&r[4..5]], "+x\r\n"));
        }
        assert!(s.get(b"GET a").is_some()); // a is now the most recent
        let t = s.begin(&keys(&["d"]));
        let (stored, removed) = s.finish(
            t,
            Bytes::from_static(b"GET d"),
            keys(&["d"]),
            Some((Bytes::new(), (0, 5))),
        );
        assert!(stored);
        assert_eq!(removed.evicted, 1);
        assert!(s.get(b"GET b").is_none());
        assert!(s.get(b"GET a").is_some());
        assert_eq!(s.len(), 3);

        let mut s = Store::new(1000, 1000);
        let big = Bytes::from(vec![b'x'; 300]);
        for i in 0..10u8 {
            let req = Bytes::from(vec![b'k', i]);
            let t = s.begin(&Keys::from_iter([req.clone()]));
            s.finish(
                t,
                req.clone(),
                Keys::from_iter([req]),
                Some((big.clone(), (0, 0))),
            );
            assert!(s.bytes() <= 1000, "{} bytes", s.bytes());
        }
        assert_eq!(s.len(), 2);
        // Larger than the whole budget: not stored.
        let t = s.begin(&keys(&["z"]));
        assert!(
            !s.finish(
                t,
                Bytes::from_static(b"z"),
                keys(&["z"]),
                Some((Bytes::from(vec![0; 2000]), (0, 6)))
            )
            .0
        );
    }

    #[test]
    fn a_read_sent_earlier_does_not_replace_one_sent_later() {
        let mut s = Store::new(1 << 20, 100);
        let early = s.begin(&keys(&["a"]));
        let late = s.begin(&keys(&["a"]));
        let (stored, _) = s.finish(
            late,
            Bytes::from_static(b"GET a"),
            keys(&["a"]),
            Some((Bytes::from_static(b"new"), (7, 2))),
        );
        assert!(stored);
        // Sent before on the same pipe: an older value, which must not replace the newer.
        let (stored, _) = s.finish(
            early,
            Bytes::from_static(b"GET a"),
            keys(&["a"]),
            Some((Bytes::from_static(b"old"), (7, 1))),
        );
        assert!(!stored);
        assert_eq!(s.get(b"GET a").as_deref(), Some(&b"new"[..]));
        // Another request of the same key counts too (MGET after GET).
        let early = s.begin(&keys(&["a", "b"]));
        let late = s.begin(&keys(&["a"]));
        assert!(
            s.finish(
                late,
                Bytes::from_static(b"GET a"),
                keys(&["a"]),
                Some((Bytes::new(), (7, 4)))
            )
            .0
        );
        assert!(
            !s.finish(
                early,
                Bytes::from_static(b"MGET a b"),
                keys(&["a", "b"]),
                Some((Bytes::new(), (7, 3)))
            )
            .0
        );
    }

    #[test]
    fn a_read_refused_for_an_invalidation_still_blocks_older_reads() {
        // `late` began before an invalidation and was sent after `early`, which began after
        // it: `late` is refused (stale token), but its caller saw the newer value, so `early`,
        // sent before it, must not store its older one.
        let mut s = Store::new(1 << 20, 100);
        let late = s.begin(&keys(&["a"]));
        s.invalidate(b"a");
        let early = s.begin(&keys(&["a"]));
        let (stored, _) = s.finish(
            late,
            Bytes::from_static(b"GET a"),
            keys(&["a"]),
            Some((Bytes::from_static(b"new"), (7, 2))),
        );
        assert!(!stored);
        let (stored, _) = s.finish(
            early,
            Bytes::from_static(b"GET a"),
            keys(&["a"]),
            Some((Bytes::from_static(b"old"), (7, 1))),
        );
        assert!(
            !stored,
            "an older value stored after a newer one was returned"
        );
        assert!(s.get(b"GET a").is_none());
    }

    #[test]
    fn a_refused_read_drops_an_older_entry_stored_meanwhile() {
        // `v` began before an invalidation and was sent after `u`, which began after it and
        // stored its (older) value first; `v` is refused, and its caller saw the newer value:
        // `u`'s entry must not be served after that.
        let mut s = Store::new(1 << 20, 100);
        let v = s.begin(&keys(&["a"]));
        s.invalidate(b"a");
        let u = s.begin(&keys(&["a"]));
        let (stored, _) = s.finish(
            u,
            Bytes::from_static(b"GET a"),
            keys(&["a"]),
            Some((Bytes::from_static(b"old"), (7, 1))),
        );
        assert!(stored);
        let (stored, _) = s.finish(
            v,
            Bytes::from_static(b"GET a"),
            keys(&["a"]),
            Some((Bytes::from_static(b"new"), (7, 2))),
        );
        assert!(!stored);
        assert!(
            s.get(b"GET a").is_none(),
            "the older entry outlived a newer read"
        );
    }
}
