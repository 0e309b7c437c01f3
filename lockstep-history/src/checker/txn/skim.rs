//! Reading the usual events of a history of transactions straight from their text.
//!
//! Building each event's value as a [`Value`](crate::value::Value) tree, only to intern
//! its integers and drop it, is most of the work of reading a large history. The readers
//! here take an event's fields and micro-ops from the bytes into a [`RawOps`] (a buffer
//! used again for every event) and hand them to the transactional reader directly.
//!
//! They read only the shape such histories nearly always have, and give up on anything
//! else: an EDN op map of the keys `:type`, `:process`, `:value`, `:time`, `:index` and
//! `:f` (each at most once) with a keyword type, a numbered process, and a value that is
//! nil or a vector of three-element micro-ops `[:append 1 2]` / `[:r 1 [1 2]]` /
//! `[:w 1 nil]` with integer keys and integer, nil or integer-vector values; and the same
//! event as a JSON object (`"index"`, `"time"`, `"type"`, `"process"`, `"f"`, `"value"`,
//! heads `"append"` or `":append"`). Integers have at most 18 digits (they always fit in
//! an `i64`), no sign but `-`, and no leading zero. Comments, discards, tags, escapes,
//! named processes, errors, other keys and scalars of any other kind make them give up.
//!
//! Giving up costs nothing but time: the format's own parser then reads the same text as
//! if the readers here had never looked at it (in a JSON array, the whole file, read again
//! from the start), so every error (kind, message, line, column, event) is the one it
//! gives. The property relied on: a text these readers accept is valid in its format, and
//! the parser would have read it to the same event, the same [`RawOps::to_value`]. Micro-ops
//! accepted here that the transactional reader refuses (a nil append, a `:w` in a
//! list-append history) are read through that value, so their errors are the usual ones.
//! Tested by reading every route alike (compact form, analysis, explanations, errors) on
//! random histories of every scalar kind, one test per shape given up on, and the
//! corrupted-file properties of `tests/txn_stream.rs`.

use super::history::{MopKind, RawMop, RawOps, RawValue};
use crate::event::EventKind;

/// The fields of one event read from text.
#[derive(Debug, Default)]
pub(crate) struct Skimmed {
    /// `None` until an event was read.
    pub kind: Option<EventKind>,
    pub process: u64,
    /// The JSON `index` (EDN's events are numbered by position).
    pub index: u64,
    pub ops: RawOps,
}

/// What a byte is to the EDN reader: part of a token, whitespace (commas included), a
/// delimiter that ends a token, or `;`, which ends a token and begins a comment (where
/// the reader gives up).
const TOKEN: u8 = 0;
const SPACE: u8 = 1;
const DELIMITER: u8 = 2;
const GIVE_UP: u8 = 3;

/// [`TOKEN`], [`SPACE`], [`DELIMITER`] or [`GIVE_UP`] for each byte, as the EDN parser
/// splits tokens and skips whitespace.
const EDN_CLASS: [u8; 256] = {
    let mut table = [TOKEN; 256];
    let mut i = 0;
    let delimiters = b"\";()[]{}\\@^`~";
    while i < delimiters.len() {
        table[delimiters[i] as usize] = DELIMITER;
        i += 1;
    }
    let spaces = b" \t\n\r\x0b\x0c,";
    i = 0;
    while i < spaces.len() {
        table[spaces[i] as usize] = SPACE;
        i += 1;
    }
    table[b';' as usize] = GIVE_UP;
    table
};

/// A position in the text being read.
struct Cursor<'s> {
    src: &'s [u8],
    pos: usize,
}

