//! A huge bad token (a 10 MB string, name or number) in any format gives a short error
//! line, from the library and from `lockstep`, that still says where it is.

mod cli_common;

use lockstep_history::format::{self, Format};

use cli_common::{lockstep, scratch, write};

/// The size of each bad token.
const HUGE: usize = 10 * 1024 * 1024;

/// The longest error message or stderr line accepted as short (a path, a position, a
/// sentence and an 80-character excerpt fit well within it).
const SHORT: usize = 400;

fn huge(c: char) -> String {
    std::iter::repeat_n(c, HUGE).collect()
}

/// One bad input: its format, its text, and the line and column its error must name.
struct Case {
    name: &'static str,
    format: Format,
    text: String,
    line: u64,
    /// Whether the error must show a cut token (`…` and the total length).
    cut: bool,
}

fn json_event(fields: &str) -> String {
    format!(r#"{{"index":0,"time":0,"process":0,"f":"read","value":null,{fields}}}"#)
}

fn cases() -> Vec<Case> {
    let letters = huge('a');
    let digits = huge('9');
    // serde_json reads longer ones as out of range before a digit is quoted.
    let hundred_digits = "9".repeat(100);
    let ok_jsonl = json_event(r#""type":"invoke""#);
    let edn_op = |fields: &str| format!("[{{:type :invoke, :f :read, :process 0}}\n {fields}]\n");
    vec![
        Case {
            name: "json: unknown type",
            format: Format::Json,
            text: format!("[\n{}]", json_event(&format!(r#""type":"{letters}""#))),
            line: 2,
            cut: true,
        },
        Case {
            name: "json: a string for an index",
            format: Format::Json,
            text: format!(
                "[\n{}]",
                json_event(&format!(r#""type":"ok","index":"{letters}""#))
            )
            .replacen(r#""index":0,"#, "", 1),
            line: 2,
            cut: true,
        },
        Case {
            name: "json: an integer of 100 digits",
            format: Format::Json,
            text: format!(
                "[\n{}]",
                json_event(r#""type":"ok""#).replace("null", &hundred_digits)
            ),
            line: 2,
            cut: true,
        },
        Case {
            name: "json: a syntax error after a huge string",
            format: Format::Json,
            text: format!(
                "[\n{} x]",
                json_event(&format!(r#""type":"ok","e":"{letters}""#))
            ),
            line: 2,
            cut: false,
        },
        Case {
            name: "jsonl: unknown type",
            format: Format::Jsonl,
            text: format!(
                "{ok_jsonl}\n{}\n",
                json_event(&format!(r#""type":"{letters}""#))
            ),
            line: 2,
            cut: true,
        },
        Case {
            name: "jsonl: an integer of 100 digits",
            format: Format::Jsonl,
            text: format!(
                "{ok_jsonl}\n{}\n",
                json_event(r#""type":"ok""#).replace("null", &hundred_digits)
            ),
            line: 2,
            cut: true,
        },
        Case {
            name: "edn: a keyword for :type",
            format: Format::Edn,
            text: edn_op(&format!("{{:type :{letters}, :f :read, :process 0}}")),
            line: 2,
            cut: true,
        },
        Case {
            name: "edn: a vector of many small items for :f",
            format: Format::Edn,
            text: edn_op(&format!(
                "{{:type :ok, :f [{}], :process 0}}",
                "1 ".repeat(HUGE / 2)
            )),
            line: 2,
            cut: true,
        },
        Case {
            name: "edn: a string for :time",
            format: Format::Edn,
            text: edn_op(&format!(
                "{{:type :ok, :f :read, :process 0, :time \"{letters}\"}}"
            )),
            line: 2,
            cut: true,
        },
        Case {
            name: "edn: an integer over 64 bits",
            format: Format::Edn,
            text: edn_op(&format!(
                "{{:type :ok, :f :read, :process 0, :value {digits}}}"
            )),
            line: 2,
            cut: true,
        },
        Case {
            name: "edn: an invalid number",
            format: Format::Edn,
            text: edn_op(&format!(
                "{{:type :ok, :f :read, :process 0, :value 1{letters}}}"
            )),
            line: 2,
            cut: true,
        },
        Case {
            name: "edn: an unknown character literal",
            format: Format::Edn,
            text: edn_op(&format!(
                "{{:type :ok, :f :read, :process 0, :value \\{letters}}}"
            )),
            line: 2,
            cut: true,
        },
    ]
}

fn assert_short(case: &str, message: &str, cut: bool) {
    assert!(
        message.len() < SHORT,
        "{case}: {} bytes, starting {:?}",
        message.len(),
        message.chars().take(200).collect::<String>()
    );
    if cut {
        assert!(
            message.contains('…') && message.contains(" characters)"),
            "{case}: the token is cut and its length said: {message}"
        );
    }
}

#[test]
fn huge_tokens_give_short_messages_that_still_say_where() {
    let dir = scratch("long-tokens");
    for case in cases() {
        // The library.
        let e = format::parse(case.text.as_bytes(), case.format)
            .expect_err(case.name)
            .to_string();
        assert_short(case.name, &e, case.cut);
        let column = e
            .strip_prefix(&format!("{}:", case.line))
            .and_then(|rest| rest.split(':').next())
            .and_then(|c| c.parse::<u64>().ok());
        assert!(
            column.is_some_and(|c| c >= 1),
            "{}: line:column: {e}",
            case.name
        );

        // The command.
        let ext = match case.format {
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Edn => "edn",
        };
        let file = write(&dir, &format!("h.{ext}"), &case.text);
        let run = lockstep([
            "check".as_ref(),
            "--model".as_ref(),
            "register".as_ref(),
            file.as_os_str(),
        ]);
        assert_eq!(run.code, 3, "{}: {}", case.name, run.stdout);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}: one line", case.name);
        assert_short(case.name, lines[0], case.cut);
        let position = format!("h.{ext}:{}:{}:", case.line, column.unwrap());
        assert!(
            lines[0].contains(&position),
            "{}: {position} in {}",
            case.name,
            lines[0]
        );
    }
}

#[test]
fn a_torn_last_line_with_a_huge_token_warns_in_one_short_line() {
    let dir = scratch("long-torn");
    let text = format!(
        "{}\n{}",
        json_event(r#""type":"invoke""#),
        json_event(&format!(r#""type":"{}""#, huge('t')))
    );
    let read = format::jsonl::parse(text.as_bytes()).unwrap();
    let torn = read.torn_tail.expect("the last line is torn");
    assert_short("library", &torn.to_string(), true);
    let file = write(&dir, "h.jsonl", &text);
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ]);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one warning line");
    assert!(
        lines[0].contains("h.jsonl:2: torn last line"),
        "{}",
        lines[0]
    );
    assert_short("command", lines[0], true);
}

#[test]
fn a_huge_op_name_in_an_ill_formed_history_is_cut() {
    let dir = scratch("long-name");
    let name = huge('n');
    let text = format!(
        "[\n{}]",
        json_event(r#""type":"ok""#).replace(r#""f":"read""#, &format!(r#""f":"{name}""#))
    );
    let file = write(&dir, "h.json", &text);
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line");
    assert!(lines[0].contains("h.json:2: event 0"), "{}", lines[0]);
    assert_short("command", lines[0], true);
}
