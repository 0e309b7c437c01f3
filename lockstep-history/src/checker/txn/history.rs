//! From events to transactions: invokes paired with completions, micro-ops read from values.
//!
//! This pairing is the transactional checker's own, kept small until `checker/` has one
//! shared by every checker: per process, an invoke is followed by its completion; an
//! invoke never completed counts as `info`; named processes (a nemesis) are skipped.
//! An ok transaction is read from its completion's value (which carries what reads
//! returned); any other from its invoke's value (what it meant to write).
//!
//! [`Reader`] takes events one at a time, in index order, and keeps only the compact form:
//! the transactions and micro-ops in flat arrays, keys and values interned as dense
//! numbers, and the few values an explanation quotes that the numbers do not give back.
//! Nothing refers to the events afterwards, so a history read from a file never needs to
//! be held as events (see [`super::stream`]); an event's value is dropped once its
//! completion has been read, except the invokes still pending (one per process).

use std::borrow::Cow;
use std::fmt;

use rustc_hash::FxHashMap;

use super::Workload;
use super::anomaly::TxnStatus;
use crate::event::{EventKind, Process};
use crate::value::Value;

/// Why a history cannot be checked as transactions. Every variant about the events names
/// the event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A completion on a process with no pending invoke.
    #[error("event {index}: process {process} completes an operation it never invoked")]
    CompletionWithoutInvoke {
        /// Index of the completion.
        index: u64,
        /// Its process.
        process: Process,
    },
    /// An invoke on a process whose previous operation has not completed.
    #[error(
        "event {index}: process {process} invokes while its operation from event {pending} is still pending"
    )]
    OverlappingInvoke {
        /// Index of the second invoke.
        index: u64,
        /// Its process.
        process: Process,
        /// Index of the pending invoke.
        pending: u64,
    },
    /// A transaction's value is not a vector of micro-ops, or one micro-op is malformed.
    #[error("event {index} (process {process}): {problem}")]
    BadMicroOp {
        /// Index of the event whose value is at fault.
        index: u64,
        /// Its process.
        process: Process,
        /// What is wrong, naming the micro-op.
        problem: String,
    },
    /// Two appends (or writes) put the same value into the same key; the analysis needs
    /// every written value to be unique per key to know who wrote what it reads.
    #[error(
        "event {index} (process {process}): {value} is written to key {key} a second time (first at event {first}); values written to a key must be unique"
    )]
    DuplicateWrite {
        /// Index of the event with the second write.
        index: u64,
        /// Its process.
        process: Process,
        /// The key, in EDN.
        key: String,
        /// The value, in EDN.
        value: String,
        /// Index of the event with the first write.
        first: u64,
    },
    /// [`Transactions`](super::Transactions) read as one workload were checked as the
    /// other (this one alone names no event: it is about the whole history).
    #[error("the transactions were read as {read} and cannot be checked as {asked}")]
    WorkloadMismatch {
        /// The workload they were read as.
        read: Workload,
        /// The workload the options named.
        asked: Workload,
    },
}

/// What a micro-op does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MopKind {
    Append,
    Read,
    Write,
}

/// A micro-op's function was written as a string (`"append"`, elle-cli's JSON), not a
/// keyword.
pub(crate) const STRING_HEAD: u8 = 1;
/// An ok list-append read returned nil (its list is empty).
pub(crate) const NIL_READ: u8 = 2;
/// A list-append read of a transaction that did not commit returned something other than
/// nil; the value is in [`Txns::unread`].
pub(crate) const KEPT_READ: u8 = 4;

/// One micro-op, its key and values interned as dense numbers.
///
/// Elements are interned per key: element `e` is one value of one key, so two micro-ops
/// name the same value of the same key exactly when they carry the same element number,
/// and the analyses compare and index by integers only. [`Txns::elem`] gives the value
/// back for explanations, and [`Txns::ops_text`] the whole transaction as recorded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mop {
    pub kind: MopKind,
    /// [`STRING_HEAD`], [`NIL_READ`], [`KEPT_READ`]: what the numbers do not say about how
    /// the micro-op was written.
    pub flags: u8,
    /// Interned key.
    pub key: u32,
    /// An append or write: the element it writes. A list-append read: where its list
    /// starts in [`Txns::lists`]. A register read: the element read (nil is an element
    /// too).
    pub elem: u32,
    /// A list-append read: how many elements its list holds (0 for nil, and for reads of
    /// transactions that did not commit, whose results are not used). Reads that return
    /// the same list, or a prefix of one, may share its elements.
    pub len: u32,
}

