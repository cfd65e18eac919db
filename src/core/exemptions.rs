//! The grounds on which a council may withhold information, per statute:
//! FOIA Part II exemptions, EIR exceptions, FOISA exemptions, and the
//! whole-request grounds (cost, vexatious, repeated). Whether an exemption
//! is qualified decides whether the letter must set out the public interest
//! test (FOIA s.17(3)). Sections are in the canonical form of
//! `commands::normalise_section`: `s40(2)`, `reg 12(5)(e)`.

use super::clock::Regime;

/// The law a case's letters cite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statute {
    /// Freedom of Information Act 2000 (also internal reviews of it).
    Foia,
    /// Environmental Information Regulations 2004.
    Eir,
    /// Freedom of Information (Scotland) Act 2002.
    Foisa,
    /// UK GDPR / Data Protection Act 2018 (subject access).
    DataProtection,
}

impl Statute {
    pub fn of(regime: Regime) -> Statute {
        match regime {
            Regime::Foi | Regime::Pit | Regime::Review | Regime::ReviewExtended => Statute::Foia,
            Regime::Eir | Regime::EirExtended => Statute::Eir,
            Regime::Foisa | Regime::FoisaReview => Statute::Foisa,
            Regime::Sar | Regime::SarExtended => Statute::DataProtection,
        }
    }

    /// How a section is cited in a sentence: "section 40(2)", "regulation 12(5)(e)".
    pub fn cite(self, section: &str) -> String {
        if let Some(rest) = section.strip_prefix("reg ") {
            format!("regulation {rest}")
        } else if let Some(rest) = section.strip_prefix('s') {
            format!("section {rest}")
        } else {
            section.to_string()
        }
    }
}

/// One ground in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Ground {
    /// The section as cited at its base: `s40`, `reg 12(5)(e)`.
    pub base: &'static str,
    pub title: &'static str,
    /// Subject to the public interest test.
    pub qualified: bool,
}

const fn g(base: &'static str, title: &'static str, qualified: bool) -> Ground {
    Ground {
        base,
        title,
        qualified,
    }
}

const FOIA: &[Ground] = &[
    g(
        "s21",
        "information accessible to the applicant by other means",
        false,
    ),
    g("s22", "information intended for future publication", true),
    g("s22A", "research", true),
    g(
        "s23",
        "information supplied by, or relating to, bodies dealing with security matters",
        false,
    ),
    g("s24", "national security", true),
    g("s26", "defence", true),
    g("s27", "international relations", true),
    g("s28", "relations within the United Kingdom", true),
    g("s29", "the economy", true),
    g(
        "s30",
        "investigations and proceedings conducted by public authorities",
        true,
    ),
    g("s31", "law enforcement", true),
    g("s32", "court records", false),
    g("s33", "audit functions", true),
    g("s34", "parliamentary privilege", false),
    g("s35", "formulation of government policy", true),
    g(
        "s36",
        "prejudice to the effective conduct of public affairs",
        true,
    ),
    g("s37", "communications with Her Majesty and honours", true),
    g("s38", "health and safety", true),
    g("s39", "environmental information", true),
    g("s40", "personal information", false),
    g("s41", "information provided in confidence", false),
    g("s42", "legal professional privilege", true),
    g("s43", "commercial interests", true),
    g("s44", "prohibitions on disclosure", false),
];

const EIR: &[Ground] = &[
    g("reg 12(4)(a)", "the information is not held", true),
    g(
        "reg 12(4)(b)",
        "the request is manifestly unreasonable",
        true,
    ),
    g(
        "reg 12(4)(c)",
        "the request is formulated in too general a manner",
        true,
    ),
    g(
        "reg 12(4)(d)",
        "material in the course of completion, unfinished documents or incomplete data",
        true,
    ),
    g("reg 12(4)(e)", "internal communications", true),
    g(
        "reg 12(5)(a)",
        "international relations, defence, national security or public safety",
        true,
    ),
    g("reg 12(5)(b)", "the course of justice", true),
    g("reg 12(5)(c)", "intellectual property rights", true),
    g("reg 12(5)(d)", "the confidentiality of proceedings", true),
    g(
        "reg 12(5)(e)",
        "the confidentiality of commercial or industrial information",
        true,
    ),
    g(
        "reg 12(5)(f)",
        "the interests of the person who provided the information",
        true,
    ),
    g("reg 12(5)(g)", "the protection of the environment", true),
    g("reg 13", "personal data", false),
];

const FOISA: &[Ground] = &[
    g("s25", "information otherwise accessible", false),
    g("s26", "prohibitions on disclosure", false),
    g("s27", "information intended for future publication", true),
    g("s28", "relations within the United Kingdom", true),
    g("s29", "formulation of Scottish Administration policy", true),
    g(
        "s30",
        "prejudice to the effective conduct of public affairs",
        true,
    ),
    g("s31", "national security and defence", true),
    g("s32", "international relations", true),
    g("s33", "commercial interests and the economy", true),
    g("s34", "investigations and proceedings", true),
    g("s35", "law enforcement", true),
    g("s36", "confidentiality", true),
    g("s37", "court records", false),
    g("s38", "personal information", false),
    g("s39", "health, safety and the environment", true),
    g("s40", "audit functions", true),
    g("s41", "communications with Her Majesty and honours", true),
];

