//! Bad input never panics and never overflows the stack: every reader, given random bytes
//! or a valid file damaged at random (cut short, brackets flipped, huge numbers, invalid
//! UTF-8, 10,000 levels of nesting), returns the history or an error with a position.

use lockstep_history::format::{self, Format};
use lockstep_history::{History, Value};
use proptest::prelude::*;
use proptest::sample::Index;

const FORMATS: [Format; 3] = [Format::Json, Format::Jsonl, Format::Edn];

/// Feeds `bytes` to every reader: each must give events or an error with line and column.
fn every_reader_copes(bytes: &[u8]) -> Result<(), TestCaseError> {
    for format in FORMATS {
        if let Err(e) = format::load(bytes, format) {
            prop_assert!(
                e.line().is_some_and(|l| l >= 1) && e.column().is_some_and(|c| c >= 1),
                "{} error without a position: {}",
                format,
                e
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Err(e) = format::edn::parse_value(text)
    {
        prop_assert!(
            e.line().is_some(),
            "parse_value error without a position: {}",
            e
        );
    }
    Ok(())
}

/// A small history with values of many shapes, written in `format`.
fn valid_file(format: Format) -> Vec<u8> {
    let h = History::new();
    h.op("write", ("k\"ey", vec![1.5, -2.0]), || ());
    h.invoke("cas", [1, 2]);
    h.fail("cas", "mismatch\n\u{e9}");
    h.op("read", (), || {
        std::collections::BTreeMap::from([(1, "a"), (2, "b")])
    });
    h.invoke("txn", ((Value::keyword("read"), 1), [Value::Nil]));
    h.info("txn", "timeout");
    let mut events = h.events();
    events[2].process = lockstep_history::Process::Named("nemesis".into());
    let mut out = Vec::new();
    format::write(&mut out, &events, format).unwrap();
    out
}

/// One way of damaging a file.
#[derive(Clone, Debug)]
enum Damage {
    Truncate(Index),
    FlipBracket(Index, u8),
    SetByte(Index, u8),
    Insert(Index, Vec<u8>),
    DeleteRange(Index, Index),
}

const BRACKETS: &[u8] = b"[]{}()";

fn nasty_insert() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Huge numbers.
        (20usize..400).prop_map(|n| "9".repeat(n).into_bytes()),
        Just(b"-99999999999999999999N".to_vec()),
        Just(b"1e999999".to_vec()),
        Just(b"-0.0e-99999".to_vec()),
        Just(b"18446744073709551616".to_vec()),
        // Invalid UTF-8: a stray byte, a cut sequence, a surrogate, an overlong form.
        Just(vec![0xff]),
        Just(vec![0xc3]),
        Just(vec![0xed, 0xa0, 0x80]),
        Just(vec![0xc0, 0xaf]),
        Just(vec![0xf4, 0x90, 0x80, 0x80]),
        // Deep nesting, open and closed.
        prop::sample::select(vec!["[", "{", "(", "#{", "#_", "{\"a\":", "[{:value "])
            .prop_map(|open| open.repeat(10_000).into_bytes()),
        Just(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()),
        // Stray syntax.
        prop::sample::select(vec![
            "\"", "\\", "\\u", "\\ud800", "#", "##", ":", ";", ",", "\n", "\0", "nil", "}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 1..16),
    ]
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<Index>().prop_map(Damage::Truncate),
        (any::<Index>(), prop::sample::select(BRACKETS.to_vec()))
            .prop_map(|(i, b)| Damage::FlipBracket(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Damage::SetByte(i, b)),
        (any::<Index>(), nasty_insert()).prop_map(|(i, s)| Damage::Insert(i, s)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Damage::DeleteRange(a, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, d: &Damage) {
    let len = bytes.len();
    match d {
        Damage::Truncate(i) => bytes.truncate(i.index(len + 1)),
        Damage::FlipBracket(i, to) => {
            let at: Vec<usize> = (0..len).filter(|&j| BRACKETS.contains(&bytes[j])).collect();
            if !at.is_empty() {
                bytes[at[i.index(at.len())]] = *to;
            }
        }
        Damage::SetByte(i, b) if len > 0 => bytes[i.index(len)] = *b,
        Damage::SetByte(..) => {}
        Damage::Insert(i, s) => {
            let at = i.index(len + 1);
            bytes.splice(at..at, s.iter().copied());
        }
        Damage::DeleteRange(a, b) => {
            let (a, b) = (a.index(len + 1), b.index(len + 1));
            bytes.drain(a.min(b)..a.max(b));
        }
    }
}

/// Bytes drawn mostly from the characters the formats give meaning to.
fn syntax_soup() -> impl Strategy<Value = Vec<u8>> {
    let alphabet = b"[]{}()#_:\"\\ ,;\n0123456789.eE+-Nnil:typeinvoke{}\"index\"".to_vec();
    prop::collection::vec(
        prop_oneof![prop::sample::select(alphabet), any::<u8>()],
        0..400,
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        every_reader_copes(&bytes)?;
    }

    #[test]
    fn random_syntax(bytes in syntax_soup()) {
        every_reader_copes(&bytes)?;
    }

    #[test]
    fn damaged_files(
        format in prop::sample::select(FORMATS.to_vec()),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let mut bytes = valid_file(format);
        for d in &damages {
            apply(&mut bytes, d);
        }
        every_reader_copes(&bytes)?;
    }
}

#[test]
fn undamaged_files_read_in_their_own_format() {
    for format in FORMATS {
        let events = format::parse(&valid_file(format), format).unwrap();
        assert_eq!(events.len(), 8, "{format}");
    }
}

/// 10,000 levels of nesting inside an op's value, closed properly, in each format: an error
/// at a position, with no stack overflow.
#[test]
fn ten_thousand_levels_deep_inside_an_op() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let json_event =
        format!(r#"{{"index":0,"time":0,"type":"invoke","process":0,"f":"w","value":{deep}}}"#);
    let valid_line = r#"{"index":1,"time":0,"type":"ok","process":0,"f":"w","value":1}"#;
    let cases = [
        (
            Format::Edn,
            format!("[{{:type :invoke, :f :w, :process 0, :value {deep}}}]"),
        ),
        (Format::Json, format!("[{json_event}]")),
        (Format::Jsonl, format!("{json_event}\n{valid_line}\n")),
    ];
    for (format, text) in cases {
        let e = format::parse(text.as_bytes(), format).unwrap_err();
        assert_eq!(e.line(), Some(1), "{format}: {e}");
        assert!(e.column().is_some_and(|c| c > 1), "{format}: {e}");
    }
    // As the last line of JSON Lines it is a torn tail: reported, not fatal.
    let tail = format!("{valid_line}\n{json_event}");
    let loaded = format::load(tail.as_bytes(), Format::Jsonl).unwrap();
    assert_eq!(loaded.events.len(), 1);
    assert_eq!(loaded.torn_tail.unwrap().line, 2);
}
