//! Running one resolved container on the Docker engine as XNAT's `DockerControlApi.createContainer`
//! and `start` would: the same image, command, entrypoint override, environment, binds
//! (`host:container[:ro]`), working directory, labels, memory and CPU limits, shm size,
//! network, runtime, IPC mode and ulimits; then follow its logs, wait, and remove it.

use crate::launch::ContainerSpec;
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding, ResourcesUlimits};
use bollard::query_parameters::{
    CreateContainerOptions, LogsOptions, RemoveContainerOptions, WaitContainerOptions,
};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::Duration;

/// A label on every container xcs runs, so they can be found (and cleaned up) later.
pub const RUN_LABEL: &str = "org.xcs.run";

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "image {image} is not on the local Docker engine (xcs run does not pull): build or pull it first"
    )]
    NoImage { image: String },
    #[error("Docker refused to {action} the {role} container ({command}): {error}")]
    Docker {
        action: &'static str,
        role: &'static str,
        command: String,
        error: bollard::errors::Error,
    },
}

/// Which stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone)]
pub struct Finished {
    pub container_id: String,
    pub exit_code: i64,
    /// Kept (`--keep`) rather than removed.
    pub kept: bool,
}

/// Create, start, follow the logs of, and wait for one container; remove it unless `keep`.
pub async fn run(
    docker: &Docker,
    spec: &ContainerSpec,
    keep: bool,
    on_log: &mut (dyn FnMut(Stream, &[u8]) + Send),
) -> Result<Finished, RunError> {
    // Jobs run for hours; the connection's default request timeout is minutes.
    let docker = docker
        .clone()
        .with_timeout(Duration::from_secs(7 * 24 * 3600));
    let fail = |action: &'static str| {
        move |source| RunError::Docker {
            action,
            role: spec.role,
            command: spec.command.clone(),
            error: source,
        }
    };
    if let Err(e) = docker.inspect_image(&spec.image).await {
        return Err(match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => RunError::NoImage {
                image: spec.image.clone(),
            },
            other => fail("inspect the image of")(other),
        });
    }
    let options = CreateContainerOptions {
        name: spec.name.clone(),
        ..Default::default()
    };
    let created = docker
        .create_container(Some(options), body(spec))
        .await
        .map_err(fail("create"))?;
    let id = created.id;
    let outcome = follow(&docker, &id, on_log).await;
    if !keep {
        let rm = RemoveContainerOptions {
            force: true,
            ..Default::default()
        };
        let _ = docker.remove_container(&id, Some(rm)).await;
    }
    let exit_code = outcome.map_err(|(action, e)| fail(action)(e))?;
    Ok(Finished {
        container_id: id,
        exit_code,
        kept: keep,
    })
}

async fn follow(
    docker: &Docker,
    id: &str,
    on_log: &mut (dyn FnMut(Stream, &[u8]) + Send),
) -> Result<i64, (&'static str, bollard::errors::Error)> {
    docker
        .start_container(id, None)
        .await
        .map_err(|e| ("start", e))?;
    let logs = LogsOptions {
        follow: true,
        stdout: true,
        stderr: true,
        ..Default::default()
    };
    let mut stream = docker.logs(id, Some(logs));
    while let Some(item) = stream.next().await {
        match item {
            Ok(LogOutput::StdErr { message }) => on_log(Stream::Stderr, &message),
            Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                on_log(Stream::Stdout, &message)
            }
            Ok(LogOutput::StdIn { .. }) => {}
            Err(e) => return Err(("read the logs of", e)),
        }
    }
    let mut wait = docker.wait_container(id, None::<WaitContainerOptions>);
    match wait.next().await {
        Some(Ok(r)) => Ok(r.status_code),
        // bollard reports a non-zero exit as this error, with the code.
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
        Some(Err(e)) => Err(("wait for", e)),
        None => Ok(-1),
    }
}

fn body(spec: &ContainerSpec) -> ContainerCreateBody {
    let binds = spec
        .mounts
        .iter()
        .map(|m| {
            format!(
                "{}:{}{}",
                m.host_path,
                m.container_path,
                if m.writable { "" } else { ":ro" }
            )
        })
        .collect();
    let ulimits = spec
        .ulimits
        .iter()
        .map(|u| ResourcesUlimits {
            name: Some(u.name.clone()),
            soft: Some(u.soft),
            hard: Some(u.hard),
        })
        .collect::<Vec<_>>();
    let port_bindings: HashMap<String, Option<Vec<PortBinding>>> = spec
        .ports
        .iter()
        .map(|(container, host)| {
            let key = if container.contains('/') {
                container.clone()
            } else {
                format!("{container}/tcp")
            };
            (
                key,
                Some(vec![PortBinding {
                    host_ip: None,
                    host_port: Some(host.clone()),
                }]),
            )
        })
        .collect();
    let host = HostConfig {
        binds: Some(binds),
        memory: spec.memory_bytes,
        memory_reservation: spec.memory_reservation_bytes,
        nano_cpus: spec.nano_cpus,
        shm_size: spec.shm_size,
        network_mode: spec.network.clone().filter(|n| !n.is_empty()),
        runtime: spec.runtime.clone().filter(|r| !r.is_empty()),
        ipc_mode: spec.ipc_mode.clone().filter(|i| !i.is_empty()),
        ulimits: (!ulimits.is_empty()).then_some(ulimits),
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        ..Default::default()
    };
    let mut labels: HashMap<String, String> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.insert(RUN_LABEL.into(), spec.command.clone());
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: Some(spec.cmd.clone()),
        entrypoint: spec.override_entrypoint.then(|| vec![String::new()]),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        working_dir: spec.working_dir.clone(),
        labels: Some(labels),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        host_config: Some(host),
        ..Default::default()
    }
}

/// An image's labels (`org.nrg.commands` among them), its entrypoint and its command, or
/// `None` when the engine does not have it.
pub async fn inspect_image(
    docker: &Docker,
    image: &str,
) -> Result<Option<ImageFacts>, bollard::errors::Error> {
    match docker.inspect_image(image).await {
        Ok(i) => {
            let config = i.config.unwrap_or_default();
            Ok(Some(ImageFacts {
                labels: config.labels.unwrap_or_default().into_iter().collect(),
                entrypoint: config.entrypoint.unwrap_or_default(),
                cmd: config.cmd.unwrap_or_default(),
                working_dir: config.working_dir.filter(|w| !w.is_empty()),
            }))
        }
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub labels: std::collections::BTreeMap<String, String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub working_dir: Option<String>,
}
