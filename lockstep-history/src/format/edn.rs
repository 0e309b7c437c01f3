//! Jepsen EDN histories: op maps such as `{:type :invoke, :f :read, :value nil, :process 0}`.
//!
//! # Reading
//!
//! A file holds either one vector (or list) of op maps, as Knossos's test data does, or a
//! stream of op maps, one after another, as Jepsen's `history.edn` does. `;` comments,
//! commas, `#_` discards and tagged op maps (`#jepsen.history.Op{...}`) are accepted.
//! In each op map:
//!
//! | key | becomes | when missing |
//! |-----|---------|--------------|
//! | `:type` | [`EventKind`] (`:invoke`, `:ok`, `:fail`, `:info`) | an error |
//! | `:f` | [`Event::f`] (`:read` → `"read"`) | `"txn"` (Elle's transactions have no `:f`) |
//! | `:process` | [`Process::Id`], or [`Process::Named`] for `:nemesis` and other names | an error |
//! | `:value` | [`Event::value`] | nil |
//! | `:time` | [`Event::time`] (it may go backwards; order comes from position only) | 0 |
//! | `:error` | [`Event::error`] (`:error nil` is no error, as in Clojure) | none |
//! | `:index` | ignored: events are numbered densely by their position in the file | |
//!
//! Other keys are ignored. Values take the shapes [`Value`] has; a few EDN forms that have
//! no shape of their own are read as the nearest one: lists as vectors, symbols and
//! characters as strings, ratios and `M` decimals as floats, `N` integers as integers (an
//! error when they do not fit in 64 bits), and a tagged value (`#inst "…"`) as the value
//! without its tag. Collections nest at most [`MAX_DEPTH`] levels deep (as in the JSON
//! reader); deeper input is an error at the opening bracket, never a stack overflow.
//!
//! # Writing
//!
//! [`write()`] writes one vector with one op map per line, keys `:index`, `:time`, `:type`,
//! `:process`, `:f`, `:value` and `:error` (when set), with keywords for `:type` and `:f`,
//! which is what Knossos and `clojure.edn/read` expect; it reads back equal. The vector is
//! what Knossos's own test data holds (one `read-string` reads the whole history);
//! [`write_stream`] writes the same maps without the vector, as Jepsen's `history.edn` does.
//!
//! # Why a parser of our own
//!
//! The EDN crates on crates.io were tried against what a history reader needs. `edn-rs`
//! (0.19) is deprecated and its errors carry no position. `edn-format` (3.3) recurses once
//! per nesting level and overflows the stack on 10,000 nested vectors. `clojure-reader`
//! (0.7) survives deep nesting, but cannot read `##NaN`/`##Inf` (which Clojure prints for
//! non-finite doubles and [`Value`]'s EDN form uses) nor `\uXXXX` string escapes, and its
//! values carry no positions (spans are behind an unstable feature), so a problem found in
//! an op map, such as a missing `:type`, could not say where it is. Going straight from
//! bytes to events also skips a generic tree and its conversion. The parser below keeps its
//! nesting on a heap stack and reports every error with line and column.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;

use super::excerpt::excerpt;
use super::{Events, FormatError, LineCounter};
use crate::event::{Event, EventKind, Process};
use crate::value::Value;

/// How deeply collections may nest inside one value; deeper input is an error.
pub const MAX_DEPTH: usize = 128;

/// Parses an EDN history: a vector or list of op maps, or a stream of op maps.
///
/// # Errors
/// A [`FormatError::Syntax`] with line, column and, inside an op, the event's index.
///
/// ```
/// use lockstep_history::{EventKind, Process};
///
/// let events = lockstep_history::format::edn::parse(br#"
///     ; a Knossos history
///     [{:process 0, :type :invoke, :f :cas, :value [1 2]}
///      {:process :nemesis, :type :info, :f :start, :value nil}
///      {:process 0, :type :fail, :f :cas, :value [1 2], :error :mismatch}]
/// "#).unwrap();
/// assert_eq!(events.len(), 3);
/// assert_eq!(events[1].process, Process::Named("nemesis".into()));
/// assert_eq!(events[2].kind, EventKind::Fail);
/// assert_eq!(events[2].index, 2);
/// ```
pub fn parse(bytes: &[u8]) -> Result<Vec<Event>, FormatError> {
    parse_with_lines(bytes).map(|(events, _)| events)
}

/// Like [`parse`], and also gives the 1-based line each event starts on.
pub(crate) fn parse_with_lines(bytes: &[u8]) -> Result<(Vec<Event>, Vec<u64>), FormatError> {
    let mut events = Vec::with_capacity(bytes.len() / 64);
    let mut lines = Vec::with_capacity(bytes.len() / 64);
    each_event(bytes, &mut |e: Event, line: u64| {
        events.push(e);
        lines.push(line);
    })?;
    Ok((events, lines))
}

