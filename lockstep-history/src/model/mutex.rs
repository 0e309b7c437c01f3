//! A lock.

use super::{BadOp, Illegal, Model, RawOp};

/// A lock with `acquire` and `release`, initially free. Like Knossos's mutex it does not track
/// owners: an acquire needs the lock free, a release needs it held.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mutex;

/// A prepared mutex operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MutexOp {
    /// Take the lock.
    Acquire,
    /// Give it back.
    Release,
}

impl Model for Mutex {
    /// Whether the lock is held.
    type State = bool;
    type Op = MutexOp;

    fn name(&self) -> &str {
        "mutex"
    }

    fn init(&self) -> bool {
        false
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<MutexOp, BadOp> {
        match op.f {
            "acquire" | "lock" => Ok(MutexOp::Acquire),
            "release" | "unlock" => Ok(MutexOp::Release),
            f => Err(BadOp::unknown_f("mutex", f, "acquire, release")),
        }
    }

    fn step(&self, held: &bool, op: &MutexOp) -> Result<bool, Illegal> {
        match (op, held) {
            (MutexOp::Acquire, false) => Ok(true),
            (MutexOp::Acquire, true) => Err(Illegal::new("acquired a lock that was held")),
            (MutexOp::Release, true) => Ok(false),
            (MutexOp::Release, false) => Err(Illegal::new("released a lock that was free")),
        }
    }

    fn describe_state(&self, held: &bool) -> String {
        if *held { "held" } else { "free" }.to_string()
    }

    fn describe_op(&self, op: &MutexOp) -> String {
        match op {
            MutexOp::Acquire => "acquire",
            MutexOp::Release => "release",
        }
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn acquire_then_release() {
        let m = Mutex;
        let op = |f| {
            m.prepare(&RawOp {
                f,
                input: &Value::Nil,
                output: None,
                knossos_nil_reads: false,
            })
            .unwrap()
        };
        let held = m.step(&m.init(), &op("acquire")).unwrap();
        assert!(m.step(&held, &op("acquire")).is_err());
        assert_eq!(m.step(&held, &op("release")), Ok(false));
        assert!(m.step(&false, &op("release")).is_err());
    }
}
