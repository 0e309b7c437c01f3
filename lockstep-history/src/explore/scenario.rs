//! Generated scenarios, as lincheck builds them: the user lists operations; the tool runs
//! random scenarios of T threads × N operations (after an optional sequential prefix) under
//! an [`Explorer`], and shrinks a failing one while it still fails.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::failure::Failure;
use super::oracle::Oracle;
use super::run::{Explorer, Summary};
use super::schedule::ScheduleError;
use crate::context::with_history;
use crate::history::History;
/// The seeded generator that argument generators and scenarios draw from.
pub use crate::rng::Rng;

/// An operation's argument: generated, printed in scenarios, read back for a replay, and
/// shrunk towards simpler values.
pub trait Arg: Clone + fmt::Debug + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Simpler values to try in its place when shrinking, simplest first; none by default.
    fn simpler(&self) -> Vec<Self> {
        Vec::new()
    }
}

impl Arg for () {}

impl Arg for bool {
    fn simpler(&self) -> Vec<bool> {
        if *self { vec![false] } else { Vec::new() }
    }
}

impl Arg for String {
    fn simpler(&self) -> Vec<String> {
        let half: String = self.chars().take(self.chars().count() / 2).collect();
        let mut out = vec![String::new(), half];
        out.retain(|s| s.len() < self.len());
        out.dedup();
        out
    }
}

macro_rules! int_args {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            /// Towards zero: zero, half, one step closer.
            fn simpler(&self) -> Vec<$t> {
                #[allow(unused_comparisons)]
                let step = if *self > 0 { *self - 1 } else if *self < 0 { *self + 1 } else { 0 };
                let mut out = vec![0, *self / 2, step];
                out.retain(|v| v != self);
                out.dedup();
                out
            }
        }
    )*};
}

int_args!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

/// An argument with its type erased, so one scenario holds every operation's arguments.
trait ErasedArg: Any + fmt::Debug + Send + Sync {
    fn simpler(&self) -> Vec<Arc<dyn ErasedArg>>;
    fn to_json(&self) -> serde_json::Value;
    fn as_any(&self) -> &dyn Any;
}

impl<A: Arg> ErasedArg for A {
    fn simpler(&self) -> Vec<Arc<dyn ErasedArg>> {
        Arg::simpler(self)
            .into_iter()
            .map(|a| Arc::new(a) as Arc<dyn ErasedArg>)
            .collect()
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

type Generate = dyn Fn(&mut Rng) -> Arc<dyn ErasedArg> + Send + Sync;
type Parse =
    dyn Fn(serde_json::Value) -> Result<Arc<dyn ErasedArg>, serde_json::Error> + Send + Sync;
type Perform<T> = dyn Fn(&T, &dyn ErasedArg) + Send + Sync;

/// One operation the user listed.
struct Operation<T> {
    name: Arc<str>,
    generate: Box<Generate>,
    parse: Box<Parse>,
    perform: Box<Perform<T>>,
}

/// One call in a scenario: an operation and its argument.
#[derive(Clone)]
pub struct Call {
    name: Arc<str>,
    op: usize,
    arg: Arc<dyn ErasedArg>,
}

impl Call {
    /// The operation's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.arg.to_json() {
            serde_json::Value::Null => write!(f, "{}()", self.name),
            arg => write!(f, "{}({arg})", self.name),
        }
    }
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// What runs: calls made one after another before any thread starts, then each thread's
/// calls, the threads concurrently.
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    /// Calls made sequentially first.
    pub prefix: Vec<Call>,
    /// Each thread's calls, in order.
    pub threads: Vec<Vec<Call>>,
}

impl Scenario {
    /// How many calls it makes in all.
    pub fn len(&self) -> usize {
        self.prefix.len() + self.threads.iter().map(Vec::len).sum::<usize>()
    }

    /// Whether it makes no call.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its size as `threads × longest thread (+ prefix)`, as the README's table gives it.
    pub fn size(&self) -> String {
        let longest = self.threads.iter().map(Vec::len).max().unwrap_or(0);
        let mut size = format!("{}×{longest}", self.threads.len());
        if !self.prefix.is_empty() {
            size.push_str(&format!(" + {} prefix", self.prefix.len()));
        }
        size
    }

