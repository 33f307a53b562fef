//! Text for people: the resolved launch as `docker run` commands (`--dry-run`), and the report
//! after a run. Sensitive input values are masked in both.

use super::outputs::Report;
use crate::launch::{LaunchSpec, docker_run};
use std::fmt::Write as _;

/// Every container in launch order as a `docker run` command, then what each output handler
/// would upload, then the notes.
pub fn dry_run(spec: &LaunchSpec) -> String {
    let mut out = String::new();
    let wrapper = spec
        .wrapper
        .as_deref()
        .map(|w| format!(" (wrapper {w})"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "# {}{wrapper}: {} container(s)",
        spec.command,
        spec.setup.len() + 1 + spec.wrapup.len()
    );
    if !spec.build_dirs.is_empty() {
        let _ = writeln!(out, "\n# build directories");
        for d in &spec.build_dirs {
            let from = d
                .copy_from
                .as_deref()
                .map(|f| format!(" (a copy of {f})"))
                .unwrap_or_default();
            let _ = writeln!(out, "mkdir -p {}{from}", docker_run::quote(&d.path));
        }
    }
    let all = spec.setup.iter().chain([&spec.main]).chain(&spec.wrapup);
    for c in all {
        let _ = writeln!(
            out,
            "\n# {} container: {} ({})\n{}",
            c.role,
            c.command,
            c.image,
            docker_run::render(c)
        );
    }
    if !spec.outputs.is_empty() {
        let _ = writeln!(out, "\n# outputs");
        for o in &spec.outputs {
            let path = o
                .path
                .as_deref()
                .map(|p| format!("/{p}"))
                .unwrap_or_default();
            let label = o.label.clone().unwrap_or_else(|| o.name.clone());
            let target = o.target_uri.as_deref().unwrap_or(&o.target);
            let via = o
                .via_wrapup
                .as_deref()
                .map(|w| format!(" via wrapup {w}"))
                .unwrap_or_default();
            let req = if o.required { "required" } else { "optional" };
            let _ = writeln!(
                out,
                "{}: {req}, {}{path}{via} → {} `{label}` on {target}",
                o.name, o.host_dir, o.handler_type
            );
        }
    }
    for n in &spec.notes {
        let _ = writeln!(out, "# note: {n}");
    }
    spec.mask(&out)
}

/// The outcome of a run: each container's exit code, each output's check, the verdict.
pub fn report(spec: &LaunchSpec, r: &Report) -> String {
    let mut out = String::new();
    for c in &r.containers {
        let kept = if c.kept {
            format!(" (kept: {})", short(&c.container_id))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:>8} {} container {} exited {}{kept}",
            "Ran", c.role, c.command, c.exit_code
        );
    }
    if !r.outputs.is_empty() {
        let _ = writeln!(out, "Outputs:");
    }
    for o in &r.outputs {
        let target = o.target_uri.as_deref().unwrap_or(&o.target);
        let what = match o.status {
            "present" => format!(
                "would upload {} as {} `{}` on {target}",
                files(&o.files),
                o.handler_type,
                o.label
            ),
            "empty" => format!(
                "{} is empty: XNAT would create an empty {} `{}` on {target}",
                o.host_path, o.handler_type, o.label
            ),
            "missing" => format!(
                "nothing at {}{}",
                o.host_path,
                if o.required {
                    ": the launch fails (required output)"
                } else {
                    ""
                }
            ),
            _ => "not uploaded: the run failed".to_string(),
        };
        let _ = writeln!(out, "{:>12}  {}  {what}", o.status, o.name);
    }
    let verdict = match (r.exit_code, r.complete) {
        (_, true) => "Complete: XNAT would mark this launch Complete.".to_string(),
        (None, _) => {
            "Failed: a setup container failed; the main container never started.".to_string()
        }
        (Some(0), false) if r.containers.iter().any(|c| c.exit_code != 0) => {
            "Failed: a wrapup container failed.".to_string()
        }
        (Some(0), false) => "Failed: a required output is missing.".to_string(),
        (Some(code), false) => format!("Failed: the main container exited {code}."),
    };
    let _ = writeln!(out, "{verdict}");
    spec.mask(&out)
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn files(f: &[String]) -> String {
    let shown: Vec<&str> = f.iter().take(5).map(String::as_str).collect();
    let more = if f.len() > 5 {
        format!(", … {} more", f.len() - 5)
    } else {
        String::new()
    };
    format!(
        "{} file{} ({}{more})",
        f.len(),
        if f.len() == 1 { "" } else { "s" },
        shown.join(", ")
    )
}
