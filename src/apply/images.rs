//! Carrying out image steps: pulls through XNAT's hub pull endpoint, and archive loads into
//! the backend's Docker daemon by xcs itself.

use super::{Executor, StepError};
use crate::backend::docker::{self, load};
use crate::plan::images::ImageEvent;
use crate::xnat::{self, images};

impl Executor<'_> {
    fn tell(&self, event: ImageEvent) {
        if let Some(on) = &self.opts.on_image {
            on(event);
        }
    }

    pub(super) async fn image(
        &self,
        image: &str,
        step: &crate::plan::Step,
    ) -> Result<(), StepError> {
        use crate::plan::Step;
        let how = match step {
            Step::PullImage { .. } => "pull",
            _ => "load",
        };
        self.tell(ImageEvent::Started {
            image: image.to_string(),
            how,
        });
        let result = match step {
            Step::PullImage { hub } => self.pull(image, hub.as_deref()).await,
            Step::LoadImageArchive { archive, sha256 } => self.load(image, archive, sha256).await,
            _ => Ok(()),
        };
        self.tell(ImageEvent::Finished {
            image: image.to_string(),
            ok: result.is_ok(),
        });
        result
    }

    async fn pull(&self, image: &str, hub: Option<&str>) -> Result<(), StepError> {
        let id = match hub {
            None => None,
            Some(name) => Some(
                xnat::docker::hubs(self.client)
                    .await?
                    .into_iter()
                    .find(|h| h.name == name)
                    .map(|h| h.id)
                    .ok_or_else(|| StepError::Other(format!("XNAT has no registry `{name}`")))?,
            ),
        };
        Ok(images::pull(self.client, id, image).await?)
    }

    async fn load(&self, image: &str, archive: &str, sha256: &str) -> Result<(), StepError> {
        let backend = self
            .repo
            .backend()
            .map(|b| &b.spec)
            .ok_or_else(|| StepError::Other("no compute backend declared".into()))?;
        let address = docker::address(backend.host.as_deref(), (self.opts.env)("DOCKER_HOST"));
        let certs = backend.cert_path.as_deref().map(std::path::Path::new);
        let daemon = docker::connect(&address, certs)
            .await
            .map_err(|e| StepError::Other(e.to_string()))?;
        let on_bytes = |done, total| {
            self.tell(ImageEvent::Bytes {
                image: image.to_string(),
                done,
                total,
            })
        };
        let source = load::ArchiveSource {
            archive,
            sha256,
            base: &self.opts.base,
            ca_cert: self.client.ca_cert(),
        };
        load::load_archive(&daemon, image, &source, &on_bytes)
            .await
            .map_err(|e| StepError::Other(e.to_string()))
    }
}
