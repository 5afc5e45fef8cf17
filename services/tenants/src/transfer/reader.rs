//! Reads a document's records from chunks that may split lines anywhere.

use super::ChunkSource;
use super::format::{Record, VERSION, parse_line};
use crate::TenantsError;

/// The longest line accepted: far above any record the gateway's body limit lets in.
const MAX_LINE_BYTES: usize = 32 * 1024 * 1024;

fn invalid(line: u64, problem: impl Into<String>) -> TenantsError {
    TenantsError::InvalidExport {
        line: Some(line),
        problem: problem.into(),
    }
}

/// Reads records from chunks that may split lines anywhere.
pub(crate) struct RecordReader<S> {
    source: S,
    buffer: Vec<u8>,
    /// Where the next line starts in `buffer`.
    start: usize,
    /// How far past `start` is known to hold no newline.
    scanned: usize,
    line: u64,
    /// Bytes read so far.
    pub(crate) bytes: u64,
    /// The document's version, which decides the kinds and fields read: this build's until
    /// the header has said otherwise.
    pub(crate) version: u32,
    done: bool,
}

impl<S: ChunkSource> RecordReader<S> {
    pub(crate) fn new(source: S) -> Self {
        Self {
            source,
            buffer: Vec::new(),
            start: 0,
            scanned: 0,
            line: 0,
            bytes: 0,
            version: VERSION,
            done: false,
        }
    }

    /// Returns the next record and its line number, skipping blank lines; None at the end.
    pub(crate) async fn next(&mut self) -> Result<Option<(u64, Record)>, TenantsError> {
        loop {
            let Some((text, terminated)) = self.next_line().await? else {
                return Ok(None);
            };
            if text.trim().is_empty() {
                continue;
            }
            return match parse_line(self.line, &text, self.version) {
                Ok(record) => Ok(Some((self.line, record))),
                // A last line without its newline that does not parse was cut short.
                Err(_) if !terminated => Err(invalid(
                    self.line,
                    "the document is truncated: its last line is cut off",
                )),
                Err(err) => Err(err),
            };
        }
    }

    /// Returns the next line and whether a newline ended it.
    async fn next_line(&mut self) -> Result<Option<(String, bool)>, TenantsError> {
        loop {
            let from = self.start + self.scanned;
            if let Some(at) = self.buffer[from..].iter().position(|b| *b == b'\n') {
                let end = from + at;
                let line = self.take(end, end + 1)?;
                return Ok(Some((line, true)));
            }
            self.scanned = self.buffer.len() - self.start;
            if self.done {
                if self.start == self.buffer.len() {
                    return Ok(None);
                }
                let end = self.buffer.len();
                return Ok(Some((self.take(end, end)?, false)));
            }
            if self.scanned > MAX_LINE_BYTES {
                return Err(invalid(
                    self.line + 1,
                    format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20),
                ));
            }
            self.buffer.drain(..self.start);
            self.start = 0;
            match self.source.next_chunk().await? {
                Some(chunk) => {
                    self.bytes += chunk.len() as u64;
                    self.buffer.extend_from_slice(&chunk);
                }
                None => self.done = true,
            }
        }
    }

    /// Takes `buffer[start..end]` as the next line and continues at `next`.
    fn take(&mut self, end: usize, next: usize) -> Result<String, TenantsError> {
        self.line += 1;
        let raw = &self.buffer[self.start..end];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(raw)
            .map_err(|_| invalid(self.line, "the line is not UTF-8"))?
            .to_owned();
        self.start = next;
        self.scanned = 0;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document in fixed chunks.
    struct Chunks(std::vec::IntoIter<Vec<u8>>);

    impl ChunkSource for Chunks {
        async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TenantsError> {
            Ok(self.0.next())
        }
    }

    fn reader(text: &str, chunk: usize) -> RecordReader<Chunks> {
        let chunks: Vec<Vec<u8>> = text.as_bytes().chunks(chunk).map(<[u8]>::to_vec).collect();
        RecordReader::new(Chunks(chunks.into_iter()))
    }

    const END: &str = r#"{"kind":"end","counts":{"providers":0,"provider_settings":0,"users":0,"groups":0,"memberships":0,"jobs":0,"sync_entries":0,"audit_entries":0,"provisioning_errors":0,"digest_settings":0,"organizations":0,"roles":0,"organization_default_roles":0,"user_roles":0,"group_org_mappings":0,"group_role_mappings":0,"role_allowlist":0,"mapping_rules":0,"pending_remaps":0,"apply_results":0}}"#;

    #[tokio::test]
    async fn lines_split_across_chunks_are_reassembled_and_blank_lines_skipped() {
        let text = format!("\n{END}\r\n\n{END}\n");
        for chunk in [1, 2, 7, 1000] {
            let mut r = reader(&text, chunk);
            let (line, first) = r.next().await.unwrap().unwrap();
            assert_eq!((line, first.kind()), (2, "end"), "chunk {chunk}");
            let (line, _) = r.next().await.unwrap().unwrap();
            assert_eq!(line, 4);
            assert!(r.next().await.unwrap().is_none());
            assert_eq!(r.bytes, text.len() as u64);
        }
    }

    #[tokio::test]
    async fn a_last_line_without_newline_is_read_and_a_cut_one_is_called_truncated() {
        let mut r = reader(END, 5);
        assert_eq!(r.next().await.unwrap().unwrap().1.kind(), "end");
        assert!(r.next().await.unwrap().is_none());

        let cut = &END[..END.len() - 3];
        let err = reader(cut, 5).next().await.unwrap_err().to_string();
        assert!(err.contains("truncated") && err.contains("line 1"), "{err}");

        let err = reader("{\"kind\":\"end\"\n", 5)
            .next()
            .await
            .unwrap_err()
            .to_string();
        assert!(!err.contains("truncated"), "{err}");
    }

    #[tokio::test]
    async fn bad_utf8_is_refused_with_its_line() {
        let chunks = vec![format!("{END}\n").into_bytes(), vec![0xff, 0xfe, b'\n']];
        let mut r = RecordReader::new(Chunks(chunks.into_iter()));
        r.next().await.unwrap();
        let err = r.next().await.unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");
    }
}