    /// The scenario as one line of JSON, which [`Scenarios::parse`] reads back:
    /// `{"prefix":[["push",1]],"threads":[[["pop",null]],…]}`.
    pub fn to_json(&self) -> String {
        let calls = |calls: &[Call]| -> serde_json::Value {
            calls
                .iter()
                .map(|c| serde_json::json!([&*c.name, c.arg.to_json()]))
                .collect()
        };
        serde_json::json!({
            "prefix": calls(&self.prefix),
            "threads": self.threads.iter().map(|t| calls(t)).collect::<Vec<_>>(),
        })
        .to_string()
    }

    /// Smaller scenarios to try in its place when shrinking, most ambitious first: without
    /// a thread, without one call, with one argument simpler.
    fn candidates(&self) -> Vec<Scenario> {
        let mut out = Vec::new();
        for t in 0..self.threads.len() {
            let mut s = self.clone();
            s.threads.remove(t);
            out.push(s);
        }
        for t in 0..self.threads.len() {
            for i in 0..self.threads[t].len() {
                let mut s = self.clone();
                s.threads[t].remove(i);
                s.threads.retain(|calls| !calls.is_empty());
                out.push(s);
            }
        }
        for i in 0..self.prefix.len() {
            let mut s = self.clone();
            s.prefix.remove(i);
            out.push(s);
        }
        let mut simpler = |call: &Call, put: &dyn Fn(&mut Scenario, Call)| {
            for arg in call.arg.simpler() {
                let mut s = self.clone();
                put(
                    &mut s,
                    Call {
                        arg,
                        ..call.clone()
                    },
                );
                out.push(s);
            }
        };
        for (i, call) in self.prefix.iter().enumerate() {
            simpler(call, &|s, c| s.prefix[i] = c);
        }
        for (t, calls) in self.threads.iter().enumerate() {
            for (i, call) in calls.iter().enumerate() {
                simpler(call, &|s, c| s.threads[t][i] = c);
            }
        }
        out
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |calls: &[Call]| {
            calls
                .iter()
                .map(Call::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !self.prefix.is_empty() {
            writeln!(f, "  first:    {}", line(&self.prefix))?;
        }
        for (t, calls) in self.threads.iter().enumerate() {
            writeln!(f, "  thread {t}: {}", line(calls))?;
        }
        Ok(())
    }
}

/// A scenario string that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not JSON.
    #[error("scenario is not JSON (line {line}, column {column}): {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON reader said.
        message: String,
    },
    /// JSON of another shape.
    #[error("scenario {0}")]
    Shape(String),
    /// A call names no listed operation.
    #[error("scenario {place}: no operation is named {name:?}")]
    UnknownOp {
        /// Where: `prefix call 2`, `thread 1 call 0`.
        place: String,
        /// The name found.
        name: String,
    },
    /// An argument of the wrong type for its operation.
    #[error("scenario {place}: the argument of {name} does not fit its type: {message}")]
    Arg {
        /// Where: `prefix call 2`, `thread 1 call 0`.
        place: String,
        /// The operation.
        name: String,
        /// What the JSON reader said.
        message: String,
    },
    /// The schedule cannot be read.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

/// The smallest failing scenario found, with the failure it still causes.
#[derive(Clone, Debug)]
pub struct ScenarioFailure {
    /// The scenario as shrunk.
    pub scenario: Scenario,
    /// The scenario as generated, before shrinking.
    pub original: Scenario,
    /// The shrunk scenario's failure: counterexample, schedule and report.
    pub failure: Failure,
    /// Executions run, over every scenario, up to and including the first failing one.
    pub executions: usize,
    /// How many times shrinking found a smaller failing scenario.
    pub shrink_steps: usize,
}

impl ScenarioFailure {
    /// The one-line call that replays the shrunk failure on the same [`Scenarios`]:
    /// `scenarios.replay(r#"…"#, "…")`.
    pub fn replay_call(&self) -> String {
        format!(
            "scenarios.replay(r#\"{}\"#, {:?})",
            self.scenario.to_json(),
            self.failure.schedule
        )
    }
}

impl fmt::Display for ScenarioFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "a scenario failed after {} executions; shrunk in {} steps from {} calls to {} ({}):",
            self.executions,
            self.shrink_steps,
            self.original.len(),
            self.scenario.len(),
            self.scenario.size()
        )?;
        write!(f, "{}", self.scenario)?;
        writeln!(f, "{}", self.failure)?;
        write!(f, "replay the scenario: {}", self.replay_call())
    }
}