/// No event: a transaction that never completed.
const NO_EVENT: u64 = u64::MAX;

/// One transaction.
#[derive(Clone, Debug)]
pub(crate) struct Txn {
    /// Index of its invoke event.
    pub invoke: u64,
    /// Index of its completion event, or [`NO_EVENT`].
    completion: u64,
    /// Its process (named processes run no transactions).
    pub process: u64,
    /// Its micro-ops: `mops[start..end]`.
    pub start: u32,
    pub end: u32,
    pub status: TxnStatus,
}

impl Txn {
    /// Index of its completion event, if it completed.
    pub fn completion(&self) -> Option<u64> {
        (self.completion != NO_EVENT).then_some(self.completion)
    }

    /// Index of the event its micro-ops were read from: the completion of an ok
    /// transaction (it carries what reads returned), else the invoke.
    pub fn source(&self) -> u64 {
        if self.status == TxnStatus::Ok {
            self.completion
        } else {
            self.invoke
        }
    }
}

/// A scalar as stored: integers inline, anything else in a side table.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Int(i64),
    Other(u32),
}

/// A stored value, for messages and comparisons.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shown<'a> {
    Int(i64),
    Value(&'a Value),
}

impl Shown<'_> {
    pub fn is_nil(self) -> bool {
        matches!(self, Shown::Value(Value::Nil))
    }

    /// Whether it equals `v` (as [`Value`] compares: integers by their value).
    fn equals(self, v: &Value) -> bool {
        match self {
            Shown::Int(i) => small_int(v) == Some(i),
            Shown::Value(x) => x == v,
        }
    }
}

/// As EDN, exactly as the value it stands for displays.
impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Int(i) => write!(f, "{i}"),
            Shown::Value(v) => write!(f, "{v}"),
        }
    }
}

/// Values by number: integers inline (16 bytes each), others in a side table.
#[derive(Debug, Default)]
struct Table {
    slots: Vec<Slot>,
    others: Vec<Value>,
}

impl Table {
    fn push(&mut self, v: &Value) {
        let slot = match small_int(v) {
            Some(i) => Slot::Int(i),
            None => {
                self.others.push(v.clone());
                Slot::Other(self.others.len() as u32 - 1)
            }
        };
        self.slots.push(slot);
    }

    fn get(&self, i: u32) -> Shown<'_> {
        match self.slots[i as usize] {
            Slot::Int(i) => Shown::Int(i),
            Slot::Other(o) => Shown::Value(&self.others[o as usize]),
        }
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
        self.others.shrink_to_fit();
    }
}

/// The transactions of a history, in flat arrays indexed by transaction, micro-op, key and
/// element number. It owns everything it holds: the events it was read from may be gone.
#[derive(Debug)]
pub(crate) struct Txns {
    pub workload: Workload,
    /// In invoke order.
    pub txns: Vec<Txn>,
    pub mops: Vec<Mop>,
    /// The elements of every list-append read, one after another.
    pub lists: Vec<u32>,
    keys: Table,
    elems: Table,
    /// Reads of transactions that did not commit, with a value other than nil, by micro-op
    /// (list-append only: they are not interned, as nothing uses them but messages).
    unread: Vec<(u32, Value)>,
    /// Invokes and completions in event order: `t << 1` for transaction `t`'s invoke,
    /// `t << 1 | 1` for its completion.
    pub marks: Vec<u32>,
    /// How many events were read, named processes' included.
    pub events: u64,
}

impl Txns {
    pub fn ops(&self, t: usize) -> &[Mop] {
        let txn = &self.txns[t];
        &self.mops[txn.start as usize..txn.end as usize]
    }

