//! JSON histories: one array of events, each in the form of [`Event`]'s serde impl
//! (`{"index":0,"time":12,"type":"invoke","process":0,"f":"write","value":3}`).
//!
//! Values use [`Value`](crate::Value)'s JSON form, so keywords, sets and maps with
//! non-string keys read back exactly; an integer that does not fit in 64 bits is an error,
//! never a float. Unknown fields are ignored. Values nest at most 128
//! levels deep (serde_json's limit); deeper input is an error, never a stack overflow.

use std::cell::Cell;
use std::fmt;
use std::io::Write;

use serde::Deserializer as _;
use serde::de::{SeqAccess, Visitor};

use super::excerpt::excerpt;
use super::{FormatError, LineCounter, renumber};
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
///   {"index":1,"time":0,"type":"ok","f":"read","value":null}
/// ]"#).unwrap_err();
/// assert_eq!(err.to_string(), "3:58: missing field `process` (event 1)");
/// ```
pub fn parse(bytes: &[u8]) -> Result<Vec<Event>, FormatError> {
    parse_with_lines(bytes).map(|(events, _)| events)
}

/// Like [`parse`], and also gives the 1-based line each event starts on.
pub(crate) fn parse_with_lines(bytes: &[u8]) -> Result<(Vec<Event>, Vec<u64>), FormatError> {
    let mut events = Vec::new();
    let starts = each_event(bytes, |e| events.push(e))?;
    let mut counter = LineCounter::new(bytes);
    let mut lines: Vec<u64> = starts.into_iter().map(|o| counter.line_at(o)).collect();
    if lines.len() != events.len() {
        lines.clear();
    }
    renumber(&mut events, &mut lines);
    Ok((events, lines))
}

/// Parses a JSON array of events as [`parse`] does, handing each event to `f` as soon as it
/// is read, in the order of the file (not sorted, not renumbered), instead of keeping
/// them; returns where each event starts. Errors are [`parse`]'s.
pub(crate) fn each_event(bytes: &[u8], f: impl FnMut(Event)) -> Result<Vec<usize>, FormatError> {
    let read = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.deserialize_seq(Events { read: &read, f })
        .and_then(|()| de.end())
        .map_err(|e| syntax_error(&e, 0, read.get()))?;
    scan(bytes, true)
        .map_err(|(offset, event, message)| FormatError::at(bytes, offset, event, message))
}

/// Reads the array of events, counting them so an error can say which one it is in.
struct Events<'a, F> {
    /// How many events were read, once the array has begun.
    read: &'a Cell<Option<u64>>,
    /// Takes each event.
    f: F,
}

impl<'de, F: FnMut(Event)> Visitor<'de> for Events<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut read = 0;
        self.read.set(Some(0));
        while let Some(e) = seq.next_element()? {
            (self.f)(e);
            read += 1;
            self.read.set(Some(read));
        }
        // The closing bracket is checked after this returns; an error there is no event's.
        self.read.set(None);
        Ok(())
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
        message: super::excerpt::shorten(&err.to_string()).into_owned(),
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

/// A serde_json error's message without the position it appends, in words a user can act
/// on where serde's own say only which Rust type failed, and quoting at most an
/// [excerpt](super::excerpt) of the input.
pub(crate) fn message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let text = text.strip_suffix(&position).unwrap_or(&text);
    if text.starts_with("data did not match any variant of untagged enum Process") {
        return "process must be a non-negative integer or a name".to_string();
    }
    // serde_json quotes the offending string or name whole.
    super::excerpt::shorten(text).into_owned()
}

/// Scans the well-formed JSON `bytes` for what serde_json does not report: the byte
/// offset of each object in the top-level array, when `array_of_events` (where each event
/// starts), and the first integer that does not fit in 64 bits, which serde_json would read
/// as a float without a word (an error: its offset, the event it is in, a message).
///
/// Integers from `i64::MAX` up to `u64::MAX` are left to the fields that read them (an
/// index may be that large, a value may not, and says so).
pub(crate) fn scan(
    bytes: &[u8],
    array_of_events: bool,
) -> Result<Vec<usize>, (usize, Option<u64>, String)> {
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut events = 0u64;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                i += 1;
            }
            b'[' | b'{' => {
                if array_of_events && depth == 1 && b == b'{' {
                    events += 1;
                    starts.push(i);
                }
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while bytes
                    .get(i)
                    .is_some_and(|c| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                {
                    i += 1;
                }
                let literal = &bytes[start..i];
                // Up to 19 characters always fit; only integers (no fraction, no exponent)
                // are at stake.
                if literal.len() < 20 || literal[1..].iter().any(|c| !c.is_ascii_digit()) {
                    continue;
                }
                let text = String::from_utf8_lossy(literal);
                let fits = if b == b'-' {
                    text.parse::<i64>().is_ok()
                } else {
                    text.parse::<u64>().is_ok()
                };
                if !fits {
                    let event = (array_of_events && depth >= 2)
                        .then(|| events.checked_sub(1))
                        .flatten();
                    return Err((
                        start,
                        event,
                        format!("integer {} does not fit in 64 bits", excerpt(&text)),
                    ));
                }
            }
            _ => i += 1,
        }
    }
    Ok(starts)
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
    fn integers_beyond_64_bits_are_errors_not_floats() {
        let event = |field: &str| {
            let mut fields = [
                r#""index":0"#.to_string(),
                r#""time":0"#.into(),
                r#""type":"invoke""#.into(),
                r#""process":0"#.into(),
                r#""f":"w""#.into(),
                r#""value":null"#.into(),
            ];
            let name = field.split(':').next().unwrap();
            for f in &mut fields {
                if f.split(':').next() == Some(name) {
                    *f = field.to_string();
                }
            }
            format!("{{{}}}", fields.join(","))
        };
        let ok = event(r#""value":"99999999999999999999999""#);
        for (field, expect) in [
            (
                r#""value":99999999999999999999999"#,
                "does not fit in 64 bits",
            ),
            (
                r#""value":[1,{"x":-99999999999999999999}]"#,
                "does not fit in 64 bits",
            ),
            (r#""index":99999999999999999999999"#, "expected u64"),
            (r#""time":99999999999999999999999"#, "expected u64"),
            (r#""process":99999999999999999999999"#, "process must be"),
        ] {
            let text = format!("[{ok},\n{}]", event(field));
            let e = parse(text.as_bytes()).unwrap_err();
            assert_eq!((e.line(), e.event()), (Some(2), Some(1)), "{field}: {e}");
            assert!(e.to_string().contains(expect), "{field}: {e}");
        }
        // Large but in range, and floats written as such, read as before.
        for value in ["9223372036854775807", "-9223372036854775808", "1e23", "1.5"] {
            let text = format!("[{}]", event(&format!(r#""value":{value}"#)));
            assert!(parse(text.as_bytes()).is_ok(), "{value}");
        }
    }

    #[test]
    fn negative_process_says_what_a_process_is() {
        let text = br#"[{"index":0,"time":0,"type":"invoke","process":-1,"f":"w","value":1}]"#;
        let e = parse(text).unwrap_err();
        assert!(
            e.to_string()
                .contains("process must be a non-negative integer or a name"),
            "{e}"
        );
        assert_eq!(e.line(), Some(1));
    }

    #[test]
    fn empty_history() {
        let mut out = Vec::new();
        write(&mut out, &[]).unwrap();
        assert_eq!(out, b"[]\n");
        assert!(parse(&out).unwrap().is_empty());
    }
}
