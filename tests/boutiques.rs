//! `xcs import boutiques` through the CLI: every corpus descriptor with a Docker image becomes
//! a command that `xcs validate` accepts; the others are refused, clearly.

use crate::snapshot;
use crate::support::{Xcs, corpus_dir};
use serde_json::Value;
use std::path::PathBuf;

fn descriptors() -> Vec<(PathBuf, Value)> {
    let dir = corpus_dir()
        .expect("../shared/corpus beside the checkout")
        .join("boutiques");
    let mut out: Vec<(PathBuf, Value)> = std::fs::read_dir(&dir)
        .expect("corpus/boutiques")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let d =
                serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("JSON");
            (p, d)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 8, "corpus descriptors: {}", out.len());
    out
}

fn is_docker(d: &Value) -> bool {
    d["container-image"]["type"] == "docker" && d["container-image"]["image"].is_string()
}

#[test]
fn every_docker_descriptor_converts_to_a_command_that_validates() {
    let x = Xcs::new();
    let mut converted = 0;
    for (path, d) in descriptors() {
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .to_string();
        let out = format!("{stem}.yaml");
        let r = x.exec([
            "import".as_ref(),
            "boutiques".as_ref(),
            path.as_os_str(),
            "--out".as_ref(),
            out.as_ref(),
        ]);
        if !is_docker(&d) {
            r.code(2).stderr_has("XNAT runs Docker images only");
            assert!(!x.root().join(&out).exists(), "{stem}: refused but written");
            continue;
        }
        r.code(0);
        converted += 1;
        let v = x
            .exec(["validate", &out, "--format", "json"])
            .code(0)
            .json();
        assert_eq!(v["summary"]["errors"], 0, "{stem}: {v}");
        // The only warning allowed is the descriptor's own `latest` tag.
        for diag in v["diagnostics"].as_array().expect("diagnostics") {
            assert_eq!(diag["code"], "XCS150", "{stem}: {diag}");
        }
        let latest = d["container-image"]["image"]
            .as_str()
            .is_some_and(|i| i.ends_with(":latest"));
        assert_eq!(v["summary"]["warnings"], u64::from(latest), "{stem}: {v}");
    }
    assert_eq!(converted, 5);
}

#[test]
fn the_conversion_and_what_it_cannot_express() {
    let path = corpus_dir()
        .expect("corpus")
        .join("boutiques/example1_docker.json");
    let r = Xcs::new()
        .args(["import".as_ref(), "boutiques".as_ref(), path.as_os_str()])
        .run()
        .code(0);
    snapshot!("boutiques_example1_yaml", r.stdout);
    snapshot!("boutiques_example1_notes", r.stderr);
    let json = Xcs::new()
        .args([
            "import".as_ref(),
            "boutiques".as_ref(),
            path.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
            "--context".as_ref(),
            "scan".as_ref(),
        ])
        .run()
        .code(0)
        .json();
    assert_eq!(json["version"], 1);
    let wrapper = &json["result"]["xnat"][0];
    assert_eq!(wrapper["contexts"][0], "xnat:imageScanData");
    assert_eq!(wrapper["external-inputs"][0]["type"], "Scan");
    assert_eq!(
        json["result"]["command-line"]
            .as_str()
            .map(|l| l.contains("#str_input#")),
        Some(true)
    );
    assert!(json["notes"].as_array().is_some_and(|n| {
        n.iter()
            .any(|n| n.as_str().is_some_and(|s| s.contains("file-template")))
    }));
}

#[test]
fn refusals_and_the_image_override() {
    let corpus = corpus_dir().expect("corpus").join("boutiques");
    let sing = corpus.join("example1_sing.json");
    Xcs::new()
        .args(["import".as_ref(), "boutiques".as_ref(), sing.as_os_str()])
        .run()
        .code(2)
        .stderr_has("container image is singularity");
    let none = corpus.join("example2.json");
    let x = Xcs::new();
    x.exec(["import".as_ref(), "boutiques".as_ref(), none.as_os_str()])
        .code(2)
        .stderr_has("names no container image");
    x.exec([
        "import".as_ref(),
        "boutiques".as_ref(),
        none.as_os_str(),
        "--image".as_ref(),
        "example/tool:2.0".as_ref(),
        "--out".as_ref(),
        "t.yaml".as_ref(),
    ])
    .code(0);
    x.exec(["validate", "t.yaml", "--deny-warnings"]).code(0);
    let written = std::fs::read_to_string(x.root().join("t.yaml")).expect("written");
    assert!(written.contains("image: example/tool:2.0"), "{written}");
    // The live-XNAT import keeps its own form.
    x.exec(["import"]).code(2).stderr_has("--out");
    x.exec(["import", "boutiques", "missing.json"])
        .code(2)
        .stderr_has("missing.json");
}
