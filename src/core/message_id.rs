//! foid's own Message-IDs, `<foid.PURPOSE.HEX@council-domain>`: written
//! for every mail foid sends, and found again in delivery reports and in
//! the Sent folder. The random token is an argument (the core draws no
//! random numbers).

use regex::Regex;

/// Our Message-ID for a mail of `purpose` with a 128-bit `token`, in the
/// council's domain (never the machine's host name).
pub fn format(purpose: &str, token: u128, domain: &str) -> String {
    format!("<foid.{purpose}.{token:032x}@{domain}>")
}

/// Message-IDs foid gave its own mail quoted anywhere in a text: how a
/// delivery report names the message that bounced, so the bounce finds its
/// case.
pub fn ours_in(text: &str, council_domain: &str) -> Vec<String> {
    let pattern = format!(
        r"(?i)<foid\.[a-z_]+\.[0-9a-f]{{32}}@{}>",
        regex::escape(council_domain)
    );
    match Regex::new(&pattern) {
        Ok(re) => re.find_iter(text).map(|m| m.as_str().to_string()).collect(),
        Err(_) => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_ids_are_found_again() {
        let id = format(
            "acknowledgement",
            0x0123456789abcdef0123456789abcdef,
            "council.test",
        );
        assert_eq!(
            id,
            "<foid.acknowledgement.0123456789abcdef0123456789abcdef@council.test>"
        );
        let text = format!(
            "Original-Message-ID: {id}\nMessage-ID: {}",
            format("reply", 7, "elsewhere.test")
        );
        assert_eq!(ours_in(&text, "council.test"), vec![id]);
    }
}
