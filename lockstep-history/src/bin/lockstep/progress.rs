//! A progress indicator on stderr for checks that take more than a second, on a terminal only.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lockstep_history::checker::Progress;

/// How long a check runs before the indicator appears.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// Runs `work` (a check), showing what `latest` last reported while it runs, once it has
/// run for a second and if stderr is a terminal.
pub fn around<T: Send>(
    label: &str,
    latest: &Arc<Mutex<Option<Progress>>>,
    work: impl FnOnce() -> T + Send,
) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| show(label, latest, &done));
        let result = work();
        done.store(true, Ordering::Release);
        result
    })
}

fn show(label: &str, latest: &Mutex<Option<Progress>>, done: &AtomicBool) {
    let started = Instant::now();
    while started.elapsed() < QUIET_FOR {
        if done.load(Ordering::Acquire) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}") {
        bar.set_style(style);
    }
    while !done.load(Ordering::Acquire) {
        let message = match latest.lock().ok().and_then(|p| p.clone()) {
            Some(p) => describe(label, &p),
            None => format!("checking {label}"),
        };
        bar.set_message(message);
        bar.tick();
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// The indicator's text for one progress report.
pub fn describe(label: &str, p: &Progress) -> String {
    let mut text = format!("checking {label}");
    if p.partitions > 1 {
        text.push_str(&format!(
            ": partition {}/{} ({} done)",
            p.partition + 1,
            p.partitions,
            p.partitions_done
        ));
    }
    text.push_str(&format!(
        ", deepest {}/{} ops, {} configurations",
        p.deepest, p.ops, p.configurations
    ));
    text
}
