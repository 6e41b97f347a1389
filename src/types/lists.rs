//! Token groups and options of the list commands (`LMOVE`, `LMPOP`, `LINSERT`, `LPOS`).

use crate::cmd::Cmd;

/// One end of a list: `LEFT` (the head, index 0) or `RIGHT` (the tail, index -1). Used by
/// `LMOVE` (where to take from, where to put) and `LMPOP` (where to pop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListEnd {
    /// `LEFT`: the head of the list (where `LPUSH` adds and `LPOP` takes).
    Left,
    /// `RIGHT`: the tail of the list (where `RPUSH` adds and `RPOP` takes).
    Right,
}

impl ListEnd {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            ListEnd::Left => "LEFT",
            ListEnd::Right => "RIGHT",
        }
    }
}

/// Where `LINSERT` puts the new element, relative to the pivot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InsertPosition {
    /// `BEFORE`: just before the pivot (closer to the head).
    Before,
    /// `AFTER`: just after the pivot (closer to the tail).
    After,
}

impl InsertPosition {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            InsertPosition::Before => "BEFORE",
            InsertPosition::After => "AFTER",
        }
    }
}

/// The optional arguments of `LPOS` besides `COUNT` (which changes the reply, so it has its
/// own method, `lpos_count`).
///
/// ```
/// use coredis::types::LposOptions;
/// // The second match counting from the tail, looking at the last 100 elements at most.
/// let o = LposOptions::new().rank(-2).maxlen(100);
/// assert_ne!(o, LposOptions::new());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LposOptions {
    rank: Option<i64>,
    maxlen: Option<u64>,
}

impl LposOptions {
    /// No options: the first match from the head, scanning the whole list.
    #[must_use]
    pub fn new() -> LposOptions {
        LposOptions::default()
    }

    /// `RANK rank`: skip to the `rank`-th match (1 is the first); a negative rank counts
    /// matches from the tail (-1 is the last). 0 is refused by the server.
    #[must_use]
    pub fn rank(mut self, rank: i64) -> LposOptions {
        self.rank = Some(rank);
        self
    }

    /// `MAXLEN len`: compare at most `len` elements (0: the whole list, the default).
    #[must_use]
    pub fn maxlen(mut self, len: u64) -> LposOptions {
        self.maxlen = Some(len);
        self
    }

    /// Appends `RANK` (and `COUNT`, when given) and `MAXLEN` in the order of the spec.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>, count: Option<u64>) -> Cmd<T> {
        cmd.opt("RANK", self.rank)
            .opt("COUNT", count)
            .opt("MAXLEN", self.maxlen)
    }
}