/// The exemption a section names under a statute (`s40(2)` is under
/// `s40`); `None` if it is not one.
pub fn exemption(statute: Statute, section: &str) -> Option<Ground> {
    let table = match statute {
        Statute::Foia => FOIA,
        Statute::Eir => EIR,
        Statute::Foisa => FOISA,
        Statute::DataProtection => return None,
    };
    let section = section.to_ascii_lowercase();
    table
        .iter()
        .find(|g| {
            let b = g.base.to_ascii_lowercase();
            section == b || section.starts_with(&format!("{b}("))
        })
        .copied()
}

/// A ground for refusing a whole request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalGround {
    /// FOIA s.12 / FOISA s.12: over the appropriate limit.
    Cost,
    /// FOIA s.14(1) / FOISA s.14(1).
    Vexatious,
    /// FOIA s.14(2) / FOISA s.14(2).
    Repeated,
    /// EIR reg 12(4)(b): manifestly unreasonable.
    ManifestlyUnreasonable,
    /// An exemption applied to everything asked.
    Exemption { section: String, ground: Ground },
}

impl RefusalGround {
    /// The section as given in the letter's outcome, e.g. `s14(2)`.
    pub fn section(&self) -> String {
        match self {
            RefusalGround::Cost => "s12".into(),
            RefusalGround::Vexatious => "s14(1)".into(),
            RefusalGround::Repeated => "s14(2)".into(),
            RefusalGround::ManifestlyUnreasonable => "reg 12(4)(b)".into(),
            RefusalGround::Exemption { section, .. } => section.clone(),
        }
    }
}

/// Reads a `#refuse` ground for a statute, or says why it cannot be used.
pub fn refusal_ground(statute: Statute, section: &str) -> Result<RefusalGround, String> {
    match (statute, section) {
        (Statute::DataProtection, _) => Err(
            "a subject access request is refused or restricted under the Data Protection Act 2018; write the letter as a #draft instead".into(),
        ),
        (Statute::Eir, "s12" | "s14" | "s14(1)" | "s14(2)") => Err(format!(
            "{section} is FOIA; under the EIR a request that is vexatious or too costly is manifestly unreasonable: #refuse reg 12(4)(b)"
        )),
        (Statute::Eir, "reg 12(4)(b)") => Ok(RefusalGround::ManifestlyUnreasonable),
        (_, "s12" | "s12(1)") => Ok(RefusalGround::Cost),
        (_, "s14" | "s14(1)") => Ok(RefusalGround::Vexatious),
        (_, "s14(2)") => Ok(RefusalGround::Repeated),
        (statute, section) => match exemption(statute, section) {
            Some(ground) => Ok(RefusalGround::Exemption {
                section: section.to_string(),
                ground,
            }),
            None => Err(not_a_ground(statute, section)),
        },
    }
}

/// Why a section cannot be cited.
pub fn not_a_ground(statute: Statute, section: &str) -> String {
    let name = match statute {
        Statute::Foia => "an exemption under the Freedom of Information Act 2000 (sections 21 to 44)",
        Statute::Eir => "an exception under the Environmental Information Regulations 2004 (regulation 12(4), 12(5) or 13)",
        Statute::Foisa => "an exemption under FOISA (sections 25 to 41)",
        Statute::DataProtection => "a ground foid knows for subject access",
    };
    format!("{section} is not {name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exemptions_are_found_by_their_base_section() {
        let s40 = exemption(Statute::Foia, "s40(2)").expect("s40");
        assert!(!s40.qualified);
        assert_eq!(s40.title, "personal information");
        assert!(exemption(Statute::Foia, "s43(2)").expect("s43").qualified);
        assert!(exemption(Statute::Foia, "s99").is_none());
        assert!(
            exemption(Statute::Foia, "s12").is_none(),
            "cost is not an exemption"
        );
        assert!(exemption(Statute::Eir, "reg 12(5)(e)").is_some());
        assert!(exemption(Statute::Eir, "reg 13(1)").is_some());
        assert!(exemption(Statute::Eir, "s43").is_none());
        assert!(exemption(Statute::Foisa, "s38(1)(b)").is_some());
        assert_eq!(Statute::Eir.cite("reg 12(5)(e)"), "regulation 12(5)(e)");
        assert_eq!(Statute::Foia.cite("s40(2)"), "section 40(2)");
    }

    #[test]
    fn refusal_grounds_follow_the_statute() {
        assert_eq!(
            refusal_ground(Statute::Foia, "s14(2)"),
            Ok(RefusalGround::Repeated)
        );
        assert_eq!(
            refusal_ground(Statute::Foia, "s14"),
            Ok(RefusalGround::Vexatious)
        );
        assert_eq!(
            refusal_ground(Statute::Foia, "s12"),
            Ok(RefusalGround::Cost)
        );
        assert!(matches!(
            refusal_ground(Statute::Foia, "s43"),
            Ok(RefusalGround::Exemption { .. })
        ));
        assert!(refusal_ground(Statute::Eir, "s14").is_err());
        assert_eq!(
            refusal_ground(Statute::Eir, "reg 12(4)(b)"),
            Ok(RefusalGround::ManifestlyUnreasonable)
        );
        assert!(refusal_ground(Statute::Foia, "s7").is_err());
        assert!(refusal_ground(Statute::DataProtection, "s14").is_err());
    }
}
