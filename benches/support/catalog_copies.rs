//! Copies of the catalog's commands under new names, shared by the benches that need a large
//! repo (`validate`, `diff`). Setup and wrapup commands are copied once: other commands refer to
//! them by image and name.

use std::path::{Path, PathBuf};

/// What `generate` wrote.
pub struct Copies {
    /// The renamed copies, in order (the setup and wrapup commands are not among them).
    #[allow(dead_code)] // each bench uses the half it needs
    pub paths: Vec<PathBuf>,
    /// Bytes written, setup and wrapup commands included.
    #[allow(dead_code)]
    pub bytes: usize,
}

/// `documents` command files in `out/commands`: the catalog's setup and wrapup commands as they
/// are, then renamed copies of the others, round robin.
pub fn generate(catalog: &Path, out: &Path, documents: usize) -> Copies {
    let mut templates = Vec::new();
    let mut fixed = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(catalog)
        .expect("catalog/commands")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("read command");
        if text.contains("type: docker-setup") || text.contains("type: docker-wrapup") {
            fixed.push((path.file_name().expect("name").to_owned(), text));
        } else {
            templates.push(text);
        }
    }
    let commands = out.join("commands");
    std::fs::create_dir_all(&commands).expect("mkdir");
    let mut bytes = 0;
    for (name, text) in &fixed {
        std::fs::write(commands.join(name), text).expect("write");
        bytes += text.len();
    }
    let mut paths = Vec::new();
    for i in 0..documents - fixed.len() {
        let text = rename(&templates[i % templates.len()], i);
        let path = commands.join(format!("cmd-{i:05}.yaml"));
        bytes += text.len();
        std::fs::write(&path, text).expect("write");
        paths.push(path);
    }
    Copies { paths, bytes }
}

/// The command with `-NNNNN` appended to its top-level name.
fn rename(text: &str, i: usize) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("name: ") {
            Some(name) => format!("name: {}-{i:05}", name.trim_matches('"')),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
