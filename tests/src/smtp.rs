//! A small SMTP server on a loopback port that records what it receives, for tests of mail
//! Roster sends. Enough of RFC 5321 for a real client (lettre): EHLO/HELO, MAIL, RCPT, DATA with
//! dot-unstuffing (§4.5.2), RSET, NOOP, QUIT; no TLS, no AUTH. It can refuse the next messages
//! with a transient `451`, as a relay in trouble does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message the server accepted, with its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The reverse path of `MAIL FROM:<…>`.
    pub mail_from: String,
    /// The forward paths of every accepted `RCPT TO:<…>`, in order.
    pub rcpt_to: Vec<String>,
    /// The message as sent (headers and body, CRLF line ends), dot-unstuffed.
    pub data: String,
}

impl ReceivedMail {
    /// Returns the first header named `name` (case-insensitive), unfolded, without the name.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = found.as_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((key, value)) = line.split_once(':')
                && key.trim().eq_ignore_ascii_case(name)
            {
                found = Some(value.trim().to_owned());
            }
        }
        found
    }

    /// Returns the body as text with `\n` line ends, quoted-printable decoded when the message
    /// says it is (RFC 2045 §6.7).
    pub fn body(&self) -> String {
        let body = self
            .data
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body);
        let quoted = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"));
        let text = if quoted {
            decode_quoted_printable(body)
        } else {
            body.to_owned()
        };
        text.replace("\r\n", "\n")
    }
}

/// Decodes quoted-printable text: `=XX` octets and `=` soft line breaks.
fn decode_quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if let Some(hex) = text.get(i + 1..i + 3)
                && let Ok(octet) = u8::from_str_radix(hex, 16)
            {
                out.push(octet);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Default)]
struct State {
    messages: Vec<ReceivedMail>,
    /// How many more messages to refuse with 451 after their data.
    refuse: u32,
    /// The messages refused so far.
    refused: Vec<ReceivedMail>,
}

/// A running test SMTP server; dropping it stops it.
pub struct SmtpServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    /// Starts the server on `127.0.0.1` and a port the OS picks.
    pub async fn start() -> anyhow::Result<SmtpServer> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind the test SMTP server")?;
        let addr = listener.local_addr().context("test SMTP server address")?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    // A client that goes away mid-session is the client's business.
                    let _ = session(stream, state).await;
                });
            }
        });
        Ok(SmtpServer { addr, state, task })
    }

    /// Returns the port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Returns the `ROSTER_SMTP__*` variables that send Roster's mail here from `from`.
    pub fn roster_env(&self, from: &str) -> Vec<(String, String)> {
        vec![
            ("ROSTER_SMTP__HOST".to_owned(), "127.0.0.1".to_owned()),
            ("ROSTER_SMTP__PORT".to_owned(), self.port().to_string()),
            ("ROSTER_SMTP__TLS".to_owned(), "none".to_owned()),
            ("ROSTER_SMTP__FROM".to_owned(), from.to_owned()),
            ("ROSTER_SMTP__TIMEOUT_SECS".to_owned(), "5".to_owned()),
        ]
    }

    /// Returns every message accepted so far, in arrival order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.lock().messages.clone()
    }

    /// Returns the messages refused with `451` so far, in arrival order.
    pub fn refused(&self) -> Vec<ReceivedMail> {
        self.lock().refused.clone()
    }

    /// Refuses the next `n` messages with `451` after reading their data.
    pub fn refuse_next(&self, n: u32) {
        self.lock().refuse = n;
    }

    /// Waits (at most `timeout`) until at least `n` messages were accepted and returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{n} messages did not arrive in {timeout:?}; got {messages:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The path inside `FROM:<…>` / `TO:<…>` (parameters after it ignored).
fn path_of(argument: &str) -> Option<String> {
    let open = argument.find('<')?;
    let close = argument[open..].find('>')? + open;
    Some(argument[open + 1..close].to_owned())
}

