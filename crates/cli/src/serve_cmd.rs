//! `drydock serve`: the fleet server, its tokens and webhooks.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use drydock_server::auth::Scope;

use crate::Failure;
use crate::db::DbLocation;
use crate::say;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbLocation,
    /// The store: sqlite://PATH, a path, or postgres://USER:PASSWORD@HOST/DB (several servers may share one)
    #[arg(long, global = true, env = "DRYDOCK_SERVER_DATABASE", value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Option<ServeCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct RunArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8765")]
    listen: SocketAddr,
    /// PEM certificate chain: serve HTTPS (with --tls-key)
    #[arg(long, requires = "tls_key", value_name = "PATH")]
    tls_cert: Option<PathBuf>,
    /// PEM private key
    #[arg(long, requires = "tls_cert", value_name = "PATH")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address other than loopback (tokens then cross the network in clear)
    #[arg(long)]
    allow_plaintext: bool,
    /// Largest snapshot upload, in MiB
    #[arg(long, default_value_t = 64)]
    max_upload_mib: usize,
    /// Seconds between looks at the advisory database file
    #[arg(long, default_value_t = 60)]
    poll_seconds: u64,
    /// Seconds before the first webhook retry (each retry doubles it, up to an hour)
    #[arg(long, default_value_t = 10)]
    retry_seconds: u64,
    /// Attempts before a webhook delivery is given up
    #[arg(long, default_value_t = 12)]
    max_attempts: i64,
}

#[derive(Subcommand)]
enum ServeCommand {
    /// API tokens: add (printed once), list, revoke
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Webhooks: add, list, remove
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    Add {
        name: String,
        /// Comma-separated: push, read, admin
        #[arg(long, value_delimiter = ',', required = true)]
        scope: Vec<String>,
    },
    List,
    Revoke {
        name: String,
    },
}

#[derive(Subcommand)]
enum WebhookCommand {
    Add {
        url: String,
        /// The HMAC-SHA256 signing secret (at least 16 characters)
        #[arg(long, env = "DRYDOCK_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
        /// json (drydock's payload) or slack (a Slack-compatible message)
        #[arg(long, default_value = "json")]
        format: String,
        /// Only changes at or above this severity
        #[arg(long, default_value = "UNKNOWN")]
        min_severity: String,
    },
    List,
    Remove {
        id: i64,
    },
}

pub fn run(args: ServeArgs) -> Result<u8, Failure> {
    let store = crate::monitor_cmd::open_store(args.database.as_deref(), &args.db, "server.sqlite")?;
    let now = drydock_monitor::now();
    match &args.command {
        None => {
            let r = &args.run;
            let mut config = drydock_server::Config::new(r.listen, args.db.path());
            config.tls = r.tls_cert.clone().zip(r.tls_key.clone());
            config.allow_plaintext = r.allow_plaintext;
            config.max_upload = r.max_upload_mib.max(1) << 20;
            config.poll = std::time::Duration::from_secs(r.poll_seconds.max(1));
            config.retry_base = std::time::Duration::from_secs(r.retry_seconds.max(1));
            config.max_attempts = r.max_attempts.max(1);
            config.check().map_err(Failure::input)?;
            if store.tokens().map_err(Failure::input)?.is_empty() {
                eprintln!(
                    "drydock: warning: no API tokens yet: every request will get 401 (`drydock serve token add NAME --scope push,read`)"
                );
            }
            drydock_server::run(store, config).map_err(|e| match e {
                drydock_server::Error::Config(m) | drydock_server::Error::Io(m) => Failure::input(m),
                other => Failure::input(other),
            })?;
            Ok(0)
        }
        Some(ServeCommand::Token { command }) => match command {
            TokenCommand::Add { name, scope } => {
                let scopes: Vec<String> = scope
                    .iter()
                    .map(|s| s.parse::<Scope>().map(|s| s.as_str().to_string()))
                    .collect::<Result<_, _>>()
                    .map_err(Failure::input)?;
                let token = drydock_server::auth::new_token();
                store
                    .add_token(name, &drydock_server::auth::hash(&token), &scopes, now)
                    .map_err(Failure::input)?;
                eprintln!("token {name:?} ({}): shown once, store it now", scopes.join(","));
                say!("{token}");
                Ok(0)
            }
            TokenCommand::List => {
                for t in store.tokens().map_err(Failure::input)? {
                    say!(
                        "{}\t{}\tcreated {}\tlast used {}",
                        t.name,
                        t.scopes.join(","),
                        stamp(Some(t.created_at)),
                        stamp(t.last_used)
                    );
                }
                Ok(0)
            }
            TokenCommand::Revoke { name } => match store.revoke_token(name).map_err(Failure::input)? {
                0 => Err(Failure::input(format!("no token named {name:?}"))),
                _ => {
                    say!("revoked {name}");
                    Ok(0)
                }
            },
        },
        Some(ServeCommand::Webhook { command }) => match command {
            WebhookCommand::Add {
                url,
                secret,
                format,
                min_severity,
            } => {
                let severity = drydock_server::api::validate_webhook(url, secret, format, min_severity)
                    .map_err(Failure::input)?;
                let id = store
                    .add_webhook(url, secret, format, &severity, now)
                    .map_err(Failure::input)?;
                say!("webhook {id}: {url} ({format}, {severity} and above)");
                Ok(0)
            }
            WebhookCommand::List => {
                for w in store.webhooks().map_err(Failure::input)? {
                    say!("{}\t{}\t{}\t{}", w.id, w.url, w.format, w.min_severity);
                }
                Ok(0)
            }
            WebhookCommand::Remove { id } => match store.remove_webhook(*id).map_err(Failure::input)? {
                0 => Err(Failure::input(format!("no webhook {id}"))),
                _ => {
                    say!("removed webhook {id}");
                    Ok(0)
                }
            },
        },
    }
}

fn stamp(t: Option<i64>) -> String {
    t.and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.to_string())
        .unwrap_or_else(|| "never".into())
}
