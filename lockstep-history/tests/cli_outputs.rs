//! What `lockstep report` and `lockstep convert` do with the file they write: never over
//! the history they read, all or nothing, and through links, devices and FIFOs rather than
//! replacing them with a regular file.
#![cfg(unix)]

mod cli_common;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use cli_common::{Run, assert_bad_input, lockstep, register_json, scratch, write};

/// The two commands that write a file, as a function of (input, output): `report … -o OUT`
/// and `convert IN OUT` (to EDN, whatever the output is named).
#[derive(Clone, Copy, Debug)]
enum Writer {
    Report,
    Convert,
}

const WRITERS: [Writer; 2] = [Writer::Report, Writer::Convert];

impl Writer {
    fn args(self, input: &Path, out: &Path) -> Vec<OsString> {
        let words: &[&str] = match self {
            Writer::Report => &["report", "--model", "register", "-o"],
            Writer::Convert => &["convert", "--to", "edn"],
        };
        let mut args: Vec<OsString> = words.iter().map(OsString::from).collect();
        match self {
            Writer::Report => args.extend([out.into(), input.into()]),
            Writer::Convert => args.extend([input.into(), out.into()]),
        }
        args
    }

    fn run(self, input: &Path, out: &Path) -> Run {
        lockstep(self.args(input, out))
    }

    /// What a successful run writes starts with this.
    fn starts(self) -> &'static str {
        match self {
            Writer::Report => "<!doctype html>",
            Writer::Convert => "[{:index 0,",
        }
    }
}

/// A register history of `n` writes, long enough that every output is over a few KB.
fn long_history(n: usize) -> String {
    let mut events = Vec::new();
    for i in 0..n {
        events.push(format!(
            r#"{{"index":{},"time":{},"type":"invoke","process":0,"f":"write","value":{i}}}"#,
            2 * i,
            20 * i
        ));
        events.push(format!(
            r#"{{"index":{},"time":{},"type":"ok","process":0,"f":"write","value":{i}}}"#,
            2 * i + 1,
            20 * i + 10
        ));
    }
    format!("[{}]\n", events.join(",\n"))
}

/// Names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether this process runs as root (for whom permissions stop nothing).
fn is_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next().map(|uid| uid == "0"))
        .unwrap_or(false)
}

