//! Progress of image pulls and loads during `apply`, on stderr: a bar per image on a terminal
//! (indicatif), plain lines otherwise (a pipe, a file, CI).

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use xcs::plan::images::ImageEvent;

type Reporter = Arc<dyn Fn(ImageEvent) + Send + Sync>;

/// The reporter for this process: bars when stderr is a terminal outside CI, else lines.
pub fn reporter() -> Reporter {
    let ci = std::env::var_os("CI").is_some();
    if std::io::stderr().is_terminal() && !ci {
        bars()
    } else {
        Arc::new(|event| {
            if let Some(line) = plain(&event) {
                eprintln!("{line}");
            }
        })
    }
}

/// The line for an event when not on a terminal; byte counts are left out.
fn plain(event: &ImageEvent) -> Option<String> {
    match event {
        ImageEvent::Started { image, how } => Some(format!("image {image}: {how} started")),
        ImageEvent::Finished { image, ok: true } => Some(format!("image {image}: done")),
        ImageEvent::Finished { image, ok: false } => Some(format!("image {image}: failed")),
        ImageEvent::Bytes { .. } => None,
    }
}

fn bars() -> Reporter {
    let multi = MultiProgress::new();
    let bars: Mutex<HashMap<String, ProgressBar>> = Mutex::new(HashMap::new());
    let style = ProgressStyle::with_template("{spinner} {prefix} {msg} {bytes}/{total_bytes}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    Arc::new(move |event| {
        let mut bars = bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            ImageEvent::Started { image, how } => {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(image.clone());
                bar.set_message(format!("{how}ing"));
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                bars.insert(image, bar);
            }
            ImageEvent::Bytes { image, done, total } => {
                if let Some(bar) = bars.get(&image) {
                    if let Some(t) = total {
                        bar.set_length(t);
                    }
                    bar.set_position(done);
                }
            }
            ImageEvent::Finished { image, ok } => {
                if let Some(bar) = bars.remove(&image) {
                    bar.finish_with_message(if ok { "done" } else { "failed" });
                }
            }
        }
    })
}
