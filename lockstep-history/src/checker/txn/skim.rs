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
//! if the readers here had never looked at it, so every error (kind, message, line,
//! column, event) is the one it gives, and an event these readers accept is one the
//! parser would have read to the same event: a text they accept is always valid in its
//! format, and means what the parser would make of it.

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

/// Bytes that end an EDN token, as the EDN parser splits them.
const EDN_DELIMITERS: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    let delimiters = b" \t\n\r\x0b\x0c,\";()[]{}\\@^`~";
    while i < delimiters.len() {
        table[delimiters[i] as usize] = true;
        i += 1;
    }
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
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | b',' | 0x0b | 0x0c => self.pos += 1,
                b';' | b'#' => return None,
                _ => break,
            }
        }
        Some(())
    }

    /// The EDN token (keyword, symbol, number) at the cursor, up to the next delimiter.
    fn edn_token(&mut self) -> &'s [u8] {
        let start = self.pos;
        while self
            .src
            .get(self.pos)
            .is_some_and(|&b| !EDN_DELIMITERS[b as usize])
        {
            self.pos += 1;
        }
        &self.src[start..self.pos]
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

    /// A JSON integer (see [`int`]), followed by whitespace, a comma or a closing bracket.
    fn json_int(&mut self) -> Option<i64> {
        let start = self.pos;
        self.eat(b'-');
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.json_end()?;
        int(&self.src[start..self.pos])
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

/// A decimal integer of 1 to 18 digits, optionally after `-`, without leading zeros (and
/// not `-0`): read the same by the EDN parser and by serde_json.
fn int(t: &[u8]) -> Option<i64> {
    let (negative, digits) = match t {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, t),
    };
    if digits.is_empty() || digits.len() > 18 || digits[0] == b'0' && (digits.len() > 1 || negative)
    {
        return None;
    }
    let mut v = 0i64;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Some(if negative { -v } else { v })
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
            Field::Process => process = Some(u64::try_from(int(c.edn_token())?).ok()?),
            Field::Time => {
                let t = c.edn_token();
                if t != b"nil" && int(t)? < 0 {
                    return None;
                }
            }
            Field::Index => {
                int(c.edn_token())?;
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
        return (c.edn_token() == b"nil").then_some(());
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
        let key = int(c.edn_token())?;
        c.edn_space()?;
        let value = if c.eat(b'[') {
            let start = ops.ints.len() as u32;
            loop {
                c.edn_space()?;
                if c.eat(b']') {
                    break;
                }
                ops.ints.push(int(c.edn_token())?);
            }
            RawValue::List {
                start,
                len: ops.ints.len() as u32 - start,
            }
        } else {
            match c.edn_token() {
                b"nil" => RawValue::Nil,
                t => RawValue::Int(int(t)?),
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
    mut take: impl FnMut(&Skimmed),
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
