//! What to do with a classified message: the case state machine's first
//! steps. Pure: the shell looks up the linked case and recent history, this
//! decides, the shell carries it out.

use super::calendar::Region;
use super::clock::Regime;
use super::intake::Kind;

/// At most this many acknowledgements go to one address per day: a loop
/// with another robot, or a flood, must not make us a spam source.
pub const ACKNOWLEDGEMENTS_PER_SENDER_PER_DAY: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeDecision {
    /// A new request: open a case under this regime.
    NewCase { regime: Regime, acknowledge: bool },
    /// A message about an existing case (clarification, thanks, complaint,
    /// an officer's reply): add it to the case's history.
    AddToCase { case_id: i64 },
    /// A bounce of mail we sent for a case: record it and tell the officers.
    DeliveryFailure { case_id: i64 },
    /// Nothing to open and nobody to answer; kept with the reason.
    Ignore { reason: String },
}

/// What the shell found out before asking.
#[derive(Debug, Clone)]
pub struct IntakeContext {
    pub region: Region,
    /// The case this message belongs to, found by reference, thread or
    /// WhatDoTheyKnow address.
    pub linked_case: Option<i64>,
    /// Acknowledgements sent to this requester address in the last 24 hours.
    pub recent_acknowledgements: i64,
    /// Whether the sender is one of our own addresses.
    pub from_ourselves: bool,
}

/// The regime a new request of this kind runs under.
pub fn regime_for(kind: Kind, region: Region) -> Option<Regime> {
    let scottish = region == Region::Scotland;
    match kind {
        Kind::Foi | Kind::Correspondence | Kind::Command if scottish => Some(Regime::Foisa),
        Kind::Foi | Kind::Correspondence | Kind::Command => Some(Regime::Foi),
        Kind::Eir => Some(Regime::Eir),
        Kind::Sar => Some(Regime::Sar),
        Kind::Review if scottish => Some(Regime::FoisaReview),
        Kind::Review => Some(Regime::Review),
        Kind::AutoReply | Kind::Bounce | Kind::Bulk => None,
    }
}

pub fn decide(kind: Kind, ctx: &IntakeContext) -> IntakeDecision {
    if ctx.from_ourselves {
        return IntakeDecision::Ignore {
            reason: "sent by foid itself".into(),
        };
    }
    match (kind, ctx.linked_case) {
        (Kind::AutoReply, _) => IntakeDecision::Ignore {
            reason: "automatic reply".into(),
        },
        (Kind::Bulk, _) => IntakeDecision::Ignore {
            reason: "bulk or list mail".into(),
        },
        (Kind::Bounce, Some(case_id)) => IntakeDecision::DeliveryFailure { case_id },
        (Kind::Bounce, None) => IntakeDecision::Ignore {
            reason: "delivery report for mail not linked to a case".into(),
        },
        // A review asks about an earlier case but is a case of its own.
        (Kind::Review, _) => new_case(Kind::Review, ctx),
        // Linked by our reference, by the thread of mail we exchanged, or by
        // a WhatDoTheyKnow request address: part of that case, whatever the
        // text looks like ("Re: …" without a reference reads as a request).
        (_, Some(case_id)) => IntakeDecision::AddToCase { case_id },
        // A reply we cannot place is safer as a new case than lost.
        (kind, None) => new_case(kind, ctx),
    }
}

fn new_case(kind: Kind, ctx: &IntakeContext) -> IntakeDecision {
    let regime = regime_for(kind, ctx.region).unwrap_or(Regime::Foi);
    IntakeDecision::NewCase {
        regime,
        acknowledge: ctx.recent_acknowledgements < ACKNOWLEDGEMENTS_PER_SENDER_PER_DAY,
    }
}

/// How a case is described to officers.
pub fn kind_label(regime: Regime) -> &'static str {
    match regime {
        Regime::Eir | Regime::EirExtended => "EIR request",
        Regime::Sar | Regime::SarExtended => "subject access request",
        Regime::Review | Regime::ReviewExtended => "internal review request",
        Regime::Foisa => "FOISA request",
        Regime::FoisaReview => "FOISA review request",
        Regime::Foi | Regime::Pit => "FOI request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(linked: Option<i64>) -> IntakeContext {
        IntakeContext {
            region: Region::EnglandAndWales,
            linked_case: linked,
            recent_acknowledgements: 0,
            from_ourselves: false,
        }
    }

    #[test]
    fn robots_get_no_case() {
        for kind in [Kind::AutoReply, Kind::Bulk, Kind::Bounce] {
            assert!(matches!(
                decide(kind, &ctx(None)),
                IntakeDecision::Ignore { .. }
            ));
        }
        assert_eq!(
            decide(Kind::Bounce, &ctx(Some(3))),
            IntakeDecision::DeliveryFailure { case_id: 3 }
        );
    }

    #[test]
    fn requests_open_cases_under_their_regime() {
        assert_eq!(
            decide(Kind::Eir, &ctx(None)),
            IntakeDecision::NewCase {
                regime: Regime::Eir,
                acknowledge: true
            }
        );
        let mut scottish = ctx(None);
        scottish.region = Region::Scotland;
        assert_eq!(
            decide(Kind::Foi, &scottish),
            IntakeDecision::NewCase {
                regime: Regime::Foisa,
                acknowledge: true
            }
        );
        assert_eq!(
            decide(Kind::Review, &ctx(Some(1))),
            IntakeDecision::NewCase {
                regime: Regime::Review,
                acknowledge: true
            }
        );
    }

    #[test]
    fn replies_join_their_case_or_open_one() {
        assert_eq!(
            decide(Kind::Correspondence, &ctx(Some(9))),
            IntakeDecision::AddToCase { case_id: 9 }
        );
        assert!(matches!(
            decide(Kind::Correspondence, &ctx(None)),
            IntakeDecision::NewCase { .. }
        ));
        assert_eq!(
            decide(Kind::Foi, &ctx(Some(4))),
            IntakeDecision::AddToCase { case_id: 4 }
        );
    }

    #[test]
    fn acknowledgements_are_rate_limited_and_never_to_ourselves() {
        let mut c = ctx(None);
        c.recent_acknowledgements = ACKNOWLEDGEMENTS_PER_SENDER_PER_DAY;
        assert_eq!(
            decide(Kind::Foi, &c),
            IntakeDecision::NewCase {
                regime: Regime::Foi,
                acknowledge: false
            }
        );
        c.from_ourselves = true;
        assert!(matches!(
            decide(Kind::Foi, &c),
            IntakeDecision::Ignore { .. }
        ));
    }
}