/// Parses an EDN history as [`parse`] does, handing each event to `f` with the 1-based
/// line it starts on, as soon as it is read, instead of keeping them; each op map is
/// offered to [`Events::skim`] first.
pub(crate) fn each_event(bytes: &[u8], f: &mut impl Events) -> Result<(), FormatError> {
    let mut p = Parser::new(bytes)?;
    let mut events = 0u64;
    let mut counter = LineCounter::new(bytes);
    p.skip_ws_and_discards()?;
    match p.peek() {
        None => {}
        Some(open @ (b'[' | b'(')) => {
            let start = p.pos;
            let close = if open == b'[' { b']' } else { b')' };
            p.pos += 1;
            loop {
                p.skip_ws_and_discards()?;
                match p.peek() {
                    Some(c) if c == close => {
                        p.pos += 1;
                        break;
                    }
                    None => return Err(p.unclosed(start)),
                    Some(_) => {
                        p.op_or_skim(events, &mut counter, f)?;
                        events += 1;
                    }
                }
            }
            p.skip_ws_and_discards()?;
            if p.peek().is_some() {
                return Err(p.error(p.pos, "unexpected data after the history's closing bracket"));
            }
        }
        Some(_) => {
            while p.peek().is_some() {
                p.op_or_skim(events, &mut counter, f)?;
                events += 1;
                p.skip_ws_and_discards()?;
            }
        }
    }
    Ok(())
}

/// Parses one EDN value, such as a model's initial value given on a command line.
///
/// # Errors
/// A [`FormatError::Syntax`] with line and column.
///
/// ```
/// use lockstep_history::format::edn::parse_value;
/// use lockstep_history::Value;
///
/// assert_eq!(parse_value("0").unwrap(), Value::Int(0));
/// let init = parse_value("{:x 0, :y 0}").unwrap();
/// assert_eq!(init.get("y"), Some(&Value::Int(0)));
/// assert_eq!(parse_value("[1 2").unwrap_err().to_string(), "1:1: unclosed `[`");
/// ```
pub fn parse_value(text: &str) -> Result<Value, FormatError> {
    let mut p = Parser::new(text.as_bytes())?;
    p.skip_ws_and_discards()?;
    let v = p.value()?;
    p.skip_ws_and_discards()?;
    if p.peek().is_some() {
        return Err(p.error(p.pos, "unexpected data after the value"));
    }
    Ok(v)
}

/// Writes `events` as one EDN vector of op maps, one per line.
///
/// # Errors
/// An I/O error, or [`FormatError::Unrepresentable`] for a keyword whose name EDN cannot
/// hold (such as one with a space in it).
///
/// ```
/// use lockstep_history::{Event, EventKind, Process, Value};
///
/// let e = Event {
///     index: 0, time: 5, kind: EventKind::Info, process: Process::Named("nemesis".into()),
///     f: "start".into(), value: Value::Nil, error: Some(Value::keyword("partitioned")),
/// };
/// let mut out = Vec::new();
/// lockstep_history::format::edn::write(&mut out, &[e]).unwrap();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "[{:index 0, :time 5, :type :info, :process :nemesis, :f :start, :value nil, :error :partitioned}]\n",
/// );
/// ```
pub fn write(out: impl Write, events: &[Event]) -> Result<(), FormatError> {
    write_layout(out, events, true)
}

/// Writes `events` as a stream of op maps, one per line, with no enclosing vector: the
/// layout of Jepsen's `history.edn`, for tools that read one form at a time.
///
/// # Errors
/// As [`write()`].
///
/// ```
/// use lockstep_history::format::edn;
/// use lockstep_history::History;
///
/// let h = History::new();
/// h.op("read", (), || 2);
/// let mut out = Vec::new();
/// edn::write_stream(&mut out, &h.events()).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(text.lines().count(), 2);
/// assert!(text.starts_with("{:index 0, "));
/// assert_eq!(edn::parse(text.as_bytes()).unwrap(), h.events());
/// ```
pub fn write_stream(out: impl Write, events: &[Event]) -> Result<(), FormatError> {
    write_layout(out, events, false)
}

fn write_layout(mut out: impl Write, events: &[Event], vector: bool) -> Result<(), FormatError> {
    let mut buf = String::with_capacity(256);
    for (i, e) in events.iter().enumerate() {
        buf.clear();
        if vector {
            buf.push_str(if i == 0 { "[" } else { " " });
        }
        write_op(&mut buf, e)?;
        if vector && i + 1 == events.len() {
            buf.push(']');
        }
        buf.push('\n');
        out.write_all(buf.as_bytes()).map_err(FormatError::io)?;
    }
    if vector && events.is_empty() {
        out.write_all(b"[]\n").map_err(FormatError::io)?;
    }
    out.flush().map_err(FormatError::io)
}

