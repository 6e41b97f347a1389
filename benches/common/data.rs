//! The data set of a `GET`/`SET` run: keys, the values preloaded and written, their checks,
//! and the workers' random numbers.

use std::io::Write as _;

/// Keys in the data set.
pub const KEYS: usize = 1000;
/// Length of every key, in bytes.
pub const KEY_LEN: usize = 16;
/// Length of every value, in bytes.
pub const VALUE_LEN: usize = 64;

pub type Key = [u8; KEY_LEN];
pub type Val = [u8; VALUE_LEN];

/// The keys and the values preloaded for one run (each bench loads them its own way).
pub struct RunData {
    pub id: u32,
    pub keys: Vec<Key>,
    pub preload: Vec<Val>,
}

pub const PRELOAD_WRITER: u32 = 999;

/// `r<run>k<key>w<writer>s<seq>` padded with dots to 64 bytes: names its origin exactly.
pub fn make_value(run: u32, key: usize, writer: u32, seq: u64) -> Val {
    let mut v = [b'.'; VALUE_LEN];
    let mut out = &mut v[..];
    // 29 bytes at most for run < 10^6, key < 10^4, writer < 10^3, seq < 10^12: always fits.
    let _ = write!(out, "r{run:06}k{key:04}w{writer:03}s{seq:012}");
    v
}

/// A value (or whatever came back instead) as text for error messages.
pub fn show(bytes: &[u8]) -> String {
    format!(
        "{:?} ({} bytes)",
        String::from_utf8_lossy(bytes),
        bytes.len()
    )
}

impl RunData {
    /// The data set of run `id`: keys `key:000000000123`, or (`one_slot`) all with the hash
    /// tag `{0}` (`{0}key:000000123`), in one slot of a cluster.
    pub fn new(id: u32, one_slot: bool) -> RunData {
        let keys = (0..KEYS)
            .map(|i| {
                let mut k = [0u8; KEY_LEN];
                let mut out = &mut k[..];
                let _ = if one_slot {
                    write!(out, "{{0}}key:{i:09}")
                } else {
                    write!(out, "key:{i:012}")
                };
                k
            })
            .collect();
        let preload = (0..KEYS)
            .map(|i| make_value(id, i, PRELOAD_WRITER, 0))
            .collect();
        RunData { id, keys, preload }
    }
}

/// Checks a `GET` reply against the value the key must hold.
pub fn check_value(
    what: &str,
    key: &Key,
    expected: &Val,
    got: Option<Vec<u8>>,
) -> Result<(), String> {
    match got {
        Some(v) if v[..] == expected[..] => Ok(()),
        Some(v) => Err(format!(
            "{what}: WRONG REPLY to GET {}: got {}, expected {}",
            String::from_utf8_lossy(key),
            show(&v),
            show(expected)
        )),
        None => Err(format!(
            "{what}: WRONG REPLY to GET {}: got nil, expected {}",
            String::from_utf8_lossy(key),
            show(expected)
        )),
    }
}

/// xorshift64*: cheap, deterministic per worker.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}
