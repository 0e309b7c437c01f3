//! JSON histories: one array of events, each in the form of [`Event`]'s serde impl
//! (`{"index":0,"time":12,"type":"invoke","process":0,"f":"write","value":3}`).
//!
//! Values use [`Value`](crate::Value)'s JSON form, so keywords, sets and maps with
//! non-string keys read back exactly. Unknown fields are ignored. Values nest at most 128
//! levels deep (serde_json's limit); deeper input is an error, never a stack overflow.

use std::cell::Cell;
use std::fmt;
use std::io::Write;

use serde::Deserializer as _;
use serde::de::{SeqAccess, Visitor};

use super::{FormatError, renumber};
use crate::event::Event;

/// Parses a JSON array of events, sorted by their `index` (stably) and numbered densely
/// from 0: an index orders events, it does not name them, so gaps and repeats are fine.
///
/// # Errors
/// A [`FormatError::Syntax`] with line and column, and the position in the array of the
/// event it is in.
///
/// ```
/// let events = lockstep_history::format::json::parse(
///     br#"[{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":null}]"#,
/// ).unwrap();
/// assert_eq!(events[0].f, "read");
/// ```
/// ```
/// let err = lockstep_history::format::json::parse(br#"[
///   {"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":null},
///   {"index":1,"time":0,"type":"ok","process":0,"value":null}
/// ]"#).unwrap_err();
/// assert_eq!(err.to_string(), "3:59: missing field `f` (event 1)");
/// ```
pub fn parse(bytes: &[u8]) -> Result<Vec<Event>, FormatError> {
    let read = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let events = de
        .deserialize_seq(Events { read: &read })
        .and_then(|events| de.end().map(|()| events));
    let mut events = events.map_err(|e| syntax_error(&e, 0, read.get()))?;
    renumber(&mut events);
    Ok(events)
}

/// Reads the array of events, counting them so an error can say which one it is in.
struct Events<'a> {
    /// How many events were read, once the array has begun.
    read: &'a Cell<Option<u64>>,
}

impl<'de> Visitor<'de> for Events<'_> {
    type Value = Vec<Event>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Event>, A::Error> {
        let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        self.read.set(Some(0));
        while let Some(e) = seq.next_element()? {
            events.push(e);
            self.read.set(Some(events.len() as u64));
        }
        // The closing bracket is checked after this returns; an error there is no event's.
        self.read.set(None);
        Ok(events)
    }
}

/// Writes `events` as a JSON array, one event per line.
///
/// # Errors
/// An I/O error.
///
/// ```
/// use lockstep_history::History;
///
/// let h = History::new();
/// h.invoke("read", ());
/// let mut out = Vec::new();
/// lockstep_history::format::json::write(&mut out, &h.events()).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with(r#"[{"index":0,"time":"#));
/// assert!(text.ends_with(r#""type":"invoke","process":0,"f":"read","value":null}]
/// "#));
/// ```
pub fn write(mut out: impl Write, events: &[Event]) -> Result<(), FormatError> {
    let mut buf = Vec::with_capacity(256);
    for (i, e) in events.iter().enumerate() {
        buf.clear();
        buf.extend_from_slice(if i == 0 { b"[" } else { b",\n" });
        encode(&mut buf, e)?;
        out.write_all(&buf).map_err(FormatError::io)?;
    }
    out.write_all(if events.is_empty() { b"[]\n" } else { b"]\n" })
        .map_err(FormatError::io)?;
    out.flush().map_err(FormatError::io)
}

/// Appends one event's JSON object to `buf`.
pub(crate) fn encode(buf: &mut Vec<u8>, e: &Event) -> Result<(), FormatError> {
    serde_json::to_writer(&mut *buf, e).map_err(|err| FormatError::Unrepresentable {
        path: None,
        event: e.index,
        message: err.to_string(),
    })
}

/// A serde_json error as a syntax error; `line_offset` lines come before the parsed text.
pub(crate) fn syntax_error(
    e: &serde_json::Error,
    line_offset: u64,
    event: Option<u64>,
) -> FormatError {
    FormatError::Syntax {
        path: None,
        line: line_offset + e.line().max(1) as u64,
        column: e.column().max(1) as u64,
        event,
        message: message(e),
    }
}

/// A serde_json error's message without the position it appends.
pub(crate) fn message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&position).unwrap_or(&text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_positions_without_repeating_them() {
        let e = parse(b"[\n  {\"index\": 0,}\n]").unwrap_err();
        assert_eq!(e.to_string(), "2:15: trailing comma (event 0)");
        let e = parse(b"[{\"index\":0,\"time\":0,\"type\":\"done\",\"process\":0,\"f\":\"x\"}]")
            .unwrap_err();
        assert!(
            e.to_string().starts_with("1:34: unknown variant `done`"),
            "{e}"
        );
        let deep = "[".repeat(10_000);
        assert!(parse(deep.as_bytes()).unwrap_err().line().is_some());
    }

    #[test]
    fn indices_order_events_and_are_renumbered() {
        let text = br#"[
            {"index":7,"time":0,"type":"invoke","process":1,"f":"read","value":null},
            {"index":3,"time":0,"type":"invoke","process":0,"f":"read","value":null},
            {"index":7,"time":0,"type":"ok","process":1,"f":"read","value":null}
        ]"#;
        let events = parse(text).unwrap();
        let order: Vec<(u64, u64)> = events
            .iter()
            .map(|e| (e.index, e.process.id().unwrap()))
            .collect();
        assert_eq!(order, [(0, 0), (1, 1), (2, 1)]);
        assert!(events[2].is_completion());
        crate::validate(&events).unwrap();
    }

    #[test]
    fn empty_history() {
        let mut out = Vec::new();
        write(&mut out, &[]).unwrap();
        assert_eq!(out, b"[]\n");
        assert!(parse(&out).unwrap().is_empty());
    }
}