/// Appends one event's op map to `buf`.
fn write_op(buf: &mut String, e: &Event) -> Result<(), FormatError> {
    use std::fmt::Write as _;
    let bad = |message: String| FormatError::Unrepresentable {
        path: None,
        event: e.index,
        message,
    };
    if i64::try_from(e.time).is_err() || e.process.id().is_some_and(|p| i64::try_from(p).is_err()) {
        return Err(bad(
            "time and process must fit in 64-bit signed integers (Clojure longs)".into(),
        ));
    }
    check_writable(&e.value).map_err(bad)?;
    if let Some(error) = &e.error {
        check_writable(error).map_err(bad)?;
    }
    // Writing into a String cannot fail.
    let _ = write!(
        buf,
        "{{:index {}, :time {}, :type :{}, :process ",
        e.index, e.time, e.kind
    );
    match &e.process {
        Process::Id(id) => {
            let _ = write!(buf, "{id}");
        }
        Process::Named(name) => write_name(buf, name),
    }
    buf.push_str(", :f ");
    write_name(buf, &e.f);
    let _ = write!(buf, ", :value {}", e.value);
    if let Some(error) = e.error.as_ref().filter(|v| !v.is_nil()) {
        let _ = write!(buf, ", :error {error}");
    }
    buf.push('}');
    Ok(())
}

/// Writes a name as a keyword when it can be one, otherwise as a string.
fn write_name(buf: &mut String, name: &str) {
    use std::fmt::Write as _;
    if is_keyword_name(name) {
        buf.push(':');
        buf.push_str(name);
    } else {
        let _ = write!(buf, "{}", Value::from(name));
    }
}

/// Whether `:name` reads back as the keyword `name`.
fn is_keyword_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c != ':' && !c.is_ascii_digit() && is_name_char(c))
        && chars.all(is_name_char)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || "*+!-_?<>=./&%$|'#:".contains(c)
}

