//! `#[derive(AuthUser)]`: parse the struct with darling, validate every field and name
//! (collecting all errors), then expand to a `UserAttributes` impl.

use std::collections::HashMap;

use darling::util::Ignored;
use darling::{FromDeriveInput, FromField, ast};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Ident, LitStr, Type};

use crate::options;
use crate::runtime_path::runtime_path;
use crate::sql::{identifier_problem, is_adapter_column};

const DEFAULT_TABLE: &str = "auth_user";

/// The options, for the message about an unknown one.
const OPTIONS: &str = "`table` and `crate` on the struct, `column` on a field";

/// The struct, as darling reads it.
#[derive(FromDeriveInput)]
#[darling(attributes(auth))]
struct UserInput {
    ident: Ident,
    data: ast::Data<Ignored, UserField>,
    /// `#[auth(table = "...")]`
    table: Option<LitStr>,
    /// `#[auth(crate = "...")]`
    #[darling(rename = "crate")]
    krate: Option<syn::Path>,
}

/// One field, as darling reads it.
#[derive(FromField)]
#[darling(attributes(auth))]
struct UserField {
    ident: Option<Ident>,
    ty: Type,
    /// `#[auth(column = "...")]`
    column: Option<LitStr>,
}

/// A field that passed validation.
struct ColumnField {
    ident: Ident,
    ty: Type,
    column: String,
}

/// Everything the expansion needs.
struct UserTable {
    ident: Ident,
    krate: Option<syn::Path>,
    table: String,
    fields: Vec<ColumnField>,
}

/// Entry point: the impl, or the errors next to a stub impl.
pub(crate) fn derive(input: DeriveInput) -> TokenStream {
    match parse_and_validate(&input) {
        Ok(table) => expand(&runtime_path(table.krate.as_ref()), &table),
        Err(errors) => {
            let errors = errors.write_errors();
            // A stub impl stops "trait not implemented" errors from cascading into every
            // use of the type; a generic struct would only add errors of its own.
            let stub = if input.generics.params.is_empty() {
                let krate = runtime_path(crate_override(&input).as_ref());
                expand_stub(&krate, &input.ident)
            } else {
                TokenStream::new()
            };
            quote!(#errors #stub)
        }
    }
}

/// The `crate = "..."` override, read leniently so that a stub impl can use it even when
/// other options are wrong.
fn crate_override(input: &DeriveInput) -> Option<syn::Path> {
    let mut found = None;
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("auth"))
    {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let lit: LitStr = meta.value()?.parse()?;
                found = lit.parse().ok();
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

fn parse_and_validate(input: &DeriveInput) -> darling::Result<UserTable> {
    check_shape(input)?;
    let mut errors = darling::Error::accumulator();
    if !input.generics.params.is_empty() {
        errors.push(
            darling::Error::custom(
                "`AuthUser` cannot be derived for a generic struct: the user table has one \
                 fixed set of columns; remove the generic parameters",
            )
            .with_span(&input.generics),
        );
    }
    let parsed = errors.handle(
        UserInput::from_derive_input(input)
            .map_err(|error| options::in_house_style(error, OPTIONS)),
    );
    let Some(parsed) = parsed else {
        return Err(errors.finish().expect_err("an error was pushed"));
    };

    let table = errors.handle(check_table(parsed.table.as_ref()));
    let fields = parsed
        .data
        .take_struct()
        .map(|fields| fields.fields)
        .unwrap_or_default();
    let fields = check_columns(fields, &mut errors);
    errors.finish()?;
    Ok(UserTable {
        ident: parsed.ident,
        krate: parsed.krate,
        table: table.unwrap_or_else(|| DEFAULT_TABLE.to_owned()),
        fields,
    })
}

/// Only a struct with named fields maps to columns.
fn check_shape(input: &DeriveInput) -> darling::Result<()> {
    let (message, span) = match &input.data {
        Data::Struct(data) => match &data.fields {
            syn::Fields::Named(_) => return Ok(()),
            syn::Fields::Unnamed(fields) => (
                "`AuthUser` needs named fields, one per column: turn this tuple struct into \
                 `struct Name { field: Type, .. }`",
                fields.span(),
            ),
            syn::Fields::Unit => (
                "`AuthUser` needs named fields, one per column; for a user with no attributes \
                 use `()` as the attribute type",
                input.ident.span(),
            ),
        },
        Data::Enum(data) => (
            "`AuthUser` cannot be derived for an enum: the user table needs a struct with \
             named fields, one per column",
            data.enum_token.span,
        ),
        Data::Union(data) => (
            "`AuthUser` cannot be derived for a union: the user table needs a struct with \
             named fields, one per column",
            data.union_token.span,
        ),
    };
    Err(darling::Error::custom(message).with_span(&span))
}

fn check_table(table: Option<&LitStr>) -> darling::Result<String> {
    let Some(lit) = table else {
        return Ok(DEFAULT_TABLE.to_owned());
    };
    let name = lit.value();
    match identifier_problem(&name) {
        None => Ok(name),
        Some(problem) => Err(darling::Error::custom(format!(
            "table name `{name}` {problem}; a table name must be a plain SQL identifier"
        ))
        .with_span(lit)),
    }
}

/// Validates every column name and rejects two fields on one column.
fn check_columns(
    fields: Vec<UserField>,
    errors: &mut darling::error::Accumulator,
) -> Vec<ColumnField> {
    let mut taken: HashMap<String, Ident> = HashMap::new();
    let mut columns = Vec::with_capacity(fields.len());
    for field in fields {
        let Some(ident) = field.ident else { continue };
        let (column, span) = match &field.column {
            Some(lit) => (lit.value(), lit.span()),
            None => (unraw(&ident), ident.span()),
        };
        if let Some(error) = column_problem(&column, field.column.is_some()) {
            errors.push(darling::Error::custom(error).with_span(&span));
            continue;
        }
        let key = column.to_ascii_lowercase();
        if let Some(first) = taken.get(&key) {
            errors.push(
                darling::Error::custom(format!(
                    "column `{column}` is already used by field `{first}`: give one of them \
                     another name with `#[auth(column = \"...\")]`"
                ))
                .with_span(&span),
            );
            continue;
        }
        taken.insert(key, ident.clone());
        columns.push(ColumnField {
            ident,
            ty: field.ty,
            column,
        });
    }
    columns
}

fn column_problem(column: &str, renamed: bool) -> Option<String> {
    let fix = if renamed {
        "choose another name"
    } else {
        "rename it with `#[auth(column = \"...\")]`"
    };
    if is_adapter_column(column) {
        return Some(format!(
            "column `{column}` is reserved: the adapters store the user id there, and \
             `lucia::User` carries it beside the attributes; remove this field or {fix}"
        ));
    }
    identifier_problem(column).map(|problem| {
        format!("column name `{column}` {problem}; a column must be a plain SQL identifier: {fix}")
    })
}

/// `r#type` maps to the column `type`.
fn unraw(ident: &Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
}

fn expand(krate: &TokenStream, table: &UserTable) -> TokenStream {
    let ident = &table.ident;
    let table_name = &table.table;
    let columns = table.fields.iter().map(|field| expand_column(krate, field));
    let encode = table.fields.iter().map(|field| expand_encode(krate, field));
    let decode = table.fields.iter().map(|field| expand_decode(krate, field));
    let private = quote!(#krate::__private);

    quote! {
        #[automatically_derived]
        impl #private::UserAttributes for #ident {
            const TABLE: &'static str = #table_name;
            const COLUMNS: &'static [#private::Column] = &[#(#columns),*];

            fn to_values(&self) -> #private::std::vec::Vec<#private::Value> {
                #private::std::vec![#(#encode),*]
            }

            fn from_values(
                values: #private::std::vec::Vec<#private::Value>,
            ) -> #private::core::result::Result<Self, #private::AttributeError> {
                let mut values = #private::std::iter::IntoIterator::into_iter(values);
                #private::core::result::Result::Ok(Self {
                    #(#decode),*
                })
            }
        }
    }
}