/// Operations on a shared object, and how to build scenarios from them.
///
/// ```
/// use lockstep_history::explore::{Explorer, Scenarios, Strategy};
/// use lockstep_history::model::Register;
/// use lockstep_history::current;
/// use std::sync::Mutex;
///
/// let scenarios = Scenarios::new(|| Mutex::new(0i64))
///     .op("write", |rng| rng.below(3) as i64, |cell, v: i64| {
///         current().unwrap().op("write", v, || *cell.lock().unwrap() = v);
///     })
///     .op("read", |_| (), |cell, (): ()| {
///         current().unwrap().op("read", (), || *cell.lock().unwrap());
///     })
///     .threads(2)
///     .ops_per_thread(2)
///     .scenarios(5)
///     .explorer(Explorer::new(Strategy::pct(2, 1)).iterations(20));
/// assert!(scenarios.run(&Register::new(0)).is_ok());
/// ```
pub struct Scenarios<T> {
    init: Arc<dyn Fn() -> T + Send + Sync>,
    ops: Arc<Vec<Operation<T>>>,
    threads: usize,
    per_thread: usize,
    prefix: usize,
    scenarios: usize,
    seed: u64,
    explorer: Explorer,
}

impl<T> fmt::Debug for Scenarios<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenarios")
            .field(
                "ops",
                &self.ops.iter().map(|o| &*o.name).collect::<Vec<_>>(),
            )
            .field("threads", &self.threads)
            .field("ops_per_thread", &self.per_thread)
            .field("prefix", &self.prefix)
            .field("scenarios", &self.scenarios)
            .field("seed", &self.seed)
            .field("explorer", &self.explorer)
            .finish()
    }
}