#[test]
fn report_never_writes_over_its_own_input() {
    let dir = scratch("own-input");
    let edn = "[{:type :invoke, :f :read, :process 0, :value nil}\n \
               {:type :ok, :f :read, :process 0, :value nil}]\n";
    // An EDN history whose name ends in .html: the default output is the input itself.
    let hist = write(&dir, "hist.html", edn);
    let run = lockstep([
        "report".as_ref(),
        "--format".as_ref(),
        "edn".as_ref(),
        hist.as_os_str(),
    ]);
    assert_bad_input(&run, &["hist.html", "is the input", "-o"]);
    assert_eq!(fs::read_to_string(&hist).unwrap(), edn);

    // The same file by other names: itself, a path through `..`, a symbolic link, a hard link.
    let json = write(&dir, "h.json", &register_json("1"));
    fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink(&json, dir.join("link.html")).unwrap();
    fs::hard_link(&json, dir.join("hard.html")).unwrap();
    for out in [
        json.clone(),
        dir.join("sub/../h.json"),
        dir.join("link.html"),
        dir.join("hard.html"),
    ] {
        let run = Writer::Report.run(&json, &out);
        assert_bad_input(&run, &["is the input", "h.json"]);
        assert_eq!(
            fs::read_to_string(&json).unwrap(),
            register_json("1"),
            "{}",
            out.display()
        );
    }
    assert!(
        fs::symlink_metadata(dir.join("link.html"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(
        names_in(&dir),
        ["h.json", "hard.html", "hist.html", "link.html", "sub"]
    );
}

#[test]
fn an_existing_regular_output_is_replaced_whole_keeping_its_permissions() {
    for writer in WRITERS {
        let dir = scratch("replace");
        let input = write(&dir, "h.json", &register_json("1"));
        let out = write(&dir, "out.txt", "previous\n");
        fs::set_permissions(&out, fs::Permissions::from_mode(0o640)).unwrap();
        let run = writer.run(&input, &out);
        assert_eq!(run.code, 0, "{writer:?}: {}", run.stderr);
        assert!(
            fs::read_to_string(&out)
                .unwrap()
                .starts_with(writer.starts()),
            "{writer:?}"
        );
        let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "{writer:?}");
        assert_eq!(names_in(&dir), ["h.json", "out.txt"], "{writer:?}");
    }
}

/// Runs `lockstep` unable to write files over `bytes` long (as a full disk would stop it
/// part way): `ulimit -f`, with SIGXFSZ ignored so the write fails instead of the process.
fn lockstep_with_file_size_limit(bytes: u64, args: &[OsString]) -> Run {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {} && exec \"$0\" \"$@\"",
            bytes / 512
        ))
        .arg(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .output()
        .expect("run sh");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_failed_write_leaves_the_previous_output_as_it_was() {
    for writer in WRITERS {
        let dir = scratch("failed-write");
        let input = write(&dir, "h.json", &long_history(100));
        let previous = "the previous output, which must survive\n";
        let out = write(&dir, "out.txt", previous);

        // The disk fills after 2 KB.
        let run = lockstep_with_file_size_limit(2048, &writer.args(&input, &out));
        assert_bad_input(&run, &["out.txt", "File too large"]);
        let now = fs::read_to_string(&out).unwrap();
        assert!(
            now == previous,
            "{writer:?}: the previous output became {} bytes starting {:?}",
            now.len(),
            now.chars().take(40).collect::<String>()
        );
        assert_eq!(names_in(&dir), ["h.json", "out.txt"], "{writer:?}");
        // And with room, the same run succeeds: the limit was what stopped it.
        let run = lockstep_with_file_size_limit(1 << 30, &writer.args(&input, &out));
        assert_eq!(run.code, 0, "{writer:?}: {}", run.stderr);

        // The folder cannot take a new file (root ignores permissions: a file in the way of
        // the folder stops root too).
        let out = if is_root() {
            let blocked = write(&dir, "blocked", "a file, not a folder\n");
            blocked.join("out.txt")
        } else {
            let locked = dir.join("locked");
            fs::create_dir(&locked).unwrap();
            let out = write(&locked, "out.txt", previous);
            fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
            out
        };
        let run = writer.run(&input, &out);
        assert_bad_input(&run, &["out.txt"]);
        if !is_root() {
            assert_eq!(fs::read_to_string(&out).unwrap(), previous, "{writer:?}");
            fs::set_permissions(out.parent().unwrap(), fs::Permissions::from_mode(0o755)).unwrap();
        }

        // A device that is full: the error is said, and the link to it stays a link.
        let full = dir.join("full");
        std::os::unix::fs::symlink("/dev/full", &full).unwrap();
        let run = writer.run(&input, &full);
        assert_bad_input(&run, &["full", "No space left on device"]);
        assert!(
            fs::symlink_metadata(&full).unwrap().is_symlink(),
            "{writer:?}"
        );
    }
}

#[test]
fn links_devices_and_fifos_are_written_through_never_replaced() {
    for writer in WRITERS {
        let dir = scratch("not-regular");
        let input = write(&dir, "h.json", &register_json("1"));

        // A link to a regular file in another folder: the target gets the output.
        fs::create_dir(dir.join("elsewhere")).unwrap();
        let target = write(&dir.join("elsewhere"), "target.txt", "previous\n");
        let link = dir.join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let run = writer.run(&input, &link);
        assert_eq!(run.code, 0, "{writer:?}: {}", run.stderr);
        assert!(
            fs::symlink_metadata(&link).unwrap().is_symlink(),
            "{writer:?}"
        );
        assert!(
            fs::read_to_string(&target)
                .unwrap()
                .starts_with(writer.starts()),
            "{writer:?}"
        );
        assert_eq!(names_in(&dir.join("elsewhere")), ["target.txt"]);

        // A link to a file that does not exist: refused, not guessed at.
        let dangling = dir.join("dangling.txt");
        std::os::unix::fs::symlink(dir.join("nothing-here"), &dangling).unwrap();
        let run = writer.run(&input, &dangling);
        assert_bad_input(&run, &["dangling.txt", "does not exist"]);
        assert!(fs::symlink_metadata(&dangling).unwrap().is_symlink());

        // A link to /dev/null.
        let null = dir.join("null");
        std::os::unix::fs::symlink("/dev/null", &null).unwrap();
        let run = writer.run(&input, &null);
        assert_eq!(run.code, 0, "{writer:?}: {}", run.stderr);
        assert!(
            fs::symlink_metadata(&null).unwrap().is_symlink(),
            "{writer:?}"
        );
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );

        // A device node of its own (the null device), where this machine lets us make one.
        let device = dir.join("device");
        let made = Command::new("mknod")
            .arg(&device)
            .args(["c", "1", "3"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
            && fs::write(&device, "probe").is_ok();
        if made {
            let run = writer.run(&input, &device);
            assert_eq!(run.code, 0, "{writer:?}: {}", run.stderr);
            let kind = fs::symlink_metadata(&device).unwrap().file_type();
            assert!(kind.is_char_device(), "{writer:?}: {kind:?}");
        } else {
            eprintln!("device node part skipped: mknod is not permitted here");
        }

        // A FIFO: a reader gets the whole output, and the FIFO is still a FIFO.
        let fifo = dir.join("fifo");
        let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(status.success());
        let (tx, rx) = mpsc::channel();
        let reading = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(fs::read(&reading));
        });
        let run = writer.run(&input, &fifo);
        assert_eq!(run.code, 0, "{writer:?}: {}", run.stderr);
        let kind = fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "{writer:?}: {kind:?}");
        let read = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the reader finished")
            .unwrap();
        assert!(
            String::from_utf8_lossy(&read).starts_with(writer.starts()),
            "{writer:?}"
        );
    }
}

#[test]
fn convert_in_place_through_a_link_keeps_the_link() {
    let dir = scratch("convert-link");
    let file = write(&dir, "h.json", &register_json("1"));
    let link = dir.join("h.edn");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let run = lockstep([
        "convert".as_ref(),
        "--from".as_ref(),
        "json".as_ref(),
        "--to".as_ref(),
        "edn".as_ref(),
        link.as_os_str(),
        link.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .starts_with(Writer::Convert.starts())
    );
}