/// Checks, without recursion, that every keyword in `v` can be written as EDN.
fn check_writable(v: &Value) -> Result<(), String> {
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        match v {
            Value::Keyword(k) if !is_keyword_name(k) => {
                return Err(format!(
                    "the keyword {} has no EDN form",
                    excerpt(&format!("{k:?}"))
                ));
            }
            Value::Vector(items) => todo.extend(items),
            Value::Set(items) => todo.extend(items),
            Value::Map(m) => {
                for (k, v) in m {
                    todo.push(k);
                    todo.push(v);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The parser

/// A collection or prefix waiting for the values inside or after it.
enum Frame {
    Vector(usize, Vec<Value>),
    List(usize, Vec<Value>),
    Set(usize, BTreeSet<Value>),
    Map(usize, BTreeMap<Value, Value>, Option<(Value, usize)>),
    /// `#tag`: the next value is kept without its tag.
    Tag,
    /// `#_`: the next value is read and dropped.
    Discard(usize),
}

/// Which op field a key names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Type,
    F,
    Process,
    Value,
    Time,
    Error,
    Other,
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    /// The event being read, for error messages.
    event: Option<u64>,
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | 0x0b
            | 0x0c
            | b','
            | b'"'
            | b';'
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'\\'
            | b'@'
            | b'^'
            | b'`'
            | b'~'
    )
}

impl<'a> Parser<'a> {
    fn new(src: &'a [u8]) -> Result<Parser<'a>, FormatError> {
        let text = std::str::from_utf8(src).map_err(|e| {
            FormatError::at(src, e.valid_up_to(), None, "invalid UTF-8".to_string())
        })?;
        Ok(Parser {
            src,
            text,
            pos: 0,
            event: None,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn error(&self, at: usize, message: impl Into<String>) -> FormatError {
        FormatError::at(self.src, at, self.event, message.into())
    }

    fn unclosed(&self, start: usize) -> FormatError {
        let what = match self.src.get(start) {
            Some(b'#') => "#{",
            Some(b'(') => "(",
            Some(b'{') => "{",
            _ => "[",
        };
        self.error(start, format!("unclosed `{what}`"))
    }

    /// Skips whitespace, commas and `;` comments.
    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | b',' | 0x0b | 0x0c => self.pos += 1,
                b';' => {
                    self.pos = self.src[self.pos..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(self.src.len(), |i| self.pos + i + 1);
                }
                _ => break,
            }
        }
    }

    /// Skips whitespace and `#_` discarded values.
    fn skip_ws_and_discards(&mut self) -> Result<(), FormatError> {
        loop {
            self.skip_ws();
            if self.peek() == Some(b'#') && self.peek_at(1) == Some(b'_') {
                // `value` reads `#_` prefixes of its own, so `#_ #_ a b` drops both.
                self.pos += 2;
                self.value()?;
            } else {
                return Ok(());
            }
        }
    }

    /// What the input holds at `pos`, for "expected X, found Y" messages.
    fn describe(&self) -> &'static str {
        match self.peek() {
            None => "the end of the input",
            Some(b'[') => "a vector",
            Some(b'(') => "a list",
            Some(b'{') => "a map",
            Some(b'"') => "a string",
            Some(b':') => "a keyword",
            Some(b'#') => "a tagged value or set",
            Some(b']' | b')' | b'}') => "a closing bracket",
            Some(b'0'..=b'9') => "a number",
            Some(b'+' | b'-') if self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) => "a number",
            Some(_) => "a symbol",
        }
    }

    /// The token (symbol, keyword, number) starting at `pos`; advances past it.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        let len = self.src[start..]
            .iter()
            .position(|&b| is_delimiter(b))
            .unwrap_or(self.src.len() - start);
        self.pos += len;
        // Delimiters are ASCII, so the token ends on a character boundary.
        self.text.get(start..start + len).unwrap_or("")
    }

    /// Hands the op map at `pos` to `f`: read by [`Events::skim`] when it can, else by
    /// [`Parser::op`] as event number `index`.
    fn op_or_skim(
        &mut self,
        index: u64,
        counter: &mut LineCounter<'_>,
        f: &mut impl Events,
    ) -> Result<(), FormatError> {
        if let Some(end) = f.skim(self.src, self.pos) {
            self.pos = end;
            return Ok(());
        }
        let line = counter.line_at(self.pos);
        f.event(self.op(index)?, line);
        Ok(())
    }

    /// Reads one op map (optionally tagged) and makes it event number `index`.
    fn op(&mut self, index: u64) -> Result<Event, FormatError> {
        self.event = Some(index);
        let start = self.pos;
        if self.peek() == Some(b'#') && self.peek_at(1).is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos += 1;
            self.token();
            self.skip_ws();
        }
        if self.peek() != Some(b'{') {
            return Err(self.error(
                self.pos,
                format!("expected an op map, found {}", self.describe()),
            ));
        }
        let open = self.pos;
        self.pos += 1;
        let mut kind = None;
        let mut f = None;
        let mut process = None;
        let mut value = None;
        let mut time = None;
        let mut error = None;
        loop {
            self.skip_ws_and_discards()?;
            let key_at = self.pos;
            let field = match self.peek() {
                None => return Err(self.unclosed(open)),
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b':') => {
                    self.pos += 1;
                    match self.token() {
                        "type" => Field::Type,
                        "f" => Field::F,
                        "process" => Field::Process,
                        "value" => Field::Value,
                        "time" => Field::Time,
                        "error" => Field::Error,
                        "" => return Err(self.error(key_at, "a keyword needs a name")),
                        _ => Field::Other,
                    }
                }
                Some(_) => {
                    self.value()?;
                    Field::Other
                }
            };
            self.skip_ws_and_discards()?;
            if matches!(self.peek(), Some(b'}') | None) {
                return Err(self.error(key_at, "this key has no value"));
            }
            let value_at = self.pos;
            let slot = match field {
                Field::Type => &mut kind,
                Field::F => &mut f,
                Field::Process => &mut process,
                Field::Value => &mut value,
                Field::Time => &mut time,
                Field::Error => &mut error,
                Field::Other => {
                    self.value()?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(self.error(key_at, "duplicate key in op map"));
            }
            *slot = Some((self.value()?, value_at));
        }
        let missing = |key: &str| self.error(start, format!("op map has no {key}"));
        let (kind_value, at) = kind.ok_or_else(|| missing(":type"))?;
        let kind = kind_value
            .as_name()
            .and_then(EventKind::from_name)
            .ok_or_else(|| {
                self.error(
                    at,
                    format!(
                        ":type must be :invoke, :ok, :fail or :info, not {}",
                        excerpt(&kind_value.to_string())
                    ),
                )
            })?;
        // An op map with no :f is a transaction, as in Elle's histories.
        let f = match f {
            None => Cow::Borrowed("txn"),
            Some((f_value, at)) => match f_value.as_name() {
                Some(name) => op_name(name),
                None => {
                    return Err(self.error(
                        at,
                        format!(
                            ":f must be a keyword, not {}",
                            excerpt(&f_value.to_string())
                        ),
                    ));
                }
            },
        };
        let (process_value, at) = process.ok_or_else(|| missing(":process"))?;
        let process = match &process_value {
            Value::Int(i) if *i >= 0 => Process::Id(i.unsigned_abs()),
            Value::Keyword(name) | Value::String(name) => Process::Named(Arc::clone(name)),
            _ => {
                return Err(self.error(
                    at,
                    format!(
                        ":process must be a non-negative integer or a name, not {}",
                        excerpt(&process_value.to_string())
                    ),
                ));
            }
        };
        let time = match time {
            None | Some((Value::Nil, _)) => 0,
            Some((Value::Int(t), _)) if t >= 0 => t.unsigned_abs(),
            Some((other, at)) => {
                return Err(self.error(
                    at,
                    format!(
                        ":time must be a non-negative integer, not {}",
                        excerpt(&other.to_string())
                    ),
                ));
            }
        };
        self.event = None;
        Ok(Event {
            index,
            time,
            kind,
            process,
            f,
            value: value.map(|(v, _)| v).unwrap_or_default(),
            // As in Clojure, where `(:error op)` is nil either way, a nil error is no error.
            error: error.map(|(v, _)| v).filter(|v| !v.is_nil()),
        })
    }

    /// Reads one value, keeping nested collections on a heap stack.
    fn value(&mut self) -> Result<Value, FormatError> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            self.skip_ws();
            let mut start = self.pos;
            let Some(b) = self.peek() else {
                return Err(match stack.iter().rev().find_map(frame_start) {
                    Some(open) => self.unclosed(open),
                    None => self.error(start, "expected a value, found the end of the input"),
                });
            };
            let opens = matches!(b, b'[' | b'(' | b'{')
                || (b == b'#' && matches!(self.peek_at(1), Some(b'{')));
            if opens && stack.len() >= MAX_DEPTH {
                return Err(self.error(
                    start,
                    format!("collections nest more than {MAX_DEPTH} levels deep"),
                ));
            }
            let done = match b {
                b'[' => {
                    self.pos += 1;
                    stack.push(Frame::Vector(start, Vec::new()));
                    continue;
                }
                b'(' => {
                    self.pos += 1;
                    stack.push(Frame::List(start, Vec::new()));
                    continue;
                }
                b'{' => {
                    self.pos += 1;
                    stack.push(Frame::Map(start, BTreeMap::new(), None));
                    continue;
                }
                b'#' => match self.peek_at(1) {
                    Some(b'{') => {
                        self.pos += 2;
                        stack.push(Frame::Set(start, BTreeSet::new()));
                        continue;
                    }
                    Some(b'_') => {
                        self.pos += 2;
                        stack.push(Frame::Discard(start));
                        continue;
                    }
                    Some(b'#') => {
                        self.pos += 2;
                        match self.token() {
                            "NaN" => Value::Float(f64::NAN),
                            "Inf" => Value::Float(f64::INFINITY),
                            "-Inf" => Value::Float(f64::NEG_INFINITY),
                            _ => return Err(self.error(start, "unknown symbolic value")),
                        }
                    }
                    Some(c) if c.is_ascii_alphabetic() => {
                        self.pos += 1;
                        self.token();
                        stack.push(Frame::Tag);
                        continue;
                    }
                    _ => return Err(self.error(start, "unsupported `#` form")),
                },
                b']' | b')' | b'}' => {
                    self.pos += 1;
                    let (closed, open) = self.close(&mut stack, b, start)?;
                    start = open;
                    closed
                }
                b'"' => self.string()?,
                b'\\' => self.character()?,
                _ => self.atom()?,
            };
            // Hand the finished value to the frames waiting for it.
            loop {
                match stack.last_mut() {
                    None => return Ok(done),
                    Some(Frame::Tag) => {
                        stack.pop();
                    }
                    Some(Frame::Discard(_)) => {
                        stack.pop();
                        break;
                    }
                    Some(Frame::Vector(_, items) | Frame::List(_, items)) => {
                        items.push(done);
                        break;
                    }
                    Some(Frame::Set(_, items)) => {
                        if !items.insert(done) {
                            return Err(self.error(start, "duplicate set element"));
                        }
                        break;
                    }
                    Some(Frame::Map(_, map, key)) => {
                        match key.take() {
                            None => *key = Some((done, start)),
                            Some((k, key_at)) => {
                                if map.insert(k, done).is_some() {
                                    return Err(self.error(key_at, "duplicate map key"));
                                }
                            }
                        }
                        break;
                    }
                }
            }
        }
    }

    /// Closes the innermost collection with bracket `b` found at `at`; returns it with the
    /// position of its opening bracket.
    fn close(
        &self,
        stack: &mut Vec<Frame>,
        b: u8,
        at: usize,
    ) -> Result<(Value, usize), FormatError> {
        let mismatch = |open: usize| {
            self.error(
                at,
                format!(
                    "`{}` does not close the `{}` at {}",
                    b as char,
                    match self.src.get(open) {
                        Some(b'#') => "#{".to_string(),
                        Some(&c) => (c as char).to_string(),
                        None => String::new(),
                    },
                    {
                        let (l, c) = super::line_column(self.src, open);
                        format!("{l}:{c}")
                    }
                ),
            )
        };
        match stack.pop() {
            Some(Frame::Vector(open, items)) if b == b']' => Ok((Value::Vector(items), open)),
            Some(Frame::List(open, items)) if b == b')' => Ok((Value::Vector(items), open)),
            Some(Frame::Set(open, items)) if b == b'}' => Ok((Value::Set(items), open)),
            Some(Frame::Map(open, map, None)) if b == b'}' => Ok((Value::Map(map), open)),
            Some(Frame::Map(_, _, Some((_, key_at)))) if b == b'}' => {
                Err(self.error(key_at, "this key has no value"))
            }
            Some(
                Frame::Vector(open, _)
                | Frame::List(open, _)
                | Frame::Set(open, _)
                | Frame::Map(open, _, _),
            ) => Err(mismatch(open)),
            Some(Frame::Discard(open)) => Err(self.error(open, "`#_` has nothing to discard")),
            Some(Frame::Tag) => Err(self.error(at, "a tag has no value")),
            None => Err(self.error(at, format!("unexpected `{}` with nothing open", b as char))),
        }
    }

    /// Reads a string literal starting at `pos` (on the opening quote).
    fn string(&mut self) -> Result<Value, FormatError> {
        let open = self.pos;
        let body = open + 1;
        let Some(len) = self.src[body..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
        else {
            return Err(self.error(open, "unterminated string"));
        };
        if self.src[body + len] == b'"' {
            self.pos = body + len + 1;
            let s = self.text.get(body..body + len).unwrap_or("");
            return Ok(Value::String(Arc::from(s)));
        }
        let mut out = String::with_capacity(len + 16);
        out.push_str(self.text.get(body..body + len).unwrap_or(""));
        self.pos = body + len;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error(open, "unterminated string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(Value::String(Arc::from(out)));
                }
                b'\\' => {
                    let at = self.pos;
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'n') => '\n',
                        Some(b't') => '\t',
                        Some(b'r') => '\r',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape(at)?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error(at, "unknown escape in string")),
                    };
                    self.pos += 1;
                    out.push(escaped);
                }
                _ => {
                    let rest = &self.src[self.pos..];
                    let n = rest
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\')
                        .unwrap_or(rest.len());
                    out.push_str(self.text.get(self.pos..self.pos + n).unwrap_or(""));
                    self.pos += n;
                }
            }
        }
    }

    /// Reads the four hex digits after `\u` (and a low surrogate's escape after a high one).
    fn unicode_escape(&mut self, at: usize) -> Result<char, FormatError> {
        let hi = self.hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if self.peek() != Some(b'\\') || self.peek_at(1) != Some(b'u') {
                return Err(self.error(at, "unpaired surrogate in \\u escape"));
            }
            self.pos += 2;
            let lo = self.hex4(at)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.error(at, "unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.error(at, "unpaired surrogate in \\u escape"))
    }

    fn hex4(&mut self, at: usize) -> Result<u32, FormatError> {
        let digits = self
            .src
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error(at, "\\u must be followed by four hex digits"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16)
            .map_err(|_| self.error(at, "\\u must be followed by four hex digits"))
    }

    /// Reads a character literal (`\a`, `\newline`, `\u00e9`) as a one-character string.
    fn character(&mut self) -> Result<Value, FormatError> {
        let at = self.pos;
        self.pos += 1;
        let Some(first) = self.text.get(self.pos..).and_then(|s| s.chars().next()) else {
            return Err(self.error(at, "a character literal needs a character"));
        };
        self.pos += first.len_utf8();
        let rest = self.token();
        let c = if rest.is_empty() {
            first
        } else {
            let name = &self.text[at + 1..self.pos];
            match name {
                "newline" => '\n',
                "space" => ' ',
                "tab" => '\t',
                "return" => '\r',
                "backspace" => '\u{8}',
                "formfeed" => '\u{c}',
                _ if first == 'u' && rest.len() == 4 => u32::from_str_radix(rest, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| self.error(at, "invalid \\u character"))?,
                _ => {
                    return Err(self.error(
                        at,
                        format!(
                            "unknown character literal {}",
                            excerpt(&format!("\\{name}")).quoted()
                        ),
                    ));
                }
            }
        };
        Ok(Value::String(Arc::from(c.encode_utf8(&mut [0; 4]) as &str)))
    }

    /// Reads nil, a boolean, a number, a keyword or a symbol.
    fn atom(&mut self) -> Result<Value, FormatError> {
        let at = self.pos;
        let t = self.token();
        if t.is_empty() {
            let c = self
                .text
                .get(at..)
                .and_then(|s| s.chars().next())
                .unwrap_or(' ');
            return Err(self.error(at, format!("unexpected character `{c}`")));
        }
        let bytes = t.as_bytes();
        let numeric = bytes[0].is_ascii_digit()
            || (matches!(bytes[0], b'+' | b'-') && bytes.get(1).is_some_and(u8::is_ascii_digit));
        Ok(match t {
            "nil" => Value::Nil,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ if numeric => number(t).map_err(|m| self.error(at, m))?,
            _ if bytes[0] == b':' => match &t[1..] {
                "" => return Err(self.error(at, "a keyword needs a name")),
                name if name.starts_with(':') => {
                    return Err(self.error(at, "auto-resolved keywords (`::k`) are not EDN"));
                }
                name => Value::Keyword(keyword(name)),
            },
            _ => Value::String(Arc::from(t)),
        })
    }
}

