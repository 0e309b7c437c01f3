//! The HTML document around the page data: inline CSS and JavaScript, a strict Content
//! Security Policy, and the data embedded once as JSON that nothing in it can escape.

use std::fmt::Write as _;

use super::page::PageData;

const PAGE_CSS: &str = include_str!("page.css");
const PAGE_BODY: &str = include_str!("page.html");
const PAGE_JS: &str = include_str!("page.js");

/// The whole page for `data`.
pub(super) fn document(title: &str, data: &PageData) -> String {
    // serde_json cannot fail on these plain structs; fall back to an empty object anyway.
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    let mut html = String::with_capacity(json.len() + PAGE_CSS.len() + PAGE_JS.len() + 4096);
    html.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; \
         base-uri 'none'; form-action 'none'\">\n",
    );
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(html, "<title>{}</title>", escape_html(title));
    let _ = writeln!(html, "<style>\n{PAGE_CSS}</style>\n</head>");
    html.push_str(PAGE_BODY);
    html.push_str("<script type=\"application/json\" id=\"lockstep-data\">");
    html.push_str(&escape_script_json(&json));
    html.push_str("</script>\n<script>\n");
    html.push_str(PAGE_JS);
    html.push_str("</script>\n</body>\n</html>\n");
    html
}

/// Escapes text for HTML element content and attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Makes JSON safe inside a `<script>` element: nothing in it can close the element, open a
/// comment or end a JavaScript line. The characters only occur inside JSON strings, where
/// `\u` escapes mean the same thing, so the JSON still parses to the same data.
fn escape_script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}
