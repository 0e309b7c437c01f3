//! The progress indicator: on stderr for checks longer than a second, only on a terminal.

mod cli_common;

use std::process::Command;

use cli_common::{lockstep, scratch, slow_history};

#[test]
fn no_indicator_when_stderr_is_not_a_terminal() {
    let dir = scratch("quiet");
    let file = slow_history(&dir);
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        "--time-limit".as_ref(),
        "1500ms".as_ref(),
        file.as_os_str(),
    ]);
    assert!(
        run.code == 1 || run.code == 2,
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        run.stderr, "",
        "nothing on stderr when it is not a terminal"
    );
}

#[test]
fn indicator_on_a_terminal_for_long_checks() {
    // util-linux's script(1); the BSD one on macOS takes other arguments.
    if !cfg!(target_os = "linux") || Command::new("script").arg("--version").output().is_err() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("script(1) from util-linux is needed to give lockstep a terminal");
        }
        println!("indicator_on_a_terminal_for_long_checks: skipped, no util-linux script(1)");
        return;
    }
    let dir = scratch("tty");
    let file = slow_history(&dir);
    let cmd = format!(
        "{} check --model register --time-limit 2500ms {}",
        env!("CARGO_BIN_EXE_lockstep"),
        file.display()
    );
    // script(1) runs the command on a pseudo-terminal and copies what it wrote.
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("run script");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("checking") && text.contains("slow.edn"),
        "a progress line naming the file:\n{text}"
    );
    assert!(text.contains("configurations"), "{text}");
}