    pub fn key(&self, k: u32) -> Shown<'_> {
        self.keys.get(k)
    }

    /// How many keys there are.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The value of an element.
    pub fn elem(&self, e: u32) -> Shown<'_> {
        self.elems.get(e)
    }

    /// How many elements there are.
    pub fn elem_count(&self) -> usize {
        self.elems.len()
    }

    /// The elements a list-append read returned.
    pub fn list(&self, m: &Mop) -> &[u32] {
        &self.lists[m.elem as usize..(m.elem + m.len) as usize]
    }

    pub fn process(&self, t: usize) -> Process {
        Process::Id(self.txns[t].process)
    }

    /// The event index of the transaction's invoke (what messages name).
    pub fn index(&self, t: usize) -> u64 {
        self.txns[t].invoke
    }

    /// The event index of the event its micro-ops came from.
    pub fn source_index(&self, t: usize) -> u64 {
        self.txns[t].source()
    }

    /// The micro-ops of transaction `t` as EDN, exactly as its source event's value
    /// displays: rebuilt from the numbers and the flags.
    pub fn ops_text(&self, t: usize) -> String {
        use fmt::Write as _;
        let txn = &self.txns[t];
        let mut out = String::from("[");
        for (i, m) in self.ops(t).iter().enumerate() {
            let at = txn.start + i as u32;
            if i > 0 {
                out.push(' ');
            }
            let name = match m.kind {
                MopKind::Append => "append",
                MopKind::Read => "r",
                MopKind::Write => "w",
            };
            let _ = if m.flags & STRING_HEAD != 0 {
                write!(out, "[\"{name}\" {} ", self.key(m.key))
            } else {
                write!(out, "[:{name} {} ", self.key(m.key))
            };
            let _ = match (m.kind, self.workload) {
                (MopKind::Read, Workload::ListAppend) if txn.status == TxnStatus::Ok => {
                    if m.flags & NIL_READ != 0 {
                        write!(out, "nil")
                    } else {
                        out.push('[');
                        for (j, &e) in self.list(m).iter().enumerate() {
                            if j > 0 {
                                out.push(' ');
                            }
                            let _ = write!(out, "{}", self.elem(e));
                        }
                        write!(out, "]")
                    }
                }
                (MopKind::Read, Workload::ListAppend) => {
                    if m.flags & KEPT_READ != 0 {
                        let kept = self
                            .unread
                            .binary_search_by_key(&at, |(mop, _)| *mop)
                            .map_or(&Value::Nil, |i| &self.unread[i].1);
                        write!(out, "{kept}")
                    } else {
                        write!(out, "nil")
                    }
                }
                _ => write!(out, "{}", self.elem(m.elem)),
            };
            out.push(']');
        }
        out.push(']');
        out
    }
}

/// Dense numbers for keys and for each key's values, given once when first seen.
///
/// Integers (by far the usual keys and values) are hashed as plain integers; other values
/// through their own hash. An integer of either variant goes to an integer table, so
/// values that compare equal always get one number. A key's first [`INLINE`] values that
/// fit in 32 bits are kept beside the key, in one small array that a lookup scans: most
/// keys have few values and those in flight stay in cache, so most lookups never touch a
/// large table; a key's later values go to a table keyed by key and value packed in one
/// `u64`.
///
/// A list-append read is mostly a prefix of the longest read of its key seen so far, so
/// each key remembers where that read's elements are in [`Txns::lists`]: a read's common
/// prefix with it is compared value by value (cheap, and in cache for the keys in flight)
/// and shared, and only the elements past it are looked up.
#[derive(Default)]
struct Interner {
    int_keys: FxHashMap<i64, u32>,
    other_keys: FxHashMap<Value, u32>,
    /// Per key: its first small integer values and their elements.
    inline: Vec<Inline>,
    packed_elems: FxHashMap<u64, u32>,
    int_elems: FxHashMap<(u32, i64), u32>,
    other_elems: FxHashMap<(u32, Value), u32>,
    /// Per key: its longest list-append read so far, as where its elements start in
    /// [`Txns::lists`] and how many there are.
    longest: Vec<(u32, u32)>,
}

/// How many small integer values of a key are kept beside it.
const INLINE: usize = 8;

/// A key's first small integer values (`values[..len]`) and their elements. Once full,
/// the key's later values go to the packed table; values never leave, so each value of a
/// key is in exactly one of the two.
#[derive(Clone, Copy, Default)]
struct Inline {
    len: u32,
    values: [i32; INLINE],
    elems: [u32; INLINE],
}

/// An integer value as an `i64`, when it is one.
fn small_int(v: &Value) -> Option<i64> {
    match *v {
        Value::Int(i) => Some(i),
        Value::UInt(u) => i64::try_from(u).ok(),
        _ => None,
    }
}

