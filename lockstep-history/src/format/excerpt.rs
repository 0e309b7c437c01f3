//! Input quoted in error messages, cut short: at most [`EXCERPT_CHARS`] characters of any
//! one offending token, then an ellipsis and the token's whole length.
//!
//! A message names where the problem is (file, line, column) and quotes what it found
//! there, so a user recognises it; quoting all of it helps nobody when it is a 10 MB string
//! (a line that size on stderr buries everything around it). Every message a reader makes
//! quotes through [`excerpt`], and messages written elsewhere (serde_json's, the checker's)
//! go through [`shorten`] before they are shown.
//!
//! ```
//! use lockstep_history::format::excerpt::{excerpt, shorten};
//!
//! assert_eq!(excerpt("short").to_string(), "short");
//! let long = "x".repeat(10_000_000);
//! let quoted = format!("unknown op {}", excerpt(&long).quoted());
//! assert!(quoted.starts_with("unknown op `xxxx"));
//! assert!(quoted.ends_with("x…` (10000000 characters)"));
//! assert!(quoted.len() < 130);
//!
//! // A message made by someone else: each over-long token is cut the same way.
//! let message = format!("unknown variant `{long}`, expected `invoke` or `ok`");
//! let short = shorten(&message);
//! assert!(short.ends_with("…` (10000000 characters), expected `invoke` or `ok`"));
//! ```

use std::borrow::Cow;
use std::fmt;

/// The most characters of one token a message quotes (the ellipsis included).
pub const EXCERPT_CHARS: usize = 80;

/// The most characters [`shorten`] leaves in a whole message, however many tokens it quotes.
pub const MESSAGE_CHARS: usize = 400;

/// `token` as a message should quote it: whole when it has at most [`EXCERPT_CHARS`]
/// characters, otherwise its first characters, `…` and its length in characters.
pub fn excerpt(token: &str) -> Excerpt<'_> {
    Excerpt { token }
}

/// A token to quote in a message, displayed cut short (see [`excerpt`]).
#[derive(Clone, Copy, Debug)]
pub struct Excerpt<'a> {
    token: &'a str,
}

impl<'a> Excerpt<'a> {
    /// The same excerpt in backticks, with the length (when cut) after the closing one:
    /// `` `abc…` (10000000 characters) ``.
    pub fn quoted(self) -> Quoted<'a> {
        Quoted { token: self.token }
    }
}

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match cut(self.token) {
            None => f.write_str(self.token),
            Some((head, total)) => write!(f, "{head}… ({total} characters)"),
        }
    }
}

/// A token to quote in a message, in backticks (see [`Excerpt::quoted`]).
#[derive(Clone, Copy, Debug)]
pub struct Quoted<'a> {
    token: &'a str,
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match cut(self.token) {
            None => write!(f, "`{}`", self.token),
            Some((head, total)) => write!(f, "`{head}…` ({total} characters)"),
        }
    }
}

/// When `token` is too long to quote whole: the head to keep (one character short of
/// [`EXCERPT_CHARS`], leaving room for the ellipsis) and the token's length in characters.
fn cut(token: &str) -> Option<(&str, usize)> {
    // Fewer bytes than the limit means fewer characters too; no need to count.
    if token.len() <= EXCERPT_CHARS {
        return None;
    }
    let mut chars = token.char_indices();
    let end = chars.nth(EXCERPT_CHARS - 1).map(|(i, _)| i)?;
    // Still within the limit when that character is the last.
    chars.next()?;
    Some((&token[..end], token.chars().count()))
}

