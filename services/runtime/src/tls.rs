//! TLS material for the gateway: a configured certificate, or a self-signed
//! one generated on first start under `data_dir/tls`.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Paths of a PEM certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain (PEM); also what clients trust for a self-signed setup.
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// Returns the configured files, or `data_dir/tls/{cert,key}.pem`, generating a
/// self-signed certificate for localhost, 127.0.0.1, ::1 and `hosts` when absent.
pub fn ensure_certificate(
    data_dir: &Path,
    configured: Option<(PathBuf, PathBuf)>,
    hosts: &[String],
) -> anyhow::Result<TlsFiles> {
    if let Some((cert, key)) = configured {
        return Ok(TlsFiles { cert, key });
    }
    let dir = data_dir.join("tls");
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    if files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    names.extend(hosts.iter().cloned());
    let certified =
        rcgen::generate_simple_self_signed(names).context("generate a self-signed certificate")?;
    crate::auth::write_private_file(&files.key, certified.signing_key.serialize_pem().as_bytes())
        .context("write tls/key.pem")?;
    std::fs::write(&files.cert, certified.cert.pem()).context("write tls/cert.pem")?;
    tracing::info!(cert = %files.cert.display(), "generated a self-signed certificate");
    Ok(files)
}
