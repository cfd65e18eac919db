//! Case references: `FOI-2026-00123`, `EIR-…`, `SAR-…`, `IR-…`.

use super::clock::Regime;

/// The reference prefix of a regime.
pub fn prefix(regime: Regime) -> &'static str {
    match regime {
        Regime::Foi | Regime::Pit | Regime::Foisa => "FOI",
        Regime::Eir | Regime::EirExtended => "EIR",
        Regime::Sar | Regime::SarExtended => "SAR",
        Regime::Review | Regime::ReviewExtended | Regime::FoisaReview => "IR",
    }
}

/// Fills the configured format: `{prefix}`, `{year}`, and `{seq}` padded to
/// five digits.
pub fn format(format: &str, prefix: &str, year: i16, seq: i64) -> String {
    format
        .replace("{prefix}", prefix)
        .replace("{year}", &year.to_string())
        .replace("{seq}", &format!("{seq:05}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format() {
        assert_eq!(
            format("{prefix}-{year}-{seq}", prefix(Regime::Foi), 2026, 123),
            "FOI-2026-00123"
        );
        assert_eq!(
            format("{prefix}/{seq}", prefix(Regime::Review), 2026, 123456),
            "IR/123456"
        );
    }
}
