//! The limits hold as a user measures them: `--memory-limit M` keeps the peak resident
//! memory (VmHWM) of the `lockstep` process within 1.25 × M on histories whose search would
//! otherwise take gigabytes, for every built-in model; `--time-limit T` returns within
//! 1.1 × T. The histories are the kind that blew up: many crashed mutations, all concurrent,
//! then one observation no subset of them explains, so the search must try every subset.

mod cli_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cli_common::{event, scratch};
use lockstep_history::{Event, EventKind, Value, format};

/// One model's hard history: `crashed` mutations, then an impossible observation.
struct Hard {
    model: &'static str,
    init: Option<&'static str>,
    events: Vec<Event>,
}

/// `n` concurrent crashed `f`s (values from `value`), then `observe` returning `seen` on
/// process `n` while all are pending, then the crashes reported.
fn crashed_then_impossible(
    n: u64,
    f: &str,
    value: impl Fn(u64) -> Value,
    observe: &str,
    input: Value,
    seen: Value,
) -> Vec<Event> {
    let mut events: Vec<Event> = (0..n)
        .map(|p| event(EventKind::Invoke, p, f, value(p)))
        .collect();
    events.push(event(EventKind::Invoke, n, observe, input));
    events.push(event(EventKind::Ok, n, observe, seen));
    events.extend((0..n).map(|p| event(EventKind::Info, p, f, value(p))));
    for (i, e) in events.iter_mut().enumerate() {
        e.index = i as u64;
        e.time = i as u64;
    }
    events
}

fn int(i: u64) -> Value {
    Value::Int(i as i64)
}

fn pair(a: Value, b: Value) -> Value {
    Value::Vector(vec![a, b])
}

/// The 150-operation fifo-queue history at concurrency 4: enqueues of distinct values, four
/// at a time, about half of them crashed (so they may sit anywhere in the queue, or
/// nowhere), then a dequeue of a value never enqueued.
fn fifo_queue_150() -> Vec<Event> {
    let mut seed = 0x5eed_u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut events = Vec::new();
    let mut process = [0u64, 1, 2, 3];
    let mut fresh = 4;
    let mut op = 0u64;
    while op < 148 {
        // Four operations at once, completed in a shuffled order.
        let mut batch = Vec::new();
        for &p in &process {
            events.push(event(EventKind::Invoke, p, "enqueue", int(op)));
            batch.push((p, op));
            op += 1;
        }
        while !batch.is_empty() {
            let (p, value) = batch.remove(next(batch.len() as u64) as usize);
            if next(2) == 0 {
                events.push(event(EventKind::Info, p, "enqueue", int(value)));
                let slot = process.iter().position(|&q| q == p).unwrap();
                process[slot] = fresh;
                fresh += 1;
            } else {
                events.push(event(EventKind::Ok, p, "enqueue", int(value)));
            }
        }
    }
    let p = process[0];
    events.push(event(EventKind::Invoke, p, "dequeue", Value::Nil));
    events.push(event(EventKind::Ok, p, "dequeue", int(1_000_000)));
    for (i, e) in events.iter_mut().enumerate() {
        e.index = i as u64;
        e.time = i as u64;
    }
    events
}

