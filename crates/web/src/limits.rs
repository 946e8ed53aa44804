//! Abuse limits at the HTTP edge: the `[http]` settings, who the client is (the connection's
//! address, or the one a trusted reverse proxy forwarded), and per-client rate limits on the
//! forms that cost a password hash or send mail.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;

use crate::AppState;

/// The `[http]` section: connection limits, trusted proxies and the metrics token.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Reverse proxies (CIDR, e.g. `127.0.0.1/32`) whose `X-Forwarded-For` names the client.
    /// Empty by default: the connection's address is the client.
    pub trusted_proxies: Vec<Cidr>,
    /// `GET /metrics` answers only with `Authorization: Bearer <token>`; without a token it is
    /// off.
    pub metrics_token: Option<String>,
    /// A client must send a request's headers within this time; an idle kept-alive connection
    /// is closed after it too.
    pub header_read_timeout_secs: u64,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings { trusted_proxies: Vec::new(), metrics_token: None, header_read_timeout_secs: 10, max_connections: 1024 }
    }
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// An address range such as `10.0.0.0/8` or `::1/128` (a bare address is a single host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an address range such as 127.0.0.1/32")]
pub struct CidrError(String);

impl TryFrom<String> for Cidr {
    type Error = CidrError;
    fn try_from(s: String) -> Result<Self, CidrError> {
        s.parse()
    }
}

impl std::str::FromStr for Cidr {
    type Err = CidrError;
    fn from_str(s: &str) -> Result<Self, CidrError> {
        let bad = || CidrError(s.chars().take(60).collect());
        let (addr, prefix) = s.trim().split_once('/').map_or((s.trim(), None), |(a, p)| (a, Some(p)));
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { net, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u128::from(u32::from(n)), 32, self.prefix) == masked(u128::from(u32::from(a)), 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => masked(u128::from(n), 128, self.prefix) == masked(u128::from(a), 128, self.prefix),
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    let drop = u32::from(width.saturating_sub(prefix));
    bits.checked_shr(drop).unwrap_or(0)
}

/// The client's address: the connection's, or, when the connection comes from a trusted proxy,
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            // Garbage in the header: trust nothing further left.
            Err(_) => break,
        }
    }
    client
}

/// The client address of this request (see `client_ip`), set by `identify_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ClientIp>().copied().unwrap_or(ClientIp(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// Works out the client's address once per request.
pub async fn identify_client(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let ip = client_ip(peer, req.headers(), &state.http.trusted_proxies);
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// Keys beyond this many are swept at once instead of waiting for the periodic sweep.
const MAX_KEYS: usize = 100_000;

/// Per-client allowances of the expensive forms.
pub struct RateLimits {
    /// Signing in and opening a status link: a burst of 10, then one every 6 s.
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    /// Registering and setting a password (a hash each): 5, then one a minute.
    accounts: DefaultKeyedRateLimiter<IpAddr>,
    /// Forms that send mail (forgotten password, status link): 5, then one a minute.
    mail: DefaultKeyedRateLimiter<IpAddr>,
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            sign_in: DefaultKeyedRateLimiter::keyed(quota(10, Duration::from_secs(6))),
            accounts: DefaultKeyedRateLimiter::keyed(quota(5, Duration::from_secs(60))),
            mail: DefaultKeyedRateLimiter::keyed(quota(5, Duration::from_secs(60))),
        }
    }
}

impl RateLimits {
    fn bucket(&self, method: &Method, path: &str) -> Option<&DefaultKeyedRateLimiter<IpAddr>> {
        match (method, path) {
            (&Method::POST, "/login" | "/agent/login") => Some(&self.sign_in),
            (&Method::GET, p) if p.starts_with("/status/") => Some(&self.sign_in),
            (&Method::POST, "/register") => Some(&self.accounts),
            (&Method::POST, p) if p.starts_with("/password/reset/") => Some(&self.accounts),
            (&Method::POST, "/password/forgot" | "/status") => Some(&self.mail),
            _ => None,
        }
    }

