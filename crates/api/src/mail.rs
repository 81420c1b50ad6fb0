//! Outgoing e-mail. With an SMTP server configured, mail goes there; without
//! one it is written as `.eml` files under `<data-dir>/outbox`, so a new
//! installation can read what it would have sent. Sending never delays or
//! fails the request that caused it: messages leave in the background and a
//! failed delivery is logged.

use std::path::Path;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// One message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub body: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>),
}

/// Where mail goes, who it is from, and the address links in it point to.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// The server's address as users reach it, e.g. `https://doors.example.com`.
    pub public_url: String,
}

impl Mailer {
    /// Delivers through the SMTP server at `url`: `smtp://host:port` (plain,
    /// or `?tls=required` for STARTTLS) or `smtps://host:port` (TLS), with
    /// optional `user:password@`.
    pub fn smtp(url: &str, from: &str, public_url: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("invalid SMTP URL: {e}"))?
            .build();
        Self::with(Transport::Smtp(transport), from, public_url)
    }

    /// Writes every message as an `.eml` file into `directory` (created if missing).
    pub fn outbox(directory: &Path, from: &str, public_url: &str) -> Result<Self, String> {
        std::fs::create_dir_all(directory)
            .map_err(|e| format!("cannot create the outbox {}: {e}", directory.display()))?;
        let transport = AsyncFileTransport::<Tokio1Executor>::new(directory);
        Self::with(Transport::Outbox(transport), from, public_url)
    }

    fn with(transport: Transport, from: &str, public_url: &str) -> Result<Self, String> {
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("invalid sender address {from:?}: {e}"))?;
        Ok(Mailer {
            transport,
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Where mail goes, for the start-up log.
    pub fn describe(&self) -> &'static str {
        match self.transport {
            Transport::Smtp(_) => "SMTP",
            Transport::Outbox(_) => "the outbox directory (no SMTP server configured)",
        }
    }

    /// Sends in the background; the caller does not wait for the server.
    pub fn send(&self, mail: Mail) {
        let mailer = self.clone();
        tokio::spawn(async move {
            let to = mail.to.clone();
            match mailer.deliver(mail).await {
                Ok(()) => tracing::info!(to, via = mailer.describe(), "e-mail sent"),
                Err(error) => tracing::error!(to, %error, "e-mail could not be sent"),
            }
        });
    }

    pub async fn deliver(&self, mail: Mail) -> Result<(), String> {
        let to = Mailbox::new(
            mail.to_name.clone(),
            mail.to
                .parse()
                .map_err(|e| format!("invalid recipient: {e}"))?,
        );
        let message = Message::builder()
            .message_id(None)
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Outbox(outbox) => outbox
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}
