//! The path generated code uses to reach the `lucia` runtime crate.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::Ident;

/// `::lucia`, or the name the user gave the dependency in `Cargo.toml`, or the path from a
/// `crate = "..."` override (for crates that re-export `lucia` under another name).
pub(crate) fn runtime_path(override_path: Option<&syn::Path>) -> TokenStream {
    if let Some(path) = override_path {
        return path.to_token_stream();
    }
    match crate_name("lucia") {
        Ok(FoundCrate::Name(name)) => {
            let ident = Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        // `Itself` means lucia's own doctests and tests, which see the crate as `::lucia`;
        // an error means no manifest entry, where `::lucia` gives the clearest message.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::lucia),
    }
}
