//! `roster backup`, `roster export` and `roster import`: stream a backup
//! archive or a tenant export from the server into a file (or stdout), and a
//! tenant export from a file (or stdin) into the server.
//!
//! Files are written owner-only (0600: they hold credential digests, and a
//! backup holds the internal key) and atomically: into `FILE.partial`,
//! renamed to `FILE` only once the server's summary confirms every byte.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use roster_proto::tenants::v1 as pb;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::Args;
use crate::cli::{connect, status_error, tenant_json};

/// Bytes per chunk sent to the server.
const CHUNK_BYTES: usize = 64 * 1024;

/// `roster backup --out FILE`.
pub(crate) async fn backup(
    args: &Args,
    env: &BTreeMap<String, String>,
    out: &Path,
) -> anyhow::Result<()> {
    let mut admin = connect(args, env).await?;
    let request = admin.request(pb::BackupRequest {})?;
    let mut stream = admin
        .client
        .backup(request)
        .await
        .map_err(status_error)?
        .into_inner();
    let mut file = PartialFile::create(out)?;
    let mut summary = None;
    while let Some(message) = stream.message().await.map_err(status_error)? {
        file.write(&message.data)?;
        if message.summary.is_some() {
            summary = message.summary;
        }
    }
    let summary = summary.ok_or_else(|| {
        anyhow!("the server ended the backup without its summary: it is incomplete")
    })?;
    file.commit(summary.bytes)?;
    let value = json!({"out": out.display().to_string(), "tenants": summary.tenants, "bytes": summary.bytes});
    admin.print(&value, || {
        format!(
            "backup of {} tenants written to {} ({} bytes); to restore, stop roster and unpack it into an empty data directory",
            summary.tenants,
            out.display(),
            summary.bytes
        )
    });
    Ok(())
}

/// `roster export --tenant SLUG [--out FILE]`.
pub(crate) async fn export(
    args: &Args,
    env: &BTreeMap<String, String>,
    tenant: &str,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let mut admin = connect(args, env).await?;
    let request = admin.request(pb::ExportTenantRequest {
        slug: tenant.to_owned(),
    })?;
    let mut stream = admin
        .client
        .export_tenant(request)
        .await
        .map_err(status_error)?
        .into_inner();
    let mut file = match out {
        Some(path) => Some(PartialFile::create(path)?),
        None => None,
    };
    let mut stdout = std::io::stdout().lock();
    let mut written = 0u64;
    let mut summary = None;
    while let Some(message) = stream.message().await.map_err(status_error)? {
        match file.as_mut() {
            Some(file) => file.write(&message.data)?,
            None => stdout
                .write_all(&message.data)
                .context("write the export to stdout")?,
        }
        written += message.data.len() as u64;
        if message.summary.is_some() {
            summary = message.summary;
        }
    }
    let counts = summary.ok_or_else(|| {
        anyhow!("the server ended the export without its summary: it is incomplete")
    })?;
    match file {
        Some(file) => file.commit(counts.bytes)?,
        None => {
            stdout.flush().context("write the export to stdout")?;
            if written != counts.bytes {
                bail!(
                    "the export is incomplete: {written} of {} bytes arrived",
                    counts.bytes
                );
            }
        }
    }
    let mut value = counts_json(&counts);
    value["tenant"] = json!(tenant);
    value["out"] = json!(out.map(|p| p.display().to_string()));
    let text = || {
        format!(
            "exported tenant {tenant}: {} ({} bytes){}",
            describe_counts(&counts),
            counts.bytes,
            out.map(|p| format!(" to {}", p.display()))
                .unwrap_or_default()
        )
    };
    if out.is_some() {
        admin.print(&value, text);
    } else if admin.json {
        // stdout carries the document itself.
        eprintln!("{value}");
    } else {
        eprintln!("{}", text());
    }
    Ok(())
}

/// `roster import [--file FILE]`.
pub(crate) async fn import(
    args: &Args,
    env: &BTreeMap<String, String>,
    file: Option<&Path>,
) -> anyhow::Result<()> {
    let input: Box<dyn Read + Send> = match file {
        Some(path) => {
            Box::new(File::open(path).with_context(|| format!("open {}", path.display()))?)
        }
        None => Box::new(std::io::stdin()),
    };
    let mut admin = connect(args, env).await?;
    let (chunks, rx) = mpsc::channel(4);
    let reading = tokio::task::spawn_blocking(move || send_chunks(input, &chunks));
    let request = admin.request(ReceiverStream::new(rx))?;
    let answer = async {
        let mut replies = admin
            .client
            .import_tenant(request)
            .await
            .map_err(status_error)?
            .into_inner();
        replies
            .message()
            .await
            .map_err(status_error)?
            .ok_or_else(|| anyhow!("the server ended the import without an answer"))
    }
    .await;
    // A read failure cuts the document short, which the server refuses as
    // truncated; the read error says more.
    reading
        .await
        .map_err(|err| anyhow!("read the export: {err}"))?
        .with_context(|| match file {
            Some(path) => format!("read {}", path.display()),
            None => "read stdin".to_owned(),
        })?;
    let answer = answer?;
    let tenant = answer
        .tenant
        .ok_or_else(|| anyhow!("server answered without a tenant"))?;
    let counts = answer.counts.unwrap_or_default();
    let tenant_value = tenant_json(&tenant);
    let mut value = counts_json(&counts);
    value["tenant"] = tenant_value.clone();
    admin.print(&value, || {
        format!(
            "imported tenant {} ({}, {}): {}",
            tenant.slug,
            tenant.id,
            tenant_value["state"].as_str().unwrap_or("unknown"),
            describe_counts(&counts)
        )
    });
    Ok(())
}