/// Where an open collection began, for "unclosed" errors.
fn frame_start(f: &Frame) -> Option<usize> {
    match f {
        Frame::Vector(at, _) | Frame::List(at, _) | Frame::Set(at, _) | Frame::Map(at, _, _) => {
            Some(*at)
        }
        Frame::Discard(_) | Frame::Tag => None,
    }
}

/// Parses a numeric token: integers (with an optional `N`), floats (with an optional `M`)
/// and ratios.
fn number(t: &str) -> Result<Value, String> {
    let too_big = || format!("integer {} does not fit in 64 bits", excerpt(t));
    if let Some(int) = t.strip_suffix('N') {
        check_digits(int, t)?;
        return integer(int).ok_or_else(too_big);
    }
    if let Some(dec) = t.strip_suffix('M') {
        return dec
            .parse()
            .map(Value::Float)
            .map_err(|_| format!("invalid number {}", excerpt(t).quoted()));
    }
    if let Some((n, d)) = t.split_once('/') {
        check_digits(n, t)?;
        check_digits(d, t)?;
        let (n, d): (i64, i64) = match (n.parse(), d.parse()) {
            (Ok(n), Ok(d)) if d != 0 => (n, d),
            _ => return Err(format!("invalid ratio {}", excerpt(t).quoted())),
        };
        return Ok(Value::Float(n as f64 / d as f64));
    }
    if t.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        let body = t.trim_start_matches(['+', '-']);
        if !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return Err(format!("invalid number {}", excerpt(t).quoted()));
        }
        return t
            .parse()
            .map(Value::Float)
            .map_err(|_| format!("invalid number {}", excerpt(t).quoted()));
    }
    check_digits(t, t)?;
    integer(t).ok_or_else(too_big)
}

