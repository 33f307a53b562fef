//! Reading an image on the local engine without running it: its labels (inspect), and a file
//! inside it (create a container that is never started, copy the file out as a tar, remove it).

use bollard::Docker;
use bollard::errors::Error as BollardError;
use futures_util::StreamExt;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("image `{image}` is not on the local Docker engine")]
    NotFound { image: String },
    #[error("`{path}` is not a file in image `{image}`")]
    NoFile { image: String, path: String },
    #[error("`{path}` in image `{image}` is larger than {cap} bytes")]
    TooLarge {
        image: String,
        path: String,
        cap: u64,
    },
    #[error("the Docker engine: {0}")]
    Engine(String),
}

/// A local image's labels and its identity.
#[derive(Debug, Clone)]
pub struct LocalImage {
    /// The repo digest for this image when it was pushed or pulled, else its image id.
    pub digest: String,
    pub labels: HashMap<String, String>,
}

fn engine(e: BollardError) -> EngineError {
    EngineError::Engine(e.to_string())
}

fn not_found(e: &BollardError) -> bool {
    matches!(
        e,
        BollardError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Inspect `image` (no pull).
pub async fn image(docker: &Docker, image: &str) -> Result<LocalImage, EngineError> {
    let inspect = match docker.inspect_image(image).await {
        Ok(i) => i,
        Err(e) if not_found(&e) => {
            return Err(EngineError::NotFound {
                image: image.to_string(),
            });
        }
        Err(e) => return Err(engine(e)),
    };
    let repo = image.split('@').next().unwrap_or(image);
    let repo = repo
        .rsplit_once(':')
        .filter(|(_, t)| !t.contains('/'))
        .map_or(repo, |(r, _)| r);
    let digest = inspect
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .find_map(|d| d.strip_prefix(&format!("{repo}@")).map(str::to_string))
        .or(inspect.id)
        .unwrap_or_default();
    Ok(LocalImage {
        digest,
        labels: inspect.config.and_then(|c| c.labels).unwrap_or_default(),
    })
}

/// The bytes of the regular file at `path` in `image`, at most `cap` of them.
pub async fn file(
    docker: &Docker,
    image: &str,
    path: &str,
    cap: u64,
) -> Result<Vec<u8>, EngineError> {
    let body = bollard::models::ContainerCreateBody {
        image: Some(image.to_string()),
        // Never started; an image without a command (FROM scratch) still needs one to exist.
        cmd: Some(vec!["/xcs-never-runs".to_string()]),
        network_disabled: Some(true),
        ..Default::default()
    };
    let created = match docker
        .create_container(
            None::<bollard::query_parameters::CreateContainerOptions>,
            body,
        )
        .await
    {
        Ok(c) => c,
        Err(e) if not_found(&e) => {
            return Err(EngineError::NotFound {
                image: image.to_string(),
            });
        }
        Err(e) => return Err(engine(e)),
    };
    let copied = copy_out(docker, &created.id, image, path, cap).await;
    let remove = bollard::query_parameters::RemoveContainerOptionsBuilder::new()
        .force(true)
        .build();
    let removed = docker.remove_container(&created.id, Some(remove)).await;
    let bytes = copied?;
    removed.map_err(engine)?;
    Ok(bytes)
}

async fn copy_out(
    docker: &Docker,
    id: &str,
    image: &str,
    path: &str,
    cap: u64,
) -> Result<Vec<u8>, EngineError> {
    let options = bollard::query_parameters::DownloadFromContainerOptions {
        path: path.to_string(),
    };
    let mut stream = docker.download_from_container(id, Some(options));
    let mut tar = Vec::new();
    let no_file = || EngineError::NoFile {
        image: image.to_string(),
        path: path.to_string(),
    };
    // The tar carries one header block and padding besides the file.
    let tar_cap = cap + 64 * 1024;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) if not_found(&e) => return Err(no_file()),
            Err(e) => return Err(engine(e)),
        };
        if (tar.len() + chunk.len()) as u64 > tar_cap {
            return Err(EngineError::TooLarge {
                image: image.to_string(),
                path: path.to_string(),
                cap,
            });
        }
        tar.extend_from_slice(&chunk);
    }
    let file = first_regular_file(&tar).ok_or_else(no_file)?;
    if file.len() as u64 > cap {
        return Err(EngineError::TooLarge {
            image: image.to_string(),
            path: path.to_string(),
            cap,
        });
    }
    Ok(file.to_vec())
}

/// The content of the first regular file in a tar archive (ustar/pax; extended headers skipped).
fn first_regular_file(tar: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            return None;
        }
        let size_field = std::str::from_utf8(&header[124..136]).ok()?;
        let size =
            usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        let start = at + 512;
        let end = start.checked_add(size)?;
        if end > tar.len() {
            return None;
        }
        match header[156] {
            b'0' | 0 => return Some(&tar[start..end]),
            _ => at = start + size.div_ceil(512) * 512,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::first_regular_file;

    fn header(name: &str, kind: u8, size: usize) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let s = format!("{size:011o}\0");
        h[124..136].copy_from_slice(s.as_bytes());
        h[156] = kind;
        h
    }

    #[test]
    fn reads_the_file_after_a_pax_header() {
        let mut tar = header("PaxHeaders/x", b'x', 5);
        tar.extend(b"abcde");
        tar.extend(vec![0u8; 507]);
        tar.extend(header("cmd.json", b'0', 3));
        tar.extend(b"[1]");
        tar.extend(vec![0u8; 509 + 1024]);
        assert_eq!(first_regular_file(&tar), Some(&b"[1]"[..]));
        assert_eq!(first_regular_file(&header("d", b'5', 0)), None);
    }
}
