//! `#[protected]`: parse the options with darling and the handler with syn, validate both
//! (collecting every error), then expand to the handler with a guard extractor in front.

use darling::FromMeta;
use darling::ast::NestedMeta;
use darling::util::Flag;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, GenericArgument, Ident, ItemFn, Lit, Pat, PathArguments, Type};

use crate::options;
use crate::runtime_path::runtime_path;

/// The options, for the message about an unknown one.
const OPTIONS: &str = "`redirect`, `bearer`, `fresh`, `check` and `crate`";

/// The attribute's options, as darling reads them.
#[derive(FromMeta, Default)]
struct ProtectedArgs {
    /// `redirect = "/login"`
    redirect: Option<Verbatim>,
    /// `bearer`
    bearer: Flag,
    /// `fresh = "10m"`
    fresh: Option<Verbatim>,
    /// `check = path::to::fn`
    check: Option<syn::Path>,
    /// `crate = "path"`
    #[darling(rename = "crate")]
    krate: Option<syn::Path>,
}

/// An option's value as written: darling would parse a string literal's contents as an
/// expression, but these options are checked as literals.
struct Verbatim(Expr);

impl FromMeta for Verbatim {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        Ok(Self(expr.clone()))
    }
}

/// A handler parameter the guard fills: its pattern and type as written, and the user type
/// for `User<U>`.
struct Filled {
    pat: Box<Pat>,
    ty: Box<Type>,
    user_type: Option<Type>,
}

/// Everything the expansion needs, validated.
struct Handler {
    function: ItemFn,
    redirect: Option<String>,
    bearer: bool,
    fresh_seconds: Option<i64>,
    check: Option<syn::Path>,
    krate: Option<syn::Path>,
    session: Option<Filled>,
    user: Option<Filled>,
}

/// Entry point: the rewritten handler, or the errors next to the untouched item.
pub(crate) fn protected(args: TokenStream, item: TokenStream) -> TokenStream {
    match parse_and_validate(args, item.clone()) {
        Ok(handler) => expand(&handler),
        Err(errors) => {
            // The original item keeps the rest of the crate compiling, so the user sees
            // only the macro's errors.
            let errors = errors.write_errors();
            quote!(#errors #item)
        }
    }
}

fn parse_and_validate(args: TokenStream, item: TokenStream) -> darling::Result<Handler> {
    let mut errors = darling::Error::accumulator();
    let function = errors.handle(parse_function(item));
    let args = errors.handle(
        NestedMeta::parse_meta_list(args)
            .map_err(darling::Error::from)
            .and_then(|items| {
                ProtectedArgs::from_list(&items)
                    .map_err(|error| options::in_house_style(error, OPTIONS))
            }),
    );
    let (Some(function), Some(args)) = (function, args) else {
        return Err(errors.finish().expect_err("an error was pushed"));
    };

    errors.handle(check_signature(&function));
    let redirect = args
        .redirect
        .as_ref()
        .and_then(|value| errors.handle(check_redirect(&value.0)));
    if let (Some(_), true) = (&args.redirect, args.bearer.is_present()) {
        errors.push(
            darling::Error::custom(
                "`bearer` cannot be combined with `redirect`: API clients cannot follow a \
                 login redirect; remove one of the two",
            )
            .with_span(&args.bearer.span()),
        );
    }
    let fresh_seconds = args
        .fresh
        .as_ref()
        .and_then(|value| errors.handle(check_fresh(&value.0)));
    let (session, user) = errors
        .handle(find_filled(&function))
        .unwrap_or((None, None));
    if let (Some(check), None) = (&args.check, &user) {
        errors.push(
            darling::Error::custom(
                "`check` needs the user type: add a `User<YourUser>` parameter to the handler \
                 (name it `_user` if the body does not use it)",
            )
            .with_span(check),
        );
    }
    errors.finish()?;
    Ok(Handler {
        function,
        redirect,
        bearer: args.bearer.is_present(),
        fresh_seconds,
        check: args.check,
        krate: args.krate,
        session,
        user,
    })
}

fn parse_function(item: TokenStream) -> darling::Result<ItemFn> {
    let item: syn::Item = syn::parse2(item)?;
    match item {
        syn::Item::Fn(function) => Ok(function),
        other => Err(darling::Error::custom(
            "`#[protected]` goes on an `async fn` axum handler, not on this item",
        )
        .with_span(&item_keyword_span(&other))),
    }
}

/// The span of the item's keyword (`struct`, `impl`, ..), for a short error underline.
fn item_keyword_span(item: &syn::Item) -> Span {
    let mut tokens = quote!(#item).into_iter();
    // Skip outer attributes (`#` and `[...]`) and a visibility to land on the keyword.
    let mut span = item.span();
    while let Some(token) = tokens.next() {
        match &token {
            proc_macro2::TokenTree::Punct(punct) if punct.as_char() == '#' => {
                tokens.next();
            }
            proc_macro2::TokenTree::Ident(ident) if ident == "pub" => {}
            proc_macro2::TokenTree::Group(_) => {}
            _ => {
                span = token.span();
                break;
            }
        }
    }
    span
}

fn check_signature(function: &ItemFn) -> darling::Result<()> {
    let mut errors = darling::Error::accumulator();
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        errors.push(
            darling::Error::custom(
                "`#[protected]` handlers must be `async fn`: add `async` before `fn`",
            )
            .with_span(&signature.fn_token),
        );
    }
    if let Some(receiver) = signature.receiver() {
        errors.push(
            darling::Error::custom(
                "`#[protected]` does not work on methods: axum handlers are free functions \
                 without `self`; move this handler out of the `impl` block",
            )
            .with_span(&receiver.self_token),
        );
    }
    errors.finish()
}

/// A local path literal: one leading `/`, no backslash, only URL path and query characters.
fn check_redirect(expr: &Expr) -> darling::Result<String> {
    let Some(lit) = string_literal(expr) else {
        return Err(darling::Error::custom(
            "`redirect` must be a string literal such as `\"/login\"`, so the macro can check \
             that it is a local path",
        )
        .with_span(expr));
    };
    let path = lit.value();
    let problem = if !path.starts_with('/') {
        Some("does not start with `/`: only local paths are allowed, never a URL")
    } else if path.starts_with("//") {
        Some("starts with `//`, which browsers read as another host")
    } else if path.contains('\\') {
        Some("contains a backslash, which browsers may read as `/`")
    } else if path.contains('#') {
        Some("contains a fragment (`#`)")
    } else if !path.chars().all(is_path_char) {
        Some("contains characters that are not allowed in a URL path; percent-encode them")
    } else {
        None
    };
    match problem {
        None => Ok(path),
        Some(problem) => Err(darling::Error::custom(format!(
            "`redirect = {path:?}` {problem}; write a local path such as `\"/login\"` (this \
             keeps `#[protected]` from ever building an open redirect)"
        ))
        .with_span(&lit)),
    }
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/%?".contains(c)
}

fn string_literal(expr: &Expr) -> Option<syn::LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit.clone()),
        Expr::Group(group) => string_literal(&group.expr),
        _ => None,
    }
}

