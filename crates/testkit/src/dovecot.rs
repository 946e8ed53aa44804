//! A real IMAP and POP3 server for the mail tests: Dovecot (Debian's `dovecot-imapd` and
//! `dovecot-pop3d`, installed by scripts/test) started from a private configuration in a
//! temporary directory, on 127.0.0.1 and free ports, with plaintext logins (and, on request,
//! TLS with a self-signed certificate made here). Stopped when dropped.
//!
//! Dovecot must be started as root: its master drops to the `dovecot`/`dovenull` users for
//! logins and delivers as the `vmail` system user (it refuses uid 0 for mail), which
//! scripts/test creates. The tests run as root on the project's machines; as another user,
//! start them with sudo. Messages are put in place with IMAP APPEND, so no file ownership
//! needs care.

use std::path::{Path, PathBuf};
use std::process::Command;

use async_imap::Session;
use futures::TryStreamExt;
use tempfile::TempDir;
use tokio::net::TcpStream;

/// A message left in a folder, as the server has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub uid: u32,
    pub seen: bool,
    pub deleted: bool,
    pub subject: String,
}

pub struct Dovecot {
    pub imap_port: u16,
    pub pop3_port: u16,
    /// With TLS: the ports of IMAPS and POP3S, and the certificate (DER) the server presents
    /// for `localhost` and 127.0.0.1.
    pub tls: Option<(u16, u16, Vec<u8>)>,
    config: PathBuf,
    _dir: TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn binary(name: &str) -> String {
    let sbin = format!("/usr/sbin/{name}");
    if Path::new(&sbin).exists() { sbin } else { name.to_string() }
}

impl Dovecot {
    /// Starts a server whose users (name, password) each have an empty mailbox.
    pub async fn start(users: &[(&str, &str)]) -> Dovecot {
        Dovecot::start_with(users, false).await
    }

    /// Also listens with TLS (IMAPS, POP3S) using a self-signed certificate.
    pub async fn start_with_tls(users: &[(&str, &str)]) -> Dovecot {
        Dovecot::start_with(users, true).await
    }

    async fn start_with(users: &[(&str, &str)], tls: bool) -> Dovecot {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        // The login and mail processes run as other users: they must reach into this directory.
        set_mode(d, 0o755);
        for sub in ["base", "state"] {
            std::fs::create_dir(d.join(sub)).expect("dir");
        }
        let mail = d.join("mail");
        std::fs::create_dir(&mail).expect("mail dir");
        set_mode(&mail, 0o777);
        let passwd: String = users.iter().map(|(u, p)| format!("{u}:{{PLAIN}}{p}::::::\n")).collect();
        std::fs::write(d.join("passwd"), passwd).expect("passwd");
        let (imap_port, pop3_port) = (free_port(), free_port());
        let mut ssl = "ssl = no\n".to_string();
        let mut secure = None;
        if tls {
            let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).expect("certificate");
            std::fs::write(d.join("cert.pem"), cert.cert.pem()).expect("cert");
            std::fs::write(d.join("key.pem"), cert.signing_key.serialize_pem()).expect("key");
            ssl = format!("ssl = yes\nssl_cert = <{0}/cert.pem\nssl_key = <{0}/key.pem\n", d.display());
            secure = Some((free_port(), free_port(), cert.cert.der().to_vec()));
        }
        let (imaps, pop3s) = secure.as_ref().map_or((0, 0), |(a, b, _)| (*a, *b));
        let conf = format!(
            "protocols = imap pop3\nlisten = 127.0.0.1\nbase_dir = {d}/base\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             {ssl}disable_plaintext_auth = no\nauth_mechanisms = plain login\nmail_location = maildir:{d}/mail/%u\nfirst_valid_uid = 1\n\
             pop3_uidl_format = %08Xu%08Xv\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=vmail gid=vmail home={d}/mail/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap_port}\n  }}\n  inet_listener imaps {{\n    port = {imaps}\n  }}\n}}\n\
             service pop3-login {{\n  inet_listener pop3 {{\n    port = {pop3_port}\n  }}\n  inet_listener pop3s {{\n    port = {pop3s}\n  }}\n}}\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n",
            d = d.display()
        );
        let config = d.join("dovecot.conf");
        std::fs::write(&config, conf).expect("config");
        let status = Command::new(binary("dovecot"))
            .arg("-c")
            .arg(&config)
            .status()
            .expect("dovecot (scripts/test installs dovecot-imapd and dovecot-pop3d)");
        assert!(status.success(), "dovecot did not start: {}", std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default());
        let server = Dovecot { imap_port, pop3_port, tls: secure, config, _dir: dir };
        for _ in 0..400 {
            if TcpStream::connect(("127.0.0.1", imap_port)).await.is_ok() && TcpStream::connect(("127.0.0.1", pop3_port)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("dovecot did not listen on {imap_port}/{pop3_port}");
    }

    /// Signs in over plain IMAP (for setting up and looking at mailboxes).
    pub async fn session(&self, user: &str, password: &str) -> Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.imap_port)).await.expect("connect to dovecot");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting").expect("greeting");
        client.login(user, password).await.map_err(|(e, _)| e).expect("login to dovecot")
    }

    /// Puts a raw message in `folder` (unread).
    pub async fn append(&self, user: &str, password: &str, folder: &str, raw: &[u8]) {
        let mut s = self.session(user, password).await;
        s.append(folder, None, None, raw).await.expect("APPEND");
        let _ = s.logout().await;
    }

    pub async fn create_folder(&self, user: &str, password: &str, folder: &str) {
        let mut s = self.session(user, password).await;
        s.create(folder).await.expect("CREATE");
        let _ = s.logout().await;
    }

    /// What is left in `folder`, with its flags (empty if the folder does not exist).
    pub async fn messages(&self, user: &str, password: &str, folder: &str) -> Vec<Left> {
        let mut s = self.session(user, password).await;
        let mut out = Vec::new();
        if let Ok(mailbox) = s.examine(folder).await
            && mailbox.exists > 0
        {
            let fetches: Vec<_> =
                s.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])").await.expect("FETCH").try_collect().await.expect("FETCH");
            for f in &fetches {
                let flags: Vec<String> = f.flags().map(|fl| format!("{fl:?}")).collect();
                let header = String::from_utf8_lossy(f.header().unwrap_or_default()).to_string();
                out.push(Left {
                    uid: f.uid.unwrap_or_default(),
                    seen: flags.iter().any(|f| f == "Seen"),
                    deleted: flags.iter().any(|f| f == "Deleted"),
                    subject: header.trim().trim_start_matches("Subject:").trim().to_string(),
                });
            }
        }
        let _ = s.logout().await;
        out.sort_by_key(|l| l.uid);
        out
    }

    /// The server's log (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new(binary("doveadm")).arg("-c").arg(&self.config).arg("stop").status();
    }
}