/// A checked decimal integer from `i64::MIN` to `u64::MAX` (Clojure reads the ones above
/// `i64::MAX` as bigints).
fn integer(digits: &str) -> Option<Value> {
    digits
        .parse::<i64>()
        .map(Value::Int)
        .or_else(|_| {
            digits
                .strip_prefix('+')
                .unwrap_or(digits)
                .parse()
                .map(Value::UInt)
        })
        .ok()
}

/// Checks that `digits` is an optionally signed decimal integer without leading zeros.
fn check_digits(digits: &str, whole: &str) -> Result<(), String> {
    let body = digits.strip_prefix(['+', '-']).unwrap_or(digits);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid number {}", excerpt(whole).quoted()));
    }
    if body.len() > 1 && body.starts_with('0') {
        return Err(format!(
            "invalid number {} (leading zeros are not EDN)",
            excerpt(whole).quoted()
        ));
    }
    Ok(())
}

/// A keyword's name, shared for the keywords histories repeat on every line (op types and
/// Elle's micro-op functions) so reading them does not allocate.
fn keyword(name: &str) -> Arc<str> {
    static COMMON: std::sync::LazyLock<[Arc<str>; 8]> = std::sync::LazyLock::new(|| {
        ["invoke", "ok", "fail", "info", "txn", "append", "r", "w"].map(Arc::from)
    });
    match COMMON.iter().find(|c| ***c == *name) {
        Some(c) => Arc::clone(c),
        None => Arc::from(name),
    }
}

