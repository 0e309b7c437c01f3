//! `lockstep report` and `lockstep convert` on real files.

mod cli_common;

use cli_common::{lockstep, register_json, scratch, write};

fn data_of(html: &str) -> serde_json::Value {
    let start = html.find("id=\"lockstep-data\">").unwrap() + "id=\"lockstep-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn report_with_a_model_draws_the_counterexample() {
    let dir = scratch("report");
    let file = write(&dir, "stale.json", &register_json("2"));
    let out = dir.join("out.html");
    let run = lockstep([
        "report".as_ref(),
        file.as_os_str(),
        "--model".as_ref(),
        "register".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("not linearizable"), "{}", run.stdout);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    let data = data_of(&html);
    assert_eq!(data["title"], "stale.json");
    assert_eq!(data["lanes"], serde_json::json!(["0", "1"]));
    let analysis = &data["analysis"];
    assert_eq!(analysis["verdict"], "not linearizable");
    assert_eq!(
        analysis["counterexample"]["op"], 1,
        "the read is the op that cannot be linearized"
    );
    assert_eq!(analysis["counterexample"]["prefix"], serde_json::json!([0]));
    assert!(analysis["model"].as_str().unwrap().starts_with("register"));
}

#[test]
fn linearizable_report_shows_states_along_the_witness() {
    let dir = scratch("witness");
    let file = write(&dir, "ok.json", &register_json("1"));
    let out = dir.join("ok.html");
    let run = lockstep([
        "report".as_ref(),
        file.as_os_str(),
        "--model".as_ref(),
        "register".as_ref(),
        "--init".as_ref(),
        "0".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let data = data_of(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(data["analysis"]["verdict"], "linearizable");
    assert_eq!(data["analysis"]["order"], serde_json::json!([0, 1]));
    assert_eq!(data["ops"][0]["before"], "0");
    assert_eq!(data["ops"][0]["after"], "1");
    assert_eq!(data["ops"][1]["before"], "1");
}

#[test]
fn report_without_a_model_is_a_timeline() {
    let dir = scratch("timeline");
    let file = write(&dir, "h.json", &register_json("2"));
    let run = lockstep(["report".as_ref(), file.as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(dir.join("h.html")).unwrap();
    let data = data_of(&html);
    assert!(data["analysis"].is_null());
    assert_eq!(data["ops"].as_array().unwrap().len(), 2);
}

#[test]
fn convert_round_trips_between_formats() {
    let dir = scratch("convert");
    let json = write(&dir, "h.json", &register_json("1"));
    let edn = dir.join("h.edn");
    let jsonl = dir.join("h.jsonl");
    let back = dir.join("back.json");
    for (from, to) in [(&json, &edn), (&edn, &jsonl), (&jsonl, &back)] {
        let run = lockstep(["convert".as_ref(), from.as_os_str(), to.as_os_str()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("wrote 4 events"), "{}", run.stdout);
    }
    assert!(
        std::fs::read_to_string(&edn)
            .unwrap()
            .contains(":type :invoke")
    );
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&back).unwrap()).unwrap();
    assert_eq!(a, b);
    // Explicit formats for names that say nothing.
    let odd = dir.join("odd.txt");
    let run = lockstep([
        "convert".as_ref(),
        "--to".as_ref(),
        "edn".as_ref(),
        json.as_os_str(),
        odd.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        "--format".as_ref(),
        "edn".as_ref(),
        odd.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn large_reports_are_bounded_and_full_draws_everything() {
    let dir = scratch("bounded");
    // 40 sequential register writes, then a stale read.
    let mut events = Vec::new();
    for k in 0..40 {
        events.push(format!(
            r#"{{"index":{},"time":0,"type":"invoke","process":0,"f":"write","value":{k}}}"#,
            2 * k
        ));
        events.push(format!(
            r#"{{"index":{},"time":0,"type":"ok","process":0,"f":"write","value":{k}}}"#,
            2 * k + 1
        ));
    }
    events.push(
        r#"{"index":80,"time":0,"type":"invoke","process":1,"f":"read","value":null}"#.into(),
    );
    events.push(r#"{"index":81,"time":0,"type":"ok","process":1,"f":"read","value":3}"#.into());
    let file = write(&dir, "long.jsonl", &(events.join("\n") + "\n"));
    let out = dir.join("out.html");
    let report = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec!["report".into(), file.clone().into()];
        args.extend(["--model", "register", "--init", "0", "--max-ops", "10"].map(Into::into));
        args.extend(extra.iter().map(Into::into));
        args.extend(["-o".into(), out.clone().into()]);
        lockstep(args)
    };
    let run = report(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("draws 10 of 41 operations") && run.stderr.contains("--full"),
        "{}",
        run.stderr
    );
    let data = data_of(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(data["ops"].as_array().unwrap().len(), 10);
    assert_eq!(data["omitted"]["total"], 41);
    let failing = data["analysis"]["counterexample"]["op"].as_u64().unwrap() as usize;
    assert_eq!(data["ops"][failing]["f"], "read");

    let run = report(&["--full"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("draws"), "{}", run.stderr);
    let data = data_of(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(data["ops"].as_array().unwrap().len(), 41);
    assert!(data.get("omitted").is_none());
}
