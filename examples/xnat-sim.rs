//! Run the XNAT simulator by hand, to try `xcs plan` / `xcs apply` without an XNAT:
//!
//! ```sh
//! cargo run --example xnat-sim -- --listen 127.0.0.1:8080 --user admin:admin:admin,cm
//! ```

#[path = "../tests/support/xnat_sim/mod.rs"]
mod xnat_sim;

use clap::Parser;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use xnat_sim::{Faults, Sim, SimConfig, SimProject, SimUser};

/// A simulator of the XNAT Container Service configuration API (plus the XNAT core endpoints a
/// client needs). State lives in memory and is gone when it stops.
#[derive(Parser)]
#[command(name = "xnat-sim")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A user, `name:password[:roles]`; roles comma-separated, `admin` = Administrator,
    /// `cm` = ContainerManager. Repeatable. Default: admin:admin:admin,cm.
    #[arg(long = "user", value_name = "SPEC")]
    users: Vec<String>,
    /// A project, `ID[:owner=u1,u2][:member=u3][:collaborator=u4]`. Repeatable.
    #[arg(long = "project", value_name = "SPEC")]
    projects: Vec<String>,
    /// Container Service version to simulate (below 3.7: no ContainerManager role, no
    /// `visibility` / `command-metadata`).
    #[arg(long, default_value = "3.7.3")]
    cs_version: String,
    /// XNAT version reported by buildInfo.
    #[arg(long, default_value = "1.9.3")]
    xnat_version: String,
    /// Start with the event service enabled.
    #[arg(long)]
    event_service: bool,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of requests answered 500 (0–1).
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Share of requests whose connection is dropped without a response (0–1).
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Share of requests that hang for 30 s first (0–1).
    #[arg(long, default_value_t = 0.0)]
    hang_rate: f64,
    /// Share of responses whose body is trickled (0–1).
    #[arg(long, default_value_t = 0.0)]
    slow_rate: f64,
    /// Server sessions a user may hold (XNAT's `concurrentMaxSessions`); a client that never
    /// sends `JSESSIONID` back opens one per request and is refused past this.
    #[arg(long, default_value_t = 1000)]
    max_sessions: usize,
    /// Seed for fault decisions and generated secrets.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn parse_project(spec: &str) -> Option<SimProject> {
    let mut parts = spec.split(':');
    let mut p = SimProject::new(parts.next().filter(|id| !id.is_empty())?);
    for part in parts {
        let (level, users) = part.split_once('=')?;
        for u in users.split(',').filter(|u| !u.is_empty()) {
            p = match level {
                "owner" => p.owner(u),
                "member" => p.member(u),
                "collaborator" => p.collaborator(u),
                _ => return None,
            };
        }
    }
    Some(p)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut config = SimConfig {
        listen: args.listen,
        cs_version: args.cs_version,
        xnat_version: args.xnat_version,
        event_service_enabled: args.event_service,
        seed: args.seed,
        max_sessions_per_user: args.max_sessions,
        faults: Faults {
            seed: args.seed,
            latency: Duration::from_millis(args.latency_ms),
            error_rate: args.fail_rate,
            drop_rate: args.drop_rate,
            hang_rate: args.hang_rate,
            slow_rate: args.slow_rate,
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    if !args.users.is_empty() {
        config.users.clear();
        for spec in &args.users {
            match SimUser::parse(spec) {
                Some(u) => config.users.push(u),
                None => {
                    eprintln!("xnat-sim: bad --user {spec:?}; expected name:password[:roles]");
                    return ExitCode::from(2);
                }
            }
        }
    }
    for spec in &args.projects {
        match parse_project(spec) {
            Some(p) => config.projects.push(p),
            None => {
                eprintln!(
                    "xnat-sim: bad --project {spec:?}; expected ID[:owner=u1,u2][:member=u3]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let users: Vec<String> = config.users.iter().map(|u| u.username.clone()).collect();
    match Sim::try_start(config) {
        Ok(sim) => {
            println!(
                "xnat-sim listening on {} (users: {})",
                sim.url(),
                users.join(", ")
            );
            sim.wait();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xnat-sim: cannot listen on {}: {e}", args.listen);
            ExitCode::FAILURE
        }
    }
}