/// An element of a list-append read, as the reader of events or the reader of text
/// holds it: interned the same way either way.
trait Element {
    /// Whether it is the stored value `s`.
    fn is(&self, s: Shown<'_>) -> bool;
    /// Its element number among `key`'s values.
    fn intern(&self, interner: &mut Interner, key: u32, elems: &mut Table) -> u32;
}

impl Element for Value {
    fn is(&self, s: Shown<'_>) -> bool {
        s.equals(self)
    }

    fn intern(&self, interner: &mut Interner, key: u32, elems: &mut Table) -> u32 {
        interner.elem(key, self, elems)
    }
}

impl Element for i64 {
    fn is(&self, s: Shown<'_>) -> bool {
        matches!(s, Shown::Int(i) if i == *self)
    }

    fn intern(&self, interner: &mut Interner, key: u32, elems: &mut Table) -> u32 {
        interner.int_elem(key, *self, elems)
    }
}

impl Interner {
    fn key(&mut self, v: &Value, keys: &mut Table) -> u32 {
        if let Some(i) = small_int(v) {
            return self.int_key(i, keys);
        }
        let next = keys.len() as u32;
        let id = match self.other_keys.get(v) {
            Some(&id) => id,
            None => {
                self.other_keys.insert(v.clone(), next);
                next
            }
        };
        if id == next {
            keys.push(v);
            self.new_key();
        }
        id
    }

    /// [`Interner::key`] of an integer.
    fn int_key(&mut self, i: i64, keys: &mut Table) -> u32 {
        let next = keys.len() as u32;
        let id = *self.int_keys.entry(i).or_insert(next);
        if id == next {
            keys.slots.push(Slot::Int(i));
            self.new_key();
        }
        id
    }

    fn new_key(&mut self) {
        self.longest.push((0, 0));
        self.inline.push(Inline::default());
    }

    fn elem(&mut self, key: u32, v: &Value, elems: &mut Table) -> u32 {
        if let Some(i) = small_int(v) {
            return self.int_elem(key, i, elems);
        }
        let next = elems.len() as u32;
        let id = match self.other_elems.get(&(key, v.clone())) {
            Some(&id) => id,
            None => {
                self.other_elems.insert((key, v.clone()), next);
                next
            }
        };
        if id == next {
            elems.push(v);
        }
        id
    }

    /// [`Interner::elem`] of an integer.
    fn int_elem(&mut self, key: u32, i: i64, elems: &mut Table) -> u32 {
        let next = elems.len() as u32;
        let id = match i32::try_from(i) {
            Ok(small) => {
                let near = &mut self.inline[key as usize];
                let len = near.len as usize;
                if let Some(j) = near.values[..len].iter().position(|&x| x == small) {
                    near.elems[j]
                } else if len < INLINE {
                    near.values[len] = small;
                    near.elems[len] = next;
                    near.len += 1;
                    next
                } else {
                    *self
                        .packed_elems
                        .entry(u64::from(key) << 32 | u64::from(small as u32))
                        .or_insert(next)
                }
            }
            Err(_) => *self.int_elems.entry((key, i)).or_insert(next),
        };
        if id == next {
            elems.slots.push(Slot::Int(i));
        }
        id
    }

    /// Interns the list a read of `key` returned; returns where its elements are in
    /// `lists` and how many there are.
    fn list<V: Element>(&mut self, key: u32, read: &[V], out: &mut Txns) -> (u32, u32) {
        let (known_start, known_len) = self.longest[key as usize];
        let known = &out.lists[known_start as usize..(known_start + known_len) as usize];
        let common = read
            .iter()
            .zip(known)
            .take_while(|&(v, &e)| v.is(out.elems.get(e)))
            .count();
        if common == read.len() {
            return (known_start, common as u32);
        }
        let start = out.lists.len() as u32;
        out.lists
            .extend_from_within(known_start as usize..known_start as usize + common);
        for v in &read[common..] {
            let e = v.intern(self, key, &mut out.elems);
            out.lists.push(e);
        }
        if read.len() as u32 > known_len {
            self.longest[key as usize] = (start, read.len() as u32);
        }
        (start, read.len() as u32)
    }
}

/// A transaction's value as read straight from text, without building a [`Value`]: nil,
/// or a vector of micro-ops whose keys are integers and whose values are integers, nil, or
/// (a list-append read) vectors of integers. The text readers ([`super::skim`]) build one
/// only for values of that shape and give every other value to the format's own parser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawOps {
    /// The value was nil, not a vector.
    pub nil: bool,
    pub mops: Vec<RawMop>,
    /// The elements of the lists reads returned, one list after another.
    pub ints: Vec<i64>,
}

