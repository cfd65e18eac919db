//! Case references: `FOI-2026-00123`, `EIR-…`, `SAR-…`, `IR-…`, in the
//! council's configured format. The one module that writes them and finds
//! them again in subjects, so a custom format still links replies.

use regex::Regex;

use super::clock::Regime;

/// Every reference prefix foid hands out.
pub const PREFIXES: [&str; 4] = ["FOI", "EIR", "SAR", "IR"];

/// The reference prefix of a regime.
pub fn prefix(regime: Regime) -> &'static str {
    match regime {
        Regime::Foi | Regime::Pit | Regime::Foisa => "FOI",
        Regime::Eir | Regime::EirExtended => "EIR",
        Regime::Sar | Regime::SarExtended => "SAR",
        Regime::Review | Regime::ReviewExtended | Regime::FoisaReview => "IR",
    }
}

/// A configured reference format: `{prefix}`, `{year}` and `{seq}` (padded
/// to five digits) in any surrounding text.
#[derive(Debug, Clone)]
pub struct ReferenceFormat {
    format: String,
    pattern: Regex,
}

/// Why a reference format cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceFormatError {
    #[error("must contain {{seq}}, or two cases could share a reference")]
    NoSeq,
    #[error(
        "must contain {{prefix}}, or references of FOI, EIR, SAR and review cases would collide"
    )]
    NoPrefix,
    #[error("{{{0}}} is not a placeholder: use {{prefix}}, {{year}} and {{seq}}")]
    UnknownPlaceholder(String),
    #[error("each of {{prefix}}, {{year}} and {{seq}} may appear only once")]
    Repeated,
}

impl ReferenceFormat {
    pub fn new(format: &str) -> Result<ReferenceFormat, ReferenceFormatError> {
        if !format.contains("{seq}") {
            return Err(ReferenceFormatError::NoSeq);
        }
        if !format.contains("{prefix}") {
            return Err(ReferenceFormatError::NoPrefix);
        }
        let mut pattern = String::from(r"(?i)(?:^|[^A-Za-z0-9])(");
        let mut rest = format;
        while let Some(open) = rest.find('{') {
            let (literal, after) = rest.split_at(open);
            pattern.push_str(&regex::escape(literal));
            let close = after.find('}').unwrap_or(after.len());
            let name = after.get(1..close).unwrap_or("");
            match name {
                "prefix" => pattern.push_str(&format!("(?P<prefix>{})", PREFIXES.join("|"))),
                "year" => pattern.push_str(r"(?P<year>\d{4})"),
                // Written with five digits; a requester may drop the zeros.
                "seq" => pattern.push_str(r"(?P<seq>\d{3,9})"),
                other => return Err(ReferenceFormatError::UnknownPlaceholder(other.to_string())),
            }
            rest = after.get(close + 1..).unwrap_or("");
        }
        pattern.push_str(&regex::escape(rest));
        pattern.push_str(r")(?:$|[^A-Za-z0-9])");
        let pattern = Regex::new(&pattern).map_err(|_| ReferenceFormatError::Repeated)?;
        Ok(ReferenceFormat {
            format: format.to_string(),
            pattern,
        })
    }

    /// The default `{prefix}-{year}-{seq}`.
    pub fn default_format() -> ReferenceFormat {
        #[allow(clippy::expect_used)] // a constant, covered by the tests
        ReferenceFormat::new("{prefix}-{year}-{seq}").expect("the default format is valid")
    }

    /// Fills the format.
    pub fn format(&self, prefix: &str, year: i16, seq: i64) -> String {
        self.format
            .replace("{prefix}", prefix)
            .replace("{year}", &year.to_string())
            .replace("{seq}", &format!("{seq:05}"))
    }

    /// The first reference in `text`, written as [`ReferenceFormat::format`]
    /// writes it (uppercased, the number padded again).
    pub fn find(&self, text: &str) -> Option<String> {
        self.pattern.captures_iter(text).find_map(|c| {
            let prefix = c.name("prefix")?.as_str().to_ascii_uppercase();
            let year = c
                .name("year")
                .and_then(|y| y.as_str().parse().ok())
                .unwrap_or(0);
            let seq = c.name("seq")?.as_str().parse().ok()?;
            Some(self.format(&prefix, year, seq))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_round_trips() {
        let f = ReferenceFormat::default_format();
        let r = f.format(prefix(Regime::Foi), 2026, 123);
        assert_eq!(r, "FOI-2026-00123");
        assert_eq!(f.find(&format!("Re: [{r}] Potholes")), Some(r.clone()));
        assert_eq!(f.find("RE: [foi-2026-00123] potholes"), Some(r));
        assert_eq!(
            f.find("FOI-2026-123, unpadded"),
            Some("FOI-2026-00123".into())
        );
        assert_eq!(f.find("FOI-2026-12 is too short"), None);
        assert_eq!(f.find("XFOI-2026-00123"), None);
        assert_eq!(f.find("ABC-2026-00123"), None);
    }

    #[test]
    fn custom_formats_are_found_too() {
        let f = ReferenceFormat::new("{prefix}/{seq}").expect("valid");
        let r = f.format(prefix(Regime::Review), 2026, 123456);
        assert_eq!(r, "IR/123456");
        assert_eq!(f.find("Re: your review IR/123456."), Some(r));
        let g = ReferenceFormat::new("BC-{prefix}{year}.{seq}").expect("valid");
        let r = g.format("EIR", 2027, 7);
        assert_eq!(r, "BC-EIR2027.00007");
        assert_eq!(g.find(&format!("Subject: {r} thanks")), Some(r));
        assert_eq!(g.find("BC-EIR2027x00007"), None, "the dot is literal");
    }

    #[test]
    fn bad_formats_are_refused() {
        assert_eq!(
            ReferenceFormat::new("{prefix}-{year}").unwrap_err(),
            ReferenceFormatError::NoSeq
        );
        assert_eq!(
            ReferenceFormat::new("{year}-{seq}").unwrap_err(),
            ReferenceFormatError::NoPrefix
        );
        assert!(matches!(
            ReferenceFormat::new("{prefix}-{sequence}-{seq}").unwrap_err(),
            ReferenceFormatError::UnknownPlaceholder(_)
        ));
        assert_eq!(
            ReferenceFormat::new("{prefix}-{seq}-{seq}").unwrap_err(),
            ReferenceFormatError::Repeated
        );
    }
}