/// Returns a transfer's counts as the `--json` output's fields.
fn counts_json(counts: &pb::TransferCounts) -> serde_json::Value {
    json!({
        "providers": counts.providers,
        "provider_settings": counts.provider_settings,
        "users": counts.users,
        "groups": counts.groups,
        "memberships": counts.memberships,
        "jobs": counts.jobs,
        "sync_entries": counts.sync_entries,
        "audit_entries": counts.audit_entries,
        "provisioning_errors": counts.provisioning_errors,
        "digest_settings": counts.digest_settings,
        "organizations": counts.organizations,
        "roles": counts.roles,
        "organization_default_roles": counts.organization_default_roles,
        "user_roles": counts.user_roles,
        "group_org_mappings": counts.group_org_mappings,
        "group_role_mappings": counts.group_role_mappings,
        "role_allowlist": counts.role_allowlist,
        "mapping_rules": counts.mapping_rules,
        "pending_remaps": counts.pending_remaps,
        "apply_results": counts.apply_results,
        "bytes": counts.bytes,
    })
}

/// Returns a transfer's counts as words.
fn describe_counts(counts: &pb::TransferCounts) -> String {
    format!(
        "{} providers, {} organizations, {} roles, {} users, {} groups, {} memberships, {} \
         mapping rules, {} jobs, {} sync-log and {} audit-log entries, {} provisioning errors",
        counts.providers,
        counts.organizations,
        counts.roles,
        counts.users,
        counts.groups,
        counts.memberships,
        counts.mapping_rules,
        counts.jobs,
        counts.sync_entries,
        counts.audit_entries,
        counts.provisioning_errors
    )
}

/// Reads `input` to its end and sends it in chunks (on a blocking thread).
/// Stops quietly when the server stops listening: its answer says why.
fn send_chunks(
    mut input: Box<dyn Read + Send>,
    chunks: &mpsc::Sender<pb::ImportTenantRequest>,
) -> std::io::Result<()> {
    let mut buffer = vec![0; CHUNK_BYTES];
    loop {
        let n = match input.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        let request = pb::ImportTenantRequest {
            data: buffer[..n].to_vec(),
        };
        if chunks.blocking_send(request).is_err() {
            return Ok(());
        }
    }
}

/// A file written as `NAME.partial` (mode 0600) and renamed to `NAME` by
/// [`PartialFile::commit`]; dropped before that, the partial file is removed.
pub(crate) struct PartialFile {
    path: PathBuf,
    partial: PathBuf,
    file: Option<File>,
    written: u64,
    committed: bool,
}

impl PartialFile {
    pub(crate) fn create(path: &Path) -> anyhow::Result<Self> {
        let mut name = path.as_os_str().to_owned();
        name.push(".partial");
        let partial = PathBuf::from(name);
        let mut options = File::options();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&partial)
            .with_context(|| format!("create {}", partial.display()))?;
        Ok(Self {
            path: path.to_owned(),
            partial,
            file: Some(file),
            written: 0,
            committed: false,
        })
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| anyhow!("{} is already closed", self.partial.display()))?;
        file.write_all(bytes)
            .with_context(|| format!("write {}", self.partial.display()))?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Checks the size against `expected`, syncs, and renames into place.
    pub(crate) fn commit(mut self, expected: u64) -> anyhow::Result<()> {
        if self.written != expected {
            bail!(
                "the transfer is incomplete: {} of {expected} bytes arrived",
                self.written
            );
        }
        let file = self
            .file
            .take()
            .ok_or_else(|| anyhow!("{} is already closed", self.partial.display()))?;
        file.sync_all()
            .with_context(|| format!("write {}", self.partial.display()))?;
        drop(file);
        std::fs::rename(&self.partial, &self.path).with_context(|| {
            format!(
                "rename {} to {}",
                self.partial.display(),
                self.path.display()
            )
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.committed {
            // Not committed: what was written is incomplete. Best effort.
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}