/// `Column { .. }`, with the type's trait lookups spanned on the field's type so that an
/// unsupported type is reported there.
fn expand_column(krate: &TokenStream, field: &ColumnField) -> TokenStream {
    let ColumnField { ty, column, .. } = field;
    let value = quote_spanned!(ty.span()=> <#ty as #krate::__private::AttributeValue>);
    quote! {
        #krate::__private::Column {
            name: #column,
            ty: #value::COLUMN_TYPE,
            nullable: #value::NULLABLE,
        }
    }
}

fn expand_encode(krate: &TokenStream, field: &ColumnField) -> TokenStream {
    let ColumnField { ident, ty, .. } = field;
    quote_spanned!(ty.span()=> <#ty as #krate::__private::AttributeValue>::to_value(&self.#ident))
}

fn expand_decode(krate: &TokenStream, field: &ColumnField) -> TokenStream {
    let ColumnField { ident, ty, column } = field;
    let private = quote!(#krate::__private);
    let from_value = quote_spanned!(ty.span()=> <#ty as #private::AttributeValue>::from_value);
    quote! {
        #ident: #from_value(#column, #private::next_value(&mut values, #column)?)?
    }
}

/// An impl that never runs, emitted next to errors.
fn expand_stub(krate: &TokenStream, ident: &Ident) -> TokenStream {
    let private = quote!(#krate::__private);
    let span = Span::call_site();
    quote_spanned! {span=>
        #[automatically_derived]
        impl #private::UserAttributes for #ident {
            const TABLE: &'static str = "";
            const COLUMNS: &'static [#private::Column] = &[];

            fn to_values(&self) -> #private::std::vec::Vec<#private::Value> {
                #private::core::unreachable!("`AuthUser` derive failed")
            }

            fn from_values(
                _: #private::std::vec::Vec<#private::Value>,
            ) -> #private::core::result::Result<Self, #private::AttributeError> {
                #private::core::unreachable!("`AuthUser` derive failed")
            }
        }
    }
}
