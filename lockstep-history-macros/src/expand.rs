//! From the parsed arguments and the function to the recorded function.
//!
//! Three passes: [`check`] finds every way the arguments do not fit the function,
//! [`Recorded::new`] then settles every choice (the name, what the invoke records, what an
//! error means) into a small model, and [`Recorded::expand`] only generates. On any error the function is emitted unchanged beside the errors, so the rest
//! of the crate still compiles and only the attribute's own errors show.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{
    Expr, FnArg, GenericArgument, Ident, Item, ItemFn, LitStr, Pat, PathArguments, ReturnType,
    Signature, Token, Type, TypeParamBound,
};

use crate::args::{Args, Keyed, OnErr, push};

/// Expands `#[recorded(args)] item`.
pub(crate) fn recorded(args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => return unchanged(not_a_function(&item), item),
    };
    let model = syn::parse2::<Args>(args).and_then(|args| Recorded::new(args, &function));
    match model {
        Ok(model) => model.expand(function),
        Err(errors) => unchanged(errors, item),
    }
}

/// The item as it was, after the errors.
fn unchanged(errors: syn::Error, item: TokenStream) -> TokenStream {
    let errors = errors.to_compile_error();
    quote!(#errors #item)
}

/// The error for an attribute on something other than a function with a body.
fn not_a_function(item: &TokenStream) -> syn::Error {
    if let Ok(declaration) = syn::parse2::<syn::TraitItemFn>(item.clone()) {
        return syn::Error::new_spanned(
            spanned(&declaration.sig.fn_token, &declaration.sig.ident),
            "`#[recorded]` needs a function body to record: put it on the method in each \
             `impl` of the trait, or give this method a default body",
        );
    }
    let (what, tokens): (&str, TokenStream) = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Struct(s)) => ("a struct", spanned(&s.struct_token, &s.ident)),
        Ok(Item::Enum(e)) => ("an enum", spanned(&e.enum_token, &e.ident)),
        Ok(Item::Union(u)) => ("a union", spanned(&u.union_token, &u.ident)),
        Ok(Item::Trait(t)) => ("a trait", spanned(&t.trait_token, &t.ident)),
        Ok(Item::Impl(i)) => ("an impl block", i.impl_token.to_token_stream()),
        Ok(Item::Mod(m)) => ("a module", spanned(&m.mod_token, &m.ident)),
        Ok(Item::Const(c)) => ("a const", spanned(&c.const_token, &c.ident)),
        Ok(Item::Static(s)) => ("a static", spanned(&s.static_token, &s.ident)),
        Ok(Item::Type(t)) => ("a type alias", spanned(&t.type_token, &t.ident)),
        _ => ("this item", TokenStream::new()),
    };
    let message = format!(
        "`#[recorded]` goes on a function or method with a body, not on {what}: \
         it records each call as an operation"
    );
    if tokens.is_empty() {
        syn::Error::new(Span::call_site(), message)
    } else {
        syn::Error::new_spanned(tokens, message)
    }
}

/// Everything the expansion needs to know, checked against the function.
struct Recorded {
    /// The operation name, `f`.
    f: LitStr,
    /// The runtime crate's path: `::lockstep_history` unless `crate = ...` says otherwise.
    krate: TokenStream,
    invoke: Invoke,
    /// What the ok event records.
    output: Output,
    on_err: OnError,
    /// How the function delivers its result: returned, or through a future.
    shape: Shape,
    /// The names the parameters bind, to borrow those that `value` or `output` use.
    bindings: Vec<Ident>,
    /// Where the return type is written (the name, when there is none): errors about the
    /// result show there.
    ret_span: Span,
}

/// How a function delivers the result the completion records.
enum Shape {
    /// A plain `fn`: its return value, of this type (`impl Trait` as `_`).
    Returned(Type),
    /// An `async fn` returning this type.
    Async(Type),
    /// A plain `fn` returning a future (`impl Future<Output = T>`, `Pin<Box<dyn Future<…>>>`,
    /// `BoxFuture<'_, T>`) whose output is this type; `boxed` when it returns a `Pin<Box<…>>`.
    Future { output: Type, boxed: bool },
}

