//! POP3: open a session (connect, TLS, greeting, USER/PASS, STAT), list the messages with
//! their UIDL and size, fetch one, delete one. Deletions take effect at QUIT.

use std::collections::HashMap;

use async_pop::response::list::ListResponse;
use async_pop::response::types::DataType;
use async_pop::response::uidl::UidlResponse;
use tikal_core::mail_account::{MailAccount, ProbeStep, Security};
use tokio::time::Instant;

use crate::net::{Failure, MailStream, MailTls, OPERATION, within};

pub type Session = async_pop::Client<MailStream>;

/// async-pop reads at most 20 MiB in one answer: larger messages cannot be fetched with it,
/// so they are set aside like those over the desk's own limit (with room for dot-stuffing).
pub const MAX_POP3_BYTES: u64 = 20 * 1024 * 1024 - 256 * 1024;

/// Signs in and counts the messages waiting (STAT), each step bounded by `deadline`.
pub async fn open(account: &MailAccount, password: &str, tls: &MailTls, deadline: Instant) -> Result<(Session, u32), Failure> {
    let direct = (account.security == Security::Tls).then_some(tls);
    let stream = MailStream::connect(&account.host, account.port, direct, deadline).await?;
    let mut session = within(deadline, ProbeStep::Greeting, async_pop::new(stream)).await?;
    within(deadline, ProbeStep::Login, session.login(&account.username, password)).await?;
    let stat = within(deadline, ProbeStep::Mailbox, session.stat()).await?;
    let count = stat.counter().value().ok().and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
    Ok((session, count))
}

/// A message waiting on the server: its number in this session, UIDL and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub number: usize,
    pub uidl: String,
    pub size: u64,
}

/// Every message with its UIDL (UIDL) and size (LIST).
pub async fn listing(session: &mut Session) -> Result<Vec<Listed>, Failure> {
    let deadline = Instant::now() + OPERATION;
    let sizes: HashMap<usize, u64> = match within(deadline, ProbeStep::Mailbox, session.list(None)).await? {
        ListResponse::Multiple(list) => {
            list.items().iter().filter_map(|s| Some((s.counter().value().ok()?, u64::try_from(s.size().value().ok()?).ok()?))).collect()
        }
        ListResponse::Single(s) => {
            s.counter().value().ok().into_iter().filter_map(|n| Some((n, u64::try_from(s.size().value().ok()?).ok()?))).collect()
        }
    };
    let ids: Vec<(usize, String)> = match within(deadline, ProbeStep::Mailbox, session.uidl(None)).await? {
        UidlResponse::Multiple(u) => {
            u.items().iter().filter_map(|i| Some((i.index().value().ok()?, i.id().as_str_lossy().into_owned()))).collect()
        }
        UidlResponse::Single(i) => i.index().value().ok().map(|n| (n, i.id().as_str_lossy().into_owned())).into_iter().collect(),
    };
    let mut out: Vec<Listed> =
        ids.into_iter().map(|(number, uidl)| Listed { number, uidl, size: sizes.get(&number).copied().unwrap_or(0) }).collect();
    out.sort_by_key(|l| l.number);
    Ok(out)
}

pub async fn retrieve(session: &mut Session, number: usize) -> Result<Vec<u8>, Failure> {
    Ok(within(Instant::now() + OPERATION, ProbeStep::Mailbox, session.retr(number)).await?.to_vec())
}

/// Marks a message for deletion (done at QUIT).
pub async fn delete(session: &mut Session, number: usize) -> Result<(), Failure> {
    within(Instant::now() + OPERATION, ProbeStep::Mailbox, session.dele(number)).await.map(|_| ())
}

/// QUIT: the server applies the deletions now. Its failure means they did not happen.
pub async fn quit(mut session: Session) -> Result<(), Failure> {
    within(Instant::now() + OPERATION, ProbeStep::Mailbox, session.quit()).await.map(|_| ())
}
