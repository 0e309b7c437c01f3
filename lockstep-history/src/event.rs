//! One line of a history: a process invoking an operation or learning how it ended.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::value::Value;

/// What an event says about its operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// The process started the operation; `value` is its input.
    Invoke,
    /// The operation completed and took effect; `value` is its result.
    Ok,
    /// The operation definitely did not take effect; `error` says why.
    Fail,
    /// The outcome is unknown: it may have taken effect at any point after its invoke, or never.
    Info,
}

impl EventKind {
    /// The Jepsen name: `invoke`, `ok`, `fail` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Invoke => "invoke",
            EventKind::Ok => "ok",
            EventKind::Fail => "fail",
            EventKind::Info => "info",
        }
    }

    /// The kind with this Jepsen name.
    pub fn from_name(name: &str) -> Option<EventKind> {
        Some(match name {
            "invoke" => EventKind::Invoke,
            "ok" => EventKind::Ok,
            "fail" => EventKind::Fail,
            "info" => EventKind::Info,
            _ => return None,
        })
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performed an event.
///
/// Recorded histories only have numbered processes. Imported Jepsen histories may also have
/// named ones such as `:nemesis`, the fault injector; checkers skip those.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Process {
    /// A client process.
    Id(u64),
    /// A named process such as Jepsen's `nemesis` (stored without a colon).
    Named(Arc<str>),
}

impl Process {
    /// The number of a client process; `None` for named processes.
    pub fn id(&self) -> Option<u64> {
        match self {
            Process::Id(id) => Some(*id),
            Process::Named(_) => None,
        }
    }

    /// Whether this is a named (non-client) process.
    pub fn is_named(&self) -> bool {
        matches!(self, Process::Named(_))
    }
}

impl From<u64> for Process {
    fn from(id: u64) -> Process {
        Process::Id(id)
    }
}

impl PartialEq<u64> for Process {
    fn eq(&self, other: &u64) -> bool {
        self.id() == Some(*other)
    }
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Id(id) => write!(f, "{id}"),
            Process::Named(name) => write!(f, ":{name}"),
        }
    }
}

/// One event of a history.
///
/// The serde form is DESIGN's JSON object:
/// `{"index":0,"time":12,"type":"invoke","process":0,"f":"write","value":3}`, with
/// `error` present only when set.
///
/// ```
/// use lockstep_history::{Event, EventKind};
///
/// let e: Event = serde_json::from_str(
///     r#"{"index":0,"time":5,"type":"fail","process":1,"f":"cas","value":[1,2],"error":"mismatch"}"#,
/// ).unwrap();
/// assert_eq!(e.kind, EventKind::Fail);
/// assert_eq!(e.f, "cas");
/// assert_eq!(e.process, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    /// Position in the history, dense from 0 in the order events were recorded.
    pub index: u64,
    /// Nanoseconds since the history began, from a monotonic clock. Order comes from
    /// `index`, never from `time`. Absent in elle-cli's JSON histories: read as 0. In the
    /// histories the explorer records under shuttle (feature `shuttle`) the clock is
    /// logical: `time` equals `index`, so a replayed schedule gives an equal history.
    #[serde(default)]
    pub time: u64,
    /// Invoke, ok, fail or info.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The process that performed it.
    pub process: Process,
    /// The operation's name, such as `"read"` or `"write"`. Absent in Elle's histories,
    /// whose ops are all transactions: read as `"txn"`.
    #[serde(default = "txn_name")]
    pub f: Cow<'static, str>,
    /// The input on invoke, the result on ok, the invoke's input echoed on fail and info.
    #[serde(default)]
    pub value: Value,
    /// Why a fail or info ended that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// The name of an operation read without one: Elle's transactions have no `f`.
fn txn_name() -> Cow<'static, str> {
    Cow::Borrowed("txn")
}

impl Event {
    /// Whether this event starts an operation.
    pub fn is_invoke(&self) -> bool {
        self.kind == EventKind::Invoke
    }

    /// Whether this event ends an operation (ok, fail or info).
    pub fn is_completion(&self) -> bool {
        self.kind != EventKind::Invoke
    }
}

/// A compact one-line form, as in a Jepsen log: `3 :invoke :write 5`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} :{} :{} {}",
            self.index, self.process, self.kind, self.f, self.value
        )?;
        if let Some(error) = &self.error {
            write!(f, " error {error}")?;
        }
        Ok(())
    }
}

/// Receives every event the moment it is recorded, before the recording call returns.
///
/// Used to stream a history to a file so that a killed test keeps what it recorded (see
/// `History::with_sink`). Called from the recording threads concurrently; an implementation
/// must not panic.
pub trait EventSink: Send + Sync + 'static {
    /// Takes one freshly recorded event.
    fn record(&self, event: &Event);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_matches_design() {
        let e = Event {
            index: 2,
            time: 40,
            kind: EventKind::Ok,
            process: Process::Id(1),
            f: "read".into(),
            value: Value::Int(3),
            error: None,
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(
            text,
            r#"{"index":2,"time":40,"type":"ok","process":1,"f":"read","value":3}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e);
    }

    #[test]
    fn named_processes_round_trip() {
        let text = r#"{"index":0,"time":0,"type":"info","process":"nemesis","f":"start","value":null,"error":":partitioned"}"#;
        let e: Event = serde_json::from_str(text).unwrap();
        assert!(e.process.is_named());
        assert_eq!(e.error, Some(Value::keyword("partitioned")));
        assert_eq!(serde_json::to_string(&e).unwrap(), text);
    }

    #[test]
    fn bad_type_is_an_error() {
        let text = r#"{"index":0,"time":0,"type":"done","process":0,"f":"x","value":null}"#;
        assert!(serde_json::from_str::<Event>(text).is_err());
    }
}