/// An op name, borrowed for the names Jepsen uses most so reading them does not allocate.
fn op_name(name: &str) -> Cow<'static, str> {
    const COMMON: [&str; 16] = [
        "read", "write", "cas", "txn", "acquire", "release", "add", "append", "enqueue", "dequeue",
        "start", "stop", "get", "put", "inc", "drain",
    ];
    match COMMON.iter().find(|&&c| c == name) {
        Some(c) => Cow::Borrowed(*c),
        None => Cow::Owned(name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse(src.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn reads_a_vector_and_a_stream() {
        let vector = parse(
            b"[{:type :invoke :f :read :process 0}, {:type :ok :f :read :value 1 :process 0}]",
        )
        .unwrap();
        let stream = parse(
            b"{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :read, :value 1, :process 0}\n",
        )
        .unwrap();
        assert_eq!(vector, stream);
        assert_eq!(vector[1].value, Value::Int(1));
        assert_eq!(vector[1].index, 1);
        assert!(parse(b"").unwrap().is_empty());
        assert!(parse(b" ; nothing\n[]").unwrap().is_empty());
    }

    #[test]
    fn op_fields() {
        let e = parse(
            br#"(#jepsen.history.Op{:index 7, :time 99, :type :fail, :process :nemesis, :f "kill", :value [:x 1], :error [:temporarily-unavailable nil], :extra #{1 2}})"#,
        )
        .unwrap();
        assert_eq!(e[0].index, 0, "renumbered by position");
        assert_eq!(e[0].time, 99);
        assert_eq!(e[0].process, Process::Named("nemesis".into()));
        assert_eq!(e[0].f, "kill");
        assert_eq!(e[0].value.to_string(), "[:x 1]");
        assert_eq!(
            e[0].error.as_ref().unwrap().to_string(),
            "[:temporarily-unavailable nil]"
        );
    }

    #[test]
    fn values_of_every_shape() {
        for (src, shown) in [
            ("nil", "nil"),
            ("[true false]", "[true false]"),
            ("-12", "-12"),
            ("+7", "7"),
            ("12N", "12"),
            ("1.5", "1.5"),
            ("1e3", "1000.0"),
            ("2.5M", "2.5"),
            ("1/4", "0.25"),
            ("-0.0", "-0.0"),
            ("##NaN", "##NaN"),
            ("##-Inf", "##-Inf"),
            (r#""a\"b\\c\n\u00e9\ud83d\ude00""#, "\"a\\\"b\\\\c\\né😀\""),
            (r"[\a \newline \u0041]", r#"["a" "\n" "A"]"#),
            (":ns/kw", ":ns/kw"),
            ("sym", "\"sym\""),
            ("(1 (2))", "[1 [2]]"),
            ("{:b 1, :a {\"k\" #{}}}", "{:a {\"k\" #{}}, :b 1}"),
            ("#inst \"2020\"", "\"2020\""),
            ("[1 #_ 2 #_#_ 3 4 5]", "[1 5]"),
            ("#{:a ; comment\n :b}", "#{:a :b}"),
        ] {
            let v = parse_value(src).unwrap_or_else(|e| panic!("{src}: {e}"));
            assert_eq!(v.to_string(), shown, "{src}");
            assert_eq!(parse_value(&v.to_string()).unwrap(), v, "{src} reads back");
        }
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(
            err("[{:type :invoke}\n 3]"),
            "1:2: op map has no :process (event 0)"
        );
        assert_eq!(
            err("[{:type :invoke :f :r :process 0}\n {:type :done :f :r :process 0}]"),
            "2:9: :type must be :invoke, :ok, :fail or :info, not :done (event 1)"
        );
        assert_eq!(
            err("[{:type :ok :f :r :process -1}]"),
            "1:28: :process must be a non-negative integer or a name, not -1 (event 0)"
        );
        assert_eq!(
            err("{:type :ok :type :ok}"),
            "1:12: duplicate key in op map (event 0)"
        );
        assert_eq!(
            err("{:type :ok :f}"),
            "1:12: this key has no value (event 0)"
        );
        assert_eq!(
            err("[{:value [1 2}]"),
            "1:14: `}` does not close the `[` at 1:10 (event 0)"
        );
        assert_eq!(err("[{:value \"abc"), "1:10: unterminated string (event 0)");
        assert_eq!(
            err("[{:value 99999999999999999999}]"),
            "1:10: integer 99999999999999999999 does not fit in 64 bits (event 0)"
        );
        assert_eq!(
            err("[] x"),
            "1:4: unexpected data after the history's closing bracket"
        );
        assert_eq!(err("[\n\n  "), "1:1: unclosed `[`");
        assert_eq!(
            err("ab\u{0}\"\n"),
            "1:1: expected an op map, found a symbol (event 0)"
        );
        assert_eq!(
            parse(b"[{:f \"\xff\"}]").unwrap_err().to_string(),
            "1:7: invalid UTF-8"
        );
        assert_eq!(
            parse_value("{:a 1 :a 2}").unwrap_err().to_string(),
            "1:7: duplicate map key"
        );
        assert_eq!(
            parse_value("007").unwrap_err().to_string(),
            "1:1: invalid number `007` (leading zeros are not EDN)"
        );
        assert_eq!(
            parse_value("").unwrap_err().to_string(),
            "1:1: expected a value, found the end of the input"
        );
        assert_eq!(
            parse_value("@x").unwrap_err().to_string(),
            "1:1: unexpected character `@`"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for open in ["[", "(", "{", "#{", "#_", "#t "] {
            let src = open.repeat(10_000);
            let e = parse_value(&src).unwrap_err();
            assert!(e.line().is_some(), "{open}: {e}");
        }
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_value(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            parse_value(&deep).unwrap_err().to_string(),
            format!(
                "1:{}: collections nest more than {MAX_DEPTH} levels deep",
                MAX_DEPTH + 1
            )
        );
    }

    #[test]
    fn writes_names_that_cannot_be_keywords_as_strings() {
        let e = Event {
            index: 0,
            time: 0,
            kind: EventKind::Invoke,
            process: Process::Named("my nemesis".into()),
            f: "read all".into(),
            value: Value::Nil,
            error: None,
        };
        let mut out = Vec::new();
        write(&mut out, std::slice::from_ref(&e)).unwrap();
        assert_eq!(parse(&out).unwrap(), vec![e.clone()]);
        let bad = Event {
            value: Value::keyword("a b"),
            ..e
        };
        let err = write(&mut Vec::new(), &[bad]).unwrap_err();
        assert!(
            matches!(err, FormatError::Unrepresentable { event: 0, .. }),
            "{err}"
        );
    }

    #[test]
    fn integers_up_to_u64_max_read_and_write_back() {
        let max = parse_value("18446744073709551615").unwrap();
        assert_eq!(max, Value::UInt(u64::MAX));
        assert_eq!(
            parse_value("9223372036854775808N").unwrap(),
            Value::UInt(1 << 63)
        );
        assert_eq!(parse_value(&max.to_string()).unwrap(), max);
        assert!(parse_value("18446744073709551616").is_err());
        assert!(parse_value("-9223372036854775809").is_err());
    }
}
