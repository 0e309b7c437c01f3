//! The `#[recorded]` attribute for `lockstep-history`.
//!
//! Use it through the runtime crate (`use lockstep_history::recorded;`), never directly.

mod args;
mod expand;

use proc_macro::TokenStream;

/// Records every outermost call of a function as one operation of the current history.
#[proc_macro_attribute]
pub fn recorded(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::recorded(args.into(), item.into()).into()
}