impl<'s> Cursor<'s> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// Steps over `b` if it is next.
    fn eat(&mut self, b: u8) -> bool {
        let next = self.peek() == Some(b);
        self.pos += usize::from(next);
        next
    }

    /// Steps over `b`, which must be next.
    fn byte(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    /// Skips EDN whitespace and commas; gives up at a comment or a `#` form.
    fn edn_space(&mut self) -> Option<()> {
        let src = self.src;
        let mut i = self.pos;
        while i < src.len() && EDN_CLASS[src[i] as usize] == SPACE {
            i += 1;
        }
        self.pos = i;
        match src.get(i) {
            Some(b';' | b'#') => None,
            _ => Some(()),
        }
    }

    /// The EDN token (keyword, symbol, number) at the cursor, up to the next delimiter or
    /// whitespace.
    fn edn_token(&mut self) -> &'s [u8] {
        let src = self.src;
        let start = self.pos;
        let mut i = start;
        while i < src.len() && EDN_CLASS[src[i] as usize] == TOKEN {
            i += 1;
        }
        self.pos = i;
        &src[start..i]
    }

    /// An EDN integer token (see [`scan_int`]).
    fn edn_int(&mut self) -> Option<i64> {
        let (v, end) = scan_int(self.src, self.pos)?;
        if self
            .src
            .get(end)
            .is_some_and(|&b| EDN_CLASS[b as usize] == TOKEN)
        {
            return None;
        }
        self.pos = end;
        Some(v)
    }

    /// Steps over the EDN token `nil` if it is next.
    fn edn_nil(&mut self) -> bool {
        let nil = self.src[self.pos..].starts_with(b"nil")
            && self
                .src
                .get(self.pos + 3)
                .is_none_or(|&b| EDN_CLASS[b as usize] != TOKEN);
        self.pos += if nil { 3 } else { 0 };
        nil
    }

    /// Skips JSON whitespace.
    fn json_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// A JSON string of plain ASCII characters (no escapes), without its quotes.
    fn json_string(&mut self) -> Option<&'s [u8]> {
        self.byte(b'"')?;
        let start = self.pos;
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' | 0..0x20 | 0x80.. => return None,
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        Some(&self.src[start..self.pos - 1])
    }

    /// A JSON integer (see [`scan_int`]), followed by whitespace, a comma or a closing
    /// bracket.
    fn json_int(&mut self) -> Option<i64> {
        let (v, end) = scan_int(self.src, self.pos)?;
        self.pos = end;
        self.json_end()?;
        Some(v)
    }

    /// A JSON integer that is not negative.
    fn json_uint(&mut self) -> Option<u64> {
        u64::try_from(self.json_int()?).ok()
    }

    /// Whether the JSON token just read ends here.
    fn json_end(&self) -> Option<()> {
        matches!(
            self.peek(),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}')
        )
        .then_some(())
    }

    /// `null`, if it is next.
    fn json_null(&mut self) -> Option<bool> {
        if !self.src[self.pos..].starts_with(b"null") {
            return Some(false);
        }
        self.pos += 4;
        self.json_end()?;
        Some(true)
    }
}

/// The decimal integer at `at` in `src`, and where its digits end: 1 to 18 digits,
/// optionally after `-`, without leading zeros (and not `-0`), read the same by the EDN
/// parser and by serde_json. What follows is for the caller to judge.
fn scan_int(src: &[u8], at: usize) -> Option<(i64, usize)> {
    let negative = src.get(at) == Some(&b'-');
    let first = at + usize::from(negative);
    let mut i = first;
    let mut v = 0i64;
    while let Some(&d) = src.get(i)
        && d.is_ascii_digit()
    {
        if i - first == 18 {
            return None;
        }
        v = v * 10 + i64::from(d - b'0');
        i += 1;
    }
    let digits = i - first;
    if digits == 0 || src[first] == b'0' && (digits > 1 || negative) {
        return None;
    }
    Some((if negative { -v } else { v }, i))
}

/// An event's type by its name.
fn kind(name: &[u8]) -> Option<EventKind> {
    Some(match name {
        b"invoke" => EventKind::Invoke,
        b"ok" => EventKind::Ok,
        b"fail" => EventKind::Fail,
        b"info" => EventKind::Info,
        _ => return None,
    })
}

/// A micro-op's function by its name.
fn function(name: &[u8]) -> Option<MopKind> {
    Some(match name {
        b"append" => MopKind::Append,
        b"r" => MopKind::Read,
        b"w" => MopKind::Write,
        _ => return None,
    })
}

/// Whether `name` is an op's `:f` that both parsers read as a plain name.
fn plain_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The fields of an op map or event object, each read at most once.
#[derive(Clone, Copy)]
enum Field {
    Type = 1,
    Process = 2,
    Value = 4,
    Time = 8,
    Index = 16,
    F = 32,
}

impl Field {
    fn named(name: &[u8]) -> Option<Field> {
        Some(match name {
            b"type" => Field::Type,
            b"process" => Field::Process,
            b"value" => Field::Value,
            b"time" => Field::Time,
            b"index" => Field::Index,
            b"f" => Field::F,
            _ => return None,
        })
    }
}

/// Reads the EDN op map that starts at `at` in `src` into `out`; where its closing brace
/// ends, or `None` when it is not of the usual shape (see the module docs).
pub(crate) fn edn_op(src: &[u8], at: usize, out: &mut Skimmed) -> Option<usize> {
    let mut c = Cursor { src, pos: at };
    out.kind = None;
    out.ops.clear();
    out.ops.nil = true;
    let mut seen = 0u8;
    let mut process = None;
    c.byte(b'{')?;
    loop {
        c.edn_space()?;
        if c.eat(b'}') {
            break;
        }
        c.byte(b':')?;
        let field = Field::named(c.edn_token())?;
        if seen & field as u8 != 0 {
            return None;
        }
        seen |= field as u8;
        c.edn_space()?;
        match field {
            Field::Type => {
                c.byte(b':')?;
                out.kind = Some(kind(c.edn_token())?);
            }
            Field::Process => process = Some(u64::try_from(c.edn_int()?).ok()?),
            Field::Time => {
                if !c.edn_nil() && c.edn_int()? < 0 {
                    return None;
                }
            }
            Field::Index => {
                c.edn_int()?;
            }
            Field::F => {
                c.byte(b':')?;
                if !plain_name(c.edn_token()) {
                    return None;
                }
            }
            Field::Value => edn_ops(&mut c, &mut out.ops)?,
        }
    }
    out.kind?;
    out.process = process?;
    Some(c.pos)
}

