//! TLS client settings shared by IMAP and SMTP: the public web PKI roots,
//! plus an optional CA file for councils that run their own PKI.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rustls::pki_types::CertificateDer;

/// Reads every certificate in a PEM file.
pub fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read CA file {}", path.display()))?;
    let certs = rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("CA file {} is not valid PEM", path.display()))?;
    if certs.is_empty() {
        bail!("CA file {} holds no certificate", path.display());
    }
    Ok(certs)
}

pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        for cert in read_pem_certificates(path)? {
            roots.add(cert).with_context(|| {
                format!("CA file {} has an unusable certificate", path.display())
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
