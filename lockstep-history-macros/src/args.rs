//! The attribute's arguments: `#[recorded(f = "write", skip(opts), err = "info", ...)]`,
//! parsed into [`Args`] as written. Checking them against the function is `expand`'s job.

use proc_macro2::{Span, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Path, Token, parenthesized};

/// Every key the attribute accepts, for the unknown-key message.
const KEYS: &str = "`f`, `skip`, `value`, `output`, `err`, `classify`, `crate`";

/// The arguments as written; each key at most once.
#[derive(Default)]
pub(crate) struct Args {
    /// `f = "name"`: the operation's name.
    pub f: Option<LitStr>,
    /// `skip(a, b)`: parameters left out of the invoke value.
    pub skip: Option<Keyed<Vec<Ident>>>,
    /// `value = expr`: the invoke value, replacing the arguments.
    pub value: Option<Keyed<Expr>>,
    /// `output = |value| expr` (or an expression over the arguments alone): what the ok
    /// event records instead of the ok value.
    pub output: Option<Keyed<Expr>>,
    /// `err = "fail" | "info"`: how an `Err` ends the operation.
    pub err: Option<Keyed<OnErr>>,
    /// `classify = path`: `fn(&E) -> Completion` deciding per error.
    pub classify: Option<Keyed<Expr>>,
    /// `crate = path`: where the runtime crate is, when renamed or re-exported.
    pub krate: Option<Path>,
    /// The pairs that did not parse, combined; the fields above hold the ones that did, so
    /// they can still be checked against the function and every error shows at once.
    pub errors: Option<syn::Error>,
}

/// A value together with the span of the key that set it, for errors about the key.
pub(crate) struct Keyed<T> {
    pub key: Span,
    pub value: T,
}

/// What `err = "..."` says an `Err` means.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnErr {
    Fail,
    Info,
}

impl Parse for Args {
    /// Parses every `key = value` pair, keeping the errors of the bad ones in `errors` so
    /// that all of them are reported, not only the first.
    fn parse(input: ParseStream) -> syn::Result<Args> {
        let mut args = Args::default();
        while !input.is_empty() {
            let key = Ident::parse_any(input)?;
            if let Err(e) = args.parse_value(&key, input) {
                push(&mut args.errors, e);
                skip_to_comma(input);
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

impl Args {
    fn parse_value(&mut self, key: &Ident, input: ParseStream) -> syn::Result<()> {
        let name = key.to_string();
        let repeated = || syn::Error::new(key.span(), format!("`{name}` is given twice"));
        let span = key.span();
        match name.as_str() {
            "f" => {
                let lit = parse_str_value(input, "f", "`f = \"write\"`")?;
                set(&mut self.f, lit).map_err(|()| repeated())
            }
            "skip" => {
                let content;
                parenthesized!(content in input);
                let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(
                    &content,
                    Ident::parse_any,
                )?;
                let value = names.into_iter().collect();
                set(&mut self.skip, Keyed { key: span, value }).map_err(|()| repeated())
            }
            "value" => {
                input.parse::<Token![=]>()?;
                let value = input.parse()?;
                set(&mut self.value, Keyed { key: span, value }).map_err(|()| repeated())
            }
            "output" => {
                input.parse::<Token![=]>()?;
                let value = input.parse()?;
                set(&mut self.output, Keyed { key: span, value }).map_err(|()| repeated())
            }
            "err" => {
                let lit = parse_str_value(input, "err", "`err = \"info\"`")?;
                let value = match lit.value().as_str() {
                    "fail" => OnErr::Fail,
                    "info" => OnErr::Info,
                    other => {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!(
                                "`err` must be \"fail\" (an error means the operation did not \
                                 take effect) or \"info\" (its outcome is unknown), not {other:?}"
                            ),
                        ));
                    }
                };
                set(&mut self.err, Keyed { key: span, value }).map_err(|()| repeated())
            }
            "classify" => {
                input.parse::<Token![=]>()?;
                let value = input.parse()?;
                set(&mut self.classify, Keyed { key: span, value }).map_err(|()| repeated())
            }
            "crate" => {
                input.parse::<Token![=]>()?;
                let path = Path::parse_mod_style(input)?;
                set(&mut self.krate, path).map_err(|()| repeated())
            }
            _ => Err(syn::Error::new(
                key.span(),
                format!("unknown `recorded` option `{name}`; expected one of {KEYS}"),
            )),
        }
    }
}

/// Parses `= "literal"`, with an error naming `key` and showing `example` otherwise.
fn parse_str_value(input: ParseStream, key: &str, example: &str) -> syn::Result<LitStr> {
    input.parse::<Token![=]>()?;
    match input.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a string literal, as in {example}"),
        )),
    }
}

fn set<T>(slot: &mut Option<T>, value: T) -> Result<(), ()> {
    if slot.is_some() {
        return Err(());
    }
    *slot = Some(value);
    Ok(())
}

/// Adds `e` to the errors found so far.
pub(crate) fn push(errors: &mut Option<syn::Error>, e: syn::Error) {
    match errors {
        Some(errors) => errors.combine(e),
        None => *errors = Some(e),
    }
}

/// Skips the rest of a bad `key = value` pair so the next pairs can still be checked.
fn skip_to_comma(input: ParseStream) {
    while !input.is_empty() && !input.peek(Token![,]) {
        if input.parse::<TokenTree>().is_err() {
            break;
        }
    }
}
