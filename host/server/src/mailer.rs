//! The mailer: sends the e-mails of the outbox (`quire_store`'s `email_outbox`) over SMTP.
//!
//! Whoever wants an e-mail sent (ASM's e-mail action) queues it with [`queue_email`],
//! which refuses an address that is not one, naming its field (`to[1]`), so the caller
//! can redirect it; nothing is sent then. The mailer's job takes the due e-mails every
//! few seconds, by one server process at a time ([`Periodic`]'s hold), and tries each:
//!
//! - accepted: `sent`, with when;
//! - refused for now (the server is unreachable, times out, answers 4xx, or does not
//!   offer the STARTTLS it was told to require): the attempt is counted with the error,
//!   and the e-mail stays `queued` until its next attempt, later after each failure
//!   ([`MailerPolicy::backoff`]);
//! - refused for good (5xx), or out of attempts: `failed`, with the server's words.
//!
//! So nothing is lost while the SMTP server is down, or while none is configured (the
//! job does not run then, and the server says so once at start). One e-mail's failure
//! never stops the others of its batch. An e-mail is sent at least once: when the server
//! accepts it but the store cannot record that, it is sent again on the next attempt,
//! with the same `Message-ID` so a mail reader can tell.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use quire_store::{Email, EmailId, NewEmail, Store};

use crate::error::{Error, Result};
use crate::periodic::{Attempt, Periodic};
use crate::retry;

/// The job's name: its hold across server processes is derived from it.
pub const MAILER_JOB: &str = "mailer";

/// How long one SMTP conversation may take by default before it counts as failed.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP, upgraded with STARTTLS, which the server must offer (port 587).
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
    /// No encryption at all: only for a relay on the same host or network.
    Plain,
}

impl Security {
    /// The word `--smtp-url`'s `security=` takes.
    pub fn word(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::Tls => "tls",
            Security::Plain => "plain",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        }
    }
}

/// The SMTP server e-mails are handed to, and who they come from.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Its host name (checked against its certificate) or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: Security,
    /// The user and password to log in with, if it wants a login.
    pub credentials: Option<(String, String)>,
    /// The sender of e-mails that name none.
    pub from: Mailbox,
    /// How long one conversation may take.
    pub timeout: Duration,
}

/// The password stays out of logs.
impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SmtpSettings {
    /// Reads `smtp://[user[:password]@]host[:port][?security=starttls|tls|plain]` (STARTTLS
    /// by default; the port defaults to 587, 465 or 25 by security) and the sender's
    /// address. The user and password are percent-decoded, so they may hold `@` or `:`.
    pub fn from_url(url: &str, from: &str) -> Result<SmtpSettings> {
        let bad = |message: String| Error::Config(format!("--smtp-url: {message}"));
        let rest = url.strip_prefix("smtp://").ok_or_else(|| {
            bad(
                "expected smtp://[user:password@]host[:port][?security=starttls|tls|plain]"
                    .to_owned(),
            )
        })?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.strip_suffix('/').unwrap_or(authority);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let mut security = Security::StartTls;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("security", "starttls")) => security = Security::StartTls,
                Some(("security", "tls")) => security = Security::Tls,
                Some(("security", "plain")) => security = Security::Plain,
                Some(("security", other)) => {
                    return Err(bad(format!(
                        "security `{other}` is not starttls, tls or plain"
                    )));
                }
                _ => {
                    return Err(bad(format!(
                        "unknown parameter `{pair}`; only security= is known"
                    )));
                }
            }
        }
        let (host, port) = match hostport.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| bad(format!("`{hostport}` opens a `[` it does not close")))?;
                (host, after.strip_prefix(':'))
            }
            None => match hostport.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            },
        };
        let port = match port {
            Some(port) => port
                .parse()
                .ok()
                .filter(|&port: &u16| port != 0)
                .ok_or_else(|| bad(format!("port `{port}` is not a number from 1 to 65535")))?,
            None => security.default_port(),
        };
        if host.is_empty() {
            return Err(bad("no host".to_owned()));
        }
        let credentials = userinfo
            .map(|userinfo| {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                Ok::<_, Error>((
                    percent_decoded(user).map_err(bad)?,
                    percent_decoded(password).map_err(bad)?,
                ))
            })
            .transpose()?;
        let from = Mailbox::from_str(from).map_err(|e| {
            Error::Config(format!(
                "--smtp-from: `{from}` is not an e-mail address: {e}"
            ))
        })?;
        Ok(SmtpSettings {
            host: host.to_owned(),
            port,
            security,
            credentials,
            from,
            timeout: SMTP_TIMEOUT,
        })
    }

    /// Where e-mails go, for errors and logs: `host:port (security)`.
    fn server(&self) -> String {
        format!("{}:{} ({})", self.host, self.port, self.security.word())
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
        let tls_error = |e: lettre::transport::smtp::Error| {
            Error::Config(format!("--smtp-url: TLS for {}: {e}", self.host))
        };
        let builder = match self.security {
            Security::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                .map_err(tls_error)?,
            Security::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host).map_err(tls_error)?
            }
        };
        let mut builder = builder.port(self.port).timeout(Some(self.timeout));
        if let Some((user, password)) = &self.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
}

