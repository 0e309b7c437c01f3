//! Bad input to `lockstep`: one clear line on stderr naming the file and position, exit 3,
//! never a panic or a backtrace.

mod cli_common;

use cli_common::{assert_bad_input, lockstep, register_json, scratch, write};
use lockstep_history::checker::txn::Workload;
use lockstep_history::model::BUILTINS;

#[test]
fn missing_file() {
    let dir = scratch("missing");
    let path = dir.join("nope.edn");
    let run = lockstep(
        ["check", "--model", "register"]
            .iter()
            .map(|s| s.to_string())
            .chain([path.display().to_string()]),
    );
    assert_bad_input(&run, &["nope.edn", "no such file"]);
}

#[test]
fn unknown_model() {
    let dir = scratch("model");
    let file = write(&dir, "h.json", &register_json("1"));
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "bogus".as_ref(),
        file.as_os_str(),
    ]);
    assert_bad_input(&run, &["bogus", "cas-register"]);
}

#[test]
fn malformed_json_names_line_and_column() {
    let dir = scratch("json");
    let file = write(
        &dir,
        "broken.json",
        "[\n  {\"index\":0,\"time\":0,\"type\":\"invoke\",\"process\":0,\"f\":\"read\",\"value\":null},\n  {\"index\":1,\"time\":1,\"type\":\"ok\" \"process\":0}\n]\n",
    );
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ]);
    assert_bad_input(&run, &["broken.json:3:"]);
}

#[test]
fn malformed_edn_names_line_and_column() {
    let dir = scratch("edn");
    let file = write(
        &dir,
        "broken.edn",
        "; a comment\n[{:type :invoke, :f :read, :process 0}\n {:type :ok, :f :read, :process 0 :value}\n",
    );
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ]);
    assert_bad_input(&run, &["broken.edn:"]);
    let position = run.stderr.split("broken.edn:").nth(1).unwrap_or_default();
    assert!(
        position.starts_with(|c: char| c.is_ascii_digit()),
        "a line number follows the file name: {}",
        run.stderr
    );
}

#[test]
fn directory_instead_of_file() {
    let dir = scratch("dir");
    let sub = dir.join("history.edn");
    std::fs::create_dir_all(&sub).unwrap();
    for cmd in [&["check", "--model", "register"][..], &["report"][..]] {
        let mut args: Vec<std::ffi::OsString> = cmd.iter().map(Into::into).collect();
        args.push(sub.clone().into());
        assert_bad_input(&lockstep(args), &["history.edn", "is a directory"]);
    }
}

#[test]
fn empty_histories() {
    let dir = scratch("empty");
    for (name, text) in [("a.json", "[]"), ("b.jsonl", ""), ("c.edn", "; nothing\n")] {
        let file = write(&dir, name, text);
        let run = lockstep([
            "check".as_ref(),
            "--model".as_ref(),
            "register".as_ref(),
            file.as_os_str(),
        ]);
        assert_bad_input(&run, &[name, "empty history"]);
    }
}

#[test]
fn unknown_extension() {
    let dir = scratch("ext");
    let file = write(&dir, "history.txt", &register_json("1"));
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ]);
    assert_bad_input(&run, &["history.txt", "--format"]);
    // --format makes it readable.
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn ill_formed_history_names_the_event() {
    let dir = scratch("ill");
    // A completion with no invoke before it.
    let file = write(
        &dir,
        "orphan.json",
        r#"[{"index":0,"time":0,"type":"ok","process":3,"f":"read","value":1}]"#,
    );
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ]);
    assert_bad_input(&run, &["orphan.json", "0"]);
}

#[test]
fn operation_the_model_does_not_know() {
    let dir = scratch("wrong-model");
    let file = write(&dir, "register.json", &register_json("1"));
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "mutex".as_ref(),
        file.as_os_str(),
    ]);
    assert_bad_input(&run, &["register.json", "event 0", "write", "mutex"]);
}

