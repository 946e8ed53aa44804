//! IMAP: open a session (connect, TLS or STARTTLS, greeting, LOGIN, SELECT), list what to
//! fetch, fetch one message, and do the after-import step.

use async_imap::imap_proto::{Response, Status};
use async_imap::types::Mailbox;
use futures::TryStreamExt;
use tikal_core::mail_account::{AfterImport, MailAccount, ProbeStep, Security};
use tokio::time::Instant;

use crate::net::{Failure, MailStream, MailTls, OPERATION, within};

pub type Session = async_imap::Session<MailStream>;

/// Signs in and selects the account's folder: each step bounded by `deadline`.
pub async fn open(account: &MailAccount, password: &str, tls: &MailTls, deadline: Instant) -> Result<(Session, Mailbox), Failure> {
    let direct = (account.security == Security::Tls).then_some(tls);
    let stream = MailStream::connect(&account.host, account.port, direct, deadline).await?;
    let mut client = async_imap::Client::new(stream);
    greeting(&mut client, deadline).await?;
    if account.security == Security::StartTls {
        within(deadline, ProbeStep::Tls, client.run_command_and_check_ok("STARTTLS", None)).await?;
        let stream = client.into_inner().upgrade(&account.host, tls, deadline).await?;
        // No greeting follows the handshake (RFC 3501 6.2.1).
        client = async_imap::Client::new(stream);
    }
    let login = tokio::time::timeout_at(deadline, client.login(&account.username, password)).await;
    let mut session = match login {
        Ok(Ok(s)) => s,
        Ok(Err((e, _))) => return Err(Failure::new(ProbeStep::Login, e)),
        Err(_) => return Err(Failure::new(ProbeStep::Login, "timed out")),
    };
    let mailbox = within(deadline, ProbeStep::Folder, session.select(account.folder())).await?;
    Ok((session, mailbox))
}

async fn greeting(client: &mut async_imap::Client<MailStream>, deadline: Instant) -> Result<(), Failure> {
    let first = within(deadline, ProbeStep::Greeting, client.read_response()).await?;
    match first {
        None => Err(Failure::new(ProbeStep::Greeting, "the server closed the connection")),
        Some(r) => match r.parsed() {
            Response::Data { status: Status::Ok | Status::PreAuth, .. } => Ok(()),
            other => Err(Failure::new(ProbeStep::Greeting, format!("{other:?}"))),
        },
    }
}

/// The UIDs to look at: unread ones when mail is marked seen after import (read mail was
/// read by a person), every one when it is moved or deleted (what stays was not done).
pub async fn candidates(session: &mut Session, after: AfterImport) -> Result<Vec<u32>, Failure> {
    let query = if after == AfterImport::MarkSeen { "UNSEEN" } else { "ALL" };
    let uids = within(Instant::now() + OPERATION, ProbeStep::Folder, session.uid_search(query)).await?;
    let mut uids: Vec<u32> = uids.into_iter().collect();
    uids.sort_unstable();
    Ok(uids)
}

/// The size the server gives for a message (`None`: it is gone).
pub async fn size(session: &mut Session, uid: u32) -> Result<Option<u32>, Failure> {
    let fetches = within(Instant::now() + OPERATION, ProbeStep::Mailbox, async {
        session.uid_fetch(uid.to_string(), "RFC822.SIZE").await?.try_collect::<Vec<_>>().await
    })
    .await?;
    Ok(fetches.iter().find(|f| f.uid == Some(uid)).and_then(|f| f.size))
}

/// The raw message, without setting `\Seen` (PEEK): it is marked only once it is stored.
pub async fn body(session: &mut Session, uid: u32) -> Result<Option<Vec<u8>>, Failure> {
    let fetches = within(Instant::now() + OPERATION, ProbeStep::Mailbox, async {
        session.uid_fetch(uid.to_string(), "BODY.PEEK[]").await?.try_collect::<Vec<_>>().await
    })
    .await?;
    Ok(fetches.iter().find(|f| f.uid == Some(uid)).and_then(|f| f.body()).map(<[u8]>::to_vec))
}

/// Marks, moves or deletes a stored message on the server.
pub async fn after_import(session: &mut Session, account: &MailAccount, uid: u32) -> Result<(), Failure> {
    let deadline = Instant::now() + OPERATION;
    let set = uid.to_string();
    match account.after_import {
        AfterImport::MarkSeen => store_flag(session, &set, "\\Seen", deadline).await,
        AfterImport::Move => {
            let to = account.move_to.as_deref().unwrap_or("Archive");
            let caps = within(deadline, ProbeStep::Mailbox, session.capabilities()).await?;
            if caps.has_str("MOVE") {
                within(deadline, ProbeStep::Mailbox, session.uid_mv(&set, to)).await
            } else {
                within(deadline, ProbeStep::Mailbox, session.uid_copy(&set, to)).await?;
                store_flag(session, &set, "\\Deleted", deadline).await?;
                expunge(session, &set, caps.has_str("UIDPLUS"), deadline).await
            }
        }
        AfterImport::Delete => {
            let caps = within(deadline, ProbeStep::Mailbox, session.capabilities()).await?;
            store_flag(session, &set, "\\Deleted", deadline).await?;
            expunge(session, &set, caps.has_str("UIDPLUS"), deadline).await
        }
    }
}

async fn store_flag(session: &mut Session, set: &str, flag: &str, deadline: Instant) -> Result<(), Failure> {
    within(deadline, ProbeStep::Mailbox, async {
        session.uid_store(set, format!("+FLAGS.SILENT ({flag})")).await?.try_collect::<Vec<_>>().await
    })
    .await
    .map(|_| ())
}

/// Removes deleted messages: only this one where the server can (UIDPLUS), else every message
/// marked deleted in the folder (what a mail client's "compact" does).
async fn expunge(session: &mut Session, set: &str, uidplus: bool, deadline: Instant) -> Result<(), Failure> {
    within(deadline, ProbeStep::Mailbox, async {
        if uidplus {
            session.uid_expunge(set).await?.try_collect::<Vec<_>>().await
        } else {
            session.expunge().await?.try_collect::<Vec<_>>().await
        }
    })
    .await
    .map(|_| ())
}

/// Ends the session politely; a failure here changes nothing already done.
pub async fn close(mut session: Session) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), session.logout()).await;
}
