//! The HTML report in a real browser: headless Chromium opens generated reports and the
//! test reads back what the page's script rendered (through attributes it sets on `<html>`),
//! whether any script error or network request happened, and a screenshot.
//!
//! Needs Debian's `chromium` (or `CHROMIUM=/path/to/browser`). Without one the test fails
//! when `CI=true` and otherwise prints one line saying it skipped.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lockstep_history::checker;
use lockstep_history::model::CasRegister;
use lockstep_history::report::{Analysis, Counterexample, OpStates, Report, Status};
use lockstep_history::{Event, EventKind, Process, Value};

use common::{Rng, event};

// ---------------------------------------------------------------------------------------------
// Browser plumbing

fn browser() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// The browser, or `None` after [`common::missing`] said why.
fn browser_or_skip(test: &str) -> Option<PathBuf> {
    let found = browser();
    if found.is_none() {
        common::missing(test, "chromium is not installed (apt-get install chromium)");
    }
    found
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Run {
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium on `url` with extra arguments and a fresh profile.
///
/// Host names resolve nowhere, so even a request that slipped past the page's policy could
/// not leave the machine; the page itself reports every request it made (see
/// [`assert_clean`]). The browser's own background traffic is not the page's and is not
/// looked at.
fn run_browser(browser: &Path, url: &str, extra: &[String], virtual_time: bool) -> Run {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let n = RUN.fetch_add(1, Ordering::SeqCst);
    let dir = out_dir().join(format!("profile-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        // Animation frames keep coming under virtual time, as they do on a screen.
        "--run-all-compositor-stages-before-draw",
    ])
    .arg(format!("--user-data-dir={}", dir.display()))
    .args(
        // Virtual time lets timers and frames run before the DOM is dumped, but stops the
        // page's clock; a timing run does without it.
        virtual_time.then_some("--virtual-time-budget=4000"),
    )
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start chromium");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out_thread =
        std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err_thread =
        std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within 90s on {url} \
                 (an injected alert() would block it like this)"
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = Run {
        stdout: out_thread.join().unwrap(),
        stderr: err_thread.join().unwrap(),
    };
    let _ = std::fs::remove_dir_all(&dir);
    run
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

/// The rendered DOM after the page's script ran.
fn dump_dom(browser: &Path, page: &Path, fragment: &str) -> String {
    dump_dom_with(browser, page, fragment, true)
}

/// [`dump_dom`], choosing whether virtual time runs.
fn dump_dom_with(browser: &Path, page: &Path, fragment: &str, virtual_time: bool) -> String {
    let url = format!("{}{fragment}", file_url(page));
    let run = run_browser(browser, &url, &["--dump-dom".to_owned()], virtual_time);
    assert!(
        run.stdout.contains("</html>"),
        "no DOM from chromium; stderr:\n{}",
        run.stderr
    );
    run.stdout
}

/// The value of an attribute on the root `<html>` element of a dumped DOM.
fn root_attr(dom: &str, name: &str) -> Option<String> {
    let start = dom.find("<html")?;
    let tag = &dom[start..start + dom[start..].find('>')?];
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let value = &tag[at..at + tag[at..].find('"')?];
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

fn assert_clean(dom: &str) {
    assert_eq!(
        root_attr(dom, "data-rendered").as_deref(),
        Some("true"),
        "page did not finish rendering"
    );
    assert_eq!(
        root_attr(dom, "data-errors").as_deref(),
        Some("[]"),
        "script errors or blocked requests in the page"
    );
    assert_eq!(
        root_attr(dom, "data-requests").as_deref(),
        Some("[]"),
        "the page made network requests"
    );
}

/// A report must not name anything to fetch: no URLs, no `src`/`href` attributes.
fn assert_no_urls(html: &str) {
    let start = html.find("id=\"lockstep-data\"").unwrap();
    let end = start + html[start..].find("</script>").unwrap();
    let outside_data = format!("{}{}", &html[..start], &html[end..]);
    for needle in ["http:", "https:", " src=", " href=", "@import", "url("] {
        assert!(
            !outside_data.contains(needle),
            "the page refers to {needle}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Histories

fn push(
    events: &mut Vec<Event>,
    time: u64,
    kind: EventKind,
    process: Process,
    f: &str,
    value: Value,
    error: Option<Value>,
) -> usize {
    let index = events.len() as u64;
    events.push(Event {
        index,
        time,
        error,
        ..event(kind, process, f, value)
    });
    events.len() - 1
}

/// A CAS register driven by five clients and a nemesis, with one stale read at the end.
///
/// Each op is given a linearization time inside its interval and applied in that order, so
/// everything up to the stale read is explainable; the analysis is derived from that order.
fn register_history(
    clients: u64,
    ops_per_client: usize,
    seed: u64,
    crash_one_in: u64,
) -> (Vec<Event>, Analysis) {
    let mut rng = Rng::new(seed);
    // Plan the ops: (process, start, end, f, arg, outcome) with outcome ok/fail/info.
    struct Planned {
        process: u64,
        start: u64,
        end: u64,
        lin: u64,
        f: &'static str,
        arg: i64,
        arg2: i64,
        kind: EventKind,
        invoke: usize,
        done: usize,
        result: Value,
    }
    let mut planned = Vec::new();
    let mut proc_of = (0..clients).collect::<Vec<u64>>();
    let mut next_proc = clients;
    for (c, current) in proc_of.iter_mut().enumerate() {
        let mut t = 1_000_000 + c as u64 * 700_000;
        for _ in 0..ops_per_client {
            let dur = 2_000_000 + rng.below(14_000_000);
            let (f, arg, arg2) = match rng.below(10) {
                0..=3 => ("read", 0, 0),
                4..=6 => ("write", rng.below(5) as i64, 0),
                _ => ("cas", rng.below(5) as i64, rng.below(5) as i64),
            };
            let kind = match rng.below(crash_one_in) {
                0 => EventKind::Info,
                1 => EventKind::Fail,
                _ => EventKind::Ok,
            };
            planned.push(Planned {
                process: *current,
                start: t,
                end: t + dur,
                lin: t + 1 + rng.below(dur - 2),
                f,
                arg,
                arg2,
                kind,
                invoke: 0,
                done: 0,
                result: Value::Nil,
            });
            if kind == EventKind::Info {
                *current = next_proc;
                next_proc += 1;
            }
            t += dur + 300_000 + rng.below(3_000_000);
        }
    }
    // Apply in linearization order.
    let mut order: Vec<usize> = (0..planned.len()).collect();
    order.sort_by_key(|&i| planned[i].lin);
    let mut reg = 0i64;
    let mut states: HashMap<usize, (String, String)> = HashMap::new();
    let mut applied_order = Vec::new();
    for &i in &order {
        let p = &mut planned[i];
        if p.kind == EventKind::Fail {
            continue;
        }
        let before = reg;
        match p.f {
            "read" => p.result = Value::Int(reg),
            "write" => {
                reg = p.arg;
                p.result = Value::from(vec![Value::Int(p.arg)]);
            }
            _ => {
                if reg == p.arg {
                    reg = p.arg2;
                    p.result = Value::Bool(true);
                } else {
                    p.result = Value::Bool(false);
                }
            }
        }
        if p.kind == EventKind::Ok {
            states.insert(i, (before.to_string(), reg.to_string()));
            applied_order.push(i);
        }
    }
    // The stale read: the last read that saw a value older than the latest write.
    let stale = applied_order
        .iter()
        .rev()
        .copied()
        .find(|&i| planned[i].f == "read")
        .expect("a read");
    let truth = planned[stale].result.as_i64().unwrap();
    let wrong = (truth + 3) % 7 + 5;
    planned[stale].result = Value::Int(wrong);

    // Emit events in time order.
    let mut points: Vec<(u64, usize, bool)> = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        points.push((p.start, i, false));
        if p.kind != EventKind::Info || i % 2 == 0 {
            points.push((p.end, i, true));
        }
    }
    // The nemesis partitions the network now and then; its ops are not client operations.
    let nemesis = [9_000_000u64, 31_000_000, 52_000_000];
    for (k, &t) in nemesis.iter().enumerate() {
        points.push((t, planned.len() + k, false));
        points.push((t + 1_200_000, planned.len() + k, true));
    }
    points.sort();
    let mut events = Vec::new();
    for (t, i, done) in points {
        if i >= planned.len() {
            let f = if (i - planned.len()) % 2 == 0 {
                "start-partition"
            } else {
                "stop-partition"
            };
            let nem = Process::Named("nemesis".into());
            if done {
                push(
                    &mut events,
                    t,
                    EventKind::Info,
                    nem,
                    f,
                    Value::keyword("majorities-ring"),
                    None,
                );
            } else {
                push(&mut events, t, EventKind::Invoke, nem, f, Value::Nil, None);
            }
            continue;
        }
        let p = &mut planned[i];
        let input = match p.f {
            "read" => Value::Nil,
            "write" => Value::Int(p.arg),
            _ => Value::from(vec![Value::Int(p.arg), Value::Int(p.arg2)]),
        };
        if !done {
            p.invoke = push(
                &mut events,
                t,
                EventKind::Invoke,
                Process::Id(p.process),
                p.f,
                input,
                None,
            );
        } else {
            let (value, error) = match p.kind {
                EventKind::Ok => (
                    if p.f == "write" {
                        input
                    } else {
                        p.result.clone()
                    },
                    None,
                ),
                EventKind::Fail => (input, Some(Value::keyword("not-leader"))),
                _ => (input, Some(Value::keyword("timeout"))),
            };
            p.done = push(
                &mut events,
                t,
                p.kind,
                Process::Id(p.process),
                p.f,
                value,
                error,
            );
        }
    }
    let stale_pos = applied_order.iter().position(|&i| i == stale).unwrap();
    let prefix: Vec<usize> = applied_order[..stale_pos]
        .iter()
        .map(|&i| planned[i].invoke)
        .collect();
    let state_there = states[&stale].0.clone();
    let mut candidates = vec![(
        planned[stale].invoke,
        format!("read returned {wrong}, but the register holds {state_there}"),
    )];
    for &i in &applied_order[stale_pos + 1..] {
        if planned[i].start < planned[stale].end && candidates.len() < 4 {
            let p = &planned[i];
            let reason = match p.f {
                "read" => format!(
                    "read returned {}, but the register holds {state_there}",
                    p.result
                ),
                "cas" => format!(
                    "cas {} → {} expects {}, but the register holds {state_there}",
                    p.arg, p.arg2, p.arg
                ),
                _ => format!("must follow the read at event {}", planned[stale].invoke),
            };
            candidates.push((p.invoke, reason));
        }
    }
    let analysis = Analysis {
        status: Status::Invalid,
        property: "linearizable".into(),
        model: "cas-register, initially 0".into(),
        order: Vec::new(),
        highlight: Vec::new(),
        edges: Vec::new(),
        counterexample: Some(Counterexample {
            op: planned[stale].invoke,
            prefix,
            state: state_there,
            candidates,
        }),
        states: states
            .into_iter()
            .map(|(i, (before, after))| (planned[i].invoke, OpStates { before, after }))
            .collect(),
        note: String::new(),
    };
    (events, analysis)
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn failing_report_renders_lanes_and_highlights_the_failure() {
    let Some(browser) = browser_or_skip("failing_report_renders_lanes_and_highlights_the_failure")
    else {
        return;
    };
    // The picture of a real check: the checker's counterexample, through the report's adapter.
    let (events, _) = register_history(8, 8, 7, 20);
    let verdict = checker::linearizable::check(&events, &CasRegister::new(0)).unwrap();
    assert!(verdict.is_not_linearizable(), "{verdict}");
    let analysis = Analysis::from_verdict(&events, &verdict, "cas-register, initially 0");
    let failing_pos = analysis.counterexample.as_ref().unwrap().op;
    let lanes = {
        let mut p: Vec<_> = events.iter().map(|e| e.process.clone()).collect();
        p.sort();
        p.dedup();
        p.len()
    };
    let page = out_dir().join("failing.html");
    Report::new(&events)
        .title("cas-register: 8 clients and a nemesis")
        .with_analysis(analysis)
        .write_to(&page)
        .unwrap();

    assert_no_urls(&std::fs::read_to_string(&page).unwrap());
    let dom = dump_dom(&browser, &page, "");
    assert_clean(&dom);
    assert_eq!(root_attr(&dom, "data-lanes"), Some(lanes.to_string()));
    assert_eq!(
        dom.matches("class=\"lane-label").count(),
        lanes,
        "one label per lane"
    );
    assert!(
        dom.contains(">:nemesis</div>"),
        "the nemesis has its own lane"
    );
    let highlighted = root_attr(&dom, "data-highlighted").unwrap();
    assert!(!highlighted.is_empty(), "an operation is highlighted");
    let failing_li =
        format!("<li class=\"op-ref failing\" data-op=\"{highlighted}\" id=\"failing-op\">");
    assert!(
        dom.contains(&failing_li),
        "the failing op is listed: {failing_li}"
    );
    assert!(dom.contains("class=\"verdict invalid\">not linearizable<"));
    assert!(dom.contains(&format!("p{} read", events[failing_pos].process)));
    let drawn: usize = root_attr(&dom, "data-drawn").unwrap().parse().unwrap();
    assert!(drawn > 10, "bars were drawn on the canvas: {drawn}");

    screenshot(&browser, &page, "failing.png");
}

/// Drives the page the way a person would (wheel, drag, the Fit button, hovering and
/// clicking the highlighted bar, a key) from a script the test adds to a copy of the report,
/// and returns what it saw.
const INTERACTION_SCRIPT: &str = r#"
(function () {
  var root = document.documentElement, out = {};
  var canvas = document.getElementById('canvas');
  var r = canvas.getBoundingClientRect();
  var data = JSON.parse(document.getElementById('lockstep-data').textContent);
  function view() { return root.getAttribute('data-view').split(','); }
  function span(v) { return +v[1] - +v[0]; }
  function at(type, x, y, target) {
    (target || canvas).dispatchEvent(new MouseEvent(type, { clientX: x, clientY: y, bubbles: true }));
  }
  function later(f) { setTimeout(f, 250); }
  var v0 = view();
  canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: -400, clientX: r.left + r.width / 2,
    clientY: r.top + 60, bubbles: true, cancelable: true }));
  later(function () {
    var v1 = view();
    out.zoomedIn = span(v1) < span(v0);
    at('mousedown', r.left + 300, r.top + 60);
    at('mousemove', r.left + 420, r.top + 60);
    at('mouseup', r.left + 420, r.top + 60);
    later(function () {
      var v2 = view();
      out.pannedLeft = +v2[0] < +v1[0];
      document.getElementById('fit').click();
      later(function () {
        var v = view();
        out.fitAgain = Math.abs(span(v) - span(v0)) < 1e-6 * span(v0);
        var id = +root.getAttribute('data-highlighted'), op = data.ops[id];
        var laneH = +v[3], x0 = +v[0], x1 = +v[1];
        var mid = (op.t0 + op.t1) / 2;
        var x = r.left + 12 + (mid - x0) / (x1 - x0) * (r.width - 24);
        var y = r.top + 28 + op.lane * laneH - +v[2] + laneH / 2;
        at('mousemove', x, y);
        var tip = document.getElementById('tooltip');
        out.tooltipShown = !tip.hidden;
        out.tooltip = tip.textContent;
        at('mousedown', x, y);
        at('mouseup', x, y);
        out.details = document.getElementById('details-list').textContent;
        window.dispatchEvent(new KeyboardEvent('keydown', { key: '+' }));
        later(function () {
          out.keyZoom = span(view()) < span(v);
          root.setAttribute('data-interaction', JSON.stringify(out));
        });
      });
    });
  });
})();
"#;

#[test]
fn zoom_pan_hover_and_click_work() {
    let Some(browser) = browser_or_skip("zoom_pan_hover_and_click_work") else {
        return;
    };
    let (events, _) = register_history(4, 6, 3, 20);
    let verdict = checker::linearizable::check(&events, &CasRegister::new(0)).unwrap();
    let analysis = Analysis::from_verdict(&events, &verdict, "cas-register");
    let failing = analysis.counterexample.as_ref().unwrap().op;
    let html = Report::new(&events).with_analysis(analysis).render();
    let driven = html.replace(
        "</body>",
        &format!("<script>{INTERACTION_SCRIPT}</script>\n</body>"),
    );
    let page = out_dir().join("interaction.html");
    std::fs::write(&page, driven).unwrap();
    let dom = dump_dom(&browser, &page, "");
    assert_clean(&dom);
    let seen: serde_json::Value = serde_json::from_str(
        &root_attr(&dom, "data-interaction").expect("the interaction script finished"),
    )
    .unwrap();
    assert_eq!(seen["zoomedIn"], true, "the wheel zooms: {seen}");
    assert_eq!(
        seen["pannedLeft"], true,
        "dragging right shows earlier times: {seen}"
    );
    assert_eq!(
        seen["fitAgain"], true,
        "Fit shows the whole history again: {seen}"
    );
    assert_eq!(seen["keyZoom"], true, "+ zooms in: {seen}");
    assert_eq!(
        seen["tooltipShown"], true,
        "hovering a bar shows its values: {seen}"
    );
    // The failing op is a read: its completion carries what it returned.
    let output = events[failing + 1..]
        .iter()
        .find(|e| e.process == events[failing].process)
        .unwrap()
        .value
        .to_string();
    let tooltip = seen["tooltip"].as_str().unwrap();
    assert!(
        tooltip.contains("read") && tooltip.contains(&format!("output: {output}")),
        "{tooltip}"
    );
    assert!(tooltip.contains("state before"), "{tooltip}");
    let details = seen["details"].as_str().unwrap();
    assert!(
        details.contains("cannot be linearized"),
        "clicking selects it: {details}"
    );
}

#[test]
fn hostile_values_do_not_execute() {
    let Some(browser) = browser_or_skip("hostile_values_do_not_execute") else {
        return;
    };
    let payloads = [
        "</script><script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "</script><script>document.documentElement.setAttribute('data-pwned','script')</script>",
        "\"><img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">",
        "<!--",
        "<script>",
        "\u{2028}alert(1)\u{2029}",
    ];
    let mut events = Vec::new();
    let p = Process::Id(0);
    for (i, text) in payloads.iter().enumerate() {
        let t = i as u64 * 1000;
        push(
            &mut events,
            t,
            EventKind::Invoke,
            p.clone(),
            text,
            Value::from(*text),
            None,
        );
        push(
            &mut events,
            t + 500,
            EventKind::Fail,
            p.clone(),
            text,
            Value::from(*text),
            Some(Value::from(*text)),
        );
    }
    let named = Process::Named(payloads[1].into());
    push(
        &mut events,
        9000,
        EventKind::Invoke,
        named.clone(),
        "start",
        Value::from(payloads[3]),
        None,
    );
    let mut states = HashMap::new();
    states.insert(
        0,
        OpStates {
            before: payloads[0].into(),
            after: payloads[3].into(),
        },
    );
    let analysis = Analysis {
        status: Status::Invalid,
        property: "linearizable".into(),
        model: payloads[2].into(),
        order: Vec::new(),
        highlight: Vec::new(),
        edges: Vec::new(),
        counterexample: Some(Counterexample {
            op: 2,
            prefix: vec![0],
            state: payloads[3].into(),
            candidates: vec![(2, payloads[2].into()), (0, payloads[1].into())],
        }),
        states,
        note: payloads[0].into(),
    };
    let page = out_dir().join("hostile.html");
    Report::new(&events)
        .title(payloads[2])
        .with_analysis(analysis)
        .write_to(&page)
        .unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<script").count(), 2);
    assert!(!html.contains("<img"));

    // Select op 0 so its values are shown in the details panel too.
    let dom = dump_dom(&browser, &page, "#op=0");
    assert_clean(&dom);
    assert_eq!(
        root_attr(&dom, "data-pwned"),
        None,
        "an injected script ran"
    );
    assert!(!dom.contains("<img"), "an injected element was created");
    assert_eq!(
        dom.matches("<script").count(),
        2,
        "no injected script element"
    );
    // The text arrived intact, as text.
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(dom.contains("\"&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert_eq!(root_attr(&dom, "data-lanes").as_deref(), Some("2"));
}

#[test]
fn twenty_thousand_operations_stay_responsive() {
    let Some(browser) = browser_or_skip("twenty_thousand_operations_stay_responsive") else {
        return;
    };
    let (events, analysis) = register_history(16, 1260, 11, 1_000_000);
    let ops = events.iter().filter(|e| e.is_invoke()).count();
    assert!(ops >= 20_000, "{ops} ops");
    let page = out_dir().join("large.html");
    let html = Report::new(&events)
        .title("20,000 ops")
        .with_analysis(analysis)
        .render();
    assert!(html.len() < 12_000_000, "page is {} bytes", html.len());
    std::fs::write(&page, html).unwrap();
    let dom = dump_dom(&browser, &page, "");
    assert_clean(&dom);
    assert_eq!(root_attr(&dom, "data-ops"), Some(ops.to_string()));
    // The timeline is a canvas: the DOM holds lanes and the listed prefix, not one node per op.
    assert!(dom.matches("<li").count() < 400, "ops are not DOM nodes");

    // The worst case: the whole history on screen at once. The page times its own drawing;
    // the time is printed, not asserted (a loaded machine would fail a correct page).
    let dom = dump_dom_with(&browser, &page, "#all", false);
    assert_clean(&dom);
    let number = |name: &str| -> f64 {
        root_attr(&dom, name)
            .unwrap_or_else(|| panic!("{name} not set"))
            .parse()
            .unwrap()
    };
    let (drawn, ms) = (number("data-drawn"), number("data-draw-ms"));
    assert!(drawn > 10_000.0, "the whole view draws most bars: {drawn}");
    assert!(
        ms.is_finite() && ms >= 0.0,
        "the page reports its drawing time: {ms}"
    );
    println!("20,000 ops: {drawn} bars drawn in {ms} ms");
}

/// Read skew (G-single) on keys :x and :y, write skew (G2-item) on keys 1 and 2, and two
/// transactions that take part in neither, on five processes with times in microseconds.
const TXN_CYCLES: &str = "
{:process 0 :time 0 :type :invoke :value [[:append :x 1] [:append :y 1]]}
{:process 1 :time 5000 :type :invoke :value [[:r :x nil] [:r :y nil]]}
{:process 0 :time 10000 :type :ok :value [[:append :x 1] [:append :y 1]]}
{:process 1 :time 15000 :type :ok :value [[:r :x [1]] [:r :y []]]}
{:process 2 :time 20000 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 1 1]]}
{:process 3 :time 22000 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 2 1]]}
{:process 2 :time 30000 :type :ok :value [[:r 1 []] [:r 2 []] [:append 1 1]]}
{:process 3 :time 32000 :type :ok :value [[:r 1 []] [:r 2 []] [:append 2 1]]}
{:process 4 :time 40000 :type :invoke :value [[:r 1 nil] [:r 2 nil]]}
{:process 4 :time 50000 :type :ok :value [[:r 1 [1]] [:r 2 [1]]]}
{:process 0 :time 60000 :type :invoke :value [[:append :z 1]]}
{:process 0 :time 70000 :type :ok :value [[:append :z 1]]}
{:process 1 :time 75000 :type :invoke :value [[:r :z nil]]}
{:process 1 :time 80000 :type :ok :value [[:r :z [1]]]}
";

/// The page's op id of each invoke position, from the data embedded in the page.
fn op_ids(html: &str) -> HashMap<usize, usize> {
    let start = html.find("id=\"lockstep-data\">").unwrap() + "id=\"lockstep-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    data["ops"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(id, op)| (op["i0"].as_u64().unwrap() as usize, id))
        .collect()
}

#[test]
fn transaction_cycles_are_highlighted_with_labelled_edges() {
    use lockstep_history::checker::txn;
    use lockstep_history::format::{self, Format};

    let Some(browser) = browser_or_skip("transaction_cycles_are_highlighted_with_labelled_edges")
    else {
        return;
    };
    let events = format::parse(TXN_CYCLES.as_bytes(), Format::Edn).unwrap();
    let checked = txn::check(&events, &txn::Options::default()).unwrap();
    assert_eq!(
        checked.anomaly_names(),
        ["G-single", "G2-item"],
        "{checked}"
    );
    let analysis = Analysis::from_txn(&events, &checked);
    let html = Report::new(&events)
        .title("list-append: read skew and write skew")
        .with_analysis(analysis.clone())
        .render();
    let page = out_dir().join("txn-cycles.html");
    std::fs::write(&page, &html).unwrap();
    assert_no_urls(&html);
    let op_of = op_ids(&html);
    let op = |pos: usize| op_of[&pos];

    // The four transactions of the two cycles, not the reader of both keys nor the two last.
    let mut cycle_txns: Vec<usize> = analysis.highlight.iter().map(|&p| op(p)).collect();
    cycle_txns.sort();
    assert_eq!(
        cycle_txns,
        [0, 1, 2, 3],
        "invokes at positions 0, 1, 4 and 5"
    );

    let dom = dump_dom(&browser, &page, "");
    assert_clean(&dom);
    assert!(
        dom.contains("class=\"verdict invalid\">not valid for strict-serializable<"),
        "the verdict"
    );
    let mut shown: Vec<usize> =
        serde_json::from_str(&root_attr(&dom, "data-highlight").unwrap()).unwrap();
    shown.sort();
    assert_eq!(
        shown, cycle_txns,
        "the page highlights the cycles' transactions"
    );
    for id in 0..op_of.len() {
        let listed = format!("<li class=\"op-ref failing\" data-op=\"{id}\">");
        assert_eq!(
            dom.contains(&listed),
            cycle_txns.contains(&id),
            "op {id} is listed as involved exactly when it is on a cycle"
        );
    }

    // Every edge of both cycles, listed with its label: wr and rw for the read skew, rw both
    // ways for the write skew.
    let mut labels: Vec<&str> = analysis.edges.iter().map(|e| e.label.as_str()).collect();
    labels.sort();
    assert_eq!(labels, ["rw", "rw", "rw", "wr"]);
    for e in &analysis.edges {
        let item = format!(
            "<li class=\"op-ref edge\" data-from=\"{}\" data-to=\"{}\" ",
            op(e.from),
            op(e.to)
        );
        let at = dom
            .find(&item)
            .unwrap_or_else(|| panic!("edge {item} is listed"));
        let li = &dom[at..at + dom[at..].find("</li>").unwrap()];
        assert!(
            li.contains("class=\"edge-label\"") && li.contains(&format!(">{}</span>", e.label)),
            "edge labelled {}: {li}",
            e.label
        );
    }
    // And drawn on the canvas, every label in view once the history is fitted.
    let mut drawn: Vec<String> =
        serde_json::from_str(&root_attr(&dom, "data-edge-labels").unwrap()).unwrap();
    drawn.sort();
    assert_eq!(drawn, labels, "edge labels drawn on the timeline");
    assert_eq!(root_attr(&dom, "data-edges").as_deref(), Some("4"));

    // The explanations, as the command line prints them.
    let explanation = &dom[dom
        .find("<pre class=\"state explanation\">")
        .expect("the explanation is shown")..];
    for words in [
        "G-single:",
        "G2-item:",
        "read key 2 = [] without",
        ": wr",
        ": rw",
    ] {
        assert!(explanation.contains(words), "{words} in the explanation");
    }

    // Selecting a transaction shows its edges in the details.
    let reader = op(events
        .iter()
        .position(|e| e.process == Process::Id(1))
        .unwrap());
    let dom = dump_dom(&browser, &page, &format!("#op={reader}"));
    assert_clean(&dom);
    let details = &dom[dom.find("id=\"details-list\"").unwrap()..];
    let details = &details[..details.find("</dl>").unwrap()];
    assert!(details.contains("<dt>edges</dt>"), "{details}");
    assert!(
        details.contains("rw → p0 txn, event #0") && details.contains("wr ← p0 txn, event #0"),
        "the read skew's edges from the reader's side: {details}"
    );

    screenshot(&browser, &page, "txn-cycles.png");
}

/// Takes a screenshot of `page` into `name` under the output folder and checks it is a real
/// image (a PNG of some size), as a person would see the page.
fn screenshot(browser: &Path, page: &Path, name: &str) {
    let shot = out_dir().join(name);
    let _ = std::fs::remove_file(&shot);
    let run = run_browser(
        browser,
        &file_url(page),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,820".to_owned(),
        ],
        true,
    );
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot ({e}); stderr:\n{}", run.stderr));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    println!("screenshot: {}", shot.display());
}