#[test]
fn bad_options() {
    let dir = scratch("options");
    let file = write(&dir, "h.json", &register_json("1"));
    let f = file.as_os_str();
    let cases: [(&[&str], &str); 5] = [
        (&["--init", "{:x"], "--init"),
        (&["--time-limit", "soon"], "soon"),
        (&["--memory-limit", "lots"], "lots"),
        (&["--format", "xml"], "xml"),
        (&["--no-such-flag"], "--no-such-flag"),
    ];
    for (extra, needle) in cases {
        let mut args: Vec<std::ffi::OsString> =
            vec!["check".into(), "--model".into(), "register".into()];
        args.extend(extra.iter().map(Into::into));
        args.push(f.into());
        assert_bad_input(&lockstep(args), &[needle]);
    }
    // An initial value the model cannot start from.
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "mutex".as_ref(),
        "--init".as_ref(),
        "5".as_ref(),
        f,
    ]);
    assert_bad_input(&run, &["mutex"]);
}

#[test]
fn one_bad_file_among_good_ones() {
    let dir = scratch("mixed");
    let good = write(&dir, "good.json", &register_json("1"));
    let missing = dir.join("gone.json");
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        good.as_os_str(),
        missing.as_os_str(),
    ]);
    assert_eq!(run.code, 3);
    assert!(
        run.stdout.contains("good.json: linearizable"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 linearizable") && run.stdout.contains("1 bad input"),
        "{}",
        run.stdout
    );
    assert_bad_input(&run, &["gone.json"]);
}

#[test]
fn convert_and_report_bad_input() {
    let dir = scratch("others");
    let good = write(&dir, "h.json", &register_json("1"));
    let missing = dir.join("missing.edn");
    assert_bad_input(
        &lockstep([
            "convert".as_ref(),
            missing.as_os_str(),
            dir.join("out.json").as_os_str(),
        ]),
        &["missing.edn", "no such file"],
    );
    assert_bad_input(
        &lockstep([
            "convert".as_ref(),
            good.as_os_str(),
            dir.join("out.xml").as_os_str(),
        ]),
        &["out.xml"],
    );
    assert_bad_input(
        &lockstep([
            "report".as_ref(),
            good.as_os_str(),
            "--model".as_ref(),
            "nope".as_ref(),
        ]),
        &["nope"],
    );
    assert_bad_input(
        &lockstep([
            "report".as_ref(),
            good.as_os_str(),
            "-o".as_ref(),
            dir.as_os_str(),
        ]),
        &["is a directory"],
    );
}

#[test]
fn no_arguments_is_bad_input() {
    let run = lockstep(Vec::<String>::new());
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("Usage"), "{}", run.stderr);
}

#[test]
fn help_shows_an_example_per_subcommand() {
    let top = lockstep(["--help"]);
    assert_eq!(top.code, 0);
    for needle in [
        "lockstep check --model",
        "lockstep report",
        "lockstep convert",
        "Exit codes",
    ] {
        assert!(
            top.stdout.contains(needle),
            "--help lacks {needle}:\n{}",
            top.stdout
        );
    }
    for (cmd, example) in [
        ("check", "lockstep check --model cas-register --init 0"),
        ("report", "lockstep report history.edn --model"),
        ("convert", "lockstep convert history.edn history.json"),
    ] {
        let run = lockstep([cmd, "--help"]);
        assert_eq!(run.code, 0);
        assert!(
            run.stdout.contains(example),
            "{cmd} --help lacks an example:\n{}",
            run.stdout
        );
    }
    // The models `--help` lists are the library's, each with its description.
    let check = lockstep(["check", "--help"]).stdout;
    let workloads = Workload::ALL.map(|w| (w.name(), w.description()));
    let models = BUILTINS.iter().map(|b| (b.name, b.description));
    for (name, description) in models.chain(workloads) {
        assert!(
            check.contains(&format!("{name}:")) && check.contains(description),
            "check --help lists {name} and what it is:\n{check}"
        );
    }
}
