//! A resolved container as the `docker run` command line that starts the same container:
//! what `xcs run --dry-run` prints, for a person to read or paste.

use super::ContainerSpec;

/// One `docker run …` line per container, arguments quoted for a POSIX shell, long options
/// one per line.
pub fn render(c: &ContainerSpec) -> String {
    let mut args: Vec<String> = vec!["docker run".into()];
    if let Some(name) = &c.name {
        args.push(format!("--name {}", quote(name)));
    }
    if let Some(m) = c.memory_bytes {
        args.push(format!("--memory {m}"));
    }
    if let Some(m) = c.memory_reservation_bytes {
        args.push(format!("--memory-reservation {m}"));
    }
    if let Some(n) = c.nano_cpus {
        args.push(format!("--cpus {}", n as f64 / 1e9));
    }
    if let Some(s) = c.shm_size {
        args.push(format!("--shm-size {s}"));
    }
    for (flag, value) in [
        ("--network", &c.network),
        ("--runtime", &c.runtime),
        ("--ipc", &c.ipc_mode),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            args.push(format!("{flag} {}", quote(v)));
        }
    }
    for u in &c.ulimits {
        args.push(format!("--ulimit {}={}:{}", u.name, u.soft, u.hard));
    }
    for m in &c.mounts {
        let ro = if m.writable { "" } else { ":ro" };
        args.push(format!(
            "-v {}",
            quote(&format!("{}:{}{ro}", m.host_path, m.container_path))
        ));
    }
    for (k, v) in &c.env {
        args.push(format!("-e {}", quote(&format!("{k}={v}"))));
    }
    for (container, host) in &c.ports {
        args.push(format!("-p {}", quote(&format!("{host}:{container}"))));
    }
    for (k, v) in &c.labels {
        args.push(format!("--label {}", quote(&format!("{k}={v}"))));
    }
    if let Some(w) = &c.working_dir {
        args.push(format!("-w {}", quote(w)));
    }
    if c.override_entrypoint {
        args.push("--entrypoint ''".into());
    }
    let tail: Vec<String> = std::iter::once(quote(&c.image))
        .chain(c.cmd.iter().map(|a| quote(a)))
        .collect();
    args.push(tail.join(" "));
    args.join(" \\\n    ")
}

/// A word for a POSIX shell: bare when safe, else in single quotes.
pub fn quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