/// What the ok event records.
enum Output {
    /// The ok value, which must be `Serialize`; the span is the return type's, where an error
    /// about it shows.
    Value(Span),
    /// The ok value of a function that never returns: there is none.
    Never,
    /// `output = |pat| expr`: `expr`, with `pat` bound to a reference to the ok value.
    Expr {
        pat: Option<Box<Pat>>,
        expr: Box<Expr>,
    },
}

/// What the invoke event records.
enum Invoke {
    /// The recorded parameters in order: none is nil, one is its value, several a vector.
    Params(Vec<Param>),
    /// `value = expr`.
    Expr(Expr),
}

/// A parameter that is recorded, by the names it binds: `x` binds one, `(a, b)` two.
struct Param {
    bindings: Vec<Ident>,
}

/// What an `Err` return means.
enum OnError {
    Fail,
    Info,
    Classify(Expr),
}

impl Recorded {
    /// Checks the arguments against the function, then settles every choice.
    fn new(mut args: Args, function: &ItemFn) -> syn::Result<Recorded> {
        let params = parameters(function);
        let mut errors = args.errors.take();
        for e in check(&args, function, &params) {
            push(&mut errors, e);
        }
        if let Some(errors) = errors {
            return Err(errors);
        }

        let skipped: &[Ident] = args.skip.as_ref().map_or(&[], |s| &s.value);
        let f = args.f.unwrap_or_else(|| {
            LitStr::new(&function.sig.ident.unraw().to_string(), Span::call_site())
        });
        let krate = args
            .krate
            .map_or_else(|| quote!(::lockstep_history), ToTokens::into_token_stream);
        let invoke = match args.value {
            Some(Keyed { value, .. }) => Invoke::Expr(value),
            // A parameter that binds nothing (`_`) has nothing to record.
            None => Invoke::Params(
                params
                    .into_iter()
                    .filter(|p| !p.bindings.is_empty())
                    .filter(|p| !p.bindings.iter().any(|b| skipped.contains(b)))
                    .collect(),
            ),
        };
        let shape = Shape::of(function);
        let ret_span = match &function.sig.output {
            ReturnType::Type(_, ty) => syn::spanned::Spanned::span(ty),
            ReturnType::Default => function.sig.ident.span(),
        };
        let output = match args.output {
            Some(Keyed { value, .. }) => Output::of(value),
            None if shape.is_never() => Output::Never,
            None => Output::Value(ret_span),
        };
        let on_err = match (args.classify, args.err) {
            (Some(classify), _) => OnError::Classify(classify.value),
            (
                None,
                Some(Keyed {
                    value: OnErr::Info, ..
                }),
            ) => OnError::Info,
            (None, _) => OnError::Fail,
        };
        let bindings = parameters(function)
            .into_iter()
            .flat_map(|p| p.bindings)
            .collect();
        let recorded = Recorded {
            f,
            krate,
            invoke,
            output,
            on_err,
            shape,
            bindings,
            ret_span,
        };
        recorded.check_output()?;
        Ok(recorded)
    }

