//! The e-mail channel: the accounts mail is fetched from and sent through (their passwords
//! encrypted), every inbound message as it arrived (its raw bytes are a blob; a row per message
//! so each is imported once and the ones that could not be are kept in quarantine), the
//! Message-IDs we sent and received (threading), the automatic replies sent per address (loop
//! brake), and the requester addresses that bounce.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_mail"
    }
}

fn one_of(col: &'static str, values: &[&str]) -> ColumnDef {
    ColumnDef::new(Alias::new(col)).text().not_null().check(Expr::col(Alias::new(col)).is_in(values.iter().copied())).take()
}

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(Alias::new(table), Alias::new(col)).to(Alias::new(to), Alias::new("id")).take()
}

async fn index(m: &SchemaManager<'_>, name: &str, table: &'static str, cols: &[&'static str], unique: bool) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(Alias::new(table)).to_owned();
    for c in cols {
        stmt.col(Alias::new(*c));
    }
    if unique {
        stmt.unique();
    }
    m.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("mail_accounts")
                .col(big_pk_auto("id"))
                .col(text_uniq("name"))
                .col(one_of("protocol", &["imap", "pop3", "smtp"]))
                .col(text("host"))
                .col(integer("port"))
                .col(one_of("security", &["tls", "starttls", "none"]))
                .col(text("username"))
                // nonce + ciphertext (base64) under the desk's secret key; never the password.
                .col(text("password_secret"))
                // The mailbox's own address: mail from it is ours (loops), and mail sent through
                // an SMTP account goes out from it unless the department has its own.
                .col(text_null("address"))
                .col(text_null("folder"))
                .col(one_of("after_import", &["mark_seen", "move", "delete"]))
                .col(text_null("move_to"))
                .col(integer("poll_seconds").default(60))
                .col(big_integer_null("department_id"))
                .col(big_integer_null("help_topic_id"))
                .col(boolean("active").default(true))
                .col(big_integer_null("locked_until"))
                .col(big_integer_null("last_polled_at"))
                .col(text_null("last_error"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk("mail_accounts", "department_id", "departments"))
                .foreign_key(&mut fk("mail_accounts", "help_topic_id", "help_topics"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("mail_inbound")
                .col(big_pk_auto("id"))
                // None: piped (`tikal mail ingest`) or posted over HTTP.
                .col(big_integer_null("account_id"))
                // Where the server keeps it: `imap:<uidvalidity>:<uid>` or `pop3:<uidl>`.
                .col(text_null("remote_key"))
                .col(text_null("message_id"))
                .col(text("sha256"))
                .col(big_integer("size"))
                .col(one_of("status", &["received", "imported", "ignored", "duplicate", "quarantined"]))
                .col(text_null("reason"))
                .col(text_null("sender"))
                .col(text_null("subject"))
                .col(big_integer_null("ticket_id"))
                .col(big_integer_null("entry_id"))
                .col(integer("attempts").default(0))
                .col(big_integer("received_at"))
                .col(big_integer_null("processed_at"))
                .foreign_key(&mut fk("mail_inbound", "account_id", "mail_accounts"))
                .foreign_key(&mut fk("mail_inbound", "ticket_id", "tickets"))
                .foreign_key(&mut fk("mail_inbound", "entry_id", "thread_entries"))
                .take(),
        )
        .await?;
        // Each message of an account once, however many nodes poll it (NULLs never collide:
        // piped messages are told apart by their Message-ID instead).
        index(m, "mail_inbound_remote", "mail_inbound", &["account_id", "remote_key"], true).await?;
        index(m, "mail_inbound_message_id", "mail_inbound", &["message_id"], false).await?;
        index(m, "mail_inbound_status", "mail_inbound", &["status", "id"], false).await?;
        index(m, "mail_inbound_entry", "mail_inbound", &["entry_id"], false).await?;
        // A retried pipe finds its earlier, unfinished row; the blob purge asks which blobs are kept.
        index(m, "mail_inbound_sha256", "mail_inbound", &["sha256"], false).await?;
        m.create_table(
            Table::create()
                .table("mail_message_ids")
                .col(text("message_id").primary_key())
                .col(big_integer("ticket_id"))
                .col(big_integer_null("entry_id"))
                .col(boolean("outbound"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("mail_message_ids", "ticket_id", "tickets"))
                .take(),
        )
        .await?;
        index(m, "mail_message_ids_ticket", "mail_message_ids", &["ticket_id", "created_at"], false).await?;
        m.create_table(
            Table::create().table("mail_autoreplies").col(big_pk_auto("id")).col(text("address")).col(big_integer("sent_at")).take(),
        )
        .await?;
        index(m, "mail_autoreplies_address", "mail_autoreplies", &["address", "sent_at"], false).await?;
        m.alter_table(Table::alter().table("requesters").add_column(big_integer_null("mail_bounced_at")).to_owned()).await?;
        m.alter_table(Table::alter().table("requesters").add_column(text_null("mail_bounce_reason")).to_owned()).await?;
        Ok(())
    }
}