    /// `Err(wait)` when this client has used its allowance for the request's form.
    pub fn check(&self, method: &Method, path: &str, client: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = self.bucket(method, path) else { return Ok(()) };
        if limiter.len() > MAX_KEYS {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets clients whose allowance is full again (run periodically: keeps the key set small).
    pub fn sweep(&self) {
        for l in [&self.sign_in, &self.accounts, &self.mail] {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    pub fn keys(&self) -> usize {
        self.sign_in.len() + self.accounts.len() + self.mail.len()
    }
}

/// Answers 429 (a page in the visitor's language, with `Retry-After`) when the client has used
/// its allowance for a sign-in, registration, link or reset form.
pub async fn rate_limit(State(state): State<AppState>, ClientIp(ip): ClientIp, req: Request, next: Next) -> Response {
    let Err(wait) = state.limits.check(req.method(), req.uri().path(), ip) else {
        return next.run(req).await;
    };
    let secs = wait.as_secs().max(1);
    tracing::warn!(client = %ip, path = req.uri().path(), "rate limit reached");
    let (mut parts, _) = req.into_parts();
    let mut resp = match crate::pages::Visitor::from_request_parts(&mut parts, &state).await {
        Ok(v) => crate::pages::PageError::Status(Box::new(v.c.clone()), StatusCode::TOO_MANY_REQUESTS, v.c.t("error-rate-limited"))
            .into_response(),
        Err(e) => e.into_response(),
    };
    *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    resp
}

/// Sweeps the rate limiters every minute while the server runs.
pub fn spawn_sweeper(limits: Arc<RateLimits>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limits.sweep();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn ranges() {
        let lo: Cidr = "127.0.0.1/32".parse().expect("cidr");
        assert!(lo.contains(ip("127.0.0.1")));
        assert!(!lo.contains(ip("127.0.0.2")));
        assert!(lo.contains(ip("::ffff:127.0.0.1")), "v4-mapped");
        let net: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(net.contains(ip("10.200.1.1")) && !net.contains(ip("11.0.0.1")));
        let all: Cidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(all.contains(ip("8.8.8.8")));
        let v6: Cidr = "fd00::/8".parse().expect("cidr");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")) && !v6.contains(ip("10.0.0.1")));
        assert_eq!("::1".parse::<Cidr>().expect("bare"), "::1/128".parse().expect("cidr"));
        for bad in ["", "localhost", "10.0.0.0/33", "10.0.0.0/x", "::/129"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.0.0.2"));
        let trusted = ["127.0.0.1/32".parse().expect("cidr"), "10.0.0.0/8".parse().expect("cidr")];
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"), "off by default: the peer");
        assert_eq!(client_ip(ip("198.51.100.1"), &h, &trusted), ip("198.51.100.1"), "an untrusted peer's header is ignored");
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.7"), "the nearest untrusted hop; the spoofed one is ignored");
        h.insert("x-forwarded-for", HeaderValue::from_static("garbage, 10.0.0.3"));
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("10.0.0.3"));
        assert_eq!(client_ip(ip("127.0.0.1"), &HeaderMap::new(), &trusted), ip("127.0.0.1"));
    }

    #[test]
    fn allowances_are_per_client_and_per_form() {
        let limits = RateLimits::default();
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        for _ in 0..10 {
            assert!(limits.check(&Method::POST, "/login", a).is_ok());
        }
        let wait = limits.check(&Method::POST, "/login", a).expect_err("limited");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(6));
        assert!(limits.check(&Method::POST, "/login", b).is_ok(), "another client has its own allowance");
        assert!(limits.check(&Method::POST, "/register", a).is_ok(), "another form has its own allowance");
        assert!(limits.check(&Method::GET, "/login", a).is_ok(), "showing the form is free");
        assert!(limits.check(&Method::POST, "/tickets/new", a).is_ok());
        assert!(limits.keys() >= 3);
    }
}
