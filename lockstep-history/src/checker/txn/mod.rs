//! Transactional checking, Elle-style: infer a dependency graph from what transactions
//! read and wrote, then name the anomalies its cycles and its reads show.
//!
//! A history of transactions holds ops (any `f`, usually `:txn`) whose value is a vector
//! of micro-ops: for [`Workload::ListAppend`], `[:append k v]` and `[:r k [v1 v2 …]]`; for
//! [`Workload::RwRegister`], `[:w k v]` and `[:r k v]`. Heads may be keywords or strings
//! (`["append", 1, 2]`, elle-cli's JSON). Keys and values are any EDN scalar.
//!
//! The method is Elle's (Kingsbury & Alvaro, "Elle: Inferring Isolation Anomalies from
//! Experimental Observations", VLDB 2020), on Adya's definitions ("Weak Consistency: A
//! Generalized Theory and Optimistic Implementations for Distributed Transactions", 1999):
//!
//! 0. `history` pairs invokes with completions and reads every micro-op once, interning
//!    keys and values as dense integers, so the analyses compare and index integers and
//!    keep transactions and micro-ops in flat arrays; the original values are looked up
//!    again only to explain an anomaly.
//! 1. `list_append` / `rw_register` infer each key's version order from the reads
//!    (list-append: every read must be a prefix of the longest one, because appends only
//!    extend a list), and from it write-write, write-read and read-write dependencies, plus
//!    anomalies visible without a cycle (aborted and intermediate reads, internal
//!    inconsistency, …).
//! 2. `graph` adds process order and real-time order. Real time is an interval order; its
//!    edges are not added pairwise (quadratic) but through a chain of "time" nodes, one per
//!    batch of completions, so the graph stays linear in the history while a path from T1 to
//!    T2 exists exactly when T1 completed before T2 was invoked.
//! 3. `cycles` splits the graph into strongly connected components (iterative Tarjan) and
//!    searches each for the cycles that name an anomaly (G0, G1c, G-single, G-nonadjacent,
//!    G2-item), first with data edges only, then adding process edges, then real time, so
//!    each cycle is named in the weakest scope that has it.
//! 4. `report` turns the [`Analysis`] into the checker-neutral result the HTML report draws
//!    ([`result::Analysis::from_txn`](crate::checker::result::Analysis::from_txn)): each
//!    anomaly's transactions highlighted, its cycle's edges labelled.
//!
//! The property relied on: every edge inferred is forced by the observations under any
//! execution in which the anomaly would not exist, so a cycle is a proof. Soundness is
//! tested on histories that are strict-serializable by construction (generated serial
//! executions with random concurrency, crashes and aborts, `tests/txn_differential.rs`),
//! and the components and cycles against brute-force reachability on small graphs.
//!
//! ```
//! use lockstep_history::checker::txn::{self, ConsistencyModel, Options, Workload};
//!
//! // Write skew: each transaction reads both keys empty, then appends to one of them.
//! let events = lockstep_history::format::parse(br#"
//!     {:process 0, :type :invoke, :value [[:r 1 nil] [:r 2 nil] [:append 1 1]]}
//!     {:process 1, :type :invoke, :value [[:r 1 nil] [:r 2 nil] [:append 2 1]]}
//!     {:process 0, :type :ok, :value [[:r 1 []] [:r 2 []] [:append 1 1]]}
//!     {:process 1, :type :ok, :value [[:r 1 []] [:r 2 []] [:append 2 1]]}
//!     {:process 2, :type :invoke, :value [[:r 1 nil] [:r 2 nil]]}
//!     {:process 2, :type :ok, :value [[:r 1 [1]] [:r 2 [1]]]}
//! "#, lockstep_history::format::Format::Edn).unwrap();
//!
//! let options = Options {
//!     workload: Workload::ListAppend,
//!     consistency_models: vec![ConsistencyModel::SnapshotIsolation],
//!     ..Options::default()
//! };
//! let analysis = txn::check(&events, &options).unwrap();
//! assert!(analysis.is_valid()); // snapshot isolation allows write skew
//! assert_eq!(analysis.anomaly_names(), ["G2-item"]);
//! assert!(analysis.violates(ConsistencyModel::Serializable));
//! println!("{analysis}"); // T1 read key 2 = [] without T2's append of 1: rw, …
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

