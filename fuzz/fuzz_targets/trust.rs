//! The trust gate on arbitrary header blocks: it must never panic, and it
//! must never vouch for a block that lacks what its mode requires — in
//! `received_stamp`, an authenticated-submission stamp on a hop written by
//! the configured host; in `exchange_online`, the council's tenant id and
//! `AuthAs: Internal`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use foid::core::trust::{
    check, DelegatedSend, ExchangeOnline, Policy, ReceivedStamp, TrustMode,
};

const TENANT: &str = "3f0c6a52-9b1e-4d7a-8c25-6e1f0b9d4a73";

fn policies() -> &'static [Policy; 2] {
    static P: OnceLock<[Policy; 2]> = OnceLock::new();
    P.get_or_init(|| {
        [
            Policy {
                mode: TrustMode::ReceivedStamp(ReceivedStamp::postfix(vec![
                    "mx.council.test".into(),
                ])),
                delegated_send: DelegatedSend::Refuse,
            },
            Policy {
                mode: TrustMode::ExchangeOnline(ExchangeOnline {
                    tenant_id: TENANT.into(),
                    from_entity: vec!["Hosted".into()],
                    auth_mechanism: vec![],
                    require_originating: true,
                }),
                delegated_send: DelegatedSend::SenderIsActor,
            },
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let lower = String::from_utf8_lossy(data).to_ascii_lowercase();
    for (i, policy) in policies().iter().enumerate() {
        let Ok(v) = check(data, None, |_| true, Some(policy)) else {
            continue;
        };
        // Vouched for: the block must carry what the mode reads.
        if i == 0 {
            assert!(
                lower.contains("(authenticated sender:") && lower.contains("by mx.council.test"),
                "received_stamp vouched for {} without a stamp",
                v.actor
            );
            assert!(
                lower.contains("esmtpa") || lower.contains("esmtpsa"),
                "vouched without ESMTPA/ESMTPSA"
            );
        } else {
            assert!(lower.contains(TENANT), "exchange_online vouched without the tenant");
            assert!(
                lower.contains("x-ms-exchange-organization-authas:"),
                "exchange_online vouched without AuthAs"
            );
        }
    }
});
