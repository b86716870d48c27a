//! Procedural macros for `lucia`: `#[derive(AuthUser)]` and `#[protected]`.
//!
//! Use them through the `lucia` crate's re-exports, which carry the documentation:
//! `lucia::AuthUser` and `lucia::protected`. Generated code reaches the runtime through
//! `lucia::__private`, found with `proc-macro-crate` so a renamed dependency still works.

mod auth_user;
mod options;
mod protected;
mod runtime_path;
mod sql;

use proc_macro::TokenStream;

#[doc = include_str!("../doc/auth_user.md")]
#[proc_macro_derive(AuthUser, attributes(auth))]
pub fn derive_auth_user(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    auth_user::derive(input).into()
}

#[doc = include_str!("../doc/protected.md")]
#[proc_macro_attribute]
pub fn protected(args: TokenStream, item: TokenStream) -> TokenStream {
    protected::protected(args.into(), item.into()).into()
}