/// Reads an op map's `:value`: nil or a vector of micro-ops.
fn edn_ops(c: &mut Cursor<'_>, ops: &mut RawOps) -> Option<()> {
    if !c.eat(b'[') {
        return c.edn_nil().then_some(());
    }
    ops.nil = false;
    loop {
        c.edn_space()?;
        if c.eat(b']') {
            return Some(());
        }
        c.byte(b'[')?;
        c.edn_space()?;
        c.byte(b':')?;
        let kind = function(c.edn_token())?;
        c.edn_space()?;
        let key = c.edn_int()?;
        c.edn_space()?;
        let value = if c.eat(b'[') {
            let start = ops.ints.len() as u32;
            loop {
                c.edn_space()?;
                if c.eat(b']') {
                    break;
                }
                ops.ints.push(c.edn_int()?);
            }
            RawValue::List {
                start,
                len: ops.ints.len() as u32 - start,
            }
        } else {
            if c.edn_nil() {
                RawValue::Nil
            } else {
                RawValue::Int(c.edn_int()?)
            }
        };
        c.edn_space()?;
        c.byte(b']')?;
        ops.mops.push(RawMop {
            kind,
            string_head: false,
            key,
            value,
        });
    }
}

/// Reads the JSON event object that starts at `at` in `src` into `out`; where its closing
/// brace ends, or `None` when it is not of the usual shape (see the module docs).
pub(crate) fn json_event(src: &[u8], at: usize, out: &mut Skimmed) -> Option<usize> {
    let mut c = Cursor { src, pos: at };
    out.kind = None;
    out.ops.clear();
    out.ops.nil = true;
    let mut seen = 0u8;
    let (mut process, mut index) = (None, None);
    c.byte(b'{')?;
    c.json_space();
    loop {
        let field = Field::named(c.json_string()?)?;
        if seen & field as u8 != 0 {
            return None;
        }
        seen |= field as u8;
        c.json_space();
        c.byte(b':')?;
        c.json_space();
        match field {
            Field::Type => out.kind = Some(kind(c.json_string()?)?),
            Field::Process => process = Some(c.json_uint()?),
            Field::Time => {
                c.json_uint()?;
            }
            Field::Index => index = Some(c.json_uint()?),
            Field::F => {
                if !plain_name(c.json_string()?) {
                    return None;
                }
            }
            Field::Value => json_ops(&mut c, &mut out.ops)?,
        }
        c.json_space();
        if c.eat(b'}') {
            break;
        }
        c.byte(b',')?;
        c.json_space();
    }
    out.kind?;
    out.process = process?;
    out.index = index?;
    Some(c.pos)
}

/// Reads an event's `"value"`: null or an array of micro-ops.
fn json_ops(c: &mut Cursor<'_>, ops: &mut RawOps) -> Option<()> {
    if c.json_null()? {
        return Some(());
    }
    c.byte(b'[')?;
    ops.nil = false;
    c.json_space();
    if c.eat(b']') {
        return Some(());
    }
    loop {
        c.byte(b'[')?;
        c.json_space();
        let head = c.json_string()?;
        let (string_head, name) = match head.strip_prefix(b":") {
            Some(name) => (false, name),
            None => (true, head),
        };
        let kind = function(name)?;
        c.json_space();
        c.byte(b',')?;
        c.json_space();
        let key = c.json_int()?;
        c.json_space();
        c.byte(b',')?;
        c.json_space();
        let value = if c.json_null()? {
            RawValue::Nil
        } else if c.eat(b'[') {
            let start = ops.ints.len() as u32;
            c.json_space();
            if !c.eat(b']') {
                loop {
                    ops.ints.push(c.json_int()?);
                    c.json_space();
                    if c.eat(b']') {
                        break;
                    }
                    c.byte(b',')?;
                    c.json_space();
                }
            }
            RawValue::List {
                start,
                len: ops.ints.len() as u32 - start,
            }
        } else {
            RawValue::Int(c.json_int()?)
        };
        c.json_space();
        c.byte(b']')?;
        ops.mops.push(RawMop {
            kind,
            string_head,
            key,
            value,
        });
        c.json_space();
        if c.eat(b']') {
            return Some(());
        }
        c.byte(b',')?;
        c.json_space();
    }
}

/// Reads a JSON Lines line (without its newline) that holds one event object and nothing
/// but whitespace around it.
pub(crate) fn json_line(line: &[u8], out: &mut Skimmed) -> Option<()> {
    let mut c = Cursor { src: line, pos: 0 };
    c.json_space();
    c.pos = json_event(line, c.pos, out)?;
    c.json_space();
    (c.pos == line.len()).then_some(())
}