/// `message` with each token over [`EXCERPT_CHARS`] characters cut as [`excerpt`] cuts it,
/// and the whole cut at [`MESSAGE_CHARS`]: for messages this crate does not write itself.
///
/// A token is a span in backticks or double quotes (a backslash escapes a quote inside
/// double quotes, as Rust's `{:?}` writes them), or else a run of characters without
/// whitespace. Short messages come back borrowed; shortening twice changes nothing more.
pub fn shorten(message: &str) -> Cow<'_, str> {
    if message.len() <= EXCERPT_CHARS {
        return Cow::Borrowed(message);
    }
    let mut out = String::new();
    let mut rest = message;
    let mut changed = false;
    while let Some(first) = rest.chars().next() {
        if first.is_whitespace() {
            out.push(first);
            rest = &rest[first.len_utf8()..];
            continue;
        }
        let len = token_len(rest, first);
        let token = &rest[..len];
        rest = &rest[len..];
        let quotes = matches!(first, '`' | '"') && len >= 2 && token.ends_with(first);
        let inner = if quotes { &token[1..len - 1] } else { token };
        match cut(inner) {
            None => out.push_str(token),
            Some((head, total)) => {
                changed = true;
                if quotes {
                    out.push(first);
                    out.push_str(head);
                    out.push('…');
                    out.push(first);
                } else {
                    out.push_str(head);
                    out.push('…');
                }
                out.push_str(&format!(" ({total} characters)"));
            }
        }
    }
    if let Some((head, total)) = cut_message(&out) {
        return Cow::Owned(format!("{head}… (message of {total} characters)"));
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(message)
    }
}

/// The length in bytes of the token `rest` starts with (its first character being `first`).
fn token_len(rest: &str, first: char) -> usize {
    match first {
        '`' => rest[1..].find('`').map_or(rest.len(), |i| i + 2),
        '"' => {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return i + 1,
                    _ => escaped = false,
                }
            }
            rest.len()
        }
        _ => rest.find(char::is_whitespace).unwrap_or(rest.len()),
    }
}

/// When a shortened message is still over [`MESSAGE_CHARS`]: the head to keep and the
/// message's length in characters.
fn cut_message(message: &str) -> Option<(&str, usize)> {
    if message.len() <= MESSAGE_CHARS {
        return None;
    }
    let total = message.chars().count();
    if total <= MESSAGE_CHARS {
        return None;
    }
    let end = message
        .char_indices()
        .nth(MESSAGE_CHARS - 40)
        .map_or(message.len(), |(i, _)| i);
    Some((&message[..end], total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_up_to_the_limit_are_whole() {
        let exact = "é".repeat(EXCERPT_CHARS);
        assert_eq!(excerpt(&exact).to_string(), exact);
        assert_eq!(excerpt("").quoted().to_string(), "``");
        let over = "é".repeat(EXCERPT_CHARS + 1);
        let shown = excerpt(&over).to_string();
        assert_eq!(
            shown,
            format!("{}… (81 characters)", "é".repeat(EXCERPT_CHARS - 1))
        );
        assert_eq!(
            shown.split(' ').next().unwrap().chars().count(),
            EXCERPT_CHARS
        );
    }

    #[test]
    fn shorten_cuts_each_long_token_and_keeps_the_rest() {
        let long = "a".repeat(1_000);
        let message =
            format!("invalid type: string \"{long}\\\" {long}\", expected `{long}` near {long} ok");
        let short = shorten(&message);
        let a79 = "a".repeat(EXCERPT_CHARS - 1);
        assert_eq!(
            short,
            format!(
                "invalid type: string \"{a79}…\" (2003 characters), expected `{a79}…` \
                 (1000 characters) near {a79}… (1000 characters) ok"
            )
        );
        assert_eq!(shorten(&short), short, "shortening twice changes nothing");
        assert!(matches!(shorten("short"), Cow::Borrowed(_)));
        let plain = "a message of many short words ".repeat(3);
        assert!(matches!(shorten(&plain), Cow::Borrowed(_)));
    }

    #[test]
    fn a_message_of_many_tokens_is_cut_whole() {
        let message = format!("expected a keyword, not [{}]", "1 ".repeat(1_000_000));
        let total = message.chars().count();
        let short = shorten(&message);
        assert!(short.chars().count() < MESSAGE_CHARS, "{short}");
        assert!(short.starts_with("expected a keyword, not [1 1"), "{short}");
        assert!(
            short.ends_with(&format!("… (message of {total} characters)")),
            "{short}"
        );
    }

    #[test]
    fn unclosed_quotes_run_to_the_end() {
        let message = format!("found `{}", "b".repeat(500));
        let short = shorten(&message);
        assert!(short.len() < 2 * EXCERPT_CHARS, "{short}");
        assert!(short.ends_with("(501 characters)"), "{short}");
    }
}