mod analysis;
mod anomaly;
mod budget;
mod cycles;
mod explain;
mod graph;
mod history;
mod list_append;
mod model;
mod report;
mod rw_register;
mod skim;
mod stream;

pub use analysis::{Analysis, Unsearched};
pub use anomaly::{
    Anomaly, AnomalyKind, CycleStep, EdgeKind, Scope, Transaction, TxnStatus, UnknownAnomaly,
};
pub use history::Error;
pub use model::{ConsistencyModel, UnknownModel};
pub use stream::{ReadError, Transactions, check_file};

use crate::event::Event;

/// Which kind of objects the transactions operate on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Workload {
    /// Lists that transactions append unique values to and read whole.
    #[default]
    ListAppend,
    /// Registers that transactions write unique values to and read.
    RwRegister,
}

impl Workload {
    /// Every workload, in the order a list of them should show.
    pub const ALL: [Workload; 2] = [Workload::ListAppend, Workload::RwRegister];

    /// The CLI's name: `list-append` or `rw-register`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::ListAppend => "list-append",
            Workload::RwRegister => "rw-register",
        }
    }

    /// What it checks, in one line without a final period (as `--help` shows it).
    pub fn description(self) -> &'static str {
        match self {
            Workload::ListAppend => {
                "Transactions appending to and reading lists, checked Elle-style for isolation anomalies"
            }
            Workload::RwRegister => {
                "Transactions writing and reading registers, checked Elle-style for isolation anomalies"
            }
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A workload name that is not `list-append` or `rw-register`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown workload `{0}` (expected list-append or rw-register)")]
pub struct UnknownWorkload(pub String);

impl FromStr for Workload {
    type Err = UnknownWorkload;

    fn from_str(s: &str) -> Result<Workload, UnknownWorkload> {
        match s.trim().strip_prefix(':').unwrap_or(s.trim()) {
            "list-append" => Ok(Workload::ListAppend),
            "rw-register" => Ok(Workload::RwRegister),
            _ => Err(UnknownWorkload(s.to_string())),
        }
    }
}

/// Settings of a transactional check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// How to read the micro-ops. Default: list-append.
    pub workload: Workload,
    /// The models the history must satisfy. Default: strict-serializable.
    pub consistency_models: Vec<ConsistencyModel>,
    /// Anomaly kinds that make the history invalid even if no requested model prohibits
    /// them. Default: none.
    pub anomalies: Vec<AnomalyKind>,
    /// Give up on the cycle search after this long in total; what was not searched makes
    /// the result unknown. Default: no limit.
    pub time_limit: Option<Duration>,
    /// Give up on one strongly connected component after this long. Default: no limit.
    pub component_time_limit: Option<Duration>,
    /// rw-register: a transaction that reads a key and then writes it installs its version
    /// after the one it read (Elle's `wfr-keys?`). Default: off, as in Elle.
    pub writes_follow_reads: bool,
    /// How many examples of each anomaly kind to keep. Default: 8.
    pub max_examples: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            workload: Workload::ListAppend,
            consistency_models: vec![ConsistencyModel::StrictSerializable],
            anomalies: Vec::new(),
            time_limit: None,
            component_time_limit: None,
            writes_follow_reads: false,
            max_examples: 8,
        }
    }
}

/// Checks a history of transactions against `options`' consistency models.
///
/// # Errors
/// [`Error`] when the events are not a history (a completion with no invoke, overlapping
/// invokes on one process) or a transaction's value is not a vector of well-formed
/// micro-ops; every error names the event.
pub fn check(events: &[Event], options: &Options) -> Result<Analysis, Error> {
    check_txns(&history::read(events, options.workload)?, options)
}

