//! darling's messages for a misspelt or repeated option, rewritten in the house style:
//! lowercase, saying what to do, on the same tokens.

/// Rewrites darling's "Duplicate field" and "Unknown field" errors inside `error`, keeping
/// each one's span and did-you-mean suggestion; `valid` lists the options (in prose), shown
/// when darling has no suggestion. Other errors pass through unchanged.
pub(crate) fn in_house_style(error: darling::Error, valid: &str) -> darling::Error {
    let mut restyled = darling::Error::accumulator();
    for error in error.flatten() {
        restyled.push(restyle(error, valid));
    }
    restyled
        .finish()
        .expect_err("a darling error holds at least one error")
}

fn restyle(error: darling::Error, valid: &str) -> darling::Error {
    let message = error.to_string();
    let rewritten = if let Some(rest) = message.strip_prefix("Duplicate field ") {
        first_quoted(rest).map(|name| format!("`{name}` is given twice: remove one"))
    } else if let Some(rest) = message.strip_prefix("Unknown field: ") {
        first_quoted(rest).map(|name| match suggestion(rest) {
            Some(option) => format!("unknown option `{name}`: did you mean `{option}`?"),
            None => format!("unknown option `{name}`: the options are {valid}"),
        })
    } else {
        None
    };
    match rewritten {
        Some(message) => syn::Error::new(error.span(), message).into(),
        None => error,
    }
}

/// The text between the first pair of backticks.
fn first_quoted(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once('`')?;
    rest.split_once('`').map(|(quoted, _)| quoted)
}

fn suggestion(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once("Did you mean ")?;
    first_quoted(rest)
}

#[cfg(test)]
mod tests {
    use super::in_house_style;

    fn restyled(error: darling::Error) -> String {
        in_house_style(error, "`a` and `b`").to_string()
    }

    #[test]
    fn a_repeated_option_says_to_remove_one() {
        let message = restyled(darling::Error::duplicate_field("bearer"));
        assert_eq!(message, "`bearer` is given twice: remove one");
    }

    #[test]
    fn a_misspelt_option_keeps_the_suggestion() {
        let error = darling::Error::unknown_field_with_alts("redirct", &["redirect", "fresh"]);
        assert_eq!(
            restyled(error),
            "unknown option `redirct`: did you mean `redirect`?"
        );
    }

    #[test]
    fn an_unknown_option_without_a_suggestion_lists_the_options() {
        let message = restyled(darling::Error::unknown_field("zzz"));
        assert_eq!(message, "unknown option `zzz`: the options are `a` and `b`");
    }

    #[test]
    fn other_errors_pass_through() {
        let message = restyled(darling::Error::custom("Something else"));
        assert_eq!(message, "Something else");
    }
}
