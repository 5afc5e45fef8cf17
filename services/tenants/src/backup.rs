//! `roster backup`: a consistent online copy of an embedded deployment as one
//! tar archive, streamed in chunks.
//!
//! The archive unpacks into a data directory that `roster serve` starts on:
//! `control.db`, `tenants/tenant_<hex>.db` (copies taken with `VACUUM INTO`
//! while the server keeps serving), `internal.key` (without it no provider
//! credential verifies after a restore), and `tls/cert.pem` / `tls/key.pem`
//! when the server generated them, so identity providers that trust the
//! certificate keep trusting it. Entries are owner-only (0600, directories
//! 0700). Nothing else of the data directory is needed: the operator token and
//! `endpoints.json` are written again on start.

use std::io::Write;
use std::path::Path;

use roster_store::EmbeddedSnapshot;
use tokio::sync::mpsc;

use crate::{Tenants, TenantsError};

/// Bytes gathered before a chunk is sent.
const CHUNK_BYTES: usize = 256 * 1024;
/// The generated TLS files, copied when present.
const TLS_FILES: &[&str] = &["tls/cert.pem", "tls/key.pem"];

/// What a finished backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    /// Tenants in the archive's control database.
    pub tenants: u32,
    /// Size of the archive.
    pub bytes: u64,
}

impl Tenants {
    /// Refuses a backup unless the data is embedded: PostgreSQL has its own tools.
    pub fn ensure_backup_supported(&self) -> Result<(), TenantsError> {
        if self.store.is_embedded() {
            Ok(())
        } else {
            Err(TenantsError::NotEmbedded)
        }
    }

    /// Copies the embedded databases and writes the archive to `out` in chunks.
    /// Interrupted when `out`'s receiver goes away; the copies are removed in every case.
    #[tracing::instrument(skip_all)]
    pub async fn backup(&self, out: mpsc::Sender<Vec<u8>>) -> Result<BackupSummary, TenantsError> {
        self.ensure_backup_supported()?;
        let snapshot = self.store.snapshot_embedded().await?;
        let key = self.authority.key_for_backup().to_vec();
        let summary = tokio::task::spawn_blocking(move || write_archive(&snapshot, &key, out))
            .await
            .map_err(|err| TenantsError::Io {
                what: "write the backup archive",
                source: std::io::Error::other(err),
            })??;
        tracing::info!(
            tenants = summary.tenants,
            bytes = summary.bytes,
            "backup written"
        );
        Ok(summary)
    }
}

/// Writes the archive (blocking I/O: runs on a blocking thread).
fn write_archive(
    snapshot: &EmbeddedSnapshot,
    key: &[u8],
    out: mpsc::Sender<Vec<u8>>,
) -> Result<BackupSummary, TenantsError> {
    let mut sink = ChunkSink {
        out,
        buffer: Vec::with_capacity(CHUNK_BYTES),
        bytes: 0,
    };
    let io = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            TenantsError::Interrupted("the receiver stopped reading".to_owned())
        } else {
            TenantsError::Io {
                what: "write the backup archive",
                source,
            }
        }
    };
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut archive = tar::Builder::new(&mut sink);
    append_dir(&mut archive, "tenants/", mtime).map_err(io)?;
    for (name, path) in snapshot.files() {
        append_file(&mut archive, &name, &path, mtime).map_err(io)?;
    }
    append_bytes(&mut archive, "internal.key", key, mtime).map_err(io)?;
    let tls: Vec<&str> = TLS_FILES
        .iter()
        .copied()
        .filter(|name| snapshot.data_dir().join(name).is_file())
        .collect();
    if !tls.is_empty() {
        append_dir(&mut archive, "tls/", mtime).map_err(io)?;
    }
    for name in tls {
        append_file(&mut archive, name, &snapshot.data_dir().join(name), mtime).map_err(io)?;
    }
    archive.finish().map_err(io)?;
    drop(archive);
    sink.send().map_err(io)?;
    Ok(BackupSummary {
        tenants: u32::try_from(snapshot.tenant_count()).unwrap_or(u32::MAX),
        bytes: sink.bytes,
    })
}

fn header(kind: tar::EntryType, size: u64, mode: u32, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(mtime);
    header
}

fn append_dir<W: Write>(
    archive: &mut tar::Builder<W>,
    name: &str,
    mtime: u64,
) -> std::io::Result<()> {
    let mut header = header(tar::EntryType::Directory, 0, 0o700, mtime);
    archive.append_data(&mut header, name, std::io::empty())
}

fn append_file<W: Write>(
    archive: &mut tar::Builder<W>,
    name: &str,
    path: &Path,
    mtime: u64,
) -> std::io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut header = header(tar::EntryType::Regular, size, 0o600, mtime);
    archive.append_data(&mut header, name, &mut file)
}

fn append_bytes<W: Write>(
    archive: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
    mtime: u64,
) -> std::io::Result<()> {
    let mut header = header(tar::EntryType::Regular, bytes.len() as u64, 0o600, mtime);
    archive.append_data(&mut header, name, bytes)
}

/// A `Write` that hands its bytes to a channel in chunks (from a blocking thread).
struct ChunkSink {
    out: mpsc::Sender<Vec<u8>>,
    buffer: Vec<u8>,
    bytes: u64,
}

impl ChunkSink {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES));
        self.bytes += chunk.len() as u64;
        self.out
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl Write for ChunkSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sink_sends_every_byte_once_in_order() {
        let (tx, mut rx) = mpsc::channel(1024);
        let mut sink = ChunkSink {
            out: tx,
            buffer: Vec::new(),
            bytes: 0,
        };
        let data: Vec<u8> = (0..(CHUNK_BYTES * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        for piece in data.chunks(1000) {
            sink.write_all(piece).unwrap();
        }
        sink.flush().unwrap();
        assert_eq!(sink.bytes, data.len() as u64);
        drop(sink);
        let mut received = Vec::new();
        while let Ok(chunk) = rx.try_recv() {
            received.extend(chunk);
        }
        assert_eq!(received, data);
    }

    #[test]
    fn chunk_sink_reports_a_gone_receiver_as_a_broken_pipe() {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let mut sink = ChunkSink {
            out: tx,
            buffer: Vec::new(),
            bytes: 0,
        };
        let err = sink.write_all(&vec![0; CHUNK_BYTES]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn entries_are_owner_only_and_read_back() {
        let mut archive = tar::Builder::new(Vec::new());
        append_dir(&mut archive, "tenants/", 1).unwrap();
        append_bytes(&mut archive, "internal.key", b"roster_key_x", 1).unwrap();
        let bytes = archive.into_inner().unwrap();
        let mut read = tar::Archive::new(bytes.as_slice());
        let entries: Vec<(String, u32)> = read
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            vec![
                ("tenants/".to_owned(), 0o700),
                ("internal.key".to_owned(), 0o600)
            ]
        );
    }
}
