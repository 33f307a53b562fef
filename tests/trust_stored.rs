//! Issue 11 item 6: `import` and `plan` read CS's stored wrapper documents (config service, tool
//! `container-service`, path `wrapper-<id>`, ref CS §5/§6, core §2) instead of inferring them
//! from the materialised configuration view, so an override equal to the value it overrides
//! survives, and what a plan compares is exactly what xcs writes. The per-wrapper fallback (when
//! the listing is refused) still converges.

use super::trust::{catalog, sim};
use crate::support::Xcs;
use crate::support::xnat_sim::{Faults, Sim, SimUser};
use serde_json::Value;

fn edit(repo: &Xcs, rel: &str, change: impl FnOnce(String) -> String) {
    let path = repo.root().join(rel);
    let text = std::fs::read_to_string(&path).expect("read");
    let changed = change(text.clone());
    assert_ne!(changed, text, "{rel} unchanged by the edit");
    std::fs::write(&path, changed).expect("write");
}

/// The catalog's site default for `dcm2niix`'s `ignore-derived`.
const SITE_IGNORE_DERIVED: &str = "        ignore-derived:\n          default-value: \"true\"\n";

/// Every version of a wrapper's stored document at a scope: `(version, status, contents)`.
fn versions(sim: &Sim, wrapper: i64, project: Option<&str>) -> Vec<(u32, String, String)> {
    sim.config_history("container-service", &format!("wrapper-{wrapper}"), project)
}

/// The materialised view XNAT answers for a wrapper at a project.
fn project_view(sim: &Sim, project: &str, wrapper: i64) -> Value {
    reqwest::blocking::Client::new()
        .get(format!(
            "{}/xapi/projects/{project}/wrappers/{wrapper}/config",
            sim.url()
        ))
        .basic_auth("admin", Some("admin"))
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .expect("project config view")
}

/// The `- command: …` entry of an imported Site/Project file that names `wrapper`.
fn entry_of<'t>(text: &'t str, wrapper: &str) -> &'t str {
    text.split("- command:")
        .find(|e| e.contains(&format!("wrapper: {wrapper}\n")))
        .unwrap_or_else(|| panic!("no entry for {wrapper} in\n{text}"))
}