/// Reads a whole JSON array of event objects, handing each to `take`; `None` (and some
/// events taken) when anything in it is not of the usual shape.
pub(crate) fn json_array(
    src: &[u8],
    out: &mut Skimmed,
    mut take: impl FnMut(&mut Skimmed),
) -> Option<()> {
    let mut c = Cursor { src, pos: 0 };
    c.json_space();
    c.byte(b'[')?;
    c.json_space();
    if !c.eat(b']') {
        loop {
            c.pos = json_event(src, c.pos, out)?;
            take(out);
            c.json_space();
            if c.eat(b']') {
                break;
            }
            c.byte(b',')?;
            c.json_space();
        }
    }
    c.json_space();
    (c.pos == src.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::checker::txn::{Analysis, ConsistencyModel, Error, Options, Transactions, Workload};
    use crate::event::{Event, Process};
    use crate::format::{self, Format};
    use crate::value::Value;

    /// What one route made of a history: the compact form written out, the check with
    /// every model (analysis and explanation text); or the error as text.
    type Outcome = Result<(String, Result<Analysis, Error>, String), String>;

    fn outcome(read: Result<Transactions, String>, workload: Workload) -> Outcome {
        let options = Options {
            workload,
            consistency_models: ConsistencyModel::all().to_vec(),
            ..Options::default()
        };
        read.map(|t| {
            let checked = t.check(&options);
            let text = checked
                .as_ref()
                .map_or_else(Error::to_string, Analysis::to_string);
            (t.compact(), checked, text)
        })
    }

    /// Reads `text` by the three routes: events built by the format's parser and read as
    /// events, the compact route reading the usual events from text, and the compact route
    /// without that. All must agree, compact form included.
    fn agree(text: &[u8], f: Format, workload: Workload) -> Outcome {
        let by_events = outcome(
            format::load(text, f)
                .map_err(|e| e.to_string())
                .and_then(|l| {
                    Transactions::from_events(&l.events, workload).map_err(|e| e.to_string())
                }),
            workload,
        );
        for skims in [true, false] {
            let got = outcome(
                Transactions::parse_as(text, f, workload, skims).map_err(|e| e.to_string()),
                workload,
            );
            assert_eq!(
                got,
                by_events,
                "{f}, reading text: {skims}\n{}",
                String::from_utf8_lossy(text)
            );
        }
        by_events
    }

    /// The regular events a test history has around the one that makes the reader give
    /// up: process 0's transaction completed (when `before` invokes it), process 1's whole.
    const EDN_OK: &str = "{:process 0 :type :ok :value [[:append 1 1] [:r 1 [1]]]}\n\
        {:process 1 :type :invoke :value [[:r 1 nil] [:append 2 1]]}\n\
        {:process 1 :type :ok :value [[:r 1 [1]] [:append 2 1]]}";
    const EDN_INVOKE: &str = "{:process 0 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
    const JSON_OK: &str = "{\"index\":1,\"type\":\"ok\",\"process\":0,\"value\":[[\"append\",1,1],[\"r\",1,[1]]]}\n\
        {\"index\":2,\"type\":\"invoke\",\"process\":1,\"value\":[[\"r\",1,null],[\"append\",2,1]]}\n\
        {\"index\":3,\"type\":\"ok\",\"process\":1,\"value\":[[\"r\",1,[1]],[\"append\",2,1]]}";
    const JSON_INVOKE: &str = "{\"index\":0,\"type\":\"invoke\",\"process\":0,\"value\":[[\"append\",1,1],[\"r\",1,null]]}";

    /// The EDN reader gives up on the op map `trigger`, and the history `before`,
    /// `trigger`, `after` reads the same by every route.
    fn edn_gives_up(before: &str, trigger: &str, after: &str, workload: Workload) -> Outcome {
        assert_eq!(
            edn_op(trigger.as_bytes(), 0, &mut Skimmed::default()),
            None,
            "{trigger}"
        );
        let text = format!("{before}\n{trigger}\n{after}\n");
        let vector = format!("[{before}\n{trigger}\n{after}]");
        let got = agree(text.as_bytes(), Format::Edn, workload);
        assert_eq!(agree(vector.as_bytes(), Format::Edn, workload), got);
        got
    }

    /// As [`edn_gives_up`], for JSON: as JSON Lines and as one JSON array.
    fn json_gives_up(before: &str, trigger: &str, after: &str) -> Outcome {
        assert_eq!(
            json_line(trigger.as_bytes(), &mut Skimmed::default()),
            None,
            "{trigger}"
        );
        let lines: Vec<&str> = [before, trigger, after]
            .into_iter()
            .flat_map(str::lines)
            .filter(|l| !l.is_empty())
            .collect();
        let got = agree(
            format!("{}\n", lines.join("\n")).as_bytes(),
            Format::Jsonl,
            Workload::ListAppend,
        );
        let array = format!("[{}]", lines.join(",\n "));
        let array_got = agree(array.as_bytes(), Format::Json, Workload::ListAppend);
        // JSON Lines and JSON words a few syntax errors differently; the analyses agree.
        if got.is_ok() {
            assert_eq!(array_got, got);
        }
        got
    }

    /// One test per thing that makes the EDN reader give up: an invoke of process 0 (then
    /// completed by [`EDN_OK`]) with the thing in it.
    macro_rules! edn_triggers {
        ($($name:ident: $trigger:expr;)*) => {$(
            #[test]
            fn $name() {
                edn_gives_up("", $trigger, EDN_OK, Workload::ListAppend).ok();
            }
        )*};
    }

    edn_triggers! {
        edn_comment: "{:process 0 ; a comment\n :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_discard: "{:process 0 #_ :x :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_tagged_op_map: "#jepsen.history.Op{:process 0 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_other_key: "{:process 0 :type :invoke :node \"n1\" :value [[:append 1 1] [:r 1 nil]]}";
        edn_error_key: "{:process 0 :type :invoke :error :timeout :value [[:append 1 1] [:r 1 nil]]}";
        edn_string_key_in_op_map: "{\"process\" 0 :process 0 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_duplicate_key: "{:process 0 :type :invoke :process 0 :value [[:append 1 1] [:r 1 nil]]}";
        edn_duplicate_index: "{:index 0 :index 0 :process 0 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_no_type: "{:process 0 :value [[:append 1 1] [:r 1 nil]]}";
        edn_no_process: "{:type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_key_without_value: "{:process 0 :type :invoke :value}";
        edn_string_type: "{:process 0 :type \"invoke\" :value [[:append 1 1] [:r 1 nil]]}";
        edn_unknown_type: "{:process 0 :type :begin :value [[:append 1 1] [:r 1 nil]]}";
        edn_negative_process: "{:process -1 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_process_with_leading_zero: "{:process 00 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_string_process: "{:process \"p\" :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_negative_time: "{:process 0 :time -5 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_float_time: "{:process 0 :time 1.5 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_string_f: "{:process 0 :f \"txn\" :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_f_not_a_name: "{:process 0 :f 3 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_f_with_other_characters: "{:process 0 :f :txn/é :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_keyword_index: "{:index :first :process 0 :type :invoke :value [[:append 1 1] [:r 1 nil]]}";
        edn_value_not_a_vector: "{:process 0 :type :invoke :value 3}";
        edn_value_a_list: "{:process 0 :type :invoke :value ([:append 1 1] [:r 1 nil])}";
        edn_micro_op_a_list: "{:process 0 :type :invoke :value [(:append 1 1) [:r 1 nil]]}";
        edn_micro_op_too_short: "{:process 0 :type :invoke :value [[:append 1] [:r 1 nil]]}";
        edn_micro_op_too_long: "{:process 0 :type :invoke :value [[:append 1 1 1] [:r 1 nil]]}";
        edn_string_head: "{:process 0 :type :invoke :value [[\"append\" 1 1] [\"r\" 1 nil]]}";
        edn_other_head: "{:process 0 :type :invoke :value [[:cas 1 1] [:r 1 nil]]}";
        edn_keyword_element: "{:process 0 :type :invoke :value [[:append :x 1] [:r 1 nil]]}";
        edn_string_element: "{:process 0 :type :invoke :value [[:append 1 \"one\"] [:r 1 nil]]}";
        edn_float_element: "{:process 0 :type :invoke :value [[:append 1.0 1] [:r 1 nil]]}";
        edn_boolean_element: "{:process 0 :type :invoke :value [[:append true 1] [:r 1 nil]]}";
        edn_character_element: "{:process 0 :type :invoke :value [[:append \\a 1] [:r 1 nil]]}";
        edn_integer_of_19_digits: "{:process 0 :type :invoke :value [[:append 1234567890123456789 1] [:r 1 nil]]}";
        edn_integer_above_i64: "{:process 0 :type :invoke :value [[:append 18446744073709551615 1] [:r 1 nil]]}";
        edn_integer_with_plus: "{:process 0 :type :invoke :value [[:append +1 1] [:r 1 nil]]}";
        edn_minus_zero: "{:process 0 :type :invoke :value [[:append -0 1] [:r 1 nil]]}";
        edn_bigint_suffix: "{:process 0 :type :invoke :value [[:append 1N 1] [:r 1 nil]]}";
        edn_ratio: "{:process 0 :type :invoke :value [[:append 1/2 1] [:r 1 nil]]}";
        edn_symbol_value: "{:process 0 :type :invoke :value [[:append 1 one] [:r 1 nil]]}";
        edn_tagged_value: "{:process 0 :type :invoke :value [[:append 1 #inst \"2024-01-01\"] [:r 1 nil]]}";
        edn_set_value: "{:process 0 :type :invoke :value [[:append 1 1] [:r 1 #{}]]}";
        edn_map_value: "{:process 0 :type :invoke :value [[:append 1 1] [:r 1 {}]]}";
    }

    /// A completion that reads something other than integers.
    #[test]
    fn edn_read_of_other_values() {
        for read in ["[1 :two]", "[[1]]", "(1)", "[1.0]", "[\"1\"]"] {
            let trigger = format!("{{:process 0 :type :ok :value [[:append 1 1] [:r 1 {read}]]}}");
            edn_gives_up(
                EDN_INVOKE,
                &trigger,
                &EDN_OK[EDN_OK.find('\n').unwrap()..],
                Workload::ListAppend,
            )
            .ok();
        }
    }

    /// A named process (a nemesis) is not read from text.
    #[test]
    fn edn_named_process() {
        edn_gives_up(
            EDN_INVOKE,
            "{:process :nemesis :type :info :f :kill :value nil}",
            EDN_OK,
            Workload::ListAppend,
        )
        .unwrap()
        .1
        .unwrap();
    }

    /// An event these readers accept whose micro-ops [`parse_mops`] would refuse is read
    /// through the [`Value`](crate::value::Value) they stand for, so the error is the
    /// usual one; and the unusual values of transactions that did not commit are kept as
    /// the usual reader keeps them.
    #[test]
    fn malformed_micro_ops_read_from_text_are_the_usual_errors() {
        let cases = [
            (
                "[[:append 1 nil]]",
                ":ok",
                Workload::ListAppend,
                Some("the value written must be a scalar, not nil"),
            ),
            (
                "[[:w 1 1]]",
                ":ok",
                Workload::ListAppend,
                Some("its function must be :append or :r for list-append"),
            ),
            (
                "[[:append 1 1]]",
                ":ok",
                Workload::RwRegister,
                Some("its function must be :w or :r for rw-register"),
            ),
            (
                "[[:r 1 3]]",
                ":ok",
                Workload::ListAppend,
                Some("a list-append read returns a vector or nil, not 3"),
            ),
            (
                "[[:r 1 [3]]]",
                ":ok",
                Workload::RwRegister,
                Some("a register read returns a scalar or nil, not [3]"),
            ),
            (
                "nil",
                ":fail",
                Workload::ListAppend,
                Some("a transaction's value must be a vector of micro-ops, not nil"),
            ),
            ("[[:r 1 [3]]]", ":fail", Workload::RwRegister, None),
            (
                "[[:r 1 [3 4]] [:r 2 5]]",
                ":info",
                Workload::ListAppend,
                None,
            ),
            ("[[:w 1 nil] [:r 1 nil]]", ":ok", Workload::RwRegister, None),
        ];
        for (value, completion, workload, error) in cases {
            let text = format!(
                "{{:process 0 :type :invoke :value {value}}}\n{{:process 0 :type {completion} :value {value}}}\n"
            );
            for line in text.lines() {
                assert!(
                    edn_op(line.as_bytes(), 0, &mut Skimmed::default()).is_some(),
                    "{line}"
                );
            }
            let got = agree(text.as_bytes(), Format::Edn, workload);
            match error {
                Some(e) => assert!(
                    got.as_ref().is_err_and(|m| m.contains(e)),
                    "{value}: {got:?}"
                ),
                None => assert!(got.is_ok(), "{value}: {got:?}"),
            }
        }
    }

    /// A completion that reads something other than integers, in JSON.
    #[test]
    fn json_read_of_other_values() {
        for read in ["[1,\":two\"]", "[[1]]", "[1.5]", "[\"1\"]", "[1,]"] {
            let trigger = format!(
                "{{\"index\":1,\"type\":\"ok\",\"process\":0,\"value\":[[\"append\",1,1],[\"r\",1,{read}]]}}"
            );
            json_gives_up(
                JSON_INVOKE,
                &trigger,
                &JSON_OK[JSON_OK.find('\n').unwrap()..],
            )
            .ok();
        }
    }

    /// One test per thing that makes the JSON reader give up: an invoke of process 0 (then
    /// completed by [`JSON_OK`]) with the thing in it.
    macro_rules! json_triggers {
        ($($name:ident: $trigger:expr;)*) => {$(
            #[test]
            fn $name() {
                json_gives_up("", $trigger, JSON_OK).ok();
            }
        )*};
    }

    json_triggers! {
        json_other_field: r#"{"index":0,"type":"invoke","process":0,"node":"n1","value":[["append",1,1],["r",1,null]]}"#;
        json_error_field: r#"{"index":0,"type":"invoke","process":0,"error":"timeout","value":[["append",1,1],["r",1,null]]}"#;
        json_duplicate_field: r#"{"index":0,"type":"invoke","process":0,"process":0,"value":[["append",1,1],["r",1,null]]}"#;
        json_no_index: r#"{"type":"invoke","process":0,"value":[["append",1,1],["r",1,null]]}"#;
        json_no_type: r#"{"index":0,"process":0,"value":[["append",1,1],["r",1,null]]}"#;
        json_no_process: r#"{"index":0,"type":"invoke","value":[["append",1,1],["r",1,null]]}"#;
        json_empty_object: r#"{}"#;
        json_escape_in_a_string: r#"{"index":0,"type":"invoke","process":0,"f":"t\u0078n","value":[["append",1,1],["r",1,null]]}"#;
        json_non_ascii_string: r#"{"index":0,"type":"invoke","process":0,"f":"txé","value":[["append",1,1],["r",1,null]]}"#;
        json_unknown_type: r#"{"index":0,"type":"begin","process":0,"value":[["append",1,1],["r",1,null]]}"#;
        json_float_index: r#"{"index":0.0,"type":"invoke","process":0,"value":[["append",1,1],["r",1,null]]}"#;
        json_exponent_index: r#"{"index":0e0,"type":"invoke","process":0,"value":[["append",1,1],["r",1,null]]}"#;
        json_null_time: r#"{"index":0,"time":null,"type":"invoke","process":0,"value":[["append",1,1],["r",1,null]]}"#;
        json_negative_process: r#"{"index":0,"type":"invoke","process":-1,"value":[["append",1,1],["r",1,null]]}"#;
        json_string_process: r#"{"index":0,"type":"invoke","process":"p","value":[["append",1,1],["r",1,null]]}"#;
        json_value_not_an_array: r#"{"index":0,"type":"invoke","process":0,"value":3}"#;
        json_trailing_comma: r#"{"index":0,"type":"invoke","process":0,"value":[["append",1,1],["r",1,null],]}"#;
        json_micro_op_too_short: r#"{"index":0,"type":"invoke","process":0,"value":[["append",1],["r",1,null]]}"#;
        json_other_head: r#"{"index":0,"type":"invoke","process":0,"value":[["cas",1,1],["r",1,null]]}"#;
        json_keyword_element: r#"{"index":0,"type":"invoke","process":0,"value":[["append",":x",1],["r",1,null]]}"#;
        json_string_element: r#"{"index":0,"type":"invoke","process":0,"value":[["append",1,"one"],["r",1,null]]}"#;
        json_float_element: r#"{"index":0,"type":"invoke","process":0,"value":[["append",1,1.5],["r",1,null]]}"#;
        json_boolean_element: r#"{"index":0,"type":"invoke","process":0,"value":[["append",1,true],["r",1,null]]}"#;
        json_tagged_element: r#"{"index":0,"type":"invoke","process":0,"value":[["append",1,{"$str":"1"}],["r",1,null]]}"#;
        json_integer_of_19_digits: r#"{"index":0,"type":"invoke","process":0,"value":[["append",1234567890123456789,1],["r",1,null]]}"#;
        json_integer_of_21_digits: r#"{"index":0,"type":"invoke","process":0,"value":[["append",123456789012345678901,1],["r",1,null]]}"#;
        json_minus_zero: r#"{"index":0,"type":"invoke","process":0,"value":[["append",-0,1],["r",1,null]]}"#;
        json_leading_zero: r#"{"index":0,"type":"invoke","process":0,"value":[["append",01,1],["r",1,null]]}"#;
        json_text_after_the_object: r#"{"index":0,"type":"invoke","process":0,"value":[["append",1,1],["r",1,null]]} x"#;
    }

    /// The events the writers write, and their usual variants, are read from text.
    #[test]
    fn the_usual_events_are_read_from_text() {
        let edn = [
            "{:index 0, :time 0, :type :invoke, :process 5, :f :txn, :value [[:r 2 nil] [:append 6 1]]}",
            "{:process 5 :type :ok :value [[:r 2 [1 -2 3]] [:append 6 1]] :time nil}",
            "{:type :fail,:process 0,:value[[:w 1 nil][:r -1 5]]}",
            "{:process 0, :type :info, :value nil}",
            "{:process 0, :type :info}",
        ];
        for text in edn {
            let mut s = Skimmed::default();
            assert_eq!(
                edn_op(text.as_bytes(), 0, &mut s),
                Some(text.len()),
                "{text}"
            );
        }
        let json = [
            r#"{"index":0,"time":0,"type":"invoke","process":5,"f":"txn","value":[[":r",2,null],[":append",6,1]]}"#,
            r#" { "index" : 1 , "type" : "ok" , "process" : 5 , "value" : [ [ "r" , 2 , [ 1 , -2 ] ] , [ "w" , 6 , 1 ] ] } "#,
            r#"{"process":5,"type":"info","index":1}"#,
        ];
        for text in json {
            let mut s = Skimmed::default();
            assert_eq!(json_line(text.as_bytes(), &mut s), Some(()), "{text}");
        }
        let mut s = Skimmed::default();
        edn_op(edn[1].as_bytes(), 0, &mut s).unwrap();
        assert_eq!(
            (s.kind, s.process, s.ops.ints.as_slice()),
            (Some(EventKind::Ok), 5, &[1, -2, 3][..])
        );
        assert_eq!(
            s.ops.to_value().to_string(),
            "[[:r 2 [1 -2 3]] [:append 6 1]]"
        );
    }

    /// A tiny random number generator (xorshift), so the histories are the same every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// A scalar of kind `kind` (every EDN scalar kind, integers of every size) made from
    /// `n`: distinct `n` give distinct scalars of one kind.
    fn scalar(kind: u64, n: u64) -> Value {
        match kind {
            0 | 1 => Value::Int(n as i64),
            2 => Value::Int(-(n as i64) - 1),
            3 => Value::Int(1_000_000_000_000_000_000 + n as i64),
            4 => Value::UInt(u64::MAX - n),
            5 => Value::keyword(&format!("k{n}")),
            6 => Value::String(Arc::from(format!("s {n}"))),
            7 => Value::Float(n as f64 + 0.5),
            8 => Value::Bool(n.is_multiple_of(2)),
            _ => Value::Nil,
        }
    }

    /// A random history of transactions: keys and values of every scalar kind, reads of
    /// what was appended (or written) so far in any order, heads as keywords or strings,
    /// every completion type, invokes never completed, a nemesis.
    fn history(rng: &mut Rng, workload: Workload) -> Vec<Event> {
        let kinds = [rng.below(10), rng.below(10), rng.below(3)];
        let keys: Vec<Value> = (0..4).map(|k| scalar(kinds[k as usize % 2], k)).collect();
        let mut written: Vec<Vec<Value>> = vec![Vec::new(); keys.len()];
        let mut next = 0;
        let mut events = Vec::new();
        let mut pending: Vec<Option<Value>> = vec![None; 4];
        for _ in 0..24 {
            let p = rng.below(5) as usize;
            let (kind, value, process) = if p == 4 {
                (
                    crate::event::EventKind::Info,
                    Value::Nil,
                    Process::Named(Arc::from("nemesis")),
                )
            } else if let Some(invoked) = pending[p].take() {
                let kind = [
                    EventKind::Ok,
                    EventKind::Ok,
                    EventKind::Fail,
                    EventKind::Info,
                ][rng.below(4) as usize];
                (kind, invoked, Process::Id(p as u64))
            } else {
                let mut ops = Vec::new();
                for _ in 0..=rng.below(4) {
                    let k = rng.below(keys.len() as u64) as usize;
                    let string = rng.below(2) == 0;
                    let head = |name: &str| {
                        if string {
                            Value::from(name)
                        } else {
                            Value::keyword(name)
                        }
                    };
                    if rng.below(2) == 0 {
                        let seen = &written[k];
                        let read = match workload {
                            Workload::ListAppend if rng.below(5) == 0 => Value::Nil,
                            Workload::ListAppend => {
                                let mut l: Vec<Value> =
                                    seen[..rng.below(seen.len() as u64 + 1) as usize].to_vec();
                                if rng.below(4) == 0 {
                                    l.reverse();
                                }
                                Value::Vector(l)
                            }
                            Workload::RwRegister if seen.is_empty() => Value::Nil,
                            Workload::RwRegister => {
                                seen[rng.below(seen.len() as u64) as usize].clone()
                            }
                        };
                        ops.push(Value::Vector(vec![head("r"), keys[k].clone(), read]));
                    } else {
                        next += 1;
                        let v = scalar(kinds[2], next);
                        written[k].push(v.clone());
                        let f = if workload == Workload::ListAppend {
                            "append"
                        } else {
                            "w"
                        };
                        ops.push(Value::Vector(vec![head(f), keys[k].clone(), v]));
                    }
                }
                let ops = Value::Vector(ops);
                pending[p] = Some(ops.clone());
                (EventKind::Invoke, ops, Process::Id(p as u64))
            };
            events.push(Event {
                index: events.len() as u64,
                time: 0,
                kind,
                process,
                f: "txn".into(),
                value,
                error: None,
            });
        }
        events
    }

    /// Random valid files of every format, with keys and values of every scalar kind,
    /// read the same (compact form, analysis, explanations, errors) by every route.
    #[test]
    fn random_histories_read_the_same_from_text() {
        let mut rng = Rng(0x5eed);
        let mut read_from_text = 0;
        for round in 0..300 {
            let workload = [Workload::ListAppend, Workload::RwRegister][round % 2];
            let events = history(&mut rng, workload);
            for f in [Format::Edn, Format::Json, Format::Jsonl] {
                let mut text = Vec::new();
                format::write(&mut text, &events, f).unwrap();
                let got = agree(&text, f, workload);
                read_from_text += usize::from(got.is_ok());
            }
            let mut stream = Vec::new();
            format::edn::write_stream(&mut stream, &events).unwrap();
            agree(&stream, Format::Edn, workload).ok();
        }
        // Most histories read and check (their values are unique per key).
        assert!(read_from_text > 600, "{read_from_text}");
    }
}