/// `%XX` escapes decoded, as a URL's user and password are written.
fn percent_decoded(text: &str) -> std::result::Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!("`{text}` has a `%` that is not followed by two hex digits")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` decodes to bytes that are not UTF-8"))
}

/// How the mailer works through the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailerPolicy {
    /// How often it looks for due e-mails.
    pub every: Duration,
    /// Attempts before an e-mail is given up.
    pub max_attempts: u32,
    /// The wait after the first failed attempt, the second, …; the last repeats.
    pub backoff: Vec<Duration>,
    /// E-mails tried per look.
    pub batch: u32,
}

impl Default for MailerPolicy {
    /// Every 10 s, on the shared retry schedule ([`crate::retry`]).
    fn default() -> MailerPolicy {
        MailerPolicy {
            every: Duration::from_secs(10),
            max_attempts: retry::DEFAULT_MAX_ATTEMPTS,
            backoff: retry::default_backoff(),
            batch: 100,
        }
    }
}

impl MailerPolicy {
    /// The wait after an e-mail's `attempts`-th failed attempt (from 1).
    fn wait_after(&self, attempts: u32) -> Duration {
        retry::wait_after(&self.backoff, attempts, self.every)
    }
}

/// Queues an e-mail (see [`Store::queue_email`]) after checking its addresses: one that
/// is not an address is refused as [`quire_store::Error::Invalid`] naming its field
/// (`to[1]`, `from`), and nothing is queued.
pub async fn queue_email(
    store: &Store,
    email: &NewEmail<'_>,
    at: DateTime<Utc>,
) -> quire_store::Result<(EmailId, bool)> {
    let invalid = |field: String, address: &str, e: lettre::address::AddressError| {
        quire_store::Error::Invalid {
            field,
            message: format!("`{address}` is not an e-mail address: {e}"),
        }
    };
    if let Some(from) = email.from {
        Mailbox::from_str(from).map_err(|e| invalid("from".to_owned(), from, e))?;
    }
    for (i, to) in email.to.iter().enumerate() {
        Mailbox::from_str(to).map_err(|e| invalid(format!("to[{i}]"), to, e))?;
    }
    store.queue_email(email, at).await
}

/// What one look at the outbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Accepted by the SMTP server.
    pub sent: usize,
    /// Refused for now; queued for a later attempt.
    pub deferred: usize,
    /// Given up.
    pub failed: usize,
}

/// Why one attempt failed.
struct Refusal {
    /// Whether trying again cannot help (a 5xx answer, an address that is not one).
    permanent: bool,
    /// What to keep as the e-mail's last error.
    error: String,
}

/// The mailer of one server: its SMTP server and policy.
pub struct Mailer {
    settings: SmtpSettings,
    policy: MailerPolicy,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    /// A mailer for `settings`; fails when the TLS settings cannot be built.
    pub fn new(settings: SmtpSettings, policy: MailerPolicy) -> Result<Mailer> {
        let transport = settings.transport()?;
        Ok(Mailer {
            settings,
            policy,
            transport,
        })
    }

    /// Tries every e-mail due at `now`, one batch; a failure to reach the store stops
    /// the look (the next one tries again), a failure of one e-mail does not.
    pub async fn deliver_due(
        &self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> quire_store::Result<Delivered> {
        let mut done = Delivered::default();
        for email in store.due_emails(now, self.policy.batch).await? {
            match self.send(&email).await {
                Ok(()) => {
                    store.email_sent(email.id, Utc::now()).await?;
                    done.sent += 1;
                }
                Err(refusal) => {
                    let attempts = email.attempts + 1;
                    if refusal.permanent || attempts >= self.policy.max_attempts {
                        tracing::warn!(email = %email.id, attempts, error = %refusal.error, "e-mail given up");
                        store
                            .email_given_up(email.id, &refusal.error, Utc::now())
                            .await?;
                        done.failed += 1;
                    } else {
                        let wait = self.policy.wait_after(attempts);
                        let next = Utc::now()
                            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                        tracing::info!(email = %email.id, attempts, error = %refusal.error, %next, "e-mail deferred");
                        store
                            .email_failed_attempt(email.id, &refusal.error, next)
                            .await?;
                        done.deferred += 1;
                    }
                }
            }
        }
        Ok(done)
    }

    async fn send(&self, email: &Email) -> std::result::Result<(), Refusal> {
        let message = self.message(email).map_err(|error| Refusal {
            permanent: true,
            error,
        })?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| Refusal {
                permanent: e.is_permanent(),
                error: format!("{}: {e}", self.settings.server()),
            })
    }

    /// The e-mail as a plain-text UTF-8 message; its `Message-ID` is the outbox row's,
    /// the same on every attempt.
    fn message(&self, email: &Email) -> std::result::Result<Message, String> {
        let from = match &email.from {
            Some(from) => Mailbox::from_str(from)
                .map_err(|e| format!("from: `{from}` is not an e-mail address: {e}"))?,
            None => self.settings.from.clone(),
        };
        let domain = from.email.domain().to_owned();
        let mut builder = Message::builder()
            .message_id(Some(format!(
                "<quire-email-{}-{}@{domain}>",
                email.id.0,
                email.created_at.timestamp()
            )))
            .from(from)
            .subject(email.subject.as_str())
            .header(ContentType::TEXT_PLAIN);
        for (i, to) in email.to.iter().enumerate() {
            let to = Mailbox::from_str(to)
                .map_err(|e| format!("to[{i}]: `{to}` is not an e-mail address: {e}"))?;
            builder = builder.to(to);
        }
        builder
            .body(email.body_text.clone())
            .map_err(|e| format!("building the message: {e}"))
    }

    /// Runs the mailer every [`MailerPolicy::every`] while the returned task lives,
    /// logging each look that did something and each that failed.
    pub fn spawn(self, store: Store) -> tokio::task::JoinHandle<()> {
        let job = Periodic {
            name: MAILER_JOB,
            every: self.policy.every,
        };
        tracing::info!(smtp = %self.settings.server(), from = %self.settings.from, "mailer started");
        tokio::spawn(async move {
            let mut ticks =
                tokio::time::interval_at(tokio::time::Instant::now() + job.every, job.every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match job
                    .run_once(&store, || self.deliver_due(&store, Utc::now()))
                    .await
                {
                    Ok(Attempt::Ran(done)) if done != Delivered::default() => {
                        tracing::info!(job = MAILER_JOB, ?done, "e-mails tried")
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(job = MAILER_JOB, %error, "mailer failed"),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_url_gives_host_port_security_and_decoded_credentials() {
        let settings = SmtpSettings::from_url(
            "smtp://alerts%40dealer.example:p%3Ass@mail.dealer.example:2525?security=tls",
            "Quire <quire@dealer.example>",
        )
        .unwrap();
        assert_eq!(settings.host, "mail.dealer.example");
        assert_eq!(settings.port, 2525);
        assert_eq!(settings.security, Security::Tls);
        assert_eq!(
            settings.credentials,
            Some(("alerts@dealer.example".to_owned(), "p:ss".to_owned()))
        );
        assert_eq!(settings.from.email.to_string(), "quire@dealer.example");
        assert!(!format!("{settings:?}").contains("p:ss"));
    }

    #[test]
    fn the_port_defaults_by_security() {
        let port = |url: &str| SmtpSettings::from_url(url, "q@x.example").unwrap().port;
        assert_eq!(port("smtp://relay.example"), 587);
        assert_eq!(port("smtp://relay.example?security=tls"), 465);
        assert_eq!(port("smtp://relay.example?security=plain"), 25);
        let ipv6 = SmtpSettings::from_url("smtp://[::1]:2525", "q@x.example").unwrap();
        assert_eq!((ipv6.host.as_str(), ipv6.port), ("::1", 2525));
    }

    #[test]
    fn a_bad_smtp_url_or_sender_is_refused_naming_the_option() {
        let refusal =
            |url: &str, from: &str| SmtpSettings::from_url(url, from).unwrap_err().to_string();
        assert!(refusal("http://relay.example", "q@x.example").contains("--smtp-url"));
        assert!(
            refusal("smtp://relay.example?security=ssl", "q@x.example").contains("security `ssl`")
        );
        assert!(refusal("smtp://relay.example:99999", "q@x.example").contains("port `99999`"));
        assert!(refusal("smtp://relay.example", "not an address").contains("--smtp-from"));
    }

    #[test]
    fn the_wait_grows_with_each_failed_attempt_and_then_repeats_the_last() {
        let policy = MailerPolicy::default();
        let minutes = |m: u64| Duration::from_secs(60 * m);
        assert_eq!(policy.wait_after(1), minutes(1));
        assert_eq!(policy.wait_after(2), minutes(5));
        assert_eq!(policy.wait_after(5), minutes(240));
        assert_eq!(policy.wait_after(7), minutes(240));
    }
}
