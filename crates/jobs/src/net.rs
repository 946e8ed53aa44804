//! Connections to mail servers: TCP with a deadline, TLS through rustls (ring, its own
//! provider handed in, so nothing depends on a process-wide default), and one stream type
//! for plain and protected connections that the IMAP and POP3 clients read and write.

use std::fmt::Display;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName};
use tikal_core::mail_account::ProbeStep;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// A step that went wrong: which, and what the server (or the system) said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub step: ProbeStep,
    pub detail: String,
}

impl Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.detail)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub fn new(step: ProbeStep, detail: impl Display) -> Failure {
        // Server answers can be long and multi-line; people read one line.
        let detail: String = detail.to_string().split_whitespace().collect::<Vec<_>>().join(" ").chars().take(500).collect();
        Failure { step, detail }
    }
}

/// Runs `fut` as `step` until `deadline`; a late or failed step becomes its `Failure`.
pub async fn within<T, E: Display>(deadline: Instant, step: ProbeStep, fut: impl Future<Output = Result<T, E>>) -> Result<T, Failure> {
    match tokio::time::timeout_at(deadline, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Failure::new(step, e)),
        Err(_) => Err(Failure::new(step, "timed out")),
    }
}

/// How long one network operation of a fetch may take (a large message on a slow link).
pub const OPERATION: Duration = Duration::from_secs(120);

/// Which certificates a server may present: the public web PKI, plus any roots given (a
/// private CA of the organisation, or a test's).
#[derive(Clone)]
pub struct MailTls {
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for MailTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailTls")
    }
}

impl MailTls {
    /// The public roots (Mozilla's, built in).
    pub fn public() -> Result<MailTls, String> {
        MailTls::with_roots(&[])
    }

    /// The public roots and `extra` (DER certificates).
    pub fn with_roots(extra: &[CertificateDer<'static>]) -> Result<MailTls, String> {
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        for c in extra {
            roots.add(c.clone()).map_err(|e| format!("certificate: {e}"))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(MailTls { config: Arc::new(config) })
    }

    /// Wraps `tcp` in TLS, checking the certificate names `host`.
    pub async fn wrap(&self, tcp: TcpStream, host: &str) -> io::Result<TlsStream<TcpStream>> {
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_string())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        TlsConnector::from(self.config.clone()).connect(name, tcp).await
    }
}

/// A connection to a mail server, protected or not.
#[derive(Debug)]
pub enum MailStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl MailStream {
    /// Connects to `host:port` (step `Connect`) and, with `tls`, shakes hands (step `Tls`).
    pub async fn connect(host: &str, port: u16, tls: Option<&MailTls>, deadline: Instant) -> Result<MailStream, Failure> {
        let tcp =
            within(deadline, ProbeStep::Connect, TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))).await?;
        match tls {
            None => Ok(MailStream::Plain(tcp)),
            Some(t) => Ok(MailStream::Tls(Box::new(within(deadline, ProbeStep::Tls, t.wrap(tcp, host)).await?))),
        }
    }

    /// Upgrades a plain connection after STARTTLS.
    pub async fn upgrade(self, host: &str, tls: &MailTls, deadline: Instant) -> Result<MailStream, Failure> {
        match self {
            MailStream::Plain(tcp) => Ok(MailStream::Tls(Box::new(within(deadline, ProbeStep::Tls, tls.wrap(tcp, host)).await?))),
            already => Ok(already),
        }
    }
}

impl AsyncRead for MailStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_flush(cx),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MailStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