/// The wrapper actions of a JSON plan that change something, as `(scope, wrapper, paths)`.
fn wrapper_changes(plan: &Value) -> Vec<(String, String, Vec<String>)> {
    plan["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["target"]["kind"] == "wrapper")
        .filter(|a| a["changes"].as_array().is_some_and(|c| !c.is_empty()))
        .map(|a| {
            let t = &a["target"];
            (
                t["scope"].to_string(),
                t["wrapper"].as_str().unwrap_or("").to_string(),
                a["changes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| c["path"].as_str().unwrap_or("").to_string())
                    .collect(),
            )
        })
        .collect()
}

/// A project stores `ignore-derived: "false"`, the command's own default, while the site sets
/// nothing for it: `import` declares it for that project, and when the site later gets a default
/// for it the project's stored document is left alone and the project keeps its value.
#[test]
fn an_override_equal_to_the_default_is_imported_and_survives_a_new_site_default() {
    let sim = sim();
    let repo = catalog(&sim);
    let site_yaml = std::fs::read_to_string(repo.root().join("repo/site.yaml")).expect("site");
    edit(&repo, "repo/site.yaml", |t| {
        t.replace(SITE_IGNORE_DERIVED, "")
    });
    edit(&repo, "repo/projects/brainage.yaml", |t| {
        t.replacen(
            "        bids:\n",
            "        ignore-derived:\n          default-value: \"false\"\n        bids:\n",
            1,
        )
    });
    repo.exec(["apply", "repo"]).code(0);
    let id = sim
        .wrapper_id("dcm2niix", "dcm2niix-scan")
        .expect("wrapper");
    let stored = sim
        .stored_wrapper_config(id, Some("BRAINAGE"))
        .expect("BRAINAGE's document");
    assert_eq!(
        stored.inputs["ignore-derived"].default_value.as_deref(),
        Some("false")
    );
    assert!(
        sim.stored_wrapper_config(id, None)
            .is_some_and(|s| !s.inputs.contains_key("ignore-derived")),
        "the site stores nothing for it"
    );

    // (a) import declares the project's explicit override.
    let import = repo.exec(["import", "--out", "imported"]).code(0);
    assert!(
        !import.stdout.contains("materialised views"),
        "the stored documents were listed: {}",
        import.stdout
    );
    let project = std::fs::read_to_string(repo.root().join("imported/projects/BRAINAGE.yaml"))
        .expect("imported BRAINAGE");
    let entry = entry_of(&project, "dcm2niix-scan");
    let after = entry
        .split_once("ignore-derived:")
        .map(|(_, rest)| rest.trim_start())
        .unwrap_or_else(|| panic!("ignore-derived not declared for BRAINAGE:\n{entry}"));
    assert!(
        after.starts_with("default-value: \"false\"")
            || after.starts_with("default-value: 'false'"),
        "{entry}"
    );
    repo.exec(["plan", "imported", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");

    // (b) the site gets a default for the input: only the site's document is written.
    std::fs::write(repo.root().join("imported/site.yaml"), site_yaml).expect("site default");
    let project_before = versions(&sim, id, Some("BRAINAGE"));
    let site_before = versions(&sim, id, None);
    let plan = repo
        .exec(["plan", "imported", "--format", "json"])
        .code(0)
        .json();
    let changes = wrapper_changes(&plan);
    assert_eq!(
        changes,
        vec![(
            "\"Site\"".to_string(),
            "dcm2niix-scan".to_string(),
            vec!["config.inputs.ignore-derived.default-value".to_string()]
        )],
        "{plan}"
    );
    repo.exec(["apply", "imported"]).code(0);
    assert_eq!(
        versions(&sim, id, Some("BRAINAGE")),
        project_before,
        "BRAINAGE's document is not written"
    );
    assert_eq!(versions(&sim, id, None).len(), site_before.len() + 1);
    assert_eq!(
        sim.stored_wrapper_config(id, None)
            .and_then(|s| s.inputs.get("ignore-derived").cloned())
            .and_then(|i| i.default_value),
        Some("true".to_string())
    );
    let view = project_view(&sim, "BRAINAGE", id);
    assert_eq!(
        view["inputs"]["ignore-derived"]["default-value"], "false",
        "BRAINAGE keeps its choice: {view}"
    );
    assert_eq!(
        project_view(&sim, "PHANTOM_QC", id)["inputs"]["ignore-derived"]["default-value"],
        "true",
        "a project without its own override follows the site"
    );
    sim.reset_counters();
    repo.exec(["apply", "imported"]).code(0);
    assert_eq!(sim.counters().writes, 0, "re-apply writes nothing");
}

/// A change the materialised view shows but the stored documents do not (a command's input
/// default, which every view of its wrapper inherits) plans the command update alone: no
/// wrapper configuration is rewritten.
#[test]
fn a_view_only_difference_plans_no_configuration_write() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    let id = sim
        .wrapper_id("dcm2niix", "dcm2niix-scan")
        .expect("wrapper");
    edit(&repo, "repo/commands/dcm2niix.yaml", |t| {
        t.replacen(
            "    default-value: \"y\"\n    select-values",
            "    default-value: \"i\"\n    select-values",
            1,
        )
    });
    let plan = repo
        .exec(["plan", "repo", "--format", "json"])
        .code(0)
        .json();
    assert_eq!(plan["read_via"], "listing", "{plan}");
    assert_eq!(wrapper_changes(&plan), Vec::new(), "{plan}");
    let site_before = versions(&sim, id, None);
    let project_before = versions(&sim, id, Some("BRAINAGE"));
    repo.exec(["apply", "repo"]).code(0);
    assert_eq!(
        versions(&sim, id, None),
        site_before,
        "site document untouched"
    );
    assert_eq!(
        versions(&sim, id, Some("BRAINAGE")),
        project_before,
        "project document untouched"
    );
    assert_eq!(
        project_view(&sim, "BRAINAGE", id)["inputs"]["compress"]["default-value"],
        "i",
        "the view follows the updated command"
    );
    sim.reset_counters();
    repo.exec(["apply", "repo"]).code(0);
    assert_eq!(sim.counters().writes, 0);
}

/// A config-service DELETE of CS's document marks its latest version disabled, but CS reads
/// the latest version whatever its status (`DefaultConfigService.getConfig`): the wrapper stays
/// enabled and configured, so a plan reading the documents sees no change either.
#[test]
fn a_disabled_version_of_a_stored_document_still_counts_as_cs_reads_it() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    let id = sim
        .wrapper_id("dcm2niix", "dcm2niix-scan")
        .expect("wrapper");
    let deleted = reqwest::blocking::Client::new()
        .delete(format!(
            "{}/data/config/container-service/wrapper-{id}",
            sim.url()
        ))
        .basic_auth("admin", Some("admin"))
        .send()
        .expect("delete");
    assert!(deleted.status().is_success(), "{}", deleted.status());
    assert_eq!(
        versions(&sim, id, None).last().map(|v| v.1.as_str()),
        Some("disabled")
    );
    assert!(sim.site_enabled(id), "CS still reads it");
    sim.reset_counters();
    repo.exec(["plan", "repo", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes");
    repo.exec(["apply", "repo"]).code(0);
    assert_eq!(sim.counters().writes, 0);
}

/// A saved plan is bound to the wrapper state it compared: a project's override changed by hand
/// after the plan was made makes `apply PLAN` refuse, and nothing is written.
#[test]
fn a_saved_plan_refuses_when_a_stored_document_changed_behind_it() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    repo.exec(["plan", "repo", "--out", "plan.json"]).code(0);
    let id = sim
        .wrapper_id("dcm2niix", "dcm2niix-scan")
        .expect("wrapper");
    let by_hand = reqwest::blocking::Client::new()
        .post(format!(
            "{}/xapi/projects/BRAINAGE/wrappers/{id}/config",
            sim.url()
        ))
        .basic_auth("admin", Some("admin"))
        .json(&serde_json::json!({"inputs": {"bids": {"default-value": "false"}}}))
        .send()
        .expect("post");
    assert!(by_hand.status().is_success(), "{}", by_hand.status());
    let hand_written = versions(&sim, id, Some("BRAINAGE"));
    let stale = repo.exec(["apply", "plan.json"]).code(1);
    assert!(
        stale
            .stderr
            .contains("XNAT changed since the plan was made"),
        "{}",
        stale.stderr
    );
    assert_eq!(versions(&sim, id, Some("BRAINAGE")), hand_written);
}

/// With the listing refused, plan and import fall back to per-wrapper reads (and say so); an
/// apply on that path converges to the documents the listing path writes, and a re-apply on
/// either path writes nothing.
#[test]
fn the_per_wrapper_fallback_converges_and_reapplies_without_writes() {
    let refused = sim();
    refused.set_faults(Faults {
        refuse: Some("/data/config/container-service".into()),
        ..Faults::default()
    });
    let listed = sim();
    let via_fallback = catalog(&refused);
    let via_listing = catalog(&listed);
    via_fallback.exec(["apply", "repo"]).code(0);
    via_listing.exec(["apply", "repo"]).code(0);
    let plan = via_fallback
        .exec(["plan", "repo", "--format", "json"])
        .code(0)
        .json();
    assert!(
        plan["read_via"]["per-wrapper"]
            .as_str()
            .is_some_and(|w| w.contains("refused")),
        "{plan}"
    );
    assert_eq!(wrapper_changes(&plan), Vec::new(), "{plan}");
    // The same documents on both paths, at every scope the catalog declares.
    for (command, wrapper) in [
        ("dcm2niix", "dcm2niix-scan"),
        ("mriqc", "mriqc-session"),
        ("session-qc", "session-qc-session"),
        ("freesurfer-recon-all", "freesurfer-recon-all-session"),
    ] {
        let a = refused.wrapper_id(command, wrapper).expect("wrapper");
        let b = listed.wrapper_id(command, wrapper).expect("wrapper");
        for project in [None, Some("BRAINAGE"), Some("PHANTOM_QC")] {
            assert_eq!(
                refused.stored_wrapper_config(a, project),
                listed.stored_wrapper_config(b, project),
                "{wrapper} at {project:?}"
            );
        }
    }
    for (sim, repo) in [(&refused, &via_fallback), (&listed, &via_listing)] {
        sim.reset_counters();
        repo.exec(["apply", "repo"]).code(0);
        assert_eq!(sim.counters().writes, 0, "re-apply writes nothing");
    }
    // import on the fallback path says how it read the overrides, and its repo still plans clean.
    via_fallback
        .exec(["import", "--out", "imported"])
        .code(0)
        .stdout_has("recovered from XNAT's materialised views");
    via_fallback
        .exec(["plan", "imported", "--detailed-exitcode"])
        .code(0);
}

/// `import` by a ContainerManager who is not a site administrator: the stored documents are
/// readable (site config is open to every user, ref core §2), the subscriptions are not (ref CS
/// §7b), so the import carries the overrides and says that the automations could not be read.
#[test]
fn a_manager_imports_the_stored_documents_and_is_told_about_the_automations() {
    let sim = sim();
    catalog(&sim).exec(["apply", "repo"]).code(0);
    sim.add_user(SimUser::new("mgr", "manager-pw").container_manager());
    let repo = catalog(&sim)
        .env("XNAT_USER", "mgr")
        .env("XNAT_PASS", "manager-pw");
    let import = repo.exec(["import", "--out", "imported"]).code(0);
    assert!(
        import
            .stdout
            .contains("the subscriptions could not be read"),
        "{}",
        import.stdout
    );
    assert!(
        !import.stdout.contains("materialised views"),
        "{}",
        import.stdout
    );
    let site = std::fs::read_to_string(repo.root().join("imported/site.yaml")).expect("site");
    assert!(
        entry_of(&site, "dcm2niix-scan").contains("ignore-derived:"),
        "{site}"
    );
}

/// A hostile store: a hand-written `wrapper-<id>` document that is not JSON. CS reads blank or
/// unparsable contents as no document (`ContainerConfigServiceImpl.getCommandConfiguration`), so
/// the wrapper is site-disabled and unconfigured; the plan must see exactly that (not crash, not
/// trust the bytes), and one apply repairs it for good.
#[test]
fn an_unparsable_stored_document_counts_as_none_and_is_repaired() {
    let sim = sim();
    let repo = catalog(&sim);
    repo.exec(["apply", "repo"]).code(0);
    let id = sim
        .wrapper_id("dcm2niix", "dcm2niix-scan")
        .expect("wrapper");
    let put = reqwest::blocking::Client::new()
        .put(format!(
            "{}/data/config/container-service/wrapper-{id}?inbody=true",
            sim.url()
        ))
        .basic_auth("admin", Some("admin"))
        .header("Content-Type", "text/plain")
        .body("{\"enabled\": true, \"inputs\": ")
        .send()
        .expect("put");
    assert!(put.status().is_success(), "{}", put.status());
    assert!(!sim.site_enabled(id), "CS reads no document: disabled");
    let plan = repo
        .exec(["plan", "repo", "--format", "json"])
        .code(0)
        .json();
    let changes = wrapper_changes(&plan);
    let site = changes
        .iter()
        .find(|(scope, wrapper, _)| scope == "\"Site\"" && wrapper == "dcm2niix-scan")
        .unwrap_or_else(|| panic!("the site's dcm2niix-scan is planned again: {changes:?}"));
    assert!(
        site.2.iter().any(|p| p == "enabled"),
        "it is enabled again: {site:?}"
    );
    repo.exec(["apply", "repo"]).code(0);
    assert!(sim.site_enabled(id), "enabled again");
    sim.reset_counters();
    repo.exec(["apply", "repo"]).code(0);
    assert_eq!(sim.counters().writes, 0, "converged");
}