/// Serves one connection: one SMTP session, possibly several transactions.
async fn session(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 roster-e2e ESMTP ready\r\n").await?;
    let mut greeted = false;
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if lines.read_until(b'\n', &mut raw).await? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
        let (verb, argument) = line.split_once(' ').unwrap_or((&line, ""));
        let reply: &[u8] = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                b"250-roster-e2e\r\n250 8BITMIME\r\n"
            }
            "HELO" => {
                greeted = true;
                b"250 roster-e2e\r\n"
            }
            "MAIL" if !greeted => b"503 5.5.1 say EHLO first\r\n",
            "MAIL" => match argument
                .get(..5)
                .filter(|p| p.eq_ignore_ascii_case("FROM:"))
            {
                Some(_) => match path_of(argument) {
                    Some(path) => {
                        mail_from = Some(path);
                        rcpt_to.clear();
                        b"250 2.1.0 OK\r\n"
                    }
                    None => b"501 5.5.4 bad reverse path\r\n",
                },
                None => b"501 5.5.4 MAIL FROM:<path>\r\n",
            },
            "RCPT" if mail_from.is_none() => b"503 5.5.1 MAIL first\r\n",
            "RCPT" => match path_of(argument).filter(|p| !p.is_empty()) {
                Some(path)
                    if argument
                        .get(..3)
                        .is_some_and(|p| p.eq_ignore_ascii_case("TO:")) =>
                {
                    rcpt_to.push(path);
                    b"250 2.1.5 OK\r\n"
                }
                _ => b"501 5.5.4 RCPT TO:<path>\r\n",
            },
            "DATA" if rcpt_to.is_empty() => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    raw.clear();
                    if lines.read_until(b'\n', &mut raw).await? == 0 {
                        return Ok(());
                    }
                    let text = String::from_utf8_lossy(&raw);
                    let content = text.trim_end_matches(['\r', '\n']);
                    if content == "." {
                        break;
                    }
                    // RFC 5321 §4.5.2: a leading dot was doubled by the client.
                    data.push_str(content.strip_prefix('.').unwrap_or(content));
                    data.push_str("\r\n");
                }
                let message = ReceivedMail {
                    mail_from: mail_from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                };
                let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                if state.refuse > 0 {
                    state.refuse -= 1;
                    state.refused.push(message);
                    b"451 4.3.0 try again later\r\n"
                } else {
                    state.messages.push(message);
                    b"250 2.0.0 queued\r\n"
                }
            }
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn say(
        lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
        write: &mut tokio::net::tcp::OwnedWriteHalf,
        text: &str,
    ) -> String {
        write.write_all(text.as_bytes()).await.unwrap();
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            lines.read_line(&mut line).await.unwrap();
            reply.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return reply;
            }
        }
    }

    #[tokio::test]
    async fn records_the_envelope_and_unstuffs_dots_and_refuses_on_request() {
        let server = SmtpServer::start().await.unwrap();
        let stream = TcpStream::connect(("127.0.0.1", server.port()))
            .await
            .unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        let mut greeting = String::new();
        lines.read_line(&mut greeting).await.unwrap();
        assert!(greeting.starts_with("220 "));
        assert!(
            say(&mut lines, &mut write, "MAIL FROM:<a@x.test>\r\n")
                .await
                .starts_with("503")
        );
        assert!(
            say(&mut lines, &mut write, "EHLO me\r\n")
                .await
                .starts_with("250-")
        );
        assert!(
            say(&mut lines, &mut write, "DATA\r\n")
                .await
                .starts_with("503")
        );
        assert!(
            say(
                &mut lines,
                &mut write,
                "MAIL FROM:<a@x.test> BODY=8BITMIME\r\n"
            )
            .await
            .starts_with("250")
        );
        assert!(
            say(&mut lines, &mut write, "RCPT TO:<b@x.test>\r\n")
                .await
                .starts_with("250")
        );
        assert!(
            say(&mut lines, &mut write, "RCPT TO:<c@x.test>\r\n")
                .await
                .starts_with("250")
        );
        assert!(
            say(&mut lines, &mut write, "DATA\r\n")
                .await
                .starts_with("354")
        );
        let reply = say(&mut lines, &mut write, "Subject: hi\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n..leading dot\r\ncaf=C3=A9 =\r\nend\r\n.\r\n").await;
        assert!(reply.starts_with("250"), "{reply}");
        server.refuse_next(1);
        assert!(
            say(&mut lines, &mut write, "RSET\r\n")
                .await
                .starts_with("250")
        );
        assert!(
            say(&mut lines, &mut write, "NOOP\r\n")
                .await
                .starts_with("250")
        );
        say(&mut lines, &mut write, "MAIL FROM:<a@x.test>\r\n").await;
        say(&mut lines, &mut write, "RCPT TO:<b@x.test>\r\n").await;
        say(&mut lines, &mut write, "DATA\r\n").await;
        assert!(
            say(&mut lines, &mut write, "x\r\n.\r\n")
                .await
                .starts_with("451")
        );
        assert!(
            say(&mut lines, &mut write, "QUIT\r\n")
                .await
                .starts_with("221")
        );

        assert_eq!(server.refused().len(), 1);
        let messages = server.messages();
        assert_eq!(messages.len(), 1, "{messages:#?}");
        let mail = &messages[0];
        assert_eq!(mail.mail_from, "a@x.test");
        assert_eq!(mail.rcpt_to, ["b@x.test", "c@x.test"]);
        assert_eq!(mail.header("subject").as_deref(), Some("hi"));
        assert_eq!(mail.body(), ".leading dot\ncafé end\n");
    }
}