fn hard_histories() -> Vec<Hard> {
    let never = int(999);
    let x = || Value::keyword("x");
    vec![
        Hard {
            model: "set",
            init: None,
            // 24 crashed adds and one impossible read: 50 events.
            events: crashed_then_impossible(24, "add", int, "read", Value::Nil, {
                Value::Vector(vec![never.clone()])
            }),
        },
        Hard {
            model: "fifo-queue",
            init: None,
            events: fifo_queue_150(),
        },
        Hard {
            model: "register",
            init: Some("0"),
            events: crashed_then_impossible(24, "write", int, "read", Value::Nil, never.clone()),
        },
        Hard {
            model: "cas-register",
            init: Some("0"),
            events: crashed_then_impossible(24, "write", int, "read", Value::Nil, never.clone()),
        },
        Hard {
            model: "unordered-queue",
            init: None,
            events: crashed_then_impossible(
                24,
                "enqueue",
                int,
                "dequeue",
                Value::Nil,
                never.clone(),
            ),
        },
        Hard {
            model: "stack",
            init: None,
            events: crashed_then_impossible(24, "push", int, "pop", Value::Nil, never.clone()),
        },
        Hard {
            model: "counter",
            init: None,
            events: crashed_then_impossible(
                24,
                "add",
                |p| int(1 << p),
                "read",
                Value::Nil,
                Value::Int(-1),
            ),
        },
        Hard {
            model: "kv",
            init: Some("0"),
            events: crashed_then_impossible(
                24,
                "write",
                |p| pair(x(), int(p)),
                "read",
                pair(x(), Value::Nil),
                pair(x(), never.clone()),
            ),
        },
        Hard {
            model: "multi-register",
            init: Some("{:x 0}"),
            events: crashed_then_impossible(
                24,
                "txn",
                |p| {
                    Value::Vector(vec![Value::Vector(vec![
                        Value::keyword("write"),
                        x(),
                        int(p),
                    ])])
                },
                "txn",
                Value::Vector(vec![Value::Vector(vec![
                    Value::keyword("read"),
                    x(),
                    Value::Nil,
                ])]),
                Value::Vector(vec![Value::Vector(vec![
                    Value::keyword("read"),
                    x(),
                    never.clone(),
                ])]),
            ),
        },
        Hard {
            model: "mutex",
            init: None,
            events: crashed_then_impossible(
                24,
                "acquire",
                |_| Value::Nil,
                "release",
                Value::Nil,
                Value::Nil,
            ),
        },
    ]
}

/// A field of `/proc/<pid>/status` in bytes.
fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len() + 1..]
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Runs `lockstep` with `args`, sampling its peak resident memory (VmHWM) until it exits;
/// returns the exit code, stdout and the last peak seen.
fn run_measured(args: &[&str], file: &Path) -> (i32, String, u64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockstep"));
    command.args(args).arg(file);
    let (out, peak) = run_sampling_peak(command);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        peak,
    )
}

/// Runs `command` (stdout captured, stderr dropped), sampling its peak resident memory
/// (VmHWM) until it exits; returns its output and the last peak seen.
fn run_sampling_peak(mut command: Command) -> (std::process::Output, u64) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run the measured process");
    let mut peak = 0;
    loop {
        if let Some(hwm) = status_bytes(child.id(), "VmHWM") {
            peak = peak.max(hwm);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (child.wait_with_output().expect("collect"), peak)
}

fn write_history(dir: &Path, hard: &Hard) -> PathBuf {
    let file = dir.join(format!("{}.jsonl", hard.model));
    format::write_file(&file, &hard.events).unwrap();
    file
}

fn can_measure() -> bool {
    if Path::new("/proc/self/status").exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but /proc is missing: the resident-memory tests cannot run"
    );
    println!("skipped: no /proc/<pid>/status to measure resident memory on this platform");
    false
}

#[test]
fn memory_limit_bounds_resident_memory_for_every_built_in_model() {
    if !can_measure() {
        return;
    }
    const LIMIT: u64 = 64 << 20;
    let dir = scratch("rss");
    for hard in hard_histories() {
        let file = write_history(&dir, &hard);
        let mut args = vec!["check", "--model", hard.model, "--memory-limit", "64M"];
        // The general search for every model, the polynomial collections checker included.
        args.extend(["--time-limit", "60s", "--general-search"]);
        if let Some(init) = hard.init {
            args.extend(["--init", init]);
        }
        let (code, stdout, peak) = run_measured(&args, &file);
        // Mutex states are few: its history is decided, the others stop at the limit.
        assert!(code <= 2, "{}: exit {code}: {stdout}", hard.model);
        assert!(
            peak <= LIMIT + LIMIT / 4,
            "{}: peak resident {} MiB over 1.25 × 64 MiB: {stdout}",
            hard.model,
            peak >> 20
        );
    }
}