/// `"90s"`, `"10m"`, `"12h"`, `"7d"` or a sum such as `"1h30m"`, in seconds.
fn check_fresh(expr: &Expr) -> darling::Result<i64> {
    let error = |span: &dyn ToSpan| {
        darling::Error::custom(
            "`fresh` must be a duration literal such as `\"10m\"`: a number followed by `s`, \
             `m`, `h` or `d`, optionally several (`\"1h30m\"`), more than zero",
        )
        .with_span(&span.to_span())
    };
    let Some(lit) = string_literal(expr) else {
        return Err(error(expr));
    };
    parse_duration(&lit.value()).ok_or_else(|| error(&lit))
}

/// Lets `check_fresh` build one error message for two kinds of spanned nodes.
trait ToSpan {
    fn to_span(&self) -> Span;
}

impl<T: Spanned> ToSpan for T {
    fn to_span(&self) -> Span {
        self.span()
    }
}

fn parse_duration(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let amount: i64 = rest[..digits].parse().ok()?;
        let unit = match rest[digits..].chars().next()? {
            's' => 1,
            'm' => 60,
            'h' => 60 * 60,
            'd' => 24 * 60 * 60,
            _ => return None,
        };
        total = total.checked_add(amount.checked_mul(unit)?)?;
        rest = &rest[digits + 1..];
    }
    (total > 0).then_some(total)
}

/// The parameters typed `Session` and `User<..>`: the guard fills them.
fn find_filled(function: &ItemFn) -> darling::Result<(Option<Filled>, Option<Filled>)> {
    let mut errors = darling::Error::accumulator();
    let (mut session, mut user): (Option<Filled>, Option<Filled>) = (None, None);
    for input in &function.sig.inputs {
        let FnArg::Typed(typed) = input else { continue };
        let (slot, name, user_type) = match filled_kind(&typed.ty) {
            Some(FilledKind::Session) => (&mut session, "Session", None),
            Some(FilledKind::User(user_type)) => (&mut user, "User", Some(user_type.clone())),
            None => continue,
        };
        if slot.is_some() {
            errors.push(
                darling::Error::custom(format!(
                    "the handler already takes a `{name}`: `#[protected]` fills one `{name}` \
                     parameter; remove this one"
                ))
                .with_span(typed),
            );
            continue;
        }
        *slot = Some(Filled {
            pat: typed.pat.clone(),
            ty: typed.ty.clone(),
            user_type,
        });
    }
    errors.finish_with((session, user))
}

enum FilledKind<'a> {
    Session,
    User(&'a Type),
}

