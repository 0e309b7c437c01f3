//! `lockstep check`: one line per file, the counterexample for failures, a summary.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lockstep_history::Event;
use lockstep_history::checker::{self, HistoryError, Options, Progress, Verdict};
use lockstep_history::model::Model;

use crate::args::{CheckArgs, CheckOptions, ModelName};
use crate::models::{self, WithModel};
use crate::outcome::{Outcome, check_each, error_line, say};
use crate::progress;

/// Runs `lockstep check`.
pub fn run(args: CheckArgs) -> Outcome {
    if let ModelName::Txn(workload) = args.model {
        return crate::txn_check::run(&args, workload);
    }
    check_each(
        &args.files,
        ["linearizable", "not linearizable", "unknown"],
        |file| check_file(file, &args),
    )
}

fn check_file(file: &Path, args: &CheckArgs) -> Outcome {
    let loaded = match crate::input::load(file, args.options.format) {
        Ok(loaded) => loaded,
        Err(message) => {
            error_line(&message);
            return Outcome::BadInput;
        }
    };
    let events = &loaded.events;
    let checked = models::with(
        args.model,
        args.options.init.as_deref(),
        events,
        Check {
            events,
            options: &args.options,
            label: &file.display().to_string(),
            witness_states: false,
        },
    );
    let (result, elapsed) = match checked {
        Ok(r) => r,
        Err(message) => {
            error_line(&message);
            return Outcome::BadInput;
        }
    };
    let ops = events.iter().filter(|e| e.is_invoke()).count();
    let shown = file.display();
    let time = seconds(elapsed);
    match result {
        Err(e) => {
            error_line(&crate::input::history_error(file, &loaded, &e));
            Outcome::BadInput
        }
        Ok(Verdict::Linearizable(_)) => {
            say(&format!("{shown}: linearizable ({ops} ops, {time})"));
            Outcome::Ok
        }
        Ok(Verdict::NotLinearizable(c)) => {
            say(&format!("{shown}: NOT linearizable ({ops} ops, {time})"));
            say(&indent(&c.to_string()));
            Outcome::NotLinearizable
        }
        Ok(Verdict::Unknown(u)) => {
            say(&format!("{shown}: unknown ({ops} ops, {time}): {u}"));
            Outcome::Unknown
        }
    }
}

/// A check of one file's events against whichever model was chosen.
pub struct Check<'a> {
    /// The history.
    pub events: &'a [Event],
    /// Limits and modes.
    pub options: &'a CheckOptions,
    /// What the progress indicator calls it.
    pub label: &'a str,
    /// Whether the verdict carries the model states along a witness (for a report).
    pub witness_states: bool,
}

impl WithModel for Check<'_> {
    type Out = (Result<Verdict, HistoryError>, Duration);

    fn with<M: Model>(self, model: &M) -> Self::Out {
        let latest: Arc<Mutex<Option<Progress>>> = Arc::new(Mutex::new(None));
        let sink = Arc::clone(&latest);
        let mut options = checker_options(self.options);
        options.witness_states = self.witness_states;
        options.budget.progress = Some(Arc::new(move |p: &Progress| {
            if let Ok(mut slot) = sink.lock() {
                *slot = Some(p.clone());
            }
        }));
        let started = Instant::now();
        let verdict = progress::around(self.label, &latest, || {
            checker::linearizable::check_with(self.events, model, &options)
        });
        (verdict, started.elapsed())
    }
}

/// The checker's options for the command-line ones.
pub fn checker_options(o: &CheckOptions) -> Options {
    let mut options = Options {
        knossos_nil_reads: o.knossos,
        general_search: o.general_search,
        ..Options::default()
    };
    options.budget.time_limit = o.time_limit;
    if o.memory_limit.is_some() {
        options.budget.memory_limit = o.memory_limit;
    }
    options
}

fn seconds(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.2}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