impl<T: Send + Sync + 'static> Scenarios<T> {
    /// Scenarios on objects built by `init` (a fresh one per execution); by default 3
    /// threads × 4 operations, no prefix, 100 scenarios, seed 0, each scenario explored by
    /// PCT depth 3 for 100 iterations.
    pub fn new(init: impl Fn() -> T + Send + Sync + 'static) -> Scenarios<T> {
        Scenarios {
            init: Arc::new(init),
            ops: Arc::new(Vec::new()),
            threads: 3,
            per_thread: 4,
            prefix: 0,
            scenarios: 100,
            seed: 0,
            explorer: Explorer::new(super::Strategy::pct(3, 0)),
        }
    }

    /// Adds an operation: `generate` draws its argument, `perform` calls the object (a
    /// recorded method, so each call is one operation of the history).
    ///
    /// # Panics
    /// When called after the scenarios were cloned into a running body (never in the
    /// builder chain).
    pub fn op<A: Arg>(
        mut self,
        name: &str,
        generate: impl Fn(&mut Rng) -> A + Send + Sync + 'static,
        perform: impl Fn(&T, A) + Send + Sync + 'static,
    ) -> Scenarios<T> {
        let op = Operation {
            name: Arc::from(name),
            generate: Box::new(move |rng| Arc::new(generate(rng)) as Arc<dyn ErasedArg>),
            parse: Box::new(|json| {
                serde_json::from_value::<A>(json).map(|a| Arc::new(a) as Arc<dyn ErasedArg>)
            }),
            perform: Box::new(move |object, arg| {
                if let Some(arg) = arg.as_any().downcast_ref::<A>() {
                    perform(object, arg.clone());
                }
            }),
        };
        Arc::get_mut(&mut self.ops)
            .expect("operations are listed before any scenario runs")
            .push(op);
        self
    }

    /// Concurrent threads per scenario.
    pub fn threads(mut self, threads: usize) -> Scenarios<T> {
        self.threads = threads;
        self
    }

    /// Calls per thread.
    pub fn ops_per_thread(mut self, n: usize) -> Scenarios<T> {
        self.per_thread = n;
        self
    }

    /// Calls made sequentially before the threads start.
    pub fn prefix(mut self, n: usize) -> Scenarios<T> {
        self.prefix = n;
        self
    }

    /// How many scenarios to generate.
    pub fn scenarios(mut self, n: usize) -> Scenarios<T> {
        self.scenarios = n;
        self
    }

    /// Seeds scenario generation (and, added to each scenario's number, the explorer).
    pub fn seed(mut self, seed: u64) -> Scenarios<T> {
        self.seed = seed;
        self
    }

    /// The explorer each scenario runs under (its strategy is reseeded per scenario).
    pub fn explorer(mut self, explorer: Explorer) -> Scenarios<T> {
        self.explorer = explorer;
        self
    }

    /// One random scenario.
    pub fn generate(&self, rng: &mut Rng) -> Scenario {
        let mut calls = |n: usize| -> Vec<Call> {
            (0..n)
                .filter_map(|_| {
                    let op = rng.below(self.ops.len() as u64) as usize;
                    let def = self.ops.get(op)?;
                    Some(Call {
                        name: Arc::clone(&def.name),
                        op,
                        arg: (def.generate)(rng),
                    })
                })
                .collect()
        };
        Scenario {
            prefix: calls(self.prefix),
            threads: (0..self.threads).map(|_| calls(self.per_thread)).collect(),
        }
    }

    /// Generates scenarios and explores each until one fails; shrinks that one.
    ///
    /// # Errors
    /// The smallest failing scenario found, its schedule and report.
    pub fn run<O: Oracle + ?Sized>(&self, oracle: &O) -> Result<Summary, Box<ScenarioFailure>> {
        let mut rng = Rng::new(self.seed);
        let mut total = Summary::default();
        for index in 0..self.scenarios {
            let scenario = self.generate(&mut rng);
            let explorer = self.explorer_for(index);
            match explorer.explore(oracle, self.body(&scenario), false) {
                Ok(summary) => {
                    total.iterations += summary.iterations;
                    total.unknown += summary.unknown;
                }
                Err(failure) => {
                    let executions = total.iterations + failure.iteration;
                    return Err(self.shrink(oracle, &explorer, scenario, *failure, executions));
                }
            }
        }
        Ok(total)
    }

    /// [`Scenarios::run`], panicking with the shrunk failure.
    #[track_caller]
    pub fn check<O: Oracle + ?Sized>(&self, oracle: &O) -> Summary {
        match self.run(oracle) {
            Ok(summary) => summary,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// Explores one given scenario with the configured explorer.
    ///
    /// # Errors
    /// Its first failing iteration.
    pub fn run_scenario<O: Oracle + ?Sized>(
        &self,
        oracle: &O,
        scenario: &Scenario,
    ) -> Result<Summary, Box<Failure>> {
        self.explorer.explore(oracle, self.body(scenario), true)
    }

    /// Explores one given scenario (a [`ScenarioFailure::original`], say) and, if it fails,
    /// shrinks it as [`Scenarios::run`] does.
    ///
    /// # Errors
    /// The smallest failing scenario found from it.
    pub fn run_and_shrink<O: Oracle + ?Sized>(
        &self,
        oracle: &O,
        scenario: &Scenario,
    ) -> Result<Summary, Box<ScenarioFailure>> {
        match self.explorer.explore(oracle, self.body(scenario), false) {
            Ok(summary) => Ok(summary),
            Err(failure) => {
                let executions = failure.iteration;
                Err(self.shrink(
                    oracle,
                    &self.explorer,
                    scenario.clone(),
                    *failure,
                    executions,
                ))
            }
        }
    }

    /// Runs `scenario` under exactly `schedule` (both as a [`ScenarioFailure`] prints them)
    /// and returns the history it records: the same events as the failing run, but for
    /// their `time`.
    ///
    /// # Errors
    /// [`ScenarioError`] when either string cannot be read.
    pub fn replay(&self, scenario: &str, schedule: &str) -> Result<History, ScenarioError> {
        let scenario = self.parse(scenario)?;
        let body = self.body(&scenario);
        Ok(super::run::replay(schedule, move || body())?)
    }

    /// Runs `scenario` once on plain OS threads (no shuttle), for comparison: what a test
    /// without controlled schedules sees.
    pub fn run_on_threads(&self, scenario: &Scenario) -> History {
        let body = self.body(scenario);
        with_history(|| body()).1
    }

    /// Reads a scenario written by [`Scenario::to_json`].
    ///
    /// # Errors
    /// [`ScenarioError`] saying what does not fit, and where.
    pub fn parse(&self, text: &str) -> Result<Scenario, ScenarioError> {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ScenarioError::Json {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        let list = |v: Option<&serde_json::Value>,
                    what: &str|
         -> Result<Vec<serde_json::Value>, ScenarioError> {
            match v {
                None => Ok(Vec::new()),
                Some(serde_json::Value::Array(items)) => Ok(items.clone()),
                Some(_) => Err(ScenarioError::Shape(format!("{what} is not a list"))),
            }
        };
        let calls = |items: Vec<serde_json::Value>, place: &dyn Fn(usize) -> String| {
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| self.parse_call(item, place(i)))
                .collect::<Result<Vec<Call>, ScenarioError>>()
        };
        let prefix = calls(list(json.get("prefix"), "prefix")?, &|i| {
            format!("prefix call {i}")
        })?;
        let mut threads = Vec::new();
        for (t, thread) in list(json.get("threads"), "threads")?
            .into_iter()
            .enumerate()
        {
            let items = list(Some(&thread), &format!("thread {t}"))?;
            threads.push(calls(items, &|i| format!("thread {t} call {i}"))?);
        }
        Ok(Scenario { prefix, threads })
    }

    fn parse_call(&self, item: serde_json::Value, place: String) -> Result<Call, ScenarioError> {
        let serde_json::Value::Array(mut pair) = item else {
            return Err(ScenarioError::Shape(format!(
                "{place} is not [name, argument]"
            )));
        };
        let (Some(arg), Some(serde_json::Value::String(name)), true) =
            (pair.pop(), pair.pop(), pair.is_empty())
        else {
            return Err(ScenarioError::Shape(format!(
                "{place} is not [name, argument]"
            )));
        };
        let Some(op) = self.ops.iter().position(|o| *o.name == *name) else {
            return Err(ScenarioError::UnknownOp { place, name });
        };
        let arg = (self.ops[op].parse)(arg).map_err(|e| ScenarioError::Arg {
            place,
            name: name.clone(),
            message: e.to_string(),
        })?;
        Ok(Call {
            name: Arc::clone(&self.ops[op].name),
            op,
            arg,
        })
    }

    /// The explorer for scenario `index`: its seed moved on by the scenario seed and index,
    /// so scenarios explore different schedules.
    fn explorer_for(&self, index: usize) -> Explorer {
        self.explorer
            .offset_seed(self.seed.wrapping_add(index as u64))
    }

    /// Tries smaller scenarios while one still fails under the same explorer; the smallest
    /// is replayed once more to write its report.
    fn shrink<O: Oracle + ?Sized>(
        &self,
        oracle: &O,
        explorer: &Explorer,
        original: Scenario,
        failure: Failure,
        executions: usize,
    ) -> Box<ScenarioFailure> {
        let (mut scenario, mut failure) = (original.clone(), failure);
        let mut shrink_steps = 0;
        'smaller: loop {
            for candidate in scenario.candidates() {
                if candidate.is_empty() {
                    continue;
                }
                if let Err(found) = explorer.explore(oracle, self.body(&candidate), false)
                    && found.cause.same_kind(&failure.cause)
                {
                    (scenario, failure) = (candidate, *found);
                    shrink_steps += 1;
                    continue 'smaller;
                }
            }
            break;
        }
        // The report, from an exact replay of the smallest failure.
        let replay = self.explorer.replaying(&failure.schedule);
        if let Err(replayed) = replay.explore(oracle, self.body(&scenario), true) {
            failure.report = replayed.report;
        }
        Box::new(ScenarioFailure {
            scenario,
            original,
            failure,
            executions,
            shrink_steps,
        })
    }

    /// The test body that runs `scenario` on a fresh object: the prefix, then each thread's
    /// calls on a thread of its own ([`crate::spawn`]: shuttle threads inside an execution,
    /// OS threads outside one).
    pub fn body(&self, scenario: &Scenario) -> Arc<dyn Fn() + Send + Sync> {
        let init = Arc::clone(&self.init);
        let ops = Arc::clone(&self.ops);
        let scenario = Arc::new(scenario.clone());
        Arc::new(move || {
            let object = Arc::new(init());
            for call in &scenario.prefix {
                (ops[call.op].perform)(&object, &*call.arg);
            }
            let workers: Vec<_> = scenario
                .threads
                .iter()
                .map(|calls| {
                    let (object, ops, calls) =
                        (Arc::clone(&object), Arc::clone(&ops), calls.clone());
                    crate::context::spawn(move || {
                        for call in &calls {
                            (ops[call.op].perform)(&object, &*call.arg);
                        }
                    })
                })
                .collect();
            for worker in workers {
                if let Err(payload) = worker.join() {
                    std::panic::resume_unwind(payload);
                }
            }
        })
    }
}