/// Checks transactions read as `options.workload`.
fn check_txns(txns: &history::Txns, options: &Options) -> Result<Analysis, Error> {
    let mut found = analysis_found::Found::new(options.max_examples);
    let mut inferred = match options.workload {
        Workload::ListAppend => list_append::infer(txns, &mut found)?,
        Workload::RwRegister => rw_register::infer(txns, options.writes_follow_reads, &mut found)?,
    };
    let graph = graph::Graph::build(txns, &inferred.edges, inferred.virtual_nodes);
    // The graph holds the edges now; the search needs only the explanations.
    inferred.edges = Vec::new();
    let budget = budget::Budget::new(options.time_limit, options.component_time_limit);
    let unsearched = cycles::search(&graph, txns, &inferred, &budget, &mut found);
    Ok(found.into_analysis(options, txns.txns.len(), unsearched))
}

pub(crate) mod analysis_found {
    //! Anomalies as they are found: examples kept per kind up to a cap, all counted.

    use super::anomaly::{ALL_KINDS, Anomaly, AnomalyKind};
    use super::{Analysis, Options, Unsearched};

    pub(crate) struct Found {
        max: usize,
        counts: [usize; ALL_KINDS.len()],
        examples: Vec<Anomaly>,
    }

    impl Found {
        pub fn new(max: usize) -> Found {
            Found {
                max,
                counts: [0; ALL_KINDS.len()],
                examples: Vec::new(),
            }
        }

        fn slot(kind: AnomalyKind) -> usize {
            ALL_KINDS.iter().position(|&k| k == kind).unwrap_or(0)
        }

        /// Whether another example of this kind would be kept.
        pub fn wants(&self, kind: AnomalyKind) -> bool {
            self.counts[Self::slot(kind)] < self.max
        }

        /// Counts one anomaly of `kind`, keeping the example `make` builds while fewer
        /// than the cap are kept.
        pub fn add(&mut self, kind: AnomalyKind, make: impl FnOnce() -> Anomaly) {
            if self.wants(kind) {
                self.examples.push(make());
            }
            self.counts[Self::slot(kind)] += 1;
        }

        pub fn into_analysis(
            mut self,
            options: &Options,
            transactions: usize,
            unsearched: Vec<Unsearched>,
        ) -> Analysis {
            self.examples.sort_by_key(|a| Self::slot(a.kind));
            Analysis {
                workload: options.workload,
                consistency_models: options.consistency_models.clone(),
                extra_anomalies: options.anomalies.clone(),
                transactions,
                anomalies: self.examples,
                counts: ALL_KINDS
                    .iter()
                    .zip(self.counts)
                    .filter(|&(_, n)| n > 0)
                    .map(|(&k, n)| (k, n))
                    .collect(),
                unsearched,
            }
        }
    }
}

#[doc(hidden)]
#[track_caller]
pub fn __assert_txn_valid<H: crate::checker::Events + ?Sized>(history: &H, options: &Options) {
    if let Err(lost) = history.lost_calls() {
        panic!("history of transactions cannot be checked: {lost}");
    }
    match check(&history.to_events(), options) {
        Ok(analysis) if analysis.is_valid() => {}
        Ok(analysis) => panic!("history of transactions is not valid:\n{analysis}"),
        Err(error) => panic!("history of transactions cannot be checked: {error}"),
    }
}

/// Panics unless `history` (a [`History`](crate::History) or a slice of events) of
/// transactions is valid for the [`Options`]' consistency models; the panic message is the
/// analysis with every anomaly explained. Without options, checks list-append histories
/// for strict serializability.
///
/// ```should_panic
/// use lockstep_history::{assert_txn_valid, History};
/// use lockstep_history::checker::txn::Options;
///
/// let ops = |text: &str| lockstep_history::format::edn::parse_value(text).unwrap();
/// let h = History::new();
/// h.op("txn", ops("[[:append 1 1]]"), || ops("[[:append 1 1]]"));
/// h.op("txn", ops("[[:r 1 nil]]"), || ops("[[:r 1 []]]")); // misses the append
/// assert_txn_valid!(h, Options::default());
/// ```
#[macro_export]
macro_rules! assert_txn_valid {
    ($history:expr $(,)?) => {
        $crate::checker::txn::__assert_txn_valid(
            &$history,
            &$crate::checker::txn::Options::default(),
        )
    };
    ($history:expr, $options:expr $(,)?) => {
        $crate::checker::txn::__assert_txn_valid(&$history, &$options)
    };
}
