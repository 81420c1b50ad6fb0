//! The command line: `serve` and `bootstrap`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::{commands, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "A self-hosted access-control server speaking the Kisi API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Create an organization and its owner (creates the database if needed).
    Bootstrap(BootstrapArgs),
    /// Operator actions on user profiles.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Card readers without hardware.
    #[command(subcommand)]
    Reader(ReaderCommand),
    /// Members in bulk.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Generate a large benchmark organization (deterministic; never for real doors).
    Seed(SeedArgs),
    /// Rewrite the database compactly and refresh its statistics (SQLite: stop the server first).
    Compact(CompactArgs),
}

#[derive(Debug, Args)]
pub struct CompactArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The new organization's domain.
    #[arg(long, default_value = "bench")]
    pub org_domain: String,
    /// The owner's and the first members' password (8 to 128 characters).
    #[arg(long, env = "GATEHOUSE_OWNER_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Varies names, secrets and history; the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 50)]
    pub places: u64,
    /// Doors, spread over the places.
    #[arg(long, default_value_t = 5_000)]
    pub locks: u64,
    /// Groups (a multiple of places); group g holds door g.
    #[arg(long, default_value_t = 2_000)]
    pub groups: u64,
    #[arg(long, default_value_t = 100_000)]
    pub members: u64,
    /// Group role assignments, spread evenly over the members.
    #[arg(long, default_value_t = 200_000)]
    pub role_assignments: u64,
    /// Activated cards, one each for the first members.
    #[arg(long, default_value_t = 50_000)]
    pub cards: u64,
    /// Past unlock events over the last 30 days.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Device logins for the first members (the load generator uses them).
    #[arg(long, default_value_t = 20_000)]
    pub logins: u64,
    /// The first members who sign in with the password.
    #[arg(long, default_value_t = 1_000)]
    pub passwords: u64,
    /// Where to write what was made, for `gatehouse-load`
    /// (default: <data-dir>/bench-manifest.json).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Write every member of an organization (or of a place or group) to a
    /// CSV or XLSX file, with a progress bar on a terminal.
    Export(ExportArgs),
    /// Import members from a CSV file in Kisi's column order (email, name,
    /// image, password_flow, role_id, group_ids, credential_token,
    /// backup_credential_token), with a progress bar and a summary.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The organization's domain.
    #[arg(long)]
    pub org_domain: String,
    /// The CSV file.
    pub file: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The organization's domain.
    #[arg(long)]
    pub org_domain: String,
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    pub format: FormatArg,
    /// The file to write.
    #[arg(long)]
    pub output: PathBuf,
    /// Only members with access in this place.
    #[arg(long)]
    pub place: Option<i64>,
    /// Only members of this group.
    #[arg(long)]
    pub group: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum ReaderCommand {
    /// Present a card at a reader's door, exactly as the reader would:
    /// decides, records the event, prints the outcome. Exits 0 when the door
    /// opens, 3 when it stays shut.
    Tap(TapArgs),
}

#[derive(Debug, Args)]
pub struct TapArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The reader's secret (from POST /readers).
    #[arg(long, env = "GATEHOUSE_READER_SECRET", hide_env_values = true)]
    pub reader_secret: String,
    /// A Kisi card's token.
    #[arg(long, group = "card")]
    pub card_token: Option<String>,
    /// A high-frequency card's UID.
    #[arg(long, group = "card")]
    pub card_uid: Option<String>,
    /// A low-frequency card's number (with --facility-code when it has one).
    #[arg(long, group = "card")]
    pub card_number: Option<i64>,
    #[arg(long, requires = "card_number")]
    pub facility_code: Option<i64>,
    /// The card's two-factor PIN, if it has one.
    #[arg(long)]
    pub pin: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Delete a user profile entirely: every membership, login and role
    /// assignment in every organization. Never reachable through the API.
    Purge(PurgeArgs),
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The e-mail address of the user profile.
    #[arg(long)]
    pub email: String,
    /// Confirm the deletion (it cannot be undone).
    #[arg(long)]
    pub yes: bool,
}

/// Where the data lives; shared by every command.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Directory for the embedded database, exports and the e-mail outbox.
    #[arg(long, env = "GATEHOUSE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: `sqlite://<data-dir>/gatehouse.db`.
    #[arg(long, env = "GATEHOUSE_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StorageArgs {
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("gatehouse.db").display()))
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Address and port to listen on.
    #[arg(long, env = "GATEHOUSE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// On an empty database, create a sample organization and print how to sign in.
    #[arg(long)]
    pub demo: bool,
    /// Requests per second per user (per address when signed out); 0 turns the limit off.
    #[arg(long, env = "GATEHOUSE_RATE_LIMIT_PER_SECOND", default_value_t = 5)]
    pub rate_limit_per_second: u32,
    /// Requests a user may make at once before the per-second rate applies.
    #[arg(long, env = "GATEHOUSE_RATE_LIMIT_BURST", default_value_t = 10)]
    pub rate_limit_burst: u32,
    /// SMTP server for outgoing e-mail, e.g. `smtp://user:pass@mail.example.com:587?tls=required`
    /// or `smtps://...:465`. Without one, e-mails are written to `<data-dir>/outbox/*.eml`.
    #[arg(long, env = "GATEHOUSE_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of outgoing e-mail.
    #[arg(
        long,
        env = "GATEHOUSE_MAIL_FROM",
        default_value = "gatehouse <gatehouse@localhost>"
    )]
    pub mail_from: String,
    /// The address users reach this server at, for links in e-mails
    /// (default: http:// and the listen address).
    #[arg(long, env = "GATEHOUSE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Log format.
    #[arg(long, env = "GATEHOUSE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SubscriptionArg {
    Organizations,
    Standard,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The organization's display name.
    #[arg(long)]
    pub org_name: String,
    /// The sign-in handle (`user.domain` of POST /logins), e.g. `acme`.
    #[arg(long)]
    pub org_domain: String,
    /// The owner's e-mail address.
    #[arg(long)]
    pub owner_email: String,
    /// The owner's name (default: the part of the e-mail before @).
    #[arg(long)]
    pub owner_name: Option<String>,
    /// The owner's password (8 to 128 characters). Prefer the environment
    /// variable: command lines are visible to other users of the machine.
    #[arg(long, env = "GATEHOUSE_OWNER_PASSWORD", hide_env_values = true)]
    pub owner_password: Option<String>,
    /// The subscription, which decides which member flags are switches.
    #[arg(long, value_enum, default_value_t = SubscriptionArg::Organizations)]
    pub subscription: SubscriptionArg,
    /// The organization's IANA time zone.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => {
            let _log = telemetry::init(matches!(args.log_format, LogFormat::Json));
            commands::serve(args).await
        }
        Command::Bootstrap(args) => commands::bootstrap(args).await,
        Command::Users(UsersCommand::Purge(args)) => commands::purge(args).await,
        Command::Reader(ReaderCommand::Tap(args)) => return commands::tap(args).await,
        Command::Members(MembersCommand::Export(args)) => commands::export(args).await,
        Command::Members(MembersCommand::Import(args)) => commands::import(args).await,
        Command::Seed(args) => crate::seed::run(args).await,
        Command::Compact(args) => commands::compact(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