/// `Session` or `User<U>` under any path (`lucia::Session`, `auth::User<MyUser>`).
fn filled_kind(ty: &Type) -> Option<FilledKind<'_>> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    match (&last.ident, &last.arguments) {
        (ident, PathArguments::None) if ident == "Session" => Some(FilledKind::Session),
        (ident, PathArguments::AngleBracketed(args)) if ident == "User" => {
            match args.args.iter().collect::<Vec<_>>().as_slice() {
                [GenericArgument::Type(user_type)] => Some(FilledKind::User(user_type)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn expand(handler: &Handler) -> TokenStream {
    let krate = runtime_path(handler.krate.as_ref());
    let protect = quote!(#krate::__private::protect);
    let function = &handler.function;
    let policy = format_ident!("__lucia_protected_{}", function.sig.ident);
    let vis = &function.vis;

    let policy_impls = expand_policy(handler, &protect, &policy);
    let guard = expand_guard(handler, &protect, &policy);
    let mut inputs: Punctuated<FnArg, syn::Token![,]> = Punctuated::new();
    inputs.push(guard);
    for input in &function.sig.inputs {
        if let FnArg::Typed(typed) = input
            && filled_kind(&typed.ty).is_some()
        {
            continue;
        }
        inputs.push(input.clone());
    }
    let mut function = function.clone();
    function.sig.inputs = inputs;
    let bindings = expand_bindings(handler);
    function.block.stmts.splice(0..0, bindings);

    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #policy;

        #policy_impls

        #function
    }
}

/// `impl Policy` with the options that are set, and `impl UserPolicy<U>` when the guard
/// loads the user.
fn expand_policy(handler: &Handler, protect: &TokenStream, policy: &Ident) -> TokenStream {
    let redirect = handler.redirect.as_ref().map(|path| {
        quote!(const REDIRECT: ::core::option::Option<&'static str> = ::core::option::Option::Some(#path);)
    });
    let bearer = handler.bearer.then(|| {
        quote!(
            const BEARER: bool = true;
        )
    });
    let fresh = handler.fresh_seconds.map(|seconds| {
        quote! {
            const FRESH: ::core::option::Option<#protect::Duration> =
                ::core::option::Option::Some(#protect::Duration::seconds(#seconds));
        }
    });
    let user_policy = handler
        .user
        .as_ref()
        .and_then(|user| user.user_type.as_ref())
        .map(|user_type| {
            let check = handler.check.as_ref().map(|path| {
                let call = quote_spanned!(path.span()=> #protect::run_check(#path, user));
                quote! {
                    fn check(
                        user: &#protect::User<#user_type>,
                    ) -> impl ::core::future::Future<Output = bool> + ::core::marker::Send {
                        #call
                    }
                }
            });
            quote! {
                #[automatically_derived]
                impl #protect::UserPolicy<#user_type> for #policy {
                    #check
                }
            }
        });
    quote! {
        #[automatically_derived]
        impl #protect::Policy for #policy {
            #redirect
            #bearer
            #fresh
        }

        #user_policy
    }
}

const GUARD: &str = "__lucia_guard";

/// The guard parameter, first in the list: `_` when the body takes nothing from it.
fn expand_guard(handler: &Handler, protect: &TokenStream, policy: &Ident) -> FnArg {
    let takes_any = handler.session.is_some() || handler.user.is_some();
    let pat = if takes_any {
        let guard = Ident::new(GUARD, Span::call_site());
        quote!(#guard)
    } else {
        quote!(_)
    };
    match handler
        .user
        .as_ref()
        .and_then(|user| user.user_type.as_ref())
    {
        Some(user_type) => syn::parse_quote! {
            #pat: #protect::UserGuard<#policy, #user_type>
        },
        None => syn::parse_quote! {
            #pat: #protect::SessionGuard<#policy>
        },
    }
}

/// `let session: Session = __lucia_guard.session;` and the same for the user, with the
/// user's own patterns and types (a type that is not lucia's is reported on that type).
fn expand_bindings(handler: &Handler) -> Vec<syn::Stmt> {
    let guard = Ident::new(GUARD, Span::call_site());
    let fields = [("session", &handler.session), ("user", &handler.user)];
    fields
        .into_iter()
        .filter_map(|(field, filled)| {
            let Filled { pat, ty, .. } = filled.as_ref()?;
            let field = Ident::new(field, Span::call_site());
            Some(syn::parse_quote!(let #pat: #ty = #guard.#field;))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{check_redirect, parse_duration};

    fn redirect(path: &str) -> Result<String, String> {
        let expr: syn::Expr = syn::parse_quote!(#path);
        check_redirect(&expr).map_err(|error| error.to_string())
    }

    #[test]
    fn local_paths_are_accepted() {
        for path in ["/", "/login", "/login?reason=expired", "/a-b/c_d.e~f/%20"] {
            assert_eq!(redirect(path).as_deref(), Ok(path));
        }
    }

    #[test]
    fn open_redirects_are_refused() {
        for path in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "javascript:alert(1)",
            "login",
            "",
            "/\tevil",
            "/\r\nLocation: https://evil.example",
            " /login",
            "/login#fragment",
            "/caf\u{e9}",
        ] {
            assert!(redirect(path).is_err(), "{path:?}");
        }
    }

    #[test]
    fn durations_parse_in_seconds() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("10m"), Some(600));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("7d"), Some(604_800));
    }

    #[test]
    fn bad_durations_are_refused() {
        for text in [
            "",
            "10",
            "m",
            "10x",
            "0s",
            "-5m",
            "1.5h",
            "10 m",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_duration(text), None, "{text}");
        }
    }
}
