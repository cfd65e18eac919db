//! Where folders live on an IMAP server: the personal namespace (RFC 2342)
//! and its hierarchy separator. Configured folder names are written with
//! `/` and are relative to the personal namespace, so `FOI/Processed` is
//! `FOI/Processed` on Exchange Online, `FOI.Processed` on Dovecot's Maildir
//! and `INBOX.FOI.Processed` on Courier and Cyrus.

/// The first personal namespace a server announces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Personal {
    /// `""` on most servers, `INBOX.` on Courier and Cyrus.
    pub prefix: String,
    /// `None` for a flat namespace.
    pub delimiter: Option<String>,
}

/// Reads `* NAMESPACE (("INBOX." ".")) NIL NIL`; `None` when the server has
/// no personal namespace or the line is not a NAMESPACE response.
pub fn parse_namespace(line: &str) -> Option<Personal> {
    let rest = strip_prefix_ignore_case(line.trim_end(), "* NAMESPACE ")?;
    let rest = rest.strip_prefix("((")?;
    let (prefix, rest) = quoted(rest)?;
    let rest = rest.strip_prefix(' ')?;
    let delimiter = if let Some(after) = strip_prefix_ignore_case(rest, "NIL") {
        let _ = after;
        None
    } else {
        Some(quoted(rest)?.0)
    };
    Some(Personal { prefix, delimiter })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// An IMAP quoted string at the start of `s`, unescaped, and what follows.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &s[i + 2..])),
            c => out.push(c),
        }
    }
    None
}

/// The server's name for a configured folder (written with `/`): in the
/// server's separator, under the personal namespace unless it already is.
/// INBOX is INBOX everywhere.
pub fn server_folder_name(configured: &str, personal: &Personal, delimiter: &str) -> String {
    if configured.eq_ignore_ascii_case("INBOX") {
        return "INBOX".to_string();
    }
    let configured = super::mutf7::encode(configured);
    let on_server = if delimiter == "/" {
        configured
    } else {
        configured.replace('/', delimiter)
    };
    let mut prefix = personal.prefix.clone();
    if prefix.is_empty() {
        return on_server;
    }
    if !prefix.ends_with(delimiter) {
        prefix.push_str(delimiter);
    }
    let already = on_server
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(&prefix));
    if already {
        on_server
    } else {
        format!("{prefix}{on_server}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(prefix: &str, delimiter: &str) -> Personal {
        Personal {
            prefix: prefix.into(),
            delimiter: Some(delimiter.into()),
        }
    }

    #[test]
    fn namespace_responses_of_real_servers() {
        // Dovecot, Exchange Online.
        assert_eq!(
            parse_namespace("* NAMESPACE ((\"\" \".\")) NIL NIL\r\n"),
            Some(ns("", "."))
        );
        assert_eq!(
            parse_namespace("* NAMESPACE ((\"\" \"/\")) NIL NIL"),
            Some(ns("", "/"))
        );
        // Courier and Cyrus: personal folders under INBOX.
        assert_eq!(
            parse_namespace(
                "* NAMESPACE ((\"INBOX.\" \".\")) NIL ((\"#shared.\" \".\")(\"shared.\" \".\"))"
            ),
            Some(ns("INBOX.", "."))
        );
        // With an extension after the separator (RFC 2342 section 5).
        assert_eq!(
            parse_namespace("* namespace ((\"\" \"/\" \"X-PARAM\" (\"FLAG1\"))) NIL NIL"),
            Some(ns("", "/"))
        );
        assert_eq!(
            parse_namespace("* NAMESPACE ((\"\" NIL)) NIL NIL"),
            Some(Personal {
                prefix: String::new(),
                delimiter: None
            })
        );
        assert_eq!(parse_namespace("* NAMESPACE NIL NIL ((\"\" \"/\"))"), None);
        assert_eq!(parse_namespace("* OK nothing"), None);
        assert_eq!(parse_namespace("* NAMESPACE ((\"\\\"odd"), None);
    }

    #[test]
    fn configured_names_land_in_the_personal_namespace() {
        let courier = ns("INBOX.", ".");
        assert_eq!(
            server_folder_name("FOI/Processed", &courier, "."),
            "INBOX.FOI.Processed"
        );
        // Already carrying the prefix, in either separator.
        assert_eq!(
            server_folder_name("INBOX/FOI/Processed", &courier, "."),
            "INBOX.FOI.Processed"
        );
        assert_eq!(
            server_folder_name("inbox.Sent", &courier, "."),
            "inbox.Sent"
        );
        assert_eq!(server_folder_name("INBOX", &courier, "."), "INBOX");
        assert_eq!(server_folder_name("inbox", &courier, "."), "INBOX");
        let dovecot = ns("", ".");
        assert_eq!(
            server_folder_name("FOI/Processed", &dovecot, "."),
            "FOI.Processed"
        );
        let exchange = ns("", "/");
        assert_eq!(
            server_folder_name("FOI/Processed", &exchange, "/"),
            "FOI/Processed"
        );
        // Outside ASCII: modified UTF-7, separators and prefix as ever.
        assert_eq!(
            server_folder_name("FOI/Éléments traités", &courier, "."),
            "INBOX.FOI.&AMk-l&AOk-ments trait&AOk-s"
        );
        // A prefix given without its separator.
        assert_eq!(
            server_folder_name("FOI", &ns("INBOX", "."), "."),
            "INBOX.FOI"
        );
    }
}