#[test]
fn the_set_and_queue_histories_that_blew_up_stop_at_the_memory_limit() {
    if !can_measure() {
        return;
    }
    let dir = scratch("blowup");
    for hard in hard_histories().into_iter().take(2) {
        let file = write_history(&dir, &hard);
        // The collections checker now decides these in polynomial time; the general search
        // is what blew up, so it is the one held to the limit here.
        let (code, stdout, _) = run_measured(
            &[
                "check",
                "--model",
                hard.model,
                "--general-search",
                "--memory-limit",
                "64M",
                "--time-limit",
                "60s",
            ],
            &file,
        );
        assert_eq!(code, 2, "{}: {stdout}", hard.model);
        assert!(
            stdout.contains("memory limit of 64 MiB"),
            "{}: {stdout}",
            hard.model
        );
    }
}

/// The elapsed time `lockstep check` prints for one file (`unknown (50 ops, 1.02s)`).
fn printed_seconds(stdout: &str) -> f64 {
    let at = stdout.find(" ops, ").expect("a verdict line") + " ops, ".len();
    let rest = &stdout[at..];
    let end = rest.find(')').unwrap();
    let text = &rest[..end];
    match text.strip_suffix("ms") {
        Some(ms) => ms.parse::<f64>().unwrap() / 1e3,
        None => text.strip_suffix('s').unwrap().parse().unwrap(),
    }
}

#[test]
fn time_limit_is_honoured_within_ten_percent_on_every_model() {
    let dir = scratch("time");
    for hard in hard_histories() {
        let file = write_history(&dir, &hard);
        let mut args = vec!["check", "--model", hard.model, "--time-limit", "1s"];
        args.extend(["--memory-limit", "4G"]);
        if let Some(init) = hard.init {
            args.extend(["--init", init]);
        }
        let (code, stdout, _) = run_measured(&args, &file);
        if code == 2 && stdout.contains("time limit") {
            let took = printed_seconds(&stdout);
            assert!(
                took <= 1.1,
                "{}: {took}s for a 1 s limit: {stdout}",
                hard.model
            );
        } else {
            // Decided (or out of memory) before the limit.
            assert!(code <= 2, "{}: exit {code}: {stdout}", hard.model);
            assert!(printed_seconds(&stdout) <= 1.1, "{}: {stdout}", hard.model);
        }
    }
}

/// A user's model whose states own heap data: a map from each key added to a vector of
/// padding, so one state takes kilobytes the search's tables never see.
struct Heavy;

impl lockstep_history::model::Model for Heavy {
    type State = std::collections::BTreeMap<i64, Vec<i64>>;
    type Op = Option<i64>; // Some(k): add k; None: a read that saw the impossible

    fn init(&self) -> Self::State {
        Self::State::new()
    }

    fn prepare(
        &self,
        op: &lockstep_history::model::RawOp<'_>,
    ) -> Result<Self::Op, lockstep_history::model::BadOp> {
        Ok(op.input.as_i64())
    }

    fn step(
        &self,
        state: &Self::State,
        op: &Self::Op,
    ) -> Result<Self::State, lockstep_history::model::Illegal> {
        match op {
            Some(k) => {
                let mut next = state.clone();
                next.insert(*k, vec![*k; 64]);
                Ok(next)
            }
            None => Err(lockstep_history::model::Illegal::new("nothing reads that")),
        }
    }
}

const CHILD: &str = "LOCKSTEP_LIMITS_CHILD";

/// Run in a child process by the test below: checks the heavy history with a 64 MiB limit.
#[test]
fn heavy_user_model_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let events = crashed_then_impossible(24, "add", int, "read", Value::Nil, Value::Nil);
    let mut options = lockstep_history::checker::linearizable::Options::default();
    options.budget.memory_limit = Some(64 << 20);
    options.budget.time_limit = Some(Duration::from_secs(60));
    let verdict =
        lockstep_history::checker::linearizable::check_with(&events, &Heavy, &options).unwrap();
    println!("child verdict: {verdict}");
    assert!(verdict.is_unknown(), "{verdict}");
}

#[test]
fn memory_limit_bounds_resident_memory_for_a_user_model_with_heap_states() {
    if !can_measure() {
        return;
    }
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "heavy_user_model_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, "1");
    let (out, peak) = run_sampling_peak(command);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("memory limit of 64 MiB"), "{stdout}");
    let limit: u64 = 64 << 20;
    assert!(
        peak <= limit + limit / 4,
        "peak resident {} MiB over 1.25 × 64 MiB",
        peak >> 20
    );
}