/// A micro-op of a [`RawOps`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawMop {
    pub kind: MopKind,
    /// Its function was a string (`"append"`), not a keyword.
    pub string_head: bool,
    pub key: i64,
    pub value: RawValue,
}

/// The third element of a [`RawMop`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawValue {
    Nil,
    Int(i64),
    /// A vector of integers: `ints[start..start + len]`.
    List {
        start: u32,
        len: u32,
    },
}

impl RawOps {
    /// Empties it, keeping its buffers.
    pub fn clear(&mut self) {
        self.nil = false;
        self.mops.clear();
        self.ints.clear();
    }

    /// The [`Value`] the format's parser would have built from the same text.
    pub fn to_value(&self) -> Value {
        if self.nil {
            return Value::Nil;
        }
        let ops = self.mops.iter().map(|m| {
            let name = match m.kind {
                MopKind::Append => "append",
                MopKind::Read => "r",
                MopKind::Write => "w",
            };
            let head = if m.string_head {
                Value::String(name.into())
            } else {
                Value::keyword(name)
            };
            Value::Vector(vec![head, Value::Int(m.key), self.value(m.value)])
        });
        Value::Vector(ops.collect())
    }

    fn value(&self, v: RawValue) -> Value {
        match v {
            RawValue::Nil => Value::Nil,
            RawValue::Int(i) => Value::Int(i),
            RawValue::List { .. } => {
                Value::Vector(self.list(v).iter().map(|&i| Value::Int(i)).collect())
            }
        }
    }

    fn list(&self, v: RawValue) -> &[i64] {
        match v {
            RawValue::List { start, len } => &self.ints[start as usize..(start + len) as usize],
            _ => &[],
        }
    }

    /// Whether [`parse_mops`] would accept it as the source of a transaction with
    /// `status`: a vector whose micro-ops all have the function and the value shape
    /// the workload asks for. (Register values are never lists here, even in reads
    /// whose result is not used, so that nothing but integers and nil is interned.)
    fn is_well_formed(&self, status: TxnStatus, workload: Workload) -> bool {
        !self.nil
            && self.mops.iter().all(|m| match (m.kind, workload, m.value) {
                (MopKind::Append, Workload::ListAppend, RawValue::Int(_)) => true,
                (MopKind::Read, Workload::ListAppend, v) => {
                    status != TxnStatus::Ok || !matches!(v, RawValue::Int(_))
                }
                (MopKind::Write | MopKind::Read, Workload::RwRegister, v) => {
                    !matches!(v, RawValue::List { .. })
                }
                _ => false,
            })
    }
}