    fn expand(self, function: ItemFn) -> TokenStream {
        let ItemFn {
            attrs,
            vis,
            modifiers,
            sig,
            block,
        } = function;
        let defaultness = modifiers.defaultness;
        let brace_span = block.brace_token.span.join();
        let krate = &self.krate;
        let f = &self.f;
        let op = hidden("op");
        let invoke = self.invoke_value();
        let outcome = self.outcome();
        // When `output` reads an argument after the body ran, the body borrows the arguments
        // it does not consume rather than moving them all.
        let capture = if self.output_uses_arguments() {
            TokenStream::new()
        } else {
            quote!(move)
        };
        let track_caller = attrs.iter().any(|a| a.path().is_ident("track_caller"));
        let mut sig = sig;
        let body = match &self.shape {
            // The body of a `#[track_caller]` fn runs inline, where it sees the caller.
            Shape::Returned(ret) if track_caller && !self.shape.is_never() => {
                let result = hidden("result");
                let block = inline_body(*block, krate);
                let begin = self.begin_sync(&op, &invoke, &mut sig);
                quote! {
                    #begin
                    let #op = #krate::__private::Inline::new(#op);
                    let #result: #ret = #block;
                    #op.finish(&#result, #outcome);
                    #result
                }
            }
            Shape::Returned(ret) => {
                let call = quote! {
                    #krate::__private::run::<#ret, _, _>(#op, #capture || #block, #outcome)
                };
                // A function that never returns (`-> !`) runs its body as returning
                // `Infallible`, which a diverging body coerces to, and matches the
                // impossible result away.
                let call = if self.shape.is_never() {
                    quote!(match #call {})
                } else {
                    call
                };
                let begin = self.begin_sync(&op, &invoke, &mut sig);
                quote! {
                    #begin
                    #call
                }
            }
            Shape::Async(ret) => quote! {
                let #op = #krate::__private::begin(#f, || #invoke);
                #krate::__private::run_async::<#ret, _, _>(#op, async #capture #block, #outcome)
                    .await
            },
            Shape::Future { output, boxed } => {
                let args = hidden("args");
                let future = hidden("future");
                let call = quote! {
                    #krate::__private::run_future::<#output, _, _>(#f, #args, #future, #outcome)
                };
                let call = if *boxed {
                    quote!(::std::boxed::Box::pin(#call))
                } else {
                    call
                };
                quote! {
                    let #args = #krate::__private::capture(|| #invoke);
                    let #future = (move || #block)();
                    #call
                }
            }
        };
        // The new body keeps the braces' span of the old one, so the function's span is
        // the user's (which is what `dead_code` and other item lints look at).
        let mut body = Group::new(Delimiter::Brace, body);
        body.set_span(brace_span);
        quote! {
            #(#attrs)*
            #vis #defaultness #sig #body
        }
    }

    /// The statement that begins a synchronous call, binding `op` to the operation.
    ///
    /// The arguments the invoke value reads pass through `begin_with` by value and are
    /// bound again under their own names, rather than borrowed by a closure. A borrowed
    /// argument must live in memory, and the compiler then stores it there on every call,
    /// also when nothing records; passed by value, it stays in a register on the path that
    /// records nothing, which is then one load and a branch. A `mut` parameter so passed
    /// loses its `mut` in the signature and keeps it where it is bound again, which is the
    /// binding the body uses.
    fn begin_sync(&self, op: &Ident, invoke: &TokenStream, sig: &mut Signature) -> TokenStream {
        let (krate, f) = (&self.krate, &self.f);
        let moved = self.invoke_bindings();
        if moved.is_empty() {
            return quote!(let #op = #krate::__private::begin(#f, || #invoke););
        }
        let mut muts = Vec::new();
        for input in &mut sig.inputs {
            if let FnArg::Typed(typed) = input {
                take_mut(&mut typed.pat, &moved, &mut muts);
            }
        }
        let rebound = moved
            .iter()
            .map(|name| match muts.iter().find(|(bound, _)| bound == name) {
                Some((_, token)) => quote!(#token #name),
                None => quote!(#name),
            });
        // Passing an argument on is no use of it by the user's code (`_x` stays unused).
        let passed: Vec<Ident> = moved.iter().map(generated_use).collect();
        quote! {
            #[allow(unused_variables)]
            let (#op, (#(#rebound,)*)) = #krate::__private::begin_with(
                #f,
                (#(#passed,)*),
                |(#(#moved,)*)| (#invoke, (#(#passed,)*)),
            );
        }
    }

    /// The parameter bindings the invoke value reads.
    fn invoke_bindings(&self) -> Vec<Ident> {
        match &self.invoke {
            Invoke::Params(params) => params.iter().flat_map(|p| p.bindings.clone()).collect(),
            Invoke::Expr(expr) => self
                .used(expr.to_token_stream())
                .into_iter()
                .cloned()
                .collect(),
        }
    }

    /// `output` fits the function: a closure takes the ok value alone, and a function
    /// returning a future cannot read its arguments after them moved into the future.
    fn check_output(&self) -> syn::Result<()> {
        let Output::Expr { expr, .. } = &self.output else {
            return Ok(());
        };
        if let Expr::Closure(closure) = &**expr {
            // On the parameters between the bars (the bars too, so none still has a place).
            let (open, inputs, close) =
                (&closure.inputs_begin, &closure.inputs, &closure.inputs_end);
            return Err(syn::Error::new_spanned(
                quote!(#open #inputs #close),
                "`output = |value| ...` takes one parameter: a reference to the ok value",
            ));
        }
        match (&self.shape, self.used(expr.to_token_stream()).first()) {
            (Shape::Future { .. }, Some(name)) => Err(syn::Error::new(
                name.span(),
                format!(
                    "`output` cannot read `{name}`: this function returns a future, into which \
                     its arguments have moved by the time the result is known; make it an \
                     `async fn`, or record only the ok value (`output = |value| ...`)"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Whether `output = ...` names an argument, which must then outlive the body.
    fn output_uses_arguments(&self) -> bool {
        match &self.output {
            Output::Expr { expr, .. } => !self.used(expr.to_token_stream()).is_empty(),
            Output::Value(_) | Output::Never => false,
        }
    }

    /// The parameter bindings that `tokens` names.
    fn used(&self, tokens: TokenStream) -> Vec<&Ident> {
        let mut found = Vec::new();
        for name in &self.bindings {
            if first_ident(tokens.clone(), &[name]).is_some() && !found.contains(&name) {
                found.push(name);
            }
        }
        found
    }

    /// `let name = &name;` for each argument `expr` names, so that `value` and `output`
    /// expressions borrow the arguments rather than move them. The binding takes the span of
    /// the name as the expression wrote it, so that name resolves to it.
    fn borrow_arguments(&self, expr: &Expr) -> TokenStream {
        let tokens = expr.to_token_stream();
        self.used(tokens.clone())
            .into_iter()
            .filter_map(|name| first_ident(tokens.clone(), &[name]))
            .map(|name| {
                quote! {
                    #[allow(unused_variables)]
                    let #name = &#name;
                }
            })
            .collect()
    }

    /// The expression for the invoke value, evaluated only when the call is recorded.
    fn invoke_value(&self) -> TokenStream {
        let krate = &self.krate;
        match &self.invoke {
            Invoke::Expr(expr) => {
                let borrows = self.borrow_arguments(expr);
                let value = quote_spanned!(expr_span(expr)=> #krate::__private::value(&(#expr)));
                quote!({ #borrows #value })
            }
            Invoke::Params(params) => {
                let values: Vec<TokenStream> = params.iter().map(|p| p.value(krate)).collect();
                match values.as_slice() {
                    [] => quote!(#krate::__private::nil()),
                    [one] => one.clone(),
                    many => quote!(#krate::__private::vector([#(#many),*])),
                }
            }
        }
    }

    /// The closure that reads the body's result: which completion, with which value.
    fn outcome(&self) -> TokenStream {
        let krate = &self.krate;
        let result = hidden("result");
        let ok = hidden("ok");
        let err = hidden("err");
        let completion = match &self.on_err {
            OnError::Fail => quote!(#krate::__private::Completion::Fail),
            OnError::Info => quote!(#krate::__private::Completion::Info),
            OnError::Classify(classify) => quote!((#classify)(#err)),
        };
        let on_ok = match &self.output {
            Output::Value(span) => {
                // The error for a result that is not `Serialize` shows on the return type.
                let mut value = ok.clone();
                value.set_span(Span::mixed_site().located_at(*span));
                quote_spanned!(*span=> #krate::__private::ok(#value))
            }
            Output::Never => quote!(match *#ok {}),
            Output::Expr { pat, expr } => {
                let bind = pat.as_ref().map(|pat| quote!(let #pat = #ok;));
                let borrows = self.borrow_arguments(expr);
                let value = quote_spanned!(expr_span(expr)=> #krate::__private::output(&(#expr)));
                quote!({ #borrows #bind #value })
            }
        };
        // A plain fn's result must not be a future the shape did not recognise (one behind
        // a type alias): recorded as a value, its work would go unrecorded.
        let not_a_future = match &self.shape {
            Shape::Returned(_) if !self.shape.is_never() => {
                let span = Span::mixed_site().located_at(self.ret_span);
                quote_spanned! {span=>
                    #krate::__private::not_a_future(
                        (&&#krate::__private::FutureProbe(#result)).__lockstep_probe(),
                    );
                }
            }
            _ => TokenStream::new(),
        };
        quote! {
            |#result| {
                use #krate::__private::dispatch::*;
                #not_a_future
                (&&&#krate::__private::Wrap(#result)).__lockstep_outcome(
                    |#ok| #on_ok,
                    |#err| #krate::__private::Outcome::error(
                        #completion,
                        (&&&&#krate::__private::Wrap(#err)).__lockstep_error(),
                    ),
                )
            }
        }
    }
}

impl Shape {
    /// The shape of `function`, from its `async` and its return type.
    fn of(function: &ItemFn) -> Shape {
        let sig = &function.sig;
        let ret = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => {
                syn::parse_quote!(::core::convert::Infallible)
            }
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        if sig.asyncness.is_some() {
            return Shape::Async(infer_opaque(&ret));
        }
        match future_output(&ret) {
            Some((output, boxed)) => Shape::Future {
                output: infer_opaque(&output),
                boxed,
            },
            None => Shape::Returned(infer_opaque(&ret)),
        }
    }

    /// Whether the function never returns: its result type is `Infallible` (from `-> !`).
    fn is_never(&self) -> bool {
        matches!(self, Shape::Returned(Type::Path(p))
            if p.path.segments.last().is_some_and(|s| s.ident == "Infallible")
                && p.path.leading_colon.is_some())
    }
}

impl Output {
    /// `output = |pat| expr` binds the ok value to `pat`; any other expression is over the
    /// arguments alone.
    fn of(expr: Expr) -> Output {
        match expr {
            Expr::Closure(closure) if closure.inputs.len() == 1 => Output::Expr {
                pat: closure.inputs.into_iter().next().map(Box::new),
                expr: closure.body,
            },
            expr => Output::Expr {
                pat: None,
                expr: Box::new(expr),
            },
        }
    }
}

/// A body to run inline, with its early exits (`return`, `?`) turned into breaks out of a
/// labelled block, so the result they give is recorded. Closures, async blocks and nested
/// items keep theirs: they exit something else. A `return` or `?` hidden in a macro call
/// (`bail!`, `vec![f()?]`) is not seen: the call then ends in `info`, with a reason saying
/// so, since its result was not seen.
fn inline_body(mut block: syn::Block, krate: &TokenStream) -> TokenStream {
    let label = syn::Lifetime::new("'__lockstep_body", Span::mixed_site());
    let mut exits = Exits {
        label: &label,
        krate,
        found: false,
    };
    syn::visit_mut::VisitMut::visit_block_mut(&mut exits, &mut block);
    if exits.found {
        quote!(#label: #block)
    } else {
        block.into_token_stream()
    }
}

/// Rewrites the early exits of an inline body; see [`inline_body`].
struct Exits<'a> {
    label: &'a syn::Lifetime,
    krate: &'a TokenStream,
    found: bool,
}

impl syn::visit_mut::VisitMut for Exits<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        let (label, krate) = (self.label, self.krate);
        match expr {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Return(ret) => {
                syn::visit_mut::visit_expr_return_mut(self, ret);
                let span = ret.return_token.span;
                let value = ret
                    .expr
                    .as_ref()
                    .map_or_else(|| quote!(()), ToTokens::to_token_stream);
                *expr = syn::parse_quote_spanned!(span=> break #label #value);
                self.found = true;
            }
            Expr::Try(question) => {
                syn::visit_mut::visit_expr_try_mut(self, question);
                let span = question.question_token.span;
                let inner = &question.expr;
                let (value, residual) = (hidden("value"), hidden("residual"));
                *expr = syn::parse_quote_spanned! {span=>
                    match #krate::__private::Branch::__lockstep_branch(#inner) {
                        ::core::ops::ControlFlow::Continue(#value) => #value,
                        ::core::ops::ControlFlow::Break(#residual) => break #label
                            #krate::__private::FromResidual::__lockstep_from_residual(#residual),
                    }
                };
                self.found = true;
            }
            _ => syn::visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}

/// The output type of a future return type, and whether it is boxed: `impl Future<Output =
/// T>`, `Pin<Box<dyn Future<Output = T> + …>>` (what `#[async_trait]` produces) or
/// `BoxFuture<'_, T>`/`LocalBoxFuture<'_, T>`. Only the future protocol is recognised by
/// its shape; every other return type is a value.
fn future_output(ty: &Type) -> Option<(Type, bool)> {
    match ty {
        Type::ImplTrait(t) => future_bound(t.bounds.iter()).map(|o| (o, false)),
        Type::Paren(p) => future_output(&p.elem),
        Type::Group(g) => future_output(&g.elem),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            let mut types = args.args.iter().filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            });
            if last.ident == "BoxFuture" || last.ident == "LocalBoxFuture" {
                return types.next().cloned().map(|o| (o, true));
            }
            if last.ident != "Pin" {
                return None;
            }
            let Type::Path(boxed) = types.next()? else {
                return None;
            };
            let last = boxed.path.segments.last()?;
            if last.ident != "Box" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            match args.args.first()? {
                GenericArgument::Type(Type::TraitObject(object)) => {
                    future_bound(object.bounds.iter()).map(|o| (o, true))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The `Output` of a `Future<Output = T>` among `bounds`.
fn future_bound<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> Option<Type> {
    bounds.find_map(|bound| {
        let TypeParamBound::Trait(t) = bound else {
            return None;
        };
        let last = t.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(assoc.ty.clone()),
            _ => None,
        })
    })
}

/// Every way the arguments do not fit the function (or each other).
fn check(args: &Args, function: &ItemFn, params: &[Param]) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    if let Some(constness) = &function.sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            "`#[recorded]` cannot go on a `const fn`: recording a call happens at run time",
        ));
    }
    if let Some(skip) = &args.skip {
        if args.value.is_some() {
            errors.push(syn::Error::new(
                skip.key,
                "`skip` has no effect beside `value`, which replaces all the arguments: \
                 drop one of them",
            ));
        }
        for (i, name) in skip.value.iter().enumerate() {
            if let Err(e) = check_skip(name, params, function, &skip.value[..i]) {
                errors.push(e);
            }
        }
    }
    if let (Some(_), Some(classify)) = (&args.err, &args.classify) {
        errors.push(syn::Error::new(
            classify.key,
            "`classify` decides for each error whether it is `fail` or `info`, so `err` \
             cannot be given with it: drop `err`",
        ));
    }
    errors
}

/// The first of `names` in `tokens`, at any depth.
fn first_ident(tokens: TokenStream, names: &[&Ident]) -> Option<Ident> {
    tokens.into_iter().find_map(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) if names.iter().any(|n| **n == i) => Some(i),
        proc_macro2::TokenTree::Group(g) => first_ident(g.stream(), names),
        _ => None,
    })
}

impl Param {
    /// The parameter's invoke value. Each binding is converted where the user named it, so
    /// a type that cannot be recorded is reported on that parameter.
    fn value(&self, krate: &TokenStream) -> TokenStream {
        let values: Vec<TokenStream> = self
            .bindings
            .iter()
            .map(|b| {
                // An error about the argument's type shows at the parameter.
                let b = generated_use(b);
                quote_spanned!(b.span()=> #krate::__private::arg(&#b))
            })
            .collect();
        match values.as_slice() {
            [] => quote!(#krate::__private::nil()),
            [one] => one.clone(),
            many => quote!(#krate::__private::vector([#(#many),*])),
        }
    }
}

/// `binding` as generated code uses it: a binding named `_x` is resolved as generated code
/// (still shown where the user wrote it), so that clippy does not take recording it for a
/// use of an `_`-prefixed binding by the user.
fn generated_use(binding: &Ident) -> Ident {
    let mut binding = binding.clone();
    if binding.unraw().to_string().starts_with('_') {
        binding.set_span(Span::call_site().located_at(binding.span()));
    }
    binding
}

/// The typed parameters (not `self`), with the names each binds.
fn parameters(function: &ItemFn) -> Vec<Param> {
    function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => {
                let mut bindings = Vec::new();
                bindings_of(&typed.pat, &mut bindings);
                Some(Param { bindings })
            }
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// The names a pattern binds, in order.
fn bindings_of(pat: &Pat, out: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(p) => out.push(p.ident.clone()),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| bindings_of(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bindings_of(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| bindings_of(&f.pat, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| bindings_of(p, out)),
        Pat::Reference(r) => bindings_of(&r.pat, out),
        Pat::Paren(p) => bindings_of(&p.pat, out),
        Pat::Type(t) => bindings_of(&t.pat, out),
        _ => {}
    }
}

/// Takes the `mut` off each binding in `pat` that `names` lists, into `out`.
fn take_mut(pat: &mut Pat, names: &[Ident], out: &mut Vec<(Ident, Token![mut])>) {
    match pat {
        Pat::Ident(p) => {
            if p.by_ref.is_none()
                && names.contains(&p.ident)
                && let Some(token) = p.mutability.take()
            {
                out.push((p.ident.clone(), token));
            }
            if let Some((_, sub)) = &mut p.subpat {
                take_mut(sub, names, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter_mut().for_each(|p| take_mut(p, names, out)),
        Pat::TupleStruct(t) => t.elems.iter_mut().for_each(|p| take_mut(p, names, out)),
        Pat::Struct(s) => s
            .fields
            .iter_mut()
            .for_each(|f| take_mut(&mut f.pat, names, out)),
        Pat::Slice(s) => s.elems.iter_mut().for_each(|p| take_mut(p, names, out)),
        Pat::Reference(r) => take_mut(&mut r.pat, names, out),
        Pat::Paren(p) => take_mut(&mut p.pat, names, out),
        Pat::Type(t) => take_mut(&mut t.pat, names, out),
        _ => {}
    }
}

/// Checks that `skip(name)` names a recorded parameter, once.
fn check_skip(
    name: &Ident,
    params: &[Param],
    function: &ItemFn,
    skipped: &[Ident],
) -> syn::Result<()> {
    if name == "self" {
        return Err(syn::Error::new(
            name.span(),
            "`self` is never recorded, so it cannot be skipped",
        ));
    }
    if skipped.contains(name) {
        return Err(syn::Error::new(
            name.span(),
            format!("`{name}` is skipped twice"),
        ));
    }
    if params.iter().any(|p| p.bindings.contains(name)) {
        return Ok(());
    }
    let names: Vec<String> = params
        .iter()
        .flat_map(|p| &p.bindings)
        .map(|b| format!("`{b}`"))
        .collect();
    let known = if names.is_empty() {
        String::from("it has no parameters to skip")
    } else {
        format!("its parameters are {}", names.join(", "))
    };
    Err(syn::Error::new(
        name.span(),
        format!(
            "`skip({name})`: `{}` has no parameter named `{name}`; {known}",
            function.sig.ident
        ),
    ))
}

/// The return type with each `impl Trait` (and `!`) as `_`, so it can name the body's type
/// in an expression: `impl Iterator<Item = u8>` becomes `_`, `Result<impl Display, E>`
/// becomes `Result<_, E>`.
fn infer_opaque(ty: &Type) -> Type {
    let mut ty = ty.clone();
    replace_opaque(&mut ty);
    ty
}

fn replace_opaque(ty: &mut Type) {
    match ty {
        Type::ImplTrait(_) | Type::Never(_) => {
            *ty = Type::Infer(syn::TypeInfer {
                attrs: Vec::new(),
                underscore_token: Default::default(),
            });
        }
        Type::Reference(r) => replace_opaque(&mut r.elem),
        Type::Ptr(p) => replace_opaque(&mut p.elem),
        Type::Slice(s) => replace_opaque(&mut s.elem),
        Type::Array(a) => replace_opaque(&mut a.elem),
        Type::Paren(p) => replace_opaque(&mut p.elem),
        Type::Group(g) => replace_opaque(&mut g.elem),
        Type::Tuple(t) => t.elems.iter_mut().for_each(replace_opaque),
        Type::Path(p) => {
            if let Some(qself) = &mut p.qself {
                replace_opaque(&mut qself.ty);
            }
            for segment in &mut p.path.segments {
                match &mut segment.arguments {
                    PathArguments::AngleBracketed(args) => {
                        for arg in &mut args.args {
                            if let GenericArgument::Type(ty) = arg {
                                replace_opaque(ty);
                            }
                        }
                    }
                    PathArguments::Parenthesized(args) => {
                        args.inputs
                            .iter_mut()
                            .for_each(|arg| replace_opaque(&mut arg.ty));
                        if let ReturnType::Type(_, ty) = &mut args.output {
                            replace_opaque(ty);
                        }
                    }
                    PathArguments::None => {}
                }
            }
        }
        _ => {}
    }
}

/// Tokens covering an item's keyword and name, for an error on both.
fn spanned(keyword: &impl ToTokens, name: &Ident) -> TokenStream {
    quote!(#keyword #name)
}

/// A span for tokens generated around a user expression: its first token's.
fn expr_span(expr: &Expr) -> Span {
    expr.to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// A hidden name for a generated local, invisible to the user's code.
fn hidden(name: &str) -> Ident {
    format_ident!("__lockstep_{}", name, span = Span::mixed_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(tokens: TokenStream) -> String {
        infer_opaque(&syn::parse2(tokens).unwrap())
            .into_token_stream()
            .to_string()
    }

    #[test]
    fn opaque_types_become_inferred() {
        assert_eq!(ty(quote!(impl Iterator<Item = u8>)), "_");
        assert_eq!(
            ty(quote!(Result<impl Display + '_, io::Error>)),
            "Result < _ , io :: Error >"
        );
        assert_eq!(
            ty(quote!((Box<dyn Fn() -> u8>, &'a [impl Send]))),
            "(Box < dyn Fn () -> u8 > , & 'a [_])"
        );
        assert_eq!(ty(quote!(!)), "_");
        assert_eq!(ty(quote!(Vec<&str>)), "Vec < & str >");
    }

    fn future(tokens: TokenStream) -> Option<(String, bool)> {
        future_output(&syn::parse2(tokens).unwrap())
            .map(|(ty, boxed)| (ty.into_token_stream().to_string(), boxed))
    }

    #[test]
    fn futures_are_recognised_by_shape() {
        let some = |ty: &str, boxed| Some((ty.to_string(), boxed));
        assert_eq!(
            future(quote!(impl Future<Output = u8> + Send + '_)),
            some("u8", false)
        );
        assert_eq!(
            future(quote!(
                impl Send + std::future::Future<Output = Result<u8, E>>
            )),
            some("Result < u8 , E >", false)
        );
        assert_eq!(
            future(quote!(
                Pin<Box<dyn Future<Output = Option<T>> + Send + 'async_trait>>
            )),
            some("Option < T >", true)
        );
        assert_eq!(future(quote!(BoxFuture<'a, u64>)), some("u64", true));
        assert_eq!(
            future(quote!(futures::future::LocalBoxFuture<'_, ()>)),
            some("()", true)
        );
        assert_eq!(future(quote!(Pin<Box<u8>>)), None);
        assert_eq!(future(quote!(impl Iterator<Item = u8>)), None);
        assert_eq!(future(quote!(Result<u8, E>)), None);
    }

    #[test]
    fn parameters_bind_in_order_and_skip_self() {
        let function: ItemFn = syn::parse2(quote! {
            fn f(&self, (a, [b, _]): (u8, [u8; 2]), mut c: u8, Point { x, y: z }: Point, _: u8) {}
        })
        .unwrap();
        let names: Vec<Vec<String>> = parameters(&function)
            .iter()
            .map(|p| p.bindings.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(names, [vec!["a", "b"], vec!["c"], vec!["x", "z"], vec![]]);
    }

    #[test]
    fn bad_options_are_all_reported_and_the_item_kept() {
        let out = recorded(
            quote!(f = 1, colour = "red", f = "x", f = "y", skip(nope)),
            quote!(
                fn write(v: u64) -> u64 {
                    v
                }
            ),
        )
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 4, "{out}");
        assert!(out.contains("colour"));
        assert!(out.contains("is given twice"));
        assert!(out.contains("no parameter named `nope`"));
        assert!(out.ends_with("fn write (v : u64) -> u64 { v }"), "{out}");
    }

    #[test]
    fn a_skip_naming_no_parameter_lists_the_parameters() {
        let out = recorded(
            quote!(skip(opt)),
            quote!(
                fn put(&self, key: u64, opts: u8) {}
            ),
        )
        .to_string();
        assert!(out.contains("its parameters are `key`, `opts`"), "{out}");
    }
}
