//! Routing facts derived from a command's keys: cluster hash slots.
//!
//! Owns: the key → slot function (CRC16/XMODEM of the key, or of its `{hash tag}`, modulo
//! 16384, as Redis Cluster defines it) and [`KeySlot`], the slot a command's keys share — computed
//! once, when the command is built, so a cluster router never re-parses a command.
//!
//! Must not: know node addresses or the slot map (that is the cluster client's), or do I/O.

/// How many hash slots a Redis Cluster has.
pub const SLOT_COUNT: u16 = 16384;

/// The hash slot of `key`: CRC16 of the key, or of the part between the first `{` and the next
/// `}` when that part is not empty (a *hash tag*, so related keys can share a slot).
///
/// ```
/// use coredis::key_slot;
/// assert_eq!(key_slot(b"foo"), 12182);
/// assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"{user1000}.followers"));
/// assert_eq!(key_slot(b"foo{}{bar}"), 8363); // an empty tag: the whole key is hashed
/// ```
pub fn key_slot(key: &[u8]) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(hash_tag(key)) % SLOT_COUNT
}

/// The part of `key` that is hashed: the first non-empty `{…}` section, else the whole key.
fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = memchr::memchr(b'{', key) else {
        return key;
    };
    let after = key.get(open + 1..).unwrap_or_default();
    match memchr::memchr(b'}', after) {
        Some(close) if close > 0 => after.get(..close).unwrap_or(key),
        _ => key,
    }
}

/// Which hash slot a command's keys live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeySlot {
    /// The command has no key arguments (`PING`, `INFO`): any node can answer it.
    #[default]
    None,
    /// Every key hashes to this slot.
    One(u16),
    /// The keys hash to different slots: a cluster cannot run the command as one request.
    Cross,
}

impl KeySlot {
    /// The slot after adding a key that hashes to `slot`.
    #[must_use]
    pub(crate) fn with(self, slot: u16) -> KeySlot {
        match self {
            KeySlot::None => KeySlot::One(slot),
            KeySlot::One(s) if s == slot => self,
            KeySlot::One(_) | KeySlot::Cross => KeySlot::Cross,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.0.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b""), 0);
        assert_eq!(key_slot(b"{user1000}.following"), 3443);
        assert_eq!(key_slot(b"user1000"), 3443);
        assert_eq!(key_slot(b"foo{}{bar}"), 8363);
        assert_eq!(key_slot(b"foo{{bar}}zap"), 4015);
        assert_eq!(key_slot(b"{bar"), 4015);
        assert_eq!(key_slot(b"foo{bar}{zap}"), 5061);
        assert_eq!(key_slot(b"{"), 4092);
    }

    #[test]
    fn key_slot_accumulates() {
        let s = KeySlot::None.with(5);
        assert_eq!(s, KeySlot::One(5));
        assert_eq!(s.with(5), KeySlot::One(5));
        assert_eq!(s.with(6), KeySlot::Cross);
        assert_eq!(KeySlot::Cross.with(5), KeySlot::Cross);
    }
}