/// Where a transaction's micro-ops are read from.
enum Source<'v, 'a> {
    Value(Cow<'a, Value>),
    Raw(&'v mut RawOps),
}

/// A pending invoke's value, kept until its completion says which value to read.
#[derive(Debug)]
enum Invoked<'a> {
    Value(Cow<'a, Value>),
    Raw(RawOps),
}

/// Reads a history of transactions one event at a time, in index order.
///
/// Pairing problems (a completion with no invoke, an invoke while one is pending) stop the
/// reading at the first, as they are found in event order; a malformed micro-op is kept
/// and the pairing goes on, so the error [`Reader::finish`] returns is the one a reading
/// of the whole history at once gives: the first pairing problem, else the malformed
/// transaction invoked first.
pub(crate) struct Reader<'a> {
    out: Txns,
    interner: Interner,
    /// Per process: its pending transaction and the invoke's value.
    pending: FxHashMap<u64, (u32, Invoked<'a>)>,
    /// Buffers of pending invokes' [`RawOps`] that completed, for the next ones.
    spare: Vec<RawOps>,
    /// The first pairing problem.
    broken: Option<Error>,
    /// The malformed transaction invoked first, and its error.
    bad: Option<(u32, Error)>,
}

impl<'a> Reader<'a> {
    pub fn new(workload: Workload) -> Reader<'a> {
        Reader {
            out: Txns {
                workload,
                txns: Vec::new(),
                mops: Vec::new(),
                lists: Vec::new(),
                keys: Table::default(),
                elems: Table::default(),
                unread: Vec::new(),
                marks: Vec::new(),
                events: 0,
            },
            interner: Interner::default(),
            pending: FxHashMap::default(),
            spare: Vec::new(),
            broken: None,
            bad: None,
        }
    }

    /// Whether reading has stopped at a pairing problem (later events are ignored).
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// Reads the next event: its index, kind, process and value.
    pub fn event(&mut self, index: u64, kind: EventKind, process: &Process, value: Cow<'a, Value>) {
        self.take(index, kind, process, Source::Value(value));
    }

    /// Reads the next event, of a numbered process, whose value was read straight from
    /// text: exactly as [`Reader::event`] reads the same event with the value
    /// [`RawOps::to_value`] gives. An invoke's micro-ops are kept by swapping buffers, so
    /// `ops` is left holding anything: clear it before reading into it again.
    pub fn raw_event(&mut self, index: u64, kind: EventKind, process: u64, ops: &mut RawOps) {
        self.take(index, kind, &Process::Id(process), Source::Raw(ops));
    }

    fn take(&mut self, index: u64, kind: EventKind, process: &Process, value: Source<'_, 'a>) {
        if self.broken.is_some() {
            return;
        }
        self.out.events += 1;
        let Process::Id(p) = *process else {
            return;
        };
        if kind == EventKind::Invoke {
            if let Some((pending, _)) = self.pending.get(&p) {
                self.broken = Some(Error::OverlappingInvoke {
                    index,
                    process: process.clone(),
                    pending: self.out.txns[*pending as usize].invoke,
                });
                return;
            }
            let t = self.out.txns.len() as u32;
            let invoked = match value {
                Source::Value(v) => Invoked::Value(v),
                Source::Raw(ops) => {
                    let mut kept = self.spare.pop().unwrap_or_default();
                    std::mem::swap(&mut kept, ops);
                    Invoked::Raw(kept)
                }
            };
            self.pending.insert(p, (t, invoked));
            self.out.marks.push(t << 1);
            self.out.txns.push(Txn {
                invoke: index,
                completion: NO_EVENT,
                process: p,
                start: 0,
                end: 0,
                status: TxnStatus::Info,
            });
            return;
        }
        let Some((t, invoked)) = self.pending.remove(&p) else {
            self.broken = Some(Error::CompletionWithoutInvoke {
                index,
                process: process.clone(),
            });
            return;
        };
        self.out.marks.push(t << 1 | 1);
        let txn = &mut self.out.txns[t as usize];
        txn.completion = index;
        txn.status = match kind {
            EventKind::Ok => TxnStatus::Ok,
            EventKind::Fail => TxnStatus::Fail,
            _ => TxnStatus::Info,
        };
        if kind == EventKind::Ok {
            match &value {
                Source::Value(v) => self.ops(t, v),
                Source::Raw(ops) => self.raw_ops(t, ops),
            }
        } else {
            match &invoked {
                Invoked::Value(v) => self.ops(t, v),
                Invoked::Raw(ops) => self.raw_ops(t, ops),
            }
        }
        if let Invoked::Raw(kept) = invoked {
            self.spare.push(kept);
        }
    }

    /// Reads transaction `t`'s micro-ops from `ops`: straight into the compact form when
    /// they are well formed, else from the [`Value`] they stand for, so a malformed
    /// micro-op is reported exactly as [`Reader::event`] reports it.
    fn raw_ops(&mut self, t: u32, ops: &RawOps) {
        let status = self.out.txns[t as usize].status;
        if !ops.is_well_formed(status, self.out.workload) {
            self.ops(t, &ops.to_value());
            return;
        }
        if self.bad.as_ref().is_some_and(|(b, _)| *b < t) {
            return;
        }
        let start = self.out.mops.len() as u32;
        for m in &ops.mops {
            let key = self.interner.int_key(m.key, &mut self.out.keys);
            let mut flags = if m.string_head { STRING_HEAD } else { 0 };
            let (elem, len) = match (m.kind, self.out.workload, m.value) {
                (MopKind::Read, Workload::ListAppend, v) if status == TxnStatus::Ok => {
                    if v == RawValue::Nil {
                        flags |= NIL_READ;
                    }
                    self.interner.list(key, ops.list(v), &mut self.out)
                }
                (MopKind::Read, Workload::ListAppend, v) => {
                    if v != RawValue::Nil {
                        flags |= KEPT_READ;
                        let at = self.out.mops.len() as u32;
                        self.out.unread.push((at, ops.value(v)));
                    }
                    (0, 0)
                }
                (_, _, RawValue::Int(i)) => {
                    (self.interner.int_elem(key, i, &mut self.out.elems), 0)
                }
                (_, _, v) => (
                    self.interner.elem(key, &ops.value(v), &mut self.out.elems),
                    0,
                ),
            };
            self.out.mops.push(Mop {
                kind: m.kind,
                flags,
                key,
                elem,
                len,
            });
        }
        let txn = &mut self.out.txns[t as usize];
        txn.start = start;
        txn.end = self.out.mops.len() as u32;
    }

    /// Reads transaction `t`'s micro-ops from `value`.
    fn ops(&mut self, t: u32, value: &Value) {
        if self.bad.as_ref().is_some_and(|(b, _)| *b < t) {
            return;
        }
        let start = self.out.mops.len() as u32;
        match parse_mops(value, t, &mut self.interner, &mut self.out) {
            Ok(()) => {
                let txn = &mut self.out.txns[t as usize];
                txn.start = start;
                txn.end = self.out.mops.len() as u32;
            }
            Err(problem) => {
                let txn = &self.out.txns[t as usize];
                self.bad = Some((
                    t,
                    Error::BadMicroOp {
                        index: txn.source(),
                        process: Process::Id(txn.process),
                        problem,
                    },
                ));
            }
        }
    }

    /// The transactions, once every event is read; the invokes never completed are read
    /// as info.
    ///
    /// # Errors
    /// The first pairing problem, else the malformed transaction invoked first.
    pub fn finish(mut self) -> Result<Txns, Error> {
        if let Some(e) = self.broken {
            return Err(e);
        }
        let mut never: Vec<(u32, Invoked<'a>)> = self.pending.drain().map(|(_, v)| v).collect();
        never.sort_unstable_by_key(|(t, _)| *t);
        for (t, value) in never {
            match value {
                Invoked::Value(v) => self.ops(t, &v),
                Invoked::Raw(ops) => self.raw_ops(t, &ops),
            }
        }
        if let Some((_, e)) = self.bad {
            return Err(e);
        }
        let mut out = self.out;
        out.mops.shrink_to_fit();
        out.lists.shrink_to_fit();
        out.txns.shrink_to_fit();
        out.marks.shrink_to_fit();
        out.keys.shrink_to_fit();
        out.elems.shrink_to_fit();
        Ok(out)
    }
}

/// Reads every event of a history held in memory.
pub(crate) fn read(events: &[crate::event::Event], workload: Workload) -> Result<Txns, Error> {
    let mut reader = Reader::new(workload);
    for e in events {
        reader.event(e.index, e.kind, &e.process, Cow::Borrowed(&e.value));
        if reader.is_broken() {
            break;
        }
    }
    reader.finish()
}

/// Reads transaction `t`'s micro-ops from `value` into `out`; the problem, naming the
/// micro-op, when one is malformed.
fn parse_mops(
    value: &Value,
    t: u32,
    interner: &mut Interner,
    out: &mut Txns,
) -> Result<(), String> {
    let status = out.txns[t as usize].status;
    let workload = out.workload;
    let Some(ops) = value.as_slice() else {
        return Err(format!(
            "a transaction's value must be a vector of micro-ops, not {value}"
        ));
    };
    for (i, op) in ops.iter().enumerate() {
        let parts = op
            .as_slice()
            .filter(|p| p.len() == 3)
            .ok_or_else(|| format!("micro-op {i} must be a vector [f key value], not {op}"))?;
        let kind = match parts[0].as_name() {
            Some("append") if workload == Workload::ListAppend => MopKind::Append,
            Some("w") if workload == Workload::RwRegister => MopKind::Write,
            Some("r") => MopKind::Read,
            _ => {
                let expected = match workload {
                    Workload::ListAppend => ":append or :r",
                    Workload::RwRegister => ":w or :r",
                };
                return Err(format!(
                    "micro-op {i} {op}: its function must be {expected} for {workload}"
                ));
            }
        };
        let mut flags = if parts[0].as_str().is_some() {
            STRING_HEAD
        } else {
            0
        };
        let key = &parts[1];
        if !is_scalar(key) {
            return Err(format!(
                "micro-op {i} {op}: a key must be a scalar, not {key}"
            ));
        }
        let value = &parts[2];
        match kind {
            MopKind::Append | MopKind::Write
                if !is_scalar(value) || value.is_nil() && kind == MopKind::Append =>
            {
                return Err(format!(
                    "micro-op {i} {op}: the value written must be a scalar, not {value}"
                ));
            }
            MopKind::Read if status == TxnStatus::Ok => match workload {
                Workload::ListAppend => {
                    if !value.is_nil() && value.as_slice().is_none() {
                        return Err(format!(
                            "micro-op {i} {op}: a list-append read returns a vector or nil, not {value}"
                        ));
                    }
                }
                Workload::RwRegister => {
                    if !is_scalar(value) {
                        return Err(format!(
                            "micro-op {i} {op}: a register read returns a scalar or nil, not {value}"
                        ));
                    }
                }
            },
            _ => {}
        }
        let key = interner.key(key, &mut out.keys);
        let (elem, len) = match (kind, workload) {
            (MopKind::Read, Workload::ListAppend) if status == TxnStatus::Ok => {
                if value.is_nil() {
                    flags |= NIL_READ;
                }
                let read = value.as_slice().unwrap_or_default();
                interner.list(key, read, out)
            }
            (MopKind::Read, Workload::ListAppend) => {
                if !value.is_nil() {
                    flags |= KEPT_READ;
                    out.unread.push((out.mops.len() as u32, value.clone()));
                }
                (0, 0)
            }
            _ => (interner.elem(key, value, &mut out.elems), 0),
        };
        out.mops.push(Mop {
            kind,
            flags,
            key,
            elem,
            len,
        });
    }
    Ok(())
}

/// Whether a value is an EDN scalar (nil, boolean, number, string or keyword).
fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Vector(_) | Value::Map(_) | Value::Set(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{self, Format};

    /// Every transaction's micro-ops, rebuilt from the compact form, read exactly as the
    /// value of the event they came from displays.
    #[test]
    fn transactions_display_as_recorded() {
        let list_append = r#"
            {:process 0 :type :invoke :value [[:r 1 nil] [:append 1 1] ["append" "k" 2.5]]}
            {:process 0 :type :ok :value [[:r 1 nil] [:append 1 1] ["append" "k" 2.5]]}
            {:process 1 :type :invoke :value [["r" 1 nil] [:r :x []] [:append 18446744073709551615 -3]]}
            {:process 1 :type :ok :value [["r" 1 [1]] [:r :x []] [:append 18446744073709551615 -3]]}
            {:process 2 :type :invoke :value [[:r 1 [0 1]] [:r 2 (7)] [:append 2 "s"]]}
            {:process 2 :type :fail :value [[:r 1 [1]] [:r 2 nil] [:append 2 "s"]]}
            {:process 3 :type :invoke :value [[:r 1 "odd"] [:append 1 :v]]}
            {:process 3 :type :info :value nil}
            {:process 4 :type :invoke :value [[:r 1 nil] [:r 1 nil]]}
            {:process 4 :type :ok :value [[:r 1 [1]] [:r 1 [1]]]}
            {:process 5 :type :invoke :value [[:r 1 nil]]}
        "#;
        let register = r#"
            {:process 0 :type :invoke :value [[:w :x 1] ["w" "y" nil] [:r :x nil]]}
            {:process 0 :type :ok :value [[:w :x 1] ["w" "y" nil] [:r :x 1]]}
            {:process 1 :type :invoke :value [["r" :x nil] [:r "y" nil]]}
            {:process 1 :type :info :value [["r" :x 1] [:r "y" nil]]}
        "#;
        for (text, workload) in [
            (list_append, Workload::ListAppend),
            (register, Workload::RwRegister),
        ] {
            let events = format::parse(text.as_bytes(), Format::Edn).unwrap();
            let txns = read(&events, workload).unwrap();
            assert!(txns.txns.len() >= 2);
            for t in 0..txns.txns.len() {
                let source = txns.source_index(t) as usize;
                assert_eq!(txns.ops_text(t), events[source].value.to_string(), "{t}");
            }
        }
    }
}
