//! Loading a `docker save` archive into a daemon (`POST /images/load`), after checking the
//! archive's SHA-256 pin. The archive is a path or an https URL; a download goes to a temporary
//! file, hashed as it arrives, and is removed afterwards.

use super::{Daemon, DockerError};
use bollard::query_parameters::ImportImageOptions;
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes read per chunk.
const CHUNK: usize = 256 * 1024;

/// Reports bytes done (and the total when known) as an archive is hashed and sent.
pub type OnBytes<'a> = &'a (dyn Fn(u64, Option<u64>) + Send + Sync);

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read image archive `{path}`: {message}")]
    Read { path: String, message: String },
    #[error("cannot download image archive {url}: {message}")]
    Download { url: String, message: String },
    #[error(
        "image archive {archive} has SHA-256 {actual}, not the declared {expected}: refusing to load it"
    )]
    Checksum {
        archive: String,
        expected: String,
        actual: String,
    },
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error(
        "the Docker daemon loaded {archive} but has no image `{image}` afterwards: the archive holds another image or tag"
    )]
    NotInArchive { archive: String, image: String },
}

/// A local archive file, removed on drop when it is a download.
struct Local {
    path: PathBuf,
    temporary: bool,
}

impl Drop for Local {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file, streaming.
async fn file_sha256(path: &Path, on_bytes: OnBytes<'_>) -> Result<String, LoadError> {
    let read = |e: std::io::Error| LoadError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut file = tokio::fs::File::open(path).await.map_err(read)?;
    let total = file.metadata().await.map_err(read)?.len();
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    loop {
        let n = file.read(&mut buf).await.map_err(read)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
        done += n as u64;
        on_bytes(done, Some(total));
    }
    Ok(hex(ctx.finish().as_ref()))
}

static DOWNLOADS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Download an https archive into a temporary file, hashing it on the way. TLS is verified
/// against the system's roots plus `ca_cert` (PEM, one or more certificates) when given.
async fn download(
    url: &str,
    ca_cert: Option<&Path>,
    on_bytes: OnBytes<'_>,
) -> Result<(Local, String), LoadError> {
    let fail = |m: &dyn std::fmt::Display| LoadError::Download {
        url: url.to_string(),
        message: m.to_string(),
    };
    if !url.starts_with("https://") {
        return Err(fail(&"only https URLs are fetched"));
    }
    // No overall timeout: an archive may take long; the connect timeout still holds.
    let client = crate::backend::https::client(crate::backend::https::Settings {
        // Release downloads redirect to a storage host; reqwest's default limit, as before.
        redirect: reqwest::redirect::Policy::default(),
        ..crate::backend::https::Settings::new(ca_cert)
    })
    .map_err(|e| fail(&e))?;
    let response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| fail(&crate::backend::https::describe(&e.without_url())))?;
    let total = response.content_length();
    let n = DOWNLOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("xcs-archive-{}-{n}.tar", std::process::id()));
    let local = Local {
        path,
        temporary: true,
    };
    let mut file = tokio::fs::File::create(&local.path)
        .await
        .map_err(|e| fail(&e))?;
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut stream = response.bytes_stream();
    let mut done = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| fail(&crate::backend::https::describe(&e.without_url())))?;
        ctx.update(&chunk);
        file.write_all(&chunk).await.map_err(|e| fail(&e))?;
        done += chunk.len() as u64;
        on_bytes(done, total);
    }
    file.flush().await.map_err(|e| fail(&e))?;
    Ok((local, hex(ctx.finish().as_ref())))
}

/// Fetch (or open) the archive and check its pin. `base` is the declaration repo, for
/// relative paths.
async fn verified(
    archive: &str,
    sha256: &str,
    base: &Path,
    ca_cert: Option<&Path>,
    on_bytes: OnBytes<'_>,
) -> Result<Local, LoadError> {
    let (local, actual) = if archive.contains("://") {
        download(archive, ca_cert, on_bytes).await?
    } else {
        let path = base.join(archive);
        let actual = file_sha256(&path, on_bytes).await?;
        (
            Local {
                path,
                temporary: false,
            },
            actual,
        )
    };
    if !actual.eq_ignore_ascii_case(sha256.trim()) {
        return Err(LoadError::Checksum {
            archive: archive.to_string(),
            expected: sha256.trim().to_lowercase(),
            actual,
        });
    }
    Ok(local)
}

/// Where an archive is and what it must hash to.
pub struct ArchiveSource<'a> {
    /// A path (relative to `base`, the declaration repo) or an https URL.
    pub archive: &'a str,
    pub sha256: &'a str,
    pub base: &'a Path,
    /// An extra trusted CA for an https archive (`--ca-cert`).
    pub ca_cert: Option<&'a Path>,
}

/// Check the archive's SHA-256, then load it into the daemon and check that `image` is there.
pub async fn load_archive(
    daemon: &Daemon,
    image: &str,
    source: &ArchiveSource<'_>,
    on_bytes: OnBytes<'_>,
) -> Result<(), LoadError> {
    let archive = source.archive;
    let local = verified(
        archive,
        source.sha256,
        source.base,
        source.ca_cert,
        on_bytes,
    )
    .await?;
    let read = |e: std::io::Error| LoadError::Read {
        path: archive.to_string(),
        message: e.to_string(),
    };
    let file = tokio::fs::File::open(&local.path).await.map_err(read)?;
    let body = futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let options = ImportImageOptions {
        quiet: true,
        ..Default::default()
    };
    let mut answers = daemon
        .docker
        .import_image(options, bollard::body_try_stream(body), None);
    while let Some(answer) = answers.next().await {
        answer.map_err(|e| DockerError::Refused {
            address: daemon.address.clone(),
            message: e.to_string(),
        })?;
    }
    if daemon.has_image(image).await? {
        Ok(())
    } else {
        Err(LoadError::NotInArchive {
            archive: archive.to_string(),
            image: image.to_string(),
        })
    }
}
