//! Writes acknowledged by replicas: `WAIT` after every write, for clients that must not be told
//! "OK" about a write a failover can still lose.
//!
//! Redis replicates asynchronously: a primary acknowledges a write before any replica has it.
//! When the primary fails, or a `SENTINEL FAILOVER` promotes a replica, the writes the replica
//! had not received are gone, although their callers were told they succeeded — no client can
//! notice that on its own. `WAIT n timeout` after a write returns how many replicas have
//! received everything the connection wrote before it; with [`WaitForReplicas`] set, a write's
//! reply reaches the caller only when at least `n` did, and otherwise the caller gets
//! [`ErrorKind::NotReplicated`] instead. A replica promoted in a failover holds every write it
//! acknowledged, so a write that returned `Ok` survives the failover when the promoted replica
//! is one that acknowledged it: always when `n` is the number of replicas. With fewer, Sentinel
//! and Redis Cluster promote the replica with the most data by the replication offsets they
//! last saw, which in practice is one that has every acknowledged write (the primary sends its
//! stream to all replicas at once), though a stale view could pick another.
//!
//! Owns: [`WaitForReplicas`] (set with [`crate::ConfigBuilder::wait_for_replicas`]), the
//! `WAIT` request that follows writes, and the verdict on its reply. Which requests are writes
//! is the command's own fact ([`crate::Request::is_write`]). Every executor that sends writes
//! asks this module: the shared connection (single commands, their redirections and retries),
//! dedicated connections (blocking commands, [`crate::Dedicated`]), pipelines and
//! transactions.
//!
//! Must not: do I/O. It encodes and judges bytes only.

use bytes::Bytes;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::resp::{self, Limits};
use crate::value::Value;

/// How many replicas must have a write before the client reports it done, and how long to wait
/// for them: the setting of [`crate::ConfigBuilder::wait_for_replicas`].
///
/// Each write is followed by `WAIT replicas timeout` in the same batch. Its cost is one round
/// trip from the primary to its replicas per write (or per pipeline or transaction), and the
/// server holds the connection's later commands while it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitForReplicas {
    replicas: u32,
    timeout: Duration,
}

impl WaitForReplicas {
    /// Writes wait for `replicas` replicas, at most `timeout` (rounded up to whole
    /// milliseconds; [`crate::ConfigBuilder::build`] checks that it is not zero and shorter
    /// than the response timeout).
    pub fn new(replicas: u32, timeout: Duration) -> WaitForReplicas {
        WaitForReplicas { replicas, timeout }
    }

    /// How many replicas must acknowledge a write.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// How long the server waits for them.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The timeout as `WAIT` takes it: whole milliseconds, at least 1 (0 would wait for ever).
    fn timeout_ms(&self) -> u128 {
        self.timeout.as_nanos().div_ceil(1_000_000).max(1)
    }

    /// Appends the `WAIT` request.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        let replicas = self.replicas.to_string();
        let timeout = self.timeout_ms().to_string();
        resp::encode_command(out, &["WAIT", replicas.as_str(), timeout.as_str()]);
    }

    /// The encoded length of the `WAIT` request.
    pub(crate) fn encoded_len(&self) -> usize {
        let mut out = Vec::with_capacity(48);
        self.encode_into(&mut out);
        out.len()
    }

    /// The verdict on the replies of a batch that ends with this `WAIT` (`frames`, back to
    /// back): the replies before `WAIT`'s, when enough replicas acknowledged them, or when the
    /// last of them is an error (nothing was written then, and the error is what the caller
    /// needs to see); otherwise [`ErrorKind::NotReplicated`].
    pub(crate) fn verdict(&self, frames: Bytes) -> Result<Bytes> {
        let all = crate::pipeline::split_frames(frames.clone(), &unlimited())?;
        let [.., own, wait] = all.as_slice() else {
            return Err(Error::protocol(
                "the reply of WAIT after a write is missing",
            ));
        };
        self.judge(own.clone(), wait)?;
        Ok(frames.slice(..frames.len() - wait.len()))
    }

    /// The verdict on one write's reply `own` and that of the `WAIT` after it: `own` when it
    /// is an error or enough replicas acknowledged it, [`ErrorKind::NotReplicated`] if not.
    pub(crate) fn judge(&self, own: Bytes, wait: &Bytes) -> Result<Bytes> {
        if !is_error(&own) {
            self.check(wait)?;
        }
        Ok(own)
    }

    /// The verdict on the replies of a batch (a pipeline) whose last one is this `WAIT`'s:
    /// the others, in order, those of writes (`writes[i]`) replaced by
    /// [`ErrorKind::NotReplicated`] when too few replicas acknowledged them (an error reply
    /// stays as it is: nothing was written).
    pub(crate) fn judge_batch(
        &self,
        mut replies: Vec<Bytes>,
        writes: &[bool],
    ) -> Result<Vec<Result<Bytes>>> {
        let wait = replies
            .pop()
            .ok_or_else(|| Error::protocol("the reply of WAIT after a batch is missing"))?;
        let verdict = self.check(&wait);
        Ok(replies
            .into_iter()
            .enumerate()
            .map(|(i, reply)| match &verdict {
                Err(e) if writes.get(i).copied().unwrap_or(true) && !is_error(&reply) => {
                    Err(e.clone())
                }
                _ => Ok(reply),
            })
            .collect())
    }

    /// Whether `wait`, the reply of this `WAIT`, counts enough replicas: `Ok` if it does, the
    /// error to give the caller if not.
    pub(crate) fn check(&self, wait: &Bytes) -> Result<()> {
        match resp::decode_with_limits(wait, &unlimited())?.strip_attributes() {
            Value::Int(n) if n >= i64::from(self.replicas) => Ok(()),
            Value::Int(n) => Err(Error::new(
                ErrorKind::NotReplicated,
                format!(
                    "the write ran, but only {n} of the {} replicas asked for acknowledged it \
                     within {:?}; a failover may lose it",
                    self.replicas, self.timeout
                ),
            )),
            Value::Error(e) => Err(Error::new(
                ErrorKind::NotReplicated,
                "the write ran, but WAIT for its replicas was refused",
            )
            .with_server(e)
            .with_command("WAIT")),
            other => Err(Error::protocol(format!(
                "WAIT replied with {other:?} instead of a count of replicas"
            ))),
        }
    }
}

