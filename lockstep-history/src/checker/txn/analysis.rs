//! The result of a transactional check: the anomalies found, the models they rule out,
//! and what the budget left unsearched.

use std::fmt;

use serde::Serialize;

use super::Workload;
use super::anomaly::{Anomaly, AnomalyKind};
use super::model::{ALL_MODELS, ConsistencyModel};

/// A part of the dependency graph whose cycle search did not finish within the budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unsearched {
    /// How many transactions the strongly connected component holds.
    pub transactions: usize,
    /// Index of the invoke of its earliest transaction, to find it in the history.
    pub first_event: u64,
    /// Which searches did not run to the end (`"G-single"`, `"G-nonadjacent"`, …).
    pub searches: Vec<String>,
    /// Why: the per-component or the total time limit.
    pub reason: String,
}

impl fmt::Display for Unsearched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a component of {} transactions (first at event #{}): {} not searched to the end ({})",
            self.transactions,
            self.first_event,
            self.searches.join(", "),
            self.reason
        )
    }
}

/// What [`check`](super::check) concluded about a history of transactions.
///
/// ```
/// use lockstep_history::checker::txn::{self, ConsistencyModel, Options};
/// use lockstep_history::History;
/// use lockstep_history::value::Value;
///
/// let h = History::new();
/// let ops = |text: &str| lockstep_history::format::edn::parse_value(text).unwrap();
/// h.invoke("txn", ops("[[:append 1 1]]"));
/// h.ok("txn", ops("[[:append 1 1]]"));
/// h.invoke("txn", ops("[[:r 1 nil]]"));
/// h.ok("txn", ops("[[:r 1 []]]")); // misses its own process's earlier append
///
/// let analysis = txn::check(&h.events(), &Options::default()).unwrap();
/// assert!(!analysis.is_valid());
/// assert_eq!(analysis.anomaly_names(), ["G-single-process"]);
/// assert!(analysis.violates(ConsistencyModel::StrictSerializable));
/// assert!(!analysis.violates(ConsistencyModel::Serializable));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// The workload the history was read as.
    pub workload: Workload,
    /// The models asked for.
    pub consistency_models: Vec<ConsistencyModel>,
    /// Anomaly kinds asked for explicitly, beyond those the models prohibit.
    pub extra_anomalies: Vec<AnomalyKind>,
    /// How many transactions were read (ok, info and fail).
    pub transactions: usize,
    /// Every anomaly found, grouped by kind (a few examples of each).
    pub anomalies: Vec<Anomaly>,
    /// How many anomalies of each kind were found, including those not kept as examples.
    pub counts: Vec<(AnomalyKind, usize)>,
    /// Parts of the graph whose cycle search ran out of budget.
    pub unsearched: Vec<Unsearched>,
}

impl Analysis {
    /// Whether the history shows no anomaly that a requested model prohibits (or that was
    /// asked for explicitly), and the search finished.
    pub fn is_valid(&self) -> bool {
        !self.is_invalid() && self.unsearched.is_empty()
    }

    /// Whether an anomaly that a requested model prohibits was found: the history is
    /// definitely not valid, whatever the budget left unsearched.
    pub fn is_invalid(&self) -> bool {
        self.counts.iter().any(|&(k, _)| self.is_prohibited(k))
    }

    /// Whether the budget ran out before the search could decide: nothing prohibited was
    /// found, but some components were not searched to the end.
    pub fn is_unknown(&self) -> bool {
        !self.is_invalid() && !self.unsearched.is_empty()
    }

    /// Whether an anomaly of this kind makes the history invalid for this check.
    pub fn is_prohibited(&self, kind: AnomalyKind) -> bool {
        self.extra_anomalies.contains(&kind)
            || self.consistency_models.iter().any(|m| m.prohibits(kind))
    }

    /// The names of the anomaly kinds found, Elle's way (`"G2-item"`, `"G1a"`, …), each
    /// once, in a fixed order.
    pub fn anomaly_names(&self) -> Vec<String> {
        self.kinds().iter().map(|k| k.name().to_string()).collect()
    }

    /// The anomaly kinds found, each once.
    pub fn kinds(&self) -> Vec<AnomalyKind> {
        self.counts.iter().map(|&(k, _)| k).collect()
    }

    /// The examples found of one kind.
    pub fn of_kind(&self, kind: AnomalyKind) -> impl Iterator<Item = &Anomaly> {
        self.anomalies.iter().filter(move |a| a.kind == kind)
    }

    /// Whether some anomaly found is prohibited by `model`: the history rules it out.
    pub fn violates(&self, model: ConsistencyModel) -> bool {
        self.counts.iter().any(|&(k, _)| model.prohibits(k))
    }

    /// Every model the history rules out.
    pub fn ruled_out(&self) -> Vec<ConsistencyModel> {
        ALL_MODELS
            .iter()
            .copied()
            .filter(|&m| self.violates(m))
            .collect()
    }

    /// The weakest models ruled out: those no other ruled-out model is weaker than.
    pub fn weakest_ruled_out(&self) -> Vec<ConsistencyModel> {
        let out = self.ruled_out();
        out.iter()
            .copied()
            .filter(|&m| !out.iter().any(|&w| w != m && m.is_at_least(w)))
            .collect()
    }

    /// A one-line verdict: `valid`, `unknown` or the anomaly names.
    pub fn summary(&self) -> String {
        if self.is_valid() {
            if self.counts.is_empty() {
                "valid".to_string()
            } else {
                format!("valid (allowed: {})", self.anomaly_names().join(", "))
            }
        } else if self.is_unknown() {
            format!(
                "unknown ({} components not searched to the end)",
                self.unsearched.len()
            )
        } else {
            self.anomaly_names().join(", ")
        }
    }
}

/// The explanations, as a person reads them: the verdict, the models ruled out, then every
/// example anomaly with its transactions and, for a cycle, each edge and why it holds.
impl fmt::Display for Analysis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let models: Vec<&str> = self.consistency_models.iter().map(|m| m.name()).collect();
        let verdict = if self.is_valid() {
            "valid"
        } else if self.is_unknown() {
            "unknown"
        } else {
            "not valid"
        };
        writeln!(
            f,
            "{} history of {} transactions: {verdict} for {}",
            self.workload,
            self.transactions,
            models.join(", ")
        )?;
        if !self.counts.is_empty() {
            let found: Vec<String> = self
                .counts
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect();
            writeln!(f, "anomalies: {}", found.join(", "))?;
            let weakest: Vec<&str> = self.weakest_ruled_out().iter().map(|m| m.name()).collect();
            if !weakest.is_empty() {
                writeln!(
                    f,
                    "rules out: {} (and every stronger model)",
                    weakest.join(", ")
                )?;
            }
        }
        for a in &self.anomalies {
            write!(f, "\n{a}")?;
        }
        for u in &self.unsearched {
            writeln!(f, "\nunknown: {u}")?;
        }
        Ok(())
    }
}
