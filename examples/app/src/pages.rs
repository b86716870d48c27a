//! Server-rendered HTML: plain forms, readable without JavaScript.

use std::fmt::Write as _;

use lucia::Session;
use time::format_description::well_known::Rfc3339;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} · lucia example</title></head>\n\
         <body>\n<nav><a href=\"/\">Home</a></nav>\n<h1>{title}</h1>\n{body}\n</body>\n</html>\n",
        title = escape(title),
    )
}

fn error_paragraph(error: Option<&str>) -> String {
    error
        .map(|message| {
            format!(
                "<p role=\"alert\"><strong>{}</strong></p>\n",
                escape(message)
            )
        })
        .unwrap_or_default()
}

/// The home page: who is signed in, or where to go.
pub fn home(username: Option<&str>) -> String {
    let body = match username {
        Some(name) => format!(
            "<p>Signed in as <strong>{}</strong>. <a href=\"/dashboard\">Dashboard</a></p>\n\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
            escape(name)
        ),
        None => "<p>You are not signed in. <a href=\"/signup\">Sign up</a> or <a href=\"/login\">log in</a>.</p>"
            .to_owned(),
    };
    layout("Home", &body)
}

/// The sign-up form, with an optional error and the username to keep.
pub fn signup(error: Option<&str>, username: &str) -> String {
    let body = format!(
        "{}<form method=\"post\" action=\"/signup\">\n\
         <label>Username <input name=\"username\" value=\"{}\" required minlength=\"3\" maxlength=\"31\" autocomplete=\"username\"></label>\n\
         <label>Password <input name=\"password\" type=\"password\" required minlength=\"8\" autocomplete=\"new-password\"></label>\n\
         <button>Sign up</button>\n</form>\n<p>Have an account? <a href=\"/login\">Log in</a></p>",
        error_paragraph(error),
        escape(username)
    );
    layout("Sign up", &body)
}

/// The login form; `next` rides along in a hidden field.
pub fn login(error: Option<&str>, username: &str, next: Option<&str>) -> String {
    let next_field = next
        .map(|next| {
            format!(
                "<input type=\"hidden\" name=\"next\" value=\"{}\">\n",
                escape(next)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "{}<form method=\"post\" action=\"/login\">\n{next_field}\
         <label>Username <input name=\"username\" value=\"{}\" required autocomplete=\"username\"></label>\n\
         <label>Password <input name=\"password\" type=\"password\" required autocomplete=\"current-password\"></label>\n\
         <button>Log in</button>\n</form>\n<p>New here? <a href=\"/signup\">Sign up</a></p>",
        error_paragraph(error),
        escape(username)
    );
    layout("Log in", &body)
}

/// The dashboard: the user, their sessions (the current one marked) and account actions.
pub fn dashboard(
    username: &str,
    user_id: &str,
    current: &Session,
    sessions: &[Session],
    notice: Option<&str>,
) -> String {
    let mut rows = String::new();
    for session in sessions {
        let marker = if session.id == current.id {
            " <strong>(this session)</strong>"
        } else {
            ""
        };
        let created = session.created_at.format(&Rfc3339).unwrap_or_default();
        let expires = session.idle_expires.format(&Rfc3339).unwrap_or_default();
        let _ = writeln!(
            rows,
            "<li data-session=\"{}\">created {created}, expires {expires}{marker}</li>",
            escape(&session.id.to_string())
        );
    }
    let body = format!(
        "{}<p>Username: <strong>{}</strong><br>User id: <code>{}</code></p>\n\
         <h2>Active sessions ({})</h2>\n<ul>\n{rows}</ul>\n\
         <form method=\"post\" action=\"/sessions/revoke-others\"><button>Sign out other sessions</button></form>\n\
         <h2>Change password</h2>\n<form method=\"post\" action=\"/password\">\n\
         <label>Current password <input name=\"current_password\" type=\"password\" required autocomplete=\"current-password\"></label>\n\
         <label>New password <input name=\"new_password\" type=\"password\" required minlength=\"8\" autocomplete=\"new-password\"></label>\n\
         <button>Change password</button>\n</form>\n\
         <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
        notice
            .map(|n| format!("<p role=\"status\">{}</p>\n", escape(n)))
            .unwrap_or_default(),
        escape(username),
        escape(user_id),
        sessions.len(),
    );
    layout("Dashboard", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        let page = signup(Some("<b>taken</b>"), "\"><script>");
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;b&gt;taken&lt;/b&gt;"));
        assert!(page.contains("&quot;&gt;&lt;script&gt;"));
    }
}