/// Whether a reply frame is an error reply.
fn is_error(frame: &[u8]) -> bool {
    matches!(frame.first(), Some(b'-' | b'!'))
}

/// Limits for frames the reader already checked against the connection's own.
fn unlimited() -> Limits {
    Limits::default()
        .with_max_depth(usize::MAX)
        .with_max_bulk_len(usize::MAX)
        .with_max_aggregate_len(usize::MAX)
        .with_max_reply_len(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w() -> WaitForReplicas {
        WaitForReplicas::new(1, Duration::from_micros(1500))
    }

    #[test]
    fn wait_is_encoded_with_whole_milliseconds_never_zero() {
        let mut out = Vec::new();
        w().encode_into(&mut out);
        assert_eq!(out, b"*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(w().encoded_len(), out.len());
        let mut out = Vec::new();
        WaitForReplicas::new(2, Duration::ZERO).encode_into(&mut out);
        assert!(out.ends_with(b"$1\r\n1\r\n"));
    }

    #[test]
    fn enough_replicas_let_the_reply_through() {
        let got = w().verdict(Bytes::from_static(b"+OK\r\n:1\r\n")).unwrap();
        assert_eq!(&got[..], b"+OK\r\n");
        let got = w()
            .verdict(Bytes::from_static(b"+OK\r\n$1\r\nx\r\n:2\r\n"))
            .unwrap();
        assert_eq!(&got[..], b"+OK\r\n$1\r\nx\r\n");
    }

    #[test]
    fn too_few_replicas_are_an_error() {
        let e = w()
            .verdict(Bytes::from_static(b":5\r\n:0\r\n"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotReplicated);
        assert!(e.to_string().contains("only 0 of the 1"), "{e}");
    }

    #[test]
    fn an_error_reply_is_the_result_whatever_wait_says() {
        let got = w()
            .verdict(Bytes::from_static(b"-WRONGTYPE no\r\n:0\r\n"))
            .unwrap();
        assert_eq!(&got[..], b"-WRONGTYPE no\r\n");
    }

    #[test]
    fn in_a_batch_only_the_writes_fail() {
        let replies = vec![
            Bytes::from_static(b"+OK\r\n"),
            Bytes::from_static(b"$1\r\nx\r\n"),
            Bytes::from_static(b"-WRONGTYPE no\r\n"),
            Bytes::from_static(b":0\r\n"),
        ];
        let got = w()
            .judge_batch(replies.clone(), &[true, false, true])
            .unwrap();
        assert_eq!(
            got[0].as_ref().unwrap_err().kind(),
            ErrorKind::NotReplicated
        );
        assert_eq!(&got[1].as_ref().unwrap()[..], b"$1\r\nx\r\n");
        assert_eq!(&got[2].as_ref().unwrap()[..], b"-WRONGTYPE no\r\n");
        let mut acked = replies;
        acked[3] = Bytes::from_static(b":1\r\n");
        let got = w().judge_batch(acked, &[true, false, true]).unwrap();
        assert!(got.iter().all(Result::is_ok));
        assert!(w().judge_batch(Vec::new(), &[]).is_err());
    }

    #[test]
    fn a_refused_wait_or_a_missing_reply_is_an_error() {
        let e = w()
            .verdict(Bytes::from_static(b"+OK\r\n-NOPERM no WAIT\r\n"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotReplicated);
        assert!(e.server_error().is_some());
        let e = w().verdict(Bytes::from_static(b"+OK\r\n")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = w()
            .verdict(Bytes::from_static(b"+OK\r\n+OK\r\n"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }
}
