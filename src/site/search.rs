//! The search index: Pagefind, used as a library. Each command is one record (its names,
//! descriptions, inputs, outputs and wrappers), carrying the index's filters, so search and
//! filtering run in the browser from static files with no server code. Pagefind splits its
//! index into chunks that the page fetches on demand, so a catalog of thousands of commands
//! still loads only a few KB per query.

use super::SiteError;
use super::catalog::{Catalog, CommandFacets};
use super::command_view::CommandView;
use super::render::OutputFile;
use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use std::collections::BTreeMap;

/// Files of the search bundle, under `pagefind/`.
pub fn index(catalog: &Catalog, facets: &[CommandFacets]) -> Result<Vec<OutputFile>, SiteError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SiteError::Search(e.to_string()))?;
    runtime.block_on(async {
        let options = PagefindServiceConfig::builder()
            .force_language("en".to_string())
            // `-` and `_` are part of input and command names: `scan-id` stays one word.
            .include_characters("-_".to_string())
            .build();
        let mut index = PagefindIndex::new(Some(options)).map_err(search_error)?;
        for (c, f) in catalog.commands.iter().zip(facets) {
            let mut meta = BTreeMap::new();
            meta.insert("title".to_string(), c.title.clone());
            meta.insert("name".to_string(), c.name.clone());
            meta.insert("summary".to_string(), c.summary.clone());
            if let Some(v) = &c.version {
                meta.insert("version".to_string(), v.clone());
            }
            if let Some(i) = &c.image {
                meta.insert("image".to_string(), i.full.clone());
            }
            let filters: BTreeMap<String, Vec<String>> = f
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect();
            index
                .add_custom_record(
                    c.url.clone(),
                    content(c),
                    "en".to_string(),
                    Some(meta),
                    Some(filters),
                    None,
                )
                .await
                .map_err(search_error)?;
        }
        let files = index.get_files().await.map_err(search_error)?;
        Ok(files
            .into_iter()
            // Pagefind's own UI bundles: the catalog has its own small script instead.
            .filter(|f| {
                let name = f.filename.to_string_lossy();
                ![
                    "pagefind-ui.",
                    "pagefind-component-ui.",
                    "pagefind-modular-ui.",
                    "pagefind-highlight.",
                ]
                .iter()
                .any(|prefix| name.starts_with(prefix))
            })
            .map(|f| OutputFile {
                path: format!(
                    "pagefind/{}",
                    f.filename.to_string_lossy().replace('\\', "/")
                ),
                bytes: f.contents,
            })
            .collect())
    })
}

fn search_error(e: anyhow::Error) -> SiteError {
    SiteError::Search(format!("{e:#}"))
}

/// The text a command is found by: names, label, descriptions, command line, image, and every
/// input, output and wrapper with theirs.
fn content(c: &CommandView) -> String {
    let mut parts: Vec<&str> = vec![&c.title, &c.name];
    parts.extend(c.description.as_deref());
    // The command line, so a flag or a program name finds the command; flags also without
    // their dashes (`--notrack` is found by `notrack`).
    parts.extend(c.command_line.iter().map(|s| s.text.as_str()));
    parts.extend(
        c.command_line
            .iter()
            .flat_map(|s| s.text.split_whitespace())
            .filter(|w| w.starts_with('-'))
            .map(|w| w.trim_start_matches('-')),
    );
    parts.extend(c.image.as_ref().map(|i| i.full.as_str()));
    parts.extend(c.tags.iter().map(String::as_str));
    parts.extend(c.contexts.iter().map(|x| x.words.as_str()));
    for i in &c.inputs {
        parts.push(&i.name);
        parts.extend(i.label.as_deref());
        parts.extend(i.description.as_deref());
    }
    for o in &c.outputs {
        parts.push(&o.name);
        parts.extend(o.description.as_deref());
    }
    for w in &c.wrappers {
        parts.push(&w.name);
        parts.extend(w.label.as_deref());
        parts.extend(w.description.as_deref());
        for i in w.external_inputs.iter().chain(&w.derived_inputs) {
            parts.push(&i.name);
            parts.extend(i.description.as_deref());
        }
    }
    parts.join(". ")
}
